import type { Provider, Sku } from '../catalog/types';
import type { LoadedProject } from '../spec/loader';
import { modelProviders, providerRegion, trainingProvider } from '../spec/providers';
import { resolveSku } from '../spec/sku';
import type { Environment, Model, Release, Spec } from '../spec/types';
import { parseDuration, parseGate, parseSchedule } from '../spec/values';
import { hasInstanceStorage } from '../catalog/instance-storage';
import { estimateCost, type ServingNode } from './cost';
import * as names from './names';
import { resolveAutoscaling, resolveRollback, resolveRollout } from './rollout';
import { readMonitoringSchedule } from '../spec/monitoring';
import { pricePerHour } from '../catalog';
import { TRAINING_MODEL_DIR, envFor as envForProvider, modelDir, resolveContainer, resolveReferences, type ServingContainerSpec } from '../serving';
import type {
  AzureMlModelPlan,
  EnvironmentPlan,
  GatePlan,
  ModelPlan,
  Plan,
  RegistryPlan,
  SageMakerModelPlan,
  SageMakerVariantPlan,
  ServingContainerPlan,
  MonitoringPlan,
  TrainingPlan,
  TuningParameterPlan,
  SageMakerTrainingPlan,
  VersionPlan,
  VertexModelPlan,
} from './types';

export interface ResolveOptions {
  /** Only these environments (all when omitted). */
  readonly environments?: readonly string[];
}

/**
 * Resolves a valid spec + releases into the provider-shaped plan. Input must have passed
 * loadProject/validateProject: a catalog miss here is a bug, not a user error.
 */
export function resolvePlan(project: LoadedProject, options: ResolveOptions = {}): Plan {
  const { spec, releases } = project;
  const wanted = options.environments;
  const environments: EnvironmentPlan[] = [];
  for (const [envName, env] of Object.entries(spec.environments)) {
    if (wanted && !wanted.includes(envName)) continue;
    const models = Object.entries(spec.models).map(([modelName, model]) => resolveModel(spec, envName, env, modelName, model, releases[envName]?.[modelName]));
    environments.push({
      name: envName,
      protected: env.protected,
      promotion: env.promotion && {
        from: env.promotion.from,
        minSoakSeconds: env.promotion.minSoak === undefined ? undefined : parseDuration(env.promotion.minSoak),
        approval: env.promotion.approval,
        cleanSoak: env.promotion.cleanSoak,
      },
      aws: env.aws && { ...env.aws },
      gcp: env.gcp && { ...env.gcp },
      azure: env.azure && { ...env.azure },
      models,
    });
  }
  return { schemaVersion: 1, project: spec.project, environments };
}

function sku(provider: Provider, purpose: 'training' | 'serving', resources: Parameters<typeof resolveSku>[2], region: string, where: string): Sku {
  const result = resolveSku(provider, purpose, resources, region);
  if (result === undefined || !result.ok) throw new Error(`internal: ${where}: ${provider} ${purpose} SKU unresolved after validation (${result ? result.reason : 'no resources'})`);
  return result.sku;
}

/** Every label a release serves, live first then shadow. */
function releasedLabels(release: Release | undefined): string[] {
  if (!release) return [];
  return [...Object.keys(release.traffic), ...(release.shadow ? [release.shadow.version] : [])];
}

function resolveModel(spec: Spec, envName: string, env: Environment, modelName: string, model: Model, release: Release | undefined): ModelPlan {
  const providers = modelProviders(model, env);
  const registry = resolveRegistry(model, release);
  const plan: ModelPlan = {
    name: modelName,
    environment: envName,
    stackName: names.stackName(spec.project, modelName, envName),
    providers,
    released: release !== undefined,
    registry,
  };
  const ctx: Ctx = { spec, envName, env, modelName, model, release, registry };
  return {
    ...plan,
    sagemaker: providers.includes('sagemaker') ? resolveSageMaker(ctx) : undefined,
    vertex: providers.includes('vertex') ? resolveVertex(ctx) : undefined,
    azureml: providers.includes('azureml') ? resolveAzureMl(ctx) : undefined,
  };
}

interface Ctx {
  readonly spec: Spec;
  readonly envName: string;
  readonly env: Environment;
  readonly modelName: string;
  readonly model: Model;
  readonly release?: Release;
  readonly registry: RegistryPlan;
}

