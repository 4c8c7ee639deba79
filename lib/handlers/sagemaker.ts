import * as http from 'node:http';
import * as https from 'node:https';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { closeSageMakerClients, sageMakerClients, type SageMakerClients } from '../providers/sagemaker/clients';
import { reconcileScaling, removeScaling, type VariantScaling } from '../providers/sagemaker/scaling';
import { deleteGroup, deleteVersion, ensureGroup, ensureVersion, sameVersionModel, updateGroup, updateVersion, type GroupSpec, type VersionSpec } from '../providers/sagemaker/registry';
import { BaselineJobError, BaselineThresholdError, ensureBaselineJob, lookAtBaseline, type BaselineJob, type DriftThresholds, type MonitoringBaselineProperties } from '../providers/sagemaker/monitoring';
import { bestTrial } from '../providers/sagemaker/runs';
import { STEP_KIND_FIELD } from '../providers/sagemaker/training';
import { deleteEndpointConfig, deleteRetiredConfig, ensureEndpointConfig, ensureKeepLiveConfig, setWeights, type EndpointConfigSpec, type VariantWeight, type WaitOptions } from '../providers/sagemaker/serving';
import { advanceStagedWeights, retireKeptVariants, startStagedWeights, StagedRetireError, StagedRolloutError, type StagedProgress, type StagedWeightsProperties } from '../providers/sagemaker/staged';
import type { StagedRollout } from '../rollout/staged';

/**
 * CloudFormation custom resources of mlspec on SageMaker, invoked by CloudFormation directly
 * (`handler`, which answers at the event's response URL); `Kind` says which:
 * - `ModelPackageGroup`, `ModelVersion`: the registry, taken back by name and label when a stack
 *   is created again beside it (lib/providers/sagemaker/registry.ts);
 * - `EndpointConfig`: the config named `<endpoint>-<hash of all but the weights>`, created or
 *   adopted when identical, deleted when replaced; with `KeepLive`, made so that the endpoint update
 *   onto it moves no traffic (lib/providers/sagemaker/staged.ts), and its Delete also deletes the
 *   config a staged rollout retired the endpoint onto, unless the endpoint runs on it;
 * - `VariantWeights`: the live split, one UpdateEndpointWeightsAndCapacities when it differs;
 * - `VariantScaling`: variant autoscaling, `before` the endpoint update (deregisters variants the
 *   update would be refused for) and `after` it (registers the rest); see
 *   lib/providers/sagemaker/scaling.ts for why CloudFormation's own scaling resources cannot.
 * - `StagedWeights`: a staged (canary, linear) walk of the weights with CloudWatch alarm rollback,
 *   then the retirement of the versions the manifest dropped (the endpoint moved to a config
 *   without them), behind the CDK Provider framework instead (`onStagedEvent`, `isStagedComplete`;
 *   see lib/providers/sagemaker/staged.ts, whose header lists the properties of both Kinds and the
 *   IAM of the rollout handler role).
 * - `MonitoringBaseline`: the baseline of a data-quality monitor (statistics and constraints from a
 *   baselining processing job, with the spec's drift thresholds), behind the same Provider
 *   framework as `StagedWeights`, which waits for the job (lib/providers/sagemaker/monitoring.ts).
 * Every path is safe to run twice: a retried event changes nothing the second time.
 */

export interface ConfigResourceProperties {
  readonly Kind: 'EndpointConfig';
  readonly EndpointConfigName: string;
  /** EndpointConfigSpec, JSON (CloudFormation would turn nested numbers into strings). */
  readonly Config: string;
  /**
   * `'true'`: keep-live mode (staged rollouts): the config is created with the endpoint's live
   * weights and keeps its live versions (lib/providers/sagemaker/serving.ts keepLiveConfig). Needs
   * EndpointName.
   */
  readonly KeepLive?: string;
  /** The endpoint the config is for; sent with KeepLive. */
  readonly EndpointName?: string;
}

