import { transformSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { FakeMlflow, MlflowError, type RunStatus } from './mlflow';
import { FakeSchedules } from './schedules';
import { specDefinitions, validateAgainstSpec } from './spec/validate';

/**
 * A stateful fake of Azure Resource Manager for Azure Machine Learning (Microsoft.MachineLearningServices)
 * and Azure Monitor's metrics API, over HTTPS on 127.0.0.1 so the real `AzureMachineLearningWorkspaces`
 * client (whose bearer-token policy refuses plain HTTP) and `MetricsQueryClient` talk to it unchanged.
 *
 * - Bodies at the SDK's api-version (2022-10-01) are checked against the SDK's own serialization
 *   mappers (generated from that version's specification). Raw bodies at a newer api-version are
 *   checked against Azure's published specification of that version, copied in ./spec (see its
 *   README); an api-version with no copy there is refused. Registries answer at 2024-04-01 or later.
 * - Long-running operations answer like ARM: PUT 201/200 with `Azure-AsyncOperation`; PATCH and
 *   DELETE 202 with `Location` and `Azure-AsyncOperation`; the status URL says InProgress for
 *   `operationPolls` polls, then Succeeded or Failed.
 * - The ML resource provider's rules for traffic, mirror traffic and deletes are enforced, and the
 *   documented custom-container rules (modelMountPath absolute; inferenceConfig without codeConfiguration).
 * - Environment versions keep their image and inferenceConfig, deployments their environmentVariables
 *   and modelMountPath, and GET returns them as sent.
 * - Faults: 429 with Retry-After, 500/503, a failed operation, slow operations.
 * - Training jobs (`workspaces/{ws}/jobs`, Azure ML issue 11): command and sweep jobs checked against the
 *   published `JobBaseResource` plus the documented rules (see `checkJobRules`); PUT answers 201 with the
 *   job and its read-only `status`; a second PUT may only change what the service lets change; GET, list
 *   (jobType, tag, properties, listViewType, `$skip` pages) and cancel (202 + Location; CancelRequested,
 *   then Canceled). Tests drive status with `setJobStatus` / `completeJob` / `failJob` or `autoAdvanceJobs`,
 *   and a sweep's trials and best trial with `setTrials` / `setBestTrial`.
 * - The workspace (GET, 2024-04-01 or the SDK's version) with its read-only `mlFlowTrackingUri`
 *   (`azureml://<this host>/mlflow/v1.0<workspace id>`), and below it the workspace's MLflow REST API
 *   (./mlflow.ts): each job has an MLflow run named after it in its experiment, a sweep's trials are runs
 *   tagged `mlflow.parentRunId`, and `completeJob` / `setTrials` log their metrics there.
 * - An async operation polled through `Location` (`mfeOperationResults`) answers 202 while it runs, then
 *   200, or the operation's error with status 400 when it failed.
 * - Workspace schedules for model monitors (`workspaces/{ws}/schedules/{name}`, issue 12): ./schedules.ts,
 *   with `schedules.addMonitorRun` to give a monitor the runs and violations Azure would leave.
 */

const TLS = path.join(__dirname, 'arm-tls');
const RP = 'Microsoft.MachineLearningServices';
const NEW_API = '2024-04-01';
/** The api-version of @azure/arm-machinelearning 2.1.1. */
const SDK_API = '2022-10-01';

/** JobStatus, as the published specification enumerates it (mfe.json 2024-04-01, `JobStatus`). */
export type JobStatus = 'NotStarted' | 'Starting' | 'Provisioning' | 'Preparing' | 'Queued' | 'Running' | 'Finalizing' | 'CancelRequested' | 'Completed' | 'Failed' | 'Canceled' | 'NotResponding' | 'Paused' | 'Unknown';
/**
 * The path a job takes, one status per GET in `autoAdvanceJobs` mode: the enum's own order, whose
 * descriptions read NotStarted "Run hasn't started yet", Starting "Run has started", Preparing "The run
 * environment is being prepared", Queued "queued in the compute target ... waiting for all required nodes",
 * Running, Finalizing "completed in the target ... output collection", Completed. Provisioning is left out:
 * "(Not used currently)". NotResponding says the others follow "strict transition orders".
 */
const JOB_FLOW: readonly JobStatus[] = ['NotStarted', 'Starting', 'Preparing', 'Queued', 'Running', 'Finalizing', 'Completed'];
const JOB_TERMINAL: readonly JobStatus[] = ['Completed', 'Failed', 'Canceled'];
/**
 * A job's MLflow run status (RunStatus: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED). How Azure ML maps its
 * job statuses is not documented; the fake takes the evident one: Completed FINISHED, Failed FAILED, Canceled
 * KILLED ("Run killed by user"), every other status RUNNING.
 */
const RUN_STATUS: Partial<Record<JobStatus, RunStatus>> = { Completed: 'FINISHED', Failed: 'FAILED', Canceled: 'KILLED' };
/** The workspace's MLflow REST API below its tracking URI: `/mlflow/v1.0<workspace id>/api/2.0/mlflow/<method>`. */
const MLFLOW_ROUTE = /^\/mlflow\/v1\.0\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/api\/2\.0\/mlflow\/(.+)$/;
/**
 * What a PUT of an existing job may change. The service's answer to any other change: "A job with this name
 * already exists. If you are trying to create a new job, use a different name. If you are trying to update an
 * existing job, the existing job's {property} cannot be changed. Only description, tags, displayName,
 * properties, and isArchived can be updated." (code UserError, inner error JobPropertyImmutable; quoted in
 * MicrosoftDocs/azure-docs#122250, Azure/azure-sdk-for-python#42156 and #47389).
 */
const JOB_MUTABLE = ['description', 'tags', 'displayName', 'properties', 'isArchived'];
/**
 * searchSpace values as the service receives them: `[type, [arguments]]`, which is what azure-ai-ml sends
 * (azure/ai/ml/entities/_job/sweep/search_space.py, each distribution's `_to_rest_object`: Choice
 * `["choice", [[values]]]`, Randint `["randint", [upper]]`, Uniform `["uniform", [min_value, max_value]]`,
 * QUniform `[..., [min_value, max_value, q]]`, Normal `["normal", [mu, sigma]]`, QNormal `[..., [mu, sigma, q]]`;
 * the type names are azure/ai/ml/constants/_common.py `SearchSpace`). The published specification types
 * `searchSpace` only as `object`. Arguments are named as in the sweep job YAML reference's parameter expressions.
 */
const SEARCH_SPACE_ARGS: Record<string, readonly string[]> = {
  choice: ['values'],
  randint: ['upper'],
  uniform: ['min_value', 'max_value'],
  loguniform: ['min_value', 'max_value'],
  quniform: ['min_value', 'max_value', 'q'],
  qloguniform: ['min_value', 'max_value', 'q'],
  normal: ['mu', 'sigma'],
  lognormal: ['mu', 'sigma'],
  qnormal: ['mu', 'sigma', 'q'],
  qlognormal: ['mu', 'sigma', 'q'],
};

type Obj = Record<string, any>;

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly apiVersion?: string;
  status: number;
  /** A poll of an async operation (not a request of ours). */
  readonly poll: boolean;
}

export interface ArmFault {
  readonly method: string;
  readonly path: RegExp;
  readonly status: 429 | 500 | 503;
  times: number;
  readonly retryAfterSeconds?: number;
}

interface Operation {
  pollsLeft: number;
  /** Applies the change; returns an error to fail the operation. */
  readonly complete: () => { code: string; message: string } | undefined;
  outcome?: { status: 'Succeeded' | 'Failed'; error?: { code: string; message: string } };
}

/** The SDK's mappers (ESM, not exported by its CJS entry), evaluated once. */
let mappers: Obj | undefined;
function loadMappers(): Obj {
  if (mappers) return mappers;
  const file = path.join(path.dirname(require.resolve('@azure/arm-machinelearning/package.json')), 'dist-esm/src/models/mappers.js');
  const { code } = transformSync(readFileSync(file, 'utf8'), { format: 'cjs' });
  const module = { exports: {} as Obj };
  vm.runInNewContext(code, { module, exports: module.exports });
  mappers = module.exports;
  return mappers;
}

