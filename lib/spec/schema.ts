import { z } from 'zod';
import { ACCELERATORS, PROVIDERS } from '../catalog/types';
import { DURATION_HINT, parseDuration, parseGate, parseRate } from './values';

/**
 * The mlspec spec and release manifest as zod schemas: the one source of the TypeScript types,
 * the YAML validation and the published JSON Schema (`mlspec schema`).
 * Cross-field rules (traffic sums, labels, catalog lookups) live in semantics.ts.
 */

const shown = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

const name = (what: string, pattern: RegExp, rule: string) =>
  z.string().regex(pattern, { error: (iss) => `${shown(iss.input)} is not a valid ${what}; ${rule}` });

export const PROJECT_NAME = /^[a-z][a-z0-9-]{1,19}$/;
export const ENV_NAME = /^[a-z][a-z0-9-]{0,11}$/;
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,27}$/;
export const VERSION_LABEL = /^[0-9a-z](?:[0-9a-z-]{0,14}[0-9a-z])?$/;

const projectName = name('project name', PROJECT_NAME, 'use 2-20 lowercase letters, digits or dashes, starting with a letter');
const modelName = name('model name', MODEL_NAME, 'use 1-28 lowercase letters, digits or dashes, starting with a letter');
const envName = name('environment name', ENV_NAME, 'use 1-12 lowercase letters, digits or dashes, starting with a letter');

/** Version labels are strings; YAML users often write them unquoted (`7`), so numbers are taken too. */
export const versionLabel = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((v) => String(v))
  .pipe(name('version label', VERSION_LABEL, 'use up to 16 lowercase letters, digits or dashes, such as "7" or "2024-06"'));

/** Version labels as map keys (YAML turns `7:` into the string key "7"). */
const labelKey = name('version label', VERSION_LABEL, 'use up to 16 lowercase letters, digits or dashes, such as "7" or "2024-06"');

export const duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  error: (iss) => `${shown(iss.input)} is not a duration; ${DURATION_HINT}`,
});

export const rate = z.string().refine((s) => parseRate(s) !== undefined, {
  error: (iss) => `${shown(iss.input)} is not a rate; write a percentage such as 1% or 0.5%`,
});

export const gate = z.string().refine((s) => parseGate(s) !== undefined, {
  error: (iss) => `${shown(iss.input)} is not a gate; write a comparison such as ">= 0.95" or "< 0.2"`,
});

const percent = (min: number, max: number) =>
  z.number().int({ error: (iss) => `${shown(iss.input)} is not a whole number; traffic is in whole percent` }).min(min).max(max);

const providerName = z.enum(PROVIDERS as [string, ...string[]]);

/** A value given per provider: `{ sagemaker: ..., vertex: ..., azureml: ... }`, each optional. */
const perProvider = <T extends z.ZodType>(value: T) =>
  z.strictObject({ sagemaker: value.optional(), vertex: value.optional(), azureml: value.optional() });

const uri = (schemes: string) => z.string().min(1).describe(`storage URI (${schemes})`);
const image = z.string().min(1).describe('container image URI');

// ------------------------------------------------------------------ environments

const awsTarget = z.strictObject({
  account: z
    .string({ error: (iss) => `${shown(iss.input)} must be a quoted string of 12 digits, such as "111111111111" (unquoted numbers lose leading zeros)` })
    .regex(/^\d{12}$/, { error: (iss) => `${shown(iss.input)} is not an AWS account ID; use the 12 digits, quoted` }),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (iss) => `${shown(iss.input)} is not an AWS region; use a name such as us-east-1` }),
});

const gcpTarget = z.strictObject({
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: (iss) => `${shown(iss.input)} is not a Google Cloud project ID; use 6-30 lowercase letters, digits or dashes` }),
  region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, { error: (iss) => `${shown(iss.input)} is not a Google Cloud region; use a name such as us-central1` }),
  /** `projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`: how the deploy role reaches Google without keys. */
  workloadIdentityProvider: z
    .string()
    .regex(/^projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/, {
      error: (iss) => `${shown(iss.input)} is not a workload identity provider; use projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`,
    })
    .optional(),
  serviceAccount: z.email({ error: (iss) => `${shown(iss.input)} is not a service account email` }).optional(),
});

