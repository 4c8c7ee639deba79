import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { onTrainingStep } from '../../lib/handlers/azureml';
import { resolvePlan, type ModelPlan } from '../../lib/plan';
import type { AzureMlClients } from '../../lib/providers/azureml/clients';
import { azureMlJobRunner, JOB_STATES, lastMetrics, metricIdentifier } from '../../lib/providers/azureml/runs';
import { azureMlTrainingJob, jobName, trainingEnvironment } from '../../lib/providers/azureml/training';
import { loadProjectText } from '../../lib/spec';
import { executionInput, trainingStep, type FinishResult, type PollResult, type TrainingStepEvent } from '../../lib/train/jobs';
import { FakeArm } from '../fakes/azureml/arm';
import { specDefinitions } from '../fakes/azureml/spec/validate';
import { fakeClients, WS } from './azureml/helpers';

/**
 * Training runs on Azure ML, step by step as the state machine calls them (lib/train/jobs.ts `trainingStep`
 * with `azureMlJobRunner`), against the fake ARM over HTTPS: the jobs API at 2024-04-01 and the workspace's
 * MLflow tracking, where the launcher logs a run's metrics.
 */
const spec = (tuning = '', identity = '') => `project: acme
environments:
  staging:
    azure: { subscription: 00000000-0000-0000-0000-000000000002, resourceGroup: ml-staging, workspace: acme-staging, region: eastus${identity} }
models:
  fraud:
    training:
      image: { azureml: acme.azurecr.io/fraud-train:1.4 }
      command: [python, train.py]
      hyperparameters: { epochs: 10, lr: 0.001 }
      inputs:
        train: { azureml: azureml://datastores/data/paths/fraud/train/ }
      output: { azureml: azureml://datastores/models/paths/fraud }
      resources: { accelerator: T4, count: 1 }
      maxRuntime: 2h
      metrics: { val_f1: "val_f1=([0-9.]+)", loss: "loss=([0-9.]+)" }
${tuning}    registry: { gates: { val_f1: ">= 0.9" } }
`;
const TUNING = `      tuning:
        objective: { metric: val_f1, goal: maximize }
        strategy: random
        parameters:
          lr: { min: 1.0e-5, max: 1.0e-2, scale: log }
        maxTrials: 4
        parallelTrials: 2
`;
const IDENTITY = ', tenantId: 11111111-1111-1111-1111-111111111111, clientId: 22222222-2222-2222-2222-222222222222';
const plan = (tuning = '', identity = ''): ModelPlan => resolvePlan(loadProjectText(spec(tuning, identity), 'mlspec.yaml', 'staging: {}\n')).environments[0].models[0];
const RUN = 'r20261203t154512-k3f9';
const JOB = `acme-fraud-staging-${RUN}`;
const CLOCK = () => new Date(Date.UTC(2026, 11, 3, 15, 45));