export class FakeArm {
  readonly calls: Call[] = [];
  readonly faults: ArmFault[] = [];
  /** Status polls answered InProgress before an operation completes. */
  operationPolls = 1;
  /** The next long-running operation on a matching path ends Failed with this error. */
  failOperation?: { path: RegExp; message: string; code?: string };
  /** `Retry-After` on async responses, seconds. */
  retryAfterSeconds = 0;
  readonly modelContainers = new Map<string, Obj>();
  /** `<model>/<version>` */
  readonly modelVersions = new Map<string, Obj>();
  /** `<environment>/<version>` */
  readonly environmentVersions = new Map<string, Obj>();
  /** endpoint name → endpoint */
  readonly endpoints = new Map<string, Obj>();
  /** `<endpoint>/<deployment>` */
  readonly deployments = new Map<string, Obj>();
  /** `<registry>/<model>/<version>` */
  readonly registryModelVersions = new Map<string, Obj>();
  /** Azure Monitor autoscale settings by name. */
  readonly autoscaleSettings = new Map<string, Obj>();
  /** Training jobs by name (the `{id}` of `jobs/{id}`), as GET returns them; a sweep's trials are here too. */
  readonly jobs = new Map<string, Obj>();
  /** Metrics a test reported (`completeJob`, `setTrials`): ARM's job resource has no field for them (MLflow does). */
  readonly jobMetrics = new Map<string, Record<string, number>>();
  /** Why a job failed (`failJob`): the 2024-04-01 JobBase has no error field, so GET cannot show it. */
  readonly jobErrors = new Map<string, string>();
  /** Each GET of a job moves it one status forward (JOB_FLOW; CancelRequested goes to Canceled). */
  autoAdvanceJobs = false;
  /** Jobs per page of `GET jobs` (0: all on one page); further pages through `nextLink` with `$skip`. */
  jobsPageSize = 0;
  /**
   * The workspace's `mlFlowTrackingUri` as GET shows it: by default `azureml://<this host>/mlflow/v1.0<workspace id>`,
   * which the workspace's MLflow API below answers; `null` leaves the property out.
   */
  mlflowTrackingUri?: string | null;
  /** The workspace's MLflow tracking (runs, experiments, metrics) that jobs report to. */
  readonly mlflow: FakeMlflow = new FakeMlflow(
    () => this.now(),
    (runId) => RUN_STATUS[this.jobs.get(runId)?.properties.status as JobStatus],
    () => this.url.replace(/^https:\/\//, ''),
  );
  /** Workspace schedules (model monitors) and the runs they leave (./schedules.ts). */
  readonly schedules: FakeSchedules = new FakeSchedules({
    now: () => this.now(),
    jobs: this.jobs,
    mlflow: this.mlflow,
    check: (className, body, apiVersion, specName) => this.check(className, body, apiVersion, specName),
    longRunning: (method, p, apply, status, onFail, onSucceed, body) => this.longRunning(method, p, apply, status, onFail, onSucceed, body),
    resource: (id, name, type, body) => this.resource(id, name, type, body),
  });
  /** Azure Monitor points per endpoint, metric and dimensions. */
  readonly metrics: { endpoint: string; metric: string; dims: Record<string, string>; timeStamp: number; total?: number; maximum?: number }[] = [];
  now: () => number = () => Date.now();
  readonly ca = readFileSync(path.join(TLS, 'cert.pem'), 'utf8');
  url = '';
  private server?: https.Server;
  private readonly operations = new Map<string, Operation>();
  private nextId = 1;
  /** Each job's `properties` as first sent, to hold later PUTs to what may change. */
  private readonly jobSent = new Map<string, Obj>();
  /** A sweep's trial names, and each trial's sweep. */
  private readonly jobTrials = new Map<string, string[]>();
  private readonly trialParent = new Map<string, string>();

  /** Requests that change state (operation polls excluded). */
  get writes(): number {
    return this.calls.filter((c) => !c.poll && c.method !== 'GET' && c.status < 400).length;
  }

  count(method: string, pathPattern?: RegExp): number {
    return this.calls.filter((c) => !c.poll && c.method === method && c.status < 400 && (!pathPattern || pathPattern.test(c.path))).length;
  }

  resetCounts(): void {
    this.calls.length = 0;
  }

  setMetric(endpoint: string, metric: 'RequestsPerMinute' | 'RequestLatency_P99', dims: Record<string, string>, points: { timeStamp: Date | number; total?: number; maximum?: number }[]): void {
    for (const p of points) this.metrics.push({ endpoint, metric, dims, timeStamp: new Date(p.timeStamp).getTime(), total: p.total, maximum: p.maximum });
  }

  async start(): Promise<void> {
    loadMappers();
    this.server = https.createServer({ cert: this.ca, key: readFileSync(path.join(TLS, 'key.pem')) }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `https://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Clients may send `//subscriptions/...` (a resource id after the host): not a protocol-relative URL.
    const url = new URL(`${this.url}${req.url!}`);
    const p = url.pathname.replace(/\/+/g, '/');
    const method = req.method!;
    const apiVersion = url.searchParams.get('api-version') ?? undefined;
    const poll = /\/(mfeOperationsStatus|mfeOperationResults)\//.test(p);
    const call: Call = { method, path: p, apiVersion, status: 0, poll };
    this.calls.push(call);
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'x-ms-request-id': `req-${this.nextId++}`, ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fault = this.faults.find((f) => f.times > 0 && f.method === method && f.path.test(p));
    if (fault) {
      fault.times -= 1;
      return send(fault.status, { error: { code: fault.status === 429 ? 'TooManyRequests' : 'InternalServerError', message: `injected ${fault.status}` } }, fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
    }
    const tracking = MLFLOW_ROUTE.exec(p);
    if (tracking) {
      // The workspace's MLflow REST API: MLflow's error shape, no api-version; the same bearer token as ARM.
      try {
        if (req.headers.authorization !== 'Bearer fake-token') throw new MlflowError('UNAUTHENTICATED', 'Authentication failed: no valid bearer token.');
        const out = this.mlflow.handle(method, tracking[1], url.searchParams, text, req.headers['content-type']);
        return send(out.status, out.body);
      } catch (e) {
        if (!(e instanceof MlflowError)) throw e;
        return send(e.status, { error_code: e.errorCode, message: e.message });
      }
    }
    if (req.headers.authorization !== 'Bearer fake-token') return send(401, { error: { code: 'AuthenticationFailed', message: 'Authentication failed: no valid bearer token.' } });
    if (!apiVersion) return send(400, { error: { code: 'MissingApiVersionParameter', message: "The api-version query parameter (?api-version=) is required for all requests." } });
    try {
      const body = text ? JSON.parse(text) : undefined;
      const out = this.route(method, p, apiVersion, body, url.searchParams);
      send(out.status, out.body, out.headers);
    } catch (e) {
      const err = e as { status?: number; code?: string; message: string };
      if (!err.status) throw e;
      const inner = (e as { innerError?: unknown }).innerError;
      send(err.status, { error: { code: err.code ?? 'BadRequest', message: err.message, ...(inner ? { innerError: inner } : {}) } });
    }
  }

  private route(method: string, p: string, apiVersion: string, body: Obj | undefined, query: URLSearchParams): { status: number; body?: unknown; headers?: Record<string, string> } {
    let m: RegExpExecArray | null;
    if ((m = /\/locations\/[^/]+\/mfeOperationsStatus\/([^/]+)$/.exec(p))) return this.pollStatus(m[1]);
    if ((m = /\/locations\/[^/]+\/mfeOperationResults\/([^/]+)$/.exec(p))) {
      const op = this.advance(m[1]);
      // ARM's Location protocol: 202 while the operation runs; when it ends, the status the request would have had
      // synchronously: success, or the operation's error.
      if (op.outcome?.status === 'Failed') throw { status: 400, code: op.outcome.error!.code, message: op.outcome.error!.message };
      return { status: op.outcome ? 200 : 202, headers: op.outcome ? {} : { location: this.opUrl('mfeOperationResults', m[1]), 'retry-after': String(this.retryAfterSeconds) } };
    }
    if ((m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/onlineEndpoints\/[^/]+)\/providers\/Microsoft\.Insights\/metrics$/i.exec(p))) {
      return { status: 200, body: this.queryMetrics(m[1], query) };
    }
    if ((m = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.Insights\/autoscalesettings\/([^/]+)$/i.exec(p))) return this.autoscale(method, p, m[1], apiVersion, body);
    const ws = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)(\/.*)?$/.exec(p);
    if (ws) return this.workspace(method, p, ws[4] ?? '', apiVersion, body, query);
    const reg = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/registries\/([^/]+)\/models\/([^/]+)\/versions(?:\/([^/]+))?$/.exec(p);
    if (reg) return this.registry(method, p, reg[1], reg[2], reg[3], apiVersion, body);
    throw { status: 404, code: 'NoRegisteredProviderFound', message: `No route for ${method} ${p}` };
  }

  private workspace(method: string, p: string, rest: string, apiVersion: string, body: Obj | undefined, query: URLSearchParams = new URLSearchParams()) {
    let m: RegExpExecArray | null;
    if (rest === '' && method === 'GET') return this.workspaceResource(p, apiVersion);
    if (rest === '/jobs' && method === 'GET') return this.listJobs(p, apiVersion, query);
    if ((m = /^\/jobs\/([^/]+)\/cancel$/.exec(rest)) && method === 'POST') return this.cancelJob(p, m[1], apiVersion);
    if ((m = /^\/jobs\/([^/]+)$/.exec(rest)) && (method === 'GET' || method === 'PUT')) return this.job(method, p, m[1], apiVersion, body);
    if ((m = /^\/models\/([^/]+)$/.exec(rest))) {
      if (method === 'GET') return { status: 200, body: this.get(this.modelContainers, m[1], 'Model container') };
      this.check('ModelContainer', body, apiVersion);
      const created = !this.modelContainers.has(m[1]);
      this.modelContainers.set(m[1], this.resource(p, m[1], `${RP}/workspaces/models`, body!));
      return { status: created ? 201 : 200, body: this.modelContainers.get(m[1]) };
    }
    if ((m = /^\/models\/([^/]+)\/versions$/.exec(rest))) {
      this.get(this.modelContainers, m[1], 'Model container');
      // ModelVersions_List `tags`: "Comma-separated list of tag names (and optionally values). Example: tag1,tag2=value2".
      const wanted = (query.get('tags') ?? '').split(',').filter(Boolean).map((s) => s.split('=') as [string, string?]);
      const versions = [...this.modelVersions].filter(([k]) => k.startsWith(`${m![1]}/`)).map(([, v]) => v);
      return { status: 200, body: { value: versions.filter((v) => wanted.every(([k, val]) => k in (v.properties.tags ?? {}) && (val === undefined || v.properties.tags[k] === val))) } };
    }
    if ((m = /^\/models\/([^/]+)\/versions\/([^/]+)$/.exec(rest))) {
      const key = `${m[1]}/${m[2]}`;
      if (method === 'GET') return { status: 200, body: this.get(this.modelVersions, key, 'Model version') };
      this.check('ModelVersion', body, apiVersion);
      this.get(this.modelContainers, m[1], 'Model container');
      const created = !this.modelVersions.has(key);
      this.modelVersions.set(key, this.resource(p, m[2], `${RP}/workspaces/models/versions`, body!));
      return { status: created ? 201 : 200, body: this.modelVersions.get(key) };
    }
    if ((m = /^\/environments\/([^/]+)\/versions\/([^/]+)$/.exec(rest))) {
      const key = `${m[1]}/${m[2]}`;
      if (method === 'GET') return { status: 200, body: this.get(this.environmentVersions, key, 'Environment version') };
      // SDK bodies (2022-10-01) against its mappers; raw bodies (2024-04-01) against the published
      // EnvironmentVersionResource, whose Route requires `path` (minLength 1, pattern [a-zA-Z0-9_]) and an int32 `port`.
      this.check('EnvironmentVersion', body, apiVersion, 'EnvironmentVersionResource');
      const created = !this.environmentVersions.has(key);
      const environment = this.resource(p, m[2], `${RP}/workspaces/environments/versions`, body!);
      // Kept as sent (image, inferenceConfig, osType, build, ...) and returned on GET; the service adds the
      // read-only environmentType (UserCreated for a version a user registers) and the published defaults.
      environment.properties = { osType: 'Linux', autoRebuild: 'Disabled', ...environment.properties, environmentType: 'UserCreated' };
      this.environmentVersions.set(key, environment);
      return { status: created ? 201 : 200, body: this.environmentVersions.get(key) };
    }
    if ((m = /^\/schedules\/([^/]+)$/.exec(rest))) return this.schedules.route(method, p, m[1], apiVersion, body);
    if ((m = /^\/onlineEndpoints\/([^/]+)$/.exec(rest))) return this.endpoint(method, p, m[1], apiVersion, body);
    if ((m = /^\/onlineEndpoints\/([^/]+)\/deployments$/.exec(rest))) {
      this.get(this.endpoints, m[1], 'Online endpoint');
      return { status: 200, body: { value: [...this.deployments].filter(([k]) => k.startsWith(`${m![1]}/`)).map(([, v]) => deploymentView(v, apiVersion)) } };
    }
    if ((m = /^\/onlineEndpoints\/([^/]+)\/deployments\/([^/]+)$/.exec(rest))) return this.deployment(method, p, m[1], m[2], apiVersion, body);
    throw { status: 404, code: 'NoRegisteredProviderFound', message: `No route for ${method} ${p}` };
  }

  private endpoint(method: string, p: string, name: string, apiVersion: string, body: Obj | undefined) {
    const view = (e: Obj) => (apiVersion >= NEW_API ? e : { ...e, properties: Object.fromEntries(Object.entries(e.properties).filter(([k]) => k !== 'mirrorTraffic')) });
    if (method === 'GET') return { status: 200, body: view(this.get(this.endpoints, name, 'Online endpoint')) };
    if (method === 'DELETE') {
      if (!this.endpoints.has(name)) return { status: 204 };
      return this.longRunning('DELETE', p, () => {
        this.endpoints.delete(name);
        for (const k of [...this.deployments.keys()]) if (k.startsWith(`${name}/`)) this.deployments.delete(k);
      });
    }
    if (method === 'PATCH') {
      this.check('PartialMinimalTrackedResourceWithIdentity', body, apiVersion);
      const current = this.get(this.endpoints, name, 'Online endpoint');
      return this.longRunning('PATCH', p, () => Object.assign(current, { tags: body!.tags ?? current.tags, identity: body!.identity ?? current.identity }));
    }
    this.check('OnlineEndpoint', body, apiVersion, 'OnlineEndpointTrackedResource');
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,30}[a-zA-Z0-9]$/.test(name)) throw { status: 400, code: 'BadRequest', message: `Endpoint name ${name} is invalid: use 3-32 letters, digits and dashes, starting with a letter.` };
    const existing = this.endpoints.get(name);
    const traffic: Record<string, number> = body!.properties.traffic ?? {};
    const mirror: Record<string, number> = body!.properties.mirrorTraffic ?? existing?.properties.mirrorTraffic ?? {};
    this.checkTraffic(name, traffic, mirror);
    const resource = this.resource(p, name, `${RP}/workspaces/onlineEndpoints`, body!);
    resource.properties = { ...resource.properties, traffic, mirrorTraffic: mirror, scoringUri: `https://${name}.${body!.location}.inference.ml.azure.com/score`, provisioningState: existing ? 'Updating' : 'Creating' };
    if (existing) resource.systemData = existing.systemData;
    const previous = existing ? structuredClone(existing) : undefined;
    this.endpoints.set(name, resource);
    return this.longRunning('PUT', p, () => undefined, existing ? 200 : 201, () => (previous ? this.endpoints.set(name, { ...previous, properties: { ...previous.properties, provisioningState: 'Failed' } }) : (resource.properties.provisioningState = 'Failed')), () => (resource.properties.provisioningState = 'Succeeded'), view(resource));
  }

  private deployment(method: string, p: string, endpointName: string, name: string, apiVersion: string, body: Obj | undefined) {
    const key = `${endpointName}/${name}`;
    if (method === 'GET') return { status: 200, body: deploymentView(this.get(this.deployments, key, 'Online deployment'), apiVersion) };
    // Like ARM, the body's shape is checked before the resources it names.
    if (method === 'PUT') this.check('OnlineDeployment', body, apiVersion, 'OnlineDeploymentTrackedResource');
    const endpoint = this.get(this.endpoints, endpointName, 'Online endpoint');
    if (method === 'DELETE') {
      if (!this.deployments.has(key)) return { status: 204 };
      if ((endpoint.properties.traffic?.[name] ?? 0) > 0 || (endpoint.properties.mirrorTraffic?.[name] ?? 0) > 0) {
        throw { status: 400, code: 'BadArgument', message: `Deployment ${name} has traffic. Set its traffic and mirror traffic to 0 before deleting it.` };
      }
      return this.longRunning('DELETE', p, () => void this.deployments.delete(key));
    }
    if (method === 'PATCH') {
      this.check('PartialMinimalTrackedResourceWithSku', body, apiVersion);
      const current = this.get(this.deployments, key, 'Online deployment');
      current.properties.provisioningState = 'Updating';
      return this.longRunning('PATCH', p, () => {
        if (body!.sku?.capacity !== undefined) current.sku = { ...current.sku, capacity: body!.sku.capacity };
        if (body!.tags) current.tags = body!.tags;
      }, 202, () => (current.properties.provisioningState = 'Failed'), () => (current.properties.provisioningState = 'Succeeded'));
    }
    const existing = this.deployments.get(key);
    const props = body!.properties;
    // "The `model_mount_path` must be a valid absolute path in Linux (the OS of the container image)."
    // https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container#locating-the-mounted-model
    // (MicrosoftDocs/azure-ai-docs articles/machine-learning/how-to-deploy-custom-container.md)
    if (props.modelMountPath !== undefined && props.modelMountPath !== null && !/^\/[^\0]*$/.test(props.modelMountPath)) {
      throw { status: 400, code: 'BadArgument', message: `modelMountPath '${props.modelMountPath}' is not a valid absolute path in Linux; it must start with '/'.` };
    }
    if (existing && existing.properties.instanceType !== props.instanceType) {
      throw { status: 400, code: 'BadArgument', message: `Updating instanceType of deployment ${name} is not supported (from ${existing.properties.instanceType} to ${props.instanceType}).` };
    }
    this.checkAsset(props.model, 'model');
    if (props.environmentId) this.checkAsset(props.environmentId, 'environment');
    // "Inference config is required if you want to run your own container with managed online endpoint."
    // https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container#inference-config
    // A deployment without codeConfiguration runs the environment's image as its own container.
    const envRef = props.environmentId ? /\/environments\/([^/]+)\/versions\/([^/]+)$/.exec(props.environmentId) : null;
    const environment = envRef ? this.environmentVersions.get(`${envRef[1]}/${envRef[2]}`) : undefined;
    if (props.endpointComputeType === 'Managed' && environment && !props.codeConfiguration && !environment.properties?.inferenceConfig) {
      throw { status: 400, code: 'BadArgument', message: `Environment ${props.environmentId} has no inferenceConfig: a managed online deployment without codeConfiguration runs the environment's image as a custom container, which needs the liveness, readiness and scoring routes.` };
    }
    const resource = this.resource(p, name, `${RP}/workspaces/onlineEndpoints/deployments`, body!);
    resource.properties.provisioningState = existing ? 'Updating' : 'Creating';
    if (existing) resource.systemData = existing.systemData;
    this.deployments.set(key, resource);
    return this.longRunning('PUT', p, () => undefined, existing ? 200 : 201, () => (resource.properties.provisioningState = 'Failed'), () => (resource.properties.provisioningState = 'Succeeded'));
  }

  private registry(method: string, p: string, registry: string, model: string, version: string | undefined, apiVersion: string, body: Obj | undefined) {
    if (apiVersion < NEW_API) throw { status: 400, code: 'InvalidApiVersionParameter', message: `The api-version '${apiVersion}' is invalid for registries; use ${NEW_API} or later.` };
    if (!version) return { status: 200, body: { value: [...this.registryModelVersions].filter(([k]) => k.startsWith(`${registry}/${model}/`)).map(([, v]) => v) } };
    const key = `${registry}/${model}/${version}`;
    if (method === 'GET') return { status: 200, body: this.get(this.registryModelVersions, key, 'Model version') };
    this.check('ModelVersion', body, apiVersion, 'ModelVersionResource');
    // Registry writes are long-running (202 + Location); the version exists once the operation is done.
    const resource = this.resource(p, version, `${RP}/registries/models/versions`, body!);
    resource.properties.provisioningState = 'Succeeded';
    return this.longRunning('PUT', p, () => void this.registryModelVersions.set(key, resource), 202);
  }

  /**
   * Azure Monitor autoscale settings (api-version 2022-10-01, synchronous): the shape of the REST
   * reference (no SDK of ours carries its mappers), and a target that must exist.
   */
  private autoscale(method: string, p: string, name: string, apiVersion: string, body: Obj | undefined) {
    if (apiVersion !== '2022-10-01') throw { status: 400, code: 'InvalidApiVersionParameter', message: `The api-version '${apiVersion}' is invalid for autoscalesettings; use 2022-10-01.` };
    if (method === 'GET') return { status: 200, body: this.get(this.autoscaleSettings, name, 'Autoscale setting') };
    if (method === 'DELETE') return { status: this.autoscaleSettings.delete(name) ? 200 : 204 };
    const errors = checkAutoscale(body);
    if (errors.length) throw { status: 400, code: 'BadRequest', message: errors.join('; ') };
    const target = /\/onlineEndpoints\/([^/]+)\/deployments\/([^/]+)$/.exec(body!.properties.targetResourceUri);
    if (!target || !this.deployments.has(`${target[1]}/${target[2]}`)) throw { status: 400, code: 'TargetResourceNotFound', message: `The target resource ${body!.properties.targetResourceUri} was not found.` };
    const created = !this.autoscaleSettings.has(name);
    this.autoscaleSettings.set(name, { ...structuredClone(body!), id: p, name, type: 'Microsoft.Insights/autoscaleSettings' });
    return { status: created ? 201 : 200, body: this.autoscaleSettings.get(name) };
  }

  // ---------------------------------------------------------------- training jobs

  /**
   * Sets a job's status (any JobStatus of the specification). Canceled also cancels a sweep's unfinished
   * trials, as the service does when it cancels a sweep ("the system cancels the sweep job, including all
   * of its trials", reference-yaml-job-sweep, limits.timeout).
   */
  setJobStatus(name: string, status: JobStatus): void {
    const statuses = specDefinitions(NEW_API)!.JobStatus.enum as string[];
    if (!statuses.includes(status)) throw new Error(`${status} is not a JobStatus (${statuses.join(', ')})`);
    const job = this.jobs.get(name);
    if (!job) throw new Error(`No job ${name}`);
    job.properties.status = status;
    if (JOB_TERMINAL.includes(status)) this.mlflow.ended(name);
    if (status === 'Canceled') for (const t of this.jobTrials.get(name) ?? []) if (!JOB_TERMINAL.includes(this.jobs.get(t)!.properties.status)) this.setJobStatus(t, 'Canceled');
  }

  /**
   * Completes a job: `outputs` gives the URI of named outputs (each must be one of the job's outputs);
   * `metrics` are logged to the job's MLflow run, as mlspec's launcher logs them (ARM's job carries none), and
   * kept in `jobMetrics`.
   */
  completeJob(name: string, result: { outputs?: Record<string, string>; metrics?: Record<string, number> } = {}): void {
    const job = this.testJob(name);
    for (const [output, uri] of Object.entries(result.outputs ?? {})) {
      const declared = job.properties.outputs?.[output];
      if (!declared) throw new Error(`Job ${name} has no output ${output} (it has ${Object.keys(job.properties.outputs ?? {}).join(', ') || 'none'})`);
      declared.uri = uri;
    }
    if (result.metrics) {
      this.jobMetrics.set(name, { ...this.jobMetrics.get(name), ...result.metrics });
      this.mlflow.logMetrics(name, result.metrics);
    }
    this.setJobStatus(name, 'Completed');
  }

  /**
   * Fails a job; the message is kept in `jobErrors` (the 2024-04-01 job resource has no error field). With
   * `service`, the message is also that job service's `errorMessage` (JobService: "Any error in the service."),
   * the one place a 2024-04-01 job resource carries an error's text.
   */
  failJob(name: string, message: string, options: { service?: string } = {}): void {
    this.jobErrors.set(name, message);
    if (options.service) {
      const job = this.testJob(name);
      job.properties.services = { ...job.properties.services, [options.service]: { jobServiceType: options.service, ...job.properties.services?.[options.service], errorMessage: message } };
    }
    this.setJobStatus(name, 'Failed');
  }

  /**
   * Gives a sweep its trial jobs: Command jobs named `<sweep>_<n>` unless named, each from the sweep's
   * `trial` (command, environment, distribution, resources), GET-able like any job but not listed by
   * `GET jobs` (whether ARM's list shows a sweep's children is not documented). Returns their names.
   */
  setTrials(sweep: string, trials: { name?: string; status?: JobStatus; metrics?: Record<string, number> }[]): string[] {
    const parent = this.testJob(sweep);
    if (parent.properties.jobType !== 'Sweep') throw new Error(`Job ${sweep} is a ${parent.properties.jobType} job, not a sweep`);
    for (const t of this.jobTrials.get(sweep) ?? []) {
      this.jobs.delete(t);
      this.trialParent.delete(t);
      this.mlflow.deleteRun(t);
    }
    const names = trials.map((t, i) => t.name ?? `${sweep}_${i}`);
    for (const n of names) if (this.jobs.has(n)) throw new Error(`A job named ${n} exists already; name the trial otherwise`);
    const base = String(parent.id).replace(/\/jobs\/[^/]+$/, '/jobs');
    trials.forEach((t, i) => {
      const name = names[i];
      const { trial, experimentName } = parent.properties;
      const properties: Obj = { ...structuredClone(trial), jobType: 'Command', experimentName, displayName: name, isArchived: false, tags: {}, properties: {}, status: t.status ?? 'Completed' };
      properties.services = this.jobServices(name, base);
      this.jobs.set(name, { id: `${base}/${name}`, name, type: `${RP}/workspaces/jobs`, properties, systemData: parent.systemData });
      this.trialParent.set(name, sweep);
      // Each trial is an MLflow run of the sweep's experiment, its parent the sweep's run.
      this.mlflow.createRun(name, experimentName, { tags: { 'mlflow.parentRunId': sweep, 'mlflow.rootRunId': sweep } });
      if (JOB_TERMINAL.includes(properties.status)) this.mlflow.ended(name);
      if (t.metrics) {
        this.jobMetrics.set(name, t.metrics);
        this.mlflow.logMetrics(name, t.metrics);
      }
    });
    this.jobTrials.set(sweep, names);
    return names;
  }

  /** A sweep's trial names. */
  trialsOf(sweep: string): string[] {
    return [...(this.jobTrials.get(sweep) ?? [])];
  }

  /**
   * Names a sweep's best trial the way the service does: in the sweep's `properties.properties` under
   * `best_child_run_id`, which azure-ai-ml reads to download a sweep's best outputs
   * (azure/ai/ml/operations/_job_operations.py `download`: `job_details.properties.get(SWEEP_JOB_BEST_CHILD_RUN_ID_PROPERTY_NAME)`,
   * constants/_common.py `SWEEP_JOB_BEST_CHILD_RUN_ID_PROPERTY_NAME = "best_child_run_id"`). `score` (the
   * best primary metric, as a string) sits beside it in a sweep (HyperDrive) run's recorded properties.
   */
  setBestTrial(sweep: string, trial: string, score?: number): void {
    const parent = this.testJob(sweep);
    if (!(this.jobTrials.get(sweep) ?? []).includes(trial)) throw new Error(`${trial} is not a trial of sweep ${sweep} (setTrials first)`);
    parent.properties.properties = { ...parent.properties.properties, best_child_run_id: trial, ...(score !== undefined ? { score: String(score) } : {}) };
  }

  /**
   * The values a sweep samples one hyperparameter from, as the documentation defines each expression
   * (reference-yaml-job-sweep, Parameter expressions): loguniform's bounds are natural logs, "The minimum
   * value in the range is exp(min_value)", so its range is [exp(min_value), exp(max_value)]; randint's
   * `upper` is exclusive; choice lists its values; (log)normal gives mu and sigma.
   */
  sweepSearchRange(sweep: string, parameter: string): { type: string; low?: number; high?: number; highExclusive?: boolean; values?: unknown[]; mu?: number; sigma?: number; q?: number } {
    const expr = this.testJob(sweep).properties.searchSpace?.[parameter];
    if (!Array.isArray(expr)) throw new Error(`Sweep ${sweep} has no search space parameter ${parameter}`);
    const [type, args] = expr as [string, any[]];
    switch (type) {
      case 'choice':
        return { type, values: args[0] };
      case 'randint':
        return { type, low: 0, high: args[0], highExclusive: true };
      case 'uniform':
      case 'quniform':
        return { type, low: args[0], high: args[1], ...(args[2] !== undefined ? { q: args[2] } : {}) };
      case 'loguniform':
      case 'qloguniform':
        return { type, low: Math.exp(args[0]), high: Math.exp(args[1]), ...(args[2] !== undefined ? { q: args[2] } : {}) };
      default:
        return { type, mu: args[0], sigma: args[1], ...(args[2] !== undefined ? { q: args[2] } : {}) };
    }
  }

  private testJob(name: string): Obj {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`No job ${name} (PUT it first)`);
    return job;
  }

  /** Jobs are raw ARM calls: at the SDK's api-version, or at one whose job definitions were copied into ./spec. */
  private checkJobApi(apiVersion: string): void {
    if (apiVersion === SDK_API || (apiVersion >= NEW_API && specDefinitions(apiVersion)?.JobBaseResource)) return;
    throw { status: 400, code: 'InvalidApiVersionParameter', message: `The fake has no copy of the job definitions (JobBaseResource) of api-version '${apiVersion}' (test/fakes/azureml/spec); copy them from Azure's published specification before sending at that version.` };
  }

  private job(method: string, p: string, name: string, apiVersion: string, body: Obj | undefined) {
    this.checkJobApi(apiVersion);
    if (method === 'GET') {
      const job = this.get(this.jobs, name, 'Job');
      if (this.autoAdvanceJobs) this.advanceJob(job);
      return { status: 200, body: jobView(job, apiVersion) };
    }
    // The `id` path parameter of Jobs_CreateOrUpdate (mfe.json 2024-04-01): "pattern": "^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$".
    if (!/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/.test(name)) {
      throw { status: 400, code: 'BadRequest', message: `The job name '${name}' must match ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$: a letter or digit, then up to 254 letters, digits, '-' or '_'.` };
    }
    this.check('JobBase', body, apiVersion, 'JobBaseResource');
    const props: Obj = body!.properties;
    const errors = checkJobRules(props);
    if (errors.length) throw { status: 400, code: 'UserError', message: errors.join('; ') };
    const existing = this.jobs.get(name);
    if (existing) {
      if (this.trialParent.has(name)) throw { status: 400, code: 'UserError', message: `Job ${name} is a trial of sweep ${this.trialParent.get(name)}; it cannot be submitted again.` };
      const changed = immutableChanges(this.jobSent.get(name)!, props);
      if (changed.length) {
        throw {
          status: 400,
          code: 'UserError',
          message: `A job with this name already exists. If you are trying to create a new job, use a different name. If you are trying to update an existing job, the existing job's ${changed.join(', ')} cannot be changed. Only description, tags, displayName, properties, and isArchived can be updated.`,
          innerError: { code: 'Immutable', innerError: { code: 'JobPropertyImmutable' } },
        };
      }
      // "For update case, the Tags in the definition passed in will replace Tags in the existing job."
      // (Jobs_CreateOrUpdate summary); the other updatable fields likewise take the sent value when sent.
      for (const k of ['description', 'tags', 'displayName', 'isArchived']) if (props[k] !== undefined) existing.properties[k] = structuredClone(props[k]);
      // Properties the service set (best_child_run_id) stay; sent ones are added or replaced.
      if (props.properties) existing.properties.properties = { ...existing.properties.properties, ...structuredClone(props.properties) };
      existing.systemData = { ...existing.systemData, lastModifiedAt: new Date(this.now()).toISOString() };
      return { status: 200, body: jobView(existing, apiVersion) };
    }
    const job = this.resource(p, name, `${RP}/workspaces/jobs`, body!);
    job.systemData.createdByType = 'User';
    job.properties = this.jobProperties(name, p.replace(/\/[^/]+$/, ''), props);
    this.jobs.set(name, job);
    this.jobSent.set(name, structuredClone(props));
    // Azure ML tracks every job as an MLflow run named after the job, in the job's experiment.
    this.mlflow.createRun(name, job.properties.experimentName, { runName: job.properties.displayName ?? name });
    // Jobs_CreateOrUpdate is not a long-running operation: 201 with the job, whose status starts NotStarted.
    return { status: 201, body: jobView(job, apiVersion) };
  }

  /** A new job's properties as the service returns them: as sent, the specification's defaults, status and services. */
  private jobProperties(name: string, jobsPath: string, sent: Obj): Obj {
    const props: Obj = { experimentName: 'Default', isArchived: false, tags: {}, properties: {}, ...structuredClone(sent), status: 'NotStarted' };
    // Defaults of the published definitions: ResourceConfiguration.instanceCount 1, JobResourceConfiguration.shmSize "2g",
    // AssetJobInput.mode ReadOnlyMount, AssetJobOutput.mode ReadWriteMount, QueueSettings.jobTier "Null".
    const resources = (r: Obj | undefined) => ({ instanceCount: 1, shmSize: '2g', ...(r ?? {}) });
    if (props.jobType === 'Command') props.resources = resources(props.resources);
    if (props.jobType === 'Sweep') props.trial = { ...props.trial, resources: resources(props.trial?.resources) };
    for (const input of Object.values<Obj>(props.inputs ?? {})) if (input && input.jobInputType !== 'literal') input.mode ??= 'ReadOnlyMount';
    for (const output of Object.values<Obj>(props.outputs ?? {})) if (output) output.mode ??= 'ReadWriteMount';
    if (props.queueSettings) props.queueSettings = { jobTier: 'Null', ...props.queueSettings };
    props.services = { ...(props.services ?? {}), ...this.jobServices(name, jobsPath) };
    return props;
  }

  /**
   * The Studio service the service adds to every job: how-to-tune-hyperparameters reads
   * `returned_sweep_job.services["Studio"].endpoint` for the job's URL, which is
   * https://ml.azure.com/runs/<job>?wsid=<workspace id> (as quoted in Azure/azure-sdk-for-python#29077).
   */
  private jobServices(name: string, jobsPath: string): Obj {
    return { Studio: { jobServiceType: 'Studio', endpoint: `https://ml.azure.com/runs/${name}?wsid=${jobsPath.replace(/\/jobs$/, '')}` } };
  }

  private advanceJob(job: Obj): void {
    const status: JobStatus = job.properties.status;
    if (status === 'CancelRequested') return this.setJobStatus(job.name, 'Canceled');
    if (status === 'Provisioning') return this.setJobStatus(job.name, 'Preparing');
    const i = JOB_FLOW.indexOf(status);
    if (i >= 0 && i < JOB_FLOW.length - 1) this.setJobStatus(job.name, JOB_FLOW[i + 1]);
  }

  /**
   * Workspaces_Get: the workspace with the read-only `mlFlowTrackingUri` of WorkspaceProperties
   * (machineLearningServices.json 2024-04-01: "The URI associated with this workspace that machine learning flow
   * must point at to set up tracking"), in Azure's form `azureml://<region>.api.azureml.ms/mlflow/v1.0<workspace id>`
   * with this fake's host.
   */
  private workspaceResource(p: string, apiVersion: string) {
    if (apiVersion !== SDK_API && apiVersion < NEW_API) throw { status: 400, code: 'InvalidApiVersionParameter', message: `The api-version '${apiVersion}' is not supported.` };
    const name = p.split('/').pop()!;
    const uri = this.mlflowTrackingUri === undefined ? `azureml://${this.url.replace(/^https:\/\//, '')}/mlflow/v1.0${p}` : this.mlflowTrackingUri;
    const workspaceId = createHash('sha256').update(p).digest('hex');
    return {
      status: 200,
      body: {
        id: p,
        name,
        type: `${RP}/workspaces`,
        location: 'eastus',
        kind: 'Default',
        properties: {
          workspaceId: `${workspaceId.slice(0, 8)}-${workspaceId.slice(8, 12)}-${workspaceId.slice(12, 16)}-${workspaceId.slice(16, 20)}-${workspaceId.slice(20, 32)}`,
          friendlyName: name,
          provisioningState: 'Succeeded',
          discoveryUrl: 'https://eastus.api.azureml.ms/discovery',
          ...(uri === null ? {} : { mlFlowTrackingUri: uri }),
        },
      },
    };
  }

  /**
   * Jobs_List: `jobType`, `tag` ("Jobs returned will have this tag key"), `properties` ("Comma-separated list
   * of user property names (and optionally values). Example: prop1,prop2=value2"), `listViewType`
   * (ActiveOnly by default, ArchivedOnly, All) and `$skip` (the continuation token), as mfe.json 2024-04-01
   * defines them; answers a JobBaseResourceArmPaginatedResult (`value`, `nextLink`).
   */
  private listJobs(p: string, apiVersion: string, query: URLSearchParams) {
    this.checkJobApi(apiVersion);
    const view = query.get('listViewType') ?? 'ActiveOnly';
    if (!['ActiveOnly', 'ArchivedOnly', 'All'].includes(view)) throw { status: 400, code: 'BadRequest', message: `listViewType '${view}' must be one of ActiveOnly, ArchivedOnly, All.` };
    const jobType = query.get('jobType');
    const tag = query.get('tag');
    const wanted = (query.get('properties') ?? '').split(',').filter(Boolean).map((s) => s.split('=') as [string, string?]);
    const jobs = [...this.jobs.values()].filter((j) => {
      const props = j.properties;
      if (this.trialParent.has(j.name)) return false;
      if (view === 'ActiveOnly' && props.isArchived) return false;
      if (view === 'ArchivedOnly' && !props.isArchived) return false;
      if (jobType && props.jobType !== jobType) return false;
      if (tag && !(tag in (props.tags ?? {}))) return false;
      return wanted.every(([k, v]) => k in (props.properties ?? {}) && (v === undefined || props.properties[k] === v));
    });
    const skip = Number(query.get('$skip') ?? 0) || 0;
    const size = this.jobsPageSize > 0 ? this.jobsPageSize : jobs.length;
    const page = jobs.slice(skip, skip + size);
    let nextLink: string | undefined;
    if (skip + size < jobs.length) {
      const next = new URLSearchParams(query);
      next.set('$skip', String(skip + size));
      nextLink = `${this.url}${p}?${next}`;
    }
    return { status: 200, body: { value: page.map((j) => jobView(j, apiVersion)), ...(nextLink ? { nextLink } : {}) } };
  }

  /**
   * Jobs_Cancel: 202 with `Location` (and Retry-After), the only headers the specification gives it
   * ("x-ms-long-running-operation", "final-state-via": "location"); the job is CancelRequested at once and
   * Canceled when the operation ends. A job that has finished, or is Finalizing, is refused: the service
   * errors on cancelling a Finalizing job (Azure/azureml-assets#2496 treats Finalizing as terminal for that
   * reason); its status code and message are not documented, so the fake answers 400 UserError naming the status.
   */
  private cancelJob(p: string, name: string, apiVersion: string) {
    this.checkJobApi(apiVersion);
    const job = this.get(this.jobs, name, 'Job');
    const previous: JobStatus = job.properties.status;
    if (JOB_TERMINAL.includes(previous) || previous === 'Finalizing') {
      throw { status: 400, code: 'UserError', message: `Job ${name} is ${previous}: a job can be canceled only before it finishes (not when Finalizing, Completed, Failed or Canceled).` };
    }
    this.setJobStatus(name, 'CancelRequested');
    const id = `op-${this.nextId++}`;
    const failure = this.failOperation && this.failOperation.path.test(p) ? this.failOperation : undefined;
    if (failure) this.failOperation = undefined;
    this.operations.set(id, {
      pollsLeft: this.operationPolls,
      complete: () => {
        const now = this.jobs.get(name);
        if (failure) {
          if (now?.properties.status === 'CancelRequested') now.properties.status = previous;
          return { code: failure.code ?? 'UserError', message: failure.message };
        }
        if (now?.properties.status === 'CancelRequested') this.setJobStatus(name, 'Canceled');
        return undefined;
      },
    });
    return { status: 202, headers: { location: this.opUrl('mfeOperationResults', id), 'retry-after': String(this.retryAfterSeconds) } };
  }

  // ---------------------------------------------------------------- rules

  private checkTraffic(endpoint: string, traffic: Record<string, number>, mirror: Record<string, number>): void {
    const exists = (d: string) => this.deployments.has(`${endpoint}/${d}`);
    for (const d of Object.keys(traffic)) if (!exists(d)) throw { status: 400, code: 'BadArgument', message: `Traffic: deployment ${d} does not exist in endpoint ${endpoint}.` };
    const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
    if (sum !== 0 && sum !== 100) throw { status: 400, code: 'BadArgument', message: `Traffic values must add up to 100 (or 0); they add up to ${sum}.` };
    for (const [d, pct] of Object.entries(mirror)) {
      if (!exists(d)) throw { status: 400, code: 'BadArgument', message: `Mirror traffic: deployment ${d} does not exist in endpoint ${endpoint}.` };
      if (pct > 50) throw { status: 400, code: 'BadArgument', message: `Mirror traffic of deployment ${d} is ${pct}; it can be at most 50.` };
      if ((traffic[d] ?? 0) > 0 && pct > 0) throw { status: 400, code: 'BadArgument', message: `Deployment ${d} cannot receive both live traffic and mirror traffic.` };
    }
  }

  /** A deployment's model or environment must exist: workspace ARM ids or registry asset ids. */
  private checkAsset(id: string, kind: 'model' | 'environment'): void {
    let m: RegExpExecArray | null;
    const found =
      kind === 'model'
        ? (m = /\/models\/([^/]+)\/versions\/([^/]+)$/.exec(id)) && (id.startsWith('azureml://registries/') ? this.registryModelVersions.has(`${/^azureml:\/\/registries\/([^/]+)\//.exec(id)?.[1]}/${m[1]}/${m[2]}`) : this.modelVersions.has(`${m[1]}/${m[2]}`))
        : (m = /\/environments\/([^/]+)\/versions\/([^/]+)$/.exec(id)) && this.environmentVersions.has(`${m[1]}/${m[2]}`);
    if (!found) throw { status: 400, code: 'BadArgument', message: `The ${kind} ${id} was not found.` };
  }

  // ---------------------------------------------------------------- operations

  private opUrl(kind: 'mfeOperationsStatus' | 'mfeOperationResults', id: string): string {
    return `${this.url}/subscriptions/fake/providers/${RP}/locations/eastus/${kind}/${id}?api-version=2022-10-01`;
  }

  /**
   * Starts an async operation. `apply` runs when it succeeds; `onFail` / `onSucceed` set the
   * resource's provisioning state. A PUT answers with the resource and `Azure-AsyncOperation`;
   * PATCH and DELETE answer 202 with `Location` too.
   */
  private longRunning(method: 'PUT' | 'PATCH' | 'DELETE', p: string, apply: () => unknown, status = method === 'PUT' ? 201 : 202, onFail: () => unknown = () => undefined, onSucceed: () => unknown = () => undefined, body?: unknown) {
    const id = `op-${this.nextId++}`;
    const failure = this.failOperation && this.failOperation.path.test(p) ? this.failOperation : undefined;
    if (failure) this.failOperation = undefined;
    this.operations.set(id, {
      pollsLeft: this.operationPolls,
      complete: () => {
        if (failure) {
          onFail();
          return { code: failure.code ?? 'DeploymentFailed', message: failure.message };
        }
        apply();
        onSucceed();
        return undefined;
      },
    });
    const headers: Record<string, string> = { 'azure-asyncoperation': this.opUrl('mfeOperationsStatus', id), 'retry-after': String(this.retryAfterSeconds) };
    if (method !== 'PUT' || status === 202) headers.location = this.opUrl('mfeOperationResults', id);
    if (method === 'PUT' && status !== 202) return { status, body: body ?? this.current(p), headers };
    return { status, headers };
  }

  private current(p: string): Obj | undefined {
    for (const map of [this.endpoints, this.deployments]) for (const r of map.values()) if (r.id === p) return r;
    return undefined;
  }

  private advance(id: string): Operation {
    const op = this.operations.get(id);
    if (!op) throw { status: 404, code: 'NotFound', message: `Operation ${id} not found.` };
    if (!op.outcome) {
      if (op.pollsLeft > 0) op.pollsLeft -= 1;
      else {
        const error = op.complete();
        op.outcome = error ? { status: 'Failed', error } : { status: 'Succeeded' };
      }
    }
    return op;
  }

  private pollStatus(id: string) {
    const op = this.advance(id);
    const body = { id, name: id, status: op.outcome?.status ?? 'InProgress', ...(op.outcome?.error ? { error: op.outcome.error } : {}) };
    const headers: Record<string, string> = op.outcome ? {} : { 'retry-after': String(this.retryAfterSeconds) };
    return { status: 200, body, headers };
  }

  // ---------------------------------------------------------------- metrics

  /** `RequestsPerMinute` / `RequestLatency_P99`, split or filtered by the `$filter`'s dimensions. */
  private queryMetrics(resourceId: string, query: URLSearchParams): Obj {
    const endpoint = resourceId.split('/').pop()!;
    const names = (query.get('metricnames') ?? '').split(',').filter(Boolean);
    const [from, to] = (query.get('timespan') ?? '').split('/').map((t) => Date.parse(t));
    const clauses = [...(query.get('$filter') ?? '').matchAll(/(\w+) eq '([^']*)'/g)].map(([, k, v]) => [k, v] as const);
    const value = names.map((metric) => {
      const groups = new Map<string, { dims: Record<string, string>; data: Obj[] }>();
      for (const p of this.metrics) {
        if (p.endpoint !== endpoint || p.metric !== metric || p.timeStamp < from || p.timeStamp > to) continue;
        if (!clauses.every(([k, v]) => v === '*' || p.dims[k] === v)) continue;
        const dims = Object.fromEntries(clauses.filter(([, v]) => v === '*').map(([k]) => [k, p.dims[k] ?? '']));
        const key = JSON.stringify(dims);
        const group = groups.get(key) ?? { dims, data: [] };
        group.data.push({ timeStamp: new Date(p.timeStamp).toISOString(), ...(p.total !== undefined ? { total: p.total } : {}), ...(p.maximum !== undefined ? { maximum: p.maximum } : {}) });
        groups.set(key, group);
      }
      return {
        id: `${resourceId}/providers/Microsoft.Insights/metrics/${metric}`,
        type: 'Microsoft.Insights/metrics',
        name: { value: metric, localizedValue: metric },
        unit: metric === 'RequestLatency_P99' ? 'MilliSeconds' : 'Count',
        errorCode: 'Success',
        timeseries: [...groups.values()].map((g) => ({ metadatavalues: Object.entries(g.dims).map(([k, v]) => ({ name: { value: k, localizedValue: k }, value: v })), data: g.data })),
      };
    });
    return { cost: 0, timespan: query.get('timespan'), interval: query.get('interval') ?? 'PT1M', value, namespace: `${RP}/workspaces/onlineEndpoints`, resourceregion: 'eastus' };
  }

  // ---------------------------------------------------------------- helpers

  private get(map: Map<string, Obj>, key: string, what: string): Obj {
    const found = map.get(key);
    if (!found) throw { status: 404, code: 'UserError', message: `${what} ${key} not found.` };
    return found;
  }

  private resource(id: string, name: string, type: string, body: Obj): Obj {
    const at = new Date(this.now()).toISOString();
    return { ...structuredClone(body), id, name, type, properties: structuredClone(body.properties ?? {}), systemData: { createdAt: at, createdBy: 'mlspec', lastModifiedAt: at } };
  }

  /**
   * Checks a body: at the SDK's api-version against its mapper `className`; at any other against the
   * published specification's `specName` for that api-version (test/fakes/azureml/spec), which must
   * have been copied. Errors name the path and the api-version.
   */
  private check(className: string, body: Obj | undefined, apiVersion: string, specName?: string): void {
    if (apiVersion !== SDK_API && apiVersion < NEW_API) throw { status: 400, code: 'InvalidApiVersionParameter', message: `The api-version '${apiVersion}' is not supported.` };
    if (body === undefined) throw { status: 400, code: 'BadRequest', message: 'The request body is required.' };
    let errors: string[] = [];
    if (apiVersion === SDK_API) checkValue(loadMappers(), { type: { name: 'Composite', className } }, body, '', errors, {});
    else if (specName && specDefinitions(apiVersion)) errors = validateAgainstSpec(apiVersion, specName, body);
    else throw { status: 400, code: 'InvalidApiVersionParameter', message: `The fake has no copy of the ${specName ?? className} definitions of api-version '${apiVersion}' (test/fakes/azureml/spec); copy them from Azure's published specification before sending at that version.` };
    if (errors.length) throw { status: 400, code: 'BadRequest', message: `${errors.join('; ')} (api-version ${apiVersion})` };
  }
}

