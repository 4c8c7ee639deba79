import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { acknowledge, acknowledgeWildcardResource } from '../nag';

/** One production or shadow variant as CreateEndpointConfig takes it (SDK shape). */
export interface ConfigVariant {
  readonly VariantName: string;
  readonly ModelName: string;
  readonly InstanceType: string;
  readonly InitialInstanceCount: number;
  readonly InitialVariantWeight: number;
}

export interface EndpointConfigParams {
  readonly ProductionVariants: ConfigVariant[];
  readonly ShadowProductionVariants?: ConfigVariant[];
  readonly KmsKeyId?: string;
  readonly DataCaptureConfig?: Record<string, unknown>;
}

export interface TrafficProps {
  readonly endpointName: string;
  /** What the endpoint config holds, weights included (they are its initial split). */
  readonly config: EndpointConfigParams;
  /**
   * Everything that defines the config except the weights, in plain values (no tokens): the
   * config's name hashes it, so moving traffic keeps the config and a new version makes a new one.
   */
  readonly identity: unknown;
  readonly encryptionKey: kms.IKey;
  /** Log group of the custom-resource function (encrypted, with retention). */
  readonly logGroup: logs.ILogGroup;
}

/**
 * The endpoint config and the traffic split, kept apart so a change that only moves traffic never
 * rebuilds the fleet:
 * - `config`: CreateEndpointConfig through a custom resource named `<endpoint>-<hash>`, the hash
 *   taken over everything but the weights. A weight-only change updates nothing here; a new
 *   version set makes a new config, and the endpoint moves to it through blue/green.
 * - `weights`: on a weight-only update, one UpdateEndpointWeightsAndCapacities with DesiredWeight
 *   only, so autoscaled instance counts stay as they are. On create it only reads the endpoint,
 *   since a new config already carries the split.
 */
export class EndpointTraffic extends Construct {
  /** The endpoint config name the endpoint points at. */
  public readonly endpointConfigName: string;
  public readonly config: cr.AwsCustomResource;
  public readonly weights: cr.AwsCustomResource;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TrafficProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const hash = createHash('sha256').update(JSON.stringify(props.identity)).digest('hex').slice(0, 10);
    this.endpointConfigName = `${props.endpointName.slice(0, 63 - 11)}-${hash}`;
    const endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: props.endpointName.toLowerCase() });
    const configArns = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${props.endpointName.slice(0, 63 - 11).toLowerCase()}-*` });

    const logStreams = `${props.logGroup.logGroupArn}:log-stream:*`;
    // The custom resources' own role, with a customer-managed policy (no AWS managed policy, nothing inline).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `mlspec: endpoint config and traffic weights of ${props.endpointName}`,
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DescribeEndpointConfig'], resources: [configArns] }),
        new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'], resources: [endpointArn] }),
        // CreateEndpointConfig with a KmsKeyId checks that the caller may use the key.
        new iam.PolicyStatement({ actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [props.encryptionKey.keyArn] }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] }),
      ],
    });
    acknowledgeWildcardResource(policy, configArns, 'Endpoint configs are named <endpoint>-<hash of their contents>: the policy covers this endpoint\'s prefix only.');
    acknowledgeWildcardResource(policy, logStreams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');

    const configParams = { EndpointConfigName: this.endpointConfigName, ...props.config };
    this.config = new cr.AwsCustomResource(this, `Config${hash}`, {
      resourceType: 'Custom::SageMakerEndpointConfig',
      onCreate: { service: 'SageMaker', action: 'createEndpointConfig', parameters: configParams, physicalResourceId: cr.PhysicalResourceId.of(this.endpointConfigName), outputPaths: ['EndpointConfigArn'] },
      // Weight-only updates reach here as Update events: no call, same physical id, same config.
      onDelete: {
        service: 'SageMaker',
        action: 'deleteEndpointConfig',
        parameters: { EndpointConfigName: this.endpointConfigName },
        // Already gone (a retried delete): SageMaker says ValidationException "Could not find endpoint configuration".
        ignoreErrorCodesMatching: 'ValidationException',
      },
      role: this.role,
      logGroup: props.logGroup,
      installLatestAwsSdk: false,
    });
    this.config.node.addDependency(policy);

    const desired = props.config.ProductionVariants.map((v) => ({ VariantName: v.VariantName, DesiredWeight: v.InitialVariantWeight }));
    this.weights = new cr.AwsCustomResource(this, `Weights${hash}`, {
      resourceType: 'Custom::SageMakerVariantWeights',
      onCreate: {
        service: 'SageMaker',
        action: 'describeEndpoint',
        parameters: { EndpointName: props.endpointName },
        physicalResourceId: cr.PhysicalResourceId.of(`${props.endpointName}-weights`),
        outputPaths: ['EndpointStatus'],
      },
      onUpdate: {
        service: 'SageMaker',
        action: 'updateEndpointWeightsAndCapacities',
        parameters: { EndpointName: props.endpointName, DesiredWeightsAndCapacities: desired },
        physicalResourceId: cr.PhysicalResourceId.of(`${props.endpointName}-weights`),
        outputPaths: ['EndpointArn'],
      },
      role: this.role,
      logGroup: props.logGroup,
      installLatestAwsSdk: false,
    });
    this.weights.node.addDependency(policy);

    // The provider function is a stack-wide singleton created by AwsCustomResource.
    const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider) {
      acknowledge(provider, 'NIST.800.53.R5-LambdaConcurrency', 'Runs only during deployments, one CloudFormation event at a time; reserved concurrency would only take capacity from the account.');
      acknowledge(provider, 'NIST.800.53.R5-LambdaDLQ', 'Invoked synchronously by CloudFormation, which reports and retries failures itself; there is no asynchronous event to dead-letter.');
      acknowledge(provider, 'NIST.800.53.R5-LambdaInsideVPC', 'Calls only the SageMaker control-plane API; a VPC would add NAT or endpoints without isolating anything.');
    }
  }
}
