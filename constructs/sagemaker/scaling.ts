import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { VariantScaling } from '../../lib/providers/sagemaker/scaling';
import { allowLogGroupToUseKey } from '../log-key';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import { HANDLERS_DIR } from '../reconciler-provider';

export type { VariantScaling } from '../../lib/providers/sagemaker/scaling';

export interface VariantAutoscalingProps {
  readonly endpointName: string;
  /** Every autoscaled production variant, as the endpoint config declares it. */
  readonly variants: VariantScaling[];
  /** Key of the handler's logs and environment. */
  readonly encryptionKey: kms.IKey;
  /** Keep the variants' scaling when the stack is deleted (the endpoint is retained). */
  readonly retain: boolean;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Autoscaling of an endpoint's production variants through two custom resources around the
 * endpoint: `before` (the endpoint depends on it) deregisters variants that the endpoint update
 * would remove or move to another instance type, which SageMaker otherwise refuses; `after`
 * (depends on the endpoint) registers the targets and target-tracking policies. CloudFormation's
 * own AWS::ApplicationAutoScaling resources cannot do this: a removed ScalableTarget is deleted
 * only after the endpoint update that needed it gone (aws-cdk#29626).
 */
export class VariantAutoscaling extends Construct {
  /** Runs ahead of the endpoint update. */
  public readonly before: CustomResource;
  /** Runs once the endpoint is updated. */
  public readonly after: CustomResource;
  public readonly handler: lambda.Function;
  public readonly handlerRole: iam.Role;

  constructor(scope: Construct, id: string, props: VariantAutoscalingProps) {
    super(scope, id);
    const dir = path.join(HANDLERS_DIR, 'sagemaker-scaling');
    if (!existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`the bundled sagemaker-scaling handler is missing at ${dir}; run npm run build:handlers (npm ci does it)`);
    }
    const stack = Stack.of(this);
    const name = props.endpointName;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const logGroup = (lid: string, logGroupName: string) => {
      allowLogGroupToUseKey(this, props.encryptionKey, logGroupName, `EncryptScaling${lid}`);
      return new logs.LogGroup(this, lid, { logGroupName, encryptionKey: props.encryptionKey, retention, removalPolicy: RemovalPolicy.DESTROY });
    };
    const handlerLogs = logGroup('Logs', `/aws/lambda/mlspec-${name}-scaling`);
    const frameworkLogs = logGroup('FrameworkLogs', `/aws/lambda/mlspec-${name}-scaling-framework`);

    const endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: name.toLowerCase() });
    const configArns = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '*' });
    const targetArns = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
    const alarmArns = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `TargetTracking-endpoint/${name}/variant/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const serviceLinkedRole = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    });
    const handlerStreams = `${handlerLogs.logGroupArn}:log-stream:*`;

    this.handlerRole = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `mlspec: autoscaling of the variants of SageMaker endpoint ${name}`,
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.handlerRole],
      statements: [
        // Which variants the endpoint has, and their instance types (from its current config, whatever its name).
        new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'], resources: [endpointArn] }),
        new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpointConfig'], resources: [configArns] }),
        new iam.PolicyStatement({ sid: 'ReadScalingState', actions: ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DeregisterScalableTarget', 'application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeleteScalingPolicy'],
          resources: [targetArns],
        }),
        // Target tracking makes its alarms as the caller: TargetTracking-endpoint/<name>/variant/<variant>-AlarmHigh-<id>.
        new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'], resources: [alarmArns] }),
        // The first registration in an account creates Application Auto Scaling's SageMaker role.
        new iam.PolicyStatement({
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [serviceLinkedRole],
          conditions: { StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
        }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [handlerStreams] }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.encryptionKey.keyArn] }),
      ],
    });
    acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', 'DescribeScalableTargets and DescribeScalingPolicies have no resource-level permissions; they only read.');
    acknowledgeWildcardResource(policy, configArns, 'The handler reads whichever endpoint config the endpoint serves (its name is only known from DescribeEndpoint); DescribeEndpointConfig only reads.');
    acknowledgeWildcardResource(policy, targetArns, 'Scalable targets are named by random ARNs Application Auto Scaling assigns at registration; the handler only calls these actions with this endpoint\'s variant resource ids.');
    acknowledgeWildcardResource(policy, alarmArns, 'Target tracking names its alarms with a random suffix; the pattern covers this endpoint\'s variants only.');
    acknowledgeWildcardResource(policy, handlerStreams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');

    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(dir),
      handler: 'index.onEvent',
      timeout: Duration.minutes(5),
      memorySize: 256,
      role: this.handlerRole,
      logGroup: handlerLogs,
      environmentEncryption: props.encryptionKey,
      description: `mlspec: autoscaling of the variants of ${name}, around its updates`,
    });
    this.handler.node.addDependency(policy);

    const frameworkRole = new iam.Role(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `CDK Provider framework of mlspec autoscaling for ${name}`,
    });
    const frameworkStreams = `${frameworkLogs.logGroupArn}:log-stream:*`;
    const frameworkPolicy = new iam.ManagedPolicy(this, 'FrameworkPolicy', {
      roles: [frameworkRole],
      statements: [
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [frameworkStreams] }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.encryptionKey.keyArn] }),
      ],
    });
    acknowledgeWildcardResource(frameworkPolicy, frameworkStreams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
      providerFunctionEnvEncryption: props.encryptionKey,
    });
    acknowledgeWildcardResource(frameworkRole, `${this.handler.functionArn}:*`, 'Granted by the CDK Provider framework to invoke this handler function; the :* covers its versions and aliases.');
    acknowledge(frameworkRole, 'NIST.800.53.R5-IAMNoInlinePolicy', 'The CDK Provider framework adds its invoke grant as the role’s default policy; our own statements are in a customer-managed policy.');
    acknowledge(provider, 'AwsSolutions-L1', 'The CDK Provider framework picks its own Node.js runtime for its function (the newest it knows in this aws-cdk-lib); our handler runs Node.js 24.');
    acknowledge(this, 'NIST.800.53.R5-LambdaConcurrency', 'Runs only during deployments, one CloudFormation event at a time; reserved concurrency would only take capacity from the account.');
    acknowledge(this, 'NIST.800.53.R5-LambdaDLQ', 'Invoked synchronously by the Provider framework, which reports every failure to CloudFormation; there is no asynchronous event to dead-letter.');
    acknowledge(this, 'NIST.800.53.R5-LambdaInsideVPC', 'Calls only the SageMaker and Application Auto Scaling control-plane APIs; a VPC would add NAT or endpoints without isolating anything.');

    const properties = (phase: 'before' | 'after') => ({
      EndpointName: name,
      Phase: phase,
      Variants: JSON.stringify(props.variants),
      Retain: String(props.retain),
    });
    this.before = new CustomResource(this, 'Before', { serviceToken: provider.serviceToken, resourceType: 'Custom::SageMakerVariantScaling', properties: properties('before') });
    this.after = new CustomResource(this, 'After', { serviceToken: provider.serviceToken, resourceType: 'Custom::SageMakerVariantScaling', properties: properties('after') });
  }
}
