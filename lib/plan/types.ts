import type { Provider } from '../catalog/types';
import type { ServerName } from '../serving';

/**
 * The resolved plan: what every downstream layer (constructs, CLI, reconcilers) reads.
 * Fully resolved: names, SKUs, replica counts, traffic in each provider's own form, rollout
 * steps and costs. Nothing downstream looks at the raw spec.
 *
 * `mlspec plan --json` prints exactly this shape (see docs/plan-json.md); changing a field is a
 * breaking change of the CLI contract.
 */
export interface Plan {
  /** Version of this JSON shape. */
  readonly schemaVersion: 1;
  readonly project: string;
  readonly environments: EnvironmentPlan[];
}

export interface EnvironmentPlan {
  readonly name: string;
  /** Registry and endpoints retained on delete, termination protection on. */
  readonly protected: boolean;
  readonly promotion?: PromotionPlan;
  readonly aws?: { readonly account: string; readonly region: string };
  readonly gcp?: GcpTarget;
  readonly azure?: AzureTarget;
  /** One entry per model of the spec (also for models not released here: their registry still exists). */
  readonly models: ModelPlan[];
}

export interface GcpTarget {
  readonly project: string;
  readonly region: string;
  readonly workloadIdentityProvider?: string;
  readonly serviceAccount?: string;
}

export interface AzureTarget {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly region: string;
  readonly registry?: string;
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecretName?: string;
}

export interface PromotionPlan {
  readonly from: string;
  readonly minSoakSeconds?: number;
  readonly approval: 'required' | 'none';
  /** The version's soak in `from` must show no monitoring violation, and at least one monitoring run. */
  readonly cleanSoak: boolean;
}

export interface ModelPlan {
  readonly name: string;
  readonly environment: string;
  /** CloudFormation stack name: `<project>-<model>-<env>`. */
  readonly stackName: string;
  /** Providers this model uses in this environment, in a stable order. */
  readonly providers: Provider[];
  /** Versions released here by releases.yaml (traffic or shadow); empty when not released. */
  readonly released: boolean;
  readonly registry: RegistryPlan;
  readonly sagemaker?: SageMakerModelPlan;
  readonly vertex?: VertexModelPlan;
  readonly azureml?: AzureMlModelPlan;
}

/** Provider-neutral registry facts. */
export interface RegistryPlan {
  readonly approval: 'manual' | 'auto';
  readonly gates: GatePlan[];
  /** Versions declared in the spec's `versions`. */
  readonly versions: VersionPlan[];
}

export interface GatePlan {
  readonly metric: string;
  readonly op: '>=' | '>' | '<=' | '<';
  readonly threshold: number;
  /** As the user wrote it, e.g. `>= 0.95`. */
  readonly text: string;
}

export interface VersionPlan {
  readonly label: string;
  /** `declared` = in `versions`; `training` = a label the training pipeline registers (not declared). */
  readonly source: 'declared' | 'training';
  readonly metrics: Record<string, number>;
}

// ---------------------------------------------------------------- rollout, rollback, autoscaling

export interface RolloutPlan {
  readonly strategy: 'all-at-once' | 'canary' | 'linear';
  /** Canary: share of the new fleet's capacity first; linear: step size. */
  readonly percent?: number;
  /** Canary: bake after the first step; linear: wait between steps. Seconds. */
  readonly waitSeconds?: number;
  /** The traffic share on the new version after each step, e.g. canary 10 → [10, 100]. */
  readonly steps: RolloutStep[];
}

export interface RolloutStep {
  readonly percent: number;
  /** How long to watch the rollback alarms before the next step. */
  readonly bakeSeconds: number;
}

export interface RollbackPlan {
  /** 5xx / invocations, as a percent (1 = 1 %). */
  readonly errorRatePercent?: number;
  readonly p99LatencyMs?: number;
}

export interface AutoscalingPlan {
  /** `invocations`: invocations per replica per minute; `gpu`: GPU utilisation percent per accelerator. */
  readonly metric: 'invocations' | 'gpu';
  readonly target: number;
}

/**
 * The serving container as one provider runs it: the model server's preset (`serving.server`)
 * with the spec's `serving.container` and `serving.env` over it, references resolved.
 */
