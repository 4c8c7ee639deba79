import type { GatePlan, ModelPlan, SageMakerModelPlan, SageMakerTrainingPlan, TuningParameterPlan } from '../../plan/types';

/**
 * Training on SageMaker as one SageMaker Pipeline per model and environment: train (or tune and
 * take the best trial), check `registry.gates` against the final metrics, register the version.
 * The definition is built here, outside CDK, so `cdk deploy` (constructs/sagemaker/training-pipeline.ts)
 * and `mlspec train --dry-run` show the same thing.
 *
 * Expressions are SageMaker Pipelines' own: `{ Get: 'Parameters.x' | 'Steps.S.<property path>' |
 * 'Execution.PipelineExecutionArn' }` and `{ 'Std:Join': { On, Values } }`.
 */

export const PIPELINE_DEFINITION_VERSION = '2020-12-01';

/** Where the training container finds its checkpoints; SageMaker syncs it with CheckpointConfig.S3Uri. */
export const CHECKPOINT_DIR = '/opt/ml/checkpoints';

/** What the definition refers to that exists only once `cdk deploy` made it (tokens in the construct). */
export interface PipelineRefs {
  readonly trainingRoleArn: string;
  /** The stack's training key: output, checkpoints and (where SageMaker takes one) the volume. */
  readonly kmsKeyArn: string;
  /** The function that reads the best trial's metrics after a tuning step (tuning only). */
  readonly bestTrialFunctionArn?: string;
}

export type Expression = { readonly Get: string } | { readonly 'Std:Join': { readonly On: string; readonly Values: readonly unknown[] } };

export interface PipelineParameter {
  readonly Name: string;
  readonly Type: 'String';
  readonly DefaultValue: string;
}

export interface PipelineDefinition {
  readonly Version: typeof PIPELINE_DEFINITION_VERSION;
  readonly Metadata: Record<string, never>;
  readonly Parameters: PipelineParameter[];
  readonly Steps: Record<string, unknown>[];
}

/** A value a run may override with `mlspec train --set key=value`, and the pipeline parameter that carries it. */
export interface RunParameter {
  /** As the user writes it: a hyperparameter's name, or `inputs.<channel>`. */
  readonly key: string;
  readonly parameter: string;
  readonly default: string;
  readonly kind: 'hyperparameter' | 'input';
}

/** The tag a trained version's package carries (its label is its version number, not `mlspec:version`). */
export const TRAINED_TAG = 'mlspec:trained';

/** Step names, as `mlspec train --wait` reports them. */
export const STEPS = { train: 'Train', tune: 'Tune', bestTrial: 'BestTrial', register: 'Register' } as const;

/** The name of the Lambda step's event field that picks the pipeline-step handler. */
export const STEP_KIND_FIELD = 'mlspecStep';

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
const get = (path: string): Expression => ({ Get: path });
const join = (...values: unknown[]): Expression => ({ 'Std:Join': { On: '', Values: values } });

/** The values `--set` may override: static hyperparameters (tuned ones are the search's) and input channels. */
export function runParameters(t: SageMakerTrainingPlan): RunParameter[] {
  const tuned = new Set(t.tuning?.parameters.map((p) => p.name) ?? []);
  return [
    ...Object.entries(t.hyperparameters)
      .filter(([name]) => !tuned.has(name))
      .map(([name, value]) => ({ key: name, parameter: `hp_${safe(name)}`.slice(0, 64), default: value, kind: 'hyperparameter' as const })),
    ...t.inputs.map((i) => ({ key: `inputs.${i.channel}`, parameter: `input_${safe(i.channel)}`.slice(0, 64), default: i.uri, kind: 'input' as const })),
  ];
}

/**
 * The multi-node launcher: reads SageMaker's resource config (every node sees the same host list),
 * takes the first host as the master and this host's place in the list as its rank, then starts the
 * user's command under torchrun (or with TF_CONFIG). Passed in the environment because an
 * entrypoint item may hold only 256 characters.
 */
