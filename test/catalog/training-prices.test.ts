import { pricePerHour, PROVIDERS, type Provider } from '../../lib/catalog';
import { SAGEMAKER_TRAINED, TABLES, VERTEX_ATTACHABLE, VERTEX_CPU_FAMILIES, rowsFor, vertexAttachedRow } from '../../lib/catalog/tables';

/**
 * Training SKUs the catalog offers without a price, and why. A cost estimate lists them as unpriced rather than
 * guess. Every entry must still be unpriced (a test below checks it): price one, and take it off this list.
 * `<family>-*` stands for every size of a Vertex machine family, alone or with any GPU attached.
 * The data files' notes (lib/catalog/data/*-skus.json) say the same, with the sources searched.
 */
const UNPRICED: Record<Provider, Record<string, string>> = {
  sagemaker: {
    // Searched 2026-12-03: the stored SageMaker pricing pages stop at the page's opening, the offer-file table the
    // other rows come from (sagemaker_env.py, 2026-09-27) stops at ml.p5.48xlarge, and every stored table that prices
    // p5e/p5en gives EC2's rate (p5en.48xlarge 63.296) or copies EC2's p5 rate as a guess. SageMaker's rates differ.
    'ml.p5e.48xlarge': 'no SageMaker rate in any stored source (only EC2 rates)',
    'ml.p5en.48xlarge': 'no SageMaker rate in any stored source (only EC2 rates)',
  },
  vertex: {
    // Searched 2026-12-03: the stored copies of the Vertex pricing page stop before its machine tables, the one
    // transcription keeps n1-standard-4 and an H100 figure, and the one itemized Vertex training bill (a3-highgpu-8g,
    // now priced) names no other family. A Model Garden deployment table prices these machines for serving only, and
    // Compute Engine prices are not Vertex prices (no Google source states how the two relate for these families).
    'a3-megagpu-8g': 'no Vertex training rate in a stored source (H100 Mega SKUs not itemized anywhere)',
    'a3-ultragpu-8g': 'no Vertex training rate in a stored source (H200 SKUs not itemized anywhere)',
    'a2-megagpu-16g': 'no Vertex training rate in a stored source',
    // g2-standard-8/24/48/96 are priced; the other G2 sizes are not in a stored source.
    'g2-standard-4': 'no Vertex training rate in a stored source',
    'g2-standard-12': 'no Vertex training rate in a stored source',
    'g2-standard-16': 'no Vertex training rate in a stored source',
    'g2-standard-32': 'no Vertex training rate in a stored source',
    // Only n1-standard has a stored Vertex rate (n1-standard-4); the other CPU families have none.
    'n1-highmem-*': 'no stored Vertex rate for the family (so neither with a GPU attached)',
    'n1-highcpu-*': 'no stored Vertex rate for the family (so neither with a GPU attached)',
    'n2-standard-*': 'no stored Vertex rate for the family',
    'n2-highmem-*': 'no stored Vertex rate for the family',
    'n2-highcpu-*': 'no stored Vertex rate for the family',
    'e2-standard-*': 'no stored Vertex rate for the family',
    'e2-highmem-*': 'no stored Vertex rate for the family',
    'e2-highcpu-*': 'no stored Vertex rate for the family',
    'c2-standard-*': 'no stored Vertex rate for the family',
  },
  // Every Azure ML training SKU is priced: the fractional NVadsA10_v5 sizes from SkyPilot's v5 Azure catalog (eastus),
  // Standard_ND96isr_H200_v5 from the Azure Retail Prices API in eastus2, where it is offered (not in eastus).
  azureml: {},
};

function listedUnpriced(provider: Provider, key: string): string | undefined {
  for (const [entry, why] of Object.entries(UNPRICED[provider])) {
    if (entry === key) return why;
    if (entry.endsWith('-*') && new RegExp(`^${entry.slice(0, -1)}\\d+(/.*)?$`).test(key)) return why;
  }
  return undefined;
}

/** Every SKU the catalog offers for training, by the key instanceType overrides and prices use. */
function trainingSkus(provider: Provider): string[] {
  const keys = new Set(rowsFor(provider, 'training').map((r) => r.key));
  // SageMaker trains on every type of the training table, described by the SKU table or not.
  if (provider === 'sagemaker') for (const t of SAGEMAKER_TRAINED.keys()) keys.add(t);
  // Vertex attaches GPUs to N1 machines in any valid combination, not only the defaults.
  if (provider === 'vertex') {
    for (const [family, f] of Object.entries(VERTEX_CPU_FAMILIES)) {
      if (!f.acceptsAttachedGpus) continue;
      for (const size of f.sizes) {
        for (const [type, gpu] of VERTEX_ATTACHABLE) {
          for (const count of Object.keys(gpu.maxVcpusByCount)) {
            const row = vertexAttachedRow(`${family}-${size}`, type, Number(count));
            if (row) keys.add(row.key);
          }
        }
      }
    }
  }
  return [...keys].sort();
}

