import type { Provider } from '../catalog/types';
import type { EnvironmentPlan, ModelPlan } from '../plan/types';
import type { Approval, LiveState } from '../promote/live';

/**
 * The live-state reader every provider's live.ts extends: approval and metrics are read from the
 * version the provider's registry holds for a label, and approving writes only what is not
 * approved yet. A provider supplies how it finds a version, reads and records its approval and
 * reads its metrics, and when a version began serving.
 */
export abstract class RegistryLiveState<P extends Provider, V> implements LiveState {
  abstract readonly provider: P;

  /** The version registered for `version` in `env`, or undefined. */
  protected abstract findVersion(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<V | undefined>;
  protected abstract approvalOf(found: V, env: EnvironmentPlan): Approval;
  protected abstract metricsOf(found: V): Record<string, number>;
  /** Records approval on a version that is not approved yet. */
  protected abstract recordApproval(env: EnvironmentPlan, model: ModelPlan, version: string, found: V, note: string): Promise<void>;
  /** The registry's name for the model, for messages: `group acme-fraud-detector`, `model acme-search-ranker`. */
  protected abstract registryName(model: ModelPlan): string;

  abstract servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined>;

  /** The model's plan slice of this provider; a model that does not use it in `env` is an error. */
  protected slice(env: EnvironmentPlan, model: ModelPlan): NonNullable<ModelPlan[P]> {
    const plan = model[this.provider];
    if (!plan) throw new Error(`${model.name} does not use ${this.provider} in ${env.name}`);
    return plan as NonNullable<ModelPlan[P]>;
  }

  async approval(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Approval | undefined> {
    const found = await this.findVersion(env, model, version);
    return found === undefined ? undefined : this.approvalOf(found, env);
  }

  async metrics(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Record<string, number> | undefined> {
    const found = await this.findVersion(env, model, version);
    return found === undefined ? undefined : this.metricsOf(found);
  }

  async approve(env: EnvironmentPlan, model: ModelPlan, version: string, note: string): Promise<void> {
    const found = await this.findVersion(env, model, version);
    if (found === undefined) throw new Error(`version ${version} of ${model.name} is not in the ${this.provider} registry of ${env.name} (${this.registryName(model)}); deploy ${env.name}'s stack first`);
    if (this.approvalOf(found, env) === 'approved') return;
    await this.recordApproval(env, model, version, found, note);
  }
}

/** Metrics kept as `<prefix><name>` labels or tags on a version, as numbers. */
export function prefixedMetrics(entries: Record<string, unknown> | null | undefined, prefix: string, parse: (value: unknown) => number = Number): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(entries ?? {})) {
    if (key.startsWith(prefix)) metrics[key.slice(prefix.length)] = parse(value);
  }
  return metrics;
}
