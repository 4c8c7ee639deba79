import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { allowLogGroupToUseKey } from '../log-key';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import { HANDLERS_DIR } from '../reconciler-provider';

export interface EndpointHandlerProps {
  readonly endpointName: string;
  /** Key of the handler's logs and environment; endpoint configs made with a KmsKeyId need it too. */
  readonly encryptionKey: kms.IKey;
  /** Whether the handler also scales the endpoint's variants (Application Auto Scaling rights). */
  readonly autoscaling: boolean;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The custom-resource handler of one endpoint (lib/handlers/sagemaker.ts, bundled): its endpoint
 * configs, its live traffic split and its variant autoscaling. CloudFormation invokes it directly
 * (the service token is the function's ARN) and it answers at the event's response URL, as CDK's
 * AwsCustomResource does: one function, role and log group per endpoint. Its role may touch this
 * endpoint and its configs only.
 */
export class EndpointHandler extends Construct {
  public readonly serviceToken: string;
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  /** The role's customer-managed policy: resources that call the handler depend on it. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: EndpointHandlerProps) {
    super(scope, id);
    const dir = path.join(HANDLERS_DIR, 'sagemaker');
    if (!existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`the bundled sagemaker handler is missing at ${dir}; run npm run build:handlers (npm ci does it)`);
    }
    const stack = Stack.of(this);
    const name = props.endpointName;
    const key = props.encryptionKey;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const logGroup = (lid: string, logGroupName: string) => {
      allowLogGroupToUseKey(this, key, logGroupName, `EncryptHandler${lid}`);
      return new logs.LogGroup(this, lid, { logGroupName, encryptionKey: key, retention, removalPolicy: RemovalPolicy.DESTROY });
    };
    const handlerLogs = logGroup('Logs', `/aws/lambda/mlspec-${name}-handler`);

    const endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: name.toLowerCase() });
    // Configs are named <endpoint>-<hash>; SageMaker lower-cases names in ARNs.
    const configArns = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${name.slice(0, 63 - 11).toLowerCase()}-*` });
    const handlerStreams = `${handlerLogs.logGroupArn}:log-stream:*`;
    const statements = [
      new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DescribeEndpointConfig'], resources: [configArns] }),
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'], resources: [endpointArn] }),
      // CreateEndpointConfig with a KmsKeyId checks that the caller may use the key.
      new iam.PolicyStatement({ actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt'], resources: [key.keyArn] }),
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [handlerStreams] }),
    ];
    let targetArns: string | undefined;
    let alarmArns: string | undefined;
    if (props.autoscaling) {
      targetArns = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
      alarmArns = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `TargetTracking-endpoint/${name}/variant/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      statements.push(
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
          resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint' })],
          conditions: { StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
        }),
      );
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `mlspec: endpoint configs, traffic${props.autoscaling ? ' and autoscaling' : ''} of SageMaker endpoint ${name}`,
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', { roles: [this.role], statements });
    acknowledgeWildcardResource(this.policy, configArns, 'Endpoint configs are named <endpoint>-<hash of their contents>: the policy covers this endpoint\'s prefix only.');
    acknowledgeWildcardResource(this.policy, handlerStreams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');
    if (targetArns && alarmArns) {
      acknowledge(this.policy, 'AwsSolutions-IAM5[Resource::*]', 'DescribeScalableTargets and DescribeScalingPolicies have no resource-level permissions; they only read.');
      acknowledgeWildcardResource(this.policy, targetArns, 'Scalable targets are named by random ARNs Application Auto Scaling assigns at registration; the handler only calls these actions with this endpoint\'s variant resource ids.');
      acknowledgeWildcardResource(this.policy, alarmArns, 'Target tracking names its alarms with a random suffix; the pattern covers this endpoint\'s variants only.');
    }

    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(dir),
      handler: 'index.handler',
      // Moving traffic waits for the endpoint to be InService (at most 10 minutes).
      timeout: Duration.minutes(12),
      memorySize: 256,
      role: this.role,
      logGroup: handlerLogs,
      environmentEncryption: key,
      description: `mlspec: endpoint configs, traffic and autoscaling of ${name}`,
    });
    this.function.node.addDependency(this.policy);

    // CloudFormation invokes the function itself (no Provider framework): it answers at the event's response URL.
    this.serviceToken = this.function.functionArn;
    acknowledge(this, 'NIST.800.53.R5-LambdaConcurrency', 'Runs only during deployments, one CloudFormation event at a time; reserved concurrency would only take capacity from the account.');
    acknowledge(this, 'NIST.800.53.R5-LambdaDLQ', 'CloudFormation invokes it with a custom-resource event and waits for the answer at the event\'s response URL; an event that is never answered fails the stack operation at its timeout, so a dead-letter queue would hold nothing to act on.');
    acknowledge(this, 'NIST.800.53.R5-LambdaInsideVPC', 'Calls only the SageMaker and Application Auto Scaling control-plane APIs; a VPC would add NAT or endpoints without isolating anything.');
  }
}
