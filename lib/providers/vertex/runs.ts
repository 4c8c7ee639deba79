import type { protos, v1 } from '@google-cloud/aiplatform';
import type { ClientOptions, GoogleAuth } from 'google-gax';
import type { ModelPlan, VertexModelPlan } from '../../plan/types';
import type { JobRef, JobResult, JobRunner, JobState, JobStatus } from '../../train/jobs';
import { jobValues } from '../../train/types';
import { ProviderError, type Target } from '../contract';
import { vertexCalls, vertexParent, type VertexClients } from './clients';
import { findVertexModel, registerTrainedVertexVersion } from './registry';
import { labelValue, vertexTrainingJob, withSlash } from './training';

/**
 * The cloud's half of a training run on Vertex AI (lib/train/jobs.ts `JobRunner`), which the
 * training state machine's steps call through the Vertex handler (lib/handlers/vertex.ts
 * `onTrainingStep`): a run is one CustomJob, or one HyperparameterTuningJob when the spec tunes
 * (lib/providers/vertex/training.ts builds its body), labelled `mlspec-run: <runId>` so that a
 * retried step finds it. Its metrics are what mlspec's launcher (lib/train/launcher.ts) wrote next
 * to the model folder, `mlspec-metrics.json`, read back over the Cloud Storage JSON API.
 *
 * Where the files are (custom_job.proto, CustomJobSpec.base_output_directory): the job's base
 * output directory is `<output>/<runId>/`; a CustomJob gets AIP_MODEL_DIR = `<base>/model/`, and
 * the CustomJob behind trial `<id>` of a HyperparameterTuningJob AIP_MODEL_DIR =
 * `<base>/<id>/model/`. The launcher writes the metrics to the parent of AIP_MODEL_DIR.
 */

type ICustomJob = protos.google.cloud.aiplatform.v1.ICustomJob;
type IHyperparameterTuningJob = protos.google.cloud.aiplatform.v1.IHyperparameterTuningJob;
type ITrial = protos.google.cloud.aiplatform.v1.ITrial;
type ITimestamp = protos.google.protobuf.ITimestamp;
type Job = ICustomJob | IHyperparameterTuningJob;

/** The job kinds a run submits, as JobRef.kind. */
export type VertexJobKind = 'CustomJob' | 'HyperparameterTuningJob';

/** Reads Cloud Storage objects. */
export interface CloudStorageReader {
  /** The object at `gs://bucket/name` as text, or undefined when it does not exist. */
  read(uri: string): Promise<string | undefined>;
}

/** The clients a training step needs, for one region. */
export interface VertexRunClients {
  /** The Model Registry, where a trained version is registered. */
  readonly models: v1.ModelServiceClient;
  readonly jobs: v1.JobServiceClient;
  /** The run's metrics files. */
  readonly storage: CloudStorageReader;
}

/** The Cloud Storage JSON API's endpoint. */
export const STORAGE_ENDPOINT = 'https://storage.googleapis.com';

/** The launcher's metrics file, beside the model folder. */
export const METRICS_FILE = 'mlspec-metrics.json';

/**
 * Real v1 Model and Job clients on the region's endpoint, and a Cloud Storage reader that signs its
 * requests with the same credentials (the gRPC clients' GoogleAuth, so `authClient` serves both).
 * Tests pass `apiEndpoint`/`port`/`sslCreds`/`authClient` and `storageEndpoint` to reach the fake.
 * The client modules are required directly, as in clients.ts: the package index is too big for Lambda.
 */
export function vertexRunClients(region: string, options: ClientOptions & { readonly storageEndpoint?: string } = {}): VertexRunClients {
  const { storageEndpoint, ...clientOptions } = options;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ModelServiceClient } = require('@google-cloud/aiplatform/build/src/v1/model_service_client') as typeof v1;
  const { JobServiceClient } = require('@google-cloud/aiplatform/build/src/v1/job_service_client') as typeof v1;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const base: ClientOptions = { apiEndpoint: `${region}-aiplatform.googleapis.com`, ...clientOptions };
  const jobs = new JobServiceClient(base);
  return { models: new ModelServiceClient(base), jobs, storage: cloudStorageReader(jobs.auth, storageEndpoint) };
}

/** Closes both clients' gRPC channels. */
export async function closeVertexRunClients(clients: VertexRunClients): Promise<void> {
  await Promise.all([clients.models.close(), clients.jobs.close()]);
}

