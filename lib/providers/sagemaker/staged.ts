import {
  AddTagsCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  ListTagsCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type DescribeEndpointCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RolloutPlan } from '../../plan/types';
import { blend, describeSplit, needsStagedRollout, sameSplit, stepAt, type Split, type StagedRollout } from '../../rollout/staged';
import { describeAlarmStates, type AlarmState } from './alarms';
import { waitInService, type VariantWeight, type WaitOptions } from './traffic';

/**
 * Staged rollouts on SageMaker, walked in steps like Vertex AI and Azure ML (lib/rollout/staged.ts).
 *
 * SageMaker's own blue/green guardrails apply only when an update keeps the variant names, and an
 * mlspec version is a variant (`v<label>`). So a change that adds a version goes through
 * CloudFormation's endpoint update first (the new config holds the new variants and keeps the old
 * ones), and this walk then moves the weights, with `UpdateEndpointWeightsAndCapacities` only
 * (DesiredWeight, never DesiredInstanceCount: no fleet is rebuilt, autoscaled counts stay), from the
 * split before the change to the manifest's, in the spec's canary or linear steps. Between steps
 * it reads the new versions' CloudWatch rollback alarms; one in ALARM puts the old split back in one
 * write and fails the resource, and CloudFormation rolls the stack back.
 *
 * ## The custom resource: Kind `StagedWeights`, behind the CDK Provider framework
 *
 * The handler's entry points are `onStagedEvent` (the framework's onEvent) and `isStagedComplete`
 * (its isComplete, polled every 30 s), exported by lib/handlers/sagemaker.ts: Lambda handler
 * strings `index.onStagedEvent` and `index.isStagedComplete` of dist/handlers/sagemaker.
 *
 * ResourceProperties (CloudFormation hands every value over as a string; the JSON ones are
 * `stack.toJsonString(...)` so numbers stay numbers and alarm names may be tokens):
 *
 * ```
 * Kind:         'StagedWeights'
 * EndpointName: 'acme-fraud-prod'
 * Weights:      '[{"VariantName":"v7","DesiredWeight":0},{"VariantName":"v8","DesiredWeight":100}]'
 *               The manifest's split (the final one) over every production variant of the
 *               endpoint's config, the old versions the config keeps included (at 0). Percents,
 *               adding up to 100. Same shape as Kind VariantWeights.
 * Rollout:      '{"strategy":"canary","steps":[{"percent":10,"bakeSeconds":600},{"percent":100,"bakeSeconds":0}]}'
 *               A RolloutPlan (lib/plan/types.ts): `strategy` and `steps` are read. The bakes
 *               add up to at most 45 minutes (the framework waits at most an hour). A last step
 *               with a bake is watched that long after the final split is set.
 * Alarms:       '{"v7":["<ErrorRate alarm of v7>","<P99Latency alarm of v7>"],"v8":[...]}'
 *               Optional: rollback alarm names per production variant. Only the alarms of the
 *               versions this change adds are read (see "Which alarms" below). Absent or {}:
 *               no rollback, the walk only waits.
 * ```
 *
 * The baseline (the split before the change) is `OldResourceProperties.Weights`: the split the
 * previous deploy of this resource set. So the resource needs a **stable logical id** (one per
 * endpoint, not one per config hash like VariantWeights): a version change must reach it as an
 * Update. A Create, or an Update that moves to another endpoint, has no baseline and goes straight
 * to the final split (writing only when the live split differs), as does a change that adds no
 * version with a share (a traffic-only change: one write, no walk), and `all-at-once`.
 *
 * onEvent answers:
 *
 * ```
 * PhysicalResourceId: '<EndpointName>/staged-weights'
 * Data: { Rollout: '<StagedRollout JSON>' | '', Written: 'true' | 'false' }
 * StagedRollout = { startedAt: <ms since epoch>, baseline: {v7: 100}, final: {v7: 0, v8: 100},
 *                   added: ['v8'], steps: [{percent, bakeSeconds}, ...] }
 * ```
 *
 * The framework hands every isComplete call that same input (the event plus `Data`), so the step
 * is derived from the clock and every call is a repeatable look that writes only when the live
 * split differs. isComplete answers `{ IsComplete: false }` between steps, `{ IsComplete: true,
 * Data: { Rollout: '' } }` once the final split is set (and its bake, if any, is over), or fails
 * after a rollback with `StagedRolloutError` (the message names the alarms, their StateReason and
 * the step).
 *
 * ## The rollout lease (why the walk tags the endpoint)
 *
 * The Provider framework's waiter retries an isComplete that throws exactly as one that answers
 * false (its Step Functions task retries `States.ALL` until the total timeout), and its timeout
 * handler cannot read a thrown message. So (a) the handler answers FAILED at the event's
 * ResponseURL itself when it rolls back (lib/handlers/sagemaker.ts), and (b) the looks that follow,
 * which cannot be stopped, must never move traffic again: not when the alarm clears, not when a
 * later deploy starts a walk of its own. The endpoint's tag `mlspec:rollout` holds the walk that
 * owns its weights: `<RequestId>@<startedAt>` while walking, with `:rolled-back` or `:done` once
 * over. A look acts only for the walk the tag names and writes nothing otherwise; the next deploy's
 * onEvent takes the tag over. A retried onEvent finds its own lease and keeps its start time.
 *
 * ## Which alarms
 *
 * Only the alarms of the versions the change adds roll back, as on Vertex and Azure ML (which watch
 * the new deployments' signals). The old versions' alarms judge the old versions: their ALARM is
 * no evidence against the new one, and rolling back would send the traffic back to them.
 * INSUFFICIENT_DATA does not roll back: a new variant's alarms are created with the change and are
 * INSUFFICIENT_DATA until their first evaluation (and a canary without requests has no data,
 * though the construct's alarms treat missing data as not breaching); only ALARM is a verdict, as
 * for SageMaker's own guardrails. Alarms that cannot be read (access denied, throttled past the
 * SDK's retries, an alarm that does not exist) roll back: a rollout nobody can watch does not go on.
 *
 * ## IAM of the handler role
 *
 * - `sagemaker:DescribeEndpoint`, `sagemaker:UpdateEndpointWeightsAndCapacities`,
 *   `sagemaker:ListTags`, `sagemaker:AddTags`, `sagemaker:DeleteTags` on
 *   `arn:aws:sagemaker:<region>:<account>:endpoint/<endpoint name, lowercase>`;
 * - `cloudwatch:DescribeAlarms` on `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` for every
 *   rollback alarm of the endpoint (the alarms' ARNs, `Alarm.alarmArn`), only when `Alarms` is set.
 */

