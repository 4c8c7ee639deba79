import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { onEvent } from '../../../lib/handlers/azureml';
import { resolvePlan, type AzureMlModelPlan } from '../../../lib/plan';
import { deleteAzureMlEndpoint, monitorScheduleBody, reconcileAzureMl, type AzureMlClients } from '../../../lib/providers/azureml';
import { AzureMlLiveState } from '../../../lib/providers/azureml/live';
import { violationsOf } from '../../../lib/providers/azureml/monitoring';
import { loadProjectText } from '../../../lib/spec';
import { FakeArm } from '../../fakes/azureml/arm';
import { breachMessage } from '../../fakes/azureml/schedules';
import { validateAgainstSpec } from '../../fakes/azureml/spec/validate';
import { fakeClients, WS } from './helpers';

/**
 * serving.monitoring on Azure ML (issue 12): the drift monitor as a workspace schedule, reconciled at
 * the end of the serving reconcile and read back for `mlspec status` and `promotion.cleanSoak`. Plans
 * come from the bundled example with a monitor added, through the real loader and resolvePlan.
 */

const ROOT = path.resolve(__dirname, '../../..');
const EXAMPLE = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
const target = { model: 'fraud-detector', environment: 'staging' };
const fast = { updateIntervalInMs: 5 };
const SCHEDULE = 'acme-fraud-detector-staging-monitor';
const EP = `${WS}/onlineEndpoints/acme-fraud-detector-staging`;

interface Monitor {
  schedule?: string;
  threshold?: number;
  features?: Record<string, number>;
  emails?: string[];
}

/** The example's fraud-detector with `serving.monitoring` under its `dataCapture: { percent: 20 }`. */
function specWith(m: Monitor): string {
  const features = Object.entries(m.features ?? { amount: 0.1, merchant_category: 0.2 }).map(([k, v]) => `${k}: ${v}`).join(', ');
  const emails = m.emails ?? ['ml-oncall@acme.com', 'fraud-team@acme.com'];
  const block = [
    '      monitoring:',
    `        schedule: "${m.schedule ?? 'daily'}"`,
    '        baseline: { sagemaker: s3://acme-data/fraud/train/, azureml: azureml://datastores/data/paths/fraud/train-mltable/ }',
    `        drift: { threshold: ${m.threshold ?? 0.3}, features: { ${features} } }`,
    `        alerts: { email: [${emails.join(', ')}] }`,
  ].join('\n');
  const anchor = '      dataCapture: { percent: 20 }\n';
  expect(EXAMPLE).toContain(anchor);
  return EXAMPLE.replace(anchor, `${anchor}${block}\n`);
}

/** The staging plan of fraud-detector on Azure ML, monitored as `m` says (or not at all). */
function plan(release: string, m: Monitor | null = {}): AzureMlModelPlan {
  const p = resolvePlan(loadProjectText(m ? specWith(m) : EXAMPLE, 'mlspec.yaml', `staging:\n  fraud-detector: ${release}\n`), { environments: ['staging'] });
  return p.environments[0].models.find((x) => x.name === 'fraud-detector')!.azureml!;
}

