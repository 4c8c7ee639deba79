import { createHash } from 'node:crypto';

/**
 * The MLflow REST API (2.0) of an Azure ML workspace, as the fake ARM serves it under the workspace's
 * `mlFlowTrackingUri` (`azureml://<host>/mlflow/v1.0/subscriptions/.../workspaces/<ws>`, read as https).
 * Only what mlspec calls, each as the MLflow REST reference and its server define it (mlflow/protos/service.proto,
 * mlflow/server/handlers.py, mlflow/utils/search_utils.py, mlflow/exceptions.py):
 *
 * - `GET experiments/get-by-name?experiment_name=` → `{ experiment }`; RESOURCE_DOES_NOT_EXIST (404)
 *   "Could not find experiment with name '<name>'".
 * - `GET runs/get?run_id=` → `{ run: { info, data } }`, each metric once: "In the case where multiple metrics
 *   with the same key are logged for a run, return only the value with the latest timestamp. If there are
 *   multiple values with the latest timestamp, return the maximum of these values." Unknown run: 404
 *   RESOURCE_DOES_NOT_EXIST "Run with id=<id> not found" (the SQL store's words).
 * - `POST runs/search` with `experiment_ids`, `filter` (AND-ed comparisons: `metrics.<k>` against a number,
 *   `tags.<k>` / `params.<k>` against a quoted string, `attributes.<k>`; names with special characters in
 *   backticks or double quotes), `order_by` (`<identifier> [ASC|DESC]`; runs without the value last, as
 *   `SearchUtils._get_value_for_sort`), `max_results` (default 1000), `page_token` → `{ runs, next_page_token }`,
 *   empty fields left out as MLflow's proto JSON does (no runs: `{}`).
 * - `POST runs/log-metric` with `run_id`, `key`, `value`, `timestamp` (required), `step` → `{}`.
 *
 * Errors are MLflow's: `{"error_code": ..., "message": ...}` with the code's HTTP status (400
 * INVALID_PARAMETER_VALUE, 404 RESOURCE_DOES_NOT_EXIST / ENDPOINT_NOT_FOUND); a POST without a JSON
 * Content-Type is refused as the server's `_validate_content_type` refuses it. Azure ML names a job's
 * MLflow run after the job, puts it in the job's experiment, and tags a sweep's trials with
 * `mlflow.parentRunId` = the sweep's name (the fake does the same; FakeArm drives it).
 */

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowMetric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly creationTime: number;
}

interface Run {
  readonly runId: string;
  readonly runName: string;
  readonly experimentId: string;
  readonly startTime: number;
  endTime?: number;
  readonly metrics: MlflowMetric[];
  readonly params: Map<string, string>;
  readonly tags: Map<string, string>;
}

/** An MLflow error: the code and HTTP status of mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS. */
export class MlflowError extends Error {
  static readonly STATUS = { INVALID_PARAMETER_VALUE: 400, RESOURCE_DOES_NOT_EXIST: 404, ENDPOINT_NOT_FOUND: 404, UNAUTHENTICATED: 401 } as const;
  readonly status: number;
  constructor(
    readonly errorCode: keyof typeof MlflowError.STATUS,
    message: string,
  ) {
    super(message);
    this.status = MlflowError.STATUS[errorCode];
  }
}

const invalid = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);
const missing = (param: string) => invalid(`Missing value for required parameter '${param}'. See the API docs for more information about request parameters.`);

/** search_utils.py: `_IDENTIFIERS` and their alternates. */
const ENTITY: Record<string, 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset'> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'parameter',
  param: 'parameter',
  params: 'parameter',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};
const ENTITY_NAMES = "['metric', 'parameter', 'tag', 'attribute', 'dataset']";
/** The run attributes the fake can filter and order by (RunInfo's fields). */
const ATTRIBUTES = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage', 'start_time', 'end_time'];
const NUMERIC_ATTRIBUTES = ['start_time', 'end_time'];
const COMPARATORS = {
  metric: ['>', '>=', '!=', '=', '<', '<='],
  parameter: ['=', '!=', 'LIKE', 'ILIKE'],
  tag: ['=', '!=', 'LIKE', 'ILIKE'],
  attribute: ['=', '!=', 'LIKE', 'ILIKE'],
  numericAttribute: ['>', '>=', '!=', '=', '<', '<='],
} as const;

