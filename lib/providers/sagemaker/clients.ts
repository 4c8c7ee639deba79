import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { ClientsCapability } from '../contract';

/**
 * The AWS clients of the SageMaker provider. Credentials and region come from the default chain
 * (the Lambda role in a handler; profiles, SSO or roles in the CLI), so there is no credentials.ts.
 */

/** The clients the SageMaker handler uses (registry, configs, traffic, scaling). */
export interface SageMakerClients {
  readonly sagemaker: SageMakerClient;
  readonly autoscaling: ApplicationAutoScalingClient;
}

/** The handler's clients: region and credentials from the Lambda environment; the SDK retries throttling with backoff. */
export function sageMakerClients(): SageMakerClients {
  return { sagemaker: new SageMakerClient({ maxAttempts: 8 }), autoscaling: new ApplicationAutoScalingClient({ maxAttempts: 8 }) };
}

/** Closes both clients' connections. */
export async function closeSageMakerClients(clients: SageMakerClients): Promise<void> {
  clients.sagemaker.destroy();
  clients.autoscaling.destroy();
}

/** SageMaker clients per region (the CLI's live state and training runs); tests pass ones that reach the fake. */
export type SageMakerClientFactory = (region: string) => SageMakerClient;

/** The CLI's: the default credential chain (profiles, SSO, roles). */
export const sageMakerClientFor: SageMakerClientFactory = (region) => new SageMakerClient({ region, maxAttempts: 5 });

/** The clients capability of the provider contract (lib/providers/contract.ts): the handler's clients. */
export const clientsCapability = { create: sageMakerClients, close: closeSageMakerClients } satisfies ClientsCapability<SageMakerClients>;
