import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3.0.0 calls Promise.withResolvers (Node 22+) in every Task state; Node 20 has none.
if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
      return { promise, resolve, reject };
    },
  });
}

/**
 * A stateful fake of AWS Step Functions (STANDARD state machines) on 127.0.0.1, speaking the wire
 * protocol of the pinned `@aws-sdk/client-sfn` (3.1178.0; its dist says `AwsJson1_0Protocol`,
 * `serviceTarget: "AWSStepFunctions"`): `POST /`, `Content-Type: application/x-amz-json-1.0`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, a JSON body; errors are HTTP 400 with
 * `{"__type": "<ErrorName>", "message": ...}`; timestamps answer as epoch seconds (JSON numbers).
 *
 * It really runs the definitions (Amazon States Language, JSONPath) with aws-local-stepfunctions
 * 3.0.0, and keeps what the service keeps: each execution's status, input, output, error and cause,
 * its history as GetExecutionHistory returns it, and the EventBridge "Step Functions Execution
 * Status Change" events, which `addRule` routes to targets the way an EventBridge rule would.
 *
 * Served: StartExecution, DescribeExecution, StopExecution, ListExecutions, GetExecutionHistory,
 * DescribeStateMachine. State machines are set up by the test (`addStateMachine`,
 * `addStateMachineFromTemplate`), not over the wire. Task states run `arn:aws:states:::lambda:invoke`
 * (and plain Lambda function ARNs) against the functions `addFunction` registers.
 *
 * Time: a Wait takes `waitScale` ms of real time per second it waits (0 by default), and each
 * execution keeps its own clock, real time plus the seconds its Waits and Retry intervals would have
 * taken, so its history timestamps, stopDate and `TimeoutSeconds` read as on AWS. `waits(arn)` lists
 * the seconds of each Wait, `retries(arn)` the interval of each retry.
 *
 * Sources, cited where each rule is enforced: the Step Functions API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/, the operation pages named
 * below), the service model's constraints as botocore ships them
 * (boto/botocore botocore/data/stepfunctions/2016-11-23/service-2.json: `Name` 1-80, `PageSize`
 * 0-1000, `PageToken` 1-1024, `SensitiveData` at most 262144, `SensitiveError` at most 256,
 * `SensitiveCause` at most 32768), and AWS's own answers as recorded against the real service in
 * LocalStack's snapshot tests (localstack/localstack tests/aws/services/stepfunctions/v2/
 * test_sfn_api.snapshot.json, error_handling/test_task_service_lambda.snapshot.json,
 * base/test_wait.snapshot.json, base/test_base.snapshot.json, timeouts/test_timeouts.snapshot.json;
 * "recorded-content" there is what AWS answered), cited below as "recorded".
 *
 * Where it is not AWS: a Task's own TimeoutSeconds runs in real seconds (the library's timer);
 * Waits in concurrent Parallel or Map branches add up on the execution's clock; Retry with
 * JitterStrategy FULL is counted at its full interval; the Context Object has $$.Execution and
 * $$.StateMachine but no $$.State or $$.Task; States.Runtime failures that the library raises (a
 * JSONPath matching nothing, say) carry its wording, not AWS's; Parallel and Map history events
 * carry no details; only Lambda (lambda:invoke, function ARNs) Task resources run, RequestResponse
 * only; no versions, aliases, Map Runs, redrives or EXPRESS state machines.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, any>;
type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The handler of a Lambda function: it gets the payload and returns the function's result; a throw is a function error. */
export type FunctionHandler = (payload: any) => unknown | Promise<unknown>;
/** Maps a CloudFormation token (`Ref` when `attribute` is undefined, else `Fn::GetAtt`) to its value. */
export type TokenResolver = (logicalId: string, attribute: string | undefined) => string;

/** The EventBridge event "Step Functions Execution Status Change", as AWS sends it. */
export interface StatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: Status;
    startDate: number;
    stopDate: number | null;
    input: string;
    output: string | null;
    stateMachineVersionArn: null;
    stateMachineAliasArn: null;
    redriveCount: 0;
    redriveDate: null;
    redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE';
    redriveStatusReason: string | null;
    inputDetails: { included: boolean };
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

export interface StateMachineSpec {
  name: string;
  /** The ASL definition, as an object or as the JSON string CreateStateMachine takes. */
  definition: string | object;
  roleArn: string;
  loggingConfiguration?: { level?: 'ALL' | 'ERROR' | 'FATAL' | 'OFF'; includeExecutionData?: boolean; destinations?: unknown[] };
  tracingConfiguration?: { enabled: boolean };
}

export interface FakeStepFunctionsOptions {
  /** Milliseconds of real time per second a Wait state waits (default 0: every Wait is immediate). */
  waitScale?: number;
}

interface FakeMachine {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  creationDate: number;
  loggingConfiguration: Obj;
  tracingConfiguration: Obj;
  /** Every state of the definition (branches and iterators included), by name, as written. */
  states: Map<string, Obj>;
  /** The definition as aws-local-stepfunctions runs it (see `prepare`). */
  runnable: StateMachine;
  retryOverrides: Record<string, number>;
  timeoutSeconds?: number;
}

export interface RetryRecord { state: string; attempt: number; seconds: number }

interface Execution {
  seq: number;
  arn: string;
  name: string;
  machine: FakeMachine;
  input: string;
  status: Status;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: Obj[];
  waits: number[];
  retries: RetryRecord[];
  /** How far this execution's clock is ahead of real time (the time its Waits and retries took on AWS). */
  skew: number;
  /** Ended: no event of the run is recorded any more. */
  closed: boolean;
  /** Rejects when StopExecution or the timeout ends the execution; races every task and wait. */
  stopped: Promise<never>;
  reject: (e: Error) => void;
  abort?: () => void;
  deadline?: number;
  timer?: NodeJS.Timeout;
  /** State name → the id of its last *StateEntered event. */
  entered: Map<string, number>;
  /** The task now running: its resource kind and whether its end is recorded. */
  task?: { state: string; kind: 'invoke' | 'function'; ended: boolean };
  done?: Promise<void>;
}