describe('an Azure ML training run, step by step against the fake ARM and its MLflow tracking', () => {
  let fake: FakeArm;
  let clients: AzureMlClients;
  const step = (event: TrainingStepEvent, model = plan()) => trainingStep(azureMlJobRunner, clients, { ...event, input: executionInput(model, 'azureml', (event as { input?: { sets: Record<string, string> } }).input?.sets ?? {}) } as TrainingStepEvent, CLOCK);
  const submit = async (model = plan(), sets: Record<string, string> = {}) => (await trainingStep(azureMlJobRunner, clients, { action: 'submit', input: executionInput(model, 'azureml', sets), runId: RUN }, CLOCK)) as PollResult;
  const poll = async (job: PollResult, model = plan()) => (await trainingStep(azureMlJobRunner, clients, { action: 'poll', input: executionInput(model, 'azureml', {}), job }, CLOCK)) as PollResult;
  const finish = async (job: PollResult, model = plan()) => (await trainingStep(azureMlJobRunner, clients, { action: 'finish', input: executionInput(model, 'azureml', {}), job }, CLOCK)) as FinishResult;
  /** Versions 1..7 of the model, as earlier runs and releases left them. */
  const earlierVersions = async () => {
    await clients.ml.modelContainers.createOrUpdate('ml-staging', 'acme-staging', 'acme-fraud', { properties: { description: 'mlspec model' } });
    for (const label of ['1', '7', 'champion']) await clients.ml.modelVersions.createOrUpdate('ml-staging', 'acme-staging', 'acme-fraud', label, { properties: { modelUri: `azureml://datastores/models/paths/fraud/${label}/`, modelType: 'custom_model' } });
  };

  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
    clients = fakeClients(fake);
  });
  afterEach(async () => {
    clients.close();
    await fake.stop();
  });

  it('submit registers the training environment and exactly one job, the body training.ts builds; a retried submit finds it and PUTs nothing', async () => {
    const started = await submit(plan(), { epochs: '3' });
    expect(started).toMatchObject({ name: JOB, kind: 'Command', runId: RUN, status: { state: 'running', detail: 'NotStarted' }, done: false, succeeded: false, waitSeconds: 30, submittedAt: CLOCK().toISOString() });
    expect(fake.count('PUT', /\/environments\/acme-fraud-training\/versions\//)).toBe(1);
    expect(fake.count('PUT', /\/jobs\//)).toBe(1);
    const env = trainingEnvironment(plan());
    expect(fake.environmentVersions.get(env.path.split('/environments/')[1].replace('/versions/', '/'))!.properties.image).toBe('acme.azurecr.io/fraud-train:1.4');
    // What the fake holds is the job training.ts builds for this run and its --set values.
    const expected = azureMlTrainingJob(plan(), RUN, { epochs: '3', lr: '0.001' }, {}).body.properties as Record<string, any>;
    expect(fake.jobs.get(JOB)!.properties).toMatchObject(expected);
    expect(fake.jobs.get(JOB)!.properties.environmentVariables.MLSPEC_MLFLOW).toBe('1');
    expect(fake.jobs.get(JOB)!.properties.command).toMatch(/ --epochs 3 --lr 0\.001$/);

    fake.resetCounts();
    const again = await submit(plan(), { epochs: '3' });
    expect(again.name).toBe(JOB);
    expect(fake.count('PUT')).toBe(0);
    expect(fake.jobs.size).toBe(1);
  });

  it('a second run reuses the environment version (named by its content) and submits its own job', async () => {
    await submit();
    fake.resetCounts();
    await trainingStep(azureMlJobRunner, clients, { action: 'submit', input: executionInput(plan(), 'azureml', {}), runId: 'r20261204t090000-aaaa' });
    expect([fake.count('PUT', /\/environments\//), fake.count('PUT', /\/jobs\//)]).toEqual([0, 1]);
  });

  it('poll follows the job’s status, waiting longer each time, until it completes', async () => {
    let job = await submit();
    const seen: [string, boolean, number][] = [];
    for (const status of ['Queued', 'Running', 'Finalizing', 'Completed'] as const) {
      fake.setJobStatus(JOB, status);
      job = await poll(job);
      seen.push([job.status.detail, job.done, job.waitSeconds]);
    }
    expect(seen).toEqual([
      ['Queued', false, 60],
      ['Running', false, 120],
      ['Finalizing', false, 240],
      ['Completed', true, 300],
    ]);
    expect(job.succeeded).toBe(true);
    expect(job.status).toEqual({ state: 'succeeded', detail: 'Completed' });
  });

  it('maps every JobStatus of the published 2024-04-01 specification', () => {
    expect(Object.keys(JOB_STATES).sort()).toEqual([...(specDefinitions('2024-04-01')!.JobStatus.enum as string[])].sort());
    expect(Object.entries(JOB_STATES).filter(([, s]) => s !== 'running')).toEqual([
      ['Completed', 'succeeded'],
      ['Failed', 'failed'],
      ['Canceled', 'cancelled'],
    ]);
  });

  it('finish reads the metrics from MLflow, registers version N+1 with them as tags and the run id; a retried finish registers nothing new', async () => {
    await earlierVersions();
    const job = await submit();
    fake.completeJob(JOB, { metrics: { val_f1: 0.91, loss: 0.3 } });
    // The launcher logs once at the end; a later value of the same key is the one that counts.
    fake.mlflow.logMetrics(JOB, { val_f1: 0.93 }, Date.now() + 1000);
    const done = await poll(job);
    const out = await finish(done);
    expect(out).toEqual(expect.objectContaining({ status: 'registered', runId: RUN, job: JOB, version: '8', registry: `${WS}/models/acme-fraud/versions/8`, metrics: { val_f1: 0.93, loss: 0.3 } }));
    expect(out.verdicts).toEqual([{ gate: 'registry.gates.val_f1', passed: true, value: 0.93, text: 'val_f1 >= 0.9', agrees: true }]);
    const v = fake.modelVersions.get('acme-fraud/8')!;
    expect(v.properties.modelUri).toBe(`azureml://jobs/${JOB}/outputs/model`);
    expect(v.properties.tags).toEqual({ 'mlspec:version': '8', 'mlspec:trained': 'true', 'mlspec:job': JOB, 'mlspec:run': RUN, 'metric:val_f1': '0.93', 'metric:loss': '0.3' });

    fake.resetCounts();
    const retried = await finish(done);
    expect([retried.status, retried.version]).toEqual(['registered', '8']);
    expect(fake.writes).toBe(0);
    expect([...fake.modelVersions.keys()].filter((k) => k.startsWith('acme-fraud/'))).toEqual(['acme-fraud/1', 'acme-fraud/7', 'acme-fraud/champion', 'acme-fraud/8']);
  });

  it('a failed gate returns gate-failed with the reason and registers nothing', async () => {
    await earlierVersions();
    const job = await submit();
    fake.completeJob(JOB, { metrics: { val_f1: 0.5 } });
    fake.resetCounts();
    const out = await finish(await poll(job));
    expect(out).toEqual(expect.objectContaining({ status: 'gate-failed', reason: 'the registry gates did not pass: val_f1 >= 0.9 (the run has 0.5)', metrics: { val_f1: 0.5 } }));
    expect(out.version).toBeUndefined();
    expect(fake.writes).toBe(0);
    expect(fake.modelVersions.has('acme-fraud/8')).toBe(false);
  });

  it('a failed job polls as failed with Azure’s message, or where Azure gives none, where its logs are', async () => {
    const job = await submit();
    fake.failJob(JOB, 'Execution failed. User program failed with ValueError: bad shape', { service: 'Studio' });
    expect((await poll(job)).status).toEqual({ state: 'failed', detail: 'Failed', message: 'Execution failed. User program failed with ValueError: bad shape' });
    const other = (await trainingStep(azureMlJobRunner, clients, { action: 'submit', input: executionInput(plan(), 'azureml', {}), runId: 'r2' })) as PollResult;
    fake.failJob(other.name, 'only in the logs');
    const failed = await poll(other);
    expect([failed.done, failed.succeeded]).toEqual([true, false]);
    expect(failed.status.message).toBe(`Azure ML gives no reason on the job resource; its logs are in Azure ML studio: https://ml.azure.com/runs/${other.name}?wsid=${WS}`);
  });

  it('a sweep registers its best trial’s output: the MLflow child run with the best objective', async () => {
    const model = plan(TUNING);
    const job = await submit(model);
    expect(job.kind).toBe('Sweep');
    const trials = fake.setTrials(JOB, [{ metrics: { val_f1: 0.91, loss: 0.4 } }, { metrics: { val_f1: 0.95, loss: 0.2 } }, { metrics: { val_f1: 0.93 } }, { status: 'Failed' }]);
    // A trial of another sweep, with a better score, is not this sweep's.
    fake.mlflow.createRun('someone-else_0', 'acme-fraud-staging', { tags: { 'mlflow.parentRunId': 'someone-else' } });
    fake.mlflow.logMetrics('someone-else_0', { val_f1: 0.99 });
    fake.completeJob(JOB);
    const out = await finish(await poll(job, model), model);
    expect(out).toEqual(expect.objectContaining({ status: 'registered', version: '1', bestTrial: trials[1], metrics: { val_f1: 0.95, loss: 0.2 } }));
    expect(fake.modelVersions.get('acme-fraud/1')!.properties.modelUri).toBe(`azureml://jobs/${trials[1]}/outputs/model`);
    expect(fake.modelVersions.get('acme-fraud/1')!.properties.tags['mlspec:job']).toBe(trials[1]);

    // Minimizing takes the lowest.
    const t = model.azureml!.training!;
    const minimizing = { ...model, azureml: { ...model.azureml!, training: { ...t, tuning: { ...t.tuning!, objective: 'loss', goal: 'minimize' as const } } } };
    expect((await azureMlJobRunner.result(minimizing, job, clients)).bestTrial).toBe(trials[1]);
  });

  it('a sweep with no trials, or none that reported the objective, says so', async () => {
    const model = plan(TUNING);
    const job = await submit(model);
    fake.completeJob(JOB);
    await expect(azureMlJobRunner.result(model, job, clients)).rejects.toThrow(`azureml: fraud in staging: sweep ${JOB} has no trials in MLflow experiment acme-fraud-staging, so there is no best trial to register`);
    fake.setTrials(JOB, [{ metrics: { loss: 0.3 } }, {}]);
    await expect(azureMlJobRunner.result(model, job, clients)).rejects.toThrow(`azureml: fraud in staging: no trial of sweep ${JOB} reported val_f1: no line of their output matched training.metrics.val_f1`);
  });

  it('result names what it could not read: the workspace’s tracking URI, the job’s MLflow run', async () => {
    const job = await submit();
    fake.mlflowTrackingUri = null;
    await expect(azureMlJobRunner.result(plan(), job, clients)).rejects.toThrow("azureml: fraud in staging: workspace acme-staging gives no mlFlowTrackingUri, where mlspec reads a run's metrics (Azure ML's MLflow tracking)");
    fake.mlflowTrackingUri = undefined;
    fake.mlflow.deleteRun(JOB);
    await expect(azureMlJobRunner.result(plan(), job, clients)).rejects.toThrow(`azureml: fraud in staging: read the metrics of job ${JOB} from MLflow failed: RESOURCE_DOES_NOT_EXIST: Run with id=${JOB} not found`);
    // Where the tracking URI answers in ARM's error shape, or not in JSON at all (a gateway's page), those words.
    fake.mlflowTrackingUri = `azureml://${fake.url.slice('https://'.length)}${WS}`;
    await expect(azureMlJobRunner.result(plan(), job, clients)).rejects.toThrow(
      `azureml: fraud in staging: read the metrics of job ${JOB} from MLflow failed: MissingApiVersionParameter: The api-version query parameter (?api-version=) is required for all requests.`,
    );
    const gateway = https.createServer({ cert: fake.ca, key: readFileSync(path.join(__dirname, '../fakes/azureml/arm-tls/key.pem')) }, (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'));
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    try {
      fake.mlflowTrackingUri = `azureml://127.0.0.1:${(gateway.address() as { port: number }).port}/mlflow/v1.0${WS}`;
      await expect(azureMlJobRunner.result(plan(), job, clients)).rejects.toThrow(`azureml: fraud in staging: read the metrics of job ${JOB} from MLflow failed: HTTP 502: <html>Bad Gateway</html>`);
    } finally {
      gateway.close();
    }
    fake.mlflowTrackingUri = undefined;
    fake.jobs.delete(JOB);
    await expect(azureMlJobRunner.poll(plan(), job, clients)).rejects.toThrow(`azureml: fraud in staging: job ${JOB} of run ${RUN} is not in workspace acme-staging`);
    await expect(azureMlJobRunner.submit({ ...plan(), azureml: { ...plan().azureml!, training: undefined } }, RUN, {}, clients)).rejects.toThrow('internal: fraud does not train on azureml in staging');
  });

  it('cancel of a running job leaves it Canceled (found by the run id); a finished job is left as it is; no job is none', async () => {
    await submit();
    fake.setJobStatus(JOB, 'Running');
    expect(await step({ action: 'cancel', runId: RUN, error: { Error: 'States.Timeout' } } as TrainingStepEvent)).toEqual({ runId: RUN, cancelled: 'cancelled', error: { Error: 'States.Timeout' } });
    expect(fake.jobs.get(JOB)!.properties.status).toBe('Canceled');
    expect(fake.count('POST', /\/jobs\/[^/]+\/cancel$/)).toBe(1);
    // Cancelled already: nothing more to do.
    fake.resetCounts();
    expect(await azureMlJobRunner.cancel(plan(), RUN, undefined, clients)).toBe('ended');
    expect(fake.count('POST')).toBe(0);

    const other = (await trainingStep(azureMlJobRunner, clients, { action: 'submit', input: executionInput(plan(), 'azureml', {}), runId: 'r2' })) as PollResult;
    fake.completeJob(other.name);
    expect(await azureMlJobRunner.cancel(plan(), 'r2', other, clients)).toBe('ended');
    expect(fake.jobs.get(other.name)!.properties.status).toBe('Completed');
    expect(await azureMlJobRunner.cancel(plan(), 'r-never-submitted', undefined, clients)).toBe('none');
  });

  it('a cancel that Azure fails is an error in Azure’s words, and the job runs on', async () => {
    await submit();
    fake.setJobStatus(JOB, 'Running');
    fake.failOperation = { path: /\/cancel$/, message: 'The job could not be cancelled.' };
    await expect(azureMlJobRunner.cancel(plan(), RUN, undefined, clients)).rejects.toThrow(`azureml: fraud in staging: cancel job ${JOB} failed: UserError: The job could not be cancelled.`);
    expect(fake.jobs.get(JOB)!.properties.status).toBe('Running');
  });

  it('labels are the numeric version names; registeredBy finds the version tagged with the run', async () => {
    expect(await azureMlJobRunner.labels(plan(), clients)).toEqual([]);
    await earlierVersions();
    expect(await azureMlJobRunner.labels(plan(), clients)).toEqual(['1', '7']);
    expect(await azureMlJobRunner.registeredBy(plan(), RUN, clients)).toBeUndefined();
    await azureMlJobRunner.register(plan(), { name: JOB, kind: 'Command', runId: RUN }, '8', { metrics: {}, artifactUri: `azureml://jobs/${JOB}/outputs/model` }, clients);
    expect(await azureMlJobRunner.registeredBy(plan(), RUN, clients)).toBe('8');
    expect(await azureMlJobRunner.registeredBy(plan(), 'r-other', clients)).toBeUndefined();
  });

  it('the search it sends is MLflow’s grammar: metric names with special characters quoted; each key’s latest value', () => {
    expect([metricIdentifier('val_f1'), metricIdentifier('val-f1'), metricIdentifier('f1 score'), metricIdentifier('a`b')]).toEqual(['metrics.val_f1', 'metrics.`val-f1`', 'metrics.`f1 score`', 'metrics."a`b"']);
    expect(
      lastMetrics({
        data: {
          metrics: [
            { key: 'a', value: 1, timestamp: 5, step: 0 },
            { key: 'a', value: 2, timestamp: 3, step: 9 },
            { key: 'b', value: 'NaN', timestamp: 1 },
            { key: 'c', value: 0.5, timestamp: 1, step: 1 },
          ],
        },
      }),
    ).toEqual({ a: 1, c: 0.5 });
  });
});

describe('the Azure ML training handler (onTrainingStep)', () => {
  let fake: FakeArm;
  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('runs each step with clients made from the execution’s plan, and closes them', async () => {
    const made: string[] = [];
    let closed = 0;
    const deps = {
      clients: (p: NonNullable<ModelPlan['azureml']>) => {
        made.push(p.workspace);
        const c = fakeClients(fake);
        return { ...c, close: () => (closed++, c.close()) };
      },
    };
    const submitted = (await onTrainingStep({ action: 'submit', input: executionInput(plan(), 'azureml', {}), runId: RUN }, deps)) as PollResult;
    expect([submitted.name, made, closed]).toEqual([JOB, ['acme-staging'], 1]);
    fake.jobs.delete(JOB);
    await expect(onTrainingStep({ action: 'poll', input: executionInput(plan(), 'azureml', {}), job: submitted }, deps)).rejects.toThrow('is not in workspace acme-staging');
    expect(closed).toBe(2);
  });

  it('the EventBridge event of an ABORTED execution cancels its job, found by the run id (the execution’s name)', async () => {
    const deps = { clients: () => fakeClients(fake) };
    await onTrainingStep({ action: 'submit', input: executionInput(plan(), 'azureml', {}), runId: RUN }, deps);
    fake.setJobStatus(JOB, 'Running');
    const aborted: TrainingStepEvent = {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn: `arn:aws:states:us-east-1:222222222222:execution:acme-staging-training-azureml:${RUN}`, name: RUN, status: 'ABORTED', input: JSON.stringify(executionInput(plan(), 'azureml', {})) },
    };
    expect(await onTrainingStep(aborted, deps)).toEqual({ runId: RUN, cancelled: 'cancelled', status: 'ABORTED' });
    expect(fake.jobs.get(JOB)!.properties.status).toBe('Canceled');
    // Another provider's execution is not Azure ML's to cancel.
    const vertexRun = { ...aborted, detail: { ...aborted.detail, input: JSON.stringify({ ...executionInput(plan(), 'azureml', {}), provider: 'vertex' }) } } as TrainingStepEvent;
    expect(await onTrainingStep(vertexRun, deps)).toEqual({ ignored: 'not a azureml training execution' });
  });

  it('signs in as the plan’s app registration, and says which identity setting is missing', async () => {
    await expect(onTrainingStep({ action: 'submit', input: executionInput(plan(), 'azureml', {}), runId: RUN })).rejects.toThrow(
      'azureml: fraud in staging: environments.staging.azure.tenantId is not set; the training handler role signs in to Azure as an app registration that trusts it (see docs/azureml.md)',
    );
    const input = executionInput(plan('', IDENTITY), 'azureml', {});
    expect([input.model.azureml!.tenantId, input.model.azureml!.clientId]).toEqual(['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222']);
    await expect(onTrainingStep({ action: 'submit', input: { ...input, provider: 'vertex' }, runId: RUN })).rejects.toThrow('internal: an Azure ML training step got an execution input without an azureml plan (provider vertex)');
  });
});

describe('the job names a run submits', () => {
  it('are the stack and the run id', () => {
    expect(jobName(plan(), RUN)).toBe(JOB);
  });
});
