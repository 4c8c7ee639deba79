import * as grpc from '@grpc/grpc-js';
import { advanceVertexRollout, reconcileVertex, vertexClients, type VertexClients } from '../../../lib/providers/vertex';
import { metricClient, VertexSignals } from '../../../lib/providers/vertex/signals';
import { FakeVertex } from '../../fakes/vertex/server';
import { fakeGrpcOptions, vertexPlan } from './helpers';

const plan = vertexPlan;

const target = { model: 'search-ranker', environment: 'staging' };
const T0 = Date.UTC(2026, 10, 24, 12);
const MIN = 60_000;

describe('staged rollout on Vertex: linear steps with bakes, rollback from Cloud Monitoring', () => {
  let fake: FakeVertex;
  let clients: VertexClients;
  let monitoring: ReturnType<typeof metricClient>;
  let now: number;
  const options = () => ({ retries: 2, backoffMs: 5, staged: true, now: () => now });
  const split = (endpointName: string) => {
    const e = fake.endpoints.get(endpointName)!;
    const names = new Map(e.deployedModels.map((d: any) => [d.id, d.displayName.replace('search-ranker-', '')]));
    return Object.fromEntries(Object.entries(e.trafficSplit as Record<string, number>).filter(([, v]) => v > 0).map(([id, v]) => [names.get(id), v]));
  };

  beforeEach(async () => {
    fake = new FakeVertex();
    now = T0;
    fake.now = () => now;
    const port = await fake.start();
    const opts = fakeGrpcOptions(port);
    clients = vertexClients('us-central1', opts);
    monitoring = metricClient(opts);
    // v3 serves everything before the change.
    await reconcileVertex(plan({ '3': 100 }), target, clients, options());
    fake.resetCounts();
  });
  afterEach(async () => {
    await Promise.all([clients.models.close(), clients.endpoints.close(), clients.jobs.close(), monitoring.close()]);
    await fake.stop();
  });

  it('adds v4 at the first step, moves 25 % each interval in one write, then undeploys v3', async () => {
    const p = plan({ '4': 100 });
    const started = await reconcileVertex(p, target, clients, options());
    expect(started.rollout).toEqual(expect.objectContaining({ startedAt: T0, baseline: { 'search-ranker-v3': 100 }, final: { 'search-ranker-v4': 100 }, added: ['search-ranker-v4'] }));
    expect(split(started.endpointName!)).toEqual({ v3: 75, v4: 25 });
    expect(fake.calls).toEqual(expect.objectContaining({ DeployModel: 1, UpdateEndpoint: 1 }));
    expect(fake.calls.UndeployModel).toBeUndefined();

    const signals = new VertexSignals(monitoring, p.project, started.endpointName!);
    const seen: Record<string, number>[] = [];
    for (const minute of [1, 4, 5, 6, 10, 15]) {
      now = T0 + minute * MIN;
      fake.addMetric('prediction_count', started.endpointName!, started.deployedModelIds['search-ranker-v4'], 100);
      fake.resetCounts();
      const progress = await advanceVertexRollout(p, target, clients, started.rollout!, signals, options());
      seen.push(split(started.endpointName!));
      // A look inside a bake writes nothing; a step boundary is one UpdateEndpoint.
      if (minute === 1 || minute === 4 || minute === 6) expect(fake.writes).toBe(0);
      if (minute === 5 || minute === 10) expect(fake.calls).toEqual(expect.objectContaining({ UpdateEndpoint: 1 }));
      expect(progress.done).toBe(minute === 15);
    }
    expect(seen).toEqual([{ v3: 75, v4: 25 }, { v3: 75, v4: 25 }, { v3: 50, v4: 50 }, { v3: 50, v4: 50 }, { v3: 25, v4: 75 }, { v4: 100 }]);
    expect(fake.endpoints.get(started.endpointName!)!.deployedModels.map((d: any) => d.displayName)).toEqual(['search-ranker-v4']);
    expect(fake.calls.ListTimeSeries).toBe(3);

    // Repeating the last look changes nothing; so does the next CloudFormation run of the same plan.
    fake.resetCounts();
    await advanceVertexRollout(p, target, clients, started.rollout!, signals, options());
    await reconcileVertex(p, target, clients, options());
    expect(fake.writes).toBe(0);
  });

  it('rolls back when the new version’s error rate crosses the threshold: old split, new version undeployed, the reason', async () => {
    const p = plan({ '4': 100 });
    const started = await reconcileVertex(p, target, clients, options());
    const v4 = started.deployedModelIds['search-ranker-v4'];
    const v3 = started.deployedModelIds['search-ranker-v3'];
    now = T0 + 3 * MIN;
    fake.addMetric('prediction_count', started.endpointName!, v4, 400);
    fake.addMetric('error_count', started.endpointName!, v4, 3);
    // v3's errors are not the canary's business.
    fake.addMetric('error_count', started.endpointName!, v3, 50);
    const signals = new VertexSignals(monitoring, p.project, started.endpointName!);
    await expect(advanceVertexRollout(p, target, clients, started.rollout!, signals, options())).rejects.toThrow(
      'vertex: search-ranker in staging: rolled back search-ranker-v4: error rate 0.75% > 0.5% (3 of 400 requests); traffic is back at search-ranker-v3 100%',
    );
    expect(split(started.endpointName!)).toEqual({ v3: 100 });
    expect(fake.endpoints.get(started.endpointName!)!.deployedModels.map((d: any) => d.displayName)).toEqual(['search-ranker-v3']);

    // CloudFormation then rolls the stack back: the old plan finds everything in place.
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }), target, clients, options());
    expect(fake.writes).toBe(0);
  });

  it('rolls back on p99 latency', async () => {
    const p = plan({ '3': 50, '4': 50 });
    const started = await reconcileVertex(p, target, clients, options());
    now = T0 + 2 * MIN;
    fake.addMetric('prediction_latencies', started.endpointName!, started.deployedModelIds['search-ranker-v4'], 310);
    const signals = new VertexSignals(monitoring, p.project, started.endpointName!);
    await expect(advanceVertexRollout(p, target, clients, started.rollout!, signals, options())).rejects.toThrow('p99 latency 310ms > 250ms');
  });

  it('fails closed when Cloud Monitoring cannot be read', async () => {
    const p = plan({ '4': 100 });
    const started = await reconcileVertex(p, target, clients, options());
    fake.faults.push({ method: 'ListTimeSeries', code: grpc.status.PERMISSION_DENIED, times: 10, message: 'monitoring.timeSeries.list denied' });
    const signals = new VertexSignals(monitoring, p.project, started.endpointName!);
    await expect(advanceVertexRollout(p, target, clients, started.rollout!, signals, options())).rejects.toThrow(
      /rolled back search-ranker-v4: Cloud Monitoring could not be read \(7 PERMISSION_DENIED: monitoring.timeSeries.list denied\)/,
    );
    expect(split(started.endpointName!)).toEqual({ v3: 100 });
  });

  it('a change that only moves traffic is not staged: one write', async () => {
    await reconcileVertex(plan({ '3': 90, '4': 10 }), target, clients, { ...options(), staged: false });
    fake.resetCounts();
    const result = await reconcileVertex(plan({ '3': 50, '4': 50 }), target, clients, options());
    expect(result.rollout).toBeUndefined();
    expect(fake.writes).toBe(1);
  });
});