class SfnError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** An error raised inside the state machine (a States error or a function's), matched by name in Retry and Catch. */
class StatesError extends Error {
  readonly isRetryable: boolean;
  readonly isCatchable: boolean;
  constructor(name: string, message: string, handled = true) {
    super(message);
    this.name = name;
    this.isRetryable = handled;
    this.isCatchable = handled;
  }
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** What a Wait state runs as (see `prepare`); never on the wire. */
const WAIT_RESOURCE = 'arn:aws:states:::fake-wait:wait';
/** The longest a Node.js timer can wait (2^31-1 ms), in seconds: aws-local-stepfunctions times every task with one. */
const MAX_TIMER_SECONDS = 2147483;
/**
 * "Maximum execution history size: 25,000 events" (Step Functions quotas,
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); measured on AWS, event
 * 25,000 is the ExecutionFailed, States.Runtime "The execution reached the maximum number of history
 * events (25000)." (floci-io/floci#2734).
 */
const HISTORY_LIMIT = 25000;
/** "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string" (quotas); `SensitiveData` max 262144. */
const DATA_LIMIT = 262144;
/** ExecutionStatus, in the order AWS lists it in its refusal (recorded, test_state_machine_status_filter). */
const STATUSES = ['SUCCEEDED', 'TIMED_OUT', 'PENDING_REDRIVE', 'ABORTED', 'FAILED', 'RUNNING'];

/**
 * "A name must not contain: white space; brackets < > { } [ ]; wildcard characters ? *; special
 * characters " # % \ ^ | ~ ` $ & , ; : /; control characters (U+0000-001F, U+007F-009F,
 * U+FFFE-FFFF); surrogates (U+D800-DFFF); invalid characters (U+10FFFF)" (API reference,
 * StartExecution, name).
 */
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff\u{10ffff}]/u;
/** What aws-local-stepfunctions accepts as a Wait Timestamp (RFC 3339), which AWS asks for as ISO-8601 extended offset date-time. */
const RFC3339 = /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(\.\d+)?(Z|(\+|-)([01][0-9]|2[0-3]):([0-5][0-9]))$/;

const json = (value: unknown): string => JSON.stringify(value === undefined ? null : value);
const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
const clone = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** AWS's framework answer to a member outside the model's constraints (recorded: "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"). */
function constraint(member: string, value: unknown, rule: string, sensitive = false): SfnError {
  const shown = value === null || value === undefined ? 'Value null' : sensitive ? 'Value' : `Value '${String(value)}'`;
  return new SfnError('ValidationException', `1 validation error detected: ${shown} at '${member}' failed to satisfy constraint: Member must ${rule}`);
}

function required(member: string, value: unknown): void {
  if (value === undefined || value === null) throw constraint(member, null, 'not be null');
}

/** A string member's length constraint; `sensitive` members are not echoed, `utf8` ones count bytes ("expressed as bytes in UTF-8 encoding"). */
function length(member: string, value: string | undefined, min: number, max: number, options: { sensitive?: boolean; utf8?: boolean } = {}): void {
  if (value === undefined) return;
  const sensitive = options.sensitive ?? false;
  const n = options.utf8 ? bytes(value) : [...value].length;
  if (n < min) throw constraint(member, value, `have length greater than or equal to ${min}`, sensitive);
  if (n > max) throw constraint(member, value, `have length less than or equal to ${max}`, sensitive);
}

/** maxResults: `PageSize` 0-1000; "The default is 100 ... A value of 0 uses the default" (API reference, ListExecutions, GetExecutionHistory). */
function pageSize(value: number | undefined): number {
  if (value === undefined || value === 0) return 100;
  if (value < 0) throw constraint('maxResults', value, 'have value greater than or equal to 0');
  if (value > 1000) throw constraint('maxResults', value, 'have value less than or equal to 1000');
  return value;
}

const invalidToken = () => new SfnError('InvalidToken', "Invalid Token: 'Invalid token'");

/** A page token: opaque to the caller, bound to the arguments it was made for ("Keep all other arguments unchanged"). */
function encodeToken(bound: Obj, position: number | string): string {
  return Buffer.from(JSON.stringify({ ...bound, position })).toString('base64');
}

function decodeToken(token: string, bound: Obj): number | string {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    for (const [k, v] of Object.entries(bound)) if (t[k] !== v) throw invalidToken();
    if (typeof t.position !== 'number' && typeof t.position !== 'string') throw invalidToken();
    return t.position;
  } catch {
    throw invalidToken();
  }
}

/**
 * An ARN the operation takes. AWS's refusals (recorded): "Invalid Arn: 'Invalid ARN prefix:
 * not_a_valid_arn'", and for an ARN of another resource type "Invalid Arn: 'Resource type not
 * valid in this context: <type>'".
 */
