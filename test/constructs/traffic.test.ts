import { SageMakerClient, UpdateEndpointWeightsAndCapacitiesCommand, CreateEndpointConfigCommand, DescribeEndpointCommand, DeleteEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { ModelEndpoint } from '../../constructs/sagemaker';
import { endpointConfig, newStack } from './helpers';

const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu';
const variant = (version: string, weight: number) => ({ version, image: IMAGE, modelDataUrl: `s3://acme-models/fraud/${version}/model.tar.gz`, instanceType: 'ml.m5.xlarge', initialInstanceCount: 1, weight });

/** The template of an endpoint serving these weights. */
function synth(weights: Record<string, number>): Template {
  const stack = newStack();
  new ModelEndpoint(stack, 'Endpoint', { endpointName: 'acme-fraud-prod', variants: Object.entries(weights).map(([v, w]) => variant(v, w)) });
  return Template.fromStack(stack);
}

function customResources(t: Template, type: string): Record<string, { Properties: Record<string, any> }> {
  return t.findResources(type) as never;
}

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
    expect(JSON.parse(weights.Properties.Update).parameters).toEqual({
      EndpointName: 'acme-fraud-prod',
      DesiredWeightsAndCapacities: [{ VariantName: 'v7', DesiredWeight: 50 }, { VariantName: 'v8', DesiredWeight: 50 }],
    });
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

describe('the custom resources against SageMaker (the real CDK handler, aws-sdk-client-mock)', () => {
  const sm = mockClient(SageMakerClient);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const handlerFile = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'custom-resource-handlers/dist/custom-resources/aws-custom-resource-handler/index.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(handlerFile) as { handler: (event: unknown, context: unknown) => Promise<void> };
  const responses: Array<{ Status: string; PhysicalResourceId: string; Reason?: string }> = [];

  beforeAll(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // CloudFormation's pre-signed response URL: record what the handler answers.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.spyOn(require('https') as typeof import('https'), 'request').mockImplementation(((_options: unknown, callback: (res: EventEmitter) => void) => {
      const req = new EventEmitter() as EventEmitter & { write: (b: string) => void; end: () => void };
      let body = '';
      req.write = (b: string) => (body += b);
      req.end = () => {
        responses.push(JSON.parse(body));
        const res = new EventEmitter();
        callback(res);
        res.emit('end');
      };
      return req;
    }) as never);
  });
  beforeEach(() => {
    sm.reset();
    responses.length = 0;
  });
  afterAll(() => jest.restoreAllMocks());

  /** A CloudFormation event for a resource of the synthesized template; references become plain strings. */
  function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, any>, old?: Record<string, any>, physicalId?: string) {
    const plain = (p: Record<string, any>) => JSON.parse(JSON.stringify(p, (_k, v) => (v && typeof v === 'object' && v['Fn::Join'] ? v['Fn::Join'][1].map((x: unknown) => (typeof x === 'string' ? x : 'resolved-ref')).join('') : v)));
    return {
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:provider',
      ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/response',
      StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/acme-fraud-prod/1',
      RequestId: 'req-1',
      LogicalResourceId: 'Resource',
      ResourceType: 'Custom::Test',
      PhysicalResourceId: physicalId,
      ResourceProperties: plain(props),
      OldResourceProperties: old ? plain(old) : undefined,
    };
  }

  const weightsOf = (t: Template) => Object.values(customResources(t, 'Custom::SageMakerVariantWeights'))[0].Properties;
  const configOf = (t: Template) => Object.values(customResources(t, 'Custom::SageMakerEndpointConfig'))[0].Properties;

  it('a weight-only update makes exactly one SageMaker call: UpdateEndpointWeightsAndCapacities', async () => {
    sm.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({ EndpointArn: 'arn:aws:sagemaker:us-east-1:222222222222:endpoint/acme-fraud-prod' });
    await handler(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), {});
    await handler(event('Update', configOf(after()), configOf(before()), 'cfg'), {});
    expect(sm.calls()).toHaveLength(1);
    expect(sm.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)[0].args[0].input).toEqual({
      EndpointName: 'acme-fraud-prod',
      DesiredWeightsAndCapacities: [{ VariantName: 'v7', DesiredWeight: 50 }, { VariantName: 'v8', DesiredWeight: 50 }],
    });
    expect(responses.map((r) => [r.Status, r.PhysicalResourceId])).toEqual([['SUCCESS', 'acme-fraud-prod-weights'], ['SUCCESS', 'cfg']]);
  });

  it('a new version set creates its config once (with the split) and only reads the endpoint for the weights', async () => {
    sm.on(CreateEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:cfg' });
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' } as never);
    const config = configOf(added());
    await handler(event('Create', config), {});
    await handler(event('Create', weightsOf(added())), {});
    expect(sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(1);
    const input = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
    expect(input.EndpointConfigName).toBe(endpointConfig(added()).Properties.EndpointConfigName);
    expect(input.ProductionVariants?.map((v) => v.InitialVariantWeight)).toEqual([90, 5, 5]);
    expect(sm.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)).toHaveLength(0);
    expect(sm.calls()).toHaveLength(2);
  });

  it('deleting a config that is already gone succeeds (a retried delete changes nothing)', async () => {
    sm.on(DeleteEndpointConfigCommand).rejects(Object.assign(new Error('Could not find endpoint configuration "acme-fraud-prod-x".'), { name: 'ValidationException' }));
    await handler(event('Delete', configOf(before()), undefined, 'acme-fraud-prod-x'), {});
    expect(responses.map((r) => r.Status)).toEqual(['SUCCESS']);
  });

  it('a failed weight update reports SageMaker’s message to CloudFormation', async () => {
    sm.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(Object.assign(new Error('Cannot update in-progress endpoint "acme-fraud-prod".'), { name: 'ValidationException' }));
    await handler(event('Update', weightsOf(after()), weightsOf(before()), 'acme-fraud-prod-weights'), {});
    expect(responses[0].Status).toBe('FAILED');
    expect(responses[0].Reason).toContain('Cannot update in-progress endpoint "acme-fraud-prod".');
  });

  // Templates are synthesized once per shape.
  const cache: Record<string, Template> = {};
  function before() { return (cache.before ??= synth({ '7': 90, '8': 10 })); }
  function after() { return (cache.after ??= synth({ '7': 50, '8': 50 })); }
  function added() { return (cache.added ??= synth({ '7': 90, '8': 5, '9': 5 })); }
});
