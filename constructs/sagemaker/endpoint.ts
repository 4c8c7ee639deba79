import { ArnFormat, CfnDeletionPolicy, Duration, IResource, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { allowLogGroupToUseKey } from '../log-key';
import { acknowledge } from '../nag';
import { EndpointAutoscaling } from './autoscaling';
import { DataCaptureBucket } from './data-capture-bucket';
import { EndpointExecutionRole } from './execution-role';
import { hasInstanceStorage, INSTANCE_TYPE } from './instance-types';
import { arnName, checkInteger, checkMetadataText, checkSageMakerName, parseEcrImage, parseS3Url, sanitizeId } from './names';
import { Rollout } from './rollout';
import { EndpointHandler } from './endpoint-handler';
import type { ISageMakerHandler } from './handler-function';
import type { ContainerImage, InstanceType, ModelData } from './values';
import { VariantAutoscaling } from './scaling';
import { EndpointTraffic, type ConfigVariant, type StagedStrategy, type TrafficStep } from './traffic';

/** One version served by the endpoint, as a production or shadow variant. */
export interface EndpointVariantProps {
  /** The version label ("7"); tagged on the variant's model as `mlspec:version`. */
  readonly version: string;
  /**
   * Variant name, stable per version so weights can move without renaming.
   * @default `v<version>`
   */
  readonly variantName?: string;
  /**
   * Inference image in ECR (`ContainerImage.fromEcrUri`). With `ModelData.fromModelPackage` the
   * package's own image runs; this one then only decides which repository the execution role may
   * pull from.
   */
  readonly image: ContainerImage;
  /**
   * The model's weights: `ModelData.fromS3Url('s3://…/model.tar.gz')`, or a registered (for example
   * trained) version, `ModelData.fromModelPackage(arn)`.
   * @default - the model is in the image
   */
  readonly modelData?: ModelData;
  /**
   * `s3://` prefix the model package's artifacts live under (a trained version's training
   * output), so the execution role may read them.
   * @default - no extra read access
   */
  readonly artifactPrefix?: string;
  /** SageMaker hosting instance type (`InstanceType.of('ml.g5.xlarge')`). */
  readonly instanceType: InstanceType;
  /** Instances when the variant is created (at least 1). */
  readonly initialInstanceCount: number;
  /**
   * Production variant: percent of traffic, 0-100; the weights of all production variants add up
   * to 100. Shadow variant: percent of requests copied to it, 1-100.
   */
  readonly weight: number;
  /**
   * Fewest instances autoscaling may leave.
   * @default - initialInstanceCount
   */
  readonly minCapacity?: number;
  /**
   * Most instances autoscaling may add.
   * @default - the larger of minCapacity and initialInstanceCount
   */
  readonly maxCapacity?: number;
  /**
   * Accelerators (GPUs) per instance. Needed for GPU autoscaling, whose target is per accelerator.
   * @default - unknown; GPU autoscaling then refuses the variant
   */
  readonly acceleratorCount?: number;
  /**
   * Environment variables of the model container.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/** Staged rollouts of new versions, walked by mlspec's handlers. */
export interface StagedRolloutProps {
  /** The staged-rollout handlers' service token. */
  readonly serviceToken: string;
  readonly strategy: StagedStrategy;
  /** The new versions' traffic share after each step (ending at 100) and the bake after it. */
  readonly steps: TrafficStep[];
}

/** CloudWatch alarms that stop a rollout and roll it back. */
export interface RollbackProps {
  /**
   * Roll back when 5xx errors exceed this percent of invocations of any production variant.
   * @default - no error-rate alarm
   */
  readonly errorRatePercent?: number;
  /**
   * Roll back when the p99 model latency of any production variant exceeds this.
   * @default - no latency alarm
   */
  readonly p99Latency?: Duration;
  /**
   * Actions when an alarm fires (SageMaker itself polls the alarms during a deployment).
   * @default - none
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}

/** Capture of a sample of requests and responses to S3, encrypted with the endpoint's key. */
export interface DataCaptureProps {
  /** Percent of requests captured, 1-100. */
  readonly percent: number;
  /**
   * Bucket to write to.
   * @default - a new DataCaptureBucket
   */
  readonly bucket?: s3.IBucket;
  /**
   * Key prefix of the captured objects in the bucket.
   * @default 'data-capture'
   */
  readonly prefix?: string;
  /**
   * Where the new capture bucket's server access logs go (an environment's shared access-log
   * bucket), under `<endpoint name>/`.
   * @default - a new access-log bucket beside the capture bucket
   */
  readonly accessLogsBucket?: s3.IBucket;
}

export interface ModelEndpointProps {
  /** Endpoint name, fixed so clients can call it: 1-63 letters, digits and hyphens. */
  readonly endpointName: string;
  /** Production variants, one per version served; weights add up to 100. */
  readonly variants: EndpointVariantProps[];
  /**
   * A version receiving a copy of `weight` percent of the requests, its answers discarded.
   * SageMaker allows one, and only on an endpoint with one production variant.
   * @default - no shadow variant
   */
  readonly shadowVariant?: EndpointVariantProps;
  /**
   * Target tracking for each production variant between its min and max capacity. Shadow
   * variants are not autoscaled.
   * @default - fixed instance counts
   */
  readonly autoscaling?: EndpointAutoscaling;
  /**
   * How updates shift traffic to a new fleet (blue/green). SageMaker applies it when the new
   * endpoint config keeps the variant names of the deployed one (a new image, artifact or instance
   * type of the same versions); an update that adds or removes variants is not a guarded rollout.
   * @default - Rollout.allAtOnce() when `rollback` is set, else SageMaker's default blue/green
   */
  readonly rollout?: Rollout;
  /**
   * Alarms that stop a rollout and roll it back.
   * @default - no automatic rollback
   */
  readonly rollback?: RollbackProps;
  /**
   * Capture requests and responses to S3.
   * @default - no data capture
   */
  readonly dataCapture?: DataCaptureProps;
  /**
   * KMS key for the instances' storage volumes, captured data and the endpoint's logs. A key given
   * here must already allow the execution role and CloudWatch Logs in its key policy.
   * @default - a new key with rotation, kept on stack delete (RetainExceptOnCreate)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Encrypt the instances' ML storage volumes with the key (EndpointConfig KmsKeyId). SageMaker
   * refuses a KmsKeyId for instance types with local NVMe storage (ml.g4dn, ml.g5, ml.p4d, ...),
   * whose volumes the instance's hardware encrypts.
   * @default - true, unless a variant's instance type has NVMe instance storage
   */
  readonly encryptStorageVolume?: boolean;
  /**
   * Execution role of the models; the least-privilege policy is attached to it.
   * @default - a new least-privilege role
   */
  readonly role?: iam.IRole;
  /**
   * Forbid the model containers any outbound network call.
   * @default true
   */
  readonly enableNetworkIsolation?: boolean;
  /**
   * Retention of the endpoint's log group `/aws/sagemaker/Endpoints/<name>`.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * CloudWatch namespaces the containers may publish custom metrics to.
   * @default ['/aws/sagemaker/Endpoints']
   */
  readonly metricNamespaces?: string[];
  /**
   * What happens to the endpoint (and its models, config and log group) when the stack is deleted.
   * RETAIN keeps them serving; models and configs replaced by an update are still cleaned up.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A handler function to share for the endpoint's custom resources (a ModelStack passes its
   * registry's, so a stack runs one function).
   * @default - a function of the endpoint's own
   */
  readonly handler?: ISageMakerHandler;
  /**
   * Walk a change that adds a version in the rollout's steps, with the rollback alarms checked
   * between steps and the old split restored when one fires (lib/providers/sagemaker/staged.ts).
   * Needs the staged-rollout handlers behind the Provider framework (a handlers stack has them).
   * @default - SageMaker's own blue/green guardrails only: a new version gets its share in one update
   */
  readonly stagedRollout?: StagedRolloutProps;
}

/** Options of the endpoint's per-variant metrics. */
export interface EndpointMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The variant whose metric this is (SageMaker publishes endpoint metrics per variant).
   * @default - the endpoint's only production variant; required when it has several
   */
  readonly variantName?: string;
}

/** A SageMaker real-time endpoint, defined here or imported. */
export interface IModelEndpoint extends IResource {
  /** @attribute */
  readonly endpointName: string;
  /** @attribute */
  readonly endpointArn: string;
  /** Lets `grantee` invoke the endpoint (sagemaker:InvokeEndpoint, sagemaker:InvokeEndpointAsync). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** A metric of namespace AWS/SageMaker for one variant. */
  metric(metricName: string, props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Requests sent to a variant (sum per minute). */
  metricInvocations(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Requests a variant answered with a 5xx (sum per minute). */
  metricInvocation5XXErrors(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Time the model took to answer, in microseconds (p99 per minute). */
  metricModelLatency(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** CPU utilisation of a variant's instances, percent per core summed over cores (average). */
  metricCpuUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** GPU utilisation of a variant's instances, percent summed over the GPUs of an instance (average). */
  metricGpuUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
}

abstract class ModelEndpointBase extends Resource implements IModelEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  /** Production variants known to this object (empty for an imported endpoint). */
  protected abstract readonly knownVariants: string[];

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync'],
      resourceArns: [this.endpointArn],
    });
  }

  public metric(metricName: string, props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.variantMetric('AWS/SageMaker', metricName, props);
  }

  public metricInvocations(props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: 'Sum', ...props });
  }

  public metricInvocation5XXErrors(props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props });
  }

  public metricModelLatency(props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'p99', ...props });
  }

  public metricCpuUtilization(props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.variantMetric('/aws/sagemaker/Endpoints', 'CPUUtilization', { statistic: 'Average', ...props });
  }

  public metricGpuUtilization(props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.variantMetric('/aws/sagemaker/Endpoints', 'GPUUtilization', { statistic: 'Average', ...props });
  }

  private variantMetric(namespace: string, metricName: string, props: EndpointMetricOptions): cloudwatch.Metric {
    const { variantName, ...options } = props;
    let variant = variantName;
    if (variant === undefined) {
      if (this.knownVariants.length !== 1) {
        throw new Error(`${metricName} metric of ${this.node.path}: pass variantName; SageMaker publishes it per variant` +
          (this.knownVariants.length ? ` (this endpoint has ${this.knownVariants.join(', ')})` : ''));
      }
      variant = this.knownVariants[0];
    }
    return new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variant },
      period: Duration.minutes(1),
      ...options,
    });
  }
}

