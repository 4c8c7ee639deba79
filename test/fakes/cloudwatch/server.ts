import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/**
 * A fake of CloudWatch alarms on 127.0.0.1 (DescribeAlarms), speaking the wire protocol of the
 * pinned `@aws-sdk/client-cloudwatch` (3.1142.0): AWS JSON 1.0 in its query-compatible form. Its
 * dist says so (`protocol: AwsJson1_0Protocol`, `serviceTarget: "GraniteServiceVersion20100801"`,
 * `awsQueryCompatible: true`); CloudWatch left the awsQuery XML protocol for it. So:
 *
 * - request: `POST /`, `Content-Type: application/x-amz-json-1.0`,
 *   `X-Amz-Target: GraniteServiceVersion20100801.DescribeAlarms`, `x-amzn-query-mode: true`, a
 *   JSON body of the input's members; timestamps answer as epoch seconds (JSON numbers);
 * - error: the status, `{"__type": "<shape id>", "message": ...}`, and, because the request asked
 *   for query mode, `x-amzn-query-error: <awsQuery code>;Sender|Receiver`, from which the client
 *   takes the error's code (`InvalidNextToken`, `AccessDenied`, `Throttling`,
 *   `InternalServiceError`), as it did under awsQuery. Requests in another protocol are refused.
 *
 * Alarm states are scripted over a clock the test moves: `alarm(name, variant)` makes an alarm
 * like ModelEndpoint's rollback alarms, `script(name, [{ at, state, reason }])` says from when it
 * is in which state. Faults: `faults` (every call answers an error) and `throttle` (the next n
 * calls answer Throttling).
 */

type State = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
interface Transition { at: number; state: State; reason: string }
interface FakeAlarm { name: string; type: 'MetricAlarm' | 'CompositeAlarm'; endpoint?: string; variant?: string; metric: 'ErrorRate' | 'P99Latency'; threshold: number; created: number; script: Transition[] }

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const TARGET_PREFIX = 'GraniteServiceVersion20100801.';