/** Properties of a `StagedWeights` custom resource, as CloudFormation hands them over. */
export interface StagedWeightsProperties {
  readonly Kind: 'StagedWeights';
  readonly EndpointName: string;
  /** VariantWeight[], JSON: the manifest's split over every production variant of the config. */
  readonly Weights: string;
  /** RolloutPlan, JSON. */
  readonly Rollout: string;
  /** Record<variant name, alarm name[]>, JSON. */
  readonly Alarms?: string;
}

export interface StagedClients {
  readonly sagemaker: SageMakerClient;
  /** Made only when alarms are read. */
  readonly cloudwatch: () => CloudWatchClient;
}

export interface StagedOptions {
  /** The clock, ms since the epoch (tests move it). */
  readonly now?: () => number;
  /**
   * How long a write waits for InService, before and again after it. @default poll 15 s, give up
   * after 2 minutes each (a look stays within isComplete's 5-minute Lambda; a wait that gives up
   * fails the look, and the next one finds the weights written and writes nothing)
   */
  readonly wait?: WaitOptions;
}

/** The tag of the endpoint that names the walk owning its weights. */
export const LEASE_TAG = 'mlspec:rollout';
/** The framework waits an hour at most; the walk's bakes fit in 45 minutes, as the spec's validation keeps them. */
export const MAX_BAKE_SECONDS = 45 * 60;
const DEFAULT_WAIT: WaitOptions = { pollMs: 15_000, timeoutMs: 2 * 60_000 };

