import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { VertexModelPlan } from '../../lib/plan/types';
import { allowLogGroupToUseKey } from '../log-key';
import { acknowledge, acknowledgeWildcardResource } from '../nag';

/** Where `npm ci` (prepare → scripts/build-handlers.ts) puts the bundled handler. */
const HANDLER_DIR = path.resolve(__dirname, '../../dist/handlers/vertex');

export interface VertexModelProps {
  /** The model's Vertex plan: registry versions, endpoint, deployed models, traffic split. */
  readonly plan: VertexModelPlan;
  /** Model and environment names, for error messages. */
  readonly model: string;
  readonly environment: string;
  /**
   * Keep the endpoint when the stack is deleted (the registry is always kept).
   * @default false
   */
  readonly protected?: boolean;
  /** `projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER` trusting this stack's handler role. */
  readonly workloadIdentityProvider?: string;
  /** The Google service account the handler impersonates. @default - the federated identity itself */
  readonly serviceAccount?: string;
  /**
   * Key for the handler's logs.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A model's Vertex AI registry and endpoint, deployed by `cdk deploy` through a custom resource
 * whose handler (lib/handlers/vertex, bundled) runs the reconciler with workload-identity
 * credentials: no Google key is stored anywhere. The handler waits for Vertex's long-running
 * operations within one invocation (15 minutes); staged rollouts with bakes are not built yet.
 */
export class VertexModel extends Construct {
  public readonly resource: CustomResource;
  /** The handler's role: the AWS identity Google's workload identity pool trusts. */
  public readonly handlerRole: iam.Role;
  /** Vertex resource names after deployment. */
  public readonly modelName: string;
  public readonly endpointName: string;

  constructor(scope: Construct, id: string, props: VertexModelProps) {
    super(scope, id);
    if (!existsSync(path.join(HANDLER_DIR, 'index.js'))) {
      throw new Error(`VertexModel: the bundled handler is missing at ${HANDLER_DIR}; run npm run build:handlers (npm ci does it)`);
    }
    const stack = Stack.of(this);
    const key = props.encryptionKey ?? new kms.Key(this, 'Key', { enableKeyRotation: true, description: `mlspec Vertex handler logs of ${props.model} in ${props.environment}`, removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    const logGroupName = `/aws/lambda/mlspec-vertex-${stack.stackName}`.slice(0, 512);
    allowLogGroupToUseKey(this, key, logGroupName);
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    const logStreams = `${logGroup.logGroupArn}:log-stream:*`;

    // The handler's role: logs only. Google access comes from federation, not IAM.
    this.handlerRole = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `mlspec Vertex handler of ${props.model} in ${props.environment}` });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.handlerRole],
      statements: [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] })],
    });
    acknowledgeWildcardResource(policy, logStreams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');

    const handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(HANDLER_DIR),
      // Long-running operations (deploying a GPU model takes minutes) are awaited here.
      timeout: Duration.minutes(15),
      memorySize: 512,
      role: this.handlerRole,
      logGroup,
      environment: { METADATA_SERVER_DETECTION: 'none' },
      description: `mlspec: reconciles Vertex AI for ${props.model} in ${props.environment}`,
    });
    handler.node.addDependency(policy);
    acknowledge(handler, 'NIST.800.53.R5-LambdaConcurrency', 'Runs only during deployments, one CloudFormation event at a time; reserved concurrency would only take capacity from the account.');
    acknowledge(handler, 'NIST.800.53.R5-LambdaDLQ', 'Invoked by CloudFormation, which records the outcome the handler reports on the response URL; there is no asynchronous event to dead-letter.');
    acknowledge(handler, 'NIST.800.53.R5-LambdaInsideVPC', 'Calls only the Vertex AI and Google STS public APIs over TLS; a VPC would add NAT without isolating anything.');

    this.resource = new CustomResource(this, 'Resource', {
      // CloudFormation invokes the handler directly; it answers on the response URL itself.
      serviceToken: handler.functionArn,
      resourceType: 'Custom::VertexModel',
      properties: {
        Plan: JSON.stringify(props.plan),
        Model: props.model,
        Environment: props.environment,
        Protected: String(props.protected ?? false),
        WorkloadIdentityProvider: props.workloadIdentityProvider ?? '',
        ServiceAccount: props.serviceAccount ?? '',
      },
    });
    this.modelName = this.resource.getAttString('ModelName');
    this.endpointName = this.resource.getAttString('EndpointName');
  }
}
