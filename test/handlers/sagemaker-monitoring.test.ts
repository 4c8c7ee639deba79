import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { DescribeProcessingJobCommand } from '@aws-sdk/client-sagemaker';
import { isBaselineComplete, isStagedComplete, onBaselineEvent, onEvent, onStagedEvent, type BaselineEvent } from '../../lib/handlers/sagemaker';
import { resolvePlan } from '../../lib/plan';
import { applyThresholds, MAX_BASELINE_ATTEMPTS, monitorNames, parseS3, type BaselineJob, type MonitoringBaselineProperties } from '../../lib/providers/sagemaker/monitoring';
import { SageMakerLiveState } from '../../lib/providers/sagemaker/live';
import { validateProject } from '../../lib/spec';
import { FakeSageMaker } from '../fakes/sagemaker/server';
import { baseReleases, baseSpec, mutate } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const JOB_NAME = 'acme-fraud-dev-0123456789';
const CAPTURE = 'acme-fraud-dev-capture';
const OUTPUT = `s3://${CAPTURE}/monitoring/baseline`;
const JOB: BaselineJob = {
  BaselineUri: 's3://acme-data/fraud/train/',
  OutputUri: OUTPUT,
  RoleArn: 'arn:aws:iam::111111111111:role/acme-fraud-dev-monitor',
  ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
  KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/0b2a5e34-1d6c-4a55-9d1f-1f3a6c0e9d11',
  InstanceType: 'ml.m5.xlarge',
  VolumeSizeInGB: 20,
  MaxRuntimeInSeconds: 3000,
  DatasetFormat: { csv: { header: true, output_columns_position: 'START' } },
};

/** What the baselining job suggests (Model Monitor guide, "Schema for Constraints"). */
const SUGGESTED = {
  version: 0.0,
  features: [
    { name: 'amount', inferred_type: 'Fractional', completeness: 1.0, num_constraints: { is_non_negative: true } },
    { name: 'merchant_country', inferred_type: 'String', completeness: 1.0, string_constraints: { domains: ['DE', 'FR', 'US'] } },
    { name: 'hour', inferred_type: 'Integral', completeness: 1.0, num_constraints: { is_non_negative: true } },
  ],
  monitoring_config: {
    evaluate_constraints: 'Enabled',
    emit_metrics: 'Enabled',
    datatype_check_threshold: 1.0,
    domain_content_threshold: 1.0,
    distribution_constraints: { perform_comparison: 'Enabled', comparison_threshold: 0.1, comparison_method: 'Robust', categorical_comparison_threshold: 0.1, categorical_drift_method: 'LInfinity' },
  },
};
const STATISTICS = { version: 0.0, dataset: { item_count: 1000 }, features: [{ name: 'amount', inferred_type: 'Fractional', numerical_statistics: { common: { num_present: 1000, num_missing: 0 }, mean: 42 } }] };

function props(thresholds: object = { default: 0.3, features: { amount: 0.2 } }, job: Partial<BaselineJob> = {}): MonitoringBaselineProperties & { ServiceToken: string } {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:mlspec-acme-dev-rollout-provider',
    Kind: 'MonitoringBaseline',
    JobName: JOB_NAME,
    Job: JSON.stringify({ ...JOB, ...job }),
    Thresholds: JSON.stringify(thresholds),
  };
}

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(() => jest.restoreAllMocks());