function multiNodeLauncher(t: SageMakerTrainingPlan): string {
  const parse = [
    "j=$(tr -d ' \\n\\t' </opt/ml/input/config/resourceconfig.json)",
    'c=${j#*\\"current_host\\":\\"};c=${c%%\\"*}',
    'l=${j#*\\"hosts\\":[};l=${l%%]*}',
    'm=${l#\\"};m=${m%%\\"*}',
    'r=$(echo "$l"|tr , \'\\n\'|grep -nx "\\"$c\\""|cut -d: -f1)',
  ];
  if (t.distribution === 'tensorflow') {
    return [
      ...parse,
      'w=$(echo "$l"|sed \'s/"\\([^",]*\\)"/"\\1:2222"/g\')',
      'export TF_CONFIG="{\\"cluster\\":{\\"worker\\":[$w]},\\"task\\":{\\"type\\":\\"worker\\",\\"index\\":$((r-1))}}"',
      'exec "$@"',
    ].join(';');
  }
  return [...parse, `exec torchrun --nnodes=${t.nodes} --nproc_per_node=${processesPerNode(t)} --node_rank=$((r-1)) --master_addr=$m --master_port=29500 --no-python "$@"`].join(';');
}

/** One process per accelerator; one on a CPU instance. */
const processesPerNode = (t: SageMakerTrainingPlan) => Math.max(1, t.acceleratorCount);

const LAUNCH_ENV = 'MLSPEC_LAUNCH';

/** The entrypoint, its arguments and environment that run `command` (with hyperparameters as `--name value`) on any image. */
function containerCommand(t: SageMakerTrainingPlan, params: RunParameter[]): { entrypoint?: string[]; args?: unknown[]; environment: Record<string, string> } {
  if (!t.command) return { environment: {} };
  const byName = new Map(params.filter((p) => p.kind === 'hyperparameter').map((p) => [p.key, p.parameter]));
  const hpArgs = Object.entries(t.hyperparameters).flatMap(([name, value]) => [`--${name}`, byName.has(name) ? get(`Parameters.${byName.get(name)}`) : value]);
  const multiNode = t.nodes > 1 && (t.distribution === 'pytorch' || t.distribution === 'tensorflow');
  if (multiNode) {
    return { entrypoint: ['/bin/sh', '-c', `eval "$${LAUNCH_ENV}"`, 'mlspec-launch'], args: [...t.command, ...hpArgs], environment: { [LAUNCH_ENV]: multiNodeLauncher(t) } };
  }
  if (t.distribution === 'pytorch') {
    // One node: torchrun's standalone rendezvous, one process per GPU.
    return { entrypoint: ['torchrun', '--standalone', '--nnodes=1', `--nproc_per_node=${processesPerNode(t)}`, '--no-python', ...t.command], args: hpArgs.length ? hpArgs : undefined, environment: {} };
  }
  return { entrypoint: [...t.command], args: hpArgs.length ? hpArgs : undefined, environment: {} };
}

function inputChannels(t: SageMakerTrainingPlan, params: RunParameter[]) {
  const byKey = new Map(params.map((p) => [p.key, p.parameter]));
  return t.inputs.map((i) => ({
    ChannelName: i.channel,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: get(`Parameters.${byKey.get(`inputs.${i.channel}`)}`), S3DataDistributionType: 'FullyReplicated' } },
  }));
}

/** What every training job of the run shares, trial or single run. */
function jobResources(t: SageMakerTrainingPlan, refs: PipelineRefs) {
  return {
    RoleArn: refs.trainingRoleArn,
    OutputDataConfig: { S3OutputPath: t.outputUri, KmsKeyId: refs.kmsKeyArn },
    ResourceConfig: {
      InstanceType: t.instanceType,
      InstanceCount: t.nodes,
      VolumeSizeInGB: t.volumeSizeGb,
      ...(t.volumeEncryption === 'kms' ? { VolumeKmsKeyId: refs.kmsKeyArn } : {}),
    },
    StoppingCondition: { MaxRuntimeInSeconds: t.maxRuntimeSeconds, ...(t.spot ? { MaxWaitTimeInSeconds: t.maxWaitSeconds } : {}) },
    EnableManagedSpotTraining: t.spot,
    ...(t.checkpointUri ? { CheckpointConfig: { S3Uri: t.checkpointUri, LocalPath: CHECKPOINT_DIR } } : {}),
    // Traffic between the nodes of a distributed run is encrypted too.
    EnableInterContainerTrafficEncryption: t.nodes > 1,
  };
}

