import { CreateEndpointCommand, CreateEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run, type Io } from '../../bin/mlspec';
import type { Provider } from '../../lib/catalog/types';
import { resolvePlan } from '../../lib/plan';
import type { ModelPlan } from '../../lib/plan/types';
import type { LiveStateFactory } from '../../lib/promote';
import { AzureMlLiveState, reconcileAzureMl } from '../../lib/providers/azureml';
import { monitorScheduleName } from '../../lib/providers/azureml/monitoring';
import { SageMakerLiveState } from '../../lib/providers/sagemaker/live';
import { monitorNames } from '../../lib/providers/sagemaker/monitoring';
import { reconcileVertex, VertexLiveState, type VertexClients } from '../../lib/providers/vertex';
import { monitorDisplayName } from '../../lib/providers/vertex/monitoring';
import { loadProjectText } from '../../lib/spec';
import type { StatusJson } from '../../lib/status';
import { FakeArm } from '../fakes/azureml/arm';
import { createModels, FakeSageMaker } from '../fakes/sagemaker/server';
import type { FakeVertex } from '../fakes/vertex/server';
import { threeCloudsYaml } from '../helpers';
import { fakeClients } from '../providers/azureml/helpers';
import { withFakeVertex } from '../providers/vertex/helpers';

/**
 * Drift monitors end to end: `mlspec status` and `mlspec promote` (promotion.cleanSoak) run as the
 * CLI, with the three real LiveState readers pointed at the three fake clouds. The model is deployed
 * into the fakes the way a `cdk deploy` leaves it: SageMaker's endpoint and monitoring schedule as
 * CloudFormation makes them (through the fake's API and its schedule hook), Vertex and Azure ML by
 * their reconcilers, which create the monitors too. Monitoring runs are then added through each
 * fake's hooks, in each cloud's own form: SageMaker's executions with constraint_violations.json in
 * S3, Vertex's per-window statistics, Azure ML's pipeline jobs with their MLflow breach tags.
 */

const PROVIDERS: Provider[] = ['sagemaker', 'vertex', 'azureml'];
const ENDPOINT = 'acme-fraud-staging';

const MONITORING = `      dataCapture: { percent: 20 }
      monitoring:
        schedule: hourly
        baseline: { sagemaker: s3://acme-data/fraud/train/, vertex: gs://acme-data/fraud/train/*.csv, azureml: azureml://datastores/data/paths/fraud/train-mltable/ }
        drift: { threshold: 0.3, features: { amount: 0.2 } }
        alerts: { email: [ml-oncall@acme.com] }
`;

/** One model on all three clouds, monitored in staging; prod (when asked) promotes from staging on a clean soak. */
function spec(prod: boolean): string {
  return `project: acme
environments:
${threeCloudsYaml('staging', '222222222222')}
${prod ? `${threeCloudsYaml('prod', '333333333333')}\n    promotion: { from: staging, cleanSoak: true }\n` : ''}models:
  fraud:
    versions:
      "7": { artifact: { sagemaker: s3://m/7/model.tar.gz, vertex: gs://m/7/, azureml: azureml://datastores/models/paths/fraud/7/ } }
      "8": { artifact: { sagemaker: s3://m/8/model.tar.gz, vertex: gs://m/8/, azureml: azureml://datastores/models/paths/fraud/8/ } }
    serving:
      image: { sagemaker: 222222222222.dkr.ecr.us-east-1.amazonaws.com/fraud:1, vertex: us-docker.pkg.dev/acme/serve/fraud:1, azureml: acme.azurecr.io/fraud:1 }
      resources: { accelerator: T4, count: 1 }
${MONITORING}`;
}

/** When the deploy ran (the Vertex and Azure ML fakes' clocks: the deployed models' and deployments' creation times). */
const DEPLOYED = Date.parse('2026-11-20T08:00:00Z');
const at = (hhmm: string) => new Date(`2026-11-20T${hhmm}:00Z`);

/** SageMaker's run report location (the capture bucket's monitoring/reports, as the job definition writes it). */
const REPORTS = `s3://${ENDPOINT}-capture/monitoring/reports`;

interface Clouds {
  readonly sm: FakeSageMaker;
  readonly arm: FakeArm;
  readonly vertex: FakeVertex;
  readonly vertexClients: VertexClients;
  /** The three real readers, pointed at the fakes. */
  readonly live: LiveStateFactory;
}

