import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelPackageCommand, CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { resolvePlan } from '../../../lib/plan';
import { SageMakerLiveState } from '../../../lib/providers/sagemaker/live';
import { validateProject } from '../../../lib/spec';
import { createModels, FakeSageMaker } from '../../fakes/sagemaker/server';
import { baseReleases, baseSpec } from '../../helpers';

const plan = resolvePlan(validateProject(baseSpec(), baseReleases()));
const dev = plan.environments[0];
const fraud = dev.models[0];

describe('SageMaker live state, against the fake (real SDK client)', () => {
  let fake: FakeSageMaker;
  let sm: SageMakerClient;
  let live: SageMakerLiveState;
  const regions: string[] = [];

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    sm = fake.clients().sagemaker;
    regions.length = 0;
    live = new SageMakerLiveState((region) => {
      regions.push(region);
      return fake.clients().sagemaker;
    });
  });
  afterEach(() => fake.stop());

  /** The registry as deploys leave it: declared versions carry their label and metrics as metadata. */
  async function register(versions: Array<{ label: string; approval?: string; metrics?: Record<string, string> }>) {
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'acme-fraud' }));
    for (const v of versions) {
      await sm.send(new CreateModelPackageCommand({
        ModelPackageGroupName: 'acme-fraud',
        ModelApprovalStatus: (v.approval ?? 'PendingManualApproval') as never,
        CustomerMetadataProperties: { 'mlspec:version': v.label, ...Object.fromEntries(Object.entries(v.metrics ?? {}).map(([k, x]) => [`metric:${k}`, x])) },
        InferenceSpecification: { Containers: [{ Image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
      }));
    }
  }

  it('dates a version by when its variant\'s image was first resolved, in the environment\'s region', async () => {
    await createModels(fake, ['m']);
    await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'v8', ModelName: 'm', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 100 }] }));
    await sm.send(new CreateEndpointCommand({ EndpointName: 'acme-fraud-dev', EndpointConfigName: 'c' }));
    expect(await live.servingSince(dev, fraud, '8')).toEqual(new Date((1700000000 + 60) * 1000));
    expect(await live.servingSince(dev, fraud, '7')).toBeUndefined();
    expect(regions[0]).toBe(fraud.sagemaker!.region);
  });

  it('treats a missing endpoint as not serving, and other failures as errors', async () => {
    expect(await live.servingSince(dev, fraud, '8')).toBeUndefined();
    fake.faults.set('DescribeEndpoint', { type: 'AccessDeniedException', message: 'User is not authorized to perform: sagemaker:DescribeEndpoint' });
    await expect(live.servingSince(dev, fraud, '8')).rejects.toThrow('User is not authorized to perform: sagemaker:DescribeEndpoint');
  });

  it('finds a declared version by its mlspec:version metadata, across pages, and reads approval and metrics', async () => {
    // More versions than one page of ListModelPackages (100, as live.ts asks) holds.
    await register([...Array.from({ length: 100 }, (_, i) => ({ label: `old-${i}` })), { label: '8', metrics: { accuracy: '0.97' } }]);
    expect(await live.approval(dev, fraud, '8')).toBe('pending');
    expect(await live.metrics(dev, fraud, '8')).toEqual({ accuracy: 0.97 });
    // A label neither declared nor a package number of the group.
    expect(await live.approval(dev, fraud, 'candidate')).toBeUndefined();
  });

  it('approves with one UpdateModelPackage call, and none when already approved', async () => {
    await register([{ label: '7', approval: 'Approved' }, { label: '8' }]);
    const from = fake.calls.length;
    await live.approve(dev, fraud, '8', 'approved in a test');
    expect(fake.writes(from)).toEqual(['SageMaker.UpdateModelPackage']);
    const pkg = fake.groups.get('acme-fraud')!.packages[1];
    expect([pkg.ModelApprovalStatus, pkg.ApprovalDescription]).toEqual(['Approved', 'approved in a test']);
    const again = fake.calls.length;
    await live.approve(dev, fraud, '8', 'again');
    expect(fake.writes(again)).toEqual([]);
    expect(await live.approval(dev, fraud, '8')).toBe('approved');
  });

  it('says so when the version is not in the registry', async () => {
    await register([]);
    await expect(live.approve(dev, fraud, '8', 'x')).rejects.toThrow("version 8 of fraud is not in the sagemaker registry of dev (group acme-fraud); deploy dev's stack first");
  });
});
