import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
  type ScalingPolicy,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SageMakerClients } from './clients';
import { unlessMissing } from './missing';

/**
 * Autoscaling of a SageMaker endpoint's production variants, kept in step with the endpoint.
 *
 * SageMaker refuses an UpdateEndpoint that removes an autoscaled variant or changes its instance
 * type ("deregister it first"), and CloudFormation deletes a removed AWS::ApplicationAutoScaling
 * ::ScalableTarget only after the endpoint update, so retiring a version with the native resources
 * fails the deploy. This reconciler runs twice around the endpoint update, from one desired state:
 * before it, it deregisters what the update would otherwise be refused for; after it, it registers
 * the rest. Both runs do the same thing, "make the variants the endpoint has right now scale as
 * desired", so a rollback (CloudFormation re-running the first with the old state) restores too.
 */

export const SAGEMAKER_NAMESPACE = 'sagemaker';
export const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
/** The one target-tracking policy per variant that mlspec owns; other policies are left alone. */
export const POLICY_NAME = 'mlspec-target-tracking';

/** How one production variant should scale. */
export interface VariantScaling {
  readonly variantName: string;
  /** The instance type the endpoint config gives the variant: a different one on the endpoint means "not yet updated". */
  readonly instanceType: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Target tracking, as PutScalingPolicy takes it. */
  readonly policy: TargetTrackingScalingPolicyConfiguration;
}

export type { SageMakerClients } from './clients';

/** What a run changed, by variant name. */
export interface ScalingChanges {
  readonly registered: string[];
  readonly policies: string[];
  readonly deregistered: string[];
  /** Desired variants the endpoint does not have (yet): left for the run after the update. */
  readonly waiting: string[];
}

export function resourceId(endpointName: string, variantName: string): string {
  return `endpoint/${endpointName}/variant/${variantName}`;
}

/** The endpoint's production variants and their instance types; undefined when there is no endpoint. */
async function deployedVariants(sm: SageMakerClient, endpointName: string): Promise<Map<string, string | undefined> | undefined> {
  const endpoint = await unlessMissing(sm.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
  if (!endpoint) return undefined;
  // A retained endpoint can outlive its config (deleted with its stack): its instance types are unknown, taken as unchanged.
  const config = await unlessMissing(sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName })));
  const types = new Map((config?.ProductionVariants ?? []).map((v) => [v.VariantName as string, v.InstanceType as string | undefined]));
  return new Map((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName as string, types.get(v.VariantName as string)]));
}

/** Scalable targets of these variants that Application Auto Scaling knows, by variant name. */
async function registeredTargets(aas: ApplicationAutoScalingClient, endpointName: string, variants: string[]): Promise<Map<string, ScalableTarget>> {
  const byId = new Map(variants.map((v) => [resourceId(endpointName, v), v]));
  const found = new Map<string, ScalableTarget>();
  const ids = [...byId.keys()];
  // DescribeScalableTargets takes at most 50 resource ids per call.
  for (let i = 0; i < ids.length; i += 50) {
    let token: string | undefined;
    do {
      const page = await aas.send(new DescribeScalableTargetsCommand({
        ServiceNamespace: SAGEMAKER_NAMESPACE,
        ScalableDimension: VARIANT_DIMENSION,
        ResourceIds: ids.slice(i, i + 50),
        NextToken: token,
      }));
      for (const t of page.ScalableTargets ?? []) {
        const variant = byId.get(t.ResourceId as string);
        if (variant) found.set(variant, t);
      }
      token = page.NextToken;
    } while (token);
  }
  return found;
}

/**
 * mlspec's policy of this variant: the one answered with exactly this ResourceId, dimension and
 * name. The filters narrow the answer but are not trusted to be exact: moto matches ResourceId as a
 * substring (`.../variant/v70` also answers v7's policy) and ignores PolicyNames. The answer comes
 * in pages (at most 10 policies each), all read until ours is found.
 */
async function ourPolicy(aas: ApplicationAutoScalingClient, id: string): Promise<ScalingPolicy | undefined> {
  let token: string | undefined;
  do {
    const page = await aas.send(new DescribeScalingPoliciesCommand({
      ServiceNamespace: SAGEMAKER_NAMESPACE,
      ScalableDimension: VARIANT_DIMENSION,
      ResourceId: id,
      PolicyNames: [POLICY_NAME],
      NextToken: token,
    }));
    const ours = page.ScalingPolicies?.find((p) => p.ResourceId === id && p.ScalableDimension === VARIANT_DIMENSION && p.PolicyName === POLICY_NAME && p.ServiceNamespace === SAGEMAKER_NAMESPACE);
    if (ours) return ours;
    token = page.NextToken;
  } while (token);
  return undefined;
}

