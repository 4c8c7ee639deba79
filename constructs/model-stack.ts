import { Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { accessLogsBucketName, handlerNames } from '../lib/plan/names';
import type { Construct } from 'constructs';
import { HandlerFunction } from './sagemaker/handler-function';
import { JOB_PROVIDERS, TrainingSchedule } from './training-orchestration';
import { HandlersStack, monitorsOnSageMaker, walksOnSageMaker, type EnvironmentHandlers } from './handlers-stack';
import type { AutoscalingPlan, ModelPlan, RollbackPlan, RolloutPlan, SageMakerModelPlan, SageMakerVariantPlan } from '../lib/plan/types';
import { keepsOnDelete, type MlspecProject } from './project';

import { AzureMlModel } from './azureml';
import { VertexModel } from './vertex';
import {
  DataQualityMonitor,
  EndpointAutoscaling,
  EndpointVariantProps,
  IModelRegistry,
  ModelApprovalStatus,
  ModelEndpoint,
  ModelRegistry,
  RollbackProps,
  ContainerImage,
  InstanceType,
  ModelData,
  Rollout,
  StagedStrategy,
  TrainingPipeline,
} from './sagemaker';

export interface ModelStackProps extends StackProps {
  /** The project (`MlspecProject.fromFiles`) whose plan says what the stack holds. */
  readonly project: MlspecProject;
  /** The model (spec `models.<name>`). */
  readonly model: string;
  /** The environment (spec `environments.<name>`). */
  readonly environment: string;
  /**
   * What happens to the endpoints (SageMaker's with their models, logs and scaling; Vertex AI's and
   * Azure ML's) when the stack is deleted. RETAIN (or RETAIN_ON_UPDATE_OR_DELETE) keeps them and
   * turns termination protection on; SNAPSHOT is refused. Registries, model versions, captured data
   * and the stack's key are kept whatever the policy.
   * @default RemovalPolicy.RETAIN in a `protected` environment, RemovalPolicy.DESTROY otherwise
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether this stack creates the model package group. The group is per account and region, so when
   * two environments share one, the first (in plan order) owns it and the others import it.
   * @default true
   */
  readonly ownsRegistry?: boolean;
  /**
   * Use the environment's handlers stack (`MlspecApp.addModelStacks` makes it) instead of handlers
   * of the stack's own.
   * @default false
   */
  readonly sharedHandlers?: boolean;
}

export interface SageMakerResources {
  readonly registry: IModelRegistry;
  readonly endpoint?: ModelEndpoint;
  /** The training pipeline, when the model trains on SageMaker here. */
  readonly training?: TrainingPipeline;
  /** The endpoint's data-quality monitor, when the model has serving.monitoring. */
  readonly monitoring?: DataQualityMonitor;
}

/**
 * One model in one environment, deployed with `cdk deploy`: the facade over the provider
 * constructs. Each provider's slice of the plan is built by its own method, so Vertex AI and
 * Azure ML (custom resources) slot in next to SageMaker without touching it.
 */
export class ModelStack extends Stack {
  /** The project the stack is built from. */
  public readonly project: MlspecProject;
  /** The model (spec `models.<name>`). */
  public readonly modelName: string;
  /** The environment (spec `environments.<name>`). */
  public readonly environmentName: string;
  /** @internal */
  public readonly _plan: ModelPlan;
  /** SageMaker registry and endpoint, when the plan has a SageMaker slice. */
  public readonly sagemaker?: SageMakerResources;
  // Seams for the other providers: their constructs land here when they exist.
  /** Vertex AI registry and endpoint (a custom resource), when the plan has a Vertex slice. */
  public readonly vertex?: VertexModel;
  /** Azure ML model versions and online endpoint (a custom resource), when the plan has an Azure slice. */
  public readonly azureml?: AzureMlModel;
  /** The environment's shared handlers, with `sharedHandlers`. */
  public readonly handlers?: EnvironmentHandlers;
  /** The stack's one key, with shared handlers. */
  public readonly encryptionKey?: kms.Key;

  constructor(scope: Construct, id: string, props: ModelStackProps) {
    const { project: mlspecProject, model, environment, removalPolicy: givenPolicy, ownsRegistry = true, sharedHandlers = false, ...stackProps } = props;
    const plan = mlspecProject._model(environment, model);
    const project = mlspecProject.name;
    const isProtected = keepsOnDelete(givenPolicy, mlspecProject._environment(environment).protected);
    super(scope, id, {
      stackName: plan.stackName,
      env: plan.sagemaker ? { account: plan.sagemaker.account, region: plan.sagemaker.region } : undefined,
      description: `mlspec: model ${plan.name} of ${project} in ${plan.environment}`,
      ...stackProps,
      terminationProtection: isProtected || stackProps.terminationProtection,
    });
    this._plan = plan;
    this.project = mlspecProject;
    this.modelName = plan.name;
    this.environmentName = plan.environment;
    Tags.of(this).add('mlspec:project', project);
    Tags.of(this).add('mlspec:model', plan.name);
    Tags.of(this).add('mlspec:environment', plan.environment);

    const handlers = sharedHandlers ? HandlersStack.refs(this, project, plan.environment, { vertex: plan.vertex !== undefined, azureml: plan.azureml !== undefined, sagemakerRollout: walksOnSageMaker(plan) || monitorsOnSageMaker(plan) }) : undefined;
    this.handlers = handlers;
    // With shared handlers, one key serves the model: endpoint storage and capture, training output.
    // Kept on delete, so retained captures and trained models stay readable.
    if (handlers && plan.sagemaker && (plan.sagemaker.serving || plan.sagemaker.training)) {
      this.encryptionKey = new kms.Key(this, 'Key', { description: `mlspec ${plan.stackName}: endpoint storage, data capture and training output`, enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    }
    // RETAIN_ON_UPDATE_OR_DELETE keeps on delete as RETAIN does; the endpoint's scaling and the providers know the two.
    const removalPolicy = isProtected ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    if (plan.sagemaker) this.sagemaker = this.buildSageMaker(plan.sagemaker, removalPolicy, ownsRegistry);
    if (plan.vertex) this.vertex = this.buildVertex(removalPolicy);
    if (plan.azureml) this.azureml = this.buildAzureMl(removalPolicy);
    // training.schedule on Vertex AI or Azure ML starts the environment's training state machine (handlers stack).
    for (const p of JOB_PROVIDERS) {
      const schedule = plan[p]?.training?.schedule;
      if (!schedule) continue;
      if (!sharedHandlers) throw new Error(`${plan.name} in ${plan.environment}: training.schedule on ${p} needs the environment's handlers stack, whose state machine it starts; build the model's stacks with addModelStacks, or ModelStack with sharedHandlers: true beside a HandlersStack`);
      new TrainingSchedule(this, `${p === 'vertex' ? 'Vertex' : 'AzureMl'}TrainingSchedule`, { model: plan, provider: p, project, schedule });
    }
  }

  private stackHandler?: HandlerFunction;

  /** The stack's SageMaker handler where it does not own the registry (whose handler it shares otherwise). */
  private ownHandler(): HandlerFunction {
    // The stack's one SageMaker handler, as the registry and endpoint use when the stack has no handlers stack.
    this.stackHandler ??= HandlerFunction.forStack(this);
    return this.stackHandler;
  }

  /** Vertex AI: a custom resource whose handler reconciles with the real Vertex clients. */
  private buildVertex(removalPolicy: RemovalPolicy): VertexModel {
    return new VertexModel(this, 'Vertex', {
      project: this.project,
      model: this.modelName,
      environment: this.environmentName,
      removalPolicy,
      handlers: this.handlers?.vertex,
    });
  }

  /** Azure ML: a custom resource whose handler reconciles with the real Azure ML client. */
  private buildAzureMl(removalPolicy: RemovalPolicy): AzureMlModel {
    return new AzureMlModel(this, 'AzureMl', {
      project: this.project,
      model: this.modelName,
      environment: this.environmentName,
      removalPolicy,
      handlers: this.handlers?.azureml,
    });
  }

  /** SageMaker: the registry, endpoint, alarms and autoscaling (native resources, and our handler where CloudFormation falls short). */
  private buildSageMaker(sm: SageMakerModelPlan, removalPolicy: RemovalPolicy, ownsRegistry: boolean): SageMakerResources {
    const registry = ownsRegistry
      ? new ModelRegistry(this, 'Registry', {
        modelPackageGroupName: sm.registry.modelPackageGroupName,
        description: `mlspec model ${this.modelName}`,
        approvalStatus: sm.registry.approvalStatus === 'Approved' ? ModelApprovalStatus.APPROVED : ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        handler: this.handlers?.sagemaker,
        versions: sm.registry.packages.map((p) => ({
          label: p.label,
          image: ContainerImage.fromEcrUri(p.image),
          modelData: ModelData.fromS3Url(p.modelDataUrl),
          metrics: p.metrics,
          instanceTypes: p.instanceTypes?.map((t) => InstanceType.of(t)),
        })),
      })
      : ModelRegistry.fromModelPackageGroupName(this, 'Registry', sm.registry.modelPackageGroupName);
    // One group serves every environment of the account: it is not tagged with this one.
    Tags.of(registry).remove('mlspec:environment');

    // One handler function per stack: the registry's, when this stack owns the registry.
    const handler = this.handlers?.sagemaker ?? (registry instanceof ModelRegistry ? registry.handler : undefined);
    const training = sm.training
      ? new TrainingPipeline(this, 'Training', { project: this.project, model: this.modelName, environment: this.environmentName, handler: handler ?? (sm.training.tuning ? this.ownHandler() : undefined), encryptionKey: this.encryptionKey })
      : undefined;
    if (training && registry instanceof ModelRegistry) training.node.addDependency(registry);

    const serving = sm.serving;
    if (!serving) return { registry, training };
    const endpoint = new ModelEndpoint(this, 'Endpoint', {
      endpointName: serving.endpointName,
      variants: serving.variants.map((v) => toVariant(v, serving.container.env)),
      shadowVariant: serving.shadowVariant ? toVariant(serving.shadowVariant, serving.container.env) : undefined,
      autoscaling: serving.autoscaling ? toAutoscaling(serving.autoscaling) : undefined,
      rollout: toRollout(serving.rollout),
      rollback: serving.rollback ? toRollback(serving.rollback) : undefined,
      dataCapture: serving.dataCapturePercent ? {
        percent: serving.dataCapturePercent,
        // With shared handlers, the environment's access-log bucket (in the handlers stack) takes the capture bucket's logs.
        accessLogsBucket: this.handlers ? s3.Bucket.fromBucketName(this, 'AccessLogs', accessLogsBucketName(this.project.name, this.environmentName, sm.account, sm.region)) : undefined,
      } : undefined,
      removalPolicy,
      handler: handler ?? this.stackHandler,
      encryptionKey: this.encryptionKey,
      stagedRollout: this.handlers?.sagemakerRollout && serving.rollout.strategy !== 'all-at-once'
        ? { serviceToken: this.handlers.sagemakerRollout.serviceToken, strategy: serving.rollout.strategy === 'canary' ? StagedStrategy.CANARY : StagedStrategy.LINEAR, steps: serving.rollout.steps }
        : undefined,
    });
    const m = serving.monitoring;
    // The baseline runs behind the environment's staged-rollout handlers (handlers stack), or the stack's own.
    const monitoring = m && endpoint.dataCaptureBucket
      ? new DataQualityMonitor(this, 'Monitoring', {
        endpoint,
        schedule: m.cron!,
        baselineUri: m.baselineUri,
        driftThreshold: m.driftThreshold,
        featureThresholds: m.featureThresholds,
        alertEmails: m.alertEmails,
        snsTopicArn: m.snsTopicArn,
        baselineHandlers: this.handlers?.sagemakerRollout
          ? { serviceToken: this.handlers.sagemakerRollout.serviceToken, roleArn: this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: handlerNames(this.project.name, this.environmentName).rollout }) }
          : undefined,
      })
      : undefined;
    return { registry, endpoint, training, monitoring };
  }
}

function toVariant(v: SageMakerVariantPlan, environment: Record<string, string>): EndpointVariantProps {
  return {
    // The serving preset's and the spec's variables (SageMaker's contract needs no routes).
    environment: Object.keys(environment).length > 0 ? environment : undefined,
    version: v.version,
    variantName: v.variantName,
    image: ContainerImage.fromEcrUri(v.image),
    modelData: v.modelPackageArn ? ModelData.fromModelPackage(v.modelPackageArn) : v.modelDataUrl ? ModelData.fromS3Url(v.modelDataUrl) : undefined,
    artifactPrefix: v.artifactPrefix,
    instanceType: InstanceType.of(v.instanceType),
    initialInstanceCount: v.minReplicas,
    minCapacity: v.minReplicas,
    maxCapacity: v.maxReplicas,
    weight: v.weight,
    acceleratorCount: v.acceleratorCount > 0 ? v.acceleratorCount : undefined,
  };
}

function toAutoscaling(a: AutoscalingPlan): EndpointAutoscaling {
  return a.metric === 'gpu' ? EndpointAutoscaling.gpuUtilization(a.target) : EndpointAutoscaling.invocationsPerInstance(a.target);
}

/** The plan's rollout in SageMaker's terms; the last step's bake becomes the final bake (TerminationWait). */
export function toRollout(r: RolloutPlan): Rollout {
  const wait = Duration.seconds(r.waitSeconds ?? 0);
  const lastBake = r.steps.length > 0 ? r.steps[r.steps.length - 1].bakeSeconds : 0;
  const finalBake = lastBake > 0 ? Duration.seconds(lastBake) : undefined;
  switch (r.strategy) {
    case 'canary':
      return Rollout.canary({ percent: r.percent ?? 10, bake: wait, finalBake });
    case 'linear':
      return Rollout.linear({ percent: r.percent ?? 10, interval: wait, finalBake });
    case 'all-at-once':
      return Rollout.allAtOnce({ bake: finalBake ?? wait });
  }
}

function toRollback(r: RollbackPlan): RollbackProps {
  return {
    errorRatePercent: r.errorRatePercent,
    p99Latency: r.p99LatencyMs !== undefined ? Duration.millis(r.p99LatencyMs) : undefined,
  };
}
