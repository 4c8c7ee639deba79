import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { isStagedComplete, onEvent, onStagedEvent, type StagedEvent, type StagedIsCompleteEvent } from '../../lib/handlers/sagemaker';
import type { StagedWeightsProperties } from '../../lib/providers/sagemaker/staged';
import { FakeCloudWatch } from '../fakes/cloudwatch/server';
import { FakeSageMaker } from '../fakes/sagemaker/server';
import { endpointServes as serves } from '../providers/sagemaker/helpers';

const ROOT = path.resolve(__dirname, '../..');
const ENDPOINT = 'acme-fraud-prod';
const T0 = Date.UTC(2026, 10, 24, 12);
const MIN = 60_000;
const CANARY = { strategy: 'canary', steps: [{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 0 }] };
const LINEAR = { strategy: 'linear', steps: [{ percent: 25, bakeSeconds: 300 }, { percent: 50, bakeSeconds: 300 }, { percent: 75, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }] };
const alarmsOf = (v: string) => [`${ENDPOINT}-ErrorRate${v}`, `${ENDPOINT}-P99Latency${v}`];

/** The properties the construct sends (CloudFormation adds the ServiceToken). */
function props(weights: Record<string, number>, rollout: object = CANARY): StagedWeightsProperties & { ServiceToken: string } {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:acme-fraud-prod-staged-provider',
    Kind: 'StagedWeights',
    EndpointName: ENDPOINT,
    Weights: JSON.stringify(Object.entries(weights).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight }))),
    Rollout: JSON.stringify(rollout),
    Alarms: JSON.stringify({ v7: alarmsOf('v7'), v8: alarmsOf('v8') }),
  };
}

// The handler logs each look, as it does in Lambda; tests read the fakes instead.
beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(() => jest.restoreAllMocks());

