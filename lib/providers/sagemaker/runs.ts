import {
  DescribeHyperParameterTuningJobCommand,
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  DescribeTrainingJobCommand,
  ListPipelineExecutionsCommand,
  ListPipelineExecutionStepsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  StartPipelineExecutionCommand,
  type DescribeTrainingJobCommandOutput,
  type PipelineExecutionStep,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { randomUUID } from 'node:crypto';
import { pricePerHour } from '../../catalog/prices';
import { handlerNames, projectOf } from '../../plan/names';
import type { ModelPlan, SageMakerTrainingPlan } from '../../plan/types';
import { gatePasses } from '../../spec/values';
import type { DryRun, GateVerdict, RunEvent, RunOutcome, RunSummary, TrainingRunner } from '../../train/types';
import { NotDeployedError, resolveSets } from '../../train/types';
import type { TrainingCapability } from '../contract';
import { sageMakerClientFor, type SageMakerClientFactory } from './clients';
import { isMissing, unlessMissing } from './missing';
import { GATES_STEP, pipelineDefinition, runParameters, STEPS } from './training';

/**
 * Runs of the SageMaker training pipeline: start one, follow it step by step (the training job's
 * secondary status, spot interruptions, metrics, each gate's verdict, the registered version), and
 * list recent ones with their cost. The pipeline itself is declared by `cdk deploy`
 * (constructs/sagemaker/training-pipeline.ts).
 */

export type { SageMakerClientFactory } from './clients';

/** What the dry run prints where the definition holds a value only `cdk deploy` knows. */
export const PLACEHOLDERS = {
  kmsKeyArn: '${ModelKeyArn}',
} as const;

function training(model: ModelPlan): SageMakerTrainingPlan {
  const t = model.sagemaker?.training;
  if (!t) throw new Error(`internal: ${model.name} does not train on sagemaker in ${model.environment}`);
  return t;
}

/** The role ARN the pipeline runs jobs as: its name is fixed, so the ARN is known before deploy. */
const roleArn = (model: ModelPlan, name: string) => `arn:aws:iam::${model.sagemaker!.account}:role/${name}`;

/** The definition `cdk deploy` declares, with placeholders where only the deployed stack knows the value. */
export function declaredDefinition(model: ModelPlan) {
  const t = training(model);
  return pipelineDefinition(model, {
    trainingRoleArn: roleArn(model, t.trainingRoleName),
    kmsKeyArn: PLACEHOLDERS.kmsKeyArn,
    // The environment's SageMaker handler in its handlers stack, by its fixed name.
    bestTrialFunctionArn: t.tuning ? `arn:aws:lambda:${model.sagemaker!.region}:${model.sagemaker!.account}:function:${handlerNames(projectOf(model), model.environment).sagemaker}` : undefined,
  });
}

/** The best trial of a tuning job: its job, model and every final metric (the pipeline's BestTrial step). */
export async function bestTrial(sm: SageMakerClient, tuningJobName: string, metrics: string[]): Promise<Record<string, string | number>> {
  const tuning = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuningJobName }));
  const best = tuning.BestTrainingJob?.TrainingJobName;
  if (!best) throw new Error(`tuning job ${tuningJobName} has no best trial: no trial reported the objective metric ${tuning.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective?.MetricName ?? ''}`);
  const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: best }));
  const out: Record<string, string | number> = { TrainingJobName: best, ModelData: job.ModelArtifacts?.S3ModelArtifacts ?? '' };
  for (const name of metrics) {
    const value = job.FinalMetricDataList?.find((m) => m.MetricName === name)?.Value;
    if (value === undefined) throw new Error(`the best trial ${best} reported no final value of "${name}": no line of its output matched training.metrics.${name}`);
    out[name] = value;
  }
  return out;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

