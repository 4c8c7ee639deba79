import {
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListModelPackagesCommand,
  SearchCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type ProductionVariant,
} from '@aws-sdk/client-sagemaker';
import { FakeSageMaker } from './server';

/**
 * The rules of the service that the fake enforces on the operations it serves, each refused as
 * SageMaker or Application Auto Scaling refuses it (sources in server.ts), and the shapes moto
 * answers in where asked to (quirks).
 */
const ARN = 'arn:aws:sagemaker:us-east-1:111111111111';
const variant = (name: string, model?: string): ProductionVariant => ({ VariantName: name, ModelName: model, InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 1 });
const container = { Image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/serve:1', ModelDataUrl: 's3://models/m/model.tar.gz' };
const ROLE = 'arn:aws:iam::111111111111:role/model-execution';
const POLICY = { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const } };

let fake: FakeSageMaker;
beforeEach(async () => {
  fake = new FakeSageMaker();
  await fake.start();
});
afterEach(() => fake.stop());

const sm = () => fake.clients().sagemaker;
const aas = () => fake.clients().autoscaling;

describe('models, and the configs and endpoints that name them', () => {
  it('an endpoint config naming a model that does not exist is refused with SageMaker\'s words', async () => {
    await expect(sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [variant('v7', 'Missing-Model')] })))
      .rejects.toThrow(`Could not find model "${ARN}:model/missing-model".`);
    expect(fake.configs.size).toBe(0);
  });

  it('so is a shadow variant\'s model; a variant without ModelName (inference components) is taken', async () => {
    await sm().send(new CreateModelCommand({ ModelName: 'm7', ExecutionRoleArn: ROLE, PrimaryContainer: container }));
    await expect(sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [variant('v7', 'm7')], ShadowProductionVariants: [variant('v8', 'm8')] })))
      .rejects.toThrow(`Could not find model "${ARN}:model/m8".`);
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [variant('v7')] }));
  });

  it('CreateModel answers the ARN, DescribeModel the model; a name is taken once; a missing one is said so', async () => {
    expect((await sm().send(new CreateModelCommand({ ModelName: 'm7', ExecutionRoleArn: ROLE, PrimaryContainer: container, Tags: [{ Key: 'mlspec:version', Value: '7' }] }))).ModelArn).toBe(`${ARN}:model/m7`);
    const described = await sm().send(new DescribeModelCommand({ ModelName: 'm7' }));
    expect(described).toEqual(expect.objectContaining({ ModelName: 'm7', ModelArn: `${ARN}:model/m7`, ExecutionRoleArn: ROLE, PrimaryContainer: container, CreationTime: new Date(1700000000 * 1000) }));
    expect(fake.tags.get(`${ARN}:model/m7`)).toEqual({ 'mlspec:version': '7' });
    await expect(sm().send(new CreateModelCommand({ ModelName: 'm7', ExecutionRoleArn: ROLE, PrimaryContainer: container })))
      .rejects.toThrow(`Cannot create already existing model "${ARN}:model/m7".`);
    await sm().send(new DeleteModelCommand({ ModelName: 'm7' }));
    await expect(sm().send(new DescribeModelCommand({ ModelName: 'm7' }))).rejects.toThrow(`Could not find model "${ARN}:model/m7".`);
    await expect(sm().send(new DeleteModelCommand({ ModelName: 'm7' }))).rejects.toThrow(`Could not find model "${ARN}:model/m7".`);
  });

  it('a model deleted after its config was made: creating or updating an endpoint to that config is refused', async () => {
    await sm().send(new CreateModelCommand({ ModelName: 'm7', ExecutionRoleArn: ROLE, PrimaryContainer: container }));
    await sm().send(new CreateModelCommand({ ModelName: 'm8', ExecutionRoleArn: ROLE, PrimaryContainer: container }));
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c7', ProductionVariants: [variant('v7', 'm7')] }));
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c8', ProductionVariants: [variant('v8', 'm8')] }));
    await sm().send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c7' }));
    await sm().send(new DeleteModelCommand({ ModelName: 'm8' }));
    await expect(sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c8' }))).rejects.toThrow(`Could not find model "${ARN}:model/m8".`);
    await expect(sm().send(new CreateEndpointCommand({ EndpointName: 'e2', EndpointConfigName: 'c8' }))).rejects.toThrow(`Could not find model "${ARN}:model/m8".`);
    expect(fake.endpoints.get('e')?.EndpointConfigName).toBe('c7');
  });

  it('names keep the API reference\'s limits (63 characters; letters, digits and inner hyphens)', async () => {
    await expect(sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c'.repeat(64), ProductionVariants: [variant('v7')] })))
      .rejects.toThrow(`1 validation error detected: Value '${'c'.repeat(64)}' at 'endpointConfigName' failed to satisfy constraint: Member must have length less than or equal to 63`);
    await expect(sm().send(new CreateModelCommand({ ModelName: 'my_model', ExecutionRoleArn: ROLE, PrimaryContainer: container })))
      .rejects.toThrow("1 validation error detected: Value 'my_model' at 'modelName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
  });

  it('a shadow variant goes beside exactly one production variant', async () => {
    await expect(sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [variant('v7'), variant('v8')], ShadowProductionVariants: [variant('v9')] })))
      .rejects.toThrow('An endpoint config with shadow variants takes one production variant and one shadow variant; got 2 and 1.');
  });

  it('data capture needs its sampling share, destination and capture options', async () => {
    await expect(sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [variant('v7')], DataCaptureConfig: { InitialSamplingPercentage: 10, CaptureOptions: [{ CaptureMode: 'Input' }] } as never })))
      .rejects.toThrow("1 validation error detected: Value null at 'dataCaptureConfig.destinationS3Uri' failed to satisfy constraint: Member must not be null");
  });

  it('quirks.emptyDataCapture: a config without capture is described with DataCaptureConfig: {} (as moto does)', async () => {
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [variant('v7')] }));
    expect((await sm().send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'c' }))).DataCaptureConfig).toBeUndefined();
    fake.quirks.emptyDataCapture = true;
    expect((await sm().send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'c' }))).DataCaptureConfig).toEqual({});
  });
});