/** Runs `body` with the three fakes up and the real readers pointed at them. */
async function withClouds(body: (c: Clouds) => Promise<void>): Promise<void> {
  const sm = new FakeSageMaker();
  await sm.start();
  const arm = new FakeArm();
  arm.now = () => DEPLOYED;
  await arm.start();
  try {
    await withFakeVertex(async (vertex, vertexClients) => {
      vertex.now = () => DEPLOYED;
      const readers = {
        sagemaker: new SageMakerLiveState(() => sm.clients().sagemaker, () => sm.s3Client()),
        vertex: new VertexLiveState(() => vertexClients),
        azureml: new AzureMlLiveState(() => fakeClients(arm)),
      };
      await body({ sm, arm, vertex, vertexClients, live: (p) => readers[p] });
    });
  } finally {
    arm.stop();
    await sm.stop();
  }
}

/** The names each cloud's monitor has, and the Vertex deployed model ids, after `deploy`. */
interface Deployed {
  readonly schedule: string;
  readonly vertexJob: string;
  readonly vertexIds: Record<string, string>;
  readonly azureSchedule: string;
}

/**
 * What `cdk deploy` of the staging stack leaves: on SageMaker the models, the endpoint config (with
 * data capture) and the endpoint, and the monitoring schedule as AWS::SageMaker::MonitoringSchedule
 * leaves it; on Vertex and Azure ML whatever their reconcilers make of the plan, monitors included.
 */
async function deploy(c: Clouds, model: ModelPlan): Promise<Deployed> {
  const target = { model: model.name, environment: 'staging' };
  const sm = model.sagemaker!.serving!;
  const client = c.sm.clients().sagemaker;
  const modelName = (v: { version: string }) => `${ENDPOINT}-v${v.version}`;
  await createModels(c.sm, sm.variants.map(modelName));
  await client.send(new CreateEndpointConfigCommand({
    EndpointConfigName: `${ENDPOINT}-config`,
    ProductionVariants: sm.variants.map((v) => ({ VariantName: v.variantName, ModelName: modelName(v), InstanceType: v.instanceType as never, InitialInstanceCount: v.minReplicas, InitialVariantWeight: v.weight })),
    DataCaptureConfig: {
      EnableCapture: true,
      InitialSamplingPercentage: sm.dataCapturePercent!,
      DestinationS3Uri: `s3://${ENDPOINT}-capture/data-capture`,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    },
  }));
  await client.send(new CreateEndpointCommand({ EndpointName: sm.endpointName, EndpointConfigName: `${ENDPOINT}-config` }));
  client.destroy();
  const schedule = monitorNames(sm.endpointName).schedule;
  c.sm.addMonitoringSchedule(schedule, { endpointName: sm.endpointName, jobDefinitionName: `${ENDPOINT}-0123456789` });

  const vertex = await reconcileVertex(model.vertex!, target, c.vertexClients, { retries: 1, backoffMs: 5 });
  await reconcileAzureMl(model.azureml!, target, fakeClients(c.arm), { updateIntervalInMs: 5 });
  return { schedule, vertexJob: vertex.monitoringJob!, vertexIds: vertex.deployedModelIds, azureSchedule: monitorScheduleName(model.azureml!.serving!) };
}

/**
 * One monitoring run on one cloud, in that cloud's own form, judging version `version`'s traffic: clean,
 * or with `amount` drifted to 0.41 (its threshold is 0.2).
 */
function addRun(c: Clouds, d: Deployed, provider: Provider, when: Date, drifted: boolean, version = '8'): void {
  if (provider === 'sagemaker') {
    c.sm.addMonitoringExecution({
      schedule: d.schedule,
      scheduledAt: when,
      status: drifted ? 'CompletedWithViolations' : 'Completed',
      reports: REPORTS,
      ...(drifted ? { violations: [{ feature_name: 'amount', constraint_check_type: 'baseline_drift_check', description: 'Baseline drift distance: 0.41 exceeds threshold: 0.2' }] } : {}),
    });
  } else if (provider === 'vertex') {
    const deployedModelId = d.vertexIds[`fraud-v${version}`];
    c.vertex.monitoring.addStats(d.vertexJob, { deployedModelId, objective: 'RAW_FEATURE_SKEW', feature: 'amount', deviation: 0.05, at: when });
    c.vertex.monitoring.addStats(d.vertexJob, { deployedModelId, objective: 'RAW_FEATURE_DRIFT', feature: 'amount', deviation: drifted ? 0.41 : 0.08, at: when });
    c.vertex.monitoring.addStats(d.vertexJob, { deployedModelId, objective: 'RAW_FEATURE_DRIFT', feature: 'country', deviation: 0.1, at: when });
    c.vertex.monitoring.setLatestRun(d.vertexJob, when);
  } else {
    c.arm.schedules.addMonitorRun(d.azureSchedule, { at: when, status: 'Completed', ...(drifted ? { breaches: [{ signal: `data_drift_v${version}_1`, feature: 'amount', value: 0.41, threshold: 0.2 }] } : {}) });
  }
}