describe('Kind MonitoringBaseline behind the staged-rollout Provider framework: the baselining job', () => {
  let sm: FakeSageMaker;
  let responses: http.Server;
  let responseUrl = '';
  const answers: Record<string, any>[] = [];
  const deps = () => ({ clients: () => sm.clients(), s3: () => sm.s3Client() });

  function request(type: BaselineEvent['RequestType'], p = props(), requestId = 'req-1', old?: MonitoringBaselineProperties): BaselineEvent {
    return {
      RequestType: type, RequestId: requestId, ResponseURL: responseUrl, StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/acme-fraud-dev/1', LogicalResourceId: 'MonitoringBaseline',
      PhysicalResourceId: type === 'Create' ? undefined : JOB_NAME, ResourceProperties: p, OldResourceProperties: old,
    };
  }
  /** onEvent, then the framework's isComplete input: the request plus onEvent's answer. */
  async function start(event: BaselineEvent) {
    const out = await onStagedEvent(event as never, deps());
    return { out, look: { ...event, ...out } as BaselineEvent };
  }
  const creates = (from = 0) => sm.writes(from).filter((c) => c === 'SageMaker.CreateProcessingJob');

  beforeEach(async () => {
    answers.length = 0;
    sm = new FakeSageMaker();
    sm.s3.buckets.add(CAPTURE);
    responses = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        answers.push({ method: req.method, ...JSON.parse(body) });
        res.writeHead(200).end();
      });
    });
    await Promise.all([sm.start(), new Promise<void>((r) => responses.listen(0, '127.0.0.1', r))]);
    responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/cloudformation-response`;
  });
  afterEach(async () => {
    await new Promise((r) => responses.close(r));
    await sm.stop();
  });

  it('a Create starts one baselining job, as the SDK\'s suggest_baseline runs it, and a retried Create starts none', async () => {
    const { out } = await start(request('Create'));
    expect(out).toEqual({ PhysicalResourceId: JOB_NAME, Data: { JobName: JOB_NAME } });
    expect(creates()).toEqual(['SageMaker.CreateProcessingJob']);
    const { sagemaker } = sm.clients();
    const job = await sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: JOB_NAME }));
    expect(job).toEqual(expect.objectContaining({
      ProcessingJobStatus: 'InProgress',
      RoleArn: JOB.RoleArn,
      AppSpecification: { ImageUri: JOB.ImageUri },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 20, VolumeKmsKeyId: JOB.KmsKeyId } },
      ProcessingInputs: [{ InputName: 'baseline_dataset_input', S3Input: { S3Uri: 's3://acme-data/fraud/train/', LocalPath: '/opt/ml/processing/input/baseline_dataset_input', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } }],
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'monitoring_output', S3Output: { S3Uri: `${OUTPUT}/${JOB_NAME}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }], KmsKeyId: JOB.KmsKeyId },
      StoppingCondition: { MaxRuntimeInSeconds: 3000 },
      Environment: {
        dataset_format: '{"csv":{"header":true,"output_columns_position":"START"}}',
        dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
        output_path: '/opt/ml/processing/output',
        publish_cloudwatch_metrics: 'Disabled',
      },
      NetworkConfig: { EnableInterContainerTrafficEncryption: true },
    }));
    sagemaker.destroy();

    // CloudFormation (or Lambda) sends the same event again: the job is found, none is started.
    const again = sm.calls.length;
    expect((await start(request('Create'))).out).toEqual({ PhysicalResourceId: JOB_NAME, Data: { JobName: JOB_NAME } });
    expect(creates(again)).toEqual([]);
  });

  it('isComplete is false while the job runs; when it completed, the constraints carry the spec\'s thresholds, beside the job\'s own files', async () => {
    const { look } = await start(request('Create'));
    expect(await isStagedComplete(look as never, deps())).toEqual({ IsComplete: false });
    expect(await isStagedComplete(look as never, deps())).toEqual({ IsComplete: false });
    sm.finishProcessingJob(JOB_NAME, { status: 'Completed', files: { 'statistics.json': STATISTICS, 'constraints.json': SUGGESTED } });
    const done = await isStagedComplete(look as never, deps());
    expect(done).toEqual({
      IsComplete: true,
      Data: { JobName: JOB_NAME, StatisticsUri: `${OUTPUT}/${JOB_NAME}/statistics.json`, ConstraintsUri: expect.stringMatching(new RegExp(`^${OUTPUT}/${JOB_NAME}/mlspec-constraints-[0-9a-f]{10}\\.json$`)) },
    });
    const written = sm.s3.json(done.Data!.ConstraintsUri);
    expect(written.monitoring_config).toEqual({
      ...SUGGESTED.monitoring_config,
      distribution_constraints: { ...SUGGESTED.monitoring_config.distribution_constraints, comparison_threshold: 0.3, categorical_comparison_threshold: 0.3 },
    });
    expect(written.features[0].monitoringConfigOverrides).toEqual({ distribution_constraints: { comparison_threshold: 0.2, categorical_comparison_threshold: 0.2 } });
    expect(written.features[1].monitoringConfigOverrides).toBeUndefined();
    // SageMaker's own suggestion stays as it was.
    expect(sm.s3.json(`${OUTPUT}/${JOB_NAME}/constraints.json`)).toEqual(SUGGESTED);
    expect(answers).toEqual([]);
    // Looking again writes the same file and starts nothing.
    const from = sm.calls.length;
    expect(await isStagedComplete(look as never, deps())).toEqual(done);
    expect(sm.writes(from)).toEqual([]);
  });

  it('a job that failed fails the deploy with SageMaker\'s reason, answered at the ResponseURL; the next deploy tries again as <name>-2, once', async () => {
    const { look } = await start(request('Create'));
    const reason = 'AlgorithmError: Error: Encoding mismatch: Encoding is UTF-8 for more than 99% of the dataset records';
    sm.finishProcessingJob(JOB_NAME, { status: 'Failed', failureReason: reason });
    const message = `baselining job ${JOB_NAME} failed: ${reason}`;
    await expect(isStagedComplete(look as never, deps())).rejects.toThrow(message);
    expect(answers).toEqual([{
      method: 'PUT', Status: 'FAILED', Reason: message, PhysicalResourceId: JOB_NAME,
      StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/acme-fraud-dev/1', RequestId: 'req-1', LogicalResourceId: 'MonitoringBaseline',
    }]);

    // The stack rolled back; the user fixed the data and deploys again: a new attempt, started once.
    const from = sm.calls.length;
    const retry = await start(request('Create', props(), 'req-2'));
    expect(retry.out).toEqual({ PhysicalResourceId: JOB_NAME, Data: { JobName: `${JOB_NAME}-2` } });
    await start(request('Create', props(), 'req-2'));
    expect(creates(from)).toEqual(['SageMaker.CreateProcessingJob']);
    sm.finishProcessingJob(`${JOB_NAME}-2`, { status: 'Completed', files: { 'statistics.json': STATISTICS, 'constraints.json': SUGGESTED } });
    expect((await isStagedComplete(retry.look as never, deps())).Data).toEqual(expect.objectContaining({ JobName: `${JOB_NAME}-2`, StatisticsUri: `${OUTPUT}/${JOB_NAME}-2/statistics.json` }));
  });

  it('a stopped job (its 50 minutes ran out) fails the deploy too', async () => {
    const { look } = await start(request('Create'));
    sm.finishProcessingJob(JOB_NAME, { status: 'Stopped', failureReason: 'MaxRuntimeExceeded: the job ran longer than MaxRuntimeInSeconds' });
    await expect(isBaselineComplete(look, deps())).rejects.toThrow(`baselining job ${JOB_NAME} was stopped: MaxRuntimeExceeded: the job ran longer than MaxRuntimeInSeconds`);
  });

  it('thresholds for a feature the training data lacks fail the deploy, naming the features it has', async () => {
    const { look } = await start(request('Create', props({ default: 0.3, features: { amount: 0.2, amont: 0.1 } })));
    sm.finishProcessingJob(JOB_NAME, { status: 'Completed', files: { 'statistics.json': STATISTICS, 'constraints.json': SUGGESTED } });
    const message = 'monitoring.drift.features names amont, which the baseline of s3://acme-data/fraud/train/ does not have (its features: amount, merchant_country, hour); name columns of the training data';
    await expect(isStagedComplete(look as never, deps())).rejects.toThrow(message);
    expect(answers.map((a) => a.Reason)).toEqual([message]);
  });

  it('new thresholds are an update in place: the finished job is taken as it is, and the constraints get a file of their own', async () => {
    const first = await start(request('Create'));
    sm.finishProcessingJob(JOB_NAME, { status: 'Completed', files: { 'statistics.json': STATISTICS, 'constraints.json': SUGGESTED } });
    const before = (await isStagedComplete(first.look as never, deps())).Data!;
    const from = sm.calls.length;
    const update = await start(request('Update', props({ default: 0.25, features: {} }), 'req-2', props()));
    expect(update.out).toEqual({ PhysicalResourceId: JOB_NAME, Data: { JobName: JOB_NAME } });
    expect(creates(from)).toEqual([]);
    const after = (await isStagedComplete(update.look as never, deps())).Data!;
    expect(after.ConstraintsUri).not.toBe(before.ConstraintsUri);
    expect(sm.s3.json(after.ConstraintsUri).monitoring_config.distribution_constraints.comparison_threshold).toBe(0.25);
    expect(sm.s3.json(before.ConstraintsUri).monitoring_config.distribution_constraints.comparison_threshold).toBe(0.3);
  });

  it('a Delete deletes nothing (SageMaker keeps the job, the capture bucket the files)', async () => {
    await start(request('Create'));
    const from = sm.calls.length;
    const s3From = sm.s3.calls.length;
    const out = await onStagedEvent(request('Delete') as never, deps());
    expect(out).toEqual({ PhysicalResourceId: JOB_NAME });
    expect(await isStagedComplete({ ...request('Delete'), ...out } as never, deps())).toEqual({ IsComplete: true });
    expect(sm.calls.slice(from)).toEqual([]);
    expect(sm.s3.calls.slice(s3From)).toEqual([]);
  });

  it(`stops retrying after ${MAX_BASELINE_ATTEMPTS} failed attempts, with the last reason`, async () => {
    for (let n = 1; n <= MAX_BASELINE_ATTEMPTS; n++) {
      const { out } = await start(request('Create', props(), `req-${n}`));
      sm.finishProcessingJob(out.Data!.JobName, { status: 'Failed', failureReason: `ClientError: attempt ${n}` });
    }
    await expect(onBaselineEvent(request('Create', props(), 'req-11'), deps())).rejects.toThrow(
      `${MAX_BASELINE_ATTEMPTS} baselining jobs of ${JOB_NAME} failed or were stopped (the last: ${JOB_NAME}-${MAX_BASELINE_ATTEMPTS} Failed: ClientError: attempt ${MAX_BASELINE_ATTEMPTS}); SageMaker keeps job names, so fix the cause (the training data at s3://acme-data/fraud/train/, its format, the monitoring role's access) and give the baseline another location to start anew`,
    );
  });

  it('SageMaker refusing the job (access, limits) fails onEvent with its words', async () => {
    sm.faults.set('CreateProcessingJob', { type: 'AccessDeniedException', message: `User: arn:aws:sts::111111111111:assumed-role/mlspec-acme-dev-rollout/x is not authorized to perform: iam:PassRole on resource: ${JOB.RoleArn}` });
    await expect(onStagedEvent(request('Create') as never, deps())).rejects.toThrow(`is not authorized to perform: iam:PassRole on resource: ${JOB.RoleArn}`);
  });

  it('malformed properties and a look without onEvent\'s answer are refused with what is wrong', async () => {
    await expect(onBaselineEvent(request('Create', props(undefined, { RoleArn: '' })), deps())).rejects.toThrow(`${JOB_NAME}: Job.RoleArn must be a non-empty string`);
    await expect(onBaselineEvent(request('Create', props({ default: '0.3' })), deps())).rejects.toThrow(`${JOB_NAME}: Thresholds must be {"default": <number>, "features": {<name>: <number>}}`);
    await expect(isBaselineComplete(request('Create'), deps())).rejects.toThrow(`${JOB_NAME}: isComplete needs onEvent's Data.JobName, the attempt it started`);
    await expect(isBaselineComplete({ ...request('Create'), Data: { JobName: 'acme-fraud-dev-gone' } }, deps())).rejects.toThrow("baselining job acme-fraud-dev-gone is not in SageMaker (it was started by this deploy's first event); deploy again to start it anew");
  });

  it('the direct-invoke path refuses the Kind with a pointer to the Provider framework entry points', async () => {
    await expect(onEvent({ RequestType: 'Create', ResourceProperties: props() as never }, deps()))
      .rejects.toThrow('Kind MonitoringBaseline runs behind the CDK Provider framework: its onEvent is index.onStagedEvent and its isComplete index.isStagedComplete');
  });
});

