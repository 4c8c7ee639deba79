import type { EnvironmentPlan, ModelPlan, Plan, SageMakerModelPlan, SageMakerVariantPlan } from '../../lib/plan/types';

/** Hand-made plan slices for the construct tests (shape: lib/plan/types.ts). */

export const ACCOUNT = '222222222222';
export const REGION = 'us-east-1';
export const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu';
export const CUSTOM_IMAGE = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/fraud-serve:1.4`;

export function variant(label: string, overrides: Partial<SageMakerVariantPlan> = {}): SageMakerVariantPlan {
  return {
    variantName: `v${label}`,
    version: label,
    image: IMAGE,
    modelDataUrl: `s3://acme-models/fraud/${label}/model.tar.gz`,
    instanceType: 'ml.m5.xlarge',
    acceleratorCount: 0,
    minReplicas: 1,
    maxReplicas: 4,
    weight: 100,
    ...overrides,
  };
}

export function sagemakerPlan(overrides: Partial<SageMakerModelPlan> = {}): SageMakerModelPlan {
  return {
    account: ACCOUNT,
    region: REGION,
    registry: {
      modelPackageGroupName: 'acme-fraud-detector',
      approvalStatus: 'PendingManualApproval',
      packages: [
        { label: '7', image: IMAGE, modelDataUrl: 's3://acme-models/fraud/7/model.tar.gz', metrics: { accuracy: 0.962, f1: 0.913 }, instanceTypes: ['ml.m5.xlarge', 'ml.g5.xlarge'] },
        { label: '8', image: CUSTOM_IMAGE, modelDataUrl: 's3://acme-models/fraud/8/model.tar.gz', metrics: { accuracy: 0.971, f1: 0.925 }, instanceTypes: ['ml.m5.xlarge'] },
      ],
    },
    serving: {
      endpointName: 'acme-fraud-detector-staging',
      container: { server: 'sagemaker', port: 8080, healthRoute: '/ping', predictRoute: '/invocations', env: {}, fromPreset: ['port', 'healthRoute', 'predictRoute'] },
      variants: [variant('7', { weight: 90, minReplicas: 2, maxReplicas: 6 }), variant('8', { weight: 10, image: CUSTOM_IMAGE })],
      autoscaling: { metric: 'invocations', target: 100 },
      rollout: { strategy: 'canary', percent: 10, waitSeconds: 600, steps: [{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 600 }] },
      rollback: { errorRatePercent: 1, p99LatencyMs: 800 },
      dataCapturePercent: 20,
    },
    cost: { unpriced: [] },
    ...overrides,
  };
}

export function modelPlan(environment = 'staging', overrides: Partial<ModelPlan> = {}): ModelPlan {
  return {
    name: 'fraud-detector',
    environment,
    stackName: `acme-fraud-detector-${environment}`,
    providers: ['sagemaker'],
    released: true,
    registry: {
      approval: 'manual',
      gates: [{ metric: 'accuracy', op: '>=', threshold: 0.95, text: '>= 0.95' }],
      versions: [
        { label: '7', source: 'declared', metrics: { accuracy: 0.962, f1: 0.913 } },
        { label: '8', source: 'declared', metrics: { accuracy: 0.971, f1: 0.925 } },
      ],
    },
    sagemaker: sagemakerPlan(),
    ...overrides,
  };
}

function environment(name: string, account: string, isProtected: boolean, models: ModelPlan[], aws = true): EnvironmentPlan {
  return { name, protected: isProtected, aws: aws ? { account, region: REGION } : undefined, models };
}

/** dev and staging share an account (so share a registry); prod is protected; `lab` has no aws block. */
export function fullPlan(): Plan {
  const inAccount = (env: string, account: string, serving = true): ModelPlan => modelPlan(env, {
    sagemaker: sagemakerPlan({
      account,
      serving: serving ? { ...sagemakerPlan().serving!, endpointName: `acme-fraud-detector-${env}`, variants: [variant('7')], dataCapturePercent: undefined } : undefined,
    }),
  });
  return {
    schemaVersion: 1,
    project: 'acme',
    environments: [
      environment('dev', ACCOUNT, false, [inAccount('dev', ACCOUNT)]),
      environment('staging', ACCOUNT, false, [modelPlan('staging')]),
      environment('prod', '333333333333', true, [inAccount('prod', '333333333333')]),
      environment('lab', '444444444444', false, [modelPlan('lab', { providers: ['vertex'], sagemaker: undefined })], false),
    ],
  };
}
