import type { Provider } from '../catalog/types';
import type { ModelPlan } from '../plan/types';
import type { LiveState } from '../promote/live';
import type { RolloutProgress, SignalSource, StagedRollout } from '../rollout/staged';
import type { DryRun, TrainingRunner } from '../train/types';

/**
 * The provider contract: what each folder under lib/providers (sagemaker, vertex, azureml) offers
 * the rest of mlspec, one capability per file of the same name in every folder, where its
 * `<capability>Capability` object is declared and checked (`satisfies`):
 *
 * | capability | file                                | used by                                       |
 * | ---------- | ----------------------------------- | --------------------------------------------- |
 * | clients    | clients.ts                          | all below; handlers close what they create    |
 * | registry   | registry.ts                         | handlers (deploy), live.ts (promotion reads)  |
 * | serving    | serving.ts (SageMaker: + scaling.ts, | handlers (deploy, staged rollouts, delete)    |
 * |            | staged.ts, gathered in index.ts)    |                                               |
 * | training   | training.ts (SageMaker: runs.ts)    | `mlspec train` (lib/train/types.ts)           |
 * | live       | live.ts                             | `mlspec promote`, `approve` (lib/promote)     |
 *
 * Each folder's index.ts puts them together as its module, checked against `ProviderModule`, and
 * lib/providers/index.ts lists the three: a provider without a capability, or a capability
 * without its members, does not compile.
 */

/** Who is being reconciled, in the user's terms (error messages). */
export interface Target {
  readonly model: string;
  readonly environment: string;
}

/** A failure named in the user's terms: provider, model, environment and the cloud's own message. */
export class ProviderError extends Error {
  /** `<provider>: <model> in <environment>: <detail>`. */
  static about(provider: Provider, target: Target, detail: string): ProviderError {
    return new ProviderError(`${provider}: ${target.model} in ${target.environment}: ${detail}`);
  }
}

/** A cloud call named for messages: `list endpoints`, `deploy v7`. */
export type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/** How a provider's calls are retried and its failures worded. */
export interface CallPolicy {
  /** Retries of a failure `retryable` accepts, with exponential backoff from `backoffMs`. @default 0 */
  readonly retries?: number;
  /** @default 500 */
  readonly backoffMs?: number;
  /** @default nothing is retried here (the SDK's own pipeline may have retried already) */
  readonly retryable?: (e: unknown) => boolean;
  /** The cloud's own words for a failure. @default its message */
  readonly message?: (e: unknown) => string;
}

/**
 * The one retry wrapper: runs `fn`, retries what the policy calls retryable, and turns any other
 * failure into a ProviderError `<provider>: <model> in <env>: <what> failed: <cloud's words>`. A
 * ProviderError thrown inside passes unchanged.
 */
export function namedCalls(provider: Provider, target: Target, policy: CallPolicy = {}): Call {
  return async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    let delay = policy.backoffMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ProviderError) throw e;
        if (attempt < (policy.retries ?? 0) && policy.retryable?.(e)) {
          await new Promise((r) => setTimeout(r, delay));
          delay *= 2;
          continue;
        }
        throw ProviderError.about(provider, target, `${what} failed: ${(policy.message ?? ((x: unknown) => (x as Error).message))(e)}`);
      }
    }
  };
}

/** What every reconcile of a model takes: whether to stage the change, and the clock. */
export interface ReconcileOptions {
  /**
   * Stage a change that adds serving versions (canary / linear steps from the plan): set the first
   * step's split and return the rollout for `serving.advanceRollout`. Off: the final split at once.
   */
  readonly staged?: boolean;
  /** The clock, ms since the epoch (tests move it). */
  readonly now?: () => number;
}

/** The approval of a version for an environment, as a label or tag on the version (`mlspec-approved-<env>: "true"`). */
export const approvalKey = (env: string) => `mlspec-approved-${env}`;

// ------------------------------------------------------------------ capabilities

/**
 * An operation of one provider: its arguments are the provider's own (its plan slice, its
 * clients, its custom resource's properties), its meaning and its result are the contract's.
 */
export type Op<R> = (...args: never[]) => R;

/** clients.ts: the provider's SDK clients, made in one place and let go of in one place. */
export interface ClientsCapability<C> {
  readonly create: Op<C>;
  /** Closes what `create` opened (gRPC channels, keep-alive sockets); safe to call once per `create`. */
  close(clients: C): Promise<void>;
}

