import { z } from 'zod';
import { ACCELERATORS, PROVIDERS } from '../catalog/types';
import { SERVERS } from '../serving';
import { DURATION_HINT, parseDuration, parseGate, parseRate, scheduleProblem } from './values';
import { readMonitoringSchedule } from './monitoring';
import { article, expecting } from './zod-issues';

/**
 * The mlspec spec and release manifest as zod schemas: the one source of the TypeScript types,
 * the YAML validation and the published JSON Schema (`mlspec schema`).
 * Cross-field rules (traffic sums, labels, catalog lookups) live in semantics.ts.
 */

const shown = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

const name = (what: string, pattern: RegExp, rule: string) =>
  expecting(z.string().regex(pattern, { error: (iss) => `${shown(iss.input)} is not a valid ${what}; ${rule}` }), `${article(what)} (${rule.replace(/^use /, '')})`);

export const PROJECT_NAME = /^[a-z][a-z0-9-]{1,19}$/;
export const ENV_NAME = /^[a-z][a-z0-9-]{0,11}$/;
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,27}$/;
export const VERSION_LABEL = /^[0-9a-z](?:[0-9a-z-]{0,14}[0-9a-z])?$/;

const projectName = name('project name', PROJECT_NAME, 'use 2-20 lowercase letters, digits or dashes, starting with a letter');
const modelName = name('model name', MODEL_NAME, 'use 1-28 lowercase letters, digits or dashes, starting with a letter');
const envName = name('environment name', ENV_NAME, 'use 1-12 lowercase letters, digits or dashes, starting with a letter');

/** Version labels are strings; YAML users often write them unquoted (`7`), so numbers are taken too. */
export const versionLabel = expecting(
  z
    .union([z.string(), z.number().int().nonnegative()])
    .transform((v) => String(v))
    .pipe(name('version label', VERSION_LABEL, 'use up to 16 lowercase letters, digits or dashes, such as "7" or "2024-06"')),
  'a version label (such as "7" or "2024-06")',
);

/** Version labels as map keys (YAML turns `7:` into the string key "7"). */
const labelKey = name('version label', VERSION_LABEL, 'use up to 16 lowercase letters, digits or dashes, such as "7" or "2024-06"');

export const duration = expecting(
  z.string().refine((s) => parseDuration(s) !== undefined, {
    error: (iss) => `${shown(iss.input)} is not a duration; ${DURATION_HINT}`,
  }),
  'a duration (such as 90s, 10m, 12h or 2d)',
);

export const rate = expecting(
  z.string().refine((s) => parseRate(s) !== undefined, {
    error: (iss) => `${shown(iss.input)} is not a rate; write a percentage such as 1% or 0.5%`,
  }),
  'a rate (a percentage such as 1% or 0.5%)',
);

export const gate = expecting(
  z.string().refine((s) => parseGate(s) !== undefined, {
    error: (iss) => `${shown(iss.input)} is not a gate; write a comparison such as ">= 0.95" or "< 0.2"`,
  }),
  'a gate (a comparison such as ">= 0.95" or "< 0.2")',
);