describe('UpdateEndpoint: Updating until done, retained variant properties, a failed update', () => {
  const w = (name: string, weight: number, count = 1): ProductionVariant => ({ ...variant(name, 'm'), InitialVariantWeight: weight, InitialInstanceCount: count });
  const describe_ = () => sm().send(new DescribeEndpointCommand({ EndpointName: 'e' }));
  const live = async () => Object.fromEntries(((await describe_()).ProductionVariants ?? []).map((v) => [v.VariantName, [v.CurrentWeight, v.CurrentInstanceCount]]));

  beforeEach(async () => {
    await sm().send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: container, ExecutionRoleArn: ROLE }));
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: [w('v7', 0), w('v8', 100)] }));
    await sm().send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c1' }));
    // Autoscaling grew v8; the walk set its weight.
    await sm().send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'e', DesiredWeightsAndCapacities: [{ VariantName: 'v8', DesiredWeight: 70, DesiredInstanceCount: 3 }] }));
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c2', ProductionVariants: [w('v8', 5), w('v9', 1)] }));
  });

  it('answers Updating for updateLooks DescribeEndpoint calls, the old config current and the new one pending; refuses another update and weights meanwhile', async () => {
    fake.updateLooks = 2;
    await sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c2' }));
    await expect(sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c1' }))).rejects.toThrow(`Cannot update in-progress endpoint "${ARN}:endpoint/e".`);
    await expect(sm().send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'e', DesiredWeightsAndCapacities: [{ VariantName: 'v8', DesiredWeight: 1 }] }))).rejects.toThrow('Cannot update in-progress endpoint');
    for (let i = 0; i < 2; i++) {
      const during = await describe_();
      expect(during).toEqual(expect.objectContaining({ EndpointStatus: 'Updating', EndpointConfigName: 'c1', PendingDeploymentSummary: expect.objectContaining({ EndpointConfigName: 'c2' }) }));
    }
    const after = await describe_();
    expect(after).toEqual(expect.objectContaining({ EndpointStatus: 'InService', EndpointConfigName: 'c2' }));
    expect(after.PendingDeploymentSummary).toBeUndefined();
  });

  it('RetainAllVariantProperties keeps the weights and counts of the variants that remain; a new variant takes the config\'s; without it, all come from the config', async () => {
    await sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c2', RetainAllVariantProperties: true }));
    expect(await live()).toEqual({ v8: [70, 3], v9: [1, 1] });
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c3', ProductionVariants: [w('v8', 5, 2)] }));
    await sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c3', RetainAllVariantProperties: true, ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }] }));
    expect(await live()).toEqual({ v8: [5, 3] });
    await sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c2' }));
    expect(await live()).toEqual({ v8: [5, 1], v9: [1, 1] });
  });

  it('a failed update leaves the endpoint InService on its old config with the FailureReason, until the next update', async () => {
    fake.updateLooks = 1;
    fake.updateFailures.set('e', 'Failed to provision the new fleet: insufficient capacity for ml.m5.xlarge.');
    await sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c2', RetainAllVariantProperties: true }));
    expect((await describe_()).EndpointStatus).toBe('Updating');
    expect(await describe_()).toEqual(expect.objectContaining({ EndpointStatus: 'InService', EndpointConfigName: 'c1', FailureReason: 'Failed to provision the new fleet: insufficient capacity for ml.m5.xlarge.' }));
    expect(await live()).toEqual({ v7: [0, 1], v8: [70, 3] });
    fake.updateLooks = 0;
    await sm().send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c2', RetainAllVariantProperties: true }));
    const after = await describe_();
    expect(after).toEqual(expect.objectContaining({ EndpointStatus: 'InService', EndpointConfigName: 'c2' }));
    expect(after.FailureReason).toBeUndefined();
  });
});

