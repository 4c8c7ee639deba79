import * as grpc from '@grpc/grpc-js';
import { checkDisplayNameAndLabels, foundErrors, parseFilter, REQUIRED, type Violation } from './jobs';

/**
 * A stateful fake of Vertex AI's model deployment monitoring (JobService: Create, Get, List, Update (LRO),
 * Delete (LRO), Pause, Resume ModelDeploymentMonitoringJob and SearchModelDeploymentMonitoringStatsAnomalies),
 * served by FakeVertex on the JobService it already serves (./jobs.ts), so the real v1 JobServiceClient talks to
 * it unchanged. Jobs live on FakeVertex's endpoints: the endpoint's `model_deployment_monitoring_job` names its job.
 * Tests add the statistics a monitoring run leaves (`addStats`) and the latest run's outcome (`setLatestRun`).
 *
 * Sources, cited by short name below (google/cloud/aiplatform/v1/*.proto as shipped in @google-cloud/aiplatform
 * 6.9.0 build/protos, the files this fake serves):
 * - mdmj.proto: model_deployment_monitoring_job.proto; mm.proto: model_monitoring.proto; fms.proto:
 *   feature_monitoring_stats.proto; job_service.proto; job_state.proto; endpoint.proto; io.proto.
 * - field_behavior.proto (google/api): REQUIRED "failure to do so will cause an error (usually INVALID_ARGUMENT)";
 *   OUTPUT_ONLY "the server *must* ignore it". In proto3 an empty string, 0 or an empty list is the same as unset.
 * - python-aiplatform#2361 (https://github.com/googleapis/python-aiplatform/issues/2361): a live refusal quoted
 *   verbatim, "List of found errors: 1.Field: model_deployment_monitoring_job; Message:
 *   model_deployment_monitoring_objective_configs is empty in ModelDeploymentMonitoringJob." — what Vertex says to
 *   a job for an endpoint with nothing deployed (the SDK builds one objective config per deployed model).
 * - "Online inference logging" (https://cloud.google.com/vertex-ai/docs/predictions/online-prediction-logging),
 *   "Request-response logging and Model Monitoring v1": "If an endpoint has Model Monitoring enabled, you can't
 *   enable request-response logging for the same endpoint" and "If you enable request-response logging and then
 *   Model Monitoring on the same endpoint, you won't be able to change the request-response logging
 *   configuration" (enforced by FakeVertex.updateEndpoint through `locksLogging`).
 * - The Python SDK's client-side check (google/cloud/aiplatform/jobs.py ModelDeploymentMonitoringJob._parse_configs):
 *   "Invalid model ID. The model ID must be one of [...]. Note that deployed model IDs are different from the
 *   uploaded model's ID" — the basis (inferred, not a published server rule) for refusing a deployed_model_id the
 *   endpoint does not serve.
 *
 * Messages marked "the fake's own" are not published; only their codes follow google/rpc/code.proto.
 */

type Obj = Record<string, any>;
const PKG = 'google.cloud.aiplatform.v1';

export const MONITORING_WRITES = [
  'CreateModelDeploymentMonitoringJob',
  'UpdateModelDeploymentMonitoringJob',
  'DeleteModelDeploymentMonitoringJob',
  'PauseModelDeploymentMonitoringJob',
  'ResumeModelDeploymentMonitoringJob',
] as const;

export type MonitoringObjective = 'RAW_FEATURE_SKEW' | 'RAW_FEATURE_DRIFT' | 'FEATURE_ATTRIBUTION_SKEW' | 'FEATURE_ATTRIBUTION_DRIFT';

/** One window a monitoring run judged, for one deployed model, objective and feature (fms.proto FeatureStatsAnomaly). */
export interface StatsInput {
  readonly deployedModelId: string;
  readonly objective: MonitoringObjective;
  readonly feature: string;
  /** distribution_deviation: L-infinity (categorical) or Jensen–Shannon (numerical) distance. */
  readonly deviation: number;
  /** anomaly_detection_threshold: the threshold the run used; default the job's for this feature (or its default). */
  readonly threshold?: number;
  /** end_time: "Timestamp of the stats and anomalies always refers to end_time". */
  readonly at: Date | number;
}