const withEnvironment = (environment: Record<string, string>) => (Object.keys(environment).length ? { Environment: environment } : {});

/**
 * Where the command finds its inputs and writes the model and checkpoints, under the same names
 * on every provider (Vertex and Azure ML set them to their own mounts): MLSPEC_INPUT_<CHANNEL>,
 * MLSPEC_MODEL_DIR, MLSPEC_CHECKPOINT_DIR.
 */
function portableEnvironment(t: SageMakerTrainingPlan): Record<string, string> {
  return {
    MLSPEC_MODEL_DIR: '/opt/ml/model',
    ...(t.checkpointUri ? { MLSPEC_CHECKPOINT_DIR: '/opt/ml/checkpoints' } : {}),
    ...Object.fromEntries(t.inputs.map((i) => [`MLSPEC_INPUT_${i.channel.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`, `/opt/ml/input/data/${i.channel}`])),
  };
}

const metricDefinitions = (t: SageMakerTrainingPlan) => t.metrics.map((m) => ({ Name: m.name, Regex: m.regex }));

function trainingStep(t: SageMakerTrainingPlan, refs: PipelineRefs, params: RunParameter[]) {
  const { entrypoint, args, environment } = containerCommand(t, params);
  const byName = new Map(params.filter((p) => p.kind === 'hyperparameter').map((p) => [p.key, p.parameter]));
  return {
    Name: STEPS.train,
    Type: 'Training',
    Arguments: {
      AlgorithmSpecification: {
        TrainingImage: t.image,
        TrainingInputMode: 'File',
        MetricDefinitions: metricDefinitions(t),
        ...(entrypoint ? { ContainerEntrypoint: entrypoint } : {}),
        ...(args ? { ContainerArguments: args } : {}),
      },
      ...jobResources(t, refs),
      HyperParameters: Object.fromEntries(Object.keys(t.hyperparameters).map((name) => [name, get(`Parameters.${byName.get(name)}`)])),
      InputDataConfig: inputChannels(t, params),
      // training.env, then mlspec's own launcher variables (MLSPEC_* names are refused in the spec).
      ...withEnvironment({ ...t.env, ...portableEnvironment(t), ...environment }),
    },
    RetryPolicies: RETRIES,
  };
}

/** GPU capacity and SageMaker's own transient faults are worth a retry; the user's errors are not. */
const RETRIES = [{ ExceptionType: ['SageMaker.CAPACITY_ERROR', 'SageMaker.JOB_INTERNAL_ERROR'], IntervalSeconds: 300, BackoffRate: 2, MaxAttempts: 3 }];

const STRATEGY = { bayesian: 'Bayesian', random: 'Random', grid: 'Grid' } as const;

function parameterRanges(parameters: TuningParameterPlan[]) {
  const ranges = (kind: 'continuous' | 'integer') =>
    parameters.flatMap((p) => (p.kind === kind ? [{ Name: p.name, MinValue: String(p.min), MaxValue: String(p.max), ScalingType: p.scale === 'log' ? 'Logarithmic' : 'Linear' }] : []));
  const all = {
    ContinuousParameterRanges: ranges('continuous'),
    IntegerParameterRanges: ranges('integer'),
    CategoricalParameterRanges: parameters.flatMap((p) => (p.kind === 'categorical' ? [{ Name: p.name, Values: p.values }] : [])),
  };
  return Object.fromEntries(Object.entries(all).filter(([, list]) => list.length > 0));
}

