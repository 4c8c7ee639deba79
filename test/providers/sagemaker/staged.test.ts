import { CreateModelCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RolloutPlan } from '../../../lib/plan/types';
import { advanceStagedWeights, LEASE_TAG, startStagedWeights, StagedRolloutError, type StagedClients, type StagedEventInput, type StagedWeightsProperties } from '../../../lib/providers/sagemaker/staged';
import { FakeCloudWatch } from '../../fakes/cloudwatch/server';
import { FakeSageMaker } from '../../fakes/sagemaker/server';
import { endpointServes as serves } from './helpers';

const ENDPOINT = 'acme-fraud-prod';
const T0 = Date.UTC(2026, 10, 24, 12);
const MIN = 60_000;
const CANARY: RolloutPlan = { strategy: 'canary', percent: 10, waitSeconds: 600, steps: [{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 0 }] };
const LINEAR: RolloutPlan = { strategy: 'linear', percent: 25, waitSeconds: 300, steps: [25, 50, 75].map((percent) => ({ percent, bakeSeconds: 300 })).concat([{ percent: 100, bakeSeconds: 0 }]) };
/** ModelEndpoint's rollback alarms: one ErrorRate and one P99Latency alarm per production variant. */
const alarmsOf = (v: string) => [`${ENDPOINT}-ErrorRate${v}`, `${ENDPOINT}-P99Latency${v}`];

/** The resource's properties as CloudFormation hands them over (JSON strings). */
function props(weights: Record<string, number>, rollout: RolloutPlan = CANARY, variants = Object.keys(weights)): StagedWeightsProperties {
  return {
    Kind: 'StagedWeights',
    EndpointName: ENDPOINT,
    Weights: JSON.stringify(Object.entries(weights).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight }))),
    Rollout: JSON.stringify(rollout),
    Alarms: JSON.stringify(Object.fromEntries(variants.map((v) => [v, alarmsOf(v)]))),
  };
}

const update = (requestId: string, next: StagedWeightsProperties, old: StagedWeightsProperties): StagedEventInput => ({ RequestType: 'Update', RequestId: requestId, ResourceProperties: next, OldResourceProperties: old });