export interface WeightsResourceProperties {
  readonly Kind: 'VariantWeights';
  readonly EndpointName: string;
  /** VariantWeight[], JSON. */
  readonly Weights: string;
}

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface ScalingResourceProperties {
  readonly Kind?: 'VariantScaling';
  readonly EndpointName: string;
  /** `before` or `after` the endpoint update. */
  readonly Phase: string;
  /** VariantScaling[], JSON (CloudFormation would turn nested numbers into strings). */
  readonly Variants: string;
  /** "true": Delete leaves the scaling of a retained endpoint in place. */
  readonly Retain?: string;
}

export interface GroupResourceProperties {
  readonly Kind: 'ModelPackageGroup';
  /** GroupSpec, JSON. */
  readonly Group: string;
}

export interface VersionResourceProperties {
  readonly Kind: 'ModelVersion';
  /** VersionSpec, JSON. */
  readonly Version: string;
}

export type ResourceProperties = ConfigResourceProperties | WeightsResourceProperties | ScalingResourceProperties | GroupResourceProperties | VersionResourceProperties;

export interface SageMakerEvent<P extends ResourceProperties = ResourceProperties> {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: P & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: P;
}

export type ScalingEvent = SageMakerEvent<ScalingResourceProperties>;

export interface SageMakerResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface SageMakerDependencies {
  readonly clients?: () => SageMakerClients;
  /** How long weights wait for the endpoint to be InService. */
  readonly wait?: WaitOptions;
}

function parseVariants(props: ScalingResourceProperties): VariantScaling[] {
  const variants = JSON.parse(props.Variants) as VariantScaling[];
  if (!Array.isArray(variants)) throw new Error(`${props.EndpointName}: Variants must be a JSON array of variant scaling settings`);
  return variants;
}

/** The physical id answered for a Create that failed: it names nothing, so its Delete does nothing. */
export const FAILED_PREFIX = 'failed:';