/** mdmj.proto OUTPUT_ONLY fields of ModelDeploymentMonitoringJob: ignored on create and update. */
const OUTPUT_ONLY = ['name', 'state', 'scheduleState', 'latestMonitoringPipelineMetadata', 'bigqueryTables', 'createTime', 'updateTime', 'nextScheduleTime', 'error', 'satisfiesPzs', 'satisfiesPzi'];

const OBJECTIVES = 'model_deployment_monitoring_objective_configs';
/** job_service.proto UpdateModelDeploymentMonitoringJobRequest.update_mask "Updatable fields", snake_case path → camelCase key. */
const UPDATABLE: Record<string, string> = {
  display_name: 'displayName',
  model_deployment_monitoring_schedule_config: 'modelDeploymentMonitoringScheduleConfig',
  model_monitoring_alert_config: 'modelMonitoringAlertConfig',
  logging_sampling_strategy: 'loggingSamplingStrategy',
  labels: 'labels',
  log_ttl: 'logTtl',
  enable_monitoring_pipeline_logs: 'enableMonitoringPipelineLogs',
  [OBJECTIVES]: 'modelDeploymentMonitoringObjectiveConfigs',
};
/** The nested objective paths the same comment lists, with the ObjectiveConfig key each replaces. */
const NESTED: Record<string, string> = {
  [`${OBJECTIVES}.objective_config.training_dataset`]: 'trainingDataset',
  [`${OBJECTIVES}.objective_config.training_prediction_skew_detection_config`]: 'trainingPredictionSkewDetectionConfig',
  [`${OBJECTIVES}.objective_config.prediction_drift_detection_config`]: 'predictionDriftDetectionConfig',
};
/** mm.proto TrainingDataset.data_format: "The possible formats are: "tf-record" ... "csv" ... "jsonl"". */
const DATA_FORMATS = new Set(['tf-record', 'csv', 'jsonl']);
const OBJECTIVE_TYPES = new Set<string>(['RAW_FEATURE_SKEW', 'RAW_FEATURE_DRIFT', 'FEATURE_ATTRIBUTION_SKEW', 'FEATURE_ATTRIBUTION_DRIFT']);
/** job_service.proto SearchModelDeploymentMonitoringStatsAnomaliesResponse: "There are at most 1000 prediction_stats in the response." */
const MAX_STATS = 1000;

