import type { protos } from '@google-cloud/aiplatform';
import type { EnvironmentPlan, ModelPlan } from '../../plan/types';
import type { Approval, LiveServing, MonitorReport } from '../../promote/live';
import { approvalKey, type LiveCapability } from '../contract';
import { prefixedMetrics, RegistryLiveState } from '../live';
import { vertexClients, type VertexClients } from './clients';
import { readVertexMonitor } from './monitoring';
import { findVertexVersion } from './registry';
import { findVertexEndpoint } from './serving';

type IModel = protos.google.cloud.aiplatform.v1.IModel;

/** Clients per region; tests pass a factory that reaches the fake. */
export type VertexClientFactory = (region: string) => VertexClients;

/** The label that records approval of a version for an environment: `mlspec-approved-<env>: "true"`. */
export const approvalLabel = approvalKey;

/**
 * Live state of Vertex AI for the promotion gates: when a deployed model came up on the endpoint,
 * approval as a label on the model version, metrics from the version's labels, and the endpoint's
 * drift monitor with its runs.
 */
export class VertexLiveState extends RegistryLiveState<'vertex', IModel> {
  readonly provider = 'vertex' as const;

  constructor(private readonly clients: VertexClientFactory = (region) => vertexClients(region)) {
    super();
  }

  protected findVersion(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<IModel | undefined> {
    const vx = this.slice(env, model);
    return findVertexVersion(this.clients(vx.region), vx, version);
  }

  protected registryName(model: ModelPlan): string {
    return `model ${model.vertex?.modelDisplayName}`;
  }

  async servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined> {
    const vx = this.slice(env, model);
    if (!vx.serving?.endpointDisplayName) return undefined;
    const endpoint = await findVertexEndpoint(this.clients(vx.region), vx);
    const deployed = endpoint?.deployedModels?.find((d) => d.displayName === `${model.name}-v${version}`);
    if (!deployed?.id || !(Number(endpoint?.trafficSplit?.[deployed.id] ?? 0) > 0)) return undefined;
    const seconds = Number(deployed.createTime?.seconds ?? 0);
    return seconds > 0 ? new Date(seconds * 1000) : undefined;
  }

  /** The endpoint's split by deployed model (`<model>-v<label>`); Vertex endpoints have no state of their own. */
  async serving(env: EnvironmentPlan, model: ModelPlan): Promise<LiveServing | undefined> {
    const vx = this.slice(env, model);
    if (!vx.serving?.endpointDisplayName) return undefined;
    const endpoint = await findVertexEndpoint(this.clients(vx.region), vx);
    if (!endpoint) return undefined;
    const prefix = `${model.name}-v`;
    const traffic: Record<string, number> = {};
    for (const d of endpoint.deployedModels ?? []) {
      const label = d.displayName?.startsWith(prefix) ? d.displayName.slice(prefix.length) : (d.displayName ?? d.id ?? '?');
      traffic[label] = Number(endpoint.trafficSplit?.[d.id ?? ''] ?? 0);
    }
    return { endpoint: endpoint.displayName ?? vx.serving.endpointDisplayName, state: `${endpoint.deployedModels?.length ?? 0} deployed`, traffic };
  }

  /**
   * The endpoint's ModelDeploymentMonitoringJob: its state, and its runs since `since` as the
   * statistics Vertex keeps (lib/providers/vertex/monitoring.ts vertexMonitorReport): skew and
   * prediction drift per feature and window. Undefined without an endpoint or a monitoring job on it.
   */
  async monitoring(env: EnvironmentPlan, model: ModelPlan, since?: Date): Promise<MonitorReport | undefined> {
    const vx = this.slice(env, model);
    if (!vx.serving?.endpointDisplayName) return undefined;
    const clients = this.clients(vx.region);
    const endpoint = await findVertexEndpoint(clients, vx);
    return endpoint ? readVertexMonitor(clients, endpoint, since) : undefined;
  }

  protected approvalOf(found: IModel, env: EnvironmentPlan): Approval {
    return found.labels?.[approvalKey(env.name)] === 'true' ? 'approved' : 'pending';
  }

  /** Labels hold 0.962 as 0_962 (label values allow no dots). */
  protected metricsOf(found: IModel): Record<string, number> {
    return prefixedMetrics(found.labels, 'metric-', (value) => Number(String(value).replace('_', '.')));
  }

  /** Label values cannot hold free text, so the note stays in the caller's log, not on the version. */
  protected async recordApproval(env: EnvironmentPlan, model: ModelPlan, _version: string, found: IModel, _note: string): Promise<void> {
    await this.clients(this.slice(env, model).region).models.updateModel({
      model: { name: `${found.name}@${found.versionId}`, labels: { ...(found.labels ?? {}), [approvalKey(env.name)]: 'true' } },
      updateMask: { paths: ['labels'] },
    });
  }
}

/** The live capability of the provider contract (lib/providers/contract.ts). */
export const liveCapability = { state: (clients?: VertexClientFactory) => new VertexLiveState(clients) } satisfies LiveCapability;
