import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LAUNCHER, LAUNCH_COMMAND, LAUNCH_ENV } from '../../lib/train/launcher';

/** The launcher around training.command on Vertex and Azure ML, run by a real python3 as those clouds run it. */
describe('the training launcher', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-launch-'));
  // A stand-in torchrun that prints how it was called, then runs the command after --no-python.
  const bin = path.join(dir, 'bin');
  require('node:fs').mkdirSync(bin);
  writeFileSync(path.join(bin, 'torchrun'), '#!/bin/sh\necho "torchrun $*"\nwhile [ "$1" != "--no-python" ]; do shift; done\nshift\nexec "$@"\n');
  chmodSync(path.join(bin, 'torchrun'), 0o755);

  const launch = (command: string[], env: Record<string, string>) =>
    spawnSync(LAUNCH_COMMAND[0], [...LAUNCH_COMMAND.slice(1), ...command], {
      env: { PATH: `${bin}:${process.env.PATH}`, [LAUNCH_ENV]: LAUNCHER, ...env },
      encoding: 'utf8',
    });
  const job = ['sh', '-c', 'echo "epoch 1 val_f1=0.91 acc=0.5"; echo "epoch 2 val_f1=0.93"; echo "noise val_f1=abc"; exit "${EXIT:-0}"'];
  const metrics = JSON.stringify({ val_f1: 'val_f1=([0-9.]+)', accuracy: 'acc=([0-9.]+)' });

  it('passes every line through, keeps the last match of each metric, and writes them to the metrics file', () => {
    const file = path.join(dir, 'out', 'metrics.json');
    const r = launch(job, { MLSPEC_METRICS: metrics, MLSPEC_METRICS_FILE: file });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('epoch 1 val_f1=0.91 acc=0.5\nepoch 2 val_f1=0.93\nnoise val_f1=abc\n');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ val_f1: 0.93, accuracy: 0.5 });
  });

  it("writes the objective as a line of Vertex's hyperparameter-tuning metric file", () => {
    const file = path.join(dir, 'hypertune', 'output.metrics');
    const r = launch(job, { MLSPEC_METRICS: metrics, MLSPEC_HYPERTUNE_METRIC: 'val_f1', CLOUD_ML_HP_METRIC_FILE: file, CLOUD_ML_TRIAL_ID: '7' });
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toEqual(expect.objectContaining({ val_f1: 0.93, trial: '7', global_step: '0' }));
  });

  it("exits with the command's code, and reports nothing of a failed command (a failed sweep trial must not win)", () => {
    const file = path.join(dir, 'failed', 'metrics.json');
    const hypertune = path.join(dir, 'failed', 'output.metrics');
    const r = launch(job, { MLSPEC_METRICS: metrics, MLSPEC_METRICS_FILE: file, MLSPEC_HYPERTUNE_METRIC: 'val_f1', CLOUD_ML_HP_METRIC_FILE: hypertune, EXIT: '3' });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('val_f1');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(hypertune)).toBe(false);
  });

  it('starts pytorch on one node under torchrun --standalone', () => {
    const r = launch(['sh', '-c', 'echo ran'], { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_NPROC: '4' });
    expect(r.stdout).toBe('torchrun --standalone --nnodes=1 --nproc_per_node=4 --no-python sh -c echo ran\nran\n');
  });

  it("starts pytorch across Vertex's pools from CLUSTER_SPEC, and only the chief reports", () => {
    const cluster = (type: string, index: number) => JSON.stringify({ cluster: { workerpool0: ['chief-0:2222'], workerpool1: ['w-0:2222', 'w-1:2222'] }, task: { type, index } });
    const file = path.join(dir, 'pools', 'metrics.json');
    const worker = launch(['sh', '-c', 'echo val_f1=0.5'], { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_NPROC: '8', CLUSTER_SPEC: cluster('workerpool1', 1), MLSPEC_METRICS: metrics, MLSPEC_METRICS_FILE: file });
    expect(worker.stdout.split('\n')[0]).toBe('torchrun --nnodes=3 --nproc_per_node=8 --node_rank=2 --master_addr=chief-0 --master_port=29500 --no-python sh -c echo val_f1=0.5');
    expect(existsSync(file)).toBe(false);
    const chief = launch(['sh', '-c', 'echo val_f1=0.5'], { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_NPROC: '8', CLUSTER_SPEC: cluster('workerpool0', 0), MLSPEC_METRICS: metrics, MLSPEC_METRICS_FILE: file });
    expect(chief.stdout.split('\n')[0]).toContain('--node_rank=0 --master_addr=chief-0');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ val_f1: 0.5 });
  });

  it('leaves process start-up to Azure ML where it starts one process per GPU, and only rank 0 reports', () => {
    const file = path.join(dir, 'azure', 'metrics.json');
    const rank1 = launch(['sh', '-c', 'echo val_f1=0.5'], { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_STARTS_PROCESSES: 'provider', RANK: '1', MLSPEC_METRICS: metrics, MLSPEC_METRICS_FILE: file });
    expect(rank1.stdout).toBe('val_f1=0.5\n');
    expect(existsSync(file)).toBe(false);
    launch(['sh', '-c', 'echo val_f1=0.5'], { MLSPEC_DISTRIBUTION: 'pytorch', MLSPEC_STARTS_PROCESSES: 'provider', RANK: '0', MLSPEC_METRICS: metrics, MLSPEC_METRICS_FILE: file });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ val_f1: 0.5 });
  });
});