/** A deployment as an api-version sees it: dataCollector exists from 2024-04-01 on. */
function deploymentView(d: Obj, apiVersion: string): Obj {
  if (apiVersion >= NEW_API || !d.properties.dataCollector) return d;
  const { dataCollector: _, ...properties } = d.properties;
  return { ...d, properties };
}

/** A job as an api-version sees it: queueSettings exists from 2023-10-01 on (absent from the 2023-04-01 and 2022-10-01 specifications). */
function jobView(job: Obj, apiVersion: string): Obj {
  if (apiVersion >= '2023-10-01' || !job.properties.queueSettings) return job;
  const { queueSettings: _, ...properties } = job.properties;
  return { ...job, properties };
}

/** JSON with sorted keys, to compare what was sent with what is sent again. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().filter((k) => (value as Obj)[k] !== undefined && (value as Obj)[k] !== null).map((k) => `${JSON.stringify(k)}:${canonical((value as Obj)[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** The job properties a second PUT changes that the service does not let change (JOB_MUTABLE aside). */
function immutableChanges(before: Obj, after: Obj): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !JOB_MUTABLE.includes(k));
  return keys.filter((k) => canonical(before[k] ?? null) !== canonical(after[k] ?? null));
}

/**
 * The documented rules of command and sweep jobs beyond the published schema. Each names its source;
 * messages name the property. Checked after the schema, so shapes are as the specification says.
 */
