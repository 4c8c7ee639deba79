import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { handlerNames } from '../lib/plan/names';
import type { ModelPlan } from '../lib/plan/types';
import { executionInput, JOB_PROVIDER_TITLES, type JobProvider } from '../lib/train/jobs';
import { trainingComment, trainingDefinition } from '../lib/train/orchestration';
import { allowLogGroupToUseKey } from './log-key';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import type { ReconcilerProvider } from './reconciler-provider';

export { JOB_PROVIDERS, type JobProvider } from '../lib/train/jobs';

export interface TrainingOrchestrationProps {
  readonly provider: JobProvider;
  readonly project: string;
  readonly environment: string;
  /** The provider's handlers: the training function runs their bundle as their role (the role the cloud's federation trusts). */
  readonly handlers: ReconcilerProvider;
}

/**
 * Training on Vertex AI or Azure ML for one environment: a Step Functions state machine that
 * submits the run's job, waits with backoff, reads the metrics, checks the registry gates and
 * registers the version (lib/train/orchestration.ts), the function its steps call, and an
 * EventBridge rule that cancels the job of an execution that was stopped or timed out, since a
 * stopped execution runs no further state. `mlspec train` starts an execution named by the run id.
 */
export class TrainingOrchestration extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly stepFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: TrainingOrchestrationProps) {
    super(scope, id);
    const { provider, project, environment, handlers } = props;
    const name = handlerNames(project, environment).training(provider);
    const title = JOB_PROVIDER_TITLES[provider];
    const what = `${title} training of ${project} in ${environment}`;

    this.stepFunction = new lambda.Function(this, 'Steps', {
      functionName: name,
      description: `mlspec: the steps of ${what} (submit, poll, finish, cancel)`,
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(handlers.bundleDirectory),
      handler: 'index.onTrainingStep',
      // Submitting registers the training image first; each look at a job is one or two reads.
      timeout: Duration.minutes(5),
      memorySize: 512,
      role: handlers.handlerRole,
      logGroup: handlers.handlerLogGroup,
      environment: handlers.environmentVariables,
      environmentEncryption: handlers.encryptionKey,
    });

    const logGroupName = `/aws/vendedlogs/states/${name}`;
    allowLogGroupToUseKey(this, handlers.encryptionKey, logGroupName, `Logs${provider}Training`);
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, encryptionKey: handlers.encryptionKey, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(trainingDefinition(this.stepFunction.functionArn, trainingComment(title, project, environment)))),
      // Execution data holds only the plan and the job's status; kept out of logs all the same.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    this.stepFunction.grantInvoke(this.stateMachine);

    // Stopped or timed out: cancel the run's job (found by the execution's name, the run id).
    const stopped = new events.Rule(this, 'CancelStopped', {
      description: `mlspec: cancels the job of a stopped ${what} run`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
    });
    stopped.addTarget(new targets.LambdaFunction(this.stepFunction, { retryAttempts: 8, maxEventAge: Duration.hours(2) }));

    acknowledge(this.stepFunction, 'NIST.800.53.R5-LambdaConcurrency', 'Runs a few short steps per training run; reserved concurrency would only take capacity from the account.');
    acknowledge(this.stepFunction, 'NIST.800.53.R5-LambdaDLQ', 'Invoked synchronously by the state machine, which retries and fails the execution; the stop rule retries for 2 hours, and the job\'s own timeout (training.maxRuntime) ends it regardless.');
    acknowledge(this.stepFunction, 'NIST.800.53.R5-LambdaInsideVPC', `Calls only the ${title} control plane over TLS; a VPC would add NAT or endpoints without isolating anything.`);
    const role = this.stateMachine.role;
    acknowledgeWildcardResource(role, `${this.stepFunction.functionArn}:*`, 'Granted by grantInvoke so the state machine can call its step function; the :* covers its versions.');
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray tracing and CloudWatch Logs delivery actions for Step Functions do not support resource-level permissions.');
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', 'The state machine\'s role gets its invoke, X-Ray and log-delivery grants from the CDK as its default policy.');
  }
}

/** The ARN of an environment's training state machine for a provider, by its fixed name. */
export function trainingStateMachineArn(stack: Stack, project: string, environment: string, provider: JobProvider): string {
  return stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: handlerNames(project, environment).training(provider), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

export interface TrainingScheduleProps {
  readonly model: ModelPlan;
  readonly provider: JobProvider;
  readonly project: string;
  /** An EventBridge Scheduler expression: `cron(...)`, `rate(...)`. */
  readonly schedule: string;
}

/**
 * `training.schedule` on Vertex AI or Azure ML: an EventBridge Scheduler schedule in the model's
 * stack that starts the environment's training state machine with the model's plan as deployed
 * (the same input `mlspec train` sends, without --set values).
 */
export class TrainingSchedule extends Construct {
  public readonly schedule: scheduler.CfnSchedule;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TrainingScheduleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arn = trainingStateMachineArn(stack, props.project, props.model.environment, props.provider);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `mlspec: starts ${props.model.name}'s training in ${props.model.environment} on schedule`,
    });
    new iam.ManagedPolicy(this, 'StartTraining', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [arn] })],
    });
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `mlspec: trains ${props.model.name} in ${props.model.environment} on ${props.provider}`,
      scheduleExpression: props.schedule,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn,
        roleArn: this.role.roleArn,
        input: JSON.stringify(executionInput(props.model, props.provider, {})),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
    });
  }
}
