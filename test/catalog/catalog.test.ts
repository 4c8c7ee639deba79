import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { acceleratorsOffered, catalogSources, pricePerHour, resolveAccelerator, resolveInstanceType, spotDiscount, type CatalogResult } from '../../lib/catalog';
import hosting from '../../lib/catalog/data/sagemaker-hosting-instance-types.json';
import sagemaker from '../../lib/catalog/data/sagemaker.json';

const sku = (r: CatalogResult) => (r.ok ? r.sku.instanceType : `miss:${r.reason}`);

describe('accelerator → SKU', () => {
  it.each([
    ['sagemaker', 'serving', 'T4', 1, 'us-east-1', 'ml.g4dn.xlarge'],
    ['sagemaker', 'serving', 'A10G', 1, 'us-east-1', 'ml.g5.xlarge'],
    ['sagemaker', 'serving', 'L4', 1, 'us-east-1', 'ml.g6.xlarge'],
    ['sagemaker', 'training', 'A100', 8, 'us-east-1', 'ml.p4d.24xlarge'],
    ['sagemaker', 'training', 'A100-80GB', 8, 'us-east-1', 'ml.p4de.24xlarge'],
    ['sagemaker', 'serving', 'H100', 8, 'us-east-1', 'ml.p5.48xlarge'],
    ['vertex', 'serving', 'T4', 1, 'us-central1', 'n1-standard-4'],
    ['vertex', 'serving', 'L4', 1, 'us-central1', 'g2-standard-8'],
    ['vertex', 'training', 'A100', 1, 'us-central1', 'a2-highgpu-1g'],
    ['vertex', 'training', 'A100-80GB', 1, 'us-central1', 'a2-ultragpu-1g'],
    ['vertex', 'training', 'H100', 8, 'us-central1', 'a3-highgpu-8g'],
    ['azureml', 'serving', 'T4', 1, 'eastus', 'Standard_NC4as_T4_v3'],
    ['azureml', 'serving', 'V100', 1, 'eastus', 'Standard_NC6s_v3'],
    ['azureml', 'serving', 'A100-80GB', 1, 'eastus', 'Standard_NC24ads_A100_v4'],
    ['azureml', 'training', 'H100', 8, 'eastus', 'Standard_ND96isr_H100_v5'],
    ['azureml', 'serving', 'A10', 1, 'eastus', 'Standard_NV36ads_A10_v5'],
  ] as const)('%s %s %s×%i in %s → %s', (provider, purpose, accel, count, region, expected) => {
    expect(sku(resolveAccelerator(provider, purpose, accel, count, region))).toBe(expected);
  });

  it('gives the Vertex accelerator type with the machine type', () => {
    const r = resolveAccelerator('vertex', 'serving', 'T4', 1, 'us-central1');
    expect(r.ok && [r.sku.providerAcceleratorType, r.sku.acceleratorCount]).toEqual(['NVIDIA_TESLA_T4', 1]);
  });

  it('names what a provider offers when it lacks the accelerator', () => {
    expect(resolveAccelerator('vertex', 'serving', 'A10G', 1, 'us-central1')).toEqual({ ok: false, reason: 'no-accelerator', offers: ['T4', 'L4', 'V100', 'A100', 'A100-80GB', 'H100', 'H200'] });
    expect(resolveAccelerator('azureml', 'serving', 'L4', 1, 'eastus')).toEqual({ ok: false, reason: 'no-accelerator', offers: ['T4', 'A10', 'V100', 'A100', 'A100-80GB', 'H100', 'H200'] });
  });

  it('SageMaker serves no V100 (p3 hosting is gone) but trains on it', () => {
    expect(resolveAccelerator('sagemaker', 'serving', 'V100', 1, 'us-east-1')).toEqual(expect.objectContaining({ ok: false, reason: 'no-accelerator' }));
    expect(sku(resolveAccelerator('sagemaker', 'training', 'V100', 1, 'us-east-1'))).toBe('ml.p3.2xlarge');
  });

  it('names the counts per node it has', () => {
    expect(resolveAccelerator('sagemaker', 'training', 'A100', 4, 'us-east-1')).toEqual({ ok: false, reason: 'no-count', offers: ['8'] });
    expect(resolveAccelerator('vertex', 'serving', 'L4', 3, 'us-central1')).toEqual({ ok: false, reason: 'no-count', offers: ['1', '2', '4', '8'] });
  });

  it('checks the region and names the regions that have the SKU', () => {
    const r = resolveAccelerator('sagemaker', 'serving', 'H100', 8, 'af-south-1');
    expect(r).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'ml.p5.48xlarge' }));
    expect(!r.ok && r.reason === 'not-in-region' && r.offers).toContain('us-east-1');
    expect(resolveAccelerator('vertex', 'serving', 'H100', 8, 'europe-west1')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'a3-highgpu-8g' }));
    expect(resolveAccelerator('azureml', 'serving', 'H100', 1, 'northeurope')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'Standard_NC40ads_H100_v5' }));
  });
});

