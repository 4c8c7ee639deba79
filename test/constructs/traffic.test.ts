import { CreateEndpointCommand, CreateEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ContainerImage, InstanceType, ModelData, ModelEndpoint, type ModelEndpointProps } from '../../constructs/sagemaker';
import { onEvent, type SageMakerEvent } from '../../lib/handlers/sagemaker';
import { createModels, FakeSageMaker } from '../fakes/sagemaker/server';
import { endpointConfig, newStack } from './helpers';

const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu';
const variant = (version: string, weight: number) => ({ version, image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(`s3://acme-models/fraud/${version}/model.tar.gz`), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight });

/** The template of an endpoint serving these weights. */
function synth(weights: Record<string, number>, extra: (stack: Stack) => Partial<ModelEndpointProps> = () => ({})): Template {
  const stack = newStack();
  new ModelEndpoint(stack, 'Endpoint', { endpointName: 'acme-fraud-prod', variants: Object.entries(weights).map(([v, w]) => variant(v, w)), ...extra(stack) });
  return Template.fromStack(stack);
}

function customResources(t: Template, type: string): Record<string, { Properties: Record<string, any> }> {
  return t.findResources(type) as never;
}

// The handler logs what it did, as it does in Lambda; tests read the fake instead.
beforeAll(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('traffic-only changes never rebuild the fleet', () => {
  const before = synth({ '7': 90, '8': 10 });
  const after = synth({ '7': 50, '8': 50 });
  const added = synth({ '7': 90, '8': 5, '9': 5 });

  it('a weight-only change keeps the endpoint config: same resource, same name, so no blue/green', () => {
    const a = endpointConfig(before);
    const b = endpointConfig(after);
    expect(b.logicalId).toBe(a.logicalId);
    expect(b.Properties.EndpointConfigName).toBe(a.Properties.EndpointConfigName);
    // The endpoint points at the same config name, so CloudFormation does not update it.
    const endpointOf = (t: Template) => Object.values(t.findResources('AWS::SageMaker::Endpoint'))[0].Properties;
    expect(endpointOf(after)).toEqual(endpointOf(before));
    expect(before.toJSON().Resources.length).toBe(after.toJSON().Resources.length);
  });

  it('only the weights resource asks for a new split, with DesiredWeight alone (autoscaled counts stay)', () => {
    const [id, weights] = Object.entries(customResources(after, 'Custom::SageMakerVariantWeights'))[0];
    expect(Object.keys(customResources(before, 'Custom::SageMakerVariantWeights'))).toEqual([id]);
    expect(weights.Properties.EndpointName).toBe('acme-fraud-prod');
    expect(JSON.parse(weights.Properties.Weights)).toEqual([{ VariantName: 'v7', DesiredWeight: 50 }, { VariantName: 'v8', DesiredWeight: 50 }]);
  });

  it('the name is stable from one synth to the next, and another key (a reference, not a plain value) makes another config', () => {
    expect(endpointConfig(synth({ '7': 90, '8': 10 })).Properties.EndpointConfigName).toBe(endpointConfig(before).Properties.EndpointConfigName);
    const ownKey = synth({ '7': 90, '8': 10 }, (stack) => ({ encryptionKey: new kms.Key(stack, 'TeamKey', { enableKeyRotation: true }) }));
    expect(endpointConfig(ownKey).Properties.EndpointConfigName).not.toBe(endpointConfig(before).Properties.EndpointConfigName);
  });

  it('a version change makes a new config (new name), which the endpoint reaches through blue/green', () => {
    const a = endpointConfig(before);
    const c = endpointConfig(added);
    expect(c.logicalId).not.toBe(a.logicalId);
    expect(c.Properties.EndpointConfigName).not.toBe(a.Properties.EndpointConfigName);
    expect(c.Properties.ProductionVariants.map((v: { VariantName: string; InitialVariantWeight: number }) => [v.VariantName, v.InitialVariantWeight])).toEqual([['v7', 90], ['v8', 5], ['v9', 5]]);
    const endpoint = Object.values(added.findResources('AWS::SageMaker::Endpoint'))[0].Properties;
    expect(endpoint.EndpointConfigName).toBe(c.Properties.EndpointConfigName);
  });
});

describe('the custom resources against the fake SageMaker (our handler, the real SDK client)', () => {
  let fake: FakeSageMaker;
  const deps = () => ({ clients: () => fake.clients(), wait: { pollMs: 5, timeoutMs: 2000 } });

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
  });
  afterEach(() => fake.stop());

  /** The name CloudFormation gives an AWS::SageMaker::Model of the template (no ModelName set: generated from its logical id). */
  const modelName = (logicalId: string) => `${logicalId}-cfn`;

  /** What CloudFormation does for the template's models before the config that names them: CreateModel each. */
  const makeModels = (t: Template) => createModels(fake, Object.keys(t.findResources('AWS::SageMaker::Model')).map(modelName));

  /** A CloudFormation event for a resource of the synthesized template; a model's name resolves to it, other references to plain strings. */
  function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, any>, old?: Record<string, any>, physicalId?: string): SageMakerEvent {
    const resolve = (x: any) => (typeof x === 'string' ? x : x?.['Fn::GetAtt']?.[1] === 'ModelName' ? modelName(x['Fn::GetAtt'][0]) : 'resolved-ref');
    const plain = (p: Record<string, any>) => JSON.parse(JSON.stringify(p, (_k, v) => (v && typeof v === 'object' && v['Fn::Join'] ? v['Fn::Join'][1].map(resolve).join('') : v)));
    return {
      RequestType: requestType,
      PhysicalResourceId: physicalId,
      ResourceProperties: plain(props),
      OldResourceProperties: old ? plain(old) : undefined,
      ...({ ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:provider', StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/acme-fraud-prod/1', RequestId: 'req-1', LogicalResourceId: 'Resource' } as object),
    };
  }

  const weightsOf = (t: Template) => Object.values(customResources(t, 'Custom::SageMakerVariantWeights'))[0].Properties;
  const configOf = (t: Template) => Object.values(customResources(t, 'Custom::SageMakerEndpointConfig'))[0].Properties;

  /** The first deploy of `t`, as CloudFormation orders it: models, config, endpoint, weights. */
  async function deploy(t: Template) {
    await makeModels(t);
    const config = await onEvent(event('Create', configOf(t)), deps());
    await fake.clients().sagemaker.send(new CreateEndpointCommand({ EndpointName: 'acme-fraud-prod', EndpointConfigName: config.PhysicalResourceId }));
    await onEvent(event('Create', weightsOf(t)), deps());
    return config.PhysicalResourceId;
  }

  it('first deploy: one CreateEndpointConfig with the split; the weights resource writes nothing', async () => {
    const name = await deploy(before());
    expect(name).toBe(endpointConfig(before()).Properties.EndpointConfigName);
    // CloudFormation's two models (AWS::SageMaker::Model), then the config, then the endpoint.
    expect(fake.writes()).toEqual(['SageMaker.CreateModel', 'SageMaker.CreateModel', 'SageMaker.CreateEndpointConfig', 'SageMaker.CreateEndpoint']);
    expect(fake.configs.get(name)?.ProductionVariants.map((v) => [v.VariantName, v.InitialVariantWeight, v.InstanceType])).toEqual([['v7', 90, 'ml.m5.xlarge'], ['v8', 10, 'ml.m5.xlarge']]);
  });

  it('a weight-only update makes exactly one SageMaker write: UpdateEndpointWeightsAndCapacities with DesiredWeight only', async () => {
    const name = await deploy(before());
    const from = fake.calls.length;
    await onEvent(event('Update', configOf(after()), configOf(before()), name), deps());
    const out = await onEvent(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), deps());
    expect(out).toEqual({ PhysicalResourceId: 'acme-fraud-prod-weights', Data: { Written: 'true' } });
    expect(fake.writes(from)).toEqual(['SageMaker.UpdateEndpointWeightsAndCapacities']);
    expect([...fake.endpoints.get('acme-fraud-prod')!.weights]).toEqual([['v7', 50], ['v8', 50]]);
    // Instance counts are untouched (autoscaling owns them).
    expect([...fake.endpoints.get('acme-fraud-prod')!.counts]).toEqual([['v7', 1], ['v8', 1]]);
  });

  it('a retried weight update writes nothing: the split is already in place', async () => {
    await deploy(before());
    await onEvent(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), deps());
    const from = fake.calls.length;
    const again = await onEvent(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), deps());
    expect(again.Data).toEqual({ Written: 'false' });
    expect(fake.writes(from)).toEqual([]);
  });

  it('weights wait while the endpoint is Updating (SageMaker would refuse them), then move', async () => {
    await deploy(before());
    fake.updating.set('acme-fraud-prod', 3);
    await onEvent(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), deps());
    expect(fake.calls.filter((c) => c === 'SageMaker.DescribeEndpoint').length).toBeGreaterThanOrEqual(4);
    expect([...fake.endpoints.get('acme-fraud-prod')!.weights.values()]).toEqual([50, 50]);
  });

  it('an endpoint that stays Updating fails the update with a message saying what to do', async () => {
    await deploy(before());
    fake.updating.set('acme-fraud-prod', 1000);
    await expect(onEvent(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), { clients: () => fake.clients(), wait: { pollMs: 5, timeoutMs: 50 } }))
      .rejects.toThrow('endpoint acme-fraud-prod is still Updating after 0 s; deploy again once it is InService');
  });

  it('a Failed endpoint fails the weights with SageMaker\'s reason', async () => {
    await deploy(before());
    fake.failed.set('acme-fraud-prod', 'The primary container for production variant v8 did not pass the ping health check.');
    await expect(onEvent(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), deps()))
      .rejects.toThrow('endpoint acme-fraud-prod is Failed: The primary container for production variant v8 did not pass the ping health check.; it must be InService to move traffic');
  });

  it('a retried Create adopts the identical config it made the first time (no second write, no failure)', async () => {
    const name = await deploy(before());
    const from = fake.calls.length;
    const again = await onEvent(event('Create', configOf(before())), deps());
    expect(again.PhysicalResourceId).toBe(name);
    expect(fake.writes(from)).toEqual(['SageMaker.CreateEndpointConfig']);
    expect(fake.calls.slice(from)).toEqual(['SageMaker.CreateEndpointConfig', 'SageMaker.DescribeEndpointConfig']);
  });

  it('a same-named config with other contents is refused by name, with the command that clears it', async () => {
    const name = endpointConfig(before()).Properties.EndpointConfigName;
    await makeModels(before());
    await createModels(fake, ['hand-made']);
    await fake.clients().sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'v7', ModelName: 'hand-made', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] }));
    await expect(onEvent(event('Create', configOf(before())), deps()))
      .rejects.toThrow(`endpoint config ${name} already exists with other contents (models, instance types, counts, shadow, key or data capture); delete it (aws sagemaker delete-endpoint-config --endpoint-config-name ${name}) if no endpoint uses it, and deploy again`);
  });

  it('a new version set creates a new config; deleting the replaced one twice succeeds both times', async () => {
    const old = await deploy(before());
    await makeModels(added());
    const created = await onEvent(event('Create', configOf(added())), deps());
    expect(created.PhysicalResourceId).not.toBe(old);
    expect(fake.configs.get(created.PhysicalResourceId)?.ProductionVariants.map((v) => v.InitialVariantWeight)).toEqual([90, 5, 5]);
    await onEvent(event('Delete', configOf(before()), undefined, old), deps());
    expect(fake.configs.has(old)).toBe(false);
    await onEvent(event('Delete', configOf(before()), undefined, old), deps());
  });

  it('a weight for a variant the endpoint lacks is an error naming it', async () => {
    await deploy(before());
    await expect(onEvent(event('Update', weightsOf(added()), weightsOf(before()), 'acme-fraud-prod-weights'), deps()))
      .rejects.toThrow('endpoint acme-fraud-prod has no production variant v9 (it has v7, v8); its config must be deployed before traffic can move');
  });

  // Templates are synthesized once per shape.
  const cache: Record<string, Template> = {};
  function before() { return (cache.before ??= synth({ '7': 90, '8': 10 })); }
  function after() { return (cache.after ??= synth({ '7': 50, '8': 50 })); }
  function added() { return (cache.added ??= synth({ '7': 90, '8': 5, '9': 5 })); }
});