const invalid = (violations: Violation[]): never => {
  throw { code: grpc.status.INVALID_ARGUMENT, message: foundErrors(violations) };
};
const notFound = (what: string): never => {
  throw { code: grpc.status.NOT_FOUND, message: `${what} is not found.` };
};
const ms = (t: Obj | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6) : 0);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class FakeMonitoringJobs {
  /** Every job, by name, as stored (the request body plus the output-only fields). */
  readonly jobs = new Map<string, Obj>();
  /** Statistics per job, as addStats stored them. */
  readonly stats = new Map<string, (StatsInput & { readonly windowMs: number })[]>();
  /** The update_mask paths of every UpdateModelDeploymentMonitoringJob that was accepted, in order. */
  readonly updateMasks: string[][] = [];
  /** How many reads (Get, List) a new job answers JOB_STATE_PENDING before it is RUNNING (mdmj.proto state). */
  pendingReads = 0;
  private readonly pendingLeft = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly newId: () => string,
    /** FakeVertex's endpoints, by name: a job needs its endpoint, and the endpoint names its job. */
    private readonly endpoints: Map<string, Obj>,
    /** FakeVertex's long-running operations: the result is computed when a poll finds the operation done. */
    private readonly operation: (method: string, result: () => { type: string; value: Obj }) => Obj,
  ) {}

  /** The handlers FakeVertex adds to its JobService (counted, faults applied, errors turned into gRPC errors). */
  handlers(): Record<string, (req: Obj) => Obj> {
    return {
      CreateModelDeploymentMonitoringJob: (r) => this.create(r),
      GetModelDeploymentMonitoringJob: (r) => this.read(this.find(r.name)),
      ListModelDeploymentMonitoringJobs: (r) => this.list(r),
      UpdateModelDeploymentMonitoringJob: (r) => this.update(r),
      DeleteModelDeploymentMonitoringJob: (r) => this.delete(r),
      PauseModelDeploymentMonitoringJob: (r) => this.pause(r.name),
      ResumeModelDeploymentMonitoringJob: (r) => this.resume(r.name),
      SearchModelDeploymentMonitoringStatsAnomalies: (r) => this.search(r),
    };
  }

  /** Forgets every job and statistic (endpoints keep the names of jobs they held only if the test keeps them). */
  reset(): void {
    for (const job of this.jobs.values()) {
      const endpoint = this.endpoints.get(job.endpoint);
      if (endpoint && endpoint.modelDeploymentMonitoringJob === job.name) delete endpoint.modelDeploymentMonitoringJob;
    }
    this.jobs.clear();
    this.stats.clear();
    this.pendingLeft.clear();
    this.updateMasks.length = 0;
    this.pendingReads = 0;
  }

  // ---- driving state from a test ----

  /** Records what a monitoring run left for one window (see StatsInput). */
  addStats(jobName: string, stats: StatsInput): void {
    const job = this.jobs.get(jobName);
    if (!job) throw new Error(`${jobName} is not a monitoring job of this fake`);
    if (!(job.modelDeploymentMonitoringObjectiveConfigs ?? []).some((c: Obj) => c.deployedModelId === stats.deployedModelId)) {
      throw new Error(`${jobName} does not monitor deployed model ${stats.deployedModelId}`);
    }
    const windowMs = Number(job.modelDeploymentMonitoringScheduleConfig.monitorInterval.seconds) * 1000;
    this.stats.set(jobName, [...(this.stats.get(jobName) ?? []), { ...stats, windowMs }]);
  }

  /** mdmj.proto LatestMonitoringPipelineMetadata: the time and status (google.rpc.Status) of the most recent run. */
  setLatestRun(jobName: string, at: Date | number, status: { code: number; message?: string } = { code: 0 }): void {
    const job = this.jobs.get(jobName);
    if (!job) throw new Error(`${jobName} is not a monitoring job of this fake`);
    job.latestMonitoringPipelineMetadata = { runTime: this.timestamp(typeof at === 'number' ? at : at.getTime()), status };
  }

  /** Sets a job's state (a test of PAUSED, FAILED, ...). */
  setState(jobName: string, state: string): void {
    const job = this.jobs.get(jobName);
    if (!job) throw new Error(`${jobName} is not a monitoring job of this fake`);
    job.state = state;
    this.pendingLeft.delete(jobName);
  }

  /** Whether a job is on this endpoint: Vertex then refuses changes of its request-response logging (see the sources above). */
  locksLogging(endpoint: Obj): boolean {
    return Boolean(endpoint.modelDeploymentMonitoringJob);
  }

  // ---- the service ----

  private create(r: Obj): Obj {
    const violations: Violation[] = [];
    const parent: string = r.parent ?? '';
    // job_service.proto CreateModelDeploymentMonitoringJobRequest.parent: REQUIRED, "Format: projects/{project}/locations/{location}".
    if (!/^projects\/[^/]+\/locations\/[^/]+$/.test(parent)) violations.push({ field: 'parent', message: parent ? `Invalid parent ${parent}: must be projects/{project}/locations/{location}.` : REQUIRED });
    // job_service.proto: model_deployment_monitoring_job REQUIRED.
    const body: Obj | undefined = r.modelDeploymentMonitoringJob;
    if (!body) invalid([...violations, { field: 'model_deployment_monitoring_job', message: REQUIRED }]);
    violations.push(...this.check(body!, parent));
    if (violations.length) invalid(violations);
    const endpoint = this.endpoints.get(body!.endpoint) ?? notFound(`Endpoint ${body!.endpoint}`);
    // endpoint.proto Endpoint.model_deployment_monitoring_job: "Resource name of the Model Monitoring job associated with this
    // Endpoint" — one job per endpoint. The code is code.proto's ALREADY_EXISTS; the message is the fake's own.
    if (endpoint.modelDeploymentMonitoringJob) {
      throw { code: grpc.status.ALREADY_EXISTS, message: `Endpoint ${endpoint.name} already has a model deployment monitoring job: ${endpoint.modelDeploymentMonitoringJob}.` };
    }
    const job: Obj = clone(body!);
    for (const k of OUTPUT_ONLY) delete job[k];
    const at = this.now();
    roundInterval(job);
    Object.assign(job, {
      name: `${parent}/modelDeploymentMonitoringJobs/${this.newId()}`,
      // mdmj.proto state: "When the job is still creating, the state will be 'PENDING'. Once the job is successfully created, the state will be 'RUNNING'."
      state: 'JOB_STATE_PENDING',
      scheduleState: 'PENDING',
      createTime: this.timestamp(at),
      updateTime: this.timestamp(at),
      nextScheduleTime: this.timestamp(at + intervalMs(job)),
      bigqueryTables: tables(job),
    });
    this.jobs.set(job.name, job);
    this.pendingLeft.set(job.name, this.pendingReads);
    endpoint.modelDeploymentMonitoringJob = job.name;
    return clone(job);
  }

  /** A read: a new job is RUNNING once `pendingReads` reads have seen it PENDING. */
  private read(job: Obj): Obj {
    const left = this.pendingLeft.get(job.name);
    if (left !== undefined && job.state === 'JOB_STATE_PENDING') {
      if (left <= 0) {
        job.state = 'JOB_STATE_RUNNING';
        job.scheduleState = 'OFFLINE';
        this.pendingLeft.delete(job.name);
      } else this.pendingLeft.set(job.name, left - 1);
    }
    return clone(job);
  }

  private list(r: Obj): Obj {
    const test = parseFilter(r.filter ?? '');
    const all = [...this.jobs.values()].filter((j) => j.name.startsWith(`${r.parent}/modelDeploymentMonitoringJobs/`) && test(j));
    const from = r.pageToken ? Number(r.pageToken) : 0;
    if (!Number.isInteger(from) || from < 0) throw { code: grpc.status.INVALID_ARGUMENT, message: `Invalid page token ${r.pageToken}.` };
    const size = r.pageSize > 0 ? r.pageSize : all.length;
    const page = all.slice(from, from + size).map((j) => this.read(j));
    return { modelDeploymentMonitoringJobs: page, nextPageToken: from + size < all.length ? String(from + size) : '' };
  }

  private update(r: Obj): Obj {
    const body: Obj | undefined = r.modelDeploymentMonitoringJob;
    // job_service.proto UpdateModelDeploymentMonitoringJobRequest: model_deployment_monitoring_job and update_mask are REQUIRED.
    if (!body) invalid([{ field: 'model_deployment_monitoring_job', message: REQUIRED }]);
    const paths: string[] = r.updateMask?.paths ?? [];
    if (paths.length === 0) invalid([{ field: 'update_mask', message: REQUIRED }]);
    const job = this.find(body!.name);
    // job_state.proto JOB_STATE_UPDATING: "Only jobs in the RUNNING state can be updated." (code.proto FAILED_PRECONDITION; the message is the fake's own).
    if (job.state !== 'JOB_STATE_RUNNING') throw { code: grpc.status.FAILED_PRECONDITION, message: `ModelDeploymentMonitoringJob ${job.name} is in state ${job.state}; only a job in state JOB_STATE_RUNNING can be updated.` };
    const all = paths.includes('*') ? Object.keys(UPDATABLE) : paths;
    const bad = all.filter((p) => !UPDATABLE[p] && !NESTED[p]);
    if (bad.length) invalid(bad.map((p) => ({ field: 'update_mask.paths', message: `Field ${p} cannot be updated.` })));
    // job_service.proto: "the user can either provide the update mask for model_deployment_monitoring_objective_configs or any combination of its nested fields".
    if (all.includes(OBJECTIVES) && all.some((p) => NESTED[p])) {
      invalid([{ field: 'update_mask.paths', message: `Give either ${OBJECTIVES} or its nested fields, not both.` }]);
    }
    const merged = clone(job);
    for (const p of all) {
      if (UPDATABLE[p]) {
        const key = UPDATABLE[p];
        if (body![key] === undefined) delete merged[key];
        else merged[key] = clone(body![key]);
      }
    }
    const nested = all.filter((p) => NESTED[p]);
    if (nested.length) {
      const sent = new Map<string, Obj>((body!.modelDeploymentMonitoringObjectiveConfigs ?? []).map((c: Obj) => [c.deployedModelId, c]));
      for (const config of merged.modelDeploymentMonitoringObjectiveConfigs ?? []) {
        // A nested path replaces that field of every stored config, each from the sent config of the same deployed model; one
        // without a counterpart has nothing to take it from (the fake's reading of the mask; the message is the fake's own).
        const from = sent.get(config.deployedModelId);
        if (!from) invalid([{ field: `${OBJECTIVES}`, message: `No objective config was sent for deployed model ${config.deployedModelId}, which the job monitors.` }]);
        config.objectiveConfig ??= {};
        for (const p of nested) {
          const key = NESTED[p];
          if (from!.objectiveConfig?.[key] === undefined) delete config.objectiveConfig[key];
          else config.objectiveConfig[key] = clone(from!.objectiveConfig[key]);
        }
      }
    }
    const violations = this.check(merged, job.name.split('/modelDeploymentMonitoringJobs/')[0]);
    if (violations.length) invalid(violations);
    roundInterval(merged);
    this.updateMasks.push([...paths]);
    job.state = 'JOB_STATE_UPDATING';
    return this.operation('UpdateModelDeploymentMonitoringJob', () => {
      const at = this.now();
      Object.assign(job, merged, { state: 'JOB_STATE_RUNNING', updateTime: this.timestamp(at), bigqueryTables: tables(merged) });
      return { type: `${PKG}.ModelDeploymentMonitoringJob`, value: clone(job) };
    });
  }

  private delete(r: Obj): Obj {
    const job = this.find(r.name);
    return this.operation('DeleteModelDeploymentMonitoringJob', () => {
      this.jobs.delete(job.name);
      this.stats.delete(job.name);
      this.pendingLeft.delete(job.name);
      const endpoint = this.endpoints.get(job.endpoint);
      if (endpoint && endpoint.modelDeploymentMonitoringJob === job.name) delete endpoint.modelDeploymentMonitoringJob;
      return { type: 'google.protobuf.Empty', value: {} };
    });
  }

  /** job_service.proto PauseModelDeploymentMonitoringJob: "Will mark ModelDeploymentMonitoringJob.state to 'PAUSED'." */
  private pause(name: string): Obj {
    const job = this.find(name);
    if (job.state !== 'JOB_STATE_RUNNING' && job.state !== 'JOB_STATE_PENDING') throw { code: grpc.status.FAILED_PRECONDITION, message: `ModelDeploymentMonitoringJob ${name} is in state ${job.state} and cannot be paused.` };
    job.state = 'JOB_STATE_PAUSED';
    this.pendingLeft.delete(name);
    return {};
  }

  /** job_service.proto ResumeModelDeploymentMonitoringJob: "Resumes a paused ModelDeploymentMonitoringJob." */
  private resume(name: string): Obj {
    const job = this.find(name);
    if (job.state !== 'JOB_STATE_PAUSED') throw { code: grpc.status.FAILED_PRECONDITION, message: `ModelDeploymentMonitoringJob ${name} is in state ${job.state}; only a paused job can be resumed.` };
    job.state = 'JOB_STATE_RUNNING';
    return {};
  }

  /**
   * job_service.proto SearchModelDeploymentMonitoringStatsAnomalies: the job, deployed_model_id and objectives are REQUIRED;
   * feature_display_name keeps one feature; start_time / end_time bound the stats' end_time ("The earliest timestamp of stats
   * being generated"); at most 1000 prediction_stats a response, the rest behind next_page_token.
   */
  private search(r: Obj): Obj {
    const violations: Violation[] = [];
    if (!r.modelDeploymentMonitoringJob) violations.push({ field: 'model_deployment_monitoring_job', message: REQUIRED });
    if (!r.deployedModelId) violations.push({ field: 'deployed_model_id', message: REQUIRED });
    const objectives: Obj[] = r.objectives ?? [];
    if (objectives.length === 0) violations.push({ field: 'objectives', message: REQUIRED });
    objectives.forEach((o, i) => {
      // mdmj.proto MODEL_DEPLOYMENT_MONITORING_OBJECTIVE_TYPE_UNSPECIFIED: "Default value, should not be set."
      if (!OBJECTIVE_TYPES.has(o.type)) violations.push({ field: `objectives[${i}].type`, message: `Invalid objective type ${o.type ?? 'MODEL_DEPLOYMENT_MONITORING_OBJECTIVE_TYPE_UNSPECIFIED'}.` });
    });
    if (violations.length) invalid(violations);
    const job = this.find(r.modelDeploymentMonitoringJob);
    const types = new Set(objectives.map((o) => o.type));
    const [from, to] = [r.startTime ? ms(r.startTime) : -Infinity, r.endTime ? ms(r.endTime) : Infinity];
    const all = (this.stats.get(job.name) ?? [])
      .filter((s) => s.deployedModelId === r.deployedModelId && types.has(s.objective) && (!r.featureDisplayName || s.feature === r.featureDisplayName))
      .map((s) => ({ ...s, end: typeof s.at === 'number' ? s.at : s.at.getTime() }))
      .filter((s) => s.end >= from && s.end <= to);
    const start = r.pageToken ? Number(r.pageToken) : 0;
    if (!Number.isInteger(start) || start < 0) throw { code: grpc.status.INVALID_ARGUMENT, message: `Invalid page token ${r.pageToken}.` };
    const size = Math.min(r.pageSize > 0 ? r.pageSize : MAX_STATS, MAX_STATS);
    const page = all.slice(start, start + size);
    const config = (job.modelDeploymentMonitoringObjectiveConfigs ?? []).find((c: Obj) => c.deployedModelId === r.deployedModelId)?.objectiveConfig ?? {};
    const configured = (objective: string, feature: string): number | undefined => {
      const c = objective.endsWith('SKEW') ? config.trainingPredictionSkewDetectionConfig : config.predictionDriftDetectionConfig;
      const map = objective.endsWith('SKEW') ? c?.skewThresholds : c?.driftThresholds;
      return map?.[feature]?.value ?? (objective.endsWith('SKEW') ? c?.defaultSkewThreshold?.value : c?.defaultDriftThreshold?.value);
    };
    const monitoringStats: Obj[] = [];
    for (const objective of [...types]) {
      const features = new Map<string, Obj[]>();
      let anomalies = 0;
      for (const s of page.filter((p) => p.objective === objective)) {
        const threshold = s.threshold ?? configured(objective, s.feature) ?? 0;
        if (threshold > 0 && s.deviation > threshold) anomalies += 1;
        // fms.proto: start_time "always equals to (end_time - monitoring_interval)" where a window makes no sense; for prediction windows the same here.
        features.set(s.feature, [
          ...(features.get(s.feature) ?? []),
          {
            distributionDeviation: s.deviation,
            anomalyDetectionThreshold: threshold,
            startTime: this.timestamp(s.end - s.windowMs),
            endTime: this.timestamp(s.end),
            statsUri: `gs://fake-monitoring/${job.name.split('/').pop()}/${s.deployedModelId}/${s.feature}/stats`,
            anomalyUri: `gs://fake-monitoring/${job.name.split('/').pop()}/${s.deployedModelId}/${s.feature}/anomalies`,
          },
        ]);
      }
      if (features.size === 0) continue;
      monitoringStats.push({
        objective,
        deployedModelId: r.deployedModelId,
        anomalyCount: anomalies,
        featureStats: [...features].map(([feature, predictionStats]) => ({ featureDisplayName: feature, threshold: { value: configured(objective, feature) ?? 0 }, predictionStats })),
      });
    }
    return { monitoringStats, nextPageToken: start + size < all.length ? String(start + size) : '' };
  }

  // ---- validation ----

  /** The rules a job must meet when created, and after an update is merged into it. */
  private check(job: Obj, parent: string): Violation[] {
    const out = checkDisplayNameAndLabels(job); // mdmj.proto display_name (REQUIRED, 128 characters) and labels: same text as CustomJob's
    // mdmj.proto endpoint: REQUIRED, "Format: projects/{project}/locations/{location}/endpoints/{endpoint}".
    const endpointName: string = job.endpoint ?? '';
    const endpoint = this.endpoints.get(endpointName);
    if (!endpointName) out.push({ field: 'endpoint', message: REQUIRED });
    else if (!/^projects\/[^/]+\/locations\/[^/]+\/endpoints\/[^/]+$/.test(endpointName)) out.push({ field: 'endpoint', message: `Invalid endpoint ${endpointName}: must be projects/{project}/locations/{location}/endpoints/{endpoint}.` });
    else if (!endpointName.startsWith(`${parent}/`)) out.push({ field: 'endpoint', message: `Endpoint ${endpointName} is not in ${parent}.` }); // the fake's own: a job and its endpoint share a location
    const configs: Obj[] = job.modelDeploymentMonitoringObjectiveConfigs ?? [];
    // mdmj.proto model_deployment_monitoring_objective_configs: REQUIRED. Vertex's own words for an empty list: python-aiplatform#2361.
    if (configs.length === 0) out.push({ field: 'model_deployment_monitoring_job', message: 'model_deployment_monitoring_objective_configs is empty in ModelDeploymentMonitoringJob.' });
    const deployed = new Set<string>((endpoint?.deployedModels ?? []).map((d: Obj) => d.id));
    const seen = new Set<string>();
    configs.forEach((c, i) => {
      const at = `${OBJECTIVES}[${i}]`;
      // mdmj.proto ModelDeploymentMonitoringObjectiveConfig: "the pair of deployed_model_id to ModelMonitoringObjectiveConfig";
      // "Each DeployedModel needs to be configured separately" (inferred: set, served by the endpoint, once).
      if (!c.deployedModelId) out.push({ field: `${at}.deployed_model_id`, message: REQUIRED });
      else if (endpoint && !deployed.has(c.deployedModelId)) out.push({ field: `${at}.deployed_model_id`, message: `Invalid model ID ${c.deployedModelId}. The model ID must be one of [${[...deployed].join(',')}].` });
      else if (seen.has(c.deployedModelId)) out.push({ field: `${at}.deployed_model_id`, message: `Deployed model ${c.deployedModelId} is configured twice.` });
      seen.add(c.deployedModelId);
      out.push(...checkObjective(c.objectiveConfig ?? {}, `${at}.objective_config`));
    });
    // mdmj.proto model_deployment_monitoring_schedule_config: REQUIRED; ModelDeploymentMonitoringScheduleConfig.monitor_interval: REQUIRED.
    const schedule = job.modelDeploymentMonitoringScheduleConfig;
    if (!schedule) out.push({ field: 'model_deployment_monitoring_schedule_config', message: REQUIRED });
    else if (!(intervalMs(job) > 0)) out.push({ field: 'model_deployment_monitoring_schedule_config.monitor_interval', message: REQUIRED });
    // mdmj.proto logging_sampling_strategy: REQUIRED; mm.proto RandomSampleConfig.sample_rate: "Sample rate (0, 1]".
    const rate = job.loggingSamplingStrategy?.randomSampleConfig?.sampleRate;
    if (!job.loggingSamplingStrategy) out.push({ field: 'logging_sampling_strategy', message: REQUIRED });
    else if (!(typeof rate === 'number' && rate > 0 && rate <= 1)) out.push({ field: 'logging_sampling_strategy.random_sample_config.sample_rate', message: `Sample rate ${rate ?? 0} is not in (0, 1].` });
    // mm.proto ModelMonitoringAlertConfig.notification_channels: "Must be of the format projects/<project_id_or_number>/notificationChannels/<channel_id>".
    (job.modelMonitoringAlertConfig?.notificationChannels ?? []).forEach((n: string, i: number) => {
      if (!/^projects\/[^/]+\/notificationChannels\/[^/]+$/.test(n)) out.push({ field: `model_monitoring_alert_config.notification_channels[${i}]`, message: `Invalid notification channel ${n}.` });
    });
    return out;
  }

  private find(name: string): Obj {
    return this.jobs.get(name) ?? notFound(`ModelDeploymentMonitoringJob ${name}`);
  }

  private timestamp(at: number): Obj {
    return { seconds: String(Math.floor(at / 1000)), nanos: (at % 1000) * 1e6 };
  }
}

