import { onEvent, type SageMakerEvent } from '../../../lib/handlers/sagemaker';
import { ensureVersion, findVersion, VERSION_KEY, type VersionSpec } from '../../../lib/providers/sagemaker/registry';
import { FakeSageMaker } from '../../fakes/sagemaker/server';

const GROUP = 'acme-fraud-detector';
const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu';
const version = (label: string, over: Partial<VersionSpec> = {}): VersionSpec => ({
  group: GROUP,
  label,
  description: `${GROUP} version ${label}`,
  approvalStatus: 'PendingManualApproval',
  image: IMAGE,
  modelDataUrl: `s3://acme-models/fraud/${label}/model.tar.gz`,
  contentTypes: ['application/json'],
  responseTypes: ['application/json'],
  metadata: { [VERSION_KEY]: label, 'metric:accuracy': '0.96' },
  tags: { 'mlspec:project': 'acme' },
  ...over,
});

// The handler logs what it did, as it does in Lambda; tests read the fake instead.
beforeAll(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('a version is found by its label at a cost that does not grow with the registry', () => {
  let fake: FakeSageMaker;

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    fake.smCreateModelPackageGroup({ ModelPackageGroupName: GROUP });
  });
  afterEach(() => fake.stop());

  /**
   * `n` packages in the group, oldest first, labelled `l0`, `l1`, ...: as mlspec registers them
   * (`tagged`: the label also as the `mlspec:version` tag), or as earlier mlspec releases and other
   * tools left them (metadata only). Straight into the fake's store, so 1,000 take no time.
   */
  function seed(n: number, tagged: boolean, labels = (i: number) => `l${i}`) {
    for (let i = 0; i < n; i++) {
      const spec = version(labels(i));
      fake.smCreateModelPackage({
        ModelPackageGroupName: GROUP,
        ModelPackageDescription: spec.description,
        CustomerMetadataProperties: spec.metadata,
        InferenceSpecification: { Containers: [{ Image: spec.image, ModelDataUrl: spec.modelDataUrl }], SupportedContentTypes: spec.contentTypes, SupportedResponseMIMETypes: spec.responseTypes },
        Tags: [{ Key: 'mlspec:project', Value: 'acme' }, ...(tagged ? [{ Key: VERSION_KEY, Value: spec.label }] : [])],
      });
    }
  }

  /** The calls `run` makes against the fake. */
  async function calls(run: () => Promise<unknown>): Promise<string[]> {
    const from = fake.calls.length;
    await run();
    return fake.calls.slice(from);
  }

  it('1,000 trained versions (tagged mlspec:trained by the pipeline) cost a new label no scan', async () => {
    for (let i = 0; i < 1000; i++) {
      fake.smCreateModelPackage({
        ModelPackageGroupName: GROUP,
        CustomerMetadataProperties: { 'metric:accuracy': '0.97' },
        InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: `s3://acme-models/fraud/run-${i}/output/model.tar.gz` }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
        Tags: [{ Key: 'mlspec:trained', Value: 'true' }],
      });
    }
    // One Search by the label's tag, one over the untagged packages: empty, since the trained ones are left out.
    expect(await calls(() => findVersion(fake.clients().sagemaker, GROUP, 'l1'))).toEqual(['SageMaker.Search', 'SageMaker.Search']);
  });

  it('the oldest of 1,000 versions mlspec registered: one call', async () => {
    seed(1000, true);
    let found: Awaited<ReturnType<typeof findVersion>>;
    const made = await calls(async () => (found = await findVersion(fake.clients().sagemaker, GROUP, 'l0')));
    expect(found!.ModelPackageArn).toBe(`arn:aws:sagemaker:us-east-1:111111111111:model-package/${GROUP}/1`);
    expect(found!.CustomerMetadataProperties).toEqual({ [VERSION_KEY]: 'l0', 'metric:accuracy': '0.96' });
    expect(made).toEqual(['SageMaker.Search']);
  });

  it('a new label beside 1,000 versions: two searches and the CreateModelPackage, which tags the label', async () => {
    seed(1000, true);
    let out: Awaited<ReturnType<typeof ensureVersion>>;
    const made = await calls(async () => (out = await ensureVersion(fake.clients().sagemaker, version('new'))));
    expect(out!).toEqual({ arn: `arn:aws:sagemaker:us-east-1:111111111111:model-package/${GROUP}/1001`, outcome: 'created' });
    expect(made).toEqual(['SageMaker.Search', 'SageMaker.Search', 'SageMaker.CreateModelPackage']);
    expect(fake.tags.get(out!.arn)).toEqual({ 'mlspec:project': 'acme', [VERSION_KEY]: 'new' });
    // Found by its tag from now on.
    expect(await calls(() => findVersion(fake.clients().sagemaker, GROUP, 'new'))).toEqual(['SageMaker.Search']);
  });

  it('1,000 versions without the tag (left by earlier releases): found across pages of 100, tagged when taken back, then found in one call', async () => {
    seed(1000, false);
    const first = await calls(() => findVersion(fake.clients().sagemaker, GROUP, 'l0'));
    // One search by tag (none), then the untagged ones newest first, 100 a page: l0 is on the tenth.
    expect(first).toEqual(Array(11).fill('SageMaker.Search'));
    const taken = await ensureVersion(fake.clients().sagemaker, version('l0'));
    expect(taken.outcome).toBe('adopted');
    expect(fake.tags.get(taken.arn)).toEqual({ 'mlspec:project': 'acme', [VERSION_KEY]: 'l0' });
    expect(await calls(() => findVersion(fake.clients().sagemaker, GROUP, 'l0'))).toEqual(['SageMaker.Search']);
  });

  it('the newest package of a label is the one found, tagged or not, and a label is matched whole', async () => {
    seed(3, false, () => 'seven');
    seed(1, true, () => 'seven');
    seed(1, true, () => 'sevenfold');
    const found = await findVersion(fake.clients().sagemaker, GROUP, 'seven');
    expect(found!.ModelPackageVersion).toBe(4);
    expect(await findVersion(fake.clients().sagemaker, GROUP, 'seve')).toBeUndefined();
  });

  it('a tag that no longer says what the metadata says (edited by hand) is not trusted: the metadata decides', async () => {
    seed(2, true);
    const arn = `arn:aws:sagemaker:us-east-1:111111111111:model-package/${GROUP}/2`;
    fake.tags.get(arn)![VERSION_KEY] = 'l0';
    expect((await findVersion(fake.clients().sagemaker, GROUP, 'l0'))!.ModelPackageVersion).toBe(1);
  });

  it('packages of other groups, and trained packages (no label), are not taken for a version', async () => {
    fake.smCreateModelPackageGroup({ ModelPackageGroupName: `${GROUP}-staging` });
    fake.smCreateModelPackage({ ModelPackageGroupName: `${GROUP}-staging`, CustomerMetadataProperties: { [VERSION_KEY]: 'x' }, Tags: [{ Key: VERSION_KEY, Value: 'x' }] });
    fake.smCreateModelPackage({ ModelPackageGroupName: GROUP, CustomerMetadataProperties: { 'metric:accuracy': '0.9', 'mlspec:trainingJob': 'job-1' } });
    expect(await findVersion(fake.clients().sagemaker, GROUP, 'x')).toBeUndefined();
    expect(await findVersion(fake.clients().sagemaker, GROUP, '1')).toBeUndefined();
  });

  it('an Update of a registered version never searches: the package ARN is its physical id', async () => {
    seed(1000, true);
    const arn = `arn:aws:sagemaker:us-east-1:111111111111:model-package/${GROUP}/1`;
    const event = (spec: VersionSpec, old: VersionSpec) => ({ RequestType: 'Update', PhysicalResourceId: arn, ResourceProperties: { Kind: 'ModelVersion', Version: JSON.stringify(spec) }, OldResourceProperties: { Kind: 'ModelVersion', Version: JSON.stringify(old) } }) as unknown as SageMakerEvent;
    const made = await calls(() => onEvent(event(version('l0', { metadata: { [VERSION_KEY]: 'l0', 'metric:accuracy': '0.99' } }), version('l0')), { clients: () => fake.clients() }));
    expect(made).toEqual(['SageMaker.DescribeModelPackage', 'SageMaker.UpdateModelPackage', 'SageMaker.ListTags']);
  });
});
