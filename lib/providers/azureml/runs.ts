import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { ModelPlan, TrainingPlan } from '../../plan/types';
import type { JobRef, JobResult, JobRunner, JobState, JobStatus } from '../../train/jobs';
import { jobValues } from '../../train/types';
import { ProviderError, type Target } from '../contract';
import { ArmError, armRequest, azureCalls, mlflowRequest, RAW_API_VERSION, unlessNotFound, workspaceId, type ArmResponse, type AzureMlClients } from './clients';
import { registerTrainedAzureMlVersion, registryVersionsPath } from './registry';
import { azureMlTrainingJob, jobName, trainingEnvironment } from './training';

/**
 * The cloud's half of a training run on Azure ML (`JobRunner`, lib/train/jobs.ts), which the
 * training state machine's steps call through lib/handlers/azureml.ts `onTrainingStep`:
 *
 * - submit: the training image's environment version, then the command or sweep job of
 *   training.ts, at 2024-04-01; the job's name is the run's (`jobName`), so a retried submit finds
 *   the job instead of starting a second one;
 * - poll: the job's `status` (JobStatus of mfe.json 2024-04-01);
 * - result: the metrics from the workspace's MLflow tracking (`mlFlowTrackingUri`), where mlspec's
 *   launcher logs what `training.metrics` matched (`MLSPEC_MLFLOW=1`); a job's MLflow run is named
 *   after the job; a sweep's best trial is its child run with the best objective;
 * - register: a model version from the (best) job's `model` output, tagged `mlspec:run`, which is
 *   how a retried finish finds what it registered;
 * - cancel: Jobs_Cancel (POST, 202 + Location).
 *
 * Failures read `azureml: <model> in <env>: <what> failed: <Azure's words>` (azureCalls).
 */

/** JobStatus (mfe.json 2024-04-01), every value: only Completed, Failed and Canceled are final. */
export const JOB_STATES: Readonly<Record<string, JobState>> = {
  NotStarted: 'running',
  Starting: 'running',
  Provisioning: 'running',
  Preparing: 'running',
  Queued: 'running',
  Running: 'running',
  Finalizing: 'running',
  CancelRequested: 'running',
  NotResponding: 'running',
  Paused: 'running',
  Unknown: 'running',
  Completed: 'succeeded',
  Failed: 'failed',
  Canceled: 'cancelled',
};

/** How long cancel follows Azure's cancel operation before it answers (the request is accepted by then). */
export const CANCEL_WAIT_MS = 120_000;

const target = (model: ModelPlan): Target => ({ model: model.name, environment: model.environment });

function training(model: ModelPlan): TrainingPlan {
  const t = model.azureml?.training;
  if (!t) throw new Error(`internal: ${model.name} does not train on azureml in ${model.environment}`);
  return t;
}

const jobPath = (model: ModelPlan, name: string) => `${workspaceId(model.azureml!)}/jobs/${name}`;

/** The job's `properties`, or undefined when the workspace has no such job. */
async function readJob(model: ModelPlan, name: string, clients: AzureMlClients): Promise<Record<string, any> | undefined> {
  const found = await azureCalls(target(model))(`read job ${name}`, () => unlessNotFound(() => armRequest(clients, 'GET', jobPath(model, name))));
  return found?.body?.properties;
}

// ------------------------------------------------------------------ submit, poll

