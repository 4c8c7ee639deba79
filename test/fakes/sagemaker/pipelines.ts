import * as sdk from '@aws-sdk/client-sagemaker';

/**
 * SageMaker Pipelines for the fake SageMaker (server.ts owns one as `fake.pipelines`): pipelines,
 * their executions, and the training and tuning jobs their steps start. It interprets the real
 * pipeline definition (Version 2020-12-01) and refuses, at CreatePipeline / UpdatePipeline, what
 * SageMaker refuses, with SageMaker's words where they are known (each message says where it comes
 * from; "ours" means no public source gave the service's wording).
 *
 * Time is a fake clock (`now`, epoch seconds). Every DescribePipelineExecution,
 * ListPipelineExecutionSteps, DescribeTrainingJob and DescribeHyperParameterTuningJob call first
 * advances everything that runs by one tick (TICK_SECONDS); `advance(n)` and `runToEnd()` do the same
 * for tests. A training job moves one scripted secondary status per tick (`scriptJobs`, consumed in job
 * creation order, tuning trials included; `defaultScript` when none is queued). Steps that call no job
 * (Condition, Fail, Lambda, RegisterModel) finish in the tick they start, so the steps after them may
 * start in that tick too. A stopped job stays Stopping for one tick, then is Stopped.
 *
 * Scheduling: a step starts once every step it reads (Get Steps.X) and every step in its DependsOn has
 * Succeeded, and, inside a Condition's IfSteps/ElseSteps, once that Condition took its branch. Steps
 * without dependencies start together. Once a step has failed no new step starts; the running ones
 * finish ([guide] Fail step: "the pipeline does not terminate until all concurrent steps are completed").
 *
 * Tests register Lambda functions by ARN in `lambdas`; a function may call the fake itself (such calls
 * do not tick).
 *
 * Sources, cited below by these short names:
 * - [schema]  the pipeline definition JSON schema, github.com/aws-sagemaker-mlops/
 *             sagemaker-model-building-pipeline-definition-JSON-schema (schema/pipeline-definition.schema.json)
 * - [guide]   SageMaker developer guide, "Pipeline steps" (build-and-manage-steps), incl. the Lambda,
 *             Condition and Fail step limitations
 * - [api:X]   SageMaker API reference, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_X.html
 * - [integ]   sagemaker-python-sdk tests/integ/sagemaker/workflow/test_fail_steps.py and
 *             test_pipeline_var_behaviors.py, test_step_decorator.py (run against the real service)
 * - [pysdk]   sagemaker-python-sdk workflow code (what the real SDK writes into definitions)
 */

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const START_CLOCK = 1700000000;
/** Seconds of fake time per tick. */
export const TICK_SECONDS = 60;

/** What the engine needs from the server that owns it. */
export interface PipelineHost {
  /** The server's model registry (smCreateModelPackage): what a RegisterModel step calls. */
  createModelPackage(input: Record<string, unknown>): { ModelPackageArn: string };
  describeModelPackage(arn: string): Record<string, unknown>;
  /** Tags by resource ARN, shared with the server's AddTags/ListTags. */
  tag(arn: string, tags: { Key: string; Value: string }[]): void;
  /** An error the server answers as AWS JSON (`__type` + message). */
  error(type: string, message: string, status?: number): Error;
}

// --- Scripts ------------------------------------------------------------------------------------

export type SecondaryStatus = `${sdk.SecondaryStatus}`;
export type ScriptedTransition = SecondaryStatus | { status: SecondaryStatus; message?: string };

/**
 * How one training job runs. Each tick moves it one transition on; after the last it is Completed
 * (FinalMetricDataList from `metrics`, ModelArtifacts) or, with `failure`, Failed with that reason.
 */
export interface JobScript {
  transitions?: ScriptedTransition[];
  /** Final metrics by name. Only metrics named in AlgorithmSpecification.MetricDefinitions are reported
   *  (SageMaker captures only defined metrics), unless the job uses a built-in AlgorithmName. */
  metrics?: Record<string, number>;
  failure?: string;
  /** Spot jobs only: on-demand jobs bill their training time. Default for spot: 30% of training time. */
  billableSeconds?: number;
  /** Default: the fake time between the first downloading/training status and the end. */
  trainingSeconds?: number;
}

const DEFAULT_TRANSITIONS: SecondaryStatus[] = ['Starting', 'Downloading', 'Training', 'Uploading'];
const STATUS_MESSAGES: Record<string, string> = {
  Starting: 'Preparing the instances for training',
  LaunchingMLInstances: 'Launching requested ML instances',
  PreparingTrainingStack: 'Preparing the training stack',
  Downloading: 'Downloading input data',
  DownloadingTrainingImage: 'Downloading the training image',
  Training: 'Training image download completed. Training in progress.',
  Uploading: 'Uploading generated training model',
  Interrupted: 'Training job interrupted',
  Restarting: 'Restarting the training job',
  Pending: 'Waiting for capacity',
  Updating: 'Updating the training job',
};
const BEFORE_TRAINING = new Set(['Starting', 'Pending', 'LaunchingMLInstances', 'PreparingTrainingStack']);
const TERMINAL_SECONDARY = new Set(['Completed', 'Failed', 'Stopped', 'Stopping', 'MaxRuntimeExceeded', 'MaxWaitTimeExceeded']);

// --- Errors ---------------------------------------------------------------------------------------

/** A refusal of a definition or request: the engine turns it into the server's AWS error. */
class Refusal extends Error {
  constructor(message: string, readonly type = 'ValidationException') {
    super(message);
  }
}

/** A step failure at run time: its message is the step's FailureReason. */
class StepFailure extends Error {}

/** Real prefix: "Unable to parse pipeline definition. ..." (sagemaker-python-sdk#2345, #3472). */
const DEF = 'Unable to parse pipeline definition.';

// --- The SDK's Smithy schemas ---------------------------------------------------------------------

/**
 * The pinned client's schemas (`<Shape>$`): [3, namespace, name, traits, memberNames, memberSchemas,
 * requiredCount] for a structure (the first requiredCount members are required), [1, ns, name, traits,
 * member] a list, [2, ns, name, traits, key, value] a map, [4, ...] a union, [0, ns, name, traits, schema]
 * a simple shape with traits. A member is a schema, or [schema, memberTraits]. Numbers are
 * @smithy/core's SCHEMA constants: 0 string, 1 number, 2 boolean, 4-7 timestamps, 15 document,
 * 21/42 blobs, 64|x a list of x, 128|x a map of x. A function returns a schema (lazy references).
 */
type Kind =
  | { k: 'string' | 'number' | 'boolean' | 'timestamp' | 'blob' | 'document' }
  | { k: 'list'; member: unknown; name?: string }
  | { k: 'map'; value: unknown; name?: string }
  | { k: 'struct' | 'union'; name: string; names: string[]; schemas: unknown[]; required: number };

function kindOf(s: unknown): Kind {
  if (typeof s === 'function') return kindOf(s());
  if (typeof s === 'number') {
    if (s >= 128) return { k: 'map', value: s - 128 };
    if (s >= 64) return { k: 'list', member: s - 64 };
    if (s === 0) return { k: 'string' };
    if (s === 1 || s === 17 || s === 19) return { k: 'number' };
    if (s === 2) return { k: 'boolean' };
    if (s >= 4 && s <= 7) return { k: 'timestamp' };
    if (s === 15) return { k: 'document' };
    if (s === 21 || s === 42) return { k: 'blob' };
  }
  if (Array.isArray(s)) {
    if (typeof s[1] !== 'string') return kindOf(s[0]); // a member with its own traits
    switch (s[0]) {
      case 0: return kindOf(s[4]);
      case 1: return { k: 'list', member: s[4], name: s[2] };
      case 2: return { k: 'map', value: s[5], name: s[2] };
      case 3: return { k: 'struct', name: s[2], names: s[4], schemas: s[5], required: s[6] ?? 0 };
      case 4: return { k: 'union', name: s[2], names: s[4], schemas: s[5], required: 0 };
    }
  }
  throw new Error(`Unrecognised schema in @aws-sdk/client-sagemaker: ${JSON.stringify(s)}`);
}

const SCHEMAS = {
  training: (sdk as unknown as Record<string, unknown>)['CreateTrainingJobRequest$'],
  tuning: (sdk as unknown as Record<string, unknown>)['CreateHyperParameterTuningJobRequest$'],
  modelPackage: (sdk as unknown as Record<string, unknown>)['CreateModelPackageInput$'],
};

interface Limit {
  /** Length of a string, or item count of a list, or entry count of a map. */
  length?: [number, number];
  itemLength?: [number, number];
  keyLength?: [number, number];
  keyPattern?: RegExp;
  valueLength?: [number, number];
  valuePattern?: RegExp;
  range?: [number, number];
  pattern?: RegExp;
  /** The API reference page the limit is from. */
  doc: string;
}

