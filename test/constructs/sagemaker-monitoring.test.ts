import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { addModelStacks, ContainerImage, DataQualityMonitor, InstanceType, ModelData, ModelEndpoint, ModelStack, projectFromPlan } from '../../constructs';
import { HandlersStack } from '../../constructs/handlers-stack';
import { scheduleHours } from '../../constructs/sagemaker/monitoring';
import { resolvePlan } from '../../lib/plan';
import type { Plan } from '../../lib/plan/types';
import { modelMonitorImage, monitorNames } from '../../lib/providers/sagemaker/monitoring';
import { loadProjectText } from '../../lib/spec';
import { decodeJson, nagFindings, only, policyStatements } from './helpers';

/** A monitored model on SageMaker, as a user writes it (YAML through the real loader and resolvePlan). */
function specYaml(monitoring: string | undefined, extra = ''): string {
  return `
project: acme
environments:
  staging:
    aws: { account: "222222222222", region: us-east-1 }
models:
  fraud:
    versions:
      "7": { artifact: { sagemaker: s3://acme-models/fraud/7/model.tar.gz }, metrics: { accuracy: 0.96 } }
    registry: { gates: { accuracy: ">= 0.95" } }
    serving:
      image: { sagemaker: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu }
      resources: { accelerator: T4, count: 1 }
      dataCapture: { percent: 20 }
${extra}${monitoring === undefined ? '' : `      monitoring:\n${monitoring}\n`}`;
}

const FULL = `
        schedule: cron(0 3/6 ? * * *)
        baseline: { sagemaker: s3://acme-data/fraud/train/ }
        drift: { threshold: 0.3, features: { amount: 0.2, merchant_country: 0.25 } }
        alerts: { email: [ml-oncall@acme.com, fraud-team@acme.com], snsTopic: "arn:aws:sns:us-east-1:222222222222:ml-alerts" }`;

function planOf(monitoring: string | undefined, extra = ''): Plan {
  return resolvePlan(loadProjectText(specYaml(monitoring, extra), 'mlspec.yaml', 'staging:\n  fraud: { traffic: { "7": 100 } }\n', 'releases.yaml'));
}

function synth(plan: Plan): { app: App; model: ModelStack; handlers: HandlersStack } {
  const app = new App();
  const [model] = addModelStacks(app, plan);
  const handlers = app.node.children.find((c): c is HandlersStack => c instanceof HandlersStack)!;
  return { app, model, handlers };
}

const ENDPOINT = 'acme-fraud-staging';
/** An ARN as CDK writes it with the stack's partition. */
const partitioned = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const names = monitorNames(ENDPOINT);

