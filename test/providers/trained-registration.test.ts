import { resolvePlan } from '../../lib/plan';
import { registerTrainedAzureMlVersion } from '../../lib/providers/azureml/registry';
import { registerTrainedVertexVersion } from '../../lib/providers/vertex/registry';
import { loadProjectText } from '../../lib/spec';
import { nextTrainedLabel } from '../../lib/train/types';
import { FakeArm } from '../fakes/azureml/arm';
import { fakeClients, WS } from './azureml/helpers';
import { withFakeVertex } from './vertex/helpers';

/** Registering a trained version (the last step of a Vertex or Azure ML run): once, with its metrics, under one label. */
const SPEC = `project: acme
environments:
  staging:
    gcp: { project: acme-ml-staging, region: us-central1 }
    azure: { subscription: 00000000-0000-0000-0000-000000000002, resourceGroup: ml-staging, workspace: acme-staging, region: eastus }
models:
  fraud:
    training:
      provider: vertex
      image: { vertex: us-docker.pkg.dev/acme/train/fraud:1, azureml: acme.azurecr.io/fraud-train:1 }
      command: [python, train.py]
      output: { vertex: gs://acme-models/fraud/, azureml: azureml://datastores/models/paths/fraud/ }
      resources: { accelerator: T4, count: 1 }
      metrics: { f1: "f1=([0-9.]+)" }
    versions:
      "7": { artifact: { vertex: gs://acme-models/fraud/7/, azureml: azureml://datastores/models/paths/fraud/7/ } }
    serving:
      image: { vertex: us-docker.pkg.dev/acme/serve/fraud:1, azureml: acme.azurecr.io/fraud:1 }
      resources: { accelerator: T4, count: 1 }
`;
const model = () => resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', 'staging:\n  fraud: { traffic: { "7": 100 } }\n')).environments[0].models[0];
const target = { model: 'fraud', environment: 'staging' };

describe('the next trained label', () => {
  it('is the next whole number above every numeric label, on any provider', () => {
    expect(nextTrainedLabel(['7', '2024-06', '12', 'v3'])).toBe('13');
    expect(nextTrainedLabel([])).toBe('1');
    expect(nextTrainedLabel(['canary'])).toBe('1');
  });
});

describe('registering a trained version', () => {
  it('Vertex: a new version of the model with alias v<label>, its metrics as labels and the serving container; a retry uploads nothing', async () => {
    await withFakeVertex(async (fake, clients) => {
      const plan = model().vertex!;
      const version = { label: '8', artifactUri: 'gs://acme-models/fraud/r1/model/', metrics: { f1: 0.93 }, runId: 'r20261203t154512-k3f9' };
      const name = await registerTrainedVertexVersion(plan, target, clients, version, { retries: 1, backoffMs: 5 });
      const [versions] = [...fake.models.values()];
      const trained = versions.find((v: any) => v.versionAliases.includes('v8'))!;
      expect(trained.artifactUri).toBe('gs://acme-models/fraud/r1/model/');
      expect(trained.labels).toEqual(expect.objectContaining({ 'mlspec-version': '8', 'metric-f1': '0_93', 'mlspec-trained': 'true', 'mlspec-run': 'r20261203t154512-k3f9' }));
      expect(trained.containerSpec.imageUri).toBe('us-docker.pkg.dev/acme/serve/fraud:1');
      fake.resetCounts();
      expect(await registerTrainedVertexVersion(plan, target, clients, version, { retries: 1, backoffMs: 5 })).toBe(name);
      expect(fake.writes).toBe(0);
      await expect(registerTrainedVertexVersion({ ...plan, serving: undefined, registerWith: undefined }, target, clients, { ...version, label: '9' })).rejects.toThrow(
        'vertex: fraud in staging: version 9 was trained, but the model has no serving.image.vertex to register it with; add serving.image.vertex',
      );
    });
  });

  it("Azure ML: version <label> from the job's model output, tagged with its metrics; a retry writes nothing; a registry says it cannot", async () => {
    const fake = new FakeArm();
    await fake.start();
    try {
      const plan = model().azureml!;
      const version = { label: '8', jobName: 'acme-fraud-staging-r1', metrics: { f1: 0.93 } };
      expect(await registerTrainedAzureMlVersion(plan, target, fakeClients(fake), version)).toBe(`${WS}/models/acme-fraud/versions/8`);
      const v = fake.modelVersions.get('acme-fraud/8') as any;
      expect(v.properties.modelUri).toBe('azureml://jobs/acme-fraud-staging-r1/outputs/model');
      expect(v.properties.tags).toEqual({ 'mlspec:version': '8', 'mlspec:trained': 'true', 'mlspec:job': 'acme-fraud-staging-r1', 'metric:f1': '0.93' });
      fake.resetCounts();
      await registerTrainedAzureMlVersion(plan, target, fakeClients(fake), version);
      expect(fake.writes).toBe(0);
      await expect(registerTrainedAzureMlVersion({ ...plan, registry: 'acme-registry' }, target, fakeClients(fake), { ...version, label: '9' })).rejects.toThrow(
        "azureml: fraud in staging: version 9 was trained by job acme-fraud-staging-r1 in workspace acme-staging, and a registry (acme-registry) cannot register a workspace job's output: mlspec does not copy trained versions into a registry yet; leave out azure.registry for models that train on Azure ML",
      );
    } finally {
      fake.stop();
    }
  });
});