const S3_URI = /^(https|s3):\/\/([^/]+)\/?(.*)$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const META = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
const ARN_OR_NAME = /^(arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:[a-z-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)$/;
const HYPERPARAMETERS: Limit = { length: [0, 100], keyLength: [0, 256], valueLength: [0, 2500], doc: 'CreateTrainingJob' };
const ENVIRONMENT: Limit = { length: [0, 100], keyLength: [0, 512], keyPattern: /^[a-zA-Z_][a-zA-Z0-9_]*$/, valueLength: [0, 512], doc: 'CreateTrainingJob' };

/** Documented limits, by `<structure shape>.<member>`; each names its [api:X] page. */
const LIMITS: Record<string, Limit> = {
  'AlgorithmSpecification.ContainerEntrypoint': { length: [1, 100], itemLength: [0, 256], doc: 'AlgorithmSpecification' },
  'AlgorithmSpecification.ContainerArguments': { length: [1, 100], itemLength: [0, 256], doc: 'AlgorithmSpecification' },
  'AlgorithmSpecification.MetricDefinitions': { length: [0, 40], doc: 'AlgorithmSpecification' },
  'AlgorithmSpecification.TrainingImage': { length: [0, 255], doc: 'AlgorithmSpecification' },
  'AlgorithmSpecification.AlgorithmName': { length: [1, 170], pattern: ARN_OR_NAME, doc: 'AlgorithmSpecification' },
  'HyperParameterAlgorithmSpecification.MetricDefinitions': { length: [0, 40], doc: 'HyperParameterAlgorithmSpecification' },
  'HyperParameterAlgorithmSpecification.TrainingImage': { length: [0, 255], doc: 'HyperParameterAlgorithmSpecification' },
  'MetricDefinition.Name': { length: [1, 255], doc: 'MetricDefinition' },
  'MetricDefinition.Regex': { length: [1, 500], doc: 'MetricDefinition' },
  'CreateTrainingJobRequest.HyperParameters': HYPERPARAMETERS,
  'CreateTrainingJobRequest.Environment': ENVIRONMENT,
  'CreateTrainingJobRequest.InputDataConfig': { length: [1, 20], doc: 'CreateTrainingJob' },
  'CreateTrainingJobRequest.RoleArn': { length: [20, 2048], pattern: ROLE_ARN, doc: 'CreateTrainingJob' },
  'CreateTrainingJobRequest.Tags': { length: [0, 50], doc: 'CreateTrainingJob' },
  'HyperParameterTrainingJobDefinition.StaticHyperParameters': { ...HYPERPARAMETERS, doc: 'HyperParameterTrainingJobDefinition' },
  'HyperParameterTrainingJobDefinition.Environment': { ...ENVIRONMENT, length: [0, 48], doc: 'HyperParameterTrainingJobDefinition' },
  'HyperParameterTrainingJobDefinition.InputDataConfig': { length: [1, 20], doc: 'HyperParameterTrainingJobDefinition' },
  'HyperParameterTrainingJobDefinition.RoleArn': { length: [20, 2048], pattern: ROLE_ARN, doc: 'HyperParameterTrainingJobDefinition' },
  'Channel.ChannelName': { length: [1, 64], pattern: /^[A-Za-z0-9.\-_]+$/, doc: 'Channel' },
  'OutputDataConfig.S3OutputPath': { length: [0, 1024], pattern: S3_URI, doc: 'OutputDataConfig' },
  'S3DataSource.S3Uri': { length: [0, 1024], pattern: S3_URI, doc: 'S3DataSource' },
  'CheckpointConfig.S3Uri': { length: [0, 1024], pattern: S3_URI, doc: 'CheckpointConfig' },
  // "The default value is 1 day. The maximum value is 28 days."
  'StoppingCondition.MaxRuntimeInSeconds': { range: [1, 28 * 86400], doc: 'StoppingCondition' },
  'StoppingCondition.MaxWaitTimeInSeconds': { range: [1, Infinity], doc: 'StoppingCondition' },
  'StoppingCondition.MaxPendingTimeInSeconds': { range: [7200, 2419200], doc: 'StoppingCondition' },
  'ResourceConfig.InstanceCount': { range: [0, Infinity], doc: 'ResourceConfig' },
  'ResourceConfig.VolumeSizeInGB': { range: [0, Infinity], doc: 'ResourceConfig' },
  'ResourceConfig.KeepAlivePeriodInSeconds': { range: [0, 21600], doc: 'ResourceConfig' },
  'Tag.Key': { length: [1, 128], doc: 'Tag' },
  'Tag.Value': { length: [0, 256], doc: 'Tag' },
  'CreateHyperParameterTuningJobRequest.Tags': { length: [0, 50], doc: 'CreateHyperParameterTuningJob' },
  'ResourceLimits.MaxNumberOfTrainingJobs': { range: [1, Infinity], doc: 'ResourceLimits' },
  'ResourceLimits.MaxParallelTrainingJobs': { range: [1, Infinity], doc: 'ResourceLimits' },
  'ResourceLimits.MaxRuntimeInSeconds': { range: [120, 15768000], doc: 'ResourceLimits' },
  'ParameterRanges.IntegerParameterRanges': { length: [0, 30], doc: 'ParameterRanges' },
  'ParameterRanges.ContinuousParameterRanges': { length: [0, 30], doc: 'ParameterRanges' },
  'ParameterRanges.CategoricalParameterRanges': { length: [0, 30], doc: 'ParameterRanges' },
  'CategoricalParameterRange.Values': { length: [1, 30], itemLength: [0, 256], doc: 'CategoricalParameterRange' },
  'HyperParameterTuningJobObjective.MetricName': { length: [1, 255], doc: 'HyperParameterTuningJobObjective' },
  'CreateModelPackageInput.CustomerMetadataProperties': { length: [1, 50], keyLength: [1, 128], keyPattern: META, valueLength: [1, 256], valuePattern: META, doc: 'CreateModelPackage' },
  'CreateModelPackageInput.ModelPackageGroupName': { length: [1, 170], pattern: ARN_OR_NAME, doc: 'CreateModelPackage' },
  'CreateModelPackageInput.ModelPackageDescription': { length: [0, 1024], doc: 'CreateModelPackage' },
  'CreateModelPackageInput.Tags': { length: [0, 50], doc: 'CreateModelPackage' },
};

/**
 * Enumerations SageMaker checks in step arguments, by `<structure>.<member>`, with the enum shape's
 * name. The values are the pinned client's. Message form (real): "Model Validation failed: Value
 * 'FastFile' for 'ProcessingS3InputMode' failed to satisfy enum value set: [Pipe, File]" (a CreatePipeline
 * error quoted in a public pipeline project's code comment; the service's own documentation has none).
 */
const ENUMS: Record<string, { shape: string; values: string[] }> = (() => {
  const e = (shape: string) => ({ shape, values: Object.values((sdk as unknown as Record<string, Record<string, string>>)[shape]) });
  return {
    'AlgorithmSpecification.TrainingInputMode': e('TrainingInputMode'),
    'HyperParameterAlgorithmSpecification.TrainingInputMode': e('TrainingInputMode'),
    'Channel.InputMode': e('TrainingInputMode'),
    'Channel.CompressionType': e('CompressionType'),
    'Channel.RecordWrapperType': e('RecordWrapper'),
    'S3DataSource.S3DataType': e('S3DataType'),
    'S3DataSource.S3DataDistributionType': e('S3DataDistribution'),
    'ResourceConfig.InstanceType': e('TrainingInstanceType'),
    'OutputDataConfig.CompressionType': e('OutputCompressionType'),
    'HyperParameterTuningJobObjective.Type': e('HyperParameterTuningJobObjectiveType'),
    'HyperParameterTuningJobConfig.Strategy': e('HyperParameterTuningJobStrategyType'),
    'HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType': e('TrainingJobEarlyStoppingType'),
    'CreateModelPackageInput.ModelApprovalStatus': e('ModelApprovalStatus'),
  };
})();

// --- Expressions ----------------------------------------------------------------------------------

const FUNCTIONS = ['Get', 'Std:Join', 'Std:JsonGet'];
const EXECUTION_VARIABLES = ['PipelineExecutionArn', 'PipelineExecutionId', 'PipelineName', 'PipelineArn', 'StartDateTime', 'CurrentDateTime'];
const STEP_NAME = /^[A-Za-z0-9\-_]{1,64}$/; // [schema] StepName and ParameterName
const STEP_REF = /^Steps\.([A-Za-z0-9\-_]{1,64})((?:\.[A-Za-z0-9_]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\])+)$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"Get": ...}`, `{"Std:Join": ...}` or `{"Std:JsonGet": ...}`: a value computed at run time. */
function isExpression(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && Object.keys(v).length === 1 && FUNCTIONS.includes(Object.keys(v)[0]);
}

type Segment = { prop: string } | { index: number } | { key: string };

function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  const re = /\.([A-Za-z0-9_]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    if (m[1] !== undefined) out.push({ prop: m[1] });
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) });
    else out.push({ key: m[3] ?? m[4] });
  }
  return out;
}

type ValueType = 'String' | 'Integer' | 'Float' | 'Boolean' | 'Other';
interface Typed { v: unknown; t: ValueType }

function typeOfLiteral(v: unknown): ValueType {
  if (typeof v === 'string') return 'String';
  if (typeof v === 'boolean') return 'Boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Float';
  return 'Other';
}

/**
 * Java's Double.toString: SageMaker's backend stringifies values in Std:Join the Java way (a Boolean
 * property joins as "false" [integ], not Python's "False"), so a Float joins as "0.93", "1.0",
 * "1.0E-5", "1.0E7". Integers join as "3".
 */
export function javaDouble(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = x.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

function stringify(x: Typed): string {
  switch (x.t) {
    case 'String': return String(x.v);
    case 'Boolean': return x.v ? 'true' : 'false';
    case 'Integer': return String(x.v);
    case 'Float': return javaDouble(Number(x.v));
    default: return typeof x.v === 'string' ? x.v : JSON.stringify(x.v);
  }
}

// --- Definitions ----------------------------------------------------------------------------------

type StepType = 'Training' | 'Tuning' | 'Lambda' | 'Condition' | 'Fail' | 'RegisterModel';
const SERVED: StepType[] = ['Training', 'Tuning', 'Lambda', 'Condition', 'Fail', 'RegisterModel'];
/** Step types SageMaker knows ([schema], [guide]) that this fake does not run. */
const NOT_SERVED = ['Processing', 'Transform', 'CreateModel', 'Callback', 'ClarifyCheck', 'QualityCheck', 'EMR', 'AutoML', 'Endpoint', 'EndpointConfig', 'Model', 'Notebook', 'Function'];

/** Top-level step fields by type ([schema] additionalProperties false; [pysdk] Step.to_request). */
const COMMON_FIELDS = ['Name', 'Type', 'Arguments', 'DependsOn', 'DisplayName', 'Description'];
const STEP_FIELDS: Record<StepType, string[]> = {
  Training: [...COMMON_FIELDS, 'RetryPolicies', 'CacheConfig'],
  Tuning: [...COMMON_FIELDS, 'RetryPolicies', 'CacheConfig'],
  RegisterModel: [...COMMON_FIELDS, 'RetryPolicies'],
  Lambda: [...COMMON_FIELDS, 'FunctionArn', 'OutputParameters', 'CacheConfig'],
  Condition: COMMON_FIELDS,
  Fail: COMMON_FIELDS,
};

interface ParameterDef { Name: string; Type: 'String' | 'Integer' | 'Float' | 'Boolean'; DefaultValue?: unknown }

interface StepDef {
  Name: string;
  Type: StepType;
  raw: Record<string, any>;
  /** The Condition step and branch this step sits in, if any. */
  parent?: { step: string; branch: 'IfSteps' | 'ElseSteps' };
  /** Steps this one waits for: data dependencies (Get Steps.X) and DependsOn. */
  deps: Set<string>;
  order: number;
}

interface Definition {
  text: string;
  parameters: Map<string, ParameterDef>;
  steps: Map<string, StepDef>;
  experiment?: unknown;
}

/** Where a value sits, for messages: step 'Train', Arguments.ResourceConfig.InstanceCount. */
interface Where { step: string; path: string }

function here(w: Where): string {
  return `step '${w.step}', ${w.path}`;
}

function child(w: Where, member: string | number): Where {
  return { step: w.step, path: typeof member === 'number' ? `${w.path}[${member}]` : `${w.path}.${member}` };
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isExpression(v)) return 'an expression';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/**
 * Checks a step's Arguments against a request shape of the pinned client, as SageMaker's typed parser
 * does: unknown members, missing required members, JSON types, documented limits, enumerations. An
 * expression may stand for any scalar. At run time (`resolved`) there are no expressions left and the
 * messages take the API's own validation form ("1 validation error detected: ...").
 */
class ArgumentChecker {
  constructor(private readonly resolved: boolean) {}

  /** Definition time: "Unable to parse pipeline definition. Model Validation failed: <detail> (step 'S', <path>)". */
  problem(w: Where, detail: string): Error {
    return this.resolved
      ? new StepFailure(`ClientError: 1 validation error detected: ${detail} (at '${w.path.replace(/^Arguments\./, '')}')`)
      : new Refusal(`${DEF} Model Validation failed: ${detail} (${here(w)})`);
  }

  check(value: unknown, schema: unknown, w: Where, opts: { optional?: string[]; forbidden?: string[] } = {}): void {
    const kind = kindOf(schema);
    if (isExpression(value) && !this.resolved) {
      if (kind.k === 'list' || kind.k === 'map' || kind.k === 'struct' || kind.k === 'union') {
        throw this.problem(w, `expected ${kind.k === 'list' ? 'a list' : 'an object'}, got an expression (an expression stands only for a single value)`);
      }
      return;
    }
    switch (kind.k) {
      case 'string':
      case 'blob':
        if (typeof value !== 'string') throw this.problem(w, `expected a string, got ${describeJson(value)}`);
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) throw this.problem(w, `expected a number, got ${describeJson(value)}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') throw this.problem(w, `expected a boolean, got ${describeJson(value)}`);
        return;
      case 'timestamp':
        if (typeof value !== 'number' && typeof value !== 'string') throw this.problem(w, `expected a timestamp, got ${describeJson(value)}`);
        return;
      case 'document':
        return;
      case 'list':
        // Real wording when a list was expected: "Unable to parse pipeline definition. Expecting start of Json Array." (#2345)
        if (!Array.isArray(value)) throw this.problem(w, `Expecting start of Json Array: expected a list, got ${describeJson(value)}`);
        value.forEach((item, i) => this.check(item, kind.member, child(w, i)));
        return;
      case 'map':
        if (!isPlainObject(value) || isExpression(value)) throw this.problem(w, `expected a map, got ${describeJson(value)}`);
        for (const [k, v] of Object.entries(value)) this.check(v, kind.value, child(w, k));
        return;
      case 'struct':
      case 'union':
        this.checkStruct(value, kind, w, opts);
    }
  }

  private checkStruct(value: unknown, kind: Extract<Kind, { names: string[] }>, w: Where, opts: { optional?: string[]; forbidden?: string[] }): void {
    if (!isPlainObject(value) || isExpression(value)) throw this.problem(w, `expected an object, got ${describeJson(value)}`);
    const known = new Set(kind.names.filter((n) => !opts.forbidden?.includes(n)));
    for (const key of Object.keys(value)) {
      if (!known.has(key)) {
        // Real wording: "Unable to parse pipeline definition. Unknown Argument member 'ModelPackageName'." (sagemaker-python-sdk#3472)
        throw this.resolved
          ? new StepFailure(`ClientError: Unknown member '${key}' (at '${child(w, key).path}')`)
          : new Refusal(`${DEF} Unknown Argument member '${key}'. (${here(child(w, key))})`);
      }
    }
    kind.names.slice(0, kind.required).forEach((name) => {
      if (value[name] === undefined && !opts.optional?.includes(name) && !opts.forbidden?.includes(name)) {
        throw this.problem(child(w, name), `missing required member '${name}'`);
      }
    });
    if (kind.k === 'union' && Object.keys(value).length !== 1) throw this.problem(w, `${kind.name} takes exactly one member, got ${Object.keys(value).length}`);
    kind.names.forEach((name, i) => {
      if (value[name] === undefined) return;
      const at = child(w, name);
      this.check(value[name], kind.schemas[i], at);
      this.limits(`${kind.name}.${name}`, value[name], at);
    });
    this.crossFields(kind.name, value, w);
  }

  private limits(key: string, v: unknown, w: Where): void {
    const e = ENUMS[key];
    if (e && typeof v === 'string' && !e.values.includes(v)) {
      throw this.problem(w, `Value '${v}' for '${e.shape}' failed to satisfy enum value set: [${e.values.join(', ')}]`);
    }
    const l = LIMITS[key];
    if (!l) return;
    const fail = (constraint: string, what = w) => this.problem(what, `Value failed to satisfy constraint: ${constraint}`);
    const len = (n: number, [min, max]: [number, number], what = w) => {
      if (n > max) throw fail(`Member must have length less than or equal to ${max}`, what);
      if (n < min) throw fail(`Member must have length greater than or equal to ${min}`, what);
    };
    if (typeof v === 'string') {
      if (l.length) len([...v].length, l.length);
      if (l.pattern && !l.pattern.test(v)) throw fail(`Member must satisfy regular expression pattern: ${l.pattern.source}`);
    } else if (typeof v === 'number' && l.range) {
      if (v > l.range[1]) throw fail(`Member must have value less than or equal to ${l.range[1]}`);
      if (v < l.range[0]) throw fail(`Member must have value greater than or equal to ${l.range[0]}`);
    } else if (Array.isArray(v)) {
      if (l.length) len(v.length, l.length);
      if (l.itemLength) v.forEach((item, i) => typeof item === 'string' && len([...item].length, l.itemLength!, child(w, i)));
    } else if (isPlainObject(v) && !isExpression(v)) {
      const entries = Object.entries(v);
      if (l.length) len(entries.length, l.length);
      for (const [k, item] of entries) {
        const at = child(w, k);
        if (l.keyLength && ([...k].length > l.keyLength[1] || [...k].length < l.keyLength[0])) {
          throw fail(`Map keys must satisfy constraint: [Member must have length ${[...k].length > l.keyLength[1] ? `less than or equal to ${l.keyLength[1]}` : `greater than or equal to ${l.keyLength[0]}`}]`, at);
        }
        if (l.keyPattern && !l.keyPattern.test(k)) throw fail(`Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ${l.keyPattern.source}]`, at);
        if (typeof item === 'string') {
          if (l.valueLength && ([...item].length > l.valueLength[1] || [...item].length < l.valueLength[0])) {
            throw fail(`Map value must satisfy constraint: [Member must have length ${[...item].length > l.valueLength[1] ? `less than or equal to ${l.valueLength[1]}` : `greater than or equal to ${l.valueLength[0]}`}]`, at);
          }
          if (l.valuePattern && !l.valuePattern.test(item)) throw fail(`Map value must satisfy constraint: [Member must satisfy regular expression pattern: ${l.valuePattern.source}]`, at);
        }
      }
    }
  }

  /** Rules across members of one request, checked where their values are literal. */
  private crossFields(shape: string, v: Record<string, unknown>, w: Where): void {
    if (shape === 'CreateTrainingJobRequest' || shape === 'HyperParameterTrainingJobDefinition') {
      const stop = isPlainObject(v.StoppingCondition) ? v.StoppingCondition : {};
      const spot = v.EnableManagedSpotTraining;
      if (stop.MaxWaitTimeInSeconds !== undefined && spot !== true && !isExpression(spot)) {
        // Real wording (Kenza-AI/sagify#111, amazon-sagemaker-examples#869).
        throw this.problem(child(child(w, 'StoppingCondition'), 'MaxWaitTimeInSeconds'), 'Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true');
      }
      if (typeof stop.MaxWaitTimeInSeconds === 'number' && typeof stop.MaxRuntimeInSeconds === 'number' && stop.MaxWaitTimeInSeconds < stop.MaxRuntimeInSeconds) {
        // [api:StoppingCondition] MaxWaitTimeInSeconds "must be equal to or greater than MaxRuntimeInSeconds". Wording ours.
        throw this.problem(child(child(w, 'StoppingCondition'), 'MaxWaitTimeInSeconds'), `MaxWaitTimeInSeconds (${stop.MaxWaitTimeInSeconds}) must be equal to or greater than MaxRuntimeInSeconds (${stop.MaxRuntimeInSeconds})`);
      }
    }
    if (shape === 'ResourceConfig' && typeof v.InstanceCount === 'number' && v.InstanceCount < 1 && v.InstanceGroups === undefined) {
      // [api:ResourceConfig] allows 0 only for heterogeneous clusters (InstanceGroups). Wording ours.
      throw this.problem(child(w, 'InstanceCount'), 'InstanceCount must be at least 1 when InstanceGroups is not given');
    }
  }
}

