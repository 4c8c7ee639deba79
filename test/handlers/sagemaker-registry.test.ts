import { onEvent, type SageMakerEvent } from '../../lib/handlers/sagemaker';
import type { GroupSpec, VersionSpec } from '../../lib/providers/sagemaker/registry';
import { FakeSageMaker } from '../fakes/sagemaker/server';

const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu';
const GROUP: GroupSpec = { name: 'acme-fraud-detector', description: 'mlspec model fraud-detector', tags: { 'mlspec:project': 'acme' } };
const version = (label: string, over: Partial<VersionSpec> = {}): VersionSpec => ({
  group: GROUP.name,
  label,
  description: `${GROUP.name} version ${label}`,
  approvalStatus: 'PendingManualApproval',
  image: IMAGE,
  modelDataUrl: `s3://acme-models/fraud/${label}/model.tar.gz`,
  contentTypes: ['application/json'],
  responseTypes: ['application/json'],
  metadata: { 'mlspec:version': label, 'metric:accuracy': '0.96' },
  tags: { 'mlspec:project': 'acme' },
  ...over,
});

const groupEvent = (type: SageMakerEvent['RequestType'], spec: GroupSpec, physicalId?: string, old?: GroupSpec) =>
  ({ RequestType: type, PhysicalResourceId: physicalId, ResourceProperties: { Kind: 'ModelPackageGroup', Group: JSON.stringify(spec) }, OldResourceProperties: old ? { Kind: 'ModelPackageGroup', Group: JSON.stringify(old) } : undefined }) as SageMakerEvent;
const versionEvent = (type: SageMakerEvent['RequestType'], spec: VersionSpec, physicalId?: string, old?: VersionSpec) =>
  ({ RequestType: type, PhysicalResourceId: physicalId, ResourceProperties: { Kind: 'ModelVersion', Version: JSON.stringify(spec) }, OldResourceProperties: old ? { Kind: 'ModelVersion', Version: JSON.stringify(old) } : undefined }) as SageMakerEvent;

