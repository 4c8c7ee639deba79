import type { Provider } from '../catalog/types';
import { azureMlProvider } from './azureml';
import type { ProviderModule } from './contract';
import { sagemakerProvider } from './sagemaker';
import { vertexProvider } from './vertex';

export * from './contract';

/**
 * Every provider mlspec deploys to, each as its module of the provider contract
 * (lib/providers/contract.ts). A provider without a module, or a module without a capability,
 * does not compile. Loads every provider's SDK: a handler imports its own provider folder instead.
 */
export const providers = {
  sagemaker: sagemakerProvider,
  vertex: vertexProvider,
  azureml: azureMlProvider,
} as const satisfies { readonly [P in Provider]: ProviderModule<P> };