/** A pipeline definition as SageMaker parses it at CreatePipeline / UpdatePipeline, or a Refusal. */
export function parseDefinition(text: unknown): Definition {
  if (typeof text !== 'string' || text.length === 0) throw new Refusal('PipelineDefinition is required: this fake reads no PipelineDefinitionS3Location.');
  // [api:CreatePipeline] PipelineDefinition: "Maximum length of 1048576."
  if (text.length > 1048576) throw new Refusal(`1 validation error detected: Value at 'pipelineDefinition' failed to satisfy constraint: Member must have length less than or equal to 1048576`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Refusal(`${DEF} The definition is not JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(doc)) throw new Refusal(`${DEF} The definition must be a JSON object.`);
  // [schema] Version: enum ["2020-12-01"] (optional).
  if (doc.Version !== undefined && doc.Version !== '2020-12-01') {
    throw new Refusal(`${DEF} Unsupported Version '${String(doc.Version)}': the only pipeline definition version is 2020-12-01.`);
  }
  const parameters = new Map<string, ParameterDef>();
  if (doc.Parameters !== undefined && !Array.isArray(doc.Parameters)) throw new Refusal(`${DEF} Parameters must be a list.`);
  for (const [i, p] of ((doc.Parameters as unknown[]) ?? []).entries()) parseParameter(p, i, parameters);
  if (!Array.isArray(doc.Steps)) throw new Refusal(`${DEF} Steps is required and must be a list.`);

  const steps = new Map<string, StepDef>();
  const collect = (list: unknown[], where: string, parent?: StepDef['parent']) => {
    list.forEach((s, i) => {
      if (!isPlainObject(s)) throw new Refusal(`${DEF} ${where}[${i}] must be a step object.`);
      const name = s.Name;
      if (typeof name !== 'string' || !STEP_NAME.test(name)) {
        throw new Refusal(`${DEF} Step name ${JSON.stringify(name)} at ${where}[${i}] must match ${STEP_NAME.source}.`);
      }
      if (steps.has(name)) throw new Refusal(`${DEF} Step names must be unique: '${name}' is used more than once.`);
      const type = s.Type;
      if (typeof type !== 'string' || !SERVED.includes(type as StepType)) {
        if (NOT_SERVED.includes(type as string)) throw new Refusal(`Step '${name}' has type '${String(type)}', which this fake SageMaker does not run (it runs ${SERVED.join(', ')}).`);
        throw new Refusal(`${DEF} Step '${name}' has an unknown step type ${JSON.stringify(type)}.`);
      }
      // Developer guide, Pipelines steps, Condition step limitations: "SageMaker Pipelines doesn't support
      // the use of nested condition steps" (wording of the refusal ours).
      if (type === 'Condition' && parent) throw new Refusal(`${DEF} Condition step '${name}' is nested in the ${parent.branch} of Condition step '${parent.step}'; SageMaker Pipelines does not support nested condition steps.`);
      const def: StepDef = { Name: name, Type: type as StepType, raw: s, parent, deps: new Set(), order: steps.size };
      steps.set(name, def);
      for (const key of Object.keys(s)) {
        if (!STEP_FIELDS[def.Type].includes(key)) throw new Refusal(`${DEF} Unknown field '${key}' in ${def.Type} step '${name}'.`);
      }
      if (def.Type === 'Condition') {
        const args = s.Arguments;
        if (isPlainObject(args)) {
          for (const branch of ['IfSteps', 'ElseSteps'] as const) {
            if (args[branch] === undefined) continue;
            if (!Array.isArray(args[branch])) throw new Refusal(`${DEF} ${branch} of Condition step '${name}' must be a list.`);
            collect(args[branch] as unknown[], `Steps '${name}'.Arguments.${branch}`, { step: name, branch });
          }
        }
      }
    });
  };
  collect(doc.Steps, 'Steps');

  const ctx: DefinitionContext = { parameters, steps };
  for (const def of steps.values()) checkStep(def, ctx);
  checkCycles(steps);
  return { text, parameters, steps, experiment: doc.PipelineExperimentConfig };
}

function parseParameter(p: unknown, i: number, into: Map<string, ParameterDef>): void {
  if (!isPlainObject(p)) throw new Refusal(`${DEF} Parameters[${i}] must be an object.`);
  for (const key of Object.keys(p)) {
    if (!['Name', 'Type', 'DefaultValue', 'Description', 'EnumValues'].includes(key)) throw new Refusal(`${DEF} Unknown field '${key}' in Parameters[${i}].`);
  }
  // [schema] ParameterName ^[A-Za-z0-9\-_]{1,64}$; Type String|Integer|Float|Boolean (String when absent).
  if (typeof p.Name !== 'string' || !STEP_NAME.test(p.Name)) throw new Refusal(`${DEF} Parameter name ${JSON.stringify(p.Name)} must match ${STEP_NAME.source}.`);
  if (into.has(p.Name)) throw new Refusal(`${DEF} Parameter names must be unique: '${p.Name}' is declared more than once.`);
  const type = (p.Type ?? 'String') as ParameterDef['Type'];
  if (!['String', 'Integer', 'Float', 'Boolean'].includes(type)) throw new Refusal(`${DEF} Parameter '${p.Name}' has an unknown Type ${JSON.stringify(p.Type)}.`);
  if (p.DefaultValue !== undefined && !literalFits(p.DefaultValue, type)) {
    throw new Refusal(`${DEF} DefaultValue ${JSON.stringify(p.DefaultValue)} of parameter '${p.Name}' is not a ${type}.`);
  }
  into.set(p.Name, { Name: p.Name, Type: type, DefaultValue: p.DefaultValue });
}

function literalFits(v: unknown, type: ParameterDef['Type']): boolean {
  switch (type) {
    case 'String': return typeof v === 'string';
    case 'Integer': return typeof v === 'number' && Number.isInteger(v);
    case 'Float': return typeof v === 'number';
    case 'Boolean': return typeof v === 'boolean';
  }
}

interface DefinitionContext { parameters: Map<string, ParameterDef>; steps: Map<string, StepDef> }

/** Checks every expression under `v` and records the steps it reads as dependencies of `def`. */
function checkExpressions(v: unknown, def: StepDef, w: Where, ctx: DefinitionContext): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkExpressions(x, def, child(w, i), ctx));
    return;
  }
  if (!isPlainObject(v)) return;
  if (isExpression(v)) {
    checkExpression(v, def, w, ctx);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('Std:')) throw new Refusal(`${DEF} Unknown function '${k}' (${here(w)}).`);
    checkExpressions(x, def, child(w, k), ctx);
  }
}

function checkExpression(e: Record<string, unknown>, def: StepDef, w: Where, ctx: DefinitionContext): void {
  if ('Std:JsonGet' in e) throw new Refusal(`Std:JsonGet reads a Processing step's property file, which this fake SageMaker does not run (${here(w)}).`);
  if ('Std:Join' in e) {
    const j = e['Std:Join'];
    if (!isPlainObject(j) || !Array.isArray(j.Values) || (j.On !== undefined && typeof j.On !== 'string') || Object.keys(j).some((k) => k !== 'On' && k !== 'Values')) {
      throw new Refusal(`${DEF} Std:Join takes {"On": string, "Values": [...]} (${here(w)}).`);
    }
    j.Values.forEach((x, i) => {
      if (isPlainObject(x) && !isExpression(x)) throw new Refusal(`${DEF} Std:Join Values must be values or expressions (${here(child(w, i))}).`);
      if (isExpression(x)) checkExpression(x, def, child(w, i), ctx);
    });
    return;
  }
  const ref = e.Get;
  if (typeof ref !== 'string') throw new Refusal(`${DEF} Get takes a string (${here(w)}).`);
  if (ref.startsWith('Parameters.')) {
    const name = ref.slice('Parameters.'.length);
    if (!ctx.parameters.has(name)) throw new Refusal(`${DEF} Get '${ref}' refers to a parameter the pipeline does not declare (${here(w)}).`);
    return;
  }
  if (ref.startsWith('Execution.')) {
    if (!EXECUTION_VARIABLES.includes(ref.slice('Execution.'.length))) {
      throw new Refusal(`${DEF} Get '${ref}' is not an execution variable; they are ${EXECUTION_VARIABLES.map((x) => `Execution.${x}`).join(', ')} (${here(w)}).`);
    }
    return;
  }
  const m = STEP_REF.exec(ref);
  if (!m) throw new Refusal(`${DEF} Get '${ref}' is not a reference to Parameters.<name>, Execution.<variable> or Steps.<step>.<property> (${here(w)}).`);
  const target = ctx.steps.get(m[1]);
  if (!target) throw new Refusal(`${DEF} Get '${ref}' refers to step '${m[1]}', which the pipeline does not have (${here(w)}).`);
  // [guide] Fail step: "Other steps cannot reference the FailStep." Wording ours.
  if (target.Type === 'Fail') throw new Refusal(`${DEF} Get '${ref}': other steps cannot reference the Fail step '${target.Name}' (${here(w)}).`);
  if (target.Name === def.Name) throw new Refusal(`${DEF} Get '${ref}': step '${def.Name}' refers to itself (${here(w)}).`);
  def.deps.add(target.Name);
}

function checkStep(def: StepDef, ctx: DefinitionContext): void {
  const s = def.raw;
  const w: Where = { step: def.Name, path: 'Arguments' };
  if (s.DependsOn !== undefined) {
    if (!Array.isArray(s.DependsOn)) throw new Refusal(`${DEF} DependsOn of step '${def.Name}' must be a list of step names.`);
    for (const d of s.DependsOn) {
      const target = typeof d === 'string' ? ctx.steps.get(d) : undefined;
      if (!target) throw new Refusal(`${DEF} Step '${def.Name}' depends on ${JSON.stringify(d)}, which the pipeline does not have.`);
      // Real wording contains "CondStep can not depends on FailStep" [integ test_invalid_pipeline_depended_on_fail_step].
      if (target.Type === 'Fail') throw new Refusal(`${DEF} ${def.Name} can not depends on ${target.Name}: a Fail step cannot be in the DependsOn list of other steps.`);
      if (target.Name === def.Name) throw new Refusal(`${DEF} Step '${def.Name}' depends on itself.`);
      def.deps.add(target.Name);
    }
  }
  if (s.DisplayName !== undefined && typeof s.DisplayName !== 'string') throw new Refusal(`${DEF} DisplayName of step '${def.Name}' must be a string.`);
  if (s.Description !== undefined && typeof s.Description !== 'string') throw new Refusal(`${DEF} Description of step '${def.Name}' must be a string.`);
  if (def.Type !== 'Lambda' && !isPlainObject(s.Arguments)) throw new Refusal(`${DEF} Step '${def.Name}' needs an Arguments object.`);
  const checker = new ArgumentChecker(false);
  switch (def.Type) {
    case 'Training':
      // The Python SDK keeps TrainingJobName only as a custom job-name prefix (PipelineDefinitionConfig
      // use_custom_job_prefix) [pysdk trim_request_dict]; SageMaker names the job.
      checkExpressions(s.Arguments, def, w, ctx);
      checker.check(s.Arguments, SCHEMAS.training, w, { optional: ['TrainingJobName'] });
      break;
    case 'Tuning': {
      checkExpressions(s.Arguments, def, w, ctx);
      checker.check(s.Arguments, SCHEMAS.tuning, w, { optional: ['HyperParameterTuningJobName'] });
      checkTuning(def);
      break;
    }
    case 'RegisterModel':
      // SageMaker refuses ModelPackageName here: "Unknown Argument member 'ModelPackageName'." (#3472)
      checkExpressions(s.Arguments, def, w, ctx);
      checker.check(s.Arguments, SCHEMAS.modelPackage, w, { forbidden: ['ModelPackageName'] });
      if (s.Arguments.ModelPackageGroupName === undefined) throw checker.problem(child(w, 'ModelPackageGroupName'), "missing required member 'ModelPackageGroupName' (a RegisterModel step registers a version in a model package group)");
      break;
    case 'Lambda':
      checkLambda(def);
      checkExpressions(s.Arguments ?? {}, def, w, ctx);
      break;
    case 'Fail':
      for (const key of Object.keys(s.Arguments)) if (key !== 'ErrorMessage') throw new Refusal(`${DEF} Unknown Argument member '${key}'. (${here(child(w, key))})`);
      if (s.Arguments.ErrorMessage !== undefined && typeof s.Arguments.ErrorMessage !== 'string' && !isExpression(s.Arguments.ErrorMessage)) {
        throw checker.problem(child(w, 'ErrorMessage'), `expected a string, got ${describeJson(s.Arguments.ErrorMessage)}`);
      }
      checkExpressions(s.Arguments, def, w, ctx);
      break;
    case 'Condition': {
      for (const key of Object.keys(s.Arguments)) if (!['Conditions', 'IfSteps', 'ElseSteps'].includes(key)) throw new Refusal(`${DEF} Unknown Argument member '${key}'. (${here(child(w, key))})`);
      const conditions = s.Arguments.Conditions;
      if (!Array.isArray(conditions)) throw checker.problem(child(w, 'Conditions'), 'Conditions is required and must be a list');
      conditions.forEach((c: unknown, i: number) => checkCondition(c, child(child(w, 'Conditions'), i)));
      checkExpressions(conditions, def, child(w, 'Conditions'), ctx);
      break;
    }
  }
}

function checkTuning(def: StepDef): void {
  const a = def.raw.Arguments;
  const w: Where = { step: def.Name, path: 'Arguments' };
  if (a.TrainingJobDefinitions !== undefined) throw new Refusal(`Tuning step '${def.Name}' uses TrainingJobDefinitions, which this fake SageMaker does not run (give one TrainingJobDefinition).`);
  if (a.TrainingJobDefinition === undefined) throw new Refusal(`${DEF} Model Validation failed: missing required member 'TrainingJobDefinition' (${here(child(w, 'TrainingJobDefinition'))})`);
  const objective = a.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective ?? a.TrainingJobDefinition?.TuningObjective;
  if (!isPlainObject(objective)) throw new Refusal(`${DEF} Model Validation failed: a tuning job needs a HyperParameterTuningJobObjective (${here(child(child(w, 'HyperParameterTuningJobConfig'), 'HyperParameterTuningJobObjective'))})`);
  const spec = a.TrainingJobDefinition.AlgorithmSpecification;
  const defined: unknown[] = Array.isArray(spec?.MetricDefinitions) ? spec.MetricDefinitions : [];
  if (spec && spec.AlgorithmName === undefined && typeof objective.MetricName === 'string' && !defined.some((m) => isPlainObject(m) && m.Name === objective.MetricName)) {
    // A custom image reports only the metrics its MetricDefinitions capture. Wording ours.
    throw new Refusal(`${DEF} Model Validation failed: the objective metric '${objective.MetricName}' is not among the MetricDefinitions of the training job definition (${here(child(child(child(w, 'TrainingJobDefinition'), 'AlgorithmSpecification'), 'MetricDefinitions'))})`);
  }
}

function checkLambda(def: StepDef): void {
  const s = def.raw;
  if (typeof s.FunctionArn !== 'string' || s.FunctionArn.length === 0) throw new Refusal(`${DEF} Lambda step '${def.Name}' needs a FunctionArn.`);
  if (s.Arguments !== undefined && !isPlainObject(s.Arguments)) throw new Refusal(`${DEF} Arguments of Lambda step '${def.Name}' must be an object of inputs.`);
  if (s.OutputParameters === undefined) return;
  if (!Array.isArray(s.OutputParameters)) throw new Refusal(`${DEF} OutputParameters of Lambda step '${def.Name}' must be a list.`);
  const seen = new Set<string>();
  s.OutputParameters.forEach((o: unknown, i: number) => {
    const at = `step '${def.Name}', OutputParameters[${i}]`;
    if (!isPlainObject(o)) throw new Refusal(`${DEF} ${at} must be an object.`);
    for (const key of Object.keys(o)) if (key !== 'OutputName' && key !== 'OutputType') throw new Refusal(`${DEF} Unknown field '${key}' (${at}).`);
    if (typeof o.OutputName !== 'string' || o.OutputName.length === 0) throw new Refusal(`${DEF} OutputName is required (${at}).`);
    // [schema] LambdaStep OutputType enum String|Integer|Boolean|Float.
    if (o.OutputType !== undefined && !['String', 'Integer', 'Boolean', 'Float'].includes(o.OutputType as string)) {
      throw new Refusal(`${DEF} Model Validation failed: Value '${String(o.OutputType)}' for 'OutputType' failed to satisfy enum value set: [String, Integer, Boolean, Float] (${at})`);
    }
    if (seen.has(o.OutputName)) throw new Refusal(`${DEF} OutputName '${o.OutputName}' is declared more than once (${at}).`);
    seen.add(o.OutputName);
  });
}

/**
 * Condition forms as the Python SDK writes them [pysdk conditions.py]: comparisons
 * {Type, LeftValue, RightValue} (Equals, GreaterThan, GreaterThanOrEqualTo, LessThan,
 * LessThanOrEqualTo, and NotEquals from [schema]), {Type: "In", QueryValue, Values},
 * {Type: "Not", Condition}, {Type: "Or", Conditions}.
 */
const COMPARISONS = ['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqualTo', 'LessThan', 'LessThanOrEqualTo'];
const CONDITION_FIELDS: Record<string, string[]> = {
  ...Object.fromEntries(COMPARISONS.map((t) => [t, ['LeftValue', 'RightValue']])),
  In: ['QueryValue', 'Values'],
  Not: ['Condition'],
  Or: ['Conditions'],
};

function checkCondition(c: unknown, w: Where): void {
  if (!isPlainObject(c)) throw new Refusal(`${DEF} A condition must be an object (${here(w)}).`);
  const type = c.Type;
  if (typeof type !== 'string' || !CONDITION_FIELDS[type]) {
    throw new Refusal(`${DEF} Unknown condition type ${JSON.stringify(type)}; the types are ${Object.keys(CONDITION_FIELDS).join(', ')} (${here(w)}).`);
  }
  const fields = CONDITION_FIELDS[type];
  for (const key of Object.keys(c)) if (key !== 'Type' && !fields.includes(key)) throw new Refusal(`${DEF} Unknown member '${key}' in a ${type} condition (${here(child(w, key))}).`);
  for (const f of fields) if (c[f] === undefined) throw new Refusal(`${DEF} A ${type} condition needs ${f} (${here(child(w, f))}).`);
  const scalar = (v: unknown, at: Where) => {
    if (isPlainObject(v) && !isExpression(v)) throw new Refusal(`${DEF} A condition value must be a value or an expression (${here(at)}).`);
    if (Array.isArray(v)) throw new Refusal(`${DEF} A condition value must be a value or an expression, not a list (${here(at)}).`);
  };
  if (type === 'In') {
    scalar(c.QueryValue, child(w, 'QueryValue'));
    if (!Array.isArray(c.Values)) throw new Refusal(`${DEF} Values of an In condition must be a list (${here(child(w, 'Values'))}).`);
    c.Values.forEach((v, i) => scalar(v, child(child(w, 'Values'), i)));
  } else if (type === 'Not') {
    checkCondition(c.Condition, child(w, 'Condition'));
  } else if (type === 'Or') {
    if (!Array.isArray(c.Conditions)) throw new Refusal(`${DEF} Conditions of an Or condition must be a list (${here(child(w, 'Conditions'))}).`);
    c.Conditions.forEach((x, i) => checkCondition(x, child(child(w, 'Conditions'), i)));
  } else {
    scalar(c.LeftValue, child(w, 'LeftValue'));
    scalar(c.RightValue, child(w, 'RightValue'));
  }
}

function checkCycles(steps: Map<string, StepDef>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Refusal(`${DEF} The steps depend on each other in a cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}.`);
    state.set(name, 'visiting');
    const def = steps.get(name)!;
    for (const d of [...def.deps, ...(def.parent ? [def.parent.step] : [])]) visit(d, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of steps.keys()) visit(name, []);
}

// --- Jobs -----------------------------------------------------------------------------------------

interface Transition { Status: string; StartTime: number; EndTime?: number; StatusMessage?: string }

interface TrainingJob {
  name: string;
  arn: string;
  request: Record<string, any>;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  secondary: string;
  transitions: Transition[];
  script: Required<Pick<JobScript, 'transitions'>> & JobScript;
  next: number;
  /** Ticks a stopping job has left before it is Stopped. */
  stopTicks: number;
  created: number;
  modified: number;
  trainingStart?: number;
  end?: number;
  failure?: string;
  metrics?: { MetricName: string; Value: number; Timestamp: number }[];
  tuning?: { name: string; arn: string; tuned: Record<string, string> };
}

interface TuningJob {
  name: string;
  arn: string;
  request: Record<string, any>;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  trials: TrainingJob[];
  total: number;
  parallel: number;
  created: number;
  modified: number;
  end?: number;
  failure?: string;
  best?: TrainingJob;
}

// --- Executions -----------------------------------------------------------------------------------

type StepStatus = 'Executing' | 'Succeeded' | 'Failed' | 'Stopping' | 'Stopped';

interface StepRun {
  def: StepDef;
  status: StepStatus;
  start: number;
  end?: number;
  failure?: string;
  metadata: Record<string, unknown>;
  properties?: Record<string, unknown>;
  outcome?: boolean;
  training?: TrainingJob;
  tuning?: TuningJob;
  seq: number;
}

interface Execution {
  arn: string;
  id: string;
  pipeline: Pipeline;
  definition: Definition;
  displayName: string;
  description?: string;
  status: 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
  failure?: string;
  created: number;
  modified: number;
  parameters: Map<string, Typed>;
  runs: Map<string, StepRun>;
  token?: string;
}

interface Pipeline {
  name: string;
  arn: string;
  displayName?: string;
  description?: string;
  roleArn: string;
  definition: Definition;
  created: number;
  modified: number;
  lastRun?: number;
  parallelism?: unknown;
  version: number;
  token?: string;
  executions: Execution[];
}

export type LambdaFunction = (event: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** A small deterministic generator, so ids and name suffixes repeat from run to run. */
function* ids(seed: number, alphabet: string) {
  let x = seed >>> 0;
  for (;;) {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    yield alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
  }
}

export class PipelineEngine {
  readonly pipelines = new Map<string, Pipeline>();
  readonly trainingJobs = new Map<string, TrainingJob>();
  readonly tuningJobs = new Map<string, TuningJob>();
  /** Lambda functions by ARN: what a Lambda step calls with its resolved Arguments. */
  readonly lambdas = new Map<string, LambdaFunction>();
  /** Training job scripts, consumed in job creation order; `defaultScript` when empty. */
  readonly scripts: JobScript[] = [];
  defaultScript: JobScript = { transitions: DEFAULT_TRANSITIONS, metrics: {} };
  /** The fake clock, in epoch seconds. */
  now = START_CLOCK;
  private seq = 0;
  private readonly lower = ids(7, 'abcdefghijklmnopqrstuvwxyz0123456789');
  private readonly mixed = ids(11, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
  private readonly hex = ids(13, '0123456789abcdef');
  private lock: Promise<unknown> = Promise.resolve();
  private depth = 0;

  constructor(private readonly host: PipelineHost) {}

  /** Queue scripts for the next training jobs (including tuning trials), in creation order. */
  scriptJobs(scripts: JobScript[]): void {
    for (const s of scripts) {
      for (const t of s.transitions ?? []) {
        const status = typeof t === 'string' ? t : t.status;
        if (!(Object.values(sdk.SecondaryStatus) as string[]).includes(status) || TERMINAL_SECONDARY.has(status)) {
          throw new Error(`scriptJobs: '${status}' is not a running SecondaryStatus (the end is Completed, or Failed with \`failure\`)`);
        }
      }
      this.scripts.push(s);
    }
  }

  /**
   * Advance everything that runs by `n` ticks of the fake clock. A call made while a tick is under way
   * (a Lambda step's function calling the fake, or a request arriving meanwhile) does not tick.
   */
  async advance(n = 1): Promise<void> {
    if (this.depth > 0) return;
    return this.serial(async () => {
      for (let i = 0; i < n; i++) await this.tick();
    });
  }

  /** Tick until no execution and no job is running. */
  async runToEnd(limit = 10000): Promise<void> {
    if (this.depth > 0) throw new Error('runToEnd: called from inside a tick (from a Lambda step\'s function?)');
    return this.serial(async () => {
      for (let i = 0; i < limit; i++) {
        if (!this.busy()) return;
        await this.tick();
      }
      throw new Error(`runToEnd: still running after ${limit} ticks`);
    });
  }

  private busy(): boolean {
    return [...this.pipelines.values()].some((p) => p.executions.some((e) => e.status === 'Executing' || e.status === 'Stopping')) ||
      [...this.trainingJobs.values()].some((j) => j.status === 'InProgress' || j.status === 'Stopping');
  }

  /** One tick or start at a time; re-entrant calls (from inside a Lambda step's function) run at once. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.depth > 0) return fn();
    const guarded = async () => {
      this.depth++;
      try {
        return await fn();
      } finally {
        this.depth--;
      }
    };
    const run = this.lock.then(guarded, guarded);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private err(type: string, message: string): Error {
    return this.host.error(type, message);
  }

  private refuse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Refusal) throw this.err(e.type, e.message);
      throw e;
    }
  }

  private id(gen: Generator<string>, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += gen.next().value;
    return s;
  }

  // --- Pipelines ----------------------------------------------------------------------------------

  private pipelineArn(name: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:pipeline/${name.toLowerCase()}`;
  }

  /** By name or ARN. Wording of the refusal from the brief; not confirmed in a public source. */
  private pipeline(nameOrArn: string): Pipeline {
    const name = nameOrArn.startsWith('arn:') ? nameOrArn.split(':pipeline/')[1] ?? '' : nameOrArn;
    const p = this.pipelines.get(name) ?? [...this.pipelines.values()].find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!p) throw this.err('ResourceNotFound', `Pipeline '${nameOrArn.startsWith('arn:') ? nameOrArn : this.pipelineArn(nameOrArn)}' does not exist.`);
    return p;
  }

  private checkRequest(input: Record<string, any>, op: string): void {
    // [api:CreatePipeline] PipelineName: 1-256, [a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}; RoleArn: 20-2048.
    if (op === 'CreatePipeline' || op === 'UpdatePipeline') {
      if (typeof input.PipelineName !== 'string' || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/.test(input.PipelineName)) {
        throw this.err('ValidationException', `1 validation error detected: Value '${String(input.PipelineName)}' at 'pipelineName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}`);
      }
    }
    if (input.RoleArn !== undefined && (typeof input.RoleArn !== 'string' || !ROLE_ARN.test(input.RoleArn))) {
      throw this.err('ValidationException', `1 validation error detected: Value '${String(input.RoleArn)}' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_ARN.source}`);
    }
    if (input.PipelineDefinitionS3Location !== undefined) {
      throw this.err('ValidationException', 'This fake SageMaker reads no PipelineDefinitionS3Location: give PipelineDefinition.');
    }
  }

  createPipeline(input: Record<string, any>) {
    this.checkRequest(input, 'CreatePipeline');
    const existing = this.pipelines.get(input.PipelineName);
    if (existing) {
      if (input.ClientRequestToken && existing.token === input.ClientRequestToken) return { PipelineArn: existing.arn };
      // The Python SDK's upsert relies on ValidationException with "already exists" [pysdk Pipeline.upsert].
      throw this.err('ValidationException', `Pipeline names must be unique within an AWS account and region. Pipeline with name (${input.PipelineName}) already exists.`);
    }
    if (!input.RoleArn) throw this.err('ValidationException', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
    const definition = this.refuse(() => parseDefinition(input.PipelineDefinition));
    const p: Pipeline = {
      name: input.PipelineName,
      arn: this.pipelineArn(input.PipelineName),
      displayName: input.PipelineDisplayName,
      description: input.PipelineDescription,
      roleArn: input.RoleArn,
      definition,
      created: this.now,
      modified: this.now,
      parallelism: input.ParallelismConfiguration,
      version: 1,
      token: input.ClientRequestToken,
      executions: [],
    };
    this.pipelines.set(p.name, p);
    if (Array.isArray(input.Tags) && input.Tags.length > 0) this.host.tag(p.arn, input.Tags);
    return { PipelineArn: p.arn };
  }

  updatePipeline(input: Record<string, any>) {
    this.checkRequest(input, 'UpdatePipeline');
    const p = this.pipeline(input.PipelineName);
    const definition = input.PipelineDefinition !== undefined ? this.refuse(() => parseDefinition(input.PipelineDefinition)) : p.definition;
    Object.assign(p, {
      definition,
      displayName: input.PipelineDisplayName ?? p.displayName,
      description: input.PipelineDescription ?? p.description,
      roleArn: input.RoleArn ?? p.roleArn,
      parallelism: input.ParallelismConfiguration ?? p.parallelism,
      modified: this.now,
      version: p.version + 1,
    });
    return { PipelineArn: p.arn, PipelineVersionId: p.version };
  }

  describePipeline(input: { PipelineName: string }) {
    const p = this.pipeline(input.PipelineName);
    return {
      PipelineArn: p.arn,
      PipelineName: p.name,
      PipelineDisplayName: p.displayName ?? p.name,
      PipelineDefinition: p.definition.text,
      PipelineDescription: p.description,
      RoleArn: p.roleArn,
      PipelineStatus: 'Active',
      CreationTime: p.created,
      LastModifiedTime: p.modified,
      LastRunTime: p.lastRun,
      ParallelismConfiguration: p.parallelism,
    };
  }

  /** [api:DeletePipeline] "Deletes a pipeline if there are no running instances of the pipeline." Wording ours. */
  deletePipeline(input: { PipelineName: string }) {
    const p = this.pipeline(input.PipelineName);
    const running = p.executions.filter((e) => e.status === 'Executing' || e.status === 'Stopping');
    if (running.length > 0) {
      throw this.err('ConflictException', `Pipeline '${p.arn}' has running executions (${running.map((e) => e.arn).join(', ')}); stop them with StopPipelineExecution before deleting it.`);
    }
    this.pipelines.delete(p.name);
    return { PipelineArn: p.arn };
  }

  // --- Executions ---------------------------------------------------------------------------------

  async startPipelineExecution(input: Record<string, any>) {
    return this.serial(async () => {
      const p = this.pipeline(input.PipelineName);
      if (input.ClientRequestToken) {
        const same = p.executions.find((e) => e.token === input.ClientRequestToken);
        if (same) return { PipelineExecutionArn: same.arn };
      }
      if (input.PipelineExecutionDisplayName !== undefined && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/.test(input.PipelineExecutionDisplayName)) {
        // [api:StartPipelineExecution] PipelineExecutionDisplayName: 1-82, [a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}.
        throw this.err('ValidationException', `1 validation error detected: Value '${input.PipelineExecutionDisplayName}' at 'pipelineExecutionDisplayName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}`);
      }
      const parameters = this.bindParameters(p.definition, input.PipelineParameters ?? []);
      const id = this.id(this.lower, 12);
      const e: Execution = {
        arn: `${p.arn}/execution/${id}`,
        id,
        pipeline: p,
        definition: p.definition,
        // Real default display names look like "execution-1672925433971" (epoch milliseconds).
        displayName: input.PipelineExecutionDisplayName ?? `execution-${this.now * 1000}`,
        description: input.PipelineExecutionDescription,
        status: 'Executing',
        created: this.now,
        modified: this.now,
        parameters,
        runs: new Map(),
        token: input.ClientRequestToken,
      };
      p.executions.push(e);
      p.lastRun = this.now;
      await this.progress(e);
      return { PipelineExecutionArn: e.arn };
    });
  }

  /**
   * PipelineParameters [{Name, Value}] against the declared parameters. SageMaker refuses an empty
   * String value: `[string "" is too short (length: 0, required minimum: 1)]` (sagemaker-python-sdk#4016).
   * The refusals of unknown names, of values not of the declared type, and of missing values without a
   * default are in our wording.
   */
  private bindParameters(d: Definition, given: { Name: string; Value: string }[]): Map<string, Typed> {
    // [api:StartPipelineExecution] PipelineParameters: at most 200; [api:Parameter] Value: at most 1024.
    if (given.length > 200) throw this.err('ValidationException', "1 validation error detected: Value at 'pipelineParameters' failed to satisfy constraint: Member must have length less than or equal to 200");
    const out = new Map<string, Typed>();
    for (const { Name, Value } of given) {
      const def = d.parameters.get(Name);
      if (!def) throw this.err('ValidationException', `Parameter '${Name}' is not declared in the pipeline definition; the pipeline's parameters are: ${[...d.parameters.keys()].join(', ') || '(none)'}.`);
      if (out.has(Name)) throw this.err('ValidationException', `Parameter '${Name}' is given more than once.`);
      if (typeof Value !== 'string') throw this.err('ValidationException', `Parameter '${Name}' needs a string Value.`);
      if (Value.length > 1024) throw this.err('ValidationException', `1 validation error detected: Value at 'pipelineParameters.${Name}.value' failed to satisfy constraint: Member must have length less than or equal to 1024`);
      out.set(Name, this.convert(def, Value));
    }
    for (const def of d.parameters.values()) {
      if (out.has(def.Name)) continue;
      if (def.DefaultValue === undefined) throw this.err('ValidationException', `Parameter '${def.Name}' has no DefaultValue and was not given a value.`);
      out.set(def.Name, { v: def.DefaultValue, t: def.Type });
    }
    return out;
  }

  private convert(def: ParameterDef, value: string): Typed {
    const bad = () => this.err('ValidationException', `Value '${value}' of parameter '${def.Name}' is not a valid ${def.Type}.`);
    switch (def.Type) {
      case 'String':
        if (value.length === 0) throw this.err('ValidationException', '[string "" is too short (length: 0, required minimum: 1)]');
        return { v: value, t: 'String' };
      case 'Integer':
        if (!/^-?\d+$/.test(value.trim())) throw bad();
        return { v: Number(value), t: 'Integer' };
      case 'Float':
        if (value.trim() === '' || !Number.isFinite(Number(value))) throw bad();
        return { v: Number(value), t: 'Float' };
      case 'Boolean':
        if (!/^(true|false)$/i.test(value)) throw bad();
        return { v: value.toLowerCase() === 'true', t: 'Boolean' };
    }
  }

  private execution(arn: string): Execution {
    const name = /:pipeline\/([^/]+)\/execution\//.exec(arn ?? '')?.[1];
    const e = [...this.pipelines.values()].filter((p) => !name || p.name.toLowerCase() === name).flatMap((p) => p.executions).find((x) => x.arn === arn);
    // Wording ours, in the style of the pipeline's.
    if (!e) throw this.err('ResourceNotFound', `Pipeline execution '${arn}' does not exist.`);
    return e;
  }

  async describePipelineExecution(input: { PipelineExecutionArn: string }) {
    await this.advance(1);
    const e = this.execution(input.PipelineExecutionArn);
    return {
      PipelineArn: e.pipeline.arn,
      PipelineExecutionArn: e.arn,
      PipelineExecutionDisplayName: e.displayName,
      PipelineExecutionStatus: e.status,
      PipelineExecutionDescription: e.description,
      PipelineExperimentConfig: this.experiment(e),
      FailureReason: e.failure,
      CreationTime: e.created,
      LastModifiedTime: e.modified,
      ParallelismConfiguration: e.pipeline.parallelism,
    };
  }

  private experiment(e: Execution): unknown {
    if (!isPlainObject(e.definition.experiment)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.definition.experiment)) {
      try {
        out[k] = stringify(this.resolve(v, e, { step: '(experiment)', path: k }));
      } catch {
        out[k] = String(v);
      }
    }
    return out;
  }

  listPipelineExecutions(input: { PipelineName: string; SortBy?: string; SortOrder?: string; MaxResults?: number; NextToken?: string; CreatedAfter?: number; CreatedBefore?: number }) {
    const p = this.pipeline(input.PipelineName);
    let all = p.executions.filter((e) => (input.CreatedAfter === undefined || e.created > toSeconds(input.CreatedAfter)) && (input.CreatedBefore === undefined || e.created < toSeconds(input.CreatedBefore)));
    // [api:ListPipelineExecutions] SortBy CreationTime (default) or PipelineExecutionArn. Default order here: newest first.
    all = [...all].sort(input.SortBy === 'PipelineExecutionArn' ? (a, b) => a.arn.localeCompare(b.arn) : (a, b) => a.created - b.created || p.executions.indexOf(a) - p.executions.indexOf(b));
    if (input.SortOrder !== 'Ascending') all.reverse();
    const { page, next } = paginate(all, input.MaxResults ?? 50, input.NextToken);
    return {
      PipelineExecutionSummaries: page.map((e) => ({
        PipelineExecutionArn: e.arn,
        StartTime: e.created,
        PipelineExecutionStatus: e.status,
        PipelineExecutionDescription: e.description,
        PipelineExecutionDisplayName: e.displayName,
        PipelineExecutionFailureReason: e.failure,
      })),
      NextToken: next,
    };
  }

  /** Steps that started, newest first unless SortOrder is Ascending. */
  async listPipelineExecutionSteps(input: { PipelineExecutionArn: string; MaxResults?: number; NextToken?: string; SortOrder?: string }) {
    await this.advance(1);
    const e = this.execution(input.PipelineExecutionArn);
    const runs = [...e.runs.values()].sort((a, b) => a.start - b.start || a.seq - b.seq);
    if (input.SortOrder !== 'Ascending') runs.reverse();
    const { page, next } = paginate(runs, input.MaxResults ?? 50, input.NextToken);
    return {
      PipelineExecutionSteps: page.map((r) => ({
        StepName: r.def.Name,
        StepDisplayName: r.def.raw.DisplayName,
        StepDescription: r.def.raw.Description,
        StartTime: r.start,
        EndTime: r.end,
        StepStatus: r.status,
        FailureReason: r.failure,
        Metadata: r.metadata,
        AttemptCount: 1,
      })),
      NextToken: next,
    };
  }

  /**
   * Stops the running steps and their jobs: the execution goes Stopping, and Stopped once they have
   * stopped (the next tick). Stopping an execution that has ended is refused (wording ours).
   */
  stopPipelineExecution(input: { PipelineExecutionArn: string; ClientRequestToken?: string }) {
    const e = this.execution(input.PipelineExecutionArn);
    if (e.status === 'Stopping' || e.status === 'Stopped') return { PipelineExecutionArn: e.arn };
    if (e.status !== 'Executing') throw this.err('ConflictException', `Pipeline execution '${e.arn}' is ${e.status}; only an Executing execution can be stopped.`);
    e.status = 'Stopping';
    e.modified = this.now;
    for (const r of e.runs.values()) {
      if (r.status !== 'Executing') continue;
      r.status = 'Stopping';
      if (r.training) this.stopTraining(r.training);
      if (r.tuning) this.stopTuning(r.tuning);
    }
    return { PipelineExecutionArn: e.arn };
  }

  // --- Training and tuning jobs (read APIs) ------------------------------------------------------

  private trainingJob(name: string): TrainingJob {
    const j = this.trainingJobs.get(name) ?? [...this.trainingJobs.values()].find((x) => x.name.toLowerCase() === String(name).toLowerCase());
    // Real: "ValidationException ... when calling the DescribeTrainingJob operation: Requested resource not found."
    if (!j) throw this.err('ValidationException', 'Requested resource not found.');
    return j;
  }

  async describeTrainingJob(input: { TrainingJobName: string }) {
    await this.advance(1);
    return this.describeJob(this.trainingJob(input.TrainingJobName));
  }

  private describeJob(j: TrainingJob): Record<string, unknown> {
    const { Tags: _tags, TrainingJobName: _prefix, ...request } = j.request;
    const ended = j.status === 'Completed' || j.status === 'Failed' || j.status === 'Stopped';
    const times = ended ? this.jobSeconds(j) : undefined;
    return {
      ...request,
      TrainingJobName: j.name,
      TrainingJobArn: j.arn,
      TuningJobArn: j.tuning?.arn,
      ModelArtifacts: { S3ModelArtifacts: `${String(j.request.OutputDataConfig?.S3OutputPath ?? '').replace(/\/+$/, '')}/${j.name}/output/model.tar.gz` },
      TrainingJobStatus: j.status,
      SecondaryStatus: j.secondary,
      FailureReason: j.failure,
      // [api:StoppingCondition] "The default value is 1 day."
      StoppingCondition: request.StoppingCondition ?? { MaxRuntimeInSeconds: 86400 },
      EnableNetworkIsolation: request.EnableNetworkIsolation ?? false,
      EnableInterContainerTrafficEncryption: request.EnableInterContainerTrafficEncryption ?? false,
      EnableManagedSpotTraining: request.EnableManagedSpotTraining ?? false,
      CreationTime: j.created,
      TrainingStartTime: j.trainingStart,
      TrainingEndTime: j.end,
      LastModifiedTime: j.modified,
      SecondaryStatusTransitions: j.transitions.map((t) => ({ ...t })),
      FinalMetricDataList: j.metrics,
      TrainingTimeInSeconds: times?.training,
      BillableTimeInSeconds: times?.billable,
    };
  }

  private jobSeconds(j: TrainingJob): { training: number; billable: number } {
    const training = j.script.trainingSeconds ?? Math.max(0, (j.end ?? this.now) - (j.trainingStart ?? j.end ?? this.now));
    const spot = j.request.EnableManagedSpotTraining === true;
    // On-demand jobs bill their training time; spot jobs bill less (as scripted, else 30%).
    const billable = spot ? j.script.billableSeconds ?? Math.round(training * 0.3) : training;
    return { training, billable };
  }

  private tuningJob(name: string): TuningJob {
    const t = this.tuningJobs.get(name) ?? [...this.tuningJobs.values()].find((x) => x.name.toLowerCase() === String(name).toLowerCase());
    // Wording ours.
    if (!t) throw this.err('ResourceNotFound', `Amazon SageMaker can't find a tuning job with name ${name}`);
    return t;
  }

  async describeHyperParameterTuningJob(input: { HyperParameterTuningJobName: string }) {
    await this.advance(1);
    return this.describeTuning(this.tuningJob(input.HyperParameterTuningJobName));
  }

  private describeTuning(t: TuningJob): Record<string, unknown> {
    const count = (s: TrainingJob['status']) => t.trials.filter((j) => j.status === s).length;
    const withObjective = t.trials.filter((j) => this.objective(t, j) !== undefined);
    return {
      HyperParameterTuningJobName: t.name,
      HyperParameterTuningJobArn: t.arn,
      HyperParameterTuningJobConfig: t.request.HyperParameterTuningJobConfig,
      TrainingJobDefinition: t.request.TrainingJobDefinition,
      WarmStartConfig: t.request.WarmStartConfig,
      HyperParameterTuningJobStatus: t.status,
      CreationTime: t.created,
      HyperParameterTuningEndTime: t.end,
      LastModifiedTime: t.modified,
      TrainingJobStatusCounters: {
        Completed: count('Completed'),
        InProgress: count('InProgress') + count('Stopping'),
        RetryableError: 0,
        NonRetryableError: count('Failed'),
        Stopped: count('Stopped'),
      },
      ObjectiveStatusCounters: {
        Succeeded: withObjective.length,
        Pending: t.trials.filter((j) => j.status === 'InProgress' || j.status === 'Stopping').length,
        Failed: t.trials.filter((j) => (j.status === 'Completed' || j.status === 'Failed' || j.status === 'Stopped') && this.objective(t, j) === undefined).length,
      },
      BestTrainingJob: t.best ? this.trialSummary(t, t.best) : undefined,
      FailureReason: t.failure,
    };
  }

  listTrainingJobsForHyperParameterTuningJob(input: { HyperParameterTuningJobName: string; MaxResults?: number; NextToken?: string; StatusEquals?: string; SortBy?: string; SortOrder?: string }) {
    const t = this.tuningJob(input.HyperParameterTuningJobName);
    let trials = t.trials.filter((j) => !input.StatusEquals || j.status === input.StatusEquals);
    // [api:ListTrainingJobsForHyperParameterTuningJob] SortBy default Name, SortOrder default Ascending, MaxResults default 10;
    // sorting by FinalObjectiveMetricValue lists only jobs that returned the objective metric.
    const by = input.SortBy ?? 'Name';
    if (by === 'FinalObjectiveMetricValue') trials = trials.filter((j) => this.objective(t, j) !== undefined).sort((a, b) => this.objective(t, a)! - this.objective(t, b)!);
    else if (by === 'CreationTime') trials = [...trials].sort((a, b) => a.created - b.created);
    else if (by === 'Status') trials = [...trials].sort((a, b) => a.status.localeCompare(b.status));
    else trials = [...trials].sort((a, b) => a.name.localeCompare(b.name));
    if (input.SortOrder === 'Descending') trials.reverse();
    const { page, next } = paginate(trials, input.MaxResults ?? 10, input.NextToken);
    return { TrainingJobSummaries: page.map((j) => this.trialSummary(t, j)), NextToken: next };
  }

  private trialSummary(t: TuningJob, j: TrainingJob): Record<string, unknown> {
    const objective = this.objectiveDef(t);
    const value = this.objective(t, j);
    const ended = j.status === 'Completed' || j.status === 'Failed' || j.status === 'Stopped';
    return {
      TrainingJobName: j.name,
      TrainingJobArn: j.arn,
      TuningJobName: t.name,
      CreationTime: j.created,
      TrainingStartTime: j.trainingStart,
      TrainingEndTime: j.end,
      TrainingJobStatus: j.status,
      TunedHyperParameters: j.tuning?.tuned ?? {},
      FailureReason: j.failure,
      FinalHyperParameterTuningJobObjectiveMetric: value === undefined ? undefined : { MetricName: objective.MetricName, Value: value, Type: objective.Type },
      ObjectiveStatus: value !== undefined ? 'Succeeded' : ended ? 'Failed' : 'Pending',
    };
  }

  private objectiveDef(t: TuningJob): { MetricName: string; Type: string } {
    return t.request.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective ?? t.request.TrainingJobDefinition?.TuningObjective;
  }

  private objective(t: TuningJob, j: TrainingJob): number | undefined {
    if (j.status !== 'Completed') return undefined;
    return j.metrics?.find((m) => m.MetricName === this.objectiveDef(t).MetricName)?.Value;
  }

  // --- Creating and moving jobs ----------------------------------------------------------------------

  private nextScript(): TrainingJob['script'] {
    const s = this.scripts.shift() ?? this.defaultScript;
    return { ...s, transitions: s.transitions && s.transitions.length > 0 ? s.transitions : DEFAULT_TRANSITIONS };
  }

  private startTraining(name: string, request: Record<string, any>, tuning?: TrainingJob['tuning']): TrainingJob {
    const script = this.nextScript();
    const first = script.transitions[0];
    const status = typeof first === 'string' ? first : first.status;
    const j: TrainingJob = {
      name,
      arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name.toLowerCase()}`,
      request,
      status: 'InProgress',
      secondary: status,
      transitions: [{ Status: status, StartTime: this.now, StatusMessage: (typeof first === 'string' ? undefined : first.message) ?? STATUS_MESSAGES[status] }],
      script,
      next: 1,
      stopTicks: 0,
      created: this.now,
      modified: this.now,
      tuning,
    };
    if (!BEFORE_TRAINING.has(status)) j.trainingStart = this.now;
    this.trainingJobs.set(name, j);
    return j;
  }

  private stepTraining(j: TrainingJob): void {
    if (j.status === 'Stopping') {
      // A stopping job stays Stopping for one tick, so a poller sees it.
      if (j.stopTicks-- > 0) return;
      this.closeTransition(j);
      this.endTraining(j, 'Stopped', 'Stopped', 'Training job stopped');
      return;
    }
    if (j.status !== 'InProgress') return;
    this.closeTransition(j);
    if (j.next < j.script.transitions.length) {
      const t = j.script.transitions[j.next++];
      const status = typeof t === 'string' ? t : t.status;
      j.secondary = status;
      j.transitions.push({ Status: status, StartTime: this.now, StatusMessage: (typeof t === 'string' ? undefined : t.message) ?? STATUS_MESSAGES[status] });
      if (j.trainingStart === undefined && !BEFORE_TRAINING.has(status)) j.trainingStart = this.now;
      j.modified = this.now;
      return;
    }
    if (j.script.failure !== undefined) {
      j.failure = j.script.failure;
      this.endTraining(j, 'Failed', 'Failed', j.script.failure);
      return;
    }
    const spec = j.request.AlgorithmSpecification ?? {};
    const defined = new Set<string>((spec.MetricDefinitions ?? []).map((m: { Name: string }) => m.Name));
    j.metrics = Object.entries(j.script.metrics ?? {})
      .filter(([name]) => spec.AlgorithmName !== undefined || defined.has(name))
      .map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: this.now }));
    this.endTraining(j, 'Completed', 'Completed', 'Training job completed');
  }

  private closeTransition(j: TrainingJob): void {
    const last = j.transitions[j.transitions.length - 1];
    if (last && last.EndTime === undefined) last.EndTime = this.now;
  }

  private endTraining(j: TrainingJob, status: TrainingJob['status'], secondary: string, message: string): void {
    j.status = status;
    j.secondary = secondary;
    j.transitions.push({ Status: secondary, StartTime: this.now, EndTime: this.now, StatusMessage: message });
    j.end = this.now;
    j.trainingStart ??= this.now;
    j.modified = this.now;
  }

  private stopTraining(j: TrainingJob): void {
    if (j.status !== 'InProgress') return;
    j.status = 'Stopping';
    j.stopTicks = 1;
    this.closeTransition(j);
    j.secondary = 'Stopping';
    j.transitions.push({ Status: 'Stopping', StartTime: this.now, StatusMessage: 'Stopping the training job' });
    j.modified = this.now;
  }

  private startTuning(name: string, request: Record<string, any>): TuningJob {
    const limits = request.HyperParameterTuningJobConfig.ResourceLimits ?? {};
    const parallel = Math.max(1, limits.MaxParallelTrainingJobs ?? 1);
    const t: TuningJob = {
      name,
      arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:hyper-parameter-tuning-job/${name.toLowerCase()}`,
      request,
      status: 'InProgress',
      trials: [],
      total: Math.max(1, limits.MaxNumberOfTrainingJobs ?? parallel),
      parallel,
      created: this.now,
      modified: this.now,
    };
    this.tuningJobs.set(name, t);
    this.fillTrials(t);
    return t;
  }

  /** Starts trials up to MaxParallelTrainingJobs at a time, MaxNumberOfTrainingJobs in all. */
  private fillTrials(t: TuningJob): void {
    while (t.status === 'InProgress' && t.trials.length < t.total && t.trials.filter((j) => j.status === 'InProgress').length < t.parallel) {
      const i = t.trials.length;
      const def = t.request.TrainingJobDefinition;
      const tuned = this.tunedValues(def.HyperParameterRanges ?? t.request.HyperParameterTuningJobConfig.ParameterRanges ?? {}, i, t.total);
      const { AlgorithmSpecification, StaticHyperParameters, HyperParameterRanges: _ranges, TuningObjective: _objective, DefinitionName: _n, HyperParameterTuningResourceConfig: _r, ...rest } = def;
      const { TrainingInputMode, TrainingImage, AlgorithmName, MetricDefinitions } = AlgorithmSpecification ?? {};
      const request = {
        ...rest,
        AlgorithmSpecification: { TrainingInputMode, TrainingImage, AlgorithmName, MetricDefinitions },
        HyperParameters: { ...StaticHyperParameters, ...tuned },
      };
      // SageMaker names trials <tuning job name>-<3-digit number>-<8 hex characters>.
      const name = `${t.name}-${String(i + 1).padStart(3, '0')}-${this.id(this.hex, 8)}`;
      t.trials.push(this.startTraining(name, request, { name: t.name, arn: t.arn, tuned }));
    }
  }

  /** Deterministic values spread across each range: trial i of n takes the point (i+1)/(n+1). */
  private tunedValues(ranges: Record<string, any>, i: number, n: number): Record<string, string> {
    const out: Record<string, string> = {};
    const f = (i + 1) / (n + 1);
    for (const r of ranges.IntegerParameterRanges ?? []) {
      const min = Number(r.MinValue);
      const max = Number(r.MaxValue);
      out[r.Name] = String(Math.round(min + (max - min) * f));
    }
    for (const r of ranges.ContinuousParameterRanges ?? []) {
      const min = Number(r.MinValue);
      const max = Number(r.MaxValue);
      out[r.Name] = String(min + (max - min) * f);
    }
    for (const r of ranges.CategoricalParameterRanges ?? []) out[r.Name] = String(r.Values[i % r.Values.length]);
    return out;
  }

  private stepTuning(t: TuningJob): void {
    if (t.status !== 'InProgress' && t.status !== 'Stopping') return;
    const running = t.trials.some((j) => j.status === 'InProgress' || j.status === 'Stopping');
    if (t.status === 'Stopping') {
      if (!running) this.endTuning(t, 'Stopped');
      return;
    }
    this.fillTrials(t);
    if (t.trials.some((j) => j.status === 'InProgress') || t.trials.length < t.total) return;
    const type = this.objectiveDef(t).Type;
    const scored = t.trials.filter((j) => this.objective(t, j) !== undefined);
    if (scored.length === 0) {
      // Wording ours.
      t.failure = `No training job succeeded with the objective metric ${this.objectiveDef(t).MetricName}.`;
      this.endTuning(t, 'Failed');
      return;
    }
    t.best = scored.reduce((best, j) => {
      const a = this.objective(t, j)!;
      const b = this.objective(t, best)!;
      return (type === 'Minimize' ? a < b : a > b) ? j : best;
    });
    this.endTuning(t, 'Completed');
  }

  private endTuning(t: TuningJob, status: TuningJob['status']): void {
    t.status = status;
    t.end = this.now;
    t.modified = this.now;
  }

  private stopTuning(t: TuningJob): void {
    if (t.status !== 'InProgress') return;
    t.status = 'Stopping';
    t.modified = this.now;
    for (const j of t.trials) this.stopTraining(j);
  }

  /** Trials best first, as a Tuning step's TrainingJobSummaries property ("up to 50", best at 0) [pysdk get_top_model_s3_uri]. */
  private rankedTrials(t: TuningJob): TrainingJob[] {
    const type = this.objectiveDef(t).Type;
    return t.trials
      .filter((j) => this.objective(t, j) !== undefined)
      .sort((a, b) => (type === 'Minimize' ? this.objective(t, a)! - this.objective(t, b)! : this.objective(t, b)! - this.objective(t, a)!))
      .slice(0, 50);
  }

  // --- The clock ------------------------------------------------------------------------------------

  private async tick(): Promise<void> {
    this.now += TICK_SECONDS;
    for (const j of [...this.trainingJobs.values()]) this.stepTraining(j);
    for (const t of [...this.tuningJobs.values()]) this.stepTuning(t);
    for (const p of [...this.pipelines.values()]) {
      for (const e of p.executions) if (e.status === 'Executing' || e.status === 'Stopping') await this.progress(e);
    }
  }

  /** Settles finished steps, starts the steps that may start, and ends the execution when nothing runs. */
  private async progress(e: Execution): Promise<void> {
    for (const r of e.runs.values()) this.settle(r);
    for (;;) {
      if (e.status !== 'Executing' || [...e.runs.values()].some((r) => r.status === 'Failed')) break;
      const ready = [...e.definition.steps.values()].filter((d) => !e.runs.has(d.Name) && this.ready(e, d)).sort((a, b) => a.order - b.order);
      if (ready.length === 0) break;
      for (const d of ready) await this.startStep(e, d);
    }
    const running = [...e.runs.values()].some((r) => r.status === 'Executing' || r.status === 'Stopping');
    if (running) return;
    if (e.status === 'Stopping') e.status = 'Stopped';
    else if ([...e.runs.values()].some((r) => r.status === 'Failed')) {
      e.status = 'Failed';
      // Real: "Step failure: One or multiple steps failed." [integ test_fail_steps.py], also for a Fail step.
      e.failure = 'Step failure: One or multiple steps failed.';
    } else e.status = 'Succeeded';
    e.modified = this.now;
  }

  private ready(e: Execution, d: StepDef): boolean {
    if (d.parent) {
      const cond = e.runs.get(d.parent.step);
      if (!cond || cond.status !== 'Succeeded' || cond.outcome !== (d.parent.branch === 'IfSteps')) return false;
    }
    return [...d.deps].every((name) => e.runs.get(name)?.status === 'Succeeded');
  }

  private settle(r: StepRun): void {
    if (r.status !== 'Executing' && r.status !== 'Stopping') return;
    const job = r.training ?? r.tuning;
    if (!job) return;
    if (job.status === 'Completed') {
      r.status = 'Succeeded';
      r.properties = r.training ? this.describeJob(r.training) : this.tuningProperties(r.tuning!);
    } else if (job.status === 'Failed') {
      r.status = 'Failed';
      // A failed job's reason reaches the step as "ClientError: <reason>" [integ test_step_decorator.py].
      r.failure = `ClientError: ${job.failure}`;
    } else if (job.status === 'Stopped') {
      r.status = 'Stopped';
    } else return;
    r.end = this.now;
  }

  private tuningProperties(t: TuningJob): Record<string, unknown> {
    return { ...this.describeTuning(t), TrainingJobSummaries: this.rankedTrials(t).map((j) => this.trialSummary(t, j)) };
  }

  private async startStep(e: Execution, d: StepDef): Promise<void> {
    const r: StepRun = { def: d, status: 'Executing', start: this.now, metadata: {}, seq: this.seq++ };
    e.runs.set(d.Name, r);
    e.modified = this.now;
    try {
      switch (d.Type) {
        case 'Training': {
          const request = this.materialize(d.raw.Arguments, SCHEMAS.training, e, { step: d.Name, path: 'Arguments' });
          new ArgumentChecker(true).check(request, SCHEMAS.training, { step: d.Name, path: 'Arguments' }, { optional: ['TrainingJobName'] });
          r.training = this.startTraining(this.jobName(e, d, request.TrainingJobName, 63), request);
          r.metadata = { TrainingJob: { Arn: r.training.arn } };
          return;
        }
        case 'Tuning': {
          const request = this.materialize(d.raw.Arguments, SCHEMAS.tuning, e, { step: d.Name, path: 'Arguments' });
          new ArgumentChecker(true).check(request, SCHEMAS.tuning, { step: d.Name, path: 'Arguments' }, { optional: ['HyperParameterTuningJobName'] });
          // [api:CreateHyperParameterTuningJob] HyperParameterTuningJobName: at most 32 characters.
          r.tuning = this.startTuning(this.jobName(e, d, request.HyperParameterTuningJobName, 32), request);
          r.metadata = { TuningJob: { Arn: r.tuning.arn } };
          return;
        }
        case 'RegisterModel': {
          const request = this.materialize(d.raw.Arguments, SCHEMAS.modelPackage, e, { step: d.Name, path: 'Arguments' });
          new ArgumentChecker(true).check(request, SCHEMAS.modelPackage, { step: d.Name, path: 'Arguments' }, { forbidden: ['ModelPackageName'] });
          let arn: string;
          try {
            arn = this.host.createModelPackage(request).ModelPackageArn;
          } catch (err) {
            throw new StepFailure(`ClientError: ${(err as Error).message}`);
          }
          r.metadata = { RegisterModel: { Arn: arn } };
          r.properties = this.host.describeModelPackage(arn);
          return this.finish(r, 'Succeeded');
        }
        case 'Condition': {
          const w: Where = { step: d.Name, path: 'Arguments.Conditions' };
          r.outcome = (d.raw.Arguments.Conditions as unknown[]).every((c, i) => this.evaluate(c, e, child(w, i)));
          r.metadata = { Condition: { Outcome: r.outcome ? 'True' : 'False' } };
          r.properties = { Outcome: r.outcome };
          return this.finish(r, 'Succeeded');
        }
        case 'Fail': {
          const m = d.raw.Arguments.ErrorMessage;
          const message = m === undefined ? '' : stringify(this.resolve(m, e, { step: d.Name, path: 'Arguments.ErrorMessage' }));
          // [integ] FailureReason is the message (absent when empty); Metadata.Fail.ErrorMessage is the message or "".
          r.metadata = { Fail: { ErrorMessage: message } };
          r.failure = message === '' ? undefined : message;
          return this.finish(r, 'Failed');
        }
        case 'Lambda':
          return await this.runLambda(e, r);
      }
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      r.failure = err.message;
      this.finish(r, 'Failed');
    }
  }

  private finish(r: StepRun, status: StepStatus): void {
    r.status = status;
    r.end = this.now;
  }

  /**
   * SageMaker names pipeline jobs pipelines-<execution id>-<step name>-<10 random characters>
   * (e.g. "pipelines-kytlemm1lvpq-PreprocessingStep-cIpzShs3Qp", amazon-sagemaker-examples#3106), or
   * <prefix>-<suffix> with a custom prefix. Tuning job names hold at most 32 characters, so there the
   * "pipelines-" part is left out (our choice). Characters a job name may not hold become "-".
   */
  private jobName(e: Execution, d: StepDef, prefix: unknown, max: number): string {
    const suffix = this.id(this.mixed, 10);
    const clean = (s: string) => s.replace(/[^a-zA-Z0-9-]/g, '-');
    if (typeof prefix === 'string' && prefix.length > 0) return `${clean(prefix).slice(0, max - 11)}-${suffix}`;
    const head = max >= 63 ? `pipelines-${e.id}` : e.id;
    const room = max - head.length - suffix.length - 2;
    return `${head}-${clean(d.Name).slice(0, Math.max(1, room))}-${suffix}`.replace(/-+$/, '');
  }

  private async runLambda(e: Execution, r: StepRun): Promise<void> {
    const d = r.def;
    const arn: string = d.raw.FunctionArn;
    const event = this.materialize(d.raw.Arguments ?? {}, undefined, e, { step: d.Name, path: 'Arguments' });
    r.metadata = { Lambda: { Arn: arn } };
    const fn = this.lambdas.get(arn);
    // Lambda's own error for a missing function: ResourceNotFoundException "Function not found: <arn>".
    if (!fn) throw new StepFailure(`ResourceNotFoundException: Function not found: ${arn}`);
    let answer: unknown;
    try {
      answer = await fn(event);
    } catch (err) {
      throw new StepFailure(`Lambda function ${arn} failed: ${(err as Error).message}`);
    }
    if (!isPlainObject(answer)) throw new StepFailure(`The output of Lambda function ${arn} is not a JSON object.`);
    const outputs: Record<string, Typed> = {};
    const listed: { Name: string; Value: string }[] = [];
    for (const o of (d.raw.OutputParameters ?? []) as { OutputName: string; OutputType?: string }[]) {
      const type = (o.OutputType ?? 'String') as ParameterDef['Type'];
      const v = answer[o.OutputName];
      // Wording ours: the step fails when the function's output lacks a declared output.
      if (v === undefined || v === null) throw new StepFailure(`The output of Lambda function ${arn} has no value for output parameter '${o.OutputName}'.`);
      const typed = lambdaOutput(v, type);
      if (!typed) throw new StepFailure(`Output parameter '${o.OutputName}' of Lambda function ${arn} is ${JSON.stringify(v)}, not a ${type}.`);
      outputs[o.OutputName] = typed;
      listed.push({ Name: o.OutputName, Value: stringify(typed) });
    }
    r.metadata = { Lambda: { Arn: arn, OutputParameters: listed } };
    r.properties = { OutputParameters: outputs };
    this.finish(r, 'Succeeded');
  }

  // --- Expressions at run time --------------------------------------------------------------------

  /** Resolves every expression under `v`; with a schema, each value takes the JSON type its member needs. */
  private materialize(v: unknown, schema: unknown, e: Execution, w: Where): any {
    const kind = schema === undefined ? undefined : kindOf(schema);
    if (isExpression(v)) {
      const typed = this.resolve(v, e, w);
      if (!kind) return typed.v;
      return coerce(typed, kind.k, w);
    }
    if (Array.isArray(v)) return v.map((x, i) => this.materialize(x, kind?.k === 'list' ? kind.member : undefined, e, child(w, i)));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        let member: unknown;
        if (kind?.k === 'map') member = kind.value;
        else if (kind?.k === 'struct' || kind?.k === 'union') {
          const i = kind.names.indexOf(k);
          member = i >= 0 ? kind.schemas[i] : undefined;
        }
        out[k] = this.materialize(x, member, e, child(w, k));
      }
      return out;
    }
    return v;
  }

  private resolve(v: unknown, e: Execution, w: Where): Typed {
    if (!isExpression(v)) return { v, t: typeOfLiteral(v) };
    if ('Std:Join' in v) {
      const j = v['Std:Join'] as { On?: string; Values: unknown[] };
      return { v: j.Values.map((x, i) => stringify(this.resolve(x, e, child(w, i)))).join(j.On ?? ''), t: 'String' };
    }
    const ref = String(v.Get);
    if (ref.startsWith('Parameters.')) return e.parameters.get(ref.slice('Parameters.'.length))!;
    if (ref.startsWith('Execution.')) {
      switch (ref.slice('Execution.'.length)) {
        case 'PipelineExecutionArn': return { v: e.arn, t: 'String' };
        case 'PipelineExecutionId': return { v: e.id, t: 'String' };
        case 'PipelineName': return { v: e.pipeline.name, t: 'String' };
        case 'PipelineArn': return { v: e.pipeline.arn, t: 'String' };
        // ISO 8601 in UTC (our choice of format).
        case 'StartDateTime': return { v: new Date(e.created * 1000).toISOString(), t: 'String' };
        default: return { v: new Date(this.now * 1000).toISOString(), t: 'String' };
      }
    }
    const m = STEP_REF.exec(ref)!;
    const run = e.runs.get(m[1]);
    if (!run || run.status !== 'Succeeded' || !run.properties) throw new StepFailure(`Cannot resolve ${ref}: step '${m[1]}' has not succeeded.`);
    return this.property(run, ref, parsePath(m[2]));
  }

  /** Reads a step property; a path that reaches nothing fails the step, naming the path. */
  private property(run: StepRun, ref: string, path: Segment[]): Typed {
    let cur: unknown = run.properties;
    let at = `Steps.${run.def.Name}`;
    let float = false;
    for (const seg of path) {
      let next: unknown;
      if ('prop' in seg) {
        next = isPlainObject(cur) ? cur[seg.prop] : undefined;
        if ((seg.prop === 'FinalMetricDataList' || seg.prop === 'FinalHyperParameterTuningJobObjectiveMetric') && next !== undefined) float = true;
        if (next === undefined) throw new StepFailure(`Cannot resolve ${ref}: ${at} has no property '${seg.prop}'.`);
        at += `.${seg.prop}`;
      } else if ('index' in seg) {
        next = Array.isArray(cur) ? cur[seg.index] : undefined;
        if (next === undefined) throw new StepFailure(`Cannot resolve ${ref}: ${at} has no element [${seg.index}].`);
        at += `[${seg.index}]`;
      } else {
        if (Array.isArray(cur)) next = cur.find((x) => isPlainObject(x) && (x.MetricName === seg.key || x.Name === seg.key || x.ChannelName === seg.key));
        else if (isPlainObject(cur)) next = cur[seg.key];
        if (next === undefined) throw new StepFailure(`Cannot resolve ${ref}: ${at} has no element with key '${seg.key}'.`);
        at += `['${seg.key}']`;
      }
      cur = next;
    }
    if (isPlainObject(cur) && 't' in cur && 'v' in cur && run.def.Type === 'Lambda') return cur as unknown as Typed;
    const t = typeOfLiteral(cur);
    return { v: cur, t: t === 'Integer' && float ? 'Float' : t };
  }

  private evaluate(c: any, e: Execution, w: Where): boolean {
    switch (c.Type) {
      case 'Not': return !this.evaluate(c.Condition, e, child(w, 'Condition'));
      case 'Or': return (c.Conditions as unknown[]).some((x, i) => this.evaluate(x, e, child(child(w, 'Conditions'), i)));
      case 'In': {
        const q = this.resolve(c.QueryValue, e, child(w, 'QueryValue'));
        return (c.Values as unknown[]).some((x, i) => equal(q, this.resolve(x, e, child(child(w, 'Values'), i)), c.Type));
      }
      default: {
        const l = this.resolve(c.LeftValue, e, child(w, 'LeftValue'));
        const r = this.resolve(c.RightValue, e, child(w, 'RightValue'));
        if (c.Type === 'Equals') return equal(l, r, c.Type);
        if (c.Type === 'NotEquals') return !equal(l, r, c.Type);
        const order = compare(l, r, c.Type);
        switch (c.Type) {
          case 'GreaterThan': return order > 0;
          case 'GreaterThanOrEqualTo': return order >= 0;
          case 'LessThan': return order < 0;
          default: return order <= 0;
        }
      }
    }
  }
}