/** A rollout that rolled back: traffic is at the baseline again; the message says why. */
export class StagedRolloutError extends Error {}

interface Parsed {
  readonly endpointName: string;
  readonly final: Split;
  readonly rollout: RolloutPlan;
  readonly alarms: Record<string, string[]>;
}

export function parseStagedProperties(props: StagedWeightsProperties): Parsed {
  const endpointName = props.EndpointName;
  if (!endpointName) throw new Error('StagedWeights: EndpointName is required');
  const final = parseWeights(props.Weights, `${endpointName}: Weights`);
  let rollout: RolloutPlan;
  try {
    rollout = JSON.parse(props.Rollout ?? '') as RolloutPlan;
  } catch {
    throw new Error(`${endpointName}: Rollout must be a RolloutPlan as JSON ({"strategy":"canary","steps":[{"percent":10,"bakeSeconds":600},{"percent":100,"bakeSeconds":0}]}); got '${props.Rollout}'`);
  }
  const steps = rollout?.steps;
  if (!rollout || !['all-at-once', 'canary', 'linear'].includes(rollout.strategy) || !Array.isArray(steps) || steps.length === 0
    || steps.some((s) => typeof s?.percent !== 'number' || s.percent <= 0 || s.percent > 100 || typeof s.bakeSeconds !== 'number' || s.bakeSeconds < 0)) {
    throw new Error(`${endpointName}: Rollout must have a strategy (all-at-once, canary or linear) and steps of {percent 1-100, bakeSeconds >= 0}; got ${props.Rollout}`);
  }
  const bakes = steps.reduce((n, s) => n + s.bakeSeconds, 0);
  if (bakes > MAX_BAKE_SECONDS) {
    throw new Error(`${endpointName}: the rollout's bakes add up to ${bakes} s; a staged rollout on SageMaker waits at most ${MAX_BAKE_SECONDS} s (CloudFormation waits an hour for the resource)`);
  }
  let alarms: Record<string, string[]> = {};
  if (props.Alarms) {
    try {
      alarms = JSON.parse(props.Alarms) as Record<string, string[]>;
    } catch {
      alarms = undefined as never;
    }
    if (!alarms || typeof alarms !== 'object' || Array.isArray(alarms) || Object.values(alarms).some((names) => !Array.isArray(names) || names.some((n) => typeof n !== 'string' || !n))) {
      throw new Error(`${endpointName}: Alarms must map variant names to lists of alarm names, as JSON ({"v8":["<alarm>"]}); got ${props.Alarms}`);
    }
  }
  return { endpointName, final, rollout, alarms };
}

function parseWeights(json: string | undefined, what: string): Split {
  let weights: VariantWeight[];
  try {
    weights = JSON.parse(json ?? '') as VariantWeight[];
  } catch {
    weights = undefined as never;
  }
  if (!Array.isArray(weights) || weights.some((w) => typeof w?.VariantName !== 'string' || typeof w.DesiredWeight !== 'number' || w.DesiredWeight < 0)) {
    throw new Error(`${what} must be a JSON list of {VariantName, DesiredWeight >= 0}; got ${json}`);
  }
  return Object.fromEntries(weights.map((w) => [w.VariantName, w.DesiredWeight]));
}

// --- The lease ---------------------------------------------------------------------------------

interface Lease {
  readonly requestId: string;
  readonly startedAt: number;
  readonly state: 'walking' | 'rolled-back' | 'done';
}

function formatLease(l: Lease): string {
  return `${l.requestId}@${l.startedAt}${l.state === 'walking' ? '' : `:${l.state}`}`;
}

