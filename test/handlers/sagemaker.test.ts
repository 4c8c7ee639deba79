import { CreateEndpointCommand, CreateEndpointConfigCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import * as path from 'node:path';
import { handler, onEvent, type ScalingEvent, type ScalingResourceProperties } from '../../lib/handlers/sagemaker';
import type { VariantScaling } from '../../lib/providers/sagemaker/scaling';
import { createModels, FakeSageMaker } from '../fakes/sagemaker/server';

const ROOT = path.resolve(__dirname, '../..');
const ENDPOINT = 'acme-fraud-detector-prod';
const POLICY = { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const }, ScaleInCooldown: 300, ScaleOutCooldown: 60 };
const v = (variantName: string, instanceType = 'ml.m5.xlarge'): VariantScaling => ({ variantName, instanceType, minCapacity: 1, maxCapacity: 4, policy: POLICY });

/** Properties as CloudFormation hands them over (every value a string), for one phase. */
function props(phase: string, variants: VariantScaling[], retain = false): ScalingResourceProperties & { ServiceToken: string } {
  return { ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:framework', EndpointName: ENDPOINT, Phase: phase, Variants: JSON.stringify(variants), Retain: String(retain) };
}

/** A CloudFormation custom-resource event as the Provider framework passes it to onEvent. */
function event(type: ScalingEvent['RequestType'], p: ReturnType<typeof props>, old?: ReturnType<typeof props>): ScalingEvent {
  return {
    RequestType: type,
    PhysicalResourceId: type === 'Create' ? undefined : `${ENDPOINT}/scaling-${p.Phase}`,
    ResourceProperties: p,
    OldResourceProperties: old,
    ...({ StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/acme-fraud-detector-prod/1', RequestId: 'r', LogicalResourceId: `EndpointAutoscaling${p.Phase}`, ResourceType: 'Custom::SageMakerVariantScaling', ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x' } as object),
  };
}

// The handler logs what it did, as it does in Lambda; tests read the fake instead.
beforeAll(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('the SageMaker variant-scaling handler, driven by CloudFormation events against the fake', () => {
  let fake: FakeSageMaker;
  let configs = 0;
  const deps = () => ({ clients: () => fake.clients() });

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
  });
  afterEach(() => fake.stop());

  /** What CloudFormation does for the endpoint between the two scaling resources. */
  async function endpointServes(variants: VariantScaling[]) {
    const { sagemaker } = fake.clients();
    const name = `${ENDPOINT}-${++configs}`;
    // CloudFormation makes the model (AWS::SageMaker::Model) before the config that names it.
    await createModels(fake, ['m']);
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: variants.map((x) => ({ VariantName: x.variantName, ModelName: 'm', InstanceType: x.instanceType as never, InitialInstanceCount: 1, InitialVariantWeight: 1 })) }));
    if (fake.endpoints.has(ENDPOINT)) await sagemaker.send(new UpdateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: name, RetainAllVariantProperties: true }));
    else await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: name }));
  }

  async function createStack(variants: VariantScaling[]) {
    await onEvent(event('Create', props('before', variants)), deps());
    await endpointServes(variants);
    return onEvent(event('Create', props('after', variants)), deps());
  }

  it('Create: `before` finds no endpoint and writes nothing; `after` registers each variant with its policy', async () => {
    const before = await onEvent(event('Create', props('before', [v('v7'), v('v8')])), deps());
    expect(before.PhysicalResourceId).toBe(`${ENDPOINT}/scaling-before`);
    expect(fake.writes()).toEqual([]);
    await endpointServes([v('v7'), v('v8')]);
    const after = await onEvent(event('Create', props('after', [v('v7'), v('v8')])), deps());
    expect(after).toEqual({ PhysicalResourceId: `${ENDPOINT}/scaling-after`, Data: { Registered: 'v7,v8', Deregistered: '', Policies: 'v7,v8', Waiting: '' } });
    expect([...fake.targets.keys()]).toEqual([`endpoint/${ENDPOINT}/variant/v7`, `endpoint/${ENDPOINT}/variant/v8`]);
  });

  it('Update that retires v7: the stack update goes through; a retried Update writes nothing', async () => {
    await createStack([v('v7'), v('v8')]);
    const oldBefore = props('before', [v('v7'), v('v8')]);
    const oldAfter = props('after', [v('v7'), v('v8')]);
    const from = fake.calls.length;
    const before = await onEvent(event('Update', props('before', [v('v8')]), oldBefore), deps());
    expect(before.Data?.Deregistered).toBe('v7');
    await endpointServes([v('v8')]);
    await onEvent(event('Update', props('after', [v('v8')]), oldAfter), deps());
    expect(fake.writes(from)).toEqual(['AutoScaling.DeregisterScalableTarget', 'SageMaker.CreateEndpointConfig', 'SageMaker.UpdateEndpoint']);
    const retried = fake.calls.length;
    await onEvent(event('Update', props('before', [v('v8')]), oldBefore), deps());
    await onEvent(event('Update', props('after', [v('v8')]), oldAfter), deps());
    expect(fake.writes(retried)).toEqual([]);
  });

  it('Update to a larger instance type: deregistered before, registered again after', async () => {
    await createStack([v('v7')]);
    await onEvent(event('Update', props('before', [v('v7', 'ml.m5.2xlarge')]), props('before', [v('v7')])), deps());
    expect(fake.targets.size).toBe(0);
    await endpointServes([v('v7', 'ml.m5.2xlarge')]);
    const after = await onEvent(event('Update', props('after', [v('v7', 'ml.m5.2xlarge')]), props('after', [v('v7')])), deps());
    expect(after.Data).toEqual({ Registered: 'v7', Deregistered: '', Policies: 'v7', Waiting: '' });
  });

  it('Delete: `after` deregisters every variant (also when retried), `before` does nothing', async () => {
    await createStack([v('v7'), v('v8')]);
    await onEvent(event('Delete', props('after', [v('v7'), v('v8')])), deps());
    expect(fake.targets.size).toBe(0);
    const from = fake.calls.length;
    await onEvent(event('Delete', props('after', [v('v7'), v('v8')])), deps());
    await onEvent(event('Delete', props('before', [v('v7'), v('v8')])), deps());
    expect(fake.writes(from)).toEqual([]);
  });

  it('Delete of a retained endpoint keeps its scaling', async () => {
    await createStack([v('v7')]);
    await onEvent(event('Delete', props('after', [v('v7')], true)), deps());
    expect(fake.targets.size).toBe(1);
  });

  it('a rollback of an update that retired v7 completes: `after` with the old state waits for v7, `before` registers it once the endpoint is back', async () => {
    await createStack([v('v7'), v('v8')]);
    // Forward: v7 retired.
    await onEvent(event('Update', props('before', [v('v8')]), props('before', [v('v7'), v('v8')])), deps());
    await endpointServes([v('v8')]);
    await onEvent(event('Update', props('after', [v('v8')]), props('after', [v('v7'), v('v8')])), deps());
    // A later resource fails; CloudFormation rolls back in reverse order: `after`, the endpoint, `before`.
    const after = await onEvent(event('Update', props('after', [v('v7'), v('v8')]), props('after', [v('v8')])), deps());
    expect(after.Data).toEqual({ Registered: '', Deregistered: '', Policies: '', Waiting: 'v7' });
    await endpointServes([v('v7'), v('v8')]);
    const before = await onEvent(event('Update', props('before', [v('v7'), v('v8')]), props('before', [v('v8')])), deps());
    expect(before.Data?.Registered).toBe('v7');
    expect([...fake.targets.keys()].sort()).toEqual([`endpoint/${ENDPOINT}/variant/v7`, `endpoint/${ENDPOINT}/variant/v8`]);
    expect(fake.policies.size).toBe(2);
  });

  it('a rollback of an update that added v9: `after` with the old state deregisters v9 before the endpoint drops it', async () => {
    await createStack([v('v7')]);
    await onEvent(event('Update', props('before', [v('v7'), v('v9')]), props('before', [v('v7')])), deps());
    await endpointServes([v('v7'), v('v9')]);
    await onEvent(event('Update', props('after', [v('v7'), v('v9')]), props('after', [v('v7')])), deps());
    expect(fake.targets.size).toBe(2);
    const after = await onEvent(event('Update', props('after', [v('v7')]), props('after', [v('v7'), v('v9')])), deps());
    expect(after.Data?.Deregistered).toBe('v9');
    // The endpoint's own rollback (UpdateEndpoint back to v7 alone) is now allowed.
    await endpointServes([v('v7')]);
  });

  it('a Kind it does not serve, or Variants that are not a list, are refused by name', async () => {
    await expect(onEvent({ ...event('Create', props('before', [])), ResourceProperties: { Kind: 'Endpoint' } } as never, deps()))
      .rejects.toThrow("Kind must be EndpointConfig, VariantWeights, VariantScaling, ModelPackageGroup or ModelVersion; got 'Endpoint'");
    await expect(onEvent(event('Create', { ...props('after', []), Variants: '{"variantName":"v7"}' }), deps()))
      .rejects.toThrow(`${ENDPOINT}: Variants must be a JSON array of variant scaling settings`);
  });

  it('a Phase other than before/after is refused by name', async () => {
    await expect(onEvent(event('Create', props('during', [v('v7')])), deps()))
      .rejects.toThrow(`${ENDPOINT}: Phase must be 'before' or 'after' (the endpoint update); got 'during'`);
  });
});

