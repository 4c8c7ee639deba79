import type { ModelVersion } from '@azure/arm-machinelearning';
import type { AzureMlModelPlan } from '../../plan/types';
import { isWorkspaceDatastoreUri, workspaceUriInRegistry } from '../../spec/azure-uris';
import { ProviderError, type RegistryCapability, type Target } from '../contract';
import { armRequest, azureCalls, registryId, unlessNotFound, workspaceId, type AzureMlClients } from './clients';

/**
 * Model versions on Azure ML: in the workspace (the SDK's 2022-10-01 calls) or in a registry (raw
 * 2024-04-01 calls: the SDK has no registries). A version is `<label>`, tagged with its metrics;
 * versions are registered, never deleted.
 */

/** The model version a deployment serves: a workspace ARM id, or a registry asset id. */
export function modelVersionId(plan: AzureMlModelPlan, label: string): string {
  return plan.registry ? `azureml://registries/${plan.registry}/models/${plan.modelName}/versions/${label}` : `${workspaceId(plan)}/models/${plan.modelName}/versions/${label}`;
}

/** ARM path of the model's versions in the plan's registry. */
export function registryVersionsPath(plan: AzureMlModelPlan): string {
  return `${registryId(plan)}/models/${plan.modelName}/versions`;
}

/** The version of `label`, from the workspace (SDK) or the registry (2024-04-01, raw); undefined when it does not exist. */
export function findAzureMlVersion(clients: AzureMlClients, plan: AzureMlModelPlan, label: string): Promise<ModelVersion | undefined> {
  return unlessNotFound(async () =>
    plan.registry ? ((await armRequest(clients, 'GET', `${registryVersionsPath(plan)}/${label}`)).body as ModelVersion) : clients.ml.modelVersions.get(plan.resourceGroup, plan.workspace, plan.modelName, label),
  );
}

/**
 * Declared versions with an artifact become model versions `<label>`, tagged with their metrics;
 * never deleted. Returns every label the model has (trained ones included).
 */
export async function ensureAzureMlVersions(plan: AzureMlModelPlan, target: Target, clients: AzureMlClients): Promise<Set<string>> {
  const call = azureCalls(target);
  const declared = plan.versions.filter((v) => v.path !== undefined);
  const body = (v: (typeof declared)[number]) => ({ properties: { modelUri: v.path!, modelType: 'custom_model', tags: v.tags, description: `mlspec version ${v.label}` } });
  if (plan.registry) {
    // A registry has no datastores: a workspace-relative azureml://datastores/... path cannot be registered there.
    const relative = declared.find((v) => isWorkspaceDatastoreUri(v.path!));
    if (relative) throw ProviderError.about('azureml', target, `version ${relative.label}: ${workspaceUriInRegistry(relative.path!, plan.registry, target.environment)}`);
    // Registries are not in the 2022-10-01 SDK: raw 2024-04-01 calls through its pipeline.
    const base = registryVersionsPath(plan);
    const listed = await call('list registry model versions', () => unlessNotFound(() => armRequest(clients, 'GET', base)));
    const have = new Set<string>(((listed?.body?.value ?? []) as { name: string }[]).map((v) => v.name));
    for (const v of declared) {
      if (!have.has(v.label)) await call(`register version ${v.label} in registry ${plan.registry}`, () => armRequest(clients, 'PUT', `${base}/${v.label}`, body(v)));
    }
    return new Set([...have, ...declared.map((v) => v.label)]);
  }
  const { ml } = clients;
  const container = await call('read the model', () => unlessNotFound(() => ml.modelContainers.get(plan.resourceGroup, plan.workspace, plan.modelName)));
  const have = new Set<string>();
  if (container) {
    for await (const v of ml.modelVersions.list(plan.resourceGroup, plan.workspace, plan.modelName)) have.add(v.name!);
  } else if (declared.length > 0) {
    await call('create the model', () => ml.modelContainers.createOrUpdate(plan.resourceGroup, plan.workspace, plan.modelName, { properties: { description: 'mlspec model', tags: { 'managed-by': 'mlspec' } } }));
  }
  for (const v of declared) {
    if (!have.has(v.label)) await call(`register version ${v.label}`, () => ml.modelVersions.createOrUpdate(plan.resourceGroup, plan.workspace, plan.modelName, v.label, body(v)));
  }
  return new Set([...have, ...declared.map((v) => v.label)]);
}

/** The registry capability of the provider contract (lib/providers/contract.ts). */
export const registryCapability = { ensure: ensureAzureMlVersions, findVersion: findAzureMlVersion } satisfies RegistryCapability;

/**
 * Registers a trained version `<label>` from the job's `model` output, tagged with its metrics,
 * `mlspec:trained`, the job and (given `runId`) `mlspec:run`, by which a retried finish finds the version
 * its run registered; a retry finds the version and writes nothing twice.
 */
export async function registerTrainedAzureMlVersion(plan: AzureMlModelPlan, target: Target, clients: AzureMlClients, version: { readonly label: string; readonly jobName: string; readonly metrics: Record<string, number>; readonly runId?: string }): Promise<string> {
  const call = azureCalls(target);
  const id = modelVersionId(plan, version.label);
  if (await call(`read version ${version.label}`, () => findAzureMlVersion(clients, plan, version.label))) return id;
  const tags = {
    'mlspec:version': version.label,
    'mlspec:trained': 'true',
    'mlspec:job': version.jobName,
    ...(version.runId ? { 'mlspec:run': version.runId } : {}),
    ...Object.fromEntries(Object.entries(version.metrics).map(([k, v]) => [`metric:${k}`, String(v)])),
  };
  const body = { properties: { modelUri: `azureml://jobs/${version.jobName}/outputs/model`, modelType: 'custom_model', tags, description: `mlspec version ${version.label}, trained by job ${version.jobName}` } };
  if (plan.registry) {
    // azureml://jobs/... is workspace-relative, like a datastore path: a registry cannot read it.
    throw ProviderError.about('azureml', target, `version ${version.label} was trained by job ${version.jobName} in workspace ${plan.workspace}, and a registry (${plan.registry}) cannot register a workspace job's output: mlspec does not copy trained versions into a registry yet; leave out azure.registry for models that train on Azure ML`);
  }
  {
    await call(`register version ${version.label}`, async () => {
      if (!(await unlessNotFound(() => clients.ml.modelContainers.get(plan.resourceGroup, plan.workspace, plan.modelName)))) {
        await clients.ml.modelContainers.createOrUpdate(plan.resourceGroup, plan.workspace, plan.modelName, { properties: { description: 'mlspec model', tags: { 'managed-by': 'mlspec' } } });
      }
      return clients.ml.modelVersions.createOrUpdate(plan.resourceGroup, plan.workspace, plan.modelName, version.label, body);
    });
  }
  return id;
}