/**
 * Tuning trials run the image's own entrypoint: CreateHyperParameterTuningJob has no
 * ContainerEntrypoint. For SageMaker's training toolkit (its framework images), `python <script>`
 * becomes `sagemaker_program` and pytorch distribution its torchrun launcher.
 */
function toolkitHyperparameters(t: SageMakerTrainingPlan): Record<string, string> {
  const out: Record<string, string> = {};
  const c = t.command;
  if (c && c.length === 2 && /^python3?$/.test(c[0])) out.sagemaker_program = c[1];
  if (t.distribution === 'pytorch') out.sagemaker_torch_distributed_enabled = 'true';
  return out;
}

function tuningStep(t: SageMakerTrainingPlan, refs: PipelineRefs, params: RunParameter[]) {
  const tuning = t.tuning!;
  const byName = new Map(params.filter((p) => p.kind === 'hyperparameter').map((p) => [p.key, p.parameter]));
  return {
    Name: STEPS.tune,
    Type: 'Tuning',
    Arguments: {
      HyperParameterTuningJobConfig: {
        Strategy: STRATEGY[tuning.strategy],
        // A grid search runs every combination: SageMaker takes no trial count for it.
        ResourceLimits: { ...(tuning.strategy === 'grid' ? {} : { MaxNumberOfTrainingJobs: tuning.maxTrials }), MaxParallelTrainingJobs: tuning.parallelTrials },
        HyperParameterTuningJobObjective: { Type: tuning.goal === 'maximize' ? 'Maximize' : 'Minimize', MetricName: tuning.objective },
        ParameterRanges: parameterRanges(tuning.parameters),
        TrainingJobEarlyStoppingType: 'Off',
      },
      TrainingJobDefinition: {
        AlgorithmSpecification: { TrainingImage: t.image, TrainingInputMode: 'File', MetricDefinitions: metricDefinitions(t) },
        ...jobResources(t, refs),
        StaticHyperParameters: {
          ...Object.fromEntries([...byName].map(([name, parameter]) => [name, get(`Parameters.${parameter}`)])),
          ...toolkitHyperparameters(t),
        },
        InputDataConfig: inputChannels(t, params),
        ...withEnvironment({ ...t.env, ...portableEnvironment(t), ...(t.command ? { MLSPEC_COMMAND: JSON.stringify(t.command) } : {}) }),
      },
    },
    RetryPolicies: RETRIES,
  };
}

/** After tuning: the best trial's job name, model and every final metric (the tuning job reports the objective only). */
function bestTrialStep(t: SageMakerTrainingPlan, refs: PipelineRefs) {
  if (!refs.bestTrialFunctionArn) throw new Error('internal: a tuning pipeline needs the best-trial function');
  return {
    Name: STEPS.bestTrial,
    Type: 'Lambda',
    FunctionArn: refs.bestTrialFunctionArn,
    Arguments: { [STEP_KIND_FIELD]: 'BestTrial', TuningJobName: get(`Steps.${STEPS.tune}.HyperParameterTuningJobName`), Metrics: t.metrics.map((m) => m.name).join(',') },
    OutputParameters: [
      { OutputName: 'TrainingJobName', OutputType: 'String' },
      { OutputName: 'ModelData', OutputType: 'String' },
      ...t.metrics.map((m) => ({ OutputName: m.name, OutputType: 'Float' })),
    ],
  };
}

/** Where the run's results are read: the training step, or the best-trial step after tuning. */
function results(t: SageMakerTrainingPlan) {
  if (t.tuning) {
    const out = (name: string) => get(`Steps.${STEPS.bestTrial}.OutputParameters['${name}']`);
    return { metric: out, modelData: out('ModelData'), jobName: out('TrainingJobName') };
  }
  return {
    metric: (name: string) => get(`Steps.${STEPS.train}.FinalMetricDataList['${name}'].Value`),
    modelData: get(`Steps.${STEPS.train}.ModelArtifacts.S3ModelArtifacts`),
    jobName: get(`Steps.${STEPS.train}.TrainingJobName`),
  };
}

