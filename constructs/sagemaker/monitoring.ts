import { ArnFormat, CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import { createHash } from 'node:crypto';
import { monitorNames, modelMonitorImage, type BaselineJob, type DriftThresholds } from '../../lib/providers/sagemaker/monitor-names';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import { ReconcilerProvider } from '../reconciler-provider';
import type { ModelEndpoint } from './endpoint';
import { checkSageMakerName, parseS3Url, sanitizeId } from './names';
import type { InstanceType } from './values';
import { INSTANCE_TYPE } from './instance-types';

/** The handlers that produce the baseline: the staged-rollout Provider framework of the environment's handlers stack. */
export interface BaselineHandlers {
  /** Service token of the Provider framework running the SageMaker bundle's `onStagedEvent` / `isStagedComplete`. */
  readonly serviceToken: string;
  /** ARN of the role those handlers run as: the capture bucket's and the key's policies let it read and write the baseline. */
  readonly roleArn: string;
}

export interface DataQualityMonitorProps {
  /** The endpoint to monitor; it must capture data (its capture bucket and key are the monitor's). */
  readonly endpoint: ModelEndpoint;
  /** SageMaker's ScheduleExpression: `cron(0 * ? * * *)`, `cron(0 H ? * * *)` or `cron(0 H/N ? * * *)` (the plan's `monitoring.cron`). */
  readonly schedule: string;
  /** The training data the baseline is computed from (s3://, an object or a prefix). */
  readonly baselineUri: string;
  /** Distribution distance above which a feature has drifted (above 0, at most 1). */
  readonly driftThreshold: number;
  /**
   * Per-feature thresholds; each feature also gets a CloudWatch alarm on its drift metric.
   * @default - none
   */
  readonly featureThresholds?: Record<string, number>;
  /**
   * Email addresses the alarms notify, through a new KMS-encrypted SNS topic.
   * @default - none
   */
  readonly alertEmails?: string[];
  /**
   * An SNS topic the alarms notify.
   * @default - none
   */
  readonly snsTopicArn?: string;
  /**
   * The environment's baseline handlers (a HandlersStack's staged-rollout provider).
   * @default - the stack's own set of handlers, made on first use
   */
  readonly baselineHandlers?: BaselineHandlers;
  /**
   * Key prefix of the endpoint's captured data in its capture bucket.
   * @default 'data-capture' (ModelEndpoint's default)
   */
  readonly capturePrefix?: string;
  /**
   * Instance type of the baselining and monitoring jobs.
   * @default 'ml.m5.xlarge' (what `mlspec plan` prices)
   */
  readonly instanceType?: InstanceType;
  /**
   * The training data's format, as the analyzer's `dataset_format` takes it.
   * @default - CSV with a header row, the model's outputs first (the SageMaker Python SDK's DatasetFormat.csv())
   */
  readonly datasetFormat?: Record<string, unknown>;
}

/** SageMaker's DataQualityJobDefinition and MonitoringSchedule names: 1-63 letters, digits and hyphens. */
const NAME_MAX = 63;
/** The analyzer runs on this volume (GB); the SDK's default is 30, our jobs read one dataset at a time. */
const VOLUME_GB = 20;
/**
 * Monitoring runs stop after an hour, the SDK's default for monitoring jobs. The baselining job stops
 * after 50 minutes, inside the Provider framework's one-hour wait, so a deploy reports its end.
 */
const MONITORING_RUNTIME = 3600;
const BASELINE_RUNTIME = 3000;
/** Where the analyzer reads and writes inside its container (the SDK's paths). */
const ENDPOINT_INPUT_PATH = '/opt/ml/processing/input/endpoint';
const OUTPUT_PATH = '/opt/ml/processing/output';
/** Namespace and dimensions of the analyzer's per-feature metrics on real-time endpoints. */
export const DRIFT_METRIC_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';
/**
 * The namespaces the monitoring role may publish to. The guide spells the real-time namespace three
 * ways (model-monitor-interpreting-cloudwatch: `/aws/sagemaker/Endpoints/data-metric`;
 * model-monitor-byoc-cloudwatch: `/aws/sagemaker/Endpoint/data-metrics`; Clarify and Model Quality
 * pages: `aws/sagemaker/Endpoints/<kind>-metrics`), so the grant names all three.
 */
const METRIC_NAMESPACES = [DRIFT_METRIC_NAMESPACE, '/aws/sagemaker/Endpoints/data-metric', '/aws/sagemaker/Endpoint/data-metrics'];

/** Hours between runs of a SageMaker monitoring cron: hourly, daily at H, or every N hours from H. */
export function scheduleHours(cron: string): number {
  if (/^cron\(0 \* \? \* \* \*\)$/.test(cron)) return 1;
  const m = /^cron\(0 (\d{1,2})(?:\/(\d{1,2}))? \? \* \* \*\)$/.exec(cron);
  if (m && Number(m[1]) <= 23 && (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 24))) return m[2] === undefined ? 24 : Number(m[2]);
  throw new Error(`schedule must be a SageMaker monitoring cron, cron(0 * ? * * *), cron(0 H ? * * *) or cron(0 H/N ? * * *); got '${cron}'`);
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10);