function checkJobRules(props: Obj): string[] {
  const errors: string[] = [];
  if (props.jobType !== 'Sweep') return errors;
  // "max_total_trials: Maximum number of trial jobs. Must be an integer between 1 and 1000." and
  // "max_concurrent_trials: ... If specified, must be an integer between 1 and 1000."
  // https://learn.microsoft.com/azure/machine-learning/how-to-tune-hyperparameters#set-limits-for-your-sweep-job
  for (const k of ['maxTotalTrials', 'maxConcurrentTrials']) {
    const v = props.limits?.[k];
    if (v !== undefined && v !== null && (v < 1 || v > 1000)) errors.push(`properties.limits.${k} must be an integer between 1 and 1000 (it is ${v})`);
  }
  // searchSpace: each value an expression azure-ai-ml sends as [type, [arguments]] (SEARCH_SPACE_ARGS); the
  // argument types are the sweep job YAML reference's ("Parameter expressions": values array; upper and q
  // integer; min_value, max_value, mu, sigma number), and min_value / max_value bound a range ("The minimum
  // value in the range", "The maximum value in the range"), so min_value may not exceed max_value.
  // https://learn.microsoft.com/azure/machine-learning/reference-yaml-job-sweep#parameter-expressions
  const types: Record<string, string> = {};
  for (const [name, expr] of Object.entries<unknown>(props.searchSpace ?? {})) {
    const at = `properties.searchSpace.${name}`;
    const args = SEARCH_SPACE_ARGS[Array.isArray(expr) ? String(expr[0]) : ''];
    if (!Array.isArray(expr) || !args) {
      errors.push(`${at} must be [type, [arguments]] with type one of ${Object.keys(SEARCH_SPACE_ARGS).join(', ')} (as azure-ai-ml sends it, for example ["uniform", [0.01, 0.9]])`);
      continue;
    }
    const type = String(expr[0]);
    types[name] = type;
    const values = expr[1];
    if (expr.length !== 2 || !Array.isArray(values) || values.length !== args.length) {
      errors.push(`${at}: ${type} takes [${args.join(', ')}]`);
      continue;
    }
    args.forEach((arg, i) => {
      const v = values[i];
      if (arg === 'values' ? !Array.isArray(v) : arg === 'upper' || arg === 'q' ? !Number.isInteger(v) : typeof v !== 'number') {
        errors.push(`${at}: ${type}'s ${arg} must be ${arg === 'values' ? 'an array' : arg === 'upper' || arg === 'q' ? 'an integer' : 'a number'}`);
      }
    });
    if (args[0] === 'min_value' && typeof values[0] === 'number' && typeof values[1] === 'number' && values[0] > values[1]) {
      errors.push(`${at}: ${type}'s min_value ${values[0]} exceeds its max_value ${values[1]}${type.endsWith('loguniform') ? ' (loguniform bounds are natural logarithms: the range is exp(min_value) to exp(max_value))' : ''}`);
    }
  }
  // "Grid sampling can only be used with choice hyperparameters." "Bayesian sampling supports choice,
  // uniform, and quniform distributions." https://learn.microsoft.com/azure/machine-learning/how-to-tune-hyperparameters#sampling-the-hyperparameter-space
  const algorithm = props.samplingAlgorithm?.samplingAlgorithmType;
  const allowed = algorithm === 'Grid' ? ['choice'] : algorithm === 'Bayesian' ? ['choice', 'uniform', 'quniform'] : undefined;
  if (allowed) for (const [name, type] of Object.entries(types)) if (!allowed.includes(type)) errors.push(`properties.searchSpace.${name}: ${algorithm} sampling supports only ${allowed.join(', ')} (not ${type})`);
  const policy = props.earlyTermination;
  // "truncation_percentage: the percentage of lowest performing jobs to terminate at each evaluation interval.
  // An integer value between 1 and 99." (how-to-tune-hyperparameters#truncation-selection-policy); **Required**
  // in the sweep job YAML reference (TruncationSelectionPolicy).
  if (policy?.policyType === 'TruncationSelection' && !(Number.isInteger(policy.truncationPercentage) && policy.truncationPercentage >= 1 && policy.truncationPercentage <= 99)) {
    errors.push(`properties.earlyTermination.truncationPercentage must be an integer between 1 and 99 (it is ${policy.truncationPercentage ?? 'missing'})`);
  }
  // BanditPolicy: "One of slack_factor or slack_amount is required." (reference-yaml-job-sweep#banditpolicy)
  if (policy?.policyType === 'Bandit' && (policy.slackFactor === undefined || policy.slackFactor === null) && (policy.slackAmount === undefined || policy.slackAmount === null)) {
    errors.push('properties.earlyTermination: a Bandit policy needs slackFactor or slackAmount');
  }
  return errors;
}

