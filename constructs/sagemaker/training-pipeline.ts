import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct, type IConstruct } from 'constructs';
import type { SageMakerTrainingPlan } from '../../lib/plan/types';
import type { MlspecProject } from '../project';
import { pipelineDefinition, type PipelineDefinition } from '../../lib/providers/sagemaker/training';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import type { ISageMakerHandler } from './handler-function';
import { arnName } from './names';

export interface TrainingPipelineProps {
  /** The project whose plan holds the training (spec `models.<model>.training`). */
  readonly project: MlspecProject;
  /** The model (spec `models.<name>`); it must train on SageMaker in the environment. */
  readonly model: string;
  /** The environment (spec `environments.<name>`). */
  readonly environment: string;
  /**
   * The bundled SageMaker handler that reads the best trial after a tuning step (the model
   * stack's, shared). Needed only when the plan tunes.
   * @default - none; a tuning plan without it is an error
   */
  readonly handler?: ISageMakerHandler;
  /**
   * Key of the training output, checkpoints and volume.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/** `s3://bucket/prefix/` → the bucket and object ARNs a role needs for that prefix. */
function s3Arns(uri: string): { bucket: string; objects: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${uri}`);
  const prefix = m[2].replace(/\/?$/, m[2] ? '/' : '');
  return { bucket: `arn:aws:s3:::${m[1]}`, objects: `arn:aws:s3:::${m[1]}/${prefix}*`, prefix };
}

/** An ECR image URI → its repository ARN; undefined for images elsewhere (public registries need no grant). */
function ecrRepositoryArn(image: string): string | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  return m ? `arn:aws:ecr:${m[2]}:${m[1]}:repository/${m[3]}` : undefined;
}

/**
 * Training on SageMaker: one SageMaker Pipeline that trains (or tunes and takes the best trial),
 * checks `registry.gates` against the final metrics, and registers the version in the model's
 * package group; with `training.schedule`, an EventBridge Scheduler schedule that starts it.
 *
 * Two roles: the training role the jobs run as (reads the inputs, writes the output and
 * checkpoints, pulls the image, writes logs and metrics), and the pipeline role that starts the
 * jobs, passes the training role to them and registers the version. A run's code never holds the
 * right to register.
 */
/** A model's SageMaker training pipeline, made here or elsewhere. */
export interface ITrainingPipeline extends IConstruct {
  readonly pipelineName: string;
  readonly pipelineArn: string;
}

export class TrainingPipeline extends Construct implements ITrainingPipeline {
  /** A pipeline deployed elsewhere, by name (for example to start it from a schedule or a workflow of your own). */
  public static fromPipelineName(scope: Construct, id: string, pipelineName: string): ITrainingPipeline {
    // PipelineName: 1-256 letters, digits and hyphens (SageMaker API reference, CreatePipeline).
    if (!Token.isUnresolved(pipelineName) && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/.test(pipelineName)) {
      throw new Error(`TrainingPipeline.fromPipelineName: pipelineName must be 1-256 letters, digits or hyphens, starting and ending with a letter or digit; got '${pipelineName}'`);
    }
    class Import extends Construct implements ITrainingPipeline {
      public readonly pipelineName = pipelineName;
      public readonly pipelineArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: arnName(pipelineName) });
    }
    return new Import(scope, id);
  }

  public readonly pipeline: sagemaker.CfnPipeline;
  public readonly pipelineName: string;
  public readonly pipelineArn: string;
  /** The role the training jobs run as. */
  public readonly trainingRole: iam.Role;
  /** The role the pipeline (and the schedule) runs as. */
  public readonly pipelineRole: iam.Role;
  public readonly encryptionKey: kms.IKey;
  /** @internal The definition as declared, with tokens for the roles and the key. */
  public readonly _definition: PipelineDefinition;
  public readonly schedule?: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const model = props.project._model(props.environment, props.model);
    const sm = model.sagemaker;
    const t: SageMakerTrainingPlan | undefined = sm?.training;
    if (!sm || !t) throw new Error(`${props.model} in ${props.environment}: the model does not train on sagemaker there; TrainingPipeline needs a model whose spec has a training section with provider sagemaker`);
    if (t.tuning && !props.handler) throw new Error('TrainingPipeline: a tuning plan needs `handler` (the bundled SageMaker handler reads the best trial)');
    const stack = Stack.of(this);
    this.pipelineName = t.pipelineName;
    this.pipelineArn = stack.formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: arnName(t.pipelineName) });
    const groupArn = stack.formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: arnName(sm.registry.modelPackageGroupName) });
    const packagesArn = stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${arnName(sm.registry.modelPackageGroupName)}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const trainingJobsArn = stack.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: '*' });
    const tuningJobsArn = stack.formatArn({ service: 'sagemaker', resource: 'hyper-parameter-tuning-job', resourceName: '*' });

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `mlspec training output, checkpoints and volumes of ${t.pipelineName}`,
      enableKeyRotation: true,
      // Trained models stay readable after the stack goes: the key is kept with them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- the role the training jobs run as
    this.trainingRole = new iam.Role(this, 'TrainingRole', {
      roleName: t.trainingRoleName,
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `mlspec: training jobs of ${t.pipelineName}`,
    });
    const trainingPolicy = new iam.ManagedPolicy(this, 'TrainingPolicy', { roles: [this.trainingRole], description: `mlspec: what the training jobs of ${t.pipelineName} may do` });
    const reads = t.inputs.map((i) => s3Arns(i.uri));
    const writes = [t.outputUri, t.checkpointUri].filter((u): u is string => u !== undefined).map(s3Arns);
    if (reads.length) trainingPolicy.addStatements(new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: reads.map((r) => r.objects) }));
    trainingPolicy.addStatements(new iam.PolicyStatement({ sid: 'WriteOutputAndCheckpoints', actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: writes.map((w) => w.objects) }));
    for (const [i, b] of [...reads, ...writes].entries()) {
      trainingPolicy.addStatements(new iam.PolicyStatement({ sid: `ListPrefix${i}`, actions: ['s3:ListBucket'], resources: [b.bucket], conditions: b.prefix ? { StringLike: { 's3:prefix': [`${b.prefix}*`] } } : undefined }));
    }
    const repository = t.image ? ecrRepositoryArn(t.image) : undefined;
    if (repository) {
      trainingPolicy.addStatements(
        new iam.PolicyStatement({ sid: 'PullImage', actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], resources: [repository] }),
        new iam.PolicyStatement({ sid: 'EcrSignIn', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      );
    }
    const trainingLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/TrainingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    trainingPolicy.addStatements(
      new iam.PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [trainingLogs] }),
      new iam.PolicyStatement({ sid: 'WriteMetrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } } }),
      new iam.PolicyStatement({ sid: 'UseTrainingKey', actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'], resources: [this.encryptionKey.keyArn] }),
      new iam.PolicyStatement({ sid: 'GrantVolumeKey', actions: ['kms:CreateGrant'], resources: [this.encryptionKey.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
    );
    for (const w of [...reads, ...writes]) acknowledgeWildcardResource(trainingPolicy, w.objects, 'Objects under the spec\'s own input, output and checkpoint prefixes; the run names its files.');
    acknowledgeWildcardResource(trainingPolicy, trainingLogs, 'SageMaker writes training logs to this fixed log group, one stream per job and host.');
    acknowledge(trainingPolicy, 'AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level permissions; PutMetricData is limited to SageMaker\'s namespaces.');
    acknowledge(trainingPolicy, 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', 'SageMaker re-encrypts the training output with this one key.');
    acknowledge(trainingPolicy, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'SageMaker generates data keys of this one key for the output and volumes.');

    // ---- the role the pipeline (and its schedule) runs as
    const principals: iam.IPrincipal[] = [new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } })];
    if (t.schedule) principals.push(new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }));
    this.pipelineRole = new iam.Role(this, 'PipelineRole', {
      roleName: t.pipelineRoleName,
      assumedBy: new iam.CompositePrincipal(...principals),
      description: `mlspec: runs the training pipeline ${t.pipelineName}`,
    });
    const pipelinePolicy = new iam.ManagedPolicy(this, 'PipelinePolicy', {
      roles: [this.pipelineRole],
      description: `mlspec: what the training pipeline ${t.pipelineName} may do`,
      statements: [
        new iam.PolicyStatement({
          sid: 'RunJobs',
          actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags', ...(t.tuning ? ['sagemaker:CreateHyperParameterTuningJob', 'sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob'] : [])],
          resources: t.tuning ? [trainingJobsArn, tuningJobsArn] : [trainingJobsArn],
        }),
        new iam.PolicyStatement({ sid: 'RegisterVersion', actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:AddTags'], resources: [groupArn, packagesArn] }),
        new iam.PolicyStatement({
          sid: 'PassTrainingRole',
          actions: ['iam:PassRole'],
          resources: [this.trainingRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
        new iam.PolicyStatement({ sid: 'GrantVolumeKey', actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [this.encryptionKey.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
        ...(t.schedule ? [new iam.PolicyStatement({ sid: 'StartOnSchedule', actions: ['sagemaker:StartPipelineExecution'], resources: [this.pipelineArn] })] : []),
      ],
    });
    acknowledgeWildcardResource(pipelinePolicy, trainingJobsArn, 'SageMaker Pipelines names the jobs it starts at run time; the role runs only this pipeline.');
    if (t.tuning) acknowledgeWildcardResource(pipelinePolicy, tuningJobsArn, 'SageMaker Pipelines names the tuning jobs it starts at run time; the role runs only this pipeline.');
    acknowledgeWildcardResource(pipelinePolicy, packagesArn, 'Versioned packages are numbered by SageMaker at registration: the pattern covers this model\'s group only.');

    if (t.tuning) {
      const handler = props.handler!;
      pipelinePolicy.addStatements(new iam.PolicyStatement({ sid: 'InvokeBestTrial', actions: ['lambda:InvokeFunction'], resources: [handler.functionArn] }));
      handler.allow(
        [new iam.PolicyStatement({ sid: 'ReadBestTrial', actions: ['sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:DescribeTrainingJob'], resources: [tuningJobsArn, trainingJobsArn] })],
        [
          { resource: tuningJobsArn, reason: 'Tuning jobs are named by SageMaker Pipelines at run time.' },
          { resource: trainingJobsArn, reason: 'Trial jobs are named by the tuning job at run time.' },
        ],
      );
    }

    this._definition = pipelineDefinition(model, {
      trainingRoleArn: this.trainingRole.roleArn,
      kmsKeyArn: this.encryptionKey.keyArn,
      bestTrialFunctionArn: t.tuning ? props.handler!.functionArn : undefined,
    });
    this.pipeline = new sagemaker.CfnPipeline(this, 'Pipeline', {
      pipelineName: t.pipelineName,
      pipelineDescription: `mlspec: trains ${model.name} in ${model.environment}, checks the registry gates and registers the version`,
      roleArn: this.pipelineRole.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(this._definition) },
    });
    // The pipeline's first run must find its permissions in place.
    this.pipeline.node.addDependency(pipelinePolicy);

    if (t.schedule) {
      this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
        description: `mlspec: starts the training pipeline ${t.pipelineName}`,
        scheduleExpression: t.schedule,
        scheduleExpressionTimezone: 'UTC',
        flexibleTimeWindow: { mode: 'OFF' },
        // Schedules are encrypted at rest with a key EventBridge Scheduler owns; the schedule holds no data.
        target: {
          arn: this.pipelineArn,
          roleArn: this.pipelineRole.roleArn,
          sageMakerPipelineParameters: { pipelineParameterList: [] },
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        },
      });
      this.schedule.node.addDependency(this.pipeline);
    }
  }
}
