import { TABLES, vertexAttachedRow, vertexCpuRow } from './tables';
import type { Provider, Purpose } from './types';

/**
 * On-demand USD per node-hour for a purpose: the region's own price where the catalog has one,
 * else the reference region's (SageMaker us-east-1, Vertex us-central1, Azure eastus); undefined when unpriced.
 * Vertex machines with attached GPUs are named `<machine>/<ACCELERATOR_TYPE>x<count>`, as in instanceType overrides.
 */
export function pricePerHour(provider: Provider, instanceType: string, region: string, purpose: Purpose): number | undefined {
  const table = TABLES[provider];
  const row = table.rows.find((r) => r.key === instanceType) ?? (provider === 'azureml' ? table.rows.find((r) => r.key.toLowerCase() === instanceType.toLowerCase()) : undefined) ?? vertexRow(provider, instanceType);
  if (!row) return undefined;
  return table.regionalPrices[region]?.[row.key]?.[purpose] ?? row.price[purpose];
}

/** Vertex machine spellings the default rows do not list (n1-standard-8/NVIDIA_TESLA_T4x2, n1-standard-64). */
function vertexRow(provider: Provider, instanceType: string) {
  if (provider !== 'vertex') return undefined;
  const m = /^([a-z0-9-]+)\/([A-Z0-9_]+)x(\d+)$/.exec(instanceType);
  if (!m) return vertexCpuRow(instanceType);
  // A built-in GPU machine spelled with its own GPUs (g2-standard-8/NVIDIA_L4x1) is priced as the machine.
  const builtIn = TABLES.vertex.rows.find((r) => r.key === m[1] && r.providerAcceleratorType === m[2] && r.count === Number(m[3]));
  return builtIn ?? vertexAttachedRow(m[1], m[2], Number(m[3]));
}

/** Typical share of the on-demand price saved by spot/preemptible capacity: an estimate (sources in each provider's SKU file). */
export function spotDiscount(provider: Provider): number {
  return TABLES[provider].spotDiscount;
}
