import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolvePlan, type AzureMlModelPlan } from '../../../lib/plan';
import { azureMlClients, type AzureMlClients } from '../../../lib/providers/azureml/clients';
import { loadProjectText } from '../../../lib/spec';
import type { FakeArm } from '../../fakes/azureml/arm';

const ROOT = path.resolve(__dirname, '../../..');
const SPEC = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');

/** What the fake ARM accepts as a bearer token. */
export const fakeToken = { getToken: async () => ({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3600_000 }) };

/** The bundled example's fraud-detector on Azure ML in staging, with this release line. */
export function azurePlan(release: string): AzureMlModelPlan {
  const p = resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', `staging:\n  fraud-detector: ${release}\n`), { environments: ['staging'] });
  return p.environments[0].models.find((m) => m.name === 'fraud-detector')!.azureml!;
}

/** The real client, pointed at the fake (its test certificate trusted), retrying and polling fast. */
export function fakeClients(fake: FakeArm): AzureMlClients {
  return azureMlClients('00000000-0000-0000-0000-000000000002', fakeToken, { endpoint: fake.url, tlsOptions: { ca: fake.ca }, retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 }, pollIntervalMs: 5 });
}

export const WS = '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/ml-staging/providers/Microsoft.MachineLearningServices/workspaces/acme-staging';
