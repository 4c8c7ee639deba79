import type { protos, v1 } from '@google-cloud/aiplatform';
import type { VertexModelPlan } from '../../plan/types';
import { VERTEX_BASELINE_FORMATS } from '../../spec/monitoring';
import type { MonitorReport, MonitorRun, MonitorViolation } from '../../promote/live';
import { ProviderError, type Call, type Target } from '../contract';
import { finish, vertexParent, type VertexClients } from './clients';
import { labelValue } from './training';

/**
 * The model's drift monitor on Vertex AI: one ModelDeploymentMonitoringJob (JobService, v1) on the
 * model's endpoint, built from the plan's `serving.monitoring`, reconciled at the end of the
 * serving reconcile (serving.ts) and read back for `mlspec status` and `promotion.cleanSoak`
 * (live.ts). Field names and rules are those of the protos shipped in @google-cloud/aiplatform
 * (build/protos/google/cloud/aiplatform/v1/):
 *
 * - model_deployment_monitoring_job.proto: the job; display_name, endpoint,
 *   model_deployment_monitoring_objective_configs ("a per DeployedModel config. Each DeployedModel
 *   needs to be configured separately"), model_deployment_monitoring_schedule_config.monitor_interval
 *   ("rounded up to next full hour") and logging_sampling_strategy are REQUIRED.
 * - model_monitoring.proto: the objective config. training_dataset "has to be set only if
 *   TrainingPredictionSkewDetectionConfig is specified"; its data_format is "only applicable if the
 *   input is from Google Cloud Storage", one of "tf-record", "csv", "jsonl". skew_thresholds /
 *   drift_thresholds per feature and default_skew_threshold / default_drift_threshold ("used by all
 *   features. When the per-feature thresholds are not set"). SamplingStrategy.random_sample_config
 *   .sample_rate is "(0, 1]".
 * - endpoint.proto Endpoint.model_deployment_monitoring_job: "Resource name of the Model Monitoring
 *   job associated with this Endpoint": one job per endpoint, which is how the job is found.
 * - job_service.proto UpdateModelDeploymentMonitoringJobRequest.update_mask: the updatable paths,
 *   and for the objective configs "either ... model_deployment_monitoring_objective_configs or any
 *   combination of its nested fields" (training_dataset, training_prediction_skew_detection_config,
 *   prediction_drift_detection_config). job_state.proto JOB_STATE_UPDATING: "Only jobs in the
 *   RUNNING state can be updated"; a new job is PENDING until created, then RUNNING
 *   (ModelDeploymentMonitoringJob.state).
 *
 * Vertex also locks the endpoint's request-response logging (mlspec's data capture) while a
 * monitoring job is on it ("Request-response logging and Model Monitoring v1",
 * https://cloud.google.com/vertex-ai/docs/predictions/online-prediction-logging): serving.ts leaves
 * the logging alone then, and the job's own sampling rate carries dataCapture.percent.
 */

type IJob = protos.google.cloud.aiplatform.v1.IModelDeploymentMonitoringJob;
type IEndpoint = protos.google.cloud.aiplatform.v1.IEndpoint;
type IObjectiveConfig = protos.google.cloud.aiplatform.v1.IModelMonitoringObjectiveConfig;
type ITrainingDataset = protos.google.cloud.aiplatform.v1.ModelMonitoringObjectiveConfig.ITrainingDataset;
type IThresholdConfig = protos.google.cloud.aiplatform.v1.IThresholdConfig;
type IStatsAnomalies = protos.google.cloud.aiplatform.v1.IModelMonitoringStatsAnomalies;
type ITimestamp = protos.google.protobuf.ITimestamp;

/** `<endpointDisplayName>-monitor`: the job's display name, by which mlspec knows its own. */
export const monitorDisplayName = (plan: VertexModelPlan) => `${plan.serving!.endpointDisplayName}-monitor`;