const ONE_OF = {
  statistic: ['Average', 'Min', 'Max', 'Sum', 'Count'],
  timeAggregation: ['Average', 'Minimum', 'Maximum', 'Total', 'Count', 'Last'],
  operator: ['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual'],
  direction: ['None', 'Increase', 'Decrease'],
  type: ['ChangeCount', 'PercentChangeCount', 'ExactCount', 'ServiceAllowedNextValue'],
} as const;

/** The AutoscaleSettingResource rules of the Monitor REST reference (2022-10-01) that our writes touch. */
function checkAutoscale(body: Obj | undefined): string[] {
  const errors: string[] = [];
  if (!body?.location) errors.push('location is required');
  const profiles = body?.properties?.profiles;
  if (!Array.isArray(profiles) || profiles.length < 1 || profiles.length > 20) return [...errors, 'properties.profiles must hold 1 to 20 profiles'];
  profiles.forEach((profile: Obj, i: number) => {
    const at = `properties.profiles[${i}]`;
    const c = profile.capacity ?? {};
    for (const k of ['minimum', 'maximum', 'default']) if (typeof c[k] !== 'string' || !/^\d+$/.test(c[k])) errors.push(`${at}.capacity.${k} must be a whole number as a string`);
    if (Number(c.minimum) > Number(c.default) || Number(c.default) > Number(c.maximum)) errors.push(`${at}.capacity must satisfy minimum <= default <= maximum`);
    if (!Array.isArray(profile.rules) || profile.rules.length > 10) errors.push(`${at}.rules must hold at most 10 rules`);
    (profile.rules ?? []).forEach((rule: Obj, j: number) => {
      const t = rule.metricTrigger ?? {};
      const a = rule.scaleAction ?? {};
      for (const k of ['metricName', 'metricResourceUri', 'timeGrain', 'timeWindow']) if (typeof t[k] !== 'string') errors.push(`${at}.rules[${j}].metricTrigger.${k} is required`);
      if (typeof t.threshold !== 'number') errors.push(`${at}.rules[${j}].metricTrigger.threshold must be a number`);
      for (const k of ['statistic', 'timeAggregation', 'operator'] as const) if (!(ONE_OF[k] as readonly string[]).includes(t[k])) errors.push(`${at}.rules[${j}].metricTrigger.${k} must be one of ${ONE_OF[k].join(', ')}`);
      for (const k of ['direction', 'type'] as const) if (!(ONE_OF[k] as readonly string[]).includes(a[k])) errors.push(`${at}.rules[${j}].scaleAction.${k} must be one of ${ONE_OF[k].join(', ')}`);
      if (typeof a.cooldown !== 'string') errors.push(`${at}.rules[${j}].scaleAction.cooldown is required`);
    });
  });
  return errors;
}

