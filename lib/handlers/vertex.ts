import type { VertexModelPlan } from '../plan/types';
import { vertexProvider, type VertexClients, type VertexReconcileOptions, type VertexReconcileResult } from '../providers/vertex';
import { vertexClients } from '../providers/vertex/clients';
import { workloadIdentityClient } from '../providers/vertex/credentials';
import { metricClient, VertexSignals } from '../providers/vertex/signals';
import { modelResourceHandler, type ModelResourceDependencies, type ModelResourceEvent, type ModelResourceProperties } from './model-resource';

/**
 * CloudFormation custom resource for one model's Vertex AI registry and endpoint (`VertexModel`),
 * behind the CDK Provider framework: Lambda handlers `index.onEvent` and `index.isComplete` of
 * dist/handlers/vertex. The adapter is lib/handlers/model-resource.ts; this file gives it Vertex's
 * credentials (workload identity federation), physical id and Data.
 */

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface VertexResourceProperties extends ModelResourceProperties {
  readonly WorkloadIdentityProvider?: string;
  readonly ServiceAccount?: string;
}

/** The event as the Provider framework passes it to onEvent (isComplete's adds onEvent's Data). */
export type CustomResourceEvent = ModelResourceEvent<VertexResourceProperties>;
export type Dependencies = ModelResourceDependencies<VertexModelPlan, VertexResourceProperties, VertexClients, VertexReconcileOptions>;

function credentials(props: VertexResourceProperties) {
  if (!props.WorkloadIdentityProvider) {
    throw new Error(`vertex: ${props.Model} in ${props.Environment}: environments.${props.Environment}.gcp.workloadIdentityProvider is not set; the deploy role reaches Google only through workload identity federation (see docs/vertex.md)`);
  }
  return workloadIdentityClient({ workloadIdentityProvider: props.WorkloadIdentityProvider, serviceAccount: props.ServiceAccount });
}

const handler = modelResourceHandler<VertexModelPlan, VertexResourceProperties, VertexClients, VertexReconcileOptions, VertexReconcileResult>({
  provider: vertexProvider,
  // The id names the model and endpoint, so CloudFormation replaces the resource only when they change.
  physicalId: (plan) => `vertex:projects/${plan.project}/locations/${plan.region}/${plan.modelDisplayName}/${plan.serving?.endpointDisplayName ?? '-'}`,
  data: (result) => ({ ModelName: result.modelName ?? '', EndpointName: result.endpointName ?? '' }),
  monitored: 'EndpointName',
  clients: (plan, props) => vertexClients(plan.region, { authClient: credentials(props) } as never),
  signals: (plan, props, endpointName) => {
    const client = metricClient({ authClient: credentials(props) } as never);
    return Object.assign(new VertexSignals(client, plan.project, endpointName), { close: () => client.close() });
  },
});

export const onEvent = handler.onEvent;
export const isComplete = handler.isComplete;

// Exported so tests drive the bundle itself (its own gRPC and auth copies) against the fake.
export { vertexClients } from '../providers/vertex/clients';
export { grpc, googleAuthLibrary } from 'google-gax';
