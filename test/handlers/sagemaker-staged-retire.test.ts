import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CreateEndpointCommand, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStagedComplete, onEvent, onStagedEvent, type ConfigResourceProperties, type StagedEvent, type StagedIsCompleteEvent } from '../../lib/handlers/sagemaker';
import { LEASE_TAG, type StagedWeightsProperties } from '../../lib/providers/sagemaker/staged';
import { FakeCloudWatch } from '../fakes/cloudwatch/server';
import { createModels, FakeSageMaker } from '../fakes/sagemaker/server';

/**
 * A version change on SageMaker end to end, through the handler's entry points, with CloudFormation's
 * own steps played in its order: the EndpointConfig resource in keep-live mode, the endpoint's
 * update (UpdateEndpoint, as AWS::SageMaker::Endpoint makes it), the StagedWeights resource's
 * onEvent and the framework's isComplete looks (the walk, then the retirement of the version that
 * left), and the cleanup's Delete of the replaced config resource.
 */
const ENDPOINT = 'acme-fraud-prod';
const ARN = `arn:aws:sagemaker:us-east-1:111111111111:endpoint/${ENDPOINT}`;
const T0 = Date.UTC(2026, 10, 24, 12);
const MIN = 60_000;
const CANARY = { strategy: 'canary', steps: [{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 0 }] };
const LINEAR = { strategy: 'linear', steps: [{ percent: 25, bakeSeconds: 300 }, { percent: 50, bakeSeconds: 300 }, { percent: 75, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }] };
const TOKEN = 'arn:aws:lambda:us-east-1:111111111111:function:mlspec-acme-prod-sagemaker';
const alarmsOf = (v: string) => [`${ENDPOINT}-ErrorRate${v}`, `${ENDPOINT}-P99Latency${v}`];
/** The construct's config names: `<endpoint>-<10 hex digits of the hash>`. */
const configName = (i: number) => `${ENDPOINT}-${String(i).padStart(10, '0')}`;
const retired = (i: number) => `${configName(i)}-r`;

type Split = Record<string, number>;

/** The EndpointConfig resource's properties in keep-live mode, for the manifest's split. */
function configProps(i: number, split: Split): ConfigResourceProperties & { ServiceToken: string } {
  return {
    ServiceToken: TOKEN,
    Kind: 'EndpointConfig',
    EndpointConfigName: configName(i),
    Config: JSON.stringify({ ProductionVariants: Object.entries(split).map(([v, w]) => ({ VariantName: v, ModelName: `fraud-${v}`, InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: w })) }),
    KeepLive: 'true',
    EndpointName: ENDPOINT,
  };
}

/** The StagedWeights resource's properties: the manifest's split, and the config this deploy's endpoint update sets. */
function stagedProps(i: number, split: Split, rollout: object = CANARY): StagedWeightsProperties & { ServiceToken: string } {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:mlspec-acme-prod-staged-provider',
    Kind: 'StagedWeights',
    EndpointName: ENDPOINT,
    EndpointConfigName: configName(i),
    Weights: JSON.stringify(Object.entries(split).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight }))),
    Rollout: JSON.stringify(rollout),
    Alarms: JSON.stringify(Object.fromEntries(Object.keys(split).map((v) => [v, alarmsOf(v)]))),
  };
}

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(() => jest.restoreAllMocks());