function parseArn(arn: string, want: 'stateMachine' | 'execution'): { region: string; account: string; parts: string[] } {
  if (!arn.startsWith('arn:')) throw new SfnError('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
  const parts = arn.split(':');
  if (parts.length < 7 || !parts[1].startsWith('aws') || parts[2] !== 'states' || !/^\d{12}$/.test(parts[4])) {
    throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
  }
  if (parts[5] !== want) throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${parts[5].toLowerCase()}'`);
  const rest = parts.slice(6);
  if (rest.some((p) => p === '') || (want === 'execution' ? rest.length !== 2 : rest.length > 2)) throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
  return { region: parts[3], account: parts[4], parts: rest };
}

/**
 * What a Node.js Lambda function reports when its handler throws: the runtime's toRapidResponse
 * (aws/aws-lambda-nodejs-runtime-interface-client src/Errors.js): an Error gives `{errorType: name,
 * errorMessage: message, trace: stack lines}`, anything else `{errorType: typeof, errorMessage:
 * String(value), trace: []}`. Step Functions names the failure after `errorType` and puts the JSON
 * as its cause (recorded, test_raise_exception: error "Exception", cause the function's error JSON).
 */
function functionError(e: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (e instanceof Error || (isObj(e) && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string')) {
    const err = e as Error;
    return { errorType: err.name, errorMessage: err.message, trace: String(err.stack ?? '').split('\n') };
  }
  return { errorType: typeof e, errorMessage: String(e), trace: [] };
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, `<account>:function:<name>[:<qualifier>]` or `<name>[:<qualifier>]`. */
function parseFunctionName(value: string): { name: string; region?: string; account?: string } {
  const p = value.split(':');
  if (p[0] === 'arn' && p.length >= 7 && p[2] === 'lambda' && p[5] === 'function') return { region: p[3], account: p[4], name: p[6] };
  if (p.length >= 3 && p[1] === 'function') return { account: p[0], name: p[2] };
  return { name: p[0] };
}

/** EventBridge event patterns: values are arrays of literals or matchers, objects nest (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
function checkPattern(pattern: unknown, path = ''): void {
  if (!isObj(pattern)) throw new Error(`Event pattern is not valid. Reason: ${path || 'the pattern'} must be an object`);
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`Event pattern is not valid. Reason: Empty arrays are not allowed (at "${here}")`);
      for (const m of value) {
        if (isObj(m) && !['prefix', 'suffix', 'anything-but', 'exists', 'equals-ignore-case', 'numeric'].some((k) => k in m)) {
          throw new Error(`Event pattern is not valid. Reason: Unrecognized match type ${Object.keys(m)[0]} (at "${here}")`);
        }
      }
    } else if (isObj(value)) {
      checkPattern(value, here);
    } else {
      throw new Error(`Event pattern is not valid. Reason: "${here}" must be an object or an array`);
    }
  }
}

function matchesPattern(pattern: Obj, event: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const present = isObj(event) && key in event;
    const value = present ? (event as Obj)[key] : undefined;
    if (!Array.isArray(rule)) return isObj(value) && matchesPattern(rule, value);
    const values: unknown[] = Array.isArray(value) ? value : [value];
    return rule.some((m) => matchOne(m, values, present));
  });
}

function matchOne(m: unknown, values: unknown[], present: boolean): boolean {
  if (!isObj(m)) return present && values.some((v) => v === m);
  if ('exists' in m) return m.exists === present;
  if (!present) return false;
  if ('prefix' in m) return values.some((v) => typeof v === 'string' && typeof m.prefix === 'string' && v.startsWith(m.prefix));
  if ('suffix' in m) return values.some((v) => typeof v === 'string' && typeof m.suffix === 'string' && v.endsWith(m.suffix));
  if ('equals-ignore-case' in m) return values.some((v) => typeof v === 'string' && v.toLowerCase() === String(m['equals-ignore-case']).toLowerCase());
  if ('anything-but' in m) {
    const but = m['anything-but'];
    if (isObj(but)) return values.every((v) => !matchOne(but, [v], true));
    const excluded = Array.isArray(but) ? but : [but];
    return values.every((v) => !excluded.includes(v));
  }
  if ('numeric' in m) {
    const ops: unknown[] = m.numeric;
    return values.some((v) => {
      if (typeof v !== 'number') return false;
      for (let i = 0; i + 1 < ops.length; i += 2) {
        const n = Number(ops[i + 1]);
        const ok = { '=': v === n, '<': v < n, '<=': v <= n, '>': v > n, '>=': v >= n }[String(ops[i])];
        if (!ok) return false;
      }
      return true;
    });
  }
  return false;
}

export class FakeStepFunctions {
  region = 'us-east-1';
  account = '123456789012';
  /** Milliseconds of real time per second a Wait state waits (0: immediate). */
  waitScale: number;
  url = '';
  /** Every call, in order, as `StepFunctions.<Operation>`. */
  readonly calls: string[] = [];
  /** Every status-change event sent, in order. */
  readonly events: StatusChangeEvent[] = [];
  /** Rule deliveries whose target threw (after its retries). */
  readonly ruleFailures: { event: StatusChangeEvent; error: unknown }[] = [];
  private readonly machines = new Map<string, FakeMachine>();
  private readonly executions = new Map<string, Execution>();
  private readonly functions = new Map<string, { arn: string; region: string; account: string; handler: FunctionHandler }>();
  private readonly listeners = new Set<(event: StatusChangeEvent) => unknown>();
  private readonly rules = new Set<{ pattern: Obj; target: (event: StatusChangeEvent) => unknown; retryAttempts: number }>();
  private readonly pending = new Set<Promise<unknown>>();
  private seq = 0;
  private server?: http.Server;

  constructor(options: FakeStepFunctionsOptions = {}) {
    this.waitScale = options.waitScale ?? 0;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        let status = 200;
        let out: unknown;
        try {
          out = this.dispatch(req, body);
        } catch (e) {
          const err = e instanceof SfnError ? e : new SfnError('InternalFailure', String(e instanceof Error ? e.stack : e), 500);
          status = err.status;
          out = { __type: err.type, message: err.message };
        }
        const text = JSON.stringify(out ?? {});
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Ends every running execution (silently: no event, no status change) and closes the server. */
  async stop(): Promise<void> {
    for (const exec of this.executions.values()) {
      if (exec.closed) continue;
      exec.closed = true;
      clearTimeout(exec.timer);
      exec.reject(new StatesError('States.Runtime', 'The fake was stopped', false));
      exec.abort?.();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The real client, pointed here with static credentials. */
  client(options: { maxAttempts?: number } = {}): SFNClient {
    return new SFNClient({ endpoint: this.url, region: this.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: options.maxAttempts ?? 1 });
  }

  // --- set-up (not over the wire) -----------------------------------------------------------------

  /** Registers a STANDARD state machine, as CreateStateMachine would; answers its ARN. Throws on an invalid definition. */
  addStateMachine(spec: StateMachineSpec): string {
    if (![...spec.name].length || [...spec.name].length > 80 || FORBIDDEN_IN_NAME.test(spec.name)) throw new Error(`Invalid Name: '${spec.name}'`);
    const arn = `arn:aws:states:${this.region}:${this.account}:stateMachine:${spec.name}`;
    if (this.machines.has(arn)) throw new Error(`State Machine Already Exists: '${arn}'`);
    const definition = typeof spec.definition === 'string' ? spec.definition : JSON.stringify(spec.definition);
    const parsed = JSON.parse(definition);
    validate(definition);
    const { runnable, states, retryOverrides, timeoutSeconds } = prepare(parsed);
    this.machines.set(arn, {
      arn,
      name: spec.name,
      definition,
      roleArn: spec.roleArn,
      creationDate: Date.now(),
      // The defaults DescribeStateMachine answers for a machine made without them (recorded, test_describe_sm_arn_containing_punctuation).
      loggingConfiguration: { level: spec.loggingConfiguration?.level ?? 'OFF', includeExecutionData: spec.loggingConfiguration?.includeExecutionData ?? false, ...(spec.loggingConfiguration?.destinations ? { destinations: spec.loggingConfiguration.destinations } : {}) },
      tracingConfiguration: { enabled: spec.tracingConfiguration?.enabled ?? false },
      states,
      runnable: new StateMachine(runnable as any, { validationOptions: { noValidate: true } }),
      retryOverrides,
      timeoutSeconds,
    });
    return arn;
  }

  /**
   * Registers the `AWS::StepFunctions::StateMachine` of a synthesized template (the one named by
   * logical id or StateMachineName, or the only one). `DefinitionString` may be a string or an
   * `Fn::Join` of strings, `Ref` and `Fn::GetAtt [X, Arn]`; `Definition` with
   * `DefinitionSubstitutions` is taken too. Pseudo parameters resolve to the fake's region and
   * account, other tokens through `resolve`.
   */
  addStateMachineFromTemplate(template: unknown, logicalIdOrName?: string, resolve?: TokenResolver): string {
    const resources: Obj = (isObj(template) && isObj(template.Resources) ? template.Resources : {}) as Obj;
    const token = (value: unknown, where: string): string => this.resolveToken(value, where, resolve);
    const found = Object.entries(resources).filter(([, r]) => isObj(r) && r.Type === 'AWS::StepFunctions::StateMachine');
    const named = found.map(([id, r]) => ({ id, props: (r.Properties ?? {}) as Obj, name: r.Properties?.StateMachineName === undefined ? undefined : token(r.Properties.StateMachineName, `${id}.StateMachineName`) }));
    const chosen = logicalIdOrName === undefined ? named : named.filter((m) => m.id === logicalIdOrName || m.name === logicalIdOrName);
    if (chosen.length !== 1) {
      throw new Error(`addStateMachineFromTemplate: ${chosen.length === 0 ? 'no' : 'more than one'} AWS::StepFunctions::StateMachine${logicalIdOrName ? ` named ${logicalIdOrName}` : ''} in the template (found: ${named.map((m) => m.id).join(', ') || 'none'})`);
    }
    const { id, props, name } = chosen[0];
    if (props.StateMachineType !== undefined && token(props.StateMachineType, `${id}.StateMachineType`) !== 'STANDARD') throw new Error(`addStateMachineFromTemplate: ${id} is not a STANDARD state machine; the fake serves STANDARD only`);
    let definition: string;
    if (props.DefinitionString !== undefined) definition = token(props.DefinitionString, `${id}.DefinitionString`);
    else if (props.Definition !== undefined) definition = JSON.stringify(props.Definition);
    else throw new Error(`addStateMachineFromTemplate: ${id} has neither DefinitionString nor Definition (DefinitionS3Location is not served)`);
    for (const [key, value] of Object.entries((props.DefinitionSubstitutions ?? {}) as Obj)) {
      definition = definition.split(`\${${key}}`).join(token(value, `${id}.DefinitionSubstitutions.${key}`));
    }
    const logging = props.LoggingConfiguration as Obj | undefined;
    return this.addStateMachine({
      // CloudFormation names an unnamed state machine after its logical id and a random suffix.
      name: name ?? `${id}-${randomUUID().replace(/-/g, '').slice(0, 12)}`,
      definition,
      roleArn: token(props.RoleArn, `${id}.RoleArn`),
      loggingConfiguration: logging ? { level: logging.Level, includeExecutionData: logging.IncludeExecutionData } : undefined,
      tracingConfiguration: isObj(props.TracingConfiguration) ? { enabled: Boolean(props.TracingConfiguration.Enabled) } : undefined,
    });
  }

  /**
   * A Lambda function for lambda:invoke tasks (matched by FunctionName: name, partial or full ARN;
   * a qualifier is taken as the same function). Its handler's throw is a function error.
   */
  addFunction(functionArnOrName: string, handler: FunctionHandler): string {
    const p = parseFunctionName(functionArnOrName);
    const region = p.region ?? this.region;
    const account = p.account ?? this.account;
    const arn = `arn:aws:lambda:${region}:${account}:function:${p.name}`;
    this.functions.set(p.name, { arn, region, account, handler });
    return arn;
  }

  /** Called with every status-change event, as it happens; returns the unsubscribe. */
  onStatusChange(listener: (event: StatusChangeEvent) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * An EventBridge rule on the default bus: status-change events matching `pattern` go to `target`,
   * asynchronously, as EventBridge delivers them; a throwing target is tried `retryAttempts` more
   * times (no backoff) and then recorded in `ruleFailures`. Returns the rule's removal.
   */
  addRule(pattern: object, target: (event: StatusChangeEvent) => unknown, options: { retryAttempts?: number } = {}): () => void {
    checkPattern(pattern);
    const rule = { pattern: pattern as Obj, target, retryAttempts: options.retryAttempts ?? 0 };
    this.rules.add(rule);
    return () => this.rules.delete(rule);
  }

  /** Resolves when no execution runs and every rule delivery and listener has finished. */
  async settled(): Promise<void> {
    for (;;) {
      const now = [...this.pending];
      if (now.length === 0) return;
      await Promise.allSettled(now);
    }
  }

  /** The seconds each Wait state of the execution waited (or would have, on AWS), in order. */
  waits(executionArn: string): number[] {
    return [...this.execution(executionArn).waits];
  }

  /** Each retry of the execution: the state, the attempt (1 for the first retry) and the interval in seconds its retrier gives. */
  retries(executionArn: string): RetryRecord[] {
    return this.execution(executionArn).retries.map((r) => ({ ...r }));
  }

  /** The ARNs of every execution started, oldest first. */
  executionArns(): string[] {
    return [...this.executions.keys()];
  }

  private execution(arn: string): Execution {
    const exec = this.executions.get(arn);
    if (!exec) throw new Error(`no execution ${arn} in the fake`);
    return exec;
  }

  private resolveToken(value: unknown, where: string, resolve?: TokenResolver): string {
    if (typeof value === 'string') return value;
    if (isObj(value) && Array.isArray(value['Fn::Join'])) {
      const [sep, parts] = value['Fn::Join'];
      if (typeof sep !== 'string' || !Array.isArray(parts)) throw new Error(`addStateMachineFromTemplate: malformed Fn::Join at ${where}`);
      return parts.map((p: unknown) => this.resolveToken(p, where, resolve)).join(sep);
    }
    if (isObj(value) && typeof value.Ref === 'string') {
      const pseudo: Record<string, string> = { 'AWS::Region': this.region, 'AWS::AccountId': this.account, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
      if (value.Ref in pseudo) return pseudo[value.Ref];
      if (!resolve) throw new Error(`addStateMachineFromTemplate: ${where} refers to ${value.Ref} (Ref); pass resolve to map it`);
      return resolve(value.Ref, undefined);
    }
    if (isObj(value) && value['Fn::GetAtt'] !== undefined) {
      const att = value['Fn::GetAtt'];
      const [id, attribute] = Array.isArray(att) ? att : String(att).split('.');
      if (!resolve) throw new Error(`addStateMachineFromTemplate: ${where} refers to ${id}.${attribute} (Fn::GetAtt); pass resolve to map it`);
      return resolve(String(id), String(attribute));
    }
    throw new Error(`addStateMachineFromTemplate: unsupported token at ${where}: ${JSON.stringify(value)}`);
  }

  // --- the wire -------------------------------------------------------------------------------------

  private dispatch(req: http.IncomingMessage, body: string): unknown {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.url !== '/') throw new SfnError('UnknownOperationException', `This fake serves POST / only; got ${req.method} ${req.url}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.0' || !target.startsWith(TARGET_PREFIX)) {
      throw new SfnError('UnknownOperationException', `This fake speaks AWS JSON 1.0 (${TARGET_PREFIX}<Operation>); got content-type ${req.headers['content-type']} and target '${target}'`);
    }
    const op = target.slice(TARGET_PREFIX.length);
    this.calls.push(`StepFunctions.${op}`);
    let input: Obj;
    try {
      input = body ? JSON.parse(body) : {};
    } catch {
      throw new SfnError('SerializationException', 'Request body is not JSON');
    }
    switch (op) {
      case 'StartExecution': return this.startExecution(input);
      case 'DescribeExecution': return this.describeExecution(input);
      case 'StopExecution': return this.stopExecution(input);
      case 'ListExecutions': return this.listExecutions(input);
      case 'GetExecutionHistory': return this.getExecutionHistory(input);
      case 'DescribeStateMachine': return this.describeStateMachine(input);
      default: throw new SfnError('UnknownOperationException', `${op} is not served by the fake`);
    }
  }

  private machineOf(arn: string | undefined): FakeMachine {
    required('stateMachineArn', arn);
    length('stateMachineArn', arn, 1, 256);
    const { parts } = parseArn(arn!, 'stateMachine');
    const machine = this.machines.get(arn!);
    // No versions or aliases are published in the fake, so a qualified ARN names nothing.
    if (!machine || parts.length !== 1) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private executionOf(arn: string | undefined): Execution {
    required('executionArn', arn);
    length('executionArn', arn, 1, 256);
    parseArn(arn!, 'execution');
    const exec = this.executions.get(arn!);
    // Recorded: "Execution Does Not Exist: '<arn>'".
    if (!exec) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return exec;
  }

  /**
   * StartExecution (API reference, API_StartExecution). `name`: `Name` 1-80 characters (a longer
   * one AWS refuses as ValidationException "... at 'name' failed to satisfy constraint: Member must
   * have length less than or equal to 80", quoted in wolfeidau/buildkite-serverless-agent#37), none
   * of the forbidden characters (InvalidName "Invalid Name: '<name>'", AWS's wording as recorded for
   * activities); without one "Step Functions automatically generates a universally unique identifier
   * (UUID)". `input`: `SensitiveData` at most 262144 (bytes: "Length constraints apply to the payload
   * size, and are expressed as bytes in UTF-8 encoding"), any JSON value (recorded: a number, a
   * string and null start; "" and non-JSON are InvalidExecutionInput "Invalid State Machine Execution
   * Input: '...'"), "{}" when absent. "StartExecution is idempotent for STANDARD workflows ... if you
   * call StartExecution with the same name and input as a running execution, the call succeeds and
   * return the same response as the original request. If the execution is closed or if the input is
   * different, it returns a 400 ExecutionAlreadyExists error" (recorded: "Execution Already Exists:
   * '<execution arn>'").
   */
  private startExecution(input: { stateMachineArn?: string; name?: string; input?: string; traceHeader?: string }) {
    const machine = this.machineOf(input.stateMachineArn);
    if (input.name !== undefined) {
      length('name', input.name, 1, 80);
      if (FORBIDDEN_IN_NAME.test(input.name)) throw new SfnError('InvalidName', `Invalid Name: '${input.name}'`);
    }
    const text = input.input ?? '{}';
    length('input', text, 0, DATA_LIMIT, { sensitive: true, utf8: true });
    if (text === '') throw new SfnError('InvalidExecutionInput', "Invalid State Machine Execution Input: 'Invalid execution input.'");
    let value: Json;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(e as Error).message}'`);
    }
    const name = input.name ?? randomUUID();
    const arn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text) return { executionArn: arn, startDate: seconds(existing.startDate) };
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    let reject!: (e: Error) => void;
    const stopped = new Promise<never>((_, rej) => (reject = rej));
    stopped.catch(() => undefined);
    const exec: Execution = {
      seq: ++this.seq, arn, name, machine, input: text, status: 'RUNNING', startDate: Date.now(),
      history: [], waits: [], retries: [], skew: 0, closed: false, stopped, reject, entered: new Map(),
    };
    this.executions.set(arn, exec);
    if (machine.timeoutSeconds !== undefined) exec.deadline = exec.startDate + machine.timeoutSeconds * 1000;
    this.record(exec, 'ExecutionStarted', { executionStartedEventDetails: { input: text, inputDetails: { truncated: false }, roleArn: machine.roleArn } }, exec.startDate, 0);
    this.emit(exec);
    this.arm(exec);
    this.run(exec, value);
    return { executionArn: arn, startDate: seconds(exec.startDate) };
  }

  /** DescribeExecution (API reference, API_DescribeExecution); the shape AWS answers (recorded, test_describe_execution, test_state_fail, test_global_timeout). */
  private describeExecution(input: { executionArn?: string }) {
    const exec = this.executionOf(input.executionArn);
    const redrive = this.redrive(exec);
    return {
      executionArn: exec.arn,
      stateMachineArn: exec.machine.arn,
      name: exec.name,
      status: exec.status,
      startDate: seconds(exec.startDate),
      stopDate: seconds(exec.stopDate),
      input: exec.input,
      inputDetails: { included: true },
      // "This field is set only if the execution succeeds."
      ...(exec.output !== undefined ? { output: exec.output, outputDetails: { included: true } } : {}),
      ...(exec.error !== undefined ? { error: exec.error } : {}),
      ...(exec.cause !== undefined ? { cause: exec.cause } : {}),
      redriveCount: 0,
      redriveStatus: redrive.status,
      ...(redrive.reason ? { redriveStatusReason: redrive.reason } : {}),
    };
  }

  /**
   * StopExecution (API reference, API_StopExecution): `error` at most 256, `cause` at most 32768.
   * A running execution ends ABORTED at once, even inside a Wait or a task (recorded,
   * test_stop_execution: WaitStateEntered then ExecutionAborted with previousEventId 0 and
   * `executionAbortedEventDetails` holding only what was given; DescribeExecution then carries the
   * error and cause given, floci-io/floci#2734 measured). The reference lists no error for an
   * execution that has already ended, so that call succeeds and changes nothing: its stopDate is the
   * execution's own.
   */
  private stopExecution(input: { executionArn?: string; error?: string; cause?: string }) {
    const exec = this.executionOf(input.executionArn);
    length('error', input.error, 0, 256, { sensitive: true });
    length('cause', input.cause, 0, 32768, { sensitive: true });
    if (exec.status !== 'RUNNING') return { stopDate: seconds(exec.stopDate) };
    const details = { ...(input.error !== undefined ? { error: input.error } : {}), ...(input.cause !== undefined ? { cause: input.cause } : {}) };
    this.close(exec, 'ABORTED', this.now(exec), { error: input.error, cause: input.cause }, 'ExecutionAborted', { executionAbortedEventDetails: details });
    return { stopDate: seconds(exec.stopDate) };
  }

  /**
   * ListExecutions (API reference, API_ListExecutions): "Results are sorted by time, with the most
   * recent execution first. Running executions are sorted by their startDate or redriveDate, and
   * other executions are sorted by their stopDate." `maxResults` 0-1000 (0: 100); `nextToken` 1-3096
   * (recorded: "Member must have length less than or equal to 3096"), a token not made for these
   * arguments is InvalidToken; `statusFilter` one of ExecutionStatus (recorded refusal), and
   * "If you provide a stateMachineArn and a PENDING_REDRIVE statusFilter, the API returns a
   * validation exception." The fake runs no Map Runs.
   */
  private listExecutions(input: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string; mapRunArn?: string; redriveFilter?: string }) {
    if (input.mapRunArn !== undefined && input.stateMachineArn !== undefined) throw new SfnError('ValidationException', 'You can specify either a mapRunArn or a stateMachineArn, but not both.');
    if (input.mapRunArn !== undefined) throw new SfnError('ValidationException', 'This fake runs no Map Runs: list by stateMachineArn.');
    const machine = this.machineOf(input.stateMachineArn);
    if (input.statusFilter !== undefined && !STATUSES.includes(input.statusFilter)) throw constraint('statusFilter', input.statusFilter, `satisfy enum value set: [${STATUSES.join(', ')}]`);
    if (input.statusFilter === 'PENDING_REDRIVE') throw new SfnError('ValidationException', 'The PENDING_REDRIVE statusFilter is only valid with a mapRunArn.');
    if (input.redriveFilter !== undefined && !['REDRIVEN', 'NOT_REDRIVEN'].includes(input.redriveFilter)) throw constraint('redriveFilter', input.redriveFilter, 'satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]');
    const size = pageSize(input.maxResults);
    length('nextToken', input.nextToken, 1, 3096);
    const all = [...this.executions.values()]
      .filter((e) => e.machine === machine)
      .filter((e) => input.statusFilter === undefined || e.status === input.statusFilter)
      .filter((e) => input.redriveFilter !== 'REDRIVEN')
      .sort((a, b) => (b.stopDate ?? b.startDate) - (a.stopDate ?? a.startDate) || b.seq - a.seq);
    let start = 0;
    if (input.nextToken !== undefined) {
      const next = decodeToken(input.nextToken, { op: 'ListExecutions', sm: machine.arn, status: input.statusFilter ?? null, redrive: input.redriveFilter ?? null });
      start = all.findIndex((e) => e.arn === next);
      if (start < 0) throw invalidToken();
    }
    const page = all.slice(start, start + size);
    const following = all[start + size];
    return {
      executions: page.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: machine.arn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
        redriveCount: 0,
      })),
      ...(following ? { nextToken: encodeToken({ op: 'ListExecutions', sm: machine.arn, status: input.statusFilter ?? null, redrive: input.redriveFilter ?? null }, following.arn) } : {}),
    };
  }

  /**
   * GetExecutionHistory (API reference, API_GetExecutionHistory): "By default, the results are
   * returned in ascending order of the timeStamp of the events. Use the reverseOrder parameter to
   * get the latest events first"; `maxResults` 0-1000 (0: 100); `nextToken` `PageToken` 1-1024;
   * `includeExecutionData` ("whether execution data (input or output of a history event) is
   * returned. The default is true").
   */
  private getExecutionHistory(input: { executionArn?: string; maxResults?: number; reverseOrder?: boolean; nextToken?: string; includeExecutionData?: boolean }) {
    const exec = this.executionOf(input.executionArn);
    const size = pageSize(input.maxResults);
    length('nextToken', input.nextToken, 1, 1024);
    const bound = { op: 'GetExecutionHistory', arn: exec.arn, reverse: Boolean(input.reverseOrder), data: input.includeExecutionData !== false };
    const start = input.nextToken === undefined ? 0 : decodeToken(input.nextToken, bound);
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > exec.history.length) throw invalidToken();
    const ordered = input.reverseOrder ? [...exec.history].reverse() : exec.history;
    const page = ordered.slice(start, start + size).map((e) => {
      const out: Obj = clone(e);
      out.timestamp = seconds(e.timestamp);
      if (input.includeExecutionData === false) {
        for (const [key, details] of Object.entries(out)) {
          if (key.endsWith('EventDetails') && isObj(details)) for (const k of ['input', 'output', 'parameters']) delete details[k];
        }
      }
      return out;
    });
    return { events: page, ...(start + size < ordered.length ? { nextToken: encodeToken(bound, start + size) } : {}) };
  }

  /** DescribeStateMachine (API reference, API_DescribeStateMachine); an execution's ARN is InvalidArn (resource type not valid). */
  private describeStateMachine(input: { stateMachineArn?: string }) {
    const m = this.machineOf(input.stateMachineArn);
    return {
      stateMachineArn: m.arn,
      name: m.name,
      status: 'ACTIVE',
      definition: m.definition,
      roleArn: m.roleArn,
      type: 'STANDARD',
      creationDate: seconds(m.creationDate),
      loggingConfiguration: clone(m.loggingConfiguration),
      tracingConfiguration: clone(m.tracingConfiguration),
    };
  }

  // --- running an execution -------------------------------------------------------------------------

  private run(exec: Execution, value: Json): void {
    const handlers: Record<string, (input: any) => Promise<any>> = {};
    for (const [name, state] of exec.machine.states) {
      if (state.Type === 'Task' || state.Type === 'Wait') handlers[name] = (effective) => this.task(exec, name, effective);
    }
    const run = exec.machine.runnable.run(value as any, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: exec.machine.retryOverrides },
      noThrowOnAbort: true,
      // The Context Object's execution and state machine fields ($$.Execution.Name and so on).
      context: {
        Execution: { Id: exec.arn, Name: exec.name, RoleArn: exec.machine.roleArn, StartTime: new Date(exec.startDate).toISOString(), RedriveCount: 0 },
        StateMachine: { Id: exec.machine.arn, Name: exec.machine.name },
      },
    });
    exec.abort = run.abort;
    const follow = (async () => {
      try {
        for await (const event of run.eventLogs) if (!exec.closed) this.onRunEvent(exec, event as Obj);
      } catch (e) {
        this.fail(exec, 'States.Runtime', `The fake failed to follow the execution: ${e instanceof Error ? e.stack : String(e)}`);
      }
    })();
    const done = Promise.allSettled([run.result, follow]).then(() => {
      // The library ends without a last event only when stopped; anything else is the fake's fault.
      if (!exec.closed) this.fail(exec, 'States.Runtime', 'The execution ended without a result');
    });
    exec.done = done;
    this.track(done);
  }

  private now(exec: Execution): number {
    return Date.now() + exec.skew;
  }

  /** Appends an event; previousEventId is the last event's id unless given. Undefined when the execution has ended (or the history limit just ended it). */
  private record(exec: Execution, type: string, details: Obj = {}, at?: number, previousEventId?: number): number | undefined {
    const last = exec.history[exec.history.length - 1];
    const id = exec.history.length + 1;
    const timestamp = Math.max(at ?? this.now(exec), last?.timestamp ?? 0);
    const terminal = /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(type);
    // An ended execution records nothing more (its terminal event is recorded by `close`, which ends it first).
    if (exec.closed && !terminal) return undefined;
    if (id >= HISTORY_LIMIT && !terminal) {
      this.close(exec, 'FAILED', timestamp, { error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${HISTORY_LIMIT}).` }, 'ExecutionFailed', {
        executionFailedEventDetails: { error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${HISTORY_LIMIT}).` },
      });
      return undefined;
    }
    exec.history.push({ timestamp, type, id, previousEventId: previousEventId ?? (last ? last.id : 0), ...details });
    return id;
  }

  /** One event of the aws-local-stepfunctions run, as the history events AWS records for it. */
  private onRunEvent(exec: Execution, ev: Obj): void {
    const at = ev.timestamp + exec.skew;
    const state: Obj | undefined = ev.state ? exec.machine.states.get(ev.state.name) : undefined;
    const type: string = state?.Type ?? ev.state?.type;
    switch (ev.type) {
      case 'StateEntered': {
        // Recorded: the first state's entered event has previousEventId 0.
        const first = exec.history[exec.history.length - 1]?.type === 'ExecutionStarted';
        const id = this.record(exec, `${type}StateEntered`, { stateEnteredEventDetails: { name: ev.state.name, input: json(ev.state.input), inputDetails: { truncated: false } } }, at, first ? 0 : undefined);
        if (id === undefined) return;
        exec.entered.set(ev.state.name, id);
        if (type === 'Parallel') this.record(exec, 'ParallelStateStarted', {}, at);
        if (type === 'Map') this.record(exec, 'MapStateStarted', {}, at);
        return;
      }
      case 'StateExited': {
        if (type === 'Fail') return;
        if (type === 'Parallel') this.record(exec, 'ParallelStateSucceeded', {}, at);
        if (type === 'Map') this.record(exec, 'MapStateSucceeded', {}, at);
        this.record(exec, `${type}StateExited`, { stateExitedEventDetails: { name: ev.state.name, output: json(ev.state.output), outputDetails: { truncated: false } } }, at);
        return;
      }
      case 'StateFailed': {
        const task = exec.task;
        if (type === 'Task' && task && task.state === ev.state.name && !task.ended && ev.Error === 'States.Timeout') {
          task.ended = true;
          if (task.kind === 'invoke') this.record(exec, 'TaskTimedOut', { taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout' } }, at);
          else this.record(exec, 'LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' } }, at);
        }
        if (type === 'Parallel') this.record(exec, 'ParallelStateFailed', {}, at);
        if (type === 'Map') this.record(exec, 'MapStateFailed', {}, at);
        return;
      }
      case 'StateRetried': {
        // The retrier's interval: IntervalSeconds (1) x BackoffRate (2) ^ (attempt - 1), at most MaxDelaySeconds (ASL, Retry).
        const r: Obj = ev.retry.retrier;
        const attempt: number = ev.retry.attempt;
        let wait = (r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, attempt - 1);
        if (typeof r.MaxDelaySeconds === 'number') wait = Math.min(wait, r.MaxDelaySeconds);
        exec.retries.push({ state: ev.state.name, attempt, seconds: wait });
        exec.skew += wait * 1000;
        this.arm(exec);
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${ev.type[0].toLowerCase()}${ev.type.slice(1)}EventDetails`;
        this.record(exec, ev.type, { [key]: { name: ev.parentState.name, index: ev.index } }, at);
        return;
      }
      case 'ExecutionSucceeded': {
        const output = json(ev.output);
        this.close(exec, 'SUCCEEDED', at, { output }, 'ExecutionSucceeded', { executionSucceededEventDetails: { output, outputDetails: { truncated: false } } });
        return;
      }
      case 'ExecutionFailed': {
        const { error, cause } = this.failure(exec, ev);
        const details = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
        this.close(exec, 'FAILED', at, { error, cause }, 'ExecutionFailed', { executionFailedEventDetails: details });
        return;
      }
      default:
        // ExecutionStarted is recorded by StartExecution, aborts and timeouts by the fake; StateCaught,
        // ParallelBranch* have no history event of their own on AWS.
        return;
    }
  }

  /**
   * The error and cause of a failed run. A Fail state without Error or Cause gives neither
   * (recorded, test_state_fail_empty: `executionFailedEventDetails: {}`); a task's States.Timeout
   * has no cause (recorded, test_fixed_timeout_lambda).
   */
  private failure(exec: Execution, ev: Obj): { error?: string; cause?: string } {
    const text = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
    const last = exec.history[exec.history.length - 1];
    if (last?.type === 'FailStateEntered') {
      const def = exec.machine.states.get(last.stateEnteredEventDetails.name) ?? {};
      return {
        error: def.Error !== undefined || def.ErrorPath !== undefined ? text(ev.Error) : undefined,
        cause: def.Cause !== undefined || def.CausePath !== undefined ? text(ev.Cause) : undefined,
      };
    }
    if (ev.Error === 'States.Timeout') return { error: 'States.Timeout' };
    return { error: text(ev.Error), cause: text(ev.Cause) };
  }

  /** Ends the execution with `status` and its terminal event; stops the run, sends the status change. */
  private close(exec: Execution, status: Status, at: number, fields: { output?: string; error?: string; cause?: string }, type: string, details: Obj): void {
    if (exec.closed) return;
    const previous = status === 'ABORTED' || status === 'TIMED_OUT' ? 0 : undefined;
    exec.closed = true;
    this.record(exec, type, details, at, previous);
    exec.status = status;
    exec.stopDate = exec.history[exec.history.length - 1].timestamp;
    exec.output = fields.output;
    exec.error = fields.error;
    exec.cause = fields.cause;
    clearTimeout(exec.timer);
    exec.reject(new StatesError('States.Runtime', `The execution is ${status}`, false));
    exec.abort?.();
    this.emit(exec);
  }

  private fail(exec: Execution, error: string, cause: string): void {
    this.close(exec, 'FAILED', this.now(exec), { error, cause }, 'ExecutionFailed', { executionFailedEventDetails: { error, cause } });
  }

  /**
   * The state machine's TimeoutSeconds on the execution's own clock: the execution ends TIMED_OUT
   * at startDate + TimeoutSeconds, with one ExecutionTimedOut event, error States.Timeout,
   * previousEventId 0, and no error or cause in DescribeExecution (recorded, test_global_timeout;
   * floci-io/floci#2965 measured the event).
   */
  private timeOut(exec: Execution): void {
    if (exec.closed || exec.deadline === undefined) return;
    this.close(exec, 'TIMED_OUT', exec.deadline, {}, 'ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } });
  }

  /** (Re)sets the real timer that ends the execution at its deadline, given how far its clock is ahead. */
  private arm(exec: Execution): void {
    if (exec.deadline === undefined || exec.closed) return;
    clearTimeout(exec.timer);
    const left = exec.deadline - this.now(exec);
    if (left <= 0) return this.timeOut(exec);
    exec.timer = setTimeout(() => (left > 2147483647 ? this.arm(exec) : this.timeOut(exec)), Math.min(left, 2147483647));
    exec.timer.unref();
  }

  /** Sleeps `ms` of real time, or until the execution ends. */
  private async sleep(exec: Execution, ms: number): Promise<void> {
    if (ms <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), exec.stopped.catch(() => undefined)]);
    clearTimeout(timer);
  }

  /** Every Task and Wait state runs here (see `prepare`). */
  private async task(exec: Execution, stateName: string, effective: any): Promise<any> {
    // Let the run's events before this state reach the history first (they arrive as microtasks).
    await new Promise((r) => setImmediate(r));
    if (exec.closed) throw new StatesError('States.Runtime', 'The execution has ended', false);
    const state = exec.machine.states.get(stateName)!;
    if (state.Type === 'Wait') return this.wait(exec, stateName, state, effective);
    const resource = String(state.Resource);
    if (resource === LAMBDA_INVOKE) return this.invoke(exec, stateName, state, effective);
    if (/^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:/.test(resource)) return this.callFunction(exec, stateName, state, resource, effective);
    throw new StatesError('States.Runtime', `The fake runs Task states of ${LAMBDA_INVOKE} and Lambda function ARNs; state '${stateName}' has Resource ${resource}`, false);
  }

  private findFunction(functionName: string) {
    const p = parseFunctionName(functionName);
    const fn = this.functions.get(p.name);
    if (!fn || (p.region !== undefined && p.region !== fn.region) || (p.account !== undefined && p.account !== fn.account)) return undefined;
    return fn;
  }

  /** AWS's cause when FunctionName names no function (recorded, test_no_such_function: error Lambda.ResourceNotFoundException). */
  private notFound(functionName: string): StatesError {
    const p = parseFunctionName(functionName);
    const arn = `arn:aws:lambda:${p.region ?? this.region}:${p.account ?? this.account}:function:${p.name}`;
    return new StatesError('Lambda.ResourceNotFoundException', `Function not found: ${arn} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${randomUUID()}; Proxy: null)`);
  }

  /** Runs a function handler until it ends or the execution does; a throw becomes the function's error as Lambda reports it. */
  private async runFunction(exec: Execution, handler: FunctionHandler, payload: unknown): Promise<{ ok: true; value: Json } | { ok: false; error: StatesError }> {
    let result: unknown;
    try {
      result = await Promise.race([Promise.resolve().then(() => handler(clone(payload))), exec.stopped]);
    } catch (e) {
      if (exec.closed) throw new StatesError('States.Runtime', 'The execution has ended', false);
      const reported = functionError(e);
      return { ok: false, error: new StatesError(reported.errorType, JSON.stringify(reported)) };
    }
    if (exec.closed) throw new StatesError('States.Runtime', 'The execution has ended', false);
    const value: Json = result === undefined ? null : clone(result as Json);
    return { ok: true, value };
  }

  /** States.DataLimitExceeded: a result over 256 KiB (ASL errors; quotas). States.ALL does not catch it. */
  private checkSize(stateName: string, value: unknown): void {
    if (bytes(json(value)) > DATA_LIMIT) throw new StatesError('States.DataLimitExceeded', `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`, false);
  }

  /**
   * `arn:aws:states:::lambda:invoke`: TaskScheduled (parameters, region, resourceType "lambda",
   * resource "invoke"), TaskStarted, then TaskSucceeded with the Invoke response or TaskFailed with
   * the function's error (recorded, test_task_service_lambda; test_lambda_task_service for the
   * response: ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode).
   */
  private async invoke(exec: Execution, stateName: string, state: Obj, params: any): Promise<Json> {
    const ids = { resourceType: 'lambda', resource: 'invoke' };
    const task = { state: stateName, kind: 'invoke' as const, ended: false };
    exec.task = task;
    const timeout = typeof state.TimeoutSeconds === 'number' ? { timeoutInSeconds: state.TimeoutSeconds } : {};
    this.record(exec, 'TaskScheduled', { taskScheduledEventDetails: { ...ids, region: this.region, parameters: json(params), ...timeout } });
    this.record(exec, 'TaskStarted', { taskStartedEventDetails: ids });
    const failed = (error: StatesError): never => {
      // A task that timed out meanwhile has its end recorded (TaskTimedOut); its late answer is dropped.
      if (!task.ended) this.record(exec, 'TaskFailed', { taskFailedEventDetails: { ...ids, error: error.name, cause: error.message } });
      task.ended = true;
      throw error;
    };
    if (!isObj(params) || typeof params.FunctionName !== 'string') {
      return failed(new StatesError('States.Runtime', `The lambda:invoke parameters of state '${stateName}' have no FunctionName`, false));
    }
    if (params.InvocationType !== undefined && params.InvocationType !== 'RequestResponse') {
      return failed(new StatesError('States.Runtime', `The fake invokes RequestResponse only; state '${stateName}' asked for ${params.InvocationType}`, false));
    }
    const fn = this.findFunction(params.FunctionName);
    if (!fn) return failed(this.notFound(params.FunctionName));
    const outcome = await this.runFunction(exec, fn.handler, params.Payload === undefined ? {} : params.Payload);
    if (!outcome.ok) return failed(outcome.error);
    const requestId = randomUUID();
    const body = json(outcome.value);
    const date = new Date().toUTCString();
    const headers: Record<string, string> = {
      Connection: 'keep-alive', 'Content-Length': String(bytes(body)), 'Content-Type': 'application/json', Date: date,
      'X-Amz-Executed-Version': '$LATEST', 'x-amzn-Remapped-Content-Length': '0', 'x-amzn-RequestId': requestId,
    };
    const response: Json = {
      ExecutedVersion: '$LATEST',
      Payload: outcome.value,
      SdkHttpMetadata: { AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), HttpHeaders: headers, HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: requestId },
      StatusCode: 200,
    };
    this.checkSize(stateName, response);
    if (task.ended) return response;
    task.ended = true;
    this.record(exec, 'TaskSucceeded', { taskSucceededEventDetails: { ...ids, output: json(response), outputDetails: { truncated: false } } });
    return response;
  }

  /** A Lambda function ARN as Resource: LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded or LambdaFunctionFailed (recorded, test_fixed_timeout_lambda); the result is the function's. */
  private async callFunction(exec: Execution, stateName: string, state: Obj, resource: string, input: unknown): Promise<Json> {
    const task = { state: stateName, kind: 'function' as const, ended: false };
    exec.task = task;
    const timeout = typeof state.TimeoutSeconds === 'number' ? { timeoutInSeconds: state.TimeoutSeconds } : {};
    this.record(exec, 'LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource, input: json(input), inputDetails: { truncated: false }, ...timeout } });
    this.record(exec, 'LambdaFunctionStarted');
    const failed = (error: StatesError): never => {
      if (!task.ended) this.record(exec, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error: error.name, cause: error.message } });
      task.ended = true;
      throw error;
    };
    const fn = this.findFunction(resource);
    if (!fn) return failed(this.notFound(resource));
    const outcome = await this.runFunction(exec, fn.handler, input);
    if (!outcome.ok) return failed(outcome.error);
    this.checkSize(stateName, outcome.value);
    if (task.ended) return outcome.value;
    task.ended = true;
    this.record(exec, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: json(outcome.value), outputDetails: { truncated: false } } });
    return outcome.value;
  }

  /**
   * A Wait state: Seconds, SecondsPath, Timestamp or TimestampPath, checked as AWS does (recorded,
   * test_wait: "An error occurred while executing the state '<state>' (entered at the event id #<n>).
   * The SecondsPath parameter references a negative value: <path> == -1", "... cannot be parsed as a
   * long value: <path> == 1.5", "... The TimestampPath parameter does not reference a valid ISO-8601
   * extended offset date-time format string: <path> == <value>", "Wait state delay is too long." past
   * 2^31-1 seconds). It takes `waitScale` ms per second of real time; the execution's clock moves
   * the full wait. Past the deadline the execution times out at the deadline.
   */
  private async wait(exec: Execution, stateName: string, state: Obj, params: { input: Json; seconds?: unknown; timestamp?: unknown }): Promise<Json> {
    const entered = exec.entered.get(stateName) ?? 0;
    const refuse = (why: string) => new StatesError('States.Runtime', `An error occurred while executing the state '${stateName}' (entered at the event id #${entered}). ${why}`, false);
    let wait: number;
    if (state.Seconds !== undefined) {
      wait = state.Seconds;
    } else if (state.SecondsPath !== undefined) {
      const v = params.seconds;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw refuse(`The SecondsPath parameter cannot be parsed as a long value: ${state.SecondsPath} == ${typeof v === 'string' ? v : json(v)}`);
      if (v < 0) throw refuse(`The SecondsPath parameter references a negative value: ${state.SecondsPath} == ${v}`);
      wait = v;
    } else {
      const v = state.Timestamp ?? params.timestamp;
      if (typeof v !== 'string' || !RFC3339.test(v)) throw refuse(`The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${state.TimestampPath} == ${typeof v === 'string' ? v : json(v)}`);
      wait = Math.max(0, (Date.parse(v) - this.now(exec)) / 1000);
    }
    if (wait > 2147483647) throw refuse('Wait state delay is too long.');
    exec.waits.push(wait);
    const from = this.now(exec);
    const until = exec.deadline === undefined ? from + wait * 1000 : Math.min(from + wait * 1000, exec.deadline);
    const real = Date.now();
    await this.sleep(exec, ((until - from) / 1000) * this.waitScale);
    if (exec.closed) throw new StatesError('States.Runtime', 'The execution has ended', false);
    exec.skew += Math.max(0, until - from - (Date.now() - real));
    if (exec.deadline !== undefined && until >= exec.deadline) {
      this.timeOut(exec);
      throw new StatesError('States.Runtime', 'The execution timed out', false);
    }
    this.arm(exec);
    return params.input;
  }

  // --- status changes -----------------------------------------------------------------------------

  /** redriveStatus as DescribeExecution and the status-change event give it (recorded: RUNNING and SUCCEEDED are NOT_REDRIVABLE with a reason; FAILED, TIMED_OUT REDRIVABLE). */
  private redrive(exec: Execution): { status: 'REDRIVABLE' | 'NOT_REDRIVABLE'; reason: string | null } {
    return exec.status === 'RUNNING' || exec.status === 'SUCCEEDED'
      ? { status: 'NOT_REDRIVABLE', reason: `Execution is ${exec.status} and cannot be redriven` }
      : { status: 'REDRIVABLE', reason: null };
  }

  /**
   * The EventBridge event of the execution's status now (recorded, test_event_bridge_events_base:
   * the detail is DescribeExecution's fields with startDate and stopDate in epoch milliseconds, null
   * where unset; the documented examples,
   * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html, give `time` in seconds).
   */
  private emit(exec: Execution): void {
    const redrive = this.redrive(exec);
    const at = exec.stopDate ?? exec.startDate;
    const event: StatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.account,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [exec.arn],
      detail: {
        executionArn: exec.arn,
        stateMachineArn: exec.machine.arn,
        name: exec.name,
        status: exec.status,
        startDate: exec.startDate,
        stopDate: exec.stopDate ?? null,
        input: exec.input,
        output: exec.output ?? null,
        stateMachineVersionArn: null,
        stateMachineAliasArn: null,
        redriveCount: 0,
        redriveDate: null,
        redriveStatus: redrive.status,
        redriveStatusReason: redrive.reason,
        inputDetails: { included: true },
        outputDetails: exec.output !== undefined ? { included: true } : null,
        error: exec.error ?? null,
        cause: exec.cause ?? null,
      },
    };
    this.events.push(event);
    for (const listener of this.listeners) {
      const r = listener(clone(event));
      if (r instanceof Promise) this.track(r);
    }
    for (const rule of this.rules) {
      if (!matchesPattern(rule.pattern, event)) continue;
      this.track((async () => {
        await new Promise((r) => setImmediate(r));
        for (let attempt = 0; ; attempt++) {
          try {
            await rule.target(clone(event));
            return;
          } catch (error) {
            if (attempt >= rule.retryAttempts) {
              this.ruleFailures.push({ event: clone(event), error });
              return;
            }
          }
        }
      })());
    }
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.then(() => undefined, () => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

/** Definitions found valid (asl-validator compiles its schemas on every call, ~0.25 s). */
const VALID = new Set<string>();

/** Validates a definition as written (asl-validator, through aws-local-stepfunctions); throws if invalid, as CreateStateMachine refuses it. */
function validate(definition: string): void {
  if (VALID.has(definition)) return;
  // asl-validator writes QueryLanguage into the states it checks: it gets a copy.
  new StateMachine(JSON.parse(definition));
  VALID.add(definition);
}

/**
 * The definition as aws-local-stepfunctions runs it here. The library's Wait state sleeps the real
 * duration and its override cannot see the state's input, so each Wait runs as a Task of the fake
 * (same InputPath, OutputPath, Next/End; Parameters hand it the effective input and the SecondsPath
 * or TimestampPath value), which waits on the execution's clock and returns its input unchanged:
 * the output AWS gives a Wait. The library times each Task with a real timer (60 s unless
 * TimeoutSeconds), so a Task without TimeoutSeconds gets the longest timer Node.js has (about 24.8
 * days; AWS sets none). The state machine's TimeoutSeconds is the fake's to keep (on the
 * execution's clock), and every Retry pauses 0 ms of real time (its interval moves the clock).
 */
function prepare(definition: Obj): { runnable: Obj; states: Map<string, Obj>; retryOverrides: Record<string, number>; timeoutSeconds?: number } {
  const states = new Map<string, Obj>();
  const retryOverrides: Record<string, number> = {};
  const runnable = clone(definition);
  const timeoutSeconds = typeof runnable.TimeoutSeconds === 'number' ? runnable.TimeoutSeconds : undefined;
  delete runnable.TimeoutSeconds;
  const walk = (machine: Obj, original: Obj) => {
    for (const [name, s] of Object.entries(machine.States as Obj)) {
      const written = (original.States as Obj)[name];
      states.set(name, written);
      if (Array.isArray(s.Retry)) retryOverrides[name] = 0;
      if (s.Type === 'Wait') {
        const wait: Obj = {
          Type: 'Task',
          Resource: WAIT_RESOURCE,
          ...('InputPath' in s ? { InputPath: s.InputPath } : {}),
          Parameters: { 'input.$': '$', ...(s.SecondsPath !== undefined ? { 'seconds.$': s.SecondsPath } : {}), ...(s.TimestampPath !== undefined ? { 'timestamp.$': s.TimestampPath } : {}) },
          ...('OutputPath' in s ? { OutputPath: s.OutputPath } : {}),
          ...(s.Next !== undefined ? { Next: s.Next } : { End: true }),
          TimeoutSeconds: MAX_TIMER_SECONDS,
        };
        (machine.States as Obj)[name] = wait;
      } else if (s.Type === 'Task') {
        if (s.TimeoutSeconds === undefined && s.TimeoutSecondsPath === undefined) s.TimeoutSeconds = MAX_TIMER_SECONDS;
        else if (typeof s.TimeoutSeconds === 'number') s.TimeoutSeconds = Math.min(s.TimeoutSeconds, MAX_TIMER_SECONDS);
      } else if (s.Type === 'Parallel') {
        (s.Branches as Obj[]).forEach((b, i) => walk(b, written.Branches[i]));
      } else if (s.Type === 'Map') {
        const key = s.ItemProcessor ? 'ItemProcessor' : 'Iterator';
        if (s[key]) walk(s[key], written[key]);
      }
    }
  };
  walk(runnable, definition);
  return { runnable, states, retryOverrides, timeoutSeconds };
}
