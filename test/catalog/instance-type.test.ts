import { resolveAccelerator, resolveInstanceType, type CatalogResult } from '../../lib/catalog';

const sku = (r: CatalogResult) => (r.ok ? r.sku.instanceType : `miss:${r.reason}`);

describe('instanceType overrides', () => {
  it('takes common CPU SKUs on every provider', () => {
    for (const t of ['ml.m5.xlarge', 'ml.c5.2xlarge', 'ml.r5.large', 'ml.c6i.xlarge']) expect(sku(resolveInstanceType('sagemaker', 'serving', t, 'us-east-1'))).toBe(t);
    for (const t of ['ml.m5.xlarge', 'ml.c5.4xlarge', 'ml.r5.xlarge', 'ml.m6i.2xlarge', 'ml.c6i.large']) expect(sku(resolveInstanceType('sagemaker', 'training', t, 'us-east-1'))).toBe(t);
    for (const t of ['n1-standard-4', 'n2-standard-8', 'e2-standard-4', 'n1-highmem-16']) expect(sku(resolveInstanceType('vertex', 'serving', t, 'us-central1'))).toBe(t);
    for (const t of ['Standard_DS3_v2', 'Standard_D4as_v4', 'Standard_E8s_v3', 'Standard_F16s_v2']) expect(sku(resolveInstanceType('azureml', 'serving', t, 'eastus'))).toBe(t);
  });

  it('a CPU SKU has no accelerator and its shape', () => {
    const r = resolveInstanceType('vertex', 'training', 'n1-standard-4', 'us-central1');
    expect(r.ok && r.sku).toEqual(expect.objectContaining({ acceleratorCount: 0, accelerator: undefined, providerAcceleratorType: undefined, vcpus: 4, memoryGiB: 15 }));
  });

  it('checks SageMaker serving overrides against the hosting table, including types the SKU table does not price', () => {
    expect(sku(resolveInstanceType('sagemaker', 'serving', 'ml.inf2.xlarge', 'us-east-1'))).toBe('ml.inf2.xlarge');
    // The hosting table lists ml.m6i only in newer regions.
    expect(resolveInstanceType('sagemaker', 'serving', 'ml.m6i.xlarge', 'us-east-1')).toEqual({
      ok: false,
      reason: 'not-in-region',
      sku: 'ml.m6i.xlarge',
      offers: ['ap-east-2', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'mx-central-1'],
    });
    expect(resolveInstanceType('sagemaker', 'serving', 'ml.p5.48xlarge', 'af-south-1')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'ml.p5.48xlarge' }));
  });

  it('keeps SageMaker training-only and serving-only types apart', () => {
    expect(sku(resolveInstanceType('sagemaker', 'training', 'ml.p3.2xlarge', 'us-east-1'))).toBe('ml.p3.2xlarge');
    expect(sku(resolveInstanceType('sagemaker', 'serving', 'ml.p3.2xlarge', 'us-east-1'))).toBe('miss:unknown-instance-type');
    expect(sku(resolveInstanceType('sagemaker', 'training', 'ml.inf2.xlarge', 'us-east-1'))).toBe('miss:unknown-instance-type');
  });

  it('parses Vertex <machineType>/<ACCELERATOR_TYPE>x<count>', () => {
    const r = resolveInstanceType('vertex', 'serving', 'n1-standard-8/NVIDIA_TESLA_T4x1', 'us-central1');
    expect(r.ok && r.sku).toEqual(expect.objectContaining({ instanceType: 'n1-standard-8', accelerator: 'T4', acceleratorCount: 1, providerAcceleratorType: 'NVIDIA_TESLA_T4', vcpus: 8 }));
    const two = resolveInstanceType('vertex', 'training', 'n1-standard-16/NVIDIA_TESLA_T4x2', 'us-central1');
    expect(two.ok && [two.sku.instanceType, two.sku.acceleratorCount]).toEqual(['n1-standard-16', 2]);
    // A built-in GPU machine spelled with its own GPUs is the same machine.
    expect(sku(resolveInstanceType('vertex', 'serving', 'g2-standard-8/NVIDIA_L4x1', 'us-central1'))).toBe('g2-standard-8');
    expect(sku(resolveInstanceType('vertex', 'serving', 'a2-highgpu-1g', 'us-central1'))).toBe('a2-highgpu-1g');
  });

  it('rejects Vertex attachments the machine cannot take, offering valid spellings', () => {
    // One V100 fits at most 12 vCPUs; a T4 cannot attach to a G2 machine; five T4s is not a count.
    for (const t of ['n1-standard-16/NVIDIA_TESLA_V100x1', 'g2-standard-8/NVIDIA_TESLA_T4x1', 'n1-standard-8/NVIDIA_TESLA_T4x5', 'n1-standard-8/NVIDIA_TESLA_P100x1', 'n1-standard-8+T4']) {
      const r = resolveInstanceType('vertex', 'serving', t, 'us-central1');
      expect([t, r.ok ? 'ok' : r.reason]).toEqual([t, 'unknown-instance-type']);
    }
    const r = resolveInstanceType('vertex', 'serving', 'n1-standard-16/NVIDIA_TESLA_V100x1', 'us-central1');
    expect(!r.ok && r.offers).toContain('n1-standard-8/NVIDIA_TESLA_V100x1');
  });

  it('checks the attached accelerator against the region', () => {
    expect(resolveInstanceType('vertex', 'serving', 'n1-standard-8/NVIDIA_TESLA_V100x1', 'europe-west1')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'n1-standard-8' }));
  });

  it('matches Azure sizes case-insensitively and answers with the canonical spelling', () => {
    expect(sku(resolveInstanceType('azureml', 'serving', 'STANDARD_NC4AS_T4_V3', 'eastus'))).toBe('Standard_NC4as_T4_v3');
  });

  it('Azure: serving only takes the managed online endpoint SKUs; retired NCv3 is unknown', () => {
    expect(sku(resolveInstanceType('azureml', 'serving', 'Standard_ND96isr_H200_v5', 'eastus2'))).toBe('miss:unknown-instance-type');
    expect(sku(resolveInstanceType('azureml', 'training', 'Standard_ND96isr_H200_v5', 'eastus2'))).toBe('Standard_ND96isr_H200_v5');
    expect(sku(resolveInstanceType('azureml', 'serving', 'Standard_NC6s_v3', 'eastus'))).toBe('miss:unknown-instance-type');
  });

  it('suggests similar known types for an unknown one, same family first', () => {
    const r = resolveInstanceType('sagemaker', 'serving', 'ml.g4dn.xlarg', 'us-east-1');
    expect(r).toEqual(expect.objectContaining({ ok: false, reason: 'unknown-instance-type' }));
    expect(!r.ok && r.offers[0]).toBe('ml.g4dn.xlarge');
    expect(!r.ok && r.offers.every((o) => o.startsWith('ml.g4dn.'))).toBe(true);
    const v = resolveInstanceType('vertex', 'serving', 'n1-standrd-4', 'us-central1');
    expect(!v.ok && v.offers[0]).toBe('n1-standard-4');
    const a = resolveInstanceType('azureml', 'serving', 'Standard_NC4as_T4_v4', 'eastus');
    expect(!a.ok && a.offers[0]).toBe('Standard_NC4as_T4_v3');
  });
});

