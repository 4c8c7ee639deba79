import azuremlData from './data/azureml.json';
import hosting from './data/sagemaker-hosting-instance-types.json';
import sagemakerData from './data/sagemaker.json';
import vertexData from './data/vertex.json';
import type { Accelerator, Provider, Purpose } from './types';

/** One SKU row of a provider table, with where it is offered. */
export interface SkuRow {
  readonly provider: Provider;
  readonly instanceType: string;
  readonly accelerator?: Accelerator;
  readonly count: number;
  readonly acceleratorType?: string;
  readonly vcpus?: number;
  readonly memoryGiB?: number;
  readonly purposes: readonly Purpose[];
  readonly price: Partial<Record<Purpose, number>>;
  /** Regions offering it, per purpose. */
  readonly regions: Record<Purpose, ReadonlySet<string>>;
}

interface RawSku {
  instanceType: string;
  accelerator?: string;
  count?: number;
  acceleratorType?: string;
  family?: string;
  vcpus?: number;
  memoryGiB?: number;
  purposes?: string[];
  price: Partial<Record<Purpose, number>>;
}

export interface ProviderTable {
  readonly provider: Provider;
  readonly referenceRegion: string;
  readonly spotDiscount: number;
  readonly regions: readonly string[];
  readonly skus: readonly SkuRow[];
}

const hostingByRegion = hosting as Record<string, string[]>;

function sagemakerTable(): ProviderTable {
  const hostedIn = new Map<string, Set<string>>();
  for (const [region, types] of Object.entries(hostingByRegion)) {
    for (const t of types) (hostedIn.get(t) ?? hostedIn.set(t, new Set()).get(t)!).add(region);
  }
  const trainingOnly = sagemakerData.trainingOnlyRegions as Record<string, string[]>;
  const skus = (sagemakerData.skus as RawSku[]).map((s): SkuRow => {
    const serving = hostedIn.get(s.instanceType) ?? new Set<string>();
    // Training availability: SageMaker publishes it only on its pricing page; hosting regions are the proxy (see data notes).
    const training = new Set([...serving, ...(trainingOnly[s.instanceType] ?? [])]);
    const purposes = (s.purposes as Purpose[] | undefined) ?? (serving.size > 0 ? ['training', 'serving'] : ['training']);
    return row('sagemaker', s, purposes, { training, serving });
  });
  return { provider: 'sagemaker', referenceRegion: sagemakerData.referenceRegion, spotDiscount: sagemakerData.spotDiscount, regions: Object.keys(hostingByRegion), skus };
}

/** Vertex and Azure tables list regions by accelerator (Vertex) or VM family (Azure); CPU SKUs are everywhere. */
function regionalTable(provider: Provider, data: { referenceRegion: string; spotDiscount: number; skus: RawSku[]; regions: Record<string, string[]> }, keyOf: (s: RawSku) => string | undefined): ProviderTable {
  const regions = Object.keys(data.regions);
  const skus = data.skus.map((s): SkuRow => {
    const key = keyOf(s);
    const where = new Set(key === undefined ? regions : regions.filter((r) => data.regions[r].includes(key)));
    const purposes = (s.purposes as Purpose[] | undefined) ?? ['training', 'serving'];
    return row(provider, s, purposes, { training: where, serving: where });
  });
  return { provider, referenceRegion: data.referenceRegion, spotDiscount: data.spotDiscount, regions, skus };
}

function row(provider: Provider, s: RawSku, purposes: Purpose[], regions: Record<Purpose, Set<string>>): SkuRow {
  return {
    provider,
    instanceType: s.instanceType,
    accelerator: s.accelerator as Accelerator | undefined,
    count: s.accelerator ? (s.count ?? 1) : 0,
    acceleratorType: s.acceleratorType,
    vcpus: s.vcpus,
    memoryGiB: s.memoryGiB,
    purposes,
    price: s.price,
    regions,
  };
}

export const TABLES: Record<Provider, ProviderTable> = {
  sagemaker: sagemakerTable(),
  vertex: regionalTable('vertex', vertexData as never, (s) => (s.accelerator ? s.accelerator : undefined)),
  azureml: regionalTable('azureml', azuremlData as never, (s) => (s.accelerator ? s.family : undefined)),
};

export const SOURCES = [
  { file: 'lib/catalog/data/sagemaker-hosting-instance-types.json', source: 'cfn-lint SageMaker hosting instance-type enum (aws-cloudformation/cfn-lint, main)', date: '2026-08-19' },
  { file: 'lib/catalog/data/sagemaker.json', source: sagemakerData.source, date: sagemakerData.date },
  { file: 'lib/catalog/data/vertex.json', source: vertexData.source, date: vertexData.date },
  { file: 'lib/catalog/data/azureml.json', source: azuremlData.source, date: azuremlData.date },
];
