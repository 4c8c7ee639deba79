import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PipelineEngine } from './pipelines';
import { checkRequest, RequestRefused } from './processing';
import { FakeS3 } from './s3';

/**
 * A stateful fake of the SageMaker endpoint API and Application Auto Scaling on 127.0.0.1, speaking
 * their real wire protocol (AWS JSON 1.1: POST /, `X-Amz-Target: SageMaker.<Op>` or
 * `AnyScaleFrontendService.<Op>`, errors as `__type` + message). The real SDK clients talk to it.
 *
 * It keeps the rules the reconciler exists for: UpdateEndpoint is refused while a variant it would
 * remove or move to another instance type is a registered scalable target; RegisterScalableTarget
 * needs the variant on the endpoint; PutScalingPolicy needs a registered target; deregistering a
 * target deletes its policies; DeleteEndpoint deregisters the endpoint's targets.
 *
 * UpdateEndpoint goes as SageMaker's does: the endpoint answers Updating (EndpointConfigName the old
 * config, PendingDeploymentSummary the new one) for `updateLooks` DescribeEndpoint calls (0: done at
 * once), refuses another update or new weights meanwhile, and keeps the weights and counts of the
 * variants that remain with RetainAllVariantProperties; an update set to fail (`updateFailures`)
 * leaves the endpoint InService on its old config with the FailureReason. Sources at smUpdateEndpoint.
 *
 * And rules of the service it serves, so that no test passes here that AWS would refuse (each with
 * its source where it is enforced): an endpoint config names models that exist (CreateModel first,
 * as CloudFormation's AWS::SageMaker::Model does), and so must the config of a created or updated
 * endpoint; a model name is taken once; names, page sizes and the shadow variant keep the API
 * reference's limits; Describe/List calls answer in pages of the documented size.
 *
 * `quirks` makes it answer as moto (a second implementation of the AWS API) does where moto is
 * shaped otherwise than AWS, so the reconcilers are shown to survive both.
 *
 * SageMaker Pipelines and the training and tuning jobs their steps run live in `pipelines`
 * (pipelines.ts); the sm<Operation> methods for them below only hand over to it.
 *
 * Model Monitor: processing jobs (CreateProcessingJob, DescribeProcessingJob, checked against the
 * client's request shape and the API reference's limits in processing.ts), monitoring schedules
 * (DescribeMonitoringSchedule; CloudFormation makes them, tests add them with `addMonitoringSchedule`)
 * and their executions (ListMonitoringExecutions; tests add runs with `addMonitoringExecution`). A job
 * runs until a test ends it (`finishProcessingJob`), which writes its output files to `s3`: the part
 * of S3 the monitor reads and writes, served on the same port for requests without X-Amz-Target
 * (s3.ts; the real S3 client reaches it with `s3Client()`).
 */

interface Variant { VariantName: string; ModelName?: string; InstanceType?: string; InitialInstanceCount?: number; InitialVariantWeight?: number }
interface Endpoint {
  EndpointName: string; EndpointConfigName: string; counts: Map<string, number>; weights: Map<string, number>; created: number;
  /** An UpdateEndpoint in progress: where it goes, and how many more DescribeEndpoint calls answer Updating. */
  pending?: { EndpointConfigName: string; counts: Map<string, number>; weights: Map<string, number>; looks: number; failure?: string; started: number };
  /** The FailureReason of the last update, which failed (the endpoint stayed InService on its config). */
  failure?: string;
}
interface Target { ServiceNamespace: string; ResourceId: string; ScalableDimension: string; MinCapacity: number; MaxCapacity: number; RoleARN: string; CreationTime: number }
interface Policy { PolicyName: string; ServiceNamespace: string; ResourceId: string; ScalableDimension: string; PolicyType: string; TargetTrackingScalingPolicyConfiguration?: unknown; CreationTime: number }
/** A processing job: its request as sent, and what SageMaker says of it. */
interface ProcessingJob {
  request: Record<string, any>;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  created: number;
  ended?: number;
  failureReason?: string;
  exitMessage?: string;
  monitoringScheduleArn?: string;
}
interface MonitoringExecution {
  MonitoringScheduleName: string;
  ScheduledTime: number;
  CreationTime: number;
  LastModifiedTime: number;
  MonitoringExecutionStatus: string;
  ProcessingJobArn?: string;
  EndpointName?: string;
  FailureReason?: string;
  MonitoringJobDefinitionName?: string;
  MonitoringType: string;
}
interface Model { ModelName: string; ModelArn: string; PrimaryContainer?: unknown; Containers?: unknown[]; ExecutionRoleArn?: string; VpcConfig?: unknown; EnableNetworkIsolation?: boolean; InferenceExecutionConfig?: unknown; CreationTime: number }

/** Where moto (getmoto/moto) answers otherwise than AWS; all off by default. */
export interface FakeQuirks {
  /**
   * DescribeEndpointConfig of a config made without data capture answers `DataCaptureConfig: {}`, as
   * moto does (moto/sagemaker/models.py: `self.data_capture_config = data_capture_config or {}`).
   */
  emptyDataCapture?: boolean;
  /**
   * DescribeScalingPolicies filtered as moto filters it (moto/applicationautoscaling/models.py):
   * `moto` keeps a policy whose ResourceId is a substring of the asked one (`policy.resource_id in
   * resource_id`, so asking for `.../variant/v70` also answers v7's) and ignores PolicyNames;
   * `namespace` answers every policy of the namespace, whatever was asked.
   */
  scalingPolicies?: 'moto' | 'namespace';
}

/**
 * What CloudFormation's AWS::SageMaker::Model resources do before a config may name them: one
 * CreateModel each, through the real client. Names already made are skipped.
 */
export async function createModels(fake: FakeSageMaker, names: string[]): Promise<void> {
  const { CreateModelCommand } = await import('@aws-sdk/client-sagemaker');
  const sm = fake.clients().sagemaker;
  for (const name of names) {
    if (fake.models.has(name)) continue;
    await sm.send(new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/model-execution`,
      PrimaryContainer: { Image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/serve:1`, ModelDataUrl: `s3://models/${name}/model.tar.gz` },
    }));
  }
  sm.destroy();
}

class AwsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/**
 * A request that breaks a member's constraint, in the service's wording: "1 validation error detected:
 * Value 'ENTER MODEL NAME' at 'productionVariants.1.member.modelName' failed to satisfy constraint:
 * Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*" (AWS's answer to
 * CreateEndpointConfig, quoted in aws/amazon-sagemaker-examples#2236).
 */