/**
 * A SageMaker real-time endpoint serving one or more model versions with weighted traffic, an
 * optional shadow, autoscaling, guarded blue/green rollouts with alarm-driven rollback, data
 * capture, and a least-privilege execution role. Everything at rest is encrypted with one KMS key.
 */
export class ModelEndpoint extends ModelEndpointBase {
  /** Refers to an existing endpoint by name. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IModelEndpoint {
    class Import extends ModelEndpointBase {
      public readonly endpointName = endpointName;
      public readonly endpointArn = Stack.of(scope).formatArn({
        service: 'sagemaker',
        resource: 'endpoint',
        resourceName: arnName(endpointName),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      protected readonly knownVariants: string[] = [];
    }
    return new Import(scope, id);
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** Names of the production variants, in order. */
  public readonly variantNames: string[];
  /** Name of the shadow variant, if any. */
  public readonly shadowVariantName?: string;
  /** Key of the storage volumes, captured data and logs. */
  public readonly encryptionKey: kms.IKey;
  /** Execution role of the models. */
  public readonly role: iam.IRole;
  /** The least-privilege policy and role. */
  public readonly executionRole: EndpointExecutionRole;
  /** The log group `/aws/sagemaker/Endpoints/<name>`. */
  public readonly logGroup: logs.LogGroup;
  /** Where captured data goes, when data capture is on. */
  public readonly dataCaptureBucket?: s3.IBucket;
  /** The alarms that roll a deployment back. */
  public readonly rollbackAlarms: cloudwatch.Alarm[] = [];
  /** Each rollback alarm's name with the variant it watches (literal names, not the alarms' tokens). */
  private readonly alarmVariants: Array<[string, string]> = [];
  /** Autoscaling of the production variants (two custom resources around the endpoint), when on. */
  private readonly autoscaling?: VariantAutoscaling;
  /** L1 models, by variant name. */
  public readonly models: Record<string, sagemaker.CfnModel> = {};
  /** L1 endpoint config. */
  /** The endpoint config's name: `<endpoint>-<hash of everything but the weights>`. */
  public readonly endpointConfigName: string;
  /** The endpoint config and traffic weights custom resources. */
  private readonly traffic: EndpointTraffic;
  /** The custom-resource handler of the endpoint's configs, traffic and autoscaling. */
  public readonly handler: EndpointHandler;
  /** L1 endpoint. */
  public readonly resource: sagemaker.CfnEndpoint;
  protected readonly knownVariants: string[];

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id, { physicalName: props.endpointName });
    const v = validate(props);
    const stack = Stack.of(this);
    const name = props.endpointName;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.endpointName = name;
    this.variantNames = v.production.map((p) => p.name);
    this.shadowVariantName = v.shadow?.name;
    this.knownVariants = this.variantNames;

    // Key: one per endpoint, rotated, and kept on delete so retained data stays readable.
    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `SageMaker endpoint ${name}: storage volumes, data capture and logs`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const logGroupName = `/aws/sagemaker/Endpoints/${name}`;

    let captureBucket: s3.IBucket | undefined;
    const capturePrefix = props.dataCapture?.prefix ?? 'data-capture';
    if (props.dataCapture) {
      captureBucket = props.dataCapture.bucket ?? new DataCaptureBucket(this, 'DataCapture', {
        encryptionKey: this.encryptionKey,
        serverAccessLogsBucket: props.dataCapture.accessLogsBucket,
        serverAccessLogsPrefix: props.dataCapture.accessLogsBucket ? `${name}/` : undefined,
      }).bucket;
      this.dataCaptureBucket = captureBucket;
    }

    const all = v.shadow ? [...v.production, v.shadow] : v.production;
    this.executionRole = new EndpointExecutionRole(this, 'ExecutionRole', {
      endpointName: name,
      images: all.map((p) => p.props.image),
      modelDataUrls: all.flatMap((p) => [p.props.modelDataUrl, p.props.artifactPrefix].filter((u): u is string => u !== undefined)),
      encryptionKey: this.encryptionKey,
      dataCapture: captureBucket ? { bucket: captureBucket, prefix: capturePrefix } : undefined,
      metricNamespaces: props.metricNamespaces,
      role: props.role,
    });
    this.role = this.executionRole.role;

    // Key policy: SageMaker uses the key through the execution role; CloudWatch Logs for this log group only.
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'UseThroughSageMakerExecutionRole',
      principals: [new iam.ArnPrincipal(this.role.roleArn)],
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': [`sagemaker.${stack.region}.amazonaws.com`, `s3.${stack.region}.amazonaws.com`] } },
    }), true);
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'GrantsForSageMakerResources',
      principals: [new iam.ArnPrincipal(this.role.roleArn)],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }), true);
    allowLogGroupToUseKey(this, this.encryptionKey, logGroupName, 'EncryptEndpointLogs');

    // Created here (not by SageMaker on first write) so it is encrypted and expires.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: this.encryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });

    // Models: no fixed names, so a changed model is replaced and the old one cleaned up.
    for (const p of all) {
      const model = new sagemaker.CfnModel(this, `Model${sanitizeId(p.name)}`, {
        executionRoleArn: this.role.roleArn,
        enableNetworkIsolation: props.enableNetworkIsolation ?? true,
        primaryContainer: p.props.modelPackageArn
          ? { modelPackageName: p.props.modelPackageArn, environment: p.props.environment }
          : { image: p.props.image, modelDataUrl: p.props.modelDataUrl, environment: p.props.environment },
        tags: [{ key: 'mlspec:version', value: p.props.version }],
      });
      model.node.addDependency(this.executionRole.policy);
      applyReplaceablePolicy(model, removalPolicy);
      this.models[p.name] = model;
    }

    // The config goes through EndpointTraffic so that moving traffic never makes a new config (see traffic.ts).
    const renderVariant = (p: ResolvedVariant): ConfigVariant => ({
      VariantName: p.name,
      ModelName: this.models[p.name].attrModelName,
      InstanceType: p.props.instanceType,
      InitialInstanceCount: p.props.initialInstanceCount,
      InitialVariantWeight: p.props.weight,
    });
    const identityOf = (p: ResolvedVariant) => ({ ...p.props, weight: undefined });
    // One handler per endpoint for its configs, traffic and autoscaling (lib/handlers/sagemaker.ts).
    this.handler = new EndpointHandler(this, 'Handler', {
      shared: props.handler,
      endpointName: name,
      encryptionKey: this.encryptionKey,
      autoscaling: props.autoscaling !== undefined,
      logRetention: props.logRetention,
    });
    this.createRollbackAlarms(v.production.map((p) => p.name), props.rollback);
    const alarmsByVariant: Record<string, string[]> = {};
    for (const [variant, alarmName] of this.alarmVariants) (alarmsByVariant[variant] ??= []).push(alarmName);
    this.traffic = new EndpointTraffic(this, 'Traffic', {
      endpointName: name,
      serviceToken: this.handler.serviceToken,
      staged: props.stagedRollout ? { ...props.stagedRollout, alarms: alarmsByVariant } : undefined,
      config: {
        ProductionVariants: v.production.map(renderVariant),
        ShadowProductionVariants: v.shadow ? [renderVariant(v.shadow)] : undefined,
        KmsKeyId: v.encryptVolume ? this.encryptionKey.keyArn : undefined,
        DataCaptureConfig: props.dataCapture && captureBucket ? {
          EnableCapture: true,
          InitialSamplingPercentage: props.dataCapture.percent,
          DestinationS3Uri: captureBucket.s3UrlForObject(capturePrefix),
          KmsKeyId: this.encryptionKey.keyArn,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        } : undefined,
      },
      // A shadow's weight is its sampling share, part of the config; live weights are not.
      identity: {
        production: v.production.map(identityOf),
        shadow: v.shadow ? { ...v.shadow.props } : undefined,
        encryptVolume: v.encryptVolume,
        dataCapture: props.dataCapture ? { percent: props.dataCapture.percent, prefix: capturePrefix } : undefined,
        networkIsolation: props.enableNetworkIsolation ?? true,
      },
    });
    for (const model of Object.values(this.models)) this.traffic.config.node.addDependency(model);
    this.traffic.config.node.addDependency(...this.handler.ready);
    this.traffic.weights.node.addDependency(...this.handler.ready);
    this.endpointConfigName = this.traffic.endpointConfigName;

    const rollout = props.rollout ?? (props.rollback ? Rollout.allAtOnce() : undefined);

    this.resource = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: name,
      endpointConfigName: this.traffic.endpointConfigName,
      deploymentConfig: rollout ? {
        blueGreenUpdatePolicy: rollout._renderBlueGreen(),
        autoRollbackConfiguration: this.rollbackAlarms.length > 0
          ? { alarms: this.rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) }
          : undefined,
      } : undefined,
      // Autoscaled instance counts survive an update; weights and data capture come from the new config.
      retainAllVariantProperties: props.autoscaling ? true : undefined,
      excludeRetainedVariantProperties: props.autoscaling
        ? [{ variantPropertyType: 'DesiredWeight' }, { variantPropertyType: 'DataCaptureConfig' }]
        : undefined,
    });
    this.resource.node.addDependency(this.executionRole.policy, this.logGroup, this.traffic.config);
    this.traffic.weights.node.addDependency(this.resource);
    if (captureBucket) this.resource.node.addDependency(captureBucket);
    this.resource.applyRemovalPolicy(removalPolicy);
    this.endpointArn = this.resource.ref;

    if (props.autoscaling) {
      this.autoscaling = this.createAutoscaling(v.production, props.autoscaling, removalPolicy);
      this.autoscaling.before.node.addDependency(...this.handler.ready);
      // Deregister what the update would be refused for, update, then register what it added.
      this.resource.node.addDependency(this.autoscaling.before);
      this.autoscaling.after.node.addDependency(this.resource);
    }
  }

  /** `<endpoint>-<variant>-<signal>`: named after the endpoint, so the staged-rollout handlers may read this project's alarms only. */
  private rollbackAlarmName(variantName: string, signal: string): string {
    const name = `${this.endpointName}-${variantName}-${signal}`;
    this.alarmVariants.push([variantName, name]);
    return name;
  }

  private createRollbackAlarms(variants: string[], rollback?: RollbackProps): void {
    if (!rollback) return;
    // One alarm per production variant and signal: a 10 % canary failing hard barely moves an endpoint-wide rate.
    for (const variantName of variants) {
      const suffix = sanitizeId(variantName);
      if (rollback.errorRatePercent !== undefined) {
        this.rollbackAlarms.push(new cloudwatch.Alarm(this, `ErrorRate${suffix}`, {
          alarmName: this.rollbackAlarmName(variantName, '5xx-rate'),
          alarmDescription: `Rolls back deployments of ${this.endpointName}: 5xx errors of variant ${variantName} above ${rollback.errorRatePercent}% of invocations`,
          metric: new cloudwatch.MathExpression({
            expression: '100 * FILL(errors, 0) / invocations',
            usingMetrics: {
              errors: this.metricInvocation5XXErrors({ variantName }),
              invocations: this.metricInvocations({ variantName }),
            },
            period: Duration.minutes(1),
            label: `${variantName} 5xx error rate (%)`,
          }),
          threshold: rollback.errorRatePercent,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }));
      }
      if (rollback.p99Latency !== undefined) {
        this.rollbackAlarms.push(new cloudwatch.Alarm(this, `P99Latency${suffix}`, {
          alarmName: this.rollbackAlarmName(variantName, 'p99-latency'),
          alarmDescription: `Rolls back deployments of ${this.endpointName}: p99 model latency of variant ${variantName} above ${rollback.p99Latency.toHumanString()}`,
          metric: this.metricModelLatency({ variantName }),
          // ModelLatency is reported in microseconds.
          threshold: rollback.p99Latency.toMilliseconds({ integral: false }) * 1000,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }));
      }
    }
    for (const alarm of this.rollbackAlarms) {
      if (rollback.alarmActions && rollback.alarmActions.length > 0) {
        alarm.addAlarmAction(...rollback.alarmActions);
      } else {
        acknowledge(alarm, 'NIST.800.53.R5-CloudWatchAlarmAction',
          'A rollback alarm is read by SageMaker deployment guardrails, which poll its state and roll the endpoint back; it needs no notification action (pass rollback.alarmActions to add one).');
      }
    }
  }

  private createAutoscaling(variants: ResolvedVariant[], autoscaling: EndpointAutoscaling, removalPolicy: RemovalPolicy): VariantAutoscaling {
    const cooldowns = { ScaleInCooldown: autoscaling.scaleInCooldown.toSeconds(), ScaleOutCooldown: autoscaling.scaleOutCooldown.toSeconds() };
    return new VariantAutoscaling(this, 'Autoscaling', {
      endpointName: this.endpointName,
      serviceToken: this.handler.serviceToken,
      retain: removalPolicy === RemovalPolicy.RETAIN || removalPolicy === RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      variants: variants.map((p) => ({
        variantName: p.name,
        instanceType: p.props.instanceType,
        minCapacity: p.minCapacity,
        maxCapacity: p.maxCapacity,
        policy: autoscaling.metric === 'invocations'
          ? { TargetValue: autoscaling.target, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, ...cooldowns }
          : {
            // GPUUtilization is summed over the GPUs of an instance.
            TargetValue: autoscaling.target * (p.props.acceleratorCount as number),
            CustomizedMetricSpecification: {
              MetricName: 'GPUUtilization',
              Namespace: '/aws/sagemaker/Endpoints',
              Dimensions: [{ Name: 'EndpointName', Value: this.endpointName }, { Name: 'VariantName', Value: p.name }],
              Statistic: 'Average',
            },
            ...cooldowns,
          },
      })),
    });
  }
}

