import type { AzureMlModelPlan } from '../../plan/types';
import { reconcileModel, type ReconciledProvider, type Target } from '../contract';
import { clientsCapability, type AzureMlClients } from './clients';
import { liveCapability } from './live';
import { registryCapability } from './registry';
import { servingCapability, type AzureMlReconcileOptions, type AzureMlReconcileResult } from './serving';
import { trainingCapability } from './training';

export * from './clients';
export * from './credentials';
export * from './live';
export * from './monitoring';
export * from './registry';
export * from './scaling';
export * from './serving';
export * from './signals';

/**
 * Azure ML as the provider contract (lib/providers/contract.ts) sees it: each capability is
 * declared in its file. One custom resource per model reconciles the registry (labels it holds),
 * then serving (lib/handlers/azureml.ts).
 */
export const azureMlProvider = { name: 'azureml', clients: clientsCapability, registry: registryCapability, serving: servingCapability, training: trainingCapability, live: liveCapability } as const satisfies ReconciledProvider<'azureml', AzureMlModelPlan, AzureMlClients, AzureMlReconcileOptions, ReadonlySet<string>, AzureMlReconcileResult>;

/**
 * Brings Azure ML to the plan with the fewest calls: model versions in the workspace or registry
 * (never deleted), then the serving environment, the online endpoint, its deployments and traffic.
 * A second run with the same plan writes nothing; a failed run removes what it created.
 */
export function reconcileAzureMl(plan: AzureMlModelPlan, target: Target, clients: AzureMlClients, options: AzureMlReconcileOptions = {}): Promise<AzureMlReconcileResult> {
  return reconcileModel(azureMlProvider, plan, target, clients, options);
}
