import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  paginateGetExecutionHistory,
  paginateListExecutions,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { FakeStepFunctions, type StatusChangeEvent } from './server';

/**
 * The fake Step Functions through the real SFNClient: executions really run (aws-local-stepfunctions),
 * their history, status-change events and the service's refusals are AWS's (sources in server.ts).
 */

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/mlspec-training`;
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:mlspec-dev-train-vertex`;
const SM = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;
const EXEC = (sm: string, name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:execution:${sm}:${name}`;
const invoke = (payload: Record<string, unknown>) => ({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: FN, Payload: payload } });

/** Submit, then wait (SecondsPath) and poll until the job is done, as lib/train/orchestration.ts does. */
const POLL_LOOP = {
  StartAt: 'Submit',
  States: {
    Submit: { ...invoke({ action: 'submit', 'input.$': '$', 'runId.$': '$$.Execution.Name' }), ResultSelector: { 'poll.$': '$.Payload' }, ResultPath: '$.job', Next: 'Ended?' },
    'Ended?': { Type: 'Choice', Choices: [{ Variable: '$.job.poll.done', BooleanEquals: false, Next: 'Wait' }], Default: 'Done' },
    Wait: { Type: 'Wait', SecondsPath: '$.job.poll.waitSeconds', Next: 'Poll' },
    Poll: { ...invoke({ action: 'poll', 'job.$': '$.job.poll' }), ResultSelector: { 'poll.$': '$.Payload' }, ResultPath: '$.job', Next: 'Ended?' },
    Done: { Type: 'Succeed', OutputPath: '$.job.poll' },
  },
};

/** One Pass state. */
const PASS = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
/** One lambda:invoke of FN. */
const ONE_CALL = { StartAt: 'Call', States: { Call: { ...invoke({}), End: true } } };
/** One Wait on SecondsPath $.s. */
const WAIT = { StartAt: 'Wait', States: { Wait: { Type: 'Wait', SecondsPath: '$.s', Next: 'Done' }, Done: { Type: 'Succeed' } } };

let fake: FakeStepFunctions;
let sfn: SFNClient;

beforeEach(async () => {
  fake = new FakeStepFunctions();
  const endpoint = await fake.start();
  sfn = new SFNClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});

afterEach(async () => {
  sfn.destroy();
  await fake.stop();
});

async function start(stateMachineArn: string, input?: unknown, name?: string): Promise<string> {
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: input === undefined ? undefined : JSON.stringify(input) }));
  return out.executionArn!;
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 7 }, { executionArn })) events.push(...page.events!);
  return events;
}

/** The error a call answers with: its name (the `__type`) and message. */
async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('timed out waiting');
}

describe('an execution runs its definition', () => {
  it('lambda:invoke, Wait on SecondsPath and a Choice loop until Succeed: output, waits, history and status events are AWS\'s', async () => {
    const arn = fake.addStateMachine({ name: 'train', definition: POLL_LOOP, roleArn: ROLE });
    const payloads: unknown[] = [];
    const polls = [{ done: false, waitSeconds: 30, job: 'job-1' }, { done: false, waitSeconds: 60, job: 'job-1' }, { done: true, job: 'job-1', state: 'SUCCEEDED' }];
    fake.addFunction(FN, async (payload) => {
      payloads.push(payload);
      return polls.shift();
    });
    const events: StatusChangeEvent[] = [];
    fake.onStatusChange((e) => events.push(e));

    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"model":"churn"}' }));
    expect(started.executionArn).toBe(EXEC('train', 'run-1'));
    expect(started.startDate).toBeInstanceOf(Date);
    await fake.settled();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({
      executionArn: EXEC('train', 'run-1'), stateMachineArn: arn, name: 'run-1', status: 'SUCCEEDED',
      input: '{"model":"churn"}', inputDetails: { included: true }, outputDetails: { included: true },
      redriveCount: 0, redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    expect(JSON.parse(described.output!)).toEqual({ done: true, job: 'job-1', state: 'SUCCEEDED' });
    expect(described.error).toBeUndefined();
    // The function got the lambda:invoke Payload, with $$.Execution.Name from the Context Object.
    expect(payloads).toEqual([
      { action: 'submit', input: { model: 'churn' }, runId: 'run-1' },
      { action: 'poll', job: { done: false, waitSeconds: 30, job: 'job-1' } },
      { action: 'poll', job: { done: false, waitSeconds: 60, job: 'job-1' } },
    ]);
    expect(fake.waits(started.executionArn!)).toEqual([30, 60]);

    const events_ = await history(started.executionArn!);
    const task = ['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ChoiceStateEntered', 'ChoiceStateExited'];
    const wait = ['WaitStateEntered', 'WaitStateExited'];
    expect(events_.map((e) => e.type)).toEqual(['ExecutionStarted', ...task, ...wait, ...task, ...wait, ...task, 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
    expect(events_.map((e) => e.id)).toEqual(events_.map((_, i) => i + 1));
    // previousEventId: 0 for the first state entered (as AWS records it), else the event before.
    expect(events_.map((e) => e.previousEventId)).toEqual(events_.map((_, i) => (i <= 1 ? 0 : i)));
    expect(events_[0].executionStartedEventDetails).toEqual({ input: '{"model":"churn"}', inputDetails: { truncated: false }, roleArn: ROLE });
    expect(events_[1].stateEnteredEventDetails).toEqual({ name: 'Submit', input: '{"model":"churn"}', inputDetails: { truncated: false } });
    expect(events_[2].taskScheduledEventDetails).toEqual({
      resourceType: 'lambda', resource: 'invoke', region: 'us-east-1',
      parameters: JSON.stringify({ FunctionName: FN, Payload: { action: 'submit', input: { model: 'churn' }, runId: 'run-1' } }),
    });
    expect(events_[3].taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    const invoked = JSON.parse(events_[4].taskSucceededEventDetails!.output!);
    expect(invoked).toMatchObject({ ExecutedVersion: '$LATEST', StatusCode: 200, Payload: { done: false, waitSeconds: 30, job: 'job-1' }, SdkHttpMetadata: { HttpStatusCode: 200 } });
    expect(JSON.parse(events_[5].stateExitedEventDetails!.output!)).toEqual({ model: 'churn', job: { poll: { done: false, waitSeconds: 30, job: 'job-1' } } });
    const last = events_[events_.length - 1];
    expect(JSON.parse(last.executionSucceededEventDetails!.output!)).toEqual({ done: true, job: 'job-1', state: 'SUCCEEDED' });

    // The execution's clock moves by each Wait: 30 s, then 60 s, though no real time passed.
    const waited = events_.filter((e) => e.type === 'WaitStateEntered' || e.type === 'WaitStateExited').map((e) => e.timestamp!.getTime());
    expect(waited[1] - waited[0]).toBeGreaterThanOrEqual(30_000);
    expect(waited[1] - waited[0]).toBeLessThan(31_000);
    expect(waited[3] - waited[2]).toBeGreaterThanOrEqual(60_000);
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBeGreaterThanOrEqual(90_000);

    // EventBridge: RUNNING, then SUCCEEDED, in the documented shape.
    expect(events.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(events[0]).toEqual({
      version: '0', id: expect.any(String), 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states',
      account: ACCOUNT, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), region: 'us-east-1', resources: [EXEC('train', 'run-1')],
      detail: {
        executionArn: EXEC('train', 'run-1'), stateMachineArn: arn, name: 'run-1', status: 'RUNNING',
        startDate: described.startDate!.getTime(), stopDate: null, input: '{"model":"churn"}', output: null,
        stateMachineVersionArn: null, stateMachineAliasArn: null, redriveCount: 0, redriveDate: null,
        redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
        inputDetails: { included: true }, outputDetails: null, error: null, cause: null,
      },
    });
    expect(events[1].detail).toMatchObject({ status: 'SUCCEEDED', stopDate: described.stopDate!.getTime(), output: described.output, outputDetails: { included: true } });
  });

  it('a Fail state ends FAILED with its Error and Cause (CausePath too); a Fail without them gives neither', async () => {
    const arn = fake.addStateMachine({
      name: 'gates',
      roleArn: ROLE,
      definition: JSON.stringify({
        StartAt: 'Passed?',
        States: {
          'Passed?': { Type: 'Choice', Choices: [{ Variable: '$.bare', IsPresent: true, Next: 'Bare' }], Default: 'Gate failed' },
          'Gate failed': { Type: 'Fail', Error: 'mlspec.GateFailed', CausePath: '$.reason' },
          Bare: { Type: 'Fail' },
        },
      }),
    });
    const failed = await start(arn, { reason: 'auc 0.71 < 0.80' });
    const bare = await start(arn, { bare: true });
    await fake.settled();

    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: failed }))).toMatchObject({ status: 'FAILED', error: 'mlspec.GateFailed', cause: 'auc 0.71 < 0.80', redriveStatus: 'REDRIVABLE' });
    const events = await history(failed);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'ChoiceStateEntered', 'ChoiceStateExited', 'FailStateEntered', 'ExecutionFailed']);
    expect(events[4]).toMatchObject({ previousEventId: 4, executionFailedEventDetails: { error: 'mlspec.GateFailed', cause: 'auc 0.71 < 0.80' } });

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: bare }));
    expect(described.status).toBe('FAILED');
    expect('error' in described || 'cause' in described || 'output' in described).toBe(false);
    expect((await history(bare)).pop()!.executionFailedEventDetails).toEqual({});
  });

  it('a Lambda function\'s error is caught by name: TaskFailed with the cause Lambda reports, then TaskStateExited to the Catch\'s state', async () => {
    class JobGone extends Error {
      name = 'JobGone';
    }
    fake.addFunction('mlspec-dev-train-vertex', async () => {
      throw new JobGone('job-1 is gone');
    });
    const arn = fake.addStateMachine({
      name: 'catching',
      roleArn: ROLE,
      definition: {
        StartAt: 'Poll',
        States: {
          Poll: { ...invoke({ 'job.$': '$.job' }), Catch: [{ ErrorEquals: ['JobGone'], ResultPath: '$.error', Next: 'Cancel' }], End: true },
          Cancel: { Type: 'Pass', End: true },
        },
      },
    });
    const exec = await start(arn, { job: 'job-1' });
    await fake.settled();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec }));
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output!);
    expect(output.error.Error).toBe('JobGone');
    const cause = JSON.parse(output.error.Cause);
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(cause).toMatchObject({ errorType: 'JobGone', errorMessage: 'job-1 is gone' });
    expect(cause.trace[0]).toBe('JobGone: job-1 is gone');

    const events = await history(exec);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    expect(events[4].taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'JobGone', cause: output.error.Cause });
    expect(JSON.parse(events[5].stateExitedEventDetails!.output!)).toEqual({ job: 'job-1', error: { Error: 'JobGone', Cause: output.error.Cause } });
  });

  it('an uncaught function error fails the execution with its name; Retry retries it with the retrier\'s backoff; a missing function is Lambda.ResourceNotFoundException', async () => {
    let calls = 0;
    fake.addFunction(FN, async () => {
      calls++;
      if (calls <= 2) throw new Error(`flaky ${calls}`);
      return { ok: true };
    });
    const retrying = fake.addStateMachine({
      name: 'retrying',
      roleArn: ROLE,
      definition: { StartAt: 'Poll', States: { Poll: { ...invoke({}), Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 2 }], OutputPath: '$.Payload', End: true } } },
    });
    const ok = await start(retrying);
    await fake.settled();
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: ok }))).output).toBe('{"ok":true}');
    expect(fake.retries(ok)).toEqual([{ state: 'Poll', attempt: 1, seconds: 2 }, { state: 'Poll', attempt: 2, seconds: 4 }]);
    expect((await history(ok)).map((e) => e.type)).toEqual([
      'ExecutionStarted', 'TaskStateEntered',
      'TaskScheduled', 'TaskStarted', 'TaskFailed',
      'TaskScheduled', 'TaskStarted', 'TaskFailed',
      'TaskScheduled', 'TaskStarted', 'TaskSucceeded',
      'TaskStateExited', 'ExecutionSucceeded',
    ]);

    calls = -10;
    const failing = await start(retrying);
    await fake.settled();
    const failed = await sfn.send(new DescribeExecutionCommand({ executionArn: failing }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect(JSON.parse(failed.cause!)).toMatchObject({ errorType: 'Error', errorMessage: 'flaky -7' });

    const other = new FakeStepFunctions();
    const missing = other.addStateMachine({ name: 'missing', roleArn: ROLE, definition: ONE_CALL });
    await other.start();
    const client = other.client();
    const gone = (await client.send(new StartExecutionCommand({ stateMachineArn: missing }))).executionArn;
    await other.settled();
    const described = await client.send(new DescribeExecutionCommand({ executionArn: gone }));
    client.destroy();
    await other.stop();
    expect(described).toMatchObject({ status: 'FAILED', error: 'Lambda.ResourceNotFoundException' });
    expect(described.cause).toMatch(new RegExp(`^Function not found: ${FN} \\(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f-]+; Proxy: null\\)$`));
  });

  it('a Wait whose SecondsPath is negative fails the execution with States.Runtime, in AWS\'s words', async () => {
    const arn = fake.addStateMachine({ name: 'bad-wait', roleArn: ROLE, definition: WAIT });
    const exec = await start(arn, { s: -1 });
    await fake.settled();
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: exec }))).toMatchObject({
      status: 'FAILED', error: 'States.Runtime',
      cause: "An error occurred while executing the state 'Wait' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1",
    });
  });

  it('TimeoutSeconds on the execution\'s clock: TIMED_OUT at startDate + TimeoutSeconds, ExecutionTimedOut, and the stop rule gets the event', async () => {
    const arn = fake.addStateMachine({
      name: 'bounded',
      roleArn: ROLE,
      definition: { StartAt: 'A', TimeoutSeconds: 100, States: { A: { Type: 'Wait', Seconds: 60, Next: 'B' }, B: { Type: 'Wait', Seconds: 60, Next: 'Done' }, Done: { Type: 'Succeed' } } },
    });
    const delivered: StatusChangeEvent[] = [];
    fake.addRule({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [arn] } }, async (e) => {
      delivered.push(e);
    });
    const exec = await start(arn);
    await fake.settled();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec }));
    expect(described.status).toBe('TIMED_OUT');
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBe(100_000);
    expect('error' in described || 'cause' in described).toBe(false);
    expect(fake.waits(exec)).toEqual([60, 60]);
    const events = await history(exec);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'WaitStateEntered', 'ExecutionTimedOut']);
    expect(events[4]).toMatchObject({ previousEventId: 0, executionTimedOutEventDetails: { error: 'States.Timeout' } });
    expect(delivered.map((e) => e.detail.status)).toEqual(['TIMED_OUT']);
  });
});

describe('StopExecution', () => {
  it('during a Wait: ABORTED at once with the error and cause given; the stop rule receives the event with the execution\'s input; stopping again changes nothing', async () => {
    fake.waitScale = 1; // 1 ms per second: the 3600 s Wait would take 3.6 s
    const arn = fake.addStateMachine({ name: 'waiting', roleArn: ROLE, definition: WAIT });
    const stopped: StatusChangeEvent[] = [];
    const succeeded: StatusChangeEvent[] = [];
    fake.addRule({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['ABORTED'], stateMachineArn: [arn] } }, async (e) => {
      stopped.push(e);
    });
    fake.addRule({ source: ['aws.states'], detail: { status: ['SUCCEEDED'] } }, async (e) => {
      succeeded.push(e);
    });
    const began = Date.now();
    const exec = await start(arn, { run: 'r-1', s: 3600 }, 'r-1');
    await until(async () => (await history(exec)).some((e) => e.type === 'WaitStateEntered'));

    const stop = await sfn.send(new StopExecutionCommand({ executionArn: exec, error: 'mlspec.Cancelled', cause: 'mlspec runs stop r-1' }));
    expect(stop.stopDate).toBeInstanceOf(Date);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'mlspec.Cancelled', cause: 'mlspec runs stop r-1', stopDate: stop.stopDate, redriveStatus: 'REDRIVABLE' });
    await fake.settled();
    expect(Date.now() - began).toBeLessThan(3000);

    expect(stopped).toHaveLength(1);
    expect(stopped[0].detail).toMatchObject({ executionArn: exec, stateMachineArn: arn, status: 'ABORTED', input: '{"run":"r-1","s":3600}', error: 'mlspec.Cancelled', cause: 'mlspec runs stop r-1', output: null });
    expect(succeeded).toHaveLength(0);

    const events = await history(exec);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);
    expect(events[2]).toMatchObject({ previousEventId: 0, executionAbortedEventDetails: { error: 'mlspec.Cancelled', cause: 'mlspec runs stop r-1' } });

    // Already ended: the call succeeds, the execution keeps its status, stopDate and reason, no new event.
    const again = await sfn.send(new StopExecutionCommand({ executionArn: exec, error: 'other' }));
    expect(again.stopDate).toEqual(stop.stopDate);
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: exec }))).toMatchObject({ status: 'ABORTED', error: 'mlspec.Cancelled' });
    await fake.settled();
    expect(stopped).toHaveLength(1);
    expect(fake.events.map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
  });

  it('during a task whose function never answers: ABORTED at once, with empty details when no reason is given, and nothing runs after', async () => {
    let after = false;
    fake.addFunction(FN, () => new Promise(() => undefined));
    fake.addFunction('after', () => {
      after = true;
    });
    const arn = fake.addStateMachine({
      name: 'hanging',
      roleArn: ROLE,
      definition: { StartAt: 'Hang', States: { Hang: { ...invoke({}), Next: 'After' }, After: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'after' }, End: true } } },
    });
    const exec = await start(arn);
    await until(async () => (await history(exec)).some((e) => e.type === 'TaskStarted'));
    await sfn.send(new StopExecutionCommand({ executionArn: exec }));
    await fake.settled();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec }));
    expect(described.status).toBe('ABORTED');
    expect('error' in described || 'cause' in described).toBe(false);
    const events = await history(exec);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'ExecutionAborted']);
    expect(events[4].executionAbortedEventDetails).toEqual({});
    expect(after).toBe(false);
  });
});

describe('refusals, as the service answers them', () => {
  let arn: string;
  beforeEach(() => {
    arn = fake.addStateMachine({ name: 'plain', roleArn: ROLE, definition: PASS });
  });

  it('StartExecution: an unknown state machine, an ARN that is not one', async () => {
    expect(await refusal(start(SM('nope')))).toEqual({ name: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${SM('nope')}'`, status: 400 });
    expect(await refusal(start('not-an-arn'))).toEqual({ name: 'InvalidArn', message: "Invalid Arn: 'Invalid ARN prefix: not-an-arn'", status: 400 });
    expect(await refusal(start(EXEC('plain', 'x')))).toMatchObject({ name: 'InvalidArn', message: "Invalid Arn: 'Resource type not valid in this context: execution'" });
    expect(await refusal(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: EXEC('plain', 'x') })))).toMatchObject({ name: 'InvalidArn', message: "Invalid Arn: 'Resource type not valid in this context: execution'" });
    expect(await refusal(sfn.send(new DescribeExecutionCommand({ executionArn: arn })))).toMatchObject({ name: 'InvalidArn', message: "Invalid Arn: 'Resource type not valid in this context: statemachine'" });
  });

  it('execution names: 1 to 80 characters, none of the forbidden ones', async () => {
    for (const name of ['run 1', 'a/b', 'a:b', 'a{b', 'a*b', 'a#b', 'tab\tname', 'ctl\u0001', 'del\u007f']) {
      expect(await refusal(start(arn, {}, name))).toEqual({ name: 'InvalidName', message: `Invalid Name: '${name}'`, status: 400 });
    }
    const long = 'r'.repeat(81);
    expect(await refusal(start(arn, {}, long))).toEqual({
      name: 'ValidationException', status: 400,
      message: `1 validation error detected: Value '${long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`,
    });
    expect(await refusal(start(arn, {}, ''))).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Member must have length greater than or equal to 1') });
    expect(await start(arn, {}, 'r'.repeat(80))).toBe(EXEC('plain', 'r'.repeat(80)));
    expect(await start(arn, {}, 'run-1.2_ok')).toBe(EXEC('plain', 'run-1.2_ok'));
    // No name: a UUID.
    expect(await start(arn)).toMatch(new RegExp(`^${EXEC('plain', '')}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
  });

  it('input: valid JSON of at most 256 KiB; any JSON value; "{}" when absent', async () => {
    const send = (input: string, name?: string) => sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input, name }));
    expect(await refusal(send('not json'))).toMatchObject({ name: 'InvalidExecutionInput', message: expect.stringMatching(/^Invalid State Machine Execution Input: '.+'$/) });
    expect(await refusal(send(''))).toEqual({ name: 'InvalidExecutionInput', message: "Invalid State Machine Execution Input: 'Invalid execution input.'", status: 400 });
    const big = JSON.stringify({ x: `${'é'.repeat(131_068)}a` }); // 262,145 bytes in UTF-8, 131,077 characters
    expect(Buffer.byteLength(big)).toBe(262_145);
    expect(await refusal(send(big))).toMatchObject({ name: 'ValidationException', message: "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144" });
    await send(JSON.stringify({ x: 'é'.repeat(131_068) }), 'at-the-limit');
    for (const [input, name] of [['2', 'number'], ['"text"', 'string'], ['null', 'null']]) await send(input, name);
    const absent = await start(arn, undefined, 'absent');
    await fake.settled();
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: absent }))).toMatchObject({ input: '{}', output: '{}', status: 'SUCCEEDED' });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: EXEC('plain', 'number') }))).output).toBe('2');
  });

  it('the same name: idempotent while running with the same input, else ExecutionAlreadyExists', async () => {
    let release!: () => void;
    fake.addFunction(FN, () => new Promise<void>((r) => (release = r)));
    const held = fake.addStateMachine({ name: 'held', roleArn: ROLE, definition: ONE_CALL });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: held, name: 'run-7', input: '{"a":1}' }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: held, name: 'run-7', input: '{"a":1}' }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    expect(await refusal(sfn.send(new StartExecutionCommand({ stateMachineArn: held, name: 'run-7', input: '{"a": 1}' })))).toEqual({
      name: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${EXEC('held', 'run-7')}'`, status: 400,
    });
    await until(async () => release !== undefined);
    release();
    await fake.settled();
    expect(await refusal(sfn.send(new StartExecutionCommand({ stateMachineArn: held, name: 'run-7', input: '{"a":1}' })))).toMatchObject({ name: 'ExecutionAlreadyExists' });
    // The name is the state machine's: another state machine may use it.
    expect(await start(arn, { a: 1 }, 'run-7')).toBe(EXEC('plain', 'run-7'));
  });

  it('an execution that does not exist; an over-long StopExecution error', async () => {
    const missing = EXEC('plain', 'missing');
    for (const call of [
      sfn.send(new DescribeExecutionCommand({ executionArn: missing })),
      sfn.send(new StopExecutionCommand({ executionArn: missing })),
      sfn.send(new GetExecutionHistoryCommand({ executionArn: missing })),
    ]) {
      expect(await refusal(call)).toEqual({ name: 'ExecutionDoesNotExist', message: `Execution Does Not Exist: '${missing}'`, status: 400 });
    }
    const exec = await start(arn);
    expect(await refusal(sfn.send(new StopExecutionCommand({ executionArn: exec, error: 'e'.repeat(257) })))).toMatchObject({
      name: 'ValidationException', message: "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256",
    });
  });

  it('page sizes, status filters and tokens', async () => {
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1001 })))).toEqual({
      name: 'ValidationException', status: 400, message: "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    });
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: -1 })))).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Member must have value greater than or equal to 0') });
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'succeeded' as ExecutionStatus })))).toEqual({
      name: 'ValidationException', status: 400,
      message: "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    });
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: 'garbage' })))).toEqual({ name: 'InvalidToken', message: "Invalid Token: 'Invalid token'", status: 400 });
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: 'x'.repeat(3097) })))).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Member must have length less than or equal to 3096') });
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: SM('nope') })))).toMatchObject({ name: 'StateMachineDoesNotExist' });
    const exec = await start(arn);
    await start(arn);
    await fake.settled();
    expect(await refusal(sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, maxResults: 1001 })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, nextToken: 'x'.repeat(1025) })))).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('less than or equal to 1024') });
    // A token is good for the arguments it was given for only.
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1 }));
    expect(page.nextToken).toBeDefined();
    expect(await refusal(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1, statusFilter: 'FAILED', nextToken: page.nextToken })))).toMatchObject({ name: 'InvalidToken' });
    const events = await sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, maxResults: 1 }));
    expect(await refusal(sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, maxResults: 1, reverseOrder: true, nextToken: events.nextToken })))).toMatchObject({ name: 'InvalidToken' });
  });
});