/** `gs://bucket/name` → bucket and object name. */
export function parseGcsUri(uri: string): { bucket: string; object: string } {
  const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`${uri} is not a Cloud Storage object URI (gs://bucket/name)`);
  return { bucket: m[1], object: m[2] };
}

/**
 * A path part as the JSON API takes it ("Encoding URI path parts"): every character but the
 * unreserved ones percent-encoded, `/` included, which encodeURIComponent leaves for `!'()*`.
 */
export const encodePathPart = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Objects through the Cloud Storage JSON API (`objects.get` with `alt=media`), with the request
 * headers `auth` gives (a bearer token of the handler's federated identity) and Node's own fetch.
 * 404 is an object that does not exist; any other failure is thrown with the API's own message.
 */
export function cloudStorageReader(auth: Pick<GoogleAuth, 'getRequestHeaders'>, endpoint: string = STORAGE_ENDPOINT): CloudStorageReader {
  return {
    async read(uri: string): Promise<string | undefined> {
      const { bucket, object } = parseGcsUri(uri);
      const url = `${endpoint.replace(/\/+$/, '')}/storage/v1/b/${encodePathPart(bucket)}/o/${encodePathPart(object)}?alt=media`;
      const response = await fetch(url, { headers: await auth.getRequestHeaders(url) });
      if (response.status === 404) return undefined;
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${jsonApiMessage(text) ?? response.statusText}`);
      return text;
    },
  };
}

/** The `error.message` of a JSON API error body ("HTTP status and error codes for JSON"). */
function jsonApiMessage(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { message?: string } } | null)?.error?.message || undefined;
  } catch {
    return body.trim() || undefined;
  }
}

// ------------------------------------------------------------------ the runner

function vertexOf(model: ModelPlan): VertexModelPlan {
  if (!model.vertex?.training) throw new Error(`internal: ${model.name} does not train on vertex in ${model.environment}`);
  return model.vertex;
}

const targetOf = (model: ModelPlan): Target => ({ model: model.name, environment: model.environment });

/** job_state.proto names, as the run's states. */
const STATES: Record<string, JobState> = {
  JOB_STATE_SUCCEEDED: 'succeeded',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_EXPIRED: 'failed',
  JOB_STATE_PARTIALLY_SUCCEEDED: 'failed',
  JOB_STATE_CANCELLED: 'cancelled',
};
/** Every other state (QUEUED, PENDING, RUNNING, CANCELLING, UPDATING, PAUSED) has not ended. */
const stateOf = (job: Job): JobState => STATES[String(job.state)] ?? 'running';

const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

const seconds = (t: ITimestamp | null | undefined) => (t?.seconds === undefined || t.seconds === null ? undefined : Number(t.seconds) + Number(t.nanos ?? 0) / 1e9);

/** Machines of a job spec: every pool's replicas. */
const replicas = (spec: protos.google.cloud.aiplatform.v1.ICustomJobSpec | null | undefined) => (spec?.workerPoolSpecs ?? []).reduce((n, p) => n + Number(p.replicaCount ?? 0), 0);

/** Machine-seconds from `start` to `end` (to now while running); undefined before it started. */
function machineSeconds(start: ITimestamp | null | undefined, end: ITimestamp | null | undefined, machines: number): number | undefined {
  const from = seconds(start);
  if (from === undefined) return undefined;
  const to = seconds(end) ?? Date.now() / 1000;
  return Math.max(0, Math.round((to - from) * machines));
}

async function getJob(clients: VertexRunClients, job: JobRef): Promise<Job> {
  if (job.kind === 'CustomJob') return (await clients.jobs.getCustomJob({ name: job.name }))[0];
  if (job.kind === 'HyperparameterTuningJob') return (await clients.jobs.getHyperparameterTuningJob({ name: job.name }))[0];
  throw new Error(`internal: ${job.name} is a ${job.kind}, not a Vertex job kind`);
}

/** The run's job, by its `mlspec-run` label: the kind the plan submits first, then the other. */
async function findRunJob(model: ModelPlan, runId: string, clients: VertexRunClients): Promise<JobRef | undefined> {
  const vx = vertexOf(model);
  const call = vertexCalls(targetOf(model));
  const request = { parent: vertexParent(vx), filter: `labels.mlspec-run="${labelValue(runId)}"` };
  const kinds: VertexJobKind[] = vx.training!.tuning ? ['HyperparameterTuningJob', 'CustomJob'] : ['CustomJob', 'HyperparameterTuningJob'];
  for (const kind of kinds) {
    const [found] =
      kind === 'CustomJob'
        ? await call(`list custom jobs of run ${runId}`, () => clients.jobs.listCustomJobs(request))
        : await call(`list hyperparameter tuning jobs of run ${runId}`, () => clients.jobs.listHyperparameterTuningJobs(request));
    const name = (found as Job[]).find((j) => j.name)?.name;
    if (name) return { name, kind, runId };
  }
  return undefined;
}

/** Every version of the plan's model (all pages), or none while the model does not exist. */
async function modelVersions(model: ModelPlan, clients: VertexRunClients): Promise<protos.google.cloud.aiplatform.v1.IModel[]> {
  const vx = vertexOf(model);
  const call = vertexCalls(targetOf(model));
  const name = (await call('list models', () => findVertexModel(registryClients(clients), vx)))?.name;
  if (!name) return [];
  const [versions] = await call('list model versions', () => clients.models.listModelVersions({ name }));
  return versions;
}

/** The registry functions read and write through the ModelServiceClient only. */
const registryClients = (clients: VertexRunClients) => ({ models: clients.models }) as Pick<VertexClients, 'models'> as VertexClients;

/** The metrics the launcher wrote at `uri`, or undefined when it wrote none. */
async function metricsFile(model: ModelPlan, uri: string, clients: VertexRunClients): Promise<Record<string, number> | undefined> {
  const text = await vertexCalls(targetOf(model))(`read ${uri}`, () => clients.storage.read(uri));
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw ProviderError.about('vertex', targetOf(model), `the run's metrics file ${uri} is not JSON (${(e as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw ProviderError.about('vertex', targetOf(model), `the run's metrics file ${uri} is not a JSON object of metric values`);
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

/** A trial's final value of `metric`. */
const finalValue = (trial: ITrial, metric: string) => trial.finalMeasurement?.metrics?.find((m) => m.metricId === metric)?.value ?? undefined;

/** The trials of a tuning job in words: `3 completed, 2 running of 10` (with failed trials when there are). */
function trialsText(job: IHyperparameterTuningJob): string {
  const trials = job.trials ?? [];
  const count = (...states: string[]) => trials.filter((t) => states.includes(String(t.state))).length;
  const failed = count('INFEASIBLE');
  return `${count('SUCCEEDED')} completed, ${count('REQUESTED', 'ACTIVE', 'STOPPING')} running${failed ? `, ${failed} failed` : ''} of ${job.maxTrialCount ?? '?'}`;
}

/** Training runs on Vertex AI: one CustomJob or HyperparameterTuningJob per run. */
export const vertexJobRunner: JobRunner<VertexRunClients> = {
  provider: 'vertex',

  async submit(model, runId, sets, clients) {
    const found = await findRunJob(model, runId, clients);
    if (found) return found;
    const vx = vertexOf(model);
    const { hyperparameters, inputs } = jobValues(model, vx.training!, sets);
    const job = vertexTrainingJob(model, runId, hyperparameters, inputs);
    const call = vertexCalls(targetOf(model));
    const [created] =
      job.kind === 'CustomJob'
        ? await call(`create custom job of run ${runId}`, () => clients.jobs.createCustomJob({ parent: job.parent, customJob: job.job }))
        : await call(`create hyperparameter tuning job of run ${runId}`, () => clients.jobs.createHyperparameterTuningJob({ parent: job.parent, hyperparameterTuningJob: job.job }));
    return { name: created.name!, kind: job.kind, runId };
  },

  async poll(model, job, clients) {
    const got = await vertexCalls(targetOf(model))(`get ${job.name}`, () => getJob(clients, job));
    const state = stateOf(got);
    const message = got.error?.message || undefined;
    if (job.kind === 'HyperparameterTuningJob') {
      const tuning = got as IHyperparameterTuningJob;
      // Each trial is a CustomJob of trial_job_spec, from its start to its end (or now).
      const machines = replicas(tuning.trialJobSpec);
      const perTrial = (tuning.trials ?? []).map((t) => machineSeconds(t.startTime, t.endTime, machines));
      const billableSeconds = perTrial.length > 0 && perTrial.every((s) => s !== undefined) ? perTrial.reduce((a: number, b) => a + b!, 0) : undefined;
      return { state, detail: String(got.state), message, billableSeconds, trials: trialsText(tuning) } satisfies JobStatus;
    }
    const custom = got as ICustomJob;
    // CustomJob.start_time: "first entered the JOB_STATE_RUNNING state"; end_time: SUCCEEDED, FAILED or CANCELLED.
    return { state, detail: String(got.state), message, billableSeconds: machineSeconds(custom.startTime, custom.endTime, replicas(custom.jobSpec)) } satisfies JobStatus;
  },

  async result(model, job, clients) {
    const target = targetOf(model);
    const got = await vertexCalls(target)(`get ${job.name}`, () => getJob(clients, job));
    if (stateOf(got) !== 'succeeded') throw ProviderError.about('vertex', target, `${job.name} is ${String(got.state)}: only a job that succeeded has metrics and a model to register`);
    if (job.kind === 'CustomJob') {
      const out = withSlash((got as ICustomJob).jobSpec?.baseOutputDirectory?.outputUriPrefix ?? `${withSlash(vertexOf(model).training!.outputUri!)}${job.runId}/`);
      return { metrics: (await metricsFile(model, `${out}${METRICS_FILE}`, clients)) ?? {}, artifactUri: `${out}model/` } satisfies JobResult;
    }
    const tuning = got as IHyperparameterTuningJob;
    const out = withSlash(tuning.trialJobSpec?.baseOutputDirectory?.outputUriPrefix ?? `${withSlash(vertexOf(model).training!.outputUri!)}${job.runId}/`);
    const objective = tuning.studySpec?.metrics?.[0];
    const metric = objective?.metricId ?? '';
    const sign = String(objective?.goal) === 'MINIMIZE' ? -1 : 1;
    let best: { trial: ITrial; value: number } | undefined;
    for (const trial of tuning.trials ?? []) {
      const value = finalValue(trial, metric);
      if (String(trial.state) !== 'SUCCEEDED' || value === undefined || value === null) continue;
      if (!best || sign * value > sign * best.value) best = { trial, value };
    }
    if (!best) {
      throw ProviderError.about('vertex', target, `${job.name} succeeded with no trial that reported ${metric} (${(tuning.trials ?? []).length} trials): check that training.metrics.${metric} matches a line the command prints`);
    }
    const id = best.trial.id!;
    const measured = Object.fromEntries((best.trial.finalMeasurement?.metrics ?? []).filter((m) => m.metricId && typeof m.value === 'number').map((m) => [m.metricId!, m.value!]));
    const metrics = (await metricsFile(model, `${out}${id}/${METRICS_FILE}`, clients)) ?? measured;
    return { metrics, artifactUri: `${out}${id}/model/`, bestTrial: id } satisfies JobResult;
  },

  async labels(model, clients) {
    const labels = new Set<string>();
    for (const version of await modelVersions(model, clients)) {
      for (const alias of version.versionAliases ?? []) {
        const m = /^v([0-9]+)$/.exec(alias);
        if (m) labels.add(m[1]);
      }
    }
    return [...labels];
  },

  async registeredBy(model, runId, clients) {
    const run = labelValue(runId);
    const version = (await modelVersions(model, clients)).find((v) => v.labels?.['mlspec-run'] === run);
    if (!version) return undefined;
    return version.labels?.['mlspec-version'] ?? version.versionAliases?.find((a) => /^v[0-9]+$/.test(a))?.slice(1);
  },

  register(model, job, label, result, clients) {
    return registerTrainedVertexVersion(vertexOf(model), targetOf(model), registryClients(clients), { label, artifactUri: result.artifactUri, metrics: result.metrics, runId: job.runId });
  },

  async cancel(model, runId, job, clients) {
    const call = vertexCalls(targetOf(model));
    const ref = job ?? (await findRunJob(model, runId, clients));
    if (!ref) return 'none';
    const got = await call(`get ${ref.name}`, async () => {
      try {
        return await getJob(clients, ref);
      } catch (e) {
        if ((e as { code?: number }).code === NOT_FOUND) return undefined;
        throw e;
      }
    });
    if (!got) return 'none';
    if (stateOf(got) !== 'running') return 'ended';
    // job_service.proto Cancel*: "Starts asynchronous cancellation"; the job is CANCELLING until it is CANCELLED.
    if (String(got.state) === 'JOB_STATE_CANCELLING') return 'cancelled';
    return call(`cancel ${ref.name}`, async () => {
      try {
        if (ref.kind === 'CustomJob') await clients.jobs.cancelCustomJob({ name: ref.name });
        else await clients.jobs.cancelHyperparameterTuningJob({ name: ref.name });
        return 'cancelled' as const;
      } catch (e) {
        // FAILED_PRECONDITION: the job may have ended between the look and the cancel.
        if ((e as { code?: number }).code === FAILED_PRECONDITION && stateOf(await getJob(clients, ref)) !== 'running') return 'ended' as const;
        throw e;
      }
    });
  },
};
