import {
  AddTagsCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type DescribeEndpointCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RolloutPlan } from '../../plan/types';
import { blend, describeSplit, plannedRollout, sameSplit, stepAt, type RolloutProgress, type Split, type StagedRollout } from '../../rollout/staged';
import { describeAlarmStates, type AlarmState } from './signals';
import { removeScaling } from './scaling';
import { configInputOf, ensureEndpointConfig, retiredConfigName, waitInService, type VariantWeight, type WaitOptions } from './serving';

/**
 * Staged rollouts on SageMaker, walked in steps like Vertex AI and Azure ML (lib/rollout/staged.ts).
 *
 * SageMaker's own blue/green guardrails apply only when an update keeps the variant names, and an
 * mlspec version is a variant (`v<label>`). So a change of versions goes in three moves:
 * 1. CloudFormation's endpoint update onto a config made in **keep-live** mode (Kind
 *    `EndpointConfig`, `KeepLive: 'true'`): the manifest's variants, those already live at their
 *    live weight and the new ones at 0, plus every live variant the manifest dropped, copied at its
 *    live weight. The update moves no traffic.
 * 2. This walk (Kind `StagedWeights`) moves the weights, with `UpdateEndpointWeightsAndCapacities`
 *    only (DesiredWeight, never DesiredInstanceCount: no fleet is rebuilt, autoscaled counts stay),
 *    from the split before the change to the manifest's, in the spec's canary or linear steps.
 *    Between steps it reads the new versions' CloudWatch rollback alarms; one in ALARM puts the old
 *    split back in one write and fails the resource, and CloudFormation rolls the stack back.
 * 3. Once the final split is set and its bake is over, the walk **retires** the versions the
 *    manifest dropped (now at 0, still running and billed): the endpoint moves to a config without
 *    them (see "Retiring" below).
 *
 * ## What the construct sends
 *
 * CloudFormation hands every value over as a string; the JSON ones are `stack.toJsonString(...)`
 * so numbers stay numbers and names may be tokens.
 *
 * Kind `EndpointConfig` (lib/handlers/sagemaker.ts `handler`, invoked by CloudFormation directly):
 *
 * ```
 * Kind:               'EndpointConfig'
 * EndpointConfigName: 'acme-fraud-prod-0123456789'   <endpoint>-<hash of all but the weights>
 * Config:             '{"ProductionVariants":[{"VariantName":"v8","ModelName":"...","InstanceType":"ml.g5.xlarge",
 *                      "InitialInstanceCount":1,"InitialVariantWeight":100}],"KmsKeyId":"...","DataCaptureConfig":{...}}'
 *                     The manifest's config (EndpointConfigSpec, lib/providers/sagemaker/serving.ts).
 * KeepLive:           'true'              staged rollouts only; absent: the config as given
 * EndpointName:       'acme-fraud-prod'   with KeepLive: whose live split to keep, and whose
 *                                         retired config a Delete may remove
 * ```
 *
 * With KeepLive the config is created from `Config` by serving.ts `keepLiveConfig` (the rule is
 * there; in short: weights = live weights, new variants 0, dropped live variants kept; the config as
 * given on the first deploy). A retried Create adopts a same-named config when its desired variants
 * match (the kept ones and all weights aside; serving.ts `ensureEndpointConfig`). Its Delete also
 * deletes the retired config derived from it, unless the endpoint runs on that one.
 *
 * Kind `StagedWeights` (behind the CDK Provider framework): the handler's entry points are
 * `onStagedEvent` (the framework's onEvent) and `isStagedComplete` (its isComplete, polled every
 * 30 s), exported by lib/handlers/sagemaker.ts: Lambda handler strings `index.onStagedEvent` and
 * `index.isStagedComplete` of dist/handlers/sagemaker.
 *
 * ```
 * Kind:               'StagedWeights'
 * EndpointName:       'acme-fraud-prod'
 * EndpointConfigName: 'acme-fraud-prod-0123456789'
 *                     The EndpointConfig resource's name: the config this deploy's endpoint
 *                     update puts the endpoint on (the resource still depends on the endpoint, so
 *                     it runs after that update). Retiring acts only while the endpoint is on it,
 *                     and this resource never writes when the endpoint is on any config but it or
 *                     its retired one (a CloudFormation rollback that reaches this resource before
 *                     the endpoint's). Absent: nothing is ever retired, and no config is checked
 *                     (the behaviour before keep-live).
 * Weights:            '[{"VariantName":"v8","DesiredWeight":100}]'
 *                     The manifest's split over the manifest's production variants (those of
 *                     `Config`), percents adding up to 100. Every live production variant it does
 *                     not list is set to 0 in the final split, and retired. Same shape as Kind
 *                     VariantWeights.
 * Rollout:            '{"strategy":"canary","steps":[{"percent":10,"bakeSeconds":600},{"percent":100,"bakeSeconds":0}]}'
 *                     A RolloutPlan (lib/plan/types.ts): `strategy` and `steps` are read. The bakes
 *                     add up to at most 45 minutes (the framework waits at most an hour, and the
 *                     retiring endpoint update needs some of what is left). A last step with a bake
 *                     is watched that long after the final split is set.
 * Alarms:             '{"v7":["<ErrorRate alarm of v7>","<P99Latency alarm of v7>"],"v8":[...]}'
 *                     Optional: rollback alarm names per production variant. Only the alarms of the
 *                     versions this change adds are read (see "Which alarms" below). Absent or {}:
 *                     no rollback, the walk only waits.
 * ```
 *
 * ## The baseline and the final split
 *
 * The baseline (the split before the change) is `OldResourceProperties.Weights`: the split the
 * previous deploy of this resource set. So the resource needs a **stable logical id** (one per
 * endpoint, not one per config hash like VariantWeights): a version change must reach it as an
 * Update. The walk starts only when the endpoint serves that baseline: its production variants with
 * a share are exactly the baseline's, at the baseline's weights (which a keep-live config keeps).
 * The live weights of kept variants are therefore not added to the baseline: a kept variant is
 * either in the old Weights (the previous manifest had it) or at 0; one with a share that the old
 * properties lack means the endpoint does not serve the baseline (traffic moved by hand, an
 * interrupted deploy), and such a change goes straight to the final split rather than walking from
 * a split that is not live. The same rule keeps CloudFormation's rollback of this resource after a
 * walk rolled back (its old properties name the new version, the endpoint serves the old one again)
 * from walking the new version's share back up.
 *
 * The final split is `Weights` plus every other live production variant at 0. A Create, an Update
 * that moves to another endpoint, a change that adds no version with a share (a traffic-only change:
 * one write, no walk), `all-at-once`, and a baseline the endpoint does not serve go straight to the
 * final split (writing only when the live split differs).
 *
 * onEvent answers:
 *
 * ```
 * PhysicalResourceId: '<EndpointName>/staged-weights'
 * Data: { Rollout: '<StagedRollout JSON>' | '', Written: 'true' | 'false', Retire: 'v7' | '' }
 * StagedRollout = { startedAt: <ms since epoch>, baseline: {v7: 100}, final: {v7: 0, v8: 100},
 *                   added: ['v8'], steps: [{percent, bakeSeconds}, ...] }
 * Retire: the production variants of the endpoint's config that Weights lacks (to be retired).
 * ```
 *
 * The framework hands every isComplete call that same input (the event plus `Data`), so the step
 * is derived from the clock and every call is a repeatable look that writes only when the live
 * split differs. isComplete answers `{ IsComplete: false }` between steps and while retiring,
 * `{ IsComplete: true, Data: { Rollout: '' } }` once the final split is set, its bake (if any) is
 * over and nothing is left to retire, or fails after a rollback with `StagedRolloutError` (the
 * message names the alarms, their StateReason and the step), or after a failed retirement with
 * `StagedRetireError` (SageMaker's FailureReason). A change that is not walked but leaves variants to
 * retire (Data.Retire set) is retired by its isComplete the same way.
 *
 * ## Retiring
 *
 * With the final split set (and its bake over), if the endpoint is on `EndpointConfigName` (T) and
 * T holds production variants that `Weights` lacks, one look per step, each repeatable:
 * 1. create the retired config R = T without those variants (the rest as T has them, weights of the
 *    final split), named `retiredConfigName(T)` = `<T, cut to 61 characters>-r` (serving.ts; a
 *    same-named config of the same contents, from an earlier look, is adopted: never made twice);
 * 2. deregister the retired variants' scalable targets (Application Auto Scaling, scaling.ts
 *    `removeScaling`): SageMaker refuses an UpdateEndpoint that removes an autoscaled variant
 *    (docs/ARCHITECTURE.md, "variant autoscaling");
 * 3. `UpdateEndpoint` onto R with `RetainAllVariantProperties: true` (the remaining variants keep
 *    their weights and autoscaled counts) and `RetainDeploymentConfig: true`, then the lease says
 *    `:retiring`.
 * Later looks write nothing while the endpoint is Updating (its current or pending config is R),
 * and complete once it is InService on R. UpdateEndpoint is called once: a look that finds the
 * endpoint InService on T with the lease at `:retiring` knows the update failed (SageMaker puts the
 * endpoint back InService on the old config with a FailureReason), marks the lease `:failed`,
 * answers FAILED with that reason and writes nothing after. An endpoint that is Failed fails so too.
 * Nothing is retired after a rollback (the lease says `:rolled-back`), nor when the endpoint is on
 * another config. No alarm is read while retiring: at 0 the retired versions serve nothing, and the
 * new ones are past their last bake. The retiring update replaces the fleet as any UpdateEndpoint
 * does (minutes), within the framework's hour.
 *
 * R is unknown to CloudFormation, which still records T: the EndpointConfig resource of T deletes R
 * with T (when the config is replaced or the stack deleted) unless the endpoint runs on R (a
 * retained endpoint). The next deploy's keep-live config is made from R, the live config.
 *
 * ## CloudFormation's rollback of the endpoint (not solved here)
 *
 * A keep-live config's initial weights are the live split of the moment it was made. When
 * CloudFormation rolls the endpoint back onto an earlier config (a later resource of the stack
 * failed after this one completed), SageMaker applies that config's initial weights: the split of
 * that moment, with any version retired since (kept in that config) provisioned again. If the
 * rollback reaches this resource after the endpoint, its Update (old properties) sets that
 * config's final split and retires again; if it reaches this resource first (reverse dependency
 * order), the endpoint is still on the failed deploy's config, this resource writes nothing, and
 * the endpoint keeps the older config's initial weights. A resource the endpoint depends on (as
 * VariantScaling `before`), which a rollback reaches after the endpoint, could set the split then.
 *
 * ## The rollout lease (why the walk tags the endpoint)
 *
 * When our isComplete throws, the Provider framework's own isComplete (aws-cdk-lib 2.276,
 * runtime/framework.js, `safeHandler`) answers CloudFormation FAILED with the error's stack as the
 * reason, and its waiter stops. (a) The handler answers FAILED at the event's ResponseURL itself
 * first when it rolls back or a retirement fails (lib/handlers/sagemaker.ts), so the reason
 * CloudFormation shows is the one-line message, not a stack trace; and (b) looks still under way
 * from another request (a cancelled update's waiter, a Lambda retry) must never move traffic again: not when the
 * alarm clears, not when a later deploy starts a walk of its own. The endpoint's tag
 * `mlspec:rollout` holds the walk that owns its weights: `<RequestId>@<startedAt>` while walking,
 * with `:rolled-back`, `:done` (the final split is set; retiring may follow), `:retiring` (the
 * retiring UpdateEndpoint was accepted) or `:failed` (it failed) once over. A look acts only for
 * the walk the tag names and writes nothing otherwise. The next deploy's onEvent takes the tag over
 * (a walk's own, or `:done` for a change that only retires) or removes another deploy's (a change
 * that neither walks nor retires), so a rolled-back walk's waiter stops putting its baseline back.
 * A retried onEvent finds its own lease and keeps its start time.
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
 * ## IAM
 *
 * The rollout handler role (onStagedEvent, isStagedComplete):
 * - `sagemaker:DescribeEndpoint`, `sagemaker:UpdateEndpointWeightsAndCapacities`,
 *   `sagemaker:UpdateEndpoint`, `sagemaker:ListTags`, `sagemaker:AddTags`, `sagemaker:DeleteTags`
 *   on `arn:aws:sagemaker:<region>:<account>:endpoint/<endpoint name, lowercase>`;
 * - `sagemaker:CreateEndpointConfig`, `sagemaker:DescribeEndpointConfig`,
 *   `sagemaker:DeleteEndpointConfig` and `sagemaker:UpdateEndpoint` on
 *   `arn:aws:sagemaker:<region>:<account>:endpoint-config/<endpoint name, lowercase>-*` (T and R;
 *   UpdateEndpoint is granted on the endpoint and on the config it moves to, as aws-cdk-lib's own
 *   SageMakerUpdateEndpoint task grants it; DeleteEndpointConfig is not called by the walk today,
 *   only kept so the role can clean up the configs it makes);
 * - `kms:CreateGrant` (with `kms:DescribeKey`, as the config handler has) on the model stacks' keys
 *   (`aws:ResourceTag/mlspec:project`), for a config with a KmsKeyId: creating R and moving the
 *   endpoint onto it use the key;
 * - `application-autoscaling:DescribeScalableTargets` on `*` (no resource-level permissions) and
 *   `application-autoscaling:DeregisterScalableTarget` on
 *   `arn:aws:application-autoscaling:<region>:<account>:scalable-target/*`, only when the endpoint
 *   autoscales;
 * - `cloudwatch:DescribeAlarms` on `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` for every
 *   rollback alarm of the endpoint (the alarms' ARNs, `Alarm.alarmArn`), only when `Alarms` is set.
 * The config handler role (Kind EndpointConfig) needs nothing new: keep-live reads the endpoint
 * (`sagemaker:DescribeEndpoint`) and its live config (`sagemaker:DescribeEndpointConfig` on the
 * endpoint's `<endpoint>-*` configs), and the Delete of R is a `sagemaker:DeleteEndpointConfig` on
 * the same prefix.
 */

