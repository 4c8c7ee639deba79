import * as https from 'node:https';
import { FakeArm } from './arm';

/**
 * Training jobs on the fake ARM (Azure ML issue 11), over raw HTTPS as mlspec sends them: command and sweep
 * jobs at 2024-04-01 against the published JobBaseResource and the documented rules, status transitions,
 * cancel, list, a sweep's trials and best trial. Every refusal is shown firing with its message.
 */
const WS = '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/ml-staging/providers/Microsoft.MachineLearningServices/workspaces/acme-staging';
const ENV = `${WS}/environments/trainer/versions/3`;
const DATA = 'azureml://datastores/workspaceblobstore/paths/fraud/train/';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One raw HTTPS request to the fake, with its bearer token; `path` may be a full URL (a Location to poll). */
function request(fake: FakeArm, method: string, path: string, body?: unknown, apiVersion: string | null = '2024-04-01'): Promise<Reply> {
  const url = new URL(path.startsWith('https://') ? path : `${fake.url}${path}`);
  if (apiVersion && !url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: fake.ca, headers: { authorization: 'Bearer fake-token', 'content-type': 'application/json', ...(data ? { 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A serverless PyTorch command job on spot, with a uri_folder input and output. */
function commandJob(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    properties: {
      jobType: 'Command',
      displayName: 'fraud-detector train',
      experimentName: 'fraud-detector',
      command: 'python train.py --data ${{inputs.train}} --out ${{outputs.model}}',
      environmentId: ENV,
      resources: { instanceType: 'Standard_NC24ads_A100_v4', instanceCount: 2 },
      distribution: { distributionType: 'PyTorch', processCountPerInstance: 1 },
      queueSettings: { jobTier: 'Spot' },
      inputs: { train: { jobInputType: 'uri_folder', uri: DATA } },
      outputs: { model: { jobOutputType: 'uri_folder' } },
      limits: { jobLimitsType: 'Command', timeout: 'PT2H' },
      tags: { 'managed-by': 'mlspec' },
      ...overrides,
    },
  };
}

/** A serverless sweep over a natural-log learning rate and a batch size. */
function sweepJob(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    properties: {
      jobType: 'Sweep',
      experimentName: 'fraud-detector',
      samplingAlgorithm: { samplingAlgorithmType: 'Random', seed: 7 },
      // learning rate 1e-5 .. 1e-2: loguniform bounds are ln(1e-5), ln(1e-2).
      searchSpace: { lr: ['loguniform', [Math.log(1e-5), Math.log(1e-2)]], batch: ['choice', [[32, 64, 128]]] },
      objective: { primaryMetric: 'val_auc', goal: 'Maximize' },
      limits: { jobLimitsType: 'Sweep', maxTotalTrials: 8, maxConcurrentTrials: 2, trialTimeout: 'PT1H' },
      earlyTermination: { policyType: 'Bandit', slackFactor: 0.1, evaluationInterval: 1, delayEvaluation: 5 },
      trial: {
        command: 'python train.py --lr ${{search_space.lr}} --batch ${{search_space.batch}} --data ${{inputs.train}}',
        environmentId: ENV,
        distribution: { distributionType: 'PyTorch', processCountPerInstance: 1 },
        resources: { instanceType: 'Standard_NC6s_v3', instanceCount: 1 },
      },
      inputs: { train: { jobInputType: 'uri_folder', uri: DATA } },
      outputs: { model: { jobOutputType: 'uri_folder' } },
      queueSettings: { jobTier: 'Spot' },
      ...overrides,
    },
  };
}

describe('the fake ARM runs Azure ML training jobs to the published contract', () => {
  let fake: FakeArm;
  beforeEach(async () => {
    fake = new FakeArm();
    fake.operationPolls = 1;
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('creates a serverless PyTorch command job on spot: 201, NotStarted, the Studio service and the specification’s defaults', async () => {
    const put = await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob());
    expect(put.status).toBe(201);
    // Jobs_CreateOrUpdate is not long-running: no operation to poll.
    expect(put.headers['azure-asyncoperation']).toBeUndefined();
    const p = put.body.properties;
    expect(put.body).toEqual(expect.objectContaining({ id: `${WS}/jobs/train-1`, name: 'train-1', type: 'Microsoft.MachineLearningServices/workspaces/jobs' }));
    expect(p.status).toBe('NotStarted');
    expect(p.computeId).toBeUndefined();
    expect(p.resources).toEqual({ instanceType: 'Standard_NC24ads_A100_v4', instanceCount: 2, shmSize: '2g' });
    expect(p.distribution).toEqual({ distributionType: 'PyTorch', processCountPerInstance: 1 });
    expect(p.queueSettings).toEqual({ jobTier: 'Spot' });
    expect(p.inputs.train).toEqual({ jobInputType: 'uri_folder', uri: DATA, mode: 'ReadOnlyMount' });
    expect(p.outputs.model).toEqual({ jobOutputType: 'uri_folder', mode: 'ReadWriteMount' });
    expect(p.services.Studio).toEqual({ jobServiceType: 'Studio', endpoint: `https://ml.azure.com/runs/train-1?wsid=${WS}` });
    expect((await request(fake, 'GET', `${WS}/jobs/train-1`)).body).toEqual(put.body);
    // Without experimentName the job is in "Default" (JobBase.experimentName default).
    expect((await request(fake, 'PUT', `${WS}/jobs/train-2`, commandJob({ experimentName: undefined }))).body.properties.experimentName).toBe('Default');
  });

  it('creates a sweep job: 201 with status; loguniform bounds are read as natural logs', async () => {
    const put = await request(fake, 'PUT', `${WS}/jobs/tune-1`, sweepJob());
    expect(put.status).toBe(201);
    expect(put.body.properties).toEqual(expect.objectContaining({ jobType: 'Sweep', status: 'NotStarted', objective: { primaryMetric: 'val_auc', goal: 'Maximize' } }));
    expect(put.body.properties.trial.resources).toEqual({ instanceType: 'Standard_NC6s_v3', instanceCount: 1, shmSize: '2g' });
    const lr = fake.sweepSearchRange('tune-1', 'lr');
    expect(lr.type).toBe('loguniform');
    expect(lr.low).toBeCloseTo(1e-5, 12);
    expect(lr.high).toBeCloseTo(1e-2, 12);
    expect(fake.sweepSearchRange('tune-1', 'batch')).toEqual({ type: 'choice', values: [32, 64, 128] });
  });

  it('refuses bodies the published JobBaseResource refuses, naming the path and api-version', async () => {
    const refused = async (body: unknown) => {
      const r = await request(fake, 'PUT', `${WS}/jobs/bad`, body);
      expect(r.status).toBe(400);
      return `${r.body.error.code}: ${r.body.error.message}`;
    };
    expect(await refused({ properties: { jobType: 'Command', status: 'Running' } })).toBe('BadRequest: properties.status is read-only; properties.command is required; properties.environmentId is required (api-version 2024-04-01)');
    expect(await refused(commandJob({ compute: 'azureml:gpu-cluster', queueSettings: { jobTier: 'LowPriority' }, distribution: { distributionType: 'Horovod' } }))).toBe(
      "BadRequest: properties.distribution.distributionType 'Horovod' is not a kind of DistributionConfiguration; properties.queueSettings.jobTier must be one of Null, Spot, Basic, Standard, Premium; properties.compute is not a property of CommandJob (api-version 2024-04-01)",
    );
    expect(await refused(commandJob({ inputs: { train: { jobInputType: 'uri_folder', path: DATA } }, resources: { instanceCount: 1.5 } }))).toBe(
      'BadRequest: properties.resources.instanceCount must be an integer; properties.inputs.train.path is not a property of UriFolderJobInput; properties.inputs.train.uri is required (api-version 2024-04-01)',
    );
    // Durations are ISO 8601 (format: duration), not seconds.
    expect(await refused(commandJob({ limits: { jobLimitsType: 'Command', timeout: 7200 } }))).toBe('BadRequest: properties.limits.timeout must be a string (api-version 2024-04-01)');
    expect(await refused(commandJob({ limits: { jobLimitsType: 'Command', timeout: '2h' } }))).toBe('BadRequest: properties.limits.timeout must be an ISO 8601 duration (format: duration), for example PT1H30M (api-version 2024-04-01)');
    expect(await refused(sweepJob({ objective: { primaryMetric: 'val_auc', goal: 'maximize' }, trial: { command: 'python train.py' } }))).toBe(
      'BadRequest: properties.objective.goal must be one of Minimize, Maximize; properties.trial.environmentId is required (api-version 2024-04-01)',
    );
    // A kind the specification defines but the fake did not copy is named as such.
    expect(await refused({ properties: { jobType: 'Pipeline' } })).toBe(
      "BadRequest: properties.jobType 'Pipeline': that kind of JobBase is not among the fake's copied definitions of api-version 2024-04-01 (test/fakes/azureml/spec) (api-version 2024-04-01)",
    );
    // The SDK's 2022-10-01 has no queueSettings at all.
    const old = await request(fake, 'PUT', `${WS}/jobs/bad`, commandJob({ inputs: undefined, outputs: undefined }), '2022-10-01');
    expect(old.body.error.message).toBe('properties.queueSettings is not a property of CommandJob (api-version 2022-10-01)');
    // A version without copied job definitions is refused rather than guessed.
    const newer = await request(fake, 'PUT', `${WS}/jobs/bad`, commandJob(), '2024-10-01');
    expect([newer.status, newer.body.error.code]).toEqual([400, 'InvalidApiVersionParameter']);
    const name = await request(fake, 'PUT', `${WS}/jobs/-train`, commandJob());
    expect(name.body.error.message).toBe("The job name '-train' must match ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$: a letter or digit, then up to 254 letters, digits, '-' or '_'.");
    expect(fake.jobs.size).toBe(0);
  });

  it('refuses sweeps that break the documented rules: trial limits, search space shape, sampling and early termination', async () => {
    const refused = async (overrides: Record<string, unknown>) => {
      const r = await request(fake, 'PUT', `${WS}/jobs/tune-bad`, sweepJob(overrides));
      expect([r.status, r.body.error.code]).toEqual([400, 'UserError']);
      return r.body.error.message;
    };
    expect(await refused({ limits: { jobLimitsType: 'Sweep', maxTotalTrials: 0, maxConcurrentTrials: 1001 } })).toBe(
      'properties.limits.maxTotalTrials must be an integer between 1 and 1000 (it is 0); properties.limits.maxConcurrentTrials must be an integer between 1 and 1000 (it is 1001)',
    );
    // The YAML shape is not what the service receives.
    expect(await refused({ searchSpace: { lr: { type: 'loguniform', min_value: -11.5, max_value: -4.6 } } })).toBe(
      'properties.searchSpace.lr must be [type, [arguments]] with type one of choice, randint, uniform, loguniform, quniform, qloguniform, normal, lognormal, qnormal, qlognormal (as azure-ai-ml sends it, for example ["uniform", [0.01, 0.9]])',
    );
    expect(await refused({ searchSpace: { lr: ['loguniform', [0.01, 0.00001]], layers: ['quniform', [1, 8, 0.5]], batch: ['choice', [32, 64]] } })).toBe(
      "properties.searchSpace.lr: loguniform's min_value 0.01 exceeds its max_value 0.00001 (loguniform bounds are natural logarithms: the range is exp(min_value) to exp(max_value)); properties.searchSpace.layers: quniform's q must be an integer; properties.searchSpace.batch: choice takes [values]",
    );
    expect(await refused({ samplingAlgorithm: { samplingAlgorithmType: 'Grid' } })).toBe('properties.searchSpace.lr: Grid sampling supports only choice (not loguniform)');
    expect(await refused({ samplingAlgorithm: { samplingAlgorithmType: 'Bayesian' }, earlyTermination: undefined })).toBe('properties.searchSpace.lr: Bayesian sampling supports only choice, uniform, quniform (not loguniform)');
    expect(await refused({ earlyTermination: { policyType: 'TruncationSelection', evaluationInterval: 1 } })).toBe('properties.earlyTermination.truncationPercentage must be an integer between 1 and 99 (it is missing)');
    expect(await refused({ earlyTermination: { policyType: 'TruncationSelection', truncationPercentage: 100 } })).toBe('properties.earlyTermination.truncationPercentage must be an integer between 1 and 99 (it is 100)');
    expect(await refused({ earlyTermination: { policyType: 'Bandit', evaluationInterval: 2 } })).toBe('properties.earlyTermination: a Bandit policy needs slackFactor or slackAmount');
    // Within the rules: Bayesian over choice and uniform, truncation at 20%.
    const ok = await request(fake, 'PUT', `${WS}/jobs/tune-ok`, sweepJob({ samplingAlgorithm: { samplingAlgorithmType: 'Bayesian' }, searchSpace: { lr: ['uniform', [0.001, 0.1]], batch: ['choice', [[32, 64]]] }, earlyTermination: { policyType: 'TruncationSelection', truncationPercentage: 20 } }));
    expect(ok.status).toBe(201);
  });

  it('lets a second PUT change only description, tags, displayName, properties and isArchived, as the service does', async () => {
    await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob());
    fake.setJobStatus('train-1', 'Running');
    const same = await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob());
    expect([same.status, same.body.properties.status]).toEqual([200, 'Running']);
    const retagged = await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob({ tags: { release: 'r7' }, description: 'nightly', displayName: 'r7' }));
    expect(retagged.status).toBe(200);
    // "the Tags in the definition passed in will replace Tags in the existing job"
    expect(retagged.body.properties).toEqual(expect.objectContaining({ tags: { release: 'r7' }, description: 'nightly', displayName: 'r7', status: 'Running' }));
    const changed = await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob({ command: 'python train.py --epochs 3', resources: { instanceType: 'Standard_NC6s_v3', instanceCount: 2 } }));
    expect([changed.status, changed.body.error.code, changed.body.error.innerError]).toEqual([400, 'UserError', { code: 'Immutable', innerError: { code: 'JobPropertyImmutable' } }]);
    expect(changed.body.error.message).toBe(
      "A job with this name already exists. If you are trying to create a new job, use a different name. If you are trying to update an existing job, the existing job's command, resources cannot be changed. Only description, tags, displayName, properties, and isArchived can be updated.",
    );
    expect((await request(fake, 'GET', `${WS}/jobs/train-1`)).body.properties.command).toBe(commandJob().properties.command);
  });

  it('moves jobs through their statuses: set by the test, completed with outputs and metrics, failed, or one step per GET', async () => {
    await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob());
    fake.setJobStatus('train-1', 'Queued');
    expect((await request(fake, 'GET', `${WS}/jobs/train-1`)).body.properties.status).toBe('Queued');
    fake.completeJob('train-1', { outputs: { model: 'azureml://datastores/workspaceblobstore/paths/azureml/train-1/model/' }, metrics: { val_auc: 0.93 } });
    const done = (await request(fake, 'GET', `${WS}/jobs/train-1`)).body.properties;
    expect([done.status, done.outputs.model.uri]).toEqual(['Completed', 'azureml://datastores/workspaceblobstore/paths/azureml/train-1/model/']);
    expect(fake.jobMetrics.get('train-1')).toEqual({ val_auc: 0.93 });
    expect(() => fake.completeJob('train-1', { outputs: { weights: 'x' } })).toThrow('Job train-1 has no output weights (it has model)');
    expect(() => fake.setJobStatus('train-1', 'Done' as never)).toThrow('Done is not a JobStatus');

    await request(fake, 'PUT', `${WS}/jobs/train-2`, commandJob());
    fake.failJob('train-2', 'CUDA out of memory');
    expect((await request(fake, 'GET', `${WS}/jobs/train-2`)).body.properties.status).toBe('Failed');
    expect(fake.jobErrors.get('train-2')).toBe('CUDA out of memory');

    fake.autoAdvanceJobs = true;
    await request(fake, 'PUT', `${WS}/jobs/train-3`, commandJob());
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) seen.push((await request(fake, 'GET', `${WS}/jobs/train-3`)).body.properties.status);
    expect(seen).toEqual(['Starting', 'Preparing', 'Queued', 'Running', 'Finalizing', 'Completed', 'Completed', 'Completed']);
  });

  it('cancels with 202 and a Location to poll: CancelRequested, then Canceled; a finished or finalizing job is refused', async () => {
    await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob());
    fake.setJobStatus('train-1', 'Running');
    const cancel = await request(fake, 'POST', `${WS}/jobs/train-1/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.headers.location).toMatch(/\/mfeOperationResults\/op-\d+\?api-version=/);
    expect(cancel.headers['azure-asyncoperation']).toBeUndefined();
    expect((await request(fake, 'GET', `${WS}/jobs/train-1`)).body.properties.status).toBe('CancelRequested');
    let poll = await request(fake, 'GET', String(cancel.headers.location), undefined, null);
    expect(poll.status).toBe(202);
    poll = await request(fake, 'GET', String(cancel.headers.location), undefined, null);
    expect(poll.status).toBe(200);
    expect((await request(fake, 'GET', `${WS}/jobs/train-1`)).body.properties.status).toBe('Canceled');

    for (const status of ['Canceled', 'Completed', 'Failed', 'Finalizing'] as const) {
      fake.setJobStatus('train-1', status);
      const r = await request(fake, 'POST', `${WS}/jobs/train-1/cancel`);
      expect([r.status, r.body.error.code, r.body.error.message]).toEqual([400, 'UserError', `Job train-1 is ${status}: a job can be canceled only before it finishes (not when Finalizing, Completed, Failed or Canceled).`]);
    }
    const missing = await request(fake, 'POST', `${WS}/jobs/nope/cancel`);
    expect([missing.status, missing.body.error.message]).toEqual([404, 'Job nope not found.']);

    // A cancel whose operation fails leaves the job as it was.
    await request(fake, 'PUT', `${WS}/jobs/train-2`, commandJob());
    fake.failOperation = { path: /\/jobs\/train-2\/cancel$/, message: 'cancel failed' };
    const failing = await request(fake, 'POST', `${WS}/jobs/train-2/cancel`);
    await request(fake, 'GET', String(failing.headers.location), undefined, null);
    await request(fake, 'GET', String(failing.headers.location), undefined, null);
    expect(fake.jobs.get('train-2')!.properties.status).toBe('NotStarted');

    // In auto mode the next GET finishes the cancel.
    fake.autoAdvanceJobs = true;
    await request(fake, 'POST', `${WS}/jobs/train-2/cancel`);
    expect((await request(fake, 'GET', `${WS}/jobs/train-2`)).body.properties.status).toBe('Canceled');
  });

  it('gives a sweep its trials and best trial where azure-ai-ml reads it; cancelling the sweep cancels its running trials', async () => {
    await request(fake, 'PUT', `${WS}/jobs/tune-1`, sweepJob());
    const trials = fake.setTrials('tune-1', [{ status: 'Completed', metrics: { val_auc: 0.91 } }, { status: 'Completed', metrics: { val_auc: 0.94 } }, { status: 'Running' }]);
    expect(trials).toEqual(['tune-1_0', 'tune-1_1', 'tune-1_2']);
    expect(fake.trialsOf('tune-1')).toEqual(trials);
    const trial = (await request(fake, 'GET', `${WS}/jobs/tune-1_1`)).body;
    expect(trial.properties).toEqual(expect.objectContaining({ jobType: 'Command', status: 'Completed', environmentId: ENV, experimentName: 'fraud-detector' }));
    expect(fake.jobMetrics.get('tune-1_1')).toEqual({ val_auc: 0.94 });
    fake.setBestTrial('tune-1', 'tune-1_1', 0.94);
    const sweep = (await request(fake, 'GET', `${WS}/jobs/tune-1`)).body;
    expect(sweep.properties.properties).toEqual({ best_child_run_id: 'tune-1_1', score: '0.94' });
    expect(() => fake.setBestTrial('tune-1', 'tune-9_0')).toThrow('tune-9_0 is not a trial of sweep tune-1');
    expect(() => fake.setTrials('nope', [])).toThrow('No job nope (PUT it first)');

    fake.setJobStatus('tune-1', 'Running');
    const cancel = await request(fake, 'POST', `${WS}/jobs/tune-1/cancel`);
    await request(fake, 'GET', String(cancel.headers.location), undefined, null);
    await request(fake, 'GET', String(cancel.headers.location), undefined, null);
    expect(['tune-1', ...trials].map((t) => fake.jobs.get(t)!.properties.status)).toEqual(['Canceled', 'Completed', 'Completed', 'Canceled']);
  });

  it('lists jobs with the specification’s filters and pages', async () => {
    await request(fake, 'PUT', `${WS}/jobs/train-1`, commandJob({ properties: { release: 'r7' } }));
    await request(fake, 'PUT', `${WS}/jobs/train-2`, commandJob({ tags: { team: 'risk' } }));
    await request(fake, 'PUT', `${WS}/jobs/tune-1`, sweepJob());
    await request(fake, 'PUT', `${WS}/jobs/old-1`, commandJob({ isArchived: true }));
    fake.setTrials('tune-1', [{}, {}]);
    const names = async (query = '') => (await request(fake, 'GET', `${WS}/jobs${query}`)).body.value.map((j: { name: string }) => j.name);
    // Trials are not listed; archived jobs only on ask.
    expect(await names()).toEqual(['train-1', 'train-2', 'tune-1']);
    expect(await names('?jobType=Sweep')).toEqual(['tune-1']);
    expect(await names('?tag=team')).toEqual(['train-2']);
    expect(await names('?properties=release=r7')).toEqual(['train-1']);
    expect(await names('?properties=release=r8')).toEqual([]);
    expect(await names('?listViewType=ArchivedOnly')).toEqual(['old-1']);
    expect(await names('?listViewType=All')).toEqual(['train-1', 'train-2', 'tune-1', 'old-1']);
    const bad = await request(fake, 'GET', `${WS}/jobs?listViewType=Everything`);
    expect([bad.status, bad.body.error.message]).toEqual([400, "listViewType 'Everything' must be one of ActiveOnly, ArchivedOnly, All."]);

    fake.jobsPageSize = 2;
    const first = (await request(fake, 'GET', `${WS}/jobs?listViewType=All`)).body;
    expect(first.value.map((j: { name: string }) => j.name)).toEqual(['train-1', 'train-2']);
    const second = (await request(fake, 'GET', first.nextLink, undefined, null)).body;
    expect(second.value.map((j: { name: string }) => j.name)).toEqual(['tune-1', 'old-1']);
    expect(second.nextLink).toBeUndefined();
  });
});
