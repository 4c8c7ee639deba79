import { createPipelineRequest } from '@azure/core-rest-pipeline';
import * as https from 'node:https';
import { armRequest } from '../../../lib/providers/azureml/clients';
import { fakeClients, WS } from '../../providers/azureml/helpers';
import { FakeArm } from './arm';

/** The fake is only worth having if it refuses what real ARM refuses: these prove it does. */
describe('the fake ARM holds requests to the real contract', () => {
  let fake: FakeArm;
  beforeEach(async () => {
    fake = new FakeArm();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('checks SDK bodies against the SDK’s mappers, naming the path and api-version', async () => {
    const clients = fakeClients(fake);
    await expect(
      armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', identity: { type: 'SystemAssigned', principalId: 'x' }, properties: { authMode: 'Key', traffic: { a: '10' }, colour: 'blue' } }, '2022-10-01'),
    ).rejects.toThrow('BadRequest: identity.principalId is read-only; properties.traffic.a must be a number; properties.colour is not a property of OnlineEndpointProperties (api-version 2022-10-01)');
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { properties: {} }, '2022-10-01')).rejects.toThrow('BadRequest: properties.authMode is required; location is required (api-version 2022-10-01)');
  });

  it('checks raw bodies against Azure’s published specification of their api-version: required, additionalProperties false, read-only, types, enums, kinds', async () => {
    const clients = fakeClients(fake);
    await expect(
      armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', identity: { type: 'SystemAssigned', principalId: 'x' }, properties: { authMode: 'Token', traffic: { a: 10.5 }, colour: 'blue' } }),
    ).rejects.toThrow('BadRequest: identity.principalId is read-only; properties.authMode must be one of AMLToken, Key, AADToken; properties.traffic.a must be an integer; properties.colour is not a property of OnlineEndpoint (api-version 2024-04-01)');
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v7`, { location: 'eastus', properties: { endpointComputeType: 'Serverless' } })).rejects.toThrow(
      "BadRequest: properties.endpointComputeType 'Serverless' is not a kind of OnlineDeployment (api-version 2024-04-01)",
    );
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { properties: {} })).rejects.toThrow('BadRequest: properties.authMode is required; location is required (api-version 2024-04-01)');
  });

  it('takes a deployment’s dataCollector only where the specification defines it: 2024-04-01 yes, the SDK’s 2022-10-01 no', async () => {
    const clients = fakeClients(fake);
    fake.modelVersions.set('m/1', { id: `${WS}/models/m/versions/1` });
    await armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', properties: { authMode: 'Key' } });
    const collection = { dataCollectionMode: 'Enabled', samplingRate: 0.2 };
    const body = (dataCollector: unknown) => ({ location: 'eastus', sku: { name: 'Default', capacity: 1 }, properties: { endpointComputeType: 'Managed', model: `${WS}/models/m/versions/1`, instanceType: 'Standard_DS3_v2', dataCollector } });
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, body({ collections: { request: collection } }), '2022-10-01')).rejects.toThrow(
      'BadRequest: properties.dataCollector is not a property of ManagedOnlineDeployment (api-version 2022-10-01)',
    );
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, body({ collections: { request: { ...collection, dataCollectionMode: 'On' } }, rollingRate: 'Week', sampling: 1 }))).rejects.toThrow(
      'BadRequest: properties.dataCollector.collections.request.dataCollectionMode must be one of Enabled, Disabled; properties.dataCollector.rollingRate must be one of Year, Month, Day, Hour, Minute; properties.dataCollector.sampling is not a property of DataCollector (api-version 2024-04-01)',
    );
    await armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1/deployments/v1`, body({ collections: { request: collection, response: collection }, rollingRate: 'Hour' }));
    expect((await armRequest(clients, 'GET', `${WS}/onlineEndpoints/e1/deployments/v1`)).body?.properties.dataCollector.rollingRate).toBe('Hour');
  });

  it('refuses a raw api-version whose specification it has not copied, rather than guess', async () => {
    const clients = fakeClients(fake);
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', properties: { authMode: 'Key' } }, '2024-10-01')).rejects.toThrow(
      "InvalidApiVersionParameter: The fake has no copy of the OnlineEndpointTrackedResource definitions of api-version '2024-10-01'",
    );
  });

  it('accepts mirrorTraffic only at 2024-04-01 and enforces ARM’s traffic rules', async () => {
    const clients = fakeClients(fake);
    await armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', properties: { authMode: 'Key', traffic: {}, mirrorTraffic: {} } });
    await expect(armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', properties: { authMode: 'Key', traffic: { v7: 100 } } })).rejects.toThrow('BadArgument: Traffic: deployment v7 does not exist in endpoint e1.');
    // The SDK's own api-version has no mirrorTraffic at all.
    const old = await clients.ml.onlineEndpoints.get('ml-staging', 'acme-staging', 'e1');
    expect((old.properties as unknown as Record<string, unknown>).mirrorTraffic).toBeUndefined();
    expect((await armRequest(clients, 'GET', `${WS}/onlineEndpoints/e1`)).body?.properties.mirrorTraffic).toEqual({});
  });

  it('holds autoscale settings to the Monitor REST shape and an existing target', async () => {
    const clients = fakeClients(fake);
    const path = '/subscriptions/s/resourceGroups/ml-staging/providers/Microsoft.Insights/autoscalesettings/x';
    const profile = { name: 'p', capacity: { minimum: '3', maximum: '2', default: '1' }, rules: [{ metricTrigger: { metricName: 'CpuUtilizationPercentage', metricResourceUri: 'r', timeGrain: 'PT1M', statistic: 'Median', timeWindow: 'PT5M', timeAggregation: 'Average', operator: 'GreaterThan', threshold: 70 }, scaleAction: { direction: 'Up', type: 'ChangeCount', value: '1', cooldown: 'PT5M' } }] };
    await expect(armRequest(clients, 'PUT', path, { location: 'eastus', properties: { profiles: [profile], targetResourceUri: `${WS}/onlineEndpoints/e/deployments/v7` } }, '2022-10-01')).rejects.toThrow(
      'BadRequest: properties.profiles[0].capacity must satisfy minimum <= default <= maximum; properties.profiles[0].rules[0].metricTrigger.statistic must be one of Average, Min, Max, Sum, Count; properties.profiles[0].rules[0].scaleAction.direction must be one of None, Increase, Decrease',
    );
    const fixed = { ...profile, capacity: { minimum: '1', maximum: '2', default: '1' }, rules: [] };
    await expect(armRequest(clients, 'PUT', path, { location: 'eastus', properties: { profiles: [fixed], targetResourceUri: `${WS}/onlineEndpoints/e/deployments/v7` } }, '2022-10-01')).rejects.toThrow(
      `TargetResourceNotFound: The target resource ${WS}/onlineEndpoints/e/deployments/v7 was not found.`,
    );
  });

  it('answers long-running operations the way ARM does: Azure-AsyncOperation polled until Succeeded', async () => {
    fake.operationPolls = 3;
    const clients = fakeClients(fake);
    await armRequest(clients, 'PUT', `${WS}/onlineEndpoints/e1`, { location: 'eastus', properties: { authMode: 'Key' } });
    expect(fake.calls.filter((c) => c.poll).length).toBe(4);
    expect(fake.endpoints.get('e1')!.properties.provisioningState).toBe('Succeeded');
  });

  it('refuses a request without a bearer token, and one without api-version', async () => {
    const status = await new Promise<number>((resolve, reject) =>
      https.get(`${fake.url}${WS}/onlineEndpoints/e1?api-version=2022-10-01`, { ca: fake.ca }, (res) => resolve(res.statusCode!)).on('error', reject),
    );
    expect(status).toBe(401);
    const clients = fakeClients(fake);
    const res = await clients.ml.sendRequest(createPipelineRequest({ url: `${fake.url}${WS}/onlineEndpoints/e1`, method: 'GET' }));
    expect([res.status, JSON.parse(res.bodyAsText!).error.code]).toEqual([400, 'MissingApiVersionParameter']);
  });
});
