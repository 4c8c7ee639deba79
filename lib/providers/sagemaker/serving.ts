import {
  CreateEndpointConfigCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type CreateEndpointConfigCommandInput,
  type DescribeEndpointCommandOutput,
  type DescribeEndpointConfigCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { unlessMissing } from './missing';

/**
 * The endpoint config and the live traffic split of a SageMaker endpoint, written so that running
 * any of it twice changes nothing the second time: a config that already exists with the same
 * contents is adopted (a retried Create, or a stack re-created beside a retained endpoint), a
 * config already gone is a finished Delete, and weights already in place are not written again.
 *
 * For staged rollouts a config is made in keep-live mode (keepLiveConfig): it holds what serves now
 * at its live weights, so CloudFormation's endpoint update moves no traffic, and the walk
 * (staged.ts) then retires what the manifest dropped onto a derived config (retiredConfigName).
 */

/** What CreateEndpointConfig takes, minus the name. */
export type EndpointConfigSpec = Omit<CreateEndpointConfigCommandInput, 'EndpointConfigName'>;
/** One production variant as CreateEndpointConfig takes it and DescribeEndpointConfig answers it. */
export type ConfigVariant = NonNullable<EndpointConfigSpec['ProductionVariants']>[number];

export interface VariantWeight {
  readonly VariantName: string;
  readonly DesiredWeight: number;
}

export interface WaitOptions {
  /** Between two DescribeEndpoint calls while the endpoint is Updating. @default 15 s */
  readonly pollMs?: number;
  /** Give up after this long. @default 10 minutes (the handler's Lambda runs at most 15) */
  readonly timeoutMs?: number;
}


/** The parts of a config that make it what it is; weights are the endpoint's initial split only. */
function identity(spec: EndpointConfigSpec): string {
  const variants = (vs: EndpointConfigSpec['ProductionVariants']) => (vs ?? []).map((v) => ({
    VariantName: v.VariantName, ModelName: v.ModelName, InstanceType: v.InstanceType, InitialInstanceCount: Number(v.InitialInstanceCount),
  }));
  const shadow = (spec.ShadowProductionVariants ?? []).map((v) => ({ ...variants([v])[0], InitialVariantWeight: Number(v.InitialVariantWeight) }));
  return JSON.stringify({ production: variants(spec.ProductionVariants), shadow, kms: spec.KmsKeyId ?? null, capture: captureIdentity(spec.DataCaptureConfig) });
}

/**
 * Data capture as it matters, or null when it is off. Off is: no DataCaptureConfig, one with
 * `EnableCapture: false` (it defaults to enabled), or one without the members every enabled capture
 * has (InitialSamplingPercentage, DestinationS3Uri): DescribeEndpointConfig may answer `{}` for a
 * config made without capture (moto does). On, it is the sampling share, the destination (its
 * trailing slash aside), the key of the captured data, the capture modes (in any order) and the
 * content-type headers.
 */
function captureIdentity(capture: EndpointConfigSpec['DataCaptureConfig']): unknown {
  if (!capture || capture.EnableCapture === false) return null;
  if (capture.InitialSamplingPercentage === undefined && capture.DestinationS3Uri === undefined) return null;
  const sorted = (xs?: string[]) => (xs && xs.length > 0 ? [...xs].sort() : null);
  return {
    percent: Number(capture.InitialSamplingPercentage),
    uri: capture.DestinationS3Uri?.replace(/\/$/, '') ?? null,
    kms: capture.KmsKeyId ?? null,
    modes: sorted((capture.CaptureOptions ?? []).map((o) => String(o.CaptureMode))),
    csv: sorted(capture.CaptureContentTypeHeader?.CsvContentTypes),
    json: sorted(capture.CaptureContentTypeHeader?.JsonContentTypes),
  };
}

/**
 * Creates the endpoint config, or adopts one of that name that already holds the same models,
 * instance types and counts, shadow, key and capture. A same-named config holding something else
 * is an error that says so (the name is `<endpoint>-<hash of its contents>`, so this means it was
 * made by hand).
 *
 * The adoption rule in keep-live mode (ensureKeepLiveConfig): only the desired production variants
 * are compared (by name, in any order: model, instance type, count), with shadow, key and capture;
 * the variants kept from the live endpoint beside them, and every weight, are not. What was kept
 * depends on the moment the config was made, so a retried Create may see another live split.
 */
export async function ensureEndpointConfig(sm: SageMakerClient, name: string, spec: EndpointConfigSpec): Promise<'created' | 'adopted'> {
  return createOrAdopt(sm, name, spec, (live) => identity(live as EndpointConfigSpec) === identity(spec));
}

async function createOrAdopt(sm: SageMakerClient, name: string, spec: EndpointConfigSpec, same: (live: DescribeEndpointConfigCommandOutput) => boolean): Promise<'created' | 'adopted'> {
  try {
    await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ...spec }));
    return 'created';
  } catch (e) {
    if (!/already existing endpoint configuration/i.test((e as Error).message ?? '')) throw e;
  }
  const live = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
  if (!same(live)) {
    throw new Error(`endpoint config ${name} already exists with other contents (models, instance types, counts, shadow, key or data capture); delete it (aws sagemaker delete-endpoint-config --endpoint-config-name ${name}) if no endpoint uses it, and deploy again`);
  }
  return 'adopted';
}