describe('Kind StagedWeights behind the CDK Provider framework: onStagedEvent and isStagedComplete', () => {
  let sm: FakeSageMaker;
  let cw: FakeCloudWatch;
  let responses: http.Server;
  let responseUrl = '';
  const answers: Record<string, any>[] = [];
  let now = T0;
  let configs = 0;
  const deps = () => ({ clients: () => sm.clients(), cloudwatch: () => cw.client(), now: () => now, wait: { pollMs: 5, timeoutMs: 2000 } });
  const weights = () => Object.fromEntries(sm.endpoints.get(ENDPOINT)!.weights);

  /** A CloudFormation request as the framework hands it to onEvent (with the real ResponseURL). */
  function request(type: StagedEvent['RequestType'], p: ReturnType<typeof props>, old?: ReturnType<typeof props>, requestId = 'req-1'): StagedEvent {
    return {
      RequestType: type, RequestId: requestId, ResponseURL: responseUrl, StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/acme-fraud-prod/1', LogicalResourceId: 'EndpointStagedWeights',
      PhysicalResourceId: type === 'Create' ? undefined : `${ENDPOINT}/staged-weights`, ResourceProperties: p, OldResourceProperties: old,
      ...({ ResourceType: 'Custom::SageMakerStagedWeights' } as object),
    };
  }

  /** What CloudFormation does before the resource: the models, the config (keep-live mode, or `asGiven`), the endpoint on it. */
  async function endpointServes(split: Record<string, number>, asGiven = false) {
    const { sagemaker } = sm.clients();
    await serves(sm, sagemaker, ENDPOINT, `${ENDPOINT}-${++configs}`, split, asGiven);
    sagemaker.destroy();
  }

  beforeEach(async () => {
    now = T0;
    answers.length = 0;
    sm = new FakeSageMaker();
    cw = new FakeCloudWatch();
    cw.now = () => now;
    // Stands in for the pre-signed S3 URL of CloudFormation's response.
    responses = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        answers.push({ method: req.method, contentType: req.headers['content-type'], ...JSON.parse(body) });
        res.writeHead(200).end();
      });
    });
    await Promise.all([sm.start(), cw.start(), new Promise<void>((r) => responses.listen(0, '127.0.0.1', r))]);
    responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/cloudformation-response?X-Amz-Signature=x`;
    await endpointServes({ v7: 100 });
    for (const name of alarmsOf('v7')) cw.alarm(name, { variant: 'v7', state: 'OK' });
  });
  afterEach(async () => {
    await new Promise((r) => responses.close(r));
    await Promise.all([sm.stop(), cw.stop()]);
  });

  async function deployV8(rollout: object = CANARY) {
    await endpointServes({ v7: 0, v8: 100 });
    for (const name of alarmsOf('v8')) cw.alarm(name, { variant: 'v8' });
    const event = request('Update', props({ v7: 0, v8: 100 }, rollout), props({ v7: 100 }, rollout));
    const out = await onStagedEvent(event, deps());
    // The framework's isComplete input: the request plus onEvent's answer.
    return { out, look: { ...event, ...out } as StagedIsCompleteEvent };
  }

  it('a canary is walked to the manifest’s split: 90/10, IsComplete false through the bake, then true with the rollout cleared', async () => {
    const { out, look } = await deployV8();
    expect(out.PhysicalResourceId).toBe(`${ENDPOINT}/staged-weights`);
    expect(JSON.parse(out.Data!.Rollout)).toEqual({ startedAt: T0, baseline: { v7: 100 }, final: { v7: 0, v8: 100 }, added: ['v8'], steps: CANARY.steps });
    expect(out.Data!.Written).toBe('true');
    expect(weights()).toEqual({ v7: 90, v8: 10 });

    const answersSeen: unknown[] = [];
    for (const minute of [0.5, 5, 10, 10.5]) {
      now = T0 + minute * MIN;
      answersSeen.push(await isStagedComplete(look, deps()));
    }
    expect(answersSeen).toEqual([{ IsComplete: false }, { IsComplete: false }, { IsComplete: true, Data: { Rollout: '' } }, { IsComplete: true, Data: { Rollout: '' } }]);
    expect(weights()).toEqual({ v7: 0, v8: 100 });
    // The framework answers CloudFormation on success; the handler does not.
    expect(answers).toEqual([]);
  });

  it('a rollback answers FAILED at the ResponseURL itself (the waiter would retry a throw for an hour), then throws; later looks answer false and write nothing', async () => {
    const { look } = await deployV8(LINEAR);
    for (const name of alarmsOf('v8')) cw.script(name, [{ at: T0 + MIN, state: 'OK' }]);
    cw.script(`${ENDPOINT}-P99Latencyv8`, [{ at: T0 + 6 * MIN, state: 'ALARM', reason: 'Threshold Crossed: 2 datapoints [412000.0, 398000.0] were greater than the threshold (250000.0).' }]);
    now = T0 + 5 * MIN;
    expect(await isStagedComplete(look, deps())).toEqual({ IsComplete: false });
    expect(weights()).toEqual({ v7: 50, v8: 50 });

    now = T0 + 6 * MIN;
    const message = `sagemaker: endpoint ${ENDPOINT}: rolled back v8 at step 2 of 4 (50%: v7 50%, v8 50%): alarm ${ENDPOINT}-P99Latencyv8 (Threshold Crossed: 2 datapoints [412000.0, 398000.0] were greater than the threshold (250000.0).) is in ALARM; traffic is back at v7 100%`;
    await expect(isStagedComplete(look, deps())).rejects.toThrow(message);
    expect(weights()).toEqual({ v7: 100, v8: 0 });
    expect(answers).toEqual([{
      method: 'PUT', contentType: '', Status: 'FAILED', Reason: message, PhysicalResourceId: `${ENDPOINT}/staged-weights`,
      StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/acme-fraud-prod/1', RequestId: 'req-1', LogicalResourceId: 'EndpointStagedWeights',
    }]);

    // The waiter cannot be stopped: its next looks write nothing and answer nothing more.
    cw.script(`${ENDPOINT}-P99Latencyv8`, [{ at: T0 + 7 * MIN, state: 'OK' }]);
    const from = sm.calls.length;
    for (const minute of [7, 30]) {
      now = T0 + minute * MIN;
      expect(await isStagedComplete(look, deps())).toEqual({ IsComplete: false });
    }
    expect(sm.writes(from)).toEqual([]);
    expect(answers).toHaveLength(1);
  });

  it('a traffic-only Update: one write, nothing for isComplete to walk; a Delete writes nothing', async () => {
    await endpointServes({ v7: 90, v8: 10 }, true);
    const event = request('Update', props({ v7: 50, v8: 50 }), props({ v7: 90, v8: 10 }));
    const from = sm.calls.length;
    const out = await onStagedEvent(event, deps());
    expect(out.Data).toEqual({ Rollout: '', Written: 'true', Retire: '' });
    expect(await isStagedComplete({ ...event, ...out }, deps())).toEqual({ IsComplete: true });
    expect(sm.writes(from)).toEqual(['SageMaker.UpdateEndpointWeightsAndCapacities']);
    // A retried onEvent writes nothing.
    const again = sm.calls.length;
    await onStagedEvent(event, deps());
    expect(sm.writes(again)).toEqual([]);

    const del = sm.calls.length;
    const deleted = await onStagedEvent(request('Delete', props({ v7: 50, v8: 50 })), deps());
    expect(deleted).toEqual({ PhysicalResourceId: `${ENDPOINT}/staged-weights` });
    expect(await isStagedComplete({ ...request('Delete', props({ v7: 50, v8: 50 })), ...deleted }, deps())).toEqual({ IsComplete: true });
    expect(sm.calls.slice(del)).toEqual([]);
  });

  it('the direct-invoke path refuses the Kind with a pointer to the Provider framework entry points', async () => {
    await expect(onEvent({ RequestType: 'Create', ResourceProperties: props({ v7: 100 }) as never }, deps()))
      .rejects.toThrow('Kind StagedWeights runs behind the CDK Provider framework: its onEvent is index.onStagedEvent and its isComplete index.isStagedComplete');
  });
});

describe('the bundled handler walks with its own default clients (dist/handlers/sagemaker)', () => {
  const file = path.join(ROOT, 'dist/handlers/sagemaker/index.js');
  const saved = { ...process.env };
  let sm: FakeSageMaker;
  let cw: FakeCloudWatch;

  beforeEach(async () => {
    sm = new FakeSageMaker();
    cw = new FakeCloudWatch();
    await Promise.all([sm.start(), cw.start()]);
    // Lambda's credentials and region; a service-specific endpoint for each client.
    Object.assign(process.env, { AWS_ENDPOINT_URL_SAGEMAKER: sm.url, AWS_ENDPOINT_URL_CLOUDWATCH: cw.url, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_REGION: 'us-east-1' });
  });
  afterEach(async () => {
    process.env = { ...saved };
    await Promise.all([sm.stop(), cw.stop()]);
  });

  it('exports index.onStagedEvent and index.isStagedComplete, which read CloudWatch through the real client', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(file) as typeof import('../../lib/handlers/sagemaker');
    expect(typeof bundle.onStagedEvent).toBe('function');
    expect(typeof bundle.isStagedComplete).toBe('function');
    const { sagemaker } = sm.clients();
    for (const v of ['v7', 'v8']) {
      try {
        await sagemaker.send(new CreateModelCommand({ ModelName: `fraud-${v}`, ExecutionRoleArn: 'arn:aws:iam::111111111111:role/model', PrimaryContainer: { Image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/serve:1' } }));
      } catch (e) {
        if (!/not served by the fake/i.test((e as Error).message)) throw e;
      }
    }
    const variants = (w7: number, w8?: number) => [{ VariantName: 'v7', ModelName: 'fraud-v7', InstanceType: 'ml.g4dn.xlarge' as const, InitialInstanceCount: 1, InitialVariantWeight: w7 }]
      .concat(w8 === undefined ? [] : [{ VariantName: 'v8', ModelName: 'fraud-v8', InstanceType: 'ml.g4dn.xlarge' as const, InitialInstanceCount: 1, InitialVariantWeight: w8 }]);
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: variants(100) }));
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'c1' }));
    // The config in keep-live mode: v7 at its live 100, v8 new at 0 (CloudFormation's update moves no traffic).
    await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c2', ProductionVariants: variants(100, 0) }));
    await sagemaker.send(new UpdateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'c2' }));
    sagemaker.destroy();
    for (const name of alarmsOf('v8')) cw.alarm(name, { variant: 'v8', state: 'ALARM', reason: 'Threshold Crossed' });

    const event = { RequestType: 'Update' as const, RequestId: 'req-9', PhysicalResourceId: `${ENDPOINT}/staged-weights`, ResourceProperties: props({ v7: 0, v8: 100 }), OldResourceProperties: props({ v7: 100 }) };
    const out = await bundle.onStagedEvent(event);
    expect(Object.fromEntries(sm.endpoints.get(ENDPOINT)!.weights)).toEqual({ v7: 90, v8: 10 });
    await expect(bundle.isStagedComplete({ ...event, ...out })).rejects.toThrow(`alarms ${ENDPOINT}-ErrorRatev8 (Threshold Crossed), ${ENDPOINT}-P99Latencyv8 (Threshold Crossed) are in ALARM; traffic is back at v7 100%`);
    expect(Object.fromEntries(sm.endpoints.get(ENDPOINT)!.weights)).toEqual({ v7: 100, v8: 0 });
    expect(cw.calls).toEqual(['CloudWatch.DescribeAlarms']);
  });
});
