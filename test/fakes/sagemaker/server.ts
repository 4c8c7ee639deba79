import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PipelineEngine } from './pipelines';

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
 * SageMaker Pipelines and the training and tuning jobs their steps run live in `pipelines`
 * (pipelines.ts); the sm<Operation> methods for them below only hand over to it.
 */

interface Variant { VariantName: string; ModelName?: string; InstanceType?: string; InitialInstanceCount?: number; InitialVariantWeight?: number }
interface Endpoint { EndpointName: string; EndpointConfigName: string; counts: Map<string, number>; weights: Map<string, number>; created: number }
interface Target { ServiceNamespace: string; ResourceId: string; ScalableDimension: string; MinCapacity: number; MaxCapacity: number; RoleARN: string; CreationTime: number }
interface Policy { PolicyName: string; ServiceNamespace: string; ResourceId: string; ScalableDimension: string; PolicyType: string; TargetTrackingScalingPolicyConfiguration?: unknown; CreationTime: number }

class AwsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

const READS = /^(Describe|List)/;
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';

export class FakeSageMaker {
  readonly configs = new Map<string, { EndpointConfigName: string; ProductionVariants: Variant[]; [k: string]: unknown }>();
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
        const target = String(req.headers['x-amz-target'] ?? '');
        let status = 200;
        let out: unknown;
        try {
          out = await this.dispatch(target, body ? JSON.parse(body) : {});
        } catch (e) {
          const err = e instanceof AwsError ? e : new AwsError('InternalFailure', String(e), 500);
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

  /** What CloudFormation's AWS::SageMaker::EndpointConfig (or our custom resource) does. */
  smCreateEndpointConfig(input: { EndpointConfigName: string; ProductionVariants: Variant[]; [k: string]: unknown }) {
    if (this.configs.has(input.EndpointConfigName)) {
      throw new AwsError('ValidationException', `Cannot create already existing endpoint configuration "arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${input.EndpointConfigName.toLowerCase()}".`);
    }
    if (!input.ProductionVariants?.length) throw new AwsError('ValidationException', '1 validation error detected: Value null at \'productionVariants\' failed to satisfy constraint: Member must not be null');
    this.configs.set(input.EndpointConfigName, { ...input });
    return { EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${input.EndpointConfigName.toLowerCase()}` };
  }

  smDescribeEndpointConfig(input: { EndpointConfigName: string }) {
    const c = this.configs.get(input.EndpointConfigName);
    if (!c) throw new AwsError('ValidationException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
    return { ...c, EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${c.EndpointConfigName}`, CreationTime: 1700000000 };
  }

  smCreateEndpoint(input: { EndpointName: string; EndpointConfigName: string }) {
    if (this.endpoints.has(input.EndpointName)) throw new AwsError('ValidationException', `Cannot create already existing endpoint "${input.EndpointName}".`);
    const config = this.smDescribeEndpointConfig({ EndpointConfigName: input.EndpointConfigName });
    this.endpoints.set(input.EndpointName, {
      EndpointName: input.EndpointName,
      EndpointConfigName: input.EndpointConfigName,
      counts: new Map(config.ProductionVariants.map((v) => [v.VariantName, v.InitialInstanceCount ?? 1])),
      weights: new Map(config.ProductionVariants.map((v) => [v.VariantName, v.InitialVariantWeight ?? 1])),
      created: 1700000000,
    });
    return { EndpointArn: this.arn(input.EndpointName) };
  }

  /** Instantly InService (the reconciler never waits on the endpoint itself). */
  smUpdateEndpoint(input: { EndpointName: string; EndpointConfigName: string; RetainAllVariantProperties?: boolean }) {
    const e = this.endpoint(input.EndpointName);
    const next = this.smDescribeEndpointConfig({ EndpointConfigName: input.EndpointConfigName });
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
    e.EndpointConfigName = input.EndpointConfigName;
    const counts = new Map<string, number>();
    const weights = new Map<string, number>();
    for (const v of next.ProductionVariants) {
      counts.set(v.VariantName, input.RetainAllVariantProperties && e.counts.has(v.VariantName) ? e.counts.get(v.VariantName)! : v.InitialInstanceCount ?? 1);
      weights.set(v.VariantName, v.InitialVariantWeight ?? 1);
    }
    e.counts = counts;
    e.weights = weights;
    return { EndpointArn: this.arn(e.EndpointName) };
  }

  smDescribeEndpoint(input: { EndpointName: string }) {
    const e = this.endpoint(input.EndpointName);
    const updating = this.updating.get(e.EndpointName) ?? 0;
    if (updating > 0) this.updating.set(e.EndpointName, updating - 1);
    return {
      EndpointName: e.EndpointName,
      EndpointArn: this.arn(e.EndpointName),
      EndpointConfigName: e.EndpointConfigName,
      EndpointStatus: this.failed.has(e.EndpointName) ? 'Failed' : updating > 0 ? 'Updating' : 'InService',
      FailureReason: this.failed.get(e.EndpointName),
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
    };
  }

  /** SageMaker refuses new weights while an update is in progress, and names of variants it lacks. */
  smUpdateEndpointWeightsAndCapacities(input: { EndpointName: string; DesiredWeightsAndCapacities: { VariantName: string; DesiredWeight?: number; DesiredInstanceCount?: number }[] }) {
    const e = this.endpoint(input.EndpointName);
    if ((this.updating.get(e.EndpointName) ?? 0) > 0) throw new AwsError('ValidationException', `Cannot update in-progress endpoint "${this.arn(e.EndpointName)}".`);
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

  /** Pages of `MaxResults` (the real default is 10), newest first when SortOrder is Descending. */
  smListModelPackages(input: { ModelPackageGroupName: string; MaxResults?: number; NextToken?: string; SortOrder?: string }) {
    const group = this.groups.get(input.ModelPackageGroupName);
    const all = [...(group?.packages ?? [])];
    if (input.SortOrder === 'Descending') all.reverse();
    const size = input.MaxResults ?? 10;
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = all.slice(start, start + size);
    return {
      ModelPackageSummaryList: page.map((p) => ({ ModelPackageArn: p.ModelPackageArn, ModelPackageGroupName: input.ModelPackageGroupName, ModelPackageVersion: p.ModelPackageVersion, ModelPackageStatus: p.ModelPackageStatus, CreationTime: p.CreationTime, ModelApprovalStatus: p.ModelApprovalStatus })),
      NextToken: start + size < all.length ? String(start + size) : undefined,
    };
  }

  smUpdateModelPackage(input: { ModelPackageArn: string; ModelApprovalStatus?: string; ApprovalDescription?: string; CustomerMetadataProperties?: Record<string, string>; CustomerMetadataPropertiesToRemove?: string[] }) {
    const p = this.findPackage(input.ModelPackageArn);
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

  aasDescribeScalableTargets(input: { ServiceNamespace: string; ResourceIds?: string[]; ScalableDimension?: string }) {
    if ((input.ResourceIds?.length ?? 0) > 50) throw new AwsError('ValidationException', 'ResourceIds: member must have length less than or equal to 50');
    const all = [...this.targets.values()].filter((t) => t.ServiceNamespace === input.ServiceNamespace &&
      (!input.ResourceIds || input.ResourceIds.includes(t.ResourceId)) &&
      (!input.ScalableDimension || input.ScalableDimension === t.ScalableDimension));
    return { ScalableTargets: all };
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

  aasDescribeScalingPolicies(input: { ServiceNamespace: string; ResourceId?: string; ScalableDimension?: string; PolicyNames?: string[] }) {
    const all = [...this.policies.values()].filter((p) => p.ServiceNamespace === input.ServiceNamespace &&
      (!input.ResourceId || p.ResourceId === input.ResourceId) &&
      (!input.ScalableDimension || p.ScalableDimension === input.ScalableDimension) &&
      (!input.PolicyNames || input.PolicyNames.includes(p.PolicyName)));
    return { ScalingPolicies: all.map((p) => ({ ...p, PolicyARN: `arn:fake:${p.ResourceId}:${p.PolicyName}`, Alarms: [] })) };
  }

  private dropTarget(id: string): void {
    this.targets.delete(id);
    for (const key of [...this.policies.keys()]) if (key.startsWith(`${id}|`)) this.policies.delete(key);
  }

  private noTarget(input: { ServiceNamespace: string; ScalableDimension: string; ResourceId: string }): AwsError {
    return new AwsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`);
  }
}
