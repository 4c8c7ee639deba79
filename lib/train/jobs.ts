import type { Provider } from '../catalog/types';
import { projectOf } from '../plan/names';
import type { ModelPlan } from '../plan/types';
import { gatePasses } from '../spec/values';
import { nextTrainedLabel, type GateVerdict } from './types';

/**
 * Training on providers with no pipeline service that CloudFormation can declare (Vertex AI,
 * Azure ML): `cdk deploy` makes one Step Functions state machine per provider and environment in
 * the handlers stack (constructs/training-orchestration.ts), whose steps call the provider's
 * handler function with the events below. This file is the provider-neutral half: what each step
 * does, whatever the cloud. Each provider folder's runs.ts implements `JobRunner` (the cloud's half).
 *
 * submit → (wait, poll)* → finish: read the (best) trial's metrics, check registry.gates, register
 * the next label. A stopped or failed execution cancels the job (`cancel`), so no GPU is left running.
 * Every step is safe to retry: submit finds the run's job before creating one, finish finds the
 * version the run registered before registering one.
 */

/** The providers whose training runs through the environment's state machine (SageMaker has its own pipelines). */
export type JobProvider = Extract<Provider, 'vertex' | 'azureml'>;
export const JOB_PROVIDERS: readonly JobProvider[] = ['vertex', 'azureml'];
/** Their names in descriptions and the state machine's comment. */
export const JOB_PROVIDER_TITLES: Record<JobProvider, string> = { vertex: 'Vertex AI', azureml: 'Azure ML' };

/** What an execution starts with: the model's plan for its provider, and this run's `--set` values. */
export interface TrainingExecutionInput {
  readonly schemaVersion: 1;
  readonly provider: Provider;
  /** The model's plan in the environment, with only this provider's part (see `executionInput`). */
  readonly model: ModelPlan;
  readonly sets: Record<string, string>;
}

/** A submitted job, as the steps pass it along. */
export interface JobRef {
  /** The provider's id of the job: a Vertex resource name, an Azure ML job name. */
  readonly name: string;
  /** `CustomJob`, `HyperparameterTuningJob` (Vertex); `Command`, `Sweep` (Azure ML). */
  readonly kind: string;
  readonly runId: string;
}

export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One look at a job. */
export interface JobStatus {
  readonly state: JobState;
  /** The provider's own word for the state (JOB_STATE_RUNNING, Queued, ...). */
  readonly detail: string;
  /** The provider's reason, for a job that failed or was cancelled. */
  readonly message?: string;
  /** Instance-seconds so far, every node and trial included, where the provider says. */
  readonly billableSeconds?: number;
  /** Tuning: `3 completed, 2 running of 10`. */
  readonly trials?: string;
}

/** What a succeeded job produced: the (best) trial's metrics and model folder. */
export interface JobResult {
  readonly metrics: Record<string, number>;
  /** Where the model files are, as the registry takes them. */
  readonly artifactUri: string;
  /** The best trial of a tuning job, by the provider's id. */
  readonly bestTrial?: string;
}

/** The cloud's half of a training run (lib/providers/<provider>/runs.ts). */
export interface JobRunner<C> {
  readonly provider: Provider;
  /** Submits the run's job (with `--set` values applied); a retry finds the job the run already submitted. */
  submit(model: ModelPlan, runId: string, sets: Record<string, string>, clients: C): Promise<JobRef>;
  poll(model: ModelPlan, job: JobRef, clients: C): Promise<JobStatus>;
  /** The metrics and model of a succeeded job (the best trial's, when tuned). */
  result(model: ModelPlan, job: JobRef, clients: C): Promise<JobResult>;
  /** Every label the model's registry holds on this provider. */
  labels(model: ModelPlan, clients: C): Promise<string[]>;
  /** The label a run registered, if it did (a retried finish registers nothing twice). */
  registeredBy(model: ModelPlan, runId: string, clients: C): Promise<string | undefined>;
  /** Registers the trained version under `label`; returns where it is registered. */
  register(model: ModelPlan, job: JobRef, label: string, result: JobResult, clients: C): Promise<string>;
  /** Cancels the run's job (found by `runId` where `job` is not known); a job that has ended is left as it is. */
  cancel(model: ModelPlan, runId: string, job: JobRef | undefined, clients: C): Promise<'cancelled' | 'ended' | 'none'>;
}

