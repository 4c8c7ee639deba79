import * as path from 'node:path';
import { azureEndpointName } from '../../lib/plan/names';
import { resolvePlan, resolveRollout } from '../../lib/plan';
import { pricePerHour } from '../../lib/catalog';
import { loadProject, validateProject } from '../../lib/spec';
import { baseReleases, baseSpec, mutate } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const example = () => resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }));
const model = (env: string, name: string) => example().environments.find((e) => e.name === env)!.models.find((m) => m.name === name)!;

describe('plan: SageMaker form', () => {
  it('maps traffic to variant weights and the shadow to a shadow variant', () => {
    const sm = model('dev', 'fraud-detector').sagemaker!;
    expect(sm.serving!.endpointName).toBe('acme-fraud-detector-dev');
    expect(sm.serving!.variants).toEqual([
      expect.objectContaining({ variantName: 'v8', version: '8', weight: 100, instanceType: 'ml.g4dn.xlarge', minReplicas: 1, maxReplicas: 4, modelDataUrl: 's3://acme-models/fraud/8/model.tar.gz' }),
    ]);
    expect(sm.serving!.shadowVariant).toEqual(expect.objectContaining({ variantName: 'v9', weight: 20 }));
    expect(sm.registry).toEqual(expect.objectContaining({ modelPackageGroupName: 'acme-fraud-detector', approvalStatus: 'PendingManualApproval' }));
    expect(sm.registry.packages.map((p) => p.label)).toEqual(['7', '8', '9']);
  });

  it('resolves rollout steps, rollback thresholds and autoscaling', () => {
    const serving = model('staging', 'fraud-detector').sagemaker!.serving!;
    expect(serving.rollout).toEqual({ strategy: 'canary', percent: 10, waitSeconds: 600, steps: [{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 0 }] });
    expect(serving.rollback).toEqual({ errorRatePercent: 1, p99LatencyMs: 800 });
    expect(serving.autoscaling).toEqual({ metric: 'invocations', target: 100 });
    expect(serving.dataCapturePercent).toBe(20);
  });

  it('points a trained (undeclared) version at its registry package', () => {
    const spec = mutate(baseSpec(), (s) => {
      s.models.fraud.training = {
        image: { sagemaker: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu' },
        output: { sagemaker: 's3://acme-models/fraud/' },
        resources: { accelerator: 'A10G', count: 1 },
        metrics: { accuracy: 'acc=([0-9.]+)' },
      };
    });
    const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = { '12': 100 }));
    const plan = resolvePlan(validateProject(spec, releases));
    const variant = plan.environments[0].models[0].sagemaker!.serving!.variants[0];
    expect(variant.modelPackageArn).toBe('arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud/12');
    expect(variant.modelDataUrl).toBeUndefined();
    expect(variant.artifactPrefix).toBe('s3://acme-models/fraud/');
    expect(plan.environments[0].models[0].registry.versions.find((v) => v.label === '12')).toEqual({ label: '12', source: 'training', metrics: {} });
  });
});

describe('plan: Vertex and Azure forms', () => {
  it('keys Vertex trafficSplit by deployed model and maps GPU autoscaling to duty cycle', () => {
    const vx = model('staging', 'search-ranker').vertex!;
    expect(vx.serving!.trafficSplit).toEqual({ 'search-ranker-v3': 75, 'search-ranker-v4': 25 });
    expect(vx.serving!.deployedModels[0]).toEqual(
      expect.objectContaining({
        machineType: 'g2-standard-8',
        acceleratorType: 'NVIDIA_L4',
        acceleratorCount: 1,
        minReplicaCount: 2,
        maxReplicaCount: 6,
        versionAlias: 'v3',
        autoscalingMetricSpecs: [{ metricName: 'aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle', target: 60 }],
      }),
    );
    expect(vx.versions.map((v) => v.alias)).toEqual(['v3', 'v4']);
  });

  it('gives Azure traffic and mirrorTraffic keyed by deployment name', () => {
    const az = model('dev', 'fraud-detector').azureml!;
    expect(az.serving!.traffic).toEqual({ v8: 100 });
    expect(az.serving!.mirrorTraffic).toEqual({ v9: 20 });
    expect(az.serving!.deployments.map((d) => [d.name, d.instanceType, d.instanceCount])).toEqual([
      ['v8', 'Standard_NC4as_T4_v3', 1],
      ['v9', 'Standard_NC4as_T4_v3', 1],
    ]);
    expect(az.serving!.deployments[0].autoscale).toEqual({ metricName: 'RequestsPerMinute', target: 100, dividePerInstance: true });
    expect(az.versions[0].tags).toEqual({ 'mlspec:version': '7', 'metric:accuracy': '0.962', 'metric:f1': '0.913' });
  });

  it('shortens Azure endpoint names to 32 characters with a stable hash', () => {
    expect(azureEndpointName('acme', 'fraud', 'dev')).toBe('acme-fraud-dev');
    const long = azureEndpointName('acme-platform', 'fraud-detector-large', 'staging');
    expect(long).toHaveLength(32);
    expect(long).toBe(azureEndpointName('acme-platform', 'fraud-detector-large', 'staging'));
    expect(long).not.toBe(azureEndpointName('acme-platform', 'fraud-detector-large', 'stagin2'));
  });

  it('leaves a model unreleased in an environment with a registry only', () => {
    const releases = mutate(baseReleases(), (r) => delete r.prod);
    const prod = resolvePlan(validateProject(baseSpec(), releases)).environments[1].models[0];
    expect(prod.released).toBe(false);
    expect(prod.sagemaker!.serving).toBeUndefined();
    expect(prod.sagemaker!.registry.packages).toHaveLength(2);
  });
});