/** mm.proto ModelMonitoringObjectiveConfig and its TrainingDataset (io.proto GcsSource, BigQuerySource). */
function checkObjective(config: Obj, at: string): Violation[] {
  const out: Violation[] = [];
  const dataset: Obj | undefined = config.trainingDataset;
  // mm.proto training_dataset: "This field has to be set only if TrainingPredictionSkewDetectionConfig is specified."
  if (config.trainingPredictionSkewDetectionConfig && !dataset) out.push({ field: `${at}.training_dataset`, message: 'training_dataset must be set for training-prediction skew detection.' });
  if (!dataset) return out;
  const sources = ['dataset', 'gcsSource', 'bigquerySource'].filter((k) => dataset[k] !== undefined);
  // mm.proto TrainingDataset `oneof data_source` (dataset, gcs_source, bigquery_source).
  if (sources.length === 0) out.push({ field: `${at}.training_dataset.data_source`, message: 'One of dataset, gcs_source or bigquery_source must be set.' });
  if (dataset.gcsSource) {
    const uris: string[] = dataset.gcsSource.uris ?? [];
    // io.proto GcsSource.uris: REQUIRED, "Google Cloud Storage URI(-s) to the input file(s). May contain wildcards."
    if (uris.length === 0) out.push({ field: `${at}.training_dataset.gcs_source.uris`, message: REQUIRED });
    uris.forEach((u, i) => {
      if (!/^gs:\/\/[^/]+\/.+/.test(u)) out.push({ field: `${at}.training_dataset.gcs_source.uris[${i}]`, message: `Invalid Cloud Storage URI ${u}.` });
    });
    // mm.proto TrainingDataset.data_format: "only applicable if the input is from Google Cloud Storage. The possible formats are" tf-record,
    // csv, jsonl (inferred: required then, as Vertex cannot read files of no format).
    if (!DATA_FORMATS.has(dataset.dataFormat)) out.push({ field: `${at}.training_dataset.data_format`, message: `Data format "${dataset.dataFormat ?? ''}" is not one of tf-record, csv or jsonl.` });
  }
  if (dataset.bigquerySource) {
    const uri: string = dataset.bigquerySource.inputUri ?? '';
    // io.proto BigQuerySource.input_uri: REQUIRED, "up to 2000 characters long. Accepted forms: BigQuery path. For example: bq://projectId.bqDatasetId.bqTableId."
    if (!uri) out.push({ field: `${at}.training_dataset.bigquery_source.input_uri`, message: REQUIRED });
    else if (uri.length > 2000) out.push({ field: `${at}.training_dataset.bigquery_source.input_uri`, message: `BigQuery URI is ${uri.length} characters long; the limit is 2000.` });
    else if (!/^bq:\/\/[^.\s]+\.[^.\s]+\.[^.\s]+$/.test(uri)) out.push({ field: `${at}.training_dataset.bigquery_source.input_uri`, message: `Invalid BigQuery path ${uri}: use bq://projectId.bqDatasetId.bqTableId.` });
  }
  return out;
}