async function submit(model: ModelPlan, runId: string, sets: Record<string, string>, clients: AzureMlClients): Promise<JobRef> {
  const t = training(model);
  const call = azureCalls(target(model));
  const name = jobName(model, runId);
  // The job's name is the run's: a retried submit (a lost answer, a Lambda timeout) finds it.
  const existing = await readJob(model, name, clients);
  if (existing) return { name, kind: String(existing.jobType), runId };
  const { hyperparameters, inputs } = jobValues(model, t, sets);
  const environment = trainingEnvironment(model);
  // The environment version is named by its content: once made, it is the same for every run.
  const env = await call('read the training environment', () => unlessNotFound(() => armRequest(clients, 'GET', environment.path, undefined, environment.apiVersion)));
  if (!env) await call('register the training environment', () => armRequest(clients, environment.method, environment.path, environment.body, environment.apiVersion));
  const job = azureMlTrainingJob(model, runId, hyperparameters, inputs);
  await call(`submit job ${name}`, () => armRequest(clients, job.method, job.path, job.body, job.apiVersion));
  return { name, kind: String((job.body.properties as { jobType: string }).jobType), runId };
}

async function poll(model: ModelPlan, job: JobRef, clients: AzureMlClients): Promise<JobStatus> {
  const properties = await readJob(model, job.name, clients);
  if (!properties) throw ProviderError.about('azureml', target(model), `job ${job.name} of run ${job.runId} is not in workspace ${model.azureml!.workspace}`);
  const detail = String(properties.status ?? 'Unknown');
  const state = JOB_STATES[detail] ?? 'running';
  const message = jobMessage(properties, state);
  return { state, detail, ...(message ? { message } : {}) };
}

/**
 * Azure's words on a job. The 2024-04-01 job resource has no error field; the one text it carries is a job
 * service's `errorMessage` ("Any error in the service."). A failed job without one points at its logs.
 */
export function jobMessage(properties: Record<string, any>, state: JobState): string | undefined {
  const services = Object.values<{ errorMessage?: string | null; endpoint?: string | null }>(properties.services ?? {});
  const errors = services.map((s) => s?.errorMessage).filter((m): m is string => !!m);
  if (errors.length) return errors.join('; ');
  const studio = properties.services?.Studio?.endpoint;
  if (state === 'failed') return `Azure ML gives no reason on the job resource; its logs are in Azure ML studio${studio ? `: ${studio}` : ''}`;
  return undefined;
}

// ------------------------------------------------------------------ result: MLflow

interface MlflowRun {
  readonly info?: { readonly run_id?: string; readonly run_name?: string; readonly status?: string };
  readonly data?: { readonly metrics?: readonly { readonly key: string; readonly value: number | string; readonly timestamp?: number; readonly step?: number }[] };
}

