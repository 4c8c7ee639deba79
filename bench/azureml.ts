import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { reconcileAzureMl } from '../lib/providers/azureml';
import { FakeArm } from '../test/fakes/azureml/arm';
import { azurePlan, fakeClients } from '../test/providers/azureml/helpers';

const ROOT = path.resolve(__dirname, '..');

/** Requests the Azure ML reconciler makes per scenario, against the fake ARM, and the handler bundle size. */
export async function bench(): Promise<{ rows: { scenario: string; calls: number; writes: number }[]; bundleBytes?: number }> {
  const fake = new FakeArm();
  await fake.start();
  const clients = fakeClients(fake);
  const rows: { scenario: string; calls: number; writes: number }[] = [];
  const run = async (scenario: string, release: string) => {
    fake.resetCounts();
    await reconcileAzureMl(azurePlan(release), { model: 'fraud-detector', environment: 'staging' }, clients, { updateIntervalInMs: 1 });
    // Operation polls are ARM's protocol, not our choices: counted as calls, never as writes.
    rows.push({ scenario, calls: fake.calls.length, writes: fake.writes });
  };
  try {
    await run('first deploy (one version)', '{ traffic: { "7": 100 } }');
    await run('no-op re-run', '{ traffic: { "7": 100 } }');
    await run('add version (10 %)', '{ traffic: { "7": 90, "8": 10 } }');
    await run('traffic-only (90/10 → 50/50)', '{ traffic: { "7": 50, "8": 50 } }');
    await run('remove a version', '{ traffic: { "7": 100 } }');
    await run('mirror traffic 20 % to v8', '{ traffic: { "7": 100 }, shadow: { version: "8", percent: 20 } }');
  } finally {
    await fake.stop();
  }
  const bundle = path.join(ROOT, 'dist/handlers/azureml/index.js');
  return { rows, bundleBytes: existsSync(bundle) ? statSync(bundle).size : undefined };
}
