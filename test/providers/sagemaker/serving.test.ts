import { CreateEndpointCommand, CreateEndpointConfigCommand, UpdateEndpointWeightsAndCapacitiesCommand, type CreateEndpointConfigCommandInput, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ensureEndpointConfig, ensureKeepLiveConfig, keepLiveConfig, retiredConfigName, type ConfigVariant, type EndpointConfigSpec } from '../../../lib/providers/sagemaker/serving';
import { createModels, FakeSageMaker } from '../../fakes/sagemaker/server';

const NAME = 'acme-fraud-prod-0123456789';
const KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const VARIANTS: EndpointConfigSpec['ProductionVariants'] = [{ VariantName: 'v7', ModelName: 'm7', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 100 }];
const CAPTURE = {
  EnableCapture: true,
  InitialSamplingPercentage: 20,
  DestinationS3Uri: 's3://acme-capture/fraud/',
  KmsKeyId: KEY,
  CaptureOptions: [{ CaptureMode: 'Input' as const }, { CaptureMode: 'Output' as const }],
};

describe('an endpoint config of the same contents is adopted, whatever shape the live one has for "no data capture"', () => {
  let fake: FakeSageMaker;

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    await createModels(fake, ['m7']);
  });
  afterEach(() => fake.stop());

  /** A config already there (made by an earlier attempt, or kept beside a retained endpoint). */
  async function live(extra: Partial<CreateEndpointConfigCommandInput> = {}) {
    await fake.clients().sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: NAME, ProductionVariants: VARIANTS, ...extra }));
  }

  /** ensureEndpointConfig against that config: its outcome, and the calls and writes it made. */
  async function ensure(spec: EndpointConfigSpec) {
    const from = fake.calls.length;
    const stored = JSON.stringify(fake.configs.get(NAME));
    const outcome = await ensureEndpointConfig(fake.clients().sagemaker, NAME, spec);
    // Adopting leaves the live config as it was; the only write is the Create that SageMaker refused by name.
    expect(JSON.stringify(fake.configs.get(NAME))).toBe(stored);
    return { outcome, calls: fake.calls.slice(from), writes: fake.writes(from) };
  }

  it('no capture, and the API answers DataCaptureConfig: {} (as moto does): adopted, nothing created', async () => {
    fake.quirks.emptyDataCapture = true;
    await live();
    const out = await ensure({ ProductionVariants: VARIANTS });
    expect(out.outcome).toBe('adopted');
    expect(out.calls).toEqual(['SageMaker.CreateEndpointConfig', 'SageMaker.DescribeEndpointConfig']);
    expect(out.writes).toEqual(['SageMaker.CreateEndpointConfig']);
    expect(fake.configs.size).toBe(1);
  });

  it('no capture against a config whose capture is disabled (EnableCapture: false): both mean off, adopted', async () => {
    await live({ DataCaptureConfig: { ...CAPTURE, EnableCapture: false } });
    expect((await ensure({ ProductionVariants: VARIANTS })).outcome).toBe('adopted');
    // And the other way round: a spec that disables capture adopts a config without it, also when answered as {}.
    await fake.clients().sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: `${NAME}x`, ProductionVariants: VARIANTS }));
    fake.quirks.emptyDataCapture = true;
    expect(await ensureEndpointConfig(fake.clients().sagemaker, `${NAME}x`, { ProductionVariants: VARIANTS, DataCaptureConfig: { ...CAPTURE, EnableCapture: false } })).toBe('adopted');
  });

  it('capture on: the same capture is adopted (EnableCapture left to its default, the prefix\'s trailing slash and the modes\' order aside)', async () => {
    await live({ DataCaptureConfig: CAPTURE });
    const { EnableCapture: _on, ...byDefault } = CAPTURE;
    const out = await ensure({ ProductionVariants: VARIANTS, DataCaptureConfig: { ...byDefault, DestinationS3Uri: 's3://acme-capture/fraud', CaptureOptions: [{ CaptureMode: 'Output' }, { CaptureMode: 'Input' }] } });
    expect(out.outcome).toBe('adopted');
  });

  it.each([
    ['capture off where it is on', {}],
    ['another sampling percentage', { DataCaptureConfig: { ...CAPTURE, InitialSamplingPercentage: 50 } }],
    ['another destination', { DataCaptureConfig: { ...CAPTURE, DestinationS3Uri: 's3://elsewhere/fraud/' } }],
    ['another key for the captured data', { DataCaptureConfig: { ...CAPTURE, KmsKeyId: `${KEY}-other` } }],
    ['input only', { DataCaptureConfig: { ...CAPTURE, CaptureOptions: [{ CaptureMode: 'Input' as const }] } }],
    ['capture disabled where it is on', { DataCaptureConfig: { ...CAPTURE, EnableCapture: false } }],
  ])('capture on, and the spec differs by %s: refused by name, nothing adopted', async (_what, extra) => {
    fake.quirks.emptyDataCapture = true;
    await live({ DataCaptureConfig: CAPTURE });
    await expect(ensureEndpointConfig(fake.clients().sagemaker, NAME, { ProductionVariants: VARIANTS, ...extra }))
      .rejects.toThrow(`endpoint config ${NAME} already exists with other contents`);
  });
});