/** What CloudFormation sends a Lambda-backed custom resource, beyond the event onEvent takes. */
export interface CloudFormationRequest extends SageMakerEvent {
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

/**
 * The Lambda entry point: CloudFormation invokes it directly and waits for the answer at the
 * event's pre-signed ResponseURL (no Provider framework: one function, role and log group per
 * handler). Every path is idempotent, so Lambda's retry of a crashed invocation is safe.
 */
export async function handler(event: CloudFormationRequest | PipelineStepEvent, _context?: unknown, deps: SageMakerDependencies = {}): Promise<void | Record<string, string | number>> {
  if (STEP_KIND_FIELD in event) return onPipelineStep(event, deps);
  let body: Record<string, unknown>;
  try {
    const out = await onEvent(event, deps);
    body = { Status: 'SUCCESS', PhysicalResourceId: out.PhysicalResourceId, Data: out.Data };
  } catch (e) {
    const reason = (e as Error).message || String(e);
    console.error(`${event.RequestType} ${event.LogicalResourceId} failed: ${reason}`);
    // CloudFormation takes at most 4 KB of response; the reason comes first.
    body = { Status: 'FAILED', Reason: reason.slice(0, 3000), PhysicalResourceId: event.PhysicalResourceId ?? `${FAILED_PREFIX}${event.RequestId}` };
  }
  await respond(event.ResponseURL, { ...body, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
}

/** A SageMaker Pipelines Lambda step of the training pipeline (lib/providers/sagemaker/training.ts): its Arguments. */
export interface PipelineStepEvent {
  readonly [STEP_KIND_FIELD]: 'BestTrial';
  readonly TuningJobName: string;
  /** Metric names, comma-separated. */
  readonly Metrics: string;
}

/**
 * The pipeline invokes the function and takes its answer as the step's output parameters; a throw
 * fails the step with the message, which `mlspec train --wait` prints.
 */
export async function onPipelineStep(event: PipelineStepEvent, deps: SageMakerDependencies = {}): Promise<Record<string, string | number>> {
  if (event[STEP_KIND_FIELD] !== 'BestTrial') throw new Error(`${STEP_KIND_FIELD} must be BestTrial; got '${String(event[STEP_KIND_FIELD])}'`);
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    const out = await bestTrial(clients.sagemaker, event.TuningJobName, event.Metrics ? event.Metrics.split(',') : []);
    console.log(`${event.TuningJobName}: best trial ${String(out.TrainingJobName)}`);
    return out;
  } finally {
    await closeSageMakerClients(clients);
  }
}

/** PUT the answer to the pre-signed S3 URL, with the empty content type it was signed for. */
function respond(url: string, body: Record<string, unknown>): Promise<void> {
  const text = JSON.stringify(body);
  const target = new URL(url);
  const send = target.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(text) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`CloudFormation's response URL answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
}

export async function onEvent(event: SageMakerEvent, deps: SageMakerDependencies = {}): Promise<SageMakerResponse> {
  const kind = event.ResourceProperties.Kind ?? 'VariantScaling';
  if (kind === 'EndpointConfig') return onConfigEvent(event as SageMakerEvent<ConfigResourceProperties>, deps);
  if (kind === 'VariantWeights') return onWeightsEvent(event as SageMakerEvent<WeightsResourceProperties>, deps);
  if (kind === 'VariantScaling') return onScalingEvent(event as ScalingEvent, deps);
  if (kind === 'ModelPackageGroup') return onGroupEvent(event as SageMakerEvent<GroupResourceProperties>, deps);
  if (kind === 'ModelVersion') return onVersionEvent(event as SageMakerEvent<VersionResourceProperties>, deps);
  if ((kind as string) === 'StagedWeights' || (kind as string) === 'MonitoringBaseline') throw new Error(`Kind ${kind as string} runs behind the CDK Provider framework: its onEvent is index.onStagedEvent and its isComplete index.isStagedComplete`);
  throw new Error(`Kind must be EndpointConfig, VariantWeights, VariantScaling, ModelPackageGroup or ModelVersion; got '${kind as string}'`);
}

/** Marks a physical id whose resource this stack took back rather than made: its Delete keeps it. */
const ADOPTED_PREFIX = 'adopted:';
const ours = (physicalId?: string) => physicalId !== undefined && !physicalId.startsWith(ADOPTED_PREFIX) && !physicalId.startsWith(FAILED_PREFIX);
const bare = (physicalId: string) => physicalId.replace(ADOPTED_PREFIX, '');

/**
 * The registry's group. Its DeletionPolicy is RetainExceptOnCreate, so a Delete only comes when
 * its own first create rolls back: a group this stack made is removed, a group it took back stays.
 */
async function onGroupEvent(event: SageMakerEvent<GroupResourceProperties>, deps: SageMakerDependencies): Promise<SageMakerResponse> {
  const spec = JSON.parse(event.ResourceProperties.Group) as GroupSpec;
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    if (event.RequestType === 'Delete') {
      if (ours(event.PhysicalResourceId)) await deleteGroup(clients.sagemaker, event.PhysicalResourceId!);
      return { PhysicalResourceId: event.PhysicalResourceId ?? spec.name };
    }
    const old = event.OldResourceProperties ? (JSON.parse(event.OldResourceProperties.Group) as GroupSpec) : undefined;
    if (event.RequestType === 'Update' && old?.name === spec.name) {
      return { PhysicalResourceId: event.PhysicalResourceId!, Data: { ModelPackageGroupArn: await updateGroup(clients.sagemaker, spec) } };
    }
    const { arn, outcome } = await ensureGroup(clients.sagemaker, spec);
    console.log(`model package group ${spec.name}: ${outcome}`);
    return { PhysicalResourceId: outcome === 'adopted' ? `${ADOPTED_PREFIX}${spec.name}` : spec.name, Data: { ModelPackageGroupArn: arn } };
  } finally {
    await closeSageMakerClients(clients);
  }
}

/**
 * One registry version. Create registers it, or takes back the package already carrying its label
 * with the same image and artifact. An Update of metrics or tags writes them in place; an Update of
 * the model itself registers another package (CloudFormation keeps the old one: UpdateReplacePolicy
 * Retain). The approval status is written only when the template changes it, so `mlspec approve`
 * is never undone by a deploy.
 */
async function onVersionEvent(event: SageMakerEvent<VersionResourceProperties>, deps: SageMakerDependencies): Promise<SageMakerResponse> {
  const spec = JSON.parse(event.ResourceProperties.Version) as VersionSpec;
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    if (event.RequestType === 'Delete') {
      if (ours(event.PhysicalResourceId)) await deleteVersion(clients.sagemaker, event.PhysicalResourceId!);
      return { PhysicalResourceId: event.PhysicalResourceId ?? `${spec.group}/${spec.label}` };
    }
    const old = event.OldResourceProperties ? (JSON.parse(event.OldResourceProperties.Version) as VersionSpec) : undefined;
    if (event.RequestType === 'Update' && old && sameVersionModel(old, spec)) {
      const arn = bare(event.PhysicalResourceId!);
      await updateVersion(clients.sagemaker, arn, old, spec);
      return { PhysicalResourceId: event.PhysicalResourceId!, Data: { ModelPackageArn: arn } };
    }
    const { arn, outcome } = await ensureVersion(clients.sagemaker, spec);
    console.log(`${spec.group} version ${spec.label}: ${outcome} ${arn}`);
    return { PhysicalResourceId: outcome === 'adopted' ? `${ADOPTED_PREFIX}${arn}` : arn, Data: { ModelPackageArn: arn } };
  } finally {
    await closeSageMakerClients(clients);
  }
}

/**
 * The config's name is its identity: an Update (weights only; they are not part of the name) writes
 * nothing. A Delete also deletes the config derived from it when a staged rollout retired versions
 * (`<name, cut to 61 characters>-r`, lib/providers/sagemaker/serving.ts retiredConfigName), unless
 * the endpoint runs on it (a retained endpoint), so nothing is orphaned.
 */
async function onConfigEvent(event: SageMakerEvent<ConfigResourceProperties>, deps: SageMakerDependencies): Promise<SageMakerResponse> {
  const props = event.ResourceProperties;
  const name = props.EndpointConfigName;
  const keepLive = props.KeepLive === 'true';
  // A Delete never fails on its properties.
  if (keepLive && !props.EndpointName && event.RequestType !== 'Delete') throw new Error(`${name}: KeepLive needs EndpointName, the endpoint whose live split the config keeps`);
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    if (event.RequestType === 'Delete') {
      // A Create that failed made nothing of ours (and must not delete a same-named config someone else made).
      if (event.PhysicalResourceId?.startsWith(FAILED_PREFIX)) return { PhysicalResourceId: event.PhysicalResourceId };
      // The physical id is the name CloudFormation created: delete that one (a replaced config).
      const deleted = await deleteEndpointConfig(clients.sagemaker, event.PhysicalResourceId ?? name);
      console.log(`${event.PhysicalResourceId ?? name}: ${deleted ? 'deleted' : 'already gone'}`);
      if (props.EndpointName) {
        const retired = await deleteRetiredConfig(clients.sagemaker, event.PhysicalResourceId ?? name, props.EndpointName);
        console.log(`${event.PhysicalResourceId ?? name}: its retired config ${retired === 'in use' ? `stays (endpoint ${props.EndpointName} runs on it)` : retired}`);
      }
      return { PhysicalResourceId: event.PhysicalResourceId ?? name };
    }
    if (event.RequestType === 'Create') {
      const desired = JSON.parse(props.Config) as EndpointConfigSpec;
      if (keepLive) {
        const out = await ensureKeepLiveConfig(clients.sagemaker, name, desired, { endpointName: props.EndpointName!, wait: deps.wait });
        console.log(`${name}: ${out.outcome}, ${out.asIs ? `as desired (${out.asIs})` : `live weights ${JSON.stringify(out.weights)}${out.kept.length ? `, kept ${out.kept.join(', ')}` : ''}`}`);
      } else {
        const outcome = await ensureEndpointConfig(clients.sagemaker, name, desired);
        console.log(`${name}: ${outcome}`);
      }
    }
    return { PhysicalResourceId: name, Data: { EndpointConfigName: name } };
  } finally {
    await closeSageMakerClients(clients);
  }
}

/** Create: the new config already carries the split, nothing to write. Update: the split, when it differs. */
async function onWeightsEvent(event: SageMakerEvent<WeightsResourceProperties>, deps: SageMakerDependencies): Promise<SageMakerResponse> {
  const props = event.ResourceProperties;
  const physicalId = `${props.EndpointName}-weights`;
  if (event.RequestType !== 'Update') return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    const weights = JSON.parse(props.Weights) as VariantWeight[];
    const written = await setWeights(clients.sagemaker, props.EndpointName, weights, deps.wait);
    console.log(`${props.EndpointName}: ${written ? 'weights set to' : 'weights already'} ${JSON.stringify(weights)}`);
    return { PhysicalResourceId: physicalId, Data: { Written: String(written) } };
  } finally {
    await closeSageMakerClients(clients);
  }
}

async function onScalingEvent(event: ScalingEvent, deps: SageMakerDependencies): Promise<SageMakerResponse> {
  const props = event.ResourceProperties;
  if (props.Phase !== 'before' && props.Phase !== 'after') {
    throw new Error(`${props.EndpointName}: Phase must be 'before' or 'after' (the endpoint update); got '${props.Phase}'`);
  }
  // Stable per endpoint and phase: an update never replaces the resource, so its Delete means the endpoint's scaling goes.
  const physicalId = `${props.EndpointName}/scaling-${props.Phase}`;
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    if (event.RequestType === 'Delete') {
      // The endpoint goes right after this (or stays, retained): only `after` cleans up, and never for a retained endpoint.
      if (props.Phase === 'after' && props.Retain !== 'true') {
        const removed = await removeScaling(clients, props.EndpointName, parseVariants(props).map((v) => v.variantName));
        console.log(`${props.EndpointName}: deregistered ${removed.join(', ') || 'nothing'}`);
      }
      return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
    }
    const changes = await reconcileScaling(clients, props.EndpointName, parseVariants(props));
    console.log(`${props.EndpointName} (${props.Phase} the endpoint update): ${JSON.stringify(changes)}`);
    // Never fail on a variant the endpoint lacks: in a rollback CloudFormation runs `after` with the
    // old state before it rolls the endpoint back, and `before` then registers what comes back.
    if (changes.waiting.length > 0) console.log(`${props.EndpointName}: not on the endpoint (yet): ${changes.waiting.join(', ')}`);
    return {
      PhysicalResourceId: physicalId,
      Data: { Registered: changes.registered.join(','), Deregistered: changes.deregistered.join(','), Policies: changes.policies.join(','), Waiting: changes.waiting.join(',') },
    };
  } finally {
    await closeSageMakerClients(clients);
  }
}

// --- Kind StagedWeights: a staged rollout of the weights, behind the CDK Provider framework ------------

/**
 * The event the Provider framework hands `onStagedEvent` (CloudFormation's request, ResponseURL
 * included) and, with onEvent's answer merged in, `isStagedComplete`. Shapes and IAM: the head of
 * lib/providers/sagemaker/staged.ts.
 */
export interface FrameworkEvent<P> {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: P & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: P;
  readonly ResponseURL?: string;
  readonly StackId?: string;
  readonly LogicalResourceId?: string;
}

export type StagedEvent = FrameworkEvent<StagedWeightsProperties>;

/** What isComplete gets: the event plus onEvent's answer. */
export interface StagedIsCompleteEvent extends StagedEvent {
  readonly Data?: Record<string, string>;
}

export interface StagedIsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

export interface StagedDependencies extends SageMakerDependencies {
  readonly cloudwatch?: () => CloudWatchClient;
  /** S3, for the monitoring baseline's constraints. */
  readonly s3?: () => S3Client;
  /** The clock, ms since the epoch (tests move it). */
  readonly now?: () => number;
}

function stagedClients(deps: StagedDependencies) {
  const clients = (deps.clients ?? sageMakerClients)();
  let cw: CloudWatchClient | undefined;
  return {
    clients,
    staged: {
      sagemaker: clients.sagemaker,
      cloudwatch: () => (cw ??= (deps.cloudwatch ?? (() => new CloudWatchClient({ maxAttempts: 8 })))()),
      autoscaling: () => clients.autoscaling,
    },
    close: async () => {
      await closeSageMakerClients(clients);
      cw?.destroy();
    },
  };
}

/**
 * onEvent: the first step's split (or the final one when the change is not walked); the walk, and
 * the variants left to retire, ride along in Data.
 */
export async function onStagedEvent(event: StagedEvent, deps: StagedDependencies = {}): Promise<SageMakerResponse> {
  if (isBaselineEvent(event)) return onBaselineEvent(event, deps);
  const props = event.ResourceProperties;
  const physicalId = `${props.EndpointName}/staged-weights`;
  // The weights go with the endpoint; a replaced resource (another endpoint) leaves the old one as it is.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
  const { staged, close } = stagedClients(deps);
  try {
    const out = await startStagedWeights(staged, event, { now: deps.now, wait: deps.wait });
    if (out.skipped) console.log(`${props.EndpointName}: ${out.skipped}`);
    else console.log(`${props.EndpointName}: ${out.rollout ? `staged rollout of ${out.rollout.added.join(', ')} started at` : 'no staged rollout; weights'} ${JSON.stringify(out.split)} (${out.written ? 'written' : 'already live'})${out.retire.length ? `; to retire: ${out.retire.join(', ')}` : ''}`);
    return { PhysicalResourceId: physicalId, Data: { Rollout: out.rollout ? JSON.stringify(out.rollout) : '', Written: String(out.written), Retire: out.retire.join(',') } };
  } finally {
    await close();
  }
}

/**
 * isComplete, polled by the framework's waiter: one look at the walk, or at the retirement of the
 * versions that left. On a rollback, or a retirement that failed, it answers FAILED at the
 * ResponseURL itself before it throws, so CloudFormation shows the one-line reason (the Provider
 * framework would answer FAILED too, with the error's stack trace as the reason).
 */
export async function isStagedComplete(event: StagedIsCompleteEvent, deps: StagedDependencies = {}): Promise<StagedIsCompleteResponse> {
  if (isBaselineEvent(event)) return isBaselineComplete(event, deps);
  const rolloutJson = event.Data?.Rollout;
  const retire = event.Data?.Retire;
  if (event.RequestType === 'Delete' || (!rolloutJson && !retire)) return { IsComplete: true };
  const props = event.ResourceProperties;
  const { staged, close } = stagedClients(deps);
  try {
    let done: boolean;
    if (rolloutJson) {
      const rollout = JSON.parse(rolloutJson) as StagedRollout;
      const progress: StagedProgress = await advanceStagedWeights(staged, props, rollout, event.RequestId, { now: deps.now, wait: deps.wait });
      const pending = progress.alarms.filter((a) => a.state !== 'OK').map((a) => `${a.name} ${a.state}`);
      if (progress.inert) console.log(`${props.EndpointName}: ${progress.inert}`);
      else if (progress.retire) console.log(`${props.EndpointName}: walk complete at ${JSON.stringify(progress.split)}; ${progress.retire.note}`);
      else console.log(`${props.EndpointName}: step ${progress.step + 1} of ${rollout.steps.length}, ${JSON.stringify(progress.split)}${progress.written ? ' (written)' : ''}${pending.length ? `; alarms not OK: ${pending.join(', ')}` : ''}`);
      done = progress.done;
    } else {
      const progress = await retireKeptVariants(staged, props, event.RequestId, { now: deps.now, wait: deps.wait });
      console.log(`${props.EndpointName}: ${progress.inert ?? progress.note}`);
      done = progress.done;
    }
    return done ? { IsComplete: true, Data: { Rollout: '' } } : { IsComplete: false };
  } catch (e) {
    if ((e instanceof StagedRolloutError || e instanceof StagedRetireError) && event.ResponseURL) {
      console.error(e.message);
      try {
        await respond(event.ResponseURL, {
          Status: 'FAILED', Reason: e.message.slice(0, 3000), PhysicalResourceId: event.PhysicalResourceId ?? `${props.EndpointName}/staged-weights`,
          StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
        });
      } catch (put) {
        // The waiter's timeout answers FAILED in the end; later looks write nothing (the lease says rolled back or failed).
        console.error(`${props.EndpointName}: answering CloudFormation failed: ${(put as Error).message}`);
      }
    }
    throw e;
  } finally {
    await close();
  }
}

// --- Kind MonitoringBaseline: a data-quality monitor's baseline, behind the same Provider framework --------

/** The framework's event for a MonitoringBaseline resource (isComplete's carries onEvent's Data). */
export interface BaselineEvent extends FrameworkEvent<MonitoringBaselineProperties> {
  readonly Data?: Record<string, string>;
}

function isBaselineEvent(event: { readonly ResourceProperties: unknown }): event is BaselineEvent {
  return (event.ResourceProperties as { Kind?: string } | undefined)?.Kind === 'MonitoringBaseline';
}

function parseBaseline(props: MonitoringBaselineProperties): { job: BaselineJob; thresholds: DriftThresholds } {
  const job = JSON.parse(props.Job) as BaselineJob;
  const thresholds = JSON.parse(props.Thresholds) as DriftThresholds;
  for (const member of ['BaselineUri', 'OutputUri', 'RoleArn', 'ImageUri', 'KmsKeyId', 'InstanceType'] as const) {
    if (typeof job[member] !== 'string' || job[member] === '') throw new Error(`${props.JobName}: Job.${member} must be a non-empty string`);
  }
  if (typeof thresholds.default !== 'number' || typeof thresholds.features !== 'object' || thresholds.features === null) {
    throw new Error(`${props.JobName}: Thresholds must be {"default": <number>, "features": {<name>: <number>}}`);
  }
  return { job, thresholds };
}

/**
 * onEvent: starts the baselining job (or finds the attempt that runs or ran). The physical id is the
 * job's base name, so new thresholds are an update in place and new inputs a new resource; a Delete
 * deletes nothing (SageMaker keeps finished jobs; the baseline files stay in the capture bucket).
 */
export async function onBaselineEvent(event: BaselineEvent, deps: StagedDependencies = {}): Promise<SageMakerResponse> {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? props.JobName };
  const { job } = parseBaseline(props);
  const clients = (deps.clients ?? sageMakerClients)();
  try {
    const { name, outcome } = await ensureBaselineJob(clients.sagemaker, props.JobName, job);
    console.log(`baselining job ${name}: ${outcome} (${job.BaselineUri})`);
    return { PhysicalResourceId: props.JobName, Data: { JobName: name } };
  } finally {
    await closeSageMakerClients(clients);
  }
}

/**
 * isComplete: false while the job runs; when it completed, the spec's thresholds are written into
 * a copy of its constraints and both files' URIs are answered. A job that failed or stopped, or
 * thresholds naming features the baseline lacks, answer FAILED at the ResponseURL with the one-line
 * reason (as a staged rollback does), then throw.
 */
export async function isBaselineComplete(event: BaselineEvent, deps: StagedDependencies = {}): Promise<StagedIsCompleteResponse> {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const props = event.ResourceProperties;
  const name = event.Data?.JobName;
  if (!name) throw new Error(`${props.JobName}: isComplete needs onEvent's Data.JobName, the attempt it started`);
  const { job, thresholds } = parseBaseline(props);
  const clients = (deps.clients ?? sageMakerClients)();
  const s3 = (deps.s3 ?? (() => new S3Client({ maxAttempts: 8 })))();
  try {
    const progress = await lookAtBaseline({ sagemaker: clients.sagemaker, s3 }, name, job, thresholds);
    if (!progress.done) {
      console.log(`baselining job ${name}: ${progress.status}`);
      return { IsComplete: false };
    }
    console.log(`baselining job ${name}: completed; ${progress.features.length} features; constraints with the spec's thresholds at ${progress.constraintsUri}`);
    return { IsComplete: true, Data: { JobName: name, StatisticsUri: progress.statisticsUri, ConstraintsUri: progress.constraintsUri } };
  } catch (e) {
    if ((e instanceof BaselineJobError || e instanceof BaselineThresholdError) && event.ResponseURL) {
      console.error(e.message);
      try {
        await respond(event.ResponseURL, {
          Status: 'FAILED', Reason: e.message.slice(0, 3000), PhysicalResourceId: event.PhysicalResourceId ?? props.JobName,
          StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
        });
      } catch (put) {
        console.error(`${props.JobName}: answering CloudFormation failed: ${(put as Error).message}`);
      }
    }
    throw e;
  } finally {
    await closeSageMakerClients(clients);
    s3.destroy();
  }
}
