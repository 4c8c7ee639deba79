import { resolvePlan, type ModelPlan } from '../../../lib/plan';
import { armRequest } from '../../../lib/providers/azureml/clients';
import { azureMlTrainingJob, trainingEnvironment } from '../../../lib/providers/azureml/training';
import { loadProjectText } from '../../../lib/spec';
import { LAUNCHER } from '../../../lib/train/launcher';
import { FakeArm } from '../../fakes/azureml/arm';
import { fakeClients, WS } from './helpers';

/** The Azure ML job a run submits, field by field against the spec, and accepted by the fake ARM's published job definitions. */
const spec = (tuning: string) => `project: acme
environments:
  staging:
    azure: { subscription: 00000000-0000-0000-0000-000000000002, resourceGroup: ml-staging, workspace: acme-staging, region: eastus }
models:
  fraud:
    training:
      image: { azureml: acme.azurecr.io/fraud-train:1.4 }
      command: [python, train.py, --note, "it's"]
      hyperparameters: { epochs: 10, lr: 0.001 }
      inputs:
        train: { azureml: azureml://datastores/data/paths/fraud/train/ }
      output: { azureml: azureml://datastores/models/paths/fraud }
      checkpoints: { azureml: azureml://datastores/models/paths/fraud/ckpt/ }
      resources: { accelerator: A100, count: 8, nodes: 2 }
      distribution: pytorch
      spot: { maxWait: 24h }
      maxRuntime: 12h
      env: { NCCL_DEBUG: WARN }
      metrics: { val_f1: "val_f1=([0-9.]+)" }
${tuning}    registry: { gates: { val_f1: ">= 0.9" } }
`;
const TUNING = `      tuning:
        objective: { metric: val_f1, goal: maximize }
        strategy: random
        parameters:
          lr: { min: 1.0e-5, max: 1.0e-2, scale: log }
          layers: { min: 2, max: 8, type: integer }
          dropout: { min: 0.1, max: 0.5 }
          batch_size: { values: [32, 64, 128] }
        maxTrials: 20
        parallelTrials: 4
`;
const plan = (tuning = ''): ModelPlan => resolvePlan(loadProjectText(spec(tuning), 'mlspec.yaml', 'staging: {}\n')).environments[0].models[0];

describe('an Azure ML training run', () => {
  it('is a command job on serverless compute: VM size, nodes, one process per GPU, spot, timeout, inputs and outputs, the launcher', () => {
    const req = azureMlTrainingJob(plan(), 'run-1', { epochs: '10', lr: '0.001' });
    expect(req.path).toBe(`${WS}/jobs/acme-fraud-staging-run-1`);
    expect(req.apiVersion).toBe('2024-04-01');
    const p = req.body.properties as any;
    expect(p.jobType).toBe('Command');
    expect(p.computeId).toBeUndefined();
    expect(p.resources).toEqual({ instanceType: 'Standard_ND96asr_v4', instanceCount: 2 });
    expect(p.distribution).toEqual({ distributionType: 'PyTorch', processCountPerInstance: 8 });
    expect(p.queueSettings).toEqual({ jobTier: 'Spot' });
    expect(p.limits).toEqual({ jobLimitsType: 'Command', timeout: 'PT43200S' });
    expect(p.inputs).toEqual({ train: { jobInputType: 'uri_folder', uri: 'azureml://datastores/data/paths/fraud/train/', mode: 'ReadOnlyMount' } });
    expect(p.outputs).toEqual({
      model: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/models/paths/fraud/run-1/model/', mode: 'ReadWriteMount' },
      mlspec: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/models/paths/fraud/run-1/mlspec/', mode: 'ReadWriteMount' },
      checkpoints: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/models/paths/fraud/ckpt/', mode: 'ReadWriteMount' },
    });
    expect(p.command).toBe(
      "MLSPEC_MODEL_DIR=${{outputs.model}} MLSPEC_METRICS_FILE=${{outputs.mlspec}}/metrics.json MLSPEC_CHECKPOINT_DIR=${{outputs.checkpoints}} MLSPEC_INPUT_TRAIN=${{inputs.train}} python3 -c 'import os; exec(os.environ[\"MLSPEC_LAUNCH\"])' python train.py --note 'it'\\''s' --epochs 10 --lr 0.001",
    );
    // MLSPEC_MLFLOW: the launcher logs the matched metrics to the job's MLflow run, where mlspec reads them back.
    expect(p.environmentVariables).toEqual({ NCCL_DEBUG: 'WARN', MLSPEC_LAUNCH: LAUNCHER, MLSPEC_METRICS: '{"val_f1":"val_f1=([0-9.]+)"}', MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_STARTS_PROCESSES: 'provider', MLSPEC_MLFLOW: '1' });
    expect(p.environmentId).toBe(trainingEnvironment(plan()).path);
  });

  it('is a sweep job when the spec tunes: natural-log bounds for log ranges, q 1 for whole numbers, choices, objective and limits', () => {
    const p = azureMlTrainingJob(plan(TUNING), 'run-2', { epochs: '10' }).body.properties as any;
    expect(p.jobType).toBe('Sweep');
    // Each trial writes below its own job name (Azure's server expression), so the best trial's model is its own.
    expect(p.outputs.model.uri).toBe('azureml://datastores/models/paths/fraud/run-2/${{name}}/model/');
    expect(p.outputs.mlspec.uri).toBe('azureml://datastores/models/paths/fraud/run-2/${{name}}/mlspec/');
    expect(p.samplingAlgorithm).toEqual({ samplingAlgorithmType: 'Random' });
    expect(p.searchSpace).toEqual({
      lr: ['loguniform', [Math.log(1e-5), Math.log(1e-2)]],
      layers: ['quniform', [2, 8, 1]],
      dropout: ['uniform', [0.1, 0.5]],
      batch_size: ['choice', [[32, 64, 128]]],
    });
    expect(p.objective).toEqual({ goal: 'Maximize', primaryMetric: 'val_f1' });
    expect(p.limits).toEqual({ jobLimitsType: 'Sweep', maxTotalTrials: 20, maxConcurrentTrials: 4, trialTimeout: 'PT43200S' });
    expect(p.trial.command).toMatch(/ --epochs 10 --lr \$\{\{search_space\.lr\}\} --layers \$\{\{search_space\.layers\}\} --dropout \$\{\{search_space\.dropout\}\} --batch_size \$\{\{search_space\.batch_size\}\}$/);
    expect(p.trial.environmentVariables.MLSPEC_MLFLOW).toBe('1');
  });

  it('is accepted by the fake ARM, which checks the bodies against the published 2024-04-01 definitions, and samples lr from 1e-5 to 1e-2', async () => {
    const fake = new FakeArm();
    await fake.start();
    try {
      const clients = fakeClients(fake);
      const env = trainingEnvironment(plan(TUNING));
      await armRequest(clients, 'PUT', env.path, env.body, env.apiVersion);
      const command = azureMlTrainingJob(plan(), 'run-1', { epochs: '10', lr: '0.001' });
      expect((await armRequest(clients, "PUT", command.path, command.body, command.apiVersion)).body?.properties.status).toBe("NotStarted");
      const sweep = azureMlTrainingJob(plan(TUNING), 'run-2', { epochs: '10' });
      await armRequest(clients, 'PUT', sweep.path, sweep.body, sweep.apiVersion);
      const range = fake.sweepSearchRange('acme-fraud-staging-run-2', 'lr');
      expect(range.low).toBeCloseTo(1e-5, 12);
      expect(range.high).toBeCloseTo(1e-2, 12);
    } finally {
      fake.stop();
    }
  });
});
