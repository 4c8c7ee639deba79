import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { reconcileScaling, removeScaling, type ScalingClients, type VariantScaling } from '../providers/sagemaker/scaling';

/**
 * CloudFormation custom resource for a SageMaker endpoint's variant autoscaling, in the shape the
 * CDK Provider framework calls. Two resources share this handler: `before` is updated ahead of the
 * endpoint (it deregisters variants the endpoint update would be refused for), `after` once the
 * endpoint is updated (it registers the variants the update added). See
 * lib/providers/sagemaker/scaling.ts for why the native scaling resources cannot do this.
 */

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface ScalingResourceProperties {
  readonly EndpointName: string;
  /** `before` or `after` the endpoint update. */
  readonly Phase: string;
  /** VariantScaling[], JSON (CloudFormation would turn nested numbers into strings). */
  readonly Variants: string;
  /** "true": Delete leaves the scaling of a retained endpoint in place. */
  readonly Retain?: string;
}

export interface ScalingEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: ScalingResourceProperties & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: ScalingResourceProperties;
}

export interface ScalingResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface ScalingDependencies {
  readonly clients?: () => ScalingClients;
}

function defaultClients(): ScalingClients {
  // Region and credentials from the Lambda environment; the SDK retries throttling with backoff.
  return { sagemaker: new SageMakerClient({ maxAttempts: 8 }), autoscaling: new ApplicationAutoScalingClient({ maxAttempts: 8 }) };
}

function parseVariants(props: ScalingResourceProperties): VariantScaling[] {
  const variants = JSON.parse(props.Variants) as VariantScaling[];
  if (!Array.isArray(variants)) throw new Error(`${props.EndpointName}: Variants must be a JSON array of variant scaling settings`);
  return variants;
}

export async function onEvent(event: ScalingEvent, deps: ScalingDependencies = {}): Promise<ScalingResponse> {
  const props = event.ResourceProperties;
  if (props.Phase !== 'before' && props.Phase !== 'after') {
    throw new Error(`${props.EndpointName}: Phase must be 'before' or 'after' (the endpoint update); got '${props.Phase}'`);
  }
  // Stable per endpoint and phase: an update never replaces the resource, so its Delete means the endpoint's scaling goes.
  const physicalId = `${props.EndpointName}/scaling-${props.Phase}`;
  const clients = (deps.clients ?? defaultClients)();
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
    if (props.Phase === 'after' && changes.waiting.length > 0) {
      throw new Error(`${props.EndpointName}: the endpoint has no production variant ${changes.waiting.join(', ')} after its update, so it cannot be autoscaled; describe the endpoint to see which config it serves`);
    }
    return {
      PhysicalResourceId: physicalId,
      Data: { Registered: changes.registered.join(','), Deregistered: changes.deregistered.join(','), Policies: changes.policies.join(',') },
    };
  } finally {
    clients.sagemaker.destroy();
    clients.autoscaling.destroy();
  }
}
