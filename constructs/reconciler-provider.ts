import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { allowLogGroupToUseKey } from './log-key';
import { acknowledge, acknowledgeWildcardResource } from './nag';

/** Where `npm ci` (prepare → scripts/build-handlers.ts) puts the bundled handlers. */
export const HANDLERS_DIR = path.resolve(__dirname, '../dist/handlers');

/** How often the waiter asks isComplete during a staged rollout. */
export const ROLLOUT_QUERY_INTERVAL = Duration.seconds(30);
/** The Provider framework's ceiling (CloudFormation waits at most an hour for a custom resource). */
export const ROLLOUT_TOTAL_TIMEOUT = Duration.hours(1);

export interface ReconcilerProviderProps {
  /** `vertex` or `azureml`: the folder of dist/handlers and the name in descriptions. */
  readonly provider: string;
  readonly model: string;
  readonly environment: string;
  /** What the provider is called in descriptions ("Vertex AI", "Azure ML"). */
  readonly title: string;
  readonly environmentVariables?: Record<string, string>;
  /** Key for every log of the handlers and the waiter. @default - a new key with rotation */
  readonly encryptionKey?: kms.IKey;
  /** Reasons for the handlers' network posture, for cdk-nag's VPC rule. */
  readonly networkReason: string;
}

/**
 * The machinery behind a provider's custom resource: the bundled reconciler as two Lambda
 * functions (`onEvent`, `isComplete`) behind the CDK Provider framework, whose Step Functions
 * waiter polls isComplete through a staged rollout's bakes for up to an hour. Every log is
 * encrypted with one key; the handlers' role may only write logs until a provider adds to it.
 */
