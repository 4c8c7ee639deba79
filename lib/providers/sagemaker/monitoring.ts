import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateProcessingJobCommand,
  DescribeMonitoringScheduleCommand,
  DescribeProcessingJobCommand,
  ListMonitoringExecutionsCommand,
  type CreateProcessingJobCommandInput,
  type DescribeProcessingJobCommandOutput,
  type MonitoringExecutionSummary,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { createHash } from 'node:crypto';
import type { MonitorReport, MonitorRun, MonitorViolation } from '../../promote/live';
import { isMissing } from './missing';

/**
 * Drift monitoring on SageMaker (`serving.monitoring`): SageMaker Model Monitor's data-quality
 * monitor, declared by constructs/sagemaker/monitoring.ts, and what mlspec runs itself:
 *
 * - **The baseline** (custom resource Kind `MonitoringBaseline`, behind the CDK Provider framework:
 *   lib/handlers/sagemaker.ts `onStagedEvent` / `isStagedComplete`). SageMaker compares each run's
 *   captured traffic with a baseline's statistics and constraints, which a baselining processing job
 *   of the analyzer image computes from the training data. onEvent starts that job (once: its name
 *   is derived from its inputs, so a retried Create finds it), isComplete waits for it, then writes
 *   the spec's thresholds into a copy of the suggested constraints and answers both files' URIs.
 *   Deleting the resource deletes nothing: the baseline files stay with the capture bucket.
 * - **The live report** (`readMonitor`, for `mlspec status` and `promotion.cleanSoak`): the schedule's
 *   status and its executions, with the violations of each run that completed with violations.
 *
 * What the analyzer takes and writes is SageMaker's documented container contract (Model Monitor
 * guide: "Schema for Constraints", "Schema for Violations", "CloudWatch Metrics") and the SageMaker
 * Python SDK's DefaultModelMonitor.suggest_baseline (model_monitoring.py, master-v2), whose
 * environment this job sets the same way.
 *
 * ## What the construct sends (Kind MonitoringBaseline)
 *
 * ```
 * Kind:       'MonitoringBaseline'
 * JobName:    'acme-fraud-staging-0123456789'   <endpoint, cut to 49>-<hash of Job>; a Failed or
 *                                               Stopped job of that name is retried as <name>-2, -3, ...
 * Job:        '{"BaselineUri":"s3://acme-data/fraud/train/","OutputUri":"s3://<capture bucket>/monitoring/baseline",
 *              "RoleArn":"...","ImageUri":"...","KmsKeyId":"...","InstanceType":"ml.m5.xlarge","VolumeSizeInGB":20,
 *              "MaxRuntimeInSeconds":3000,"DatasetFormat":{"csv":{"header":true,"output_columns_position":"START"}}}'
 * Thresholds: '{"default":0.3,"features":{"amount":0.2}}'
 * ```
 *
 * Data (for the job definition's DataQualityBaselineConfig): `JobName` (the attempt that ran),
 * `StatisticsUri` (`<output>/statistics.json`) and `ConstraintsUri`
 * (`<output>/mlspec-constraints-<hash of the thresholds>.json`).
 *
 * IAM of the handler role: sagemaker:CreateProcessingJob and DescribeProcessingJob on
 * `processing-job/<project>-*`, iam:PassRole of `role/<project>-*-monitor` to SageMaker, kms:CreateGrant
 * and DescribeKey on the project's keys (constructs/handlers-stack.ts); s3:GetObject and PutObject
 * below `monitoring/baseline/` of the capture bucket, and the key's use through S3, are granted by
 * the model stack's bucket and key policies (constructs/sagemaker/monitoring.ts).
 */

// Names, the analyzer image and the custom resource's shapes: SDK-free, for the construct (./monitor-names.ts).
export { monitorNames, modelMonitorImage, type BaselineJob, type DriftThresholds } from './monitor-names';
import type { BaselineJob, DriftThresholds } from './monitor-names';