const isNumeric = (x: Typed) => x.t === 'Integer' || x.t === 'Float';

/** Condition operands must be of one kind; the wording follows the SDK's local pipeline executor. */
function mismatch(l: Typed, r: Typed, type: string): StepFailure {
  return new StepFailure(`Condition of type [${type}] not supported between [${stringify(l)}] of type [${l.t}] and [${stringify(r)}] of type [${r.t}]`);
}

function equal(l: Typed, r: Typed, type: string): boolean {
  if (isNumeric(l) && isNumeric(r)) return Number(l.v) === Number(r.v);
  if (l.t !== r.t) throw mismatch(l, r, type);
  return l.v === r.v;
}

function compare(l: Typed, r: Typed, type: string): number {
  if (isNumeric(l) && isNumeric(r)) return Number(l.v) - Number(r.v);
  if (l.t === 'String' && r.t === 'String') return String(l.v) < String(r.v) ? -1 : String(l.v) > String(r.v) ? 1 : 0;
  throw mismatch(l, r, type);
}

function coerce(x: Typed, kind: Kind['k'], w: Where): unknown {
  switch (kind) {
    case 'string':
    case 'blob':
      return stringify(x);
    case 'number':
      if (isNumeric(x)) return Number(x.v);
      if (x.t === 'String' && String(x.v).trim() !== '' && Number.isFinite(Number(x.v))) return Number(x.v);
      throw new StepFailure(`ClientError: ${w.path} needs a number; the expression gave ${JSON.stringify(x.v)}.`);
    case 'boolean':
      if (x.t === 'Boolean') return x.v;
      if (x.t === 'String' && /^(true|false)$/i.test(String(x.v))) return String(x.v).toLowerCase() === 'true';
      throw new StepFailure(`ClientError: ${w.path} needs a boolean; the expression gave ${JSON.stringify(x.v)}.`);
    default:
      return x.v;
  }
}

function lambdaOutput(v: unknown, type: ParameterDef['Type']): Typed | undefined {
  switch (type) {
    case 'String': return typeof v === 'string' ? { v, t: 'String' } : typeof v === 'number' || typeof v === 'boolean' ? { v: String(v), t: 'String' } : undefined;
    case 'Integer': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      return typeof n === 'number' && Number.isInteger(n) ? { v: n, t: 'Integer' } : undefined;
    }
    case 'Float': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      return typeof n === 'number' && Number.isFinite(n) ? { v: n, t: 'Float' } : undefined;
    }
    case 'Boolean':
      if (typeof v === 'boolean') return { v, t: 'Boolean' };
      return typeof v === 'string' && /^(true|false)$/i.test(v) ? { v: v.toLowerCase() === 'true', t: 'Boolean' } : undefined;
  }
}

function toSeconds(t: unknown): number {
  return typeof t === 'number' ? t : new Date(String(t)).getTime() / 1000;
}

function paginate<T>(all: T[], size: number, token?: string): { page: T[]; next?: string } {
  const start = token ? Number(token) : 0;
  const page = all.slice(start, start + size);
  return { page, next: start + size < all.length ? String(start + size) : undefined };
}