const price = (provider: Provider, key: string) => pricePerHour(provider, key, TABLES[provider].referenceRegion, 'training');

describe('training prices', () => {
  it.each(PROVIDERS)('every %s SKU offered for training has a price in the reference region, or is listed as unpriced', (provider) => {
    const missing = trainingSkus(provider).filter((key) => price(provider, key) === undefined && listedUnpriced(provider, key) === undefined);
    expect(missing).toEqual([]);
  });

  it.each(PROVIDERS)('every %s entry of the unpriced list is a training SKU that still has no price', (provider) => {
    const skus = trainingSkus(provider);
    for (const entry of Object.keys(UNPRICED[provider])) {
      const matched = skus.filter((key) => listedUnpriced(provider, key) !== undefined && (key === entry || (entry.endsWith('-*') && key.startsWith(entry.slice(0, -1)))));
      expect([entry, matched.length > 0]).toEqual([entry, true]);
      expect([entry, matched.filter((key) => price(provider, key) !== undefined)]).toEqual([entry, []]);
    }
  });

  it('counts what it checks, so a broken enumeration cannot pass quietly', () => {
    expect(trainingSkus('sagemaker').length).toBeGreaterThanOrEqual(84);
    expect(trainingSkus('vertex')).toEqual(expect.arrayContaining(['a3-highgpu-8g', 'n1-standard-8/NVIDIA_TESLA_T4x1', 'n1-highmem-8/NVIDIA_TESLA_V100x1', 'e2-standard-4']));
    expect(trainingSkus('azureml')).toEqual(expect.arrayContaining(['Standard_ND96isr_H200_v5', 'Standard_NC24ads_A100_v4']));
    expect(trainingSkus('azureml')).not.toContain('Standard_ND96is_H100_v5'); // serving only
  });

  it('carries the figures read on 2026-12-03, in USD per hour in the reference region', () => {
    // SageMaker, us-east-1: AmazonSageMaker offer file of the AWS Price List API (read 2026-09-27), as quoted by sagemaker_env.py.
    expect(price('sagemaker', 'ml.g6e.16xlarge')).toBe(9.47);
    expect(price('sagemaker', 'ml.p4de.24xlarge')).toBe(31.5641);
    expect(price('sagemaker', 'ml.p5.4xlarge')).toBe(7.912);
    expect(price('sagemaker', 'ml.r5.24xlarge')).toBe(7.258);
    expect(price('sagemaker', 'ml.m6i.32xlarge')).toBe(7.373);
    expect(price('sagemaker', 'ml.c6i.8xlarge')).toBe(1.632);
    expect(price('sagemaker', 'ml.r6i.32xlarge')).toBe(9.677);
    // Azure ML, eastus: Azure Retail Prices API as copied by skypilot-org/skypilot-catalog.
    expect(price('azureml', 'Standard_ND40rs_v2')).toBe(22.032);
    expect(price('azureml', 'Standard_NV36adms_A10_v5')).toBe(4.52);
    expect(price('azureml', 'Standard_D96as_v4')).toBe(4.608);
    expect(price('azureml', 'Standard_E64s_v3')).toBe(3.629);
    expect(price('azureml', 'Standard_F2s_v2')).toBe(0.0846);
    expect(price('azureml', 'Standard_NV6ads_A10_v5')).toBe(0.454);
    expect(price('azureml', 'Standard_NV12ads_A10_v5')).toBe(0.908);
    expect(price('azureml', 'Standard_NV18ads_A10_v5')).toBe(1.6);
    // Azure Retail Prices API, eastus2 (H200 is not offered in eastus); other regions fall back to it.
    expect(pricePerHour('azureml', 'Standard_ND96isr_H200_v5', 'eastus2', 'training')).toBe(84.8);
    expect(price('azureml', 'Standard_ND96isr_H200_v5')).toBe(84.8);
    // Vertex, us-central1: the on-demand Vertex AI training SKUs for a3-highgpu-8g in Iowa (8 × H100 11.2660332,
    // 208 × A3 core 0.0293227, 1,872 GiB × A3 RAM 0.0025534), as itemized by Google Cloud Japan's DWS article.
    expect(price('vertex', 'a3-highgpu-8g')).toBe(101.007352);
    expect(price('vertex', 'a3-highgpu-8g/NVIDIA_H100_80GBx8')).toBe(101.007352);
    expect(pricePerHour('vertex', 'a3-highgpu-8g', 'us-central1', 'serving')).toBeUndefined();
    // The same figure serves: SageMaker and Azure ML charge one rate per instance type.
    expect(pricePerHour('sagemaker', 'ml.p5.4xlarge', 'us-east-1', 'serving')).toBe(7.912);
    expect(pricePerHour('azureml', 'Standard_NV36adms_A10_v5', 'eastus', 'serving')).toBe(4.52);
  });
});
