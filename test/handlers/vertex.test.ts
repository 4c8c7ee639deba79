import * as grpc from '@grpc/grpc-js';
import { googleAuthLibrary } from 'google-gax';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isComplete, onEvent, type CustomResourceEvent } from '../../lib/handlers/vertex';
import { metricClient, VertexSignals } from '../../lib/providers/vertex/signals';
import { resolvePlan } from '../../lib/plan';
import { vertexClients, workloadIdentityConfig, workloadIdentityClient } from '../../lib/providers/vertex';
import { loadProjectText } from '../../lib/spec';
import { FakeVertex } from '../fakes/vertex/server';

const ROOT = path.resolve(__dirname, '../..');
const SPEC = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');

function properties(traffic: Record<string, number>, protectedEnv = false) {
  const releases = `staging:\n  search-ranker: { traffic: ${JSON.stringify(traffic)} }\n`;
  const plan = resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', releases), { environments: ['staging'] }).environments[0].models.find((m) => m.name === 'search-ranker')!.vertex!;
  // CloudFormation turns every property value into a string.
  return { ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:vertex', Plan: JSON.stringify(plan), Model: 'search-ranker', Environment: 'staging', Protected: String(protectedEnv) };
}

/** A CloudFormation custom-resource event as the Provider framework passes it to onEvent. */
function event(type: 'Create' | 'Update' | 'Delete', props: ReturnType<typeof properties>, physicalId?: string, old?: ReturnType<typeof properties>): CustomResourceEvent {
  return {
    RequestType: type,
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
    OldResourceProperties: old,
    ...({ StackId: 'arn:aws:cloudformation:us-east-1:222222222222:stack/acme-search-ranker-staging/1', RequestId: 'r', LogicalResourceId: 'Vertex', ResourceType: 'Custom::VertexModel' } as object),
  };
}

describe('the Vertex custom-resource handler, driven by CloudFormation events against the fake', () => {
  let fake: FakeVertex;
  let port: number;
  const deps = () => ({
    clients: () => vertexClients('us-central1', { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never),
    options: { retries: 1, backoffMs: 5 },
  });

  beforeEach(async () => {
    fake = new FakeVertex();
    port = await fake.start();
  });
  afterEach(() => fake.stop());

  it('Create deploys; a retried Create changes nothing; Update moves traffic in one write', async () => {
    const created = await onEvent(event('Create', properties({ '3': 100 })), deps());
    expect(created.PhysicalResourceId).toBe('vertex:projects/acme-ml-staging/locations/us-central1/acme-search-ranker/acme-search-ranker-staging');
    expect(created.Data?.EndpointName).toMatch(/^projects\/acme-ml-staging\/locations\/us-central1\/endpoints\/\d+$/);
    fake.resetCounts();
    await onEvent(event('Create', properties({ '3': 100 })), deps());
    expect(fake.writes).toBe(0);
    await onEvent(event('Update', properties({ '3': 100 }), created.PhysicalResourceId, properties({ '3': 100 })), deps());
    expect(fake.writes).toBe(0);
  });

  it('Delete keeps the registry and removes the endpoint; a retried Delete succeeds', async () => {
    const created = await onEvent(event('Create', properties({ '3': 100 })), deps());
    await onEvent(event('Delete', properties({ '3': 100 }), created.PhysicalResourceId), deps());
    expect(fake.endpoints.size).toBe(0);
    expect([...fake.models.values()][0]).toHaveLength(2);
    await expect(onEvent(event('Delete', properties({ '3': 100 }), created.PhysicalResourceId), deps())).resolves.toEqual({ PhysicalResourceId: created.PhysicalResourceId });
  });

  it('Delete in a protected environment keeps the endpoint too', async () => {
    const created = await onEvent(event('Create', properties({ '3': 100 }, true)), deps());
    fake.resetCounts();
    await onEvent(event('Delete', properties({ '3': 100 }, true), created.PhysicalResourceId), deps());
    expect(fake.writes).toBe(0);
    expect(fake.endpoints.size).toBe(1);
  });

  it('without a workload identity provider, says what to set', async () => {
    await expect(onEvent(event('Create', properties({ '3': 100 })))).rejects.toThrow(
      'vertex: search-ranker in staging: environments.staging.gcp.workloadIdentityProvider is not set; the deploy role reaches Google only through workload identity federation (see docs/vertex.md)',
    );
  });
});

describe('workload identity federation from the handler’s AWS role', () => {
  const id = { workloadIdentityProvider: 'projects/123456/locations/global/workloadIdentityPools/aws/providers/deploy', serviceAccount: 'mlspec-deploy@acme-ml-prod.iam.gserviceaccount.com' };

  it('builds the external-account (AWS) configuration google-auth-library exchanges', () => {
    expect(workloadIdentityConfig(id)).toEqual({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/aws/providers/deploy',
      subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: { environment_id: 'aws1', regional_cred_verification_url: 'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15' },
      service_account_impersonation_url: 'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/mlspec-deploy@acme-ml-prod.iam.gserviceaccount.com:generateAccessToken',
    });
  });

  it('gives an AWS external-account client (no key anywhere)', () => {
    expect(workloadIdentityClient(id)).toBeInstanceOf(googleAuthLibrary.AwsClient);
  });
});

describe('the bundled handler (dist/handlers/vertex, what Lambda runs)', () => {
  const file = path.join(ROOT, 'dist/handlers/vertex/index.js');

  it('is under 2 MB and carries no CDK code', () => {
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBeLessThan(2 * 1024 * 1024);
    expect(text).not.toContain('aws-cdk-lib');
  });

  it('deploys against the fake with its own pruned protos, gRPC and auth', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(file) as typeof import('../../lib/handlers/vertex');
    const fake = new FakeVertex();
    const port = await fake.start();
    try {
      const clients = () => bundle.vertexClients('us-central1', { apiEndpoint: '127.0.0.1', port, sslCreds: bundle.grpc.credentials.createInsecure(), authClient: new bundle.googleAuthLibrary.PassThroughClient() } as never);
      const created = await bundle.onEvent(event('Create', properties({ '3': 75, '4': 25 })), { clients, options: { retries: 0 } });
      expect(created.Data?.EndpointName).toMatch(/endpoints\/\d+$/);
      expect(fake.calls).toEqual(expect.objectContaining({ UploadModel: 2, CreateEndpoint: 1, DeployModel: 2, UpdateEndpoint: 1 }));
    } finally {
      await fake.stop();
    }
  });
});

describe('staged rollout through the Provider framework: onEvent starts it, isComplete walks it', () => {
  let fake: FakeVertex;
  let port: number;
  let now = Date.UTC(2026, 10, 24, 12);
  const grpcOptions = () => ({ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() }) as never;
  const deps = () => ({
    clients: () => vertexClients('us-central1', grpcOptions()),
    signals: (plan: { project: string }, _props: unknown, endpointName: string) => {
      const client = metricClient(grpcOptions());
      return Object.assign(new VertexSignals(client, plan.project, endpointName), { close: () => client.close() });
    },
    options: { retries: 1, backoffMs: 5, now: () => now },
  });

  beforeEach(async () => {
    fake = new FakeVertex();
    fake.now = () => now;
    port = await fake.start();
  });
  afterEach(() => fake.stop());

  it('an Update that adds a version returns the rollout; isComplete answers false until the last step, then true', async () => {
    const created = await onEvent(event('Create', properties({ '3': 100 })), deps());
    expect(created.Data?.Rollout).toBe('');
    await expect(isComplete({ ...event('Create', properties({ '3': 100 })), ...created }, deps())).resolves.toEqual({ IsComplete: true });

    const update = event('Update', properties({ '4': 100 }), created.PhysicalResourceId, properties({ '3': 100 }));
    const started = await onEvent(update, deps());
    expect(JSON.parse(started.Data!.Rollout)).toEqual(expect.objectContaining({ added: ['search-ranker-v4'], steps: [{ percent: 25, bakeSeconds: 300 }, { percent: 50, bakeSeconds: 300 }, { percent: 75, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }] }));
    const waiter = { ...update, ...started };
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const answers = [];
      for (const minutes of [0, 5, 10, 15]) {
        now = Date.UTC(2026, 10, 24, 12) + minutes * 60_000;
        answers.push((await isComplete(waiter, deps())).IsComplete);
      }
      expect(answers).toEqual([false, false, false, true]);
      expect(log).toHaveBeenCalledWith('search-ranker in staging: step 2 of 4, {"search-ranker-v3":50,"search-ranker-v4":50}');
    } finally {
      log.mockRestore();
    }
  });

  it('closes the clients and signals it makes on every path', async () => {
    const closed: jest.SpyInstance[] = [];
    const closing = () => {
      const d = deps();
      return {
        ...d,
        clients: () => {
          const c = d.clients();
          closed.push(jest.spyOn(c.models, 'close'), jest.spyOn(c.endpoints, 'close'));
          return c;
        },
        signals: (plan: { project: string }, props: unknown, endpointName: string) => {
          const signals = d.signals(plan, props, endpointName);
          closed.push(jest.spyOn(signals, 'close'));
          return signals;
        },
      };
    };
    const created = await onEvent(event('Create', properties({ '3': 100 })), closing());
    const update = event('Update', properties({ '4': 100 }), created.PhysicalResourceId, properties({ '3': 100 }));
    const started = await onEvent(update, closing());
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(isComplete({ ...update, ...started }, closing())).resolves.toEqual({ IsComplete: false });
    } finally {
      log.mockRestore();
    }
    await onEvent(event('Delete', properties({ '4': 100 }), created.PhysicalResourceId), closing());
    // Create, Update: both clients; isComplete: both clients and the signals; Delete: both clients.
    expect(closed.map((c) => c.mock.calls.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('isComplete fails the resource with the rollback reason, and CloudFormation’s rollback Update writes nothing', async () => {
    now = Date.UTC(2026, 10, 24, 12);
    const created = await onEvent(event('Create', properties({ '3': 100 })), deps());
    const update = event('Update', properties({ '4': 100 }), created.PhysicalResourceId, properties({ '3': 100 }));
    const started = await onEvent(update, deps());
    const endpoint = started.Data!.EndpointName;
    const v4 = fake.endpoints.get(endpoint)!.deployedModels.find((d: any) => d.displayName === 'search-ranker-v4').id;
    fake.addMetric('prediction_count', endpoint, v4, 200);
    fake.addMetric('error_count', endpoint, v4, 20);
    now += 60_000;
    await expect(isComplete({ ...update, ...started }, deps())).rejects.toThrow('vertex: search-ranker in staging: rolled back search-ranker-v4: error rate 10% > 0.5% (20 of 200 requests); traffic is back at search-ranker-v3 100%');
    fake.resetCounts();
    await onEvent(event('Update', properties({ '3': 100 }), created.PhysicalResourceId, properties({ '4': 100 })), deps());
    expect(fake.writes).toBe(0);
  });
});