interface Identifier {
  readonly type: 'metric' | 'parameter' | 'tag' | 'attribute';
  readonly key: string;
}
interface Comparison extends Identifier {
  readonly comparator: string;
  readonly value: string | number;
}

export class FakeMlflow {
  /** By name. */
  readonly experiments = new Map<string, Experiment>();
  /** By run id. */
  readonly runs = new Map<string, Run>();

  constructor(
    private readonly now: () => number,
    /** A run's status, from the job it tracks (undefined: RUNNING). */
    private readonly statusOf: (runId: string) => RunStatus | undefined = () => undefined,
    /** Where artifact URIs point (the tracking host). */
    private readonly host: () => string = () => 'eastus.api.azureml.ms',
  ) {}

  // ---------------------------------------------------------------- state, for FakeArm and tests

  /** The experiment of that name, made on first use (as Azure ML does when a job names it). */
  experiment(name: string): Experiment {
    let e = this.experiments.get(name);
    if (!e) {
      // Azure ML experiment ids are GUIDs.
      const h = createHash('sha256').update(name).digest('hex');
      e = { experimentId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`, name, creationTime: this.now() };
      this.experiments.set(name, e);
    }
    return e;
  }

  /** The run Azure ML starts for a job (idempotent): its id is the job's name. */
  createRun(runId: string, experimentName: string, options: { runName?: string; tags?: Record<string, string> } = {}): void {
    if (this.runs.has(runId)) return;
    const experiment = this.experiment(experimentName);
    this.runs.set(runId, {
      runId,
      runName: options.runName ?? runId,
      experimentId: experiment.experimentId,
      startTime: this.now(),
      metrics: [],
      params: new Map(),
      tags: new Map(Object.entries({ 'mlflow.runName': options.runName ?? runId, ...(options.tags ?? {}) })),
    });
  }

  deleteRun(runId: string): void {
    this.runs.delete(runId);
  }

  /** Logs metrics to a run as the launcher does (step 0, now), later values after earlier ones. */
  logMetrics(runId: string, metrics: Record<string, number>, timestamp = this.now()): void {
    const run = this.getRun(runId);
    for (const [key, value] of Object.entries(metrics)) run.metrics.push({ key, value, timestamp, step: 0 });
  }

  /** Marks when a run ended (its job reached a final status). */
  ended(runId: string): void {
    const run = this.runs.get(runId);
    if (run && run.endTime === undefined) run.endTime = this.now();
  }

  // ---------------------------------------------------------------- HTTP

  /** One request below `.../api/2.0/mlflow/`; throws MlflowError for an error response. */
  handle(method: string, route: string, query: URLSearchParams, text: string, contentType: string | undefined): { status: number; body: unknown } {
    if (method === 'GET' && route === 'experiments/get-by-name') return { status: 200, body: this.getExperimentByName(query) };
    if (method === 'GET' && route === 'runs/get') return { status: 200, body: this.getRunResponse(query) };
    if (method === 'POST' && route === 'runs/search') return { status: 200, body: this.searchRuns(this.json(text, contentType)) };
    if (method === 'POST' && route === 'runs/log-metric') return { status: 200, body: this.logMetric(this.json(text, contentType)) };
    throw new MlflowError('ENDPOINT_NOT_FOUND', `The fake MLflow API has no route ${method} /api/2.0/mlflow/${route}`);
  }

  /** server/validation.py `_validate_content_type`, then the JSON body (an absent body is `{}`). */
  private json(text: string, contentType: string | undefined): Record<string, unknown> {
    if (contentType === undefined) throw invalid('Bad Request. Content-Type header is missing.');
    if (contentType.split(';')[0].trim() !== 'application/json') throw invalid("Bad Request. Content-Type must be one of ['application/json'].");
    if (!text) return {};
    try {
      const body = JSON.parse(text);
      return body && typeof body === 'object' && !Array.isArray(body) ? body : {};
    } catch {
      throw invalid('The request body is not JSON.');
    }
  }

  private getRun(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return run;
  }

  private getExperimentByName(query: URLSearchParams): unknown {
    const name = query.get('experiment_name');
    if (!name) throw missing('experiment_name');
    const e = this.experiments.get(name);
    if (!e) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
    return {
      experiment: { experiment_id: e.experimentId, name: e.name, artifact_location: `azureml://${this.host()}/experiments/${e.experimentId}`, lifecycle_stage: 'active', last_update_time: e.creationTime, creation_time: e.creationTime },
    };
  }

  private getRunResponse(query: URLSearchParams): unknown {
    const runId = query.get('run_id') || query.get('run_uuid');
    if (!runId) throw missing('run_id');
    return { run: this.runJson(this.getRun(runId)) };
  }

  private logMetric(body: Record<string, unknown>): unknown {
    const runId = (body.run_id ?? body.run_uuid) as string | undefined;
    if (runId === undefined || runId === '') throw missing('run_id');
    if (body.key === undefined || body.key === '') throw missing('key');
    if (body.value === undefined) throw missing('value');
    if (body.timestamp === undefined) throw missing('timestamp');
    const value = Number(body.value);
    if (typeof body.key !== 'string') throw invalid(`Invalid value ${JSON.stringify(body.key)} for parameter 'key' supplied. See the API docs for more information about request parameters.`);
    if (!Number.isFinite(value) && !['NaN', 'Infinity', '-Infinity'].includes(String(body.value))) {
      throw invalid(`Invalid value ${JSON.stringify(body.value)} for parameter 'value' supplied. See the API docs for more information about request parameters.`);
    }
    if (!Number.isInteger(Number(body.timestamp))) throw invalid(`Invalid value ${JSON.stringify(body.timestamp)} for parameter 'timestamp' supplied. See the API docs for more information about request parameters.`);
    const run = this.getRun(runId);
    run.metrics.push({ key: body.key, value, timestamp: Number(body.timestamp), step: Number(body.step ?? 0) || 0 });
    return {};
  }

  private searchRuns(body: Record<string, unknown>): unknown {
    const ids = body.experiment_ids === undefined ? [] : body.experiment_ids;
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) throw invalid(`Invalid value ${JSON.stringify(ids)} for parameter 'experiment_ids' supplied. See the API docs for more information about request parameters.`);
    const filter = body.filter === undefined ? '' : String(body.filter);
    const orderBy = body.order_by === undefined ? [] : body.order_by;
    if (!Array.isArray(orderBy) || !orderBy.every((o) => typeof o === 'string')) throw invalid(`Invalid value ${JSON.stringify(orderBy)} for parameter 'order_by' supplied. See the API docs for more information about request parameters.`);
    const max = body.max_results === undefined ? 1000 : Number(body.max_results);
    if (!Number.isInteger(max)) throw invalid(`Invalid value ${JSON.stringify(body.max_results)} for parameter 'max_results' supplied. See the API docs for more information about request parameters.`);
    const clauses = parseFilter(filter);
    const orders = orderBy.map(parseOrderBy);
    let runs = [...this.runs.values()].filter((r) => ids.includes(r.experimentId)).filter((r) => clauses.every((c) => this.matches(r, c)));
    // Natural order: start time descending, then run id (SearchUtils.sort); then each order_by, the first deciding.
    runs.sort((a, b) => b.startTime - a.startTime || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
    runs = [...runs].sort((a, b) => {
      for (const o of orders) {
        const c = compareForSort(this.valueOf(a, o), this.valueOf(b, o), o.ascending);
        if (c !== 0) return c;
      }
      return 0;
    });
    const offset = pageOffset(body.page_token);
    const page = runs.slice(offset, offset + max);
    const next = offset + max < runs.length ? Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64') : undefined;
    return { ...(page.length ? { runs: page.map((r) => this.runJson(r)) } : {}), ...(next ? { next_page_token: next } : {}) };
  }

  private valueOf(run: Run, id: Identifier): string | number | undefined {
    if (id.type === 'metric') return latest(run.metrics).get(id.key)?.value;
    if (id.type === 'parameter') return run.params.get(id.key);
    if (id.type === 'tag') return run.tags.get(id.key);
    const info = this.info(run) as Record<string, string | number | undefined>;
    return info[id.key];
  }

  private matches(run: Run, c: Comparison): boolean {
    const lhs = this.valueOf(run, c);
    if (lhs === undefined) return false;
    const rhs = c.value;
    switch (c.comparator) {
      case '=':
        return lhs === rhs;
      case '!=':
        return lhs !== rhs;
      case '>':
        return lhs > rhs;
      case '>=':
        return lhs >= rhs;
      case '<':
        return lhs < rhs;
      case '<=':
        return lhs <= rhs;
      case 'LIKE':
      case 'ILIKE': {
        // SQL's `%` is any run of characters and `_` any one, line breaks included (hence the `s` flag).
        const rx = new RegExp(`^${String(rhs).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, c.comparator === 'ILIKE' ? 'is' : 's');
        return rx.test(String(lhs));
      }
      default:
        return false;
    }
  }

  private info(run: Run): Record<string, unknown> {
    const status = this.statusOf(run.runId) ?? 'RUNNING';
    return {
      run_id: run.runId,
      run_uuid: run.runId,
      run_name: run.runName,
      experiment_id: run.experimentId,
      status,
      start_time: run.startTime,
      ...(run.endTime !== undefined && status !== 'RUNNING' && status !== 'SCHEDULED' ? { end_time: run.endTime } : {}),
      artifact_uri: `azureml://${this.host()}/mlflow/v2.0/experiments/${run.experimentId}/runs/${run.runId}/artifacts`,
      lifecycle_stage: 'active',
    };
  }

  private runJson(run: Run): unknown {
    const metrics = [...latest(run.metrics).values()];
    const params = [...run.params].map(([key, value]) => ({ key, value }));
    const tags = [...run.tags].map(([key, value]) => ({ key, value }));
    const data = { ...(metrics.length ? { metrics } : {}), ...(params.length ? { params } : {}), ...(tags.length ? { tags } : {}) };
    return { info: this.info(run), data, inputs: {} };
  }
}

/** Each key's latest value: the latest timestamp, and at equal timestamps the largest value (GetRun). */
function latest(metrics: readonly MlflowMetric[]): Map<string, MlflowMetric> {
  const out = new Map<string, MlflowMetric>();
  for (const m of metrics) {
    const seen = out.get(m.key);
    if (!seen || m.timestamp > seen.timestamp || (m.timestamp === seen.timestamp && m.value > seen.value)) out.set(m.key, m);
  }
  return out;
}

/** SearchUtils._get_value_for_sort: a run without the value sorts last, ascending or descending. */
function compareForSort(a: string | number | undefined, b: string | number | undefined, ascending: boolean): number {
  const none = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isNaN(v));
  if (none(a) && none(b)) return 0;
  if (none(a)) return 1;
  if (none(b)) return -1;
  const c = a! < b! ? -1 : a! > b! ? 1 : 0;
  return ascending ? c : -c;
}

function pageOffset(token: unknown): number {
  if (token === undefined || token === '') return 0;
  try {
    const offset = Number(JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')).offset);
    if (Number.isInteger(offset) && offset > 0) return offset;
  } catch {
    // fall through
  }
  throw invalid('Invalid page token, could not base64-decode');
}

// ---------------------------------------------------------------- the search grammar

interface Token {
  readonly kind: 'ident' | 'string' | 'number' | 'op' | 'word';
  readonly text: string;
}

/** Tokens of a filter or order_by clause: identifiers with backtick- or double-quoted parts, strings, numbers, comparators, words. */
function tokenize(s: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = s.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^(!=|<>|>=|<=|=|<|>)/.exec(rest))) {
      out.push({ kind: 'op', text: m[1] === '<>' ? '!=' : m[1] });
      i += m[1].length;
    } else if ((m = /^'((?:[^'\\]|\\.)*)'/.exec(rest))) {
      out.push({ kind: 'string', text: m[1] });
      i += m[0].length;
    } else if ((m = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?(?![\w.])/i.exec(rest))) {
      out.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*\.(`[^`]*`|"[^"]*"|[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)/.exec(rest))) {
      out.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else if ((m = /^"([^"]*)"/.exec(rest))) {
      out.push({ kind: 'string', text: m[1] });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    } else {
      return rest;
    }
  }
  return out;
}

/** `<entity>.<key>` (search_utils.py `_get_identifier`: split on the first dot, quotes trimmed). */
function identifier(text: string): Identifier {
  const dot = text.indexOf('.');
  const entity = text.slice(0, dot);
  const type = ENTITY[entity];
  if (!type || type === 'dataset') throw invalid(`Invalid entity type '${entity}'. Valid values are ${ENTITY_NAMES}`);
  let key = text.slice(dot + 1);
  if ((key.startsWith('`') && key.endsWith('`')) || (key.startsWith('"') && key.endsWith('"'))) key = key.slice(1, -1);
  if (type === 'attribute' && !ATTRIBUTES.includes(key)) throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '[${ATTRIBUTES.map((a) => `'${a}'`).join(', ')}]'`);
  return { type, key };
}

