import { createHash } from 'node:crypto';

/** Cloud resource names, in one place so every layer agrees on them. */

/** CloudFormation stack and SageMaker endpoint: `<project>-<model>-<env>` (≤ 62 characters by the spec's name rules). */
export const stackName = (project: string, model: string, env: string) => `${project}-${model}-${env}`;
export const endpointName = stackName;

/** The registry entry shared by every environment of an account or project: `<project>-<model>`. */
export const registryName = (project: string, model: string) => `${project}-${model}`;

/** SageMaker variant, Vertex version alias and Azure deployment for a version label. */
export const versionName = (label: string) => `v${label}`;

/** Vertex deployed model display name. */
export const deployedModelName = (model: string, label: string) => `${model}-v${label}`;

/**
 * Azure online endpoint names are 3-32 characters and unique per region: names that are too long
 * keep their start and get a stable 6-character hash of the full name.
 */
export function azureEndpointName(project: string, model: string, env: string): string {
  const full = `${project}-${model}-${env}`;
  if (full.length <= 32) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  return `${full.slice(0, 25).replace(/-+$/, '')}-${hash}`;
}

/** IAM role names are at most 64 characters: long ones keep their start and get a stable hash. */
export function roleName(base: string, purpose: string): string {
  const full = `${base}-${purpose}`;
  if (full.length <= 64) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  return `${full.slice(0, 64 - purpose.length - 8)}-${hash}-${purpose}`;
}

/**
 * An environment's handlers stack and its handlers (constructs/handlers-stack.ts): fixed names, so
 * model stacks, pipelines and the CLI refer to them without exports.
 */
export function handlerNames(project: string, environment: string) {
  const base = `mlspec-${project}-${environment}`;
  return {
    stackName: `${project}-handlers-${environment}`,
    sagemaker: `${base}-sagemaker`,
    vertex: `${base}-vertex`,
    azureml: `${base}-azureml`,
    /** The staged SageMaker rollouts' handlers (behind the Provider framework, like Vertex's). */
    rollout: `${base}-rollout`,
    /** Training on Vertex AI or Azure ML: the state machine and the function its steps call (constructs/training-orchestration.ts). */
    training: (provider: 'vertex' | 'azureml') => `${base}-${provider}-training`,
  };
}

/** The project of a model's plan, from its stack name `<project>-<model>-<env>` (projects may hold dashes). */
export function projectOf(model: { readonly stackName: string; readonly name: string; readonly environment: string }): string {
  return model.stackName.slice(0, model.stackName.length - model.name.length - model.environment.length - 2);
}

/**
 * An environment's shared bucket for server access logs (of the data-capture buckets), in its
 * handlers stack. S3 names are global and at most 63 characters: a stable hash of the project,
 * environment, account and region keeps it unique and short.
 */
export function accessLogsBucketName(project: string, environment: string, account: string, region: string): string {
  return `mlspec-access-logs-${createHash('sha256').update(`${project}/${environment}/${account}/${region}`).digest('hex').slice(0, 16)}`;
}
