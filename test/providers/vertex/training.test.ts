import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/aiplatform';
import { googleAuthLibrary } from 'google-gax';
import { resolvePlan, type ModelPlan } from '../../../lib/plan';
import { vertexDryRun, vertexTrainingJob } from '../../../lib/providers/vertex/training';
import { loadProjectText } from '../../../lib/spec';
import { LAUNCHER, LAUNCH_COMMAND } from '../../../lib/train/launcher';
import { FakeVertex } from '../../fakes/vertex/server';

/** The Vertex job a run submits, field by field against the spec, and accepted by the fake JobService. */
const spec = (tuning: string) => `project: acme
environments:
  dev:
    gcp: { project: acme-ml-dev, region: us-central1 }
models:
  ranker:
    training:
      image: { vertex: us-docker.pkg.dev/acme/train/ranker:4 }
      command: [python, train.py]
      hyperparameters: { epochs: 10, lr: 0.001 }
      inputs:
        train: { vertex: gs://acme-data/ranker/train/ }
      output: { vertex: gs://acme-models/ranker }
      checkpoints: { vertex: gs://acme-models/ranker/ckpt/ }
      resources: { accelerator: A100, count: 8, nodes: 3 }
      distribution: pytorch
      spot: { maxWait: 24h }
      maxRuntime: 12h
      env: { NCCL_DEBUG: WARN, SAVE_TO: "\${model_dir}/weights" }
      metrics: { ndcg: "ndcg=([0-9.]+)", loss: "loss=([0-9.]+)" }
${tuning}    registry: { gates: { ndcg: ">= 0.7" } }
`;
const TUNING = `      tuning:
        objective: { metric: ndcg, goal: maximize }
        strategy: random
        parameters:
          lr: { min: 1.0e-5, max: 1.0e-2, scale: log }
          layers: { min: 2, max: 8, type: integer }
          batch_size: { values: [128, 32, 64] }
          optimizer: { values: [adam, sgd] }
        maxTrials: 20
        parallelTrials: 4
`;
const plan = (tuning = ''): ModelPlan => resolvePlan(loadProjectText(spec(tuning), 'mlspec.yaml', 'dev: {}\n')).environments[0].models[0];

