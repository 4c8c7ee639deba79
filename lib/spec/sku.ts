import { resolveAccelerator, resolveInstanceType } from '../catalog';
import type { CatalogResult, Provider, Purpose, Sku } from '../catalog/types';
import type { Resources } from './types';

type ResourcesLike = Pick<Resources, 'accelerator' | 'count' | 'instanceType'>;

/** The SKU for a provider: the `instanceType` override first, else the accelerator from the catalog. */
export function resolveSku(provider: Provider, purpose: Purpose, resources: ResourcesLike, region: string): CatalogResult | undefined {
  const override = resources.instanceType?.[provider];
  if (override !== undefined) return resolveInstanceType(provider, purpose, override, region);
  if (resources.accelerator !== undefined) return resolveAccelerator(provider, purpose, resources.accelerator, resources.count ?? 1, region);
  return undefined;
}

/** The message for a catalog miss, in the form SPEC.md shows. */
export function describeMiss(provider: Provider, purpose: Purpose, resources: ResourcesLike, miss: Exclude<CatalogResult, { ok: true }>, region: string, env: string): string {
  const override = `(or set resources.instanceType.${provider})`;
  switch (miss.reason) {
    case 'no-accelerator':
      return `${provider} has no ${resources.accelerator} for ${purpose}; it offers ${miss.offers.join(', ')} ${override}`;
    case 'no-count':
      return `${provider} has no ${resources.accelerator} machine with ${resources.count ?? 1} per node for ${purpose}; it offers ${miss.offers.join(', ')} per node ${override}`;
    case 'not-in-region': {
      const shownRegions = miss.offers.length > 8 ? `${miss.offers.slice(0, 8).join(', ')} and ${miss.offers.length - 8} more` : miss.offers.join(', ');
      if (miss.conservative) {
        // The table may just not know the region: say so, and how to deploy there anyway.
        return `${provider} offers no ${miss.sku} for ${purpose} in ${region} that mlspec knows of (environment ${env}); regions in mlspec's table: ${shownRegions || 'none'}. The table is a conservative subset of ${REGIONS_OF[provider]}: if ${region} has it, set resources.instanceType.${provider}: ${miss.sku} to deploy there anyway`;
      }
      return `${provider} offers no ${miss.sku} for ${purpose} in ${region} (environment ${env}); regions that have it: ${shownRegions || 'none known'}`;
    }
    case 'unknown-instance-type':
      return `${provider} has no instance type "${resources.instanceType?.[provider]}" for ${purpose}${miss.offers.length ? `; similar ones: ${miss.offers.join(', ')}` : ''}`;
  }
}

/** Whose regions a conservative region table is a subset of, as messages name them. */
const REGIONS_OF: Record<Provider, string> = { sagemaker: "SageMaker's regions", vertex: "Vertex AI's regions", azureml: "Azure's regions" };

/** The warning for a pinned SKU in a region missing from its conservative region table (the catalog's unlistedRegion). */
export function describeUnlisted(provider: Provider, sku: Sku, region: string): string {
  return `${sku.instanceType} is not in mlspec's table for ${region} (a conservative subset of ${REGIONS_OF[provider]}); deploying anyway — check the region offers it`;
}