describe('region tables that are a conservative subset', () => {
  const listed = (r: CatalogResult) => (r.ok && r.unlistedRegion ? r.unlistedRegion.listed : undefined);

  it('Azure: a pinned size in a region the table does not list is accepted, with the regions it does list', () => {
    const r = resolveInstanceType('azureml', 'serving', 'Standard_NC24ads_A100_v4', 'centralus');
    expect(sku(r)).toBe('Standard_NC24ads_A100_v4');
    expect(r.ok && r.sku.pricePerHour).toBe(3.673);
    expect(listed(r)).toEqual(['australiaeast', 'eastus', 'eastus2', 'japaneast', 'southcentralus', 'swedencentral', 'uksouth', 'westeurope', 'westus2', 'westus3']);
    expect(sku(resolveInstanceType('azureml', 'training', 'Standard_ND96isr_H200_v5', 'westus3'))).toBe('Standard_ND96isr_H200_v5');
    // The Azure ML region list is a subset too: a CPU size in a region it does not name.
    expect(listed(resolveInstanceType('azureml', 'training', 'Standard_DS3_v2', 'newzealandnorth'))).toContain('eastus');
  });

  it('a listed region is a plain hit', () => {
    const r = resolveInstanceType('azureml', 'serving', 'Standard_NC24ads_A100_v4', 'eastus');
    expect(r).toEqual({ ok: true, sku: expect.objectContaining({ instanceType: 'Standard_NC24ads_A100_v4' }) });
    expect(r.ok && 'unlistedRegion' in r).toBe(false);
  });

  it('resolving an accelerator there is still a miss, marked conservative', () => {
    expect(resolveAccelerator('azureml', 'serving', 'A100-80GB', 1, 'centralus')).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'Standard_NC24ads_A100_v4', conservative: true }));
  });

  it('Vertex: only H100 Mega regions are a subset; other GPU regions stay errors even when pinned', () => {
    expect(listed(resolveInstanceType('vertex', 'training', 'a3-megagpu-8g', 'us-east1'))).toEqual(['asia-southeast1', 'europe-west4', 'us-central1', 'us-east4']);
    expect(listed(resolveInstanceType('vertex', 'training', 'a3-megagpu-8g/NVIDIA_H100_MEGA_80GBx8', 'us-east1'))).toEqual(['asia-southeast1', 'europe-west4', 'us-central1', 'us-east4']);
    const r = resolveInstanceType('vertex', 'serving', 'a3-highgpu-8g', 'europe-west1');
    expect(r).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region', sku: 'a3-highgpu-8g' }));
    expect(!r.ok && r.reason === 'not-in-region' && r.conservative).toBeUndefined();
  });

  it('SageMaker: training regions are a subset, the hosting table is the authority', () => {
    // ml.p5e.48xlarge trains in us-east-2 and us-west-2 as far as the table knows.
    expect(listed(resolveInstanceType('sagemaker', 'training', 'ml.p5e.48xlarge', 'us-east-1'))).toEqual(['us-east-2', 'us-west-2']);
    // CPU types too: a region the training table does not name at all.
    expect(listed(resolveInstanceType('sagemaker', 'training', 'ml.c5.large', 'eu-south-9'))).toContain('us-east-1');
    const serving = resolveInstanceType('sagemaker', 'serving', 'ml.p5.48xlarge', 'af-south-1');
    expect(serving).toEqual(expect.objectContaining({ ok: false, reason: 'not-in-region' }));
    expect(!serving.ok && serving.reason === 'not-in-region' && serving.conservative).toBeUndefined();
  });
});