export interface SageMakerRunnerOptions {
  readonly clients: SageMakerClientFactory;
  /** Milliseconds between looks at a running run. */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class SageMakerTrainingRunner implements TrainingRunner {
  readonly provider = 'sagemaker' as const;

  constructor(private readonly options: SageMakerRunnerOptions) {}

  private client(model: ModelPlan): SageMakerClient {
    return this.options.clients(model.sagemaker!.region);
  }

  dryRun(model: ModelPlan, sets: Record<string, string>, token = `mlspec-${randomUUID()}`): DryRun {
    const t = training(model);
    const values = resolveSets(model, runParameters(t), sets);
    return {
      requests: [
        { service: 'sagemaker', operation: 'DescribePipeline', input: { PipelineName: t.pipelineName }, why: 'checks that cdk deploy declared the pipeline' },
        {
          service: 'sagemaker',
          operation: 'StartPipelineExecution',
          input: {
            PipelineName: t.pipelineName,
            PipelineExecutionDescription: `mlspec train ${model.name} --env ${model.environment}`,
            PipelineParameters: values.map((v) => ({ Name: v.parameter, Value: v.value })),
            ClientRequestToken: token,
          },
          why: 'starts the run',
        },
      ],
      declared: {
        kind: 'AWS::SageMaker::Pipeline',
        name: t.pipelineName,
        roleArn: roleArn(model, t.pipelineRoleName),
        definition: declaredDefinition(model),
        schedule: t.schedule,
      },
      placeholders: {
        [PLACEHOLDERS.kmsKeyArn]: `the ARN of the KMS key of stack ${model.stackName}, known once cdk deploy made it`,
      },
    };
  }

  async start(model: ModelPlan, sets: Record<string, string>): Promise<string> {
    const sm = this.client(model);
    const t = training(model);
    try {
      await sm.send(new DescribePipelineCommand({ PipelineName: t.pipelineName }));
    } catch (e) {
      if (isMissing(e) || (e as { name?: string }).name === 'ResourceNotFound') throw new NotDeployedError(model, `the training pipeline ${t.pipelineName}`);
      throw e;
    }
    const request = this.dryRun(model, sets).requests[1].input as unknown as ConstructorParameters<typeof StartPipelineExecutionCommand>[0];
    const out = await sm.send(new StartPipelineExecutionCommand(request));
    return out.PipelineExecutionArn!;
  }

  async follow(model: ModelPlan, runId: string, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunOutcome> {
    const sm = this.client(model);
    const t = training(model);
    const arn = this.executionArn(model, runId);
    // A look every pollMs, cut short by Ctrl-C.
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => {
      const timer = setTimeout(r, ms);
      signal?.addEventListener('abort', () => { clearTimeout(timer); r(); }, { once: true });
    }));
    const seen = new Map<string, string>();
    const transitions = new Map<string, number>();
    let metrics: Record<string, number> = {};
    for (;;) {
      const execution = await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
      const steps = (await listSteps(sm, arn)).reverse();
      const started = execution.CreationTime ?? new Date();
      for (const step of steps) {
        const name = step.StepName!;
        const status = step.StepStatus ?? 'Starting';
        const at = elapsed(started, step.EndTime ?? step.StartTime);
        if (seen.get(name) !== status) {
          seen.set(name, status);
          onEvent({ kind: 'step', step: name, status, elapsedSeconds: at, reason: step.FailureReason });
        }
        const jobArn = step.Metadata?.TrainingJob?.Arn;
        if (jobArn) {
          const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: jobArn.split('/').pop() }));
          const list = job.SecondaryStatusTransitions ?? [];
          for (let i = transitions.get(name) ?? 0; i < list.length; i++) {
            onEvent({ kind: 'job', step: name, status: list[i].Status ?? '', message: list[i].StatusMessage, elapsedSeconds: elapsed(started, list[i].StartTime) });
          }
          transitions.set(name, list.length);
          if (job.TrainingJobStatus === 'Completed' && Object.keys(metrics).length === 0) {
            metrics = finalMetrics(job);
            onEvent({ kind: 'metrics', step: name, metrics });
          }
        }
        const tuningArn = step.Metadata?.TuningJob?.Arn;
        if (tuningArn) {
          const tuning = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuningArn.split('/').pop() }));
          const c = tuning.TrainingJobStatusCounters ?? {};
          const failed = (c.NonRetryableError ?? 0) + (c.RetryableError ?? 0);
          const text = `${c.Completed ?? 0} completed, ${c.InProgress ?? 0} running${failed ? `, ${failed} failed` : ''}${c.Stopped ? `, ${c.Stopped} stopped` : ''} of ${t.tuning?.maxTrials ?? '?'}`;
          if (seen.get(`${name}#trials`) !== text) {
            seen.set(`${name}#trials`, text);
            onEvent({ kind: 'job', step: name, status: `trials ${text}`, elapsedSeconds: elapsed(started, new Date(Math.max(started.getTime(), ...(tuning.LastModifiedTime ? [tuning.LastModifiedTime.getTime()] : [])))) });
          }
        }
        const lambda = step.Metadata?.Lambda;
        if (name === STEPS.bestTrial && status === 'Succeeded' && lambda && Object.keys(metrics).length === 0) {
          for (const o of lambda.OutputParameters ?? []) if (t.metrics.some((m) => m.name === o.Name)) metrics[o.Name!] = Number(o.Value);
          onEvent({ kind: 'metrics', step: name, metrics });
        }
        if (name === GATES_STEP && step.Metadata?.Condition?.Outcome && seen.get(`${name}#gates`) === undefined) {
          seen.set(`${name}#gates`, step.Metadata.Condition.Outcome);
          for (const verdict of gateVerdicts(model, metrics, step.Metadata.Condition.Outcome === 'True')) onEvent({ kind: 'gate', verdict });
        }
      }
      const status = execution.PipelineExecutionStatus ?? 'Executing';
      if (TERMINAL.has(status)) {
        const register = steps.find((s) => s.StepName === STEPS.register && s.StepStatus === 'Succeeded');
        const packageArn = register?.Metadata?.RegisterModel?.Arn;
        const version = packageArn?.split('/').pop();
        const failed = steps.find((s) => s.StepStatus === 'Failed');
        return {
          runId: arn,
          status: status === 'Succeeded' && version ? 'registered' : status === 'Stopped' ? 'stopped' : 'failed',
          version,
          registry: packageArn,
          metrics,
          // The failed step says why; the execution's own reason is SageMaker's generic "Step failure".
          reason: failed?.FailureReason ?? execution.FailureReason ?? (status === 'Stopped' ? 'the run was stopped' : undefined),
        };
      }
      if (signal?.aborted) return { runId: arn, status: 'detached', metrics };
      await sleep(this.options.pollMs ?? 30_000);
      if (signal?.aborted) return { runId: arn, status: 'detached', metrics };
    }
  }

  async list(model: ModelPlan, max: number): Promise<RunSummary[]> {
    const sm = this.client(model);
    const t = training(model);
    let page;
    try {
      page = await sm.send(new ListPipelineExecutionsCommand({ PipelineName: t.pipelineName, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: Math.min(max, 100) }));
    } catch (e) {
      if (isMissing(e) || (e as { name?: string }).name === 'ResourceNotFound') throw new NotDeployedError(model, `the training pipeline ${t.pipelineName}`);
      throw e;
    }
    const price = pricePerHour('sagemaker', t.instanceType, model.sagemaker!.region, 'training');
    const out: RunSummary[] = [];
    for (const e of page.PipelineExecutionSummaries ?? []) {
      const arn = e.PipelineExecutionArn!;
      const steps = await listSteps(sm, arn);
      const jobs = await this.jobsOf(sm, steps);
      const billable = jobs.reduce((n, j) => n + (j.BillableTimeInSeconds ?? 0) * (j.ResourceConfig?.InstanceCount ?? 1), 0);
      const trained = jobs.reduce((n, j) => n + (j.TrainingTimeInSeconds ?? 0) * (j.ResourceConfig?.InstanceCount ?? 1), 0);
      const best = await this.bestJob(sm, steps, jobs);
      const register = steps.find((s) => s.StepName === STEPS.register && s.StepStatus === 'Succeeded');
      const end = e.PipelineExecutionStatus === 'Executing' ? undefined : (steps.map((s) => s.EndTime).filter((d): d is Date => d instanceof Date).sort((a, b) => b.getTime() - a.getTime())[0] ?? e.StartTime);
      out.push({
        runId: arn,
        startedAt: e.StartTime?.toISOString(),
        durationSeconds: e.StartTime && end ? Math.round((end.getTime() - e.StartTime.getTime()) / 1000) : undefined,
        status: e.PipelineExecutionStatus ?? 'Unknown',
        billableSeconds: billable,
        costUsd: price === undefined ? undefined : round2((billable / 3600) * price),
        spotSavingPercent: t.spot && trained > 0 ? Math.round((1 - billable / trained) * 100) : undefined,
        metrics: best ? finalMetrics(best) : {},
        version: register?.Metadata?.RegisterModel?.Arn?.split('/').pop(),
        reason: e.PipelineExecutionStatus === 'Failed' ? (steps.find((x) => x.StepStatus === 'Failed')?.FailureReason ?? e.PipelineExecutionFailureReason) : undefined,
      });
    }
    return out;
  }

  /** Accepts the execution ARN or its id (the last part of the ARN, as `mlspec runs` shows it). */
  private executionArn(model: ModelPlan, runId: string): string {
    if (runId.startsWith('arn:')) return runId;
    const sm = model.sagemaker!;
    return `arn:aws:sagemaker:${sm.region}:${sm.account}:pipeline/${training(model).pipelineName.toLowerCase()}/execution/${runId}`;
  }

  /** Every training job of a run: the single one, or each trial of the tuning job. */
  private async jobsOf(sm: SageMakerClient, steps: PipelineExecutionStep[]): Promise<DescribeTrainingJobCommandOutput[]> {
    const names: string[] = [];
    for (const s of steps) {
      if (s.Metadata?.TrainingJob?.Arn) names.push(s.Metadata.TrainingJob.Arn.split('/').pop()!);
      const tuning = s.Metadata?.TuningJob?.Arn?.split('/').pop();
      if (tuning) {
        let token: string | undefined;
        do {
          const page = await sm.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuning, MaxResults: 100, NextToken: token }));
          names.push(...(page.TrainingJobSummaries ?? []).map((j) => j.TrainingJobName!));
          token = page.NextToken;
        } while (token);
      }
    }
    const jobs: DescribeTrainingJobCommandOutput[] = [];
    for (const name of names) {
      const job = await unlessMissing(sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name })));
      if (job) jobs.push(job);
    }
    return jobs;
  }

  private async bestJob(sm: SageMakerClient, steps: PipelineExecutionStep[], jobs: DescribeTrainingJobCommandOutput[]) {
    const tuning = steps.find((s) => s.Metadata?.TuningJob?.Arn)?.Metadata?.TuningJob?.Arn?.split('/').pop();
    if (!tuning) return jobs[0];
    const t = await unlessMissing(sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuning })));
    return jobs.find((j) => j.TrainingJobName === t?.BestTrainingJob?.TrainingJobName);
  }
}

