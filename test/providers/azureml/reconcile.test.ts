import { reconcileAzureMl, type AzureMlClients } from '../../../lib/providers/azureml';
import { FakeArm } from '../../fakes/azureml/arm';
import { azurePlan, fakeClients, WS } from './helpers';

const target = { model: 'fraud-detector', environment: 'staging' };
const fast = { updateIntervalInMs: 5 };

describe('Azure ML reconciler against the fake ARM (real arm-machinelearning client over HTTPS)', () => {
  let fake: FakeArm;
  let clients: AzureMlClients;
  const endpoint = () => fake.endpoints.get('acme-fraud-detector-staging') as any;
  const deployments = () => [...fake.deployments.keys()].filter((k: string) => k.startsWith('acme-fraud-detector-staging/')).map((k: string) => k.split('/')[1]).sort();

  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
    clients = fakeClients(fake);
  });
  afterEach(() => fake.stop());

  it('first deploy: registers the three declared versions, the image, the endpoint, two deployments, then the traffic in one PUT', async () => {
    const result = await reconcileAzureMl(azurePlan('{ traffic: { "7": 90, "8": 10 } }'), target, clients, fast);
    expect(result.endpointId).toBe(`${WS}/onlineEndpoints/acme-fraud-detector-staging`);
    expect(deployments()).toEqual(['v7', 'v8']);
    expect(endpoint().properties.traffic).toEqual({ v7: 90, v8: 10 });
    const v7 = fake.deployments.get('acme-fraud-detector-staging/v7') as any;
    expect(v7.sku.capacity).toBe(1);
    expect(v7.properties).toEqual(expect.objectContaining({ instanceType: 'Standard_NC4as_T4_v3', model: `${WS}/models/acme-fraud-detector/versions/7`, endpointComputeType: 'Managed' }));
    expect(fake.count('PUT', /\/models\/acme-fraud-detector\/versions\/\d+$/)).toBe(3);
    expect(fake.count('PUT', /\/onlineEndpoints\/[^/]+$/)).toBe(2);
    expect(fake.count('PUT', /\/deployments\/v\d+$/)).toBe(2);
    // Autoscaling (invocations, 100 per instance) as Azure Monitor autoscale settings on each deployment.
    const setting = fake.autoscaleSettings.get('acme-fraud-detector-staging-v7-autoscale')!;
    expect(setting.properties.targetResourceUri).toBe(`${WS}/onlineEndpoints/acme-fraud-detector-staging/deployments/v7`);
    expect(setting.properties.profiles[0].capacity).toEqual({ minimum: '1', maximum: '4', default: '1' });
    expect(setting.properties.profiles[0].rules.map((r: any) => [r.metricTrigger.metricName, r.metricTrigger.operator, r.metricTrigger.threshold, r.metricTrigger.dividePerInstance, r.metricTrigger.dimensions, r.scaleAction.direction])).toEqual([
      ['RequestsPerMinute', 'GreaterThan', 100, true, [{ DimensionName: 'deployment', Operator: 'Equals', Values: ['v7'] }], 'Increase'],
      ['RequestsPerMinute', 'LessThan', 50, true, [{ DimensionName: 'deployment', Operator: 'Equals', Values: ['v7'] }], 'Decrease'],
    ]);
    expect(fake.autoscaleSettings.size).toBe(2);
    const tags = (fake.modelVersions.get('acme-fraud-detector/7') as any).properties.tags;
    expect(tags).toEqual(expect.objectContaining({ 'mlspec:version': '7', 'metric:accuracy': '0.962' }));
  });

  it('data capture is the deployment’s payload logging at 2024-04-01; without it the SDK’s own PUT; a change is one PUT', async () => {
    const capture = (percent?: number) => {
      const plan = azurePlan('{ traffic: { "7": 100 } }');
      return { ...plan, serving: { ...plan.serving!, dataCapturePercent: percent } };
    };
    await reconcileAzureMl(capture(undefined), target, clients, fast);
    const put = () => fake.calls.filter((c) => c.method === 'PUT' && /deployments\/v7$/.test(c.path)).map((c) => c.apiVersion);
    expect(put()).toEqual(['2022-10-01']);
    const v7 = () => fake.deployments.get('acme-fraud-detector-staging/v7') as any;
    expect(v7().properties.dataCollector).toBeUndefined();
    fake.resetCounts();
    await reconcileAzureMl(capture(20), target, clients, fast);
    expect([fake.writes, put()]).toEqual([1, ['2024-04-01']]);
    const collection = { dataCollectionMode: 'Enabled', samplingRate: 0.2 };
    expect(v7().properties.dataCollector).toEqual({ collections: { request: collection, response: collection }, rollingRate: 'Hour' });
    fake.resetCounts();
    await reconcileAzureMl(capture(20), target, clients, fast);
    expect(fake.writes).toBe(0);
    await reconcileAzureMl(capture(undefined), target, clients, fast);
    expect(v7().properties.dataCollector).toBeUndefined();
    expect(put()).toEqual(['2024-04-01']);
  });

  it('with data capture on, a re-run writes nothing and a traffic-only change is one endpoint PUT (bodies checked against the 2024-04-01 specification)', async () => {
    const capture = (release: string) => {
      const plan = azurePlan(release);
      return { ...plan, serving: { ...plan.serving!, dataCapturePercent: 20 } };
    };
    await reconcileAzureMl(capture('{ traffic: { "7": 90, "8": 10 } }'), target, clients, fast);
    expect(fake.calls.filter((c) => c.method === 'PUT' && /deployments\/v\d$/.test(c.path)).map((c) => c.apiVersion)).toEqual(['2024-04-01', '2024-04-01']);
    // The deployments are read back at the version they were written at, so the collector compares equal.
    expect(fake.calls.filter((c) => c.method === 'GET' && /\/deployments$/.test(c.path)).map((c) => c.apiVersion)).toEqual(['2024-04-01']);
    fake.resetCounts();
    await reconcileAzureMl(capture('{ traffic: { "7": 90, "8": 10 } }'), target, clients, fast);
    expect(fake.writes).toBe(0);
    await reconcileAzureMl(capture('{ traffic: { "7": 50, "8": 50 } }'), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.count('PUT', /\/onlineEndpoints\/[^/]+$/)).toBe(1);
    expect(endpoint().properties.traffic).toEqual({ v7: 50, v8: 50 });
  });

  it('a plan slice without serving keeps the registry alone', async () => {
    const { serving: _, ...registryOnly } = azurePlan('{ traffic: { "7": 100 } }');
    expect(await reconcileAzureMl(registryOnly, target, clients, fast)).toEqual({});
    expect([fake.modelVersions.size, fake.endpoints.size, fake.environmentVersions.size]).toEqual([3, 0, 0]);
  });

  it('a re-run writes nothing', async () => {
    const plan = azurePlan('{ traffic: { "7": 90, "8": 10 } }');
    await reconcileAzureMl(plan, target, clients, fast);
    fake.resetCounts();
    await reconcileAzureMl(plan, target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('a traffic-only change is one endpoint PUT, and instance counts stay as they are', async () => {
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 90, "8": 10 } }'), target, clients, fast);
    (fake.deployments.get('acme-fraud-detector-staging/v7') as any).sku.capacity = 3; // autoscaled meanwhile
    fake.resetCounts();
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 50, "8": 50 } }'), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.count('PUT', /\/onlineEndpoints\/acme-fraud-detector-staging$/)).toBe(1);
    expect(endpoint().properties.traffic).toEqual({ v7: 50, v8: 50 });
  });

  it('mirror traffic (shadow) is one raw 2024-04-01 PUT beside the live traffic', async () => {
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast);
    fake.resetCounts();
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 }, shadow: { version: "8", percent: 20 } }'), target, clients, fast);
    const puts = fake.calls.filter((c) => c.method === 'PUT' && /onlineEndpoints\/acme-fraud-detector-staging$/.test(c.path));
    expect(puts.map((c) => c.apiVersion)).toEqual(['2024-04-01']);
    expect(endpoint().properties.mirrorTraffic).toEqual({ v8: 20 });
    expect(endpoint().properties.traffic).toEqual({ v7: 100 });
    fake.resetCounts();
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 }, shadow: { version: "8", percent: 20 } }'), target, clients, fast);
    expect(fake.writes).toBe(0);
    // Ending the shadow takes its mirror traffic away, then deletes the deployment.
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast);
    expect(endpoint().properties.mirrorTraffic ?? {}).toEqual({});
    expect(deployments()).toEqual(['v7']);
  });

  it('removing a version moves its traffic, then deletes its deployment; model versions stay', async () => {
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 90, "8": 10 } }'), target, clients, fast);
    fake.resetCounts();
    await reconcileAzureMl(azurePlan('{ traffic: { "8": 100 } }'), target, clients, fast);
    // Traffic off v7, its autoscale setting, then the deployment.
    expect(fake.writes).toBe(3);
    expect(deployments()).toEqual(['v8']);
    expect([...fake.autoscaleSettings.keys()]).toEqual(['acme-fraud-detector-staging-v8-autoscale']);
    expect([...fake.modelVersions.keys()].sort()).toEqual(['acme-fraud-detector/7', 'acme-fraud-detector/8', 'acme-fraud-detector/9']);
  });

  it('without autoscaling, a replica change is one PATCH of sku.capacity; with it, the count is left to the autoscaler', async () => {
    const fixed = (count: number) => {
      const plan = azurePlan('{ traffic: { "7": 100 } }');
      return { ...plan, serving: { ...plan.serving!, deployments: plan.serving!.deployments.map((d) => ({ ...d, instanceCount: count, autoscale: undefined })) } };
    };
    await reconcileAzureMl(fixed(1), target, clients, fast);
    fake.resetCounts();
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast);
    // Autoscaling on: its Azure Monitor setting appears; the instance count is not touched.
    expect(fake.writes).toBe(1);
    expect(fake.count('PUT', /autoscalesettings\/acme-fraud-detector-staging-v7-autoscale$/)).toBe(1);
    // Autoscaling off again: the setting goes, and min replicas set the count.
    fake.resetCounts();
    await reconcileAzureMl(fixed(1), target, clients, fast);
    expect(fake.count('DELETE', /autoscalesettings\//)).toBe(1);
    expect(fake.writes).toBe(1);
    fake.resetCounts();
    const bigger = fixed(2);
    await reconcileAzureMl(bigger, target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.count('PATCH', /\/deployments\/v7$/)).toBe(1);
    expect((fake.deployments.get('acme-fraud-detector-staging/v7') as any).sku.capacity).toBe(2);
  });

  it('an instance type change stops with what to do instead', async () => {
    const plan = azurePlan('{ traffic: { "7": 100 } }');
    await reconcileAzureMl(plan, target, clients, fast);
    const other = { ...plan, serving: { ...plan.serving!, deployments: plan.serving!.deployments.map((d) => ({ ...d, instanceType: 'Standard_NC8as_T4_v3' })) } };
    await expect(reconcileAzureMl(other, target, clients, fast)).rejects.toThrow(
      "azureml: fraud-detector in staging: deployment v7 runs on Standard_NC4as_T4_v3 and the plan asks for Standard_NC8as_T4_v3; Azure ML cannot change a deployment's instance type: release the model under a new version label, or remove v7 from releases.yaml first",
    );
  });

  it('survives 429 with Retry-After and 500s (the pipeline retries)', async () => {
    fake.faults.push({ method: 'GET', path: /onlineEndpoints\/acme-fraud-detector-staging$/, status: 429, times: 1, retryAfterSeconds: 1 });
    fake.faults.push({ method: 'PUT', path: /deployments\/v7$/, status: 500, times: 2 });
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast);
    expect(deployments()).toEqual(['v7']);
    expect(fake.calls.filter((c) => c.status === 429 || c.status === 500)).toHaveLength(3);
  });

  it('a failed deployment names the model, the environment and Azure’s message, and leaves nothing behind', async () => {
    fake.failOperation = { path: /deployments\/v7$/, message: 'Not enough quota available for Standard_NC4as_T4_v3 in eastus.', code: 'QuotaExceeded' };
    await expect(reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast)).rejects.toThrow(
      /^azureml: fraud-detector in staging: create deployment v7 failed: .*Not enough quota available for Standard_NC4as_T4_v3 in eastus\./,
    );
    // The run made the endpoint: it is gone again, with the Failed deployment.
    expect(fake.endpoints.size).toBe(0);
    expect(fake.autoscaleSettings.size).toBe(0);
    expect(deployments()).toEqual([]);
  });

  it('a failed endpoint create is deleted again', async () => {
    fake.failOperation = { path: /onlineEndpoints\/acme-fraud-detector-staging$/, message: 'The subscription is not registered to use namespace Microsoft.MachineLearningServices.', code: 'MissingSubscriptionRegistration' };
    await expect(reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast)).rejects.toThrow(
      /^azureml: fraud-detector in staging: create the endpoint failed: .*The subscription is not registered to use namespace Microsoft\.MachineLearningServices\./,
    );
    expect(fake.endpoints.size).toBe(0);
  });

  it('a failed new deployment on an existing endpoint is deleted; what served before still serves', async () => {
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, fast);
    fake.failOperation = { path: /deployments\/v8$/, message: 'Container crashed: /ping never answered.' };
    await expect(reconcileAzureMl(azurePlan('{ traffic: { "7": 50, "8": 50 } }'), target, clients, fast)).rejects.toThrow(/create deployment v8 failed: .*Container crashed/);
    expect(deployments()).toEqual(['v7']);
    expect(endpoint().properties.traffic).toEqual({ v7: 100 });
  });

  it('a registry named in the azure block holds the versions (raw 2024-04-01 calls)', async () => {
    // A registry has no datastores: its versions point at storage URIs, not azureml://datastores/... paths.
    const base = azurePlan('{ traffic: { "7": 100 } }');
    const plan = { ...base, registry: 'acme-models', versions: base.versions.map((v) => ({ ...v, path: `https://acmemodels.blob.core.windows.net/fraud/${v.label}/` })) };
    await reconcileAzureMl(plan, target, clients, fast);
    expect([...fake.registryModelVersions.keys()].sort()).toEqual(['acme-models/acme-fraud-detector/7', 'acme-models/acme-fraud-detector/8', 'acme-models/acme-fraud-detector/9']);
    expect(fake.calls.filter((c) => c.path.includes('/registries/') && c.method === 'PUT').map((c) => c.apiVersion)).toEqual(['2024-04-01', '2024-04-01', '2024-04-01']);
    expect(fake.modelVersions.size).toBe(0);
    expect((fake.deployments.get('acme-fraud-detector-staging/v7') as any).properties.model).toBe('azureml://registries/acme-models/models/acme-fraud-detector/versions/7');
    fake.resetCounts();
    await reconcileAzureMl(plan, target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('a workspace datastore path is not registered in a registry: the run stops before writing, saying why', async () => {
    const plan = { ...azurePlan('{ traffic: { "7": 100 } }'), registry: 'acme-models' };
    await expect(reconcileAzureMl(plan, target, clients, fast)).rejects.toThrow(
      'azureml: fraud-detector in staging: version 7: "azureml://datastores/models/paths/fraud/7/" is a path in a workspace datastore, and versions of this model are registered in the Azure ML registry "acme-models"',
    );
    expect(fake.writes).toBe(0);
  });
});