/** The monitor interval in ms (a Duration, seconds as a string on the wire). */
function intervalMs(job: Obj): number {
  const d = job.modelDeploymentMonitoringScheduleConfig?.monitorInterval;
  return d ? Number(d.seconds ?? 0) * 1000 + Math.floor(Number(d.nanos ?? 0) / 1e6) : 0;
}

/** mdmj.proto monitor_interval: "It will be rounded up to next full hour." */
function roundInterval(job: Obj): void {
  const interval = intervalMs(job);
  if (interval > 0) job.modelDeploymentMonitoringScheduleConfig.monitorInterval = { seconds: String(Math.ceil(interval / 3_600_000) * 3600) };
}

/**
 * mdmj.proto bigquery_tables (OUTPUT_ONLY): `bq://<project_id>.model_deployment_monitoring_<endpoint_id>.<tolower(log_source)>_<tolower(log_type)>`;
 * the serving predict log, and the training one when the job detects skew.
 */
function tables(job: Obj): Obj[] {
  const [, project, , , , endpointId] = String(job.endpoint).split('/');
  const table = (source: string) => ({ logSource: source, logType: 'PREDICT', bigqueryTablePath: `bq://${project}.model_deployment_monitoring_${endpointId}.${source.toLowerCase()}_predict` });
  const skew = (job.modelDeploymentMonitoringObjectiveConfigs ?? []).some((c: Obj) => c.objectiveConfig?.trainingPredictionSkewDetectionConfig);
  return skew ? [table('SERVING'), table('TRAINING')] : [table('SERVING')];
}