function resolveRegistry(model: Model, release: Release | undefined): RegistryPlan {
  const gates: GatePlan[] = Object.entries(model.registry.gates).map(([metric, text]) => {
    const gate = parseGate(text)!;
    return { metric, op: gate.op, threshold: gate.threshold, text };
  });
  const versions: VersionPlan[] = Object.entries(model.versions).map(([label, v]) => ({ label, source: 'declared', metrics: { ...v.metrics } }));
  for (const label of releasedLabels(release)) {
    if (!model.versions[label]) versions.push({ label, source: 'training', metrics: {} });
  }
  return { approval: model.registry.approval, gates, versions };
}

function resolveTraining(ctx: Ctx, provider: Provider, region: string): (TrainingPlan & { sku: Sku }) | undefined {
  const t = ctx.model.training;
  // A model trains on one provider (training.provider); the others only serve.
  if (!t || trainingProvider(ctx.model) !== provider) return undefined;
  const s = sku(provider, 'training', t.resources, region, `models.${ctx.modelName}.training`);
  const schedule = (t as { schedule?: string }).schedule;
  return {
    sku: s,
    instanceType: s.instanceType,
    acceleratorCount: s.acceleratorCount,
    nodes: t.resources.nodes,
    distribution: t.distribution,
    spot: t.spot !== undefined,
    maxRuntimeSeconds: parseDuration(t.maxRuntime)!,
    maxWaitSeconds: t.spot ? parseDuration(t.spot.maxWait) : undefined,
    image: t.image[provider],
    command: t.command && [...t.command],
    hyperparameters: Object.fromEntries(Object.entries(t.hyperparameters).map(([k, v]) => [k, String(v)])),
    inputs: Object.entries(t.inputs).flatMap(([channel, uris]) => (uris[provider] ? [{ channel, uri: uris[provider]! }] : [])),
    outputUri: t.output[provider],
    checkpointUri: t.checkpoints?.[provider],
    metrics: Object.entries(t.metrics).map(([name, regex]) => ({ name, regex })),
    schedule: schedule === undefined ? undefined : (parseSchedule(schedule)?.expression ?? schedule),
    env: trainingEnv(t.env, provider, ctx.modelName, s.acceleratorCount),
    tuning: t.tuning && {
      maxTrials: t.tuning.maxTrials,
      parallelTrials: t.tuning.parallelTrials,
      objective: t.tuning.objective.metric,
      goal: t.tuning.objective.goal,
      strategy: t.tuning.strategy,
      parameters: Object.entries(t.tuning.parameters).map(([name, p]): TuningParameterPlan =>
        p.values !== undefined
          ? { name, kind: 'categorical', values: p.values.map(String) }
          : { name, kind: p.type, min: p.min!, max: p.max!, scale: p.scale }),
    },
  };
}

/** `training.env` for one provider: shared variables, then the provider's own, references resolved. */
function trainingEnv(env: ServingContainerSpec['env'], provider: Provider, modelName: string, gpus: number): Record<string, string> {
  const refs = { model_dir: TRAINING_MODEL_DIR[provider] ?? '${model_dir}', gpus: String(gpus), model_name: modelName };
  const own = envForProvider(env, provider);
  return Object.fromEntries(Object.keys(own).sort().map((k) => [k, resolveReferences(own[k], refs)]));
}

/** The serving container one provider runs (preset, then the spec's container and env), as the plan shows it. */
function servingContainer(ctx: Ctx, provider: Provider, acceleratorCount: number, dir: string = modelDir(provider)): ServingContainerPlan {
  const serving = ctx.model.serving!;
  const resolved = resolveContainer(serving as ServingContainerSpec, provider, { model_dir: dir, gpus: String(acceleratorCount), model_name: ctx.modelName });
  return {
    server: resolved.server,
    port: resolved.container.port,
    healthRoute: resolved.container.health,
    predictRoute: resolved.container.predict,
    env: resolved.env,
    args: resolved.args,
    fromPreset: Object.entries(resolved.origin)
      .filter(([, o]) => o === 'preset')
      .map(([k]) => (k === 'health' ? 'healthRoute' : k === 'predict' ? 'predictRoute' : k)),
  };
}

/** SageMaker's monitoring jobs run on this instance type; the estimate assumes this long a run. */
const MONITORING_INSTANCE = 'ml.m5.xlarge';
const MONITORING_RUN_HOURS = 10 / 60;

