import { Template } from 'aws-cdk-lib/assertions';
import { ContainerImage, DataQualityMonitor, InstanceType, ModelData, ModelEndpoint, ModelRegistry } from '../../constructs';
import { IMAGE } from './fixtures';
import { decodeJson, newStack, only, registry } from './helpers';

const ARTIFACT = 's3://acme-models/fraud/7/model.tar.gz';
const PACKAGE = 'arn:aws:sagemaker:us-east-1:222222222222:model-package/acme-fraud-detector/3';

describe('the value classes the SageMaker constructs take', () => {
  test('InstanceType.of keeps the SageMaker name, which toString gives back', () => {
    const t = InstanceType.of('ml.g5.xlarge');
    expect(t).toBeInstanceOf(InstanceType);
    expect(t.name).toBe('ml.g5.xlarge');
    expect(t.toString()).toBe('ml.g5.xlarge');
    expect(`${t}`).toBe('ml.g5.xlarge');
  });

  test('ContainerImage.fromEcrUri keeps the image URI, which toString gives back', () => {
    const image = ContainerImage.fromEcrUri(IMAGE);
    expect(image).toBeInstanceOf(ContainerImage);
    expect(image.imageUri).toBe(IMAGE);
    expect(image.toString()).toBe(IMAGE);
  });

  test('ModelData.fromS3Url is an artifact URL, not a model package', () => {
    const data = ModelData.fromS3Url(ARTIFACT);
    expect(data).toBeInstanceOf(ModelData);
    expect([data.s3Url, data.modelPackageArn]).toEqual([ARTIFACT, undefined]);
    expect(data.toString()).toBe(ARTIFACT);
  });

  test('ModelData.fromModelPackage is a model package, not an artifact URL', () => {
    const data = ModelData.fromModelPackage(PACKAGE);
    expect(data).toBeInstanceOf(ModelData);
    expect([data.s3Url, data.modelPackageArn]).toEqual([undefined, PACKAGE]);
    expect(data.toString()).toBe(PACKAGE);
  });

  test('the factories check nothing themselves: the constructs do, naming the prop (see validation.test.ts)', () => {
    expect(InstanceType.of('g5.xlarge').name).toBe('g5.xlarge');
    expect(ContainerImage.fromEcrUri('docker.io/acme/fraud:1').imageUri).toBe('docker.io/acme/fraud:1');
    expect(ModelData.fromS3Url('gs://acme/7/').s3Url).toBe('gs://acme/7/');
    expect(ModelData.fromModelPackage('acme-fraud/3').modelPackageArn).toBe('acme-fraud/3');
  });
});

describe('ModelRegistry takes an artifact URL as a version, never a model package', () => {
  const build = (modelData: ModelData) => () => new ModelRegistry(newStack(), 'Registry', {
    modelPackageGroupName: 'acme-fraud-detector',
    versions: [
      { label: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(ARTIFACT) },
      { label: '8', image: ContainerImage.fromEcrUri(IMAGE), modelData },
    ],
  });

  test('a model package is refused, naming the version and the package', () => {
    expect(build(ModelData.fromModelPackage(PACKAGE))).toThrow(new Error(
      `versions[1].modelData must be an artifact URL (ModelData.fromS3Url); a model package (${PACKAGE}) is a registered version already`));
  });

  test('an artifact URL is registered as the package\'s ModelDataUrl, with the image URI and instance type names as strings', () => {
    const stack = newStack();
    new ModelRegistry(stack, 'Registry', {
      modelPackageGroupName: 'acme-fraud-detector',
      versions: [{ label: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(ARTIFACT), instanceTypes: [InstanceType.of('ml.m5.xlarge'), InstanceType.of('ml.g5.xlarge')] }],
    });
    expect(registry(Template.fromStack(stack)).versions[0].spec).toEqual(expect.objectContaining({
      image: IMAGE,
      modelDataUrl: ARTIFACT,
      instanceTypes: ['ml.m5.xlarge', 'ml.g5.xlarge'],
    }));
  });
});

test('DataQualityMonitor runs its baselining and monitoring jobs on the InstanceType given', () => {
  const stack = newStack();
  const endpoint = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'acme-fraud-dev',
    variants: [{ version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(ARTIFACT), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
    dataCapture: { percent: 20 },
  });
  new DataQualityMonitor(stack, 'Monitor', {
    endpoint, schedule: 'cron(0 * ? * * *)', baselineUri: 's3://acme-data/train/', driftThreshold: 0.3, instanceType: InstanceType.of('ml.m5.large'),
  });
  const t = Template.fromStack(stack);
  expect(only(t, 'AWS::SageMaker::DataQualityJobDefinition').Properties.JobResources.ClusterConfig.InstanceType).toBe('ml.m5.large');
  expect(decodeJson(only(t, 'Custom::SageMakerMonitoringBaseline').Properties.Job)).toEqual(expect.objectContaining({ InstanceType: 'ml.m5.large' }));
});

test('DataQualityMonitor refuses an instance type SageMaker does not name so', () => {
  const stack = newStack();
  const endpoint = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'acme-fraud-dev',
    variants: [{ version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url(ARTIFACT), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, weight: 100 }],
    dataCapture: { percent: 20 },
  });
  expect(() => new DataQualityMonitor(stack, 'Monitor', {
    endpoint, schedule: 'cron(0 * ? * * *)', baselineUri: 's3://acme-data/train/', driftThreshold: 0.3, instanceType: InstanceType.of('m5.large'),
  })).toThrow("instanceType must be a SageMaker processing instance type like ml.m5.xlarge; got 'm5.large'");
});
