import type { Provider } from '../catalog/types';
import type { ModelPlan } from '../plan/types';
import { suggestion } from '../util/suggest';

/**
 * Training runs, in terms every provider shares: `mlspec train` and `mlspec runs` speak only this;
 * each provider folder implements `TrainingRunner` (lib/providers/sagemaker/runs.ts).
 * `mlspec train --dry-run --json` prints `TrainDryRunJson` (docs/train-json.md).
 */

/** One request the run would send, exactly as the provider's API takes it. */
export interface ProviderRequest {
  readonly service: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly why: string;
}

export interface DryRun {
  readonly requests: ProviderRequest[];
  /** What `cdk deploy` declares for this model and environment, which the run starts; absent where nothing is declared (Vertex AI and Azure ML for now). */
  readonly declared?: { readonly kind: string; readonly name: string; readonly roleArn: string; readonly definition: unknown; readonly schedule?: string };
  /** Placeholders in `declared` for values known only once the stack is deployed, and what each stands for. */
  readonly placeholders: Record<string, string>;
}

export interface TrainDryRunJson extends DryRun {
  readonly schemaVersion: 1;
  readonly model: string;
  readonly environment: string;
  readonly provider: Provider;
  readonly region: string;
  readonly account?: string;
}

export interface GateVerdict {
  /** `registry.gates.<metric>`. */
  readonly gate: string;
  readonly passed: boolean;
  /** The run's value of the metric, where it was reported. */
  readonly value?: number;
  /** The comparison as written, e.g. `accuracy >= 0.95`. */
  readonly text: string;
  /** Whether our reading of the value agrees with the provider's verdict. */
  readonly agrees: boolean;
}

export type RunEvent =
  | { readonly kind: 'step'; readonly step: string; readonly status: string; readonly elapsedSeconds: number; readonly reason?: string }
  | { readonly kind: 'job'; readonly step: string; readonly status: string; readonly message?: string; readonly elapsedSeconds: number }
  | { readonly kind: 'metrics'; readonly step: string; readonly metrics: Record<string, number> }
  | { readonly kind: 'gate'; readonly verdict: GateVerdict };

export interface RunOutcome {
  readonly runId: string;
  /** `registered`: a version was registered; `detached`: we stopped following, the run goes on. */
  readonly status: 'registered' | 'failed' | 'stopped' | 'detached';
  readonly version?: string;
  /** Where the version is registered (a model package ARN on SageMaker). */
  readonly registry?: string;
  readonly metrics: Record<string, number>;
  /** The provider's own reason for a failed or refused run. */
  readonly reason?: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly startedAt?: string;
  readonly durationSeconds?: number;
  readonly status: string;
  /** Instance-seconds billed, every node and trial included. */
  readonly billableSeconds: number;
  readonly costUsd?: number;
  /** How much spot saved against the time trained, in percent. */
  readonly spotSavingPercent?: number;
  /** The (best) training job's final metrics. */
  readonly metrics: Record<string, number>;
  /** The version label the run registered. */
  readonly version?: string;
  readonly reason?: string;
}

