import { Duration, RemovalPolicy } from 'aws-cdk-lib';
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

export interface HandlerFunctionProps {
  /** Names the log group `/aws/lambda/mlspec-<name>` and the descriptions. */
  readonly name: string;
  readonly description: string;
  /** What the handler may do, besides writing its own logs. */
  readonly statements: iam.PolicyStatement[];
  /** Wildcard resources of `statements`, each with why it cannot be narrower (for cdk-nag). */
  readonly wildcards?: Array<[resource: string, reason: string]>;
  /** Key of the handler's logs and environment. */
  readonly encryptionKey: kms.IKey;
  readonly timeout: Duration;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The bundled SageMaker handler (lib/handlers/sagemaker.ts) as one Lambda function that
 * CloudFormation invokes directly (the service token is the function's ARN); it answers at the
 * event's response URL, as CDK's AwsCustomResource does. One function, one role with a
 * customer-managed policy, one encrypted log group.
 */
export class HandlerFunction extends Construct {
  public readonly serviceToken: string;
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  /** The role's policy: custom resources that call the handler depend on it. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const dir = path.join(HANDLERS_DIR, 'sagemaker');
    if (!existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`the bundled sagemaker handler is missing at ${dir}; run npm run build:handlers (npm ci does it)`);
    }
    const key = props.encryptionKey;
    const logGroupName = `/aws/lambda/mlspec-${props.name}`;
    allowLogGroupToUseKey(this, key, logGroupName, `EncryptHandlerLogs${props.name.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 128));
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, encryptionKey: key, retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    const streams = `${logGroup.logGroupArn}:log-stream:*`;

    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `mlspec: ${props.description}` });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.role],
      statements: [
        ...props.statements,
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [streams] }),
        // The function's environment is encrypted with the key.
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }),
      ],
    });
    acknowledgeWildcardResource(this.policy, streams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');
    this.acknowledgeWildcards(props.wildcards ?? []);

    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(dir),
      handler: 'index.handler',
      timeout: props.timeout,
      memorySize: 256,
      role: this.role,
      logGroup,
      environmentEncryption: key,
      description: `mlspec: ${props.description}`,
    });
    this.function.node.addDependency(this.policy);
    this.serviceToken = this.function.functionArn;

    acknowledge(this, 'NIST.800.53.R5-LambdaConcurrency', 'Runs only during deployments, one CloudFormation event at a time; reserved concurrency would only take capacity from the account.');
    acknowledge(this, 'NIST.800.53.R5-LambdaDLQ', 'CloudFormation invokes it with a custom-resource event and waits for the answer at the event\'s response URL; an event that is never answered fails the stack operation at its timeout, so a dead-letter queue would hold nothing to act on.');
    acknowledge(this, 'NIST.800.53.R5-LambdaInsideVPC', 'Calls only SageMaker and Application Auto Scaling control-plane APIs; a VPC would add NAT or endpoints without isolating anything.');
  }

  /** Lets the function also do what another construct needs (a shared handler). */
  public allow(statements: iam.PolicyStatement[], wildcards: Array<[resource: string, reason: string]> = []): void {
    this.policy.addStatements(...statements);
    this.acknowledgeWildcards(wildcards);
  }

  private acknowledgeWildcards(wildcards: Array<[resource: string, reason: string]>): void {
    for (const [resource, reason] of wildcards) {
      if (resource === '*') acknowledge(this.policy, 'AwsSolutions-IAM5[Resource::*]', reason);
      else acknowledgeWildcardResource(this.policy, resource, reason);
    }
  }
}
