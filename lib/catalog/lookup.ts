import hosting from './data/sagemaker-hosting-instance-types.json';
import { ACCELERATORS, type Accelerator, type CatalogResult, type Provider, type Purpose, type Sku } from './types';
import { SOURCES, TABLES, type SkuRow } from './skus';
import { closest } from '../util/suggest';

function toSku(row: SkuRow, purpose: Purpose, region: string, count = row.count, acceleratorType = row.acceleratorType, accelerator = row.accelerator): Sku {
  return {
    provider: row.provider,
    purpose,
    instanceType: row.instanceType,
    accelerator,
    acceleratorCount: count,
    providerAcceleratorType: acceleratorType,
    vcpus: row.vcpus,
    memoryGiB: row.memoryGiB,
    pricePerHour: pricePerHour(row.provider, row.instanceType, region, purpose, accelerator),
  };
}

function inRegion(row: SkuRow, purpose: Purpose, region: string): CatalogResult | undefined {
  if (row.regions[purpose].has(region)) return undefined;
  return { ok: false, reason: 'not-in-region', sku: row.instanceType, offers: [...row.regions[purpose]].sort() };
}

/** Accelerators a provider has for a purpose (in a region, when given), in the catalog's order. */
export function acceleratorsOffered(provider: Provider, purpose: Purpose, region?: string): string[] {
  const have = new Set(
    TABLES[provider].skus.filter((s) => s.accelerator && s.purposes.includes(purpose) && (region === undefined || s.regions[purpose].has(region))).map((s) => s.accelerator!),
  );
  return ACCELERATORS.filter((a) => have.has(a));
}

/** Logical accelerator × count per node → the provider's SKU for that purpose and region (the first listed, which is the smallest). */
export function resolveAccelerator(provider: Provider, purpose: Purpose, accelerator: Accelerator, count: number, region: string): CatalogResult {
  const rows = TABLES[provider].skus.filter((s) => s.accelerator === accelerator && s.purposes.includes(purpose));
  if (rows.length === 0) return { ok: false, reason: 'no-accelerator', offers: acceleratorsOffered(provider, purpose) };
  const withCount = rows.filter((s) => s.count === count);
  if (withCount.length === 0) return { ok: false, reason: 'no-count', offers: [...new Set(rows.map((s) => s.count))].sort((a, b) => a - b).map(String) };
  const here = withCount.find((s) => s.regions[purpose].has(region));
  if (here) return { ok: true, sku: toSku(here, purpose, region) };
  return inRegion(withCount[0], purpose, region)!;
}

/** An explicit `instanceType.<provider>`; Vertex also takes `<machineType>/<ACCELERATOR_TYPE>x<count>`. */
export function resolveInstanceType(provider: Provider, purpose: Purpose, instanceType: string, region: string): CatalogResult {
  const table = TABLES[provider];
  if (provider === 'vertex' && instanceType.includes('/')) {
    const m = /^([a-z0-9-]+)\/([A-Z0-9_]+)x(\d+)$/.exec(instanceType);
    const row = m && table.skus.find((s) => s.instanceType === m[1] && s.acceleratorType === m[2] && s.count === Number(m[3]));
    if (!m || !row) {
      const known = table.skus.filter((s) => s.acceleratorType && !/^(a2|a3|g2)-/.test(s.instanceType)).map((s) => `${s.instanceType}/${s.acceleratorType}x${s.count}`);
      return { ok: false, reason: 'unknown-instance-type', offers: similar(instanceType, known) };
    }
    return inRegion(row, purpose, region) ?? { ok: true, sku: toSku(row, purpose, region) };
  }
  // A bare machine type on Vertex means no accelerator attached, unless the GPU is built in (a2, a3, g2).
  const rows = table.skus.filter((s) => s.instanceType === instanceType && s.purposes.includes(purpose));
  const row = provider === 'vertex' ? (rows.find((s) => !s.accelerator) ?? rows.find((s) => /^(a2|a3|g2)-/.test(s.instanceType))) : rows[0];
  if (!row) {
    // SageMaker's hosting table is complete: an ml.* type it lists is valid even when we have no price for it.
    if (provider === 'sagemaker' && purpose === 'serving') {
      const regions = hostedRegions(instanceType);
      if (regions.length > 0) {
        if (!regions.includes(region)) return { ok: false, reason: 'not-in-region', sku: instanceType, offers: regions };
        return { ok: true, sku: { provider, purpose, instanceType, acceleratorCount: 0 } };
      }
    }
    const known = table.skus.filter((s) => s.purposes.includes(purpose)).map((s) => s.instanceType);
    return { ok: false, reason: 'unknown-instance-type', offers: similar(instanceType, [...new Set(known)]) };
  }
  return inRegion(row, purpose, region) ?? { ok: true, sku: toSku(row, purpose, region) };
}

/** Regions whose SageMaker hosting table lists an instance type. */
function hostedRegions(instanceType: string): string[] {
  return Object.entries(hosting as Record<string, string[]>)
    .filter(([, types]) => types.includes(instanceType))
    .map(([r]) => r)
    .sort();
}

/** Up to five known names close to what was asked: same family first, then the closest by spelling. */
function similar(asked: string, known: string[]): string[] {
  const family = asked.split(/[./_-]/).slice(0, 2).join('.');
  const same = known.filter((k) => k.startsWith(asked.slice(0, Math.max(3, asked.indexOf('.', 3)))) || k.includes(family));
  const near = closest(asked, known);
  return [...new Set([...(near ? [near] : []), ...same, ...known])].slice(0, 5);
}

/** On-demand USD per node-hour: the region's price where the table has one, else the reference region's. */
export function pricePerHour(provider: Provider, instanceType: string, _region: string, purpose: Purpose, accelerator?: Accelerator): number | undefined {
  const rows = TABLES[provider].skus.filter((s) => s.instanceType === instanceType);
  const row = rows.find((s) => s.accelerator === accelerator) ?? rows[0];
  return row?.price[purpose];
}

/** Typical share saved by spot / preemptible capacity (a planning figure; see the data files' notes). */
export function spotDiscount(provider: Provider): number {
  return TABLES[provider].spotDiscount;
}

export function catalogSources(): { file: string; source: string; date: string }[] {
  return SOURCES.map((s) => ({ ...s }));
}

export { ACCELERATORS };
