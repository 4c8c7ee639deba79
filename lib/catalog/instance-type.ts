import { inRegion, unlisted } from './sku';
import { similar } from './similar';
import { SAGEMAKER_HOSTED, SAGEMAKER_TRAINED, SAGEMAKER_TRAINING_CONSERVATIVE, rowsFor, vertexAttachedRow, vertexCpuRow, type SkuRow } from './tables';
import type { CatalogResult, Provider, Purpose } from './types';

/** Vertex's `<machineType>/<ACCELERATOR_TYPE>x<count>` override spelling. */
const VERTEX_ATTACHED = /^([a-z0-9-]+)\/([A-Z0-9_]+)x(\d+)$/;

/**
 * A user's explicit `instanceType.<provider>` for a purpose and region, GPU or CPU.
 * Vertex also takes `<machineType>/<ACCELERATOR_TYPE>x<count>` (n1-standard-8/NVIDIA_TESLA_T4x1).
 */
export function resolveInstanceType(provider: Provider, purpose: Purpose, instanceType: string, region: string): CatalogResult {
  const rows = rowsFor(provider, purpose);
  const row = provider === 'vertex' ? vertexRow(rows, instanceType) : rows.find((r) => sameName(provider, r.key, instanceType));
  // The user named this SKU: where its region table is a conservative subset, an unlisted region is a warning.
  if (row) return inRegion(row, purpose, region, true);
  if (provider === 'sagemaker') {
    // Types SageMaker accepts that the SKU table does not describe (ml.inf2, ml.t2, ...): valid, unpriced, checked against the region.
    const regions = (purpose === 'serving' ? SAGEMAKER_HOSTED : SAGEMAKER_TRAINED).get(instanceType);
    if (regions) {
      const sku = { provider, purpose, instanceType, acceleratorCount: 0 };
      if (!regions.has(region)) return unlisted(instanceType, [...regions].sort(), purpose === 'training' && SAGEMAKER_TRAINING_CONSERVATIVE, true, () => sku);
      return { ok: true, sku };
    }
  }
  return { ok: false, reason: 'unknown-instance-type', offers: similar(provider, instanceType, knownNames(provider, purpose, rows)) };
}

/** Azure matches VM sizes case-insensitively (STANDARD_NC4AS_T4_V3); the others are exact. */
function sameName(provider: Provider, known: string, asked: string): boolean {
  return provider === 'azureml' ? known.toLowerCase() === asked.toLowerCase() : known === asked;
}

/** A Vertex override: a listed row, an N1 machine with attached GPUs, a built-in-GPU machine spelled with its GPUs, or a CPU machine. */
function vertexRow(rows: SkuRow[], asked: string): SkuRow | undefined {
  const listed = rows.find((r) => r.key === asked);
  if (listed) return listed;
  const m = VERTEX_ATTACHED.exec(asked);
  if (!m) return vertexCpuRow(asked);
  const [, machine, acceleratorType, n] = m;
  const builtIn = rows.find((r) => r.key === machine && r.providerAcceleratorType === acceleratorType && r.count === Number(n));
  return builtIn ?? vertexAttachedRow(machine, acceleratorType, Number(n));
}

function knownNames(provider: Provider, purpose: Purpose, rows: SkuRow[]): string[] {
  const names = rows.map((r) => r.key);
  if (provider === 'sagemaker') names.push(...(purpose === 'serving' ? SAGEMAKER_HOSTED : SAGEMAKER_TRAINED).keys());
  return names;
}
