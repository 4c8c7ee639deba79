import azureRegions from './data/azureml-regions.json';
import azureSkus from './data/azureml-skus.json';
import hosting from './data/sagemaker-hosting-instance-types.json';
import sagemakerSkus from './data/sagemaker-skus.json';
import sagemakerTraining from './data/sagemaker-training-regions.json';
import vertexRegions from './data/vertex-regions.json';
import vertexSkus from './data/vertex-skus.json';
import type { Accelerator, Provider, Purpose } from './types';

type Prices = Partial<Record<Purpose, number>>;

/** One SKU a provider offers, with the purposes and regions it is offered for. */
export interface SkuRow {
  readonly provider: Provider;
  /** How users and prices name it: the instance type, or on Vertex `<machine>/<ACCELERATOR_TYPE>x<count>` for attached GPUs. */
  readonly key: string;
  readonly instanceType: string;
  readonly accelerator?: Accelerator;
  readonly count: number;
  readonly providerAcceleratorType?: string;
  readonly vcpus?: number;
  readonly memoryGiB?: number;
  readonly purposes: readonly Purpose[];
  readonly price: Prices;
  readonly regions: Readonly<Record<Purpose, ReadonlySet<string>>>;
  /**
   * Per purpose, whether `regions` is a conservative subset of where the provider offers the SKU (the data file
   * says so): an instanceType override is then accepted in a region missing from it, with a warning.
   */
  readonly conservative: Readonly<Record<Purpose, boolean>>;
}

/** Everything the catalog knows about one provider; `rows` are in preference order (cheapest first per accelerator × count). */
export interface ProviderTable {
  readonly provider: Provider;
  readonly referenceRegion: string;
  readonly spotDiscount: number;
  readonly regions: ReadonlySet<string>;
  readonly rows: readonly SkuRow[];
  /** Region-specific prices where a source gave them, by region then key. */
  readonly regionalPrices: Readonly<Record<string, Readonly<Record<string, Prices>>>>;
}

/** A Vertex accelerator that attaches to N1 machine types, with the largest machine per GPU count. */
export interface AttachableGpu {
  readonly acceleratorType: string;
  readonly accelerator: Accelerator;
  readonly maxVcpusByCount: Readonly<Record<string, number>>;
  readonly price: Prices;
  readonly regions: Readonly<Record<Purpose, ReadonlySet<string>>>;
}

interface RawRow {
  instanceType: string;
  accelerator?: string;
  count?: number;
  acceleratorType?: string;
  family?: string;
  vcpus?: number;
  memoryGiB?: number;
  purposes?: string[];
  price: Prices;
}

const BOTH: readonly Purpose[] = ['training', 'serving'];
const EMPTY: ReadonlySet<string> = new Set();
const EXACT: Readonly<Record<Purpose, boolean>> = { training: false, serving: false };

function row(provider: Provider, raw: RawRow, regions: Record<Purpose, ReadonlySet<string>>, key = raw.instanceType, conservative = EXACT): SkuRow {
  return {
    provider,
    key,
    instanceType: raw.instanceType,
    accelerator: raw.accelerator as Accelerator | undefined,
    count: raw.accelerator ? (raw.count ?? 1) : 0,
    providerAcceleratorType: raw.acceleratorType,
    vcpus: raw.vcpus,
    memoryGiB: raw.memoryGiB,
    purposes: (raw.purposes as Purpose[] | undefined) ?? BOTH,
    price: raw.price,
    regions,
    conservative,
  };
}

/** Regions per instance type, from a region → types table. */
function invert(byRegion: Record<string, readonly string[]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [region, types] of Object.entries(byRegion)) {
    for (const t of types) (out.get(t) ?? out.set(t, new Set()).get(t)!).add(region);
  }
  return out;
}

/** Instance types SageMaker real-time endpoints accept, with their regions (the cfn-lint table is the authority). */
export const SAGEMAKER_HOSTED: ReadonlyMap<string, ReadonlySet<string>> = invert(hosting as Record<string, string[]>);
/** SageMaker's training regions are derived from the hosting table; the data file calls them a conservative subset. */
export const SAGEMAKER_TRAINING_CONSERVATIVE: boolean = sagemakerTraining.conservativeSubset === true;
/** Instance types SageMaker trains on, with their regions. */
export const SAGEMAKER_TRAINED: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(sagemakerTraining.instanceTypes as Record<string, string[]>).map(([t, regions]) => [t, new Set(regions)]),
);

function sagemakerTable(): ProviderTable {
  const rows = (sagemakerSkus.skus as RawRow[]).map((raw) =>
    row('sagemaker', raw, { training: SAGEMAKER_TRAINED.get(raw.instanceType) ?? EMPTY, serving: SAGEMAKER_HOSTED.get(raw.instanceType) ?? EMPTY }, raw.instanceType, {
      training: SAGEMAKER_TRAINING_CONSERVATIVE,
      // The hosting table is cfn-lint's enum, the authority for endpoints: never a subset.
      serving: false,
    }),
  );
  return {
    provider: 'sagemaker',
    referenceRegion: sagemakerSkus.referenceRegion,
    spotDiscount: sagemakerSkus.spotDiscount,
    regions: new Set(Object.keys(hosting)),
    rows,
    regionalPrices: sagemakerSkus.regionalPrices as ProviderTable['regionalPrices'],
  };
}

const vertexAll: ReadonlySet<string> = new Set(vertexRegions.regions);
const vertexGpuRegions = vertexRegions.acceleratorRegions as Record<Purpose, Record<string, string[]>>;

