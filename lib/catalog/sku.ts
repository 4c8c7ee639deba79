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

/**
 * The row as a hit when the region offers it for the purpose, else a not-in-region miss naming the regions that do.
 * A SKU the user pinned (`pinned`) whose region table is a conservative subset is a hit anyway, marked unlistedRegion.
 */
export function inRegion(row: SkuRow, purpose: Purpose, region: string, pinned = false): CatalogResult {
  if (row.regions[purpose].has(region)) return { ok: true, sku: toSku(row, purpose, region) };
  return unlisted(row.instanceType, [...row.regions[purpose]].sort(), row.conservative[purpose], pinned, () => toSku(row, purpose, region));
}

/** A region missing from a SKU's table: accepted with a warning when the user pinned it and the table is conservative. */
export function unlisted(sku: string, listed: string[], conservative: boolean, pinned: boolean, hit: () => Sku): CatalogResult {
  if (conservative && pinned) return { ok: true, sku: hit(), unlistedRegion: { listed } };
  return conservative ? { ok: false, reason: 'not-in-region', sku, offers: listed, conservative: true } : { ok: false, reason: 'not-in-region', sku, offers: listed };
}
