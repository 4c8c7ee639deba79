import type { ModelVersion } from '@azure/arm-machinelearning';
import type { AzureMlModelPlan, EnvironmentPlan, ModelPlan } from '../../plan/types';
import type { Approval, LiveServing, MonitorReport } from '../../promote/live';
import { approvalKey, type LiveCapability } from '../contract';
import { prefixedMetrics, RegistryLiveState } from '../live';
import { armRequest, azureCalls, isNotFound, type AzureMlClients } from './clients';
import { readAzureMlMonitor } from './monitoring';
import { findAzureMlVersion, registryVersionsPath } from './registry';

/** Clients per Azure ML plan; the CLI signs in as the user (`az login`), tests reach the fake. */
export type AzureMlClientFactory = (plan: AzureMlModelPlan) => AzureMlClients;

/** The tag that records approval of a version for an environment: `mlspec-approved-<env>: "true"`. */
export const azureApprovalTag = approvalKey;

/**
 * Live state of Azure ML for the promotion gates: when a deployment took traffic (its creation
 * time, while the endpoint gives it traffic), approval and metrics as the model version's tags,
 * and the drift monitor's schedule with its runs and their violations (monitoring.ts).
 */
export class AzureMlLiveState extends RegistryLiveState<'azureml', ModelVersion> {
  readonly provider = 'azureml' as const;

  constructor(private readonly clients: AzureMlClientFactory) {
    super();
  }

  protected findVersion(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<ModelVersion | undefined> {
    const az = this.slice(env, model);
    return findAzureMlVersion(this.clients(az), az, version);
  }

  protected registryName(model: ModelPlan): string {
    return `model ${model.azureml!.modelName}`;
  }

  async servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined> {
    const az = this.slice(env, model);
    const endpointName = az.serving?.endpointName;
    if (!endpointName) return undefined;
    const clients = this.clients(az);
    const name = `v${version}`;
    try {
      const endpoint = await clients.ml.onlineEndpoints.get(az.resourceGroup, az.workspace, endpointName);
      if (!((endpoint.properties.traffic?.[name] ?? 0) > 0)) return undefined;
      const deployment = await clients.ml.onlineDeployments.get(az.resourceGroup, az.workspace, endpointName, name);
      return deployment.systemData?.createdAt ? new Date(deployment.systemData.createdAt) : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** The endpoint's provisioning state, traffic and mirror traffic (deployments are named v<label>), read at 2024-04-01. */
  async serving(env: EnvironmentPlan, model: ModelPlan): Promise<LiveServing | undefined> {
    const az = this.slice(env, model);
    const endpointName = az.serving?.endpointName;
    if (!endpointName) return undefined;
    const path = `/subscriptions/${az.subscription}/resourceGroups/${az.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${az.workspace}/onlineEndpoints/${endpointName}`;
    let body: { properties?: { provisioningState?: string; traffic?: Record<string, number>; mirrorTraffic?: Record<string, number> } };
    try {
      body = (await armRequest(this.clients(az), 'GET', path)).body as typeof body;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const label = (deployment: string) => deployment.replace(/^v/, '');
    const traffic = Object.fromEntries(Object.entries(body.properties?.traffic ?? {}).map(([d, pct]) => [label(d), pct]));
    const mirror = Object.entries(body.properties?.mirrorTraffic ?? {}).find(([, pct]) => pct > 0);
    return { endpoint: endpointName, state: body.properties?.provisioningState ?? 'unknown', traffic, ...(mirror ? { shadow: { version: label(mirror[0]), percent: mirror[1] } } : {}) };
  }

  /**
   * The model's drift monitor in `env` (the workspace schedule `<endpoint>-monitor`) and its runs since
   * `since`, newest first, each with the violations Azure's monitoring jobs recorded; undefined when the
   * plan has no monitor there or the schedule does not exist.
   */
  async monitoring(env: EnvironmentPlan, model: ModelPlan, since?: Date): Promise<MonitorReport | undefined> {
    const az = this.slice(env, model);
    if (!az.serving?.monitoring) return undefined;
    return readAzureMlMonitor(az, this.clients(az), azureCalls({ model: model.name, environment: env.name }), since);
  }

  protected approvalOf(found: ModelVersion, env: EnvironmentPlan): Approval {
    return found.properties.tags?.[approvalKey(env.name)] === 'true' ? 'approved' : 'pending';
  }

  protected metricsOf(found: ModelVersion): Record<string, number> {
    return prefixedMetrics(found.properties.tags, 'metric:');
  }

  /** Tags the version `mlspec-approved-<env>: "true"` with the note beside it. */
  protected async recordApproval(env: EnvironmentPlan, model: ModelPlan, version: string, found: ModelVersion, note: string): Promise<void> {
    const az = this.slice(env, model);
    const clients = this.clients(az);
    const tags = { ...(found.properties.tags ?? {}), [approvalKey(env.name)]: 'true', [`${approvalKey(env.name)}-note`]: note.slice(0, 256) };
    // Only what may be written back (the read carries read-only fields such as provisioningState).
    const { modelUri, modelType, description, properties, flavors, jobName } = found.properties;
    const body = { properties: { modelUri, modelType, description, properties, flavors, jobName, tags } };
    if (az.registry) await armRequest(clients, 'PUT', `${registryVersionsPath(az)}/${version}`, body);
    else await clients.ml.modelVersions.createOrUpdate(az.resourceGroup, az.workspace, az.modelName, version, body);
  }
}

/** The live capability of the provider contract (lib/providers/contract.ts). */
export const liveCapability = { state: (clients: AzureMlClientFactory) => new AzureMlLiveState(clients) } satisfies LiveCapability;
