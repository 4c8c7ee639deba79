import { stringify } from 'yaml';

/** A spec of `models` models × 3 environments, all valid, for benchmarks. */
export function generateSpec(models: number): { spec: string; releases: string } {
  const environments = {
    dev: { aws: { account: '111111111111', region: 'us-east-1' } },
    staging: { aws: { account: '222222222222', region: 'us-east-1' }, promotion: { from: 'dev', minSoak: '2h' } },
    prod: { aws: { account: '333333333333', region: 'us-west-2' }, protected: true, promotion: { from: 'staging', minSoak: '24h', approval: 'required' } },
  };
  const specModels: Record<string, unknown> = {};
  const releases: Record<string, Record<string, unknown>> = { dev: {}, staging: {}, prod: {} };
  const accelerators = ['T4', 'A10G', 'L4'];
  for (let i = 0; i < models; i++) {
    const name = `model-${String(i).padStart(3, '0')}`;
    specModels[name] = {
      registry: { approval: i % 2 ? 'auto' : 'manual', gates: { accuracy: '>= 0.9' } },
      versions: Object.fromEntries(
        ['1', '2', '3'].map((v) => [v, { artifact: { sagemaker: `s3://bench-models/${name}/${v}/model.tar.gz` }, metrics: { accuracy: 0.9 + Number(v) / 100 } }]),
      ),
      serving: {
        image: { sagemaker: `111111111111.dkr.ecr.us-east-1.amazonaws.com/${name}:1` },
        resources: { accelerator: accelerators[i % accelerators.length], count: 1 },
        replicas: { min: 1, max: 4 },
        autoscaling: { metric: 'invocations', target: 100 },
        rollout: { strategy: 'canary', percent: 10, bake: '10m' },
        rollback: { errorRate: '1%', p99Latency: '800ms' },
        dataCapture: { percent: 10 },
      },
    };
    // Every fifth model trains on SageMaker (every tenth tunes), so synth figures count the training pipelines too.
    if (i % 5 === 0) {
      specModels[name] = {
        ...(specModels[name] as object),
        training: {
          image: { sagemaker: `111111111111.dkr.ecr.us-east-1.amazonaws.com/${name}-train:1` },
          command: ['python', 'train.py'],
          hyperparameters: { epochs: 10, lr: 0.001 },
          inputs: { train: { sagemaker: `s3://bench-data/${name}/train/` } },
          output: { sagemaker: `s3://bench-models/${name}/` },
          resources: { accelerator: 'A10G', count: 1 },
          metrics: { accuracy: 'acc=([0-9.]+)' },
          ...(i % 10 === 0 ? { tuning: { objective: { metric: 'accuracy', goal: 'maximize' }, parameters: { lr: { min: 1e-5, max: 1e-2, scale: 'log' } }, maxTrials: 10, parallelTrials: 2 } } : {}),
          schedule: 'weekly',
        },
      };
    }
    releases.dev[name] = { traffic: { '3': 100 } };
    releases.staging[name] = { traffic: { '2': 90, '3': 10 } };
    releases.prod[name] = { traffic: { '2': 100 }, shadow: { version: '3', percent: 10 } };
  }
  return { spec: stringify({ project: 'bench', environments, models: specModels }), releases: stringify(releases) };
}