/** When training runs by itself: `daily`, `cron(0 3 * * ? *)`, `rate(12 hours)` (EventBridge Scheduler, UTC); see values.ts. */
export const schedule = expecting(
  z
    .string()
    .superRefine((s, ctx) => {
      const problem = scheduleProblem(s);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('When the training pipeline runs by itself (UTC): hourly, daily, weekly, monthly, or an EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year) or rate(value unit)'),
  'a schedule (hourly, daily, weekly, monthly, cron(0 3 * * ? *) or rate(12 hours))',
);

const percent = (min: number, max: number) =>
  z.number().int({ error: (iss) => `${shown(iss.input)} is not a whole number; traffic is in whole percent` }).min(min).max(max);

const providerName = z.enum(PROVIDERS as [string, ...string[]]);

/** A value given per provider: `{ sagemaker: ..., vertex: ..., azureml: ... }`, each optional; `expected` says what, for messages. */
const perProvider = <T extends z.ZodType>(value: T, expected: string) =>
  expecting(z.strictObject({ sagemaker: value.optional(), vertex: value.optional(), azureml: value.optional() }), expected);

const uri = (schemes: string) => z.string().min(1).describe(`storage URI (${schemes})`);
const image = z.string().min(1).describe('container image URI');
const IMAGES = 'a map of container image URIs by provider (sagemaker, vertex, azureml)';
const URIS = 'a map of storage URIs by provider (sagemaker: s3://..., vertex: gs://..., azureml: azureml://...)';

/** An environment variable's value: text, or a number or boolean YAML wrote unquoted. */
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/**
 * Environment variables of a container: `NAME: value` for every provider, and maps under
 * `sagemaker`, `vertex`, `azureml` for one provider only (the same shape as `image`). Values may
 * hold `${model_dir}`, `${gpus}` and `${model_name}`; names and references are checked in semantics.ts.
 */
const envVars = expecting(
  z.record(z.string(), z.union([envValue, z.record(z.string(), envValue)])).describe('Environment variables: NAME: value for every provider, or sagemaker/vertex/azureml: { NAME: value } for one'),
  'a map of environment variables (such as HF_MODEL_ID: ${model_dir}), with sagemaker, vertex or azureml maps for one provider only',
);

const route = expecting(
  z.string().regex(/^\/\S*$/, { error: (iss) => `${shown(iss.input)} is not a route; write a path that starts with /, such as /health` }),
  'a route (a path that starts with /, such as /health)',
);

const routes = {
  /** The port the server listens on. */
  port: z.number().int().min(1).max(65535).optional(),
  /** The route that answers 200 when the server is ready. */
  health: route.optional(),
  /** The route predictions are sent to. */
  predict: route.optional(),
};

/** Where the serving container listens; `sagemaker`, `vertex`, `azureml` override for one provider. */
const container = expecting(
  z.strictObject({ ...routes, sagemaker: z.strictObject(routes).optional(), vertex: z.strictObject(routes).optional(), azureml: z.strictObject(routes).optional() }),
  'a map with port, health and predict (such as { port: 8000, health: /health, predict: /generate })',
);

// ------------------------------------------------------------------ environments

const awsTarget = z.strictObject({
  account: expecting(
    z
      .string({ error: (iss) => `${shown(iss.input)} must be a quoted string of 12 digits, such as "111111111111" (unquoted numbers lose leading zeros)` })
      .regex(/^\d{12}$/, { error: (iss) => `${shown(iss.input)} is not an AWS account ID; use the 12 digits, quoted` }),
    'an AWS account ID (12 digits, quoted, such as "111111111111")',
  ),
  region: expecting(
    z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (iss) => `${shown(iss.input)} is not an AWS region; use a name such as us-east-1` }),
    'an AWS region (such as us-east-1)',
  ),
});

const gcpTarget = z.strictObject({
  project: expecting(
    z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: (iss) => `${shown(iss.input)} is not a Google Cloud project ID; use 6-30 lowercase letters, digits or dashes` }),
    'a Google Cloud project ID (6-30 lowercase letters, digits or dashes)',
  ),
  region: expecting(
    z.string().regex(/^[a-z]+-[a-z]+\d+$/, { error: (iss) => `${shown(iss.input)} is not a Google Cloud region; use a name such as us-central1` }),
    'a Google Cloud region (such as us-central1)',
  ),
  /** `projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`: how the deploy role reaches Google without keys. */
  workloadIdentityProvider: z
    .string()
    .regex(/^projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/, {
      error: (iss) => `${shown(iss.input)} is not a workload identity provider; use projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`,
    })
    .optional(),
  serviceAccount: z.email({ error: (iss) => `${shown(iss.input)} is not a service account email` }).optional(),
});

const uuid = (what: string) =>
  expecting(
    z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { error: (iss) => `${shown(iss.input)} is not ${what}; use a GUID such as 00000000-0000-0000-0000-000000000001` }),
    `${what} (a GUID such as 00000000-0000-0000-0000-000000000001)`,
  );

const azureTarget = z.strictObject({
  subscription: uuid('an Azure subscription ID'),
  resourceGroup: expecting(
    z.string().regex(/^[-\w._()]{1,90}$/, { error: (iss) => `${shown(iss.input)} is not a resource group name` }),
    'an Azure resource group name (such as ml-dev)',
  ),
  workspace: expecting(
    z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, { error: (iss) => `${shown(iss.input)} is not an Azure ML workspace name; use 3-33 letters, digits, dashes or underscores` }),
    'an Azure ML workspace name (3-33 letters, digits, dashes or underscores)',
  ),
  region: expecting(
    z.string().regex(/^[a-z]+[a-z0-9]*$/, { error: (iss) => `${shown(iss.input)} is not an Azure region; use a name such as eastus` }),
    'an Azure region (such as eastus)',
  ),
  /** An Azure ML registry to hold the model versions instead of the workspace. */
  registry: z.string().optional(),
  tenantId: uuid('an Azure tenant ID').optional(),
  clientId: uuid('an Azure application (client) ID').optional(),
  /** Where federation is not possible: a Secrets Manager secret name holding the client secret. */
  clientSecretName: z.string().optional(),
});