/** Properties of a `StagedWeights` custom resource, as CloudFormation hands them over. */
export interface StagedWeightsProperties {
  readonly Kind: 'StagedWeights';
  readonly EndpointName: string;
  /** The config this deploy's endpoint update puts the endpoint on (the EndpointConfig resource's name). */
  readonly EndpointConfigName?: string;
  /** VariantWeight[], JSON: the manifest's split over the manifest's production variants. */
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
  /** Made only when retired variants' scaling is looked up. */
  readonly autoscaling: () => ApplicationAutoScalingClient;
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
/** Retiring the versions that left failed (SageMaker's FailureReason); traffic is at the final split. */
export class StagedRetireError extends Error {}

interface Parsed {
  readonly endpointName: string;
  /** The EndpointConfig resource's name, when sent. */
  readonly configName?: string;
  /** The manifest's split, as Weights lists it. */
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
  return { endpointName, configName: props.EndpointConfigName || undefined, final, rollout, alarms };
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

type LeaseState = 'walking' | 'rolled-back' | 'done' | 'retiring' | 'failed';

interface Lease {
  readonly requestId: string;
  readonly startedAt: number;
  readonly state: LeaseState;
}

function formatLease(l: Lease): string {
  return `${l.requestId}@${l.startedAt}${l.state === 'walking' ? '' : `:${l.state}`}`;
}

function parseLease(value: string | undefined): Lease | undefined {
  const m = /^([^@]+)@(\d+)(?::(rolled-back|done|retiring|failed))?$/.exec(value ?? '');
  return m ? { requestId: m[1], startedAt: Number(m[2]), state: (m[3] as LeaseState) ?? 'walking' } : undefined;
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

/** The variants with a share. */
function shares(split: Split): Split {
  return Object.fromEntries(Object.entries(split).filter(([, w]) => w > 0));
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

/**
 * Whether the endpoint is where this resource's properties put it: on `EndpointConfigName` or on
 * its retired config. Always so when the properties do not name a config.
 */
function onOwnConfig(p: Parsed, endpoint: DescribeEndpointCommandOutput): boolean {
  return !p.configName || endpoint.EndpointConfigName === p.configName || endpoint.EndpointConfigName === retiredConfigName(p.configName);
}

/** Production variants of the endpoint's config that Weights lacks, when the endpoint is on `EndpointConfigName` itself. */
async function leftToRetire(sm: SageMakerClient, p: Parsed, endpoint: DescribeEndpointCommandOutput): Promise<string[]> {
  if (!p.configName || endpoint.EndpointConfigName !== p.configName) return [];
  const config = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: p.configName }));
  return (config.ProductionVariants ?? []).map((v) => v.VariantName!).filter((v) => !(v in p.final));
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
  /** Production variants of the endpoint's config that Weights lacks: isComplete retires them. */
  readonly retire: string[];
  /** Set when this onEvent wrote nothing because the endpoint is on another config, and why. */
  readonly skipped?: string;
}

/**
 * onEvent of a Create or Update: decides whether the change is walked (a version added with a
 * share, a baseline from the previous deploy that the endpoint serves, canary or linear steps),
 * takes the endpoint's lease, and sets the first step's split, or the final split when it is not
 * walked. Writes only what differs: a retried onEvent writes nothing.
 */
export async function startStagedWeights(clients: StagedClients, event: StagedEventInput, options: StagedOptions = {}): Promise<StagedStart> {
  const p = parseStagedProperties(event.ResourceProperties);
  const sm = clients.sagemaker;
  const now = (options.now ?? Date.now)();
  const endpoint = await describe(sm, p.endpointName);
  const arn = endpoint.EndpointArn!;
  const live = liveSplit(endpoint);
  const { lease } = await readLease(sm, arn);
  const ours = lease?.requestId === event.RequestId;

  if (!onOwnConfig(p, endpoint)) {
    // CloudFormation's rollback reaches this resource before it moves the endpoint back: nothing of this deploy is live to walk or retire.
    if (lease && !ours) await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: [LEASE_TAG] }));
    return {
      split: live, written: false, retire: [],
      skipped: `endpoint ${p.endpointName} is on config ${endpoint.EndpointConfigName}, not ${p.configName} (or its retired ${retiredConfigName(p.configName!)}): nothing written`,
    };
  }

  // The final split: the manifest's, and every other live production variant at 0.
  const final: Split = { ...onEndpoint(live, {}), ...p.final };
  let rollout: StagedRollout | undefined;
  // A retried onEvent of a walk this request started (its lease says walking, or rolled back).
  const walking = ours && (lease!.state === 'walking' || lease!.state === 'rolled-back');
  const old = event.RequestType === 'Update' && event.OldResourceProperties?.EndpointName === p.endpointName ? event.OldResourceProperties : undefined;
  if (old) {
    const before = parseWeights(old.Weights, `${p.endpointName}: the previous Weights`);
    const baseline = shares(before);
    const added = Object.keys(p.final).filter((v) => !(v in before));
    // The walk starts from what serves: the baseline's variants with a share, at its weights (a keep-live
    // config keeps them so). A retried onEvent of this walk finds its lease and the first step live instead.
    const served = walking ? Object.keys(baseline).every((v) => v in live) : sameSplit(shares(live), baseline);
    if (served) rollout = plannedRollout(p.rollout, baseline, final, added, walking ? lease!.startedAt : now);
  }
  const retire = await leftToRetire(sm, p, endpoint);

  // The lease first, so a walk left over from an earlier deploy stops before this one writes.
  if (rollout || retire.length > 0) {
    // A change that only retires holds the lease as a finished walk: its isComplete retires under it.
    if (!ours) await writeLease(sm, arn, { requestId: event.RequestId, startedAt: rollout?.startedAt ?? now, state: rollout ? 'walking' : 'done' });
  } else if (lease && !ours) {
    await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: [LEASE_TAG] }));
  }

  // A retried onEvent of a walk that already rolled back (it cannot be, behind the framework, but Lambda retries) keeps the baseline.
  const split = !rollout ? final : walking && lease!.state === 'rolled-back' ? rollout.baseline : stepAt(rollout, rollout.startedAt).split;
  const written = await applySplit(sm, p.endpointName, split, options.wait ?? DEFAULT_WAIT, endpoint);
  return { rollout, split, written, retire };
}

