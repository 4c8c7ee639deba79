import { createHash } from 'node:crypto';
import type { ModelPlan, TrainingPlan, TuningParameterPlan } from '../../plan/types';
import { LAUNCHER, LAUNCH_COMMAND, LAUNCH_ENV } from '../../train/launcher';
import { jobValues, newRunId, type DryRun } from '../../train/types';
import type { TrainingCapability } from '../contract';
import { RAW_API_VERSION, workspaceId } from './clients';

/**
 * Training on Azure ML: a run is a command job, or a sweep job when the spec tunes, sent raw at
 * 2024-04-01 (the SDK's 2022-10-01 has neither serverless compute nor queueSettings). Serverless
 * compute with the catalog's instance type and `instanceCount = nodes`; PyTorch starts one
 * process per GPU; spot is `queueSettings.jobTier: Spot`. The user's command runs inside mlspec's
 * launcher (lib/train/launcher.ts), which reads training.metrics from its output as SageMaker does.
 */

export interface AzureMlRequest {
  readonly method: 'PUT';
  readonly path: string;
  readonly apiVersion: string;
  readonly body: Record<string, unknown>;
}

function training(model: ModelPlan): TrainingPlan {
  const t = model.azureml?.training;
  if (!t) throw new Error(`internal: ${model.name} does not train on azureml in ${model.environment}`);
  return t;
}

const withSlash = (uri: string) => (uri.endsWith('/') ? uri : `${uri}/`);

/** A word for a POSIX shell: Azure ML runs a job's command with a shell; `${{...}}` it fills in first. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const channelVariable = (channel: string) => `MLSPEC_INPUT_${channel.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;

/** The environment version that holds the training image, named by its content (as serving's is). */
export function trainingEnvironment(model: ModelPlan): AzureMlRequest {
  const az = model.azureml!;
  const t = training(model);
  const name = `${az.modelName}-training`;
  const version = createHash('sha256').update(JSON.stringify([t.image])).digest('hex').slice(0, 12);
  return {
    method: 'PUT',
    path: `${workspaceId(az)}/environments/${name}/versions/${version}`,
    apiVersion: RAW_API_VERSION,
    body: { properties: { image: t.image, osType: 'Linux', description: `mlspec training image of ${model.name}`, tags: { 'managed-by': 'mlspec' } } },
  };
}

/** The job one run submits: `runId` names it and its output folder; `hyperparameters` are this run's values. */
export function azureMlTrainingJob(model: ModelPlan, runId: string, hyperparameters: Record<string, string>, inputs: Record<string, string> = {}): AzureMlRequest {
  const az = model.azureml!;
  const spec = training(model);
  // This run's inputs: the spec's, or --set overrides.
  const t = { ...spec, inputs: spec.inputs.map((i) => ({ channel: i.channel, uri: inputs[i.channel] ?? i.uri })) };
  const environment = trainingEnvironment(model);
  const tuned = new Set((t.tuning?.parameters ?? []).map((p) => p.name));
  // A sweep's trials would all write one folder: each writes below its own job name (Azure's server expression ${{name}}).
  const run = `${withSlash(t.outputUri!)}${runId}/${t.tuning ? '${{name}}/' : ''}`;

  // Where Azure mounts each input and output reaches the launcher through the shell that runs the command.
  const mounts = [
    `MLSPEC_MODEL_DIR=\${{outputs.model}}`,
    `MLSPEC_METRICS_FILE=\${{outputs.mlspec}}/metrics.json`,
    ...(t.checkpointUri ? [`MLSPEC_CHECKPOINT_DIR=\${{outputs.checkpoints}}`] : []),
    ...t.inputs.map((i) => `${channelVariable(i.channel)}=\${{inputs.${i.channel}}}`),
  ];
  const args = [
    ...(t.command ?? []).map(shellWord),
    ...Object.entries(hyperparameters).filter(([k]) => !tuned.has(k)).flatMap(([k, v]) => [`--${k}`, shellWord(v)]),
    ...[...tuned].flatMap((k) => [`--${k}`, `\${{search_space.${k}}}`]),
  ];
  const command = [...mounts, ...LAUNCH_COMMAND.map(shellWord), ...args].join(' ');
  const environmentVariables = {
    ...t.env,
    [LAUNCH_ENV]: LAUNCHER,
    MLSPEC_METRICS: JSON.stringify(Object.fromEntries(t.metrics.map((m) => [m.name, m.regex]))),
    // Azure ML starts one process per GPU itself (distribution PyTorch); the launcher then only watches.
    ...(t.distribution === 'pytorch' ? { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_STARTS_PROCESSES: 'provider' } : {}),
    // The launcher logs what training.metrics matched to the job's MLflow run: a sweep reads its primary metric
    // there, and mlspec reads every run's metrics there (runs.ts).
    MLSPEC_MLFLOW: '1',
  };
  const common = {
    displayName: `${model.stackName}-${runId}`,
    experimentName: model.stackName,
    description: `mlspec train ${model.name} --env ${model.environment}`,
    tags: { 'managed-by': 'mlspec', 'mlspec:model': model.name, 'mlspec:environment': model.environment, 'mlspec:run': runId },
    inputs: Object.fromEntries(t.inputs.map((i) => [i.channel, { jobInputType: 'uri_folder', uri: i.uri, mode: 'ReadOnlyMount' }])),
    outputs: {
      model: { jobOutputType: 'uri_folder', uri: `${run}model/`, mode: 'ReadWriteMount' },
      mlspec: { jobOutputType: 'uri_folder', uri: `${run}mlspec/`, mode: 'ReadWriteMount' },
      ...(t.checkpointUri ? { checkpoints: { jobOutputType: 'uri_folder', uri: withSlash(t.checkpointUri), mode: 'ReadWriteMount' } } : {}),
    },
    // Serverless compute: no computeId, the catalog's VM size and one instance per node.
    ...(t.spot ? { queueSettings: { jobTier: 'Spot' } } : {}),
  };
  const trial = {
    command,
    environmentId: environment.path,
    environmentVariables,
    resources: { instanceType: t.instanceType, instanceCount: t.nodes },
    ...distribution(t),
  };
  const path = `${workspaceId(az)}/jobs/${jobName(model, runId)}`;
  if (!t.tuning) {
    return { method: 'PUT', path, apiVersion: RAW_API_VERSION, body: { properties: { jobType: 'Command', ...common, ...trial, limits: { jobLimitsType: 'Command', timeout: `PT${t.maxRuntimeSeconds}S` } } } };
  }
  const tu = t.tuning;
  return {
    method: 'PUT',
    path,
    apiVersion: RAW_API_VERSION,
    body: {
      properties: {
        jobType: 'Sweep',
        ...common,
        samplingAlgorithm: { samplingAlgorithmType: tu.strategy === 'bayesian' ? 'Bayesian' : tu.strategy === 'random' ? 'Random' : 'Grid' },
        searchSpace: Object.fromEntries(tu.parameters.map((p) => [p.name, searchExpression(p)])),
        objective: { goal: tu.goal === 'maximize' ? 'Maximize' : 'Minimize', primaryMetric: tu.objective },
        limits: { jobLimitsType: 'Sweep', maxTotalTrials: tu.maxTrials, maxConcurrentTrials: tu.parallelTrials, trialTimeout: `PT${t.maxRuntimeSeconds}S` },
        trial,
      },
    },
  };
}

