import { armRequest } from '../../../lib/providers/azureml/clients';
import { fakeClients, WS } from '../../providers/azureml/helpers';
import { FakeArm } from './arm';

/** The fake's workspace schedules refuse what the published specification and Azure's documentation refuse. */
describe('the fake ARM holds monitor schedules to the 2024-04-01 contract', () => {
  let fake: FakeArm;
  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
  });
  afterEach(() => fake.stop());

  const window = { inputDataType: 'Rolling', jobInputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/modelDataCollector/e1/blue/request', windowSize: 'P1D', windowOffset: 'P0D' };
  /** A minimal monitor: one data drift signal, serverless Spark, a daily recurrence. */
  const body = (edit: (props: any) => void = () => undefined) => {
    const props: any = {
      trigger: { triggerType: 'Recurrence', frequency: 'Day', interval: 1 },
      action: {
        actionType: 'CreateMonitor',
        monitorDefinition: {
          computeConfiguration: { computeType: 'ServerlessSpark', computeIdentity: { computeIdentityType: 'AmlToken' }, instanceType: 'standard_e4s_v3', runtimeVersion: '3.3' },
          monitoringTarget: { taskType: 'Classification' },
          signals: {
            drift: {
              signalType: 'DataDrift',
              productionData: window,
              referenceData: { inputDataType: 'Fixed', jobInputType: 'mltable', uri: 'azureml://datastores/data/paths/train/' },
              metricThresholds: [{ dataType: 'Numerical', metric: 'JensenShannonDistance', threshold: { value: 0.3 } }],
            },
          },
          alertNotificationSettings: { emailNotificationSettings: { emails: ['a@acme.com'] } },
        },
      },
    };
    edit(props);
    return { properties: props };
  };
  const put = (name: string, b: unknown, apiVersion?: string) => armRequest(fakeClients(fake), 'PUT', `${WS}/schedules/${name}`, b, apiVersion);

  it('creates (201, then Succeeded) with the published defaults filled in, updates (200), reads, and deletes (202, then 204)', async () => {
    await put('m1', body());
    expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.status)).toEqual([201]);
    const got = (await armRequest(fakeClients(fake), 'GET', `${WS}/schedules/m1`)).body!;
    expect(got).toEqual(expect.objectContaining({ id: `${WS}/schedules/m1`, name: 'm1', type: 'Microsoft.MachineLearningServices/workspaces/schedules' }));
    expect(got.properties).toEqual(expect.objectContaining({ isEnabled: true, provisioningState: 'Succeeded', trigger: { triggerType: 'Recurrence', frequency: 'Day', interval: 1, timeZone: 'UTC' } }));
    await put('m1', body((p) => (p.isEnabled = false)));
    expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.status)).toEqual([201, 200]);
    expect(fake.schedules.schedules.get('m1')!.properties.isEnabled).toBe(false);
    await armRequest(fakeClients(fake), 'DELETE', `${WS}/schedules/m1`);
    await armRequest(fakeClients(fake), 'DELETE', `${WS}/schedules/m1`);
    expect(fake.calls.filter((c) => c.method === 'DELETE').map((c) => c.status)).toEqual([202, 204]);
    await expect(armRequest(fakeClients(fake), 'GET', `${WS}/schedules/m1`)).rejects.toThrow('UserError: Schedule m1 not found.');
    await expect(armRequest(fakeClients(fake), 'PATCH', `${WS}/schedules/m1`, { properties: {} })).rejects.toThrow('MethodNotAllowed: PATCH is not an operation of schedules.');
  });

  it('refuses CreateMonitor at the SDK’s 2022-10-01, whose schedules know only CreateJob and InvokeBatchEndpoint', async () => {
    await expect(put('m1', body(), '2022-10-01')).rejects.toThrow("BadRequest: properties.action.actionType 'CreateMonitor' is not a known kind (api-version 2022-10-01)");
  });

  it('checks the body against ScheduleResource: required fields, enums, kinds, read-only fields, durations', async () => {
    await expect(put('m1', body((p) => delete p.action.monitorDefinition.computeConfiguration))).rejects.toThrow('BadRequest: properties.action.monitorDefinition.computeConfiguration is required (api-version 2024-04-01)');
    await expect(put('m1', body((p) => (p.action.monitorDefinition.signals.drift.productionData = { ...window, inputDataType: 'Trailing' })))).rejects.toThrow(
      "BadRequest: properties.action.monitorDefinition.signals.drift.productionData.inputDataType 'Trailing' is not a kind of MonitoringInputDataBase (api-version 2024-04-01)",
    );
    await expect(put('m1', body((p) => (p.action.monitorDefinition.signals.drift.metricThresholds[0].metric = 'PearsonsChiSquaredTest')))).rejects.toThrow(
      'BadRequest: properties.action.monitorDefinition.signals.drift.metricThresholds[0].metric must be one of JensenShannonDistance, PopulationStabilityIndex, NormalizedWassersteinDistance, TwoSampleKolmogorovSmirnovTest (api-version 2024-04-01)',
    );
    await expect(put('m1', body((p) => (p.action.monitorDefinition.monitoringTarget.taskType = 'QuestionAnswering')))).rejects.toThrow(
      'BadRequest: properties.action.monitorDefinition.monitoringTarget.taskType must be one of Classification, Regression (api-version 2024-04-01)',
    );
    await expect(put('m1', body((p) => (p.provisioningState = 'Succeeded')))).rejects.toThrow('BadRequest: properties.provisioningState is read-only (api-version 2024-04-01)');
    await expect(put('m1', body((p) => (p.action.monitorDefinition.signals.drift.productionData = { ...window, windowSize: '1 day' })))).rejects.toThrow(
      'BadRequest: properties.action.monitorDefinition.signals.drift.productionData.windowSize must be an ISO 8601 duration (format: duration), for example PT1H30M (api-version 2024-04-01)',
    );
    await expect(put('m1', body((p) => (p.action = { actionType: 'CreateJob', jobDefinition: {} })))).rejects.toThrow(
      "BadRequest: properties.action.actionType 'CreateJob': that kind of ScheduleActionBase is not among the fake's copied definitions of api-version 2024-04-01 (test/fakes/azureml/spec) (api-version 2024-04-01)",
    );
    await expect(put('m1', body((p) => (p.action.monitorDefinition.computeConfiguration.runtimeVersion = 'latest')))).rejects.toThrow(
      'BadRequest: properties.action.monitorDefinition.computeConfiguration.runtimeVersion must match the pattern ^[0-9]+\\.[0-9]+$ (api-version 2024-04-01)',
    );
  });

  it('enforces what Azure documents beyond the schema: Spark instance types, a five-field cron, 499 characters of emails, the name pattern', async () => {
    await expect(put('m1', body((p) => (p.action.monitorDefinition.computeConfiguration.instanceType = 'Standard_DS3_v2')))).rejects.toThrow(
      "UserError: properties.action.monitorDefinition.computeConfiguration.instanceType 'Standard_DS3_v2' is not one model monitoring runs on: Standard_E4s_v3, Standard_E8s_v3, Standard_E16s_v3, Standard_E32s_v3, Standard_E64s_v3",
    );
    await expect(put('m1', body((p) => (p.trigger = { triggerType: 'Cron', expression: '0 0 3 * * ?' })))).rejects.toThrow(
      "UserError: properties.trigger.expression '0 0 3 * * ?' must have five space-delimited fields: MINUTES HOURS DAYS MONTHS DAYS-OF-WEEK",
    );
    const emails = Array.from({ length: 25 }, (_, i) => `oncall-${i}@acme-fraud-detection.example.com`);
    await expect(put('m1', body((p) => (p.action.monitorDefinition.alertNotificationSettings.emailNotificationSettings.emails = emails)))).rejects.toThrow(
      `UserError: properties.action.monitorDefinition.alertNotificationSettings.emailNotificationSettings.emails take ${emails.join(',').length} characters; the limit is 499 in total`,
    );
    await expect(put('-m1', body())).rejects.toThrow("BadRequest: The schedule name '-m1' must match ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$: a letter or digit, then up to 254 letters, digits, '-' or '_'.");
    expect(fake.schedules.schedules.size).toBe(0);
  });

  it('gives a monitor runs as Azure leaves them: a Pipeline job named after the schedule, breaches tagged on MLflow runs', async () => {
    await expect(() => fake.schedules.addMonitorRun('m1', { at: '2026-11-20T00:00:00Z' })).toThrow('No schedule m1 (PUT it first)');
    await put('m1', body());
    const job = fake.schedules.addMonitorRun('m1', { at: '2026-11-20T00:05:00Z', status: 'Completed', breaches: [{ signal: 'drift', feature: 'amount', value: 0.4, threshold: 0.3 }] });
    const listed = (await armRequest(fakeClients(fake), 'GET', `${WS}/jobs?jobType=Pipeline`)).body!.value;
    expect(listed.map((j: any) => [j.name, j.properties.displayName, j.properties.status])).toEqual([[job, 'm1-202611200005', 'Completed']]);
    const step = fake.mlflow.runs.get(`${job}_drift_evaluate`)!;
    expect(step.tags.get('mlflow.rootRunId')).toBe(job);
    expect(step.tags.get('azureml_modelmonitor_threshold_breached')).toBe(
      'The signal \'drift\' has failed due to one or more features violating metric thresholds.\nThe feature names and their corresponding computed metric values violating the threshold are \n[\'{"group":"amount","metric_value":0.4,"metric_name":"JensenShannonDistance","threshold_value":0.3}\']\n',
    );
    // The schedule emails alerts, so the job's own run carries the breach and the addresses too (post_email_event).
    expect(fake.mlflow.runs.get(job)!.tags.get('azureml.modelmonitor.threshold.breached.drift')).toBe(step.tags.get('azureml_modelmonitor_threshold_breached'));
    expect(fake.mlflow.runs.get(job)!.tags.get('azureml.notification.email.address')).toBe('a@acme.com');
  });
});
