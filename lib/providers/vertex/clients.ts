import type { v1 } from '@google-cloud/aiplatform';
import type { ClientOptions } from 'google-gax';
import { namedCalls, ProviderError, type Call, type ClientsCapability, type Target } from '../contract';

/** The Vertex AI clients a reconcile needs, for one region. */
export interface VertexClients {
  readonly models: v1.ModelServiceClient;
  readonly endpoints: v1.EndpointServiceClient;
  /** The endpoint's model deployment monitoring job (serving.monitoring). */
  readonly jobs: v1.JobServiceClient;
}

/**
 * Real v1 clients on the region's endpoint. Tests pass `apiEndpoint`/`port`/`sslCreds`/`authClient`
 * to reach a fake on 127.0.0.1; in the handler, `authClient` carries workload-identity credentials.
 * The two client modules are required directly: the package index loads every Vertex API (60 MB),
 * which would not fit a Lambda bundle.
 */
export function vertexClients(region: string, options: ClientOptions = {}): VertexClients {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ModelServiceClient } = require('@google-cloud/aiplatform/build/src/v1/model_service_client') as typeof v1;
  const { EndpointServiceClient } = require('@google-cloud/aiplatform/build/src/v1/endpoint_service_client') as typeof v1;
  const { JobServiceClient } = require('@google-cloud/aiplatform/build/src/v1/job_service_client') as typeof v1;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const base: ClientOptions = { apiEndpoint: `${region}-aiplatform.googleapis.com`, ...options };
  return { models: new ModelServiceClient(base), endpoints: new EndpointServiceClient(base), jobs: new JobServiceClient(base) };
}

/** Closes the clients' gRPC channels. */
export async function closeVertexClients(clients: VertexClients): Promise<void> {
  await Promise.all([clients.models.close(), clients.endpoints.close(), clients.jobs.close()]);
}

/** The clients capability of the provider contract (lib/providers/contract.ts). */
export const clientsCapability = { create: vertexClients, close: closeVertexClients } satisfies ClientsCapability<VertexClients>;

/** How Vertex calls are retried: RESOURCE_EXHAUSTED and UNAVAILABLE, with backoff. */
export interface VertexCallOptions {
  /** Retries of UNAVAILABLE / RESOURCE_EXHAUSTED, with exponential backoff from `backoffMs`. @default 5 */
  readonly retries?: number;
  readonly backoffMs?: number;
}

const RETRYABLE = new Set([8, 14]); // RESOURCE_EXHAUSTED, UNAVAILABLE

/** Vertex calls named for messages, retried on throttling and unavailability (lib/providers/contract.ts namedCalls). */
export function vertexCalls(target: Target, options: VertexCallOptions = {}): Call {
  return namedCalls('vertex', target, { retries: options.retries ?? 5, backoffMs: options.backoffMs, retryable: (e) => RETRYABLE.has((e as { code?: number }).code as number) });
}

interface Lro {
  promise(): Promise<unknown[]>;
}

/** Waits for a long-running operation; its failure is named as the call's. */
export async function finish(op: unknown, what: string, target: Target): Promise<unknown[]> {
  try {
    return await (op as Lro).promise();
  } catch (e) {
    throw ProviderError.about('vertex', target, `${what} failed: ${(e as Error).message}`);
  }
}

/** `projects/<project>/locations/<region>`: where the plan's models and endpoints live. */
export const vertexParent = (plan: { readonly project: string; readonly region: string }) => `projects/${plan.project}/locations/${plan.region}`;