/** Properties of the custom resource (CloudFormation hands every value over as a string). */
export interface MonitoringBaselineProperties {
  readonly Kind: 'MonitoringBaseline';
  readonly JobName: string;
  /** BaselineJob, JSON. */
  readonly Job: string;
  /** DriftThresholds, JSON. */
  readonly Thresholds: string;
}

/** The container's paths, as the SDK's suggest_baseline mounts them. */
const CONTAINER_INPUT = '/opt/ml/processing/input/baseline_dataset_input';
const CONTAINER_OUTPUT = '/opt/ml/processing/output';
/** How many attempts of one baseline a stack may make before it stops retrying failed jobs. */
export const MAX_BASELINE_ATTEMPTS = 10;

/** The name of attempt `n` (1-based) of a baseline job. */
export function attemptName(jobName: string, n: number): string {
  return n === 1 ? jobName : `${jobName}-${n}`;
}

/**
 * CreateProcessingJob for one attempt: the analyzer image with the environment of the SDK's
 * suggest_baseline (dataset_format, dataset_source, output_path, publish_cloudwatch_metrics
 * Disabled: "Only supported for monitoring schedules"), the training data as input, the output and
 * volume encrypted with the model's key, traffic between instances encrypted.
 */
export function baselineJobRequest(name: string, job: BaselineJob): CreateProcessingJobCommandInput {
  return {
    ProcessingJobName: name,
    RoleArn: job.RoleArn,
    AppSpecification: { ImageUri: job.ImageUri },
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: job.InstanceType as never, VolumeSizeInGB: job.VolumeSizeInGB, VolumeKmsKeyId: job.KmsKeyId } },
    ProcessingInputs: [{
      InputName: 'baseline_dataset_input',
      S3Input: { S3Uri: job.BaselineUri, LocalPath: CONTAINER_INPUT, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
    }],
    ProcessingOutputConfig: {
      Outputs: [{ OutputName: 'monitoring_output', S3Output: { S3Uri: outputOf(job, name), LocalPath: CONTAINER_OUTPUT, S3UploadMode: 'EndOfJob' } }],
      KmsKeyId: job.KmsKeyId,
    },
    StoppingCondition: { MaxRuntimeInSeconds: job.MaxRuntimeInSeconds },
    Environment: {
      dataset_format: JSON.stringify(job.DatasetFormat),
      dataset_source: CONTAINER_INPUT,
      output_path: CONTAINER_OUTPUT,
      publish_cloudwatch_metrics: 'Disabled',
    },
    NetworkConfig: { EnableInterContainerTrafficEncryption: true },
  };
}

const outputOf = (job: BaselineJob, name: string) => `${job.OutputUri.replace(/\/+$/, '')}/${name}`;

/** A job's status and reason, or undefined when SageMaker has no job of that name. */
async function describeJob(sm: SageMakerClient, name: string): Promise<DescribeProcessingJobCommandOutput | undefined> {
  try {
    return await sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFound' || isMissing(e)) return undefined;
    throw e;
  }
}

/**
 * Starts the baseline job unless an attempt already runs or ran: the first attempt whose job is
 * missing is started, one in progress or completed is taken as it is, failed and stopped ones
 * (an earlier deploy's) are passed over. So a retried Create starts nothing, and a deploy after a
 * failed baseline tries again.
 */
export async function ensureBaselineJob(sm: SageMakerClient, jobName: string, job: BaselineJob): Promise<{ name: string; outcome: 'started' | 'running' | 'completed' }> {
  let lastFailure = '';
  for (let n = 1; n <= MAX_BASELINE_ATTEMPTS; n++) {
    const name = attemptName(jobName, n);
    const found = await describeJob(sm, name);
    if (!found) {
      try {
        await sm.send(new CreateProcessingJobCommand(baselineJobRequest(name, job)));
      } catch (e) {
        // A concurrent retry of the same event started it between the look and the create.
        if ((e as Error).name !== 'ResourceInUse') throw e;
      }
      return { name, outcome: 'started' };
    }
    const status = found.ProcessingJobStatus;
    if (status === 'Completed') return { name, outcome: 'completed' };
    if (status === 'InProgress' || status === 'Stopping') return { name, outcome: 'running' };
    lastFailure = `${name} ${status}: ${found.FailureReason ?? found.ExitMessage ?? 'no reason given'}`;
  }
  throw new Error(`${MAX_BASELINE_ATTEMPTS} baselining jobs of ${jobName} failed or were stopped (the last: ${lastFailure}); SageMaker keeps job names, so fix the cause (the training data at ${job.BaselineUri}, its format, the monitoring role's access) and give the baseline another location to start anew`);
}