export interface ServingContainerPlan {
  /** The model server preset; `sagemaker` (SageMaker's contract) when the spec names none. */
  readonly server: ServerName;
  /** The port the provider sends health checks and predictions to. */
  readonly port: number;
  readonly healthRoute: string;
  readonly predictRoute: string;
  /** The container's variables, `${model_dir}`, `${gpus}`, `${model_name}` resolved, sorted by name. */
  readonly env: Record<string, string>;
  /** Vertex only: arguments in place of the image's CMD, from the preset. */
  readonly args?: string[];
  /** What the preset set and the spec left alone (`port`, `healthRoute`, `predictRoute`, `env.NAME`); the spec set the rest. */
  readonly fromPreset: string[];
}

/** Drift monitoring of one provider's endpoint (`serving.monitoring`), in that provider's terms. */
export interface MonitoringPlan {
  /** As the spec wrote it: hourly, daily, rate(N hours) or cron(...). */
  readonly schedule: string;
  /** SageMaker: the monitoring schedule's ScheduleExpression. */
  readonly cron?: string;
  /** Vertex: monitorInterval in hours. */
  readonly intervalHours?: number;
  /** Azure ML: the schedule's trigger. */
  readonly trigger?: { readonly recurrence: { readonly frequency: 'Hour' | 'Day'; readonly interval: number } } | { readonly cron: string };
  /** The data the captured traffic is compared with, in this provider's storage. */
  readonly baselineUri: string;
  /** Share of requests sampled: serving.dataCapture.percent. */
  readonly samplingPercent: number;
  /** Distribution distance above which a feature has drifted, and per-feature thresholds. */
  readonly driftThreshold: number;
  readonly featureThresholds: Record<string, number>;
  readonly alertEmails: string[];
  /** SageMaker only: the SNS topic the violation alarms notify. */
  readonly snsTopicArn?: string;
  /** Runs in a 30-day month. */
  readonly runsPerMonth: number;
  /** Estimated USD a month, where the provider bills per run time (SageMaker); else absent, and `costNote` says why. */
  readonly monthlyUsd?: number;
  readonly costNote: string;
}

export interface CostPlan {
  /** On-demand USD per hour for the minimum replicas of every serving version (incl. shadow). */
  readonly servingPerHourUsd?: number;
  /** servingPerHourUsd × 730 hours. */
  readonly servingPerMonthUsd?: number;
  /** One training run: nodes × price × maxRuntime hours, spot discount applied when spot. */
  readonly trainingRunUsd?: number;
  /** SKUs the catalog has no price for (then the totals above exclude them). */
  readonly unpriced: string[];
}

export interface TrainingPlan {
  readonly instanceType: string;
  readonly acceleratorCount: number;
  readonly nodes: number;
  readonly distribution: 'none' | 'pytorch' | 'mpi' | 'tensorflow';
  readonly spot: boolean;
  readonly maxRuntimeSeconds: number;
  readonly maxWaitSeconds?: number;
  readonly image?: string;
  /** The command the container runs (the image's own entrypoint when absent). */
  readonly command?: string[];
  /** Hyperparameters as strings (every cloud passes them as text); also appended to the command as `--name value`. */
  readonly hyperparameters: Record<string, string>;
  /** Input channels: name → this provider's URI. */
  readonly inputs: { readonly channel: string; readonly uri: string }[];
  /** Where the trained model (and the run's output) is written. */
  readonly outputUri?: string;
  /** Where checkpoints are synced, for spot runs to resume. */
  readonly checkpointUri?: string;
  /** Metric name → regex with one capture group over the training output. */
  readonly metrics: { readonly name: string; readonly regex: string }[];
  /** When the training runs by itself: an EventBridge Scheduler expression (`cron(...)` or `rate(...)`). */
  readonly schedule?: string;
  /** The training container's variables (`training.env`), references resolved for this provider, sorted by name. */
  readonly env: Record<string, string>;
  readonly tuning?: TuningPlan;
}

export interface TuningPlan {
  readonly maxTrials: number;
  readonly parallelTrials: number;
  /** The metric (of `metrics`) the search optimises. */
  readonly objective: string;
  readonly goal: 'maximize' | 'minimize';
  readonly strategy: 'bayesian' | 'random' | 'grid';
  readonly parameters: TuningParameterPlan[];
}