/** How long a reconcile waits for a PENDING or UPDATING job to run before it updates it. */
export interface MonitoringWait {
  /** @default 30 */
  readonly polls?: number;
  /** @default 10000 */
  readonly intervalMs?: number;
}

// ------------------------------------------------------------------ the client

/** The JobService client a monitoring reconcile or read uses, and how to let it go. */
export interface MonitoringJobClient {
  readonly jobs: v1.JobServiceClient;
  close(): Promise<void>;
}

/**
 * A JobServiceClient with the same endpoint, port, channel credentials and auth as the given
 * clients: their own `jobs` when they carry one, else one made from the EndpointServiceClient's
 * options (gax keeps them on the client), closed by `close()`. VertexClients (clients.ts) holds
 * the Model and Endpoint clients only; see docs/vertex.md.
 */
export function monitoringJobClient(clients: VertexClients): MonitoringJobClient {
  // The reconcile's own JobServiceClient, which closeVertexClients closes with the others.
  return { jobs: clients.jobs, close: async () => undefined };
}

// ------------------------------------------------------------------ the job the plan asks for


/**
 * The baseline as TrainingDataset: `bq://project.dataset.table` → bigquery_source; `gs://...` →
 * gcs_source with data_format from the file extension (a wildcard such as `gs://b/train/*.csv`
 * names several files: GcsSource.uris "May contain wildcards"). A Cloud Storage URI whose
 * extension names no format (a folder) cannot be read: `problem` says why.
 */
export function vertexTrainingDataset(uri: string): { dataset: ITrainingDataset } | { problem: string } {
  if (uri.startsWith('bq://')) return { dataset: { bigquerySource: { inputUri: uri } } };
  if (uri.startsWith('gs://')) {
    const format = VERTEX_BASELINE_FORMATS.find(([ext]) => ext.test(uri))?.[1];
    if (format) return { dataset: { gcsSource: { uris: [uri] }, dataFormat: format } };
    return {
      problem: `the monitoring baseline ${uri} does not name its format: Vertex reads a Cloud Storage baseline as CSV, JSONL or TFRecord files; end monitoring.baseline.vertex with .csv, .jsonl or .tfrecord (a wildcard such as gs://bucket/train/*.csv names several files), or give a BigQuery table (bq://project.dataset.table)`,
    };
  }
  return { problem: `the monitoring baseline ${uri} is neither a gs:// nor a bq:// URI` };
}

const thresholds = (features: Record<string, number>): Record<string, IThresholdConfig> =>
  Object.fromEntries(Object.keys(features).sort().map((f) => [f, { value: features[f] }]));

/** One deployed model's objectives: skew against the baseline and drift between windows, with the same thresholds. */
function objectiveConfig(plan: VertexModelPlan, dataset: ITrainingDataset): IObjectiveConfig {
  const m = plan.serving!.monitoring!;
  return {
    trainingDataset: dataset,
    trainingPredictionSkewDetectionConfig: { skewThresholds: thresholds(m.featureThresholds), defaultSkewThreshold: { value: m.driftThreshold } },
    predictionDriftDetectionConfig: { driftThresholds: thresholds(m.featureThresholds), defaultDriftThreshold: { value: m.driftThreshold } },
  };
}

/**
 * The ModelDeploymentMonitoringJob the plan asks for on `endpointName`, with one objective config
 * per deployed model (`deployedModelIds`: display name → id, as the endpoint serves them now).
 */
