import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protobuf } from 'google-gax';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { FakeJobService, JOB_WRITES, type JobState, type Success } from './jobs';
import { FakeMonitoringJobs, MONITORING_WRITES } from './monitoring';

/**
 * A stateful fake of Vertex AI's ModelService, EndpointService and google.longrunning.Operations,
 * served over real gRPC on 127.0.0.1 from the .proto files shipped in @google-cloud/aiplatform,
 * so the real v1 clients talk to it unchanged. Counts calls per method and injects faults.
 * UploadModel holds Model.container_spec to the rules model.proto and env_var.proto publish
 * (checkContainerSpec, each rule cited), and the stored version returns it as sent.
 * JobService (CustomJob, HyperparameterTuningJob) is served on the same port by FakeJobService (./jobs.ts), and
 * its ModelDeploymentMonitoringJob methods by FakeMonitoringJobs (./monitoring.ts), on these endpoints.
 * Cloud Storage objects (the training launcher's metrics files) are served over HTTP on a second
 * port, `storageEndpoint`, as the Cloud Storage JSON API's objects.get (see `serveStorage`).
 */

const AIP = path.join(path.dirname(require.resolve('@google-cloud/aiplatform/package.json')), 'build/protos');
const GAX = path.join(path.dirname(require.resolve('google-gax')), '../protos');
// job_service.proto too: the operations of UpdateModelDeploymentMonitoringJob answer with a ModelDeploymentMonitoringJob.
const FILES = ['google/cloud/aiplatform/v1/model_service.proto', 'google/cloud/aiplatform/v1/endpoint_service.proto', 'google/cloud/aiplatform/v1/job_service.proto', 'google/longrunning/operations.proto'];
const PKG = 'google.cloud.aiplatform.v1';
const MON = path.join(path.dirname(require.resolve('@google-cloud/monitoring/package.json')), 'build/protos');

/** Methods that change state: the ones a no-op run must not call. */
export const WRITES = new Set<string>(['UploadModel', 'CreateEndpoint', 'DeployModel', 'UndeployModel', 'UpdateEndpoint', 'DeleteEndpoint', 'MutateDeployedModel', ...JOB_WRITES, ...MONITORING_WRITES]);

type Obj = Record<string, any>;

export interface Fault {
  readonly method: string;
  readonly code: grpc.status;
  /** How many calls fail before the method works again. */
  times: number;
  readonly message?: string;
}

interface Operation {
  name: string;
  pollsLeft: number;
  result: () => { response?: { type: string; value: Obj }; error?: { code: number; message: string } };
}

export class FakeVertex {
  readonly calls: Record<string, number> = {};
  /** Every call's method, in order (cleared with the counts). */
  readonly log: string[] = [];
  readonly faults: Fault[] = [];
  /** GetOperation polls before an operation reports done. */
  operationPolls = 0;
  /** The next operation of this method fails with this message. */
  failOperation?: { method: string; message: string; after?: number };
  readonly models = new Map<string, Obj[]>(); // model name → versions
  readonly endpoints = new Map<string, Obj>();
  private readonly operations = new Map<string, Operation>();
  /** Cloud Monitoring points the fake's MetricService serves: one value per minute per deployed model. */
  readonly metrics: { type: string; endpointId: string; deployedModelId: string; at: number; value: number }[] = [];
  /** The fake's clock (deployed models' createTime); tests move it. */
  now: () => number = () => Date.now();
  /** JobService: CustomJobs and HyperparameterTuningJobs, their states driven by the test (./jobs.ts); a succeeded job's metrics file lands in `objects`. */
  readonly jobs = new FakeJobService(() => this.now(), () => this.id(), (uri, text) => this.putObject(uri, text));
  /** JobService's ModelDeploymentMonitoringJobs on these endpoints, and the statistics their runs leave (./monitoring.ts). */
  readonly monitoring = new FakeMonitoringJobs(() => this.now(), () => this.id(), this.endpoints, (method, result) => this.operation(method, result));
  /** Cloud Storage objects by `gs://bucket/name`, served by the JSON API on `storageEndpoint`. */
  readonly objects = new Map<string, string>();
  /** Every Cloud Storage request, as it arrived (the path still encoded). */
  readonly storageRequests: { readonly method: string; readonly url: string; readonly authorization?: string }[] = [];
  /** The next Cloud Storage requests fail with this HTTP status and message (the JSON API's error body). */
  readonly storageFaults: { readonly status: number; readonly message: string; times: number }[] = [];
  /** `http://127.0.0.1:<port>`, once started: the Cloud Storage JSON API's endpoint. */
  storageEndpoint = '';
  private server?: grpc.Server;
  private storage?: http.Server;
  private nextId = 1000;
  private root?: protobuf.Root;

