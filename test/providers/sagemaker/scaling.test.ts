import { createModels, FakeSageMaker } from '../../fakes/sagemaker/server';
import { POLICY_NAME, reconcileScaling, removeScaling, type VariantScaling } from '../../../lib/providers/sagemaker/scaling';

const ENDPOINT = 'acme-fraud-detector-prod';
const INVOCATIONS = { TargetValue: 200, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const }, ScaleInCooldown: 300, ScaleOutCooldown: 60 };

const scaling = (variantName: string, over: Partial<VariantScaling> = {}): VariantScaling =>
  ({ variantName, instanceType: 'ml.g5.xlarge', minCapacity: 1, maxCapacity: 4, policy: INVOCATIONS, ...over });

let fake: FakeSageMaker;
let configs = 0;

beforeEach(async () => {
  fake = new FakeSageMaker();
  await fake.start();
});
afterEach(() => fake.stop());

/**
 * One `cdk deploy` as CloudFormation orders it: the `before` resource, then the endpoint (created or
 * updated to a new config), then the `after` resource. Returns what each phase changed.
 */
async function deploy(variants: VariantScaling[], weights?: Record<string, number>) {
  const clients = fake.clients();
  const before = await reconcileScaling(clients, ENDPOINT, variants);
  const name = `${ENDPOINT}-c${++configs}`;
  // CloudFormation makes each model (AWS::SageMaker::Model) before the config that names it.
  await createModels(fake, variants.map((v) => `m-${v.variantName}`));
  await clients.sagemaker.send(new (await import('@aws-sdk/client-sagemaker')).CreateEndpointConfigCommand({
    EndpointConfigName: name,
    ProductionVariants: variants.map((v) => ({ VariantName: v.variantName, ModelName: `m-${v.variantName}`, InstanceType: v.instanceType as never, InitialInstanceCount: v.minCapacity, InitialVariantWeight: weights?.[v.variantName] ?? 1 })),
  }));
  const sm = await import('@aws-sdk/client-sagemaker');
  if (fake.endpoints.has(ENDPOINT)) await clients.sagemaker.send(new sm.UpdateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: name, RetainAllVariantProperties: true }));
  else await clients.sagemaker.send(new sm.CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: name }));
  const after = await reconcileScaling(clients, ENDPOINT, variants);
  return { before, after };
}

const registered = () => [...fake.targets.values()].map((t) => `${t.ResourceId.split('/').pop()}:${t.MinCapacity}-${t.MaxCapacity}`).sort();

