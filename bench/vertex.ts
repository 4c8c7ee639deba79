import * as grpc from '@grpc/grpc-js';
import { googleAuthLibrary } from 'google-gax';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { resolvePlan } from '../lib/plan';
import { reconcileVertex, vertexClients } from '../lib/providers/vertex';
import { loadProjectText } from '../lib/spec';
import { FakeVertex } from '../test/fakes/vertex/server';

const ROOT = path.resolve(__dirname, '..');

/** Calls the Vertex reconciler makes per scenario, against the fake, and the handler bundle size. */
export async function bench(): Promise<{ rows: { scenario: string; calls: number; writes: number }[]; bundleBytes?: number }> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const spec = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
  // search-ranker with data capture and a drift monitor (serving.monitoring) at this default threshold.
  const anchor = '      rollback: { errorRate: 0.5%, p99Latency: 250ms }\n';
  if (spec.split(anchor).length !== 2) throw new Error('bench/vertex.ts: examples/mlspec.yaml changed; update the monitoring anchor');
  const monitored = (threshold: number) =>
    spec.replace(
      anchor,
      `${anchor}      dataCapture: { percent: 20 }\n      monitoring:\n        schedule: hourly\n        baseline: { sagemaker: s3://acme-data/ranker/train/, vertex: bq://acme-ml-staging.ranker.train }\n        drift: { threshold: ${threshold} }\n        alerts: { email: [ml-oncall@acme.com] }\n`,
    );
  const plan = (traffic: Record<string, number>, text = spec) =>
    resolvePlan(loadProjectText(text, 'mlspec.yaml', `staging:\n  search-ranker: { traffic: ${JSON.stringify(traffic)} }\n`), { environments: ['staging'] })
      .environments[0].models.find((m) => m.name === 'search-ranker')!.vertex!;
  const fake = new FakeVertex();
  const port = await fake.start();
  const clients = vertexClients('us-central1', { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never);
  const rows: { scenario: string; calls: number; writes: number }[] = [];
  const run = async (scenario: string, traffic: Record<string, number>, text = spec) => {
    fake.resetCounts();
    await reconcileVertex(plan(traffic, text), { model: 'search-ranker', environment: 'staging' }, clients, { retries: 0 });
    rows.push({ scenario, calls: Object.values(fake.calls).reduce((a, b) => a + b, 0), writes: fake.writes });
  };
  try {
    await run('first deploy (one version)', { '3': 100 });
    await run('no-op re-run', { '3': 100 });
    await run('add version (canary 10 %)', { '3': 90, '4': 10 });
    await run('traffic-only (90/10 → 50/50)', { '3': 50, '4': 50 });
    await run('monitoring added (data capture + monitoring job)', { '3': 50, '4': 50 }, monitored(0.3));
    await run('monitoring no-op re-run', { '3': 50, '4': 50 }, monitored(0.3));
    await run('monitoring threshold changed (0.3 → 0.25)', { '3': 50, '4': 50 }, monitored(0.25));
  } finally {
    await clients.models.close();
    await clients.endpoints.close();
    await fake.stop();
  }
  const bundle = path.join(ROOT, 'dist/handlers/vertex/index.js');
  return { rows, bundleBytes: existsSync(bundle) ? statSync(bundle).size : undefined };
}