/** What each reader says of the drifted run of `version`: the signal and feature, with the cloud's own detail. */
const violation = (p: Provider, version = '8'): { signal: string; feature: string; detail: string } =>
  ({
    sagemaker: { signal: 'data drift', feature: 'amount', detail: 'Baseline drift distance: 0.41 exceeds threshold: 0.2' },
    vertex: { signal: 'data drift over time', feature: 'amount', detail: `fraud-v${version}: distance 0.41 > threshold 0.2` },
    azureml: { signal: 'data drift', feature: 'amount', detail: `JensenShannonDistance 0.41 > 0.2 (signal data_drift_v${version}_1)` },
  })[p];
/** Each monitor's name and state as the cloud reports it. */
const MONITOR: Record<Provider, { name: string; state: string; clean: string; drifted: string }> = {
  sagemaker: { name: 'acme-fraud-staging-drift', state: 'Scheduled', clean: 'Completed', drifted: 'CompletedWithViolations' },
  vertex: { name: 'acme-fraud-staging-monitor', state: 'JOB_STATE_RUNNING', clean: 'no anomalies', drifted: 'anomalies' },
  azureml: { name: 'acme-fraud-staging-monitor', state: 'Enabled', clean: 'Completed', drifted: 'Completed' },
};

function workspace(specText: string, releases: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-monitoring-'));
  writeFileSync(path.join(dir, 'mlspec.yaml'), specText);
  writeFileSync(path.join(dir, 'releases.yaml'), releases);
  return dir;
}

async function cli(args: string[], c: Clouds, dir: string, now?: Date): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), cwd: dir, live: c.live, ...(now ? { now: () => now } : {}) };
  const code = await run(args, io);
  return { code, out, err };
}

// ------------------------------------------------------------------ mlspec status

