import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { accessLogsBucketName, handlerNames } from '../lib/plan/names';
import type { ModelPlan } from '../lib/plan/types';
import type { MlspecProject } from './project';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import { allowAzureSignIn, AZUREML_NETWORK_REASON } from './azureml/azureml-model';
import { ReconcilerProvider, reconcilerServiceToken, type IReconcilerHandlers } from './reconciler-provider';
import { endpointRights } from './sagemaker/endpoint-handler';
import { HandlerFunction, SharedSageMakerHandler, wildcardsOf, type ISageMakerHandler, type WildcardResource } from './sagemaker/handler-function';
import { registryRights } from './sagemaker/model-registry';
import { VERTEX_HANDLER_ENVIRONMENT, VERTEX_NETWORK_REASON } from './vertex/vertex-model';
import { TrainingOrchestration, type JobProvider } from './training-orchestration';

/** The handlers a model stack's custom resources and pipelines use in one environment. */
export interface EnvironmentHandlers {
  readonly sagemaker: ISageMakerHandler;
  /** Staged SageMaker rollouts and monitor baselines, behind the Provider framework: present where a model walks canary or linear steps or is monitored. */
  readonly sagemakerRollout?: IServiceToken;
  readonly vertex?: IReconcilerHandlers;
  readonly azureml?: IReconcilerHandlers;
}

export { handlerNames };

/** A custom resource's handler, by its service token. */
export interface IServiceToken {
  readonly serviceToken: string;
}

/** Which of an environment's handlers a stack refers to (`HandlersStack.refs`). */
export interface HandlerUses {
  /** @default false */
  readonly vertex?: boolean;
  /** @default false */
  readonly azureml?: boolean;
  /** @default false */
  readonly sagemakerRollout?: boolean;
}

export interface HandlersStackProps extends StackProps {
  /** The project: the handlers may act only on its resources. */
  readonly project: MlspecProject;
  /** The environment (spec `environments.<name>`): its models say which handlers it needs. */
  readonly environment: string;
}

/**
 * mlspec's machinery for one environment (account and region), once: the SageMaker handler
 * (registry, endpoint configs, traffic, autoscaling, the training pipeline's best-trial step), and
 * for Vertex AI and Azure ML their reconcilers behind the CDK Provider framework with its waiter.
 * Their roles may act only on this project's resources, by name prefix (`<project>-`) or by the
 * `mlspec:project` tag. Model stacks hold only what is the model's and refer to these by name.
 *
 * Why a stack of its own: CloudFormation refuses to change a custom resource's ServiceToken once
 * deployed, so the handlers had to move before users deploy; one set per environment keeps
 * functions, roles and log groups out of every model stack (IAM's 1,000-role quota, deploy time).
 */
export class HandlersStack extends Stack {
  public readonly handlers: EnvironmentHandlers;
  public readonly encryptionKey: kms.Key;
  /** The environment's bucket for the data-capture buckets' server access logs, where a model captures data. */
  public readonly accessLogsBucket?: s3.Bucket;
  /** Training on Vertex AI, where a model of the environment trains there. */
  public readonly vertexTraining?: TrainingOrchestration;
  /** Training on Azure ML, where a model of the environment trains there. */
  public readonly azuremlTraining?: TrainingOrchestration;

