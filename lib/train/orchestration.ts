import { ERRORS } from './jobs';

/**
 * The state machine that runs training on Vertex AI or Azure ML, in Amazon States Language
 * (JSONPath), one per provider and environment in the handlers stack. Each Task calls the
 * provider's training function with a `TrainingStepEvent` (lib/train/jobs.ts). Its state is:
 * - `$.input`: the execution's input (`TrainingExecutionInput`), as started;
 * - `$.job.poll`: the last look at the job (`PollResult`), from Submit and Poll;
 * - `$.finish.result`: what Finish returned (`FinishResult`), which is the execution's output.
 *
 * The execution's name is the run id. It ends:
 * - SUCCEEDED with the registered version as output;
 * - FAILED with `mlspec.JobFailed` (the job failed or was cancelled on the cloud),
 *   `mlspec.GateFailed` (a registry gate did not pass), or a step's own error after Cancel;
 * - ABORTED when stopped: an EventBridge rule then cancels the job (a stopped execution runs no state).
 */

/** Lambda's own transient failures, which the States Language guide says to retry. */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** The state names, which `mlspec train --wait` reads in the execution's history. */
export const STATES = {
  start: 'Start',
  submit: 'Submit',
  wait: 'Wait',
  poll: 'Poll',
  ended: 'Ended?',
  finish: 'Finish',
  gates: 'Gates passed?',
  registered: 'Registered',
  jobFailed: 'Job failed',
  gateFailed: 'Gate failed',
  cancel: 'Cancel',
  failed: 'Failed',
} as const;

/** What the state machine says of itself (its Comment), the same in the construct and the dry run. */
export function trainingComment(providerTitle: string, project: string, environment: string): string {
  return `mlspec: ${providerTitle} training of ${project} in ${environment}: submit the job, wait for it, check the registry gates, register the version`;
}

export function trainingDefinition(functionArn: string, comment: string): Record<string, unknown> {
  const invoke = (payload: Record<string, unknown>) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn, Payload: payload },
  });
  const retryLambda = { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 };
  const toCancel = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATES.cancel }];
  return {
    Comment: comment,
    StartAt: STATES.start,
    States: {
      [STATES.start]: { Type: 'Pass', Parameters: { 'input.$': '$' }, Next: STATES.submit },
      [STATES.submit]: {
        ...invoke({ action: 'submit', 'input.$': '$.input', 'runId.$': '$$.Execution.Name' }),
        ResultSelector: { 'poll.$': '$.Payload' },
        ResultPath: '$.job',
        Retry: [retryLambda],
        Catch: toCancel,
        Next: STATES.ended,
      },
      [STATES.wait]: { Type: 'Wait', SecondsPath: '$.job.poll.waitSeconds', Next: STATES.poll },
      [STATES.poll]: {
        ...invoke({ action: 'poll', 'input.$': '$.input', 'job.$': '$.job.poll' }),
        ResultSelector: { 'poll.$': '$.Payload' },
        ResultPath: '$.job',
        // A look that fails is tried again before the run gives up a job that may be hours in.
        Retry: [retryLambda, { ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 3, BackoffRate: 2 }],
        Catch: toCancel,
        Next: STATES.ended,
      },
      [STATES.ended]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.job.poll.done', BooleanEquals: false, Next: STATES.wait },
          { Variable: '$.job.poll.succeeded', BooleanEquals: true, Next: STATES.finish },
        ],
        Default: STATES.jobFailed,
      },
      [STATES.finish]: {
        ...invoke({ action: 'finish', 'input.$': '$.input', 'job.$': '$.job.poll' }),
        ResultSelector: { 'result.$': '$.Payload' },
        ResultPath: '$.finish',
        Retry: [retryLambda],
        Catch: toCancel,
        Next: STATES.gates,
      },
      [STATES.gates]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.finish.result.status', StringEquals: 'registered', Next: STATES.registered }],
        Default: STATES.gateFailed,
      },
      [STATES.registered]: { Type: 'Succeed', OutputPath: '$.finish.result' },
      [STATES.jobFailed]: { Type: 'Fail', Error: ERRORS.jobFailed, CausePath: '$.job.poll.reason' },
      [STATES.gateFailed]: { Type: 'Fail', Error: ERRORS.gateFailed, CausePath: '$.finish.result.reason' },
      // A step that failed for good: cancel the job, if there is one, so no GPU is left running.
      [STATES.cancel]: {
        ...invoke({ action: 'cancel', 'input.$': '$.input', 'runId.$': '$$.Execution.Name', 'error.$': '$.error' }),
        ResultPath: null,
        Retry: [retryLambda],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: STATES.failed }],
        Next: STATES.failed,
      },
      [STATES.failed]: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    },
  };
}