/** One searched hyperparameter: a continuous or integer range, or a list of values. */
export type TuningParameterPlan =
  | { readonly name: string; readonly kind: 'continuous' | 'integer'; readonly min: number; readonly max: number; readonly scale: 'linear' | 'log' }
  | { readonly name: string; readonly kind: 'categorical'; readonly values: string[] };

// ---------------------------------------------------------------- SageMaker

export interface SageMakerModelPlan {
  readonly account: string;
  readonly region: string;
  readonly registry: {
    /** ModelPackageGroupName: `<project>-<model>` (the same group serves every environment of an account). */
    readonly modelPackageGroupName: string;
    /** `Approved` when registry.approval is auto, else `PendingManualApproval`. */
    readonly approvalStatus: 'Approved' | 'PendingManualApproval';
    readonly packages: SageMakerPackagePlan[];
  };
  readonly training?: SageMakerTrainingPlan;
  readonly serving?: SageMakerServingPlan;
  readonly cost: CostPlan;
}

/** Training on SageMaker: a SageMaker Pipeline (docs/train-json.md shows what it runs). */
export interface SageMakerTrainingPlan extends TrainingPlan {
  /** The pipeline `cdk deploy` declares: `<project>-<model>-<env>`. */
  readonly pipelineName: string;
  /** The role the training jobs run as: `<project>-<model>-<env>-training`. */
  readonly trainingRoleName: string;
  /** The role the pipeline runs as (starts jobs, registers the version): `<project>-<model>-<env>-pipeline`. */
  readonly pipelineRoleName: string;
  /**
   * `kms`: the volume is encrypted with the stack's training key; `instance-storage`: the instance
   * type has local NVMe storage, which SageMaker encrypts in hardware and refuses a key for.
   */
  readonly volumeEncryption: 'kms' | 'instance-storage';
  /** The volume size SageMaker attaches (GB); within the local storage of instance-storage types. */
  readonly volumeSizeGb: number;
  /** What the registered version serves with (serving.image.sagemaker and its instance type). */
  readonly registration: { readonly image: string; readonly instanceTypes: string[] };
}

export interface SageMakerPackagePlan {
  readonly label: string;
  readonly image: string;
  readonly modelDataUrl: string;
  readonly metrics: Record<string, number>;
  /** Serving instance types the package declares as supported. */
  readonly instanceTypes: string[];
}

export interface SageMakerServingPlan {
  /** `<project>-<model>-<env>`, at most 63 characters. */
  readonly endpointName: string;
  /** Always SageMaker's contract (8080, /ping, /invocations); `env` is every model's Environment. */
  readonly container: ServingContainerPlan;
  readonly variants: SageMakerVariantPlan[];
  readonly shadowVariant?: SageMakerVariantPlan;
  readonly autoscaling?: AutoscalingPlan;
  readonly rollout: RolloutPlan;
  readonly rollback?: RollbackPlan;
  /** Percent of requests captured (encrypted with the endpoint's KMS key). */
  readonly dataCapturePercent?: number;
  readonly monitoring?: MonitoringPlan;
}

export interface SageMakerVariantPlan {
  /** `v<label>`: stable per version so weights can move without renaming. */
  readonly variantName: string;
  readonly version: string;
  readonly image: string;
  /** S3 artifact of a declared version. */
  readonly modelDataUrl?: string;
  /** Versioned model package ARN of a trained version (registered by the training pipeline). */
  readonly modelPackageArn?: string;
  /** Where a trained version's artifacts live (training.output.sagemaker), for the execution role to read. */
  readonly artifactPrefix?: string;
  readonly instanceType: string;
  readonly acceleratorCount: number;
  /** Initial instance count (= replicas.min). */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Variant weight: the release's traffic percent (shadow: the shadow percent). */
  readonly weight: number;
  readonly pricePerHour?: number;
}

// ---------------------------------------------------------------- Vertex AI