  constructor(scope: Construct, id: string, props: HandlersStackProps) {
    const { project: mlspecProject, environment: environmentName, ...stackProps } = props;
    const project = mlspecProject.name;
    const environment = mlspecProject._environment(environmentName);
    const names = handlerNames(project, environment.name);
    super(scope, id, {
      stackName: names.stackName,
      description: `mlspec: the handlers of ${project} in ${environment.name}`,
      ...stackProps,
      terminationProtection: environment.protected || stackProps.terminationProtection,
    });
    Tags.of(this).add('mlspec:project', project);
    Tags.of(this).add('mlspec:environment', environment.name);
    const uses = (p: 'vertex' | 'azureml') => environment.models.some((m) => m.providers.includes(p));

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `mlspec handler logs and environment of ${project} in ${environment.name}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const sagemaker = new HandlerFunction(this, 'SageMaker', {
      name: `${project}-${environment.name}-sagemaker`,
      functionName: names.sagemaker,
      description: `SageMaker registries, endpoint configs, traffic, autoscaling and training steps of ${project} in ${environment.name}`,
      encryptionKey: this.encryptionKey,
      // Moving traffic waits for the endpoint to be InService (at most 10 minutes).
      timeout: Duration.minutes(12),
      ...sageMakerHandlerRights(this, project),
    });

    // Staged rollouts on SageMaker, and the baselines of SageMaker monitors: the same bundle behind the
    // Provider framework, whose waiter walks the steps or waits for the baselining job.
    const monitors = environment.models.some(monitorsOnSageMaker);
    const sagemakerRollout = environment.models.some(walksOnSageMaker) || monitors
      ? new ReconcilerProvider(this, 'SageMakerRollout', {
        provider: 'sagemaker',
        title: 'SageMaker rollouts',
        model: 'every model',
        environment: environment.name,
        name: names.rollout,
        encryptionKey: this.encryptionKey,
        entryPoints: { onEvent: 'index.onStagedEvent', isComplete: 'index.isStagedComplete' },
        networkReason: monitors
          ? 'Calls only the SageMaker, Application Auto Scaling, CloudWatch and S3 APIs; a VPC would add NAT or endpoints without isolating anything.'
          : 'Calls only the SageMaker, Application Auto Scaling and CloudWatch control-plane APIs; a VPC would add NAT or endpoints without isolating anything.',
      })
      : undefined;
    if (sagemakerRollout) {
      const { statements, wildcards } = rolloutRights(this, project, monitors);
      const policy = new iam.ManagedPolicy(sagemakerRollout, 'RolloutPolicy', { roles: [sagemakerRollout.handlerRole], statements, description: `mlspec staged SageMaker rollouts of ${project} in ${environment.name}` });
      for (const [resource, reason] of wildcards) {
        if (resource === '*') acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', reason);
        else acknowledgeWildcardResource(policy, resource, reason);
      }
    }

    const vertex = uses('vertex') && environment.gcp
      ? new ReconcilerProvider(this, 'Vertex', {
        provider: 'vertex',
        title: 'Vertex AI',
        model: 'every model',
        environment: environment.name,
        name: names.vertex,
        encryptionKey: this.encryptionKey,
        environmentVariables: VERTEX_HANDLER_ENVIRONMENT,
        networkReason: VERTEX_NETWORK_REASON,
      })
      : undefined;

    let azureml: ReconcilerProvider | undefined;
    if (uses('azureml') && environment.azure) {
      azureml = new ReconcilerProvider(this, 'AzureMl', {
        provider: 'azureml',
        title: 'Azure ML',
        model: 'every model',
        environment: environment.name,
        name: names.azureml,
        encryptionKey: this.encryptionKey,
        networkReason: AZUREML_NETWORK_REASON,
      });
      allowAzureSignIn(azureml, azureml.handlerRole, environment.azure.clientSecretName, `mlspec Azure ML sign-in of ${project} in ${environment.name}`);
    }
    // Training where models train on Vertex AI or Azure ML: a state machine per provider, as the reconcilers' role.
    const training = (p: JobProvider, handlers: ReconcilerProvider | undefined) => handlers && environment.models.some((m) => m[p]?.training)
      ? new TrainingOrchestration(this, `${p === 'vertex' ? 'Vertex' : 'AzureMl'}Training`, { provider: p, project, environment: environment.name, handlers })
      : undefined;
    this.vertexTraining = training('vertex', vertex);
    this.azuremlTraining = training('azureml', azureml);
    // Server access logs of every data-capture bucket of the environment, under <endpoint>/.
    if (environment.aws && environment.models.some((m) => m.sagemaker?.serving?.dataCapturePercent)) {
      const name = accessLogsBucketName(project, environment.name, environment.aws.account, environment.aws.region);
      this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
        bucketName: name,
        // S3 server access log delivery supports only SSE-S3 on the target bucket.
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
      // The model stacks' capture buckets log here; their stacks cannot add to this policy.
      this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'S3ServerAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogsBucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:SourceAccount': environment.aws.account } },
      }));
      acknowledge(this.accessLogsBucket, 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'S3 server access log delivery only writes to buckets encrypted with SSE-S3; SSE-KMS targets are not supported.');
      acknowledge(this.accessLogsBucket, 'NIST.800.53.R5-S3BucketReplicationEnabled', 'Access logs of the data-capture buckets are audit records with a one-year lifecycle; cross-region replication is an account-level backup decision.');
      acknowledge(this.accessLogsBucket, 'AwsSolutions-S1', 'This bucket is the access-log target itself; logging it to another bucket would only move the question.');
      acknowledge(this.accessLogsBucket, 'NIST.800.53.R5-S3BucketLoggingEnabled', 'This bucket is the access-log target itself; logging it to another bucket would only move the question.');
    }
    this.handlers = { sagemaker, sagemakerRollout, vertex, azureml };
  }

  /**
   * An environment's handlers as a stack in the same account and region refers to them: by name,
   * so no export ties the stacks together.
   */
  public static refs(scope: Construct, project: string, environment: string, uses: HandlerUses = {}): EnvironmentHandlers {
    const stack = Stack.of(scope);
    const names = handlerNames(project, environment);
    const fn = stack.formatArn({ service: 'lambda', resource: 'function', resourceName: names.sagemaker, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const reconciler = (id: string, name: string): IReconcilerHandlers => ({
      serviceToken: reconcilerServiceToken(stack, name),
      handlerRole: iam.Role.fromRoleName(scope, id, name, { mutable: false }),
    });
    return {
      sagemaker: new SharedSageMakerHandler(fn),
      sagemakerRollout: uses.sagemakerRollout ? { serviceToken: reconcilerServiceToken(stack, names.rollout) } : undefined,
      vertex: uses.vertex ? reconciler('VertexHandlerRole', names.vertex) : undefined,
      azureml: uses.azureml ? reconciler('AzureMlHandlerRole', names.azureml) : undefined,
    };
  }
}

/**
 * What the SageMaker handler may do: this project's registries, endpoints, endpoint configs,
 * variant scaling and training steps in the environment's account and region, nothing else.
 */
function sageMakerHandlerRights(stack: Stack, project: string): { statements: iam.PolicyStatement[]; wildcards: WildcardResource[] } {
  const { statements, wildcards } = sageMakerRights(stack, project);
  return { statements, wildcards: wildcardsOf(wildcards) };
}

function sageMakerRights(stack: Stack, project: string): { statements: iam.PolicyStatement[]; wildcards: Array<[string, string]> } {
  const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName });
  const registries = registryRights(arn('model-package-group', `${project}-*`), arn('model-package', `${project}-*/*`));
  const endpoints = endpointRights(stack, {
    endpoints: arn('endpoint', `${project}-*`),
    configs: arn('endpoint-config', `${project}-*`),
    scalingAlarmsOf: `${project}-*`,
    autoscaling: true,
    // CreateEndpointConfig with a KmsKeyId checks that the caller may use the key: the model stacks' keys, by their project tag.
    keys: modelKeys(stack, project),
  });
  const tuningJobs = arn('hyper-parameter-tuning-job', '*');
  const trainingJobs = arn('training-job', '*');
  return {
    statements: [
      ...registries.statements,
      ...endpoints.statements,
      // A tuning pipeline's BestTrial step reads the tuning job and its best trial.
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:DescribeTrainingJob'], resources: [tuningJobs, trainingJobs] }),
    ],
    wildcards: [
      ...[...registries.wildcards, ...endpoints.wildcards].filter(([r]) => r !== '*'),
      ['*', 'Search, DescribeScalableTargets and DescribeScalingPolicies have no resource-level permissions; they only read (the handler searches this project\'s groups only).'],
      [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' }), 'Model stacks\' keys are created per stack; the condition limits the grant to keys tagged with this project.'],
      [tuningJobs, 'Tuning jobs are named by SageMaker Pipelines at run time.'],
      [trainingJobs, 'Trial jobs are named by the tuning job at run time.'],
    ],
  };
}

/** kms:CreateGrant and DescribeKey on the keys tagged with the project (model stacks' keys). */
function modelKeys(stack: Stack, project: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['kms:CreateGrant', 'kms:DescribeKey'],
    resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
    conditions: { StringEquals: { 'aws:ResourceTag/mlspec:project': project } },
  });
}