const promotion = z.strictObject({
  from: expecting(envName.clone(), 'the environment versions come from (such as staging)'),
  minSoak: duration.optional(),
  approval: z.enum(['required', 'none']).default('none'),
  /** Refuse a version whose soak in `from` had a monitoring violation (serving.monitoring). */
  cleanSoak: z.boolean().default(false),
});

export const environmentSchema = z.strictObject({
  aws: awsTarget.optional(),
  gcp: gcpTarget.optional(),
  azure: azureTarget.optional(),
  protected: z.boolean().default(false),
  promotion: promotion.optional(),
});

// ------------------------------------------------------------------ models

const accelerator = z.enum(ACCELERATORS);

const RESOURCES = 'a map with accelerator and count (such as { accelerator: A100, count: 8 }) or instanceType by provider';

const resources = expecting(
  z.strictObject({
    accelerator: accelerator.optional(),
    count: z.number().int().min(1).max(16).optional(),
    instanceType: perProvider(z.string().min(1), 'a map of instance types by provider (sagemaker, vertex, azureml)').optional(),
    nodes: z.number().int().min(1).max(512).default(1),
  }),
  RESOURCES,
);

const tuningParameter = z.strictObject({
  min: z.number().optional(),
  max: z.number().optional(),
  /** A range of real numbers, or of whole numbers; `values` make a list instead. */
  type: z.enum(['continuous', 'integer']).default('continuous'),
  scale: z.enum(['linear', 'log']).default('linear'),
  values: z.array(z.union([z.number(), z.string()])).min(1).optional(),
});

const tuning = z.strictObject({
  objective: expecting(
    z.strictObject({ metric: expecting(z.string().min(1), 'a metric name from training.metrics (such as val_f1)'), goal: z.enum(['maximize', 'minimize']) }),
    'a map with metric and goal (such as { metric: val_f1, goal: maximize })',
  ),
  /** How the next trials are chosen; every provider offers these three. */
  strategy: z.enum(['bayesian', 'random', 'grid']).default('bayesian'),
  parameters: expecting(z.record(z.string(), tuningParameter), 'a map from hyperparameter name to its range (such as lr: { min: 1.0e-5, max: 1.0e-2 })'),
  maxTrials: z.number().int().min(1).max(500),
  parallelTrials: z.number().int().min(1).max(100).default(1),
});

const training = z.strictObject({
  /** Where the model trains: one provider per model; inferred when training.image names only one. */
  provider: providerName.optional(),
  image: perProvider(image, IMAGES),
  command: z.array(z.string()).min(1).optional(),
  hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  inputs: z.record(z.string(), perProvider(uri('s3://, gs://, azureml://'), URIS)).default({}),
  output: perProvider(uri('s3://, gs://, azureml://'), URIS),
  resources,
  distribution: z.enum(['none', 'pytorch', 'mpi', 'tensorflow']).default('none'),
  spot: z.strictObject({ maxWait: duration }).optional(),
  checkpoints: perProvider(uri('s3://, gs://, azureml://'), URIS).optional(),
  maxRuntime: duration.default('24h'),
  /** Metric name → regex with one capture group, matched against the training log. */
  metrics: z.record(z.string(), z.string()).default({}),
  tuning: tuning.optional(),
  /** Environment variables of the training container. */
  env: envVars.optional(),
  /** When the training pipeline runs by itself; see values.ts parseSchedule for the normalized expression. */
  schedule: schedule.optional(),
});

const registry = z.strictObject({
  approval: z.enum(['manual', 'auto']).default('manual'),
  gates: z.record(z.string(), gate).default({}),
});

const version = z.strictObject({
  artifact: perProvider(uri('s3://, gs://, azureml://'), URIS),
  metrics: z.record(z.string(), z.number()).default({}),
});

