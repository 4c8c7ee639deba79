import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { pricePerHour } from '../catalog/prices';
import { handlerNames, projectOf } from '../plan/names';
import type { ModelPlan } from '../plan/types';
import { ERRORS, executionInput, JOB_PROVIDER_TITLES, type JobProvider, type FinishResult, type PollResult, type TrainingExecutionInput } from './jobs';
import { STATES, trainingComment, trainingDefinition } from './orchestration';
import { NotDeployedError, UnknownRunError, type DryRun, type RunEvent, type RunOutcome, type RunSummary, type TrainingRunner } from './types';
import { newRunId } from './types';

/**
 * `mlspec train` and `mlspec runs` on Vertex AI and Azure ML: a run is an execution of the
 * environment's training state machine (handlers stack), named by the run id, whose input is the
 * model's plan for the provider and the run's `--set` values. Following a run reads the execution's
 * history: each step's output says what the job did, Finish's what the gates said.
 */

export type { JobProvider } from './jobs';

export interface StateMachineRunnerOptions {
  readonly provider: JobProvider;
  /** Where the environment's handlers stack is. */
  readonly aws: { readonly account: string; readonly region: string };
  readonly sfn: (region: string) => SFNClient;
  /** The job the Submit step sends, as the provider's dry run shows it. */
  readonly jobDryRun: (model: ModelPlan, sets: Record<string, string>, runId?: string) => DryRun;
  /** How often `follow` reads the execution. @default 10 s */
  readonly pollMs?: number;
}

/** What the dry run prints in place of a value only the deployed handlers stack knows. */
export const STATE_MACHINE_PLACEHOLDERS = { roleArn: '${TrainingStateMachineRoleArn}' } as const;

export class StateMachineTrainingRunner implements TrainingRunner {
  readonly provider: JobProvider;

  constructor(private readonly options: StateMachineRunnerOptions) {
    this.provider = options.provider;
  }

