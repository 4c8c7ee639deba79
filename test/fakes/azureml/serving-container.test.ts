import { armRequest } from '../../../lib/providers/azureml/clients';
import { azureMlClients, type AzureMlClients } from '../../../lib/providers/azureml/clients';
import { FakeArm } from './arm';

/**
 * Serving containers on the fake ARM: environment versions (image, inferenceConfig routes) at the
 * SDK's 2022-10-01 and at 2024-04-01 against the published EnvironmentVersionResource, and a
 * deployment's environmentVariables / modelMountPath. Each refusal is shown firing; valid bodies pass
 * and come back on GET.
 */
const WS = '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/ml-staging/providers/Microsoft.MachineLearningServices/workspaces/acme-staging';
const ENV = `${WS}/environments/ranker-serving/versions/1`;
const route = (path: string, port = 8080) => ({ path, port });
const inferenceConfig = { livenessRoute: route('/ping'), readinessRoute: route('/ping'), scoringRoute: route('/invocations') };

describe('the fake ARM holds serving containers to the published contract', () => {
  let fake: FakeArm;
  let clients: AzureMlClients;
  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
    const token = { getToken: async () => ({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3600_000 }) };
    clients = azureMlClients('00000000-0000-0000-0000-000000000002', token, { endpoint: fake.url, tlsOptions: { ca: fake.ca }, retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 }, pollIntervalMs: 5 });
  });
  afterEach(() => fake.stop());

  it('stores an environment version sent at 2024-04-01 and returns its image and inferenceConfig on GET, at both api-versions', async () => {
    const body = { properties: { image: 'acme.azurecr.io/ranker:1', osType: 'Linux', inferenceConfig, tags: { 'managed-by': 'mlspec' }, description: 'serving image' } };
    expect((await armRequest(clients, 'PUT', ENV, body)).status).toBe(201);
    const got = (await armRequest(clients, 'GET', ENV)).body!;
    expect(got.properties).toEqual(expect.objectContaining({ image: 'acme.azurecr.io/ranker:1', inferenceConfig, environmentType: 'UserCreated' }));
    // The SDK (2022-10-01) reads the same routes back.
    const sdk = await clients.ml.environmentVersions.get('ml-staging', 'acme-staging', 'ranker-serving', '1');
    expect([sdk.properties.image, sdk.properties.inferenceConfig]).toEqual(['acme.azurecr.io/ranker:1', inferenceConfig]);
  });

  it('still checks SDK (2022-10-01) environment bodies against the SDK’s mappers', async () => {
    // (The SDK itself refuses this before sending; a raw body at its api-version reaches the fake.)
    await expect(armRequest(clients, 'PUT', ENV, { properties: { image: 'i', inferenceConfig: { scoringRoute: { path: '/x' } }, stage: 'Production' } }, '2022-10-01')).rejects.toThrow(
      'BadRequest: properties.inferenceConfig.scoringRoute.port is required; properties.stage is not a property of EnvironmentVersionProperties (api-version 2022-10-01)',
    );
    await clients.ml.environmentVersions.createOrUpdate('ml-staging', 'acme-staging', 'ranker-serving', '1', { properties: { image: 'i', inferenceConfig } });
    expect(fake.environmentVersions.get('ranker-serving/1')!.properties.inferenceConfig).toEqual(inferenceConfig);
  });

  it('refuses, at 2024-04-01, a Route without path or port, an empty or symbol-only path, a non-int32 port, unknown and read-only properties', async () => {
    const put = (properties: unknown) => armRequest(clients, 'PUT', ENV, { properties });
    await expect(put({ image: 'i', inferenceConfig: { livenessRoute: { path: '/ping' }, scoringRoute: { port: 8080 } } })).rejects.toThrow(
      'BadRequest: properties.inferenceConfig.livenessRoute.port is required; properties.inferenceConfig.scoringRoute.path is required (api-version 2024-04-01)',
    );
    await expect(put({ image: 'i', inferenceConfig: { livenessRoute: route(''), readinessRoute: route('/'), scoringRoute: route('/score', 8080.5) } })).rejects.toThrow(
      'BadRequest: properties.inferenceConfig.livenessRoute.path must be at least 1 character long; properties.inferenceConfig.livenessRoute.path must match the pattern [a-zA-Z0-9_]; properties.inferenceConfig.readinessRoute.path must match the pattern [a-zA-Z0-9_]; properties.inferenceConfig.scoringRoute.port must be an integer (api-version 2024-04-01)',
    );
    await expect(put({ image: 'i', inferenceConfig: { scoringRoute: route('/score', 2 ** 31), startupRoute: route('/ping') } })).rejects.toThrow(
      'BadRequest: properties.inferenceConfig.scoringRoute.port must be a 32-bit integer (int32); properties.inferenceConfig.startupRoute is not a property of InferenceContainerProperties (api-version 2024-04-01)',
    );
    await expect(put({ image: 'i', osType: 'Darwin', autoRebuild: 'Always', environmentType: 'UserCreated', build: { dockerfilePath: 'Dockerfile' } })).rejects.toThrow(
      'BadRequest: properties.osType must be one of Linux, Windows; properties.autoRebuild must be one of Disabled, OnBaseImageUpdate; properties.environmentType is read-only; properties.build.contextUri is required (api-version 2024-04-01)',
    );
    expect(fake.environmentVersions.size).toBe(0);
  });

  async function environmentAndEndpoint(environment: Record<string, unknown>) {
    fake.modelVersions.set('m/1', { id: `${WS}/models/m/versions/1` });
    await armRequest(clients, 'PUT', ENV, { properties: environment });
    await armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', properties: { authMode: 'Key' } });
  }
  const deployment = (extra: Record<string, unknown>) => ({
    location: 'eastus',
    sku: { name: 'Default', capacity: 1 },
    properties: { endpointComputeType: 'Managed', model: `${WS}/models/m/versions/1`, environmentId: ENV, instanceType: 'Standard_DS3_v2', ...extra },
  });

  it('stores a deployment’s environmentVariables and modelMountPath and returns them on GET, at both api-versions', async () => {
    await environmentAndEndpoint({ image: 'acme.azurecr.io/ranker:1', inferenceConfig });
    const environmentVariables = { HF_MODEL_ID: '/var/azureml-app/azureml-models/m/1', WORKERS: '2' };
    await armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, deployment({ environmentVariables, modelMountPath: '/var/model-mount' }));
    const got = (await armRequest(clients, 'GET', `${WS}/onlineEndpoints/e1/deployments/v1`)).body!;
    expect([got.properties.environmentVariables, got.properties.modelMountPath]).toEqual([environmentVariables, '/var/model-mount']);
    const sdk = (await clients.ml.onlineDeployments.get('ml-staging', 'acme-staging', 'e1', 'v1')).properties as { environmentVariables?: unknown; modelMountPath?: unknown };
    expect([sdk.environmentVariables, sdk.modelMountPath]).toEqual([environmentVariables, '/var/model-mount']);
  });

  it('refuses a modelMountPath that is not an absolute Linux path, and environment variable values that are not strings', async () => {
    await environmentAndEndpoint({ image: 'i', inferenceConfig });
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, deployment({ modelMountPath: 'var/model' }))).rejects.toThrow(
      "BadArgument: modelMountPath 'var/model' is not a valid absolute path in Linux; it must start with '/'.",
    );
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, deployment({ environmentVariables: { WORKERS: 2 } }))).rejects.toThrow(
      'BadRequest: properties.environmentVariables.WORKERS must be a string (api-version 2024-04-01)',
    );
    expect(fake.deployments.size).toBe(0);
  });

  it('refuses a managed deployment without codeConfiguration whose environment has no inferenceConfig', async () => {
    await environmentAndEndpoint({ image: 'acme.azurecr.io/ranker:1' });
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, deployment({}))).rejects.toThrow(
      `BadArgument: Environment ${ENV} has no inferenceConfig: a managed online deployment without codeConfiguration runs the environment's image as a custom container, which needs the liveness, readiness and scoring routes.`,
    );
  });
});
