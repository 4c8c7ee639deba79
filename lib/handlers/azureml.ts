import type { TokenCredential } from '@azure/core-auth';
import type { AzureMlModelPlan } from '../plan/types';
import { azureMlProvider, type AzureMlClients, type AzureMlReconcileOptions, type AzureMlReconcileResult } from '../providers/azureml';
import { azureMlClients, closableHttpClient } from '../providers/azureml/clients';
import { azureCredential } from '../providers/azureml/credentials';
import { AzureMlSignals, metricsClient } from '../providers/azureml/signals';
import { modelResourceHandler, type ModelResourceDependencies, type ModelResourceEvent, type ModelResourceProperties } from './model-resource';

/**
 * CloudFormation custom resource for one model's Azure ML registry and online endpoint
 * (`AzureMlModel`), behind the CDK Provider framework: Lambda handlers `index.onEvent` and
 * `index.isComplete` of dist/handlers/azureml. The adapter is lib/handlers/model-resource.ts;
 * this file gives it Azure's credentials (an app registration that trusts the handler's role),
 * physical id and Data.
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

function credential(props: AzureMlResourceProperties): TokenCredential {
  if (!props.TenantId || !props.ClientId) {
    const missing = props.TenantId ? 'clientId' : 'tenantId';
    throw new Error(`azureml: ${props.Model} in ${props.Environment}: environments.${props.Environment}.azure.${missing} is not set; the deploy role signs in to Azure as an app registration that trusts it (see docs/azureml.md)`);
  }
  return azureCredential({ tenantId: props.TenantId, clientId: props.ClientId, clientSecretName: props.ClientSecretName || undefined });
}

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

// Exported so tests drive the bundle itself (its own SDK copies) against the fake.
export { azureMlClients } from '../providers/azureml/clients';
