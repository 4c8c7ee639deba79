import * as grpc from '@grpc/grpc-js';
import { vertexClients, type VertexClients } from '../../../lib/providers/vertex';
import { FakeVertex } from '../../fakes/vertex/server';
import { googleAuthLibrary } from 'google-gax';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolvePlan, type VertexModelPlan } from '../../../lib/plan';
import { loadProjectText } from '../../../lib/spec';

const ROOT = path.resolve(__dirname, '../../..');
const SPEC = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');

/** The bundled example's search-ranker on Vertex in staging, with this traffic (linear 25 % every 5m; rollback at 0.5 % errors or p99 > 250ms). */
export function vertexPlan(traffic: Record<string, number>): VertexModelPlan {
  const releases = `staging:\n  search-ranker: { traffic: ${JSON.stringify(traffic)} }\n`;
  const p = resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', releases), { environments: ['staging'] });
  return p.environments[0].models.find((m) => m.name === 'search-ranker')!.vertex!;
}

/** Client options that reach the fake Vertex on 127.0.0.1 (insecure channel, pass-through auth). */
export function fakeGrpcOptions(port: number): never {
  return { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never;
}

/** Runs `body` against a fresh fake Vertex with real v1 clients pointed at it, then closes both. */
export async function withFakeVertex<T>(body: (fake: FakeVertex, clients: VertexClients) => Promise<T>): Promise<T> {
  const fake = new FakeVertex();
  const port = await fake.start();
  const clients = vertexClients('us-central1', fakeGrpcOptions(port));
  try {
    return await body(fake, clients);
  } finally {
    await clients.models.close();
    await clients.jobs.close();
    await clients.endpoints.close();
    await fake.stop();
  }
}