/** One provider's monitor of `serving.monitoring`, with its schedule in that provider's form and its cost. */
function resolveMonitoring(ctx: Ctx, provider: Provider, region: string): MonitoringPlan | undefined {
  const serving = ctx.model.serving;
  const m = serving?.monitoring;
  if (!m || !serving.dataCapture) return undefined;
  const schedule = readMonitoringSchedule(m.schedule);
  if ('problem' in schedule) throw new Error(`internal: monitoring schedule ${m.schedule} unresolved after validation`);
  const baseline = m.baseline as Partial<Record<Provider, string>> | { trainingInput: string };
  const baselineUri = 'trainingInput' in baseline ? (ctx.model.training!.inputs[baseline.trainingInput] as Partial<Record<Provider, string>>)[provider]! : baseline[provider]!;
  const common = {
    schedule: m.schedule,
    baselineUri,
    samplingPercent: serving.dataCapture.percent,
    driftThreshold: m.drift.threshold,
    featureThresholds: { ...m.drift.features },
    alertEmails: [...m.alerts.email],
    runsPerMonth: schedule.runsPerMonth,
  };
  if (provider === 'sagemaker') {
    const price = pricePerHour('sagemaker', MONITORING_INSTANCE, region, 'training');
    return {
      ...common,
      cron: schedule.sagemakerCron,
      snsTopicArn: m.alerts.snsTopic,
      monthlyUsd: price === undefined ? undefined : price * MONITORING_RUN_HOURS * schedule.runsPerMonth,
      costNote: `${MONITORING_INSTANCE} per run, estimated at 10 minutes a run`,
    };
  }
  if (provider === 'vertex') return { ...common, intervalHours: schedule.intervalHours, costNote: 'Vertex bills model monitoring per GB of data analyzed: not estimated' };
  return { ...common, trigger: schedule.azure, costNote: 'Azure ML bills the serverless Spark compute of each run: not estimated' };
}

function withoutSku<T extends { sku: Sku }>(value: T | undefined): Omit<T, 'sku'> | undefined {
  if (!value) return undefined;
  const { sku: _sku, ...rest } = value;
  return rest;
}

// ------------------------------------------------------------------ SageMaker

/** An S3 prefix as a URL ending in `/`, which the execution role reads everything under. */
function withSlash(url: string | undefined): string | undefined {
  return url === undefined ? undefined : url.endsWith('/') ? url : `${url}/`;
}

function resolveSageMaker(ctx: Ctx): SageMakerModelPlan {
  const { spec, env, model, modelName, release } = ctx;
  const account = env.aws!.account;
  const region = env.aws!.region;
  const groupName = names.registryName(spec.project, modelName);
  const serving = model.serving;
  const servingSku = serving ? sku('sagemaker', 'serving', serving.resources, region, `models.${modelName}.serving`) : undefined;
  const image = serving?.image.sagemaker;

  const packages = image
    ? Object.entries(model.versions)
        .filter(([, v]) => v.artifact.sagemaker !== undefined)
        .map(([label, v]) => ({ label, image, modelDataUrl: v.artifact.sagemaker!, metrics: { ...v.metrics }, instanceTypes: servingSku ? [servingSku.instanceType] : [] }))
    : [];

  const training = resolveTraining(ctx, 'sagemaker', region);
  let servingPlan: SageMakerModelPlan['serving'];
  const nodes: ServingNode[] = [];
  if (serving && release && servingSku && image) {
    const container = servingContainer(ctx, 'sagemaker', servingSku.acceleratorCount);
    const variant = (label: string, weight: number): SageMakerVariantPlan => {
      const declared = model.versions[label];
      nodes.push({ instanceType: servingSku.instanceType, replicas: serving.replicas.min, pricePerHour: servingSku.pricePerHour });
      return {
        variantName: names.versionName(label),
        version: label,
        image,
        modelDataUrl: declared?.artifact.sagemaker,
        // A trained version is the registry's package of that number, registered by the training pipeline.
        modelPackageArn: declared ? undefined : `arn:aws:sagemaker:${region}:${account}:model-package/${groupName}/${label}`,
        artifactPrefix: declared ? undefined : withSlash(model.training?.output.sagemaker),
        instanceType: servingSku.instanceType,
        acceleratorCount: servingSku.acceleratorCount,
        minReplicas: serving.replicas.min,
        maxReplicas: serving.replicas.max ?? serving.replicas.min,
        weight,
        pricePerHour: servingSku.pricePerHour,
      };
    };
    servingPlan = {
      endpointName: names.endpointName(spec.project, modelName, ctx.envName),
      container,
      variants: Object.entries(release.traffic).map(([label, pct]) => variant(label, pct)),
      shadowVariant: release.shadow ? variant(release.shadow.version, release.shadow.percent) : undefined,
      autoscaling: resolveAutoscaling(serving.autoscaling),
      rollout: resolveRollout(serving.rollout),
      rollback: resolveRollback(serving.rollback),
      dataCapturePercent: serving.dataCapture?.percent,
      monitoring: resolveMonitoring(ctx, 'sagemaker', region),
    };
  }
  return {
    account,
    region,
    registry: {
      modelPackageGroupName: groupName,
      approvalStatus: model.registry.approval === 'auto' ? 'Approved' : 'PendingManualApproval',
      packages,
    },
    training: training && sageMakerTraining(ctx, withoutSku(training)!, image, servingSku?.instanceType),
    serving: servingPlan,
    cost: estimateCost('sagemaker', region, nodes, training && { ...training, pricePerHour: training.sku.pricePerHour }),
  };
}

