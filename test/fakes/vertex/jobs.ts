import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';

/**
 * A stateful fake of Vertex AI's JobService (CustomJob and HyperparameterTuningJob), served by FakeVertex
 * on the same gRPC port as its ModelService and EndpointService, from the job_service.proto shipped in
 * @google-cloud/aiplatform (build/protos), so the real v1 JobServiceClient talks to it unchanged.
 *
 * Sources, cited by short name below:
 * - custom_job.proto, hyperparameter_tuning_job.proto, study.proto, job_state.proto, job_service.proto,
 *   machine_resources.proto, accelerator_type.proto, env_var.proto: google/cloud/aiplatform/v1/*.proto as
 *   published in googleapis/googleapis and shipped in @google-cloud/aiplatform 6.9.0 build/protos (the
 *   files this fake serves; the enum lists it checks against are read from them, not copied).
 * - field_behavior.proto: google/api/field_behavior.proto. REQUIRED: "failure to do so will cause an error
 *   (usually INVALID_ARGUMENT)"; in proto3 an empty string, 0 or an empty list is the same as not set.
 *   OUTPUT_ONLY: "including the field in a request does nothing (the server *must* ignore it and *must not*
 *   throw an error as a result of the field's presence)".
 * - code.proto: google/rpc/code.proto.
 * - "Distributed training": https://cloud.google.com/vertex-ai/docs/training/distributed-training
 * - "Training service": "Understand the ... serverless training service",
 *   https://docs.cloud.google.com/gemini-enterprise-agent-platform/machine-learning/training/understanding-training-service
 *   (formerly cloud.google.com/vertex-ai/docs/training/understanding-training-service).
 * - prefect-gcp#175: https://github.com/PrefectHQ/prefect-gcp/issues/175, a live CreateCustomJob refusal
 *   quoted verbatim: `INVALID_ARGUMENT details = "List of found errors: 1.Field:
 *   job_spec.worker_pool_specs[0].machine_spec.accelerator_type; Message: Both `accelerator_type` and
 *   `accelerator_count` should be specified or none. "` — which is also where the field paths below come
 *   from: relative to the job resource (`job_spec....`), not to the request (`custom_job.job_spec....`).
 *
 * Enums: the real client serialises with protobufjs `fromObject`, which silently DROPS an enum name it does
 * not know (`acceleratorType: 'NVIDIA_A100'` reaches the service as ACCELERATOR_TYPE_UNSPECIFIED), so a
 * misspelt name can only show up here as a missing value (e.g. the accelerator pairing rule) or, when a
 * number is sent, as an unknown number. Both are refused.
 */

const AIP = path.join(path.dirname(require.resolve('@google-cloud/aiplatform/package.json')), 'build/protos');
const GAX = path.join(path.dirname(require.resolve('google-gax')), '../protos');
const PKG = 'google.cloud.aiplatform.v1';

type Obj = Record<string, any>;

export const JOB_WRITES = ['CreateCustomJob', 'CancelCustomJob', 'CreateHyperparameterTuningJob', 'CancelHyperparameterTuningJob'] as const;

export type JobState =
  | 'JOB_STATE_QUEUED'
  | 'JOB_STATE_PENDING'
  | 'JOB_STATE_RUNNING'
  | 'JOB_STATE_SUCCEEDED'
  | 'JOB_STATE_FAILED'
  | 'JOB_STATE_CANCELLING'
  | 'JOB_STATE_CANCELLED'
  | 'JOB_STATE_PAUSED'
  | 'JOB_STATE_EXPIRED'
  | 'JOB_STATE_UPDATING'
  | 'JOB_STATE_PARTIALLY_SUCCEEDED';