class CloudWatchError extends Error {
  /** `type`: the JSON shape id; `query`: the awsQuery error code (its fault is Sender below 500, Receiver from 500). */
  constructor(readonly type: string, readonly query: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** The service's own errors, as the client's model names them (shape id, awsQueryError code, status). */
export const CLOUDWATCH_ERRORS = {
  AccessDenied: { type: 'com.amazon.coral.service#AccessDeniedException', query: 'AccessDenied', status: 403 },
  Throttling: { type: 'com.amazon.coral.availability#ThrottlingException', query: 'Throttling', status: 400 },
  InternalServiceFault: { type: 'com.amazonaws.cloudwatch#InternalServiceFault', query: 'InternalServiceError', status: 500 },
  InvalidNextToken: { type: 'com.amazonaws.cloudwatch#InvalidNextToken', query: 'InvalidNextToken', status: 400 },
  InvalidParameterValue: { type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', query: 'InvalidParameterValue', status: 400 },
  InvalidParameterCombination: { type: 'com.amazonaws.cloudwatch#InvalidParameterCombinationException', query: 'InvalidParameterCombination', status: 400 },
} as const;

export class FakeCloudWatch {
  readonly alarms = new Map<string, FakeAlarm>();
  /** Every call, in order, as `CloudWatch.<Operation>`. */
  readonly calls: string[] = [];
  /** The request bodies of DescribeAlarms, in order. */
  readonly requests: Record<string, unknown>[] = [];
  /** Operation → the error every call of it answers (until deleted). */
  readonly faults = new Map<string, { error: keyof typeof CLOUDWATCH_ERRORS; message: string }>();
  /** Operation → how many more calls answer Throttling. */
  readonly throttle = new Map<string, number>();
  /** The clock the scripts follow, ms since the epoch. */
  now: () => number = () => Date.now();
  private server?: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const queryMode = req.headers['x-amzn-query-mode'] === 'true';
        let status = 200;
        let out: unknown;
        try {
          out = this.dispatch(req, body);
        } catch (e) {
          const err = e instanceof CloudWatchError ? e : new CloudWatchError(CLOUDWATCH_ERRORS.InternalServiceFault.type, CLOUDWATCH_ERRORS.InternalServiceFault.query, String(e), 500);
          status = err.status;
          out = { __type: err.type, message: err.message };
          if (queryMode) res.setHeader('x-amzn-query-error', `${err.query};${err.status >= 500 ? 'Receiver' : 'Sender'}`);
        }
        const text = JSON.stringify(out ?? {});
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': `cw-req-${this.calls.length}` });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The real client, pointed here with static credentials and fast retries. */
  client(options: { maxAttempts?: number } = {}): CloudWatchClient {
    return new CloudWatchClient({ endpoint: this.url, region: REGION, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: options.maxAttempts ?? 3 });
  }

  /** An alarm like ModelEndpoint's rollback alarms of one variant; OK from the start unless scripted. */
  alarm(name: string, options: { endpoint?: string; variant?: string; metric?: 'ErrorRate' | 'P99Latency'; threshold?: number; type?: 'MetricAlarm' | 'CompositeAlarm'; state?: State; reason?: string } = {}): void {
    const created = this.now();
    this.alarms.set(name, {
      name,
      type: options.type ?? 'MetricAlarm',
      endpoint: options.endpoint,
      variant: options.variant,
      metric: options.metric ?? 'ErrorRate',
      threshold: options.threshold ?? 1,
      created,
      script: [{ at: created, state: options.state ?? 'INSUFFICIENT_DATA', reason: options.reason ?? 'Unchecked: Initial alarm creation' }],
    });
  }

  /** From `at` on (ms on the fake's clock), the alarm is in `state`, for `reason`. */
  script(name: string, transitions: { at: number; state: State; reason?: string }[]): void {
    const a = this.alarms.get(name);
    if (!a) throw new Error(`no alarm ${name} in the fake`);
    for (const t of transitions) {
      a.script.push({ at: t.at, state: t.state, reason: t.reason ?? (t.state === 'ALARM' ? 'Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold' : t.state === 'OK' ? 'Threshold Crossed: no datapoints were greater than the threshold' : 'Insufficient Data') });
    }
    a.script.sort((x, y) => x.at - y.at);
  }

  /** The alarm's state now. */
  stateOf(name: string): Transition {
    const a = this.alarms.get(name)!;
    const now = this.now();
    return [...a.script].reverse().find((t) => t.at <= now) ?? a.script[0];
  }

  private dispatch(req: http.IncomingMessage, body: string): unknown {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.url !== '/') throw this.error('InvalidParameterValue', `This fake serves POST / only; got ${req.method} ${req.url}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.0' || !target.startsWith(TARGET_PREFIX)) {
      throw new CloudWatchError('com.amazon.coral.service#UnknownOperationException', 'UnknownOperation', `This fake speaks AWS JSON 1.0 (${TARGET_PREFIX}<Operation>); got content-type ${req.headers['content-type']} and target '${target}'`);
    }
    const op = target.slice(TARGET_PREFIX.length);
    this.calls.push(`CloudWatch.${op}`);
    const fault = this.faults.get(op);
    if (fault) throw this.error(fault.error, fault.message);
    const left = this.throttle.get(op) ?? 0;
    if (left > 0) {
      this.throttle.set(op, left - 1);
      throw this.error('Throttling', 'Rate exceeded');
    }
    let input: Record<string, any>;
    try {
      input = body ? JSON.parse(body) : {};
    } catch {
      throw new CloudWatchError('com.amazon.coral.service#SerializationException', 'SerializationException', 'Request body is not JSON');
    }
    if (op !== 'DescribeAlarms') throw new CloudWatchError('com.amazon.coral.service#UnknownOperationException', 'UnknownOperation', `${op} is not served by the fake`);
    this.requests.push(input);
    return this.describeAlarms(input);
  }

  private error(name: keyof typeof CLOUDWATCH_ERRORS, message: string): CloudWatchError {
    const e = CLOUDWATCH_ERRORS[name];
    return new CloudWatchError(e.type, e.query, message, e.status);
  }

  /** DescribeAlarms as the API reference describes it: names or a prefix, types (metric alarms only by default), state, pages. */
  private describeAlarms(input: { AlarmNames?: string[]; AlarmNamePrefix?: string; AlarmTypes?: string[]; StateValue?: string; MaxRecords?: number; NextToken?: string }) {
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined) throw this.error('InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be specified together.');
    if ((input.AlarmNames?.length ?? 0) > 100) throw this.error('InvalidParameterValue', `The collection AlarmNames must not have a size greater than 100.`);
    const size = input.MaxRecords ?? 50;
    if (size < 1 || size > 100) throw this.error('InvalidParameterValue', `The value ${size} for parameter MaxRecords is not valid: it must be between 1 and 100.`);
    const types = new Set(input.AlarmTypes ?? ['MetricAlarm']);
    const all = [...this.alarms.values()]
      .filter((a) => types.has(a.type))
      .filter((a) => !input.AlarmNames || input.AlarmNames.includes(a.name))
      .filter((a) => input.AlarmNamePrefix === undefined || a.name.startsWith(input.AlarmNamePrefix))
      .filter((a) => !input.StateValue || this.stateOf(a.name).state === input.StateValue)
      .sort((x, y) => x.name.localeCompare(y.name));
    const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
    if (!Number.isInteger(start) || start < 0 || start > all.length) throw this.error('InvalidNextToken', 'The service returned an invalid NextToken.');
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
    return {
      MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map((a) => this.render(a)),
      CompositeAlarms: page.filter((a) => a.type === 'CompositeAlarm').map((a) => ({ ...this.common(a), AlarmRule: 'ALARM(child)' })),
      NextToken: next,
    };
  }

  private common(a: FakeAlarm) {
    const s = this.stateOf(a.name);
    const seconds = (ms: number) => ms / 1000;
    return {
      AlarmName: a.name,
      AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.name}`,
      AlarmDescription: `Rolls back deployments of ${a.endpoint ?? 'the endpoint'}`,
      AlarmConfigurationUpdatedTimestamp: seconds(a.created),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: s.state,
      StateReason: s.reason,
      StateReasonData: s.state === 'ALARM' ? JSON.stringify({ version: '1.0', queryDate: new Date(this.now()).toISOString(), threshold: a.threshold }) : undefined,
      StateUpdatedTimestamp: seconds(s.at),
      StateTransitionedTimestamp: seconds(s.at),
    };
  }

  /** A metric alarm shaped like ModelEndpoint's: ErrorRate as a metric-math alarm, P99Latency on ModelLatency. */
  private render(a: FakeAlarm) {
    const dimensions = [{ Name: 'EndpointName', Value: a.endpoint ?? 'endpoint' }, { Name: 'VariantName', Value: a.variant ?? 'variant' }];
    const shape = a.metric === 'P99Latency'
      ? { Namespace: 'AWS/SageMaker', MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Dimensions: dimensions, Period: 60 }
      : {
        Metrics: [
          { Id: 'expr_1', Expression: '100 * FILL(errors, 0) / invocations', Label: `${a.variant} 5xx error rate (%)`, ReturnData: true },
          { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: dimensions }, Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'invocations', MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: dimensions }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        ],
      };
    return {
      ...this.common(a),
      ...shape,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: a.threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    };
  }
}