function constraint(value: unknown, member: string, rule: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must ${rule}`);
}

/** EndpointConfigName, ModelName: "Maximum length of 63. Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" (API reference). */
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
function checkName(value: string, member: string): void {
  if (value === undefined) throw new AwsError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  if (value.length > 63) throw constraint(value, member, 'have length less than or equal to 63');
  if (!NAME.test(value)) throw constraint(value, member, 'satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}');
}

/** A page size the API reference bounds (ListModelPackages and Search 1-100; DescribeScalingPolicies 1-10; DescribeScalableTargets 1-50). */
function pageSize(value: number | undefined, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (value < 1) throw constraint(value, 'maxResults', 'have value greater than or equal to 1');
  if (value > max) throw constraint(value, 'maxResults', `have value less than or equal to ${max}`);
  return value;
}

/** One page of `all` from an opaque token (here an offset), and the token of the next page. */
function page<T>(all: T[], size: number, token?: string): { items: T[]; next?: string } {
  const start = token ? Number(token) : 0;
  if (!Number.isInteger(start) || start < 0 || start > all.length) throw new AwsError('ValidationException', 'Invalid pagination token');
  return { items: all.slice(start, start + size), next: start + size < all.length ? String(start + size) : undefined };
}

interface SearchFilter { Name: string; Operator?: string; Value?: string }
interface SearchExpression { Filters?: SearchFilter[]; NestedFilters?: unknown[]; SubExpressions?: SearchExpression[]; Operator?: 'And' | 'Or' }

/** Properties of a ModelPackage record this fake filters on (all text or numbers, compared as text). */
const SEARCHABLE = new Set(['ModelPackageGroupName', 'ModelPackageArn', 'ModelPackageName', 'ModelPackageVersion', 'ModelPackageDescription', 'ModelApprovalStatus', 'ModelPackageStatus']);

function countElements(e: SearchExpression): number {
  return (e.Filters?.length ?? 0) + (e.NestedFilters?.length ?? 0) + (e.SubExpressions ?? []).reduce((n, s) => n + 1 + countElements(s), 0);
}

function checkExpression(e: SearchExpression): void {
  if (!e.Filters?.length && !e.NestedFilters?.length && !e.SubExpressions?.length) {
    throw new AwsError('ValidationException', 'A SearchExpression must hold at least one subexpression, filter, or nested filter.');
  }
  if ((e.Filters?.length ?? 0) > 20) throw constraint('[…]', 'searchExpression.filters', 'have length less than or equal to 20');
  if (e.NestedFilters?.length) throw new AwsError('ValidationException', 'This fake does not serve NestedFilters.');
  if (e.Operator !== undefined && e.Operator !== 'And' && e.Operator !== 'Or') throw constraint(e.Operator, 'searchExpression.operator', 'satisfy enum value set: [And, Or]');
  for (const f of e.Filters ?? []) {
    if (!f.Name.startsWith('Tags.') && !SEARCHABLE.has(f.Name)) {
      throw new AwsError('ValidationException', `This fake does not filter ModelPackage on ${f.Name}: the API reference documents a record's properties, Tags.<key>, Metrics.<name> and HyperParameters.<name> as filter names, not keys of CustomerMetadataProperties.`);
    }
    const op = f.Operator ?? 'Equals';
    if (!['Equals', 'NotEquals', 'Exists', 'NotExists', 'In'].includes(op)) throw new AwsError('ValidationException', `This fake does not serve the ${op} operator.`);
    if ((op === 'Exists' || op === 'NotExists') !== (f.Value === undefined)) throw new AwsError('ValidationException', `${op} takes ${f.Value === undefined ? 'a Value' : 'no Value'}.`);
  }
  for (const sub of e.SubExpressions ?? []) checkExpression(sub);
}

/** The value a filter name reads from a record; a tag's value for `Tags.<key>`. */
function property(record: Record<string, any>, name: string): string | undefined {
  if (name.startsWith('Tags.')) return (record.Tags as { Key: string; Value: string }[] | undefined)?.find((t) => t.Key === name.slice(5))?.Value;
  const v = record[name];
  return v === undefined || v === null ? undefined : String(v);
}

