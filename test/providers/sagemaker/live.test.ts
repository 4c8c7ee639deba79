import {
  DescribeEndpointCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { resolvePlan } from '../../../lib/plan';
import { SageMakerLiveState } from '../../../lib/providers/sagemaker/live';
import { validateProject } from '../../../lib/spec';
import { baseReleases, baseSpec } from '../../helpers';

const sm = mockClient(SageMakerClient);
const plan = resolvePlan(validateProject(baseSpec(), baseReleases()));
const dev = plan.environments[0];
const fraud = dev.models[0];
const live = new SageMakerLiveState((region) => new SageMakerClient({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));

beforeEach(() => sm.reset());

describe('SageMaker live state', () => {
  it('dates a version by when its variant’s image was first resolved', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'acme-fraud-dev' }).resolves({
      EndpointName: 'acme-fraud-dev',
      LastModifiedTime: new Date('2026-11-24T10:00:00Z'),
      ProductionVariants: [
        { VariantName: 'v8', CurrentWeight: 100, DeployedImages: [{ ResolutionTime: new Date('2026-11-23T08:00:00Z') }, { ResolutionTime: new Date('2026-11-23T09:00:00Z') }] },
      ],
    } as never);
    expect(await live.servingSince(dev, fraud, '8')).toEqual(new Date('2026-11-23T08:00:00Z'));
    expect(await live.servingSince(dev, fraud, '7')).toBeUndefined();
  });

  it('treats a missing endpoint as not serving, and other failures as errors', async () => {
    sm.on(DescribeEndpointCommand).rejectsOnce(Object.assign(new Error('Could not find endpoint "acme-fraud-dev".'), { name: 'ValidationException' }));
    expect(await live.servingSince(dev, fraud, '8')).toBeUndefined();
    sm.on(DescribeEndpointCommand).rejects(Object.assign(new Error('User is not authorized to perform: sagemaker:DescribeEndpoint'), { name: 'AccessDeniedException' }));
    await expect(live.servingSince(dev, fraud, '8')).rejects.toThrow('User is not authorized to perform: sagemaker:DescribeEndpoint');
  });

  it('finds a declared version by its mlspec:version metadata and reads approval and metrics', async () => {
    sm.on(ListModelPackagesCommand, { ModelPackageGroupName: 'acme-fraud' }).resolves({
      ModelPackageSummaryList: [{ ModelPackageArn: 'arn:p/1' }, { ModelPackageArn: 'arn:p/2' }],
    } as never);
    sm.on(DescribeModelPackageCommand, { ModelPackageName: 'arn:p/1' }).resolves({ ModelPackageArn: 'arn:p/1', ModelApprovalStatus: 'Approved', CustomerMetadataProperties: { 'mlspec:version': '7' } });
    sm.on(DescribeModelPackageCommand, { ModelPackageName: 'arn:p/2' }).resolves({
      ModelPackageArn: 'arn:p/2',
      ModelApprovalStatus: 'PendingManualApproval',
      CustomerMetadataProperties: { 'mlspec:version': '8', 'metric:accuracy': '0.97' },
    });
    expect(await live.approval(dev, fraud, '8')).toBe('pending');
    expect(await live.metrics(dev, fraud, '8')).toEqual({ accuracy: 0.97 });
    expect(await live.approval(dev, fraud, '9')).toBeUndefined();
  });

  it('approves with one UpdateModelPackage call, and none when already approved', async () => {
    sm.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [{ ModelPackageArn: 'arn:p/2' }] } as never);
    sm.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: 'arn:p/2', ModelApprovalStatus: 'PendingManualApproval', CustomerMetadataProperties: { 'mlspec:version': '8' } });
    await live.approve(dev, fraud, '8', 'approved in a test');
    expect(sm.commandCalls(UpdateModelPackageCommand).map((c) => c.args[0].input)).toEqual([{ ModelPackageArn: 'arn:p/2', ModelApprovalStatus: 'Approved', ApprovalDescription: 'approved in a test' }]);
    sm.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: 'arn:p/2', ModelApprovalStatus: 'Approved', CustomerMetadataProperties: { 'mlspec:version': '8' } });
    await live.approve(dev, fraud, '8', 'again');
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(1);
  });

  it('says so when the version is not in the registry', async () => {
    sm.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] } as never);
    await expect(live.approve(dev, fraud, '8', 'x')).rejects.toThrow("version 8 of fraud is not in the sagemaker registry of dev (group acme-fraud); deploy dev's stack first");
  });
});