export class ReconcilerProvider extends Construct {
  public readonly serviceToken: string;
  /** The role both handler functions run as: what the provider's federation trusts. */
  public readonly handlerRole: iam.Role;
  public readonly onEventFunction: lambda.Function;
  public readonly isCompleteFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: ReconcilerProviderProps) {
    super(scope, id);
    const dir = path.join(HANDLERS_DIR, props.provider);
    if (!existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`the bundled ${props.provider} handler is missing at ${dir}; run npm run build:handlers (npm ci does it)`);
    }
    const stack = Stack.of(this);
    const what = `${props.model} in ${props.environment}`;
    const key = props.encryptionKey ?? new kms.Key(this, 'Key', { enableKeyRotation: true, description: `mlspec ${props.title} handler logs of ${what}`, removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });

    // One encrypted log group for the handlers, one for the framework and its waiter.
    const handlerLogs = this.logGroup('Logs', `/aws/lambda/mlspec-${props.provider}-${stack.stackName}`, key);
    const frameworkLogs = this.logGroup('FrameworkLogs', `/aws/lambda/mlspec-${props.provider}-framework-${stack.stackName}`, key);
    const waiterLogs = this.logGroup('WaiterLogs', `/aws/vendedlogs/states/mlspec-${props.provider}-waiter-${stack.stackName}`, key);

    this.handlerRole = this.logsOnlyRole('Role', handlerLogs, key, `mlspec ${props.title} handler of ${what}`);
    const common: Partial<lambda.FunctionProps> = {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(dir),
      // onEvent waits for the provider's long-running operations (a GPU deployment takes minutes).
      timeout: Duration.minutes(15),
      memorySize: 512,
      role: this.handlerRole,
      logGroup: handlerLogs,
      environment: props.environmentVariables,
      environmentEncryption: key,
    };
    this.onEventFunction = new lambda.Function(this, 'OnEvent', { ...common, handler: 'index.onEvent', description: `mlspec: reconciles ${props.title} for ${what}` } as lambda.FunctionProps);
    this.isCompleteFunction = new lambda.Function(this, 'IsComplete', { ...common, handler: 'index.isComplete', timeout: Duration.minutes(5), description: `mlspec: advances ${props.title} rollouts for ${what}` } as lambda.FunctionProps);

    // The framework's two roles (its onEvent; its isComplete and timeout), separate to avoid a cycle with the waiter.
    const onEventRole = this.logsOnlyRole('FrameworkOnEventRole', frameworkLogs, key, `CDK Provider framework onEvent of mlspec ${props.title}, ${what}`);
    const waiterRole = this.logsOnlyRole('FrameworkWaiterRole', frameworkLogs, key, `CDK Provider framework isComplete/timeout of mlspec ${props.title}, ${what}`);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEventFunction,
      isCompleteHandler: this.isCompleteFunction,
      queryInterval: ROLLOUT_QUERY_INTERVAL,
      totalTimeout: ROLLOUT_TOTAL_TIMEOUT,
      frameworkOnEventRole: onEventRole,
      frameworkCompleteAndTimeoutRole: waiterRole,
      logGroup: frameworkLogs,
      providerFunctionEnvEncryption: key,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: waiterLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.serviceToken = provider.serviceToken;

    acknowledge(this, 'NIST.800.53.R5-LambdaConcurrency', 'Runs only during deployments, one CloudFormation event at a time; reserved concurrency would only take capacity from the account.');
    acknowledge(this, 'NIST.800.53.R5-LambdaDLQ', 'Invoked synchronously by the Provider framework and its Step Functions waiter, which report every failure to CloudFormation; there is no asynchronous event to dead-letter.');
    acknowledge(this, 'NIST.800.53.R5-LambdaInsideVPC', props.networkReason);
    acknowledge(provider, 'AwsSolutions-SF2', 'The waiter is the CDK Provider framework’s own state machine, which offers no X-Ray option; its executions are logged (ALL) to an encrypted log group.');
    acknowledge(provider, 'AwsSolutions-L1', 'The CDK Provider framework picks its own Node.js runtime for its functions (the newest it knows in this aws-cdk-lib); our handlers run Node.js 24.');
    // What the framework grants itself (invoke our handlers and its own functions, start its waiter) lands in default policies.
    for (const role of [onEventRole, waiterRole]) {
      for (const fn of [this.onEventFunction, this.isCompleteFunction]) acknowledgeWildcardResource(role, `${fn.functionArn}:*`, 'Granted by the CDK Provider framework to invoke this handler function; the :* covers its versions and aliases.');
      acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', 'The CDK Provider framework adds its invoke and start-execution grants as the role’s default policy; our own statements are in a customer-managed policy.');
    }
    const waiter = provider.node.findChild('waiter-state-machine');
    for (const child of provider.node.children) {
      if (child instanceof lambda.Function && child.node.id !== 'framework-onEvent') acknowledgeWildcardResource(waiter, `${child.functionArn}:*`, 'Granted by the CDK Provider framework so its waiter can call its own isComplete and timeout functions; the :* covers their versions.');
    }
    acknowledge(waiter, 'AwsSolutions-IAM5[Resource::*]', 'CloudWatch Logs delivery actions for Step Functions logging (logs:CreateLogDelivery and friends) do not support resource-level permissions.');
    acknowledge(waiter, 'NIST.800.53.R5-IAMNoInlinePolicy', 'The waiter state machine’s role is created by the CDK Provider framework with its grants inline.');
  }

  private logGroup(id: string, name: string, key: kms.IKey): logs.LogGroup {
    const logGroupName = name.slice(0, 512);
    allowLogGroupToUseKey(this, key, logGroupName, `Logs${id}`);
    return new logs.LogGroup(this, id, { logGroupName, encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
  }

  /** A Lambda role that may write to one log group and decrypt its environment, through a customer-managed policy. */
  private logsOnlyRole(id: string, logGroup: logs.LogGroup, key: kms.IKey, description: string): iam.Role {
    const role = new iam.Role(this, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    const streams = `${logGroup.logGroupArn}:log-stream:*`;
    const policy = new iam.ManagedPolicy(this, `${id}Logs`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [streams] }),
        // The functions' environment variables are encrypted with the key.
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }),
      ],
    });
    acknowledgeWildcardResource(policy, streams, 'Lambda names its log streams at run time; the wildcard covers streams of this one log group.');
    return role;
  }
}