describe('mlspec status: each cloud\'s drift monitor, read from the fakes by the real readers', () => {
  const STAGING = 'staging:\n  fraud: { traffic: { "8": 100 } }\n';
  const model = () => resolvePlan(loadProjectText(spec(false), 'mlspec.yaml', STAGING)).environments[0].models[0];

  it('names of the monitors: the ones the readers look for are the ones the deploy makes', () => {
    const m = model();
    expect(monitorNames(m.sagemaker!.serving!.endpointName).schedule).toBe(MONITOR.sagemaker.name);
    expect(monitorDisplayName(m.vertex!)).toBe(MONITOR.vertex.name);
    expect(monitorScheduleName(m.azureml!.serving!)).toBe(MONITOR.azureml.name);
  });

  it.each(PROVIDERS)('a violation in the last %s run is shown with its signal and feature and exits 1; the others\' clean runs say so; a later clean run exits 0', async (drifted) => {
    await withClouds(async (c) => {
      const d = await deploy(c, model());
      for (const p of PROVIDERS) {
        addRun(c, d, p, at('09:00'), false);
        addRun(c, d, p, at('10:00'), false);
        addRun(c, d, p, at('11:00'), p === drifted);
      }
      const dir = workspace(spec(false), STAGING);
      const line = (p: Provider, hhmm: string, violated: boolean) => {
        const m = MONITOR[p];
        const v = violation(p);
        return `               monitor ${m.name} ${m.state}: last run 2026-11-20T${hhmm}:00Z ${violated ? m.drifted : m.clean}, ${violated ? `! 1 violation: ${v.signal} on ${v.feature} (${v.detail})` : 'no violation'}`;
      };

      let r = await cli(['status'], c, dir);
      expect(r.err).toBe('');
      expect(r.out).toBe(
        [
          'staging',
          '  fraud',
          '    sagemaker  acme-fraud-staging InService: 8: 100% = releases.yaml 8: 100%',
          line('sagemaker', '11:00', drifted === 'sagemaker'),
          '    vertex     acme-fraud-staging 1 deployed: 8: 100% = releases.yaml 8: 100%',
          line('vertex', '11:00', drifted === 'vertex'),
          '    azureml    acme-fraud-staging Succeeded: 8: 100% = releases.yaml 8: 100%',
          line('azureml', '11:00', drifted === 'azureml'),
          '',
        ].join('\n'),
      );
      expect(r.code).toBe(1);

      // --json: the same monitors, each with its last run and what it found.
      r = await cli(['status', '--json'], c, dir);
      expect(r.code).toBe(1);
      const json = JSON.parse(r.out) as StatusJson;
      const monitors = Object.fromEntries(json.environments[0].models[0].providers.map((p) => [p.provider, p.monitor]));
      for (const p of PROVIDERS) {
        expect(monitors[p]).toEqual({
          name: MONITOR[p].name,
          state: MONITOR[p].state,
          lastRun: { at: '2026-11-20T11:00:00.000Z', status: p === drifted ? MONITOR[p].drifted : MONITOR[p].clean, violations: p === drifted ? [violation(p)] : [] },
        });
      }
      // The endpoints themselves agree with releases.yaml: the monitor alone makes the exit 1.
      expect(json.environments[0].models[0].providers.map((p) => [p.provider, p.differences, p.error])).toEqual(PROVIDERS.map((p) => [p, [], undefined]));

      // The next hour's runs are clean everywhere: status shows them and exits 0.
      for (const p of PROVIDERS) addRun(c, d, p, at('12:00'), false);
      r = await cli(['status'], c, dir);
      expect(r.out.split('\n').filter((l) => l.includes('monitor '))).toEqual(PROVIDERS.map((p) => line(p, '12:00', false)));
      expect(r.code).toBe(0);
    });
  });

  it('a monitor deployed but not run yet says so, and a provider whose monitor is gone says to deploy it (exit 1, as for a missing endpoint)', async () => {
    await withClouds(async (c) => {
      await deploy(c, model());
      c.sm.monitoringSchedules.clear();
      const dir = workspace(spec(false), STAGING);
      const r = await cli(['status'], c, dir);
      expect(r.out.split('\n').filter((l) => l.includes('monitor'))).toEqual([
        '               monitor: not deployed: cdk deploy acme-fraud-staging declares it',
        '               monitor acme-fraud-staging-monitor JOB_STATE_RUNNING: no run yet',
        '               monitor acme-fraud-staging-monitor Enabled: no run yet',
      ]);
      // A monitor the spec declares and the cloud lacks is as wrong as a missing endpoint.
      expect(r.code).toBe(1);
    });
  });
});

// ------------------------------------------------------------------ mlspec promote, promotion.cleanSoak