  get writes(): number {
    return Object.entries(this.calls).filter(([m]) => WRITES.has(m)).reduce((n, [, c]) => n + c, 0);
  }

  resetCounts(): void {
    for (const k of Object.keys(this.calls)) delete this.calls[k];
    this.log.length = 0;
  }

  async start(): Promise<number> {
    const def = protoLoader.loadSync(FILES, { includeDirs: [AIP, GAX], keepCase: false, longs: String, enums: String, defaults: false, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as any;
    this.root = new protobuf.Root();
    this.root.resolvePath = (_origin: string, target: string) => (target.startsWith('/') ? target : require('node:fs').existsSync(path.join(AIP, target)) ? path.join(AIP, target) : path.join(GAX, target));
    this.root.loadSync(FILES, { keepCase: false });
    const server = new grpc.Server();
    server.addService(pkg.google.cloud.aiplatform.v1.ModelService.service, this.wrap({
      UploadModel: (r) => this.uploadModel(r),
      GetModel: (r) => this.getModel(r),
      ListModels: (r) => this.listModels(r),
      ListModelVersions: (r) => ({ models: this.models.get(r.name) ?? this.notFound(`Model ${r.name}`) }),
      UpdateModel: (r) => {
        const version = this.getModel({ name: r.model.name });
        // model.proto: every field of ModelContainerSpec is IMMUTABLE, which google/api/field_behavior.proto
        // defines as "may be set once in a request to create a resource, but may not be changed thereafter".
        const immutable = (r.updateMask?.paths ?? []).find((p: string) => /^(container_spec|containerSpec)(\.|$)/.test(p));
        if (immutable) throw { code: grpc.status.INVALID_ARGUMENT, message: foundErrors([{ field: `update_mask.paths`, message: `Field ${immutable} is immutable.` }]) };
        for (const p of r.updateMask?.paths ?? []) version[p] = r.model[p];
        return version;
      },
    }));
    server.addService(pkg.google.cloud.aiplatform.v1.EndpointService.service, this.wrap({
      CreateEndpoint: (r) => this.createEndpoint(r),
      GetEndpoint: (r) => this.endpoints.get(r.name) ?? this.notFound(`Endpoint ${r.name}`),
      ListEndpoints: (r) => ({ endpoints: [...this.endpoints.values()].filter((e) => e.name.startsWith(r.parent) && matches(r.filter, e)) }),
      UpdateEndpoint: (r) => this.updateEndpoint(r),
      DeployModel: (r) => this.deployModel(r),
      UndeployModel: (r) => this.undeployModel(r),
      MutateDeployedModel: (r) => {
        const endpoint = this.endpoints.get(r.endpoint) ?? this.notFound(`Endpoint ${r.endpoint}`);
        const target = endpoint.deployedModels.find((d: Obj) => d.id === r.deployedModel.id) ?? this.notFound(`DeployedModel ${r.deployedModel.id}`);
        return this.operation('MutateDeployedModel', () => {
          for (const p of r.updateMask?.paths ?? []) {
            // Only replica counts and autoscaling may change in place (Vertex's own rule).
            const [, field] = /^dedicated_resources\.(min_replica_count|max_replica_count|autoscaling_metric_specs)$/.exec(p) ?? [];
            if (!field) throw { code: grpc.status.INVALID_ARGUMENT, message: `Field ${p} cannot be mutated.` };
            const key = field.replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase());
            target.dedicatedResources[key] = r.deployedModel.dedicatedResources[key];
          }
          return { type: `${PKG}.MutateDeployedModelResponse`, value: { deployedModel: target } };
        });
      },
      DeleteEndpoint: (r) => this.operation('DeleteEndpoint', () => {
        this.endpoints.delete(r.name);
        return { type: 'google.protobuf.Empty', value: {} };
      }),
    }));
    server.addService(this.jobs.service, this.wrap({ ...this.jobs.handlers(), ...this.monitoring.handlers() }));
    server.addService(pkg.google.longrunning.Operations.service, this.wrap({ GetOperation: (r) => this.getOperation(r.name) }));
    const mon = grpc.loadPackageDefinition(protoLoader.loadSync(['google/monitoring/v3/metric_service.proto'], { includeDirs: [MON, GAX], keepCase: false, longs: String, enums: String, defaults: false, oneofs: true })) as any;
    server.addService(mon.google.monitoring.v3.MetricService.service, this.wrap({ ListTimeSeries: (r) => this.listTimeSeries(r) }));
    this.server = server;
    const storage = http.createServer((req, res) => this.serveStorage(req, res));
    this.storage = storage;
    await new Promise<void>((resolve, reject) => storage.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    this.storageEndpoint = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    return new Promise((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.tryShutdown(() => resolve()) : resolve()));
    const storage = this.storage;
    if (storage) {
      storage.closeAllConnections();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    }
  }

  /** Stores an object at `gs://bucket/name`, as an upload would. */
  putObject(uri: string, text: string): void {
    if (!/^gs:\/\/[^/]+\/.+$/.test(uri)) throw new Error(`${uri} is not a Cloud Storage object URI (gs://bucket/name)`);
    this.objects.set(uri, text);
  }

  /**
   * The Cloud Storage JSON API's objects.get, `GET /storage/v1/b/{bucket}/o/{object}`
   * (https://cloud.google.com/storage/docs/json_api/v1/objects/get): with `alt=media` the object's data,
   * without it the object's metadata. The object name is one path part, URL-encoded ("For information about
   * how to URL encode object names to be path safe, see Encoding URI path parts", same page): a name sent with
   * its `/` unencoded is another path, which the API does not have (404, not a JSON API error).
   * Errors carry the JSON error body of "HTTP status and error codes for JSON"
   * (https://cloud.google.com/storage/docs/json_api/v1/status-codes): `{ error: { errors: [{ domain, reason,
   * message }], code, message } }`; that page's 404 is "if you try to retrieve an object that does not exist".
   * The message is the live one, "No such object: <bucket>/<name>" (quoted in firebase/firebase-tools#3647,
   * which also shows that the live service sends that 404 of an `alt=media` download as text/html with the bare
   * message; the fake answers JSON, as the documentation shows, which a client must read either way).
   */
  private serveStorage(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    this.storageRequests.push({ method: req.method ?? '', url, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const send = (status: number, body: string, type: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const error = (code: number, reason: string, message: string) =>
      send(code, JSON.stringify({ error: { errors: [{ domain: 'global', reason, message }], code, message } }), 'application/json; charset=UTF-8');
    const fault = this.storageFaults.find((f) => f.times > 0);
    if (fault) {
      fault.times -= 1;
      error(fault.status, fault.status === 403 ? 'forbidden' : fault.status === 401 ? 'required' : 'backendError', fault.message);
      return;
    }
    const [rawPath, query = ''] = url.split('?', 2);
    const m = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(rawPath);
    if (!m) {
      send(404, 'Not Found', 'text/html; charset=UTF-8');
      return;
    }
    if (req.method !== 'GET') {
      // The fake serves objects.get only; the JSON API's other object methods (insert, patch, delete) are not faked.
      error(405, 'methodNotAllowed', `The fake Cloud Storage serves GET only, not ${req.method}.`);
      return;
    }
    let bucket: string;
    let name: string;
    try {
      [bucket, name] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    } catch {
      error(400, 'invalid', `Invalid path encoding: ${rawPath}`);
      return;
    }
    const text = this.objects.get(`gs://${bucket}/${name}`);
    if (text === undefined) {
      error(404, 'notFound', `No such object: ${bucket}/${name}`);
      return;
    }
    const params = new URLSearchParams(query);
    if (params.get('alt') === 'media') {
      send(200, text, 'application/octet-stream');
      return;
    }
    // objects resource (https://cloud.google.com/storage/docs/json_api/v1/objects): the fields a reader uses.
    send(200, JSON.stringify({ kind: 'storage#object', id: `${bucket}/${name}/1`, name, bucket, generation: '1', size: String(Buffer.byteLength(text)), contentType: 'application/octet-stream' }), 'application/json; charset=UTF-8');
  }

  /** Counts every call, applies injected faults, and turns thrown {code, message} into gRPC errors. */
  private wrap(handlers: Record<string, (req: Obj) => Obj>): grpc.UntypedServiceImplementation {
    const out: grpc.UntypedServiceImplementation = {};
    for (const [method, fn] of Object.entries(handlers)) {
      out[method] = (call: grpc.ServerUnaryCall<Obj, Obj>, callback: grpc.sendUnaryData<Obj>) => {
        this.calls[method] = (this.calls[method] ?? 0) + 1;
        this.log.push(method);
        const fault = this.faults.find((f) => f.method === method && f.times > 0);
        if (fault) {
          fault.times -= 1;
          callback({ code: fault.code, details: fault.message ?? `injected ${grpc.status[fault.code]}` } as grpc.ServiceError);
          return;
        }
        try {
          callback(null, fn(call.request));
        } catch (e) {
          const err = e as { code?: number; message: string };
          callback({ code: err.code ?? grpc.status.INTERNAL, details: err.message } as grpc.ServiceError);
        }
      };
    }
    return out;
  }

  /** Moves a CustomJob or HyperparameterTuningJob to `state` (see FakeJobService.advanceJob). */
  advanceJob(name: string, state: JobState): Obj {
    return this.jobs.advanceJob(name, state);
  }

  /** Ends a job in JOB_STATE_SUCCEEDED: a tuning job with these trials, a CustomJob's launcher having written these metrics (see FakeJobService.succeedJob). */
  succeedJob(name: string, result: Success = {}): Obj {
    return this.jobs.succeedJob(name, result);
  }

  /** Ends a job in JOB_STATE_FAILED with error { code, message }. */
  failJob(name: string, message: string, code?: number): Obj {
    return this.jobs.failJob(name, message, code);
  }

  private notFound(what: string): never {
    throw { code: grpc.status.NOT_FOUND, message: `${what} is not found.` };
  }

  private id(): string {
    return String(this.nextId++);
  }

  /** Starts a long-running operation whose result is computed when it completes. */
  private operation(method: string, result: () => { type: string; value: Obj }): Obj {
    const name = `projects/fake/locations/fake/operations/${this.id()}`;
    let failure = this.failOperation?.method === method ? this.failOperation : undefined;
    if (failure && (failure.after ?? 0) > 0) {
      failure.after = (failure.after ?? 0) - 1;
      failure = undefined;
    } else if (failure) {
      this.failOperation = undefined;
    }
    this.operations.set(name, {
      name,
      pollsLeft: this.operationPolls,
      result: () => (failure ? { error: { code: grpc.status.FAILED_PRECONDITION, message: failure.message } } : { response: result() }),
    });
    return this.getOperation(name, true);
  }

  private getOperation(name: string, initial = false): Obj {
    const op = this.operations.get(name) ?? this.notFound(`Operation ${name}`);
    if (!initial && op.pollsLeft > 0) op.pollsLeft -= 1;
    if (initial || op.pollsLeft > 0) return { name, done: false };
    const outcome = op.result();
    // Evaluate once: later polls see the same outcome.
    op.result = () => outcome;
    if (outcome.error) return { name, done: true, error: outcome.error };
    const type = this.root!.lookupType(outcome.response!.type);
    return { name, done: true, response: { typeUrl: `type.googleapis.com/${outcome.response!.type}`, value: Buffer.from(type.encode(type.fromObject(outcome.response!.value)).finish()) } };
  }

  /** Records what Vertex would export for a deployed model: counts per minute, or a latency sample (ms). */
  addMetric(type: 'prediction_count' | 'error_count' | 'prediction_latencies', endpointName: string, deployedModelId: string, value: number, at = this.now()): void {
    this.metrics.push({ type: `aiplatform.googleapis.com/prediction/online/${type}`, endpointId: endpointName.split('/').pop()!, deployedModelId, at, value });
  }

  /**
   * The query the reconciler sends: one metric type and endpoint, the window, ALIGN_SUM/REDUCE_SUM
   * (counts) or ALIGN_PERCENTILE_99/REDUCE_MAX (latency; the fake takes the highest sample), grouped by deployed model.
   */
  private listTimeSeries(r: Obj): Obj {
    const type = /metric\.type="([^"]+)"/.exec(r.filter)?.[1];
    const endpointId = /resource\.labels\.endpoint_id="([^"]+)"/.exec(r.filter)?.[1];
    if (!type || !/resource\.type="aiplatform\.googleapis\.com\/Endpoint"/.test(r.filter)) throw { code: grpc.status.INVALID_ARGUMENT, message: `Unsupported filter ${r.filter}` };
    const ms = (t: Obj) => Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
    const [from, to] = [ms(r.interval.startTime), ms(r.interval.endTime)];
    const aligner = r.aggregation?.perSeriesAligner;
    const groups = new Map<string, number[]>();
    for (const m of this.metrics) {
      if (m.type !== type || m.endpointId !== endpointId || m.at < from || m.at > to) continue;
      groups.set(m.deployedModelId, [...(groups.get(m.deployedModelId) ?? []), m.value]);
    }
    const timeSeries = [...groups].map(([id, values]) => ({
      metric: { type, labels: { deployed_model_id: id } },
      resource: { type: 'aiplatform.googleapis.com/Endpoint', labels: { endpoint_id: endpointId } },
      points: [{ interval: r.interval, value: aligner === 'ALIGN_PERCENTILE_99' ? { doubleValue: Math.max(...values) } : { int64Value: String(values.reduce((a, b) => a + b, 0)) } }],
    }));
    return { timeSeries };
  }

  private uploadModel(r: Obj): Obj {
    // Like Vertex, the request is checked before the operation starts: a bad containerSpec is INVALID_ARGUMENT.
    const violations = r.model?.containerSpec ? checkContainerSpec(r.model.containerSpec) : [];
    if (violations.length) throw { code: grpc.status.INVALID_ARGUMENT, message: foundErrors(violations) };
    let name = r.parentModel as string | undefined;
    if (name && !this.models.has(name)) this.notFound(`Model ${name}`);
    name ??= `${r.parent}/models/${this.id()}`;
    return this.operation('UploadModel', () => {
      const versions = this.models.get(name!) ?? [];
      const aliases = new Set<string>(r.model.versionAliases ?? []);
      for (const v of versions) v.versionAliases = (v.versionAliases ?? []).filter((a: string) => !aliases.has(a));
      const versionId = String(versions.length + 1);
      // The whole model is kept, containerSpec (image, command, args, env, ports, routes) included, and
      // GetModel / ListModels / ListModelVersions return it. model.proto marks container_spec INPUT_ONLY,
      // but the live service does return it (e.g. the ListModels response quoted in
      // https://github.com/GoogleCloudPlatform/data-science-on-gcp/issues/154 carries "containerSpec"),
      // and the reconciler reads it back to detect drift.
      versions.push({ ...r.model, name, versionId, versionAliases: ['default', ...(r.model.versionAliases ?? [])].filter((a, i, all) => a !== 'default' || i === all.indexOf(a)) });
      // Only the newest version is `default`.
      versions.forEach((v, i) => (v.versionAliases = v.versionAliases.filter((a: string) => a !== 'default' || i === versions.length - 1)));
      this.models.set(name!, versions);
      return { type: `${PKG}.UploadModelResponse`, value: { model: name, modelVersionId: versionId } };
    });
  }

  private getModel(r: Obj): Obj {
    const [name, ref] = String(r.name).split('@');
    const versions = this.models.get(name) ?? this.notFound(`Model ${r.name}`);
    const found = ref === undefined ? versions.find((v) => v.versionAliases.includes('default')) : versions.find((v) => v.versionId === ref || v.versionAliases.includes(ref));
    return found ?? this.notFound(`Model ${r.name}`);
  }

  private listModels(r: Obj): Obj {
    const models = [...this.models.entries()].filter(([n]) => n.startsWith(r.parent)).map(([n]) => this.getModel({ name: n }));
    return { models: models.filter((m) => matches(r.filter, m)) };
  }

  private createEndpoint(r: Obj): Obj {
    const name = `${r.parent}/endpoints/${this.id()}`;
    return this.operation('CreateEndpoint', () => {
      const endpoint = { ...r.endpoint, name, deployedModels: [], trafficSplit: {} };
      this.endpoints.set(name, endpoint);
      return { type: `${PKG}.Endpoint`, value: endpoint };
    });
  }

  private updateEndpoint(r: Obj): Obj {
    const current = this.endpoints.get(r.endpoint.name) ?? this.notFound(`Endpoint ${r.endpoint.name}`);
    const paths: string[] = r.updateMask?.paths ?? [];
    // "Online inference logging", Request-response logging and Model Monitoring v1: with a monitoring job on the endpoint,
    // request-response logging can be neither enabled nor changed (see ./monitoring.ts; the message is the fake's own).
    if (this.monitoring.locksLogging(current) && paths.some((p) => /^(predict_request_response_logging_config|predictRequestResponseLoggingConfig)(\.|$)/.test(p))) {
      throw { code: grpc.status.FAILED_PRECONDITION, message: `Endpoint ${current.name} has model deployment monitoring job ${current.modelDeploymentMonitoringJob}; its request-response logging config cannot be changed.` };
    }
    for (const p of paths) {
      const key = p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (key === 'trafficSplit') checkSplit(r.endpoint.trafficSplit ?? {}, current.deployedModels);
      current[key] = r.endpoint[key];
    }
    return current;
  }

  private deployModel(r: Obj): Obj {
    const endpoint = this.endpoints.get(r.endpoint) ?? this.notFound(`Endpoint ${r.endpoint}`);
    this.getModel({ name: r.deployedModel.model });
    const id = this.id();
    return this.operation('DeployModel', () => {
      const deployed = { ...r.deployedModel, id, createTime: { seconds: String(Math.floor(this.now() / 1000)) } };
      endpoint.deployedModels.push(deployed);
      if (r.trafficSplit && Object.keys(r.trafficSplit).length > 0) {
        const split: Record<string, number> = Object.fromEntries(Object.entries(r.trafficSplit as Record<string, number>).map(([k, v]) => [k === '0' ? id : k, v]));
        checkSplit(split, endpoint.deployedModels);
        endpoint.trafficSplit = split;
      }
      return { type: `${PKG}.DeployModelResponse`, value: { deployedModel: deployed } };
    });
  }

  private undeployModel(r: Obj): Obj {
    const endpoint = this.endpoints.get(r.endpoint) ?? this.notFound(`Endpoint ${r.endpoint}`);
    if (!endpoint.deployedModels.some((d: Obj) => d.id === r.deployedModelId)) this.notFound(`DeployedModel ${r.deployedModelId}`);
    return this.operation('UndeployModel', () => {
      endpoint.deployedModels = endpoint.deployedModels.filter((d: Obj) => d.id !== r.deployedModelId);
      const split = r.trafficSplit && Object.keys(r.trafficSplit).length ? { ...r.trafficSplit } : { ...endpoint.trafficSplit };
      delete split[r.deployedModelId];
      endpoint.trafficSplit = split;
      return { type: `${PKG}.UndeployModelResponse`, value: {} };
    });
  }
}

/** Vertex's rule: a traffic split names deployed models only and sums to 100 (or is empty with none deployed). */
function checkSplit(split: Record<string, number>, deployed: Obj[]): void {
  const ids = new Set(deployed.map((d) => d.id));
  for (const id of Object.keys(split)) {
    if (!ids.has(id)) throw { code: grpc.status.INVALID_ARGUMENT, message: `Deployed model ${id} in traffic split is not deployed to the endpoint.` };
  }
  const sum = Object.values(split).reduce((a, b) => a + b, 0);
  if (deployed.length > 0 && sum !== 100) throw { code: grpc.status.INVALID_ARGUMENT, message: `The traffic split must add up to 100, got ${sum}.` };
}

interface Violation {
  readonly field: string;
  readonly message: string;
}

/** INVALID_ARGUMENT text modelled on what Vertex returns for request checks (not a published format): `List of found errors:\t1.Field: <path>; Message: <text>\t`. */
function foundErrors(violations: Violation[]): string {
  return `List of found errors:\t${violations.map((v, i) => `${i + 1}.Field: ${v.field}; Message: ${v.message}\t`).join('')}`;
}

// EnvVar.name: "Must be a valid C identifier." A C identifier is a letter or _, then letters, digits and _.
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The rules the published API states for `Model.container_spec` (ModelContainerSpec), each with its
 * source. "model.proto" is google/cloud/aiplatform/v1/model.proto and "env_var.proto" is
 * google/cloud/aiplatform/v1/env_var.proto, as published in googleapis/googleapis and shipped in
 * @google-cloud/aiplatform's build/protos (the protos this fake serves). REQUIRED is AIP-203 /
 * google/api/field_behavior.proto: the field "must be provided ... and failure to do so will cause an
 * error (usually INVALID_ARGUMENT)"; in proto3 an empty string or 0 is the same as not provided.
 *
 * Looked for and not published (so not enforced): a format for predict_route / health_route (the
 * docs only give examples such as `/foo`), a limit on the number of env entries, ports Vertex
 * reserves for itself, env names Vertex refuses (AIP_* are set by Vertex, not documented as refused),
 * duplicate env names, and how many entries `ports` may hold (only the first is used).
 */
export function checkContainerSpec(spec: Obj): Violation[] {
  const out: Violation[] = [];
  const at = 'model.container_spec';
  // model.proto ModelContainerSpec.image_uri: [(google.api.field_behavior) = REQUIRED, IMMUTABLE].
  if (!spec.imageUri) out.push({ field: `${at}.image_uri`, message: 'Required field is not set.' });
  (spec.env ?? []).forEach((e: Obj, i: number) => {
    // env_var.proto EnvVar.name: "Required. Name of the environment variable. Must be a valid C identifier."
    if (!e.name) out.push({ field: `${at}.env[${i}].name`, message: 'Required field is not set.' });
    else if (!C_IDENTIFIER.test(e.name)) out.push({ field: `${at}.env[${i}].name`, message: `Environment variable name "${e.name}" must be a valid C identifier.` });
    // env_var.proto EnvVar.value: "Required. Variables that reference a $(VAR_NAME) are expanded ...".
    if (e.value === undefined || e.value === '') out.push({ field: `${at}.env[${i}].value`, message: 'Required field is not set.' });
  });
  // model.proto Port.container_port: "Must be a valid port number, between 1 and 65535 inclusive."
  // (ports: Vertex sends predictions and health checks to the first; grpc_ports likewise for gRPC.)
  for (const list of ['ports', 'grpcPorts'] as const) {
    (spec[list] ?? []).forEach((p: Obj, i: number) => {
      const port = p.containerPort ?? 0;
      if (!validPort(port)) out.push({ field: `${at}.${list === 'ports' ? 'ports' : 'grpc_ports'}[${i}].container_port`, message: `Port ${port} is invalid: must be a valid port number, between 1 and 65535 inclusive.` });
    });
  }
  // model.proto ModelContainerSpec.invoke_route_prefix: '"/*" is the only supported value right now.'
  // and 'Only one of `predict_route` or `invoke_route_prefix` can be set'.
  if (spec.invokeRoutePrefix !== undefined && spec.invokeRoutePrefix !== '') {
    if (spec.invokeRoutePrefix !== '/*') out.push({ field: `${at}.invoke_route_prefix`, message: `Invoke route prefix "${spec.invokeRoutePrefix}" is not supported; "/*" is the only supported value.` });
    if (spec.predictRoute) out.push({ field: `${at}.predict_route`, message: 'Only one of predict_route or invoke_route_prefix can be set.' });
  }
  // model.proto ModelContainerSpec.deployment_timeout: "Limit for deployment timeout is 2 hours."
  const timeout = spec.deploymentTimeout ? Number(spec.deploymentTimeout.seconds ?? 0) + Number(spec.deploymentTimeout.nanos ?? 0) / 1e9 : 0;
  if (timeout > 2 * 3600) out.push({ field: `${at}.deployment_timeout`, message: `Deployment timeout ${timeout}s exceeds the limit of 2 hours.` });
  // model.proto Probe.HttpGetAction.port / GrpcAction.port / TcpSocketAction.port: "Number must be in the
  // range 1 to 65535." (checked when set: the proto says nothing of an unset probe port).
  for (const probe of ['startupProbe', 'healthProbe', 'livenessProbe'] as const) {
    for (const action of ['httpGet', 'grpc', 'tcpSocket'] as const) {
      const port = spec[probe]?.[action]?.port;
      if (port !== undefined && port !== 0 && !validPort(port)) {
        const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        out.push({ field: `${at}.${snake(probe)}.${snake(action)}.port`, message: `Port ${port} is invalid: must be in the range 1 to 65535.` });
      }
    }
  }
  return out;
}

function validPort(port: unknown): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** The filters the reconciler sends: `display_name="x"`. */
function matches(filter: string | undefined, resource: Obj): boolean {
  if (!filter) return true;
  const m = /^display_name="(.*)"$/.exec(filter);
  return m ? resource.displayName === m[1] : true;
}