// ------------------------------------------------------------------ events of the state machine

export type TrainingStepEvent =
  | { readonly action: 'submit'; readonly input: TrainingExecutionInput; readonly runId: string }
  | { readonly action: 'poll'; readonly input: TrainingExecutionInput; readonly job: PollResult }
  | { readonly action: 'finish'; readonly input: TrainingExecutionInput; readonly job: PollResult }
  | { readonly action: 'cancel'; readonly input: TrainingExecutionInput; readonly runId: string; readonly job?: JobRef; readonly error?: { readonly Error?: string; readonly Cause?: string } }
  | ExecutionStatusChange;

/** EventBridge's "Step Functions Execution Status Change" event, for an execution that was stopped or timed out. */
export interface ExecutionStatusChange {
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly source: 'aws.states';
  readonly detail: { readonly executionArn: string; readonly name: string; readonly status: string; readonly input: string | null };
}

/** What submit and poll return: the job, its status, and how long to wait before the next look. */
export interface PollResult extends JobRef {
  readonly status: JobStatus;
  /** For the state machine's Choice: the job has ended. */
  readonly done: boolean;
  readonly succeeded: boolean;
  /** Why an ended job did not succeed, in the provider's words (empty otherwise): the execution's cause. */
  readonly reason: string;
  /** The wait before the next poll: doubles from 30 s up to 5 minutes. */
  readonly waitSeconds: number;
  readonly submittedAt: string;
}

/** What finish returns: the execution's output, which `mlspec runs` reads. */
export interface FinishResult {
  readonly status: 'registered' | 'gate-failed';
  readonly runId: string;
  readonly job: string;
  readonly metrics: Record<string, number>;
  readonly verdicts: GateVerdict[];
  readonly version?: string;
  readonly registry?: string;
  readonly bestTrial?: string;
  readonly billableSeconds?: number;
  /** Why nothing was registered: the gates that failed, as `mlspec train --wait` prints them. */
  readonly reason?: string;
}

export const FIRST_WAIT_SECONDS = 30;
export const LONGEST_WAIT_SECONDS = 300;

/** The state machine's error names, which `mlspec runs` turns into reasons. */
export const ERRORS = { jobFailed: 'mlspec.JobFailed', gateFailed: 'mlspec.GateFailed' } as const;

/** The model's plan with only `provider`'s part: what an execution carries. */
export function executionInput(model: ModelPlan, provider: Provider, sets: Record<string, string>): TrainingExecutionInput {
  const { sagemaker: _s, vertex, azureml, ...common } = model;
  const only = { ...common, providers: [provider], ...(provider === 'vertex' ? { vertex } : provider === 'azureml' ? { azureml } : {}) } as ModelPlan;
  return { schemaVersion: 1, provider, model: only, sets };
}

/** Each gate's verdict on the run's metrics; a metric the run did not report fails its gate. */
export function gateVerdicts(model: ModelPlan, metrics: Record<string, number>): GateVerdict[] {
  return model.registry.gates.map((gate) => {
    const value = metrics[gate.metric];
    const passed = value !== undefined && gatePasses(gate, value);
    return { gate: `registry.gates.${gate.metric}`, passed, value, text: `${gate.metric} ${gate.op} ${gate.threshold}`, agrees: true };
  });
}

/** A failed step of the state machine: its name and cause end the execution (States `Fail`). */
export class StepFailure extends Error {
  constructor(readonly errorName: string, message: string) {
    super(message);
    this.name = errorName;
  }
}

/**
 * One step of a training execution, for `runner` with `clients`. Steps never throw for an outcome
 * the run can have (a failed job, a failed gate): they return it, and the state machine's Choice
 * states end the execution with the error name and cause.
 */
