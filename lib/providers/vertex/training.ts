import type { protos } from '@google-cloud/aiplatform';
import type { ModelPlan, TuningParameterPlan, VertexModelPlan } from '../../plan/types';
import { projectOf } from '../../plan/names';
import { LAUNCHER, LAUNCH_COMMAND, LAUNCH_ENV } from '../../train/launcher';
import { jobValues, newRunId, type DryRun } from '../../train/types';
import type { TrainingCapability } from '../contract';

/**
 * Training on Vertex AI: a run is a CustomJob, or a HyperparameterTuningJob when the spec tunes.
 * The chief pool runs one replica and a second pool the other `nodes − 1`; the user's command
 * runs inside mlspec's launcher (lib/train/launcher.ts), which reads training.metrics from its
 * output as SageMaker does and starts torchrun from Vertex's CLUSTER_SPEC.
 */

type ICustomJob = protos.google.cloud.aiplatform.v1.ICustomJob;
type ICustomJobSpec = protos.google.cloud.aiplatform.v1.ICustomJobSpec;
type IHyperparameterTuningJob = protos.google.cloud.aiplatform.v1.IHyperparameterTuningJob;
type IParameterSpec = protos.google.cloud.aiplatform.v1.StudySpec.IParameterSpec;

export type VertexTrainingJob =
  | { readonly kind: 'CustomJob'; readonly parent: string; readonly job: ICustomJob }
  | { readonly kind: 'HyperparameterTuningJob'; readonly parent: string; readonly job: IHyperparameterTuningJob };

export type VertexTrainingPlan = NonNullable<VertexModelPlan['training']>;

function training(model: ModelPlan): VertexTrainingPlan {
  const t = model.vertex?.training;
  if (!t) throw new Error(`internal: ${model.name} does not train on vertex in ${model.environment}`);
  return t;
}

/** `gs://bucket/path` as Vertex's Cloud Storage FUSE mount inside custom training: `/gcs/bucket/path`. */
export function gcsMount(uri: string): string {
  return uri.startsWith('gs://') ? `/gcs/${uri.slice(5)}` : uri;
}

/** A folder URI with its trailing slash. */
export const withSlash = (uri: string) => (uri.endsWith('/') ? uri : `${uri}/`);

/** Vertex label values: lowercase letters, digits, `_` and `-`, at most 63 characters. */
export const labelValue = (v: string) => v.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);

/**
 * The job one run submits. `runId` names it (and its output folder); `hyperparameters` are the
 * values of this run (the spec's, or `--set` overrides).
 */
