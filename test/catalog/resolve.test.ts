import { ACCELERATORS, acceleratorsOffered, resolveAccelerator, type CatalogResult } from '../../lib/catalog';

const sku = (r: CatalogResult) => (r.ok ? r.sku.instanceType : `miss:${r.reason}`);

describe('accelerator × count → SKU', () => {
  it.each([
    ['sagemaker', 'serving', 'T4', 1, 'us-east-1', 'ml.g4dn.xlarge'],
    ['sagemaker', 'serving', 'A10G', 1, 'us-east-1', 'ml.g5.xlarge'],
    ['sagemaker', 'serving', 'L4', 1, 'us-east-1', 'ml.g6.xlarge'],
    ['sagemaker', 'serving', 'L40S', 1, 'us-east-1', 'ml.g6e.xlarge'],
    ['sagemaker', 'training', 'T4', 4, 'us-east-1', 'ml.g4dn.12xlarge'],
    ['sagemaker', 'training', 'A100', 8, 'us-east-1', 'ml.p4d.24xlarge'],
    ['sagemaker', 'training', 'A100-80GB', 8, 'us-east-1', 'ml.p4de.24xlarge'],
    ['sagemaker', 'serving', 'H100', 8, 'us-east-1', 'ml.p5.48xlarge'],
    ['sagemaker', 'serving', 'H200', 8, 'us-east-1', 'ml.p5en.48xlarge'],
    ['vertex', 'serving', 'T4', 1, 'us-central1', 'n1-standard-4'],
    ['vertex', 'serving', 'L4', 1, 'us-central1', 'g2-standard-8'],
    ['vertex', 'training', 'A100', 1, 'us-central1', 'a2-highgpu-1g'],
    ['vertex', 'training', 'A100-80GB', 1, 'us-central1', 'a2-ultragpu-1g'],
    ['vertex', 'training', 'H100', 8, 'us-central1', 'a3-highgpu-8g'],
    ['vertex', 'training', 'H200', 8, 'us-central1', 'a3-ultragpu-8g'],
    ['azureml', 'serving', 'T4', 1, 'eastus', 'Standard_NC4as_T4_v3'],
    ['azureml', 'serving', 'A10', 1, 'eastus', 'Standard_NV36ads_A10_v5'],
    ['azureml', 'serving', 'A100-80GB', 1, 'eastus', 'Standard_NC24ads_A100_v4'],
    ['azureml', 'training', 'A100', 8, 'eastus', 'Standard_ND96asr_v4'],
    ['azureml', 'serving', 'H100', 1, 'eastus', 'Standard_NC40ads_H100_v5'],
    ['azureml', 'training', 'H100', 8, 'eastus', 'Standard_ND96isr_H100_v5'],
    ['azureml', 'training', 'V100', 8, 'eastus', 'Standard_ND40rs_v2'],
  ] as const)('%s %s %s×%i in %s → %s', (provider, purpose, accelerator, count, region, expected) => {
    expect(sku(resolveAccelerator(provider, purpose, accelerator, count, region))).toBe(expected);
  });

  it('gives Vertex the acceleratorType enum, attached or built in, with the count', () => {
    const t4 = resolveAccelerator('vertex', 'serving', 'T4', 1, 'us-central1');
    expect(t4.ok && [t4.sku.providerAcceleratorType, t4.sku.acceleratorCount, t4.sku.accelerator]).toEqual(['NVIDIA_TESLA_T4', 1, 'T4']);
    const h100 = resolveAccelerator('vertex', 'training', 'H100', 8, 'us-central1');
    expect(h100.ok && [h100.sku.providerAcceleratorType, h100.sku.acceleratorCount]).toEqual(['NVIDIA_H100_80GB', 8]);
  });

  it('fills in the shape of the SKU', () => {
    const r = resolveAccelerator('azureml', 'serving', 'A100-80GB', 1, 'eastus');
    expect(r.ok && r.sku).toEqual(expect.objectContaining({ provider: 'azureml', purpose: 'serving', acceleratorCount: 1, vcpus: 24, memoryGiB: 220 }));
  });

  it('takes a bigger size of the same count when the cheapest is not in the region', () => {
    // ml.g4dn.xlarge and ml.g4dn.2xlarge are both one T4; resolution prefers the first offered where asked.
    const r = resolveAccelerator('sagemaker', 'serving', 'T4', 1, 'us-west-1');
    expect(r.ok && r.sku.accelerator).toBe('T4');
  });
});