function checkValue(M: Obj, mapper: Obj, value: unknown, at: string, errors: string[], extra: Record<string, Record<string, Obj>>): void {
  const where = at || '(body)';
  if (value === undefined || value === null) {
    if (mapper.required) errors.push(`${where} is required`);
    return;
  }
  if (mapper.readOnly) {
    errors.push(`${where} is read-only`);
    return;
  }
  const type = mapper.type.name as string;
  switch (type) {
    case 'String':
    case 'TimeSpan':
    case 'DateTime':
    case 'Uuid':
    case 'ByteArray':
      if (typeof value !== 'string') errors.push(`${where} must be a string`);
      else if (mapper.constraints?.Pattern && !new RegExp(mapper.constraints.Pattern).test(value)) errors.push(`${where} does not match ${mapper.constraints.Pattern}`);
      return;
    case 'Number':
      if (typeof value !== 'number') errors.push(`${where} must be a number`);
      return;
    case 'Boolean':
      if (typeof value !== 'boolean') errors.push(`${where} must be a boolean`);
      return;
    case 'Enum':
      if (!mapper.type.allowedValues.includes(value)) errors.push(`${where} must be one of ${mapper.type.allowedValues.join(', ')}`);
      return;
    case 'Sequence':
      if (!Array.isArray(value)) errors.push(`${where} must be an array`);
      else value.forEach((v, i) => checkValue(M, mapper.type.element, v, `${at}[${i}]`, errors, extra));
      return;
    case 'Dictionary':
      if (typeof value !== 'object' || Array.isArray(value)) errors.push(`${where} must be an object`);
      else for (const [k, v] of Object.entries(value as Obj)) checkValue(M, mapper.type.value, v, `${at}.${k}`, errors, extra);
      return;
    case 'Object':
      return;
    case 'Composite': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        errors.push(`${where} must be an object`);
        return;
      }
      let className = mapper.type.className as string;
      let composite = M[className]?.type;
      const discriminator = composite?.polymorphicDiscriminator;
      if (discriminator) {
        const kind = (value as Obj)[discriminator.serializedName];
        const sub = M.discriminators[`${className}.${kind}`] ?? M.discriminators[`${composite.uberParent}.${kind}`];
        if (!sub) {
          errors.push(`${at ? at + '.' : ''}${discriminator.serializedName} '${kind}' is not a known kind`);
          return;
        }
        className = sub.type.className;
        composite = sub.type;
      }
      const props: Record<string, Obj> = { ...composite.modelProperties, ...(extra[className] ?? {}) };
      const known = new Map(Object.values(props).map((p) => [p.serializedName, p]));
      for (const [k, v] of Object.entries(value as Obj)) {
        const prop = known.get(k);
        if (!prop) errors.push(`${at ? at + '.' : ''}${k} is not a property of ${className}`);
        else checkValue(M, prop, v, at ? `${at}.${k}` : k, errors, extra);
      }
      for (const prop of Object.values(props)) {
        if (prop.required && !prop.readOnly && (value as Obj)[prop.serializedName] === undefined && !prop.isConstant) errors.push(`${at ? at + '.' : ''}${prop.serializedName} is required`);
      }
      return;
    }
    default:
      return;
  }
}