/** The workspace's MLflow tracking URI as https (Azure gives `azureml://<region>.api.azureml.ms/mlflow/v1.0/...`). */
async function trackingUri(model: ModelPlan, clients: AzureMlClients): Promise<string> {
  const az = model.azureml!;
  const ws = await azureCalls(target(model))(`read workspace ${az.workspace}`, () => armRequest(clients, 'GET', workspaceId(az)));
  const uri = ws.body?.properties?.mlFlowTrackingUri;
  if (typeof uri !== 'string' || !uri) {
    throw ProviderError.about('azureml', target(model), `workspace ${az.workspace} gives no mlFlowTrackingUri, where mlspec reads a run's metrics (Azure ML's MLflow tracking)`);
  }
  return uri.replace(/^azureml:\/\//, 'https://').replace(/\/+$/, '');
}


/** A run's metrics, each key's latest value (the latest timestamp, then step; the last listed at a tie). */
export function lastMetrics(run: MlflowRun): Record<string, number> {
  const best = new Map<string, { value: number; timestamp: number; step: number }>();
  for (const m of run.data?.metrics ?? []) {
    const value = Number(m.value);
    if (!Number.isFinite(value)) continue;
    const timestamp = Number(m.timestamp ?? 0);
    const step = Number(m.step ?? 0);
    const seen = best.get(m.key);
    if (!seen || timestamp > seen.timestamp || (timestamp === seen.timestamp && step >= seen.step)) best.set(m.key, { value, timestamp, step });
  }
  return Object.fromEntries([...best].map(([k, v]) => [k, v.value]));
}

/** A metric in MLflow's search grammar: `metrics.<name>`, the name quoted when it has special characters. */
export function metricIdentifier(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `metrics.${name}`;
  return name.includes('`') ? `metrics."${name}"` : `metrics.\`${name}\``;
}

async function result(model: ModelPlan, job: JobRef, clients: AzureMlClients): Promise<JobResult> {
  const t = training(model);
  const call = azureCalls(target(model));
  const tracking = await trackingUri(model, clients);
  const api = `${tracking}/api/2.0/mlflow`;
  if (job.kind !== 'Sweep') {
    const got = await call(`read the metrics of job ${job.name} from MLflow`, () => mlflowRequest(clients, `${api}/runs/get?run_id=${encodeURIComponent(job.name)}`));
    return { metrics: lastMetrics(got.run ?? {}), artifactUri: `azureml://jobs/${job.name}/outputs/model` };
  }
  // A sweep's trials are child runs of its run (tag mlflow.parentRunId), in its experiment: the job's experimentName,
  // which training.ts sets to the stack name.
  const tuning = t.tuning!;
  const experimentName = model.stackName;
  const experiment = await call(`read MLflow experiment ${experimentName}`, () => mlflowRequest(clients, `${api}/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`));
  const search = {
    experiment_ids: [String(experiment.experiment?.experiment_id)],
    filter: `tags.mlflow.parentRunId = '${job.name}'`,
    order_by: [`${metricIdentifier(tuning.objective)} ${tuning.goal === 'maximize' ? 'DESC' : 'ASC'}`],
    max_results: 1,
  };
  const found = await call(`find the best trial of sweep ${job.name} in MLflow`, () => mlflowRequest(clients, `${api}/runs/search`, search));
  const best: MlflowRun | undefined = found.runs?.[0];
  if (!best?.info?.run_id) throw ProviderError.about('azureml', target(model), `sweep ${job.name} has no trials in MLflow experiment ${experimentName}, so there is no best trial to register`);
  const metrics = lastMetrics(best);
  // Runs without the objective sort last, so the first run lacking it means none reported it.
  if (metrics[tuning.objective] === undefined) {
    throw ProviderError.about('azureml', target(model), `no trial of sweep ${job.name} reported ${tuning.objective}: no line of their output matched training.metrics.${tuning.objective}`);
  }
  const trial = best.info.run_id;
  return { metrics, artifactUri: `azureml://jobs/${trial}/outputs/model`, bestTrial: trial };
}

// ------------------------------------------------------------------ registry

/** The model's versions in the workspace (or the plan's registry); `tags` filters as ModelVersions_List does. */
async function versions(model: ModelPlan, clients: AzureMlClients, tags?: string): Promise<{ name: string; tags: Record<string, string> }[]> {
  const az = model.azureml!;
  const call = azureCalls(target(model));
  if (az.registry) {
    const listed = await call('list registry model versions', () => unlessNotFound(() => armRequest(clients, 'GET', `${registryVersionsPath(az)}${tags ? `?tags=${encodeURIComponent(tags)}` : ''}`)));
    return ((listed?.body?.value ?? []) as { name: string; properties?: { tags?: Record<string, string> } }[]).map((v) => ({ name: v.name, tags: v.properties?.tags ?? {} }));
  }
  return call('list model versions', async () => {
    const out: { name: string; tags: Record<string, string> }[] = [];
    const found = await unlessNotFound(async () => {
      for await (const v of clients.ml.modelVersions.list(az.resourceGroup, az.workspace, az.modelName, tags ? { tags } : {})) out.push({ name: v.name!, tags: (v.properties.tags ?? {}) as Record<string, string> });
      return true;
    });
    return found ? out : [];
  });
}

async function labels(model: ModelPlan, clients: AzureMlClients): Promise<string[]> {
  return (await versions(model, clients)).map((v) => v.name).filter((n) => /^[0-9]+$/.test(n));
}

/** The version this run registered: the one tagged `mlspec:run` = the run id (registerTrainedAzureMlVersion). */
async function registeredBy(model: ModelPlan, runId: string, clients: AzureMlClients): Promise<string | undefined> {
  return (await versions(model, clients, `mlspec:run=${runId}`)).find((v) => v.tags['mlspec:run'] === runId)?.name;
}

function register(model: ModelPlan, job: JobRef, label: string, result: JobResult, clients: AzureMlClients): Promise<string> {
  // A sweep's version is its best trial's output: the trial's job name makes the model URI.
  return registerTrainedAzureMlVersion(model.azureml!, target(model), clients, { label, jobName: result.bestTrial ?? job.name, metrics: result.metrics, runId: job.runId });
}

// ------------------------------------------------------------------ cancel

const ENDED = ['Completed', 'Failed', 'Canceled', 'Finalizing'];

async function cancel(model: ModelPlan, runId: string, job: JobRef | undefined, clients: AzureMlClients): Promise<'cancelled' | 'ended' | 'none'> {
  const name = job?.name ?? jobName(model, runId);
  const before = await readJob(model, name, clients);
  if (!before) return 'none';
  // Finalizing: the training is over and its outputs are being collected; Azure does not cancel it.
  if (ENDED.includes(before.status)) return 'ended';
  if (before.status === 'CancelRequested') return 'cancelled';
  try {
    await azureCalls(target(model))(`cancel job ${name}`, () => postAndFollow(clients, `${jobPath(model, name)}/cancel`));
  } catch (e) {
    // The job may have ended between the look and the cancel: then there is nothing to cancel.
    const after = await readJob(model, name, clients);
    if (after && ENDED.includes(after.status) && after.status !== 'Canceled') return 'ended';
    if (after?.status === 'Canceled' || after?.status === 'CancelRequested') return 'cancelled';
    throw e;
  }
  return 'cancelled';
}

/**
 * Jobs_Cancel (mfe.json 2024-04-01): POST, 200, or 202 with `Location` (and `Retry-After`), final state
 * via location. Follows the Location until it stops answering 202 (an error if the operation failed), for
 * at most CANCEL_WAIT_MS: past that the cancel is requested and Azure finishes it on its own.
 */
async function postAndFollow(clients: AzureMlClients, path: string): Promise<void> {
  const first = await send(clients, 'POST', `${clients.endpoint}${path}?api-version=${RAW_API_VERSION}`);
  let location = first.status === 202 ? first.headers.location : undefined;
  let wait = retryAfterMs(first.headers) ?? clients.pollIntervalMs;
  const deadline = Date.now() + CANCEL_WAIT_MS;
  while (location && Date.now() + wait <= deadline) {
    await new Promise((r) => setTimeout(r, wait));
    const next = await send(clients, 'GET', location);
    if (next.status !== 202) return;
    location = next.headers.location ?? location;
    wait = retryAfterMs(next.headers) ?? clients.pollIntervalMs;
  }
}

async function send(clients: AzureMlClients, method: 'GET' | 'POST', url: string): Promise<ArmResponse & { headers: Record<string, string> }> {
  const response = await clients.ml.sendRequest(createPipelineRequest({ url, method, headers: createHttpHeaders({ accept: 'application/json' }) }));
  const text = response.bodyAsText ?? '';
  let parsed: Record<string, any> | undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status >= 400) {
    const error = parsed?.error ?? {};
    throw new ArmError(response.status, `${error.code ?? `HTTP ${response.status}`}: ${error.message ?? text}`);
  }
  return { status: response.status, body: parsed, headers: response.headers.toJSON() };
}

function retryAfterMs(headers: Record<string, string>): number | undefined {
  const seconds = Number(headers['retry-after']);
  return headers['retry-after'] !== undefined && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** Azure ML's half of a training run (lib/train/jobs.ts), for the training state machine's handler. */
export const azureMlJobRunner: JobRunner<AzureMlClients> = { provider: 'azureml', submit, poll, result, labels, registeredBy, register, cancel };