describe('a SageMaker data-quality monitor from the spec (cdk deploy declares it)', () => {
  const plan = planOf(FULL);
  const monitoring = plan.environments[0].models[0].sagemaker!.serving!.monitoring!;
  const { model, handlers } = synth(plan);
  const t = Template.fromStack(model);
  const json = t.toJSON();
  const logicalIdOf = (type: string) => Object.entries<any>(json.Resources).find(([, r]) => r.Type === type)![0];
  const keyId = logicalIdOf('AWS::KMS::Key');
  const captureBucketId = Object.entries<any>(json.Resources).find(([, r]) => r.Type === 'AWS::S3::Bucket' && r.Properties.BucketEncryption)![0];
  const roleId = Object.entries<any>(json.Resources).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === names.role)![0];
  const baselineId = logicalIdOf('Custom::SageMakerMonitoringBaseline');
  const bucketName = { Ref: captureBucketId };
  const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
  const roleArn = { 'Fn::GetAtt': [roleId, 'Arn'] };
  const s3Uri = (suffix: string) => ({ 'Fn::Join': ['', ['s3://', bucketName, suffix]] });

  test('the plan carries what the spec says', () => {
    expect(monitoring).toEqual(expect.objectContaining({
      cron: 'cron(0 3/6 ? * * *)', baselineUri: 's3://acme-data/fraud/train/', samplingPercent: 20, driftThreshold: 0.3,
      featureThresholds: { amount: 0.2, merchant_country: 0.25 }, alertEmails: ['ml-oncall@acme.com', 'fraud-team@acme.com'], snsTopicArn: 'arn:aws:sns:us-east-1:222222222222:ml-alerts',
    }));
  });

  test('the job definition: the region\'s analyzer image with metrics on, the endpoint\'s capture, the baseline, output to the capture bucket with the model\'s key', () => {
    const def = only(t, 'AWS::SageMaker::DataQualityJobDefinition');
    const p = def.Properties;
    expect(p.JobDefinitionName).toMatch(/^acme-fraud-staging-[0-9a-f]{10}$/);
    expect(p.DataQualityAppSpecification).toEqual({ ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer', Environment: { publish_cloudwatch_metrics: 'Enabled' } });
    expect(p.DataQualityJobInput).toEqual({ EndpointInput: { EndpointName: ENDPOINT, LocalPath: '/opt/ml/processing/input/endpoint', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } });
    // The baseline's files, with the spec's thresholds in the constraints (not BaseliningJobName, whose own constraints lack them).
    expect(p.DataQualityBaselineConfig).toEqual({
      StatisticsResource: { S3Uri: { 'Fn::GetAtt': [baselineId, 'StatisticsUri'] } },
      ConstraintsResource: { S3Uri: { 'Fn::GetAtt': [baselineId, 'ConstraintsUri'] } },
    });
    expect(p.DataQualityJobOutputConfig).toEqual({ KmsKeyId: keyArn, MonitoringOutputs: [{ S3Output: { S3Uri: s3Uri('/monitoring/reports'), LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] });
    // ml.m5.xlarge is what `mlspec plan` prices (monthlyUsd).
    expect(p.JobResources).toEqual({ ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 20, VolumeKmsKeyId: keyArn } });
    expect(p.NetworkConfig).toEqual({ EnableInterContainerTrafficEncryption: true });
    expect(p.RoleArn).toEqual(roleArn);
    expect(p.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    // After the endpoint (its input) and the role's rights.
    expect(def.DependsOn).toEqual(expect.arrayContaining([logicalIdOf('AWS::SageMaker::Endpoint'), expect.stringMatching(/MonitoringPolicy/)]));
  });

  test('the schedule runs the spec\'s cron over the job definition', () => {
    const s = only(t, 'AWS::SageMaker::MonitoringSchedule');
    expect(s.Properties).toEqual(expect.objectContaining({
      MonitoringScheduleName: 'acme-fraud-staging-drift',
      MonitoringScheduleConfig: { MonitoringJobDefinitionName: only(t, 'AWS::SageMaker::DataQualityJobDefinition').Properties.JobDefinitionName, MonitoringType: 'DataQuality', ScheduleConfig: { ScheduleExpression: monitoring.cron } },
    }));
    expect(s.DependsOn).toContain(logicalIdOf('AWS::SageMaker::DataQualityJobDefinition'));
  });

  test('the baseline: one processing job over the spec\'s training data, the thresholds it writes into the constraints', () => {
    const b = only(t, 'Custom::SageMakerMonitoringBaseline');
    expect(b.Properties.Kind).toBe('MonitoringBaseline');
    expect(JSON.stringify(b.Properties.ServiceToken)).toContain('function:mlspec-acme-staging-rollout-provider');
    expect(b.Properties.JobName).toMatch(/^acme-fraud-staging-[0-9a-f]{10}$/);
    expect(decodeJson(b.Properties.Job)).toEqual({
      BaselineUri: 's3://acme-data/fraud/train/',
      OutputUri: s3Uri('/monitoring/baseline'),
      RoleArn: roleArn,
      ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
      KmsKeyId: keyArn,
      InstanceType: 'ml.m5.xlarge',
      VolumeSizeInGB: 20,
      MaxRuntimeInSeconds: 3000,
      DatasetFormat: { csv: { header: true, output_columns_position: 'START' } },
    });
    expect(JSON.parse(b.Properties.Thresholds)).toEqual({ default: 0.3, features: { amount: 0.2, merchant_country: 0.25 } });
    // The job runs as the monitoring role with its rights; the handlers use the bucket and key with their policies.
    expect(b.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/MonitoringPolicy/), captureBucketId, keyId]));
  });

  test('one alarm per feature with its own threshold, on its drift metric, to the SNS topic and the alert emails', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => String(a.Properties.AlarmName).includes('-drift-'));
    expect(alarms.map((a) => a.Properties.AlarmName)).toEqual(['acme-fraud-staging-drift-amount', 'acme-fraud-staging-drift-merchant_country']);
    const topicId = logicalIdOf('AWS::SNS::Topic');
    for (const [a, feature, threshold] of [[alarms[0], 'amount', 0.2], [alarms[1], 'merchant_country', 0.25]] as const) {
      expect(a.Properties).toEqual(expect.objectContaining({
        Namespace: 'aws/sagemaker/Endpoints/data-metrics',
        MetricName: `feature_baseline_drift_${feature}`,
        Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }, { Name: 'MonitoringSchedule', Value: 'acme-fraud-staging-drift' }],
        Statistic: 'Maximum',
        // The schedule runs every 6 hours.
        Period: 6 * 3600,
        EvaluationPeriods: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        // Between runs the alarm keeps the last run's verdict.
        TreatMissingData: 'ignore',
        AlarmActions: ['arn:aws:sns:us-east-1:222222222222:ml-alerts', { Ref: topicId }],
      }));
    }
  });

  test('the alert emails\' topic is encrypted with the model\'s key, SSL only, and CloudWatch may publish the drift alarms to it', () => {
    const topic = only(t, 'AWS::SNS::Topic');
    expect(topic.Properties.KmsMasterKeyId).toEqual(keyArn);
    const subs = Object.values(t.findResources('AWS::SNS::Subscription')).map((s) => [s.Properties.Protocol, s.Properties.Endpoint]);
    expect(subs).toEqual([['email', 'ml-oncall@acme.com'], ['email', 'fraud-team@acme.com']]);
    const statements = only(t, 'AWS::SNS::TopicPolicy').Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({
        Sid: 'DriftAlarms', Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '222222222222' }, ArnLike: { 'aws:SourceArn': partitioned(':cloudwatch:us-east-1:222222222222:alarm:acme-fraud-staging-drift-*') } },
      }),
    ]));
    const keyStatements = only(t, 'AWS::KMS::Key').Properties.KeyPolicy.Statement;
    expect(keyStatements).toEqual(expect.arrayContaining([expect.objectContaining({ Sid: 'DriftAlarmsToEncryptedTopic', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]));
  });

  test('the monitoring role: reads the capture prefix, the training data and the baseline, writes the monitor\'s output, uses the key; nothing more', () => {
    const role = json.Resources[roleId];
    expect(role.Properties.RoleName).toBe('acme-fraud-staging-monitor');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({ Principal: { Service: 'sagemaker.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '222222222222' } } })]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policy = Object.values<any>(t.findResources('AWS::IAM::ManagedPolicy')).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [captureBucketId, 'Arn'] }, `/${prefix}/*`]] });
    expect(policy.Properties.PolicyDocument.Statement.map((s: any) => [s.Sid, s.Action, s.Resource, s.Condition])).toEqual([
      ['ReadCapturedData', 's3:GetObject', objects('data-capture'), undefined],
      ['ReadBaselineFiles', 's3:GetObject', objects('monitoring/baseline'), undefined],
      ['WriteMonitorOutput', ['s3:PutObject', 's3:AbortMultipartUpload'], objects('monitoring'), undefined],
      ['ListCaptureAndOutput', 's3:ListBucket', { 'Fn::GetAtt': [captureBucketId, 'Arn'] }, { StringLike: { 's3:prefix': ['data-capture/*', 'monitoring/*'] } }],
      ['ReadTrainingData', 's3:GetObject', partitioned(':s3:::acme-data/fraud/train/*'), undefined],
      ['ListTrainingData', 's3:ListBucket', partitioned(':s3:::acme-data'), { StringLike: { 's3:prefix': ['fraud/train/*'] } }],
      ['UseModelKey', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], keyArn, undefined],
      ['GrantVolumeKey', 'kms:CreateGrant', keyArn, { Bool: { 'kms:GrantIsForAWSResource': 'true' } }],
      ['WriteJobLogs', ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], partitioned(':logs:us-east-1:222222222222:log-group:/aws/sagemaker/ProcessingJobs:*'), undefined],
      ['PublishDriftMetrics', 'cloudwatch:PutMetricData', '*', { StringEquals: { 'cloudwatch:namespace': ['aws/sagemaker/Endpoints/data-metrics', '/aws/sagemaker/Endpoints/data-metric', '/aws/sagemaker/Endpoint/data-metrics'] } }],
    ]);
  });

  test('the baseline handlers (the handlers stack\'s rollout role) may read and write monitoring/baseline/ only, and use the key through S3 only', () => {
    const rollout = partitioned(':iam::222222222222:role/mlspec-acme-staging-rollout');
    const bucketPolicy = Object.values<any>(t.findResources('AWS::S3::BucketPolicy')).find((p) => p.Properties.Bucket.Ref === captureBucketId)!;
    expect(bucketPolicy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      { Sid: 'MlspecBaselineHandler', Effect: 'Allow', Principal: { AWS: rollout }, Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [captureBucketId, 'Arn'] }, '/monitoring/baseline/*']] } },
    ]));
    expect(only(t, 'AWS::KMS::Key').Properties.KeyPolicy.Statement).toEqual(expect.arrayContaining([
      { Sid: 'MlspecBaselineHandlerThroughS3', Effect: 'Allow', Principal: { AWS: rollout }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } },
    ]));
  });

  test('the handlers stack runs the baseline behind its rollout provider even though no model walks, with least-privilege rights', () => {
    const h = Template.fromStack(handlers);
    const fns = Object.values(h.findResources('AWS::Lambda::Function')).map((f) => [f.Properties.FunctionName, f.Properties.Handler]).filter(([n]) => n);
    expect(fns).toEqual(expect.arrayContaining([['mlspec-acme-staging-rollout', 'index.onStagedEvent'], ['mlspec-acme-staging-rollout-complete', 'index.isStagedComplete']]));
    const statements = policyStatements(h);
    const by = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(by('BaselineJobs')).toEqual(expect.objectContaining({ Action: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob'], Resource: partitioned(':sagemaker:us-east-1:222222222222:processing-job/acme-*') }));
    expect(by('PassMonitoringRoles')).toEqual(expect.objectContaining({
      Action: 'iam:PassRole',
      Resource: partitioned(':iam::222222222222:role/acme-*-monitor'),
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }));
    // No S3 or KMS data right in the handlers' own policy: the model stack's bucket and key policies grant those.
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    const keyId = Object.keys(h.findResources('AWS::KMS::Key'))[0];
    // kms:Decrypt only of the handlers' own key (their logs and environment).
    expect(statements.filter((s) => [s.Action].flat().includes('kms:Decrypt')).map((s) => s.Resource)).toEqual(expect.arrayContaining([{ 'Fn::GetAtt': [keyId, 'Arn'] }]));
    expect(new Set(statements.filter((s) => [s.Action].flat().includes('kms:Decrypt')).map((s) => JSON.stringify(s.Resource)))).toEqual(new Set([JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] })]));
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5: both stacks are clean, and neither carries a warning', () => {
    expect(nagFindings(model)).toEqual([]);
    expect(nagFindings(handlers)).toEqual([]);
    for (const stack of [model, handlers]) expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('resource counts of the monitored model stack: no Lambda function, no state machine, one key; the monitor adds 5 resources, one alarm per feature threshold, and a topic, its policy and a subscription per email', () => {
    const count = (type: string) => Object.keys(t.findResources(type)).length;
    expect(count('AWS::Lambda::Function')).toBe(0);
    expect(count('AWS::StepFunctions::StateMachine')).toBe(0);
    expect(count('AWS::KMS::Key')).toBe(1);
    // The endpoint's execution role and the monitoring role.
    expect(count('AWS::IAM::Role')).toBe(2);
    const unmonitored = Template.fromStack(synth(planOf(undefined)).model).toJSON();
    const total = Object.keys(json.Resources).length;
    // Role, its policy, the baseline, the job definition, the schedule; 2 alarms; the topic, its policy, 2 subscriptions.
    expect(total - Object.keys(unmonitored.Resources).length).toBe(5 + 2 + 2 + 2);
    expect(total).toBe(23);
  });
});