/** Whether a model's SageMaker endpoint walks canary or linear steps through mlspec's staged rollouts. */
export function walksOnSageMaker(model: ModelPlan): boolean {
  const strategy = model.sagemaker?.serving?.rollout.strategy;
  return strategy === 'canary' || strategy === 'linear';
}

/** Whether a model's SageMaker endpoint has a data-quality monitor, whose baseline these handlers compute. */
export function monitorsOnSageMaker(model: ModelPlan): boolean {
  return model.sagemaker?.serving?.monitoring !== undefined && model.sagemaker.serving.dataCapturePercent !== undefined;
}

/**
 * What the staged-rollout handler may do: move this project's endpoints' weights, read their
 * rollback alarms, and retire the versions a walk left at 0 (a config without them, one endpoint
 * update, their scaling deregistered first); where a model monitors, run its baselining job as its
 * monitoring role (constructs/sagemaker/monitoring.ts; the model stacks' bucket and key policies let
 * it read and write the baseline files). Nothing else.
 */
function rolloutRights(stack: Stack, project: string, monitors = false): { statements: iam.PolicyStatement[]; wildcards: Array<[string, string]> } {
  const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName });
  const endpoints = arn('endpoint', `${project}-*`);
  const configs = arn('endpoint-config', `${project}-*`);
  const alarms = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${project}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const keys = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
  const targets = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
  const statements = [
    new iam.PolicyStatement({ sid: 'Walk', actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities', 'sagemaker:UpdateEndpoint', 'sagemaker:ListTags', 'sagemaker:AddTags', 'sagemaker:DeleteTags'], resources: [endpoints] }),
    new iam.PolicyStatement({ sid: 'RetireConfigs', actions: ['sagemaker:DescribeEndpointConfig', 'sagemaker:CreateEndpointConfig', 'sagemaker:DeleteEndpointConfig', 'sagemaker:UpdateEndpoint'], resources: [configs] }),
    // The rollback alarms are named <endpoint>-<variant>-<signal>.
    new iam.PolicyStatement({ sid: 'ReadRollbackAlarms', actions: ['cloudwatch:DescribeAlarms'], resources: [alarms] }),
    modelKeys(stack, project),
    new iam.PolicyStatement({ sid: 'ReadScalingState', actions: ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies'], resources: ['*'] }),
    new iam.PolicyStatement({ sid: 'DeregisterRetired', actions: ['application-autoscaling:DeregisterScalableTarget'], resources: [targets] }),
  ];
  const wildcards: Array<[string, string]> = [
    [endpoints, 'Endpoints of this project only: <project>-<model>-<env>.'],
    [configs, 'Endpoint configs of this project only.'],
    [alarms, 'Rollback alarms of this project\'s endpoints only: <endpoint>-<variant>-<signal>.'],
    [keys, 'Model stacks\' keys are created per stack; the condition limits the grant to keys tagged with this project.'],
    ['*', 'DescribeScalableTargets and DescribeScalingPolicies have no resource-level permissions; they only read.'],
    [targets, 'Scalable targets are named by random ARNs; the handler deregisters only the variants a walk retired.'],
  ];
  if (monitors) {
    const jobs = arn('processing-job', `${project}-*`);
    const roles = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${project}-*-monitor` });
    statements.push(
      // Baselining jobs are named <endpoint>-<hash of their inputs>[-attempt]: started once, then watched.
      new iam.PolicyStatement({ sid: 'BaselineJobs', actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob'], resources: [jobs] }),
      // The job runs as the model's monitoring role, <endpoint>-monitor.
      new iam.PolicyStatement({ sid: 'PassMonitoringRoles', actions: ['iam:PassRole'], resources: [roles], conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
    );
    wildcards.push(
      [jobs, 'Baselining jobs of this project\'s endpoints only: <project>-<model>-<env>-<hash>.'],
      [roles, 'The monitoring roles of this project\'s endpoints only (<endpoint>-monitor), passed to SageMaker only.'],
    );
  }
  return { statements, wildcards };
}
