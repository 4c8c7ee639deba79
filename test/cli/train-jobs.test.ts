import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run, type Io } from '../../bin/mlspec';
import { addModelStacks } from '../../constructs';
import { HandlersStack } from '../../constructs/handlers-stack';
import { onTrainingStep as azureMlStep } from '../../lib/handlers/azureml';
import { onTrainingStep as vertexStep } from '../../lib/handlers/vertex';
import { resolvePlan } from '../../lib/plan';
import { vertexProvider, VertexLiveState } from '../../lib/providers/vertex';
import { vertexClients } from '../../lib/providers/vertex/clients';
import { vertexRunClients } from '../../lib/providers/vertex/runs';
import { vertexDryRun } from '../../lib/providers/vertex/training';
import { azureMlDryRun } from '../../lib/providers/azureml/training';
import { reconcileModel } from '../../lib/providers/contract';
import { loadProjectText } from '../../lib/spec';
import { StateMachineTrainingRunner } from '../../lib/train/state-machine-runner';
import { FakeArm } from '../fakes/azureml/arm';
import { FakeStepFunctions } from '../fakes/stepfunctions/server';
import { FakeVertex } from '../fakes/vertex/server';
import { TRAINING_SPEC } from '../helpers';
import { fakeClients } from '../providers/azureml/helpers';
import { fakeGrpcOptions } from '../providers/vertex/helpers';

/**
 * `mlspec train` and `mlspec runs` on Vertex AI and Azure ML, end to end: the real CLI and SFN
 * client against a fake Step Functions that runs the state machine synth declares (the handlers
 * stack's own template), whose steps are the handlers' onTrainingStep against the fake Vertex
 * (gRPC and Cloud Storage) and the fake ARM (jobs and MLflow). The stop rule of the template
 * delivers a stopped execution to the same function, as EventBridge does.
 */

const ACCOUNT = '111111111111';
const RELEASES = 'dev: {}\n';

let sfn: FakeStepFunctions;
let vertex: FakeVertex;
let arm: FakeArm;
let vertexPort: number;
let dir: string;
let out: string;
let err: string;

/** The handlers stack of the spec, as cdk synth makes it. */
function handlersTemplate(): Record<string, any> {
  const app = new App();
  addModelStacks(app, resolvePlan(loadProjectText(TRAINING_SPEC, 'mlspec.yaml', RELEASES)));
  const stack = app.node.children.find((c): c is HandlersStack => c instanceof HandlersStack)!;
  return Template.fromStack(stack).toJSON();
}

beforeEach(async () => {
  sfn = new FakeStepFunctions({ waitScale: 0.2 });
  sfn.account = ACCOUNT;
  await sfn.start();
  vertex = new FakeVertex();
  vertexPort = await vertex.start();
  arm = new FakeArm();
  await arm.start();
  dir = mkdtempSync(path.join(tmpdir(), 'mlspec-train-jobs-'));
  writeFileSync(path.join(dir, 'mlspec.yaml'), TRAINING_SPEC);
  writeFileSync(path.join(dir, 'releases.yaml'), RELEASES);
  out = '';
  err = '';

  const template = handlersTemplate();
  const resources = template.Resources as Record<string, any>;
  const arnOf = (id: string): string => {
    const r = resources[id];
    if (r.Type === 'AWS::Lambda::Function') return `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${r.Properties.FunctionName}`;
    if (r.Type === 'AWS::StepFunctions::StateMachine') return `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${r.Properties.StateMachineName}`;
    return `arn:aws:iam::${ACCOUNT}:role/${id}`;
  };
  for (const name of ['mlspec-acme-dev-vertex-training', 'mlspec-acme-dev-azureml-training']) sfn.addStateMachineFromTemplate(template, name, (id) => arnOf(id));
  const steps: Record<string, (payload: any) => Promise<unknown>> = {
    [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:mlspec-acme-dev-vertex-training`]: (payload) =>
      vertexStep(payload, { clients: (p) => vertexRunClients(p.region, { ...(fakeGrpcOptions(vertexPort) as object), storageEndpoint: vertex.storageEndpoint } as never) }),
    [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:mlspec-acme-dev-azureml-training`]: (payload) => azureMlStep(payload, { clients: () => fakeClients(arm) }),
  };
  for (const [arn, step] of Object.entries(steps)) sfn.addFunction(arn, step);
  // The template's stop rules, with their pattern and target as declared.
  for (const rule of Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule')) {
    const pattern = structuredClone(rule.Properties.EventPattern);
    pattern.detail.stateMachineArn = pattern.detail.stateMachineArn.map((a: { Ref: string }) => arnOf(a.Ref));
    const target = arnOf(rule.Properties.Targets[0].Arn['Fn::GetAtt'][0]);
    sfn.addRule(pattern, (event) => steps[target](event));
  }
});