function parseLease(value: string | undefined): Lease | undefined {
  const m = /^([^@]+)@(\d+)(?::(rolled-back|done))?$/.exec(value ?? '');
  return m ? { requestId: m[1], startedAt: Number(m[2]), state: (m[3] as Lease['state']) ?? 'walking' } : undefined;
}

async function readLease(sm: SageMakerClient, arn: string): Promise<{ value?: string; lease?: Lease }> {
  let token: string | undefined;
  do {
    const page = await sm.send(new ListTagsCommand({ ResourceArn: arn, NextToken: token }));
    const tag = page.Tags?.find((t) => t.Key === LEASE_TAG);
    if (tag) return { value: tag.Value, lease: parseLease(tag.Value) };
    token = page.NextToken;
  } while (token);
  return {};
}

async function writeLease(sm: SageMakerClient, arn: string, lease: Lease): Promise<void> {
  await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: LEASE_TAG, Value: formatLease(lease) }] }));
}

// --- The split on the endpoint -------------------------------------------------------------------

async function describe(sm: SageMakerClient, endpointName: string): Promise<DescribeEndpointCommandOutput> {
  return sm.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
}

/** The live split by variant (DesiredWeight: what the last write asked for). */
export function liveSplit(endpoint: DescribeEndpointCommandOutput): Split {
  return Object.fromEntries((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName!, Number(v.DesiredWeight ?? v.CurrentWeight ?? 0)]));
}

/** Every production variant of the endpoint at the split's weight, 0 for those it does not name. */
function onEndpoint(live: Split, split: Split): Split {
  return Object.fromEntries(Object.keys(live).map((v) => [v, split[v] ?? 0]));
}

/**
 * Sets the endpoint's split in one UpdateEndpointWeightsAndCapacities (DesiredWeight of every
 * production variant, 0 for those the split leaves out), unless it is live already. Waits for
 * InService before (SageMaker refuses weights during an update) and after the write.
 */
async function applySplit(sm: SageMakerClient, endpointName: string, split: Split, wait: WaitOptions, known?: DescribeEndpointCommandOutput): Promise<boolean> {
  let endpoint = known ?? (await describe(sm, endpointName));
  let live = liveSplit(endpoint);
  const missing = Object.entries(split).filter(([v, w]) => w > 0 && !(v in live)).map(([v]) => v);
  if (missing.length > 0) {
    throw new Error(`endpoint ${endpointName} has no production variant ${missing.join(', ')} (it has ${Object.keys(live).join(', ') || 'none'}); its config must be deployed before traffic can move`);
  }
  if (sameSplit(live, onEndpoint(live, split))) return false;
  endpoint = await waitInService(sm, endpointName, wait);
  live = liveSplit(endpoint);
  const desired = onEndpoint(live, split);
  if (sameSplit(live, desired)) return false;
  await sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({
    EndpointName: endpointName,
    DesiredWeightsAndCapacities: Object.entries(desired).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight })),
  }));
  await waitInService(sm, endpointName, wait);
  return true;
}

// --- onEvent ---------------------------------------------------------------------------------------

export interface StagedEventInput {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  /** CloudFormation's id of this request: the walk's lease. */
  readonly RequestId: string;
  readonly ResourceProperties: StagedWeightsProperties;
  readonly OldResourceProperties?: StagedWeightsProperties;
}

export interface StagedStart {
  /** Set when the change is walked: what isComplete advances. */
  readonly rollout?: StagedRollout;
  /** The split set now: the first step's, or the final one. */
  readonly split: Split;
  readonly written: boolean;
}

/**
 * onEvent of a Create or Update: decides whether the change is walked (a version added with a
 * share, a baseline from the previous deploy that the endpoint still serves, canary or linear
 * steps), takes the endpoint's lease, and sets the first step's split, or the final split when it
 * is not walked. Writes only what differs: a retried onEvent writes nothing.
 */
