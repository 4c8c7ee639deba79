import { editDistance } from '../util/suggest';
import type { Provider } from './types';

/** How many near names an unknown-instance-type miss offers. */
const MAX_OFFERS = 5;

/** The family part of a SKU name, so sizes of the asked family come first: ml.g4dn, n1-standard, standard_ncas_t4_v3. */
function familyOf(provider: Provider, name: string): string {
  const n = name.toLowerCase().split('/')[0];
  if (provider === 'sagemaker') return n.split('.').slice(0, 2).join('.');
  if (provider === 'vertex') return n.replace(/-[^-]*$/, '');
  return n.replace(/\d+/, '');
}

/** Known names closest to what was asked: same family first, then by spelling. */
export function similar(provider: Provider, asked: string, known: Iterable<string>): string[] {
  const family = familyOf(provider, asked);
  const low = asked.toLowerCase();
  return [...new Set(known)]
    .map((k) => ({ k, same: familyOf(provider, k) === family ? 0 : 1, d: editDistance(low, k.toLowerCase()) }))
    .sort((a, b) => a.same - b.same || a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, MAX_OFFERS)
    .map((x) => x.k);
}