  private names(model: ModelPlan) {
    const project = projectOf(model);
    const name = handlerNames(project, model.environment).training(this.provider);
    const { account, region } = this.options.aws;
    return {
      name,
      stack: handlerNames(project, model.environment).stackName,
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${name}`,
      functionArn: `arn:aws:lambda:${region}:${account}:function:${name}`,
      executionArn: (runId: string) => (runId.startsWith('arn:') ? runId : `arn:aws:states:${region}:${account}:execution:${name}:${runId}`),
    };
  }

  private notDeployed(model: ModelPlan): NotDeployedError {
    const n = this.names(model);
    return new NotDeployedError(model, `the ${this.provider} training state machine ${n.name}`, { name: n.stack, whose: "the environment's handlers stack" });
  }

  dryRun(model: ModelPlan, sets: Record<string, string>): DryRun {
    const n = this.names(model);
    const runId = newRunId();
    const job = this.options.jobDryRun(model, sets, runId);
    const start = {
      service: 'states',
      operation: 'StartExecution',
      input: { stateMachineArn: n.stateMachineArn, name: runId, input: JSON.stringify(executionInput(model, this.provider, sets)) },
      why: 'starts the run: the state machine submits the job below, waits for it, checks the gates and registers the version',
    };
    const training = model[this.provider]?.training;
    return {
      requests: [start, ...job.requests.map((r) => ({ ...r, why: `${r.why} (sent by the state machine's ${STATES.submit} step)` }))],
      declared: {
        kind: 'AWS::StepFunctions::StateMachine',
        name: n.name,
        roleArn: STATE_MACHINE_PLACEHOLDERS.roleArn,
        definition: trainingDefinition(n.functionArn, trainingComment(JOB_PROVIDER_TITLES[this.provider], projectOf(model), model.environment)),
        ...(training?.schedule ? { schedule: training.schedule } : {}),
      },
      placeholders: { [STATE_MACHINE_PLACEHOLDERS.roleArn]: `the ARN of the state machine's role, which cdk deploy names in ${n.stack}` },
    };
  }

  async start(model: ModelPlan, sets: Record<string, string>): Promise<string> {
    const { StartExecutionCommand } = await import('@aws-sdk/client-sfn');
    const n = this.names(model);
    const client = this.options.sfn(this.options.aws.region);
    try {
      const out = await client.send(new StartExecutionCommand({ stateMachineArn: n.stateMachineArn, name: newRunId(), input: JSON.stringify(executionInput(model, this.provider, sets)) }));
      return out.executionArn!;
    } catch (e) {
      if ((e as { name?: string }).name === 'StateMachineDoesNotExist') throw this.notDeployed(model);
      throw e;
    }
  }

  async follow(model: ModelPlan, runId: string, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunOutcome> {
    const { DescribeExecutionCommand, GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
    const client = this.options.sfn(this.options.aws.region);
    const executionArn = this.names(model).executionArn(runId);
    let seen = 0;
    let started: number | undefined;
    let lastStatus = '';
    let metrics: Record<string, number> = {};
    for (;;) {
      let execution;
      try {
        execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      } catch (e) {
        if ((e as { name?: string }).name === 'ExecutionDoesNotExist') throw new UnknownRunError(`${model.name} in ${model.environment}: there is no run ${runName(runId)} on ${this.provider}; mlspec runs ${model.name} --env ${model.environment} lists the runs`);
        throw e;
      }
      started ??= execution.startDate?.getTime() ?? Date.now();
      const events = await history(client, GetExecutionHistoryCommand, executionArn);
      for (const event of events.slice(seen)) {
        const elapsedSeconds = Math.max(0, Math.round(((event.timestamp?.getTime() ?? Date.now()) - started) / 1000));
        const exited = event.stateExitedEventDetails;
        if (!exited?.output) continue;
        if (exited.name === STATES.submit || exited.name === STATES.poll) {
          const poll = (JSON.parse(exited.output) as { job?: { poll?: PollResult } }).job?.poll;
          if (!poll) continue;
          const status = `${poll.status.detail}${poll.status.trials ? ` (${poll.status.trials})` : ''}`;
          if (status !== lastStatus) onEvent({ kind: 'job', step: 'training', status: poll.status.detail, message: poll.status.trials ?? poll.status.message, elapsedSeconds });
          lastStatus = status;
        } else if (exited.name === STATES.finish) {
          const result = (JSON.parse(exited.output) as { finish?: { result?: FinishResult } }).finish?.result;
          if (!result) continue;
          metrics = result.metrics;
          onEvent({ kind: 'metrics', step: 'training', metrics: result.metrics });
          for (const verdict of result.verdicts) onEvent({ kind: 'gate', verdict });
        }
      }
      seen = events.length;
      switch (execution.status) {
        case 'SUCCEEDED': {
          const out = JSON.parse(execution.output ?? '{}') as FinishResult;
          return { runId, status: 'registered', version: out.version, registry: out.registry, metrics: out.metrics ?? metrics };
        }
        case 'FAILED':
        case 'TIMED_OUT':
          return { runId, status: 'failed', metrics, reason: failureReason(execution.error, execution.cause) };
        case 'ABORTED':
          return { runId, status: 'stopped', metrics, reason: `the run was stopped${execution.cause ? `: ${execution.cause}` : ''}; its job is cancelled` };
      }
      if (signal?.aborted) return { runId, status: 'detached', metrics };
      await sleep(this.options.pollMs ?? 10_000, signal);
      if (signal?.aborted) return { runId, status: 'detached', metrics };
    }
  }

  async list(model: ModelPlan, max: number): Promise<RunSummary[]> {
    const { ListExecutionsCommand, DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
    const client = this.options.sfn(this.options.aws.region);
    const n = this.names(model);
    const runs: RunSummary[] = [];
    let nextToken: string | undefined;
    // Executions of every model of the environment share the state machine: keep this model's, newest first.
    do {
      let page;
      try {
        page = await client.send(new ListExecutionsCommand({ stateMachineArn: n.stateMachineArn, maxResults: 100, nextToken }));
      } catch (e) {
        if ((e as { name?: string }).name === 'StateMachineDoesNotExist') throw this.notDeployed(model);
        throw e;
      }
      for (const item of page.executions ?? []) {
        if (runs.length >= max) break;
        const execution = await client.send(new DescribeExecutionCommand({ executionArn: item.executionArn! }));
        const input = parse<TrainingExecutionInput>(execution.input);
        if (input?.model?.name !== model.name) continue;
        runs.push(this.summary(model, execution));
      }
      nextToken = page.nextToken;
    } while (nextToken && runs.length < max);
    return runs;
  }

  private summary(model: ModelPlan, e: { name?: string; status?: string; startDate?: Date; stopDate?: Date; output?: string; error?: string; cause?: string }): RunSummary {
    const out = e.status === 'SUCCEEDED' ? parse<FinishResult>(e.output) : undefined;
    const billableSeconds = out?.billableSeconds ?? 0;
    const t = model[this.provider]?.training as { machineType?: string; instanceType?: string; spot?: boolean } | undefined;
    const machine = t?.machineType ?? t?.instanceType;
    const region = (model[this.provider] as { region?: string } | undefined)?.region ?? '';
    const hourly = machine ? pricePerHour(this.provider, machine, region, 'training') : undefined;
    const words: Record<string, string> = { RUNNING: 'Executing', SUCCEEDED: 'Succeeded', FAILED: 'Failed', TIMED_OUT: 'Failed', ABORTED: 'Stopped' };
    return {
      runId: e.name ?? '',
      startedAt: e.startDate?.toISOString(),
      durationSeconds: e.stopDate && e.startDate ? Math.round((e.stopDate.getTime() - e.startDate.getTime()) / 1000) : undefined,
      status: words[e.status ?? ''] ?? e.status ?? '',
      billableSeconds,
      costUsd: hourly !== undefined && out?.billableSeconds !== undefined ? Math.round((billableSeconds / 3600) * hourly * 100) / 100 : undefined,
      metrics: out?.metrics ?? {},
      version: out?.version,
      reason: e.status === 'FAILED' || e.status === 'TIMED_OUT' ? failureReason(e.error, e.cause) : e.status === 'ABORTED' ? 'the run was stopped' : undefined,
    };
  }
}

/** The execution's error in the user's words: the step's cause for mlspec's own errors, else the error and its cause. */
function failureReason(error: string | undefined, cause: string | undefined): string {
  if (error === ERRORS.jobFailed || error === ERRORS.gateFailed) return cause ?? error;
  const lambda = parse<{ errorMessage?: string }>(cause);
  return `${error ?? 'failed'}: ${lambda?.errorMessage ?? cause ?? 'no cause given'}`;
}

/** A run's short name: the execution's name, the last part of its ARN. */
export function runName(runId: string): string {
  return runId.split(/[/:]/).pop() ?? runId;
}

function parse<T>(text: string | undefined | null): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

async function history(client: SFNClient, Command: typeof import('@aws-sdk/client-sfn').GetExecutionHistoryCommand, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new Command({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