describe('listing and reading', () => {
  it('ListExecutions: newest first, in pages, filtered by status', async () => {
    const arn = fake.addStateMachine({ name: 'many', roleArn: ROLE, definition: PASS });
    for (let i = 0; i < 13; i++) {
      await start(arn, { i }, `e${i}`);
      await fake.settled();
    }
    let release!: () => void;
    fake.addFunction(FN, () => new Promise<void>((r) => (release = r)));
    const held = fake.addStateMachine({ name: 'held', roleArn: ROLE, definition: ONE_CALL });
    await start(held, {}, 'running');

    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 10 }));
    expect(first.executions!.map((e) => e.name)).toEqual(['e12', 'e11', 'e10', 'e9', 'e8', 'e7', 'e6', 'e5', 'e4', 'e3']);
    expect(first.executions![0]).toEqual({ executionArn: EXEC('many', 'e12'), stateMachineArn: arn, name: 'e12', status: 'SUCCEEDED', startDate: expect.any(Date), stopDate: expect.any(Date), redriveCount: 0 });
    const second = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 3, nextToken: first.nextToken }));
    expect(second.executions!.map((e) => e.name)).toEqual(['e2', 'e1', 'e0']);
    expect(second.nextToken).toBeUndefined();
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 0 }));
    expect(all.executions).toHaveLength(13);
    expect(all.nextToken).toBeUndefined();
    const paged: string[] = [];
    for await (const page of paginateListExecutions({ client: sfn, pageSize: 4 }, { stateMachineArn: arn })) paged.push(...page.executions!.map((e) => e.name!));
    expect(paged).toEqual(all.executions!.map((e) => e.name));

    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: held, statusFilter: 'RUNNING' }))).executions!.map((e) => [e.name, e.status, e.stopDate])).toEqual([['running', 'RUNNING', undefined]]);
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }))).executions).toEqual([]);
    await until(async () => release !== undefined);
    release();
  });

  it('GetExecutionHistory: pages, reverseOrder, includeExecutionData false', async () => {
    const arn = fake.addStateMachine({ name: 'two', roleArn: ROLE, definition: { StartAt: 'A', States: { A: { Type: 'Pass', Result: { a: 1 }, Next: 'B' }, B: { Type: 'Pass', End: true } } } });
    const exec = await start(arn, { secret: 's' });
    await fake.settled();
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, maxResults: 2 }));
    expect(page.events!.map((e) => e.id)).toEqual([1, 2]);
    const rest = await sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, maxResults: 2, nextToken: page.nextToken }));
    expect(rest.events!.map((e) => e.id)).toEqual([3, 4]);
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, reverseOrder: true }));
    expect(reversed.events!.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'PassStateExited', 'PassStateEntered', 'PassStateExited', 'PassStateEntered', 'ExecutionStarted']);
    expect(reversed.nextToken).toBeUndefined();
    const bare = await sfn.send(new GetExecutionHistoryCommand({ executionArn: exec, includeExecutionData: false }));
    expect(bare.events![0].executionStartedEventDetails).toEqual({ inputDetails: { truncated: false }, roleArn: ROLE });
    expect(bare.events![1].stateEnteredEventDetails).toEqual({ name: 'A', inputDetails: { truncated: false } });
    expect(JSON.stringify(bare.events)).not.toContain('secret');
  });

  it('DescribeStateMachine of a state machine from a synthesized template (Fn::Join of GetAtt and Ref tokens), which runs', async () => {
    const template = {
      Resources: {
        Steps: { Type: 'AWS::Lambda::Function', Properties: {} },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
        TrainingStateMachine1A2B3C: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            StateMachineName: 'mlspec-dev-train-vertex',
            StateMachineType: 'STANDARD',
            RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
            DefinitionString: {
              'Fn::Join': ['', [
                '{"StartAt":"Submit","States":{"Submit":{"Type":"Task","Resource":"arn:', { Ref: 'AWS::Partition' },
                ':states:::lambda:invoke","Parameters":{"FunctionName":"', { 'Fn::GetAtt': ['Steps', 'Arn'] },
                '","Payload.$":"$"},"ResultSelector":{"result.$":"$.Payload"},"End":true}}}',
              ]],
            },
            LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['Logs', 'Arn'] } } }] },
            TracingConfiguration: { Enabled: true },
          },
        },
      },
    };
    const asked: string[] = [];
    const arn = fake.addStateMachineFromTemplate(template, 'mlspec-dev-train-vertex', (id, attribute) => {
      asked.push(`${id}.${attribute}`);
      return id === 'Steps' ? FN : ROLE;
    });
    expect(arn).toBe(SM('mlspec-dev-train-vertex'));
    expect(asked.sort()).toEqual(['Role.Arn', 'Steps.Arn']);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({
      stateMachineArn: arn, name: 'mlspec-dev-train-vertex', status: 'ACTIVE', roleArn: ROLE, type: 'STANDARD',
      loggingConfiguration: { level: 'ALL', includeExecutionData: false }, tracingConfiguration: { enabled: true },
    });
    expect(JSON.parse(described.definition!).States.Submit.Parameters.FunctionName).toBe(FN);
    expect(described.creationDate).toBeInstanceOf(Date);

    fake.addFunction(FN, async (payload) => ({ echoed: payload }));
    const exec = await start(arn, { run: 1 });
    await fake.settled();
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: exec }))).output).toBe('{"result":{"echoed":{"run":1}}}');
    expect(() => fake.addStateMachineFromTemplate(template, 'TrainingStateMachine1A2B3C')).toThrow('pass resolve');
  });
});