/** A baselining job that failed or stopped: the deploy fails with SageMaker's reason. */
export class BaselineJobError extends Error {}

/** A thresholds problem the deploy cannot fix by waiting. */
export class BaselineThresholdError extends Error {}

export type BaselineProgress =
  | { readonly done: false; readonly status: string }
  | { readonly done: true; readonly statisticsUri: string; readonly constraintsUri: string; readonly features: string[] };

/**
 * One look at the baseline job. Done: the suggested constraints with the spec's thresholds written
 * to their own file beside them (named after the thresholds, so rewriting it is harmless).
 */
export async function lookAtBaseline(clients: { sagemaker: SageMakerClient; s3: S3Client }, name: string, job: BaselineJob, thresholds: DriftThresholds): Promise<BaselineProgress> {
  const found = await describeJob(clients.sagemaker, name);
  if (!found) throw new BaselineJobError(`baselining job ${name} is not in SageMaker (it was started by this deploy's first event); deploy again to start it anew`);
  const status = found.ProcessingJobStatus ?? 'unknown';
  if (status === 'Failed' || status === 'Stopped') {
    throw new BaselineJobError(`baselining job ${name} ${status === 'Failed' ? 'failed' : 'was stopped'}: ${found.FailureReason ?? found.ExitMessage ?? 'SageMaker gave no reason'}`);
  }
  if (status !== 'Completed') return { done: false, status };
  const output = outputOf(job, name);
  const suggested = await readJson(clients.s3, `${output}/constraints.json`);
  const { constraints, unknown, features } = applyThresholds(suggested, thresholds);
  if (unknown.length > 0) {
    throw new BaselineThresholdError(`monitoring.drift.features names ${unknown.join(', ')}, which the baseline of ${job.BaselineUri} does not have (its features: ${features.join(', ') || 'none'}); name columns of the training data`);
  }
  const constraintsUri = `${output}/mlspec-constraints-${hashOf(thresholds).slice(0, 10)}.json`;
  const { bucket, key } = parseS3(constraintsUri);
  await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(constraints, null, 2), ContentType: 'application/json' }));
  return { done: true, statisticsUri: `${output}/statistics.json`, constraintsUri, features };
}

/**
 * The suggested constraints with the spec's thresholds (Model Monitor guide, "Schema for
 * Constraints"): `monitoring_config.distribution_constraints.comparison_threshold` (numerical) and
 * `categorical_comparison_threshold` (categorical, which otherwise defaults to the former) take the
 * default; a feature with its own threshold gets both in its `monitoringConfigOverrides`. Comparison
 * and metrics are switched on: the alarms watch the metrics.
 */
export function applyThresholds(suggested: unknown, thresholds: DriftThresholds): { constraints: Record<string, any>; unknown: string[]; features: string[] } {
  const c = structuredClone((suggested ?? {}) as Record<string, any>);
  const config = (c.monitoring_config ??= {});
  config.evaluate_constraints = 'Enabled';
  config.emit_metrics = 'Enabled';
  const distribution = (config.distribution_constraints ??= {});
  distribution.perform_comparison = 'Enabled';
  distribution.comparison_threshold = thresholds.default;
  distribution.categorical_comparison_threshold = thresholds.default;
  const features: string[] = [];
  for (const f of (Array.isArray(c.features) ? c.features : []) as Array<Record<string, any>>) {
    features.push(String(f.name));
    const own = thresholds.features[f.name];
    if (own === undefined) continue;
    const overrides = (f.monitoringConfigOverrides ??= {});
    overrides.distribution_constraints = { ...(overrides.distribution_constraints ?? {}), comparison_threshold: own, categorical_comparison_threshold: own };
  }
  const unknown = Object.keys(thresholds.features).filter((name) => !features.includes(name));
  return { constraints: c, unknown, features };
}

