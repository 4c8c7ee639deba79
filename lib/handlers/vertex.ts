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
  // CloudFormation deletes a resource whose Create failed: nothing was made, nothing to undo.
  if (event.RequestType === 'Delete' && event.PhysicalResourceId?.startsWith('vertex-failed:')) return { PhysicalResourceId: event.PhysicalResourceId };
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

/** What CloudFormation sends a Lambda-backed custom resource (besides the event fields above). */
interface CloudFormationRequest extends CustomResourceEvent {
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

/**
 * Lambda entry point: CloudFormation invokes it directly, and it answers on the pre-signed
 * ResponseURL. A failure is reported with its message (model, environment, Vertex's words).
 */
export async function handler(event: CloudFormationRequest): Promise<void> {
  let body: Record<string, unknown>;
  try {
    const result = await onEvent(event);
    body = { Status: 'SUCCESS', PhysicalResourceId: result.PhysicalResourceId, Data: result.Data };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    console.error(reason);
    // A failed Create has no id yet: give CloudFormation one it can send a Delete for.
    body = { Status: 'FAILED', Reason: reason.slice(0, 3000), PhysicalResourceId: event.PhysicalResourceId ?? `vertex-failed:${event.RequestId}` };
  }
  await respond(event.ResponseURL, { ...body, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
}

async function respond(url: string, body: Record<string, unknown>): Promise<void> {
  const text = JSON.stringify(body);
  const res = await fetch(url, { method: 'PUT', body: text, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(text)) } });
  if (!res.ok) throw new Error(`CloudFormation did not take the response: HTTP ${res.status}`);
}

// Exported so tests drive the bundle itself (its own gRPC and auth copies) against the fake.
export { vertexClients } from '../providers/vertex/clients';
export { grpc, googleAuthLibrary } from 'google-gax';
