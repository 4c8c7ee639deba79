import { resolvePlan } from '../../lib/plan';
import { reconcileAzureMl } from '../../lib/providers/azureml';
import { reconcileVertex } from '../../lib/providers/vertex';
import { loadProjectText } from '../../lib/spec';
import { missingVersionMessage } from '../../lib/train/types';
import { FakeArm } from '../fakes/azureml/arm';
import { fakeClients } from './azureml/helpers';
import { withFakeVertex } from './vertex/helpers';
import { threeCloudsYaml } from '../helpers';

/** A trained label lives in the registry of the provider the model trains on; serving it elsewhere fails the deploy and says where it is. */
const SPEC = `project: acme
environments:
${threeCloudsYaml('dev')}
models:
  fraud:
    training:
      provider: sagemaker
      image: { sagemaker: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu }
      output: { sagemaker: s3://acme-models/fraud/ }
      resources: { accelerator: T4, count: 1 }
      metrics: { accuracy: "acc=([0-9.]+)" }
    versions:
      "7": { artifact: { sagemaker: s3://acme-models/fraud/7/model.tar.gz, vertex: gs://acme-models/fraud/7/, azureml: azureml://datastores/models/paths/fraud/7/ } }
    serving:
      image: { sagemaker: 111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud:1, vertex: us-docker.pkg.dev/acme/serve/fraud:1, azureml: acme.azurecr.io/fraud:1 }
      resources: { accelerator: T4, count: 1 }
`;
const model = () => resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', 'dev:\n  fraud: { traffic: { "7": 50, "12": 50 } }\n')).environments[0].models[0];
const target = { model: 'fraud', environment: 'dev' };

describe('serving a trained label where the model does not train', () => {
  it('Vertex: the deploy fails, naming the provider that holds trained versions, and deploys nothing', async () => {
    await withFakeVertex(async (fake, clients) => {
      await expect(reconcileVertex(model().vertex!, target, clients, { retries: 1, backoffMs: 5 })).rejects.toThrow(
        'vertex: fraud in dev: version 12 is not in the vertex registry; fraud trains on sagemaker, so trained versions are registered there only: serve 12 on sagemaker, or declare it in versions with a vertex artifact',
      );
      expect(fake.calls.DeployModel ?? 0).toBe(0);
    });
  });

  it('Azure ML: the deploy fails before any deployment of the missing label', async () => {
    const fake = new FakeArm();
    await fake.start();
    try {
      await expect(reconcileAzureMl(model().azureml!, target, fakeClients(fake), { updateIntervalInMs: 5 })).rejects.toThrow(
        'azureml: fraud in dev: version 12 is not in the azureml registry; fraud trains on sagemaker, so trained versions are registered there only: serve 12 on sagemaker, or declare it in versions with an azureml artifact',
      );
      expect(fake.count('PUT', /\/deployments\/v12$/)).toBe(0);
    } finally {
      fake.stop();
    }
  });
});

describe('missingVersionMessage', () => {
  it('asks for a run where the model trains on that provider, and for a declaration where it does not train', () => {
    expect(missingVersionMessage('azureml', target, '3', 'azureml')).toBe(
      'azureml: fraud in dev: version 3 is not in the azureml registry; train it first (mlspec train fraud --env dev), or declare it in versions with an azureml artifact',
    );
    expect(missingVersionMessage('vertex', target, '3', undefined)).toBe('vertex: fraud in dev: version 3 is not in the vertex registry; declare it in versions with a vertex artifact');
  });
});
