import * as grpc from '@grpc/grpc-js';
import { googleAuthLibrary } from 'google-gax';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { onTrainingStep } from '../../lib/handlers/vertex';
import { resolvePlan, type ModelPlan } from '../../lib/plan';
import { registerTrainedVertexVersion } from '../../lib/providers/vertex/registry';
import { closeVertexRunClients, cloudStorageReader, encodePathPart, parseGcsUri, vertexJobRunner, vertexRunClients, type VertexRunClients } from '../../lib/providers/vertex/runs';
import { vertexTrainingJob } from '../../lib/providers/vertex/training';
import { loadProjectText } from '../../lib/spec';
import { executionInput, trainingStep, type FinishResult, type JobRef, type PollResult, type TrainingStepEvent } from '../../lib/train/jobs';
import { jobValues } from '../../lib/train/types';
import { FakeVertex } from '../fakes/vertex/server';

/**
 * Training runs on Vertex AI through the state machine's steps (lib/train/jobs.ts `trainingStep`) with
 * the Vertex runner (lib/providers/vertex/runs.ts), against the fake JobService and ModelService over
 * gRPC and the fake Cloud Storage JSON API over HTTP (test/fakes/vertex).
 */

const WIP = 'projects/123456/locations/global/workloadIdentityPools/aws/providers/deploy';
const spec = (training: string, gcp = `, workloadIdentityProvider: ${WIP}`) => `project: acme
environments:
  staging:
    gcp: { project: acme-ml-staging, region: us-central1${gcp} }
models:
  fraud:
    training:
      image: { vertex: us-docker.pkg.dev/acme/train/fraud:1 }
      command: [python, train.py]
      hyperparameters: { epochs: 3 }
      output: { vertex: gs://acme-models/fraud/ }
      resources: { accelerator: T4, count: 1, nodes: 2 }
      distribution: pytorch
      metrics: { f1: "f1=([0-9.]+)", loss: "loss=([0-9.]+)" }
${training}    registry: { gates: { f1: ">= 0.9" } }
    versions:
      "7": { artifact: { vertex: gs://acme-models/fraud/7/ } }
    serving:
      image: { vertex: us-docker.pkg.dev/acme/serve/fraud:1 }
      resources: { accelerator: T4, count: 1 }
`;
const tuning = (metric: string, goal: string) => `      tuning:
        objective: { metric: ${metric}, goal: ${goal} }
        strategy: random
        parameters:
          lr: { min: 1.0e-5, max: 1.0e-2, scale: log }
        maxTrials: 4
        parallelTrials: 2
`;
// Released (version 7 serves), so the plan has the serving container a trained version is registered with.
const plan = (training = '', gcp?: string): ModelPlan => resolvePlan(loadProjectText(spec(training, gcp), 'mlspec.yaml', 'staging:\n  fraud: { traffic: { "7": 100 } }\n')).environments[0].models[0];

const RUN = 'r20261203t154512-k3f9';
const OUT = `gs://acme-models/fraud/${RUN}/`;
/** The PollResult fields a runner decides (lib/train/jobs.ts adds the rest). */
const pollOf = (p: PollResult) => ({ name: p.name, kind: p.kind, runId: p.runId, status: p.status, done: p.done, succeeded: p.succeeded, waitSeconds: p.waitSeconds });

