import type { VertexModelPlan } from '../../plan/types';
import { reconcileModel, type ReconciledProvider, type Target } from '../contract';
import { clientsCapability, type VertexClients } from './clients';
import { liveCapability } from './live';
import { registryCapability, type VertexRegistered } from './registry';
import { servingCapability, type VertexReconcileOptions, type VertexReconcileResult } from './serving';
import { trainingCapability } from './training';

export * from './clients';
export * from './credentials';
export * from './live';
export * from './monitoring';
export * from './registry';
export * from './serving';

/**
 * Vertex AI as the provider contract (lib/providers/contract.ts) sees it: each capability is
 * declared in its file. One custom resource per model reconciles the registry, then serving
 * (lib/handlers/vertex.ts).
 */
export const vertexProvider = { name: 'vertex', clients: clientsCapability, registry: registryCapability, serving: servingCapability, training: trainingCapability, live: liveCapability } as const satisfies ReconciledProvider<'vertex', VertexModelPlan, VertexClients, VertexReconcileOptions, VertexRegistered, VertexReconcileResult>;

/**
 * Brings Vertex AI to the plan with the fewest calls: registry versions (never deleted), the
 * endpoint, deployed models and the traffic split. A second run with the same plan writes nothing.
 */
export function reconcileVertex(plan: VertexModelPlan, target: Target, clients: VertexClients, options: VertexReconcileOptions = {}): Promise<VertexReconcileResult> {
  return reconcileModel(vertexProvider, plan, target, clients, options);
}
