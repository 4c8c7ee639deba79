import type { TokenCredential } from '@azure/core-auth';
import type { AzureMlModelPlan } from '../plan/types';
import { azureMlProvider, type AzureMlClients, type AzureMlReconcileOptions, type AzureMlReconcileResult } from '../providers/azureml';
import { azureMlClients, closableHttpClient, closeAzureMlClients } from '../providers/azureml/clients';
import { azureCredential } from '../providers/azureml/credentials';
import { azureMlJobRunner } from '../providers/azureml/runs';
import { AzureMlSignals, metricsClient } from '../providers/azureml/signals';
import { trainingStepHandler, type TrainingStepEvent } from '../train/jobs';
import { modelResourceHandler, type ModelResourceDependencies, type ModelResourceEvent, type ModelResourceProperties } from './model-resource';

/**
 * CloudFormation custom resource for one model's Azure ML registry and online endpoint
 * (`AzureMlModel`), behind the CDK Provider framework: Lambda handlers `index.onEvent` and
 * `index.isComplete` of dist/handlers/azureml. The adapter is lib/handlers/model-resource.ts;
 * this file gives it Azure's credentials (an app registration that trusts the handler's role),
 * physical id and Data.
 *
 * The same bundle's `index.onTrainingStep` is the Azure ML training state machine's function
 * (constructs/training-orchestration.ts): each step of a run (lib/train/jobs.ts), with the runner
 * of lib/providers/azureml/runs.ts, signed in as the same app registration, named in the plan.
 */

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface AzureMlResourceProperties extends ModelResourceProperties {
  readonly TenantId?: string;
  readonly ClientId?: string;
  /** Secrets Manager secret with the app's client secret, when federation is not used. */
  readonly ClientSecretName?: string;
}

/** The event as the Provider framework passes it to onEvent (isComplete's adds onEvent's Data). */
export type CustomResourceEvent = ModelResourceEvent<AzureMlResourceProperties>;
export type Dependencies = ModelResourceDependencies<AzureMlModelPlan, AzureMlResourceProperties, AzureMlClients, AzureMlReconcileOptions>;

/**
 * The app registration the handler's role signs in as: federation, or the client secret read from Secrets
 * Manager when the environment names one (lib/providers/azureml/credentials.ts).
 */
function signIn(model: string, environment: string, who: { tenantId?: string; clientId?: string; clientSecretName?: string }, role: string): TokenCredential {
  if (!who.tenantId || !who.clientId) {
    const missing = who.tenantId ? 'clientId' : 'tenantId';
    throw new Error(`azureml: ${model} in ${environment}: environments.${environment}.azure.${missing} is not set; the ${role} signs in to Azure as an app registration that trusts it (see docs/azureml.md)`);
  }
  return azureCredential({ tenantId: who.tenantId, clientId: who.clientId, clientSecretName: who.clientSecretName || undefined });
}

const credential = (props: AzureMlResourceProperties) => signIn(props.Model, props.Environment, { tenantId: props.TenantId, clientId: props.ClientId, clientSecretName: props.ClientSecretName }, 'deploy role');

const handler = modelResourceHandler<AzureMlModelPlan, AzureMlResourceProperties, AzureMlClients, AzureMlReconcileOptions, AzureMlReconcileResult>({
  provider: azureMlProvider,
  // The id names the workspace, model and endpoint, so CloudFormation replaces the resource only when they change.
  physicalId: (plan) =>
    `azureml:/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/${plan.registry ? `registries/${plan.registry}` : `workspaces/${plan.workspace}`}/${plan.modelName}/${plan.serving?.endpointName ?? '-'}`,
  data: (result) => ({ EndpointId: result.endpointId ?? '', ScoringUri: result.scoringUri ?? '' }),
  monitored: 'EndpointId',
  clients: (plan, props) => azureMlClients(plan.subscription, credential(props)),
  signals: (_plan, props, endpointId) => {
    const http = closableHttpClient();
    return Object.assign(new AzureMlSignals(metricsClient(credential(props), { httpClient: http }), endpointId), { close: async () => http.close() });
  },
});

export const onEvent = handler.onEvent;
export const isComplete = handler.isComplete;

/** What tests replace in a training step: the clients, made from the execution's model plan. */
export interface TrainingStepDependencies {
  readonly clients?: (plan: AzureMlModelPlan) => AzureMlClients;
}

/**
 * One step of an Azure ML training execution (`submit`, `poll`, `finish`, `cancel`, or EventBridge's
 * "Execution Status Change" of a stopped execution, whose input is `detail.input`), with clients signed
 * in as the app registration of the execution's plan; they are closed whatever happens.
 */
export const onTrainingStep = (event: TrainingStepEvent, deps: TrainingStepDependencies = {}): Promise<unknown> =>
  trainingStepHandler({
    runner: azureMlJobRunner,
    title: 'an Azure ML',
    planOf: (model) => model.azureml,
    clients: deps.clients ?? ((p: AzureMlModelPlan, model) => azureMlClients(p.subscription, signIn(model.name, model.environment, p, 'training handler role'))),
    close: closeAzureMlClients,
  })(event);

// Exported so tests drive the bundle itself (its own SDK copies) against the fake.
export { azureMlClients } from '../providers/azureml/clients';