describe('what the monitor takes from the spec', () => {
  it('alarms only the SNS topic when there is no email, and no topic of its own', () => {
    const { model } = synth(planOf(`
        schedule: hourly
        baseline: { sagemaker: s3://acme-data/fraud/train.csv }
        drift: { features: { amount: 0.2 } }
        alerts: { snsTopic: "arn:aws:sns:us-east-1:222222222222:ml-alerts" }`));
    const t = Template.fromStack(model);
    expect(Object.keys(t.findResources('AWS::SNS::Topic'))).toEqual([]);
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.AlarmName === 'acme-fraud-staging-drift-amount')!;
    expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:222222222222:ml-alerts']);
    // Hourly: one run an hour.
    expect(alarm.Properties.Period).toBe(3600);
    // The default threshold (0.3) goes to the constraints, which a run checks every feature against.
    expect(JSON.parse(only(t, 'Custom::SageMakerMonitoringBaseline').Properties.Thresholds)).toEqual({ default: 0.3, features: { amount: 0.2 } });
    // A single object is read as such (and anything it prefixes).
    const policy = Object.values<any>(t.findResources('AWS::IAM::ManagedPolicy')).find((p) => JSON.stringify(p.Properties.PolicyDocument).includes('ReadTrainingData'))!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain(':s3:::acme-data/fraud/train.csv*');
    expect(nagFindings(model)).toEqual([]);
  });

  it('declares no alarm without per-feature thresholds (SageMaker publishes drift per feature only), and needs no destination for that', () => {
    const { model } = synth(planOf(`
        schedule: daily
        baseline: { sagemaker: s3://acme-data/fraud/train/ }`));
    const t = Template.fromStack(model);
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => String(a.Properties.AlarmName).includes('-drift-'))).toEqual([]);
    expect(only(t, 'AWS::SageMaker::MonitoringSchedule').Properties.MonitoringScheduleConfig.ScheduleConfig).toEqual({ ScheduleExpression: 'cron(0 0 ? * * *)' });
    expect(nagFindings(model)).toEqual([]);
  });

  it('keeps an alarm without destination (alerts: {}) and says why for cdk-nag', () => {
    const { model } = synth(planOf(`
        schedule: daily
        baseline: { sagemaker: s3://acme-data/fraud/train/ }
        drift: { features: { amount: 0.2 } }`));
    const t = Template.fromStack(model);
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.AlarmName === 'acme-fraud-staging-drift-amount')!;
    expect(alarm.Properties.AlarmActions).toBeUndefined();
    expect(alarm.Properties.Period).toBe(86400);
    expect(nagFindings(model)).toEqual([]);
  });

  it('names the job definition after its contents: new thresholds make a new definition (the schedule keeps its name), new ones a new baseline job only when the job changes', () => {
    const names = (monitoring: string) => {
      const t = Template.fromStack(synth(planOf(monitoring)).model);
      return [only(t, 'AWS::SageMaker::DataQualityJobDefinition').Properties.JobDefinitionName, only(t, 'Custom::SageMakerMonitoringBaseline').Properties.JobName, only(t, 'AWS::SageMaker::MonitoringSchedule').Properties.MonitoringScheduleName];
    };
    const base = `
        schedule: hourly
        baseline: { sagemaker: s3://acme-data/fraud/train/ }`;
    const [def1, job1, schedule1] = names(base);
    const [def2, job2, schedule2] = names(`${base}\n        drift: { threshold: 0.2 }`);
    const [def3, job3] = names(base.replace('train/', 'train-2/'));
    expect([def1, job1, schedule1]).toEqual(names(base));
    expect(def2).not.toBe(def1);
    expect(job2).toBe(job1);
    expect(schedule2).toBe(schedule1);
    expect(def3).not.toBe(def1);
    expect(job3).not.toBe(job1);
  });

  it('a ModelStack used alone brings its own baseline handlers, allowed to run only its baseline jobs and pass only its monitoring role', () => {
    const plan = planOf(FULL);
    const stack = new ModelStack(new App(), 'Alone', { project: projectFromPlan(plan), model: plan.environments[0].models[0].name, environment: plan.environments[0].name });
    const t = Template.fromStack(stack);
    const monitor = stack.sagemaker!.monitoring!;
    const token = only(t, 'Custom::SageMakerMonitoringBaseline').Properties.ServiceToken;
    expect(JSON.stringify(token)).toMatch(/MlspecsagemakerHandlers/);
    const statements = policyStatements(t);
    expect(statements.find((s) => s.Sid === 'BaselineJobs')?.Resource).toEqual(partitioned(':sagemaker:us-east-1:222222222222:processing-job/acme-fraud-staging-*'));
    expect(statements.find((s) => s.Sid === 'PassMonitoringRole')?.Resource).toEqual(Stack.of(stack).resolve(monitor.role.roleArn));
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('DataQualityMonitor used alone: what it refuses at synth', () => {
  function endpoint(capture = true, region = 'us-east-1'): ModelEndpoint {
    const stack = new Stack(new App(), 'S', { env: { account: '222222222222', region } });
    return new ModelEndpoint(stack, 'E', {
      endpointName: 'acme-fraud-dev',
      variants: [{ version: '7', image: ContainerImage.fromEcrUri('763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-cpu'), modelData: ModelData.fromS3Url('s3://acme-models/7/model.tar.gz'), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
      dataCapture: capture ? { percent: 20 } : undefined,
    });
  }
  const props = { schedule: 'cron(0 * ? * * *)', baselineUri: 's3://acme-data/train/', driftThreshold: 0.3 };

  it('an endpoint without data capture', () => {
    const e = endpoint(false);
    expect(() => new DataQualityMonitor(e, 'M', { endpoint: e, ...props })).toThrow('DataQualityMonitor of acme-fraud-dev: the endpoint captures no data, which the monitor reads; give the ModelEndpoint dataCapture');
  });

  it('a stack without a region', () => {
    const e = new ModelEndpoint(new Stack(new App(), 'S'), 'E', {
      endpointName: 'acme-fraud-dev',
      variants: [{ version: '7', image: ContainerImage.fromEcrUri('763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-cpu'), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
      dataCapture: { percent: 20 },
    });
    expect(() => new DataQualityMonitor(e, 'M', { endpoint: e, ...props })).toThrow('DataQualityMonitor of acme-fraud-dev: the stack needs an explicit region (env.region): the analyzer image is published per region');
  });

  it('a region without a published analyzer image', () => {
    const e = endpoint(true, 'ap-southeast-4');
    expect(() => new DataQualityMonitor(e, 'M', { endpoint: e, ...props })).toThrow(/^SageMaker publishes no Model Monitor analyzer image for region ap-southeast-4 in mlspec's table \(lib\/providers\/sagemaker\/data\/model-monitor-images.json, from the SageMaker Python SDK\); it has af-south-1, /);
  });

  it('a schedule SageMaker cannot run, thresholds outside (0, 1], a feature name CloudWatch cannot carry, a baseline that is not s3://', () => {
    const e = endpoint();
    expect(() => new DataQualityMonitor(e, 'M1', { endpoint: e, ...props, schedule: 'rate(1 hour)' })).toThrow("schedule must be a SageMaker monitoring cron, cron(0 * ? * * *), cron(0 H ? * * *) or cron(0 H/N ? * * *); got 'rate(1 hour)'");
    expect(() => new DataQualityMonitor(e, 'M2', { endpoint: e, ...props, driftThreshold: 0 })).toThrow('driftThreshold must be a distance above 0 and at most 1; got 0');
    expect(() => new DataQualityMonitor(e, 'M3', { endpoint: e, ...props, featureThresholds: { amount: 1.5 } })).toThrow('featureThresholds.amount must be a distance above 0 and at most 1; got 1.5');
    expect(() => new DataQualityMonitor(e, 'M4', { endpoint: e, ...props, featureThresholds: { 'montant_€': 0.2 } })).toThrow("featureThresholds: 'montant_€' cannot be named in CloudWatch (the metric feature_baseline_drift_<name> and the alarm acme-fraud-dev-drift-<name>: printable ASCII, at most 255 characters); use the training data's column name");
    expect(() => new DataQualityMonitor(e, 'M6', { endpoint: e, ...props, featureThresholds: { ['f'.repeat(240)]: 0.2 } })).toThrow(`featureThresholds: '${'f'.repeat(240)}' cannot be named in CloudWatch`);
    expect(() => new DataQualityMonitor(e, 'M5', { endpoint: e, ...props, baselineUri: 'gs://acme-data/train/' })).toThrow("baselineUri must be an s3://<bucket>/<key> URL; got 'gs://acme-data/train/'");
  });

  it('a capture bucket of another app (its policy cannot be given the handler\'s grant)', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '222222222222', region: 'us-east-1' } });
    const { Bucket } = require('aws-cdk-lib/aws-s3') as typeof import('aws-cdk-lib/aws-s3');
    const e = new ModelEndpoint(stack, 'E', {
      endpointName: 'acme-fraud-dev',
      variants: [{ version: '7', image: ContainerImage.fromEcrUri('763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-cpu'), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
      dataCapture: { percent: 20, bucket: Bucket.fromBucketName(stack, 'B', 'someone-elses-bucket') },
    });
    expect(() => new DataQualityMonitor(e, 'M', { endpoint: e, ...props, baselineHandlers: { serviceToken: 'arn:aws:lambda:us-east-1:222222222222:function:x', roleArn: 'arn:aws:iam::222222222222:role/x' } }))
      .toThrow('DataQualityMonitor of acme-fraud-dev: the capture bucket must be one of this app (its policy lets the baseline handler read and write monitoring/baseline/)');
  });

  it('reads the hours between runs from SageMaker\'s cron, and the image from the table', () => {
    expect(['cron(0 * ? * * *)', 'cron(0 0 ? * * *)', 'cron(0 5 ? * * *)', 'cron(0 0/4 ? * * *)', 'cron(0 17/12 ? * * *)'].map(scheduleHours)).toEqual([1, 24, 24, 4, 12]);
    expect(modelMonitorImage('us-west-2')).toBe('159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer');
    expect(modelMonitorImage('cn-north-1')).toBe('453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer');
    expect(monitorNames('a'.repeat(63)).schedule).toHaveLength(63);
  });
});