describe('a Vertex training run', () => {
  it('is a CustomJob: a chief pool and nodes − 1 workers on the catalog machine, spot, timeout, output and the launcher', () => {
    const job = vertexTrainingJob(plan(), 'run-1', { epochs: '10', lr: '0.001' }, { train: 'gs://acme-data/ranker/train/' });
    expect(job.kind).toBe('CustomJob');
    expect(job.parent).toBe('projects/acme-ml-dev/locations/us-central1');
    const j = job.job as any;
    expect(j.displayName).toBe('acme-ranker-dev-run-1');
    expect(j.labels).toEqual({ 'managed-by': 'mlspec', 'mlspec-project': 'acme', 'mlspec-model': 'ranker', 'mlspec-environment': 'dev', 'mlspec-run': 'run-1' });
    const [chief, workers] = j.jobSpec.workerPoolSpecs;
    expect(j.jobSpec.workerPoolSpecs).toHaveLength(2);
    expect(chief.replicaCount).toBe('1');
    expect(workers.replicaCount).toBe('2');
    expect(chief.machineSpec).toEqual({ machineType: 'a2-highgpu-8g', acceleratorType: 'NVIDIA_TESLA_A100', acceleratorCount: 8 });
    expect(workers.machineSpec).toEqual(chief.machineSpec);
    expect(chief.containerSpec.imageUri).toBe('us-docker.pkg.dev/acme/train/ranker:4');
    expect(chief.containerSpec.command).toEqual(LAUNCH_COMMAND);
    expect(chief.containerSpec.args).toEqual(['python', 'train.py', '--epochs', '10', '--lr', '0.001']);
    const env = Object.fromEntries(chief.containerSpec.env.map((e: any) => [e.name, e.value]));
    expect(env).toEqual({
      NCCL_DEBUG: 'WARN',
      SAVE_TO: '${model_dir}/weights',
      MLSPEC_INPUT_TRAIN: '/gcs/acme-data/ranker/train/',
      MLSPEC_LAUNCH: LAUNCHER,
      MLSPEC_METRICS: JSON.stringify({ ndcg: 'ndcg=([0-9.]+)', loss: 'loss=([0-9.]+)' }),
      MLSPEC_DISTRIBUTION: 'pytorch',
      MLSPEC_NPROC: '8',
    });
    expect(j.jobSpec.scheduling).toEqual({ timeout: { seconds: '43200' }, strategy: 'SPOT', restartJobOnWorkerRestart: true });
    expect(j.jobSpec.baseOutputDirectory).toEqual({ outputUriPrefix: 'gs://acme-models/ranker/run-1/' });
  });

  it('is a HyperparameterTuningJob when the spec tunes: objective, ranges with their scales, lists, limits and strategy', () => {
    const job = vertexTrainingJob(plan(TUNING), 'run-2', { epochs: '10' }, {});
    expect(job.kind).toBe('HyperparameterTuningJob');
    const j = job.job as any;
    expect(j.studySpec).toEqual({
      metrics: [{ metricId: 'ndcg', goal: 'MAXIMIZE' }],
      parameters: [
        { parameterId: 'lr', doubleValueSpec: { minValue: 1e-5, maxValue: 1e-2 }, scaleType: 'UNIT_LOG_SCALE' },
        { parameterId: 'layers', integerValueSpec: { minValue: '2', maxValue: '8' }, scaleType: 'UNIT_LINEAR_SCALE' },
        { parameterId: 'batch_size', discreteValueSpec: { values: [32, 64, 128] } },
        { parameterId: 'optimizer', categoricalValueSpec: { values: ['adam', 'sgd'] } },
      ],
      algorithm: 'RANDOM_SEARCH',
    });
    expect(j.maxTrialCount).toBe(20);
    expect(j.parallelTrialCount).toBe(4);
    // Tuned values are appended by Vertex as --name=value; the fixed ones are ours.
    expect(j.trialJobSpec.workerPoolSpecs[0].containerSpec.args).toEqual(['python', 'train.py', '--epochs', '10']);
    expect(j.trialJobSpec.workerPoolSpecs[0].containerSpec.env).toContainEqual({ name: 'MLSPEC_HYPERTUNE_METRIC', value: 'ndcg' });
  });

  it('is accepted by the fake JobService, which holds jobs to the published protos', async () => {
    const fake = new FakeVertex();
    const port = await fake.start();
    const client = new v1.JobServiceClient({ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never);
    try {
      const custom = vertexTrainingJob(plan(), 'run-1', { epochs: '10', lr: '0.001' }, { train: 'gs://acme-data/ranker/train/' });
      const [created] = await client.createCustomJob({ parent: custom.parent, customJob: custom.job as never });
      expect(created.state).toBe('JOB_STATE_QUEUED');
      const tuning = vertexTrainingJob(plan(TUNING), 'run-2', { epochs: '10' }, {});
      const [hp] = await client.createHyperparameterTuningJob({ parent: tuning.parent, hyperparameterTuningJob: tuning.job as never });
      expect(hp.studySpec!.parameters).toHaveLength(4);
    } finally {
      await client.close();
      await fake.stop();
    }
  });
});

describe('mlspec train --dry-run on Vertex', () => {
  it('shows the one request a run sends, with --set values, and refuses to set a searched hyperparameter', () => {
    const dry = vertexDryRun(plan(), { epochs: '3', 'inputs.train': 'gs://acme-data/ranker/train-v2/' }, 'run-7');
    expect(dry.declared).toBeUndefined();
    expect(dry.requests.map((r) => [r.service, r.operation, r.why])).toEqual([['aiplatform', 'CreateCustomJob', 'starts the run']]);
    const pool = (dry.requests[0].input as any).customJob.jobSpec.workerPoolSpecs[0];
    expect(pool.containerSpec.args).toEqual(['python', 'train.py', '--epochs', '3', '--lr', '0.001']);
    expect(pool.containerSpec.env).toContainEqual({ name: 'MLSPEC_INPUT_TRAIN', value: '/gcs/acme-data/ranker/train-v2/' });
    expect(() => vertexDryRun(plan(TUNING), { lr: '0.1' })).toThrow('--set lr: lr is searched by training.tuning.parameters.lr; a run cannot fix it (remove it from tuning to set it)');
  });
});