/** What a provider does for `mlspec train` and `mlspec runs`. */
export interface TrainingRunner {
  readonly provider: Provider;
  dryRun(model: ModelPlan, sets: Record<string, string>): DryRun;
  /** Starts a run; returns its id. */
  start(model: ModelPlan, sets: Record<string, string>): Promise<string>;
  /** Follows a run until it ends, or until `signal` aborts (then `detached`). */
  follow(model: ModelPlan, runId: string, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunOutcome>;
  list(model: ModelPlan, max: number): Promise<RunSummary[]>;
}

/** The run's resources are not deployed: say which `cdk deploy` makes them. */
export class NotDeployedError extends Error {
  constructor(readonly model: ModelPlan, what: string, stack: { readonly name: string; readonly whose: string } = { name: model.stackName, whose: "the model's stack" }) {
    super(`${what} is not deployed in ${model.environment} yet; deploy ${stack.whose} first: npx cdk deploy ${stack.name}`);
  }
}

/** `--follow` names a run the provider does not have. */
export class UnknownRunError extends Error {}

/** A `--set` key that the run cannot take. */
export class UnknownSetError extends Error {}

export interface SettableValue {
  readonly key: string;
  readonly parameter: string;
  readonly default: string;
  readonly kind: 'hyperparameter' | 'input';
}

/** Every settable value with what the run uses: the `--set` override, else the spec's. */
export function resolveSets(model: ModelPlan, settable: SettableValue[], sets: Record<string, string>): (SettableValue & { value: string })[] {
  const keys = settable.map((s) => s.key);
  for (const key of Object.keys(sets)) {
    if (keys.includes(key)) continue;
    const training = model.sagemaker?.training ?? model.vertex?.training ?? model.azureml?.training;
    const tuned = (training?.tuning?.parameters ?? []).some((p) => p.name === key);
    if (tuned) throw new UnknownSetError(`--set ${key}: ${key} is searched by training.tuning.parameters.${key}; a run cannot fix it (remove it from tuning to set it)`);
    throw new UnknownSetError(`--set ${key}: ${model.name} has no hyperparameter or input "${key}" (it takes ${keys.join(', ') || 'none'})${suggestion(key, keys)}`);
  }
  return settable.map((s) => ({ ...s, value: sets[s.key] ?? s.default }));
}

/**
 * Why a provider cannot serve a label its registry lacks, naming the provider the model trains
 * on: trained versions are registered only where they were trained.
 */
export function missingVersionMessage(provider: Provider, target: { readonly model: string; readonly environment: string }, label: string, trainedOn: Provider | undefined): string {
  const where = `${provider}: ${target.model} in ${target.environment}: version ${label} is not in the ${provider} registry`;
  const artifact = `${/^[aeiou]/.test(provider) ? 'an' : 'a'} ${provider} artifact`;
  if (trainedOn && trainedOn !== provider) {
    return `${where}; ${target.model} trains on ${trainedOn}, so trained versions are registered there only: serve ${label} on ${trainedOn}, or declare it in versions with ${artifact}`;
  }
  if (trainedOn === provider) return `${where}; train it first (mlspec train ${target.model} --env ${target.environment}), or declare it in versions with ${artifact}`;
  return `${where}; declare it in versions with ${artifact}`;
}

/** What a run of a job-based provider (Vertex AI, Azure ML) takes from --set: untuned hyperparameters and inputs. */
export function jobSettables(t: { readonly hyperparameters: Record<string, string>; readonly inputs: readonly { readonly channel: string; readonly uri: string }[]; readonly tuning?: { readonly parameters: readonly { readonly name: string }[] } }): SettableValue[] {
  const tuned = new Set((t.tuning?.parameters ?? []).map((p) => p.name));
  return [
    ...Object.entries(t.hyperparameters).filter(([k]) => !tuned.has(k)).map(([k, v]): SettableValue => ({ key: k, parameter: k, default: v, kind: 'hyperparameter' })),
    ...t.inputs.map((i): SettableValue => ({ key: `inputs.${i.channel}`, parameter: i.channel, default: i.uri, kind: 'input' })),
  ];
}

/** This run's hyperparameters and inputs on a job-based provider: the spec's, with --set overrides. */
export function jobValues(model: ModelPlan, t: Parameters<typeof jobSettables>[0], sets: Record<string, string>): { hyperparameters: Record<string, string>; inputs: Record<string, string> } {
  const values = resolveSets(model, jobSettables(t), sets);
  const of = (kind: SettableValue['kind']) => Object.fromEntries(values.filter((v) => v.kind === kind).map((v) => [v.parameter, v.value]));
  return { hyperparameters: of('hyperparameter'), inputs: of('input') };
}

/** A run's id where mlspec names the job: the start time in UTC and four random letters, such as r20261203t154512-k3f9. */
export function newRunId(now = new Date(), random = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  return `r${stamp}-${random().toString(36).slice(2, 6).padEnd(4, '0')}`;
}

/**
 * The label of the next trained version: the next whole number above every numeric label the model
 * has (declared versions and each provider's registry), so a label is one number everywhere.
 */
export function nextTrainedLabel(labels: Iterable<string>): string {
  let top = 0;
  for (const label of labels) if (/^[0-9]+$/.test(label)) top = Math.max(top, Number(label));
  return String(top + 1);
}