export async function startStagedWeights(clients: StagedClients, event: StagedEventInput, options: StagedOptions = {}): Promise<StagedStart> {
  const p = parseStagedProperties(event.ResourceProperties);
  const sm = clients.sagemaker;
  const endpoint = await describe(sm, p.endpointName);
  const live = liveSplit(endpoint);
  const { lease } = await readLease(sm, endpoint.EndpointArn!);

  let rollout: StagedRollout | undefined;
  const old = event.RequestType === 'Update' && event.OldResourceProperties?.EndpointName === p.endpointName ? event.OldResourceProperties : undefined;
  if (old) {
    const before = parseWeights(old.Weights, `${p.endpointName}: the previous Weights`);
    const baseline = Object.fromEntries(Object.entries(before).filter(([, w]) => w > 0));
    const added = Object.keys(p.final).filter((v) => !(v in before));
    // A baseline variant the endpoint no longer serves cannot be walked back to: go straight to the final split.
    const served = Object.keys(baseline).every((v) => v in live);
    if (served && needsStagedRollout(p.rollout, baseline, p.final, added)) {
      const startedAt = lease?.requestId === event.RequestId ? lease.startedAt : (options.now ?? Date.now)();
      rollout = { startedAt, baseline, final: { ...p.final }, added, steps: p.rollout.steps };
    }
  }

  // The lease first, so a walk left over from an earlier deploy stops before this one writes.
  if (rollout) {
    if (lease?.requestId !== event.RequestId) await writeLease(sm, endpoint.EndpointArn!, { requestId: event.RequestId, startedAt: rollout.startedAt, state: 'walking' });
  } else if (lease?.state === 'walking' && lease.requestId !== event.RequestId) {
    await sm.send(new DeleteTagsCommand({ ResourceArn: endpoint.EndpointArn!, TagKeys: [LEASE_TAG] }));
  }

  // A retried onEvent of a walk that is already over (it cannot be, behind the framework, but Lambda retries) keeps its outcome.
  const over = rollout && lease?.requestId === event.RequestId ? lease.state : undefined;
  const split = !rollout ? p.final : over === 'rolled-back' ? rollout.baseline : over === 'done' ? rollout.final : stepAt(rollout, rollout.startedAt).split;
  const written = await applySplit(sm, p.endpointName, split, options.wait ?? DEFAULT_WAIT, endpoint);
  return { rollout, split, written };
}

// --- isComplete ------------------------------------------------------------------------------------

export interface StagedProgress {
  /** The final split is set and its bake is over: the resource is complete. */
  readonly done: boolean;
  /** Index into the rollout's steps of the step the clock is at. */
  readonly step: number;
  /** The split set for that step. */
  readonly split: Split;
  readonly written: boolean;
  /** The watched alarms as read by this look (none when nothing is watched). */
  readonly alarms: AlarmState[];
  /** Set when this look acted for nobody: the walk was rolled back or another deploy owns the endpoint. */
  readonly inert?: string;
}

/**
 * One look at a walk, safe to repeat: reads the watched alarms, rolls back on one in ALARM (or on
 * alarms it cannot read): the lease marked rolled back, the baseline split in one write, then
 * StagedRolloutError with the alarms, their reasons and the step. Else sets the split of the step
 * the clock is at. Writes nothing when the live split is already that, or when the endpoint's lease
 * names another walk (or this one's end).
 */
