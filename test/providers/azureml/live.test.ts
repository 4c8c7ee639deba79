import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolvePlan } from '../../../lib/plan';
import { AzureMlLiveState } from '../../../lib/providers/azureml/live';
import { reconcileAzureMl } from '../../../lib/providers/azureml';
import { loadProjectText } from '../../../lib/spec';
import { FakeArm } from '../../fakes/azureml/arm';
import { fakeClients } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const SPEC = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
const env = resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', 'staging:\n  fraud-detector: { traffic: { "7": 100 } }\n'), { environments: ['staging'] }).environments[0];
const fraud = env.models.find((m) => m.name === 'fraud-detector')!;

describe('Azure ML live state for the promotion gates', () => {
  let fake: FakeArm;
  let live: AzureMlLiveState;

  beforeAll(async () => {
    fake = new FakeArm();
    fake.now = () => Date.parse('2026-11-20T08:00:00Z');
    await fake.start();
    live = new AzureMlLiveState(() => fakeClients(fake));
    await reconcileAzureMl(fraud.azureml!, { model: 'fraud-detector', environment: 'staging' }, fakeClients(fake), { updateIntervalInMs: 5 });
  });
  afterAll(() => fake.stop());

  it('dates a version by when its deployment was created, while it has traffic', async () => {
    expect(await live.servingSince(env, fraud, '7')).toEqual(new Date('2026-11-20T08:00:00Z'));
    expect(await live.servingSince(env, fraud, '8')).toBeUndefined();
  });

  it('reads metrics from the version’s tags', async () => {
    expect(await live.metrics(env, fraud, '8')).toEqual(fraud.registry.versions.find((v) => v.label === '8')!.metrics);
    expect(await live.metrics(env, fraud, '12')).toBeUndefined();
  });

  it('records approval as a tag on the version, once, keeping its other tags', async () => {
    expect(await live.approval(env, fraud, '8')).toBe('pending');
    fake.resetCounts();
    await live.approve(env, fraud, '8', 'approved in a test');
    await live.approve(env, fraud, '8', 'again');
    expect(fake.count('PUT', /\/models\/acme-fraud-detector\/versions\/8$/)).toBe(1);
    expect(await live.approval(env, fraud, '8')).toBe('approved');
    expect(await live.approval(env, fraud, '7')).toBe('pending');
    expect(fake.modelVersions.get('acme-fraud-detector/8')!.properties.tags).toEqual(expect.objectContaining({ 'mlspec:version': '8', 'mlspec-approved-staging': 'true', 'mlspec-approved-staging-note': 'approved in a test' }));
  });

  it('says so when the version is not in the registry', async () => {
    await expect(live.approve(env, fraud, '12', 'x')).rejects.toThrow("version 12 of fraud-detector is not in the azureml registry of staging (model acme-fraud-detector); deploy staging's stack first");
  });
});