/** job_state.proto has no "terminal" list; these are the states nothing leaves (custom_job.proto end_time names the first three). */
const TERMINAL = new Set<string>(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED', 'JOB_STATE_PARTIALLY_SUCCEEDED']);
/** custom_job.proto / hyperparameter_tuning_job.proto end_time: "entered any of the following states: SUCCEEDED, FAILED, CANCELLED". */
const ENDS = new Set<string>(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED']);
/** job_state.proto JOB_STATE_CANCELLING: "From this state the job may only go to either SUCCEEDED, FAILED or CANCELLED." */
const FROM_CANCELLING = new Set<string>(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED']);
/** The automatic mode's path (job_state.proto: QUEUED "just created", PENDING "preparing to run", RUNNING "in progress"). */
const AUTO_NEXT: Record<string, JobState> = { JOB_STATE_QUEUED: 'JOB_STATE_PENDING', JOB_STATE_PENDING: 'JOB_STATE_RUNNING', JOB_STATE_CANCELLING: 'JOB_STATE_CANCELLED' };

/** A trial as a test gives it; stored and returned as study.proto Trial. */
export interface TrialInput {
  readonly id: string;
  /** study.proto Trial.State; default SUCCEEDED. */
  readonly state?: 'REQUESTED' | 'ACTIVE' | 'STOPPING' | 'SUCCEEDED' | 'INFEASIBLE';
  /** study.proto Trial.Parameter.value: number_value for INTEGER/DOUBLE/DISCRETE, string_value for CATEGORICAL. */
  readonly parameters: readonly { readonly parameterId: string; readonly value: number | string }[];
  readonly finalMeasurement?: { readonly metrics: readonly { readonly metricId: string; readonly value: number }[]; readonly stepCount?: number };
  readonly infeasibleReason?: string;
  readonly customJob?: string;
  /**
   * What mlspec's launcher wrote for this trial (lib/train/launcher.ts): stored as JSON at
   * `<trial_job_spec.base_output_directory>/<id>/mlspec-metrics.json`, the parent of the trial's AIP_MODEL_DIR
   * (custom_job.proto base_output_directory: "For CustomJob backing a Trial of HyperparameterTuningJob:
   * AIP_MODEL_DIR = `<base_output_directory>/<trial_id>/model/`").
   */
  readonly metrics?: Record<string, number>;
}

/** The launcher's metrics file, beside AIP_MODEL_DIR (lib/train/launcher.ts). */
export const METRICS_FILE = 'mlspec-metrics.json';

/** How a job that succeeds ends: a tuning job's trials; a CustomJob's metrics file (see `succeedJob`). */
export interface Success {
  readonly trials?: readonly TrialInput[];
  readonly metrics?: Record<string, number>;
}

export type Outcome =
  | ({ readonly state: 'JOB_STATE_SUCCEEDED' } & Success)
  | { readonly state: 'JOB_STATE_FAILED'; readonly message: string; readonly code?: number };

export interface Violation {
  readonly field: string;
  readonly message: string;
}

/** Same text as the ModelService fake (server.ts foundErrors): `List of found errors:\t1.Field: <path>; Message: <text>\t`, the format prefect-gcp#175 quotes. */
export function foundErrors(violations: readonly Violation[]): string {
  return `List of found errors:\t${violations.map((v, i) => `${i + 1}.Field: ${v.field}; Message: ${v.message}\t`).join('')}`;
}

export const REQUIRED = 'Required field is not set.';
// env_var.proto EnvVar.name: "Must be a valid C identifier."
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class FakeJobService {
  /** Every CustomJob created, by name, as stored (the request body plus the output-only fields). */
  readonly customJobs = new Map<string, Obj>();
  /** Every HyperparameterTuningJob created, by name. */
  readonly tuningJobs = new Map<string, Obj>();
  /** The state Create returns. "Training service": "When you create a CustomJob or HyperparameterTuningJob, the job might remain in the JOB_STATE_QUEUED state". */
  initialState: JobState = 'JOB_STATE_QUEUED';
  /** When on, every Get moves a job one step before answering: QUEUED → PENDING → RUNNING → autoOutcome, and CANCELLING → CANCELLED. */
  autoAdvance = false;
  /** Where an auto-advanced RUNNING job ends; a function decides per job. */
  autoOutcome: Outcome | ((job: Obj) => Outcome) = { state: 'JOB_STATE_SUCCEEDED' };
  private readonly enums = loaded().enums;

  constructor(
    private readonly now: () => number,
    private readonly newId: () => string,
    /** Where the metrics files a succeeded job or trial writes go (FakeVertex's Cloud Storage); none: nowhere. */
    private readonly writeObject: (uri: string, text: string) => void = () => undefined,
  ) {}

  get service(): grpc.ServiceDefinition {
    return loaded().service;
  }

  /** The handlers FakeVertex wraps (counting, faults, errors) and serves. */
  handlers(): Record<string, (req: Obj) => Obj> {
    return {
      CreateCustomJob: (r) => this.create('CustomJob', r.parent, r.customJob),
      GetCustomJob: (r) => this.get('CustomJob', r.name),
      ListCustomJobs: (r) => this.list('CustomJob', r),
      CancelCustomJob: (r) => this.cancel('CustomJob', r.name),
      CreateHyperparameterTuningJob: (r) => this.create('HyperparameterTuningJob', r.parent, r.hyperparameterTuningJob),
      GetHyperparameterTuningJob: (r) => this.get('HyperparameterTuningJob', r.name),
      ListHyperparameterTuningJobs: (r) => this.list('HyperparameterTuningJob', r),
      CancelHyperparameterTuningJob: (r) => this.cancel('HyperparameterTuningJob', r.name),
    };
  }

  // ---- driving state from a test ----

  /** Moves a job to `state`, setting updateTime, startTime (first RUNNING), endTime (SUCCEEDED/FAILED/CANCELLED) and, for CANCELLED, error code 1. */
  advanceJob(name: string, state: JobState): Obj {
    const job = this.find(name);
    if (TERMINAL.has(job.state)) throw new Error(`${name} is ${job.state}, a final state: it cannot become ${state}`);
    if (job.state === 'JOB_STATE_CANCELLING' && !FROM_CANCELLING.has(state)) throw new Error(`${name} is JOB_STATE_CANCELLING: job_state.proto allows only SUCCEEDED, FAILED or CANCELLED from there, not ${state}`);
    const at = this.timestamp();
    job.state = state;
    job.updateTime = at;
    if (state === 'JOB_STATE_RUNNING' && !job.startTime) job.startTime = at;
    if (ENDS.has(state)) job.endTime = at;
    // job_service.proto CancelCustomJob / CancelHyperparameterTuningJob: "it becomes a job with a ... error value
    // with a google.rpc.Status.code of 1, corresponding to Code.CANCELLED, and ... state is set to CANCELLED".
    if (state === 'JOB_STATE_CANCELLED') job.error = { code: grpc.status.CANCELLED, message: 'CANCELLED' };
    if (state === 'JOB_STATE_FAILED' && !job.error) job.error = { code: grpc.status.INTERNAL, message: 'Internal error occurred for the current attempt.' };
    return job;
  }

  /**
   * Ends a job in JOB_STATE_SUCCEEDED; a tuning job's trials (with final measurements, and the metrics each wrote)
   * can be given here. `metrics`, for a CustomJob, are what mlspec's launcher wrote: JSON at
   * `<job_spec.base_output_directory>/mlspec-metrics.json`, the parent of AIP_MODEL_DIR (custom_job.proto
   * base_output_directory: "For CustomJob: AIP_MODEL_DIR = `<base_output_directory>/model/`").
   */
  succeedJob(name: string, result: Success = {}): Obj {
    const job = this.find(name);
    if (result.metrics) {
      if (!this.customJobs.has(name)) throw new Error(`${name} is a HyperparameterTuningJob: its metrics files are per trial (trials[].metrics)`);
      this.writeObject(`${outputDirectory(job.jobSpec, name)}${METRICS_FILE}`, JSON.stringify(result.metrics));
    }
    if (result.trials) this.setTrials(name, result.trials);
    return this.advanceJob(name, 'JOB_STATE_SUCCEEDED');
  }

  /**
   * Ends a job in JOB_STATE_FAILED with `error: { code, message }` (custom_job.proto error: "Only populated when
   * job's state is JOB_STATE_FAILED or JOB_STATE_CANCELLED"). The code Vertex sets for a failed job is not
   * published ("Training service": "Vertex AI sets the error code on the training job object, based on the exit
   * code"); the default is 13 (INTERNAL). Vertex's messages look like "The replica workerpool0-0 exited with a
   * non-zero status of 1. Termination reason: Error." (same page).
   */
  failJob(name: string, message: string, code: number = grpc.status.INTERNAL): Obj {
    const job = this.find(name);
    if (TERMINAL.has(job.state)) throw new Error(`${name} is ${job.state}, a final state: it cannot fail`);
    job.error = { code, message };
    return this.advanceJob(name, 'JOB_STATE_FAILED');
  }

  /** Sets a tuning job's trials (any state), as hyperparameter_tuning_job.proto `trials` and study.proto Trial. */
  setTrials(name: string, trials: readonly TrialInput[]): Obj {
    const job = this.tuningJobs.get(name);
    if (!job) throw new Error(`${name} is not a HyperparameterTuningJob of this fake`);
    if (trials.length > Number(job.maxTrialCount)) throw new Error(`${trials.length} trials exceed max_trial_count ${job.maxTrialCount}`);
    const params = new Map<string, Obj>();
    const collect = (specs: Obj[]) => specs.forEach((p) => (params.set(p.parameterId, p), collect((p.conditionalParameterSpecs ?? []).map((c: Obj) => c.parameterSpec ?? {}))));
    collect(job.studySpec.parameters);
    const metrics = new Set<string>(job.studySpec.metrics.map((m: Obj) => m.metricId));
    const at = this.timestamp();
    job.trials = trials.map((t) => {
      // study.proto Trial.Parameter.parameter_id: "The parameter should be defined in StudySpec's Parameters";
      // value: "number_value ... if ... 'INTEGER', 'DOUBLE' or 'DISCRETE'. string_value ... if ... 'CATEGORICAL'".
      for (const p of t.parameters) {
        const spec = params.get(p.parameterId);
        if (!spec) throw new Error(`trial ${t.id}: parameter ${p.parameterId} is not in the study spec`);
        if ((typeof p.value === 'string') !== Boolean(spec.categoricalValueSpec)) throw new Error(`trial ${t.id}: parameter ${p.parameterId} takes a ${spec.categoricalValueSpec ? 'string' : 'number'}`);
      }
      // study.proto Measurement.Metric.metric_id: "The Metric should be defined in StudySpec's Metrics".
      for (const m of t.finalMeasurement?.metrics ?? []) if (!metrics.has(m.metricId)) throw new Error(`trial ${t.id}: metric ${m.metricId} is not in the study spec`);
      const state = t.state ?? 'SUCCEEDED';
      return {
        id: t.id,
        state,
        parameters: t.parameters.map((p) => ({ parameterId: p.parameterId, value: typeof p.value === 'string' ? { stringValue: p.value } : { numberValue: p.value } })),
        ...(t.finalMeasurement ? { finalMeasurement: { metrics: t.finalMeasurement.metrics.map((m) => ({ ...m })), ...(t.finalMeasurement.stepCount !== undefined ? { stepCount: String(t.finalMeasurement.stepCount) } : {}) } } : {}),
        startTime: at,
        // study.proto Trial.end_time: "Time when the Trial's status changed to SUCCEEDED or INFEASIBLE".
        ...(state === 'SUCCEEDED' || state === 'INFEASIBLE' ? { endTime: at } : {}),
        ...(t.infeasibleReason ? { infeasibleReason: t.infeasibleReason } : {}),
        ...(t.customJob ? { customJob: t.customJob } : {}),
      };
    });
    // Each trial's CustomJob ran the launcher, which wrote what it matched beside the trial's AIP_MODEL_DIR.
    for (const t of trials) if (t.metrics) this.writeObject(`${outputDirectory(job.trialJobSpec, name)}${t.id}/${METRICS_FILE}`, JSON.stringify(t.metrics));
    job.updateTime = at;
    return job;
  }

  /** Forgets every job and restores the defaults (initialState, autoAdvance, autoOutcome). */
  reset(): void {
    this.customJobs.clear();
    this.tuningJobs.clear();
    this.initialState = 'JOB_STATE_QUEUED';
    this.autoAdvance = false;
    this.autoOutcome = { state: 'JOB_STATE_SUCCEEDED' };
  }

  /** The stored job of either kind. */
  job(name: string): Obj {
    return this.find(name);
  }

  // ---- the service ----

  private create(kind: Kind, parent: string, body: Obj | undefined): Obj {
    const violations: Violation[] = [];
    // job_service.proto Create*Request.parent: REQUIRED, "Format: projects/{project}/locations/{location}".
    if (!/^projects\/[^/]+\/locations\/[^/]+$/.test(parent ?? '')) violations.push({ field: 'parent', message: parent ? `Invalid parent ${parent}: must be projects/{project}/locations/{location}.` : REQUIRED });
    // job_service.proto Create*Request.custom_job / hyperparameter_tuning_job: REQUIRED.
    if (!body) violations.push({ field: kind === 'CustomJob' ? 'custom_job' : 'hyperparameter_tuning_job', message: REQUIRED });
    else violations.push(...(kind === 'CustomJob' ? this.checkCustomJob(body) : this.checkTuningJob(body)));
    if (violations.length) throw { code: grpc.status.INVALID_ARGUMENT, message: foundErrors(violations) };
    const at = this.timestamp();
    const job: Obj = { ...body };
    // field_behavior.proto OUTPUT_ONLY: a value sent for these is ignored, not refused.
    for (const k of OUTPUT_ONLY[kind]) delete job[k];
    Object.assign(job, { name: `${parent}/${COLLECTION[kind]}/${this.newId()}`, state: this.initialState, createTime: at, updateTime: at });
    this.store(kind).set(job.name, job);
    return job;
  }

  private get(kind: Kind, name: string): Obj {
    const job = this.store(kind).get(name) ?? notFound(kind, name);
    if (this.autoAdvance && !TERMINAL.has(job.state)) this.step(job);
    return job;
  }

  /** One automatic step; RUNNING ends as autoOutcome says. */
  private step(job: Obj): void {
    const next = AUTO_NEXT[job.state];
    if (next) {
      this.advanceJob(job.name, next);
      return;
    }
    if (job.state !== 'JOB_STATE_RUNNING') return;
    const outcome = typeof this.autoOutcome === 'function' ? this.autoOutcome(job) : this.autoOutcome;
    if (outcome.state === 'JOB_STATE_FAILED') this.failJob(job.name, outcome.message, outcome.code);
    else this.succeedJob(job.name, { trials: outcome.trials, metrics: outcome.metrics });
  }

  private list(kind: Kind, r: Obj): Obj {
    const test = parseFilter(r.filter ?? '');
    const all = [...this.store(kind).values()].filter((j) => j.name.startsWith(`${r.parent}/${COLLECTION[kind]}/`) && test(j));
    // Standard list paging: the token is the offset of the next page.
    const from = r.pageToken ? Number(r.pageToken) : 0;
    if (!Number.isInteger(from) || from < 0) throw { code: grpc.status.INVALID_ARGUMENT, message: `Invalid page token ${r.pageToken}.` };
    const size = r.pageSize > 0 ? r.pageSize : all.length;
    const page = all.slice(from, from + size);
    const nextPageToken = from + size < all.length ? String(from + size) : '';
    if (kind === 'CustomJob') return { customJobs: page, nextPageToken };
    // job_service.proto ListHyperparameterTuningJobsResponse: "HyperparameterTuningJob.trials of the jobs will be not be returned."
    return { hyperparameterTuningJobs: page.map(({ trials: _trials, ...job }) => job), nextPageToken };
  }

  private cancel(kind: Kind, name: string): Obj {
    const job = this.store(kind).get(name) ?? notFound(kind, name);
    // code.proto FAILED_PRECONDITION: "The operation was rejected because the system is not in a state required for
    // the operation's execution." Vertex's own text for a finished job is not published.
    if (TERMINAL.has(job.state)) throw { code: grpc.status.FAILED_PRECONDITION, message: `${kind} ${name} is in state ${job.state} and cannot be cancelled.` };
    // job_service.proto Cancel*: "Starts asynchronous cancellation": the job is CANCELLING until the test (or autoAdvance) ends it.
    if (job.state !== 'JOB_STATE_CANCELLING') this.advanceJob(name, 'JOB_STATE_CANCELLING');
    return {};
  }

  private find(name: string): Obj {
    const job = this.customJobs.get(name) ?? this.tuningJobs.get(name);
    if (!job) throw new Error(`${name} is not a job of this fake`);
    return job;
  }

  private store(kind: Kind): Map<string, Obj> {
    return kind === 'CustomJob' ? this.customJobs : this.tuningJobs;
  }

  private timestamp(): Obj {
    const ms = this.now();
    return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
  }

  // ---- validation ----

  private checkCustomJob(job: Obj): Violation[] {
    const out = checkDisplayNameAndLabels(job);
    // custom_job.proto CustomJob.job_spec: "Required. Job spec."
    if (!job.jobSpec) out.push({ field: 'job_spec', message: REQUIRED });
    else out.push(...this.checkJobSpec(job.jobSpec, 'job_spec'));
    return out;
  }

  private checkTuningJob(job: Obj): Violation[] {
    const out = checkDisplayNameAndLabels(job);
    // hyperparameter_tuning_job.proto: study_spec, max_trial_count, parallel_trial_count and trial_job_spec are REQUIRED.
    if (!job.studySpec) out.push({ field: 'study_spec', message: REQUIRED });
    else out.push(...this.checkStudySpec(job.studySpec));
    for (const [key, field] of [['maxTrialCount', 'max_trial_count'], ['parallelTrialCount', 'parallel_trial_count']] as const) {
      const n = job[key] ?? 0;
      if (n === 0) out.push({ field, message: REQUIRED });
      // "The desired total number of Trials" / "desired number of Trials to run in parallel": a count, so not negative.
      else if (n < 0) out.push({ field, message: `${field} must be a positive number, got ${n}.` });
    }
    if (!job.trialJobSpec) out.push({ field: 'trial_job_spec', message: REQUIRED });
    else out.push(...this.checkJobSpec(job.trialJobSpec, 'trial_job_spec'));
    return out;
  }

  /** CustomJobSpec (custom_job.proto), as CustomJob.job_spec or HyperparameterTuningJob.trial_job_spec. */
  private checkJobSpec(spec: Obj, at: string): Violation[] {
    const out: Violation[] = [];
    const pools: Obj[] = spec.workerPoolSpecs ?? [];
    // custom_job.proto CustomJobSpec.worker_pool_specs: REQUIRED.
    if (pools.length === 0) out.push({ field: `${at}.worker_pool_specs`, message: REQUIRED });
    pools.forEach((pool, i) => {
      const p = `${at}.worker_pool_specs[${i}]`;
      // custom_job.proto worker_pool_specs: "All worker pools except the first one are optional and can be skipped by providing an empty value."
      if (i > 0 && Object.keys(pool).length === 0) return;
      const machine = pool.machineSpec ?? {};
      // machine_resources.proto MachineSpec.machine_type: "as part of WorkerPoolSpec this field is required."
      if (!machine.machineType) out.push({ field: `${p}.machine_spec.machine_type`, message: REQUIRED });
      // accelerator_type.proto AcceleratorType: the value must be one of its names.
      const type = machine.acceleratorType;
      if (type !== undefined && !this.enums.accelerator.has(type)) out.push({ field: `${p}.machine_spec.accelerator_type`, message: `Invalid AcceleratorType ${type}.` });
      // Live rule (prefect-gcp#175), verbatim. An accelerator name the client did not know arrives unset, so it lands here.
      const typed = type !== undefined && type !== 'ACCELERATOR_TYPE_UNSPECIFIED';
      const counted = (machine.acceleratorCount ?? 0) !== 0;
      if (typed !== counted) out.push({ field: `${p}.machine_spec.accelerator_type`, message: 'Both `accelerator_type` and `accelerator_count` should be specified or none.' });
      // machine_resources.proto MachineSpec.gpu_partition_size: "If set, the accelerator_count should be set to 1."
      if (machine.gpuPartitionSize && machine.acceleratorCount !== 1) out.push({ field: `${p}.machine_spec.accelerator_count`, message: `With gpu_partition_size set, accelerator_count should be 1, got ${machine.acceleratorCount ?? 0}.` });
      // machine_resources.proto DiskSpec.boot_disk_type: 'Valid values: "pd-ssd" ..., "pd-standard" ... or "hyperdisk-balanced".'
      const disk = pool.diskSpec?.bootDiskType;
      if (disk && !['pd-ssd', 'pd-standard', 'hyperdisk-balanced'].includes(disk)) out.push({ field: `${p}.disk_spec.boot_disk_type`, message: `Boot disk type ${disk} is invalid: valid values are pd-ssd, pd-standard and hyperdisk-balanced.` });
      // custom_job.proto WorkerPoolSpec `oneof task` (container_spec | python_package_spec) with CustomJobSpec.worker_pool_specs:
      // "Required. The spec of the worker pools including machine type and Docker image" — the image is in the task.
      // (Inferred: no published text says "the task is required" in so many words.)
      if (!pool.containerSpec && !pool.pythonPackageSpec) out.push({ field: `${p}.task`, message: 'One of container_spec or python_package_spec must be set.' });
      if (pool.containerSpec) {
        // custom_job.proto ContainerSpec.image_uri: REQUIRED.
        if (!pool.containerSpec.imageUri) out.push({ field: `${p}.container_spec.image_uri`, message: REQUIRED });
        out.push(...checkEnv(pool.containerSpec.env ?? [], `${p}.container_spec.env`));
      }
      if (pool.pythonPackageSpec) {
        const py = pool.pythonPackageSpec;
        // custom_job.proto PythonPackageSpec: executor_image_uri, package_uris and python_module are REQUIRED;
        // "The maximum number of package URIs is 100."
        if (!py.executorImageUri) out.push({ field: `${p}.python_package_spec.executor_image_uri`, message: REQUIRED });
        if (!py.packageUris?.length) out.push({ field: `${p}.python_package_spec.package_uris`, message: REQUIRED });
        else if (py.packageUris.length > 100) out.push({ field: `${p}.python_package_spec.package_uris`, message: `At most 100 package URIs are allowed, got ${py.packageUris.length}.` });
        if (!py.pythonModule) out.push({ field: `${p}.python_package_spec.python_module`, message: REQUIRED });
        out.push(...checkEnv(py.env ?? [], `${p}.python_package_spec.env`));
      }
      const replicas = Number(pool.replicaCount ?? 0); // int64: a string on the wire
      // "Distributed training": "You must specify a primary replica ... Use the first worker pool specification only
      // for your primary replica, and set its replicaCount to 1". custom_job.proto marks replica_count OPTIONAL, so
      // only the primary pool is held to it: at least 1 always, exactly 1 when the job has several pools.
      if (i === 0 && replicas < 1) out.push({ field: `${p}.replica_count`, message: 'The first worker pool is the primary replica: replica_count must be at least 1.' });
      if (i === 0 && pools.length > 1 && replicas > 1) out.push({ field: `${p}.replica_count`, message: `The first worker pool is the primary replica: its replica_count must be 1 when there are several worker pools, got ${replicas}.` });
    });
    // custom_job.proto Scheduling.strategy: a Scheduling.Strategy name (STRATEGY_UNSPECIFIED, ON_DEMAND and LOW_COST
    // (deprecated), STANDARD, SPOT, FLEX_START in the shipped proto).
    const strategy = spec.scheduling?.strategy;
    if (strategy !== undefined && !this.enums.strategy.has(strategy)) out.push({ field: `${at}.scheduling.strategy`, message: `Invalid Scheduling.Strategy ${strategy}.` });
    return out;
  }

  /** StudySpec (study.proto) as a HyperparameterTuningJob uses it. */
  private checkStudySpec(study: Obj): Violation[] {
    const out: Violation[] = [];
    const metrics: Obj[] = study.metrics ?? [];
    // study.proto StudySpec.metrics: REQUIRED.
    if (metrics.length === 0) out.push({ field: 'study_spec.metrics', message: REQUIRED });
    const seenMetrics = new Set<string>();
    metrics.forEach((m, i) => {
      const at = `study_spec.metrics[${i}]`;
      // study.proto MetricSpec.metric_id: REQUIRED, "Must not contain whitespaces and must be unique amongst all MetricSpecs."
      if (!m.metricId) out.push({ field: `${at}.metric_id`, message: REQUIRED });
      else if (/\s/.test(m.metricId)) out.push({ field: `${at}.metric_id`, message: `Metric id "${m.metricId}" must not contain whitespace.` });
      else if (seenMetrics.has(m.metricId)) out.push({ field: `${at}.metric_id`, message: `Metric id "${m.metricId}" must be unique amongst all metrics.` });
      seenMetrics.add(m.metricId);
      // study.proto MetricSpec.goal: REQUIRED (so GOAL_TYPE_UNSPECIFIED, though its comment says it defaults to
      // maximize, is refused), a GoalType name.
      if (m.goal === undefined || m.goal === 'GOAL_TYPE_UNSPECIFIED') out.push({ field: `${at}.goal`, message: REQUIRED });
      else if (!this.enums.goal.has(m.goal)) out.push({ field: `${at}.goal`, message: `Invalid GoalType ${m.goal}.` });
    });
    const params: Obj[] = study.parameters ?? [];
    // study.proto StudySpec.parameters: REQUIRED.
    if (params.length === 0) out.push({ field: 'study_spec.parameters', message: REQUIRED });
    const seenParams = new Set<string>();
    params.forEach((p, i) => {
      // study.proto ParameterSpec.parameter_id: "must be unique amongst all ParameterSpecs".
      if (p.parameterId && seenParams.has(p.parameterId)) out.push({ field: `study_spec.parameters[${i}].parameter_id`, message: `Parameter id "${p.parameterId}" must be unique amongst all parameters.` });
      seenParams.add(p.parameterId);
      out.push(...this.checkParameter(p, `study_spec.parameters[${i}]`));
    });
    const algorithm = study.algorithm;
    if (algorithm !== undefined && !this.enums.algorithm.has(algorithm)) out.push({ field: 'study_spec.algorithm', message: `Invalid Algorithm ${algorithm}.` });
    // study.proto Algorithm.GRID_SEARCH: "To use grid search, all parameters must be INTEGER, CATEGORICAL, or DISCRETE."
    if (algorithm === 'GRID_SEARCH') {
      params.forEach((p, i) => {
        if (p.doubleValueSpec) out.push({ field: `study_spec.parameters[${i}]`, message: `Grid search needs INTEGER, CATEGORICAL or DISCRETE parameters; ${p.parameterId} is DOUBLE.` });
      });
    }
    // study.proto StudySpec.observation_noise: "Currently only supported by the Vertex AI Vizier service. Not supported by HyperparameterTuningJob".
    const noise = study.observationNoise;
    if (noise !== undefined && noise !== 'OBSERVATION_NOISE_UNSPECIFIED') out.push({ field: 'study_spec.observation_noise', message: this.enums.noise.has(noise) ? 'observation_noise is not supported by HyperparameterTuningJob.' : `Invalid ObservationNoise ${noise}.` });
    const selection = study.measurementSelectionType;
    if (selection !== undefined && !this.enums.selection.has(selection)) out.push({ field: 'study_spec.measurement_selection_type', message: `Invalid MeasurementSelectionType ${selection}.` });
    return out;
  }

  /** study.proto ParameterSpec, conditional children included. */
  private checkParameter(p: Obj, at: string): Violation[] {
    const out: Violation[] = [];
    // study.proto ParameterSpec.parameter_id: REQUIRED, "Must not contain whitespaces".
    if (!p.parameterId) out.push({ field: `${at}.parameter_id`, message: REQUIRED });
    else if (/\s/.test(p.parameterId)) out.push({ field: `${at}.parameter_id`, message: `Parameter id "${p.parameterId}" must not contain whitespace.` });
    const scale = p.scaleType;
    if (scale !== undefined && !this.enums.scale.has(scale)) out.push({ field: `${at}.scale_type`, message: `Invalid ScaleType ${scale}.` });
    // study.proto ScaleType UNIT_LOG_SCALE / UNIT_REVERSE_LOG_SCALE: "The entire feasible space must be strictly positive."
    const log = scale === 'UNIT_LOG_SCALE' || scale === 'UNIT_REVERSE_LOG_SCALE';
    // study.proto DoubleValueSpec/IntegerValueSpec/CategoricalValueSpec/DiscreteValueSpec.default_value: "Not supported by HyperparameterTuningJob".
    const noDefault = (spec: Obj, field: string) => {
      if (spec.defaultValue !== undefined) out.push({ field: `${at}.${field}.default_value`, message: 'default_value is not supported by HyperparameterTuningJob.' });
    };
    if (p.doubleValueSpec) {
      const { minValue = 0, maxValue = 0 } = p.doubleValueSpec;
      // study.proto DoubleValueSpec: min_value "Inclusive minimum", max_value "Inclusive maximum": an empty range has no feasible point.
      if (minValue > maxValue) out.push({ field: `${at}.double_value_spec`, message: `min_value ${minValue} is greater than max_value ${maxValue}.` });
      if (log && minValue <= 0) out.push({ field: `${at}.double_value_spec.min_value`, message: `${scale} needs a strictly positive feasible space; min_value is ${minValue}.` });
      noDefault(p.doubleValueSpec, 'double_value_spec');
    } else if (p.integerValueSpec) {
      const min = BigInt(p.integerValueSpec.minValue ?? 0); // int64: a string on the wire
      const max = BigInt(p.integerValueSpec.maxValue ?? 0);
      if (min > max) out.push({ field: `${at}.integer_value_spec`, message: `min_value ${min} is greater than max_value ${max}.` });
      if (log && min <= 0n) out.push({ field: `${at}.integer_value_spec.min_value`, message: `${scale} needs a strictly positive feasible space; min_value is ${min}.` });
      noDefault(p.integerValueSpec, 'integer_value_spec');
    } else if (p.categoricalValueSpec) {
      // study.proto CategoricalValueSpec.values: REQUIRED.
      if (!p.categoricalValueSpec.values?.length) out.push({ field: `${at}.categorical_value_spec.values`, message: REQUIRED });
      // study.proto ParameterSpec.scale_type: "Leave unset for CATEGORICAL parameters."
      if (scale !== undefined && scale !== 'SCALE_TYPE_UNSPECIFIED') out.push({ field: `${at}.scale_type`, message: 'scale_type must be unset for a CATEGORICAL parameter.' });
      noDefault(p.categoricalValueSpec, 'categorical_value_spec');
    } else if (p.discreteValueSpec) {
      const values: number[] = p.discreteValueSpec.values ?? [];
      // study.proto DiscreteValueSpec.values: REQUIRED, "should be in increasing order and at least 1e-10 apart",
      // "should not contain more than 1,000 values".
      if (values.length === 0) out.push({ field: `${at}.discrete_value_spec.values`, message: REQUIRED });
      if (values.length > 1000) out.push({ field: `${at}.discrete_value_spec.values`, message: `At most 1,000 values are allowed, got ${values.length}.` });
      if (values.some((v, i) => i > 0 && v - values[i - 1] < 1e-10)) out.push({ field: `${at}.discrete_value_spec.values`, message: 'Values must be in increasing order and at least 1e-10 apart.' });
      if (log && values.some((v) => v <= 0)) out.push({ field: `${at}.discrete_value_spec.values`, message: `${scale} needs a strictly positive feasible space.` });
      noDefault(p.discreteValueSpec, 'discrete_value_spec');
    } else {
      // study.proto ParameterSpec `oneof parameter_value_spec`: the parameter's type and feasible space; without it there is nothing to tune.
      out.push({ field: `${at}.parameter_value_spec`, message: 'One of double_value_spec, integer_value_spec, categorical_value_spec or discrete_value_spec must be set.' });
    }
    (p.conditionalParameterSpecs ?? []).forEach((c: Obj, j: number) => {
      const cat = `${at}.conditional_parameter_specs[${j}]`;
      // study.proto ConditionalParameterSpec.parameter_spec: REQUIRED.
      if (!c.parameterSpec) out.push({ field: `${cat}.parameter_spec`, message: REQUIRED });
      else out.push(...this.checkParameter(c.parameterSpec, `${cat}.parameter_spec`));
      // study.proto ConditionalParameterSpec: parent_discrete_values "Matches values of the parent parameter of 'DISCRETE'
      // type. All values must exist in discrete_value_spec of parent parameter" (epsilon 1e-10); parent_int_values "All
      // values must lie in integer_value_spec of parent parameter"; parent_categorical_values "All values must exist in
      // categorical_value_spec of parent parameter". Each `values` is REQUIRED.
      const [kind, cond] = c.parentDiscreteValues ? ['discrete', c.parentDiscreteValues] : c.parentIntValues ? ['integer', c.parentIntValues] : c.parentCategoricalValues ? ['categorical', c.parentCategoricalValues] : [undefined, undefined];
      if (!kind) {
        out.push({ field: `${cat}.parent_value_condition`, message: 'One of parent_discrete_values, parent_int_values or parent_categorical_values must be set.' });
        return;
      }
      const field = `${cat}.parent_${kind === 'integer' ? 'int' : kind}_values.values`;
      const values: any[] = cond.values ?? [];
      if (values.length === 0) out.push({ field, message: REQUIRED });
      const parent = kind === 'discrete' ? p.discreteValueSpec : kind === 'integer' ? p.integerValueSpec : p.categoricalValueSpec;
      if (!parent) {
        out.push({ field, message: `The parent parameter ${p.parameterId} is not ${kind.toUpperCase()}.` });
        return;
      }
      const feasible = (v: any) =>
        kind === 'discrete' ? (parent.values ?? []).some((d: number) => Math.abs(d - v) <= 1e-10) : kind === 'integer' ? BigInt(v) >= BigInt(parent.minValue ?? 0) && BigInt(v) <= BigInt(parent.maxValue ?? 0) : (parent.values ?? []).includes(v);
      const outside = values.filter((v) => !feasible(v));
      if (outside.length) out.push({ field, message: `Values ${outside.join(', ')} are not in the feasible space of the parent parameter ${p.parameterId}.` });
    });
    return out;
  }
}

let cache: { service: grpc.ServiceDefinition; enums: Record<string, Set<string>> } | undefined;

/** job_service.proto and the enum names the checks use, loaded once per process from the shipped protos. */
function loaded(): NonNullable<typeof cache> {
  if (cache) return cache;
  // oneofs: false keeps the stored body to the fields that were sent (no virtual `task` key).
  const def = protoLoader.loadSync(['google/cloud/aiplatform/v1/job_service.proto'], { includeDirs: [AIP, GAX], keepCase: false, longs: String, enums: String, defaults: false, oneofs: false });
  const names = (type: string): Set<string> => {
    // A top-level enum is its own entry (an EnumDescriptorProto); a nested one is found by walking its messages' descriptors.
    const [top, ...nested] = type.slice(PKG.length + 1).split('.');
    let d = (def[`${PKG}.${top}`] as any).type;
    for (const [i, part] of nested.entries()) d = (i === nested.length - 1 ? d.enumType : d.nestedType).find((n: { name: string }) => n.name === part);
    return new Set((d.value as { name: string }[]).map((v) => v.name));
  };
  cache = {
    service: (grpc.loadPackageDefinition(def) as any).google.cloud.aiplatform.v1.JobService.service,
    enums: {
      accelerator: names(`${PKG}.AcceleratorType`),
      strategy: names(`${PKG}.Scheduling.Strategy`),
      goal: names(`${PKG}.StudySpec.MetricSpec.GoalType`),
      scale: names(`${PKG}.StudySpec.ParameterSpec.ScaleType`),
      algorithm: names(`${PKG}.StudySpec.Algorithm`),
      noise: names(`${PKG}.StudySpec.ObservationNoise`),
      selection: names(`${PKG}.StudySpec.MeasurementSelectionType`),
    },
  };
  return cache;
}

type Kind = 'CustomJob' | 'HyperparameterTuningJob';
const COLLECTION: Record<Kind, string> = { CustomJob: 'customJobs', HyperparameterTuningJob: 'hyperparameterTuningJobs' };
/** Fields the protos mark OUTPUT_ONLY (custom_job.proto, hyperparameter_tuning_job.proto). */
const OUTPUT_ONLY: Record<Kind, string[]> = {
  CustomJob: ['name', 'state', 'createTime', 'startTime', 'endTime', 'updateTime', 'error', 'webAccessUris', 'satisfiesPzs', 'satisfiesPzi'],
  HyperparameterTuningJob: ['name', 'trials', 'state', 'createTime', 'startTime', 'endTime', 'updateTime', 'error', 'satisfiesPzs', 'satisfiesPzi'],
};

/** A job spec's base output directory, with its trailing slash (where the launcher's files go). */
function outputDirectory(spec: Obj | undefined, name: string): string {
  const prefix: string | undefined = spec?.baseOutputDirectory?.outputUriPrefix;
  if (!prefix) throw new Error(`${name} has no base_output_directory: its container gets no AIP_MODEL_DIR, so nothing writes a metrics file`);
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function notFound(kind: Kind, name: string): never {
  throw { code: grpc.status.NOT_FOUND, message: `${kind} ${name} is not found.` };
}

/** display_name and labels, the same for both job kinds (custom_job.proto, hyperparameter_tuning_job.proto). */
export function checkDisplayNameAndLabels(job: Obj): Violation[] {
  const out: Violation[] = [];
  // display_name: "Required. ... The name can be up to 128 characters long and can consist of any UTF-8 characters."
  if (!job.displayName) out.push({ field: 'display_name', message: REQUIRED });
  else if ([...job.displayName].length > 128) out.push({ field: 'display_name', message: `Display name is ${[...job.displayName].length} characters long; the limit is 128.` });
  // labels: "Label keys and values can be no longer than 64 characters (Unicode codepoints), can only contain lowercase
  // letters, numeric characters, underscores and dashes. International characters are allowed."
  const allowed = /^[\p{Ll}\p{Lo}\p{N}_-]*$/u;
  for (const [key, value] of Object.entries((job.labels ?? {}) as Record<string, string>)) {
    for (const [what, s] of [['key', key], ['value', value]] as const) {
      if ([...s].length > 64) out.push({ field: `labels.${key}`, message: `Label ${what} "${s}" is longer than 64 characters.` });
      else if (!allowed.test(s)) out.push({ field: `labels.${key}`, message: `Label ${what} "${s}" can only contain lowercase letters, numeric characters, underscores and dashes.` });
    }
  }
  return out;
}

/** env_var.proto EnvVar (name REQUIRED, a C identifier; value REQUIRED); custom_job.proto ContainerSpec.env / PythonPackageSpec.env: "Maximum limit is 100." */
function checkEnv(env: Obj[], at: string): Violation[] {
  const out: Violation[] = [];
  if (env.length > 100) out.push({ field: at, message: `At most 100 environment variables are allowed, got ${env.length}.` });
  env.forEach((e, i) => {
    if (!e.name) out.push({ field: `${at}[${i}].name`, message: REQUIRED });
    else if (!C_IDENTIFIER.test(e.name)) out.push({ field: `${at}[${i}].name`, message: `Environment variable name "${e.name}" must be a valid C identifier.` });
    if (e.value === undefined || e.value === '') out.push({ field: `${at}[${i}].value`, message: REQUIRED });
  });
  return out;
}

// ---- list filters ----

/**
 * job_service.proto ListCustomJobsRequest.filter / ListHyperparameterTuningJobsRequest.filter, "The standard list
 * filter" (AIP-160), with the fields it supports: `display_name` (=, != and the `:` wildcard), `state` (=, !=),
 * `create_time` (=, !=, <, <=, >, >=; RFC 3339), `labels.key=value` and `labels.key:*`; combined with AND, OR, NOT
 * and parentheses (AIP-160: OR binds tighter than AND). Anything else is INVALID_ARGUMENT.
 */
export function parseFilter(filter: string): (job: Obj) => boolean {
  const tokens = tokenize(filter);
  if (tokens.length === 0) return () => true;
  let i = 0;
  const peek = () => tokens[i];
  const bad = (why: string): never => {
    throw { code: grpc.status.INVALID_ARGUMENT, message: `Invalid filter ${JSON.stringify(filter)}: ${why}.` };
  };
  const expr = (): ((j: Obj) => boolean) => {
    const parts = [factor()];
    while (peek() && peek() !== ')') {
      if (peek() === 'AND') i++;
      parts.push(factor());
    }
    return (j) => parts.every((p) => p(j));
  };
  const factor = (): ((j: Obj) => boolean) => {
    const parts = [term()];
    while (peek() === 'OR') {
      i++;
      parts.push(term());
    }
    return (j) => parts.some((p) => p(j));
  };
  const term = (): ((j: Obj) => boolean) => {
    if (peek() === 'NOT') {
      i++;
      const inner = term();
      return (j) => !inner(j);
    }
    if (peek() === '(') {
      i++;
      const inner = expr();
      if (tokens[i++] !== ')') bad('missing )');
      return inner;
    }
    const field = tokens[i++];
    const op = tokens[i++];
    const arg = tokens[i++];
    if (field === undefined || op === undefined || arg === undefined || !/^(=|!=|<|<=|>|>=|:)$/.test(op)) bad(`expected <field> <op> <value> at ${field ?? 'end'}`);
    const value = unquote(arg);
    const label = /^labels\.(.+)$/.exec(field)?.[1];
    if (label !== undefined) {
      if (op === ':' && value === '*') return (j) => j.labels?.[label] !== undefined;
      if (op === '=') return (j) => j.labels?.[label] === value;
      if (op === '!=') return (j) => j.labels?.[label] !== value;
      return bad(`labels support = and :*, not ${op}`);
    }
    if (field === 'display_name') {
      if (op === '=') return (j) => j.displayName === value;
      if (op === '!=') return (j) => j.displayName !== value;
      if (op === ':') {
        const glob = new RegExp(`^${value.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
        return (j) => glob.test(j.displayName ?? '');
      }
      return bad(`display_name supports =, != and :, not ${op}`);
    }
    if (field === 'state') {
      if (op === '=') return (j) => j.state === value;
      if (op === '!=') return (j) => j.state !== value;
      return bad(`state supports = and !=, not ${op}`);
    }
    if (field === 'create_time') {
      const t = Date.parse(value);
      if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) bad(`create_time must be RFC 3339, got ${value}`);
      if (op === ':') bad('create_time does not support :');
      const ms = (j: Obj) => Number(j.createTime.seconds) * 1000 + Math.floor((j.createTime.nanos ?? 0) / 1e6);
      const cmp: Record<string, (a: number) => boolean> = { '=': (a) => a === t, '!=': (a) => a !== t, '<': (a) => a < t, '<=': (a) => a <= t, '>': (a) => a > t, '>=': (a) => a >= t };
      return (j) => cmp[op](ms(j));
    }
    return bad(`unsupported field ${field}`);
  };
  const test = expr();
  if (i < tokens.length) bad(`unexpected ${tokens[i]}`);
  return test;
}

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(!=|<=|>=|[=<>:()])|([^\s"=!<>:()]+))/y;
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    out.push(m[1] ?? m[2] ?? m[3]);
    pos = re.lastIndex;
  }
  if (s.slice(pos).trim()) throw { code: grpc.status.INVALID_ARGUMENT, message: `Invalid filter ${JSON.stringify(s)}: cannot read ${s.slice(pos).trim()}.` };
  return out;
}

function unquote(arg: string): string {
  return arg.startsWith('"') ? arg.slice(1, -1).replace(/\\(.)/g, '$1') : arg;
}