// --- Keep-live configs (staged rollouts, lib/providers/sagemaker/staged.ts) ----------------------------

/** Statuses that end by themselves: a keep-live config waits for InService through them. */
const TRANSIENT = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

export interface KeepLiveOptions {
  /** The endpoint whose live split the config keeps. */
  readonly endpointName: string;
  /** How long to wait for an endpoint that is Updating. */
  readonly wait?: WaitOptions;
}

export interface KeptLiveConfig {
  /** What CreateEndpointConfig is given. */
  readonly spec: EndpointConfigSpec;
  /** Live production variants the desired config lacks, copied from the live config at their live weight. */
  readonly kept: string[];
  /** The initial weights of the config, by variant. */
  readonly weights: Record<string, number>;
  /** Set when the desired config goes as it is, and why. */
  readonly asIs?: string;
}

/**
 * The config to create in keep-live mode: the desired config, but such that CloudFormation's
 * endpoint update onto it moves no traffic.
 * - every desired production variant that is live gets its live `CurrentWeight`, one that is not
 *   live gets 0;
 * - every live production variant with a share (live weight > 0) that the desired config lacks is
 *   added, copied from the endpoint's current config (model, instance type, accelerator, volume and
 *   every other field as they were), at its live weight and its live `CurrentInstanceCount`;
 * - the desired config as it is when there is no endpoint (the first deploy), nothing live has a
 *   share, the endpoint is neither InService nor on its way there (Failed, OutOfService), the
 *   desired config has shadow variants (SageMaker takes one production variant beside a shadow), or
 *   the endpoint's current config is gone (a retained endpoint whose stack was deleted: the kept
 *   variants cannot be copied).
 * An endpoint that is Updating is waited for first.
 */
export async function keepLiveConfig(sm: SageMakerClient, desired: EndpointConfigSpec, options: KeepLiveOptions): Promise<KeptLiveConfig> {
  const asIs = (why: string): KeptLiveConfig => ({
    spec: desired, kept: [], asIs: why,
    weights: Object.fromEntries((desired.ProductionVariants ?? []).map((v) => [v.VariantName!, Number(v.InitialVariantWeight ?? 1)])),
  });
  const name = options.endpointName;
  let endpoint = await unlessMissing(sm.send(new DescribeEndpointCommand({ EndpointName: name })));
  if (!endpoint) return asIs(`endpoint ${name} does not exist yet`);
  if (TRANSIENT.has(String(endpoint.EndpointStatus))) endpoint = await waitInService(sm, name, options.wait);
  if (endpoint.EndpointStatus !== 'InService') return asIs(`endpoint ${name} is ${endpoint.EndpointStatus}`);
  const live = new Map((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName!, {
    weight: Number(v.CurrentWeight ?? v.DesiredWeight ?? 0),
    count: v.CurrentInstanceCount ?? v.DesiredInstanceCount,
  }]));
  if (![...live.values()].some((l) => l.weight > 0)) return asIs(`nothing on endpoint ${name} has a share of traffic`);
  if ((desired.ShadowProductionVariants ?? []).length > 0) return asIs('the config has shadow variants, beside which SageMaker takes one production variant');

  const wanted = new Set((desired.ProductionVariants ?? []).map((v) => v.VariantName));
  const missing = [...live].filter(([v, l]) => !wanted.has(v) && l.weight > 0);
  const copied: ConfigVariant[] = [];
  if (missing.length > 0) {
    const current = await unlessMissing(sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName })));
    if (!current) return asIs(`the live config ${endpoint.EndpointConfigName} of endpoint ${name} is gone, so ${missing.map(([v]) => v).join(', ')} cannot be copied`);
    for (const [v, l] of missing) {
      const entry = current.ProductionVariants?.find((x) => x.VariantName === v);
      if (!entry) return asIs(`the live config ${endpoint.EndpointConfigName} has no production variant ${v}`);
      copied.push({ ...entry, InitialVariantWeight: l.weight, ...(l.count !== undefined && l.count > 0 ? { InitialInstanceCount: l.count } : {}) });
    }
  }
  const production = (desired.ProductionVariants ?? []).map((v) => ({ ...v, InitialVariantWeight: live.get(v.VariantName!)?.weight ?? 0 }));
  const all = [...production, ...copied];
  return {
    spec: { ...desired, ProductionVariants: all },
    kept: copied.map((v) => v.VariantName!),
    weights: Object.fromEntries(all.map((v) => [v.VariantName!, Number(v.InitialVariantWeight)])),
  };
}

/**
 * The config in keep-live mode (keepLiveConfig), created or adopted: a same-named config is adopted
 * when its desired production variants match (see ensureEndpointConfig), whatever it keeps beside
 * them and whatever its weights.
 */
