import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ContainerImage, EndpointAutoscaling, InstanceType, ModelData, ModelEndpoint, ModelEndpointProps, Rollout } from '../../constructs';
import { CUSTOM_IMAGE, IMAGE } from './fixtures';
import { asArray, variantScaling, nagFindings, newStack, only, policyStatements, endpointConfig } from './helpers';

const NAME = 'acme-fraud-staging';
const url = (label: string) => `s3://acme-models/fraud/${label}/model.tar.gz`;

/** Two CPU variants 90/10 with everything on: autoscaling, canary, rollback, data capture. */
export function fullProps(overrides: Partial<ModelEndpointProps> = {}): ModelEndpointProps {
  return {
    endpointName: NAME,
    variants: [
      { version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('7')), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 2, weight: 90, minCapacity: 2, maxCapacity: 6 },
      { version: '8', image: ContainerImage.fromEcrUri(CUSTOM_IMAGE), modelData: ModelData.fromS3Url(url('8')), instanceType: InstanceType.of('ml.c5.xlarge'), initialInstanceCount: 1, weight: 10, maxCapacity: 3 },
    ],
    autoscaling: EndpointAutoscaling.invocationsPerInstance(100),
    rollout: Rollout.canary({ percent: 10, bake: Duration.minutes(10) }),
    rollback: { errorRatePercent: 1, p99Latency: Duration.millis(800) },
    dataCapture: { percent: 20 },
    ...overrides,
  };
}