describe('the model registry: pages and Search', () => {
  async function registry(n: number) {
    await sm().send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'g' }));
    await sm().send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'other' }));
    for (let i = 1; i <= n; i++) {
      await sm().send(new CreateModelPackageCommand({ ModelPackageGroupName: 'g', CustomerMetadataProperties: { 'mlspec:version': `l${i}` }, Tags: i % 2 ? [{ Key: 'mlspec:version', Value: `l${i}` }] : undefined }));
    }
    await sm().send(new CreateModelPackageCommand({ ModelPackageGroupName: 'other', Tags: [{ Key: 'mlspec:version', Value: 'l1' }] }));
  }
  const inGroup = { Name: 'ModelPackageGroupName', Operator: 'Equals' as const, Value: 'g' };

  it('ListModelPackages and Search take at most 100 a page', async () => {
    await expect(sm().send(new ListModelPackagesCommand({ ModelPackageGroupName: 'g', MaxResults: 101 })))
      .rejects.toThrow("1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
    await expect(sm().send(new SearchCommand({ Resource: 'ModelPackage', SearchExpression: { Filters: [inGroup] }, MaxResults: 101 })))
      .rejects.toThrow("Member must have value less than or equal to 100");
  });

  it('Search: a filter on a tag, or on its absence, within the group; newest first; in pages with a NextToken', async () => {
    await registry(5);
    const search = (filters: object[], extra: object = {}) => sm().send(new SearchCommand({ Resource: 'ModelPackage', SearchExpression: { Filters: [inGroup, ...filters] as never, Operator: 'And' }, SortBy: 'CreationTime', SortOrder: 'Descending', ...extra }));
    const versions = (out: Awaited<ReturnType<typeof search>>) => out.Results?.map((r) => r.ModelPackage?.ModelPackageVersion);
    const tagged = await search([{ Name: 'Tags.mlspec:version', Operator: 'Equals', Value: 'l1' }]);
    expect(versions(tagged)).toEqual([1]);
    expect(tagged.Results?.[0].ModelPackage).toEqual(expect.objectContaining({ ModelPackageGroupName: 'g', CustomerMetadataProperties: { 'mlspec:version': 'l1' }, Tags: [{ Key: 'mlspec:version', Value: 'l1' }] }));
    expect(versions(await search([{ Name: 'Tags.mlspec:version', Operator: 'NotExists' }]))).toEqual([4, 2]);
    const first = await search([{ Name: 'Tags.mlspec:version', Operator: 'Exists' }], { MaxResults: 2 });
    expect([versions(first), first.TotalHits]).toEqual([[5, 3], { Value: 3, Relation: 'EqualTo' }]);
    expect(versions(await search([{ Name: 'Tags.mlspec:version', Operator: 'Exists' }], { MaxResults: 2, NextToken: first.NextToken }))).toEqual([1]);
    // Or, and a Value without an Operator (Equals).
    const either = await sm().send(new SearchCommand({ Resource: 'ModelPackage', SearchExpression: { Filters: [inGroup], SubExpressions: [{ Filters: [{ Name: 'ModelPackageVersion', Value: '2' }, { Name: 'ModelPackageVersion', Value: '5' }], Operator: 'Or' }] }, SortBy: 'CreationTime', SortOrder: 'Ascending' }));
    expect(versions(either)).toEqual([2, 5]);
  });

  it('Search refuses what the API reference does not document (a CustomerMetadataProperties key), and an empty expression', async () => {
    await expect(sm().send(new SearchCommand({ Resource: 'ModelPackage', SearchExpression: { Filters: [{ Name: 'CustomerMetadataProperties.mlspec:version', Operator: 'Equals', Value: '7' }] } })))
      .rejects.toThrow('This fake does not filter ModelPackage on CustomerMetadataProperties.mlspec:version');
    await expect(sm().send(new SearchCommand({ Resource: 'ModelPackage', SearchExpression: {} })))
      .rejects.toThrow('A SearchExpression must hold at least one subexpression, filter, or nested filter.');
  });
});

