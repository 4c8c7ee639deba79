import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addModelStacks, ModelEndpoint, ModelStack } from '../../constructs';
import { toRollout } from '../../constructs/model-stack';
import { ACCOUNT, fullPlan, IMAGE, modelPlan, REGION, sagemakerPlan, variant } from './fixtures';
import { nagFindings, only, endpointConfig, policyStatements, registry, variantScaling } from './helpers';
import { modelStackProps } from './project-of';

describe('ModelStack from a staging plan', () => {
  const app = new App();
  const stack = new ModelStack(app, 'Staging', modelStackProps(modelPlan('staging')));
  const template = Template.fromStack(stack);

  test('stack name, account and region come from the plan; not protected', () => {
    expect(stack.stackName).toBe('acme-fraud-detector-staging');
    expect([stack.account, stack.region]).toEqual([ACCOUNT, REGION]);
    expect(stack.terminationProtection).toBe(false);
  });

  test('registry from plan.sagemaker.registry', () => {
    const { group, versions } = registry(template);
    expect(group?.spec.name).toBe('acme-fraud-detector');
    expect(versions).toHaveLength(2);
    expect(versions[1].spec).toEqual(expect.objectContaining({
      approvalStatus: 'PendingManualApproval',
      metadata: { 'mlspec:version': '8', 'metric:accuracy': '0.971', 'metric:f1': '0.925' },
      instanceTypes: ['ml.m5.xlarge'],
    }));
  });

  test('endpoint from plan.sagemaker.serving: variants, weights, capture, canary, alarms, autoscaling', () => {
    const config = endpointConfig(template);
    expect(config.Properties.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'v7', InitialVariantWeight: 90, InitialInstanceCount: 2, InstanceType: 'ml.m5.xlarge' }),
      expect.objectContaining({ VariantName: 'v8', InitialVariantWeight: 10, InitialInstanceCount: 1, InstanceType: 'ml.m5.xlarge' }),
    ]);
    expect(config.Properties.DataCaptureConfig).toEqual(expect.objectContaining({ InitialSamplingPercentage: 20 }));
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: 'acme-fraud-detector-staging',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 600 },
          TerminationWaitInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: 4800,
        },
        AutoRollbackConfiguration: { Alarms: Match.anyValue() },
      },
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Threshold: 800000 });
    expect(variantScaling(template).variants).toEqual([
      expect.objectContaining({ variantName: 'v7', instanceType: 'ml.m5.xlarge', minCapacity: 2, maxCapacity: 6 }),
      expect.objectContaining({ variantName: 'v8', instanceType: 'ml.m5.xlarge', minCapacity: 1, maxCapacity: 4 }),
    ]);
  });

  test('not protected: the endpoint goes with the stack', () => {
    expect(only(template, 'AWS::SageMaker::Endpoint').DeletionPolicy).toBe('Delete');
  });

  test('tags: project, model and environment; the shared registry is not tagged with the environment', () => {
    const ep = only(template, 'AWS::SageMaker::Endpoint');
    expect(ep.Properties.Tags).toEqual(expect.arrayContaining([
      { Key: 'mlspec:project', Value: 'acme' }, { Key: 'mlspec:model', Value: 'fraud-detector' }, { Key: 'mlspec:environment', Value: 'staging' },
    ]));
    const { group, versions } = registry(template);
    expect(group?.spec.tags).toEqual({ 'mlspec:model': 'fraud-detector', 'mlspec:project': 'acme' });
    for (const v of versions) expect(v.spec.tags).toEqual({ 'mlspec:model': 'fraud-detector', 'mlspec:project': 'acme' });
  });

  test('one handler function serves the registry and the endpoint, its role scoped to both', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    const actions = policyStatements(template).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]) as string[]);
    expect(actions).toEqual(expect.arrayContaining(['sagemaker:CreateModelPackage', 'sagemaker:CreateEndpointConfig', 'application-autoscaling:RegisterScalableTarget']));
  });

  test('the facade exposes what it built', () => {
    expect(stack.sagemaker?.endpoint).toBeInstanceOf(ModelEndpoint);
    expect(stack.sagemaker?.registry.modelPackageGroupName).toBe('acme-fraud-detector');
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

/** The fixture's prod model in an environment protected or not, with a removal policy or the environment's default. */
function prodStack(options: { protected: boolean; removalPolicy?: RemovalPolicy }): ModelStack {
  return new ModelStack(new App(), 'Prod', { ...modelStackProps(modelPlan('prod'), { protected: options.protected }), removalPolicy: options.removalPolicy });
}

describe.each([
  ['in a protected environment', () => prodStack({ protected: true })],
  ['with removalPolicy RETAIN in an unprotected environment', () => prodStack({ protected: false, removalPolicy: RemovalPolicy.RETAIN })],
])('ModelStack %s', (_case, build) => {
  const stack = build();
  const template = Template.fromStack(stack);

  test('termination protection on', () => {
    expect(stack.terminationProtection).toBe(true);
  });

  test('the endpoint is retained (Retain), models are kept on stack delete', () => {
    const ep = only(template, 'AWS::SageMaker::Endpoint');
    expect([ep.DeletionPolicy, ep.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const models = Object.values(template.findResources('AWS::SageMaker::Model'));
    expect(models).toHaveLength(2);
    for (const r of models) expect(r.DeletionPolicy).toBe('Retain');
    expect(variantScaling(template).retain).toBe('true');
  });

  test('registry and the endpoint\'s key keep RetainExceptOnCreate; the stack\'s handler\'s log key goes with its logs', () => {
    expect(registry(template).group?.DeletionPolicy).toBe('RetainExceptOnCreate');
    const keys = Object.entries(template.findResources('AWS::KMS::Key'));
    expect(keys.map(([id, k]) => [id.startsWith('MlspecSageMakerHandler') ? 'handler' : 'endpoint', k.DeletionPolicy]).sort()).toEqual([['endpoint', 'RetainExceptOnCreate'], ['handler', 'Delete']]);
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('removalPolicy overrides the environment\'s protected', () => {
  test('RETAIN in an unprotected environment: the same template as the protected environment\'s, termination protection on', () => {
    const retained = prodStack({ protected: false, removalPolicy: RemovalPolicy.RETAIN });
    const protectedEnv = prodStack({ protected: true });
    const unprotectedEnv = prodStack({ protected: false });
    expect(Template.fromStack(retained).toJSON()).toEqual(Template.fromStack(protectedEnv).toJSON());
    // The environment's default does differ: the override is what makes them equal.
    expect(Template.fromStack(unprotectedEnv).toJSON()).not.toEqual(Template.fromStack(protectedEnv).toJSON());
    expect([retained.terminationProtection, unprotectedEnv.terminationProtection]).toEqual([true, false]);
  });

  test('DESTROY in a protected environment: the endpoint and its models go with the stack, no termination protection', () => {
    const destroyed = prodStack({ protected: true, removalPolicy: RemovalPolicy.DESTROY });
    const t = Template.fromStack(destroyed);
    expect(destroyed.terminationProtection).toBe(false);
    const ep = only(t, 'AWS::SageMaker::Endpoint');
    expect([ep.DeletionPolicy, ep.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
    const models = Object.values(t.findResources('AWS::SageMaker::Model'));
    expect(models).toHaveLength(2);
    for (const r of models) expect(r.DeletionPolicy).toBe('Delete');
    expect(variantScaling(t).retain).toBe('false');
    // The registry keeps its versions whatever the policy.
    expect(registry(t).group?.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(t.toJSON()).toEqual(Template.fromStack(prodStack({ protected: false })).toJSON());
  });
});

describe('ModelStack variations', () => {
  test('a model not served here gets its registry only', () => {
    const stack = new ModelStack(new App(), 'Dev', modelStackProps(modelPlan('dev', { released: false, sagemaker: sagemakerPlan({ serving: undefined }) })));
    const t = Template.fromStack(stack);
    expect(registry(t).group).toBeDefined();
    t.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    // Only the registry handler's log key: no endpoint key.
    t.resourceCountIs('AWS::KMS::Key', 1);
    expect(stack.sagemaker?.endpoint).toBeUndefined();
  });

  test('a stack that does not own the registry imports it and registers no versions', () => {
    const stack = new ModelStack(new App(), 'Dev', { ...modelStackProps(modelPlan('dev')), ownsRegistry: false });
    const t = Template.fromStack(stack);
    expect(registry(t)).toEqual({ group: undefined, versions: [] });
    t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  test('shadow, trained versions by package ARN, and GPU autoscaling map from the plan', () => {
    const arn = 'arn:aws:sagemaker:us-east-1:222222222222:model-package/acme-fraud-detector/12';
    const base = sagemakerPlan().serving!;
    const plan = modelPlan('staging', {
      sagemaker: sagemakerPlan({
        serving: {
          ...base,
          variants: [variant('7', { instanceType: 'ml.g5.2xlarge', acceleratorCount: 1 })],
          shadowVariant: variant('9', { modelDataUrl: undefined, modelPackageArn: arn, artifactPrefix: 's3://acme-models/fraud/trained/', instanceType: 'ml.g5.2xlarge', acceleratorCount: 1, weight: 25 }),
          autoscaling: { metric: 'gpu', target: 60 },
          rollout: { strategy: 'linear', percent: 20, waitSeconds: 300, steps: [20, 40, 60, 80, 100].map((percent) => ({ percent, bakeSeconds: 300 })) },
        },
      }),
    });
    const stack = new ModelStack(new App(), 'Gpu', modelStackProps(plan));
    const t = Template.fromStack(stack);
    expect(endpointConfig(t).Properties.KmsKeyId).toBeUndefined();
    expect(endpointConfig(t).Properties.ShadowProductionVariants).toEqual([expect.objectContaining({ VariantName: 'v9', InitialVariantWeight: 25 })]);
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: arn } });
    // The trained version's artifacts (training output) are readable by the execution role.
    const reads = policyStatements(t).find((st) => st.Sid === 'ReadModelArtifacts');
    expect(JSON.stringify(reads?.Resource)).toContain(':s3:::acme-models/fraud/trained/*');
    expect(variantScaling(t).variants[0].policy).toEqual(expect.objectContaining({ CustomizedMetricSpecification: expect.objectContaining({ MetricName: 'GPUUtilization' }), TargetValue: 60 }));
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: Match.objectLike({ BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 }, WaitIntervalInSeconds: 300 } }) }),
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('the plan\'s rollout in SageMaker\'s terms', () => {
    const all = toRollout({ strategy: 'all-at-once', steps: [{ percent: 100, bakeSeconds: 120 }] });
    expect([all.routingType, all.waitSeconds, all.terminationWaitSeconds]).toEqual(['ALL_AT_ONCE', 120, 0]);
    const canary = toRollout({ strategy: 'canary', percent: 5, waitSeconds: 900, steps: [{ percent: 5, bakeSeconds: 900 }, { percent: 100, bakeSeconds: 300 }] });
    expect([canary.routingType, canary.percent, canary.waitSeconds, canary.terminationWaitSeconds]).toEqual(['CANARY', 5, 900, 300]);
  });

  test('an invalid plan fails with the construct\'s message', () => {
    const plan = modelPlan('staging', { sagemaker: sagemakerPlan({ serving: { ...sagemakerPlan().serving!, variants: [variant('7', { weight: 90 }), variant('8', { weight: 20, image: IMAGE })] } }) });
    expect(() => new ModelStack(new App(), 'Bad', modelStackProps(plan))).toThrow('variants: weights add up to 110 (v7=90, v8=20); they must add up to 100');
  });
});

describe('addModelStacks', () => {
  const app = new App();
  const stacks = addModelStacks(app, fullPlan());

  test('one stack per model per environment with an aws block, named and placed by the plan', () => {
    expect(stacks.map((s) => [s.stackName, s.account, s.region, s.terminationProtection])).toEqual([
      ['acme-fraud-detector-dev', ACCOUNT, REGION, false],
      ['acme-fraud-detector-staging', ACCOUNT, REGION, false],
      ['acme-fraud-detector-prod', '333333333333', REGION, true],
    ]);
  });

  test('environments sharing an account and region share one registry: the first owns it, the next imports it', () => {
    const groups = stacks.map((s) => Template.fromStack(s).findResources('Custom::SageMakerModelPackageGroup'));
    expect(groups.map((g) => Object.keys(g).length)).toEqual([1, 0, 1]);
    expect(stacks[1].sagemaker?.registry.modelPackageGroupName).toBe('acme-fraud-detector');
  });
});
