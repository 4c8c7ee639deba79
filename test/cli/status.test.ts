import * as grpc from '@grpc/grpc-js';
import { CreateEndpointCommand, CreateEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run, type Io } from '../../bin/mlspec';
import { resolvePlan } from '../../lib/plan';
import { AzureMlLiveState, reconcileAzureMl } from '../../lib/providers/azureml';
import { reconcileVertex, VertexLiveState } from '../../lib/providers/vertex';
import { SageMakerLiveState } from '../../lib/providers/sagemaker/live';
import { loadProjectText } from '../../lib/spec';
import { differences, formatStatus, readStatus, statusExitCode, type MonitorStatus, type StatusJson } from '../../lib/status';
import { RELEASES as PROMOTE_RELEASES, SPEC as PROMOTE_SPEC } from '../promote/fixtures';
import type { LiveState } from '../../lib/promote';
import { FakeArm } from '../fakes/azureml/arm';
import { createModels, FakeSageMaker } from '../fakes/sagemaker/server';
import { fakeClients } from '../providers/azureml/helpers';
import { withFakeVertex } from '../providers/vertex/helpers';
import { threeCloudsYaml } from '../helpers';

/** mlspec status against the three fakes: the live split next to releases.yaml, a difference marked, a provider that cannot be read. */
const SPEC = `project: acme
environments:
${threeCloudsYaml('staging', '222222222222')}
models:
  fraud:
    versions:
      "7": { artifact: { sagemaker: s3://m/7/model.tar.gz, vertex: gs://m/7/, azureml: azureml://datastores/models/paths/fraud/7/ } }
      "8": { artifact: { sagemaker: s3://m/8/model.tar.gz, vertex: gs://m/8/, azureml: azureml://datastores/models/paths/fraud/8/ } }
    serving:
      image: { sagemaker: 222222222222.dkr.ecr.us-east-1.amazonaws.com/fraud:1, vertex: us-docker.pkg.dev/acme/serve/fraud:1, azureml: acme.azurecr.io/fraud:1 }
      resources: { accelerator: T4, count: 1 }
`;
const release = (traffic: string) => `staging:\n  fraud: { traffic: ${traffic} }\n`;
const model = (traffic: string) => resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', release(traffic))).environments[0].models[0];

