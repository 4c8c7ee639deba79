import type { VertexModelPlan } from '../plan/types';
import { vertexProvider, type VertexClients, type VertexReconcileOptions, type VertexReconcileResult } from '../providers/vertex';
import { vertexClients } from '../providers/vertex/clients';
import { workloadIdentityClient } from '../providers/vertex/credentials';
import { closeVertexRunClients, vertexJobRunner, vertexRunClients, type VertexRunClients } from '../providers/vertex/runs';
import { metricClient, VertexSignals } from '../providers/vertex/signals';
import { trainingStepHandler, type TrainingStepEvent } from '../train/jobs';
import { modelResourceHandler, type ModelResourceDependencies, type ModelResourceEvent, type ModelResourceProperties } from './model-resource';

/**
 * CloudFormation custom resource for one model's Vertex AI registry and endpoint (`VertexModel`),
 * behind the CDK Provider framework: Lambda handlers `index.onEvent` and `index.isComplete` of
 * dist/handlers/vertex. The adapter is lib/handlers/model-resource.ts; this file gives it Vertex's
 * credentials (workload identity federation), physical id and Data.
 *
 * The same bundle's `index.onTrainingStep` is the Vertex training state machine's function
 * (constructs/training-orchestration.ts): each step of a run (lib/train/jobs.ts), with the runner
 * of lib/providers/vertex/runs.ts.
 */

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface VertexResourceProperties extends ModelResourceProperties {
  readonly WorkloadIdentityProvider?: string;
  readonly ServiceAccount?: string;
}

/** The event as the Provider framework passes it to onEvent (isComplete's adds onEvent's Data). */
export type CustomResourceEvent = ModelResourceEvent<VertexResourceProperties>;
export type Dependencies = ModelResourceDependencies<VertexModelPlan, VertexResourceProperties, VertexClients, VertexReconcileOptions>;

/** Google credentials of the handler's AWS role, through workload identity federation (the only way it reaches Google). */
function identity(model: string, environment: string, workloadIdentityProvider: string | undefined, serviceAccount: string | undefined) {
  if (!workloadIdentityProvider) {
    throw new Error(`vertex: ${model} in ${environment}: environments.${environment}.gcp.workloadIdentityProvider is not set; the deploy role reaches Google only through workload identity federation (see docs/vertex.md)`);
  }
  return workloadIdentityClient({ workloadIdentityProvider, serviceAccount });
}

const credentials = (props: VertexResourceProperties) => identity(props.Model, props.Environment, props.WorkloadIdentityProvider, props.ServiceAccount);

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

/** What tests replace in a training step: the clients, made from the execution's model plan. */
export interface TrainingStepDependencies {
  readonly clients?: (plan: VertexModelPlan) => VertexRunClients;
}

/**
 * One step of a Vertex training execution (`submit`, `poll`, `finish`, `cancel`, or EventBridge's
 * "Execution Status Change" of a stopped execution, whose input is `detail.input`), with the
 * clients of the workload identity in the execution's plan; they are closed whatever happens.
 */
export const onTrainingStep = (event: TrainingStepEvent, deps: TrainingStepDependencies = {}): Promise<unknown> =>
  trainingStepHandler({
    runner: vertexJobRunner,
    title: 'a Vertex',
    planOf: (model) => model.vertex,
    clients: deps.clients ?? ((p: VertexModelPlan, model) => vertexRunClients(p.region, { authClient: identity(model.name, model.environment, p.workloadIdentityProvider, p.serviceAccount) } as never)),
    close: closeVertexRunClients,
  })(event);

// Exported so tests drive the bundle itself (its own gRPC and auth copies) against the fake.
export { vertexClients } from '../providers/vertex/clients';
export { vertexRunClients } from '../providers/vertex/runs';
export { grpc, googleAuthLibrary } from 'google-gax';