describe('mlspec promote --to prod with promotion.cleanSoak, against the fakes with the real readers', () => {
  // Version 8 soaks in staging at 10 % beside 7; prod serves 7.
  const release = (staging: string) => `staging:\n  fraud: { traffic: ${staging} }\nprod:\n  fraud: { traffic: { "7": 100 } }\n`;
  const RELEASES = release('{ "7": 90, "8": 10 }');
  const stagingPlan = (staging = '{ "7": 90, "8": 10 }') => resolvePlan(loadProjectText(spec(true), 'mlspec.yaml', release(staging)), { environments: ['staging'] }).environments[0];
  const NOW = at('12:30');
  const EARLIER = Date.parse('2026-11-20T06:00:00Z');

  /**
   * Staging's history: at 06:00 a deploy of 7 alone (Vertex and Azure ML, monitors included), whose
   * 07:00 runs found amount drifted in 7's traffic; at 08:00 the deploy of 7/8 at 90/10 (on SageMaker,
   * the fake dates the endpoint 2023-11-14, and a violation before that is from before 8 served too).
   * Then the runs of 8's soak on every cloud at 09:00, 10:00 and 11:00, clean except `drifted`'s at
   * 10:00, in the traffic of `driftedVersion`.
   */
  async function soak(c: Clouds, drifted?: Provider, driftedVersion = '8'): Promise<string> {
    c.vertex.now = () => EARLIER;
    c.arm.now = () => EARLIER;
    const first = stagingPlan('{ "7": 100 }').models[0];
    const target = { model: 'fraud', environment: 'staging' };
    const before = await reconcileVertex(first.vertex!, target, c.vertexClients, { retries: 1, backoffMs: 5 });
    await reconcileAzureMl(first.azureml!, target, fakeClients(c.arm), { updateIntervalInMs: 5 });
    const early = { schedule: '', vertexJob: before.monitoringJob!, vertexIds: before.deployedModelIds, azureSchedule: monitorScheduleName(first.azureml!.serving!) };
    addRun(c, early, 'vertex', at('07:00'), true, '7');
    addRun(c, early, 'azureml', at('07:00'), true, '7');

    c.vertex.now = () => DEPLOYED;
    c.arm.now = () => DEPLOYED;
    const d = await deploy(c, stagingPlan().models[0]);
    expect(d.vertexJob).toBe(before.monitoringJob);
    addRun(c, d, 'sagemaker', new Date('2023-11-14T20:00:00Z'), true);
    for (const p of PROVIDERS) {
      addRun(c, d, p, at('09:00'), false);
      addRun(c, d, p, at('10:00'), p === drifted, p === drifted ? driftedVersion : '8');
      addRun(c, d, p, at('11:00'), false);
    }
    return workspace(spec(true), RELEASES);
  }

  const passLine = (p: Provider) => `  pass  promotion.cleanSoak: 3 ${p} monitoring runs of ${MONITOR[p].name} since version 8 started serving in staging, none with a violation`;

  it('reads each cloud\'s soak from the time version 8 started serving there', async () => {
    await withClouds(async (c) => {
      await soak(c);
      const env = stagingPlan();
      // SageMaker: the variant's image resolution (the fake's endpoint is from 2023-11-14T22:13:20Z); Vertex: the deployed
      // model's createTime; Azure ML: the deployment's createdAt. The 07:00 runs judged version 7 alone.
      const since = await Promise.all(PROVIDERS.map(async (p) => (await c.live(p)!.servingSince(env, env.models[0], '8'))?.toISOString()));
      expect(since).toEqual(['2023-11-14T22:14:20.000Z', '2026-11-20T08:00:00.000Z', '2026-11-20T08:00:00.000Z']);
    });
  });

  it('passes when every run since version 8 started serving was clean, on every cloud (violations before it served do not count), and writes releases.yaml', async () => {
    await withClouds(async (c) => {
      const dir = await soak(c);
      const r = await cli(['promote', 'fraud', '8', '--to', 'prod'], c, dir, NOW);
      expect(r.err).toBe('');
      expect(r.out).toBe(
        [
          'gates for fraud 8 → prod:',
          '  pass  promotion.from: version 8 serves in staging (10% in releases.yaml)',
          ...PROVIDERS.map(passLine),
          '--- releases.yaml',
          '+++ releases.yaml',
          '@@ -3,3 +3,3 @@',
          ' prod:',
          '-  fraud: { traffic: { "7": 100 } }',
          '+  fraud: { traffic: { "8": 100 } }',
          'wrote releases.yaml; review the diff, merge, and cdk deploy',
          '',
        ].join('\n'),
      );
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(dir, 'releases.yaml'), 'utf8')).toBe(release('{ "7": 90, "8": 10 }').replace('prod:\n  fraud: { traffic: { "7": 100 } }', 'prod:\n  fraud: { traffic: { "8": 100 } }'));
    });
  });

  it.each(PROVIDERS)('refuses version 8 when a %s run during its soak found a violation, naming the signal, the feature and the time', async (drifted) => {
    await withClouds(async (c) => {
      const dir = await soak(c, drifted);
      const r = await cli(['promote', 'fraud', '8', '--to', 'prod'], c, dir, NOW);
      const v = violation(drifted);
      expect(r.out.split('\n').filter((l) => l.includes('promotion.cleanSoak'))).toEqual(PROVIDERS.map((p) =>
        p === drifted
          ? `  FAIL  promotion.cleanSoak: version 8's soak in staging was not clean: ${p} monitor ${MONITOR[p].name} reported ${v.signal} on ${v.feature} at 2026-11-20T10:00:00.000Z (${v.detail})`
          : passLine(p),
      ));
      expect(r.code).toBe(1);
      expect(r.err).toBe('refused: 1 gate failed for fraud 8 → prod\n');
      expect(readFileSync(path.join(dir, 'releases.yaml'), 'utf8')).toBe(RELEASES);
    });
  });

  it.each(['vertex', 'azureml'] as const)('on %s, drift in version 7\'s traffic while 8 soaked beside it refuses 8 too: the gate judges the endpoint\'s traffic', async (drifted) => {
    await withClouds(async (c) => {
      const dir = await soak(c, drifted, '7');
      const r = await cli(['promote', 'fraud', '8', '--to', 'prod', '--dry-run'], c, dir, NOW);
      const v = violation(drifted, '7');
      expect(r.out).toContain(`  FAIL  promotion.cleanSoak: version 8's soak in staging was not clean: ${drifted} monitor ${MONITOR[drifted].name} reported ${v.signal} on ${v.feature} at 2026-11-20T10:00:00.000Z (${v.detail})\n`);
      expect(r.code).toBe(1);
    });
  });

  it('fails closed when a SageMaker run with violations has a report the CLI cannot read; mlspec status shows why', async () => {
    await withClouds(async (c) => {
      const dir = await soak(c);
      const { output } = c.sm.addMonitoringExecution({ schedule: 'acme-fraud-staging-drift', scheduledAt: at('12:00'), status: 'CompletedWithViolations', reports: REPORTS, violations: [] });
      // The reports are encrypted with the model's key: a user without kms:Decrypt on it is denied.
      c.sm.s3.denied.add(`${ENDPOINT}-capture/monitoring/reports/`);
      const why = `acme-fraud-staging-drift: the run of 2026-11-20T12:00:00.000Z completed with violations, but ${output}/constraint_violations.json could not be read: Access Denied`;
      let r = await cli(['promote', 'fraud', '8', '--to', 'prod', '--dry-run'], c, dir, NOW);
      expect(r.out).toContain(`  FAIL  promotion.cleanSoak: cannot read the sagemaker monitor in staging: ${why}; check your cloud credentials for that environment, or use --force --reason "..." where the environment is not protected\n`);
      expect(r.code).toBe(1);

      r = await cli(['status', '--env', 'staging'], c, dir);
      expect(r.out).toContain(`    sagemaker  acme-fraud-staging InService: 7: 90%, 8: 10% = releases.yaml 7: 90%, 8: 10%\n               monitor: cannot read it: ${why}\n`);
      // An unread monitor exits 1, as an unread endpoint does.
      expect(r.code).toBe(1);
    });
  });
});

