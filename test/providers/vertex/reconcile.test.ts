import * as grpc from '@grpc/grpc-js';
import { googleAuthLibrary } from 'google-gax';
import { reconcileVertex, vertexClients, type VertexClients } from '../../../lib/providers/vertex';
import { FakeVertex } from '../../fakes/vertex/server';
import { vertexPlan } from './helpers';

const plan = vertexPlan;

const target = { model: 'search-ranker', environment: 'staging' };
const fast = { retries: 3, backoffMs: 5 };

describe('Vertex reconciler against the fake Vertex (real v1 clients over gRPC)', () => {
  let fake: FakeVertex;
  let clients: VertexClients;

  beforeEach(async () => {
    fake = new FakeVertex();
    const port = await fake.start();
    clients = vertexClients('us-central1', { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never);
  });
  afterEach(async () => {
    await clients.models.close();
    await clients.jobs.close();
    await clients.endpoints.close();
    await fake.stop();
  });

  it('first deploy: registers both versions, creates the endpoint, deploys both, sets the split', async () => {
    const result = await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    expect(fake.calls).toEqual(expect.objectContaining({ UploadModel: 2, CreateEndpoint: 1, DeployModel: 2, UpdateEndpoint: 1 }));
    expect(fake.writes).toBe(6);
    const versions = fake.models.get(result.modelName!)!;
    expect(versions[0].containerSpec).toEqual(expect.objectContaining({ predictRoute: '/invocations', healthRoute: '/ping', ports: [{ containerPort: 8080 }] }));
    expect(versions.map((v) => [v.versionId, v.versionAliases.filter((a: string) => a !== 'default'), v.labels['mlspec-version'], v.labels['metric-ndcg']])).toEqual([
      ['1', ['v3'], '3', '0_71'],
      ['2', ['v4'], '4', '0_74'],
    ]);
    const endpoint = fake.endpoints.get(result.endpointName!)!;
    expect(endpoint.displayName).toBe('acme-search-ranker-staging');
    expect(endpoint.deployedModels.map((d: any) => [d.displayName, d.model, d.dedicatedResources.machineSpec.machineType, d.dedicatedResources.machineSpec.acceleratorType, d.dedicatedResources.minReplicaCount])).toEqual([
      ['search-ranker-v3', `${result.modelName}@v3`, 'g2-standard-8', 'NVIDIA_L4', 2],
      ['search-ranker-v4', `${result.modelName}@v4`, 'g2-standard-8', 'NVIDIA_L4', 2],
    ]);
    expect(endpoint.trafficSplit).toEqual({ [result.deployedModelIds['search-ranker-v3']]: 75, [result.deployedModelIds['search-ranker-v4']]: 25 });
  });

  it('a re-run writes nothing', async () => {
    await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('a traffic-only change is exactly one write: updateEndpoint of trafficSplit, replicas untouched', async () => {
    const first = await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 10, '4': 90 }), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.calls.UpdateEndpoint).toBe(1);
    const endpoint = fake.endpoints.get(first.endpointName!)!;
    expect(endpoint.trafficSplit).toEqual({ [first.deployedModelIds['search-ranker-v3']]: 10, [first.deployedModelIds['search-ranker-v4']]: 90 });
    expect(endpoint.deployedModels).toHaveLength(2);
  });

  it('a replica change resizes the deployed model in place (one mutateDeployedModel), no redeploy', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    fake.resetCounts();
    const bigger = plan({ '3': 100 });
    const resized = { ...bigger, serving: { ...bigger.serving!, deployedModels: bigger.serving!.deployedModels.map((d) => ({ ...d, minReplicaCount: 3, maxReplicaCount: 8 })) } };
    await reconcileVertex(resized, target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.calls.MutateDeployedModel).toBe(1);
    const [deployed] = fake.endpoints.get(first.endpointName!)!.deployedModels;
    expect([deployed.id, deployed.dedicatedResources.minReplicaCount, deployed.dedicatedResources.maxReplicaCount]).toEqual([first.deployedModelIds['search-ranker-v3'], 3, 8]);
    fake.resetCounts();
    await reconcileVertex(resized, target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('a machine change deploys the version again on the new machine, moves its traffic in one write, then undeploys the old one', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    const oldId = first.deployedModelIds['search-ranker-v3'];
    const p = plan({ '3': 100 });
    const bigger = { ...p, serving: { ...p.serving!, deployedModels: p.serving!.deployedModels.map((d) => ({ ...d, machineType: 'g2-standard-12' })) } };
    fake.resetCounts();
    const result = await reconcileVertex(bigger, target, clients, fast);
    expect(fake.calls).toEqual(expect.objectContaining({ DeployModel: 1, UpdateEndpoint: 1, UndeployModel: 1 }));
    expect(fake.writes).toBe(3);
    const endpoint = fake.endpoints.get(result.endpointName!)!;
    expect(endpoint.deployedModels.map((d: any) => [d.displayName, d.dedicatedResources.machineSpec.machineType])).toEqual([['search-ranker-v3', 'g2-standard-12']]);
    expect(result.deployedModelIds['search-ranker-v3']).not.toBe(oldId);
    expect(endpoint.trafficSplit).toEqual({ [result.deployedModelIds['search-ranker-v3']]: 100 });
    fake.resetCounts();
    await reconcileVertex(bigger, target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('data capture is request-response logging to BigQuery: set at creation, a changed share is one update, removal disables it', async () => {
    const p = plan({ '3': 100 });
    const capture = (percent?: number) => ({ ...p, serving: { ...p.serving!, dataCapturePercent: percent } });
    const result = await reconcileVertex(capture(20), target, clients, fast);
    const endpoint = () => fake.endpoints.get(result.endpointName!)!;
    expect(endpoint().predictRequestResponseLoggingConfig).toEqual({ enabled: true, samplingRate: 0.2, bigqueryDestination: { outputUri: 'bq://acme-ml-staging' } });
    fake.resetCounts();
    await reconcileVertex(capture(20), target, clients, fast);
    expect(fake.writes).toBe(0);
    await reconcileVertex(capture(50), target, clients, fast);
    expect(fake.calls.UpdateEndpoint).toBe(1);
    expect(endpoint().predictRequestResponseLoggingConfig.samplingRate).toBe(0.5);
    await reconcileVertex(capture(undefined), target, clients, fast);
    expect(endpoint().predictRequestResponseLoggingConfig.enabled).toBe(false);
    fake.resetCounts();
    await reconcileVertex(capture(undefined), target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('removing a version sets the split, then undeploys it; versions stay in the registry', async () => {
    const first = await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '4': 100 }), target, clients, fast);
    expect(fake.calls).toEqual(expect.objectContaining({ UpdateEndpoint: 1, UndeployModel: 1 }));
    expect(fake.writes).toBe(2);
    const endpoint = fake.endpoints.get(first.endpointName!)!;
    expect(endpoint.deployedModels.map((d: any) => d.displayName)).toEqual(['search-ranker-v4']);
    expect(fake.models.get(first.modelName!)).toHaveLength(2);
  });

  it('says which version the registry lacks when a trained label was never registered', async () => {
    const p = plan({ '3': 100 });
    const trained = { ...p, versions: [], serving: { ...p.serving!, deployedModels: p.serving!.deployedModels.map((d) => ({ ...d, displayName: 'search-ranker-v12', version: '12', versionAlias: 'v12' })), trafficSplit: { 'search-ranker-v12': 100 } } };
    await expect(reconcileVertex(trained, target, clients, fast)).rejects.toThrow(
      'vertex: search-ranker in staging: version 12 is not in the vertex registry; declare it in versions with a vertex artifact',
    );
    expect(fake.calls.DeployModel).toBeUndefined();
  });

  it('survives UNAVAILABLE and RESOURCE_EXHAUSTED with retries', async () => {
    fake.faults.push({ method: 'ListModels', code: grpc.status.UNAVAILABLE, times: 2 }, { method: 'DeployModel', code: grpc.status.RESOURCE_EXHAUSTED, times: 1 });
    const result = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    expect(fake.endpoints.get(result.endpointName!)!.deployedModels).toHaveLength(1);
    expect(fake.calls.ListModels).toBe(3);
  });

  it('a failed deploy undeploys what the run deployed before it (no orphans)', async () => {
    fake.failOperation = { method: 'DeployModel', message: 'Quota exceeded for NVIDIA_L4 in us-central1.', after: 1 };
    await expect(reconcileVertex(plan({ '3': 50, '4': 50 }), target, clients, fast)).rejects.toThrow(
      'vertex: search-ranker in staging: deploy search-ranker-v4 failed: Quota exceeded for NVIDIA_L4 in us-central1.',
    );
    expect(fake.calls.UndeployModel).toBe(1);
    const [endpoint] = [...fake.endpoints.values()];
    expect(endpoint.deployedModels).toEqual([]);
  });

  it('a failed operation names the model, the environment and Vertex’s message, and leaves no deployed model behind', async () => {
    fake.operationPolls = 1;
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    fake.failOperation = { method: 'DeployModel', message: 'Machine type g2-standard-8 is not available in us-central1-a.' };
    await expect(reconcileVertex(plan({ '3': 50, '4': 50 }), target, clients, fast)).rejects.toThrow(
      'vertex: search-ranker in staging: deploy search-ranker-v4 failed: Machine type g2-standard-8 is not available in us-central1-a.',
    );
    const endpoint = fake.endpoints.get(first.endpointName!)!;
    expect(endpoint.deployedModels.map((d: any) => d.displayName)).toEqual(['search-ranker-v3']);
    expect(Object.values(endpoint.trafficSplit)).toEqual([100]);
  });
});
