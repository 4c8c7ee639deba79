import type { TokenCredential } from '@azure/core-auth';
import type { AzureMlModelPlan } from '../plan/types';
import { azureMlClients, type AzureMlClients } from '../providers/azureml/clients';
import { azureCredential } from '../providers/azureml/credentials';
import { advanceAzureMlRollout, deleteAzureMlEndpoint, reconcileAzureMl, type AzureMlReconcileOptions } from '../providers/azureml/reconcile';
import { AzureMlSignals, metricsClient } from '../providers/azureml/signals';
import type { SignalSource, StagedRollout } from '../rollout/staged';

/**
 * CloudFormation custom resource for one model's Azure ML registry and online endpoint, in the
 * shape the CDK Provider framework calls: `onEvent` brings Azure to the plan (a change that adds
 * serving versions only to its first rollout step), `isComplete` walks the rollout and rolls back
 * on the spec's thresholds read from Azure Monitor. Thin adapters over the reconciler; repeating
 * either with the same input changes nothing.
 */

/** Properties of the custom resource; CloudFormation hands every value over as a string. */
export interface AzureMlResourceProperties {
  /** The model's Azure ML plan, JSON. */
  readonly Plan: string;
  readonly Model: string;
  readonly Environment: string;
  /** "true": Delete keeps the endpoint (the registry is always kept). */
  readonly Protected?: string;
  readonly TenantId?: string;
  readonly ClientId?: string;
  /** Secrets Manager secret with the app's client secret, when federation is not used. */
  readonly ClientSecretName?: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: AzureMlResourceProperties & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: AzureMlResourceProperties;
}

export interface IsCompleteEvent extends CustomResourceEvent {
  readonly Data?: Record<string, string>;
}

export interface Dependencies {
  readonly clients?: (plan: AzureMlModelPlan, props: AzureMlResourceProperties) => AzureMlClients;
  /** Where rollback signals come from. @default Azure Monitor with the same credential */
  readonly signals?: (plan: AzureMlModelPlan, props: AzureMlResourceProperties, endpointId: string) => SignalSource;
  readonly options?: AzureMlReconcileOptions;
}

function credential(props: AzureMlResourceProperties): TokenCredential {
  if (!props.TenantId || !props.ClientId) {
    const missing = props.TenantId ? 'clientId' : 'tenantId';
    throw new Error(`azureml: ${props.Model} in ${props.Environment}: environments.${props.Environment}.azure.${missing} is not set; the deploy role signs in to Azure as an app registration that trusts it (see docs/azureml.md)`);
  }
  return azureCredential({ tenantId: props.TenantId, clientId: props.ClientId, clientSecretName: props.ClientSecretName || undefined });
}

function defaultClients(plan: AzureMlModelPlan, props: AzureMlResourceProperties): AzureMlClients {
  return azureMlClients(plan.subscription, credential(props));
}

function defaultSignals(_plan: AzureMlModelPlan, props: AzureMlResourceProperties, endpointId: string): SignalSource {
  return new AzureMlSignals(metricsClient(credential(props)), endpointId);
}

/** The id names the workspace, model and endpoint, so CloudFormation replaces the resource only when they change. */
function physicalId(plan: AzureMlModelPlan): string {
  return `azureml:/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/${plan.registry ? `registries/${plan.registry}` : `workspaces/${plan.workspace}`}/${plan.modelName}/${plan.serving?.endpointName ?? '-'}`;
}

export async function onEvent(event: CustomResourceEvent, deps: Dependencies = {}): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  const props = event.ResourceProperties;
  const plan = JSON.parse(props.Plan) as AzureMlModelPlan;
  const clients = (deps.clients ?? defaultClients)(plan, props);
  const target = { model: props.Model, environment: props.Environment };
  if (event.RequestType === 'Delete') {
    // The registry outlives the stack; so does the endpoint of a protected environment.
    if (props.Protected !== 'true' && plan.serving) await deleteAzureMlEndpoint(plan, target, clients, deps.options);
    return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId(plan) };
  }
  const result = await reconcileAzureMl(plan, target, clients, { ...deps.options, staged: true });
  return {
    PhysicalResourceId: physicalId(plan),
    // The rollout rides along to isComplete, which the framework calls with this Data.
    Data: { EndpointId: result.endpointId ?? '', ScoringUri: result.scoringUri ?? '', Rollout: result.rollout ? JSON.stringify(result.rollout) : '' },
  };
}

/** Polled by the Provider framework (every 30 s, up to an hour); each call is one look at the rollout. */
export async function isComplete(event: IsCompleteEvent, deps: Dependencies = {}): Promise<{ IsComplete: boolean; Data?: Record<string, string> }> {
  const rolloutJson = event.Data?.Rollout;
  if (event.RequestType === 'Delete' || !rolloutJson) return { IsComplete: true };
  const props = event.ResourceProperties;
  const plan = JSON.parse(props.Plan) as AzureMlModelPlan;
  const rollout = JSON.parse(rolloutJson) as StagedRollout;
  const clients = (deps.clients ?? defaultClients)(plan, props);
  const signals = plan.serving?.rollback ? (deps.signals ?? defaultSignals)(plan, props, event.Data!.EndpointId) : undefined;
  const progress = await advanceAzureMlRollout(plan, { model: props.Model, environment: props.Environment }, clients, rollout, signals, deps.options);
  if (!progress.done) {
    console.log(`${props.Model} in ${props.Environment}: step ${progress.step + 1} of ${rollout.steps.length}, ${JSON.stringify(progress.split)}`);
    return { IsComplete: false };
  }
  return { IsComplete: true, Data: { Rollout: '' } };
}

// Exported so tests drive the bundle itself (its own SDK copies) against the fake.
export { azureMlClients } from '../providers/azureml/clients';