// --- isComplete ------------------------------------------------------------------------------------

export interface RetireProgress {
  /** Nothing (more) to retire: the endpoint runs without the variants Weights lacks, or retiring does not apply. */
  readonly done: boolean;
  /** The variants this look removed from the endpoint's config (set on the look that asked for the update). */
  readonly retired: string[];
  /** What the look saw or did, in words. */
  readonly note: string;
}

/** `done`: the final split is set, its bake is over, and nothing is left to retire: the resource is complete. */
export interface StagedProgress extends RolloutProgress {
  readonly written: boolean;
  /** The watched alarms as read by this look (none when nothing is watched). */
  readonly alarms: AlarmState[];
  /** Set when this look acted for nobody: the walk was rolled back or another deploy owns the endpoint. */
  readonly inert?: string;
  /** Set when this look was past the walk: the retirement's progress. */
  readonly retire?: RetireProgress;
}

/**
 * One look at a walk, safe to repeat: reads the watched alarms, rolls back on one in ALARM (or on
 * alarms it cannot read): the lease marked rolled back, the baseline split in one write, then
 * StagedRolloutError with the alarms, their reasons and the step. Else sets the split of the step
 * the clock is at, and once the final split is set and baked, retires what Weights lacks (see
 * "Retiring" in the header). Writes nothing when the live split is already that, or when the
 * endpoint's lease names another walk (or this one's failed or rolled-back end).
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
  if (lease.state === 'failed') return idle('retiring the versions that left failed; this look writes nothing');
  if (lease.state === 'done' || lease.state === 'retiring') {
    const retire = await retireStep(clients, p, lease, arn, wait);
    return { done: retire.done, step: clock.index, split: rollout.final, written: retire.retired.length > 0, alarms: [], retire };
  }
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
  // The walk is over once the final split is set, its bake over, and the endpoint in service on it (a write waited for that).
  const walked = clock.done && now >= stepStart(rollout, clock.index) + rollout.steps[clock.index].bakeSeconds * 1000 && (written || endpoint.EndpointStatus === 'InService');
  if (!walked) return { done: false, step: clock.index, split: clock.split, written, alarms };
  const finished: Lease = { ...lease, state: 'done' };
  await writeLease(sm, arn, finished);
  const retire = await retireStep(clients, p, finished, arn, wait);
  return { done: retire.done, step: clock.index, split: clock.split, written: written || retire.retired.length > 0, alarms, retire };
}

/**
 * isComplete of a change that is not walked but leaves variants to retire (onEvent's Data.Retire):
 * one retiring look under this request's lease (see "Retiring" in the header).
 */