// ------------------------------------------------------------------ the live report

const SIGNALS: Record<string, string> = { baseline_drift_check: 'data drift' };

/**
 * The schedule's status and its runs since `since` (all SageMaker keeps when absent), newest first;
 * undefined when the schedule does not exist. A run that completed with violations carries those of
 * its `constraint_violations.json` (in the run's output, as DescribeProcessingJob gives it); one
 * that cannot be read fails the report, so a gate reading it fails closed.
 */
export async function readMonitor(clients: { sagemaker: SageMakerClient; s3: S3Client }, schedule: string, since?: Date): Promise<MonitorReport | undefined> {
  let described;
  try {
    described = await clients.sagemaker.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: schedule }));
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFound' || isMissing(e)) return undefined;
    throw e;
  }
  const executions: MonitoringExecutionSummary[] = [];
  let token: string | undefined;
  do {
    const page = await clients.sagemaker.send(new ListMonitoringExecutionsCommand({
      MonitoringScheduleName: schedule,
      SortBy: 'ScheduledTime',
      SortOrder: 'Descending',
      MaxResults: 100,
      NextToken: token,
      ...(since ? { ScheduledTimeAfter: since } : {}),
    }));
    executions.push(...(page.MonitoringExecutionSummaries ?? []));
    token = page.NextToken;
  } while (token);
  const runs: MonitorRun[] = [];
  for (const e of executions) {
    const status = e.MonitoringExecutionStatus ?? 'unknown';
    const at = e.ScheduledTime ?? e.CreationTime ?? new Date(0);
    const violations = status === 'CompletedWithViolations' ? await violationsOf(clients, schedule, e, at) : [];
    runs.push({ at, status, violations });
  }
  return { monitor: schedule, state: described.MonitoringScheduleStatus ?? 'unknown', runs };
}

async function violationsOf(clients: { sagemaker: SageMakerClient; s3: S3Client }, schedule: string, e: MonitoringExecutionSummary, at: Date): Promise<MonitorViolation[]> {
  const run = `${schedule}: the run of ${at.toISOString()} completed with violations`;
  const job = e.ProcessingJobArn?.split('/').pop();
  if (!job) throw new Error(`${run}, and SageMaker names no processing job for it`);
  const described = await clients.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: job }));
  const output = described.ProcessingOutputConfig?.Outputs?.find((o) => o.S3Output?.S3Uri)?.S3Output?.S3Uri;
  if (!output) throw new Error(`${run}, and its processing job ${job} has no S3 output`);
  const uri = `${output.replace(/\/+$/, '')}/constraint_violations.json`;
  let body: unknown;
  try {
    body = await readJson(clients.s3, uri);
  } catch (err) {
    throw new Error(`${run}, but ${uri} could not be read: ${(err as Error).message}`);
  }
  const list = (body as { violations?: unknown })?.violations;
  if (!Array.isArray(list)) throw new Error(`${run}, but ${uri} holds no "violations" list`);
  return list.map((v: Record<string, unknown>) => ({
    signal: SIGNALS[String(v.constraint_check_type)] ?? String(v.constraint_check_type ?? 'violation'),
    ...(v.feature_name !== undefined ? { feature: String(v.feature_name) } : {}),
    ...(v.description !== undefined ? { detail: String(v.description) } : {}),
  }));
}

// ------------------------------------------------------------------ S3

export function parseS3(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3://bucket/key URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
}

async function readJson(s3: S3Client, uri: string): Promise<unknown> {
  const { bucket, key } = parseS3(uri);
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await out.Body!.transformToString();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${uri} is not JSON`);
  }
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