describe('the Azure ML drift monitor: a workspace schedule reconciled with the endpoint', () => {
  let fake: FakeArm;
  let clients: AzureMlClients;
  const schedule = () => fake.schedules.schedules.get(SCHEDULE) as any;
  const schedulePuts = () => fake.calls.filter((c) => c.method === 'PUT' && c.path.endsWith(`/schedules/${SCHEDULE}`));

  beforeEach(async () => {
    fake = new FakeArm();
    fake.now = () => Date.parse('2026-11-20T08:00:00Z');
    await fake.start();
    clients = fakeClients(fake);
  });
  afterEach(() => fake.stop());

  it('sends each field of the schedule as the 2024-04-01 specification defines it, from the plan', async () => {
    const p = plan('{ traffic: { "7": 90, "8": 10 } }');
    expect(p.serving!.monitoring).toEqual(expect.objectContaining({ trigger: { recurrence: { frequency: 'Day', interval: 1 } }, baselineUri: 'azureml://datastores/data/paths/fraud/train-mltable/', driftThreshold: 0.3 }));
    await reconcileAzureMl(p, target, clients, fast);
    // Raw, at 2024-04-01 (the SDK's 2022-10-01 has no CreateMonitor action), once; the fake checked the body against ScheduleResource.
    expect(schedulePuts().map((c) => c.apiVersion)).toEqual(['2024-04-01']);
    expect(validateAgainstSpec('2024-04-01', 'ScheduleResource', JSON.parse(JSON.stringify(monitorScheduleBody(p, target))))).toEqual([]);
    const props = schedule().properties;
    expect(props.provisioningState).toBe('Succeeded');
    expect(props.displayName).toBe('acme-fraud-detector drift monitor');
    expect(props.description).toBe('mlspec drift monitor of endpoint acme-fraud-detector-staging');
    expect(props.tags).toEqual({ 'managed-by': 'mlspec' });
    expect(props.isEnabled).toBe(true);
    // `daily` is the plan's recurrence; UTC is TriggerBase.timeZone's default, sent so a read-back compares equal.
    expect(props.trigger).toEqual({ triggerType: 'Recurrence', frequency: 'Day', interval: 1, timeZone: 'UTC' });
    expect(props.action.actionType).toBe('CreateMonitor');
    const def = props.action.monitorDefinition;
    // Serverless Spark: the smallest documented instance type, runtime 3.3, the schedule creator's AML token.
    expect(def.computeConfiguration).toEqual({ computeType: 'ServerlessSpark', computeIdentity: { computeIdentityType: 'AmlToken' }, instanceType: 'standard_e4s_v3', runtimeVersion: '3.3' });
    // The target: the deployment with the most traffic (v7, 90 %), by ARM id, and the model version it serves.
    expect(def.monitoringTarget).toEqual({ taskType: 'Classification', deploymentId: `${EP}/deployments/v7`, modelId: `${WS}/models/acme-fraud-detector/versions/7` });
    expect(def.alertNotificationSettings).toEqual({ emailNotificationSettings: { emails: ['ml-oncall@acme.com', 'fraud-team@acme.com'] } });
    // Per serving deployment: drift over all features, one signal per stricter feature threshold, prediction drift.
    expect(Object.keys(def.signals).sort()).toEqual(['data_drift_v7', 'data_drift_v7_1', 'data_drift_v7_2', 'data_drift_v8', 'data_drift_v8_1', 'data_drift_v8_2', 'prediction_drift_v7', 'prediction_drift_v8']);
    const jsd = (value: number) => [
      { dataType: 'Numerical', metric: 'JensenShannonDistance', threshold: { value } },
      { dataType: 'Categorical', metric: 'JensenShannonDistance', threshold: { value } },
    ];
    // Production data: what v7's data collector writes (payload logging's `request` collection), the last day of it.
    const requests = { inputDataType: 'Rolling', jobInputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/modelDataCollector/acme-fraud-detector-staging/v7/request', dataContext: 'model_inputs', windowSize: 'P1D', windowOffset: 'P0D' };
    const baseline = { inputDataType: 'Fixed', jobInputType: 'mltable', uri: 'azureml://datastores/data/paths/fraud/train-mltable/', dataContext: 'training' };
    expect(def.signals.data_drift_v7).toEqual({ signalType: 'DataDrift', productionData: requests, referenceData: baseline, features: { filterType: 'AllFeatures' }, metricThresholds: jsd(0.3), notificationTypes: ['AmlNotification'] });
    expect(def.signals.data_drift_v7_1).toEqual({ signalType: 'DataDrift', productionData: requests, referenceData: baseline, features: { filterType: 'FeatureSubset', features: ['amount'] }, metricThresholds: jsd(0.1), notificationTypes: ['AmlNotification'] });
    expect(def.signals.data_drift_v7_2.features).toEqual({ filterType: 'FeatureSubset', features: ['merchant_category'] });
    expect(def.signals.data_drift_v7_2.metricThresholds).toEqual(jsd(0.2));
    // Prediction drift: the `response` collection's last day against the week before it.
    const responses = { ...requests, uri: requests.uri.replace(/request$/, 'response'), dataContext: 'model_outputs' };
    expect(def.signals.prediction_drift_v7).toEqual({ signalType: 'PredictionDrift', productionData: responses, referenceData: { ...responses, windowSize: 'P7D', windowOffset: 'P1D' }, metricThresholds: jsd(0.3), notificationTypes: ['AmlNotification'] });
    expect(def.signals.data_drift_v8.productionData.uri).toBe('azureml://datastores/workspaceblobstore/paths/modelDataCollector/acme-fraud-detector-staging/v8/request');
    // What the monitor reads is what serving.ts collects: both collections on every deployment.
    expect(Object.keys((fake.deployments.get('acme-fraud-detector-staging/v8') as any).properties.dataCollector.collections)).toEqual(['request', 'response']);
  });

  it('turns a cron schedule into a CronTrigger and rate(N hours) into an N-hour recurrence; equal per-feature thresholds add no signal; no email, no notification', async () => {
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { schedule: 'cron(0 3 ? * * *)', features: { amount: 0.3 }, emails: [] }), target, clients, fast);
    const props = schedule().properties;
    expect(props.trigger).toEqual({ triggerType: 'Cron', expression: '0 3 * * *', timeZone: 'UTC' });
    expect(Object.keys(props.action.monitorDefinition.signals).sort()).toEqual(['data_drift_v7', 'prediction_drift_v7']);
    expect(props.action.monitorDefinition.signals.data_drift_v7.notificationTypes).toBeUndefined();
    expect(props.action.monitorDefinition.alertNotificationSettings).toBeUndefined();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { schedule: 'rate(6 hours)', emails: [] }), target, clients, fast);
    expect(schedule().properties.trigger).toEqual({ triggerType: 'Recurrence', frequency: 'Hour', interval: 6, timeZone: 'UTC' });
  });

  it('creates the schedule once; a second reconcile writes nothing; a changed threshold is one PUT of the schedule', async () => {
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast);
    expect(fake.count('PUT', /\/schedules\//)).toBe(1);
    fake.resetCounts();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast);
    expect(fake.writes).toBe(0);
    expect(fake.count('GET', /\/schedules\/acme-fraud-detector-staging-monitor$/)).toBe(1);
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { threshold: 0.25 }), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(schedulePuts().map((c) => c.status)).toEqual([200]);
    expect(schedule().properties.action.monitorDefinition.signals.data_drift_v7.metricThresholds[0].threshold).toEqual({ value: 0.25 });
    fake.resetCounts();
    // A per-feature threshold, an email and a new serving version each change the body: one PUT each.
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { threshold: 0.25, features: { amount: 0.05 } }), target, clients, fast);
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { threshold: 0.25, features: { amount: 0.05 }, emails: ['ml-oncall@acme.com'] }), target, clients, fast);
    expect(schedulePuts()).toHaveLength(2);
    expect(Object.keys(schedule().properties.action.monitorDefinition.signals).sort()).toEqual(['data_drift_v7', 'data_drift_v7_1', 'prediction_drift_v7']);
    // Removing the last email empties the notification settings on Azure: a difference, one PUT.
    fake.resetCounts();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { threshold: 0.25, features: { amount: 0.05 }, emails: [] }), target, clients, fast);
    expect(schedulePuts()).toHaveLength(1);
    expect(schedule().properties.action.monitorDefinition.alertNotificationSettings).toBeUndefined();
  });

  it('writes a schedule Azure left Failed again, though it reads the same', async () => {
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast);
    schedule().properties.provisioningState = 'Failed';
    fake.resetCounts();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(schedulePuts()).toHaveLength(1);
    expect(schedule().properties.provisioningState).toBe('Succeeded');
  });

  it('a schedule whose creation fails is reported in Azure’s words, and written again by the next reconcile', async () => {
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', null), target, clients, fast);
    fake.failOperation = { path: /\/schedules\/acme-fraud-detector-staging-monitor$/, code: 'UserError', message: 'Serverless Spark quota exceeded for Standard_E4s_v3.' };
    await expect(reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast)).rejects.toThrow(
      'azureml: fraud-detector in staging: create the drift monitor failed: UserError: Serverless Spark quota exceeded for Standard_E4s_v3.',
    );
    // What served before still serves; the schedule is left Failed, as Azure leaves it.
    expect((fake.endpoints.get('acme-fraud-detector-staging') as any).properties.traffic).toEqual({ v7: 100 });
    expect(schedule().properties.provisioningState).toBe('Failed');
    fake.resetCounts();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast);
    expect(schedulePuts().map((c) => c.status)).toEqual([200]);
    expect(schedule().properties.provisioningState).toBe('Succeeded');
  });

  it('a first deploy that fails at its monitor leaves nothing behind: no schedule, no endpoint', async () => {
    fake.failOperation = { path: /\/schedules\/acme-fraud-detector-staging-monitor$/, code: 'UserError', message: 'Serverless Spark quota exceeded for Standard_E4s_v3.' };
    await expect(reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast)).rejects.toThrow('create the drift monitor failed: UserError: Serverless Spark quota exceeded for Standard_E4s_v3.');
    expect(fake.schedules.schedules.size).toBe(0);
    expect(fake.endpoints.size).toBe(0);
  });

  it('deletes the schedule when serving.monitoring goes away, and then looks only', async () => {
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }'), target, clients, fast);
    fake.resetCounts();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', null), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.count('DELETE', /\/schedules\/acme-fraud-detector-staging-monitor$/)).toBe(1);
    expect(fake.schedules.schedules.size).toBe(0);
    fake.resetCounts();
    await reconcileAzureMl(plan('{ traffic: { "7": 100 } }', null), target, clients, fast);
    expect(fake.writes).toBe(0);
    expect(fake.calls.filter((c) => c.path.includes('/schedules/')).map((c) => [c.method, c.status])).toEqual([['GET', 404]]);
  });

  it('deleting the endpoint deletes its monitor first; a retried delete succeeds', async () => {
    const p = plan('{ traffic: { "7": 100 } }');
    await reconcileAzureMl(p, target, clients, fast);
    fake.resetCounts();
    await deleteAzureMlEndpoint(p, target, clients, fast);
    const deletes = fake.calls.filter((c) => c.method === 'DELETE' && !c.poll).map((c) => c.path.split('/').slice(-2).join('/'));
    expect(deletes).toEqual(['schedules/acme-fraud-detector-staging-monitor', 'autoscalesettings/acme-fraud-detector-staging-v7-autoscale', 'onlineEndpoints/acme-fraud-detector-staging']);
    expect(fake.schedules.schedules.size).toBe(0);
    expect(fake.endpoints.size).toBe(0);
    await expect(deleteAzureMlEndpoint(p, target, clients, fast)).resolves.toBeUndefined();
  });

  it('through the custom resource: Create deploys the monitor with the endpoint, Delete removes both, a protected Delete keeps both', async () => {
    const props = (p: AzureMlModelPlan, protectedEnv: boolean) => ({ ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:azureml', Plan: JSON.stringify(p), Model: 'fraud-detector', Environment: 'staging', Protected: String(protectedEnv), TenantId: 't', ClientId: 'c' });
    const deps = { clients: () => fakeClients(fake), options: fast };
    const p = plan('{ traffic: { "7": 100 } }');
    const created = await onEvent({ RequestType: 'Create', ResourceProperties: props(p, true) }, deps);
    expect(fake.schedules.schedules.has(SCHEDULE)).toBe(true);
    await onEvent({ RequestType: 'Delete', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: props(p, true) }, deps);
    expect([fake.schedules.schedules.size, fake.endpoints.size]).toEqual([1, 1]);
    await onEvent({ RequestType: 'Delete', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: props(p, false) }, deps);
    expect([fake.schedules.schedules.size, fake.endpoints.size]).toEqual([0, 0]);
  });

  it('stops before writing anything when a per-feature threshold is looser than the default, saying why', async () => {
    // Validation refuses this spec (test/spec/monitoring.test.ts); a plan made another way is refused here too.
    const valid = plan('{ traffic: { "7": 100 } }', { threshold: 0.3, features: { age: 0.1 } });
    const looser = { ...valid, serving: { ...valid.serving!, monitoring: { ...valid.serving!.monitoring!, featureThresholds: { amount: 0.5, age: 0.1 } } } };
    await expect(reconcileAzureMl(looser, target, clients, fast)).rejects.toThrow(
      'azureml: fraud-detector in staging: monitoring.drift.features.amount is 0.5, above drift.threshold 0.3; an Azure ML drift signal over all features cannot leave a feature out, so amount would still be flagged at 0.3. Set it to 0.3 or less, or raise drift.threshold',
    );
    // The registry is written before serving (reconcileModel), so count from the serving side: no endpoint, no schedule.
    expect(fake.endpoints.size).toBe(0);
    expect(fake.count('PUT', /\/schedules\//)).toBe(0);
  });

  it('stops before writing anything when the alert addresses pass Azure’s 499 characters, saying why', async () => {
    const emails = Array.from({ length: 20 }, (_, i) => `fraud-detector-oncall-${String(i).padStart(2, '0')}@acme.com`);
    await expect(reconcileAzureMl(plan('{ traffic: { "7": 100 } }', { emails }), target, clients, fast)).rejects.toThrow(
      "azureml: fraud-detector in staging: monitoring.alerts.email: Azure ML sends a monitor's alerts to at most 499 characters of addresses in total, and these 20 take 679 (joined by commas); send them to a distribution list",
    );
    expect(fake.endpoints.size).toBe(0);
  });
});

describe('the Azure ML drift monitor, read back for mlspec status and promotion.cleanSoak', () => {
  let fake: FakeArm;
  let live: AzureMlLiveState;
  const monitored = resolvePlan(loadProjectText(specWith({}), 'mlspec.yaml', 'staging:\n  fraud-detector: { traffic: { "7": 100 } }\n'), { environments: ['staging'] }).environments[0];
  const unmonitored = resolvePlan(loadProjectText(EXAMPLE, 'mlspec.yaml', 'staging:\n  fraud-detector: { traffic: { "7": 100 } }\n'), { environments: ['staging'] }).environments[0];
  const model = (env: typeof monitored) => env.models.find((m) => m.name === 'fraud-detector')!;

  beforeEach(async () => {
    fake = new FakeArm();
    fake.now = () => Date.parse('2026-11-20T08:00:00Z');
    await fake.start();
    live = new AzureMlLiveState(() => fakeClients(fake));
  });
  afterEach(() => fake.stop());

  it('has nothing to report where the plan has no monitor, or the schedule is not deployed', async () => {
    expect(await live.monitoring(unmonitored, model(unmonitored))).toBeUndefined();
    expect(await live.monitoring(monitored, model(monitored))).toBeUndefined();
  });

  it('reports the schedule’s state and its runs newest first, with the violations Azure’s monitoring jobs recorded', async () => {
    await reconcileAzureMl(model(monitored).azureml!, target, fakeClients(fake), fast);
    fake.schedules.addMonitorRun(SCHEDULE, { at: '2026-11-18T00:05:00Z', status: 'Failed' });
    fake.schedules.addMonitorRun(SCHEDULE, { at: '2026-11-19T00:05:00Z' });
    fake.schedules.addMonitorRun(SCHEDULE, {
      at: '2026-11-20T00:05:00Z',
      breaches: [
        { signal: 'data_drift_v7_1', feature: 'amount', value: 0.41, threshold: 0.1 },
        { signal: 'prediction_drift_v7', feature: '0', value: 0.35, threshold: 0.3 },
      ],
    });
    // Another pipeline's job in the workspace is not one of the monitor's runs.
    fake.jobs.set('nightly-etl', { id: `${WS}/jobs/nightly-etl`, name: 'nightly-etl', properties: { jobType: 'Pipeline', displayName: 'nightly-etl', experimentName: 'etl', status: 'Completed' }, systemData: { createdAt: '2026-11-20T01:00:00Z' } });
    const report = await live.monitoring(monitored, model(monitored));
    expect(report).toEqual({
      monitor: SCHEDULE,
      state: 'Enabled',
      runs: [
        {
          at: new Date('2026-11-20T00:05:00Z'),
          status: 'Completed',
          violations: [
            { signal: 'data drift', feature: 'amount', detail: 'JensenShannonDistance 0.41 > 0.1 (signal data_drift_v7_1)' },
            { signal: 'prediction drift', feature: '0', detail: 'JensenShannonDistance 0.35 > 0.3 (signal prediction_drift_v7)' },
          ],
        },
        { at: new Date('2026-11-19T00:05:00Z'), status: 'Completed', violations: [] },
        { at: new Date('2026-11-18T00:05:00Z'), status: 'Failed', violations: [] },
      ],
    });
    // One MLflow search for the monitor's experiment finds every breach; the job's own run carries them too (emails set), counted once.
    expect(fake.calls.filter((c) => c.path.endsWith('/runs/search'))).toHaveLength(1);
    const since = await live.monitoring(monitored, model(monitored), new Date('2026-11-19T00:00:00Z'));
    expect(since!.runs.map((r) => r.at.toISOString())).toEqual(['2026-11-20T00:05:00.000Z', '2026-11-19T00:05:00.000Z']);
  });

  it('takes a run whose MLflow experiment does not exist as one without violations, and fails on any other MLflow error', async () => {
    await reconcileAzureMl(model(monitored).azureml!, target, fakeClients(fake), fast);
    fake.jobs.set('early', { id: `${WS}/jobs/early`, name: 'early', properties: { jobType: 'Pipeline', displayName: `${SCHEDULE}-202611200005`, experimentName: 'never-logged', status: 'Failed' }, systemData: { createdAt: '2026-11-20T00:05:00Z' } });
    expect((await live.monitoring(monitored, model(monitored)))!.runs).toEqual([{ at: new Date('2026-11-20T00:05:00Z'), status: 'Failed', violations: [] }]);
    fake.schedules.addMonitorRun(SCHEDULE, { at: '2026-11-20T01:05:00Z' });
    fake.faults.push({ method: 'POST', path: /\/runs\/search$/, status: 500, times: 10 });
    await expect(live.monitoring(monitored, model(monitored))).rejects.toThrow(
      'azureml: fraud-detector in staging: read the violations of acme-fraud-detector-staging-monitor from MLflow failed: InternalServerError: injected 500',
    );
  });

  it('says Disabled, and a provisioning state other than Succeeded', async () => {
    await reconcileAzureMl(model(monitored).azureml!, target, fakeClients(fake), fast);
    const schedule = fake.schedules.schedules.get(SCHEDULE) as any;
    schedule.properties.isEnabled = false;
    expect((await live.monitoring(monitored, model(monitored)))!.state).toBe('Disabled');
    schedule.properties.provisioningState = 'Failed';
    expect(await live.monitoring(monitored, model(monitored))).toEqual({ monitor: SCHEDULE, state: 'Disabled (Failed)', runs: [] });
  });

  it('fails, saying where it looked, when the workspace gives no MLflow tracking URI to read violations from', async () => {
    await reconcileAzureMl(model(monitored).azureml!, target, fakeClients(fake), fast);
    fake.schedules.addMonitorRun(SCHEDULE, { at: '2026-11-20T00:05:00Z' });
    fake.mlflowTrackingUri = null;
    await expect(live.monitoring(monitored, model(monitored))).rejects.toThrow(
      "azureml: fraud-detector in staging: read the violations of acme-fraud-detector-staging-monitor from MLflow failed: workspace acme-staging gives no mlFlowTrackingUri, where Azure ML's monitoring jobs record their violations",
    );
  });

  it('reads Azure’s breach message: each row a violation; a message without rows is one violation in its own words', () => {
    expect(violationsOf(breachMessage('data_drift_v8', [{ signal: 'data_drift_v8', feature: 'country', value: 0.52, threshold: 0.3 }]))).toEqual([
      { signal: 'data drift', feature: 'country', detail: 'JensenShannonDistance 0.52 > 0.3 (signal data_drift_v8)' },
    ]);
    expect(violationsOf("The signal 'custom_signal' has failed due to one or more features violating metric thresholds.\nThe feature names ... are \n[]\n")).toEqual([
      { signal: 'custom_signal', detail: "The signal 'custom_signal' has failed due to one or more features violating metric thresholds." },
    ]);
  });
});
