import { advanceAzureMlRollout, AzureMlSignals, metricsClient, reconcileAzureMl, type AzureMlClients } from '../../../lib/providers/azureml';
import { FakeArm } from '../../fakes/azureml/arm';
import { azurePlan, fakeClients, fakeToken, WS } from './helpers';

const target = { model: 'fraud-detector', environment: 'staging' };
const T0 = Date.UTC(2026, 10, 24, 12);
const MIN = 60_000;
const ENDPOINT = 'acme-fraud-detector-staging';

/** fraud-detector rolls out canary 10 % for 10m and rolls back above 1 % errors or 800ms p99. */
describe('staged rollout on Azure ML: canary with a bake, rollback from Azure Monitor', () => {
  let fake: FakeArm;
  let clients: AzureMlClients;
  let now: number;
  const options = () => ({ updateIntervalInMs: 5, staged: true, now: () => now });
  const signals = () => new AzureMlSignals(metricsClient(fakeToken, { endpoint: fake.url, tlsOptions: { ca: fake.ca }, retryOptions: { retryDelayInMs: 5 } } as never), `${WS}/onlineEndpoints/${ENDPOINT}`);
  const traffic = () => fake.endpoints.get(ENDPOINT)!.properties.traffic;
  const deployments = () => [...fake.deployments.keys()].map((k) => k.split('/')[1]).sort();

  beforeEach(async () => {
    fake = new FakeArm();
    now = T0;
    fake.now = () => now;
    await fake.start();
    clients = fakeClients(fake);
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, options());
    fake.resetCounts();
  });
  afterEach(() => fake.stop());

  it('gives v8 10 % for the bake, then all of it, then deletes v7; each step is one endpoint PUT', async () => {
    const plan = azurePlan('{ traffic: { "8": 100 } }');
    const started = await reconcileAzureMl(plan, target, clients, options());
    expect(started.rollout).toEqual(expect.objectContaining({ baseline: { v7: 100 }, final: { v8: 100 }, added: ['v8'] }));
    expect(traffic()).toEqual({ v7: 90, v8: 10 });
    expect(deployments()).toEqual(['v7', 'v8']);

    now = T0 + 5 * MIN;
    fake.setMetric(ENDPOINT, 'RequestsPerMinute', { deployment: 'v8', statusCodeClass: '2xx' }, [{ timeStamp: T0 + 2 * MIN, total: 500 }]);
    fake.resetCounts();
    expect((await advanceAzureMlRollout(plan, target, clients, started.rollout!, signals(), options())).done).toBe(false);
    expect(fake.writes).toBe(0);

    now = T0 + 10 * MIN;
    fake.resetCounts();
    expect((await advanceAzureMlRollout(plan, target, clients, started.rollout!, signals(), options())).done).toBe(true);
    expect(traffic()).toEqual({ v8: 100 });
    expect(deployments()).toEqual(['v8']);
    // Traffic to v8, v7's autoscale setting, v7.
    expect(fake.writes).toBe(3);

    fake.resetCounts();
    await advanceAzureMlRollout(plan, target, clients, started.rollout!, signals(), options());
    await reconcileAzureMl(plan, target, clients, options());
    expect(fake.writes).toBe(0);
  });

  it('rolls back when v8’s 5xx share crosses 1 %: traffic back, v8 deleted, the reason', async () => {
    const plan = azurePlan('{ traffic: { "8": 100 } }');
    const started = await reconcileAzureMl(plan, target, clients, options());
    now = T0 + 4 * MIN;
    fake.setMetric(ENDPOINT, 'RequestsPerMinute', { deployment: 'v8', statusCodeClass: '2xx' }, [{ timeStamp: T0 + MIN, total: 190 }, { timeStamp: T0 + 2 * MIN, total: 200 }]);
    fake.setMetric(ENDPOINT, 'RequestsPerMinute', { deployment: 'v8', statusCodeClass: '5xx' }, [{ timeStamp: T0 + 2 * MIN, total: 10 }]);
    // v7's errors are not the canary's.
    fake.setMetric(ENDPOINT, 'RequestsPerMinute', { deployment: 'v7', statusCodeClass: '5xx' }, [{ timeStamp: T0 + 2 * MIN, total: 900 }]);
    await expect(advanceAzureMlRollout(plan, target, clients, started.rollout!, signals(), options())).rejects.toThrow(
      'azureml: fraud-detector in staging: rolled back v8: error rate 2.5% > 1% (10 of 400 requests); traffic is back at v7 100%',
    );
    expect(traffic()).toEqual({ v7: 100 });
    expect(deployments()).toEqual(['v7']);
    expect([...fake.autoscaleSettings.keys()]).toEqual(['acme-fraud-detector-staging-v7-autoscale']);
    fake.resetCounts();
    await reconcileAzureMl(azurePlan('{ traffic: { "7": 100 } }'), target, clients, options());
    expect(fake.writes).toBe(0);
  });

  it('rolls back on p99 latency', async () => {
    const plan = azurePlan('{ traffic: { "7": 50, "8": 50 } }');
    const started = await reconcileAzureMl(plan, target, clients, options());
    now = T0 + 3 * MIN;
    fake.setMetric(ENDPOINT, 'RequestLatency_P99', { deployment: 'v8' }, [{ timeStamp: T0 + MIN, maximum: 640 }, { timeStamp: T0 + 2 * MIN, maximum: 912 }]);
    await expect(advanceAzureMlRollout(plan, target, clients, started.rollout!, signals(), options())).rejects.toThrow('rolled back v8: p99 latency 912ms > 800ms; traffic is back at v7 100%');
  });

  it('fails closed when Azure Monitor cannot be read', async () => {
    const plan = azurePlan('{ traffic: { "8": 100 } }');
    const started = await reconcileAzureMl(plan, target, clients, options());
    fake.faults.push({ method: 'GET', path: /Microsoft\.Insights\/metrics$/, status: 500, times: 50 });
    await expect(advanceAzureMlRollout(plan, target, clients, started.rollout!, signals(), options())).rejects.toThrow(/rolled back v8: Azure Monitor could not be read \(.*\); traffic is back at v7 100%/);
    expect(deployments()).toEqual(['v7']);
  });
});
