import { resolveAccelerator, resolveInstanceType } from '../catalog';
import type { CatalogResult, Provider, Purpose } from '../catalog/types';
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
      return `${provider} offers no ${miss.sku} for ${purpose} in ${region} (environment ${env}); regions that have it: ${shownRegions || 'none known'}`;
    }
    case 'unknown-instance-type':
      return `${provider} has no instance type "${resources.instanceType?.[provider]}" for ${purpose}${miss.offers.length ? `; similar ones: ${miss.offers.join(', ')}` : ''}`;
  }
}