/** Job names are unique in a workspace: `<stack>-<run>`, within Azure's pattern. */
export function jobName(model: ModelPlan, runId: string): string {
  return `${model.stackName}-${runId}`.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 255);
}

function distribution(t: TrainingPlan): Record<string, unknown> {
  const perNode = Math.max(1, t.acceleratorCount);
  if (t.distribution === 'pytorch') return { distribution: { distributionType: 'PyTorch', processCountPerInstance: perNode } };
  if (t.distribution === 'mpi') return { distribution: { distributionType: 'Mpi', processCountPerInstance: perNode } };
  if (t.distribution === 'tensorflow') return { distribution: { distributionType: 'TensorFlow', workerCount: t.nodes } };
  return {};
}

/**
 * A searched hyperparameter as Azure ML's search space expression (the form azure-ai-ml sends):
 * `loguniform` takes natural-log bounds; whole numbers are `quniform` (or `qloguniform`) with q 1.
 */
export function searchExpression(p: TuningParameterPlan): [string, unknown[]] {
  if (p.kind === 'categorical') {
    const numbers = p.values.map(Number);
    return ['choice', [numbers.every((n, i) => Number.isFinite(n) && p.values[i].trim() !== '') ? numbers : p.values]];
  }
  const log = p.scale === 'log';
  const bounds = log ? [Math.log(p.min), Math.log(p.max)] : [p.min, p.max];
  if (p.kind === 'integer') return [log ? 'qloguniform' : 'quniform', [...bounds, 1]];
  return [log ? 'loguniform' : 'uniform', bounds];
}

/** What `mlspec train --dry-run` shows for Azure ML: the training image's environment and the job a run submits. */
export function azureMlDryRun(model: ModelPlan, sets: Record<string, string>, runId = newRunId()): DryRun {
  const t = training(model);
  const { hyperparameters, inputs } = jobValues(model, t, sets);
  const environment = trainingEnvironment(model);
  const job = azureMlTrainingJob(model, runId, hyperparameters, inputs);
  return {
    requests: [
      { service: 'azureml', operation: 'PUT environment version', input: { ...environment }, why: 'registers the training image (once per image: its version is named by its content)' },
      { service: 'azureml', operation: `PUT ${(job.body.properties as { jobType: string }).jobType === 'Sweep' ? 'sweep' : 'command'} job`, input: { ...job }, why: 'starts the run' },
    ],
    placeholders: {},
  };
}

/**
 * The training capability of the provider contract (lib/providers/contract.ts). The cloud's half of
 * a run is `azureMlJobRunner` (runs.ts, a `JobRunner` of lib/train/jobs.ts), which the training
 * state machine's handler calls. `mlspec train` and `mlspec runs` start and follow Azure ML runs as
 * executions of that state machine (lib/train/state-machine-runner.ts), which bin/mlspec.ts builds
 * itself; `runner` stays unset here, as on Vertex AI, so the handler bundle, which imports this file,
 * does not carry the Step Functions client.
 */
export const trainingCapability = { dryRun: azureMlDryRun, runner: undefined } satisfies TrainingCapability;
