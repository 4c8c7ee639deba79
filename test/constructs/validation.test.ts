import { Duration } from 'aws-cdk-lib';
import { ContainerImage, EndpointAutoscaling, EndpointVariantProps, InstanceType, ModelData, ModelEndpoint, ModelEndpointProps, Rollout } from '../../constructs';
import { IMAGE } from './fixtures';
import { newStack } from './helpers';

const v = (label: string, overrides: Partial<EndpointVariantProps> = {}): EndpointVariantProps => ({
  version: label,
  image: ContainerImage.fromEcrUri(IMAGE),
  modelData: ModelData.fromS3Url(`s3://acme-models/fraud/${label}/model.tar.gz`),
  instanceType: InstanceType.of('ml.m5.xlarge'),
  initialInstanceCount: 1,
  weight: 100,
  ...overrides,
});
const build = (overrides: Partial<ModelEndpointProps>) => () =>
  new ModelEndpoint(newStack(), 'Endpoint', { endpointName: 'acme-fraud', variants: [v('7')], ...overrides });

describe('ModelEndpoint validation messages name the prop and what is allowed', () => {
  test.each<[string, Partial<ModelEndpointProps>, string]>([
    ['endpoint name', { endpointName: 'acme_fraud' },
      "endpointName must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit; got 'acme_fraud'"],
    ['endpoint name too long', { endpointName: 'a'.repeat(64) },
      `endpointName must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit; got '${'a'.repeat(64)}'`],
    ['no variants', { variants: [] }, 'variants must list at least one production variant'],
    ['too many variants', { variants: Array.from({ length: 11 }, (_, i) => v(String(i), { weight: i === 0 ? 100 : 0 })) },
      'variants has 11 entries; SageMaker allows at most 10 production variants'],
    ['weights not adding up to 100', { variants: [v('7', { weight: 90 }), v('8', { weight: 20 })] },
      'variants: weights add up to 110 (v7=90, v8=20); they must add up to 100'],
    ['weight out of range', { variants: [v('7', { weight: 120 }), v('8', { weight: -20 })] },
      'variants[0].weight must be an integer from 0 to 100; got 120'],
    ['fractional weight', { variants: [v('7', { weight: 99.5 }), v('8', { weight: 0.5 })] },
      'variants[0].weight must be an integer from 0 to 100; got 99.5'],
    ['duplicate variant names', { variants: [v('7', { weight: 50 }), v('8', { weight: 50, variantName: 'V7' })] },
      "variants[1].variantName 'V7' is also the name of variants[0]; variant names must be unique (case-insensitive)"],
    ['variant name from a label with a dot', { variants: [v('7.1')] },
      "variants[0].variantName must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit; got 'v7.1'"],
    ['empty version', { variants: [v('')] }, 'variants[0].version must not be empty'],
    ['image outside ECR', { variants: [v('7', { image: ContainerImage.fromEcrUri('docker.io/acme/fraud:1') })] },
      "variants[0].image must be an Amazon ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>): SageMaker endpoints pull from ECR only; got 'docker.io/acme/fraud:1'"],
    ['artifact not on S3', { variants: [v('7', { modelData: ModelData.fromS3Url('gs://acme/7/model.tar.gz') })] },
      "variants[0].modelData must be an s3://<bucket>/<key> URL; got 'gs://acme/7/model.tar.gz'"],
    ['package ARN', { variants: [v('7', { modelData: ModelData.fromModelPackage('acme-fraud/3') })] },
      "variants[0].modelData must be a model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>); got 'acme-fraud/3'"],
    ['instance type', { variants: [v('7', { instanceType: InstanceType.of('g5.xlarge') })] },
      "variants[0].instanceType must be a SageMaker hosting instance type like ml.g5.xlarge; got 'g5.xlarge'"],
    ['instance count', { variants: [v('7', { initialInstanceCount: 0 })] },
      'variants[0].initialInstanceCount must be an integer from 1 to 1000; got 0'],
    ['min above max', { variants: [v('7', { minCapacity: 4, maxCapacity: 2, initialInstanceCount: 4 })] },
      'variants[0]: minCapacity (4) must not exceed maxCapacity (2)'],
    ['initial count outside min..max', { variants: [v('7', { minCapacity: 2, maxCapacity: 4, initialInstanceCount: 1 })] },
      'variants[0].initialInstanceCount (1) must lie between minCapacity (2) and maxCapacity (4)'],
    ['GPU autoscaling without accelerator count', { variants: [v('7', { instanceType: InstanceType.of('ml.g5.xlarge') })], autoscaling: EndpointAutoscaling.gpuUtilization(70) },
      "variants[0].acceleratorCount is required with GPU autoscaling: the target is per accelerator and SageMaker sums GPUUtilization over an instance's GPUs"],
    ['accelerator count', { variants: [v('7', { acceleratorCount: 0 })] },
      'variants[0].acceleratorCount must be an integer from 1 to 64; got 0'],
    ['shadow with two production variants', { variants: [v('7', { weight: 50 }), v('8', { weight: 50 })], shadowVariant: v('9', { weight: 20 }) },
      'shadowVariant: SageMaker allows a shadow variant only on an endpoint with exactly one production variant; this one has 2 (v7, v8)'],
    ['shadow weight', { shadowVariant: v('9', { weight: 0 }) }, 'shadowVariant.weight must be an integer from 1 to 100; got 0'],
    ['shadow named like a production variant', { shadowVariant: v('7', { weight: 10 }) },
      "shadowVariant.variantName 'v7' is also the name of variants[0]; variant names must be unique (case-insensitive)"],
    ['data capture percent', { dataCapture: { percent: 0 } }, 'dataCapture.percent must be an integer from 1 to 100; got 0'],
    ['data capture prefix', { dataCapture: { percent: 10, prefix: '/capture/' } },
      "dataCapture.prefix must be an S3 key prefix without leading or trailing '/'; got '/capture/'"],
    ['empty rollback', { rollback: {} }, 'rollback must set errorRatePercent, p99Latency or both'],
    ['error rate', { rollback: { errorRatePercent: 0 } }, 'rollback.errorRatePercent must be above 0 and below 100; got 0'],
    ['latency', { rollback: { p99Latency: Duration.millis(0) } }, 'rollback.p99Latency must be longer than 0 ms; got 0 millis'],
    ['too many alarms', { variants: Array.from({ length: 6 }, (_, i) => v(String(i), { weight: i === 0 ? 100 : 0 })), rollback: { errorRatePercent: 1, p99Latency: Duration.millis(500) } },
      "rollback: 6 production variants need 12 alarms; SageMaker's AutoRollbackConfiguration takes at most 10"],
    ['volume encryption forced on NVMe instances', { variants: [v('7', { instanceType: InstanceType.of('ml.g4dn.xlarge') })], encryptStorageVolume: true },
      'encryptStorageVolume: ml.g4dn.xlarge has NVMe instance storage, for which SageMaker refuses a KmsKeyId; leave encryptStorageVolume unset or false'],
  ])('%s', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });
});