describe('keep-live configs (staged rollouts): the endpoint update onto them moves no traffic', () => {
  const ENDPOINT = 'acme-fraud-prod';
  let fake: FakeSageMaker;
  let sm: SageMakerClient;
  const variant = (v: string, w: number, extra: Partial<ConfigVariant> = {}): ConfigVariant => ({ VariantName: v, ModelName: `fraud-${v}`, InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: w, ...extra });
  const desired = (split: Record<string, number>): EndpointConfigSpec => ({ ProductionVariants: Object.entries(split).map(([v, w]) => variant(v, w)), KmsKeyId: KEY });
  const stored = (name: string) => Object.fromEntries(fake.configs.get(name)!.ProductionVariants.map((v) => [v.VariantName, v]));

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    await createModels(fake, ['fraud-v6', 'fraud-v7', 'fraud-v8']);
    sm = fake.clients().sagemaker;
    // v7 serves everything, from a config that set its accelerator, volume and timeouts; autoscaling grew it to 3 instances.
    await sm.send(new CreateEndpointConfigCommand({
      EndpointConfigName: `${ENDPOINT}-0000000001`,
      ProductionVariants: [variant('v7', 100, { VolumeSizeInGB: 64, ModelDataDownloadTimeoutInSeconds: 1200, ContainerStartupHealthCheckTimeoutInSeconds: 600 }), variant('v6', 0, { InstanceType: 'ml.m5.xlarge' })],
      KmsKeyId: KEY,
    }));
    await sm.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: `${ENDPOINT}-0000000001` }));
    await sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'v7', DesiredInstanceCount: 3 }] }));
  });
  afterEach(async () => {
    sm.destroy();
    await fake.stop();
  });

  it('{v7: 100} live, desired {v7: 90, v8: 10}: v7 at its live 100, v8 new at 0; v6 (live at 0, not desired) is not kept', async () => {
    const out = await ensureKeepLiveConfig(sm, `${ENDPOINT}-0000000002`, desired({ v7: 90, v8: 10 }), { endpointName: ENDPOINT });
    expect(out).toEqual(expect.objectContaining({ outcome: 'created', kept: [], weights: { v7: 100, v8: 0 } }));
    expect(fake.configs.get(`${ENDPOINT}-0000000002`)!.ProductionVariants).toEqual([variant('v7', 100), variant('v8', 0)]);
  });

  it('desired {v8: 100}: v8 at 0, and v7 copied from the live config at 100 with its live instance count and its other fields', async () => {
    const out = await ensureKeepLiveConfig(sm, `${ENDPOINT}-0000000002`, desired({ v8: 100 }), { endpointName: ENDPOINT });
    expect(out).toEqual(expect.objectContaining({ outcome: 'created', kept: ['v7'], weights: { v8: 0, v7: 100 } }));
    expect(stored(`${ENDPOINT}-0000000002`)).toEqual({
      v8: variant('v8', 0),
      v7: variant('v7', 100, { InitialInstanceCount: 3, VolumeSizeInGB: 64, ModelDataDownloadTimeoutInSeconds: 1200, ContainerStartupHealthCheckTimeoutInSeconds: 600 }),
    });
    // The rest of the config is the desired one.
    expect(fake.configs.get(`${ENDPOINT}-0000000002`)!.KmsKeyId).toBe(KEY);
  });

  it('the first deploy (no endpoint yet): the desired config as it is', async () => {
    const out = await ensureKeepLiveConfig(sm, 'acme-fraud-dev-0000000001', desired({ v7: 90, v8: 10 }), { endpointName: 'acme-fraud-dev' });
    expect(out).toEqual(expect.objectContaining({ outcome: 'created', kept: [], asIs: 'endpoint acme-fraud-dev does not exist yet' }));
    expect(fake.configs.get('acme-fraud-dev-0000000001')!.ProductionVariants).toEqual([variant('v7', 90), variant('v8', 10)]);
  });

  it('a retried Create adopts the config it made, though the live split moved since; other desired variants are refused by name', async () => {
    const name = `${ENDPOINT}-0000000002`;
    await ensureKeepLiveConfig(sm, name, desired({ v8: 100 }), { endpointName: ENDPOINT });
    await sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'v7', DesiredWeight: 80 }, { VariantName: 'v6', DesiredWeight: 20 }] }));
    const from = fake.calls.length;
    const again = await ensureKeepLiveConfig(sm, name, desired({ v8: 100 }), { endpointName: ENDPOINT });
    expect(again.outcome).toBe('adopted');
    // It would now keep v6 too; the stored config is left as it was.
    expect(Object.keys(stored(name))).toEqual(['v8', 'v7']);
    expect(fake.writes(from)).toEqual(['SageMaker.CreateEndpointConfig']);
    await expect(ensureKeepLiveConfig(sm, name, { ...desired({ v8: 100 }), ProductionVariants: [variant('v8', 100, { InstanceType: 'ml.g5.2xlarge' })] }, { endpointName: ENDPOINT }))
      .rejects.toThrow(`endpoint config ${name} already exists with other contents`);
  });

  it('waits while the endpoint is Updating, then reads the split it ends with', async () => {
    fake.updating.set(ENDPOINT, 2);
    const out = await ensureKeepLiveConfig(sm, `${ENDPOINT}-0000000002`, desired({ v8: 100 }), { endpointName: ENDPOINT, wait: { pollMs: 5, timeoutMs: 2000 } });
    expect(out.weights).toEqual({ v8: 0, v7: 100 });
    expect(fake.updating.get(ENDPOINT)).toBe(0);
  });

  it('a desired config with a shadow variant goes as it is (SageMaker takes one production variant beside a shadow)', async () => {
    const shadowed = { ProductionVariants: [variant('v8', 100)], ShadowProductionVariants: [variant('v7', 50)] };
    const out = await keepLiveConfig(sm, shadowed, { endpointName: ENDPOINT });
    expect(out).toEqual(expect.objectContaining({ spec: shadowed, kept: [], asIs: expect.stringContaining('shadow') }));
  });

  it('retiredConfigName: `<name, cut to 61 characters>-r`, within 63 characters and SageMaker\'s name pattern', () => {
    expect(retiredConfigName('acme-fraud-prod-0123456789')).toBe('acme-fraud-prod-0123456789-r');
    const long = `${'a'.repeat(50)}-x-0123456789`;
    expect(long).toHaveLength(63);
    expect(retiredConfigName(long)).toBe(`${'a'.repeat(50)}-x-01234567-r`);
    for (const name of ['c1', long, `${'b'.repeat(59)}-a-z`]) {
      expect(retiredConfigName(name).length).toBeLessThanOrEqual(63);
      expect(retiredConfigName(name)).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    }
  });
});