describe('EventBridge rules', () => {
  it('match exact values in arrays, nested objects and prefixes; a non-matching rule gets nothing; a bad pattern is refused', async () => {
    const arn = fake.addStateMachine({ name: 'mlspec-dev-train-azureml', roleArn: ROLE, definition: PASS });
    const got: Record<string, string[]> = { prefix: [], nested: [], other: [] };
    fake.addRule({ source: ['aws.states'], detail: { stateMachineArn: [{ prefix: SM('mlspec-dev-') }], status: ['SUCCEEDED', 'FAILED'] } }, async (e) => {
      got.prefix.push(e.detail.status);
    });
    fake.addRule({ resources: [EXEC('mlspec-dev-train-azureml', 'run-9')], detail: { inputDetails: { included: [true] } } }, async (e) => {
      got.nested.push(e.detail.status);
    });
    fake.addRule({ source: ['aws.states'], detail: { stateMachineArn: [{ prefix: SM('mlspec-prod-') }] } }, async (e) => {
      got.other.push(e.detail.status);
    });
    await start(arn, {}, 'run-9');
    await fake.settled();
    expect(got).toEqual({ prefix: ['SUCCEEDED'], nested: ['RUNNING', 'SUCCEEDED'], other: [] });
    expect(() => fake.addRule({ source: 'aws.states' }, async () => undefined)).toThrow('Event pattern is not valid');
  });
});
