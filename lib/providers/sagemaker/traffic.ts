import {
  CreateEndpointConfigCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type CreateEndpointConfigCommandInput,
  type DescribeEndpointCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { unlessMissing } from './missing';

/**
 * The endpoint config and the live traffic split of a SageMaker endpoint, written so that running
 * any of it twice changes nothing the second time: a config that already exists with the same
 * contents is adopted (a retried Create, or a stack re-created beside a retained endpoint), a
 * config already gone is a finished Delete, and weights already in place are not written again.
 */

/** What CreateEndpointConfig takes, minus the name. */
export type EndpointConfigSpec = Omit<CreateEndpointConfigCommandInput, 'EndpointConfigName'>;

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
 */
export async function ensureEndpointConfig(sm: SageMakerClient, name: string, spec: EndpointConfigSpec): Promise<'created' | 'adopted'> {
  try {
    await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ...spec }));
    return 'created';
  } catch (e) {
    if (!/already existing endpoint configuration/i.test((e as Error).message ?? '')) throw e;
  }
  const live = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
  if (identity(live as EndpointConfigSpec) !== identity(spec)) {
    throw new Error(`endpoint config ${name} already exists with other contents (models, instance types, counts, shadow, key or data capture); delete it (aws sagemaker delete-endpoint-config --endpoint-config-name ${name}) if no endpoint uses it, and deploy again`);
  }
  return 'adopted';
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