export async function trainingStep<C>(runner: JobRunner<C>, clients: C, event: TrainingStepEvent, now: () => Date = () => new Date()): Promise<unknown> {
  if ('detail-type' in event) return cancelStopped(runner, clients, event);
  const model = event.input.model;
  switch (event.action) {
    case 'submit': {
      const job = await runner.submit(model, event.runId, event.input.sets, clients);
      const status = await runner.poll(model, job, clients);
      return pollResult(job, status, FIRST_WAIT_SECONDS / 2, now().toISOString());
    }
    case 'poll': {
      const status = await runner.poll(model, event.job, clients);
      return pollResult(event.job, status, event.job.waitSeconds, event.job.submittedAt);
    }
    case 'finish': {
      const runId = event.job.runId;
      const result = await runner.result(model, event.job, clients);
      const verdicts = gateVerdicts(model, result.metrics);
      const common = { runId, job: event.job.name, metrics: result.metrics, verdicts, bestTrial: result.bestTrial, billableSeconds: event.job.status.billableSeconds };
      const failed = verdicts.filter((v) => !v.passed);
      if (failed.length > 0) {
        const reason = `the registry gates did not pass: ${failed.map((v) => `${v.text} (the run has ${v.value ?? 'no value'})`).join('; ')}`;
        return { ...common, status: 'gate-failed', reason } satisfies FinishResult;
      }
      const already = await runner.registeredBy(model, runId, clients);
      const label = already ?? nextTrainedLabel([...model.registry.versions.map((v) => v.label), ...(await runner.labels(model, clients))]);
      const registry = await runner.register(model, event.job, label, result, clients);
      return { ...common, status: 'registered', version: label, registry } satisfies FinishResult;
    }
    case 'cancel': {
      const outcome = await runner.cancel(model, event.runId, event.job, clients);
      return { runId: event.runId, cancelled: outcome, error: event.error };
    }
  }
}

function pollResult(job: JobRef, status: JobStatus, lastWait: number, submittedAt: string): PollResult {
  const done = status.state !== 'running';
  const reason = done && status.state !== 'succeeded' ? `the ${job.kind} job ${job.name} ended ${status.detail}${status.message ? `: ${status.message}` : ''}` : '';
  return { name: job.name, kind: job.kind, runId: job.runId, status, done, succeeded: status.state === 'succeeded', reason, waitSeconds: Math.min(LONGEST_WAIT_SECONDS, Math.max(FIRST_WAIT_SECONDS, lastWait * 2)), submittedAt };
}

/** A stopped (or timed-out) execution: cancel its job, found by the run id (the execution's name). */
async function cancelStopped<C>(runner: JobRunner<C>, clients: C, event: ExecutionStatusChange): Promise<unknown> {
  const input = event.detail.input ? (JSON.parse(event.detail.input) as TrainingExecutionInput) : undefined;
  if (!input?.model || input.provider !== runner.provider) return { ignored: `not a ${runner.provider} training execution` };
  const cancelled = await runner.cancel(input.model, event.detail.name, undefined, clients);
  return { runId: event.detail.name, cancelled, status: event.detail.status };
}

/** The execution input's model as the user names it, for messages. */
export const runTarget = (model: ModelPlan) => ({ model: model.name, environment: model.environment, project: projectOf(model) });

/**
 * A provider's Lambda entry point for its training steps (lib/handlers/<provider>.ts): finds the
 * provider's plan in the execution input (or in a stopped execution's event), makes clients from it,
 * runs the step and closes the clients whatever happens. A stopped execution of another provider's
 * state machine is ignored before any client is made.
 */
export function trainingStepHandler<P, C>(options: {
  readonly runner: JobRunner<C>;
  /** `a Vertex`, `an Azure ML`: for the internal error. */
  readonly title: string;
  readonly planOf: (model: ModelPlan) => P | undefined;
  readonly clients: (plan: P, model: ModelPlan) => C;
  readonly close: (clients: C) => Promise<void>;
}): (event: TrainingStepEvent) => Promise<unknown> {
  const { runner } = options;
  return async (event) => {
    const input: TrainingExecutionInput | undefined = 'detail-type' in event ? (event.detail.input ? (JSON.parse(event.detail.input) as TrainingExecutionInput) : undefined) : event.input;
    const plan = input?.provider === runner.provider && input.model ? options.planOf(input.model) : undefined;
    if (!plan) {
      if ('detail-type' in event) return trainingStep(runner, undefined as never, event);
      throw new Error(`internal: ${options.title} training step got an execution input without ${/^[aeiou]/.test(runner.provider) ? 'an' : 'a'} ${runner.provider} plan (provider ${input?.provider ?? 'none'})`);
    }
    const clients = options.clients(plan, input!.model);
    try {
      return await trainingStep(runner, clients, event);
    } finally {
      await options.close(clients);
    }
  };
}