describe('plan: cost', () => {
  it('prices serving per month at minimum replicas, shadow included', () => {
    const cost = model('dev', 'fraud-detector').sagemaker!.cost;
    // 2 × ml.g4dn.xlarge (live v8 + shadow v9) × $0.736 × 730 h
    expect(cost.servingPerHourUsd).toBe(1.47);
    expect(cost.servingPerMonthUsd).toBe(1074.56);
  });

  it('prices one training run: nodes × hours × trials, spot discount applied', () => {
    const cost = model('dev', 'fraud-detector').sagemaker!.cost;
    // ml.p4d.24xlarge $37.688 × 2 nodes × 12 h × 20 trials × (1 - 0.7)
    expect(cost.trainingRunUsd).toBe(5427.07);
  });

  it('prices a Vertex machine with its attached GPU, not the bare machine', () => {
    const spec = mutate(baseSpec(), (s) => {
      for (const env of Object.values<any>(s.environments)) env.gcp = { project: 'acme-ml-dev', region: 'us-central1' };
      s.models.fraud.providers = ['vertex'];
      s.models.fraud.serving.image = { vertex: 'us-docker.pkg.dev/acme/serve/fraud:1' };
      for (const v of Object.values<any>(s.models.fraud.versions)) v.artifact = { vertex: 'gs://acme-models/fraud/' };
    });
    const vx = resolvePlan(validateProject(spec, baseReleases())).environments[0].models[0].vertex!;
    const deployed = vx.serving!.deployedModels[0];
    expect([deployed.machineType, deployed.acceleratorType]).toEqual(['n1-standard-4', 'NVIDIA_TESLA_T4']);
    expect(vx.cost.servingPerHourUsd).toBe(Math.round(deployed.pricePerHour! * 100) / 100);
    expect(vx.cost.servingPerHourUsd).toBeGreaterThan(pricePerHour('vertex', 'n1-standard-4', 'us-central1', 'serving')!);
  });

  it('lists SKUs without a price instead of guessing', () => {
    const spec = mutate(baseSpec(), (s) => (s.models.fraud.serving.resources = { instanceType: { sagemaker: 'ml.inf2.xlarge' } }));
    const plan = resolvePlan(validateProject(spec, baseReleases()));
    const cost = plan.environments[0].models[0].sagemaker!.cost;
    expect(cost.unpriced).toEqual(['ml.inf2.xlarge']);
    expect(cost.servingPerMonthUsd).toBeUndefined();
  });
});

describe('plan: filters and rollout', () => {
  it('resolves only the environments asked for', () => {
    const plan = resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }), { environments: ['prod'] });
    expect(plan.environments.map((e) => e.name)).toEqual(['prod']);
    expect(plan.environments[0]).toEqual(expect.objectContaining({ protected: true, promotion: { from: 'staging', minSoakSeconds: 86400, approval: 'required', cleanSoak: false } }));
  });

  it('steps linear rollouts to 100', () => {
    expect(resolveRollout({ strategy: 'linear', percent: 30, interval: '5m' }).steps).toEqual([
      { percent: 30, bakeSeconds: 300 },
      { percent: 60, bakeSeconds: 300 },
      { percent: 90, bakeSeconds: 300 },
      { percent: 100, bakeSeconds: 0 },
    ]);
    expect(resolveRollout({ strategy: 'all-at-once' }).steps).toEqual([{ percent: 100, bakeSeconds: 0 }]);
  });
});
