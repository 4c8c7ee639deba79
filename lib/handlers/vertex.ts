import type { VertexModelPlan } from '../plan/types';
import { advanceVertexRollout, reconcileVertex, type ReconcileOptions } from '../providers/vertex/reconcile';
import { vertexClients, type VertexClients } from '../providers/vertex/clients';
import { workloadIdentityClient } from '../providers/vertex/credentials';
import { metricClient, VertexSignals } from '../providers/vertex/signals';
import type { SignalSource, StagedRollout } from '../rollout/staged';

/**
 * CloudFormation custom resource for one model's Vertex AI registry and endpoint, in the shape the
 * CDK Provider framework calls: `onEvent` brings Vertex to the plan (a change that adds serving
 * versions only to its first rollout step) and `isComplete`, polled by the framework's waiter,
 * walks the rollout's steps and rolls back on the spec's thresholds. Thin adapters: the
 * reconciler does the work, and running either again with the same input changes nothing.
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

/** What the Provider framework passes to isComplete: the event plus onEvent's answer. */
export interface IsCompleteEvent extends CustomResourceEvent {
  readonly Data?: Record<string, string>;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

export interface Dependencies {
  readonly clients?: (plan: VertexModelPlan, props: VertexResourceProperties) => VertexClients;
  /** Where rollback signals come from. @default Cloud Monitoring with the same credentials */
  readonly signals?: (plan: VertexModelPlan, props: VertexResourceProperties, endpointName: string) => SignalSource & { close?: () => Promise<void> };
  readonly options?: ReconcileOptions;
}

function credentials(props: VertexResourceProperties) {
  if (!props.WorkloadIdentityProvider) {
    throw new Error(`vertex: ${props.Model} in ${props.Environment}: environments.${props.Environment}.gcp.workloadIdentityProvider is not set; the deploy role reaches Google only through workload identity federation (see docs/vertex.md)`);
  }
  return workloadIdentityClient({ workloadIdentityProvider: props.WorkloadIdentityProvider, serviceAccount: props.ServiceAccount });
}

function defaultClients(plan: VertexModelPlan, props: VertexResourceProperties): VertexClients {
  return vertexClients(plan.region, { authClient: credentials(props) } as never);
}

function defaultSignals(plan: VertexModelPlan, props: VertexResourceProperties, endpointName: string) {
  const client = metricClient({ authClient: credentials(props) } as never);
  return Object.assign(new VertexSignals(client, plan.project, endpointName), { close: () => client.close() });
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
    const result = await reconcileVertex(plan, target, clients, { ...deps.options, staged: true });
    return {
      PhysicalResourceId: physicalId(plan),
      // The rollout rides along to isComplete, which the framework calls with this Data.
      Data: { ModelName: result.modelName ?? '', EndpointName: result.endpointName ?? '', Rollout: result.rollout ? JSON.stringify(result.rollout) : '' },
    };
  } finally {
    await Promise.all([clients.models.close(), clients.endpoints.close()]);
  }
}

/**
 * Polled by the Provider framework until it answers true (or its total timeout, 1 hour, fails
 * the resource and CloudFormation rolls the stack back). Each call is one look at the rollout.
 */
export async function isComplete(event: IsCompleteEvent, deps: Dependencies = {}): Promise<IsCompleteResponse> {
  const rolloutJson = event.Data?.Rollout;
  if (event.RequestType === 'Delete' || !rolloutJson) return { IsComplete: true };
  const props = event.ResourceProperties;
  const plan = JSON.parse(props.Plan) as VertexModelPlan;
  const rollout = JSON.parse(rolloutJson) as StagedRollout;
  const clients = (deps.clients ?? defaultClients)(plan, props);
  const signals = plan.serving?.rollback ? (deps.signals ?? defaultSignals)(plan, props, event.Data!.EndpointName) : undefined;
  try {
    const progress = await advanceVertexRollout(plan, { model: props.Model, environment: props.Environment }, clients, rollout, signals, deps.options);
    if (!progress.done) {
      console.log(`${props.Model} in ${props.Environment}: step ${progress.step + 1} of ${rollout.steps.length}, ${JSON.stringify(progress.split)}`);
      return { IsComplete: false };
    }
    return { IsComplete: true, Data: { Rollout: '' } };
  } finally {
    await Promise.all([clients.models.close(), clients.endpoints.close(), signals?.close?.()]);
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

// Exported so tests drive the bundle itself (its own gRPC and auth copies) against the fake.
export { vertexClients } from '../providers/vertex/clients';
export { grpc, googleAuthLibrary } from 'google-gax';