export function vertexMonitoringJob(plan: VertexModelPlan, target: Target, endpointName: string, deployedModelIds: Record<string, string>): IJob {
  const m = plan.serving?.monitoring;
  if (!m) throw new Error(`internal: ${target.model} has no monitoring on vertex in ${target.environment}`);
  if (m.intervalHours === undefined) throw new Error(`internal: the vertex monitor of ${target.model} in ${target.environment} has no interval (schedule ${m.schedule} passed validation)`);
  const dataset = vertexTrainingDataset(m.baselineUri);
  if ('problem' in dataset) throw ProviderError.about('vertex', target, dataset.problem);
  const ids = [...new Set(Object.values(deployedModelIds))].sort();
  return {
    displayName: monitorDisplayName(plan),
    endpoint: endpointName,
    labels: { 'managed-by': 'mlspec', 'mlspec-model': labelValue(target.model), 'mlspec-environment': labelValue(target.environment) },
    modelDeploymentMonitoringObjectiveConfigs: ids.map((id) => ({ deployedModelId: id, objectiveConfig: objectiveConfig(plan, dataset.dataset) })),
    modelDeploymentMonitoringScheduleConfig: { monitorInterval: { seconds: m.intervalHours * 3600 } },
    loggingSamplingStrategy: { randomSampleConfig: { sampleRate: m.samplingPercent / 100 } },
    modelMonitoringAlertConfig: { emailAlertConfig: { userEmails: [...m.alertEmails] } },
  };
}

// ------------------------------------------------------------------ what differs

const OBJECTIVES = 'model_deployment_monitoring_objective_configs';
const NESTED = {
  trainingDataset: `${OBJECTIVES}.objective_config.training_dataset`,
  skew: `${OBJECTIVES}.objective_config.training_prediction_skew_detection_config`,
  drift: `${OBJECTIVES}.objective_config.prediction_drift_detection_config`,
} as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const num = (v: unknown) => Number(v ?? 0);

function datasetKey(d: ITrainingDataset | null | undefined): unknown {
  if (!d) return null;
  if (d.bigquerySource) return { bq: d.bigquerySource.inputUri ?? '' };
  if (d.gcsSource) return { gcs: [...(d.gcsSource.uris ?? [])], format: d.dataFormat ?? '' };
  return { dataset: d.dataset ?? '' };
}