describe('ModelEndpoint with every feature', () => {
  const stack = newStack();
  const endpoint = new ModelEndpoint(stack, 'Endpoint', fullProps());
  const template = Template.fromStack(stack);

  test('one model per variant, no fixed names, image + artifact, role, network isolation, version tag', () => {
    template.resourceCountIs('AWS::SageMaker::Model', 2);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      ModelName: Match.absent(),
      EnableNetworkIsolation: true,
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EndpointExecutionRole'), 'Arn'] },
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: url('7') },
      Tags: Match.arrayWith([{ Key: 'mlspec:version', Value: '7' }]),
    });
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Image: CUSTOM_IMAGE, ModelDataUrl: url('8') },
      Tags: Match.arrayWith([{ Key: 'mlspec:version', Value: '8' }]),
    });
  });

  test('one endpoint config with a production variant per version: names, weights, counts, instance types', () => {
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 0);
    const config = endpointConfig(template);
    expect(config.Properties.EndpointConfigName).toMatch(new RegExp(`^${NAME}-[0-9a-f]{10}$`));
    expect(config.Properties.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'v7', InitialVariantWeight: 90, InitialInstanceCount: 2, InstanceType: 'ml.m5.xlarge' }),
      expect.objectContaining({ VariantName: 'v8', InitialVariantWeight: 10, InitialInstanceCount: 1, InstanceType: 'ml.c5.xlarge' }),
    ]);
    expect(config.Properties.ShadowProductionVariants).toBeUndefined();
    expect(endpoint.variantNames).toEqual(['v7', 'v8']);
  });

  test('storage volumes are encrypted with the endpoint key', () => {
    expect(endpointConfig(template).Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] });
  });

  test('data capture: input and output, sampled, encrypted with the key, into the capture bucket', () => {
    expect(endpointConfig(template).Properties.DataCaptureConfig).toEqual({
      EnableCapture: true,
      InitialSamplingPercentage: 20,
      DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^EndpointDataCaptureBucket/) }, '/data-capture']] },
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] },
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    });
  });

  test('capture bucket: KMS with the endpoint key, TLS only, no public access, versioned, access logs, retained except on create', () => {
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] } },
    });
    expect(Object.keys(buckets)).toHaveLength(1);
    const [bucket] = Object.values(buckets);
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(bucket.Properties).toEqual(expect.objectContaining({
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: expect.objectContaining({ DestinationBucketName: expect.anything(), LogFilePrefix: 'data-capture/' }),
    }));
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the KMS key rotates and is kept on delete (RetainExceptOnCreate)', () => {
    const key = only(template, 'AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  test('the key policy lets SageMaker use the key through the execution role, and Logs for this log group', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'UseThroughSageMakerExecutionRole',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('EndpointExecutionRole'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': ['sagemaker.us-east-1.amazonaws.com', 's3.us-east-1.amazonaws.com'] } },
          }),
          Match.objectLike({ Sid: 'GrantsForSageMakerResources', Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
          Match.objectLike({ Sid: 'EncryptEndpointLogs', Principal: { Service: 'logs.us-east-1.amazonaws.com' } }),
        ]),
      },
    });
  });

  test('the log group is the endpoint\'s, encrypted and expiring', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${NAME}`,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('EndpointKey'), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('the endpoint has the fixed name, the config, and a canary blue/green deployment with the rollback alarms', () => {
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    const ep = only(template, 'AWS::SageMaker::Endpoint');
    expect(ep.Properties.EndpointName).toBe(NAME);
    expect(ep.Properties.EndpointConfigName).toBe(endpointConfig(template).Properties.EndpointConfigName);
    expect(ep.Properties.DeploymentConfig.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 600 },
      TerminationWaitInSeconds: 600,
      MaximumExecutionTimeoutInSeconds: 3600 + 600 + 600,
    });
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(ep.Properties.DeploymentConfig.AutoRollbackConfiguration.Alarms).toEqual(alarmIds.map((id) => ({ AlarmName: { Ref: id } })));
  });

  test('the endpoint waits for its permissions and log group before it is created', () => {
    const ep = only(template, 'AWS::SageMaker::Endpoint');
    const [policyId] = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    const [logsId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect(ep.DependsOn).toEqual(expect.arrayContaining([policyId, logsId]));
  });

  test('with autoscaling, updates keep autoscaled instance counts but take weights from the new config', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }, { VariantPropertyType: 'DataCaptureConfig' }],
    });
  });

  test('rollback alarms per production variant: 5xx error rate above 1 % and p99 latency above 800 ms (in microseconds)', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    for (const variant of ['v7', 'v8']) {
      const dims = [{ Name: 'EndpointName', Value: NAME }, { Name: 'VariantName', Value: variant }];
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: '100 * FILL(errors, 0) / invocations' }),
          Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: dims }, Stat: 'Sum' }) }),
          Match.objectLike({ Id: 'invocations', MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: dims }, Stat: 'Sum' }) }),
        ]),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker',
        MetricName: 'ModelLatency',
        ExtendedStatistic: 'p99',
        Dimensions: dims,
        Threshold: 800000,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  test('autoscaling: one scaling entry per production variant, deregistered before the endpoint update and registered after it', () => {
    const [endpointId] = Object.keys(template.findResources('AWS::SageMaker::Endpoint'));
    const endpoint = template.findResources('AWS::SageMaker::Endpoint')[endpointId];
    const { before, after, variants, retain } = variantScaling(template);
    // The endpoint waits for `before`; `after` waits for the endpoint.
    expect(endpoint.DependsOn).toContain(before.id);
    expect(after.DependsOn).toContain(endpointId);
    expect(before.DependsOn ?? []).not.toContain(endpointId);
    expect(variants.map((v) => [v.variantName, v.instanceType, v.minCapacity, v.maxCapacity])).toEqual([
      ['v7', 'ml.m5.xlarge', 2, 6],
      ['v8', 'ml.c5.xlarge', 1, 3],
    ]);
    expect(retain).toBe('false');
    // CloudFormation's native scaling resources would be deleted only after the endpoint update that needed them gone.
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('autoscaling tracks invocations per instance', () => {
    for (const v of variantScaling(template).variants) {
      expect(v.policy).toEqual({
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 100,
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      });
    }
  });

  test('IAM: the autoscaling handler may scale this endpoint\'s variants and nothing else', () => {
    const statements = policyStatements(template);
    const by = (action: string) => statements.find((s) => asArray(s.Action as string | string[]).includes(action));
    const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(by('sagemaker:DescribeEndpoint')?.Resource).toEqual(arn(`:sagemaker:us-east-1:222222222222:endpoint/${NAME}`));
    expect(by('application-autoscaling:RegisterScalableTarget')?.Resource).toEqual(arn(':application-autoscaling:us-east-1:222222222222:scalable-target/*'));
    expect(by('cloudwatch:PutMetricAlarm')?.Resource).toEqual(arn(`:cloudwatch:us-east-1:222222222222:alarm:TargetTracking-endpoint/${NAME}/variant/*`));
    expect(by('iam:CreateServiceLinkedRole')).toEqual(expect.objectContaining({
      Resource: arn(':iam::222222222222:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint'),
      Condition: { StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
    }));
    expect(by('application-autoscaling:DescribeScalableTargets')?.Resource).toBe('*');
  });

  test('IAM: two roles (execution, the endpoint handler), customer managed policies only, no inline policy, no * action', () => {
    template.resourceCountIs('AWS::IAM::Role', 2);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 2);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    // CloudFormation invokes the handler directly: one function, no Provider framework.
    template.resourceCountIs('AWS::Lambda::Function', 1);
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    }
    expect(roles.map((r) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service).sort()).toEqual(['lambda.amazonaws.com', 'sagemaker.amazonaws.com']);
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const action of asArray(s.Action as string | string[])) expect(action).not.toContain('*');
    }
  });

  test('IAM: ECR pull only on the images\' repositories; login, metrics and scaling reads are the only * resources, metrics by namespace', () => {
    const statements = policyStatements(template);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.PullModelImages.Resource).toEqual([
      'arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference',
      'arn:aws:ecr:us-east-1:222222222222:repository/acme/fraud-serve',
    ]);
    expect(bySid.EcrLogin).toEqual(expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }));
    expect(bySid.PublishMetrics).toEqual(expect.objectContaining({
      Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints'] } },
    }));
    const starResources = statements.filter((s) => asArray(s.Resource).includes('*')).map((s) => s.Sid);
    expect(starResources.sort()).toEqual(['EcrLogin', 'PublishMetrics', 'ReadScalingState']);
  });

  test('IAM: S3 read on the two artifacts only, logs on the endpoint log group only, capture writes under the prefix, KMS on the key', () => {
    const bySid = Object.fromEntries(policyStatements(template).map((s) => [s.Sid, s]));
    const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(bySid.ReadModelArtifacts).toEqual(expect.objectContaining({
      Action: 's3:GetObject', Resource: [arn(':s3:::acme-models/fraud/7/model.tar.gz'), arn(':s3:::acme-models/fraud/8/model.tar.gz')],
    }));
    expect(bySid.WriteEndpointLogs.Resource).toEqual([
      arn(`:logs:us-east-1:222222222222:log-group:/aws/sagemaker/Endpoints/${NAME}`),
      arn(`:logs:us-east-1:222222222222:log-group:/aws/sagemaker/Endpoints/${NAME}:log-stream:*`),
    ]);
    expect(bySid.WriteDataCapture).toEqual(expect.objectContaining({
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^EndpointDataCaptureBucket/), 'Arn'] }, '/data-capture/*']] },
    }));
    expect(bySid.UseEndpointKey.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] });
  });

  test('models and config are deleted with the stack by default (DESTROY)', () => {
    for (const type of ['AWS::SageMaker::Model', 'Custom::SageMakerEndpointConfig', 'AWS::SageMaker::Endpoint']) {
      for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Delete');
    }
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('ModelEndpoint shadow variant', () => {
  const stack = newStack();
  new ModelEndpoint(stack, 'Endpoint', {
    endpointName: NAME,
    variants: [{ version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('7')), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
    shadowVariant: { version: '9', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('9')), instanceType: InstanceType.of('ml.m5.large'), initialInstanceCount: 1, weight: 20 },
    autoscaling: EndpointAutoscaling.invocationsPerInstance(50),
    rollback: { errorRatePercent: 2 },
  });
  const template = Template.fromStack(stack);

  test('the shadow runs its own model and receives `weight` percent of requests', () => {
    template.resourceCountIs('AWS::SageMaker::Model', 2);
    const config = endpointConfig(template);
    expect(config.Properties.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'v7', InitialVariantWeight: 100 })]);
    expect(config.Properties.ShadowProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'v9', InitialVariantWeight: 20, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }),
    ]);
  });

  test('the shadow is neither autoscaled nor watched by rollback alarms', () => {
    expect(variantScaling(template).variants.map((v) => v.variantName)).toEqual(['v7']);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
  });

  test('rollback without a rollout uses all-at-once blue/green so the alarms still apply', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }, MaximumExecutionTimeoutInSeconds: 3600 },
        AutoRollbackConfiguration: { Alarms: [Match.objectLike({ AlarmName: Match.anyValue() })] },
      },
    });
  });

  test('without data capture there is no capture bucket and no capture permission', () => {
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(policyStatements(template).map((s) => s.Sid)).not.toContain('WriteDataCapture');
    expect(endpointConfig(template).Properties.DataCaptureConfig).toBeUndefined();
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('ModelEndpoint on GPUs with local NVMe storage', () => {
  const stack = newStack();
  new ModelEndpoint(stack, 'Endpoint', {
    endpointName: NAME,
    variants: [
      { version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('7')), instanceType: InstanceType.of('ml.g5.12xlarge'), acceleratorCount: 4, initialInstanceCount: 1, maxCapacity: 4, weight: 50 },
      { version: '8', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('8')), instanceType: InstanceType.of('ml.g5.xlarge'), acceleratorCount: 1, initialInstanceCount: 1, maxCapacity: 2, weight: 50 },
    ],
    autoscaling: EndpointAutoscaling.gpuUtilization(70),
    rollout: Rollout.linear({ percent: 25, interval: Duration.minutes(5) }),
    rollback: { p99Latency: Duration.seconds(2) },
  });
  const template = Template.fromStack(stack);

  test('GPU autoscaling tracks GPUUtilization per variant, target = percent × GPUs per instance', () => {
    const variants = variantScaling(template).variants;
    for (const [variant, target] of [['v7', 280], ['v8', 70]] as const) {
      expect(variants.find((v) => v.variantName === variant)?.policy).toEqual({
        CustomizedMetricSpecification: {
          Namespace: '/aws/sagemaker/Endpoints',
          MetricName: 'GPUUtilization',
          Statistic: 'Average',
          Dimensions: [{ Name: 'EndpointName', Value: NAME }, { Name: 'VariantName', Value: variant }],
        },
        TargetValue: target,
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      });
    }
  });

  test('no KmsKeyId for instance types with NVMe storage (SageMaker refuses it); the NIST finding is acknowledged with that reason', () => {
    expect(endpointConfig(template).Properties.KmsKeyId).toBeUndefined();
    expect(nagFindings(stack)).toEqual([]);
  });

  test('linear rollout: 25 % steps, 5 min apart, final bake 5 min, timeout covering 4 steps', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 300 },
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: 3600 + 4 * 300 + 300,
        },
      },
    });
  });

  test('latency alarms only (2 s = 2,000,000 µs), one per variant', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Threshold: 2000000 });
  });
});

describe('ModelEndpoint options', () => {
  const base = (): ModelEndpointProps => ({
    endpointName: NAME,
    variants: [{ version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('7')), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
  });

  test('all-at-once rollout with a bake', () => {
    const stack = newStack();
    new ModelEndpoint(stack, 'Endpoint', { ...base(), rollout: Rollout.allAtOnce({ bake: Duration.minutes(15) }), rollback: { errorRatePercent: 5 } });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 900, CanarySize: Match.absent(), LinearStepSize: Match.absent() },
          TerminationWaitInSeconds: 0,
          MaximumExecutionTimeoutInSeconds: 3600 + 900,
        },
      },
    });
  });

  test('no rollout and no rollback: no DeploymentConfig, no alarms; no autoscaling: no scalable target, no retained variant properties', () => {
    const stack = newStack();
    new ModelEndpoint(stack, 'Endpoint', base());
    const t = Template.fromStack(stack);
    const ep = only(t, 'AWS::SageMaker::Endpoint');
    expect(ep.Properties.DeploymentConfig).toBeUndefined();
    expect(ep.Properties.RetainAllVariantProperties).toBeUndefined();
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.resourceCountIs('Custom::SageMakerVariantScaling', 0);
  });

  test('a rollout without rollback: blue/green policy, no auto-rollback', () => {
    const stack = newStack();
    new ModelEndpoint(stack, 'Endpoint', { ...base(), rollout: Rollout.canary({ percent: 20, bake: Duration.minutes(5) }) });
    const t = Template.fromStack(stack);
    const ep = only(t, 'AWS::SageMaker::Endpoint');
    expect(ep.Properties.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration).toEqual({
      Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 20 }, WaitIntervalInSeconds: 300,
    });
    expect(ep.Properties.DeploymentConfig.AutoRollbackConfiguration).toBeUndefined();
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('alarm actions, when given, replace the acknowledgement', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true, masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }) });
    new ModelEndpoint(stack, 'Endpoint', { ...base(), rollback: { errorRatePercent: 1, alarmActions: [new actions.SnsAction(topic)] } });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }] });
    expect(nagFindings(stack).filter((f) => f.includes('Endpoint'))).toEqual([]);
  });

  test('a model package ARN is served by package, without image or artifact on the model', () => {
    const stack = newStack();
    const arn = 'arn:aws:sagemaker:us-east-1:222222222222:model-package/acme-fraud-detector/3';
    new ModelEndpoint(stack, 'Endpoint', { ...base(), variants: [{ ...base().variants[0], modelData: ModelData.fromModelPackage(arn) }] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: arn, Image: Match.absent(), ModelDataUrl: Match.absent() } });
    expect(policyStatements(t).map((s) => s.Sid)).not.toContain('ReadModelArtifacts');
  });

  test('network isolation can be turned off, variant names and environment set', () => {
    const stack = newStack();
    new ModelEndpoint(stack, 'Endpoint', {
      ...base(),
      enableNetworkIsolation: false,
      variants: [{ ...base().variants[0], variantName: 'primary', environment: { LOG_LEVEL: 'info' } }],
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: false, PrimaryContainer: Match.objectLike({ Environment: { LOG_LEVEL: 'info' } }) });
    expect(endpointConfig(t).Properties.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'primary' })]);
  });

  test('an artifact prefix (URL ending in /) is readable under that prefix only', () => {
    const stack = newStack();
    new ModelEndpoint(stack, 'Endpoint', { ...base(), variants: [{ ...base().variants[0], modelData: ModelData.fromS3Url('s3://acme-models/fraud/7/') }] });
    const t = Template.fromStack(stack);
    const read = policyStatements(t).find((s) => s.Sid === 'ReadModelArtifacts');
    expect(read?.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-models/fraud/7/*']] });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('RETAIN keeps the endpoint and its models on delete; replaced models are still deleted; configs always go', () => {
    const stack = newStack();
    new ModelEndpoint(stack, 'Endpoint', { ...base(), removalPolicy: RemovalPolicy.RETAIN });
    const t = Template.fromStack(stack);
    const ep = only(t, 'AWS::SageMaker::Endpoint');
    expect([ep.DeletionPolicy, ep.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const model = only(t, 'AWS::SageMaker::Model');
    expect([model.DeletionPolicy, model.UpdateReplacePolicy]).toEqual(['Retain', 'Delete']);
    // A config is only a description; a retained endpoint keeps serving after its config is deleted.
    expect(only(t, 'Custom::SageMakerEndpointConfig').DeletionPolicy).toBe('Delete');
    // The endpoint's own log group stays with it; the handler's logs only record deployments, and a
    // retained group of that fixed name would block creating the stack again.
    const logs = t.findResources('AWS::Logs::LogGroup');
    const policyOf = (name: string) => Object.values(logs).find((lg) => lg.Properties.LogGroupName === name)?.DeletionPolicy;
    expect(policyOf(`/aws/sagemaker/Endpoints/${NAME}`)).toBe('Retain');
    expect(policyOf(`/aws/lambda/mlspec-${stack.stackName}-sagemaker`)).toBe('Delete');
  });

  test('a given role, key and capture bucket are used instead of new ones, and the policy is attached to the role', () => {
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'Role', 'arn:aws:iam::222222222222:role/ml-endpoint');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'acme-capture');
    const endpoint = new ModelEndpoint(stack, 'Endpoint', { ...base(), role, encryptionKey: key, dataCapture: { percent: 5, bucket, prefix: 'fraud/capture' } });
    const t = Template.fromStack(stack);
    // Only the endpoint handler's role; no execution role.
    expect(Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service)).toEqual(['lambda.amazonaws.com']);
    t.resourceCountIs('AWS::KMS::Key', 0);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['ml-endpoint'] });
    t.hasResourceProperties('AWS::SageMaker::Model', { ExecutionRoleArn: 'arn:aws:iam::222222222222:role/ml-endpoint' });
    expect(endpointConfig(t).Properties).toEqual(expect.objectContaining({
      KmsKeyId: key.keyArn,
      DataCaptureConfig: expect.objectContaining({ DestinationS3Uri: 's3://acme-capture/fraud/capture', InitialSamplingPercentage: 5 }),
    }));
    expect(endpoint.role).toBe(role);
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('ModelEndpoint grants and metrics', () => {
  test('grantInvoke allows InvokeEndpoint and InvokeEndpointAsync on this endpoint only', () => {
    const stack = newStack();
    const endpoint = new ModelEndpoint(stack, 'Endpoint', fullProps());
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(caller);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Caller') }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync'],
          Resource: { Ref: Match.stringLikeRegexp('^Endpoint8') },
        }],
      },
    });
  });

  test('fromEndpointName: lower-cased ARN for grants, metrics need a variant name', () => {
    const stack = newStack();
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Imported', 'Acme-Fraud-Prod');
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(caller);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:222222222222:endpoint/acme-fraud-prod']] },
        })],
      },
    });
    const m = endpoint.metricInvocations({ variantName: 'v7' });
    expect(m.namespace).toBe('AWS/SageMaker');
    expect(m.dimensions).toEqual({ EndpointName: 'Acme-Fraud-Prod', VariantName: 'v7' });
    expect(() => endpoint.metricInvocations()).toThrow('Invocations metric of Test/Imported: pass variantName; SageMaker publishes it per variant');
  });

  test('metric helpers: namespaces, statistics and the only variant as default', () => {
    const stack = newStack();
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      endpointName: NAME,
      variants: [{ version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(url('7')), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
    });
    const summary = (m: { namespace: string; metricName: string; statistic: string; dimensions?: Record<string, unknown> }) =>
      [m.namespace, m.metricName, m.statistic, m.dimensions?.VariantName];
    expect(summary(endpoint.metricInvocations())).toEqual(['AWS/SageMaker', 'Invocations', 'Sum', 'v7']);
    expect(summary(endpoint.metricInvocation5XXErrors())).toEqual(['AWS/SageMaker', 'Invocation5XXErrors', 'Sum', 'v7']);
    expect(summary(endpoint.metricModelLatency())).toEqual(['AWS/SageMaker', 'ModelLatency', 'p99', 'v7']);
    expect(summary(endpoint.metricCpuUtilization())).toEqual(['/aws/sagemaker/Endpoints', 'CPUUtilization', 'Average', 'v7']);
    expect(summary(endpoint.metricGpuUtilization())).toEqual(['/aws/sagemaker/Endpoints', 'GPUUtilization', 'Average', 'v7']);
    expect(summary(endpoint.metric('OverheadLatency', { statistic: 'Maximum' }))).toEqual(['AWS/SageMaker', 'OverheadLatency', 'Maximum', 'v7']);
  });

  test('with several variants a metric names them when the variant is missing', () => {
    const endpoint = new ModelEndpoint(newStack(), 'Endpoint', fullProps());
    expect(() => endpoint.metricModelLatency()).toThrow('ModelLatency metric of Test/Endpoint: pass variantName; SageMaker publishes it per variant (this endpoint has v7, v8)');
    expect(endpoint.metricModelLatency({ variantName: 'v8' }).dimensions).toEqual({ EndpointName: NAME, VariantName: 'v8' });
  });
});