const uuid = (what: string) => z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { error: (iss) => `${shown(iss.input)} is not ${what}; use a GUID such as 00000000-0000-0000-0000-000000000001` });

const azureTarget = z.strictObject({
  subscription: uuid('an Azure subscription ID'),
  resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, { error: (iss) => `${shown(iss.input)} is not a resource group name` }),
  workspace: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, { error: (iss) => `${shown(iss.input)} is not an Azure ML workspace name; use 3-33 letters, digits, dashes or underscores` }),
  region: z.string().regex(/^[a-z]+[a-z0-9]*$/, { error: (iss) => `${shown(iss.input)} is not an Azure region; use a name such as eastus` }),
  /** An Azure ML registry to hold the model versions instead of the workspace. */
  registry: z.string().optional(),
  tenantId: uuid('an Azure tenant ID').optional(),
  clientId: uuid('an Azure application (client) ID').optional(),
  /** Where federation is not possible: a Secrets Manager secret name holding the client secret. */
  clientSecretName: z.string().optional(),
});

const promotion = z.strictObject({
  from: envName,
  minSoak: duration.optional(),
  approval: z.enum(['required', 'none']).default('none'),
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

const resources = z.strictObject({
  accelerator: accelerator.optional(),
  count: z.number().int().min(1).max(16).optional(),
  instanceType: perProvider(z.string().min(1)).optional(),
  nodes: z.number().int().min(1).max(512).default(1),
});

const tuningParameter = z.strictObject({
  min: z.number().optional(),
  max: z.number().optional(),
  scale: z.enum(['linear', 'log']).default('linear'),
  values: z.array(z.union([z.number(), z.string()])).min(1).optional(),
});

const tuning = z.strictObject({
  objective: z.strictObject({ metric: z.string().min(1), goal: z.enum(['maximize', 'minimize']) }),
  parameters: z.record(z.string(), tuningParameter),
  maxTrials: z.number().int().min(1).max(500),
  parallelTrials: z.number().int().min(1).max(100).default(1),
});

const training = z.strictObject({
  image: perProvider(image),
  command: z.array(z.string()).min(1).optional(),
  hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  inputs: z.record(z.string(), perProvider(uri('s3://, gs://, azureml://'))).default({}),
  output: perProvider(uri('s3://, gs://, azureml://')),
  resources,
  distribution: z.enum(['none', 'pytorch', 'mpi', 'tensorflow']).default('none'),
  spot: z.strictObject({ maxWait: duration }).optional(),
  checkpoints: perProvider(uri('s3://, gs://, azureml://')).optional(),
  maxRuntime: duration.default('24h'),
  /** Metric name → regex with one capture group, matched against the training log. */
  metrics: z.record(z.string(), z.string()).default({}),
  tuning: tuning.optional(),
});

const registry = z.strictObject({
  approval: z.enum(['manual', 'auto']).default('manual'),
  gates: z.record(z.string(), gate).default({}),
});

const version = z.strictObject({
  artifact: perProvider(uri('s3://, gs://, azureml://')),
  metrics: z.record(z.string(), z.number()).default({}),
});

const serving = z.strictObject({
  image: perProvider(image),
  resources: resources.omit({ nodes: true }),
  replicas: z.strictObject({ min: z.number().int().min(1).max(1000).default(1), max: z.number().int().min(1).max(1000).optional() }).default({ min: 1 }),
  autoscaling: z.strictObject({ metric: z.enum(['invocations', 'gpu']), target: z.number().positive() }).optional(),
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
  environments: z.record(envName, environmentSchema),
  models: z.record(modelName, modelSchema),
});

// ------------------------------------------------------------------ releases.yaml

export const releaseSchema = z.strictObject({
  traffic: z.record(labelKey, percent(0, 100)),
  shadow: z.strictObject({ version: versionLabel, percent: percent(1, 100) }).optional(),
});

/** environment → model → release. */
export const releasesSchema = z.record(envName, z.record(modelName, releaseSchema).nullable().transform((v) => v ?? {}));

export { envName, modelName };