/** A filter: comparisons joined by AND (no OR, no parentheses), as SearchUtils.parse_search_filter takes them. */
export function parseFilter(filter: string): Comparison[] {
  if (!filter.trim()) return [];
  const tokens = tokenize(filter);
  if (typeof tokens === 'string') throw invalid(`Invalid clause(s) in filter string: '${tokens}'`);
  const out: Comparison[] = [];
  let i = 0;
  for (;;) {
    const [left, op, right] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    const comparator = op?.kind === 'op' ? op.text : op?.kind === 'word' && ['LIKE', 'ILIKE'].includes(op.text.toUpperCase()) ? op.text.toUpperCase() : undefined;
    if (left?.kind !== 'ident' || !comparator || !right || !['string', 'number'].includes(right.kind)) {
      throw invalid(`Invalid clause(s) in filter string: '${tokens.slice(i).map((t) => (t.kind === 'string' ? `'${t.text}'` : t.text)).join(' ')}'`);
    }
    const id = identifier(left.text);
    const numericAttribute = id.type === 'attribute' && NUMERIC_ATTRIBUTES.includes(id.key);
    const allowed: readonly string[] = numericAttribute ? COMPARATORS.numericAttribute : COMPARATORS[id.type];
    if (!allowed.includes(comparator)) throw invalid(`Invalid comparator '${comparator}' not one of '[${allowed.map((a) => `'${a}'`).join(', ')}]'`);
    let value: string | number;
    if (id.type === 'metric' || numericAttribute) {
      if (right.kind !== 'number') throw invalid(`Expected numeric value type for ${id.type === 'metric' ? 'metric' : `numeric attribute: ${id.key}`}. Found '${right.text}'`);
      value = Number(right.text);
    } else {
      if (right.kind !== 'string') throw invalid(`Expected a quoted string value for ${id.type === 'attribute' ? 'attributes' : id.type} (e.g. 'my-value'). Got value ${right.text}`);
      value = right.text;
    }
    out.push({ ...id, comparator, value });
    i += 3;
    if (i === tokens.length) return out;
    if (tokens[i].kind !== 'word' || tokens[i].text.toUpperCase() !== 'AND' || i + 1 === tokens.length) {
      throw invalid(`Invalid clause(s) in filter string: '${tokens.slice(i).map((t) => (t.kind === 'string' ? `'${t.text}'` : t.text)).join(' ')}'`);
    }
    i += 1;
  }
}

/** `<identifier> [ASC|DESC]` (SearchUtils.parse_order_by_for_search_runs). */
export function parseOrderBy(clause: string): Identifier & { readonly ascending: boolean } {
  const tokens = tokenize(clause);
  if (typeof tokens === 'string' || tokens.length === 0 || tokens.length > 2 || tokens[0].kind !== 'ident') throw invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  const direction = tokens[1]?.text.toLowerCase();
  if (tokens[1] && (tokens[1].kind !== 'word' || !['asc', 'desc'].includes(direction!))) throw invalid(`Invalid ordering key in order_by clause '${clause}'.`);
  return { ...identifier(tokens[0].text), ascending: direction !== 'desc' };
}
