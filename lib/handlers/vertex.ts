import type { VertexModelPlan } from '../plan/types';
import { reconcileVertex, type ReconcileOptions } from '../providers/vertex/reconcile';
import { vertexClients, type VertexClients } from '../providers/vertex/clients';
import { workloadIdentityClient } from '../providers/vertex/credentials';

/**
 * CloudFormation custom resource for one model's Vertex AI registry and endpoint, in the shape the
 * CDK Provider framework calls (`onEvent` returns the physical id and data). A thin adapter: the
 * reconciler does the work, and running it again with the same properties changes nothing.
 */

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface VertexResourceProperties {
  /** The model's Vertex plan, JSON. */
  readonly Plan: string;
  readonly Model: string;
  readonly Environment: string;
  /** "true": Delete keeps the endpoint (the registry is always kept). */
  readonly Protected?: string;
  readonly WorkloadIdentityProvider?: string;
  readonly ServiceAccount?: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: VertexResourceProperties & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: VertexResourceProperties;
}

export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface Dependencies {
  readonly clients?: (plan: VertexModelPlan, props: VertexResourceProperties) => VertexClients;
  readonly options?: ReconcileOptions;
}

function defaultClients(plan: VertexModelPlan, props: VertexResourceProperties): VertexClients {
  if (!props.WorkloadIdentityProvider) {
    throw new Error(`vertex: ${props.Model} in ${props.Environment}: environments.${props.Environment}.gcp.workloadIdentityProvider is not set; the deploy role reaches Google only through workload identity federation (see docs/vertex.md)`);
  }
  const authClient = workloadIdentityClient({ workloadIdentityProvider: props.WorkloadIdentityProvider, serviceAccount: props.ServiceAccount });
  return vertexClients(plan.region, { authClient } as never);
}

/** The id names the model and endpoint, so CloudFormation replaces the resource only when they change. */
function physicalId(plan: VertexModelPlan): string {
  return `vertex:projects/${plan.project}/locations/${plan.region}/${plan.modelDisplayName}/${plan.serving?.endpointDisplayName ?? '-'}`;
}

export async function onEvent(event: CustomResourceEvent, deps: Dependencies = {}): Promise<OnEventResponse> {
  const props = event.ResourceProperties;
  const plan = JSON.parse(props.Plan) as VertexModelPlan;
  const clients = (deps.clients ?? defaultClients)(plan, props);
  const target = { model: props.Model, environment: props.Environment };
  try {
    if (event.RequestType === 'Delete') {
      // The registry outlives the stack; so does the endpoint of a protected environment.
      if (props.Protected !== 'true' && plan.serving) await deleteEndpoint(plan, clients);
      return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId(plan) };
    }
    const result = await reconcileVertex(plan, target, clients, deps.options);
    return {
      PhysicalResourceId: physicalId(plan),
      Data: { ModelName: result.modelName ?? '', EndpointName: result.endpointName ?? '' },
    };
  } finally {
    await Promise.all([clients.models.close(), clients.endpoints.close()]);
  }
}

/** Undeploys every model of the endpoint, then deletes it; an endpoint already gone is success. */
async function deleteEndpoint(plan: VertexModelPlan, clients: VertexClients): Promise<void> {
  const parent = `projects/${plan.project}/locations/${plan.region}`;
  const [endpoints] = await clients.endpoints.listEndpoints({ parent, filter: `display_name="${plan.serving!.endpointDisplayName}"` }, { autoPaginate: false });
  for (const endpoint of endpoints as { name?: string | null; deployedModels?: { id?: string | null }[] | null }[]) {
    for (const d of endpoint.deployedModels ?? []) {
      const [op] = await clients.endpoints.undeployModel({ endpoint: endpoint.name!, deployedModelId: d.id! });
      await op.promise();
    }
    const [op] = await clients.endpoints.deleteEndpoint({ name: endpoint.name! });
    await op.promise();
  }
}

/** Lambda entry point for the Provider framework. */
export const handler = (event: CustomResourceEvent) => onEvent(event);

// Exported so tests drive the bundle itself (its own gRPC and auth copies) against the fake.
export { vertexClients } from '../providers/vertex/clients';
export { grpc, googleAuthLibrary } from 'google-gax';
