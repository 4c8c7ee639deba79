import * as grpc from '@grpc/grpc-js';
import { googleAuthLibrary } from 'google-gax';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolvePlan } from '../../../lib/plan';
import { reconcileVertex, vertexClients, VertexLiveState, type VertexClients } from '../../../lib/providers/vertex';
import { loadProjectText } from '../../../lib/spec';
import { FakeVertex } from '../../fakes/vertex/server';

const ROOT = path.resolve(__dirname, '../../..');
const SPEC = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
const env = resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', 'staging:\n  search-ranker: { traffic: { "3": 100 } }\n'), { environments: ['staging'] }).environments[0];
const ranker = env.models.find((m) => m.name === 'search-ranker')!;

describe('Vertex live state for the promotion gates', () => {
  let fake: FakeVertex;
  let clients: VertexClients;
  let live: VertexLiveState;

  beforeAll(async () => {
    fake = new FakeVertex();
    fake.now = () => Date.parse('2026-11-20T08:00:00Z');
    const port = await fake.start();
    clients = vertexClients('us-central1', { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never);
    live = new VertexLiveState(() => clients);
    await reconcileVertex(ranker.vertex!, { model: 'search-ranker', environment: 'staging' }, clients, { retries: 0 });
  });
  afterAll(async () => {
    await clients.models.close();
    await clients.jobs.close();
    await clients.endpoints.close();
    await fake.stop();
  });

  it('dates a version by when its deployed model came up, while it has traffic', async () => {
    expect(await live.servingSince(env, ranker, '3')).toEqual(new Date('2026-11-20T08:00:00Z'));
    expect(await live.servingSince(env, ranker, '4')).toBeUndefined();
  });

  it('reads metrics from the version’s labels', async () => {
    expect(await live.metrics(env, ranker, '4')).toEqual({ ndcg: 0.74 });
    expect(await live.metrics(env, ranker, '9')).toBeUndefined();
  });

  it('records approval as a label on the version, once', async () => {
    expect(await live.approval(env, ranker, '4')).toBe('pending');
    fake.resetCounts();
    await live.approve(env, ranker, '4', 'approved in a test');
    await live.approve(env, ranker, '4', 'again');
    expect(fake.calls.UpdateModel).toBe(1);
    expect(await live.approval(env, ranker, '4')).toBe('approved');
    expect(await live.approval(env, ranker, '3')).toBe('pending');
  });

  it('says so when the version is not in the registry', async () => {
    await expect(live.approve(env, ranker, '9', 'x')).rejects.toThrow("version 9 of search-ranker is not in the vertex registry of staging (model acme-search-ranker); deploy staging's stack first");
  });
});
