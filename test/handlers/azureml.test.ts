import { GetWebIdentityTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientAssertionCredential } from '@azure/identity';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isComplete, onEvent, type CustomResourceEvent } from '../../lib/handlers/azureml';
import { closableHttpClient } from '../../lib/providers/azureml/clients';
import { azureCredential, federatedCredential, SecretsManagerClientSecretCredential, webIdentityAssertion } from '../../lib/providers/azureml/credentials';
import { AzureMlSignals, metricsClient } from '../../lib/providers/azureml/signals';
import { FakeArm } from '../fakes/azureml/arm';
import { azurePlan, fakeClients, fakeToken } from '../providers/azureml/helpers';

const ROOT = path.resolve(__dirname, '../..');
const identity = { TenantId: '11111111-1111-1111-1111-111111111111', ClientId: '22222222-2222-2222-2222-222222222222' };

function properties(release: string, protectedEnv = false) {
  // CloudFormation turns every property value into a string.
  return { ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:azureml', Plan: JSON.stringify(azurePlan(release)), Model: 'fraud-detector', Environment: 'staging', Protected: String(protectedEnv), ...identity };
}

/** A CloudFormation custom-resource event as the Provider framework passes it to onEvent. */
function event(type: 'Create' | 'Update' | 'Delete', props: ReturnType<typeof properties>, physicalId?: string, old?: ReturnType<typeof properties>): CustomResourceEvent {
  return {
    RequestType: type,
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
    OldResourceProperties: old,
    ...({ StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/acme-fraud-detector-staging/1', RequestId: 'r', LogicalResourceId: 'AzureMl', ResourceType: 'Custom::AzureMlModel' } as object),
  };
}

describe('the Azure ML custom-resource handler, driven by CloudFormation events against the fake ARM', () => {
  let fake: FakeArm;
  let now = Date.UTC(2026, 10, 24, 12);
  const deps = () => ({
    clients: () => fakeClients(fake),
    signals: (_plan: unknown, _props: unknown, endpointId: string) => new AzureMlSignals(metricsClient(fakeToken, { endpoint: fake.url, tlsOptions: { ca: fake.ca } } as never), endpointId),
    options: { updateIntervalInMs: 5, now: () => now },
  });

  beforeEach(async () => {
    fake = new FakeArm();
    fake.now = () => now;
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('Create deploys; a retried Create and an unchanged Update write nothing', async () => {
    const created = await onEvent(event('Create', properties('{ traffic: { "7": 100 } }')), deps());
    expect(created.PhysicalResourceId).toBe('azureml:/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/ml-staging/workspaces/acme-staging/acme-fraud-detector/acme-fraud-detector-staging');
    expect(created.Data).toEqual({ EndpointId: expect.stringMatching(/\/onlineEndpoints\/acme-fraud-detector-staging$/), ScoringUri: 'https://acme-fraud-detector-staging.eastus.inference.ml.azure.com/score', Rollout: '' });
    await expect(isComplete({ ...event('Create', properties('{ traffic: { "7": 100 } }')), ...created }, deps())).resolves.toEqual({ IsComplete: true });
    fake.resetCounts();
    await onEvent(event('Create', properties('{ traffic: { "7": 100 } }')), deps());
    await onEvent(event('Update', properties('{ traffic: { "7": 100 } }'), created.PhysicalResourceId, properties('{ traffic: { "7": 100 } }')), deps());
    expect(fake.writes).toBe(0);
  });

  it('an Update adding a version is staged: isComplete answers false through the bake, then true', async () => {
    const created = await onEvent(event('Create', properties('{ traffic: { "7": 100 } }')), deps());
    const update = event('Update', properties('{ traffic: { "8": 100 } }'), created.PhysicalResourceId, properties('{ traffic: { "7": 100 } }'));
    const started = await onEvent(update, deps());
    expect(JSON.parse(started.Data!.Rollout).steps).toEqual([{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 0 }]);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const answers = [];
      for (const minutes of [0, 9, 10]) {
        now = Date.UTC(2026, 10, 24, 12) + minutes * 60_000;
        answers.push((await isComplete({ ...update, ...started }, deps())).IsComplete);
      }
      expect(answers).toEqual([false, false, true]);
      expect(log).toHaveBeenCalledWith('fraud-detector in staging: step 1 of 2, {"v7":90,"v8":10}');
    } finally {
      log.mockRestore();
      now = Date.UTC(2026, 10, 24, 12);
    }
    expect(fake.endpoints.get('acme-fraud-detector-staging')!.properties.traffic).toEqual({ v8: 100 });
  });

  it('Delete removes the endpoint and keeps the model versions; a retried Delete succeeds', async () => {
    const created = await onEvent(event('Create', properties('{ traffic: { "7": 100 } }')), deps());
    await onEvent(event('Delete', properties('{ traffic: { "7": 100 } }'), created.PhysicalResourceId), deps());
    expect(fake.endpoints.size).toBe(0);
    expect(fake.deployments.size).toBe(0);
    expect(fake.autoscaleSettings.size).toBe(0);
    expect(fake.modelVersions.size).toBe(3);
    await expect(onEvent(event('Delete', properties('{ traffic: { "7": 100 } }'), created.PhysicalResourceId), deps())).resolves.toEqual({ PhysicalResourceId: created.PhysicalResourceId });
  });

  it('Delete in a protected environment keeps the endpoint too', async () => {
    const created = await onEvent(event('Create', properties('{ traffic: { "7": 100 } }', true)), deps());
    fake.resetCounts();
    await onEvent(event('Delete', properties('{ traffic: { "7": 100 } }', true), created.PhysicalResourceId), deps());
    expect(fake.writes).toBe(0);
    expect(fake.endpoints.size).toBe(1);
  });

  it('closes the clients it makes on every path: their connections to ARM end', async () => {
    const made: { close: jest.Mock }[] = [];
    const signalsClosed: jest.Mock[] = [];
    const closing = () => ({
      ...deps(),
      clients: () => {
        const real = fakeClients(fake);
        const c = { ...real, close: jest.fn(real.close) };
        made.push(c);
        return c;
      },
      signals: (_plan: unknown, _props: unknown, endpointId: string) => {
        const http = closableHttpClient();
        const close = jest.fn(async () => http.close());
        signalsClosed.push(close);
        return Object.assign(new AzureMlSignals(metricsClient(fakeToken, { endpoint: fake.url, tlsOptions: { ca: fake.ca }, httpClient: http } as never), endpointId), { close });
      },
    });
    const connections = () => new Promise<number>((resolve, reject) => (fake as unknown as { server: import('node:https').Server }).server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    const created = await onEvent(event('Create', properties('{ traffic: { "7": 100 } }')), closing());
    const update = event('Update', properties('{ traffic: { "8": 100 } }'), created.PhysicalResourceId, properties('{ traffic: { "7": 100 } }'));
    const started = await onEvent(update, closing());
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(isComplete({ ...update, ...started }, closing())).resolves.toEqual({ IsComplete: false });
    } finally {
      log.mockRestore();
    }
    await onEvent(event('Delete', properties('{ traffic: { "8": 100 } }'), created.PhysicalResourceId), closing());
    expect(made.map((c) => c.close.mock.calls.length)).toEqual([1, 1, 1, 1]);
    expect(signalsClosed.map((c) => c.mock.calls.length)).toEqual([1]);
    await new Promise((r) => setTimeout(r, 50));
    await expect(connections()).resolves.toBe(0);
  });

  it('without the app registration, says what to set', async () => {
    const props = { ...properties('{ traffic: { "7": 100 } }'), TenantId: '' };
    await expect(onEvent(event('Create', props))).rejects.toThrow(
      'azureml: fraud-detector in staging: environments.staging.azure.tenantId is not set; the deploy role signs in to Azure as an app registration that trusts it (see docs/azureml.md)',
    );
    await expect(onEvent(event('Create', { ...properties('{ traffic: { "7": 100 } }'), ClientId: '' }))).rejects.toThrow('environments.staging.azure.clientId is not set');
  });
});

describe('signing in to Azure without a stored secret', () => {
  const sts = mockClient(STSClient);
  afterEach(() => sts.reset());

  it('the assertion is a 5-minute RS256 web identity token for Entra ID’s exchange, from the handler role', async () => {
    sts.on(GetWebIdentityTokenCommand).resolves({ WebIdentityToken: 'eyJ.aws.jwt' });
    await expect(webIdentityAssertion(new STSClient({ region: 'us-east-1' }))()).resolves.toBe('eyJ.aws.jwt');
    expect(sts.commandCalls(GetWebIdentityTokenCommand)[0].args[0].input).toEqual({ Audience: ['api://AzureADTokenExchange'], SigningAlgorithm: 'RS256', DurationSeconds: 300 });
  });

  it('says how to turn federation on when STS gives no token', async () => {
    sts.on(GetWebIdentityTokenCommand).resolves({});
    await expect(webIdentityAssertion(new STSClient({ region: 'us-east-1' }))()).rejects.toThrow(
      'sts:GetWebIdentityToken returned no token; is outbound identity federation enabled for the account (aws iam enable-outbound-web-identity-federation)?',
    );
  });

  it('federation gives a ClientAssertionCredential; a named secret gives the Secrets Manager credential', () => {
    expect(federatedCredential({ tenantId: identity.TenantId, clientId: identity.ClientId })).toBeInstanceOf(ClientAssertionCredential);
    expect(azureCredential({ tenantId: identity.TenantId, clientId: identity.ClientId })).toBeInstanceOf(ClientAssertionCredential);
    expect(azureCredential({ tenantId: identity.TenantId, clientId: identity.ClientId, clientSecretName: 'mlspec/azure' })).toBeInstanceOf(SecretsManagerClientSecretCredential);
  });

  it('a client secret that is not plain text is named in the error', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    const credential = new SecretsManagerClientSecretCredential({ tenantId: identity.TenantId, clientId: identity.ClientId, clientSecretName: 'mlspec/azure' }, new SecretsManagerClient({ region: 'us-east-1' }));
    await expect(credential.getToken('https://management.azure.com/.default')).rejects.toThrow('secret mlspec/azure has no string value; store the client secret as plain text');
    expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: 'mlspec/azure' });
    secrets.restore();
  });
});

describe('the bundled handler (dist/handlers/azureml, what Lambda runs)', () => {
  const file = path.join(ROOT, 'dist/handlers/azureml/index.js');

  it('is under 2 MB and carries no CDK code', () => {
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBeLessThan(2 * 1024 * 1024);
    expect(text).not.toContain('aws-cdk-lib');
  });

  it('deploys against the fake with its own copy of the Azure SDK', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(file) as typeof import('../../lib/handlers/azureml');
    const fake = new FakeArm();
    await fake.start();
    try {
      const clients = () => bundle.azureMlClients('00000000-0000-0000-0000-000000000002', fakeToken, { endpoint: fake.url, tlsOptions: { ca: fake.ca }, pollIntervalMs: 5 });
      const created = await bundle.onEvent(event('Create', properties('{ traffic: { "7": 90, "8": 10 } }')), { clients, options: { updateIntervalInMs: 5 } });
      expect(created.Data?.EndpointId).toMatch(/onlineEndpoints\/acme-fraud-detector-staging$/);
      expect(fake.endpoints.get('acme-fraud-detector-staging')!.properties.traffic).toEqual({ v7: 90, v8: 10 });
    } finally {
      await fake.stop();
    }
  });
});
