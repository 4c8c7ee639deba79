import { formatPlan, resolvePlan } from '../../lib/plan';
import { loadProjectText } from '../../lib/spec';
import { baseSpec, errorsOf, mutate, withAzure, yamlErrorsOf } from '../helpers';

/** training.provider: a model trains on one provider; every message of that rule. */
describe('where a model trains', () => {
  const training = (images: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    image: images,
    output: { sagemaker: 's3://acme-models/fraud/', azureml: 'azureml://datastores/models/paths/fraud/' },
    resources: { accelerator: 'A100', count: 8 },
    command: ['python', 'train.py'],
    metrics: { accuracy: 'acc=([0-9.]+)' },
    ...extra,
  });
  const SM = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu';
  const AZ = 'acme.azurecr.io/fraud-train:1';

  it('is inferred from the only training image', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => (s.models.fraud.training = training({ azureml: AZ })));
    expect(errorsOf(spec)).toEqual([]);
  });

  it('is required when several providers have a training image', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => (s.models.fraud.training = training({ sagemaker: SM, azureml: AZ })));
    expect(errorsOf(spec)).toEqual([
      'models.fraud.training.provider: missing; training.image has sagemaker and azureml images and a model trains on one provider: add provider: sagemaker or provider: azureml here',
    ]);
  });

  it('needs a training image to train at all', () => {
    const spec = mutate(baseSpec(), (s) => (s.models.fraud.training = training({})));
    expect(errorsOf(spec)).toEqual(['models.fraud.training.provider: missing; training.image names no provider: add an image and provider: sagemaker here']);
  });

  it('must be a provider the model uses', () => {
    const spec = mutate(baseSpec(), (s) => (s.models.fraud.training = training({ sagemaker: SM }, { provider: 'vertex' })));
    expect(errorsOf(spec)).toEqual(['models.fraud.training.provider: the model trains on vertex, which it does not use (it uses sagemaker); train on one of those, or add vertex to providers']);
  });

  it('must have a training image', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => (s.models.fraud.training = training({ sagemaker: SM }, { provider: 'azureml' })));
    expect(errorsOf(spec)).toEqual(['models.fraud.training.image: training.provider is azureml, which has no training image; add training.image.azureml']);
  });

  it('points at the training key of the YAML when missing', () => {
    const yaml = `project: acme
environments:
  dev:
    aws: { account: "111111111111", region: us-east-1 }
    azure: { subscription: 00000000-0000-0000-0000-000000000001, resourceGroup: ml, workspace: acme-dev, region: eastus }
models:
  fraud:
    training:
      image: { sagemaker: ${SM}, azureml: ${AZ} }
      output: { sagemaker: s3://m/, azureml: azureml://datastores/models/paths/fraud/ }
      resources: { accelerator: A100, count: 8 }
`;
    expect(yamlErrorsOf(yaml, 'dev: {}\n')).toEqual([
      'mlspec.yaml:8:5  models.fraud.training.provider: missing; training.image has sagemaker and azureml images and a model trains on one provider: add provider: sagemaker or provider: azureml here',
    ]);
  });

  it('prices only that provider\'s run, and the others only serve', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => (s.models.fraud.training = training({ sagemaker: SM, azureml: AZ }, { provider: 'azureml' })));
    const plan = resolvePlan(loadProjectText(JSON.stringify(spec), 'mlspec.yaml', JSON.stringify({ dev: { fraud: { traffic: { '8': 100 } } } })));
    const model = plan.environments[0].models[0];
    expect(model.azureml!.training).toBeDefined();
    expect(model.azureml!.cost.trainingRunUsd).toBeGreaterThan(0);
    expect(model.sagemaker!.training).toBeUndefined();
    expect(model.sagemaker!.cost.trainingRunUsd).toBeUndefined();
  });
});

describe('training on Vertex AI and Azure ML', () => {
  it('needs the command, which runs inside mlspec\'s launcher', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => {
      s.models.fraud.training = { image: { azureml: 'acme.azurecr.io/fraud-train:1' }, output: { azureml: 'azureml://datastores/models/paths/fraud/' }, resources: { accelerator: 'A100', count: 8 }, metrics: { accuracy: 'acc=([0-9.]+)' } };
    });
    expect(errorsOf(spec)).toEqual([
      'models.fraud.training.command: missing; on azureml mlspec runs training.command in its launcher, which reads training.metrics from the output and starts torchrun: add the command here, such as command: [python, train.py]',
    ]);
  });
});

describe('tuning on Azure ML', () => {
  it("refuses a log-scaled range with Bayesian sampling, which Azure's Bayesian sampling does not take", () => {
    const spec = mutate(withAzure(baseSpec()), (s) => {
      s.models.fraud.training = {
        image: { azureml: 'acme.azurecr.io/fraud-train:1' },
        output: { azureml: 'azureml://datastores/models/paths/fraud/' },
        resources: { accelerator: 'A100', count: 8 },
        command: ['python', 'train.py'],
        metrics: { accuracy: 'acc=([0-9.]+)' },
        tuning: { objective: { metric: 'accuracy', goal: 'maximize' }, parameters: { lr: { min: 1e-5, max: 1e-2, scale: 'log' } }, maxTrials: 10 },
      };
    });
    expect(errorsOf(spec)).toEqual(["models.fraud.training.tuning.parameters.lr.scale: Azure ML's Bayesian sampling takes no log-scaled range; use strategy: random, or a linear scale"]);
  });
});

describe('the plan of a model that trains on Azure ML', () => {
  it('says a run is an execution of the environment\'s state machine: what it trains, checks and registers', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => {
      s.models.fraud.training = { image: { azureml: 'acme.azurecr.io/fraud-train:1' }, command: ['python', 'train.py'], output: { azureml: 'azureml://datastores/models/paths/fraud/' }, resources: { accelerator: 'A100', count: 8 }, metrics: { accuracy: 'acc=([0-9.]+)' } };
    });
    const text = formatPlan(resolvePlan(loadProjectText(JSON.stringify(spec), 'mlspec.yaml', JSON.stringify({ dev: { fraud: { traffic: { '8': 100 } } } }))));
    expect(text).toContain('      a run of state machine mlspec-acme-dev-azureml-training: trains once, checks accuracy >= 0.95, registers the next version of acme-fraud; starts with mlspec train');
  });
});