describe('the Lambda entry point answers CloudFormation at the response URL', () => {
  let fake: FakeSageMaker;
  let server: import('node:http').Server;
  let url = '';
  const answers: Array<{ headers: Record<string, unknown>; body: Record<string, any> }> = [];

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    answers.length = 0;
    const httpMod = await import('node:http');
    // Stands in for the pre-signed S3 URL: records each PUT.
    server = httpMod.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        answers.push({ headers: { method: req.method, ...req.headers }, body: JSON.parse(body) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/cloudformation-response?X-Amz-Signature=x`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    await fake.stop();
  });

  const request = (type: ScalingEvent['RequestType'], p: ReturnType<typeof props>, physicalId?: string) =>
    ({ ...event(type, p), PhysicalResourceId: physicalId, ResponseURL: url, StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/s/1', RequestId: 'req-7', LogicalResourceId: 'EndpointAutoscalingAfter' }) as never;

  it('SUCCESS with the physical id and data, PUT with the empty content type the URL was signed for', async () => {
    const { sagemaker } = fake.clients();
    await createModels(fake, ['m']);
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: [{ VariantName: 'v7', ModelName: 'm', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }] }));
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'c1' }));
    await handler(request('Create', props('after', [v('v7')])), {}, { clients: () => fake.clients() });
    expect(answers).toHaveLength(1);
    expect(answers[0].headers).toEqual(expect.objectContaining({ method: 'PUT', 'content-type': '' }));
    expect(answers[0].body).toEqual({
      Status: 'SUCCESS', PhysicalResourceId: `${ENDPOINT}/scaling-after`, StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/s/1', RequestId: 'req-7', LogicalResourceId: 'EndpointAutoscalingAfter',
      Data: { Registered: 'v7', Deregistered: '', Policies: 'v7', Waiting: '' },
    });
  });

  it('a response URL that refuses the answer fails the invocation (Lambda retries; every path is idempotent)', async () => {
    const { sagemaker } = fake.clients();
    await createModels(fake, ['m']);
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: [{ VariantName: 'v7', ModelName: 'm', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }] }));
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'c1' }));
    server.removeAllListeners('request');
    server.on('request', (_req, res) => res.writeHead(403).end());
    await expect(handler(request('Create', props('after', [v('v7')])), {}, { clients: () => fake.clients() }))
      .rejects.toThrow("CloudFormation's response URL answered 403");
  });

  it('FAILED with the reason (also in the function\'s log); a failed Create gets a physical id whose Delete touches nothing', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await handler(request('Create', props('during', [v('v7')])), {}, { clients: () => fake.clients() });
    expect(logged).toHaveBeenCalledWith(`Create EndpointAutoscalingAfter failed: ${ENDPOINT}: Phase must be 'before' or 'after' (the endpoint update); got 'during'`);
    expect(answers[0].body).toEqual(expect.objectContaining({
      Status: 'FAILED', PhysicalResourceId: 'failed:req-7', Reason: `${ENDPOINT}: Phase must be 'before' or 'after' (the endpoint update); got 'during'`,
    }));
    // The rollback's Delete of a config that failed to create must not delete a same-named config it did not make.
    const { sagemaker } = fake.clients();
    await createModels(fake, ['m']);
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: `${ENDPOINT}-abc`, ProductionVariants: [{ VariantName: 'v7', ModelName: 'm', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }] }));
    const from = fake.calls.length;
    await handler({ ...(request('Delete', props('after', [])) as object), ResourceProperties: { Kind: 'EndpointConfig', EndpointConfigName: `${ENDPOINT}-abc`, Config: '{}' }, PhysicalResourceId: 'failed:req-7' } as never, {}, { clients: () => fake.clients() });
    expect(answers[1].body.Status).toBe('SUCCESS');
    expect(fake.writes(from)).toEqual([]);
    expect(fake.configs.has(`${ENDPOINT}-abc`)).toBe(true);
  });
});

describe('the bundled handler (dist/handlers/sagemaker, what Lambda runs)', () => {
  const file = path.join(ROOT, 'dist/handlers/sagemaker/index.js');
  const saved = { ...process.env };
  let fake: FakeSageMaker;

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    // The Lambda environment's credentials and region; AWS_ENDPOINT_URL points both SDK clients at the fake.
    Object.assign(process.env, { AWS_ENDPOINT_URL: fake.url, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_REGION: 'us-east-1' });
  });
  afterEach(async () => {
    process.env = { ...saved };
    await fake.stop();
  });

  it('is small, carries no CDK code, and scales the variants with its own default clients', async () => {
    const { statSync, readFileSync } = await import('node:fs');
    expect(statSync(file).size).toBeLessThan(2 * 1024 * 1024);
    expect(readFileSync(file, 'utf8')).not.toContain('aws-cdk-lib');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(file) as typeof import('../../lib/handlers/sagemaker');
    // Lambda calls index.handler (the construct's handler setting).
    expect(typeof bundle.handler).toBe('function');
    const { sagemaker } = fake.clients();
    await createModels(fake, ['m']);
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: [{ VariantName: 'v7', ModelName: 'm', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }] }));
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'c1' }));
    const out = await bundle.onEvent(event('Create', props('after', [v('v7')])));
    expect(out.Data?.Registered).toBe('v7');
    expect(fake.policies.size).toBe(1);
  });
});
