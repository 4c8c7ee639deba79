import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IDependable } from 'constructs';
import { HandlerFunction, wildcardsOf, type ISageMakerHandler } from './handler-function';

export interface EndpointHandlerProps {
  readonly endpointName: string;
  /** Key of the handler's logs and environment; endpoint configs made with a KmsKeyId need it too. */
  readonly encryptionKey: kms.IKey;
  /** Whether the handler also scales the endpoint's variants (Application Auto Scaling rights). */
  readonly autoscaling: boolean;
  readonly logRetention?: logs.RetentionDays;
  /**
   * A handler function to share (the registry's, in a ModelStack): its role gets this endpoint's
   * statements instead of a function of its own being made.
   * @default - a function of its own
   */
  readonly shared?: ISageMakerHandler;
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
  /** The endpoint's own function, when it has one (not when it shares a handler). */
  public readonly function?: lambda.Function;
  /** What resources that call the handler depend on: its permissions, where they are in this stack. */
  public readonly ready: IDependable[];

  constructor(scope: Construct, id: string, props: EndpointHandlerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = props.endpointName;
    const key = props.encryptionKey;
    const endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: name.toLowerCase() });
    // Configs are named <endpoint>-<hash>; SageMaker lower-cases names in ARNs.
    const configArns = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${name.slice(0, 63 - 11).toLowerCase()}-*` });
    const { statements, wildcards } = endpointRights(stack, {
      endpoints: endpointArn,
      configs: configArns,
      scalingAlarmsOf: name,
      // CreateEndpointConfig with a KmsKeyId checks that the caller may use the key.
      keys: new iam.PolicyStatement({ actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [key.keyArn] }),
      autoscaling: props.autoscaling,
    });
    if (props.shared) {
      props.shared.allow(statements, wildcardsOf(wildcards));
      this.serviceToken = props.shared.serviceToken;
      this.ready = props.shared.ready;
    } else {
      // The stack's one handler (made on first use), with this endpoint's rights added.
      const fn = HandlerFunction.forStack(this, key);
      fn.allow(statements, wildcardsOf(wildcards));
      this.serviceToken = fn.serviceToken;
      this.function = fn.function;
      this.ready = fn.ready;
    }
  }
}

/** Which endpoints a handler serves: ARNs (or patterns) of the endpoints and configs, the endpoint name the scaling alarms carry, the key grant. */
export interface EndpointScope {
  readonly endpoints: string;
  readonly configs: string;
  /** An endpoint name or name pattern (`<project>-*`): target tracking names its alarms `TargetTracking-endpoint/<name>/...`. */
  readonly scalingAlarmsOf: string;
  /** The statement that lets CreateEndpointConfig use the config's key. */
  readonly keys: iam.PolicyStatement;
  readonly autoscaling: boolean;
}

/**
 * What the SageMaker handler needs for endpoints' configs, traffic and variant scaling: one
 * endpoint's (`EndpointHandler`) or, by name pattern, a project's (the handlers stack).
 */
export function endpointRights(stack: Stack, scope: EndpointScope): { statements: iam.PolicyStatement[]; wildcards: Array<[string, string]> } {
  const statements = [
    new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DescribeEndpointConfig'], resources: [scope.configs] }),
    new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'], resources: [scope.endpoints] }),
    scope.keys,
  ];
  const wildcards: Array<[string, string]> = [[scope.configs, 'Endpoint configs are named <endpoint>-<hash of their contents>: the policy covers these endpoints\' prefix only.']];
  if (scope.endpoints.includes('*')) wildcards.push([scope.endpoints, 'Endpoints of this project only: <project>-<model>-<env>.']);
  if (!scope.autoscaling) return { statements, wildcards };
  const targetArns = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
  const alarmArns = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `TargetTracking-endpoint/${scope.scalingAlarmsOf}/variant/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  statements.push(
    // Identical in every endpoint's rights, so a shared handler's policy holds it once (CDK removes duplicate statements).
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
  wildcards.push(
    ['*', 'DescribeScalableTargets and DescribeScalingPolicies have no resource-level permissions; they only read.'],
    [targetArns, 'Scalable targets are named by random ARNs Application Auto Scaling assigns at registration; the handler only calls these actions with its endpoints\' variant resource ids.'],
    [alarmArns, 'Target tracking names its alarms with a random suffix; the pattern covers these endpoints\' variants only.'],
  );
  return { statements, wildcards };
}
