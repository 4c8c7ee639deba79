import { rowsFor } from './tables';
import { ACCELERATORS, type Provider, type Purpose } from './types';

/** Accelerators a provider has for a purpose (in a region, when given), in ACCELERATORS order: the "it offers ..." of error messages. */
export function acceleratorsOffered(provider: Provider, purpose: Purpose, region?: string): string[] {
  const have = new Set(
    rowsFor(provider, purpose)
      .filter((r) => r.accelerator && r.count > 0 && (region === undefined || r.regions[purpose].has(region)))
      .map((r) => r.accelerator),
  );
  return ACCELERATORS.filter((a) => have.has(a));
}