function matches(record: Record<string, any>, e: SearchExpression): boolean {
  const results = [
    ...(e.Filters ?? []).map((f) => {
      const v = property(record, f.Name);
      switch (f.Operator ?? 'Equals') {
        case 'Exists': return v !== undefined;
        case 'NotExists': return v === undefined;
        case 'NotEquals': return v !== f.Value;
        case 'In': return v !== undefined && String(f.Value).split(',').includes(v);
        default: return v === f.Value;
      }
    }),
    ...(e.SubExpressions ?? []).map((sub) => matches(record, sub)),
  ];
  return e.Operator === 'Or' ? results.some(Boolean) : results.every(Boolean);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

const READS = /^(Describe|List|Search)/;
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';

export class FakeSageMaker {
  readonly configs = new Map<string, { EndpointConfigName: string; ProductionVariants: Variant[]; [k: string]: unknown }>();
  /** Models (CreateModel, as CloudFormation's AWS::SageMaker::Model makes them) by name. */
  readonly models = new Map<string, Model>();
  /** Answers shaped as moto shapes them (see FakeQuirks); change them before the calls they affect. */
  readonly quirks: FakeQuirks = {};
  readonly endpoints = new Map<string, Endpoint>();
  /** Scalable targets by resource id. */
  readonly targets = new Map<string, Target>();
  /** Policies by `<resource id>|<policy name>`. */
  readonly policies = new Map<string, Policy>();
  /** Model package groups by name, and their versioned packages in version order. */
  readonly groups = new Map<string, { description?: string; packages: Record<string, any>[] }>();
  /** Tags by resource ARN. */
  readonly tags = new Map<string, Record<string, string>>();
  /** Every call, in order, as `<Service>.<Operation>`. */
  readonly calls: string[] = [];
  /** Operation name → how many more calls fail with ThrottlingException. */
  readonly throttle = new Map<string, number>();
  /** Operation name → an error every call of it answers with (e.g. AccessDeniedException). */
  readonly faults = new Map<string, { type: string; message: string }>();
  /** Endpoint name → the FailureReason of an endpoint that DescribeEndpoint reports as Failed. */
  readonly failed = new Map<string, string>();
  /** Endpoint name → how many more DescribeEndpoint calls answer Updating (an update in progress). */
  readonly updating = new Map<string, number>();
  /** How many DescribeEndpoint calls an UpdateEndpoint answers Updating before it is done; 0: done at once. */
  updateLooks = 0;
  /** Endpoint name → the FailureReason with which its next UpdateEndpoint fails, once it is done. */
  readonly updateFailures = new Map<string, string>();
  /** Processing jobs by name (baselining jobs, and the jobs of monitoring executions). */
  readonly processingJobs = new Map<string, ProcessingJob>();
  /** Monitoring schedules by name, as CloudFormation's AWS::SageMaker::MonitoringSchedule leaves them. */
  readonly monitoringSchedules = new Map<string, { status: string; endpointName?: string; jobDefinitionName?: string; created: number }>();
  /** Monitoring executions, in the order they ran. */
  readonly monitoringExecutions: MonitoringExecution[] = [];
  /** The part of S3 the monitor reads and writes, on this server's port. */
  readonly s3 = new FakeS3();
  /** Pipelines, their executions, training and tuning jobs, Lambda functions for Lambda steps, the fake clock. */
  readonly pipelines = new PipelineEngine({
    createModelPackage: (input) => this.smCreateModelPackage(input),
    describeModelPackage: (arn) => this.smDescribeModelPackage({ ModelPackageName: arn }),
    tag: (arn, tags) => this.smAddTags({ ResourceArn: arn, Tags: tags }),
    error: (type, message, status) => new AwsError(type, message, status),
  });
  private server?: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        // S3 speaks REST, not AWS JSON: no X-Amz-Target.
        if (req.headers['x-amz-target'] === undefined) return this.s3.handle(req, body, res);
        const target = String(req.headers['x-amz-target'] ?? '');
        let status = 200;
        let out: unknown;
        try {
          out = await this.dispatch(target, body ? JSON.parse(body) : {});
        } catch (e) {
          const err = e instanceof AwsError ? e : e instanceof RequestRefused ? new AwsError('ValidationException', e.message) : new AwsError('InternalFailure', String(e), 500);
          status = err.status;
          out = { __type: err.type, message: err.message };
          res.setHeader('x-amzn-errortype', err.type);
        }
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${this.calls.length}` });
        res.end(JSON.stringify(out ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The real clients, pointed here with static credentials and fast retries. */
  clients(): { sagemaker: SageMakerClient; autoscaling: ApplicationAutoScalingClient } {
    const common = { endpoint: this.url, region: REGION, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 4 };
    return { sagemaker: new SageMakerClient(common), autoscaling: new ApplicationAutoScalingClient(common) };
  }

  /** The real S3 client, path-style, pointed here. */
  s3Client(): S3Client {
    return new S3Client({ endpoint: this.url, forcePathStyle: true, region: REGION, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 2 });
  }

  /** Writes since `from` (index into calls), by operation. */
  writes(from = 0): string[] {
    return this.calls.slice(from).filter((c) => !READS.test(c.split('.')[1]));
  }

  /** Handlers may answer with a Promise (pipeline steps call async Lambda functions). */
  private async dispatch(target: string, input: any): Promise<unknown> {
    const [service, op] = target.split('.');
    const name = `${service === 'SageMaker' ? 'SageMaker' : 'AutoScaling'}.${op}`;
    this.calls.push(name);
    const fault = this.faults.get(op);
    if (fault) throw new AwsError(fault.type, fault.message);
    const left = this.throttle.get(op) ?? 0;
    if (left > 0) {
      this.throttle.set(op, left - 1);
      throw new AwsError('ThrottlingException', 'Rate exceeded');
    }
    const handler = (this as any)[`${service === 'SageMaker' ? 'sm' : 'aas'}${op}`];
    if (!handler) throw new AwsError('UnknownOperationException', `${target} is not served by the fake`);
    return await handler.call(this, input);
  }

  // --- SageMaker --------------------------------------------------------------------------------

  private modelArn(name: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${name.toLowerCase()}`;
  }

  /**
   * SageMaker's answer for a model that is not there. The wording is AWS's, as quoted in
   * aws/sagemaker-python-sdk#2112 ("An error occurred (ValidationException) when calling the
   * CreateEndpoint operation: Could not find model \"arn:aws:sagemaker:us-east-1:111111111111:
   * model/xgboost-neo-…\"."); moto raises the same for CreateEndpointConfig
   * (moto/sagemaker/models.py, validate_production_variants), with single quotes.
   */
  private noModel(name: string): AwsError {
    return new AwsError('ValidationException', `Could not find model "${this.modelArn(name)}".`);
  }

  /** The variants of a config whose model is gone: CreateEndpointConfig, CreateEndpoint and UpdateEndpoint refuse them. */
  private requireModels(config: { ProductionVariants?: Variant[]; ShadowProductionVariants?: Variant[] }): void {
    for (const v of [...(config.ProductionVariants ?? []), ...(config.ShadowProductionVariants ?? [])]) {
      // ModelName is optional (an endpoint for inference components has none); a named one must exist.
      if (v.ModelName !== undefined && !this.models.has(v.ModelName)) throw this.noModel(v.ModelName);
    }
  }

  /**
   * What CloudFormation's AWS::SageMaker::Model calls. Shapes per the API reference (CreateModel:
   * ModelName required; PrimaryContainer or Containers; answers ModelArn).
   */
  smCreateModel(input: { ModelName: string; PrimaryContainer?: unknown; Containers?: unknown[]; ExecutionRoleArn?: string; VpcConfig?: unknown; EnableNetworkIsolation?: boolean; InferenceExecutionConfig?: unknown; Tags?: { Key: string; Value: string }[] }) {
    checkName(input.ModelName, 'modelName');
    // AWS's wording for a name already taken: clients match "Cannot create already existing model"
    // (aws/sagemaker-python-sdk src/sagemaker/session.py, create_model); the ARN in double quotes as for configs.
    if (this.models.has(input.ModelName)) throw new AwsError('ValidationException', `Cannot create already existing model "${this.modelArn(input.ModelName)}".`);
    const { Tags: tags, ...rest } = input;
    const arn = this.modelArn(input.ModelName);
    this.models.set(input.ModelName, { ...rest, ModelArn: arn, CreationTime: 1700000000 });
    if (tags) this.tags.set(arn, Object.fromEntries(tags.map((t) => [t.Key, t.Value])));
    return { ModelArn: arn };
  }

  smDescribeModel(input: { ModelName: string }) {
    const m = this.models.get(input.ModelName);
    if (!m) throw this.noModel(input.ModelName);
    return { ...m };
  }

  /** SageMaker deletes a model that a config still names (the config stays; an endpoint made from it later is refused). */
  smDeleteModel(input: { ModelName: string }) {
    if (!this.models.delete(input.ModelName)) throw this.noModel(input.ModelName);
    return {};
  }

  /** What CloudFormation's AWS::SageMaker::EndpointConfig (or our custom resource) does. */
  smCreateEndpointConfig(input: { EndpointConfigName: string; ProductionVariants: Variant[]; ShadowProductionVariants?: Variant[]; DataCaptureConfig?: Record<string, unknown>; [k: string]: unknown }) {
    checkName(input.EndpointConfigName, 'endpointConfigName');
    if (this.configs.has(input.EndpointConfigName)) {
      throw new AwsError('ValidationException', `Cannot create already existing endpoint configuration "arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${input.EndpointConfigName.toLowerCase()}".`);
    }
    if (!input.ProductionVariants?.length) throw new AwsError('ValidationException', '1 validation error detected: Value null at \'productionVariants\' failed to satisfy constraint: Member must not be null');
    // The API reference (CreateEndpointConfig, ShadowProductionVariants): "If you use this field, you can
    // only specify one variant for ProductionVariants and one variant for ShadowProductionVariants."
    if (input.ShadowProductionVariants?.length && (input.ProductionVariants.length !== 1 || input.ShadowProductionVariants.length !== 1)) {
      throw new AwsError('ValidationException', `An endpoint config with shadow variants takes one production variant and one shadow variant; got ${input.ProductionVariants.length} and ${input.ShadowProductionVariants.length}.`);
    }
    // DataCaptureConfig's required members (the API reference; the SDK's DataCaptureConfig type).
    if (input.DataCaptureConfig) {
      for (const member of ['InitialSamplingPercentage', 'DestinationS3Uri', 'CaptureOptions']) {
        if (input.DataCaptureConfig[member] === undefined) {
          throw new AwsError('ValidationException', `1 validation error detected: Value null at 'dataCaptureConfig.${member[0].toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must not be null`);
        }
      }
    }
    this.requireModels(input);
    this.configs.set(input.EndpointConfigName, { ...input });
    return { EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${input.EndpointConfigName.toLowerCase()}` };
  }

  smDescribeEndpointConfig(input: { EndpointConfigName: string }) {
    const c = this.configs.get(input.EndpointConfigName);
    if (!c) throw new AwsError('ValidationException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
    const capture = c.DataCaptureConfig ?? (this.quirks.emptyDataCapture ? {} : undefined);
    return { ...c, DataCaptureConfig: capture, EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${c.EndpointConfigName}`, CreationTime: 1700000000 };
  }

  smCreateEndpoint(input: { EndpointName: string; EndpointConfigName: string }) {
    if (this.endpoints.has(input.EndpointName)) throw new AwsError('ValidationException', `Cannot create already existing endpoint "${input.EndpointName}".`);
    const config = this.smDescribeEndpointConfig({ EndpointConfigName: input.EndpointConfigName });
    // aws/sagemaker-python-sdk#2112: CreateEndpoint answers "Could not find model" for a config whose model is gone.
    this.requireModels(config);
    this.endpoints.set(input.EndpointName, {
      EndpointName: input.EndpointName,
      EndpointConfigName: input.EndpointConfigName,
      counts: new Map(config.ProductionVariants.map((v) => [v.VariantName, v.InitialInstanceCount ?? 1])),
      weights: new Map(config.ProductionVariants.map((v) => [v.VariantName, v.InitialVariantWeight ?? 1])),
      created: 1700000000,
    });
    return { EndpointArn: this.arn(input.EndpointName) };
  }

  /**
   * UpdateEndpoint, as the API reference describes it: "When SageMaker receives the request, it sets
   * the endpoint status to Updating. After updating the endpoint, it sets the status to InService."
   * Here the update is done after `updateLooks` DescribeEndpoint calls (0: at once). Meanwhile
   * DescribeEndpoint answers the current config as EndpointConfigName and the new one in
   * PendingDeploymentSummary ("only returned when the endpoint is creating or updating with a new
   * endpoint configuration"), and another UpdateEndpoint, or new weights, are refused.
   *
   * RetainAllVariantProperties (API reference): "To retain the variant properties of an endpoint when
   * updating it, set RetainAllVariantProperties to true" (the instance count and the variant weight);
   * ExcludeRetainedVariantProperties lists those "to override with the values provided by
   * EndpointConfig". A variant new to the endpoint takes the config's values.
   *
   * A failed update: "If the status of the endpoint is Failed, or the status is InService but update
   * operation fails, this provides the reason why it failed" (API reference, EndpointMetadata
   * FailureReason); the endpoint "goes back to InService state with a FailureReason about the error
   * ... [which] disappears as soon as a new update is applied" (aws-controllers-k8s/
   * sagemaker-controller#7). `updateFailures` sets one.
   */
  smUpdateEndpoint(input: { EndpointName: string; EndpointConfigName: string; RetainAllVariantProperties?: boolean; ExcludeRetainedVariantProperties?: { VariantPropertyType: string }[]; RetainDeploymentConfig?: boolean }) {
    const e = this.endpoint(input.EndpointName);
    if (e.pending || (this.updating.get(e.EndpointName) ?? 0) > 0) throw new AwsError('ValidationException', `Cannot update in-progress endpoint "${this.arn(e.EndpointName)}".`);
    const next = this.smDescribeEndpointConfig({ EndpointConfigName: input.EndpointConfigName });
    this.requireModels(next);
    const current = this.configs.get(e.EndpointConfigName)!;
    const blocked = current.ProductionVariants.filter((v) => {
      if (!this.targets.has(`endpoint/${e.EndpointName}/variant/${v.VariantName}`)) return false;
      const after = next.ProductionVariants.find((n) => n.VariantName === v.VariantName);
      return !after || after.InstanceType !== v.InstanceType;
    });
    if (blocked.length > 0) {
      // SageMaker's refusal, as the "Update endpoints that use auto scaling" guide describes it.
      throw new AwsError('ValidationException', `The variant(s) "[${blocked.map((v) => v.VariantName).join(', ')}]" must be deregistered as scalable targets with AWS Application Auto Scaling before they can be removed or have their instance type updated.`);
    }
    const excluded = new Set((input.ExcludeRetainedVariantProperties ?? []).map((x) => x.VariantPropertyType));
    const retain = (property: string, variant: string, live: Map<string, number>) => Boolean(input.RetainAllVariantProperties) && !excluded.has(property) && live.has(variant);
    const counts = new Map<string, number>();
    const weights = new Map<string, number>();
    for (const v of next.ProductionVariants) {
      counts.set(v.VariantName, retain('DesiredInstanceCount', v.VariantName, e.counts) ? e.counts.get(v.VariantName)! : v.InitialInstanceCount ?? 1);
      weights.set(v.VariantName, retain('DesiredWeight', v.VariantName, e.weights) ? e.weights.get(v.VariantName)! : v.InitialVariantWeight ?? 1);
    }
    const failure = this.updateFailures.get(e.EndpointName);
    this.updateFailures.delete(e.EndpointName);
    e.failure = undefined;
    e.pending = { EndpointConfigName: input.EndpointConfigName, counts, weights, looks: this.updateLooks, failure, started: 1700000000 + this.calls.length };
    if (this.updateLooks <= 0) this.finishUpdate(e);
    return { EndpointArn: this.arn(e.EndpointName) };
  }

  /** The update in progress is done: the endpoint on its new config, or back on its old one with the FailureReason. */
  private finishUpdate(e: Endpoint): void {
    const p = e.pending!;
    e.pending = undefined;
    if (p.failure) {
      e.failure = p.failure;
      return;
    }
    e.EndpointConfigName = p.EndpointConfigName;
    e.counts = p.counts;
    e.weights = p.weights;
  }

  smDescribeEndpoint(input: { EndpointName: string }) {
    const e = this.endpoint(input.EndpointName);
    if (e.pending) {
      if (e.pending.looks > 0) e.pending.looks -= 1;
      else this.finishUpdate(e);
    }
    const updating = this.updating.get(e.EndpointName) ?? 0;
    if (updating > 0) this.updating.set(e.EndpointName, updating - 1);
    return {
      EndpointName: e.EndpointName,
      EndpointArn: this.arn(e.EndpointName),
      EndpointConfigName: e.EndpointConfigName,
      EndpointStatus: this.failed.has(e.EndpointName) ? 'Failed' : updating > 0 || e.pending ? 'Updating' : 'InService',
      FailureReason: this.failed.get(e.EndpointName) ?? e.failure,
      CreationTime: e.created,
      LastModifiedTime: e.created,
      ProductionVariants: [...e.counts.keys()].map((v) => ({
        VariantName: v,
        CurrentWeight: e.weights.get(v),
        DesiredWeight: e.weights.get(v),
        CurrentInstanceCount: e.counts.get(v),
        DesiredInstanceCount: e.counts.get(v),
        // Its fleet resolved the image a minute after the endpoint was made.
        DeployedImages: [{ SpecifiedImage: 'image', ResolvedImage: 'image@sha256:0', ResolutionTime: e.created + 60 }],
      })),
      PendingDeploymentSummary: e.pending
        ? {
          EndpointConfigName: e.pending.EndpointConfigName,
          StartTime: e.pending.started,
          ProductionVariants: [...e.pending.counts.keys()].map((v) => ({ VariantName: v, DesiredWeight: e.pending!.weights.get(v), DesiredInstanceCount: e.pending!.counts.get(v) })),
        }
        : undefined,
    };
  }

  /** SageMaker refuses new weights while an update is in progress, and names of variants it lacks. */
  smUpdateEndpointWeightsAndCapacities(input: { EndpointName: string; DesiredWeightsAndCapacities: { VariantName: string; DesiredWeight?: number; DesiredInstanceCount?: number }[] }) {
    const e = this.endpoint(input.EndpointName);
    if ((this.updating.get(e.EndpointName) ?? 0) > 0 || e.pending) throw new AwsError('ValidationException', `Cannot update in-progress endpoint "${this.arn(e.EndpointName)}".`);
    for (const d of input.DesiredWeightsAndCapacities) {
      if (!e.counts.has(d.VariantName)) throw new AwsError('ValidationException', `The variant name(s) [${d.VariantName}] is/are not present in the endpoint "${e.EndpointName}".`);
    }
    for (const d of input.DesiredWeightsAndCapacities) {
      if (d.DesiredWeight !== undefined) e.weights.set(d.VariantName, d.DesiredWeight);
      if (d.DesiredInstanceCount !== undefined) e.counts.set(d.VariantName, d.DesiredInstanceCount);
    }
    return { EndpointArn: this.arn(e.EndpointName) };
  }

  smDeleteEndpointConfig(input: { EndpointConfigName: string }) {
    if (!this.configs.delete(input.EndpointConfigName)) throw new AwsError('ValidationException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
    return {};
  }

  smDeleteEndpoint(input: { EndpointName: string }) {
    this.endpoint(input.EndpointName);
    // Application Auto Scaling deregisters a deleted endpoint's variants (with the caller's permission).
    for (const id of [...this.targets.keys()]) if (id.startsWith(`endpoint/${input.EndpointName}/variant/`)) this.dropTarget(id);
    this.endpoints.delete(input.EndpointName);
    return {};
  }

  private endpoint(name: string): Endpoint {
    const e = this.endpoints.get(name);
    if (!e) throw new AwsError('ValidationException', `Could not find endpoint "${name}".`);
    return e;
  }

  private arn(name: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name.toLowerCase()}`;
  }

  // --- Model registry -----------------------------------------------------------------------------

  private groupArn(name: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package-group/${name.toLowerCase()}`;
  }

  smCreateModelPackageGroup(input: { ModelPackageGroupName: string; ModelPackageGroupDescription?: string; Tags?: { Key: string; Value: string }[] }) {
    if (this.groups.has(input.ModelPackageGroupName)) throw new AwsError('ValidationException', `Model Package Group already exists: ${this.groupArn(input.ModelPackageGroupName)}`);
    this.groups.set(input.ModelPackageGroupName, { description: input.ModelPackageGroupDescription, packages: [] });
    if (input.Tags) this.tags.set(this.groupArn(input.ModelPackageGroupName), Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])));
    return { ModelPackageGroupArn: this.groupArn(input.ModelPackageGroupName) };
  }

  smDescribeModelPackageGroup(input: { ModelPackageGroupName: string }) {
    const g = this.groups.get(input.ModelPackageGroupName);
    if (!g) throw new AwsError('ValidationException', `ModelPackageGroup ${input.ModelPackageGroupName} does not exist.`);
    return { ModelPackageGroupName: input.ModelPackageGroupName, ModelPackageGroupArn: this.groupArn(input.ModelPackageGroupName), ModelPackageGroupDescription: g.description, CreationTime: 1700000000, ModelPackageGroupStatus: 'Completed' };
  }

  /** SageMaker refuses to delete a group that still holds versions. */
  smDeleteModelPackageGroup(input: { ModelPackageGroupName: string }) {
    const g = this.groups.get(input.ModelPackageGroupName);
    if (!g) throw new AwsError('ValidationException', `ModelPackageGroup ${input.ModelPackageGroupName} does not exist.`);
    if (g.packages.length > 0) throw new AwsError('ConflictException', `Model Package Group ${input.ModelPackageGroupName} has model packages; delete them first.`);
    this.groups.delete(input.ModelPackageGroupName);
    return {};
  }

  smDeleteModelPackage(input: { ModelPackageName: string }) {
    for (const g of this.groups.values()) {
      const i = g.packages.findIndex((x) => x.ModelPackageArn === input.ModelPackageName);
      if (i >= 0) {
        g.packages.splice(i, 1);
        return {};
      }
    }
    throw new AwsError('ValidationException', `ModelPackage ${input.ModelPackageName} does not exist.`);
  }

  smAddTags(input: { ResourceArn: string; Tags: { Key: string; Value: string }[] }) {
    this.tags.set(input.ResourceArn, { ...this.tags.get(input.ResourceArn), ...Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])) });
    return { Tags: input.Tags };
  }

  smDeleteTags(input: { ResourceArn: string; TagKeys: string[] }) {
    const t = { ...this.tags.get(input.ResourceArn) };
    for (const k of input.TagKeys) delete t[k];
    this.tags.set(input.ResourceArn, t);
    return {};
  }

  smListTags(input: { ResourceArn: string }) {
    return { Tags: Object.entries(this.tags.get(input.ResourceArn) ?? {}).map(([Key, Value]) => ({ Key, Value })) };
  }

  /** A versioned package: version numbers follow creation order within the group. */
  smCreateModelPackage(input: Record<string, any>) {
    const group = this.groups.get(input.ModelPackageGroupName);
    if (!group) throw new AwsError('ValidationException', `Model Package Group ${input.ModelPackageGroupName} does not exist.`);
    const version = group.packages.length + 1;
    const arn = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${String(input.ModelPackageGroupName).toLowerCase()}/${version}`;
    const { Tags: tags, ...rest } = input;
    group.packages.push({ ...rest, ModelPackageArn: arn, ModelPackageVersion: version, ModelPackageStatus: 'Completed', CreationTime: 1700000000 + version, ModelApprovalStatus: input.ModelApprovalStatus ?? 'PendingManualApproval' });
    if (tags) this.tags.set(arn, Object.fromEntries((tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value])));
    return { ModelPackageArn: arn };
  }

  private findPackage(arn: string): Record<string, any> {
    for (const g of this.groups.values()) {
      const p = g.packages.find((x) => x.ModelPackageArn === arn);
      if (p) return p;
    }
    throw new AwsError('ValidationException', `ModelPackage ${arn} does not exist.`);
  }

  smDescribeModelPackage(input: { ModelPackageName: string }) {
    return { ...this.findPackage(input.ModelPackageName) };
  }

  /** Pages of `MaxResults` (1-100 per the API reference; the real default is 10), newest first when SortOrder is Descending. */
  smListModelPackages(input: { ModelPackageGroupName: string; MaxResults?: number; NextToken?: string; SortOrder?: string }) {
    const size = pageSize(input.MaxResults, 100, 10);
    const group = this.groups.get(input.ModelPackageGroupName);
    const all = [...(group?.packages ?? [])];
    if (input.SortOrder === 'Descending') all.reverse();
    const { items, next } = page(all, size, input.NextToken);
    return {
      ModelPackageSummaryList: items.map((p) => ({ ModelPackageArn: p.ModelPackageArn, ModelPackageGroupName: input.ModelPackageGroupName, ModelPackageVersion: p.ModelPackageVersion, ModelPackageStatus: p.ModelPackageStatus, CreationTime: p.CreationTime, ModelApprovalStatus: p.ModelApprovalStatus })),
      NextToken: next,
    };
  }

  /**
   * Search over `ModelPackage` (the only resource this fake searches), with the request and answer
   * shapes of the API reference (Search, SearchExpression, Filter, SearchRecord):
   * - a SearchExpression needs at least one filter, nested filter or sub-expression; Filters holds
   *   1-20 items and the whole expression at most 50; Operator And (default) or Or;
   * - a Filter's Operator defaults to Equals when a Value is given; Equals, NotEquals, Exists,
   *   NotExists and In are served (the comparisons that text properties take);
   * - a filter names a property of the record (ModelPackageGroupName, ModelPackageArn, ...), or a tag
   *   as `Tags.<key>`: the documented forms. `CustomerMetadataProperties.<key>` is not documented
   *   as searchable, so it is refused here, and nothing can come to depend on it;
   * - SortBy defaults to LastModifiedTime, SortOrder to Descending; MaxResults 1-100; NextToken pages;
   * - every result is `{ ModelPackage: <the package as DescribeModelPackage answers it, with Tags> }`.
   */
  smSearch(input: { Resource: string; SearchExpression?: SearchExpression; SortBy?: string; SortOrder?: string; NextToken?: string; MaxResults?: number }) {
    if (input.Resource !== 'ModelPackage') throw new AwsError('ValidationException', `This fake searches ModelPackage only, not ${input.Resource}`);
    const size = pageSize(input.MaxResults, 100, 10);
    const expression = input.SearchExpression;
    if (expression) {
      if (countElements(expression) > 50) throw new AwsError('ValidationException', 'A SearchExpression can hold at most 50 SubExpressions, NestedFilters and Filters in all.');
      checkExpression(expression);
    }
    const records = [...this.groups.values()].flatMap((g) => g.packages).map((p) => this.packageRecord(p));
    const matched = expression ? records.filter((r) => matches(r, expression)) : records;
    const by = input.SortBy ?? 'LastModifiedTime';
    const order = (input.SortOrder ?? 'Descending') === 'Descending' ? -1 : 1;
    // Ties (same time) in creation order, so a page boundary is stable.
    const sorted = matched.map((r, i) => ({ r, i })).sort((a, b) => order * (compare(a.r[by], b.r[by]) || a.i - b.i)).map((x) => x.r);
    const { items, next } = page(sorted, size, input.NextToken);
    return { Results: items.map((r) => ({ ModelPackage: r })), NextToken: next, TotalHits: { Value: sorted.length, Relation: 'EqualTo' } };
  }

  /** A package as Search answers it: its description plus its tags. */
  private packageRecord(p: Record<string, any>): Record<string, any> {
    const tags = this.tags.get(p.ModelPackageArn);
    return { ...p, LastModifiedTime: p.LastModifiedTime ?? p.CreationTime, Tags: tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined };
  }

  smUpdateModelPackage(input: { ModelPackageArn: string; ModelApprovalStatus?: string; ApprovalDescription?: string; CustomerMetadataProperties?: Record<string, string>; CustomerMetadataPropertiesToRemove?: string[] }) {
    const p = this.findPackage(input.ModelPackageArn);
    p.LastModifiedTime = (p.LastModifiedTime ?? p.CreationTime) + 1;
    if (input.ModelApprovalStatus) Object.assign(p, { ModelApprovalStatus: input.ModelApprovalStatus, ApprovalDescription: input.ApprovalDescription });
    if (input.CustomerMetadataProperties) p.CustomerMetadataProperties = { ...p.CustomerMetadataProperties, ...input.CustomerMetadataProperties };
    for (const k of input.CustomerMetadataPropertiesToRemove ?? []) delete p.CustomerMetadataProperties?.[k];
    return { ModelPackageArn: p.ModelPackageArn };
  }

  // --- SageMaker Pipelines, training and tuning jobs (pipelines.ts) -----------------------------------

  smCreatePipeline(input: Record<string, any>) {
    return this.pipelines.createPipeline(input);
  }

  smUpdatePipeline(input: Record<string, any>) {
    return this.pipelines.updatePipeline(input);
  }

  smDescribePipeline(input: { PipelineName: string }) {
    return this.pipelines.describePipeline(input);
  }

  smDeletePipeline(input: { PipelineName: string }) {
    return this.pipelines.deletePipeline(input);
  }

  smStartPipelineExecution(input: Record<string, any>) {
    return this.pipelines.startPipelineExecution(input);
  }

  smDescribePipelineExecution(input: { PipelineExecutionArn: string }) {
    return this.pipelines.describePipelineExecution(input);
  }

  smListPipelineExecutions(input: { PipelineName: string; SortBy?: string; SortOrder?: string; MaxResults?: number; NextToken?: string }) {
    return this.pipelines.listPipelineExecutions(input);
  }

  smListPipelineExecutionSteps(input: { PipelineExecutionArn: string; MaxResults?: number; NextToken?: string; SortOrder?: string }) {
    return this.pipelines.listPipelineExecutionSteps(input);
  }

  smStopPipelineExecution(input: { PipelineExecutionArn: string; ClientRequestToken?: string }) {
    return this.pipelines.stopPipelineExecution(input);
  }

  smDescribeTrainingJob(input: { TrainingJobName: string }) {
    return this.pipelines.describeTrainingJob(input);
  }

  smDescribeHyperParameterTuningJob(input: { HyperParameterTuningJobName: string }) {
    return this.pipelines.describeHyperParameterTuningJob(input);
  }

  smListTrainingJobsForHyperParameterTuningJob(input: { HyperParameterTuningJobName: string; MaxResults?: number; NextToken?: string; StatusEquals?: string; SortBy?: string; SortOrder?: string }) {
    return this.pipelines.listTrainingJobsForHyperParameterTuningJob(input);
  }

  // --- Model Monitor: processing jobs, monitoring schedules and their executions ----------------------

  private processingJobArn(name: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:processing-job/${name.toLowerCase()}`;
  }

  /**
   * CreateProcessingJob, as the API reference describes it: the request against the client's shape and
   * the documented limits (processing.ts); "The name must be unique within an Amazon Web Services
   * Region in the Amazon Web Services account" (ResourceInUse otherwise; the wording is ours, the
   * error type the reference's). The job is InProgress until `finishProcessingJob`.
   */
  smCreateProcessingJob(input: Record<string, any>) {
    checkRequest('CreateProcessingJob', input);
    const name = input.ProcessingJobName as string;
    if ([...this.processingJobs.keys()].some((n) => n.toLowerCase() === name.toLowerCase())) {
      throw new AwsError('ResourceInUse', `Processing job names must be unique within an AWS account and region, and a processing job with this name already exists (${this.processingJobArn(name)})`);
    }
    this.processingJobs.set(name, { request: structuredClone(input), status: 'InProgress', created: 1700000000 + this.calls.length });
    return { ProcessingJobArn: this.processingJobArn(name) };
  }

  /** DescribeProcessingJob: the request's members with the job's status; a name it lacks is ResourceNotFound (wording ours). */
  smDescribeProcessingJob(input: { ProcessingJobName: string }) {
    const j = this.processingJobs.get(input.ProcessingJobName);
    if (!j) throw new AwsError('ResourceNotFound', `Could not find requested job with name ${input.ProcessingJobName}`);
    const { Tags: _tags, ...request } = j.request;
    return {
      ...request,
      ProcessingJobArn: this.processingJobArn(input.ProcessingJobName),
      ProcessingJobStatus: j.status,
      CreationTime: j.created,
      LastModifiedTime: j.ended ?? j.created,
      ProcessingStartTime: j.created + 60,
      ...(j.ended ? { ProcessingEndTime: j.ended } : {}),
      ...(j.failureReason ? { FailureReason: j.failureReason } : {}),
      ...(j.exitMessage ? { ExitMessage: j.exitMessage } : {}),
      ...(j.monitoringScheduleArn ? { MonitoringScheduleArn: j.monitoringScheduleArn } : {}),
    };
  }

  /**
   * Test hook: the job ends. `files` (name → content) are written where its first output goes, as
   * SageMaker uploads /opt/ml/processing/output at the end of a job.
   */
  finishProcessingJob(name: string, outcome: { status: 'Completed' | 'Failed' | 'Stopped'; failureReason?: string; files?: Record<string, string | object> }): void {
    const j = this.processingJobs.get(name);
    if (!j) throw new Error(`no processing job ${name}`);
    j.status = outcome.status;
    j.ended = j.created + 600;
    j.failureReason = outcome.failureReason;
    const output = j.request.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri as string | undefined;
    for (const [file, content] of Object.entries(outcome.files ?? {})) {
      if (!output) throw new Error(`processing job ${name} has no S3 output`);
      this.s3.put(`${output.replace(/\/+$/, '')}/${file}`, content);
    }
  }

  /** Test hook: a schedule as CloudFormation's AWS::SageMaker::MonitoringSchedule leaves it. */
  addMonitoringSchedule(name: string, schedule: { status?: string; endpointName?: string; jobDefinitionName?: string } = {}): void {
    this.monitoringSchedules.set(name, { status: schedule.status ?? 'Scheduled', endpointName: schedule.endpointName, jobDefinitionName: schedule.jobDefinitionName, created: 1700000000 });
  }

  /**
   * Test hook: one run of a schedule. Like SageMaker's, it runs a processing job whose output is
   * `<reports>/<endpoint>/<schedule>/<yyyy>/<mm>/<dd>/<hh>` (the layout the SDK's
   * MonitoringExecution reads), with constraint_violations.json there for a run with violations.
   */
  addMonitoringExecution(run: { schedule: string; scheduledAt: Date; status: string; reports?: string; violations?: object[]; failureReason?: string }): { processingJobName?: string; output?: string } {
    const s = this.monitoringSchedules.get(run.schedule);
    if (!s) throw new Error(`no monitoring schedule ${run.schedule}`);
    const at = Math.floor(run.scheduledAt.getTime() / 1000);
    const execution: MonitoringExecution = {
      MonitoringScheduleName: run.schedule,
      ScheduledTime: at,
      CreationTime: at + 60,
      LastModifiedTime: at + 900,
      MonitoringExecutionStatus: run.status,
      EndpointName: s.endpointName,
      MonitoringJobDefinitionName: s.jobDefinitionName,
      MonitoringType: 'DataQuality',
      ...(run.failureReason ? { FailureReason: run.failureReason } : {}),
    };
    this.monitoringExecutions.push(execution);
    if (run.status === 'Pending' || !run.reports) return {};
    const stamp = run.scheduledAt.toISOString();
    const name = `model-monitoring-${stamp.slice(0, 13).replace(/[-T:]/g, '')}00-${this.monitoringExecutions.length.toString(16).padStart(8, '0')}`;
    const output = `${run.reports.replace(/\/+$/, '')}/${s.endpointName ?? 'endpoint'}/${run.schedule}/${stamp.slice(0, 4)}/${stamp.slice(5, 7)}/${stamp.slice(8, 10)}/${stamp.slice(11, 13)}`;
    this.processingJobs.set(name, {
      request: { ProcessingJobName: name, ProcessingOutputConfig: { Outputs: [{ OutputName: 'monitoring_output', S3Output: { S3Uri: output, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] } },
      status: run.status === 'InProgress' ? 'InProgress' : run.status === 'Failed' ? 'Failed' : 'Completed',
      created: at + 60,
      ended: at + 900,
      failureReason: run.failureReason,
      exitMessage: run.status === 'CompletedWithViolations' ? `CompletedWithViolations: Job completed successfully with ${run.violations?.length ?? 0} violations.` : undefined,
      monitoringScheduleArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/${run.schedule}`,
    });
    execution.ProcessingJobArn = this.processingJobArn(name);
    if (run.violations) this.s3.put(`${output}/constraint_violations.json`, { violations: run.violations });
    return { processingJobName: name, output };
  }

  /** DescribeMonitoringSchedule; a schedule it lacks is ResourceNotFound (wording ours). */
  smDescribeMonitoringSchedule(input: { MonitoringScheduleName: string }) {
    const s = this.monitoringSchedules.get(input.MonitoringScheduleName);
    if (!s) throw new AwsError('ResourceNotFound', `Monitoring schedule ${input.MonitoringScheduleName} does not exist.`);
    const last = [...this.monitoringExecutions].reverse().find((e) => e.MonitoringScheduleName === input.MonitoringScheduleName);
    return {
      MonitoringScheduleArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/${input.MonitoringScheduleName.toLowerCase()}`,
      MonitoringScheduleName: input.MonitoringScheduleName,
      MonitoringScheduleStatus: s.status,
      MonitoringType: 'DataQuality',
      CreationTime: s.created,
      LastModifiedTime: s.created,
      EndpointName: s.endpointName,
      MonitoringScheduleConfig: { MonitoringJobDefinitionName: s.jobDefinitionName, MonitoringType: 'DataQuality', ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' } },
      ...(last ? { LastMonitoringExecutionSummary: last } : {}),
    };
  }

  /**
   * ListMonitoringExecutions (API reference): filters by schedule, endpoint, job definition, type,
   * status and times (`...After` / `...Before`, exclusive); SortBy CreationTime (default),
   * ScheduledTime or Status; SortOrder Descending by default; MaxResults 1-100, 10 by default.
   */
  smListMonitoringExecutions(input: Record<string, any>) {
    checkRequest('ListMonitoringExecutions', input);
    const size = input.MaxResults ?? 10;
    const t = (name: string) => (input[name] === undefined ? undefined : Number(input[name]));
    const all = this.monitoringExecutions.filter((e) =>
      (input.MonitoringScheduleName === undefined || e.MonitoringScheduleName === input.MonitoringScheduleName) &&
      (input.EndpointName === undefined || e.EndpointName === input.EndpointName) &&
      (input.MonitoringJobDefinitionName === undefined || e.MonitoringJobDefinitionName === input.MonitoringJobDefinitionName) &&
      (input.MonitoringTypeEquals === undefined || e.MonitoringType === input.MonitoringTypeEquals) &&
      (input.StatusEquals === undefined || e.MonitoringExecutionStatus === input.StatusEquals) &&
      (t('ScheduledTimeAfter') === undefined || e.ScheduledTime > t('ScheduledTimeAfter')!) &&
      (t('ScheduledTimeBefore') === undefined || e.ScheduledTime < t('ScheduledTimeBefore')!) &&
      (t('CreationTimeAfter') === undefined || e.CreationTime > t('CreationTimeAfter')!) &&
      (t('CreationTimeBefore') === undefined || e.CreationTime < t('CreationTimeBefore')!) &&
      (t('LastModifiedTimeAfter') === undefined || e.LastModifiedTime > t('LastModifiedTimeAfter')!) &&
      (t('LastModifiedTimeBefore') === undefined || e.LastModifiedTime < t('LastModifiedTimeBefore')!));
    const by = input.SortBy === 'ScheduledTime' ? 'ScheduledTime' : input.SortBy === 'Status' ? 'MonitoringExecutionStatus' : 'CreationTime';
    const order = (input.SortOrder ?? 'Descending') === 'Descending' ? -1 : 1;
    const sorted = all.map((e, i) => ({ e, i })).sort((a, b) => order * (compare(a.e[by], b.e[by]) || a.i - b.i)).map((x) => x.e);
    const { items, next } = page(sorted, size, input.NextToken);
    return { MonitoringExecutionSummaries: items, NextToken: next };
  }

  // --- Application Auto Scaling -----------------------------------------------------------------

  private checkKey(input: { ServiceNamespace?: string; ScalableDimension?: string; ResourceId?: string }): void {
    if (input.ServiceNamespace !== 'sagemaker') throw new AwsError('ValidationException', `Unsupported service namespace in this fake: ${input.ServiceNamespace}`);
    if (input.ScalableDimension !== 'sagemaker:variant:DesiredInstanceCount') throw new AwsError('ValidationException', `Unsupported scalable dimension for service namespace sagemaker: ${input.ScalableDimension}`);
    if (!/^endpoint\/[^/]+\/variant\/[^/]+$/.test(input.ResourceId ?? '')) throw new AwsError('ValidationException', `Unsupported resource ID: ${input.ResourceId}`);
  }

  aasRegisterScalableTarget(input: { ServiceNamespace: string; ScalableDimension: string; ResourceId: string; MinCapacity?: number; MaxCapacity?: number; RoleARN?: string }) {
    this.checkKey(input);
    const [, endpoint, , variant] = input.ResourceId.split('/');
    const e = this.endpoints.get(endpoint);
    if (!e || !e.counts.has(variant)) {
      throw new AwsError('ValidationException', `The endpoint variant ${input.ResourceId} does not exist or is not in service.`);
    }
    const old = this.targets.get(input.ResourceId);
    const min = input.MinCapacity ?? old?.MinCapacity;
    const max = input.MaxCapacity ?? old?.MaxCapacity;
    if (min === undefined || max === undefined) throw new AwsError('ValidationException', 'MinCapacity and MaxCapacity are required to register a new scalable target.');
    if (min > max) throw new AwsError('ValidationException', `Minimum capacity ${min} cannot be greater than maximum capacity ${max}.`);
    this.targets.set(input.ResourceId, {
      ServiceNamespace: input.ServiceNamespace,
      ResourceId: input.ResourceId,
      ScalableDimension: input.ScalableDimension,
      MinCapacity: min,
      MaxCapacity: max,
      RoleARN: input.RoleARN ?? `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
      CreationTime: old?.CreationTime ?? 1700000000,
    });
    return { ScalableTargetARN: `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/fake${input.ResourceId.length}` };
  }

  aasDeregisterScalableTarget(input: { ServiceNamespace: string; ScalableDimension: string; ResourceId: string }) {
    this.checkKey(input);
    if (!this.targets.has(input.ResourceId)) throw this.noTarget(input);
    this.dropTarget(input.ResourceId);
    return {};
  }

  /** Pages of MaxResults, 1-50 and 50 by default (the API reference); ResourceIds at most 50. */
  aasDescribeScalableTargets(input: { ServiceNamespace: string; ResourceIds?: string[]; ScalableDimension?: string; MaxResults?: number; NextToken?: string }) {
    if ((input.ResourceIds?.length ?? 0) > 50) throw new AwsError('ValidationException', 'ResourceIds: member must have length less than or equal to 50');
    const size = pageSize(input.MaxResults, 50, 50);
    const all = [...this.targets.values()].filter((t) => t.ServiceNamespace === input.ServiceNamespace &&
      (!input.ResourceIds || input.ResourceIds.includes(t.ResourceId)) &&
      (!input.ScalableDimension || input.ScalableDimension === t.ScalableDimension));
    const { items, next } = page(all, size, input.NextToken);
    return { ScalableTargets: items, NextToken: next };
  }

  aasPutScalingPolicy(input: Policy) {
    this.checkKey(input);
    if (!this.targets.has(input.ResourceId)) throw this.noTarget(input);
    if (input.PolicyType !== 'TargetTrackingScaling' || !input.TargetTrackingScalingPolicyConfiguration) {
      throw new AwsError('ValidationException', 'This fake serves target tracking policies with a TargetTrackingScalingPolicyConfiguration only.');
    }
    const key = `${input.ResourceId}|${input.PolicyName}`;
    const created = this.policies.get(key)?.CreationTime ?? 1700000000;
    this.policies.set(key, { ...input, CreationTime: created });
    return { PolicyARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:fake:resource/sagemaker/${input.ResourceId}:policyName/${input.PolicyName}`, Alarms: [] };
  }

  /**
   * Pages of MaxResults, 1-10 and 10 by default (the API reference: "This value can be between 1 and
   * 10. The default value is 10."), filtered by ResourceId, ScalableDimension and PolicyNames; or
   * as moto filters (quirks.scalingPolicies).
   */
  aasDescribeScalingPolicies(input: { ServiceNamespace: string; ResourceId?: string; ScalableDimension?: string; PolicyNames?: string[]; MaxResults?: number; NextToken?: string }) {
    const size = pageSize(input.MaxResults, 10, 10);
    const quirk = this.quirks.scalingPolicies;
    const all = [...this.policies.values()].filter((p) => {
      if (p.ServiceNamespace !== input.ServiceNamespace) return false;
      if (quirk === 'namespace') return true;
      // moto: `policy.resource_id in resource_id` (a substring) and `policy.scalable_dimension in scalable_dimension`; PolicyNames unread.
      if (quirk === 'moto') return (!input.ResourceId || input.ResourceId.includes(p.ResourceId)) && (!input.ScalableDimension || input.ScalableDimension.includes(p.ScalableDimension));
      return (!input.ResourceId || p.ResourceId === input.ResourceId) &&
        (!input.ScalableDimension || p.ScalableDimension === input.ScalableDimension) &&
        (!input.PolicyNames || input.PolicyNames.includes(p.PolicyName));
    });
    const { items, next } = page(all, size, input.NextToken);
    return { ScalingPolicies: items.map((p) => ({ ...p, PolicyARN: `arn:fake:${p.ResourceId}:${p.PolicyName}`, Alarms: [] })), NextToken: next };
  }

  private dropTarget(id: string): void {
    this.targets.delete(id);
    for (const key of [...this.policies.keys()]) if (key.startsWith(`${id}|`)) this.policies.delete(key);
  }

  private noTarget(input: { ServiceNamespace: string; ScalableDimension: string; ResourceId: string }): AwsError {
    return new AwsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`);
  }
}
