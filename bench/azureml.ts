import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { resolvePlan, type AzureMlModelPlan } from '../lib/plan';
import { reconcileAzureMl } from '../lib/providers/azureml';
import { loadProjectText } from '../lib/spec';
import { FakeArm } from '../test/fakes/azureml/arm';
import { azurePlan, fakeClients } from '../test/providers/azureml/helpers';

const ROOT = path.resolve(__dirname, '..');

/** The bundled example with a daily drift monitor on fraud-detector (serving.monitoring), at `threshold`. */
function monitoredPlan(release: string, threshold: number): AzureMlModelPlan {
  const example = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
  const anchor = '      dataCapture: { percent: 20 }\n';
  const monitoring = [
    '      monitoring:',
    '        schedule: daily',
    '        baseline: { sagemaker: s3://acme-data/fraud/train/, azureml: azureml://datastores/data/paths/fraud/train-mltable/ }',
    `        drift: { threshold: ${threshold}, features: { amount: 0.1 } }`,
    '        alerts: { email: [ml-oncall@acme.com] }',
  ].join('\n');
  const spec = example.replace(anchor, `${anchor}${monitoring}\n`);
  const plan = resolvePlan(loadProjectText(spec, 'mlspec.yaml', `staging:\n  fraud-detector: ${release}\n`), { environments: ['staging'] });
  return plan.environments[0].models.find((m) => m.name === 'fraud-detector')!.azureml!;
}

/** Requests the Azure ML reconciler makes per scenario, against the fake ARM, and the handler bundle size. */
export async function bench(): Promise<{ rows: { scenario: string; calls: number; writes: number }[]; bundleBytes?: number }> {
  const fake = new FakeArm();
  await fake.start();
  const clients = fakeClients(fake);
  const rows: { scenario: string; calls: number; writes: number }[] = [];
  const run = async (scenario: string, release: string, plan: AzureMlModelPlan = azurePlan(release)) => {
    fake.resetCounts();
    await reconcileAzureMl(plan, { model: 'fraud-detector', environment: 'staging' }, clients, { updateIntervalInMs: 1 });
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
    const shadowed = '{ traffic: { "7": 100 }, shadow: { version: "8", percent: 20 } }';
    await run('monitoring added (daily drift monitor)', shadowed, monitoredPlan(shadowed, 0.3));
    await run('drift threshold changed (0.3 → 0.25)', shadowed, monitoredPlan(shadowed, 0.25));
  } finally {
    await fake.stop();
  }
  const bundle = path.join(ROOT, 'dist/handlers/azureml/index.js');
  return { rows, bundleBytes: existsSync(bundle) ? statSync(bundle).size : undefined };
}