describe('the thresholds in the constraints file', () => {
  it('sets the default and per-feature thresholds, and switches comparison and metrics on', () => {
    const off = mutate(SUGGESTED, (c) => {
      c.monitoring_config.emit_metrics = 'Disabled';
      c.monitoring_config.distribution_constraints.perform_comparison = 'Disabled';
      c.features[2].monitoringConfigOverrides = { evaluate_constraints: 'Enabled' };
    });
    const { constraints, unknown, features } = applyThresholds(off, { default: 0.4, features: { hour: 0.5 } });
    expect(constraints.monitoring_config).toEqual(expect.objectContaining({ evaluate_constraints: 'Enabled', emit_metrics: 'Enabled' }));
    expect(constraints.monitoring_config.distribution_constraints).toEqual(expect.objectContaining({ perform_comparison: 'Enabled', comparison_threshold: 0.4, categorical_comparison_threshold: 0.4 }));
    expect(constraints.features[2].monitoringConfigOverrides).toEqual({ evaluate_constraints: 'Enabled', distribution_constraints: { comparison_threshold: 0.5, categorical_comparison_threshold: 0.5 } });
    expect([unknown, features]).toEqual([[], ['amount', 'merchant_country', 'hour']]);
    // The input is not changed.
    expect(off.monitoring_config.emit_metrics).toBe('Disabled');
  });
});