function thresholdKey(map: Record<string, IThresholdConfig> | null | undefined, fallback: IThresholdConfig | null | undefined): unknown {
  const entries = Object.entries(map ?? {})
    .map(([f, t]) => [f, num(t?.value)] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return { features: entries, default: fallback ? num(fallback.value) : null };
}

/**
 * The update mask (paths relative to the job) that brings `live` to `want`; empty when nothing
 * differs. A change of the deployed models replaces the objective configs as a whole; with the same
 * deployed models only the nested objective fields that differ are named (job_service.proto allows
 * one or the other).
 */
export function monitoringJobChanges(live: IJob, want: IJob): string[] {
  const paths: string[] = [];
  const liveLabels = live.labels ?? {};
  if (Object.entries(want.labels ?? {}).some(([k, v]) => liveLabels[k] !== v)) paths.push('labels');
  if (num(live.modelDeploymentMonitoringScheduleConfig?.monitorInterval?.seconds) !== num(want.modelDeploymentMonitoringScheduleConfig?.monitorInterval?.seconds)) {
    paths.push('model_deployment_monitoring_schedule_config');
  }
  if (num(live.loggingSamplingStrategy?.randomSampleConfig?.sampleRate) !== num(want.loggingSamplingStrategy?.randomSampleConfig?.sampleRate)) paths.push('logging_sampling_strategy');
  if (!same(live.modelMonitoringAlertConfig?.emailAlertConfig?.userEmails ?? [], want.modelMonitoringAlertConfig?.emailAlertConfig?.userEmails ?? [])) paths.push('model_monitoring_alert_config');

  const byId = (job: IJob) => new Map((job.modelDeploymentMonitoringObjectiveConfigs ?? []).map((c) => [c.deployedModelId ?? '', c.objectiveConfig ?? {}]));
  const [have, wanted] = [byId(live), byId(want)];
  if (have.size !== wanted.size || [...wanted.keys()].some((id) => !have.has(id))) {
    paths.push(OBJECTIVES);
    return paths;
  }
  const nested = new Set<string>();
  for (const [id, w] of wanted) {
    const h = have.get(id)!;
    if (!same(datasetKey(h.trainingDataset), datasetKey(w.trainingDataset))) nested.add(NESTED.trainingDataset);
    const [hs, ws] = [h.trainingPredictionSkewDetectionConfig, w.trainingPredictionSkewDetectionConfig];
    if (!same(thresholdKey(hs?.skewThresholds, hs?.defaultSkewThreshold), thresholdKey(ws?.skewThresholds, ws?.defaultSkewThreshold))) nested.add(NESTED.skew);
    const [hd, wd] = [h.predictionDriftDetectionConfig, w.predictionDriftDetectionConfig];
    if (!same(thresholdKey(hd?.driftThresholds, hd?.defaultDriftThreshold), thresholdKey(wd?.driftThresholds, wd?.defaultDriftThreshold))) nested.add(NESTED.drift);
  }
  return [...paths, ...Object.values(NESTED).filter((p) => nested.has(p))];
}

/** mlspec's own job: its display name on this endpoint, and the `managed-by: mlspec` label. */
function isOurs(job: IJob, plan: VertexModelPlan): boolean {
  return job.displayName === monitorDisplayName(plan) && job.labels?.['managed-by'] === 'mlspec';
}

const NOT_FOUND = 5;
const isNotFound = (e: unknown) => (e as { code?: number }).code === NOT_FOUND || /\bNOT_FOUND\b|is not found/.test(String((e as Error).message));

// ------------------------------------------------------------------ reconcile

/**
 * The monitor as one reconcile finds it, before the endpoint changes: the job the endpoint names
 * (read once), a client made only when needed. `open` deletes mlspec's job when the plan no longer
 * monitors (before any change of the endpoint's logging, which the job locks), and refuses an
 * endpoint that holds someone else's job when the plan monitors. `reconcile` then creates or
 * updates the job for the deployed models the endpoint serves after the run.
 */
export class VertexMonitor {
  private client?: MonitoringJobClient;

  private constructor(
    private readonly plan: VertexModelPlan,
    private readonly target: Target,
    private readonly clients: VertexClients,
    private readonly call: Call,
    /** The job on the endpoint, as read at `open` (undefined when none, or deleted by it). */
    private job: IJob | undefined,
  ) {}

  /** What the plan asks of the monitor that Vertex would refuse, found before anything changes (a baseline Vertex cannot read). */
  static check(plan: VertexModelPlan, target: Target): void {
    const m = plan.serving?.monitoring;
    if (!m) return;
    const dataset = vertexTrainingDataset(m.baselineUri);
    if ('problem' in dataset) throw ProviderError.about('vertex', target, dataset.problem);
  }

  /** Reads the endpoint's job; deletes mlspec's when the plan has no monitoring; refuses a job mlspec did not make when it does. */
  static async open(plan: VertexModelPlan, target: Target, clients: VertexClients, endpoint: IEndpoint | undefined, call: Call): Promise<VertexMonitor> {
    const monitor = new VertexMonitor(plan, target, clients, call, undefined);
    const attached = endpoint?.modelDeploymentMonitoringJob || undefined;
    if (!attached) return monitor;
    try {
      monitor.job = await monitor.get(attached);
      if (!monitor.job) return monitor;
      const wanted = Boolean(plan.serving?.monitoring);
      if (!wanted && isOurs(monitor.job, plan)) {
        await deleteJob(monitor.jobs(), monitor.job.name!, call, target);
        monitor.job = undefined;
      } else if (wanted && !isOurs(monitor.job, plan)) {
        throw ProviderError.about(
          'vertex',
          target,
          `endpoint ${plan.serving!.endpointDisplayName} already has monitoring job ${monitor.job.name} ("${monitor.job.displayName}"), which mlspec did not make; Vertex keeps one monitoring job per endpoint: delete that job (gcloud ai model-monitoring-jobs delete), or remove serving.monitoring`,
        );
      }
      return monitor;
    } catch (e) {
      await monitor.close();
      throw e;
    }
  }

  /** A monitoring job stays on the endpoint, so Vertex refuses changes of its request-response logging. */
  get locksLogging(): boolean {
    return this.job !== undefined;
  }

  /**
   * Creates the plan's job when the endpoint has none, or updates what differs in one call; writes
   * nothing when it matches. `deployedModelIds` are the deployed models the endpoint serves now.
   * Returns the job's name (undefined when the plan does not monitor).
   */
  async reconcile(endpointName: string, deployedModelIds: Record<string, string>, wait: MonitoringWait = {}): Promise<string | undefined> {
    const { plan, target, call } = this;
    if (!plan.serving?.monitoring) return undefined;
    const endpointShown = plan.serving.endpointDisplayName;
    if (Object.keys(deployedModelIds).length === 0) {
      // model_deployment_monitoring_job.proto: the objective configs are REQUIRED, one per deployed model; Vertex refuses an
      // empty list ("model_deployment_monitoring_objective_configs is empty", googleapis/python-aiplatform#2361).
      throw ProviderError.about('vertex', target, `Vertex monitors the models deployed on an endpoint, and ${endpointShown} has none deployed; the monitor is created with the first version that serves`);
    }
    const want = vertexMonitoringJob(plan, target, endpointName, deployedModelIds);
    // The endpoint names its job; a job this deploy made a moment ago may not show there yet, so look for it by name too.
    this.job ??= await this.findByDisplayName(endpointName);
    if (!this.job) {
      const [created] = await call('create monitoring job', () => this.jobs().createModelDeploymentMonitoringJob({ parent: vertexParent(plan), modelDeploymentMonitoringJob: want }));
      this.job = created as IJob;
      return this.job.name ?? undefined;
    }
    const paths = monitoringJobChanges(this.job, want);
    if (paths.length === 0) return this.job.name ?? undefined;
    const running = await this.untilRunning(this.job, wait);
    const body: IJob = { ...want, name: running.name, labels: { ...(running.labels ?? {}), ...want.labels } };
    const [op] = await call('update monitoring job', () => this.jobs().updateModelDeploymentMonitoringJob({ modelDeploymentMonitoringJob: body, updateMask: { paths } }));
    const [updated] = await finish(op, 'update monitoring job', target);
    this.job = (updated as IJob | undefined) ?? running;
    return running.name ?? undefined;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  private jobs(): v1.JobServiceClient {
    this.client ??= monitoringJobClient(this.clients);
    return this.client.jobs;
  }

  private async get(name: string): Promise<IJob | undefined> {
    try {
      const [job] = await this.call('get monitoring job', () => this.jobs().getModelDeploymentMonitoringJob({ name }));
      return job as IJob;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async findByDisplayName(endpointName: string): Promise<IJob | undefined> {
    const filter = `display_name="${monitorDisplayName(this.plan)}"`;
    const [jobs] = await this.call('list monitoring jobs', () => this.jobs().listModelDeploymentMonitoringJobs({ parent: vertexParent(this.plan), filter }, { autoPaginate: false }));
    return (jobs as IJob[]).find((j) => j.endpoint === endpointName && isOurs(j, this.plan));
  }

  /** job_state.proto: only a RUNNING job can be updated; a new (PENDING) or updating job is waited for, a bounded number of looks. */
  private async untilRunning(job: IJob, wait: MonitoringWait): Promise<IJob> {
    const { target } = this;
    const polls = wait.polls ?? 30;
    const interval = wait.intervalMs ?? 10_000;
    let current = job;
    for (let look = 0; WAITING.has(String(current.state)) && look < polls; look++) {
      await new Promise((r) => setTimeout(r, interval));
      current = (await this.get(job.name!)) ?? current;
    }
    const state = String(current.state);
    if (state === 'JOB_STATE_RUNNING') return current;
    if (WAITING.has(state)) {
      throw ProviderError.about('vertex', target, `monitoring job ${job.name} is still ${state} after ${Math.round((polls * interval) / 1000)}s, and Vertex updates only a running job; deploy again once it runs`);
    }
    if (state === 'JOB_STATE_PAUSED') {
      throw ProviderError.about('vertex', target, `monitoring job ${job.name} is paused, and Vertex updates only a running job; resume it (gcloud ai model-monitoring-jobs resume ${job.name}), then deploy again`);
    }
    const why = current.error?.message ? `: ${current.error.message}` : '';
    throw ProviderError.about('vertex', target, `monitoring job ${job.name} is ${state}${why}; Vertex updates only a running job: delete it (gcloud ai model-monitoring-jobs delete ${job.name}) and deploy again to make a new one`);
  }
}

/** States a job leaves by itself for RUNNING (job_state.proto; ModelDeploymentMonitoringJob.state: "PENDING" while creating). */
const WAITING = new Set(['JOB_STATE_PENDING', 'JOB_STATE_QUEUED', 'JOB_STATE_UPDATING']);

async function deleteJob(jobs: v1.JobServiceClient, name: string, call: Call, target: Target): Promise<void> {
  let op: unknown;
  try {
    [op] = await call('delete monitoring job', () => jobs.deleteModelDeploymentMonitoringJob({ name }));
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  await finish(op, 'delete monitoring job', target);
}

/** Brings the endpoint's monitor to the plan in one go (open, reconcile, close): the last step of a staged rollout uses it. */
export async function syncVertexMonitoring(plan: VertexModelPlan, target: Target, clients: VertexClients, endpoint: IEndpoint, deployedModelIds: Record<string, string>, call: Call, wait?: MonitoringWait): Promise<string | undefined> {
  if (!plan.serving?.monitoring && !endpoint.modelDeploymentMonitoringJob) return undefined;
  const monitor = await VertexMonitor.open(plan, target, clients, endpoint, call);
  try {
    return await monitor.reconcile(endpoint.name!, deployedModelIds, wait);
  } finally {
    await monitor.close();
  }
}

/** Deletes whatever monitoring job the endpoint holds (the endpoint is going); a job already gone is success. */
export async function deleteVertexMonitoring(clients: VertexClients, endpoint: IEndpoint, call: Call, target: Target): Promise<void> {
  const name = endpoint.modelDeploymentMonitoringJob;
  if (!name) return;
  const client = monitoringJobClient(clients);
  try {
    await deleteJob(client.jobs, name, call, target);
  } finally {
    await client.close();
  }
}

// ------------------------------------------------------------------ reading it back

/**
 * Vertex's objectives in the words SageMaker and Azure ML use: skew compares the served inputs with
 * the training data, as their "data drift" does; Vertex's own "prediction drift" is input drift
 * between windows of traffic, not drift of the model's outputs (Azure ML's "prediction drift").
 */
const SIGNAL: Record<string, string> = {
  RAW_FEATURE_SKEW: 'data drift',
  RAW_FEATURE_DRIFT: 'data drift over time',
  FEATURE_ATTRIBUTION_SKEW: 'attribution skew',
  FEATURE_ATTRIBUTION_DRIFT: 'attribution drift',
};

const millis = (t: ITimestamp | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6) : 0);
const timestamp = (d: Date): ITimestamp => ({ seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1e6 });
const shown = (n: number) => String(Number(n.toPrecision(4)));

/**
 * The report of a job and its statistics (SearchModelDeploymentMonitoringStatsAnomalies).
 * Vertex keeps no list of runs: each run leaves, per deployed model, objective and feature, one
 * FeatureStatsAnomaly for the window it judged (feature_monitoring_stats.proto: "Timestamp of the
 * stats and anomalies always refers to end_time"), with the distribution_deviation and the
 * anomaly_detection_threshold it used. A run here is every window ending at the same time; a
 * violation is a deviation above its threshold. Only the latest run's outcome is kept by Vertex
 * (latest_monitoring_pipeline_metadata): a failed latest run is reported as a run with one
 * violation, `monitoring run failed`, so a clean soak is never read from it.
 */
export function vertexMonitorReport(job: IJob, stats: readonly IStatsAnomalies[], deployedNames: Record<string, string>, since?: Date): MonitorReport {
  const runs = new Map<number, MonitorViolation[]>();
  const from = since?.getTime() ?? -Infinity;
  for (const s of stats) {
    const signal = SIGNAL[String(s.objective)] ?? String(s.objective).toLowerCase();
    const model = deployedNames[s.deployedModelId ?? ''] ?? s.deployedModelId ?? '?';
    for (const f of s.featureStats ?? []) {
      for (const p of f.predictionStats ?? []) {
        const at = millis(p.endTime);
        if (at < from) continue;
        const found = runs.get(at) ?? [];
        runs.set(at, found);
        const threshold = num(p.anomalyDetectionThreshold) || num(f.threshold?.value);
        const deviation = num(p.distributionDeviation);
        if (threshold > 0 && deviation > threshold) {
          found.push({ signal, feature: f.featureDisplayName ?? undefined, detail: `${model}: distance ${shown(deviation)} > threshold ${shown(threshold)}` });
        }
      }
    }
  }
  const out: MonitorRun[] = [...runs].map(([at, violations]) => ({ at: new Date(at), status: violations.length ? 'anomalies' : 'no anomalies', violations }));
  const latest = job.latestMonitoringPipelineMetadata;
  const code = num(latest?.status?.code);
  const latestAt = millis(latest?.runTime);
  if (latest && code !== 0 && latestAt >= from) {
    const message = latest.status?.message || `code ${code}`;
    const failed = { signal: 'monitoring run failed', detail: message };
    const same = out.findIndex((r) => r.at.getTime() === latestAt);
    // A window whose statistics showed no anomaly but whose run failed is a failed run, not a clean one.
    if (same >= 0) out[same] = { at: out[same].at, status: out[same].violations.length ? out[same].status : 'failed', violations: [...out[same].violations, failed] };
    else out.push({ at: new Date(latestAt), status: 'failed', violations: [failed] });
  }
  out.sort((a, b) => b.at.getTime() - a.at.getTime());
  return { monitor: job.displayName ?? job.name ?? '?', state: String(job.state ?? 'JOB_STATE_UNSPECIFIED'), runs: out };
}

/**
 * The endpoint's monitor and its runs since `since` (all Vertex keeps, when absent): one Get of the
 * job, then one search per deployed model it monitors (both objectives, every page).
 */
export async function readVertexMonitor(clients: VertexClients, endpoint: IEndpoint, since?: Date): Promise<MonitorReport | undefined> {
  const name = endpoint.modelDeploymentMonitoringJob;
  if (!name) return undefined;
  const client = monitoringJobClient(clients);
  try {
    let job: IJob;
    try {
      [job] = await client.jobs.getModelDeploymentMonitoringJob({ name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const stats: IStatsAnomalies[] = [];
    for (const config of job.modelDeploymentMonitoringObjectiveConfigs ?? []) {
      const [found] = await client.jobs.searchModelDeploymentMonitoringStatsAnomalies({
        modelDeploymentMonitoringJob: name,
        deployedModelId: config.deployedModelId,
        objectives: [{ type: 'RAW_FEATURE_SKEW' }, { type: 'RAW_FEATURE_DRIFT' }],
        ...(since ? { startTime: timestamp(since) } : {}),
      });
      stats.push(...(found as IStatsAnomalies[]));
    }
    const names = Object.fromEntries((endpoint.deployedModels ?? []).map((d) => [d.id ?? '', d.displayName ?? d.id ?? '']));
    return vertexMonitorReport(job, stats, names, since);
  } finally {
    await client.close();
  }
}