describe('misses', () => {
  it('no-accelerator names what the provider has for the purpose, in ACCELERATORS order', () => {
    expect(resolveAccelerator('vertex', 'serving', 'A10G', 1, 'us-central1')).toEqual({ ok: false, reason: 'no-accelerator', offers: ['T4', 'L4', 'V100', 'A100', 'A100-80GB', 'H100', 'H200'] });
    expect(resolveAccelerator('azureml', 'training', 'L40S', 1, 'eastus')).toEqual({ ok: false, reason: 'no-accelerator', offers: ['T4', 'A10', 'V100', 'A100', 'A100-80GB', 'H100', 'H200'] });
    expect(resolveAccelerator('sagemaker', 'serving', 'A10', 1, 'us-east-1')).toEqual({ ok: false, reason: 'no-accelerator', offers: ['T4', 'L4', 'A10G', 'L40S', 'A100', 'A100-80GB', 'H100', 'H200'] });
  });

  it('A10G is AWS only and A10 Azure only', () => {
    expect(acceleratorsOffered('sagemaker', 'training')).toContain('A10G');
    expect(acceleratorsOffered('sagemaker', 'training')).not.toContain('A10');
    expect(acceleratorsOffered('azureml', 'training')).toContain('A10');
    expect(acceleratorsOffered('azureml', 'training')).not.toContain('A10G');
    expect(acceleratorsOffered('vertex', 'training')).not.toEqual(expect.arrayContaining(['A10G']));
    expect(acceleratorsOffered('vertex', 'training')).not.toContain('L40S');
  });

  it('SageMaker trains on V100 (ml.p3) but no longer serves it; Azure serves H200 nowhere but trains on it', () => {
    expect(sku(resolveAccelerator('sagemaker', 'training', 'V100', 1, 'us-east-1'))).toBe('ml.p3.2xlarge');
    expect(resolveAccelerator('sagemaker', 'serving', 'V100', 1, 'us-east-1')).toEqual(expect.objectContaining({ ok: false, reason: 'no-accelerator' }));
    expect(sku(resolveAccelerator('azureml', 'training', 'H200', 8, 'eastus2'))).toBe('Standard_ND96isr_H200_v5');
    expect(resolveAccelerator('azureml', 'serving', 'H200', 8, 'eastus2')).toEqual(expect.objectContaining({ ok: false, reason: 'no-accelerator' }));
  });

  it('Azure V100 is gone below eight per node (NCv3 retired)', () => {
    expect(resolveAccelerator('azureml', 'serving', 'V100', 1, 'eastus')).toEqual({ ok: false, reason: 'no-count', offers: ['8'] });
  });

  it('no-count names the counts per node there are, as strings in ascending order', () => {
    expect(resolveAccelerator('sagemaker', 'training', 'A100', 4, 'us-east-1')).toEqual({ ok: false, reason: 'no-count', offers: ['8'] });
    expect(resolveAccelerator('vertex', 'serving', 'L4', 3, 'us-central1')).toEqual({ ok: false, reason: 'no-count', offers: ['1', '2', '4', '8'] });
    expect(resolveAccelerator('sagemaker', 'serving', 'L40S', 2, 'us-east-1')).toEqual({ ok: false, reason: 'no-count', offers: ['1', '4', '8'] });
    // Vertex trains on A3 only with all eight H100s; serving takes 1, 2, 4 or 8.
    expect(resolveAccelerator('vertex', 'training', 'H100', 1, 'us-central1')).toEqual({ ok: false, reason: 'no-count', offers: ['8'] });
    expect(sku(resolveAccelerator('vertex', 'serving', 'H100', 1, 'us-central1'))).toBe('a3-highgpu-1g');
  });
});

describe('regions', () => {
  it('SageMaker hosting: ml.p5.48xlarge is not in af-south-1, and the miss names the hosting regions, sorted', () => {
    const r = resolveAccelerator('sagemaker', 'serving', 'H100', 8, 'af-south-1');
    expect(r).toEqual({ ok: false, reason: 'not-in-region', sku: 'ml.p5.48xlarge', offers: ['ap-southeast-2', 'ca-central-1', 'eu-west-2', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-2'] });
  });

  it('a region the provider does not know answers not-in-region with the regions that have the SKU', () => {
    const r = resolveAccelerator('sagemaker', 'serving', 'T4', 1, 'us-east-7');
    expect(r).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'ml.g4dn.xlarge' }));
    expect(!r.ok && r.reason === 'not-in-region' && r.offers).toContain('us-east-1');
  });

  it('Vertex: an accelerator absent from a region', () => {
    expect(resolveAccelerator('vertex', 'serving', 'H100', 8, 'europe-west1')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'a3-highgpu-8g' }));
    expect(resolveAccelerator('vertex', 'training', 'A100-80GB', 1, 'us-east1')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'a2-ultragpu-1g' }));
    expect(acceleratorsOffered('vertex', 'serving', 'europe-west1')).toEqual(['T4', 'L4']);
  });

  it('Azure: a GPU family absent from a region', () => {
    const r = resolveAccelerator('azureml', 'serving', 'H100', 1, 'northeurope');
    expect(r).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'Standard_NC40ads_H100_v5' }));
    const offers = !r.ok && r.reason === 'not-in-region' ? [...r.offers] : [];
    expect(offers).toContain('eastus');
    expect(offers).toEqual([...offers].sort());
  });

  it('acceleratorsOffered filters by region and keeps ACCELERATORS order', () => {
    const all = acceleratorsOffered('sagemaker', 'serving');
    const there = acceleratorsOffered('sagemaker', 'serving', 'af-south-1');
    expect(there).toEqual(['T4']);
    expect(all).toEqual(ACCELERATORS.filter((a) => all.includes(a)));
  });
});