/** What SageMaker needs beyond the neutral training plan: the pipeline, its roles, the volume's encryption. */
function sageMakerTraining(ctx: Ctx, t: TrainingPlan, servingImage: string | undefined, servingInstanceType: string | undefined): SageMakerTrainingPlan {
  const base = names.stackName(ctx.spec.project, ctx.modelName, ctx.envName);
  const local = hasInstanceStorage(t.instanceType);
  return {
    ...t,
    pipelineName: base,
    trainingRoleName: names.roleName(base, 'training'),
    pipelineRoleName: names.roleName(base, 'pipeline'),
    volumeEncryption: local ? 'instance-storage' : 'kms',
    // Within the local storage of every instance-storage type SageMaker trains on (the smallest holds 125 GB).
    volumeSizeGb: 100,
    // Validation makes a model that trains on SageMaker give serving.image.sagemaker.
    registration: { image: servingImage ?? t.image!, instanceTypes: servingInstanceType ? [servingInstanceType] : [] },
  };
}

// ------------------------------------------------------------------ Vertex AI

const VERTEX_METRIC = {
  gpu: 'aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle',
  invocations: 'aiplatform.googleapis.com/prediction/online/request_count',
  cpu: 'aiplatform.googleapis.com/prediction/online/cpu/utilization',
} as const;

function resolveVertex(ctx: Ctx): VertexModelPlan {
  const { spec, env, model, modelName, release, registry } = ctx;
  const region = env.gcp!.region;
  const serving = model.serving;
  const servingSku = serving ? sku('vertex', 'serving', serving.resources, region, `models.${modelName}.serving`) : undefined;
  const training = resolveTraining(ctx, 'vertex', region);
  const nodes: ServingNode[] = [];
  let servingPlan: VertexModelPlan['serving'];
  if (serving && release && servingSku && serving.image.vertex) {
    const autoscaling = serving.autoscaling;
    const deployedModels = Object.keys(release.traffic).map((label) => {
      nodes.push({ instanceType: servingSku.instanceType, replicas: serving.replicas.min, pricePerHour: servingSku.pricePerHour });
      return {
        displayName: names.deployedModelName(modelName, label),
        version: label,
        versionAlias: names.versionName(label),
        machineType: servingSku.instanceType,
        acceleratorType: servingSku.providerAcceleratorType || undefined,
        acceleratorCount: servingSku.acceleratorCount,
        minReplicaCount: serving.replicas.min,
        maxReplicaCount: serving.replicas.max ?? serving.replicas.min,
        autoscalingMetricSpecs: autoscaling ? [{ metricName: VERTEX_METRIC[autoscaling.metric], target: autoscaling.target }] : [],
        pricePerHour: servingSku.pricePerHour,
      };
    });
    servingPlan = {
      endpointDisplayName: names.endpointName(spec.project, modelName, ctx.envName),
      image: serving.image.vertex,
      container: servingContainer(ctx, 'vertex', servingSku.acceleratorCount),
      deployedModels,
      trafficSplit: Object.fromEntries(Object.entries(release.traffic).map(([label, pct]) => [names.deployedModelName(modelName, label), pct])),
      rollout: resolveRollout(serving.rollout),
      rollback: resolveRollback(serving.rollback),
      dataCapturePercent: serving.dataCapture?.percent,
      monitoring: resolveMonitoring(ctx, 'vertex', region),
    };
  }
  // The container a trained version is uploaded with, known wherever serving.image.vertex is declared (released here or not).
  const registerWith = serving && servingSku && serving.image.vertex ? { image: serving.image.vertex, container: servingPlan?.container ?? servingContainer(ctx, 'vertex', servingSku.acceleratorCount) } : undefined;
  const vertexTraining = training && { ...withoutSku(training)!, machineType: training.sku.instanceType, acceleratorType: training.sku.providerAcceleratorType || undefined };
  return {
    project: env.gcp!.project,
    region,
    workloadIdentityProvider: env.gcp!.workloadIdentityProvider,
    serviceAccount: env.gcp!.serviceAccount,
    modelDisplayName: names.registryName(spec.project, modelName),
    versions: registry.versions.map((v) => ({ label: v.label, alias: names.versionName(v.label), artifactUri: model.versions[v.label]?.artifact.vertex, metrics: v.metrics })),
    trainedOn: trainingProvider(model),
    training: vertexTraining,
    registerWith: vertexTraining ? registerWith : undefined,
    serving: servingPlan,
    cost: estimateCost('vertex', region, nodes, training && { ...training, pricePerHour: training.sku.pricePerHour }),
  };
}