/**
 * SageMaker Model Monitor's data-quality monitor of one endpoint, declared with `cdk deploy`:
 * - the **baseline**: a custom resource (Kind `MonitoringBaseline`, lib/providers/sagemaker/monitoring.ts)
 *   whose handler runs a baselining processing job of the analyzer image on the training data and
 *   writes the spec's drift thresholds into its suggested constraints;
 * - an `AWS::SageMaker::DataQualityJobDefinition` comparing the captured traffic with that baseline,
 *   reports to the capture bucket under `monitoring/reports`, everything encrypted with the
 *   endpoint's key, traffic between instances encrypted, CloudWatch metrics on;
 * - an `AWS::SageMaker::MonitoringSchedule` running it on the spec's schedule;
 * - a CloudWatch alarm per feature with its own threshold, on the feature's drift metric, notifying
 *   the spec's SNS topic and (for email addresses) a new KMS-encrypted topic;
 * - the monitoring role: reads the captured data and the baseline, writes the monitor's output,
 *   uses the key, writes its logs and drift metrics; nothing more.
 *
 * The job definition is named after a hash of everything in it (CloudFormation replaces it on any
 * change, and a fixed name could not be replaced); the schedule keeps its name and moves to the new
 * definition.
 */
/** A data-quality monitoring schedule, made here or elsewhere. */
export interface IDataQualityMonitor extends IConstruct {
  readonly scheduleName: string;
  readonly scheduleArn: string;
}

