/** The three managed ML services mlspec deploys to, in the spec's own words. */
export type Provider = 'sagemaker' | 'vertex' | 'azureml';
export const PROVIDERS: readonly Provider[] = ['sagemaker', 'vertex', 'azureml'];

/** What a SKU is used for: the same GPU often has different SKUs (or none) for training and serving. */
export type Purpose = 'training' | 'serving';

/** Logical accelerator names users write in `resources.accelerator`. */
export const ACCELERATORS = ['T4', 'L4', 'A10G', 'A10', 'L40S', 'V100', 'A100', 'A100-80GB', 'H100', 'H200'] as const;
export type Accelerator = (typeof ACCELERATORS)[number];

/** One provider SKU, resolved for one purpose and region. */
export interface Sku {
  readonly provider: Provider;
  readonly purpose: Purpose;
  /** SageMaker `ml.*` instance type, Vertex machine type (`g2-standard-8`), Azure VM size (`Standard_NC4as_T4_v3`). */
  readonly instanceType: string;
  /** The logical accelerator and count per node; absent for CPU-only SKUs. */
  readonly accelerator?: Accelerator;
  readonly acceleratorCount: number;
  /** Vertex only: the `acceleratorType` enum value (`NVIDIA_TESLA_T4`, also `NVIDIA_L4` for G2 machines: Vertex wants it even for built-in GPUs). */
  readonly providerAcceleratorType?: string;
  readonly vcpus?: number;
  readonly memoryGiB?: number;
  /** On-demand USD per hour per node in the region asked for; undefined when the catalog has no price. */
  readonly pricePerHour?: number;
}

/** Why a lookup failed, and what the provider offers instead (for the "it offers ..." part of the error). */
export type CatalogMiss =
  /** The provider has no SKU with this accelerator for this purpose. `offers` = accelerators it does have. */
  | { readonly reason: 'no-accelerator'; readonly offers: readonly string[] }
  /** The provider has the accelerator but not this many per node. `offers` = counts it does have, as strings. */
  | { readonly reason: 'no-count'; readonly offers: readonly string[] }
  /**
   * The SKU exists but not in this region. `offers` = regions that have it; `sku` = the SKU that was resolved.
   * `conservative`: the region table is a conservative subset of the provider's, so the region may well have it
   * (an instanceType override naming the SKU is accepted there, with a warning).
   */
  | { readonly reason: 'not-in-region'; readonly sku: string; readonly offers: readonly string[]; readonly conservative?: true }
  /** An `instanceType` override the catalog does not know for this provider/purpose. `offers` = some known SKUs. */
  | { readonly reason: 'unknown-instance-type'; readonly offers: readonly string[] };

/**
 * An instanceType override in a region its table does not list, where that table is a conservative subset of
 * the provider's regions: accepted (the user may have capacity there), and reported as a warning.
 * `listed` = the regions the table does list.
 */
export interface UnlistedRegion {
  readonly listed: readonly string[];
}

export type CatalogResult = { readonly ok: true; readonly sku: Sku; readonly unlistedRegion?: UnlistedRegion } | ({ readonly ok: false } & CatalogMiss);