describe('instanceType overrides', () => {
  it('takes CPU SKUs', () => {
    expect(sku(resolveInstanceType('sagemaker', 'serving', 'ml.m5.xlarge', 'us-east-1'))).toBe('ml.m5.xlarge');
    expect(sku(resolveInstanceType('vertex', 'serving', 'n1-standard-4', 'us-central1'))).toBe('n1-standard-4');
    expect(sku(resolveInstanceType('azureml', 'serving', 'Standard_DS3_v2', 'eastus'))).toBe('Standard_DS3_v2');
  });

  it('takes any SageMaker hosting type of the region table, checked against the region', () => {
    expect(sku(resolveInstanceType('sagemaker', 'serving', 'ml.inf2.xlarge', 'us-east-1'))).toBe('ml.inf2.xlarge');
    expect(resolveInstanceType('sagemaker', 'serving', 'ml.m6i.xlarge', 'us-east-1')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region' }));
  });

  it('parses a Vertex machine type with an attached accelerator', () => {
    const r = resolveInstanceType('vertex', 'serving', 'n1-standard-16/NVIDIA_TESLA_T4x2', 'us-central1');
    expect(r.ok && [r.sku.instanceType, r.sku.providerAcceleratorType, r.sku.acceleratorCount, r.sku.accelerator]).toEqual(['n1-standard-16', 'NVIDIA_TESLA_T4', 2, 'T4']);
  });

  it('suggests known SKUs for an unknown one', () => {
    const r = resolveInstanceType('sagemaker', 'serving', 'ml.g4dn.xlarg', 'us-east-1');
    expect(r).toEqual(expect.objectContaining({ ok: false, reason: 'unknown-instance-type' }));
    expect(!r.ok && r.offers[0]).toBe('ml.g4dn.xlarge');
  });
});

describe('prices and sources', () => {
  it('reads on-demand prices per purpose', () => {
    expect(pricePerHour('sagemaker', 'ml.g4dn.xlarge', 'us-east-1', 'serving')).toBe(0.736);
    expect(pricePerHour('vertex', 'n1-standard-4', 'us-central1', 'serving', 'T4')).toBe(0.64);
    expect(pricePerHour('vertex', 'n1-standard-4', 'us-central1', 'serving')).toBe(0.22);
    expect(pricePerHour('sagemaker', 'ml.p5e.48xlarge', 'us-east-2', 'training')).toBeUndefined();
    expect(spotDiscount('sagemaker')).toBe(0.7);
  });

  it('lists each data file with its source and date', () => {
    const sources = catalogSources();
    expect(sources).toHaveLength(4);
    for (const s of sources) {
      expect(existsSync(path.resolve(__dirname, '../..', s.file))).toBe(true);
      expect(s.source.length).toBeGreaterThan(10);
      expect(s.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('every SageMaker SKU said to serve is in the hosting table somewhere', () => {
    const hosted = new Set(Object.values(hosting as Record<string, string[]>).flat());
    const servingSkus = sagemaker.skus.filter((s) => !('purposes' in s) || (s as { purposes: string[] }).purposes.includes('serving'));
    for (const s of servingSkus) expect([s.instanceType, hosted.has(s.instanceType)]).toEqual([s.instanceType, true]);
  });

  it('offers accelerators per region', () => {
    expect(acceleratorsOffered('vertex', 'serving', 'europe-west1')).toEqual(['T4', 'L4']);
  });
});