export async function ensureKeepLiveConfig(sm: SageMakerClient, name: string, desired: EndpointConfigSpec, options: KeepLiveOptions): Promise<KeptLiveConfig & { outcome: 'created' | 'adopted' }> {
  const kept = await keepLiveConfig(sm, desired, options);
  const names = new Set((desired.ProductionVariants ?? []).map((v) => v.VariantName));
  const desiredOnly = (spec: EndpointConfigSpec) => identity({
    ...spec,
    ProductionVariants: (spec.ProductionVariants ?? []).filter((v) => names.has(v.VariantName)).sort((a, b) => String(a.VariantName).localeCompare(String(b.VariantName))),
  });
  const outcome = await createOrAdopt(sm, name, kept.spec, (live) => desiredOnly(live as EndpointConfigSpec) === desiredOnly(desired));
  return { ...kept, outcome };
}

/**
 * The config a staged rollout retires the endpoint onto (staged.ts): `name` without the variants
 * that left, named `<name, cut to 61 characters>-r`. At most 63 characters and within SageMaker's
 * pattern (`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`) whenever `name` is; never one of the construct's own
 * names, which end in a hex digit of their hash.
 */
export function retiredConfigName(name: string): string {
  return `${name.slice(0, 61)}-r`;
}

/** What CreateEndpointConfig takes to make a copy of a described config (its name, ARN and time left out). */
export function configInputOf(described: DescribeEndpointConfigCommandOutput): EndpointConfigSpec {
  const { EndpointConfigName: _name, EndpointConfigArn: _arn, CreationTime: _at, $metadata: _meta, DataCaptureConfig: capture, ...rest } = described;
  // DescribeEndpointConfig may answer `{}` for "no capture" (moto does); CreateEndpointConfig refuses that.
  return { ...rest, ...(capture && capture.DestinationS3Uri !== undefined ? { DataCaptureConfig: capture } : {}) } as EndpointConfigSpec;
}

/**
 * Deletes the retired config derived from `name` (retiredConfigName) unless the endpoint runs on it
 * or is moving to it; one already gone, or never made, is success.
 */
export async function deleteRetiredConfig(sm: SageMakerClient, name: string, endpointName: string): Promise<'deleted' | 'absent' | 'in use'> {
  const retired = retiredConfigName(name);
  const endpoint = await unlessMissing(sm.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
  if (endpoint && (endpoint.EndpointConfigName === retired || endpoint.PendingDeploymentSummary?.EndpointConfigName === retired)) return 'in use';
  return (await deleteEndpointConfig(sm, retired)) ? 'deleted' : 'absent';
}

/** Deletes the config; one already gone is success (a retried Delete). */
export async function deleteEndpointConfig(sm: SageMakerClient, name: string): Promise<boolean> {
  return (await unlessMissing(sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })))) !== undefined;
}

/** Waits while the endpoint is Creating or Updating; fails on Failed, or when it takes too long. */
export async function waitInService(sm: SageMakerClient, endpointName: string, options: WaitOptions = {}): Promise<DescribeEndpointCommandOutput> {
  const pollMs = options.pollMs ?? 15_000;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    const endpoint = await sm.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    const status = endpoint.EndpointStatus;
    if (status === 'InService') return endpoint;
    if (status !== 'Creating' && status !== 'Updating' && status !== 'SystemUpdating' && status !== 'RollingBack') {
      throw new Error(`endpoint ${endpointName} is ${status}${endpoint.FailureReason ? `: ${endpoint.FailureReason}` : ''}; it must be InService to move traffic`);
    }
    if (Date.now() + pollMs > deadline) {
      throw new Error(`endpoint ${endpointName} is still ${status} after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s; deploy again once it is InService`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Sets the live split with one UpdateEndpointWeightsAndCapacities (DesiredWeight only, so
 * autoscaled instance counts stay), unless it is already in place. Waits for InService before
 * (an update in progress refuses new weights) and after (so the deploy ends on the new split).
 */
export async function setWeights(sm: SageMakerClient, endpointName: string, weights: VariantWeight[], options: WaitOptions = {}): Promise<boolean> {
  const endpoint = await waitInService(sm, endpointName, options);
  const live = new Map((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName, v.DesiredWeight ?? v.CurrentWeight]));
  const missing = weights.filter((w) => !live.has(w.VariantName)).map((w) => w.VariantName);
  if (missing.length > 0) {
    throw new Error(`endpoint ${endpointName} has no production variant ${missing.join(', ')} (it has ${[...live.keys()].join(', ') || 'none'}); its config must be deployed before traffic can move`);
  }
  if (weights.every((w) => Number(live.get(w.VariantName)) === w.DesiredWeight)) return false;
  await sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: endpointName, DesiredWeightsAndCapacities: weights.map((w) => ({ VariantName: w.VariantName, DesiredWeight: w.DesiredWeight })) }));
  await waitInService(sm, endpointName, options);
  return true;
}