describe('a Vertex monitoring run that failed, where its window left statistics without an anomaly', () => {
  it('status shows it failed (not "no anomalies"), and cleanSoak does not take it as a run that judged the traffic', async () => {
    const RELEASES = 'staging:\n  fraud: { traffic: { "8": 100 } }\nprod:\n  fraud: { traffic: { "7": 100 } }\n';
    const m = resolvePlan(loadProjectText(spec(true), 'mlspec.yaml', RELEASES), { environments: ['staging'] }).environments[0].models[0];
    await withClouds(async (c) => {
      const d = await deploy(c, m);
      for (const p of PROVIDERS) addRun(c, d, p, at('09:00'), false);
      addRun(c, d, 'vertex', at('10:00'), false);
      // latest_monitoring_pipeline_metadata: the 10:00 run's pipeline failed.
      c.vertex.monitoring.setLatestRun(d.vertexJob, at('10:00'), { code: 9, message: 'No prediction requests were logged in this window.' });
      const dir = workspace(spec(true), RELEASES);
      let r = await cli(['status', '--env', 'staging'], c, dir);
      expect(r.out).toContain('    vertex     acme-fraud-staging 1 deployed: 8: 100% = releases.yaml 8: 100%\n               monitor acme-fraud-staging-monitor JOB_STATE_RUNNING: last run 2026-11-20T10:00:00Z failed, ! 1 violation: monitoring run failed (No prediction requests were logged in this window.)\n');
      expect(r.code).toBe(1);

      r = await cli(['promote', 'fraud', '8', '--to', 'prod', '--dry-run'], c, dir, at('12:30'));
      expect(r.out).toContain("  FAIL  promotion.cleanSoak: version 8's soak in staging cannot be shown clean: vertex monitor acme-fraud-staging-monitor's run at 2026-11-20T10:00:00.000Z ended failed, so it judged nothing; fix the monitor and let the version soak again\n");
      expect(r.code).toBe(1);
    });
  });
});