// The handler logs what it did, as it does in Lambda; tests read the fake instead.
beforeAll(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('the registry custom resources against the fake SageMaker', () => {
  let fake: FakeSageMaker;
  const deps = () => ({ clients: () => fake.clients() });

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
  });
  afterEach(() => fake.stop());

  /** A first deploy: the group, then each version in order. */
  async function deploy(versions: VersionSpec[]) {
    const group = await onEvent(groupEvent('Create', GROUP), deps());
    const ids: string[] = [];
    for (const v of versions) ids.push((await onEvent(versionEvent('Create', v), deps())).PhysicalResourceId);
    return { group: group.PhysicalResourceId, versions: ids };
  }

  it('first deploy: one group and one package per version, with labels, metrics and tags', async () => {
    const { group, versions } = await deploy([version('7'), version('8')]);
    expect(group).toBe('acme-fraud-detector');
    expect(versions).toEqual(['arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/1', 'arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/2']);
    expect(fake.groups.get(GROUP.name)!.packages.map((p) => p.CustomerMetadataProperties)).toEqual([
      { 'mlspec:version': '7', 'metric:accuracy': '0.96' }, { 'mlspec:version': '8', 'metric:accuracy': '0.96' },
    ]);
    // The spec's tags, and the label as a tag too: what findVersion searches by.
    expect(fake.tags.get(versions[0])).toEqual({ 'mlspec:project': 'acme', 'mlspec:version': '7' });
    expect(fake.writes()).toEqual(['SageMaker.CreateModelPackageGroup', 'SageMaker.CreateModelPackage', 'SageMaker.CreateModelPackage']);
  });

  it('the stack deleted (registry kept) and created again: the group and its versions are taken back, nothing registered twice', async () => {
    await deploy([version('7'), version('8')]);
    // A stack deletion sends no Delete (RetainExceptOnCreate); the new stack's first deploy:
    const from = fake.calls.length;
    const again = await deploy([version('7'), version('8'), version('9')]);
    expect(again.group).toBe('adopted:acme-fraud-detector');
    expect(again.versions).toEqual([
      'adopted:arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/1',
      'adopted:arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/2',
      'arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/3',
    ]);
    expect(fake.writes(from)).toEqual(['SageMaker.CreateModelPackage']);
    // Rolling that deploy back removes only what it made.
    await onEvent(versionEvent('Delete', version('9'), again.versions[2]), deps());
    await onEvent(versionEvent('Delete', version('8'), again.versions[1]), deps());
    await onEvent(groupEvent('Delete', GROUP, again.group), deps());
    expect(fake.groups.get(GROUP.name)!.packages.map((p) => p.CustomerMetadataProperties['mlspec:version'])).toEqual(['7', '8']);
  });

  it('a version taken back is updated in place like one of its own (metrics), and still kept by a Delete', async () => {
    await deploy([version('7')]);
    const again = await deploy([version('7')]);
    expect(again.versions[0]).toMatch(/^adopted:/);
    const out = await onEvent(versionEvent('Update', version('7', { metadata: { 'mlspec:version': '7', 'metric:accuracy': '0.99' } }), again.versions[0], version('7')), deps());
    expect(out).toEqual({ PhysicalResourceId: again.versions[0], Data: { ModelPackageArn: again.versions[0].replace('adopted:', '') } });
    expect(fake.groups.get(GROUP.name)!.packages[0].CustomerMetadataProperties['metric:accuracy']).toBe('0.99');
    await onEvent(versionEvent('Delete', version('7'), again.versions[0]), deps());
    expect(fake.groups.get(GROUP.name)!.packages).toHaveLength(1);
  });

  it('a retried Create of a version writes nothing the second time', async () => {
    await deploy([version('7')]);
    const from = fake.calls.length;
    await onEvent(versionEvent('Create', version('7')), deps());
    expect(fake.writes(from)).toEqual([]);
  });

  it('a failed first deploy rolls back to nothing: versions, then the group, are deleted', async () => {
    const { group, versions } = await deploy([version('7')]);
    await onEvent(versionEvent('Delete', version('7'), versions[0]), deps());
    await onEvent(groupEvent('Delete', GROUP, group), deps());
    expect(fake.groups.size).toBe(0);
    // Retried: already gone is success.
    await onEvent(versionEvent('Delete', version('7'), versions[0]), deps());
    await onEvent(groupEvent('Delete', GROUP, group), deps());
  });

  it('new metrics are one UpdateModelPackage in place (same package); a metric dropped from the spec is removed', async () => {
    const { versions } = await deploy([version('7')]);
    const from = fake.calls.length;
    const updated = await onEvent(versionEvent('Update', version('7', { metadata: { 'mlspec:version': '7', 'metric:f1': '0.91' } }), versions[0], version('7')), deps());
    expect(updated.PhysicalResourceId).toBe(versions[0]);
    expect(fake.writes(from)).toEqual(['SageMaker.UpdateModelPackage']);
    expect(fake.groups.get(GROUP.name)!.packages[0].CustomerMetadataProperties).toEqual({ 'mlspec:version': '7', 'metric:f1': '0.91' });
  });

  it('a deploy never undoes `mlspec approve`: the approval is written only when the template changes it', async () => {
    const { versions } = await deploy([version('7')]);
    fake.groups.get(GROUP.name)!.packages[0].ModelApprovalStatus = 'Approved';
    await onEvent(versionEvent('Update', version('7', { metadata: { 'mlspec:version': '7', 'metric:accuracy': '0.97' } }), versions[0], version('7')), deps());
    expect(fake.groups.get(GROUP.name)!.packages[0].ModelApprovalStatus).toBe('Approved');
    await onEvent(versionEvent('Update', version('7', { approvalStatus: 'Rejected' }), versions[0], version('7')), deps());
    expect(fake.groups.get(GROUP.name)!.packages[0].ModelApprovalStatus).toBe('Rejected');
  });

  it('a new artifact for a label registers another package (a new physical id); the old one stays', async () => {
    const { versions } = await deploy([version('7')]);
    const moved = version('7', { modelDataUrl: 's3://acme-models/fraud/7-retrained/model.tar.gz' });
    const out = await onEvent(versionEvent('Update', moved, versions[0], version('7')), deps());
    expect(out.PhysicalResourceId).not.toBe(versions[0]);
    expect(fake.groups.get(GROUP.name)!.packages).toHaveLength(2);
  });

  it('tags follow the template on update: added and changed ones written, removed ones deleted', async () => {
    const { group } = await deploy([]);
    await onEvent(groupEvent('Update', { ...GROUP, tags: { 'mlspec:project': 'acme', team: 'risk' } }, group, GROUP), deps());
    expect(fake.tags.get('arn:aws:sagemaker:us-east-1:111111111111:model-package-group/acme-fraud-detector')).toEqual({ 'mlspec:project': 'acme', team: 'risk' });
    await onEvent(groupEvent('Update', { ...GROUP, tags: { team: 'risk' } }, group, { ...GROUP, tags: { 'mlspec:project': 'acme', team: 'risk' } }), deps());
    expect(fake.tags.get('arn:aws:sagemaker:us-east-1:111111111111:model-package-group/acme-fraud-detector')).toEqual({ team: 'risk' });
  });
});
