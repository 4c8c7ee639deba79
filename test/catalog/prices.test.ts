import { pricePerHour, resolveAccelerator, spotDiscount } from '../../lib/catalog';
import sagemaker from '../../lib/catalog/data/sagemaker-skus.json';
import vertex from '../../lib/catalog/data/vertex-skus.json';
import azureml from '../../lib/catalog/data/azureml-skus.json';

type Table = { skus: { instanceType: string; price: Partial<Record<'training' | 'serving', number>> }[] };
const row = (table: unknown, t: string) => (table as Table).skus.find((s) => s.instanceType === t)!;

describe('prices', () => {
  it('a known price is the table value, per purpose', () => {
    expect(pricePerHour('sagemaker', 'ml.g4dn.xlarge', 'us-east-1', 'serving')).toBe(row(sagemaker, 'ml.g4dn.xlarge').price.serving);
    expect(pricePerHour('sagemaker', 'ml.p4d.24xlarge', 'us-east-1', 'training')).toBe(37.688);
    expect(pricePerHour('azureml', 'Standard_NC24ads_A100_v4', 'eastus', 'serving')).toBe(row(azureml, 'Standard_NC24ads_A100_v4').price.serving);
    expect(pricePerHour('vertex', 'g2-standard-8', 'us-central1', 'serving')).toBe(1.01);
    expect(pricePerHour('vertex', 'g2-standard-8', 'us-central1', 'training')).toBe(0.98);
    expect(pricePerHour('vertex', 'g2-standard-8/NVIDIA_L4x1', 'us-central1', 'training')).toBe(0.98);
  });

  it('Vertex N1 prices are per vCPU, plus the attached GPUs', () => {
    expect(pricePerHour('vertex', 'n1-standard-4', 'us-central1', 'training')).toBeCloseTo(0.2185, 4);
    const t4 = vertex.attachable.NVIDIA_TESLA_T4.price.training;
    expect(pricePerHour('vertex', 'n1-standard-8/NVIDIA_TESLA_T4x2', 'us-central1', 'training')).toBeCloseTo(8 * vertex.cpuFamilies['n1-standard'].pricePerVcpu.training + 2 * t4, 4);
  });

  it('uses the region price where the table has one, else the reference region price', () => {
    const regional = sagemaker.regionalPrices['us-west-2']['ml.g6.xlarge'].training;
    expect(pricePerHour('sagemaker', 'ml.g6.xlarge', 'us-west-2', 'training')).toBe(regional);
    expect(pricePerHour('sagemaker', 'ml.g6.xlarge', 'eu-west-1', 'training')).toBe(row(sagemaker, 'ml.g6.xlarge').price.training);
    // A purpose the regional entry does not cover falls back too.
    expect(pricePerHour('sagemaker', 'ml.g6.xlarge', 'us-west-2', 'serving')).toBe(row(sagemaker, 'ml.g6.xlarge').price.serving);
    expect(pricePerHour('azureml', 'Standard_NC4as_T4_v3', 'westeurope', 'serving')).toBe(pricePerHour('azureml', 'Standard_NC4as_T4_v3', 'eastus', 'serving'));
  });

  it('is undefined when the catalog has no price, rather than a guess', () => {
    expect(pricePerHour('sagemaker', 'ml.p5en.48xlarge', 'us-east-1', 'training')).toBeUndefined();
    expect(pricePerHour('sagemaker', 'ml.inf2.xlarge', 'us-east-1', 'serving')).toBeUndefined();
    expect(pricePerHour('vertex', 'e2-standard-4', 'us-central1', 'serving')).toBeUndefined();
    expect(pricePerHour('azureml', 'Standard_Bogus', 'eastus', 'serving')).toBeUndefined();
  });

  it('a resolved SKU carries the same price', () => {
    const r = resolveAccelerator('sagemaker', 'serving', 'A10G', 1, 'us-east-1');
    expect(r.ok && r.sku.pricePerHour).toBe(pricePerHour('sagemaker', 'ml.g5.xlarge', 'us-east-1', 'serving'));
  });

  it('spot discounts are fractions from the data files', () => {
    expect(spotDiscount('sagemaker')).toBe(sagemaker.spotDiscount);
    expect(spotDiscount('vertex')).toBe(vertex.spotDiscount);
    expect(spotDiscount('azureml')).toBe(azureml.spotDiscount);
    for (const p of ['sagemaker', 'vertex', 'azureml'] as const) expect(spotDiscount(p)).toBeGreaterThan(0), expect(spotDiscount(p)).toBeLessThan(1);
  });
});