const CONDITION = { '>=': 'GreaterThanOrEqualTo', '>': 'GreaterThan', '<=': 'LessThanOrEqualTo', '<': 'LessThan' } as const;

/** The step that checks every gate at once (SageMaker Pipelines does not nest condition steps). */
export const GATES_STEP = 'Gates';
export const REFUSED_STEP = 'Refused';

/**
 * The message a refused run ends with; `mlspec train --wait` prints it as SageMaker's failure
 * reason, and each gate's own verdict beside it.
 */
export function gateRefusal(gates: GatePlan[], value: (metric: string) => unknown): Expression {
  const parts: unknown[] = ['registry.gates refused this run: '];
  gates.forEach((g, i) => parts.push(`${i ? ', ' : ''}${g.metric} is `, value(g.metric), ` (needs ${g.op} ${g.threshold})`));
  parts.push('; the version was not registered');
  return join(...parts);
}

function registerStep(model: ModelPlan, sm: SageMakerModelPlan, t: SageMakerTrainingPlan) {
  const r = results(t);
  return {
    Name: STEPS.register,
    Type: 'RegisterModel',
    Arguments: {
      ModelPackageGroupName: sm.registry.modelPackageGroupName,
      ModelPackageDescription: `${model.name}, trained by the mlspec pipeline ${t.pipelineName}`,
      ModelApprovalStatus: sm.registry.approvalStatus,
      InferenceSpecification: {
        Containers: [{ Image: t.registration.image, ModelDataUrl: r.modelData }],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
        ...(t.registration.instanceTypes.length ? { SupportedRealtimeInferenceInstanceTypes: t.registration.instanceTypes } : {}),
      },
      // The same metadata declared versions carry, so promotion gates read trained versions alike.
      CustomerMetadataProperties: {
        ...Object.fromEntries(t.metrics.map((m) => [`metric:${m.name}`, join(r.metric(m.name))])),
        'mlspec:trainingJob': join(r.jobName),
        'mlspec:pipelineExecution': join(get('Execution.PipelineExecutionArn')),
      },
      MetadataProperties: { GeneratedBy: get('Execution.PipelineExecutionArn') },
      // Trained versions are named by their package number: the tag keeps them out of the label lookups' scans.
      Tags: [{ Key: TRAINED_TAG, Value: 'true' }],
    },
  };
}

/**
 * registry.gates as one condition (its conditions must all hold): registration when they do, a
 * Fail step naming every gate's value and threshold when one does not.
 */
function gateSteps(model: ModelPlan, sm: SageMakerModelPlan, t: SageMakerTrainingPlan): Record<string, unknown> {
  const r = results(t);
  const gates = model.registry.gates;
  if (gates.length === 0) return registerStep(model, sm, t);
  return {
    Name: GATES_STEP,
    Type: 'Condition',
    Arguments: {
      Conditions: gates.map((g) => ({ Type: CONDITION[g.op], LeftValue: r.metric(g.metric), RightValue: g.threshold })),
      IfSteps: [registerStep(model, sm, t)],
      ElseSteps: [{ Name: REFUSED_STEP, Type: 'Fail', Arguments: { ErrorMessage: gateRefusal(gates, r.metric) } }],
    },
  };
}

/** The pipeline definition (version 2020-12-01) for one model in one environment. */
export function pipelineDefinition(model: ModelPlan, refs: PipelineRefs): PipelineDefinition {
  const sm = model.sagemaker;
  const t = sm?.training;
  if (!sm || !t) throw new Error(`internal: ${model.name} does not train on sagemaker in ${model.environment}`);
  const params = runParameters(t);
  const steps: Record<string, unknown>[] = t.tuning ? [tuningStep(t, refs, params), bestTrialStep(t, refs)] : [trainingStep(t, refs, params)];
  steps.push(gateSteps(model, sm, t));
  return {
    Version: PIPELINE_DEFINITION_VERSION,
    Metadata: {},
    Parameters: params.map((p) => ({ Name: p.parameter, Type: 'String', DefaultValue: p.default })),
    Steps: steps,
  };
}