describe('staged rollouts on SageMaker: weights walked in steps, rollback on CloudWatch alarms (real clients, fake services)', () => {
  let sm: FakeSageMaker;
  let cw: FakeCloudWatch;
  let sagemaker: SageMakerClient;
  let cloudwatch: CloudWatchClient;
  let clients: StagedClients;
  let now: number;
  let configs = 0;
  const options = () => ({ now: () => now, wait: { pollMs: 5, timeoutMs: 2000 } });
  const weights = () => Object.fromEntries(sm.endpoints.get(ENDPOINT)!.weights);
  /** Weight writes since `from` (into sm.calls). */
  const weightWrites = (from: number) => sm.calls.slice(from).filter((c) => c === 'SageMaker.UpdateEndpointWeightsAndCapacities').length;
  const lease = () => sm.tags.get(`arn:aws:sagemaker:us-east-1:111111111111:endpoint/${ENDPOINT}`)?.[LEASE_TAG];

  /** What CloudFormation does before the resource (helpers.ts): the models, the config, the endpoint on it. */
  const endpointServes = (split: Record<string, number>, asGiven = false) => serves(sm, sagemaker, ENDPOINT, `${ENDPOINT}-${++configs}`, split, asGiven);

  beforeEach(async () => {
    now = T0;
    sm = new FakeSageMaker();
    cw = new FakeCloudWatch();
    cw.now = () => now;
    await Promise.all([sm.start(), cw.start()]);
    sagemaker = sm.clients().sagemaker;
    cloudwatch = cw.client();
    clients = { sagemaker, cloudwatch: () => cloudwatch, autoscaling: () => sm.clients().autoscaling };
    // v7 serves everything before the change; its alarms are long OK.
    await endpointServes({ v7: 100 });
    for (const name of alarmsOf('v7')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v7', state: 'OK' });
  });
  afterEach(async () => {
    sagemaker.destroy();
    cloudwatch.destroy();
    await Promise.all([sm.stop(), cw.stop()]);
  });

  async function createModel(v: string) {
    await sagemaker.send(new CreateModelCommand({ ModelName: `fraud-${v}`, ExecutionRoleArn: 'arn:aws:iam::111111111111:role/model', PrimaryContainer: { Image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/serve:1' } }));
  }

  /** The change CloudFormation makes before the resource: the config adds v8 and keeps v7; v8's alarms are new. */
  async function addV8(final: Record<string, number> = { v7: 0, v8: 100 }) {
    await endpointServes(final);
    for (const name of alarmsOf('v8')) cw.alarm(name, { endpoint: ENDPOINT, variant: 'v8' });
  }

  it('canary 10 %: 90/10 first, nothing written inside the bake, then the final split in one write; a retried onEvent writes nothing', async () => {
    await addV8();
    // What the walk asks SageMaker, as the client sends it.
    const sent: unknown[] = [];
    sagemaker.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'UpdateEndpointWeightsAndCapacitiesCommand') sent.push(args.input);
      return next(args);
    });
    const next = props({ v7: 0, v8: 100 });
    const from = sm.calls.length;
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    expect(started.rollout).toEqual({ startedAt: T0, baseline: { v7: 100 }, final: { v7: 0, v8: 100 }, added: ['v8'], steps: CANARY.steps });
    expect(weights()).toEqual({ v7: 90, v8: 10 });
    expect(sm.writes(from)).toEqual(['SageMaker.AddTags', 'SageMaker.UpdateEndpointWeightsAndCapacities']);
    expect(lease()).toBe(`req-1@${T0}`);

    // Lambda retries the same onEvent a minute later: same start (from the lease), nothing written.
    now = T0 + MIN;
    const retried = sm.calls.length;
    const again = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    expect(again.rollout).toEqual(started.rollout);
    expect(again.written).toBe(false);
    expect(sm.writes(retried)).toEqual([]);

    // v8's alarms: INSUFFICIENT_DATA until their first evaluation, then OK. v7's ErrorRate alarm fires: not the canary's business.
    for (const name of alarmsOf('v8')) cw.script(name, [{ at: T0 + 2 * MIN, state: 'OK' }]);
    cw.script(alarmsOf('v7')[0], [{ at: T0 + 3 * MIN, state: 'ALARM' }]);
    const looks: Array<{ minute: number; done: boolean; writes: number }> = [];
    for (const minute of [1, 1, 3, 5, 9.99, 10, 10, 11]) {
      now = T0 + minute * MIN;
      const before = sm.calls.length;
      const progress = await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
      looks.push({ minute, done: progress.done, writes: weightWrites(before) });
      if (minute < 10) expect(sm.writes(before)).toEqual([]);
    }
    expect(looks).toEqual([
      { minute: 1, done: false, writes: 0 }, { minute: 1, done: false, writes: 0 }, { minute: 3, done: false, writes: 0 }, { minute: 5, done: false, writes: 0 },
      { minute: 9.99, done: false, writes: 0 }, { minute: 10, done: true, writes: 1 }, { minute: 10, done: true, writes: 0 }, { minute: 11, done: true, writes: 0 },
    ]);
    expect(weights()).toEqual({ v7: 0, v8: 100 });
    expect(lease()).toBe(`req-1@${T0}:done`);
    // Only the added version's alarms are read, both types asked for (composite alarms too).
    expect(cw.requests.every((r) => JSON.stringify(r.AlarmNames) === JSON.stringify(alarmsOf('v8')))).toBe(true);
    expect(cw.requests[0]).toEqual(expect.objectContaining({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 }));
    // Weights only, every production variant in each write: no instance count, no endpoint update, no fleet rebuilt.
    expect(sent).toEqual([
      { EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'v7', DesiredWeight: 90 }, { VariantName: 'v8', DesiredWeight: 10 }] },
      { EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'v7', DesiredWeight: 0 }, { VariantName: 'v8', DesiredWeight: 100 }] },
    ]);
    expect(sm.calls.slice(from)).not.toContain('SageMaker.UpdateEndpoint');
  });

  it('linear 25 %: rolls back at step 2 when v8’s alarm fires: the baseline in one write, a message naming the alarm, its reason and the step; later looks write nothing', async () => {
    await addV8();
    const next = props({ v7: 0, v8: 100 }, LINEAR);
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 }, LINEAR)), options());
    expect(weights()).toEqual({ v7: 75, v8: 25 });
    for (const name of alarmsOf('v8')) cw.script(name, [{ at: T0 + MIN, state: 'OK' }]);
    cw.script(`${ENDPOINT}-ErrorRatev8`, [{ at: T0 + 7 * MIN, state: 'ALARM', reason: 'Threshold Crossed: 2 out of the last 3 datapoints [4.2 (24/11/26 12:06:00), 3.9 (24/11/26 12:05:00)] were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).' }]);

    now = T0 + 5 * MIN;
    const step2 = sm.calls.length;
    await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
    expect(weights()).toEqual({ v7: 50, v8: 50 });
    expect(weightWrites(step2)).toBe(1);

    now = T0 + 7 * MIN;
    const from = sm.calls.length;
    const failure = advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
    await expect(failure).rejects.toThrow(StagedRolloutError);
    await expect(failure).rejects.toThrow(
      `sagemaker: endpoint ${ENDPOINT}: rolled back v8 at step 2 of 4 (50%: v7 50%, v8 50%): alarm ${ENDPOINT}-ErrorRatev8 (Threshold Crossed: 2 out of the last 3 datapoints [4.2 (24/11/26 12:06:00), 3.9 (24/11/26 12:05:00)] were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).) is in ALARM; traffic is back at v7 100%`,
    );
    expect(weights()).toEqual({ v7: 100, v8: 0 });
    expect(weightWrites(from)).toBe(1);
    expect(lease()).toBe(`req-1@${T0}:rolled-back`);

    // The framework's waiter keeps calling (it retries a thrown isComplete): the alarm clears, the clock passes the last step; nothing moves.
    cw.script(`${ENDPOINT}-ErrorRatev8`, [{ at: T0 + 8 * MIN, state: 'OK' }]);
    const after = sm.calls.length;
    for (const minute of [8, 10, 20]) {
      now = T0 + minute * MIN;
      const look = await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
      expect(look).toEqual(expect.objectContaining({ done: false, written: false, inert: expect.stringContaining('rolled back') }));
    }
    expect(sm.writes(after)).toEqual([]);
    expect(weights()).toEqual({ v7: 100, v8: 0 });

    // CloudFormation rolls the stack back: the old properties find the split in place (no weight written), and the
    // endpoint goes back to v7 alone. The rolled-back walk's lease goes, so its waiter stops putting its baseline back.
    const rollback = sm.calls.length;
    const back = await startStagedWeights(clients, update('req-2', props({ v7: 100 }, LINEAR), next), options());
    expect(back).toEqual({ rollout: undefined, split: { v7: 100, v8: 0 }, written: false, retire: [] });
    expect(sm.writes(rollback)).toEqual(['SageMaker.DeleteTags']);
    expect(lease()).toBeUndefined();
  });

  it('fails closed when the alarms cannot be read: the baseline back, the reason given', async () => {
    await addV8();
    const next = props({ v7: 0, v8: 100 });
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    cw.faults.set('DescribeAlarms', { error: 'AccessDenied', message: `User: arn:aws:sts::111111111111:assumed-role/handler/fn is not authorized to perform: cloudwatch:DescribeAlarms on resource: arn:aws:cloudwatch:us-east-1:111111111111:alarm:${ENDPOINT}-ErrorRatev8` });
    now = T0 + 2 * MIN;
    await expect(advanceStagedWeights(clients, next, started.rollout!, 'req-1', options())).rejects.toThrow(
      new RegExp(`rolled back v8 at step 1 of 2 \\(10%: v7 90%, v8 10%\\): CloudWatch alarms ${ENDPOINT}-ErrorRatev8, ${ENDPOINT}-P99Latencyv8 could not be read \\(User: .* is not authorized to perform: cloudwatch:DescribeAlarms .*\\); a rollout nobody can watch does not go on; traffic is back at v7 100%`),
    );
    expect(weights()).toEqual({ v7: 100, v8: 0 });
  });

  it('an alarm CloudWatch does not have (deleted, wrong name) rolls back too; throttling is retried by the client and does not', async () => {
    await addV8();
    cw.throttle.set('DescribeAlarms', 1);
    const next = props({ v7: 0, v8: 100 });
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    now = T0 + MIN;
    await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
    expect(cw.calls).toEqual(['CloudWatch.DescribeAlarms', 'CloudWatch.DescribeAlarms']);
    expect(weights()).toEqual({ v7: 90, v8: 10 });

    cw.alarms.delete(`${ENDPOINT}-P99Latencyv8`);
    await expect(advanceStagedWeights(clients, next, started.rollout!, 'req-1', options())).rejects.toThrow(
      `could not be read (CloudWatch has no alarm ${ENDPOINT}-P99Latencyv8 (deleted, or in another region or account))`,
    );
    expect(weights()).toEqual({ v7: 100, v8: 0 });
  });

  it('a rollback whose write fails still fails the walk with the alarm; the next look puts the baseline back', async () => {
    await addV8();
    const next = props({ v7: 0, v8: 100 });
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    cw.script(`${ENDPOINT}-ErrorRatev8`, [{ at: T0 + MIN, state: 'ALARM', reason: 'Threshold Crossed' }]);
    sm.failed.set(ENDPOINT, 'Request to service failed. If failure persists after retry, contact customer support.');
    now = T0 + 2 * MIN;
    await expect(advanceStagedWeights(clients, next, started.rollout!, 'req-1', options())).rejects.toThrow(
      `alarm ${ENDPOINT}-ErrorRatev8 (Threshold Crossed) is in ALARM; setting the traffic back to v7 100% failed (endpoint ${ENDPOINT} is Failed: Request to service failed.`,
    );
    expect(weights()).toEqual({ v7: 90, v8: 10 });
    sm.failed.delete(ENDPOINT);
    const look = await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
    expect(look).toEqual(expect.objectContaining({ done: false, written: true }));
    expect(weights()).toEqual({ v7: 100, v8: 0 });
  });

  it('a change that only moves traffic is not walked: one write, no lease, no alarms read', async () => {
    // The previous deploy set 90/10.
    await endpointServes({ v7: 90, v8: 10 }, true);
    for (const name of alarmsOf('v8')) cw.alarm(name, { variant: 'v8', state: 'ALARM' });
    const from = sm.calls.length;
    const out = await startStagedWeights(clients, update('req-1', props({ v7: 50, v8: 50 }), props({ v7: 90, v8: 10 })), options());
    expect(out).toEqual({ rollout: undefined, split: { v7: 50, v8: 50 }, written: true, retire: [] });
    expect(sm.writes(from)).toEqual(['SageMaker.UpdateEndpointWeightsAndCapacities']);
    expect(weights()).toEqual({ v7: 50, v8: 50 });
    expect(lease()).toBeUndefined();
    expect(cw.calls).toEqual([]);
    // The same event again writes nothing.
    const again = sm.calls.length;
    await startStagedWeights(clients, update('req-1', props({ v7: 50, v8: 50 }), props({ v7: 90, v8: 10 })), options());
    expect(sm.writes(again)).toEqual([]);
  });

  it('no walk without a baseline or steps: a Create, all-at-once, a new version at 0 %', async () => {
    await addV8({ v7: 100, v8: 0 });
    const create = await startStagedWeights(clients, { RequestType: 'Create', RequestId: 'req-1', ResourceProperties: props({ v7: 100, v8: 0 }) }, options());
    expect(create).toEqual({ rollout: undefined, split: { v7: 100, v8: 0 }, written: false, retire: [] });
    const zero = await startStagedWeights(clients, update('req-2', props({ v7: 100, v8: 0 }), props({ v7: 100 })), options());
    expect(zero.rollout).toBeUndefined();
    const allAtOnce = await startStagedWeights(clients, update('req-3', props({ v7: 0, v8: 100 }, { strategy: 'all-at-once', steps: [{ percent: 100, bakeSeconds: 0 }] }), props({ v7: 100 })), options());
    expect(allAtOnce).toEqual({ rollout: undefined, split: { v7: 0, v8: 100 }, written: true, retire: [] });
    expect(weights()).toEqual({ v7: 0, v8: 100 });
  });

  it('a walk another deploy took over writes nothing (the lease), and the new deploy’s onEvent stops it before writing', async () => {
    await addV8();
    const next = props({ v7: 0, v8: 100 });
    const first = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    // The stack update is cancelled: CloudFormation's rollback gives the resource its old properties (a
    // traffic-only change back to the walk's baseline), then the endpoint its old config.
    now = T0 + 3 * MIN;
    const cancel = sm.calls.length;
    await startStagedWeights(clients, update('req-2', props({ v7: 100 }), next), options());
    expect(sm.writes(cancel)).toEqual(['SageMaker.DeleteTags', 'SageMaker.UpdateEndpointWeightsAndCapacities']);
    expect(lease()).toBeUndefined();
    expect(weights()).toEqual({ v7: 100, v8: 0 });
    await endpointServes({ v7: 100 });
    // The same change deployed again: a new walk, whose lease the old walk's waiter does not hold.
    await addV8();
    await startStagedWeights(clients, update('req-3', next, props({ v7: 100 })), options());
    expect(lease()).toBe(`req-3@${T0 + 3 * MIN}`);
    now = T0 + 20 * MIN;
    const from = sm.calls.length;
    const orphan = await advanceStagedWeights(clients, next, first.rollout!, 'req-1', options());
    expect(orphan).toEqual(expect.objectContaining({ done: false, written: false, inert: expect.stringContaining(`lease is 'req-3@${T0 + 3 * MIN}'`) }));
    expect(sm.writes(from)).toEqual([]);
    expect(weights()).toEqual({ v7: 90, v8: 10 });
  });

  it('a last step with a bake is watched before the walk completes', async () => {
    await addV8();
    for (const name of alarmsOf('v8')) cw.script(name, [{ at: T0 + MIN, state: 'OK' }]);
    const plan: RolloutPlan = { strategy: 'canary', steps: [{ percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 300 }] };
    const next = props({ v7: 0, v8: 100 }, plan);
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 }, plan)), options());
    now = T0 + 5 * MIN;
    expect((await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options())).done).toBe(false);
    expect(weights()).toEqual({ v7: 0, v8: 100 });
    now = T0 + 10 * MIN;
    expect((await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options())).done).toBe(true);
  });

  it('waits for InService before a write (an update in progress refuses weights)', async () => {
    await addV8();
    sm.updating.set(ENDPOINT, 2);
    await startStagedWeights(clients, update('req-1', props({ v7: 0, v8: 100 }), props({ v7: 100 })), options());
    expect(weights()).toEqual({ v7: 90, v8: 10 });
  });

  it('the baseline must be live: a kept version with a share that the old properties lack (traffic moved by hand) means no walk, the final split in one write', async () => {
    await createModel('v6');
    // By hand, v6 took 20 % beside v7: the endpoint does not serve the old properties' {v7: 100}.
    await endpointServes({ v6: 20, v7: 80 }, true);
    // The deploy of v8: the keep-live config keeps v6 and v7 at their live shares, v8 at 0.
    const config = await endpointServes({ v8: 100 });
    expect(weights()).toEqual({ v8: 0, v6: 20, v7: 80 });
    const from = sm.calls.length;
    const out = await startStagedWeights(clients, update('req-1', { ...props({ v8: 100 }), EndpointConfigName: config }, { ...props({ v7: 100 }), EndpointConfigName: config }), options());
    expect(out).toEqual({ rollout: undefined, split: { v6: 0, v7: 0, v8: 100 }, written: true, retire: ['v6', 'v7'] });
    expect(weights()).toEqual({ v8: 100, v6: 0, v7: 0 });
    // The versions that left are retired by isComplete, under this change's lease.
    expect(sm.writes(from)).toEqual(['SageMaker.AddTags', 'SageMaker.UpdateEndpointWeightsAndCapacities']);
    expect(lease()).toBe(`req-1@${T0}:done`);
  });

  it('without EndpointConfigName nothing is retired, and the walk completes on the final split as before', async () => {
    await addV8({ v8: 100 });
    expect(weights()).toEqual({ v7: 100, v8: 0 });
    const next = props({ v8: 100 });
    const from = sm.calls.length;
    const started = await startStagedWeights(clients, update('req-1', next, props({ v7: 100 })), options());
    expect(started.retire).toEqual([]);
    now = T0 + 10 * MIN;
    const look = await advanceStagedWeights(clients, next, started.rollout!, 'req-1', options());
    expect(look).toEqual(expect.objectContaining({ done: true, retire: { done: true, retired: [], note: 'no EndpointConfigName: nothing is retired' } }));
    expect(weights()).toEqual({ v7: 0, v8: 100 });
    expect(sm.calls.slice(from)).not.toContain('SageMaker.UpdateEndpoint');
  });

  it('refuses properties it cannot walk, before touching anything', async () => {
    const bad = (p: Partial<StagedWeightsProperties>) => startStagedWeights(clients, update('req-1', { ...props({ v7: 100 }), ...p }, props({ v7: 100 })), options());
    await expect(bad({ Weights: '{"v7":100}' })).rejects.toThrow(`${ENDPOINT}: Weights must be a JSON list of {VariantName, DesiredWeight >= 0}`);
    await expect(bad({ Rollout: '{"strategy":"canary","steps":[]}' })).rejects.toThrow(`${ENDPOINT}: Rollout must have a strategy`);
    await expect(bad({ Rollout: JSON.stringify({ strategy: 'linear', steps: [{ percent: 50, bakeSeconds: 3000 }, { percent: 100, bakeSeconds: 0 }] }) })).rejects.toThrow('bakes add up to 3000 s; a staged rollout on SageMaker waits at most 2700 s');
    await expect(bad({ Alarms: '["a"]' })).rejects.toThrow(`${ENDPOINT}: Alarms must map variant names to lists of alarm names`);
    expect(sm.writes()).toEqual(expect.not.arrayContaining(['SageMaker.UpdateEndpointWeightsAndCapacities']));
  });
});