/** RETAIN keeps models and configs on stack delete; replaced ones are still deleted after an update. */
function applyReplaceablePolicy(resource: sagemaker.CfnModel, policy: RemovalPolicy): void {
  if (policy === RemovalPolicy.RETAIN || policy === RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE) {
    resource.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
    resource.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.DELETE;
  } else {
    resource.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }
}

/**
 * A variant's settings as strings, in one fixed order: the endpoint config's name hashes them
 * (JSON), so the order and the keys must not change with how the props were written.
 */
interface VariantSettings {
  readonly environment?: Record<string, string>;
  readonly version: string;
  readonly variantName?: string;
  readonly image: string;
  readonly modelDataUrl?: string;
  readonly modelPackageArn?: string;
  readonly artifactPrefix?: string;
  readonly instanceType: string;
  readonly initialInstanceCount: number;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  readonly weight: number;
  readonly acceleratorCount?: number;
}

function settingsOf(p: EndpointVariantProps): VariantSettings {
  return {
    environment: p.environment,
    version: p.version,
    variantName: p.variantName,
    image: p.image.imageUri,
    modelDataUrl: p.modelData?.s3Url,
    modelPackageArn: p.modelData?.modelPackageArn,
    artifactPrefix: p.artifactPrefix,
    instanceType: p.instanceType.name,
    initialInstanceCount: p.initialInstanceCount,
    minCapacity: p.minCapacity,
    maxCapacity: p.maxCapacity,
    weight: p.weight,
    acceleratorCount: p.acceleratorCount,
  };
}