describe('the bundled handler baselines with its own default clients (dist/handlers/sagemaker)', () => {
  const saved = { ...process.env };
  let sm: FakeSageMaker;
  beforeEach(async () => {
    sm = new FakeSageMaker();
    sm.s3.buckets.add(CAPTURE);
    await sm.start();
    // Lambda's credentials and region; a service-specific endpoint for each client (S3 goes path-style to an IP address).
    Object.assign(process.env, { AWS_ENDPOINT_URL_SAGEMAKER: sm.url, AWS_ENDPOINT_URL_S3: sm.url, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_REGION: 'us-east-1' });
  });
  afterEach(async () => {
    process.env = { ...saved };
    await sm.stop();
  });

  it('index.onStagedEvent starts the job and index.isStagedComplete writes the constraints through the real S3 client', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(path.join(ROOT, 'dist/handlers/sagemaker/index.js')) as typeof import('../../lib/handlers/sagemaker');
    const event = { RequestType: 'Create', RequestId: 'r', ResourceProperties: props() } as never;
    const out = await bundle.onStagedEvent(event);
    sm.finishProcessingJob(JOB_NAME, { status: 'Completed', files: { 'statistics.json': STATISTICS, 'constraints.json': SUGGESTED } });
    const done = await bundle.isStagedComplete({ ...(event as object), ...out } as never);
    expect(done.IsComplete).toBe(true);
    expect(sm.s3.json(done.Data!.ConstraintsUri).monitoring_config.distribution_constraints.comparison_threshold).toBe(0.3);
  });
});