export interface VertexModelPlan {
  readonly project: string;
  readonly region: string;
  /** From the environment's `gcp` block: how the deploy role reaches Google without keys. */
  readonly workloadIdentityProvider?: string;
  readonly serviceAccount?: string;
  /** Display name of the Vertex Model that holds every version: `<project>-<model>`. */
  readonly modelDisplayName: string;
  readonly versions: { readonly label: string; readonly alias: string; readonly artifactUri?: string; readonly metrics: Record<string, number> }[];
  /** The provider the model trains on (training.provider), where trained labels are registered. */
  readonly trainedOn?: Provider;
  readonly training?: TrainingPlan & { readonly machineType: string; readonly acceleratorType?: string };
  /** Where the model trains here: the container a trained version is uploaded with (serving.image.vertex and its preset), released here or not. */
  readonly registerWith?: { readonly image: string; readonly container: ServingContainerPlan };
  readonly serving?: VertexServingPlan;
  readonly cost: CostPlan;
}

export interface VertexServingPlan {
  readonly endpointDisplayName: string;
  readonly image: string;
  /** Each uploaded version's containerSpec: ports, predictRoute, healthRoute, env, args. */
  readonly container: ServingContainerPlan;
  readonly deployedModels: VertexDeployedModelPlan[];
  /**
   * Vertex keys trafficSplit by deployed-model id, which exists only after deployment; the plan
   * keys it by the deployed model's display name, the reconciler swaps in the ids.
   */
  readonly trafficSplit: Record<string, number>;
  readonly rollout: RolloutPlan;
  readonly rollback?: RollbackPlan;
  readonly dataCapturePercent?: number;
  readonly monitoring?: MonitoringPlan;
}

export interface VertexDeployedModelPlan {
  /** `<model>-v<label>`. */
  readonly displayName: string;
  readonly version: string;
  /** `v<label>`: the version alias the deployed model points at. */
  readonly versionAlias: string;
  readonly machineType: string;
  readonly acceleratorType?: string;
  readonly acceleratorCount: number;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  /** `aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle` or `.../cpu/utilization` or request count. */
  readonly autoscalingMetricSpecs: { readonly metricName: string; readonly target: number }[];
  readonly pricePerHour?: number;
}

// ---------------------------------------------------------------- Azure ML

export interface AzureMlModelPlan {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly region: string;
  readonly registry?: string;
  /** From the environment's `azure` block: the app registration the deploy role signs in as. */
  readonly tenantId?: string;
  readonly clientId?: string;
  /** Secrets Manager secret with the client secret, where federation is not used. */
  readonly clientSecretName?: string;
  /** Model name in the workspace or registry: `<project>-<model>`. */
  readonly modelName: string;
  readonly versions: { readonly label: string; readonly path?: string; readonly tags: Record<string, string> }[];
  /** The provider the model trains on (training.provider), where trained labels are registered. */
  readonly trainedOn?: Provider;
  readonly training?: TrainingPlan;
  readonly serving?: AzureMlServingPlan;
  readonly cost: CostPlan;
}

export interface AzureMlServingPlan {
  /** Online endpoint name: 3-32 characters, unique in the region; shortened with a hash when needed. */
  readonly endpointName: string;
  readonly image: string;
  /** The environment's inferenceConfig routes (with the port) and each deployment's environmentVariables. */
  readonly container: ServingContainerPlan;
  readonly deployments: AzureMlDeploymentPlan[];
  /** Endpoint `traffic`, keyed by deployment name. */
  readonly traffic: Record<string, number>;
  /** Endpoint `mirrorTraffic` (shadow), keyed by deployment name, at most 50. */
  readonly mirrorTraffic: Record<string, number>;
  readonly rollout: RolloutPlan;
  readonly rollback?: RollbackPlan;
  readonly dataCapturePercent?: number;
  readonly monitoring?: MonitoringPlan;
}

export interface AzureMlDeploymentPlan {
  /** `v<label>`. */
  readonly name: string;
  readonly version: string;
  readonly instanceType: string;
  readonly acceleratorCount: number;
  readonly instanceCount: number;
  readonly maxInstances: number;
  /**
   * Managed online deployments scale through an Azure Monitor autoscale setting (scaleSettings
   * stays `Default`): RequestsPerMinute divided per instance, or GpuUtilizationPercentage.
   */
  readonly autoscale?: { readonly metricName: 'RequestsPerMinute' | 'GpuUtilizationPercentage'; readonly target: number; readonly dividePerInstance: boolean };
  /** The container's variables for this version: `${model_dir}` is where Azure mounts this version's files. */
  readonly environmentVariables: Record<string, string>;
  readonly pricePerHour?: number;
}