export async function retireKeptVariants(clients: StagedClients, props: StagedWeightsProperties, requestId: string, options: StagedOptions = {}): Promise<RetireProgress & { inert?: string }> {
  const p = parseStagedProperties(props);
  const endpoint = await describe(clients.sagemaker, p.endpointName);
  const { value, lease } = await readLease(clients.sagemaker, endpoint.EndpointArn!);
  if (!lease || lease.requestId !== requestId || lease.state === 'walking' || lease.state === 'rolled-back' || lease.state === 'failed') {
    const why = lease?.requestId === requestId ? `this change's lease is '${value}'` : `the endpoint's rollout lease is ${value ? `'${value}'` : 'gone'}, not this change's (${requestId})`;
    return { done: false, retired: [], note: why, inert: `${why}: this look writes nothing` };
  }
  return retireStep(clients, p, lease, endpoint.EndpointArn!, options.wait ?? DEFAULT_WAIT);
}

/** Endpoint statuses that end by themselves (an update in progress, ours or another). */
const MOVING = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/**
 * One retiring look (the lease is this request's, `:done` or `:retiring`): waits while the endpoint
 * is Updating, completes on R, fails on a failed update, else makes R, deregisters the retired
 * variants' scaling and moves the endpoint onto R once. See "Retiring" in the header.
 */