afterEach(async () => {
  await sfn.stop();
  await vertex.stop();
  arm.stop();
});

function io(): Io {
  return {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd: dir,
    trainers: (p, env) => ((p === 'vertex' || p === 'azureml') && env.aws
      ? new StateMachineTrainingRunner({ provider: p, aws: env.aws!, sfn: () => sfn.client(), jobDryRun: p === 'vertex' ? vertexDryRun : azureMlDryRun, pollMs: 5 })
      : undefined),
  };
}

const train = (...args: string[]) => run(['train', ...args], io());

/** Waits until `check` holds (the fake state machine runs on its own). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('training on Vertex AI through the state machine', () => {
  it('a run that passes the gates registers the next label with its metrics; the version then serves and is promoted by its label', async () => {
    vertex.jobs.autoAdvance = true;
    vertex.jobs.autoOutcome = { state: 'JOB_STATE_SUCCEEDED', metrics: { ndcg: 0.81 } };
    expect(await train('ranker', '--env', 'dev', '--set', 'epochs=3', '--wait')).toBe(0);
    expect(out).toMatch(/^started ranker training in dev on vertex: arn:aws:states:us-east-1:111111111111:execution:mlspec-acme-dev-vertex-training:r\d{8}t\d{6}-[a-z0-9]{4}\n/);
    expect(out).toContain(' training job: JOB_STATE_PENDING\n');
    expect(out).toContain(' training job: JOB_STATE_SUCCEEDED\n');
    expect(out).toContain('         training final metrics: ndcg=0.81\n');
    expect(out).toContain('         pass  registry.gates.ndcg: ndcg >= 0.7, the run has 0.81\n');
    expect(out).toMatch(/registered ranker version 1 \(projects\/acme-ml-dev\/locations\/us-central1\/models\/[^)]+\); serve it with "1" in releases.yaml\n$/);

    // The job Vertex ran is the one the dry run shows, with --set applied, labelled with the run id.
    const [job] = [...vertex.jobs.customJobs.values()] as any[];
    const runId = out.match(/execution:mlspec-acme-dev-vertex-training:(\S+)\n/)![1];
    expect(job.labels['mlspec-run']).toBe(runId);
    expect(job.jobSpec.workerPoolSpecs[0].containerSpec.args).toEqual(['python', 'train.py', '--epochs', '3']);
    const [versions] = [...vertex.models.values()];
    const v1 = versions.find((v: any) => v.versionAliases.includes('v1'))!;
    expect(v1.labels).toEqual(expect.objectContaining({ 'mlspec-version': '1', 'metric-ndcg': '0_81', 'mlspec-trained': 'true', 'mlspec-run': runId }));
    expect(v1.artifactUri).toBe(`gs://acme-models/ranker/${runId}/model/`);

    // mlspec runs lists it, with the version it registered.
    out = '';
    expect(await run(['runs', 'ranker', '--env', 'dev', '--json'], io())).toBe(0);
    const runs = JSON.parse(out).runs;
    expect(runs).toEqual([expect.objectContaining({ runId, status: 'Succeeded', version: '1', metrics: { ndcg: 0.81 } })]);

    // Released by its label, the trained version serves.
    const released = resolvePlan(loadProjectText(TRAINING_SPEC, 'mlspec.yaml', 'dev:\n  ranker: { traffic: { "1": 100 } }\n')).environments[0].models.find((m) => m.name === 'ranker')!;
    const serving = vertexClients('us-central1', fakeGrpcOptions(vertexPort));
    try {
      await reconcileModel(vertexProvider, released.vertex!, { model: 'ranker', environment: 'dev' }, serving, {});
      const [endpoint] = [...vertex.endpoints.values()] as any[];
      expect(endpoint.deployedModels.map((d: any) => [d.displayName, d.model])).toEqual([['ranker-v1', expect.stringContaining(v1.name.replace(/@.*$/, ''))]]);

      // Promoted by its label to staging (same Google project): the gates read the trained version's metrics and soak from Vertex.
      const withStaging = TRAINING_SPEC.replace('models:\n', `  staging:\n    aws:   { account: "${ACCOUNT}", region: us-east-1 }\n    gcp:   { project: acme-ml-dev, region: us-central1 }\n    promotion: { from: dev, minSoak: 1h }\nmodels:\n`);
      writeFileSync(path.join(dir, 'mlspec.yaml'), withStaging);
      writeFileSync(path.join(dir, 'releases.yaml'), 'dev:\n  ranker: { traffic: { "1": 100 } }\n');
      out = '';
      const live = new VertexLiveState(() => serving);
      const later = new Date(Date.now() + 2 * 3600_000);
      expect(await run(['promote', 'ranker', '1', '--to', 'staging'], { ...io(), live: (p) => (p === 'vertex' ? live : undefined), now: () => later })).toBe(0);
      expect(out).toContain('gates for ranker 1 → staging:\n');
      expect(out).toMatch(/pass .*ndcg >= 0\.7/);
      expect(readFileSync(path.join(dir, 'releases.yaml'), 'utf8')).toBe('dev:\n  ranker: { traffic: { "1": 100 } }\nstaging:\n  ranker: { traffic: { "1": 100 } }\n');
    } finally {
      await serving.models.close();
      await serving.jobs.close();
      await serving.endpoints.close();
    }
  });

  it('a failed gate exits 1 with each gate and the run\'s value, and registers nothing', async () => {
    vertex.jobs.autoAdvance = true;
    vertex.jobs.autoOutcome = { state: 'JOB_STATE_SUCCEEDED', metrics: { ndcg: 0.52 } };
    expect(await train('ranker', '--env', 'dev', '--wait')).toBe(1);
    expect(out).toContain('         FAIL  registry.gates.ndcg: ndcg >= 0.7, the run has 0.52\n');
    expect(err).toMatch(/^run r\d{8}t\d{6}-[a-z0-9]{4} of ranker in dev failed, nothing was registered: the registry gates did not pass: ndcg >= 0.7 \(the run has 0.52\)\n$/);
    expect([...vertex.models.values()].flat().filter((v: any) => v.labels?.['mlspec-trained'])).toEqual([]);
  });

  it('a failed job exits 1 with Vertex\'s own message', async () => {
    vertex.jobs.autoAdvance = true;
    vertex.jobs.autoOutcome = { state: 'JOB_STATE_FAILED', message: 'The replica workerpool0-0 exited with a non-zero status of 137 (out of memory).' };
    expect(await train('ranker', '--env', 'dev', '--wait')).toBe(1);
    expect(err).toMatch(/nothing was registered: the CustomJob job projects\/acme-ml-dev\/locations\/us-central1\/customJobs\/\S+ ended JOB_STATE_FAILED: The replica workerpool0-0 exited with a non-zero status of 137 \(out of memory\)\.\n$/);
  });

  it('a stopped run leaves its job cancelled: the stop rule calls the step function, which cancels the job by the run id', async () => {
    expect(await train('ranker', '--env', 'dev')).toBe(0);
    const executionArn = out.match(/on vertex: (\S+)\n/)![1];
    await until(() => vertex.jobs.customJobs.size === 1, 'the job');
    await sfn.client().send(new StopExecutionCommand({ executionArn, cause: 'stopped from the console' }));
    await sfn.settled();
    const [job] = [...vertex.jobs.customJobs.values()] as any[];
    expect(['JOB_STATE_CANCELLING', 'JOB_STATE_CANCELLED']).toContain(job.state);
    out = '';
    const runId = executionArn.split(':').pop()!;
    expect(await run(['runs', 'ranker', '--env', 'dev', '--follow', runId], io())).toBe(1);
    expect(err).toContain(`run ${runId} of ranker in dev was stopped, nothing was registered: the run was stopped: stopped from the console; its job is cancelled\n`);
    out = '';
    expect(await run(['runs', 'ranker', '--env', 'dev'], io())).toBe(0);
    expect(out).toMatch(new RegExp(`${runId} .* Stopped `));
    // A run the state machine never had.
    err = '';
    expect(await run(['runs', 'ranker', '--env', 'dev', '--follow', 'r20260101t000000-none'], io())).toBe(1);
    expect(err).toBe('ranker in dev: there is no run r20260101t000000-none on vertex; mlspec runs ranker --env dev lists the runs\n');
  });
});

describe('training on Azure ML through the state machine', () => {
  it('a run registers version N+1 from the job\'s model output, with its metrics from MLflow', async () => {
    expect(await train('scorer', '--env', 'dev')).toBe(0);
    const runId = out.match(/on azureml: \S+:(\S+)\n/)![1];
    const jobName = `acme-scorer-dev-${runId}`;
    await until(() => arm.jobs.has(jobName), 'the job');
    arm.completeJob(jobName, { metrics: { auc: 0.91 } });
    out = '';
    expect(await run(['runs', 'scorer', '--env', 'dev', '--follow', runId], io())).toBe(0);
    expect(out).toContain('         pass  registry.gates.auc: auc >= 0.8, the run has 0.91\n');
    expect(out).toMatch(/registered scorer version 1 \(\/subscriptions\/.*\/models\/acme-scorer\/versions\/1\); serve it with "1" in releases.yaml\n$/);
    const v = arm.modelVersions.get('acme-scorer/1') as any;
    expect(v.properties.modelUri).toBe(`azureml://jobs/${jobName}/outputs/model`);
    expect(v.properties.tags).toEqual(expect.objectContaining({ 'metric:auc': '0.91', 'mlspec:run': runId }));
  });

  it('a failed job exits 1; a stopped run leaves the job Canceled', async () => {
    expect(await train('scorer', '--env', 'dev')).toBe(0);
    let runId = out.match(/on azureml: \S+:(\S+)\n/)![1];
    await until(() => arm.jobs.has(`acme-scorer-dev-${runId}`), 'the job');
    arm.failJob(`acme-scorer-dev-${runId}`, 'CUDA error: out of memory', { service: 'Studio' });
    expect(await run(['runs', 'scorer', '--env', 'dev', '--follow', runId], io())).toBe(1);
    expect(err).toContain(`ended Failed: CUDA error: out of memory\n`);

    out = '';
    expect(await train('scorer', '--env', 'dev')).toBe(0);
    const executionArn = out.match(/on azureml: (\S+)\n/)![1];
    runId = executionArn.split(':').pop()!;
    await until(() => arm.jobs.has(`acme-scorer-dev-${runId}`), 'the job');
    await sfn.client().send(new StopExecutionCommand({ executionArn }));
    await sfn.settled();
    await until(() => arm.jobs.get(`acme-scorer-dev-${runId}`)?.properties.status === 'Canceled', 'the cancel');
  });
});

describe('a provider with no runner', () => {
  it('says mlspec cannot start runs there (only where a caller passes no runner for it)', async () => {
    expect(await run(['train', 'ranker', '--env', 'dev'], { ...io(), trainers: () => undefined })).toBe(2);
    expect(err).toBe('error: mlspec cannot start runs on vertex from here\n');
  });
});

describe('an environment without an AWS account', () => {
  it('has no handlers stack to run training: a run says so, and the dry run still shows the job', async () => {
    writeFileSync(path.join(dir, 'mlspec.yaml'), TRAINING_SPEC.replace(/\n    aws: [^\n]*/, ''));
    expect(await train('ranker', '--env', 'dev')).toBe(2);
    expect(err).toBe("error: ranker trains on vertex in dev, whose runs are executions of the environment's training state machine in AWS, and dev has no aws block; add environments.dev.aws (account and region of the handlers stack), or use mlspec train --dry-run to see the job a run would submit\n");
    expect(await train('ranker', '--env', 'dev', '--dry-run')).toBe(0);
    expect(out).toMatch(/^dry run: nothing is sent\. mlspec train would send, to vertex in us-central1:\n  CreateCustomJob \(starts the run\)/);
    expect(out).toMatch(/vertex runs start from the environment's training state machine, and dev has no aws block: this is the job a run would submit\n$/);
  });
});

describe("the README's Vertex AI training example", () => {
  it('is valid as written, and its dry run starts the state machine and shows the CustomJob', async () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const block = /```yaml\n(models:\n  ranker:\n    training: +# on Vertex AI[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const environments = TRAINING_SPEC.slice(0, TRAINING_SPEC.indexOf('models:\n'));
    writeFileSync(path.join(dir, 'mlspec.yaml'), `${environments}${block}`);
    expect(await train('ranker', '--env', 'dev', '--dry-run', '--json')).toBe(0);
    const dry = JSON.parse(out);
    expect(dry.requests.map((r: any) => r.operation)).toEqual(['StartExecution', 'CreateCustomJob']);
    expect(dry.declared).toMatchObject({ kind: 'AWS::StepFunctions::StateMachine', name: 'mlspec-acme-dev-vertex-training', schedule: 'cron(0 0 ? * SUN *)' });
    expect(dry.requests[1].input.customJob.jobSpec.workerPoolSpecs[0].containerSpec.args).toEqual(['python', 'train.py', '--epochs', '10']);
  });
});