describe('keep-live configs, the staged walk and the retirement of the version that left (handler entry points, fake SageMaker)', () => {
  let sm: FakeSageMaker;
  let cw: FakeCloudWatch;
  let responses: http.Server;
  let responseUrl = '';
  const answers: Record<string, any>[] = [];
  let now = T0;
  const deps = () => ({ clients: () => sm.clients(), cloudwatch: () => cw.client(), now: () => now, wait: { pollMs: 5, timeoutMs: 2000 } });
  const weights = () => Object.fromEntries(sm.endpoints.get(ENDPOINT)!.weights);
  const variantsOf = (name: string) => sm.configs.get(name)!.ProductionVariants.map((v) => [v.VariantName, v.InitialVariantWeight, v.InitialInstanceCount]);
  const lease = () => sm.tags.get(ARN)?.[LEASE_TAG];
  const count = (op: string, from = 0) => sm.calls.slice(from).filter((c) => c === op).length;

  function staged(type: StagedEvent['RequestType'], p: ReturnType<typeof stagedProps>, old: ReturnType<typeof stagedProps> | undefined, requestId: string): StagedEvent {
    return {
      RequestType: type, RequestId: requestId, ResponseURL: responseUrl, StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/acme-fraud-prod/1', LogicalResourceId: 'EndpointTrafficStagedWeights',
      PhysicalResourceId: type === 'Create' ? undefined : `${ENDPOINT}/staged-weights`, ResourceProperties: p, OldResourceProperties: old,
    };
  }

  /** CloudFormation creates the config resource (the handler, invoked directly). */
  async function createConfig(i: number, split: Split) {
    await createModels(sm, Object.keys(split).map((v) => `fraud-${v}`));
    return onEvent({ RequestType: 'Create', ResourceProperties: configProps(i, split) }, deps());
  }

  /** CloudFormation deletes a config resource (a replaced one in the cleanup, or on stack delete). */
  function deleteConfig(i: number, split: Split) {
    return onEvent({ RequestType: 'Delete', PhysicalResourceId: configName(i), ResourceProperties: configProps(i, split) }, deps());
  }

  /** AWS::SageMaker::Endpoint onto config i: CreateEndpoint, then UpdateEndpoint (with ModelEndpoint's retain flags when it autoscales). */
  async function endpointOn(i: number, autoscaled = false) {
    const { sagemaker } = sm.clients();
    if (!sm.endpoints.has(ENDPOINT)) await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: configName(i) }));
    else {
      await sagemaker.send(new UpdateEndpointCommand({
        EndpointName: ENDPOINT, EndpointConfigName: configName(i),
        ...(autoscaled ? { RetainAllVariantProperties: true, ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }, { VariantPropertyType: 'DataCaptureConfig' }] } : {}),
      }));
    }
    sagemaker.destroy();
  }

  /** A deploy up to the StagedWeights resource's onEvent; answers onEvent's answer and the isComplete input the framework builds from it. */
  async function deploy(i: number, split: Split, before?: { i: number; split: Split }, options: { rollout?: object; requestId?: string; autoscaled?: boolean } = {}) {
    await createConfig(i, split);
    await endpointOn(i, options.autoscaled);
    for (const v of Object.keys(split)) for (const name of alarmsOf(v)) if (!cw.alarms.has(name)) cw.alarm(name, { endpoint: ENDPOINT, variant: v });
    const event = before
      ? staged('Update', stagedProps(i, split, options.rollout), stagedProps(before.i, before.split, options.rollout), options.requestId ?? `req-${i}`)
      : staged('Create', stagedProps(i, split, options.rollout), undefined, options.requestId ?? `req-${i}`);
    const out = await onStagedEvent(event, deps());
    return { out, look: { ...event, ...out } as StagedIsCompleteEvent };
  }

  /** The framework's isComplete at a minute of the walk. */
  async function lookAt(look: StagedIsCompleteEvent, minute: number) {
    now = T0 + minute * MIN;
    return isStagedComplete(look, deps());
  }

  beforeEach(async () => {
    now = T0;
    answers.length = 0;
    sm = new FakeSageMaker();
    cw = new FakeCloudWatch();
    cw.now = () => now;
    responses = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        answers.push(JSON.parse(body));
        res.writeHead(200).end();
      });
    });
    await Promise.all([sm.start(), cw.start(), new Promise<void>((r) => responses.listen(0, '127.0.0.1', r))]);
    responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/cloudformation-response?X-Amz-Signature=x`;
    // The first deploy: no endpoint yet, so the keep-live config is the manifest's as it is; nothing to walk or retire.
    const first = await deploy(1, { v7: 100 });
    expect(variantsOf(configName(1))).toEqual([['v7', 100, 1]]);
    expect(first.out.Data).toEqual({ Rollout: '', Written: 'false', Retire: '' });
    expect(await isStagedComplete(first.look, deps())).toEqual({ IsComplete: true });
    for (const name of alarmsOf('v7')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v7', state: 'OK' });
  });
  afterEach(async () => {
    await new Promise((r) => responses.close(r));
    await Promise.all([sm.stop(), cw.stop()]);
  });

  it('keep-live: {v7: 100} live and {v7: 90, v8: 10} desired make v7 100, v8 0; the endpoint update moves no traffic; a retried Create adopts', async () => {
    await createConfig(2, { v7: 90, v8: 10 });
    expect(variantsOf(configName(2))).toEqual([['v7', 100, 1], ['v8', 0, 1]]);
    const from = sm.calls.length;
    expect(await createConfig(2, { v7: 90, v8: 10 })).toEqual({ PhysicalResourceId: configName(2), Data: { EndpointConfigName: configName(2) } });
    expect(sm.writes(from)).toEqual(['SageMaker.CreateEndpointConfig']);
    await endpointOn(2);
    expect(weights()).toEqual({ v7: 100, v8: 0 });
  });

  it('a canary from {v7: 100} to {v8: 100}: v7 kept at 100 by the config, walked 90/10 then 0/100, then retired by one CreateEndpointConfig and one UpdateEndpoint; looks during Updating write nothing', async () => {
    await createConfig(2, { v8: 100 });
    // The config: v8 new at 0, v7 copied from the live config at its live 100.
    expect(variantsOf(configName(2))).toEqual([['v8', 0, 1], ['v7', 100, 1]]);
    await endpointOn(2);
    expect(weights()).toEqual({ v8: 0, v7: 100 });

    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8' });
    const event = staged('Update', stagedProps(2, { v8: 100 }), stagedProps(1, { v7: 100 }), 'req-2');
    const out = await onStagedEvent(event, deps());
    const look = { ...event, ...out } as StagedIsCompleteEvent;
    expect(JSON.parse(out.Data!.Rollout)).toEqual({ startedAt: T0, baseline: { v7: 100 }, final: { v7: 0, v8: 100 }, added: ['v8'], steps: CANARY.steps });
    expect(out.Data).toEqual(expect.objectContaining({ Written: 'true', Retire: 'v7' }));
    expect(weights()).toEqual({ v8: 10, v7: 90 });
    for (const name of alarmsOf('v8')) cw.script(name, [{ at: T0 + 2 * MIN, state: 'OK' }]);

    const walk = sm.calls.length;
    expect(await lookAt(look, 5)).toEqual({ IsComplete: false });
    expect(sm.writes(walk)).toEqual([]);

    // The last step: the final split, the lease done, the retired config, the update onto it, the lease retiring. The update takes a while.
    sm.updateLooks = 4;
    const last = sm.calls.length;
    expect(await lookAt(look, 10)).toEqual({ IsComplete: false });
    expect(sm.writes(last)).toEqual(['SageMaker.UpdateEndpointWeightsAndCapacities', 'SageMaker.AddTags', 'SageMaker.CreateEndpointConfig', 'SageMaker.UpdateEndpoint', 'SageMaker.AddTags']);
    expect(variantsOf(retired(2))).toEqual([['v8', 100, 1]]);
    expect(sm.endpoints.get(ENDPOINT)!.pending?.EndpointConfigName).toBe(retired(2));
    expect(lease()).toBe(`req-2@${T0}:retiring`);

    // The framework keeps looking while the endpoint is Updating: nothing written, not complete.
    const during = sm.calls.length;
    expect(await lookAt(look, 10.5)).toEqual({ IsComplete: false });
    expect(await lookAt(look, 11)).toEqual({ IsComplete: false });
    expect(sm.writes(during)).toEqual([]);

    // InService on the retired config: complete, v8 alone at its weight; later looks write nothing.
    expect(await lookAt(look, 11.5)).toEqual({ IsComplete: true, Data: { Rollout: '' } });
    expect(await lookAt(look, 12)).toEqual({ IsComplete: true, Data: { Rollout: '' } });
    expect(sm.endpoints.get(ENDPOINT)!.EndpointConfigName).toBe(retired(2));
    expect(weights()).toEqual({ v8: 100 });
    expect(count('SageMaker.CreateEndpointConfig', walk)).toBe(1);
    expect(count('SageMaker.UpdateEndpoint', walk)).toBe(1);
    expect(answers).toEqual([]);

    // The cleanup deletes the replaced config resource of v7: its config goes, and it has no retired config.
    const cleanup = sm.calls.length;
    await deleteConfig(1, { v7: 100 });
    expect(sm.writes(cleanup)).toEqual(['SageMaker.DeleteEndpointConfig', 'SageMaker.DeleteEndpointConfig']);
    expect([...sm.configs.keys()]).toEqual([configName(2), retired(2)]);
  });

  it('the next deploy keeps from the retired config, and the Delete of the replaced config resource deletes its retired config too; not while the endpoint runs on it', async () => {
    const v8 = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } });
    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8', state: 'OK' });
    await lookAt(v8.look, 10);
    expect(await lookAt(v8.look, 10)).toEqual({ IsComplete: true, Data: { Rollout: '' } });
    await deleteConfig(1, { v7: 100 });

    // A stack deleted beside a retained endpoint: the config goes, the retired config the endpoint runs on stays.
    await deleteConfig(2, { v8: 100 });
    expect([...sm.configs.keys()]).toEqual([retired(2)]);
    expect(sm.endpoints.get(ENDPOINT)!.EndpointConfigName).toBe(retired(2));
  });

  it('v9 after v8: the keep-live config copies v8 from the retired config; the cleanup deletes config 2 and its retired config', async () => {
    const v8 = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } });
    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8', state: 'OK' });
    await lookAt(v8.look, 10);
    await lookAt(v8.look, 10);
    await deleteConfig(1, { v7: 100 });

    now = T0 + 20 * MIN;
    const v9 = await deploy(3, { v9: 100 }, { i: 2, split: { v8: 100 } });
    expect(variantsOf(configName(3))).toEqual([['v9', 0, 1], ['v8', 100, 1]]);
    expect(v9.out.Data!.Retire).toBe('v8');
    const cleanup = sm.calls.length;
    await deleteConfig(2, { v8: 100 });
    expect(sm.writes(cleanup)).toEqual(['SageMaker.DeleteEndpointConfig', 'SageMaker.DeleteEndpointConfig']);
    expect([...sm.configs.keys()]).toEqual([configName(3)]);
  });

  it('an autoscaled v7 is deregistered before the update that retires it (SageMaker refuses otherwise); v8 keeps its weight and its autoscaled count', async () => {
    const { autoscaling, sagemaker } = sm.clients();
    const register = (v: string) => autoscaling.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', ResourceId: `endpoint/${ENDPOINT}/variant/${v}`, MinCapacity: 1, MaxCapacity: 4 }));
    await register('v7');
    const { look } = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } }, { autoscaled: true });
    await register('v8');
    // Autoscaling grew v8 to 3 instances.
    await sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'v8', DesiredInstanceCount: 3 }] }));
    sagemaker.destroy();
    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8', state: 'OK' });

    const last = sm.calls.length;
    expect(await lookAt(look, 10)).toEqual({ IsComplete: false });
    const writes = sm.writes(last);
    expect(writes).toEqual(['SageMaker.UpdateEndpointWeightsAndCapacities', 'SageMaker.AddTags', 'SageMaker.CreateEndpointConfig', 'AutoScaling.DeregisterScalableTarget', 'SageMaker.UpdateEndpoint', 'SageMaker.AddTags']);
    expect(await lookAt(look, 10.5)).toEqual({ IsComplete: true, Data: { Rollout: '' } });
    expect([...sm.targets.keys()]).toEqual([`endpoint/${ENDPOINT}/variant/v8`]);
    expect(Object.fromEntries(sm.endpoints.get(ENDPOINT)!.counts)).toEqual({ v8: 3 });
    expect(weights()).toEqual({ v8: 100 });
  });

  it.each([
    ['the resource first, then the endpoint (reverse dependency order)', true],
    ['the endpoint first, then the resource', false],
  ])('a rollback in the middle: the baseline back, FAILED answered, nothing retired; CloudFormation\'s rollback (%s) writes no weight and retires nothing', async (_order, resourceFirst) => {
    const { look } = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } }, { rollout: LINEAR });
    for (const name of alarmsOf('v8')) cw.script(name, [{ at: T0 + MIN, state: 'OK' }]);
    cw.script(`${ENDPOINT}-ErrorRatev8`, [{ at: T0 + 6 * MIN, state: 'ALARM', reason: 'Threshold Crossed' }]);
    expect(await lookAt(look, 5)).toEqual({ IsComplete: false });
    expect(weights()).toEqual({ v8: 50, v7: 50 });
    await expect(lookAt(look, 6)).rejects.toThrow(`rolled back v8 at step 2 of 4 (50%: v8 50%, v7 50%): alarm ${ENDPOINT}-ErrorRatev8 (Threshold Crossed) is in ALARM; traffic is back at v7 100%`);
    expect(weights()).toEqual({ v8: 0, v7: 100 });
    expect(answers.map((a) => a.Status)).toEqual(['FAILED']);

    // The waiter keeps looking, past the last step: nothing moves, nothing is retired.
    const after = sm.calls.length;
    expect(await lookAt(look, 30)).toEqual({ IsComplete: false });
    expect(sm.writes(after)).toEqual([]);
    expect(sm.configs.has(retired(2))).toBe(false);

    // CloudFormation rolls back: this resource to its old properties (config 1, {v7: 100}) and the endpoint to config 1.
    const rollback = sm.calls.length;
    if (!resourceFirst) await endpointOn(1);
    const event = staged('Update', stagedProps(1, { v7: 100 }, LINEAR), stagedProps(2, { v8: 100 }, LINEAR), 'req-3');
    const out = await onStagedEvent(event, deps());
    expect(out.Data).toEqual({ Rollout: '', Written: 'false', Retire: '' });
    expect(await isStagedComplete({ ...event, ...out } as StagedIsCompleteEvent, deps())).toEqual({ IsComplete: true });
    if (resourceFirst) await endpointOn(1);
    // No weight written by the resource (the rolled-back walk's lease removed); the endpoint's own update put v7 back alone.
    expect(sm.writes(rollback).filter((w) => w !== 'SageMaker.UpdateEndpoint')).toEqual(['SageMaker.DeleteTags']);
    expect(lease()).toBeUndefined();
    expect(weights()).toEqual({ v7: 100 });
    // The failed deploy's config resource is deleted; it has no retired config.
    await deleteConfig(2, { v8: 100 });
    expect([...sm.configs.keys()]).toEqual([configName(1)]);
  });

  it('a retirement whose update fails answers FAILED with SageMaker\'s FailureReason; later looks write nothing', async () => {
    const { look } = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } });
    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8', state: 'OK' });
    const reason = 'Failed to provision instances for production variant v8: insufficient capacity for ml.g5.xlarge.';
    sm.updateFailures.set(ENDPOINT, reason);
    expect(await lookAt(look, 10)).toEqual({ IsComplete: false });
    await expect(lookAt(look, 10.5)).rejects.toThrow(`sagemaker: endpoint ${ENDPOINT}: updating onto ${retired(2)} failed: ${reason}; traffic stays at v8 100%, and the versions that left still run (at 0) until a deploy retires them`);
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', RequestId: 'req-2', Reason: expect.stringContaining(reason) })]);
    expect(lease()).toBe(`req-2@${T0}:failed`);
    const after = sm.calls.length;
    expect(await lookAt(look, 11)).toEqual({ IsComplete: false });
    expect(sm.writes(after)).toEqual([]);
    expect(count('SageMaker.UpdateEndpoint')).toBe(2); // CloudFormation's (after its CreateEndpoint), and ours once
    expect(answers).toHaveLength(1);
  });

  it('a look whose UpdateEndpoint call fails is repeated: the retired config is adopted, not made again, and the update asked once', async () => {
    const { look } = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } });
    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8', state: 'OK' });
    sm.faults.set('UpdateEndpoint', { type: 'AccessDeniedException', message: `User is not authorized to perform: sagemaker:UpdateEndpoint on resource: ${ARN}` });
    await expect(lookAt(look, 10)).rejects.toThrow('not authorized to perform: sagemaker:UpdateEndpoint');
    // Not a verdict on the rollout: the waiter retries, CloudFormation is not answered.
    expect(answers).toEqual([]);
    sm.faults.delete('UpdateEndpoint');
    const retry = sm.calls.length;
    expect(await lookAt(look, 10.5)).toEqual({ IsComplete: false });
    // T read, R refused by name and read (the same contents: adopted), then the update.
    expect(sm.calls.slice(retry).filter((c) => /EndpointConfig|UpdateEndpoint$/.test(c))).toEqual(['SageMaker.DescribeEndpointConfig', 'SageMaker.CreateEndpointConfig', 'SageMaker.DescribeEndpointConfig', 'SageMaker.UpdateEndpoint']);
    expect(sm.writes(retry)).toEqual(['SageMaker.CreateEndpointConfig', 'SageMaker.UpdateEndpoint', 'SageMaker.AddTags']);
    expect(await lookAt(look, 11)).toEqual({ IsComplete: true, Data: { Rollout: '' } });
    expect(sm.endpoints.get(ENDPOINT)!.EndpointConfigName).toBe(retired(2));
  });

  it('a change that is not walked (all-at-once) sets the final split at once and retires under a finished lease', async () => {
    const all = { strategy: 'all-at-once', steps: [{ percent: 100, bakeSeconds: 0 }] };
    const { out, look } = await deploy(2, { v8: 100 }, { i: 1, split: { v7: 100 } }, { rollout: all });
    expect(out.Data).toEqual({ Rollout: '', Written: 'true', Retire: 'v7' });
    expect(weights()).toEqual({ v8: 100, v7: 0 });
    expect(lease()).toBe(`req-2@${T0}:done`);
    expect(await lookAt(look, 0.5)).toEqual({ IsComplete: false });
    expect(lease()).toBe(`req-2@${T0}:retiring`);
    expect(await lookAt(look, 1)).toEqual({ IsComplete: true, Data: { Rollout: '' } });
    expect(sm.endpoints.get(ENDPOINT)!.EndpointConfigName).toBe(retired(2));
  });
});