describe('training runs on Vertex AI, step by step against the fake', () => {
  let fake: FakeVertex;
  let port: number;
  let clients: VertexRunClients;
  const options = () => ({ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient(), storageEndpoint: fake.storageEndpoint }) as never;
  const step = <T>(event: unknown, now?: () => Date) => trainingStep(vertexJobRunner, clients, event as TrainingStepEvent, now) as Promise<T>;
  const submit = (model: ModelPlan, sets: Record<string, string> = {}, runId = RUN) => step<PollResult>({ action: 'submit', input: executionInput(model, 'vertex', sets), runId });
  const poll = (model: ModelPlan, job: PollResult) => step<PollResult>({ action: 'poll', input: executionInput(model, 'vertex', {}), job });
  const finish = (model: ModelPlan, job: PollResult) => step<FinishResult>({ action: 'finish', input: executionInput(model, 'vertex', {}), job });
  const cancel = (model: ModelPlan, job?: JobRef, runId = RUN) => step<{ runId: string; cancelled: string }>({ action: 'cancel', input: executionInput(model, 'vertex', {}), runId, job });
  const versions = () => [...fake.models.values()][0] ?? [];

  beforeEach(async () => {
    fake = new FakeVertex();
    port = await fake.start();
    clients = vertexRunClients('us-central1', options());
  });
  afterEach(async () => {
    await closeVertexRunClients(clients);
    await fake.stop();
  });

  it('submit creates exactly one CustomJob, the body vertexTrainingJob builds with the run’s --set values; a retried submit creates none', async () => {
    const model = plan();
    const submitted = await submit(model, { epochs: '5' }, RUN);
    expect(pollOf(submitted)).toEqual({
      name: expect.stringMatching(/^projects\/acme-ml-staging\/locations\/us-central1\/customJobs\/\d+$/),
      kind: 'CustomJob',
      runId: RUN,
      status: { state: 'running', detail: 'JOB_STATE_QUEUED', message: undefined, billableSeconds: undefined },
      done: false,
      succeeded: false,
      waitSeconds: 30,
    });
    const { hyperparameters, inputs } = jobValues(model, model.vertex!.training!, { epochs: '5' });
    const expected = vertexTrainingJob(model, RUN, hyperparameters, inputs);
    expect(hyperparameters).toEqual({ epochs: '5' });
    // What the fake stored is the request body plus the output-only fields, nothing else.
    expect(fake.jobs.customJobs.get(submitted.name)).toEqual({ ...expected.job, name: submitted.name, state: 'JOB_STATE_QUEUED', createTime: expect.anything(), updateTime: expect.anything() });
    expect(fake.calls.CreateCustomJob).toBe(1);
    // The filter found nothing, in both kinds, before the create.
    expect(fake.calls).toEqual(expect.objectContaining({ ListCustomJobs: 1, ListHyperparameterTuningJobs: 1 }));

    fake.resetCounts();
    const again = await submit(model, { epochs: '5' }, RUN);
    expect(again.name).toBe(submitted.name);
    expect(fake.writes).toBe(0);
    expect(fake.calls).toEqual({ ListCustomJobs: 1, GetCustomJob: 1 });
    expect(fake.jobs.customJobs.size).toBe(1);

    // Another run of the same model is another job.
    await submit(model, {}, 'r20261203t160000-abcd');
    expect(fake.jobs.customJobs.size).toBe(2);
  });

  it('poll follows the job: QUEUED, PENDING, RUNNING (machine-seconds so far), SUCCEEDED (start to end × replicas); the wait doubles up to 5 minutes', async () => {
    const model = plan();
    const start = Date.now() - 3600_000;
    let now = start - 120_000;
    fake.now = () => now;
    let job = await submit(model);
    const name = job.name;
    const seen: [string, string, number][] = [];
    const look = async () => {
      job = await poll(model, job);
      seen.push([job.status.state, job.status.detail, job.waitSeconds]);
      return job;
    };
    now += 60_000;
    fake.advanceJob(name, 'JOB_STATE_PENDING');
    await look();
    now = start;
    fake.advanceJob(name, 'JOB_STATE_RUNNING');
    const running = await look();
    // Two nodes (a chief pool of 1 and a pool of 1) for the hour since the job started, so far.
    expect(running.status.billableSeconds).toBeGreaterThanOrEqual(7200);
    expect(running.status.billableSeconds).toBeLessThan(7300);
    await look();
    now = start + 600_000;
    fake.succeedJob(name);
    const done = await look();
    expect(seen).toEqual([
      ['running', 'JOB_STATE_PENDING', 60],
      ['running', 'JOB_STATE_RUNNING', 120],
      ['running', 'JOB_STATE_RUNNING', 240],
      ['succeeded', 'JOB_STATE_SUCCEEDED', 300],
    ]);
    expect(done).toEqual(expect.objectContaining({ done: true, succeeded: true }));
    expect(done.status).toEqual({ state: 'succeeded', detail: 'JOB_STATE_SUCCEEDED', message: undefined, billableSeconds: 1200 });
    expect((await poll(model, done)).waitSeconds).toBe(300);
  });

  it('poll maps every job state: UPDATING, PAUSED and CANCELLING are running; EXPIRED and PARTIALLY_SUCCEEDED failed; CANCELLED cancelled with Vertex’s message', async () => {
    const model = plan();
    const states: string[] = [];
    for (const [i, path] of [
      ['JOB_STATE_RUNNING', 'JOB_STATE_UPDATING'],
      ['JOB_STATE_RUNNING', 'JOB_STATE_PAUSED'],
      ['JOB_STATE_RUNNING', 'JOB_STATE_CANCELLING'],
      ['JOB_STATE_EXPIRED'],
      ['JOB_STATE_PARTIALLY_SUCCEEDED'],
      ['JOB_STATE_CANCELLED'],
    ].entries()) {
      const job = await submit(model, {}, `r20261203t1600${i}0-abcd`);
      for (const s of path) fake.advanceJob(job.name, s as never);
      const { status } = await poll(model, job);
      states.push(`${status.detail}: ${status.state}${status.message ? ` (${status.message})` : ''}`);
    }
    expect(states).toEqual([
      'JOB_STATE_UPDATING: running',
      'JOB_STATE_PAUSED: running',
      'JOB_STATE_CANCELLING: running',
      'JOB_STATE_EXPIRED: failed',
      'JOB_STATE_PARTIALLY_SUCCEEDED: failed',
      'JOB_STATE_CANCELLED: cancelled (CANCELLED)',
    ]);
  });

  it('a failed job polls as failed with Vertex’s message', async () => {
    const model = plan();
    const job = await submit(model);
    fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
    fake.failJob(job.name, 'The replica workerpool0-0 exited with a non-zero status of 1. Termination reason: Error.');
    const polled = await poll(model, job);
    expect(polled).toEqual(expect.objectContaining({ done: true, succeeded: false }));
    expect(polled.status).toEqual(expect.objectContaining({ state: 'failed', detail: 'JOB_STATE_FAILED', message: 'The replica workerpool0-0 exited with a non-zero status of 1. Termination reason: Error.' }));
  });

  it('finish reads the metrics file, registers label N+1 (above the declared 7 and every label the registry holds) with the metrics as labels; a retried finish registers nothing new', async () => {
    const model = plan();
    // Another run already registered 12.
    await registerTrainedVertexVersion(model.vertex!, { model: 'fraud', environment: 'staging' }, { models: clients.models } as never, { label: '12', artifactUri: 'gs://acme-models/fraud/old/model/', metrics: {}, runId: 'r-old' });
    const job = await submit(model);
    fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
    fake.succeedJob(job.name, { metrics: { f1: 0.93, loss: 0.21 } });
    expect([...fake.objects.keys()]).toEqual([`${OUT}mlspec-metrics.json`]);
    const done = await poll(model, job);
    fake.resetCounts();
    const finished = await finish(model, done);
    expect(finished).toEqual({
      runId: RUN,
      job: job.name,
      metrics: { f1: 0.93, loss: 0.21 },
      verdicts: [{ gate: 'registry.gates.f1', passed: true, value: 0.93, text: 'f1 >= 0.9', agrees: true }],
      bestTrial: undefined,
      billableSeconds: done.status.billableSeconds,
      status: 'registered',
      version: '13',
      registry: expect.stringMatching(/^projects\/acme-ml-staging\/locations\/us-central1\/models\/\d+$/),
    });
    expect(fake.calls.UploadModel).toBe(1);
    const trained = versions().find((v) => v.versionAliases.includes('v13'))!;
    expect(trained.artifactUri).toBe(`${OUT}model/`);
    expect(trained.labels).toEqual(expect.objectContaining({ 'mlspec-version': '13', 'metric-f1': '0_93', 'metric-loss': '0_21', 'mlspec-trained': 'true', 'mlspec-run': RUN }));
    // The file was read over the JSON API with its name URL-encoded as one path part.
    expect(fake.storageRequests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /storage/v1/b/acme-models/o/${encodeURIComponent(`fraud/${RUN}/mlspec-metrics.json`)}?alt=media`]);

    fake.resetCounts();
    const again = await finish(model, done);
    expect(again).toEqual(finished);
    expect(fake.writes).toBe(0);
    expect(versions().filter((v) => v.labels?.['mlspec-run'] === RUN)).toHaveLength(1);
  });

  it('a failed gate returns gate-failed with the reason and registers nothing; a job without a metrics file has no value', async () => {
    const model = plan();
    const low = await submit(model);
    fake.succeedJob(low.name, { metrics: { f1: 0.5 } });
    fake.resetCounts();
    const refused = await finish(model, await poll(model, low));
    expect(refused).toEqual(expect.objectContaining({ status: 'gate-failed', metrics: { f1: 0.5 }, reason: 'the registry gates did not pass: f1 >= 0.9 (the run has 0.5)' }));
    expect(refused.version).toBeUndefined();
    expect(fake.writes).toBe(0);
    expect(fake.models.size).toBe(0);

    const silent = await submit(model, {}, 'r20261203t170000-zzzz');
    fake.succeedJob(silent.name);
    const none = await finish(model, await poll(model, silent));
    expect(none).toEqual(expect.objectContaining({ status: 'gate-failed', metrics: {}, reason: 'the registry gates did not pass: f1 >= 0.9 (the run has no value)' }));
    expect(fake.models.size).toBe(0);
  });

  it('result refuses a job that did not succeed, and a metrics file that is not a JSON object', async () => {
    const model = plan();
    const job = await submit(model);
    await expect(vertexJobRunner.result(model, job, clients)).rejects.toThrow(`vertex: fraud in staging: ${job.name} is JOB_STATE_QUEUED: only a job that succeeded has metrics and a model to register`);
    fake.succeedJob(job.name);
    fake.putObject(`${OUT}mlspec-metrics.json`, 'f1=0.93');
    await expect(vertexJobRunner.result(model, job, clients)).rejects.toThrow(new RegExp(`^vertex: fraud in staging: the run's metrics file ${OUT}mlspec-metrics.json is not JSON \\(.+\\)$`));
    fake.putObject(`${OUT}mlspec-metrics.json`, '[0.93]');
    await expect(vertexJobRunner.result(model, job, clients)).rejects.toThrow(`vertex: fraud in staging: the run's metrics file ${OUT}mlspec-metrics.json is not a JSON object of metric values`);
    // Values that are not numbers are not metrics.
    fake.putObject(`${OUT}mlspec-metrics.json`, '{"f1": 0.93, "note": "x"}');
    expect(await vertexJobRunner.result(model, job, clients)).toEqual({ metrics: { f1: 0.93 }, artifactUri: `${OUT}model/` });
  });

  it('says so when asked for a model that does not train on Vertex, or a job of another kind', async () => {
    const model = plan();
    await expect(vertexJobRunner.submit({ ...model, vertex: { ...model.vertex!, training: undefined } }, RUN, {}, clients)).rejects.toThrow('internal: fraud does not train on vertex in staging');
    await expect(vertexJobRunner.poll(model, { name: 'jobs/1', kind: 'Command', runId: RUN }, clients)).rejects.toThrow('vertex: fraud in staging: get jobs/1 failed: internal: jobs/1 is a Command, not a Vertex job kind');
  });

  it('a Cloud Storage failure other than 404 is named with the JSON API’s message', async () => {
    const model = plan();
    const job = await submit(model);
    fake.succeedJob(job.name, { metrics: { f1: 0.95 } });
    const message = "mlspec-train@acme-ml-staging.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).";
    fake.storageFaults.push({ status: 403, message, times: 1 });
    await expect(finish(model, await poll(model, job))).rejects.toThrow(`vertex: fraud in staging: read ${OUT}mlspec-metrics.json failed: HTTP 403: ${message}`);
  });

  describe('tuning', () => {
    it('submit creates one HyperparameterTuningJob; poll counts the trials; finish takes the best trial by the goal (maximize), its file and its model', async () => {
      const model = plan(tuning('f1', 'maximize'));
      const job = await submit(model);
      expect(job.kind).toBe('HyperparameterTuningJob');
      expect(fake.jobs.tuningJobs.size).toBe(1);
      expect(fake.calls.CreateCustomJob).toBeUndefined();
      fake.resetCounts();
      expect((await submit(model)).name).toBe(job.name);
      expect(fake.writes).toBe(0);

      fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
      fake.jobs.setTrials(job.name, [
        { id: '1', parameters: [{ parameterId: 'lr', value: 0.001 }], finalMeasurement: { metrics: [{ metricId: 'f1', value: 0.91 }] }, metrics: { f1: 0.91, loss: 0.3 } },
        { id: '2', state: 'ACTIVE', parameters: [{ parameterId: 'lr', value: 0.01 }] },
        { id: '3', state: 'REQUESTED', parameters: [{ parameterId: 'lr', value: 0.0001 }] },
        { id: '4', state: 'INFEASIBLE', parameters: [{ parameterId: 'lr', value: 0.005 }], infeasibleReason: 'The trial exited with status 1.' },
      ]);
      expect((await poll(model, job)).status).toEqual(expect.objectContaining({ state: 'running', detail: 'JOB_STATE_RUNNING', trials: '1 completed, 2 running, 1 failed of 4' }));

      fake.succeedJob(job.name, {
        trials: [
          { id: '1', parameters: [{ parameterId: 'lr', value: 0.001 }], finalMeasurement: { metrics: [{ metricId: 'f1', value: 0.91 }] }, metrics: { f1: 0.91, loss: 0.3 } },
          { id: '2', parameters: [{ parameterId: 'lr', value: 0.01 }], finalMeasurement: { metrics: [{ metricId: 'f1', value: 0.96 }] }, metrics: { f1: 0.96, loss: 0.12 } },
          { id: '3', parameters: [{ parameterId: 'lr', value: 0.0001 }], finalMeasurement: { metrics: [{ metricId: 'f1', value: 0.94 }] }, metrics: { f1: 0.94, loss: 0.2 } },
          { id: '4', state: 'INFEASIBLE', parameters: [{ parameterId: 'lr', value: 0.005 }], infeasibleReason: 'The trial exited with status 1.' },
        ],
      });
      const done = await poll(model, job);
      expect(done.status).toEqual(expect.objectContaining({ state: 'succeeded', trials: '3 completed, 0 running, 1 failed of 4', billableSeconds: expect.any(Number) }));
      const finished = await finish(model, done);
      expect(finished).toEqual(expect.objectContaining({ status: 'registered', version: '8', bestTrial: '2', metrics: { f1: 0.96, loss: 0.12 } }));
      expect(versions().find((v) => v.versionAliases.includes('v8'))!.artifactUri).toBe(`${OUT}2/model/`);
      expect(fake.storageRequests.map((r) => r.url)).toEqual([`/storage/v1/b/acme-models/o/${encodeURIComponent(`fraud/${RUN}/2/mlspec-metrics.json`)}?alt=media`]);
    });

    it('minimize takes the lowest; without the trial’s file, its final measurement is its metrics; without any measured trial it says why', async () => {
      const model = plan(tuning('loss', 'minimize'));
      const job = await submit(model);
      fake.succeedJob(job.name, {
        trials: [
          { id: '1', parameters: [{ parameterId: 'lr', value: 0.001 }], finalMeasurement: { metrics: [{ metricId: 'loss', value: 0.3 }] }, metrics: { f1: 0.91, loss: 0.3 } },
          { id: '2', parameters: [{ parameterId: 'lr', value: 0.01 }], finalMeasurement: { metrics: [{ metricId: 'loss', value: 0.1 }] } },
        ],
      });
      expect(await vertexJobRunner.result(model, job, clients)).toEqual({ metrics: { loss: 0.1 }, artifactUri: `${OUT}2/model/`, bestTrial: '2' });

      const unmeasured = await submit(model, {}, 'r20261203t170000-zzzz');
      fake.succeedJob(unmeasured.name, { trials: [{ id: '1', parameters: [{ parameterId: 'lr', value: 0.001 }] }, { id: '2', state: 'INFEASIBLE', parameters: [{ parameterId: 'lr', value: 0.01 }] }] });
      await expect(vertexJobRunner.result(model, unmeasured, clients)).rejects.toThrow(
        `vertex: fraud in staging: ${unmeasured.name} succeeded with no trial that reported loss (2 trials): check that training.metrics.loss matches a line the command prints`,
      );
    });

    it('cancel cancels the tuning job found by run id', async () => {
      const model = plan(tuning('f1', 'maximize'));
      const job = await submit(model);
      fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
      expect(await cancel(model)).toEqual({ runId: RUN, cancelled: 'cancelled', error: undefined });
      expect(fake.calls.CancelHyperparameterTuningJob).toBe(1);
      expect(fake.jobs.job(job.name).state).toBe('JOB_STATE_CANCELLING');
    });
  });

  describe('cancel', () => {
    it('a running job: CancelCustomJob, then CANCELLING until Vertex ends it CANCELLED; again: no second cancel; an ended job is left; no job: none', async () => {
      const model = plan();
      const job = await submit(model);
      fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
      const cancelled = await step({ action: 'cancel', input: executionInput(model, 'vertex', {}), runId: RUN, job, error: { Error: 'States.Timeout', Cause: 'poll timed out' } });
      expect(cancelled).toEqual({ runId: RUN, cancelled: 'cancelled', error: { Error: 'States.Timeout', Cause: 'poll timed out' } });
      expect(fake.calls.CancelCustomJob).toBe(1);
      expect(fake.jobs.job(job.name).state).toBe('JOB_STATE_CANCELLING');
      expect(await cancel(model, job)).toEqual(expect.objectContaining({ cancelled: 'cancelled' }));
      expect(fake.calls.CancelCustomJob).toBe(1);
      // Vertex finishes the cancellation (the fake's automatic mode moves CANCELLING to CANCELLED on the next look).
      fake.jobs.autoAdvance = true;
      expect((await poll(model, job)).status).toEqual(expect.objectContaining({ state: 'cancelled', detail: 'JOB_STATE_CANCELLED', message: 'CANCELLED' }));
      expect(fake.jobs.job(job.name).state).toBe('JOB_STATE_CANCELLED');
      fake.jobs.autoAdvance = false;
      fake.resetCounts();
      expect(await cancel(model, job)).toEqual(expect.objectContaining({ cancelled: 'ended' }));
      const succeeded = await submit(model, {}, 'r20261203t170000-zzzz');
      fake.succeedJob(succeeded.name);
      expect(await cancel(model, undefined, 'r20261203t170000-zzzz')).toEqual(expect.objectContaining({ cancelled: 'ended' }));
      expect(fake.writes).toBe(1); // the second submit only
      expect(await cancel(model, undefined, 'r20261203t180000-none')).toEqual(expect.objectContaining({ cancelled: 'none' }));
    });

    it('a job that ends between the look and the cancel is ended; another refusal is named', async () => {
      const model = plan();
      const job = await submit(model);
      fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
      const real = clients.jobs.cancelCustomJob.bind(clients.jobs);
      const spy = jest.spyOn(clients.jobs, 'cancelCustomJob').mockImplementationOnce(((request: { name: string }) => {
        fake.succeedJob(job.name);
        return real(request);
      }) as never);
      expect(await cancel(model, job)).toEqual(expect.objectContaining({ cancelled: 'ended' }));
      spy.mockRestore();

      const other = await submit(model, {}, 'r20261203t170000-zzzz');
      fake.faults.push({ method: 'CancelCustomJob', code: grpc.status.FAILED_PRECONDITION, times: 1, message: 'The job cannot be cancelled now.' });
      await expect(cancel(model, other)).rejects.toThrow(`vertex: fraud in staging: cancel ${other.name} failed: 9 FAILED_PRECONDITION: The job cannot be cancelled now.`);
    });

    it('the EventBridge event of an ABORTED execution cancels the job found by run id; another provider’s execution is ignored', async () => {
      const model = plan();
      const job = await submit(model);
      fake.advanceJob(job.name, 'JOB_STATE_RUNNING');
      const stopped = (input: unknown) => ({
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        detail: { executionArn: `arn:aws:states:us-east-1:222222222222:execution:acme-staging-training-vertex:${RUN}`, name: RUN, status: 'ABORTED', input: JSON.stringify(input) },
      });
      expect(await step(stopped(executionInput(model, 'vertex', {})))).toEqual({ runId: RUN, cancelled: 'cancelled', status: 'ABORTED' });
      expect(fake.jobs.job(job.name).state).toBe('JOB_STATE_CANCELLING');
      expect(await step(stopped({ ...executionInput(model, 'vertex', {}), provider: 'azureml' }))).toEqual({ ignored: 'not a vertex training execution' });
    });
  });

  describe('the handler’s onTrainingStep', () => {
    it('runs each step with the clients of the execution’s plan and closes them, on success and on failure; EventBridge’s input is detail.input', async () => {
      const model = plan();
      const made: VertexRunClients[] = [];
      const deps = {
        clients: (p: { region: string; workloadIdentityProvider?: string }) => {
          expect(p).toEqual(expect.objectContaining({ region: 'us-central1', workloadIdentityProvider: WIP }));
          const c = vertexRunClients(p.region, options());
          jest.spyOn(c.models, 'close');
          jest.spyOn(c.jobs, 'close');
          made.push(c);
          return c;
        },
      };
      const submitted = (await onTrainingStep({ action: 'submit', input: executionInput(model, 'vertex', {}), runId: RUN }, deps as never)) as PollResult;
      expect(submitted.kind).toBe('CustomJob');
      fake.advanceJob(submitted.name, 'JOB_STATE_RUNNING');
      const stopped = { 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { executionArn: 'arn', name: RUN, status: 'TIMED_OUT', input: JSON.stringify(executionInput(model, 'vertex', {})) } } as const;
      expect(await onTrainingStep(stopped, deps as never)).toEqual({ runId: RUN, cancelled: 'cancelled', status: 'TIMED_OUT' });
      fake.faults.push({ method: 'GetCustomJob', code: grpc.status.PERMISSION_DENIED, times: 1, message: 'Permission denied on resource.' });
      await expect(onTrainingStep({ action: 'poll', input: executionInput(model, 'vertex', {}), job: submitted }, deps as never)).rejects.toThrow(`vertex: fraud in staging: get ${submitted.name} failed: 7 PERMISSION_DENIED: Permission denied on resource.`);
      expect(made.map((c) => [(c.models.close as jest.Mock).mock.calls.length, (c.jobs.close as jest.Mock).mock.calls.length])).toEqual([
        [1, 1],
        [1, 1],
        [1, 1],
      ]);
    });

    it('without a workload identity provider, says what to set; another provider’s stopped execution is ignored without clients', async () => {
      const model = plan('', '');
      await expect(onTrainingStep({ action: 'submit', input: executionInput(model, 'vertex', {}), runId: RUN })).rejects.toThrow(
        'vertex: fraud in staging: environments.staging.gcp.workloadIdentityProvider is not set; the deploy role reaches Google only through workload identity federation (see docs/vertex.md)',
      );
      const other = { 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { executionArn: 'arn', name: RUN, status: 'ABORTED', input: JSON.stringify({ ...executionInput(model, 'vertex', {}), provider: 'azureml', model: { ...model, vertex: undefined } }) } } as const;
      expect(await onTrainingStep(other)).toEqual({ ignored: 'not a vertex training execution' });
      expect(await onTrainingStep({ ...other, detail: { ...other.detail, input: null } })).toEqual({ ignored: 'not a vertex training execution' });
      await expect(onTrainingStep({ action: 'submit', input: { ...executionInput(model, 'vertex', {}), provider: 'azureml' } as never, runId: RUN })).rejects.toThrow(
        'internal: a Vertex training step got an execution input without a vertex plan (provider azureml)',
      );
    });
  });

  describe('the bundled handler (dist/handlers/vertex)', () => {
    const file = path.resolve(__dirname, '../../dist/handlers/vertex/index.js');
    (existsSync(file) ? it : it.skip)('runs submit, poll and finish with its own pruned protos (JobService included), gRPC and auth', async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bundle = require(file) as typeof import('../../lib/handlers/vertex');
      const deps = {
        clients: () =>
          bundle.vertexRunClients('us-central1', { apiEndpoint: '127.0.0.1', port, sslCreds: bundle.grpc.credentials.createInsecure(), authClient: new bundle.googleAuthLibrary.PassThroughClient(), storageEndpoint: fake.storageEndpoint } as never),
      };
      const model = plan();
      const input = executionInput(model, 'vertex', {});
      const submitted = (await bundle.onTrainingStep({ action: 'submit', input, runId: RUN }, deps)) as PollResult;
      expect(fake.jobs.customJobs.get(submitted.name)?.labels).toEqual(expect.objectContaining({ 'mlspec-run': RUN }));
      fake.succeedJob(submitted.name, { metrics: { f1: 0.97 } });
      const polled = (await bundle.onTrainingStep({ action: 'poll', input, job: submitted }, deps)) as PollResult;
      expect(polled.status.state).toBe('succeeded');
      const finished = (await bundle.onTrainingStep({ action: 'finish', input, job: polled }, deps)) as FinishResult;
      expect(finished).toEqual(expect.objectContaining({ status: 'registered', version: '8', metrics: { f1: 0.97 } }));
    });
  });
});