export class DataQualityMonitor extends Construct implements IDataQualityMonitor {
  /** A monitoring schedule deployed elsewhere, by name (for example to alarm on it from a stack of your own). */
  public static fromScheduleName(scope: Construct, id: string, scheduleName: string): IDataQualityMonitor {
    checkSageMakerName('DataQualityMonitor.fromScheduleName: scheduleName', scheduleName);
    class Import extends Construct implements IDataQualityMonitor {
      public readonly scheduleName = scheduleName;
      public readonly scheduleArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'monitoring-schedule', resourceName: scheduleName.toLowerCase() });
    }
    return new Import(scope, id);
  }

  /** The role the baselining and monitoring jobs run as. */
  public readonly role: iam.Role;
  public readonly policy: iam.ManagedPolicy;
  /** The baseline's custom resource: its `StatisticsUri`, `ConstraintsUri` and `JobName`. */
  public readonly baseline: CustomResource;
  /** The baselining job's name (a retry after a failed job adds `-2`, `-3`, ...). */
  public readonly baselineJobName: string;
  public readonly jobDefinition: sagemaker.CfnDataQualityJobDefinition;
  public readonly jobDefinitionName: string;
  public readonly schedule: sagemaker.CfnMonitoringSchedule;
  public readonly scheduleName: string;
  public readonly scheduleArn: string;
  /** One alarm per feature with its own threshold. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The topic of the alert emails, when there are any. */
  public readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: DataQualityMonitorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const endpoint = props.endpoint;
    const endpointName = endpoint.endpointName;
    const bucket = endpoint.dataCaptureBucket;
    if (!bucket) throw new Error(`DataQualityMonitor of ${endpointName}: the endpoint captures no data, which the monitor reads; give the ModelEndpoint dataCapture`);
    if (Token.isUnresolved(stack.region)) throw new Error(`DataQualityMonitor of ${endpointName}: the stack needs an explicit region (env.region): the analyzer image is published per region`);
    const key = endpoint.encryptionKey;
    const hours = scheduleHours(props.schedule);
    const training = parseS3Url('baselineUri', props.baselineUri);
    checkThreshold('driftThreshold', props.driftThreshold);
    const features = Object.entries(props.featureThresholds ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const names = monitorNames(endpointName);
    for (const [name, threshold] of features) {
      checkThreshold(`featureThresholds.${name}`, threshold);
      // CloudWatch metric and alarm names are ASCII, at most 255 characters.
      if (!/^[\x20-\x7e]+$/.test(name) || `feature_baseline_drift_${name}`.length > 255 || names.alarm(name).length > 255) {
        throw new Error(`featureThresholds: '${name}' cannot be named in CloudWatch (the metric feature_baseline_drift_<name> and the alarm ${names.alarm('<name>')}: printable ASCII, at most 255 characters); use the training data's column name`);
      }
    }
    const image = modelMonitorImage(stack.region);
    this.scheduleName = names.schedule;
    checkSageMakerName('monitoring schedule name', this.scheduleName);
    const instanceType = props.instanceType?.name ?? 'ml.m5.xlarge';
    if (!INSTANCE_TYPE.test(instanceType)) {
      throw new Error(`instanceType must be a SageMaker processing instance type like ml.m5.xlarge; got '${instanceType}'`);
    }
    const capturePrefix = props.capturePrefix ?? 'data-capture';
    const objects = (prefix: string) => bucket.arnForObjects(`${prefix}/*`);

    // ---- the role the baselining and monitoring jobs run as
    this.role = new iam.Role(this, 'Role', {
      roleName: names.role,
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `mlspec: the data-quality monitor of SageMaker endpoint ${endpointName}`,
    });
    const trainingObjects = stack.formatArn({ service: 's3', region: '', account: '', resource: training.bucket, resourceName: `${training.key}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const trainingBucket = stack.formatArn({ service: 's3', region: '', account: '', resource: training.bucket });
    const processingLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/ProcessingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.role],
      description: `mlspec: what the data-quality monitor of ${endpointName} may do`,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadCapturedData', actions: ['s3:GetObject'], resources: [objects(capturePrefix)] }),
        new iam.PolicyStatement({ sid: 'ReadBaselineFiles', actions: ['s3:GetObject'], resources: [objects('monitoring/baseline')] }),
        new iam.PolicyStatement({ sid: 'WriteMonitorOutput', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [objects('monitoring')] }),
        new iam.PolicyStatement({ sid: 'ListCaptureAndOutput', actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${capturePrefix}/*`, 'monitoring/*'] } } }),
        new iam.PolicyStatement({ sid: 'ReadTrainingData', actions: ['s3:GetObject'], resources: [trainingObjects] }),
        new iam.PolicyStatement({ sid: 'ListTrainingData', actions: ['s3:ListBucket'], resources: [trainingBucket], ...(training.key ? { conditions: { StringLike: { 's3:prefix': [`${training.key}*`] } } } : {}) }),
        new iam.PolicyStatement({ sid: 'UseModelKey', actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [key.keyArn] }),
        new iam.PolicyStatement({ sid: 'GrantVolumeKey', actions: ['kms:CreateGrant'], resources: [key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
        new iam.PolicyStatement({ sid: 'WriteJobLogs', actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [processingLogs] }),
        new iam.PolicyStatement({ sid: 'PublishDriftMetrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACES } } }),
      ],
    });
    acknowledgeWildcardResource(this.policy, objects(capturePrefix), 'SageMaker data capture names its objects by variant and hour under the capture prefix; the monitor reads only that prefix.');
    acknowledgeWildcardResource(this.policy, objects('monitoring/baseline'), 'The baseline files are named by the baselining job under this prefix of the capture bucket.');
    acknowledgeWildcardResource(this.policy, objects('monitoring'), 'Monitoring runs write their reports under monitoring/ of the capture bucket, named by SageMaker per run.');
    acknowledgeWildcardResource(this.policy, trainingObjects, 'The spec\'s baseline is an S3 prefix (or object) of training data; the job reads the objects under it.');
    acknowledgeWildcardResource(this.policy, processingLogs, 'SageMaker writes processing-job logs to this fixed log group, one stream per job and instance.');
    acknowledge(this.policy, 'AwsSolutions-IAM5[Resource::*]', 'cloudwatch:PutMetricData has no resource-level permissions; it is limited to Model Monitor\'s data-metrics namespaces by a condition.');

    // ---- the baseline: statistics and constraints from the training data, with the spec's thresholds
    const handlers = props.baselineHandlers ?? this.ownHandlers(endpointName, key);
    // The handlers read the job's output and write the constraints with the thresholds, below monitoring/baseline/.
    const bucketGrant = bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'MlspecBaselineHandler',
      principals: [new iam.ArnPrincipal(handlers.roleArn)],
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [objects('monitoring/baseline')],
    }));
    if (!bucketGrant.statementAdded) throw new Error(`DataQualityMonitor of ${endpointName}: the capture bucket must be one of this app (its policy lets the baseline handler read and write monitoring/baseline/)`);
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'MlspecBaselineHandlerThroughS3',
      principals: [new iam.ArnPrincipal(handlers.roleArn)],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
    }), true);
    const job: BaselineJob = {
      BaselineUri: props.baselineUri,
      OutputUri: `s3://${bucket.bucketName}/monitoring/baseline`,
      RoleArn: this.role.roleArn,
      ImageUri: image,
      KmsKeyId: key.keyArn,
      InstanceType: instanceType,
      VolumeSizeInGB: VOLUME_GB,
      MaxRuntimeInSeconds: BASELINE_RUNTIME,
      DatasetFormat: props.datasetFormat ?? { csv: { header: true, output_columns_position: 'START' } },
    };
    // Named after what the job computes (not the thresholds, which only edit its constraints): a retried Create finds it.
    this.baselineJobName = `${endpointName.slice(0, 49).replace(/-+$/, '')}-${hash(stack.resolve(job))}`;
    const thresholds: DriftThresholds = { default: props.driftThreshold, features: Object.fromEntries(features) };
    const baselineProperties = { Kind: 'MonitoringBaseline', JobName: this.baselineJobName, Job: stack.toJsonString(job), Thresholds: JSON.stringify(thresholds) };
    this.baseline = new CustomResource(this, 'Baseline', {
      serviceToken: handlers.serviceToken,
      resourceType: 'Custom::SageMakerMonitoringBaseline',
      properties: baselineProperties,
    });
    // The job runs as the role (its policy in place), the handlers use the bucket and key (their policies in place).
    this.baseline.node.addDependency(this.policy, bucket, key);

    // ---- the job definition and its schedule
    const definition: sagemaker.CfnDataQualityJobDefinitionProps = {
      dataQualityAppSpecification: { imageUri: image, environment: { publish_cloudwatch_metrics: 'Enabled' } },
      // The files, not BaseliningJobName: the job's own constraints.json lacks the spec's thresholds.
      dataQualityBaselineConfig: {
        statisticsResource: { s3Uri: this.baseline.getAttString('StatisticsUri') },
        constraintsResource: { s3Uri: this.baseline.getAttString('ConstraintsUri') },
      },
      dataQualityJobInput: { endpointInput: { endpointName, localPath: ENDPOINT_INPUT_PATH, s3InputMode: 'File', s3DataDistributionType: 'FullyReplicated' } },
      dataQualityJobOutputConfig: {
        kmsKeyId: key.keyArn,
        monitoringOutputs: [{ s3Output: { s3Uri: `s3://${bucket.bucketName}/monitoring/reports`, localPath: OUTPUT_PATH, s3UploadMode: 'EndOfJob' } }],
      },
      jobResources: { clusterConfig: { instanceCount: 1, instanceType, volumeSizeInGb: VOLUME_GB, volumeKmsKeyId: key.keyArn } },
      networkConfig: { enableInterContainerTrafficEncryption: true },
      roleArn: this.role.roleArn,
      stoppingCondition: { maxRuntimeInSeconds: MONITORING_RUNTIME },
    };
    // The baseline's references resolve to the same text whatever the thresholds: its properties go into the name too.
    this.jobDefinitionName = `${endpointName.slice(0, NAME_MAX - 11).replace(/-+$/, '')}-${hash(stack.resolve({ definition, baseline: baselineProperties }))}`;
    this.jobDefinition = new sagemaker.CfnDataQualityJobDefinition(this, 'JobDefinition', { ...definition, jobDefinitionName: this.jobDefinitionName });
    this.jobDefinition.node.addDependency(this.policy, endpoint.resource);

    this.schedule = new sagemaker.CfnMonitoringSchedule(this, 'Schedule', {
      monitoringScheduleName: this.scheduleName,
      monitoringScheduleConfig: {
        monitoringJobDefinitionName: this.jobDefinitionName,
        monitoringType: 'DataQuality',
        scheduleConfig: { scheduleExpression: props.schedule },
      },
    });
    this.scheduleArn = this.schedule.attrMonitoringScheduleArn;
    this.schedule.node.addDependency(this.jobDefinition);

    // ---- alerts: an alarm per feature with its own threshold, to the spec's destinations
    const destinations: cloudwatch.IAlarmAction[] = [];
    if (props.snsTopicArn) destinations.push(new actions.SnsAction(sns.Topic.fromTopicArn(this, 'AlertTopic', props.snsTopicArn)));
    const emails = props.alertEmails ?? [];
    if (emails.length > 0) {
      this.topic = new sns.Topic(this, 'Alerts', { displayName: `mlspec drift alerts of ${endpointName}`.slice(0, 100), masterKey: key, enforceSSL: true });
      for (const email of emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      // CloudWatch publishes the alarms here: the topic's policy (which enforceSSL makes explicit) and the key must let it.
      this.topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'DriftAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${endpointName}-drift-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }));
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'DriftAlarmsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }), true);
      destinations.push(new actions.SnsAction(this.topic));
    }
    for (const [feature, threshold] of features) {
      const alarm = new cloudwatch.Alarm(this, `Drift${sanitizeId(feature)}${hash(feature).slice(0, 4)}`, {
        alarmName: names.alarm(feature),
        alarmDescription: `SageMaker Model Monitor of ${endpointName}: the distribution of feature ${feature} drifted from the baseline by more than ${threshold}`,
        metric: new cloudwatch.Metric({
          namespace: DRIFT_METRIC_NAMESPACE,
          metricName: `feature_baseline_drift_${feature}`,
          dimensionsMap: { Endpoint: endpointName, MonitoringSchedule: this.scheduleName },
          // One value per run; the alarm looks at the largest in a run's interval.
          statistic: 'Maximum',
          // An alarm evaluates at most one day.
          period: Duration.hours(Math.min(hours, 24)),
        }),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // Between runs there is no value: the alarm keeps the last run's verdict (with MISSING it would
        // fall to INSUFFICIENT_DATA and notify again at the next drifting run).
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
      if (destinations.length > 0) alarm.addAlarmAction(...destinations);
      else acknowledge(alarm, 'NIST.800.53.R5-CloudWatchAlarmAction', 'serving.monitoring.alerts names no email and no SNS topic; the alarm still records the drift in its state and history.');
      this.alarms.push(alarm);
    }
  }

  /** Without a handlers stack: the stack's own staged-rollout handlers (made on first use), allowed to run this baseline. */
  private ownHandlers(endpointName: string, key: kms.IKey): BaselineHandlers {
    const stack = Stack.of(this);
    const provider = ReconcilerProvider.forStack(this, {
      provider: 'sagemaker',
      title: 'SageMaker',
      model: 'monitoring baselines',
      environment: stack.stackName,
      entryPoints: { onEvent: 'index.onStagedEvent', isComplete: 'index.isStagedComplete' },
      networkReason: 'Calls only the SageMaker and S3 APIs during deployments; a VPC would add NAT or endpoints without isolating anything.',
    });
    const jobs = stack.formatArn({ service: 'sagemaker', resource: 'processing-job', resourceName: `${endpointName.slice(0, 49).replace(/-+$/, '').toLowerCase()}-*` });
    const policy = new iam.ManagedPolicy(this, 'BaselineHandlerPolicy', {
      roles: [provider.handlerRole],
      description: `mlspec: the baseline of the data-quality monitor of ${endpointName}`,
      statements: [
        new iam.PolicyStatement({ sid: 'BaselineJobs', actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob'], resources: [jobs] }),
        new iam.PolicyStatement({ sid: 'PassMonitoringRole', actions: ['iam:PassRole'], resources: [this.role.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
        new iam.PolicyStatement({ sid: 'JobKey', actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [key.keyArn] }),
      ],
    });
    acknowledgeWildcardResource(policy, jobs, 'Baselining jobs are named <endpoint>-<hash of their inputs>[-attempt]; the handler starts and reads only those.');
    return { serviceToken: provider.serviceToken, roleArn: provider.handlerRole.roleArn };
  }
}

function checkThreshold(prop: string, value: number): void {
  if (!(typeof value === 'number' && value > 0 && value <= 1)) throw new Error(`${prop} must be a distance above 0 and at most 1; got ${value}`);
}