async function listSteps(sm: SageMakerClient, arn: string): Promise<PipelineExecutionStep[]> {
  const steps: PipelineExecutionStep[] = [];
  let token: string | undefined;
  do {
    const page = await sm.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn, SortOrder: 'Descending', MaxResults: 100, NextToken: token }));
    steps.push(...(page.PipelineExecutionSteps ?? []));
    token = page.NextToken;
  } while (token);
  return steps;
}

function finalMetrics(job: DescribeTrainingJobCommandOutput): Record<string, number> {
  return Object.fromEntries((job.FinalMetricDataList ?? []).filter((m) => m.MetricName && m.Value !== undefined).map((m) => [m.MetricName!, m.Value!]));
}

/**
 * Each gate's verdict from the run's metrics. SageMaker's condition says whether all held; when
 * it says they did not, the gates whose values we read as passing are still shown as passing.
 */
function gateVerdicts(model: ModelPlan, metrics: Record<string, number>, allPassed: boolean): GateVerdict[] {
  return model.registry.gates.map((gate) => {
    const value = metrics[gate.metric];
    const passed = allPassed || (value !== undefined && gatePasses(gate, value) && model.registry.gates.length > 1);
    return { gate: `registry.gates.${gate.metric}`, passed, value, text: `${gate.metric} ${gate.op} ${gate.threshold}`, agrees: value === undefined || gatePasses(gate, value) === passed };
  });
}

const elapsed = (from: Date, to: Date | undefined) => (to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : 0);
const round2 = (n: number) => Math.round(n * 100) / 100;

/** The training capability of the provider contract (lib/providers/contract.ts); the dry run calls nothing. */
export const trainingCapability = {
  dryRun: (model: ModelPlan, sets: Record<string, string>) => new SageMakerTrainingRunner({ clients: sageMakerClientFor }).dryRun(model, sets),
  runner: (options: SageMakerRunnerOptions) => new SageMakerTrainingRunner(options),
} satisfies TrainingCapability;
