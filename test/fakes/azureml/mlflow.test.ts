import * as https from 'node:https';
import { armRequest } from '../../../lib/providers/azureml/clients';
import { fakeClients, WS } from '../../providers/azureml/helpers';
import { FakeArm } from './arm';

/**
 * The workspace's MLflow tracking on the fake ARM: the workspace's mlFlowTrackingUri, and the MLflow REST API
 * below it as the MLflow reference defines it (requests, answers, errors with their codes and statuses). Every
 * refusal is shown firing with its message.
 */
const ENV = `${WS}/environments/trainer/versions/3`;
const API = `/mlflow/v1.0${WS}/api/2.0/mlflow`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One raw HTTPS request to the fake with its bearer token (unless `auth` is false); JSON bodies as MLflow's clients send them. */
function request(fake: FakeArm, method: string, path: string, body?: unknown, options: { contentType?: string | null; auth?: boolean; raw?: string } = {}): Promise<Reply> {
  const data = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const contentType = options.contentType === undefined ? (data === undefined ? undefined : 'application/json') : (options.contentType ?? undefined);
  const headers: Record<string, string | number> = { ...(options.auth === false ? {} : { authorization: 'Bearer fake-token' }), ...(contentType ? { 'content-type': contentType } : {}), ...(data ? { 'content-length': Buffer.byteLength(data) } : {}) };
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(`${fake.url}${path}`), { method, ca: fake.ca, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const command = (overrides: Record<string, unknown> = {}) => ({
  properties: { jobType: 'Command', experimentName: 'fraud', command: 'python train.py', environmentId: ENV, resources: { instanceType: 'Standard_NC6s_v3', instanceCount: 1 }, ...overrides },
});
const sweep = () => ({
  properties: {
    jobType: 'Sweep',
    experimentName: 'fraud',
    samplingAlgorithm: { samplingAlgorithmType: 'Random' },
    searchSpace: { lr: ['uniform', [0.001, 0.1]] },
    objective: { primaryMetric: 'val_auc', goal: 'Maximize' },
    limits: { jobLimitsType: 'Sweep', maxTotalTrials: 4, maxConcurrentTrials: 2 },
    trial: { command: 'python train.py --lr ${{search_space.lr}}', environmentId: ENV },
  },
});

describe('the fake ARM serves the workspace’s MLflow tracking as the MLflow REST reference defines it', () => {
  let fake: FakeArm;
  const put = (name: string, body: unknown) => request(fake, 'PUT', `${WS}/jobs/${name}?api-version=2024-04-01`, body);
  const error = (r: Reply) => [r.status, r.body.error_code, r.body.message];

  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('gives the workspace its mlFlowTrackingUri, azureml:// as Azure writes it, pointing at this fake', async () => {
    const clients = fakeClients(fake);
    const ws = (await armRequest(clients, 'GET', WS)).body!;
    expect(ws).toEqual(expect.objectContaining({ id: WS, name: 'acme-staging', type: 'Microsoft.MachineLearningServices/workspaces' }));
    expect(ws.properties.mlFlowTrackingUri).toBe(`azureml://${fake.url.slice('https://'.length)}/mlflow/v1.0${WS}`);
    fake.mlflowTrackingUri = null;
    expect((await armRequest(clients, 'GET', WS)).body!.properties.mlFlowTrackingUri).toBeUndefined();
    await expect(armRequest(clients, 'GET', WS, undefined, '2023-04-01')).rejects.toThrow("InvalidApiVersionParameter: The api-version '2023-04-01' is not supported.");
    clients.close();
  });

  it('tracks each job as an MLflow run named after it, in its experiment, its status following the job', async () => {
    await put('train-1', command({ displayName: 'nightly' }));
    const experiment = await request(fake, 'GET', `${API}/experiments/get-by-name?experiment_name=fraud`);
    expect(experiment.status).toBe(200);
    expect(experiment.body.experiment).toEqual(expect.objectContaining({ name: 'fraud', lifecycle_stage: 'active', experiment_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) }));
    const statuses: string[] = [];
    const run = async () => (await request(fake, 'GET', `${API}/runs/get?run_id=train-1`)).body.run;
    statuses.push((await run()).info.status);
    expect((await run()).info).toEqual(expect.objectContaining({ run_id: 'train-1', run_name: 'nightly', experiment_id: experiment.body.experiment.experiment_id, lifecycle_stage: 'active' }));
    // No metrics logged yet: MLflow's JSON leaves the empty list out.
    expect((await run()).data).toEqual({ tags: [{ key: 'mlflow.runName', value: 'nightly' }] });
    expect((await run()).info.end_time).toBeUndefined();
    fake.completeJob('train-1', { metrics: { val_auc: 0.9 } });
    statuses.push((await run()).info.status);
    expect((await run()).info.end_time).toEqual(expect.any(Number));
    await put('train-2', command());
    fake.failJob('train-2', 'boom');
    statuses.push((await request(fake, 'GET', `${API}/runs/get?run_uuid=train-2`)).body.run.info.status);
    await put('train-3', command());
    fake.setJobStatus('train-3', 'Canceled');
    statuses.push((await request(fake, 'GET', `${API}/runs/get?run_id=train-3`)).body.run.info.status);
    expect(statuses).toEqual(['RUNNING', 'FINISHED', 'FAILED', 'KILLED']);
    expect((await run()).data.metrics).toEqual([{ key: 'val_auc', value: 0.9, timestamp: expect.any(Number), step: 0 }]);
  });

  it('logs metrics as the launcher sends them; runs/get gives each key once: the latest timestamp, the largest value at a tie', async () => {
    await put('train-1', command());
    const log = (key: string, value: number, timestamp: number) => request(fake, 'POST', `${API}/runs/log-metric`, { run_id: 'train-1', key, value, timestamp, step: 0 });
    expect((await log('loss', 0.5, 1000)).body).toEqual({});
    await log('loss', 0.3, 3000);
    await log('loss', 0.9, 2000);
    await log('auc', 0.7, 5000);
    await log('auc', 0.8, 5000);
    const metrics = (await request(fake, 'GET', `${API}/runs/get?run_id=train-1`)).body.run.data.metrics;
    expect(metrics.map((m: { key: string; value: number }) => [m.key, m.value])).toEqual([
      ['loss', 0.3],
      ['auc', 0.8],
    ]);
  });

  it('refuses what the MLflow server refuses: missing parameters, a POST without JSON, unknown runs and experiments', async () => {
    await put('train-1', command());
    expect(error(await request(fake, 'GET', `${API}/runs/get`))).toEqual([400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters."]);
    expect(error(await request(fake, 'GET', `${API}/runs/get?run_id=nope`))).toEqual([404, 'RESOURCE_DOES_NOT_EXIST', 'Run with id=nope not found']);
    expect(error(await request(fake, 'GET', `${API}/experiments/get-by-name`))).toEqual([400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_name'. See the API docs for more information about request parameters."]);
    expect(error(await request(fake, 'GET', `${API}/experiments/get-by-name?experiment_name=nope`))).toEqual([404, 'RESOURCE_DOES_NOT_EXIST', "Could not find experiment with name 'nope'"]);
    const metric = { run_id: 'train-1', key: 'loss', value: 0.1, timestamp: 1 };
    for (const field of ['run_id', 'key', 'value', 'timestamp'] as const) {
      const { [field]: _, ...rest } = metric;
      expect(error(await request(fake, 'POST', `${API}/runs/log-metric`, rest))).toEqual([400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`]);
    }
    for (const [field, value] of [['key', 5], ['value', 'high'], ['timestamp', 'today']] as const) {
      expect(error(await request(fake, 'POST', `${API}/runs/log-metric`, { ...metric, [field]: value }))).toEqual([
        400,
        'INVALID_PARAMETER_VALUE',
        `Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied. See the API docs for more information about request parameters.`,
      ]);
    }
    expect(error(await request(fake, 'POST', `${API}/runs/log-metric`, { ...metric, run_id: 'nope' }))).toEqual([404, 'RESOURCE_DOES_NOT_EXIST', 'Run with id=nope not found']);
    expect(error(await request(fake, 'POST', `${API}/runs/log-metric`, metric, { contentType: null }))).toEqual([400, 'INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.']);
    expect(error(await request(fake, 'POST', `${API}/runs/log-metric`, metric, { contentType: 'text/plain' }))).toEqual([400, 'INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json']."]);
    expect(error(await request(fake, 'POST', `${API}/runs/log-metric`, undefined, { raw: '{"run_id": ' }))).toEqual([400, 'INVALID_PARAMETER_VALUE', 'The request body is not JSON.']);
    expect(error(await request(fake, 'GET', `${API}/runs/search`))).toEqual([404, 'ENDPOINT_NOT_FOUND', 'The fake MLflow API has no route GET /api/2.0/mlflow/runs/search']);
    expect(error(await request(fake, 'GET', `${API}/runs/get?run_id=train-1`, undefined, { auth: false }))).toEqual([401, 'UNAUTHENTICATED', 'Authentication failed: no valid bearer token.']);
  });

  it('searches a sweep’s trials by their parent run and orders them by a metric, runs without it last; pages with a token', async () => {
    await put('tune-1', sweep());
    await put('train-9', command());
    const trials = fake.setTrials('tune-1', [{ metrics: { val_auc: 0.91 } }, { metrics: { val_auc: 0.95 } }, {}, { metrics: { val_auc: 0.93, loss: 0.2 } }]);
    expect(trials).toEqual(['tune-1_0', 'tune-1_1', 'tune-1_2', 'tune-1_3']);
    const id = (await request(fake, 'GET', `${API}/experiments/get-by-name?experiment_name=fraud`)).body.experiment.experiment_id;
    const search = async (body: Record<string, unknown>) => {
      const r = await request(fake, 'POST', `${API}/runs/search`, { experiment_ids: [id], ...body });
      expect(r.status).toBe(200);
      return r.body;
    };
    const names = async (body: Record<string, unknown>) => ((await search(body)).runs ?? []).map((r: any) => r.info.run_id);
    const children = "tags.mlflow.parentRunId = 'tune-1'";
    expect(await names({ filter: children, order_by: ['metrics.val_auc DESC'] })).toEqual(['tune-1_1', 'tune-1_3', 'tune-1_0', 'tune-1_2']);
    expect(await names({ filter: children, order_by: ['metrics.val_auc ASC'] })).toEqual(['tune-1_0', 'tune-1_3', 'tune-1_1', 'tune-1_2']);
    expect(await names({ filter: "tags.`mlflow.parentRunId` = \"tune-1\" and metrics.val_auc >= 0.93", order_by: ['metrics.`val_auc` desc'] })).toEqual(['tune-1_1', 'tune-1_3']);
    expect(await names({ filter: `${children} AND attributes.run_id != 'tune-1_1'`, order_by: ['metrics.val_auc DESC'], max_results: 1 })).toEqual(['tune-1_3']);
    const trial = (await search({ filter: children, order_by: ['metrics.val_auc DESC'], max_results: 1 })).runs[0];
    expect(trial.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.parentRunId', value: 'tune-1' }]));
    expect(trial.data.metrics).toEqual([{ key: 'val_auc', value: 0.95, timestamp: expect.any(Number), step: 0 }]);
    // Pages: max_results at a time, next_page_token to go on; none when nothing is left.
    const first = await search({ filter: children, order_by: ['metrics.val_auc DESC'], max_results: 3 });
    expect(first.runs).toHaveLength(3);
    const second = await search({ filter: children, order_by: ['metrics.val_auc DESC'], max_results: 3, page_token: first.next_page_token });
    expect([second.runs.map((r: any) => r.info.run_id), second.next_page_token]).toEqual([['tune-1_2'], undefined]);
    // Nothing found: MLflow's JSON is empty; other experiments are not searched.
    expect(await search({ filter: "tags.mlflow.parentRunId = 'tune-9'" })).toEqual({});
    expect(await request(fake, 'POST', `${API}/runs/search`, { experiment_ids: ['other'] })).toEqual(expect.objectContaining({ status: 200, body: {} }));
    expect(await names({ filter: 'metrics.loss < 0.5' })).toEqual(['tune-1_3']);
  });

  it('refuses searches MLflow’s search grammar refuses, in its words', async () => {
    const refused = async (body: Record<string, unknown>) => {
      const r = await request(fake, 'POST', `${API}/runs/search`, { experiment_ids: ['1'], ...body });
      expect([r.status, r.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      return r.body.message;
    };
    expect(await refused({ filter: "tag.a = 'x' OR tag.b = 'y'" })).toBe("Invalid clause(s) in filter string: 'OR tag.b = 'y''");
    expect(await refused({ filter: "tags.a = 'x' AND" })).toBe("Invalid clause(s) in filter string: 'AND'");
    expect(await refused({ filter: "(tags.a = 'x')" })).toBe("Invalid clause(s) in filter string: '(tags.a = 'x')'");
    expect(await refused({ filter: "parentRunId = 'x'" })).toBe("Invalid clause(s) in filter string: 'parentRunId = 'x''");
    expect(await refused({ filter: "label.a = 'x'" })).toBe("Invalid entity type 'label'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']");
    expect(await refused({ filter: "metrics.auc > 'high'" })).toBe("Expected numeric value type for metric. Found 'high'");
    expect(await refused({ filter: 'tags.mlflow.parentRunId = 5' })).toBe("Expected a quoted string value for tag (e.g. 'my-value'). Got value 5");
    expect(await refused({ filter: "tags.a > 'x'" })).toBe("Invalid comparator '>' not one of '['=', '!=', 'LIKE', 'ILIKE']'");
    expect(await refused({ filter: "attributes.colour = 'x'" })).toBe("Invalid attribute key 'colour' specified. Valid keys are '['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage', 'start_time', 'end_time']'");
    expect(await refused({ filter: "attributes.start_time > 'x'" })).toBe("Expected numeric value type for numeric attribute: start_time. Found 'x'");
    expect(await refused({ filter: 'attributes.status = 5' })).toBe("Expected a quoted string value for attributes (e.g. 'my-value'). Got value 5");
    expect(await refused({ order_by: ['metrics.auc DESC LIMIT'] })).toBe("Invalid order_by clause 'metrics.auc DESC LIMIT'. Could not be parsed.");
    expect(await refused({ order_by: ['metrics.auc DOWN'] })).toBe("Invalid ordering key in order_by clause 'metrics.auc DOWN'.");
    expect(await refused({ page_token: 'not-a-token' })).toBe('Invalid page token, could not base64-decode');
    for (const [field, value] of [['experiment_ids', '1'], ['order_by', 'metrics.auc'], ['max_results', 'all']] as const) {
      expect(await refused({ [field]: value })).toBe(`Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied. See the API docs for more information about request parameters.`);
    }
  });

  it('lists model versions by tag (ModelVersions_List `tags`: names, or name=value)', async () => {
    const clients = fakeClients(fake);
    await clients.ml.modelContainers.createOrUpdate('ml-staging', 'acme-staging', 'm', { properties: {} });
    for (const [label, tags] of [['1', { 'mlspec:run': 'r1' }], ['2', { 'mlspec:run': 'r2', team: 'risk' }], ['3', {}]] as const) {
      await clients.ml.modelVersions.createOrUpdate('ml-staging', 'acme-staging', 'm', label, { properties: { modelUri: `azureml://datastores/d/paths/m/${label}/`, tags: { ...tags } } });
    }
    const names = async (tags?: string) => {
      const out: string[] = [];
      for await (const v of clients.ml.modelVersions.list('ml-staging', 'acme-staging', 'm', tags ? { tags } : {})) out.push(v.name!);
      return out;
    };
    expect(await names()).toEqual(['1', '2', '3']);
    expect(await names('mlspec:run=r2')).toEqual(['2']);
    expect(await names('mlspec:run')).toEqual(['1', '2']);
    expect(await names('mlspec:run=r1,team')).toEqual([]);
    clients.close();
  });

  it('answers a failed operation’s Location with the operation’s error, as ARM does', async () => {
    await put('train-1', command());
    fake.operationPolls = 0;
    fake.failOperation = { path: /\/jobs\/train-1\/cancel$/, message: 'cancel failed' };
    const cancel = await request(fake, 'POST', `${WS}/jobs/train-1/cancel?api-version=2024-04-01`);
    expect(cancel.status).toBe(202);
    const done = await request(fake, 'GET', String(cancel.headers.location).slice(fake.url.length));
    expect([done.status, done.body.error]).toEqual([400, { code: 'UserError', message: 'cancel failed' }]);
  });
});