describe('mlspec status', () => {
  it('shows each endpoint next to releases.yaml, marks a difference, and reads every provider on its own', async () => {
    const sm = new FakeSageMaker();
    await sm.start();
    const arm = new FakeArm();
    await arm.start();
    try {
      await withFakeVertex(async (vertexFake, vertexClients) => {
        // What the last deploy left: 7/8 at 90/10 on Vertex and Azure ML; SageMaker still all on 8.
        await reconcileVertex(model('{ "7": 90, "8": 10 }').vertex!, { model: 'fraud', environment: 'staging' }, vertexClients, { retries: 1, backoffMs: 5 });
        await reconcileAzureMl(model('{ "7": 90, "8": 10 }').azureml!, { model: 'fraud', environment: 'staging' }, fakeClients(arm), { updateIntervalInMs: 5 });
        const client = sm.clients().sagemaker;
        await createModels(sm, ['m8']);
        await client.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'v8', ModelName: 'm8', InstanceType: 'ml.g4dn.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 100 }] }));
        await client.send(new CreateEndpointCommand({ EndpointName: 'acme-fraud-staging', EndpointConfigName: 'c' }));

        const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-status-'));
        writeFileSync(path.join(dir, 'mlspec.yaml'), SPEC);
        writeFileSync(path.join(dir, 'releases.yaml'), release('{ "7": 90, "8": 10 }'));
        let out = '';
        let err = '';
        const readers = {
          sagemaker: new SageMakerLiveState(() => sm.clients().sagemaker),
          vertex: new VertexLiveState(() => vertexClients),
          azureml: new AzureMlLiveState(() => fakeClients(arm)),
        };
        const io: Io = { out: (t) => (out += t), err: (t) => (err += t), cwd: dir, live: (p) => readers[p] };

        expect(await run(['status'], io)).toBe(1);
        expect(err).toBe('');
        // The README shows this very output.
        const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
        expect(readme).toContain(`\`\`\`\n${out}\`\`\``);
        expect(out).toBe(
          [
            'staging',
            '  fraud',
            '    sagemaker  acme-fraud-staging InService: 8: 100% ≠ releases.yaml 7: 90%, 8: 10%',
            '               ≠ version 7 serves 0%, releases.yaml says 90%',
            '               ≠ version 8 serves 100%, releases.yaml says 10%',
            '    vertex     acme-fraud-staging 2 deployed: 7: 90%, 8: 10% = releases.yaml 7: 90%, 8: 10%',
            '    azureml    acme-fraud-staging Succeeded: 7: 90%, 8: 10% = releases.yaml 7: 90%, 8: 10%',
            '',
          ].join('\n'),
        );

        // A provider that cannot be read says why; the others are still shown.
        vertexFake.faults.push({ method: 'ListEndpoints', code: grpc.status.PERMISSION_DENIED, times: 1, message: "Permission 'aiplatform.endpoints.list' denied" });
        out = '';
        expect(await run(['status', '--json'], io)).toBe(1);
        const json = JSON.parse(out);
        const byProvider = Object.fromEntries(json.environments[0].models[0].providers.map((p: any) => [p.provider, p]));
        expect(byProvider.vertex.error).toBe("cannot read vertex in staging: 7 PERMISSION_DENIED: Permission 'aiplatform.endpoints.list' denied");
        expect(byProvider.azureml.live.traffic).toEqual({ '7': 90, '8': 10 });
        expect(byProvider.sagemaker.differences).toEqual(['version 7 serves 0%, releases.yaml says 90%', 'version 8 serves 100%, releases.yaml says 10%']);

        // Where everything serves what releases.yaml says, status exits 0.
        writeFileSync(path.join(dir, 'releases.yaml'), release('{ "8": 100 }'));
        await reconcileVertex(model('{ "8": 100 }').vertex!, { model: 'fraud', environment: 'staging' }, vertexClients, { retries: 1, backoffMs: 5 });
        await reconcileAzureMl(model('{ "8": 100 }').azureml!, { model: 'fraud', environment: 'staging' }, fakeClients(arm), { updateIntervalInMs: 5 });
        out = '';
        expect(await run(['status', '--env', 'staging'], io)).toBe(0);
        expect(out).not.toContain('≠');
      });
    } finally {
      arm.stop();
      sm.stop();
    }
  });

  it('names an unknown environment', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-status-'));
    writeFileSync(path.join(dir, 'mlspec.yaml'), SPEC);
    writeFileSync(path.join(dir, 'releases.yaml'), release('{ "8": 100 }'));
    let err = '';
    expect(await run(['status', '--env', 'stagng'], { out: () => undefined, err: (t) => (err += t), cwd: dir })).toBe(2);
    expect(err).toBe('error: --env: environment "stagng" is not in the spec; did you mean "staging"?\n');
  });
});

describe('differences between live and releases.yaml', () => {
  it('names a missing endpoint and a shadow that differs', () => {
    expect(differences({ traffic: { '8': 100 } }, undefined)).toEqual(['no endpoint: nothing is deployed (cdk deploy the model stack)']);
    expect(differences({ traffic: { '8': 100 }, shadow: { version: '9', percent: 20 } }, { endpoint: 'e', state: 'InService', traffic: { '8': 100 } })).toEqual(['shadow is off, releases.yaml says 9 at 20%']);
    expect(differences({ traffic: { '8': 100 } }, { endpoint: 'e', state: 'InService', traffic: { '8': 100 }, shadow: { version: '9', percent: 10 } })).toEqual(['shadow is 9 at 10%, releases.yaml says off']);
    expect(differences({ traffic: { '8': 100 } }, { endpoint: 'e', state: 'InService', traffic: { '8': 100 } })).toEqual([]);
  });
});