interface ResolvedVariant {
  readonly name: string;
  readonly props: VariantSettings;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

interface Validated {
  readonly production: ResolvedVariant[];
  readonly shadow?: ResolvedVariant;
  readonly encryptVolume: boolean;
  readonly localStorageTypes: string[];
}

/** SageMaker's limit of production variants per endpoint config. */
const MAX_PRODUCTION_VARIANTS = 10;
/** AutoRollbackConfiguration.Alarms holds at most 10 alarms. */
const MAX_ROLLBACK_ALARMS = 10;

function validate(props: ModelEndpointProps): Validated {
  checkSageMakerName('endpointName', props.endpointName);
  if (props.variants.length === 0) throw new Error('variants must list at least one production variant');
  if (props.variants.length > MAX_PRODUCTION_VARIANTS) {
    throw new Error(`variants has ${props.variants.length} entries; SageMaker allows at most ${MAX_PRODUCTION_VARIANTS} production variants`);
  }
  const names = new Map<string, string>();
  const resolve = (prop: string, variant: EndpointVariantProps, shadow: boolean): ResolvedVariant => {
    const p = settingsOf(variant);
    if (!p.version) throw new Error(`${prop}.version must not be empty`);
    checkMetadataText(`${prop}.version`, p.version, 256);
    const name = p.variantName ?? `v${p.version}`;
    checkSageMakerName(`${prop}.variantName`, name);
    const seen = names.get(name.toLowerCase());
    if (seen) throw new Error(`${prop}.variantName '${name}' is also the name of ${seen}; variant names must be unique (case-insensitive)`);
    names.set(name.toLowerCase(), prop);
    parseEcrImage(`${prop}.image`, p.image);
    if (p.modelDataUrl !== undefined) parseS3Url(`${prop}.modelData`, p.modelDataUrl);
    if (p.modelPackageArn !== undefined && !Token.isUnresolved(p.modelPackageArn) &&
      !/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/.+$/.test(p.modelPackageArn)) {
      throw new Error(`${prop}.modelData must be a model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>); got '${p.modelPackageArn}'`);
    }
    if (!INSTANCE_TYPE.test(p.instanceType)) {
      throw new Error(`${prop}.instanceType must be a SageMaker hosting instance type like ml.g5.xlarge; got '${p.instanceType}'`);
    }
    checkInteger(`${prop}.initialInstanceCount`, p.initialInstanceCount, 1, 1000);
    checkInteger(`${prop}.weight`, p.weight, shadow ? 1 : 0, 100);
    const minCapacity = p.minCapacity ?? p.initialInstanceCount;
    const maxCapacity = p.maxCapacity ?? Math.max(minCapacity, p.initialInstanceCount);
    checkInteger(`${prop}.minCapacity`, minCapacity, 1, 1000);
    checkInteger(`${prop}.maxCapacity`, maxCapacity, 1, 1000);
    if (minCapacity > maxCapacity) throw new Error(`${prop}: minCapacity (${minCapacity}) must not exceed maxCapacity (${maxCapacity})`);
    if (p.initialInstanceCount < minCapacity || p.initialInstanceCount > maxCapacity) {
      throw new Error(`${prop}.initialInstanceCount (${p.initialInstanceCount}) must lie between minCapacity (${minCapacity}) and maxCapacity (${maxCapacity})`);
    }
    if (p.acceleratorCount !== undefined) checkInteger(`${prop}.acceleratorCount`, p.acceleratorCount, 1, 64);
    if (!shadow && props.autoscaling?.metric === 'gpu' && p.acceleratorCount === undefined) {
      throw new Error(`${prop}.acceleratorCount is required with GPU autoscaling: the target is per accelerator and SageMaker sums GPUUtilization over an instance's GPUs`);
    }
    return { name, props: p, minCapacity, maxCapacity };
  };

  const production = props.variants.map((p, i) => resolve(`variants[${i}]`, p, false));
  const total = props.variants.reduce((sum, p) => sum + p.weight, 0);
  if (total !== 100) {
    throw new Error(`variants: weights add up to ${total} (${production.map((p) => `${p.name}=${p.props.weight}`).join(', ')}); they must add up to 100`);
  }
  const shadow = props.shadowVariant ? resolve('shadowVariant', props.shadowVariant, true) : undefined;
  if (shadow && production.length !== 1) {
    throw new Error(`shadowVariant: SageMaker allows a shadow variant only on an endpoint with exactly one production variant; this one has ${production.length} (${production.map((p) => p.name).join(', ')})`);
  }

  if (props.dataCapture) checkInteger('dataCapture.percent', props.dataCapture.percent, 1, 100);
  if (props.dataCapture?.prefix !== undefined && !/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(props.dataCapture.prefix)) {
    throw new Error(`dataCapture.prefix must be an S3 key prefix without leading or trailing '/'; got '${props.dataCapture.prefix}'`);
  }

  const rb = props.rollback;
  if (rb) {
    if (rb.errorRatePercent === undefined && rb.p99Latency === undefined) {
      throw new Error('rollback must set errorRatePercent, p99Latency or both');
    }
    if (rb.errorRatePercent !== undefined && !(rb.errorRatePercent > 0 && rb.errorRatePercent < 100)) {
      throw new Error(`rollback.errorRatePercent must be above 0 and below 100; got ${rb.errorRatePercent}`);
    }
    if (rb.p99Latency !== undefined && !(rb.p99Latency.toMilliseconds({ integral: false }) > 0)) {
      throw new Error(`rollback.p99Latency must be longer than 0 ms; got ${rb.p99Latency.toHumanString()}`);
    }
    const alarms = production.length * ((rb.errorRatePercent !== undefined ? 1 : 0) + (rb.p99Latency !== undefined ? 1 : 0));
    if (alarms > MAX_ROLLBACK_ALARMS) {
      throw new Error(`rollback: ${production.length} production variants need ${alarms} alarms; SageMaker's AutoRollbackConfiguration takes at most ${MAX_ROLLBACK_ALARMS}`);
    }
  }

  const localStorageTypes = [...new Set([...production, ...(shadow ? [shadow] : [])].map((p) => p.props.instanceType).filter(hasInstanceStorage))];
  if (props.encryptStorageVolume === true && localStorageTypes.length > 0) {
    throw new Error(`encryptStorageVolume: ${localStorageTypes.join(', ')} ${localStorageTypes.length > 1 ? 'have' : 'has'} NVMe instance storage, for which SageMaker refuses a KmsKeyId; leave encryptStorageVolume unset or false`);
  }
  const encryptVolume = props.encryptStorageVolume ?? localStorageTypes.length === 0;
  return { production, shadow, encryptVolume, localStorageTypes };
}