// ------------------------------------------------------------------ the live report

describe('SageMaker LiveState.monitoring: the schedule and its runs, against the fake (real SDK clients)', () => {
  const monitored = mutate(baseSpec(), (s) => {
    s.models.fraud.serving.dataCapture = { percent: 20 };
    s.models.fraud.serving.monitoring = { schedule: 'hourly', baseline: { sagemaker: 's3://acme-data/fraud/train/' }, drift: { threshold: 0.3, features: { amount: 0.2 } }, alerts: { email: ['ml-oncall@acme.com'] } };
  });
  const plan = resolvePlan(validateProject(monitored, baseReleases()));
  const dev = plan.environments[0];
  const fraud = dev.models[0];
  const SCHEDULE = monitorNames(fraud.sagemaker!.serving!.endpointName).schedule;
  const REPORTS = `s3://${CAPTURE}/monitoring/reports`;
  const HOUR = 3600_000;
  const T0 = Date.UTC(2026, 10, 24, 0);
  let sm: FakeSageMaker;
  let live: SageMakerLiveState;
  const regions: string[] = [];

  beforeEach(async () => {
    sm = new FakeSageMaker();
    sm.s3.buckets.add(CAPTURE);
    await sm.start();
    regions.length = 0;
    live = new SageMakerLiveState(() => sm.clients().sagemaker, (region) => {
      regions.push(region);
      return sm.s3Client();
    });
  });
  afterEach(() => sm.stop());

  const drift = { feature_name: 'amount', constraint_check_type: 'baseline_drift_check', description: 'Baseline drift distance: 0.41 exceeds threshold: 0.2' };
  const completeness = { feature_name: 'merchant_country', constraint_check_type: 'completeness_check', description: 'Data completeness: 0.83 is below the baseline completeness: 1.0' };

  it('is undefined when the plan has no monitor (nothing asked) or the schedule is not deployed', async () => {
    const unmonitored = resolvePlan(validateProject(baseSpec(), baseReleases()));
    expect(await live.monitoring(unmonitored.environments[0], unmonitored.environments[0].models[0])).toBeUndefined();
    expect(sm.calls).toEqual([]);
    expect(SCHEDULE).toBe('acme-fraud-dev-drift');
    expect(await live.monitoring(dev, fraud)).toBeUndefined();
  });

  it('reports the schedule\'s state and its runs newest first, each with the violations of its constraint_violations.json', async () => {
    sm.addMonitoringSchedule(SCHEDULE, { endpointName: 'acme-fraud-dev' });
    sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0), status: 'Completed', reports: REPORTS, violations: [] });
    sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0 + HOUR), status: 'CompletedWithViolations', reports: REPORTS, violations: [drift, completeness] });
    sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0 + 2 * HOUR), status: 'Failed', reports: REPORTS, failureReason: 'Job inputs had no data' });
    sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0 + 3 * HOUR), status: 'Pending' });
    const report = await live.monitoring(dev, fraud);
    expect(report).toEqual({
      monitor: 'acme-fraud-dev-drift',
      state: 'Scheduled',
      runs: [
        { at: new Date(T0 + 3 * HOUR), status: 'Pending', violations: [] },
        { at: new Date(T0 + 2 * HOUR), status: 'Failed', violations: [] },
        {
          at: new Date(T0 + HOUR), status: 'CompletedWithViolations', violations: [
            { signal: 'data drift', feature: 'amount', detail: 'Baseline drift distance: 0.41 exceeds threshold: 0.2' },
            { signal: 'completeness_check', feature: 'merchant_country', detail: 'Data completeness: 0.83 is below the baseline completeness: 1.0' },
          ],
        },
        { at: new Date(T0), status: 'Completed', violations: [] },
      ],
    });
    // The report of a clean run is not read; S3 is asked in the model's region.
    expect(sm.s3.calls).toEqual([`GET ${CAPTURE}/monitoring/reports/acme-fraud-dev/acme-fraud-dev-drift/2026/11/24/01/constraint_violations.json`]);
    expect(regions).toEqual([fraud.sagemaker!.region]);
  });

  it('keeps the runs scheduled after `since`, across pages of 100', async () => {
    sm.addMonitoringSchedule(SCHEDULE, { status: 'Scheduled' });
    for (let h = 0; h < 150; h++) sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0 + h * HOUR), status: 'Completed' });
    sm.addMonitoringSchedule('acme-other-dev-drift');
    sm.addMonitoringExecution({ schedule: 'acme-other-dev-drift', scheduledAt: new Date(T0 + 149 * HOUR), status: 'CompletedWithViolations' });
    const all = await live.monitoring(dev, fraud);
    expect(all!.runs).toHaveLength(150);
    const since = await live.monitoring(dev, fraud, new Date(T0 + 139 * HOUR));
    expect(since!.runs.map((r) => r.at.getTime())).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (149 - i) * HOUR));
    expect(sm.calls.filter((c) => c === 'SageMaker.ListMonitoringExecutions')).toHaveLength(3);
  });

  it('fails, saying which run, when a run with violations has no readable report (a gate reading it fails closed)', async () => {
    sm.addMonitoringSchedule(SCHEDULE, { endpointName: 'acme-fraud-dev' });
    const { output } = sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0), status: 'CompletedWithViolations', reports: REPORTS });
    await expect(live.monitoring(dev, fraud)).rejects.toThrow(`acme-fraud-dev-drift: the run of 2026-11-24T00:00:00.000Z completed with violations, but ${output}/constraint_violations.json could not be read: The specified key does not exist.`);
    sm.s3.put(`${output}/constraint_violations.json`, { violations: [drift] });
    sm.s3.denied.add(`${CAPTURE}/monitoring/reports/`);
    await expect(live.monitoring(dev, fraud)).rejects.toThrow(`acme-fraud-dev-drift: the run of 2026-11-24T00:00:00.000Z completed with violations, but ${output}/constraint_violations.json could not be read: Access Denied`);
    sm.s3.denied.clear();
    sm.s3.put(`${output}/constraint_violations.json`, { findings: [] });
    await expect(live.monitoring(dev, fraud)).rejects.toThrow(`acme-fraud-dev-drift: the run of 2026-11-24T00:00:00.000Z completed with violations, but ${output}/constraint_violations.json holds no "violations" list`);
  });

  it('says so when SageMaker names no processing job for a run with violations, or its job has no S3 output, or the report is not JSON', async () => {
    sm.addMonitoringSchedule(SCHEDULE, { endpointName: 'acme-fraud-dev' });
    sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0), status: 'CompletedWithViolations' });
    await expect(live.monitoring(dev, fraud)).rejects.toThrow('acme-fraud-dev-drift: the run of 2026-11-24T00:00:00.000Z completed with violations, and SageMaker names no processing job for it');
    sm.monitoringExecutions.length = 0;
    const { processingJobName, output } = sm.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0), status: 'CompletedWithViolations', reports: REPORTS, violations: [drift] });
    sm.s3.put(`${output}/constraint_violations.json`, '{"violations": [');
    await expect(live.monitoring(dev, fraud)).rejects.toThrow(`acme-fraud-dev-drift: the run of 2026-11-24T00:00:00.000Z completed with violations, but ${output}/constraint_violations.json could not be read: ${output}/constraint_violations.json is not JSON`);
    delete sm.processingJobs.get(processingJobName!)!.request.ProcessingOutputConfig;
    await expect(live.monitoring(dev, fraud)).rejects.toThrow(`acme-fraud-dev-drift: the run of 2026-11-24T00:00:00.000Z completed with violations, and its processing job ${processingJobName} has no S3 output`);
  });

  it('reads only s3://bucket/key locations', () => {
    expect(() => parseS3('s3://bucket-only')).toThrow('not an s3://bucket/key URI: s3://bucket-only');
    expect(parseS3('s3://b/monitoring/x.json')).toEqual({ bucket: 'b', key: 'monitoring/x.json' });
  });

  it('passes SageMaker\'s refusal on', async () => {
    sm.faults.set('DescribeMonitoringSchedule', { type: 'AccessDeniedException', message: 'User is not authorized to perform: sagemaker:DescribeMonitoringSchedule' });
    await expect(live.monitoring(dev, fraud)).rejects.toThrow('User is not authorized to perform: sagemaker:DescribeMonitoringSchedule');
  });
});