/** JSON with keys sorted at every level, so two equal objects serialize alike whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether the live policy is what we would put (fields Application Auto Scaling adds are ignored). */
function samePolicy(live: ScalingPolicy | undefined, desired: TargetTrackingScalingPolicyConfiguration): boolean {
  const cfg = live?.TargetTrackingScalingPolicyConfiguration;
  if (!cfg || live?.PolicyType !== 'TargetTrackingScaling') return false;
  const pick = (c: TargetTrackingScalingPolicyConfiguration) => canonical({
    TargetValue: c.TargetValue,
    Predefined: c.PredefinedMetricSpecification?.PredefinedMetricType,
    Customized: c.CustomizedMetricSpecification
      ? { ...c.CustomizedMetricSpecification, Dimensions: [...(c.CustomizedMetricSpecification.Dimensions ?? [])].sort((a, b) => String(a.Name).localeCompare(String(b.Name))) }
      : undefined,
    ScaleInCooldown: c.ScaleInCooldown ?? 0,
    ScaleOutCooldown: c.ScaleOutCooldown ?? 0,
    DisableScaleIn: c.DisableScaleIn ?? false,
  });
  return pick(cfg) === pick(desired);
}

async function deregister(aas: ApplicationAutoScalingClient, id: string): Promise<boolean> {
  try {
    // Deregistering also deletes the target's scaling policies and their alarms.
    await aas.send(new DeregisterScalableTargetCommand({ ServiceNamespace: SAGEMAKER_NAMESPACE, ScalableDimension: VARIANT_DIMENSION, ResourceId: id }));
    return true;
  } catch (e) {
    // Already gone (a retried event, or SageMaker deregistered it with a deleted endpoint).
    if ((e as { name?: string }).name === 'ObjectNotFoundException') return false;
    throw e;
  }
}

/**
 * Makes the variants the endpoint has now scale as `desired` says, and deregisters those the
 * desired state drops or moves to another instance type (the update that follows would be refused
 * otherwise). Desired variants the endpoint does not have yet are left for the run after the
 * update. Running it again changes nothing.
 */
export async function reconcileScaling(clients: SageMakerClients, endpointName: string, desired: VariantScaling[]): Promise<ScalingChanges> {
  const changes: ScalingChanges = { registered: [], policies: [], deregistered: [], waiting: [] };
  const deployed = await deployedVariants(clients.sagemaker, endpointName);
  if (!deployed) {
    changes.waiting.push(...desired.map((d) => d.variantName));
    return changes;
  }
  const wanted = new Map(desired.map((d) => [d.variantName, d]));
  const targets = await registeredTargets(clients.autoscaling, endpointName, [...new Set([...deployed.keys(), ...wanted.keys()])]);

  for (const [variant, instanceType] of deployed) {
    const want = wanted.get(variant);
    const id = resourceId(endpointName, variant);
    if (!want || (instanceType !== undefined && instanceType !== want.instanceType)) {
      if (targets.has(variant) && await deregister(clients.autoscaling, id)) changes.deregistered.push(variant);
      continue;
    }
    const live = targets.get(variant);
    if (!live || live.MinCapacity !== want.minCapacity || live.MaxCapacity !== want.maxCapacity) {
      // No RoleARN: Application Auto Scaling uses (and creates on first use) its SageMaker service-linked role.
      await clients.autoscaling.send(new RegisterScalableTargetCommand({
        ServiceNamespace: SAGEMAKER_NAMESPACE,
        ScalableDimension: VARIANT_DIMENSION,
        ResourceId: id,
        MinCapacity: want.minCapacity,
        MaxCapacity: want.maxCapacity,
      }));
      changes.registered.push(variant);
    }
    if (!live || !samePolicy(await ourPolicy(clients.autoscaling, id), want.policy)) {
      await clients.autoscaling.send(new PutScalingPolicyCommand({
        PolicyName: POLICY_NAME,
        ServiceNamespace: SAGEMAKER_NAMESPACE,
        ScalableDimension: VARIANT_DIMENSION,
        ResourceId: id,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: want.policy,
      }));
      changes.policies.push(variant);
    }
  }
  // Targets of variants the endpoint no longer has (an update ran without us): nothing to scale.
  for (const variant of targets.keys()) {
    if (!deployed.has(variant) && !wanted.has(variant) && await deregister(clients.autoscaling, resourceId(endpointName, variant))) {
      changes.deregistered.push(variant);
    }
  }
  changes.waiting.push(...desired.filter((d) => !deployed.has(d.variantName)).map((d) => d.variantName));
  return changes;
}

/** Stops autoscaling every given variant (the stack or the endpoint's scaling is going away). */
export async function removeScaling(clients: SageMakerClients, endpointName: string, variants: string[]): Promise<string[]> {
  const removed: string[] = [];
  const targets = await registeredTargets(clients.autoscaling, endpointName, variants);
  for (const variant of targets.keys()) {
    if (await deregister(clients.autoscaling, resourceId(endpointName, variant))) removed.push(variant);
  }
  return removed;
}