export async function advanceStagedWeights(clients: StagedClients, props: StagedWeightsProperties, rollout: StagedRollout, requestId: string, options: StagedOptions = {}): Promise<StagedProgress> {
  const p = parseStagedProperties(props);
  const sm = clients.sagemaker;
  const wait = options.wait ?? DEFAULT_WAIT;
  const now = (options.now ?? Date.now)();
  const endpoint = await describe(sm, p.endpointName);
  const arn = endpoint.EndpointArn!;
  const { value, lease } = await readLease(sm, arn);
  const clock = stepAt(rollout, now);
  const idle = (inert: string, done = false): StagedProgress => ({ done, step: clock.index, split: liveSplit(endpoint), written: false, alarms: [], inert });

  if (!lease || lease.requestId !== requestId) {
    return idle(`the endpoint's rollout lease is ${value ? `'${value}'` : 'gone'}, not this walk's (${requestId}): another deploy owns the weights; this look writes nothing`);
  }
  if (lease.state === 'done') return idle('this walk is complete', true);
  if (lease.state === 'rolled-back') {
    // Keeps the baseline in place (a write only if the rollback's own write did not happen).
    const written = await applySplit(sm, p.endpointName, rollout.baseline, wait, endpoint);
    return { ...idle('this walk was rolled back; traffic stays at the baseline'), written };
  }

  const watched = [...new Set(rollout.added.flatMap((v) => p.alarms[v] ?? []))];
  let alarms: AlarmState[] = [];
  let why: string | undefined;
  if (watched.length > 0) {
    try {
      alarms = await describeAlarmStates(clients.cloudwatch(), watched);
      const firing = alarms.filter((a) => a.state === 'ALARM');
      if (firing.length > 0) why = `${firing.length === 1 ? 'alarm' : 'alarms'} ${firing.map((a) => `${a.name} (${a.reason ?? 'no reason given'})`).join(', ')} ${firing.length === 1 ? 'is' : 'are'} in ALARM`;
    } catch (e) {
      why = `CloudWatch alarms ${watched.join(', ')} could not be read (${(e as Error).message}); a rollout nobody can watch does not go on`;
    }
  }

  if (why) {
    const before = liveSplit(endpoint);
    // The lease first: whatever happens to the write, no later look moves traffic forward again.
    await writeLease(sm, arn, { ...lease, state: 'rolled-back' });
    let back = `traffic is back at ${describeSplit(rollout.baseline)}`;
    try {
      await applySplit(sm, p.endpointName, rollout.baseline, wait, endpoint);
    } catch (e) {
      back = `setting the traffic back to ${describeSplit(rollout.baseline)} failed (${(e as Error).message}); the next looks retry it`;
    }
    const at = liveStep(rollout, before, clock.index);
    throw new StagedRolloutError(
      `sagemaker: endpoint ${p.endpointName}: rolled back ${rollout.added.join(', ')} at step ${at + 1} of ${rollout.steps.length} (${rollout.steps[at].percent}%: ${describeSplit(before)}): ${why}; ${back}`,
    );
  }

  const written = await applySplit(sm, p.endpointName, clock.split, wait, endpoint);
  // Done once the final split is set, its bake over, and the endpoint in service on it (a write waited for that).
  const done = clock.done && now >= stepStart(rollout, clock.index) + rollout.steps[clock.index].bakeSeconds * 1000 && (written || endpoint.EndpointStatus === 'InService');
  if (done) await writeLease(sm, arn, { ...lease, state: 'done' });
  return { done, step: clock.index, split: clock.split, written, alarms };
}

/** The step whose split is live (the one the alarms judged), else the clock's. */
function liveStep(rollout: StagedRollout, live: Split, clockIndex: number): number {
  const positive = Object.fromEntries(Object.entries(live).filter(([, w]) => w > 0));
  for (let i = rollout.steps.length - 1; i >= 0; i--) {
    const last = i === rollout.steps.length - 1 || rollout.steps[i].percent >= 100;
    if (sameSplit(positive, last ? rollout.final : blend(rollout.baseline, rollout.final, rollout.steps[i].percent))) return i;
  }
  return clockIndex;
}

/** When step `index` starts: after the bakes of the steps before it. */
function stepStart(rollout: StagedRollout, index: number): number {
  return rollout.startedAt + rollout.steps.slice(0, index).reduce((n, s) => n + s.bakeSeconds * 1000, 0);
}