async function retireStep(clients: StagedClients, p: Parsed, lease: Lease, arn: string, wait: WaitOptions): Promise<RetireProgress> {
  const sm = clients.sagemaker;
  const target = p.configName;
  if (!target) return { done: true, retired: [], note: 'no EndpointConfigName: nothing is retired' };
  const retired = retiredConfigName(target);
  const endpoint = await describe(sm, p.endpointName);
  const status = String(endpoint.EndpointStatus);
  const current = endpoint.EndpointConfigName;
  const pending = endpoint.PendingDeploymentSummary?.EndpointConfigName;
  const fail = async (message: string): Promise<never> => {
    await writeLease(sm, arn, { ...lease, state: 'failed' });
    throw new StagedRetireError(`sagemaker: endpoint ${p.endpointName}: ${message}; traffic stays at ${describeSplit(p.final)}, and the versions that left still run (at 0) until a deploy retires them`);
  };

  if (MOVING.has(status)) {
    const ours = pending === retired || current === retired;
    return { done: false, retired: [], note: ours ? `moving to ${retired} (${status})` : `endpoint is ${status}; waiting before retiring` };
  }
  if (status !== 'InService') return fail(`retiring onto ${retired}: the endpoint is ${status}${endpoint.FailureReason ? `: ${endpoint.FailureReason}` : ''}`);
  if (current === retired) return { done: true, retired: [], note: `in service on ${retired}` };
  if (current !== target) return { done: true, retired: [], note: `endpoint is on config ${current}, not ${target}: nothing retired` };
  if (lease.state === 'retiring') {
    // UpdateEndpoint was accepted, and the endpoint is back InService on T: the update failed (SageMaker puts it back with a FailureReason).
    return fail(`updating onto ${retired} failed: ${endpoint.FailureReason ?? 'SageMaker gave no FailureReason'}`);
  }

  const config = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: target }));
  const variants = config.ProductionVariants ?? [];
  const leaving = variants.map((v) => v.VariantName!).filter((v) => !(v in p.final));
  if (leaving.length === 0) return { done: true, retired: [], note: `${target} holds nothing that Weights lacks` };
  const staying = variants.filter((v) => v.VariantName! in p.final);
  if (staying.length === 0) return fail(`${target} holds none of the variants of Weights (${Object.keys(p.final).join(', ')})`);

  // The versions that leave must serve nothing first (the walk's final split did that; a hand-made change is undone).
  await applySplit(sm, p.endpointName, p.final, wait, endpoint);
  const outcome = await ensureEndpointConfig(sm, retired, {
    ...configInputOf(config),
    ProductionVariants: staying.map((v) => ({ ...v, InitialVariantWeight: p.final[v.VariantName!] })),
  });
  const deregistered = await removeScaling({ sagemaker: sm, autoscaling: clients.autoscaling() }, p.endpointName, leaving);
  await sm.send(new UpdateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: retired, RetainAllVariantProperties: true, RetainDeploymentConfig: true }));
  await writeLease(sm, arn, { ...lease, state: 'retiring' });
  return {
    done: false, retired: leaving,
    note: `retiring ${leaving.join(', ')}: ${retired} ${outcome}${deregistered.length ? `, ${deregistered.join(', ')} deregistered from autoscaling` : ''}, endpoint updating onto it`,
  };
}

/** The step whose split is live (the one the alarms judged), else the clock's. */
function liveStep(rollout: StagedRollout, live: Split, clockIndex: number): number {
  const positive = shares(live);
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