/** registry.ts: model versions by label. A deploy registers or takes back, and never deletes. */
export interface RegistryCapability {
  /** Makes declared versions exist: registers what is missing, takes back what is there with the same model. */
  readonly ensure: Op<Promise<unknown>>;
  /** The version registered under a label, or undefined. Reads only. */
  readonly findVersion: Op<Promise<unknown>>;
}

/** serving.ts (and staged.ts, scaling.ts beside it): the endpoint, its versions and its traffic. */
export interface ServingCapability {
  /** One look at a staged rollout (lib/rollout/staged.ts): sets the step's split, or rolls back. Safe to repeat. */
  readonly advanceRollout: Op<Promise<RolloutProgress>>;
  /**
   * Removes the endpoint with what serves on it; what is already gone is success. `'cloudformation'`
   * where the endpoint is a native CloudFormation resource, which CloudFormation deletes (SageMaker).
   */
  readonly deleteEndpoint: Op<Promise<void>> | 'cloudformation';
}

/** serving.ts of a provider whose model is reconciled as a whole (ReconciledProvider below). */
export interface ReconciledServingCapability extends ServingCapability {
  /** Brings the endpoint to the plan; with `staged`, only to the first step, and returns the rollout. */
  readonly reconcile: Op<Promise<{ readonly rollout?: StagedRollout }>>;
  readonly deleteEndpoint: Op<Promise<void>>;
}

/** training.ts (and runs.ts): what `mlspec train` and `mlspec runs` call. */
export interface TrainingCapability {
  /** The requests a run would send, exactly (`mlspec train --dry-run`). */
  dryRun(model: ModelPlan, sets: Record<string, string>): DryRun;
  /**
   * Starts, follows and lists runs; `undefined` where mlspec does not run training on the provider
   * yet (write the runner in the folder's runs.ts, as lib/providers/sagemaker/runs.ts, and set it here).
   */
  readonly runner: Op<TrainingRunner> | undefined;
}

/** live.ts: the live state the promotion gates read (lib/promote/live.ts). */
export interface LiveCapability {
  readonly state: Op<LiveState>;
}

/** One provider folder, as the rest of mlspec sees it. */
export interface ProviderModule<P extends Provider, C = unknown> {
  readonly name: P;
  readonly clients: ClientsCapability<C>;
  readonly registry: RegistryCapability;
  readonly serving: ServingCapability;
  readonly training: TrainingCapability;
  readonly live: LiveCapability;
}

/**
 * A provider whose model is one custom resource, reconciled as a whole (Vertex AI, Azure ML):
 * the registry, then serving, in one reconcile; the handler adapter (lib/handlers/model-resource.ts)
 * takes any such provider.
 */
export interface ReconciledProvider<P extends Provider, Plan, C, O extends ReconcileOptions, Registered, Result> extends ProviderModule<P, C> {
  readonly registry: RegistryCapability & {
    /** Every declared version of the plan with an artifact is registered; returns what the registry holds. */
    ensure(plan: Plan, target: Target, clients: C, options: O): Promise<Registered>;
  };
  readonly serving: ReconciledServingCapability & {
    /** Brings the endpoint to the plan (the first step of a staged change) with the fewest calls. */
    reconcile(plan: Plan, target: Target, clients: C, registered: Registered, options: O): Promise<Result & { readonly rollout?: StagedRollout }>;
    advanceRollout(plan: Plan, target: Target, clients: C, rollout: StagedRollout, signals: SignalSource | undefined, options: O): Promise<RolloutProgress>;
    deleteEndpoint(plan: Plan, target: Target, clients: C, options: O): Promise<void>;
  };
}

/** The registry, then serving: one model's reconcile. A second run with the same plan writes nothing. */
export async function reconcileModel<Plan, C, O extends ReconcileOptions, Registered, Result>(
  provider: ReconciledProvider<Provider, Plan, C, O, Registered, Result>,
  plan: Plan,
  target: Target,
  clients: C,
  options: O,
): Promise<Result & { readonly rollout?: StagedRollout }> {
  const registered = await provider.registry.ensure(plan, target, clients, options);
  return provider.serving.reconcile(plan, target, clients, registered, options);
}