describe('Rollout and EndpointAutoscaling validation', () => {
  test.each<[string, () => unknown, string]>([
    ['canary percent above 50', () => Rollout.canary({ percent: 60, bake: Duration.minutes(10) }),
      "Rollout.canary: percent must be an integer from 1 to 50 (SageMaker's CanarySize is at most 50% of the new fleet); got 60"],
    ['canary percent 0', () => Rollout.canary({ percent: 0, bake: Duration.minutes(10) }),
      "Rollout.canary: percent must be an integer from 1 to 50 (SageMaker's CanarySize is at most 50% of the new fleet); got 0"],
    ['linear step below 10', () => Rollout.linear({ percent: 5, interval: Duration.minutes(1) }),
      "Rollout.linear: percent must be an integer from 10 to 50 (SageMaker's LinearStepSize is 10-50% of the new fleet); got 5"],
    ['bake above an hour', () => Rollout.canary({ percent: 10, bake: Duration.hours(2) }),
      'Rollout.canary: bake must be whole seconds from 0 to 3600 (1 hour); got 2 hours'],
    ['fractional seconds', () => Rollout.allAtOnce({ bake: Duration.millis(1500) }),
      'Rollout.allAtOnce: bake must be whole seconds from 0 to 3600 (1 hour); got 1 second 500 millis'],
    ['final bake above an hour', () => Rollout.linear({ percent: 20, interval: Duration.minutes(10), finalBake: Duration.minutes(90) }),
      'Rollout.linear: finalBake must be whole seconds from 0 to 3600 (1 hour); got 1 hour 30 minutes'],
    ['a rollout longer than a deployment may take', () => Rollout.linear({ percent: 10, interval: Duration.minutes(30) }),
      'Rollout.linear: 10 wait(s) of 1800s + final bake 1800s + 3600s to provision need 23400s; a deployment may take at most 14400s (use a shorter wait or a larger step)'],
    ['invocations target', () => EndpointAutoscaling.invocationsPerInstance(0),
      'EndpointAutoscaling.invocationsPerInstance: target must be a positive number of invocations per instance per minute; got 0'],
    ['GPU percent', () => EndpointAutoscaling.gpuUtilization(120),
      'EndpointAutoscaling.gpuUtilization: percent must be above 0 and at most 100; got 120'],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('the longest accepted rollout fits the ceiling exactly', () => {
    expect(Rollout.linear({ percent: 25, interval: Duration.minutes(36) }).maximumExecutionSeconds).toBe(14400);
    expect(Rollout.canary({ percent: 10, bake: Duration.minutes(1) }).maximumExecutionSeconds).toBe(3600 + 60 + 60);
  });
});
