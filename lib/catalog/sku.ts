import type { SkuRow } from './tables';
import { pricePerHour } from './prices';
import type { CatalogResult, Purpose, Sku } from './types';

/** The resolved SKU for a row, priced for the region asked for. */
export function toSku(row: SkuRow, purpose: Purpose, region: string): Sku {
  return {
    provider: row.provider,
    purpose,
    instanceType: row.instanceType,
    accelerator: row.accelerator,
    acceleratorCount: row.count,
    providerAcceleratorType: row.providerAcceleratorType,
    vcpus: row.vcpus,
    memoryGiB: row.memoryGiB,
    pricePerHour: pricePerHour(row.provider, row.key, region, purpose),
  };
}

/** The row as a hit when the region offers it for the purpose, else a not-in-region miss naming the regions that do. */
export function inRegion(row: SkuRow, purpose: Purpose, region: string): CatalogResult {
  if (row.regions[purpose].has(region)) return { ok: true, sku: toSku(row, purpose, region) };
  return { ok: false, reason: 'not-in-region', sku: row.instanceType, offers: [...row.regions[purpose]].sort() };
}