export function vertexTrainingJob(model: ModelPlan, runId: string, hyperparameters: Record<string, string>, inputs: Record<string, string>): VertexTrainingJob {
  const t = training(model);
  const vx = model.vertex!;
  const parent = `projects/${vx.project}/locations/${vx.region}`;
  const project = projectOf(model);
  const displayName = `${model.stackName}-${runId}`.slice(0, 128);
  const labels = { 'managed-by': 'mlspec', 'mlspec-project': labelValue(project), 'mlspec-model': labelValue(model.name), 'mlspec-environment': labelValue(model.environment), 'mlspec-run': labelValue(runId) };
  const tuned = new Set((t.tuning?.parameters ?? []).map((p) => p.name));

  // The launcher's settings, the spec's variables (${model_dir} it resolves at run time), and each input's mount.
  const env: Record<string, string> = {
    ...t.env,
    ...Object.fromEntries(Object.entries(inputs).map(([channel, uri]) => [`MLSPEC_INPUT_${channel.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`, gcsMount(uri)])),
    [LAUNCH_ENV]: LAUNCHER,
    MLSPEC_METRICS: JSON.stringify(Object.fromEntries(t.metrics.map((m) => [m.name, m.regex]))),
    ...(t.distribution === 'pytorch' ? { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_NPROC: String(Math.max(1, t.acceleratorCount)) } : {}),
    ...(t.tuning ? { MLSPEC_HYPERTUNE_METRIC: t.tuning.objective } : {}),
  };
  // Hyperparameters reach the command as --name value; Vertex appends the tuned ones as --name=value itself.
  const args = [...(t.command ?? []), ...Object.entries(hyperparameters).filter(([k]) => !tuned.has(k)).flatMap(([k, v]) => [`--${k}`, v])];
  const machineSpec = {
    machineType: t.machineType,
    ...(t.acceleratorType && t.acceleratorCount > 0 ? { acceleratorType: t.acceleratorType as never, acceleratorCount: t.acceleratorCount } : {}),
  };
  const pool = (replicaCount: number) => ({
    machineSpec,
    replicaCount: String(replicaCount) as never,
    containerSpec: { imageUri: t.image!, command: [...LAUNCH_COMMAND], args, env: Object.entries(env).map(([name, value]) => ({ name, value })) },
  });
  const jobSpec: ICustomJobSpec = {
    workerPoolSpecs: t.nodes > 1 ? [pool(1), pool(t.nodes - 1)] : [pool(1)],
    scheduling: {
      timeout: { seconds: String(t.maxRuntimeSeconds) as never },
      ...(t.spot ? { strategy: 'SPOT' as never } : {}),
      // With checkpoints the run can resume, so a restarted worker restarts the job rather than failing it.
      ...(t.checkpointUri ? { restartJobOnWorkerRestart: true } : {}),
    },
    baseOutputDirectory: { outputUriPrefix: `${withSlash(t.outputUri!)}${runId}/` },
  };

  if (!t.tuning) return { kind: 'CustomJob', parent, job: { displayName, labels, jobSpec } };
  const tu = t.tuning;
  return {
    kind: 'HyperparameterTuningJob',
    parent,
    job: {
      displayName,
      labels,
      studySpec: {
        metrics: [{ metricId: tu.objective, goal: (tu.goal === 'maximize' ? 'MAXIMIZE' : 'MINIMIZE') as never }],
        parameters: tu.parameters.map(parameterSpec),
        // Vertex's default algorithm is Bayesian optimization (study.proto ALGORITHM_UNSPECIFIED).
        ...(tu.strategy === 'bayesian' ? {} : { algorithm: (tu.strategy === 'random' ? 'RANDOM_SEARCH' : 'GRID_SEARCH') as never }),
      },
      maxTrialCount: tu.maxTrials,
      parallelTrialCount: tu.parallelTrials,
      trialJobSpec: jobSpec,
    },
  };
}

/** A searched hyperparameter as Vertex's ParameterSpec: ranges with their scale, numeric lists as discrete values, others categorical. */
export function parameterSpec(p: TuningParameterPlan): IParameterSpec {
  if (p.kind === 'categorical') {
    const numbers = p.values.map(Number);
    if (numbers.every((n, i) => Number.isFinite(n) && p.values[i].trim() !== '')) {
      return { parameterId: p.name, discreteValueSpec: { values: [...numbers].sort((a, b) => a - b) } };
    }
    return { parameterId: p.name, categoricalValueSpec: { values: p.values } };
  }
  const scaleType = (p.scale === 'log' ? 'UNIT_LOG_SCALE' : 'UNIT_LINEAR_SCALE') as never;
  if (p.kind === 'integer') return { parameterId: p.name, integerValueSpec: { minValue: String(p.min) as never, maxValue: String(p.max) as never }, scaleType };
  return { parameterId: p.name, doubleValueSpec: { minValue: p.min, maxValue: p.max }, scaleType };
}

/** What `mlspec train --dry-run` shows for Vertex: the job a run submits, with this run's values. */
export function vertexDryRun(model: ModelPlan, sets: Record<string, string>, runId = newRunId()): DryRun {
  const t = training(model);
  const { hyperparameters, inputs } = jobValues(model, t, sets);
  const job = vertexTrainingJob(model, runId, hyperparameters, inputs);
  const input = job.kind === 'CustomJob' ? { parent: job.parent, customJob: job.job } : { parent: job.parent, hyperparameterTuningJob: job.job };
  return { requests: [{ service: 'aiplatform', operation: `Create${job.kind}`, input, why: 'starts the run' }], placeholders: {} };
}

/**
 * The training capability of the provider contract (lib/providers/contract.ts). `runner` stays
 * undefined: the contract's runner is a `TrainingRunner` (lib/train/types.ts: start, follow and list
 * runs from the CLI), which on Vertex means starting and reading executions of the training state
 * machine; runs.ts has the cloud's half the state machine's steps call (`vertexJobRunner`, a
 * lib/train/jobs.ts `JobRunner`), which is not a `TrainingRunner`. The CLI's half over the state
 * machine belongs in lib/train (provider-neutral, shared with Azure ML), then is set here.
 */
export const trainingCapability = { dryRun: vertexDryRun, runner: undefined } satisfies TrainingCapability;
