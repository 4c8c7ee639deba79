import { CreateEndpointConfigCommand, type CreateEndpointConfigCommandInput } from '@aws-sdk/client-sagemaker';
import { ensureEndpointConfig, type EndpointConfigSpec } from '../../../lib/providers/sagemaker/traffic';
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