function vertexRegionsOf(acceleratorType: string): Record<Purpose, ReadonlySet<string>> {
  return { training: new Set(vertexGpuRegions.training[acceleratorType] ?? []), serving: new Set(vertexGpuRegions.serving[acceleratorType] ?? []) };
}

/** Accelerator types whose region lists vertex-regions.json calls a conservative subset. */
const vertexConservative: ReadonlySet<string> = new Set(vertexRegions.conservativeSubsetAcceleratorTypes);

function vertexConservativeOf(acceleratorType: string): Record<Purpose, boolean> {
  const subset = vertexConservative.has(acceleratorType);
  return { training: subset, serving: subset };
}

interface CpuFamily {
  sizes: number[];
  memoryGiBPerVcpu: number;
  pricePerVcpu: Prices;
  acceptsAttachedGpus?: boolean;
}

/** Vertex CPU machine types, one per family size (n1-standard-4, e2-standard-8, ...). */
export const VERTEX_CPU_FAMILIES = vertexSkus.cpuFamilies as Record<string, CpuFamily>;

export const VERTEX_ATTACHABLE: ReadonlyMap<string, AttachableGpu> = new Map(
  Object.entries(vertexSkus.attachable as Record<string, { accelerator: string; maxVcpusByCount: Record<string, number>; price: Prices }>).map(([type, a]) => [
    type,
    { acceleratorType: type, accelerator: a.accelerator as Accelerator, maxVcpusByCount: a.maxVcpusByCount, price: a.price, regions: vertexRegionsOf(type) },
  ]),
);

/** The CPU machine row for a Vertex machine type name, or undefined when no family has that size. */
export function vertexCpuRow(machineType: string): SkuRow | undefined {
  const m = /^([a-z0-9]+-[a-z]+)-(\d+)$/.exec(machineType);
  const family = m ? VERTEX_CPU_FAMILIES[m[1]] : undefined;
  const vcpus = m ? Number(m[2]) : 0;
  if (!family || !family.sizes.includes(vcpus)) return undefined;
  const price: Prices = {};
  for (const p of BOTH) if (family.pricePerVcpu[p] !== undefined) price[p] = round(family.pricePerVcpu[p]! * vcpus);
  return row('vertex', { instanceType: machineType, vcpus, memoryGiB: family.memoryGiBPerVcpu * vcpus, price }, { training: vertexAll, serving: vertexAll });
}

/** A Vertex N1 machine with GPUs attached, or undefined when the machine cannot take that many. */
export function vertexAttachedRow(machineType: string, acceleratorType: string, count: number): SkuRow | undefined {
  const cpu = vertexCpuRow(machineType);
  const gpu = VERTEX_ATTACHABLE.get(acceleratorType);
  const maxVcpus = gpu?.maxVcpusByCount[String(count)];
  const family = machineType.replace(/-\d+$/, '');
  if (!cpu || !gpu || maxVcpus === undefined || !VERTEX_CPU_FAMILIES[family].acceptsAttachedGpus || cpu.vcpus! > maxVcpus) return undefined;
  const price: Prices = {};
  for (const p of BOTH) if (cpu.price[p] !== undefined && gpu.price[p] !== undefined) price[p] = round(cpu.price[p]! + count * gpu.price[p]!);
  const raw = { instanceType: machineType, accelerator: gpu.accelerator, count, acceleratorType, vcpus: cpu.vcpus, memoryGiB: cpu.memoryGiB, price };
  return row('vertex', raw, gpu.regions, `${machineType}/${acceleratorType}x${count}`, vertexConservativeOf(acceleratorType));
}

function vertexTable(): ProviderTable {
  const builtIn = (vertexSkus.builtIn as RawRow[]).map((raw) => row('vertex', raw, vertexRegionsOf(raw.acceleratorType!), raw.instanceType, vertexConservativeOf(raw.acceleratorType!)));
  const attached = vertexSkus.attachDefaults.map((d) => vertexAttachedRow(d.instanceType, d.acceleratorType, d.count)!);
  const cpu = Object.entries(VERTEX_CPU_FAMILIES).flatMap(([family, f]) => f.sizes.map((n) => vertexCpuRow(`${family}-${n}`)!));
  return {
    provider: 'vertex',
    referenceRegion: vertexSkus.referenceRegion,
    spotDiscount: vertexSkus.spotDiscount,
    regions: vertexAll,
    rows: [...builtIn, ...attached, ...cpu],
    regionalPrices: {},
  };
}

function azureTable(): ProviderTable {
  const all: ReadonlySet<string> = new Set(azureRegions.regions);
  const byFamily = azureRegions.familyRegions as Record<string, string[]>;
  // The data file calls its region tables (the Azure ML regions and each GPU family's) a conservative subset.
  const subset = azureRegions.conservativeSubset === true;
  const rows = (azureSkus.skus as RawRow[]).map((raw) => {
    // GPU families are regional; CPU families are taken to be everywhere Azure ML is (see azureml-regions.json notes).
    const where = byFamily[raw.family!] ? new Set(byFamily[raw.family!]) : all;
    return row('azureml', raw, { training: where, serving: where }, raw.instanceType, { training: subset, serving: subset });
  });
  return { provider: 'azureml', referenceRegion: azureSkus.referenceRegion, spotDiscount: azureSkus.spotDiscount, regions: all, rows, regionalPrices: {} };
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}

export const TABLES: Readonly<Record<Provider, ProviderTable>> = {
  sagemaker: sagemakerTable(),
  vertex: vertexTable(),
  azureml: azureTable(),
};

/** Rows a provider offers for a purpose, in preference order. */
export function rowsFor(provider: Provider, purpose: Purpose): SkuRow[] {
  return TABLES[provider].rows.filter((r) => r.purposes.includes(purpose));
}