describe('SageMaker variant autoscaling against the fake (real SDK clients, AWS JSON 1.1)', () => {
  it('first deploy: nothing to do before the endpoint exists; after it, one target and one policy per variant', async () => {
    const { before, after } = await deploy([scaling('v7', { maxCapacity: 6 }), scaling('v8')]);
    expect(before).toEqual({ registered: [], policies: [], deregistered: [], waiting: ['v7', 'v8'] });
    expect(after.registered).toEqual(['v7', 'v8']);
    expect(after.policies).toEqual(['v7', 'v8']);
    expect(registered()).toEqual(['v7:1-6', 'v8:1-4']);
    expect(fake.policies.get(`endpoint/${ENDPOINT}/variant/v7|${POLICY_NAME}`)?.TargetTrackingScalingPolicyConfiguration).toEqual(INVOCATIONS);
  });

  it('a re-run writes nothing', async () => {
    const variants = [scaling('v7'), scaling('v8')];
    await deploy(variants);
    const from = fake.calls.length;
    const again = await reconcileScaling(fake.clients(), ENDPOINT, variants);
    expect(again).toEqual({ registered: [], policies: [], deregistered: [], waiting: [] });
    expect(fake.writes(from)).toEqual([]);
    // DescribeEndpoint, DescribeEndpointConfig, one DescribeScalableTargets, a DescribeScalingPolicies per variant.
    expect(fake.calls.slice(from)).toEqual([
      'SageMaker.DescribeEndpoint', 'SageMaker.DescribeEndpointConfig', 'AutoScaling.DescribeScalableTargets',
      'AutoScaling.DescribeScalingPolicies', 'AutoScaling.DescribeScalingPolicies',
    ]);
  });

  it('retiring an autoscaled version: the endpoint update SageMaker would refuse goes through, because v7 is deregistered first', async () => {
    await deploy([scaling('v7'), scaling('v8')]);
    const from = fake.calls.length;
    const { before, after } = await deploy([scaling('v8')]);
    expect(before.deregistered).toEqual(['v7']);
    expect(after).toEqual({ registered: [], policies: [], deregistered: [], waiting: [] });
    expect(registered()).toEqual(['v8:1-4']);
    expect([...fake.policies.keys()]).toEqual([`endpoint/${ENDPOINT}/variant/v8|${POLICY_NAME}`]);
    expect(fake.writes(from)).toEqual(['AutoScaling.DeregisterScalableTarget', 'SageMaker.CreateEndpointConfig', 'SageMaker.UpdateEndpoint']);
  });

  it('without that step the fake refuses the update as SageMaker does (what CloudFormation\'s native resources run into)', async () => {
    await deploy([scaling('v7'), scaling('v8')]);
    const clients = fake.clients();
    const sm = await import('@aws-sdk/client-sagemaker');
    await clients.sagemaker.send(new sm.CreateEndpointConfigCommand({ EndpointConfigName: 'only-v8', ProductionVariants: [{ VariantName: 'v8', ModelName: 'm-v8', InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1 }] }));
    await expect(clients.sagemaker.send(new sm.UpdateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'only-v8' })))
      .rejects.toThrow('The variant(s) "[v7]" must be deregistered as scalable targets with AWS Application Auto Scaling before they can be removed or have their instance type updated.');
  });

  it('a new instance type: deregistered before the update, registered again (with its policy) after it', async () => {
    await deploy([scaling('v7')]);
    const { before, after } = await deploy([scaling('v7', { instanceType: 'ml.g5.2xlarge', maxCapacity: 3 })]);
    expect(before.deregistered).toEqual(['v7']);
    expect(after.registered).toEqual(['v7']);
    expect(after.policies).toEqual(['v7']);
    expect(registered()).toEqual(['v7:1-3']);
  });

  it('adding a version: registered after the update, the serving one untouched', async () => {
    await deploy([scaling('v7')]);
    const from = fake.calls.length;
    const { before, after } = await deploy([scaling('v7'), scaling('v8')]);
    expect(before).toEqual({ registered: [], policies: [], deregistered: [], waiting: ['v8'] });
    expect(after.registered).toEqual(['v8']);
    // v8's model (CloudFormation's), its config, the endpoint update, then v8's scaling.
    expect(fake.writes(from)).toEqual(['SageMaker.CreateModel', 'SageMaker.CreateEndpointConfig', 'SageMaker.UpdateEndpoint', 'AutoScaling.RegisterScalableTarget', 'AutoScaling.PutScalingPolicy']);
  });

  it('new capacity limits are one RegisterScalableTarget; a new target value is one PutScalingPolicy', async () => {
    await deploy([scaling('v7')]);
    let from = fake.calls.length;
    const limits = await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7', { maxCapacity: 10 })]);
    expect(limits.registered).toEqual(['v7']);
    expect(fake.writes(from)).toEqual(['AutoScaling.RegisterScalableTarget']);
    from = fake.calls.length;
    const target = await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7', { maxCapacity: 10, policy: { ...INVOCATIONS, TargetValue: 150 } })]);
    expect(target.policies).toEqual(['v7']);
    expect(fake.writes(from)).toEqual(['AutoScaling.PutScalingPolicy']);
  });

  it('a failed update rolled back: the `before` run with the old state registers v7 again', async () => {
    await deploy([scaling('v7'), scaling('v8')]);
    const clients = fake.clients();
    // The new state drops v7; its `before` run deregisters it; then the endpoint update fails and SageMaker keeps the old config.
    await reconcileScaling(clients, ENDPOINT, [scaling('v8')]);
    expect(registered()).toEqual(['v8:1-4']);
    // CloudFormation rolls back: the `before` resource is updated back to the old state.
    const rollback = await reconcileScaling(clients, ENDPOINT, [scaling('v7'), scaling('v8')]);
    expect(rollback.registered).toEqual(['v7']);
    expect(rollback.policies).toEqual(['v7']);
    expect(registered()).toEqual(['v7:1-4', 'v8:1-4']);
  });

  it('GPU utilisation as a customized metric compares equal regardless of dimension order (no rewrite)', async () => {
    const gpu = { TargetValue: 280, CustomizedMetricSpecification: { MetricName: 'GPUUtilization', Namespace: '/aws/sagemaker/Endpoints', Statistic: 'Average' as const, Dimensions: [{ Name: 'EndpointName', Value: ENDPOINT }, { Name: 'VariantName', Value: 'v7' }] }, ScaleInCooldown: 300, ScaleOutCooldown: 60 };
    await deploy([scaling('v7', { policy: gpu })]);
    const reversed = { ...gpu, CustomizedMetricSpecification: { ...gpu.CustomizedMetricSpecification, Dimensions: [...gpu.CustomizedMetricSpecification.Dimensions].reverse() } };
    const from = fake.calls.length;
    expect((await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7', { policy: reversed })])).policies).toEqual([]);
    expect(fake.writes(from)).toEqual([]);
  });

  it('throttling is retried by the SDK', async () => {
    await deploy([scaling('v7')]);
    fake.throttle.set('DescribeScalableTargets', 2);
    fake.targets.clear();
    const out = await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7')]);
    expect(out.registered).toEqual(['v7']);
    expect(fake.calls.filter((c) => c === 'AutoScaling.DescribeScalableTargets')).toHaveLength(1 + 2 + 1); // first deploy's `after` run; two throttled; the retry
  });

  it('removeScaling deregisters what is registered and tolerates what is already gone', async () => {
    await deploy([scaling('v7'), scaling('v8')]);
    await fake.clients().autoscaling.send(new (await import('@aws-sdk/client-application-auto-scaling')).DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', ResourceId: `endpoint/${ENDPOINT}/variant/v8` }));
    expect(await removeScaling(fake.clients(), ENDPOINT, ['v7', 'v8'])).toEqual(['v7']);
    expect(fake.targets.size).toBe(0);
    expect(await removeScaling(fake.clients(), ENDPOINT, ['v7', 'v8'])).toEqual([]);
  });

  it('an endpoint that is gone: nothing to scale, every desired variant waits', async () => {
    const out = await reconcileScaling(fake.clients(), 'nope', [scaling('v7')]);
    expect(out).toEqual({ registered: [], policies: [], deregistered: [], waiting: ['v7'] });
  });
});

describe('our policy is the one of this variant, also where DescribeScalingPolicies answers more than it was asked (as moto does)', () => {
  const fast = { ...INVOCATIONS, TargetValue: 70 };
  const slow = { ...INVOCATIONS, TargetValue: 700 };
  const policyOf = (variant: string) => (fake.policies.get(`endpoint/${ENDPOINT}/variant/${variant}|${POLICY_NAME}`)?.TargetTrackingScalingPolicyConfiguration as { TargetValue?: number } | undefined)?.TargetValue;

  it.each(['moto', 'namespace'] as const)('v7 and v70 autoscaled with different targets (%s): a re-run writes nothing', async (quirk) => {
    // v7's resource id is a prefix of v70's: moto answers a question about v70 with v7's policy first.
    await deploy([scaling('v7', { policy: slow }), scaling('v70', { policy: fast })]);
    fake.quirks.scalingPolicies = quirk;
    const from = fake.calls.length;
    const again = await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7', { policy: slow }), scaling('v70', { policy: fast })]);
    expect(again).toEqual({ registered: [], policies: [], deregistered: [], waiting: [] });
    expect(fake.writes(from)).toEqual([]);
  });

  it.each(['moto', 'namespace'] as const)('v7 and v70 on the same target, v70\'s changed by hand (%s): v70\'s is put back, v7\'s is left alone', async (quirk) => {
    await deploy([scaling('v7', { policy: fast }), scaling('v70', { policy: fast })]);
    fake.policies.get(`endpoint/${ENDPOINT}/variant/v70|${POLICY_NAME}`)!.TargetTrackingScalingPolicyConfiguration = slow;
    fake.quirks.scalingPolicies = quirk;
    const from = fake.calls.length;
    // Taking v7's policy (the first answered) for v70's would see nothing to do.
    const out = await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7', { policy: fast }), scaling('v70', { policy: fast })]);
    expect(out.policies).toEqual(['v70']);
    expect(fake.writes(from)).toEqual(['AutoScaling.PutScalingPolicy']);
    expect([policyOf('v7'), policyOf('v70')]).toEqual([70, 70]);
  });

  it('a policy of another name on the variant (someone else\'s step scaling) is not taken for ours', async () => {
    await deploy([scaling('v7')]);
    // A second policy of v7 that sorts first, with another name and another target.
    const key = `endpoint/${ENDPOINT}/variant/v7|${POLICY_NAME}`;
    const ours = fake.policies.get(key)!;
    fake.policies.delete(key);
    fake.policies.set(`endpoint/${ENDPOINT}/variant/v7|a-team-policy`, { ...ours, PolicyName: 'a-team-policy', TargetTrackingScalingPolicyConfiguration: slow });
    fake.policies.set(key, ours);
    fake.quirks.scalingPolicies = 'moto';
    const from = fake.calls.length;
    expect((await reconcileScaling(fake.clients(), ENDPOINT, [scaling('v7')])).policies).toEqual([]);
    expect(fake.writes(from)).toEqual([]);
  });

  it('twelve autoscaled variants and every policy answered (pages of 10): each finds its own, on whichever page it is', async () => {
    const variants = Array.from({ length: 12 }, (_, i) => scaling(`v${i + 1}`, { policy: { ...INVOCATIONS, TargetValue: 100 + i } }));
    await deploy(variants);
    fake.quirks.scalingPolicies = 'namespace';
    const from = fake.calls.length;
    expect((await reconcileScaling(fake.clients(), ENDPOINT, variants)).policies).toEqual([]);
    expect(fake.writes(from)).toEqual([]);
  });
});
