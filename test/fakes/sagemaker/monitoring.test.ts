import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateProcessingJobCommand, DescribeMonitoringScheduleCommand, DescribeProcessingJobCommand, ListMonitoringExecutionsCommand, type CreateProcessingJobCommandInput } from '@aws-sdk/client-sagemaker';
import { baselineJobRequest } from '../../../lib/providers/sagemaker/monitoring';
import { FakeSageMaker } from './server';

/**
 * The fake's Model Monitor operations and its S3, through the real clients: they refuse what the
 * API reference says SageMaker and S3 refuse (processing.ts, s3.ts).
 */
const ROLE = 'arn:aws:iam::111111111111:role/acme-fraud-dev-monitor';
const job = (name = 'acme-fraud-dev-0123456789'): CreateProcessingJobCommandInput => baselineJobRequest(name, {
  BaselineUri: 's3://acme-data/fraud/train/',
  OutputUri: 's3://capture/monitoring/baseline',
  RoleArn: ROLE,
  ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
  KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/k',
  InstanceType: 'ml.m5.xlarge',
  VolumeSizeInGB: 20,
  MaxRuntimeInSeconds: 3000,
  DatasetFormat: { csv: { header: true } },
});

let fake: FakeSageMaker;
beforeEach(async () => {
  fake = new FakeSageMaker();
  await fake.start();
});
afterEach(() => fake.stop());
const sm = () => fake.clients().sagemaker;

describe('CreateProcessingJob and DescribeProcessingJob', () => {
  it('takes a valid request once: a second job of the name is ResourceInUse; Describe answers the request with the status', async () => {
    expect(await sm().send(new CreateProcessingJobCommand(job()))).toEqual(expect.objectContaining({ ProcessingJobArn: 'arn:aws:sagemaker:us-east-1:111111111111:processing-job/acme-fraud-dev-0123456789' }));
    await expect(sm().send(new CreateProcessingJobCommand(job('ACME-fraud-dev-0123456789')))).rejects.toMatchObject({
      name: 'ResourceInUse',
      message: 'Processing job names must be unique within an AWS account and region, and a processing job with this name already exists (arn:aws:sagemaker:us-east-1:111111111111:processing-job/acme-fraud-dev-0123456789)',
    });
    const d = await sm().send(new DescribeProcessingJobCommand({ ProcessingJobName: 'acme-fraud-dev-0123456789' }));
    expect([d.ProcessingJobStatus, d.RoleArn, d.Environment?.publish_cloudwatch_metrics]).toEqual(['InProgress', ROLE, 'Disabled']);
    fake.finishProcessingJob('acme-fraud-dev-0123456789', { status: 'Failed', failureReason: 'ClientError: no data' });
    const failed = await sm().send(new DescribeProcessingJobCommand({ ProcessingJobName: 'acme-fraud-dev-0123456789' }));
    expect([failed.ProcessingJobStatus, failed.FailureReason]).toEqual(['Failed', 'ClientError: no data']);
  });

  it('Describe of a job that is not there is ResourceNotFound', async () => {
    await expect(sm().send(new DescribeProcessingJobCommand({ ProcessingJobName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFound', message: 'Could not find requested job with name nope' });
  });

  it.each([
    ['a name with an underscore', { ...job(), ProcessingJobName: 'acme_fraud' }, "1 validation error detected: Value 'acme_fraud' at 'processingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"],
    ['a name of 64 characters', { ...job(), ProcessingJobName: 'a'.repeat(64) }, `1 validation error detected: Value '${'a'.repeat(64)}' at 'processingJobName' failed to satisfy constraint: Member must have length less than or equal to 63`],
    ['no role', { ...job(), RoleArn: undefined }, "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"],
    ['a role that is not a role ARN', { ...job(), RoleArn: 'arn:aws:iam::111111111111:user/someone' }, "at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ['no volume size', { ...job(), ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge' } } }, "1 validation error detected: Value null at 'processingResources.clusterConfig.volumeSizeInGB' failed to satisfy constraint: Member must not be null"],
    ['101 instances', { ...job(), ProcessingResources: { ClusterConfig: { InstanceCount: 101, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 20 } } }, "1 validation error detected: Value '101' at 'processingResources.clusterConfig.instanceCount' failed to satisfy constraint: Member must have value less than or equal to 100"],
    ['a runtime over 777600 s', { ...job(), StoppingCondition: { MaxRuntimeInSeconds: 777601 } }, "1 validation error detected: Value '777601' at 'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 777600"],
    ['an environment name that is not an identifier', { ...job(), Environment: { 'dataset-format': 'x' } }, "1 validation error detected: Value 'dataset-format' at 'environment.dataset-format' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z_][a-zA-Z0-9_]*$"],
    ['an environment value over 256 characters', { ...job(), Environment: { dataset_format: 'x'.repeat(257) } }, "at 'environment.dataset_format' failed to satisfy constraint: Member must have length less than or equal to 256"],
    ['an input mode SageMaker lacks', { ...job(), ProcessingInputs: [{ InputName: 'i', S3Input: { S3Uri: 's3://b/k', S3DataType: 'S3Prefix', S3InputMode: 'FastFile' } }] }, "1 validation error detected: Value 'FastFile' at 'processingInputs.1.member.s3Input.s3InputMode' failed to satisfy constraint: Member must satisfy enum value set: [File, Pipe]"],
    ['an input that is not on S3', { ...job(), ProcessingInputs: [{ InputName: 'i', S3Input: { S3Uri: 'gs://b/k', S3DataType: 'S3Prefix' } }] }, "at 'processingInputs.1.member.s3Input.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ['eleven inputs', { ...job(), ProcessingInputs: Array.from({ length: 11 }, (_, i) => ({ InputName: `i${i}`, S3Input: { S3Uri: 's3://b/k', S3DataType: 'S3Prefix' } })) }, "at 'processingInputs' failed to satisfy constraint: Member must have length less than or equal to 10"],
    ['an instance type processing lacks', { ...job(), ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.inf2.xlarge', VolumeSizeInGB: 20 } } }, "1 validation error detected: Value 'ml.inf2.xlarge' at 'processingResources.clusterConfig.instanceType' failed to satisfy constraint: Member must satisfy enum value set: ["],
  ])('refuses %s with SageMaker\'s wording', async (_what, request, message) => {
    await expect(sm().send(new CreateProcessingJobCommand(request as never))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining(message) });
    expect(fake.processingJobs.size).toBe(0);
  });
});

describe('DescribeMonitoringSchedule and ListMonitoringExecutions', () => {
  const SCHEDULE = 'acme-fraud-dev-drift';
  const T0 = Date.UTC(2026, 10, 24);
  beforeEach(() => {
    fake.addMonitoringSchedule(SCHEDULE, { endpointName: 'acme-fraud-dev', jobDefinitionName: 'acme-fraud-dev-0123456789' });
    fake.addMonitoringSchedule('acme-other-dev-drift', { status: 'Stopped' });
    for (let h = 0; h < 25; h++) fake.addMonitoringExecution({ schedule: SCHEDULE, scheduledAt: new Date(T0 + h * 3600_000), status: h % 5 === 0 ? 'CompletedWithViolations' : 'Completed' });
    fake.addMonitoringExecution({ schedule: 'acme-other-dev-drift', scheduledAt: new Date(T0), status: 'Failed' });
  });

  it('describes a schedule with its status and last run; one that is not there is ResourceNotFound', async () => {
    const d = await sm().send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: SCHEDULE }));
    expect([d.MonitoringScheduleStatus, d.EndpointName, d.LastMonitoringExecutionSummary?.ScheduledTime]).toEqual(['Scheduled', 'acme-fraud-dev', new Date(T0 + 24 * 3600_000)]);
    await expect(sm().send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFound', message: 'Monitoring schedule nope does not exist.' });
  });

  it('lists one schedule\'s runs in pages of 10 by default, newest first, filtered by time and status', async () => {
    const first = await sm().send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: SCHEDULE, SortBy: 'ScheduledTime' }));
    expect(first.MonitoringExecutionSummaries).toHaveLength(10);
    expect(first.MonitoringExecutionSummaries![0].ScheduledTime).toEqual(new Date(T0 + 24 * 3600_000));
    expect(first.NextToken).toBeDefined();
    const next = await sm().send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: SCHEDULE, SortBy: 'ScheduledTime', NextToken: first.NextToken, MaxResults: 100 }));
    expect([next.MonitoringExecutionSummaries!.length, next.NextToken]).toEqual([15, undefined]);
    const after = await sm().send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: SCHEDULE, SortBy: 'ScheduledTime', SortOrder: 'Ascending', ScheduledTimeAfter: new Date(T0 + 20 * 3600_000), MaxResults: 100 }));
    expect(after.MonitoringExecutionSummaries!.map((e) => e.ScheduledTime!.getTime())).toEqual([21, 22, 23, 24].map((h) => T0 + h * 3600_000));
    const violations = await sm().send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: SCHEDULE, StatusEquals: 'CompletedWithViolations', MaxResults: 100 }));
    expect(violations.MonitoringExecutionSummaries).toHaveLength(5);
  });

  it('refuses a page over 100 and a sort key it lacks', async () => {
    await expect(sm().send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: SCHEDULE, MaxResults: 101 }))).rejects.toThrow("1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
    await expect(sm().send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: SCHEDULE, SortBy: 'EndTime' as never }))).rejects.toThrow("1 validation error detected: Value 'EndTime' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [CreationTime, ScheduledTime, Status]");
  });
});