describe("the training launcher on Vertex's directories", () => {
  it('turns AIP_MODEL_DIR into the /gcs mount, resolves ${model_dir} in variables, and reports beside the model', () => {
    const r = spawnSync(LAUNCH_COMMAND[0], [...LAUNCH_COMMAND.slice(1), 'sh', '-c', 'echo "$MLSPEC_MODEL_DIR $MLSPEC_CHECKPOINT_DIR $SAVE_TO"'], {
      env: { PATH: process.env.PATH, [LAUNCH_ENV]: LAUNCHER, AIP_MODEL_DIR: 'gs://acme-models/fraud/run-1/model/', AIP_CHECKPOINT_DIR: 'gs://acme-models/fraud/run-1/checkpoints/', SAVE_TO: '${model_dir}/weights' },
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('/gcs/acme-models/fraud/run-1/model/ /gcs/acme-models/fraud/run-1/checkpoints/ /gcs/acme-models/fraud/run-1/model/weights\n');
  });
});

describe("the training launcher on Azure ML's MLflow", () => {
  it("logs each matched metric to the job's MLflow run, with the job's token", async () => {
    const http = await import('node:http');
    const got: { path: string; auth: string; body: any }[] = [];
    const server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        got.push({ path: req.url!, auth: String(req.headers.authorization), body: JSON.parse(data) });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { spawn } = await import('node:child_process');
    const child = spawn(LAUNCH_COMMAND[0], [...LAUNCH_COMMAND.slice(1), 'sh', '-c', 'echo "ndcg=0.74 loss=0.2"'], {
      env: { PATH: process.env.PATH, [LAUNCH_ENV]: LAUNCHER, MLSPEC_MLFLOW: '1', MLSPEC_METRICS: JSON.stringify({ ndcg: 'ndcg=([0-9.]+)', loss: 'loss=([0-9.]+)' }), MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}/mlflow/v1.0/ws`, MLFLOW_RUN_ID: 'run-9', MLFLOW_TRACKING_TOKEN: 'tok' },
    });
    const code = await new Promise((r) => child.on('exit', r));
    server.close();
    expect(code).toBe(0);
    expect(got.map((g) => [g.path, g.auth, g.body.run_id, g.body.key, g.body.value, g.body.step])).toEqual([
      ['/mlflow/v1.0/ws/api/2.0/mlflow/runs/log-metric', 'Bearer tok', 'run-9', 'ndcg', 0.74, 0],
      ['/mlflow/v1.0/ws/api/2.0/mlflow/runs/log-metric', 'Bearer tok', 'run-9', 'loss', 0.2, 0],
    ]);
  });
});