describe('Application Auto Scaling: pages, and the answers moto gives', () => {
  const id = (v: string) => `endpoint/e/variant/${v}`;
  const key = { ServiceNamespace: 'sagemaker' as const, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' as const };

  async function autoscaled(variants: string[]) {
    await sm().send(new CreateModelCommand({ ModelName: 'm', ExecutionRoleArn: ROLE, PrimaryContainer: container }));
    await sm().send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: variants.map((v) => variant(v, 'm')) }));
    await sm().send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c' }));
    for (const v of variants) {
      await aas().send(new RegisterScalableTargetCommand({ ...key, ResourceId: id(v), MinCapacity: 1, MaxCapacity: 2 }));
      await aas().send(new PutScalingPolicyCommand({ ...key, ResourceId: id(v), PolicyName: 'p', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: POLICY }));
    }
  }

  it('DescribeScalingPolicies answers 10 a page at most (MaxResults 1-10), DescribeScalableTargets 50', async () => {
    await autoscaled(Array.from({ length: 12 }, (_, i) => `v${i}`));
    const first = await aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker' }));
    expect(first.ScalingPolicies).toHaveLength(10);
    expect((await aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', NextToken: first.NextToken }))).ScalingPolicies).toHaveLength(2);
    await expect(aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', MaxResults: 11 })))
      .rejects.toThrow("1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10");
    expect((await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', MaxResults: 5 }))).ScalableTargets).toHaveLength(5);
    await expect(aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', MaxResults: 51 })))
      .rejects.toThrow('Member must have value less than or equal to 50');
  });

  it('by default the filters are exact; quirks.scalingPolicies answers as moto (a substring of the ResourceId, PolicyNames unread) or with the whole namespace', async () => {
    await autoscaled(['v7', 'v70', 'v8']);
    const asked = { ServiceNamespace: 'sagemaker' as const, ResourceId: id('v70'), PolicyNames: ['p'] };
    const ids = async () => (await aas().send(new DescribeScalingPoliciesCommand(asked))).ScalingPolicies?.map((p) => p.ResourceId);
    expect(await ids()).toEqual([id('v70')]);
    fake.quirks.scalingPolicies = 'moto';
    expect(await ids()).toEqual([id('v7'), id('v70')]);
    fake.quirks.scalingPolicies = 'namespace';
    expect(await ids()).toEqual([id('v7'), id('v70'), id('v8')]);
    // Deregistering still deletes the target's own policies only.
    await aas().send(new DeregisterScalableTargetCommand({ ...key, ResourceId: id('v7') }));
    expect(await ids()).toEqual([id('v70'), id('v8')]);
  });
});
