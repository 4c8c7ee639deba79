import type { ModelVersion } from '@azure/arm-machinelearning';
import type { AzureMlModelPlan, EnvironmentPlan, ModelPlan } from '../../plan/types';
import type { Approval, LiveState } from '../../promote/live';
import { armRequest, type AzureMlClients } from './clients';

/** Clients per Azure ML plan; the CLI signs in as the user (`az login`), tests reach the fake. */
export type AzureMlClientFactory = (plan: AzureMlModelPlan) => AzureMlClients;

/** The tag that records approval of a version for an environment: `mlspec-approved-<env>: "true"`. */
export const azureApprovalTag = (env: string) => `mlspec-approved-${env}`;

/**
 * Live state of Azure ML for the promotion gates: when a deployment took traffic (its creation
 * time, while the endpoint gives it traffic), approval and metrics as the model version's tags.
 */
export class AzureMlLiveState implements LiveState {
  readonly provider = 'azureml' as const;

  constructor(private readonly clients: AzureMlClientFactory) {}

  private target(env: EnvironmentPlan, model: ModelPlan) {
    const az = model.azureml;
    if (!az) throw new Error(`${model.name} does not use azureml in ${env.name}`);
    return { az, clients: this.clients(az) };
  }

  /** The model version, from the workspace (SDK) or the registry (2024-04-01, raw). */
  private async version(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<ModelVersion | undefined> {
    const { az, clients } = this.target(env, model);
    try {
      if (az.registry) {
        const path = `/subscriptions/${az.subscription}/resourceGroups/${az.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${az.registry}/models/${az.modelName}/versions/${version}`;
        return (await armRequest(clients, 'GET', path)).body as ModelVersion;
      }
      return await clients.ml.modelVersions.get(az.resourceGroup, az.workspace, az.modelName, version);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404 || (e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  }

  async servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined> {
    const { az, clients } = this.target(env, model);
    const endpointName = az.serving?.endpointName;
    if (!endpointName) return undefined;
    const name = `v${version}`;
    try {
      const endpoint = await clients.ml.onlineEndpoints.get(az.resourceGroup, az.workspace, endpointName);
      if (!((endpoint.properties.traffic?.[name] ?? 0) > 0)) return undefined;
      const deployment = await clients.ml.onlineDeployments.get(az.resourceGroup, az.workspace, endpointName, name);
      return deployment.systemData?.createdAt ? new Date(deployment.systemData.createdAt) : undefined;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  async approval(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Approval | undefined> {
    const found = await this.version(env, model, version);
    if (!found) return undefined;
    return found.properties.tags?.[azureApprovalTag(env.name)] === 'true' ? 'approved' : 'pending';
  }

  async metrics(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Record<string, number> | undefined> {
    const found = await this.version(env, model, version);
    if (!found) return undefined;
    const metrics: Record<string, number> = {};
    for (const [key, value] of Object.entries(found.properties.tags ?? {})) {
      if (key.startsWith('metric:')) metrics[key.slice('metric:'.length)] = Number(value);
    }
    return metrics;
  }

  /** Tags the version `mlspec-approved-<env>: "true"` with the note beside it. */
  async approve(env: EnvironmentPlan, model: ModelPlan, version: string, note: string): Promise<void> {
    const found = await this.version(env, model, version);
    const { az, clients } = this.target(env, model);
    if (!found) throw new Error(`version ${version} of ${model.name} is not in the azureml registry of ${env.name} (model ${az.modelName}); deploy ${env.name}'s stack first`);
    if (found.properties.tags?.[azureApprovalTag(env.name)] === 'true') return;
    const tags = { ...(found.properties.tags ?? {}), [azureApprovalTag(env.name)]: 'true', [`${azureApprovalTag(env.name)}-note`]: note.slice(0, 256) };
    // Only what may be written back (the read carries read-only fields such as provisioningState).
    const { modelUri, modelType, description, properties, flavors, jobName } = found.properties;
    const body = { properties: { modelUri, modelType, description, properties, flavors, jobName, tags } };
    if (az.registry) {
      const path = `/subscriptions/${az.subscription}/resourceGroups/${az.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${az.registry}/models/${az.modelName}/versions/${version}`;
      await armRequest(clients, 'PUT', path, body);
    } else {
      await clients.ml.modelVersions.createOrUpdate(az.resourceGroup, az.workspace, az.modelName, version, body);
    }
  }
}