// ------------------------------------------------------------------ Azure ML

function resolveAzureMl(ctx: Ctx): AzureMlModelPlan {
  const { spec, env, model, modelName, release, registry } = ctx;
  const azure = env.azure!;
  const serving = model.serving;
  const servingSku = serving ? sku('azureml', 'serving', serving.resources, azure.region, `models.${modelName}.serving`) : undefined;
  const training = resolveTraining(ctx, 'azureml', azure.region);
  const nodes: ServingNode[] = [];
  let servingPlan: AzureMlModelPlan['serving'];
  if (serving && release && servingSku && serving.image.azureml) {
    const autoscaling = serving.autoscaling;
    const registeredName = names.registryName(spec.project, modelName);
    const deployment = (label: string) => {
      nodes.push({ instanceType: servingSku.instanceType, replicas: serving.replicas.min, pricePerHour: servingSku.pricePerHour });
      return {
        name: names.versionName(label),
        version: label,
        instanceType: servingSku.instanceType,
        acceleratorCount: servingSku.acceleratorCount,
        instanceCount: serving.replicas.min,
        maxInstances: serving.replicas.max ?? serving.replicas.min,
        autoscale: autoscaling
          ? autoscaling.metric === 'gpu'
            ? { metricName: 'GpuUtilizationPercentage' as const, target: autoscaling.target, dividePerInstance: false }
            : { metricName: 'RequestsPerMinute' as const, target: autoscaling.target, dividePerInstance: true }
          : undefined,
        // Azure mounts each version at its own path, so ${model_dir} differs per deployment.
        environmentVariables: servingContainer(ctx, 'azureml', servingSku.acceleratorCount, modelDir('azureml', { registeredName, version: label, artifact: model.versions[label]?.artifact.azureml })).env,
        pricePerHour: servingSku.pricePerHour,
      };
    };
    const labels = releasedLabels(release);
    servingPlan = {
      endpointName: names.azureEndpointName(spec.project, modelName, ctx.envName),
      image: serving.image.azureml,
      container: servingContainer(ctx, 'azureml', servingSku.acceleratorCount, modelDir('azureml', { registeredName })),
      deployments: labels.map(deployment),
      traffic: Object.fromEntries(Object.entries(release.traffic).map(([label, pct]) => [names.versionName(label), pct])),
      mirrorTraffic: release.shadow ? { [names.versionName(release.shadow.version)]: release.shadow.percent } : {},
      rollout: resolveRollout(serving.rollout),
      rollback: resolveRollback(serving.rollback),
      dataCapturePercent: serving.dataCapture?.percent,
      monitoring: resolveMonitoring(ctx, 'azureml', azure.region),
    };
  }
  return {
    subscription: azure.subscription,
    resourceGroup: azure.resourceGroup,
    workspace: azure.workspace,
    region: azure.region,
    registry: azure.registry,
    tenantId: azure.tenantId,
    clientId: azure.clientId,
    clientSecretName: azure.clientSecretName,
    modelName: names.registryName(spec.project, modelName),
    versions: registry.versions.map((v) => ({
      label: v.label,
      path: model.versions[v.label]?.artifact.azureml,
      tags: Object.fromEntries([['mlspec:version', v.label], ...Object.entries(v.metrics).map(([k, n]) => [`metric:${k}`, String(n)])]),
    })),
    trainedOn: trainingProvider(model),
    training: withoutSku(training),
    serving: servingPlan,
    cost: estimateCost('azureml', azure.region, nodes, training && { ...training, pricePerHour: training.sku.pricePerHour }),
  };
}

export { providerRegion };
