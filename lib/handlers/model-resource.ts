import type { Provider } from '../catalog/types';
import { reconcileModel, type ReconciledProvider, type ReconcileOptions } from '../providers/contract';
import type { SignalSource, StagedRollout } from '../rollout/staged';

/**
 * The one handler adapter of the model custom resources (`VertexModel`, `AzureMlModel`), in the
 * shape the CDK Provider framework calls: `onEvent` brings the cloud to the plan (a change that
 * adds serving versions only to its first rollout step) and `isComplete`, polled by the
 * framework's waiter, walks the rollout's steps and rolls back on the spec's thresholds. Thin: the
 * provider's reconciler (lib/providers/<provider>) does the work, and running either again with
 * the same input changes nothing. Every client it makes it closes, whatever the outcome.
 *
 * A provider's entry point (lib/handlers/<provider>.ts, bundled by scripts/build-handlers.ts)
 * gives it the provider module, its physical id, its Data, and its clients and signals from the
 * resource's credentials.
 */

/** Properties every model custom resource has; CloudFormation hands every value over as a string. */
export interface ModelResourceProperties {
  /** The model's plan slice of this provider, JSON. */
  readonly Plan: string;
  readonly Model: string;
  readonly Environment: string;
  /** "true": Delete keeps the endpoint (the registry is always kept). */
  readonly Protected?: string;
}

export interface ModelResourceEvent<P extends ModelResourceProperties> {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: P & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: P;
}

export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** What the Provider framework passes to isComplete: the event plus onEvent's answer. */
export interface ModelResourceIsCompleteEvent<P extends ModelResourceProperties> extends ModelResourceEvent<P> {
  readonly Data?: Record<string, string>;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

/** Rollback signals, with what they opened to close. */
export type ClosableSignals = SignalSource & { close?: () => Promise<void> };

/** What tests (and the bench) replace: the clients, the signals, the reconcile options. */
export interface ModelResourceDependencies<Plan, P, C, O> {
  readonly clients?: (plan: Plan, props: P) => C;
  /** Where rollback signals come from, for the endpoint named in onEvent's Data. @default the provider's monitoring, same credentials */
  readonly signals?: (plan: Plan, props: P, monitored: string) => ClosableSignals;
  readonly options?: O;
}

/** A provider's plan slice, as far as the adapter reads it: whether it serves, and with rollback thresholds. */
export type ModelPlanSlice = { readonly serving?: { readonly rollback?: unknown } };

/** One provider's model custom resource. */
export interface ModelResource<Plan extends ModelPlanSlice, P extends ModelResourceProperties, C, O extends ReconcileOptions, Result> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly provider: ReconciledProvider<Provider, Plan, C, O, any, Result>;
  /** Names what the resource manages, so CloudFormation replaces it only when that changes. */
  physicalId(plan: Plan): string;
  /** onEvent's Data besides `Rollout`. */
  data(result: Result): Record<string, string>;
  /** The key of onEvent's Data that names the endpoint the rollback signals are read for. */
  readonly monitored: string;
  /** The real clients, from the resource's credentials. */
  clients(plan: Plan, props: P): C;
  /** The real rollback signals, from the resource's credentials. */
  signals(plan: Plan, props: P, monitored: string): ClosableSignals;
}

export function modelResourceHandler<Plan extends ModelPlanSlice, P extends ModelResourceProperties, C, O extends ReconcileOptions, Result>(resource: ModelResource<Plan, P, C, O, Result>) {
  type Deps = ModelResourceDependencies<Plan, P, C, O>;
  const { provider } = resource;

  async function onEvent(event: ModelResourceEvent<P>, deps: Deps = {}): Promise<OnEventResponse> {
    const props = event.ResourceProperties;
    const plan = JSON.parse(props.Plan) as Plan;
    const clients = (deps.clients ?? resource.clients)(plan, props);
    const target = { model: props.Model, environment: props.Environment };
    const options = deps.options ?? ({} as O);
    try {
      if (event.RequestType === 'Delete') {
        // The registry outlives the stack; so does the endpoint of a protected environment.
        if (props.Protected !== 'true' && plan.serving) await provider.serving.deleteEndpoint(plan, target, clients, options);
        return { PhysicalResourceId: event.PhysicalResourceId ?? resource.physicalId(plan) };
      }
      const result = await reconcileModel(provider, plan, target, clients, { ...options, staged: true });
      return {
        PhysicalResourceId: resource.physicalId(plan),
        // The rollout rides along to isComplete, which the framework calls with this Data.
        Data: { ...resource.data(result), Rollout: result.rollout ? JSON.stringify(result.rollout) : '' },
      };
    } finally {
      await provider.clients.close(clients);
    }
  }

  /**
   * Polled by the Provider framework (every 30 s) until it answers true, or its total timeout (an
   * hour) fails the resource and CloudFormation rolls the stack back. Each call is one look at the rollout.
   */
  async function isComplete(event: ModelResourceIsCompleteEvent<P>, deps: Deps = {}): Promise<IsCompleteResponse> {
    const rolloutJson = event.Data?.Rollout;
    if (event.RequestType === 'Delete' || !rolloutJson) return { IsComplete: true };
    const props = event.ResourceProperties;
    const plan = JSON.parse(props.Plan) as Plan;
    const rollout = JSON.parse(rolloutJson) as StagedRollout;
    const clients = (deps.clients ?? resource.clients)(plan, props);
    let signals: ClosableSignals | undefined;
    try {
      signals = plan.serving?.rollback ? (deps.signals ?? resource.signals)(plan, props, event.Data![resource.monitored]) : undefined;
      const progress = await provider.serving.advanceRollout(plan, { model: props.Model, environment: props.Environment }, clients, rollout, signals, deps.options ?? ({} as O));
      if (!progress.done) {
        console.log(`${props.Model} in ${props.Environment}: step ${progress.step + 1} of ${rollout.steps.length}, ${JSON.stringify(progress.split)}`);
        return { IsComplete: false };
      }
      return { IsComplete: true, Data: { Rollout: '' } };
    } finally {
      await Promise.all([provider.clients.close(clients), signals?.close?.()]);
    }
  }

  return { onEvent, isComplete };
}