describe('S3, path-style on the same port', () => {
  it('puts and gets objects; a missing key, a missing bucket and a denied prefix answer as S3 does', async () => {
    const s3 = fake.s3Client();
    fake.s3.buckets.add('capture');
    await s3.send(new PutObjectCommand({ Bucket: 'capture', Key: 'monitoring/baseline/a.json', Body: '{"a":1}', ContentType: 'application/json' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'capture', Key: 'monitoring/baseline/a.json' }));
    expect([await got.Body!.transformToString(), got.ContentType]).toEqual(['{"a":1}', 'application/json']);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'capture', Key: 'nope.json' }))).rejects.toMatchObject({ name: 'NoSuchKey', message: 'The specified key does not exist.' });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'elsewhere', Key: 'a.json' }))).rejects.toMatchObject({ name: 'NoSuchBucket', message: 'The specified bucket does not exist' });
    fake.s3.denied.add('capture/monitoring/');
    await expect(s3.send(new GetObjectCommand({ Bucket: 'capture', Key: 'monitoring/baseline/a.json' }))).rejects.toMatchObject({ name: 'AccessDenied', message: 'Access Denied' });
    expect(fake.s3.calls).toEqual(['PUT capture/monitoring/baseline/a.json', 'GET capture/monitoring/baseline/a.json', 'GET capture/nope.json', 'GET elsewhere/a.json', 'GET capture/monitoring/baseline/a.json']);
    // S3 requests are not SageMaker's.
    expect(fake.calls).toEqual([]);
    s3.destroy();
  });
});