/** How often the monitors look: hourly, daily, rate(N hours) or an hourly-granularity AWS cron (see monitoring.ts). */
const monitoringSchedule = expecting(
  z.string().superRefine((s, ctx) => {
    const read = readMonitoringSchedule(s);
    if ('problem' in read) ctx.addIssue({ code: 'custom', message: read.problem });
  }),
  'a monitoring schedule (hourly, daily, rate(6 hours) or cron(0 3 ? * * *))',
);

const driftThreshold = z.number().positive().max(1);

const monitoring = z.strictObject({
  schedule: monitoringSchedule,
  /** The data the captured traffic is compared with: a URI per provider, or one of the training inputs. */
  baseline: expecting(
    z.union([perProvider(uri('s3://, gs://, bq://, azureml://'), URIS), z.strictObject({ trainingInput: z.string().min(1) })]),
    'a map of training data URIs by provider (sagemaker: s3://..., vertex: gs://..., azureml: azureml://...), or { trainingInput: <channel of training.inputs> }',
  ),
  /** Distribution distance above which a feature has drifted: a default, and per feature. */
  drift: z
    .strictObject({
      threshold: expecting(driftThreshold, 'a distance above 0, at most 1 (such as 0.3)').default(0.3),
      features: z.record(z.string(), driftThreshold).default({}),
    })
    .default({ threshold: 0.3, features: {} }),
  /** Where violations are sent: email addresses (every provider), and an SNS topic on AWS. */
  alerts: z
    .strictObject({
      email: z.array(z.email({ error: (iss) => `${shown(iss.input)} is not an email address` })).default([]),
      snsTopic: z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, { error: (iss) => `${shown(iss.input)} is not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME` })
        .optional(),
    })
    .default({ email: [] }),
});

const serving = z.strictObject({
  image: perProvider(image, IMAGES),
  /** The model server the image runs: fills in the port, routes and environment it needs on each provider (docs/SERVERS.md). */
  server: z.enum(SERVERS).optional(),
  container: container.optional(),
  env: envVars.optional(),
  resources: expecting(resources.omit({ nodes: true }), RESOURCES.replace('A100, count: 8', 'T4, count: 1')),
  replicas: z.strictObject({ min: z.number().int().min(1).max(1000).default(1), max: z.number().int().min(1).max(1000).optional() }).default({ min: 1 }),
  autoscaling: z
    .strictObject({
      metric: z.enum(['invocations', 'gpu']),
      target: expecting(z.number().positive(), 'a number above 0 (invocations per replica per minute, or GPU utilisation in percent)'),
    })
    .optional(),
  rollout: z
    .strictObject({
      strategy: z.enum(['all-at-once', 'canary', 'linear']),
      percent: z.number().int().min(1).max(99).optional(),
      bake: duration.optional(),
      interval: duration.optional(),
    })
    .default({ strategy: 'all-at-once' }),
  rollback: z.strictObject({ errorRate: rate.optional(), p99Latency: duration.optional() }).optional(),
  dataCapture: z.strictObject({ percent: z.number().int().min(1).max(100) }).optional(),
  /** Drift monitoring of the captured traffic; needs dataCapture. */
  monitoring: monitoring.optional(),
});

export const modelSchema = z.strictObject({
  /** Default: every provider the environment configures. */
  providers: z.array(providerName).min(1).optional(),
  training: training.optional(),
  registry: registry.default({ approval: 'manual', gates: {} }),
  versions: z.record(labelKey, version).default({}),
  serving: serving.optional(),
});

export const specSchema = z.strictObject({
  /** Prefix of every cloud resource name. */
  project: projectName,
  environments: expecting(z.record(envName, environmentSchema), 'a map from environment name to its clouds (such as dev: { aws: { account: "111111111111", region: us-east-1 } })'),
  models: expecting(z.record(modelName, modelSchema), 'a map from model name to its training, registry, versions and serving'),
});

// ------------------------------------------------------------------ releases.yaml

export const releaseSchema = z.strictObject({
  traffic: expecting(z.record(labelKey, percent(0, 100)), 'a map from version label to percent of traffic (such as { "7": 100 })'),
  shadow: z.strictObject({ version: versionLabel, percent: percent(1, 100) }).optional(),
});

/** environment → model → release. */
export const releasesSchema = z.record(envName, z.record(modelName, releaseSchema).nullable().transform((v) => v ?? {}));

export { envName, modelName };