describe("a monitor's last run in mlspec status", () => {
  const status = (monitor: MonitorStatus | undefined): StatusJson => ({
    schemaVersion: 1,
    environments: [{ name: 'staging', models: [{ model: 'fraud', providers: [{ provider: 'sagemaker', declared: { traffic: { '8': 100 } }, live: { endpoint: 'acme-fraud-staging', state: 'InService', traffic: { '8': 100 } }, differences: [], ...(monitor ? { monitor } : {}) }] }] }],
  });
  it('shows the last run and what it found; a violation makes the exit 1', () => {
    const clean = status({ name: 'acme-fraud-staging-monitor', state: 'Scheduled', lastRun: { at: '2026-12-03T04:00:00.000Z', status: 'Completed', violations: [] } });
    expect(formatStatus(clean)).toContain('               monitor acme-fraud-staging-monitor Scheduled: last run 2026-12-03T04:00:00Z Completed, no violation\n');
    expect(statusExitCode(clean)).toBe(0);
    const drifted = status({ name: 'acme-fraud-staging-monitor', state: 'Scheduled', lastRun: { at: '2026-12-03T05:00:00.000Z', status: 'CompletedWithViolations', violations: [{ signal: 'data drift', feature: 'amount', detail: 'distance 0.41 > 0.3' }, { signal: 'data drift', feature: 'country' }] } });
    expect(formatStatus(drifted)).toContain('               monitor acme-fraud-staging-monitor Scheduled: last run 2026-12-03T05:00:00Z CompletedWithViolations, ! 2 violations: data drift on amount (distance 0.41 > 0.3); data drift on country\n');
    expect(statusExitCode(drifted)).toBe(1);
  });
  it('says when the monitor has not run, is not deployed, or cannot be read, without hiding the endpoint line; unread or missing exits 1', () => {
    expect(formatStatus(status({ name: 'm', state: 'Scheduled' }))).toContain('               monitor m Scheduled: no run yet\n');
    expect(formatStatus(status({ problem: 'not deployed: cdk deploy acme-fraud-staging declares it' }))).toContain('               monitor: not deployed: cdk deploy acme-fraud-staging declares it\n');
    expect(statusExitCode(status({ problem: 'cannot read it: AccessDenied' }))).toBe(1);
    expect(statusExitCode(status({ name: 'm', state: 'Scheduled' }))).toBe(0);
    expect(formatStatus(status(undefined))).not.toContain('monitor');
  });
});

describe('a provider whose monitors mlspec cannot read', () => {
  it('says so on the monitor line and exits 1, the endpoint line still shown', async () => {
    const spec = PROMOTE_SPEC.replace('      resources: { accelerator: T4 }\n', `      resources: { accelerator: T4 }
      dataCapture: { percent: 20 }
      monitoring: { schedule: hourly, baseline: { sagemaker: s3://acme-data/fraud/train/ }, alerts: { email: [ml-oncall@acme.com] } }
`);
    const plan = resolvePlan(loadProjectText(spec, 'mlspec.yaml', PROMOTE_RELEASES), { environments: ['dev'] });
    const reader = { provider: 'sagemaker' as const, serving: async () => ({ endpoint: 'acme-fraud-dev', state: 'InService', traffic: { '8': 100 } }) } as unknown as LiveState;
    const status = await readStatus(plan, (p) => (p === 'sagemaker' ? reader : undefined));
    expect(formatStatus(status)).toContain('    sagemaker  acme-fraud-dev InService: 8: 100% = releases.yaml 8: 100%\n               monitor: mlspec cannot read sagemaker monitors yet\n');
    expect(statusExitCode(status)).toBe(1);
  });
});
