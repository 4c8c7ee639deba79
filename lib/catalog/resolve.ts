import { acceleratorsOffered } from './offered';
import { inRegion } from './sku';
import { rowsFor } from './tables';
import type { Accelerator, CatalogResult, Provider, Purpose } from './types';

/**
 * A logical accelerator × count per node → the provider's SKU for the purpose and region:
 * the first (cheapest) SKU with exactly that many GPUs that the region offers.
 */
export function resolveAccelerator(provider: Provider, purpose: Purpose, accelerator: Accelerator, count: number, region: string): CatalogResult {
  const withAccelerator = rowsFor(provider, purpose).filter((r) => r.accelerator === accelerator && r.count > 0);
  if (withAccelerator.length === 0) return { ok: false, reason: 'no-accelerator', offers: acceleratorsOffered(provider, purpose) };
  const withCount = withAccelerator.filter((r) => r.count === count);
  if (withCount.length === 0) {
    const counts = [...new Set(withAccelerator.map((r) => r.count))].sort((a, b) => a - b);
    return { ok: false, reason: 'no-count', offers: counts.map(String) };
  }
  // A cheaper size missing from the region should not hide a bigger one that is there.
  const here = withCount.find((r) => r.regions[purpose].has(region));
  return inRegion(here ?? withCount[0], purpose, region);
}
