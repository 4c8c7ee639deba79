import type { Provider } from '../catalog/types';
import { PROVIDERS } from '../catalog/types';
import type { Environment, Model } from './types';

/** The environment block each provider needs: SageMaker runs in `aws`, Vertex in `gcp`, Azure ML in `azure`. */
export const PROVIDER_BLOCK: Record<Provider, 'aws' | 'gcp' | 'azure'> = { sagemaker: 'aws', vertex: 'gcp', azureml: 'azure' };

/** Providers an environment configures, in the canonical order. */
export function configuredProviders(env: Environment): Provider[] {
  return PROVIDERS.filter((p) => env[PROVIDER_BLOCK[p]] !== undefined);
}

/** Providers a model uses in an environment: its own list, else every provider the environment configures. */
export function modelProviders(model: Model, env: Environment): Provider[] {
  // Where the environment lacks a listed provider's block, the model is not on that provider there (validation refuses it where the model is released).
  if (model.providers) return PROVIDERS.filter((p) => (model.providers as string[]).includes(p) && env[PROVIDER_BLOCK[p]] !== undefined);
  return configuredProviders(env);
}

/** The region of a provider in an environment. */
export function providerRegion(env: Environment, provider: Provider): string | undefined {
  return env[PROVIDER_BLOCK[provider]]?.region;
}

/**
 * The provider a model trains on: `training.provider`, else the only provider `training.image`
 * names. Undefined when the model does not train, or when several images leave it open (validation
 * then asks for `training.provider`).
 */
export function trainingProvider(model: Model): Provider | undefined {
  const t = model.training;
  if (!t) return undefined;
  if (t.provider) return t.provider as Provider;
  const named = PROVIDERS.filter((p) => t.image[p] !== undefined);
  return named.length === 1 ? named[0] : undefined;
}
