import type { Provider } from '../catalog/types';
import type { EnvironmentPlan, ModelPlan } from '../plan/types';

/** Registry approval as the gates see it, whatever the provider calls it. */
export type Approval = 'approved' | 'pending' | 'rejected';

/**
 * What the gates need from a provider's live state. Each provider folder implements it; a read
 * that fails throws, and the gate that needed it fails closed with the reason.
 */
export interface LiveState {
  readonly provider: Provider;
  /** When `version` started serving on the model's endpoint in `env`; undefined when it does not serve there. */
  servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined>;
  /** The version's approval in `env`'s registry; undefined when the registry has no such version. */
  approval(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Approval | undefined>;
  /** Metrics the registry holds for the version (for trained versions, which the spec does not list). */
  metrics(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Record<string, number> | undefined>;
  /** Records approval of the version in `env`'s registry. */
  approve(env: EnvironmentPlan, model: ModelPlan, version: string, note: string): Promise<void>;
  /** What the model's endpoint in `env` serves now (`mlspec status`); undefined when it has no endpoint. */
  serving?(env: EnvironmentPlan, model: ModelPlan): Promise<LiveServing | undefined>;
  /**
   * The model's monitor in `env` and its runs since `since` (all it keeps, when absent), newest
   * first (`mlspec status`, `promotion.cleanSoak`); undefined when the model has no monitor there.
   */
  monitoring?(env: EnvironmentPlan, model: ModelPlan, since?: Date): Promise<MonitorReport | undefined>;
}

/** A model's drift monitor on one provider, as it is. */
export interface MonitorReport {
  /** The provider's name for it: the monitoring schedule, the monitoring job, the schedule. */
  readonly monitor: string;
  /** The provider's own word for its state (`Scheduled`, `JOB_STATE_RUNNING`, enabled / disabled). */
  readonly state: string;
  readonly runs: readonly MonitorRun[];
}

/** One run of a monitor. */
export interface MonitorRun {
  /** When it ran (the time the data it judged ends, where the provider says). */
  readonly at: Date;
  /** The provider's own word: `CompletedWithViolations`, `Completed`, `Failed`, ... */
  readonly status: string;
  /** What it found; empty for a clean run. */
  readonly violations: readonly MonitorViolation[];
}

export interface MonitorViolation {
  /** `data drift`, `prediction drift`, `skew`, or the provider's check name. */
  readonly signal: string;
  readonly feature?: string;
  /** The provider's words: the distance and the threshold, a constraint's description. */
  readonly detail?: string;
}

/** An endpoint as it is: its state, each version's share of traffic, and the shadow copy. */
export interface LiveServing {
  /** The endpoint's name on the provider. */
  readonly endpoint: string;
  /** The provider's own word: `InService`, `Updating` (SageMaker); `Succeeded`, `Updating` (Azure ML); `deployed` (Vertex has none). */
  readonly state: string;
  /** Version label → percent of live traffic. */
  readonly traffic: Record<string, number>;
  readonly shadow?: { readonly version: string; readonly percent: number };
}

/** Finds the live-state reader for a provider; undefined where mlspec cannot read that provider yet. */
export type LiveStateFactory = (provider: Provider) => LiveState | undefined;