describe('reading Cloud Storage objects over the JSON API', () => {
  let fake: FakeVertex;
  beforeAll(async () => {
    fake = new FakeVertex();
    await fake.start();
  });
  afterAll(() => fake.stop());
  const auth = new googleAuthLibrary.GoogleAuth({ authClient: new googleAuthLibrary.PassThroughClient() });

  it('encodes the object name as one path part, and reads a missing object as undefined', async () => {
    expect(encodePathPart("runs/a b/(1)!*'.json")).toBe('runs%2Fa%20b%2F%281%29%21%2A%27.json');
    fake.putObject("gs://acme-models/runs/a b/(1)!*'.json", '{"f1":1}');
    const reader = cloudStorageReader(auth, `${fake.storageEndpoint}/`);
    expect(await reader.read("gs://acme-models/runs/a b/(1)!*'.json")).toBe('{"f1":1}');
    expect(await reader.read('gs://acme-models/runs/missing.json')).toBeUndefined();
    expect(parseGcsUri('gs://b/x/y')).toEqual({ bucket: 'b', object: 'x/y' });
    await expect(reader.read('s3://acme-models/x')).rejects.toThrow('s3://acme-models/x is not a Cloud Storage object URI (gs://bucket/name)');
    await expect(reader.read('gs://acme-models/')).rejects.toThrow('gs://acme-models/ is not a Cloud Storage object URI (gs://bucket/name)');
  });

  it('the fake answers as the JSON API: the documented 404 body, metadata without alt=media, another path for an unencoded name', async () => {
    fake.putObject('gs://b/runs/r1/mlspec-metrics.json', '{"f1":0.9}');
    const get = (p: string, init?: RequestInit) => fetch(`${fake.storageEndpoint}${p}`, init);
    const media = await get(`/storage/v1/b/b/o/${encodeURIComponent('runs/r1/mlspec-metrics.json')}?alt=media`);
    expect([media.status, await media.text()]).toEqual([200, '{"f1":0.9}']);
    const meta = await get(`/storage/v1/b/b/o/${encodeURIComponent('runs/r1/mlspec-metrics.json')}`);
    expect(await meta.json()).toEqual(expect.objectContaining({ kind: 'storage#object', bucket: 'b', name: 'runs/r1/mlspec-metrics.json', size: '10' }));
    const missing = await get(`/storage/v1/b/b/o/${encodeURIComponent('runs/r2/mlspec-metrics.json')}?alt=media`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { errors: [{ domain: 'global', reason: 'notFound', message: 'No such object: b/runs/r2/mlspec-metrics.json' }], code: 404, message: 'No such object: b/runs/r2/mlspec-metrics.json' } });
    const unencoded = await get('/storage/v1/b/b/o/runs/r1/mlspec-metrics.json?alt=media');
    expect([unencoded.status, await unencoded.text()]).toEqual([404, 'Not Found']);
    const del = await get(`/storage/v1/b/b/o/${encodeURIComponent('runs/r1/mlspec-metrics.json')}`, { method: 'DELETE' });
    expect([del.status, ((await del.json()) as { error: { message: string } }).error.message]).toEqual([405, 'The fake Cloud Storage serves GET only, not DELETE.']);
    const bad = await get('/storage/v1/b/b/o/runs%E0%A4%A?alt=media');
    expect([bad.status, ((await bad.json()) as { error: { message: string } }).error.message]).toEqual([400, 'Invalid path encoding: /storage/v1/b/b/o/runs%E0%A4%A']);
    expect(() => fake.putObject('b/runs/x', '')).toThrow('b/runs/x is not a Cloud Storage object URI (gs://bucket/name)');
  });

  it('the fake’s jobs write their metrics where the launcher does, and refuse what cannot be', async () => {
    const parent = 'projects/p/locations/us-central1';
    const pool = { machineSpec: { machineType: 'n1-standard-4' }, replicaCount: '1', containerSpec: { imageUri: 'i' } };
    const handlers = fake.jobs.handlers();
    const custom = handlers.CreateCustomJob({ parent, customJob: { displayName: 'c', jobSpec: { workerPoolSpecs: [pool], baseOutputDirectory: { outputUriPrefix: 'gs://b/out/r1' } } } });
    fake.succeedJob(custom.name, { metrics: { f1: 0.9 } });
    expect(fake.objects.get('gs://b/out/r1/mlspec-metrics.json')).toBe('{"f1":0.9}');
    const bare = handlers.CreateCustomJob({ parent, customJob: { displayName: 'c', jobSpec: { workerPoolSpecs: [pool] } } });
    expect(() => fake.succeedJob(bare.name, { metrics: { f1: 0.9 } })).toThrow(`${bare.name} has no base_output_directory: its container gets no AIP_MODEL_DIR, so nothing writes a metrics file`);
    const tuned = handlers.CreateHyperparameterTuningJob({
      parent,
      hyperparameterTuningJob: {
        displayName: 't',
        studySpec: { metrics: [{ metricId: 'f1', goal: 'MAXIMIZE' }], parameters: [{ parameterId: 'lr', doubleValueSpec: { minValue: 0.1, maxValue: 1 } }] },
        maxTrialCount: 2,
        parallelTrialCount: 1,
        trialJobSpec: { workerPoolSpecs: [pool], baseOutputDirectory: { outputUriPrefix: 'gs://b/out/r2/' } },
      },
    });
    expect(() => fake.succeedJob(tuned.name, { metrics: { f1: 0.9 } })).toThrow(`${tuned.name} is a HyperparameterTuningJob: its metrics files are per trial (trials[].metrics)`);
    fake.succeedJob(tuned.name, { trials: [{ id: '7', parameters: [{ parameterId: 'lr', value: 0.5 }], metrics: { f1: 0.8 } }] });
    expect(fake.objects.get('gs://b/out/r2/7/mlspec-metrics.json')).toBe('{"f1":0.8}');
  });
});
