import type { protos } from '@google-cloud/aiplatform';
import type { EnvironmentPlan, ModelPlan } from '../../plan/types';
import type { Approval, LiveState } from '../../promote/live';
import { vertexClients, type VertexClients } from './clients';

type IModel = protos.google.cloud.aiplatform.v1.IModel;
type IEndpoint = protos.google.cloud.aiplatform.v1.IEndpoint;

/** Clients per region; tests pass a factory that reaches the fake. */
export type VertexClientFactory = (region: string) => VertexClients;

/** The label that records approval of a version for an environment: `mlspec-approved-<env>: "true"`. */
export const approvalLabel = (env: string) => `mlspec-approved-${env}`;

/**
 * Live state of Vertex AI for the promotion gates: when a deployed model came up on the endpoint,
 * approval as a label on the model version, metrics from the version's labels.
 */
export class VertexLiveState implements LiveState {
  readonly provider = 'vertex' as const;

  constructor(private readonly clients: VertexClientFactory = (region) => vertexClients(region)) {}

  private target(env: EnvironmentPlan, model: ModelPlan) {
    const vx = model.vertex;
    if (!vx) throw new Error(`${model.name} does not use vertex in ${env.name}`);
    return { vx, clients: this.clients(vx.region), parent: `projects/${vx.project}/locations/${vx.region}` };
  }

  private async version(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<IModel | undefined> {
    const { vx, clients, parent } = this.target(env, model);
    const [models] = await clients.models.listModels({ parent, filter: `display_name="${vx.modelDisplayName}"` }, { autoPaginate: false });
    const name = (models as IModel[])[0]?.name;
    if (!name) return undefined;
    try {
      const [found] = await clients.models.getModel({ name: `${name}@v${version}` });
      return found;
    } catch (e) {
      if ((e as { code?: number }).code === 5) return undefined; // NOT_FOUND
      throw e;
    }
  }

  async servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined> {
    const { vx, clients, parent } = this.target(env, model);
    const display = vx.serving?.endpointDisplayName;
    if (!display) return undefined;
    const [endpoints] = await clients.endpoints.listEndpoints({ parent, filter: `display_name="${display}"` }, { autoPaginate: false });
    const endpoint = (endpoints as IEndpoint[])[0];
    const deployed = endpoint?.deployedModels?.find((d) => d.displayName === `${model.name}-v${version}`);
    if (!deployed?.id || !(Number(endpoint?.trafficSplit?.[deployed.id] ?? 0) > 0)) return undefined;
    const seconds = Number(deployed.createTime?.seconds ?? 0);
    return seconds > 0 ? new Date(seconds * 1000) : undefined;
  }

  async approval(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Approval | undefined> {
    const found = await this.version(env, model, version);
    if (!found) return undefined;
    return found.labels?.[approvalLabel(env.name)] === 'true' ? 'approved' : 'pending';
  }

  async metrics(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Record<string, number> | undefined> {
    const found = await this.version(env, model, version);
    if (!found) return undefined;
    const metrics: Record<string, number> = {};
    for (const [key, value] of Object.entries(found.labels ?? {})) {
      // Labels hold 0.962 as 0_962 (label values allow no dots).
      if (key.startsWith('metric-')) metrics[key.slice('metric-'.length)] = Number(String(value).replace('_', '.'));
    }
    return metrics;
  }

  /** Label values cannot hold free text, so the note stays in the caller's log, not on the version. */
  async approve(env: EnvironmentPlan, model: ModelPlan, version: string, _note: string): Promise<void> {
    const found = await this.version(env, model, version);
    if (!found?.name) throw new Error(`version ${version} of ${model.name} is not in the vertex registry of ${env.name} (model ${model.vertex?.modelDisplayName}); deploy ${env.name}'s stack first`);
    if (found.labels?.[approvalLabel(env.name)] === 'true') return;
    const { clients } = this.target(env, model);
    await clients.models.updateModel({
      model: { name: `${found.name}@${found.versionId}`, labels: { ...(found.labels ?? {}), [approvalLabel(env.name)]: 'true' } },
      updateMask: { paths: ['labels'] },
    });
  }
}
