import { v1 } from '@google-cloud/aiplatform';
import type { ClientOptions } from 'google-gax';

/** The Vertex AI clients a reconcile needs, for one region. */
export interface VertexClients {
  readonly models: v1.ModelServiceClient;
  readonly endpoints: v1.EndpointServiceClient;
}

/**
 * Real v1 clients on the region's endpoint. Tests pass `apiEndpoint`/`port`/`sslCreds`/`authClient`
 * to reach a fake on 127.0.0.1; in the handler, `authClient` carries workload-identity credentials.
 */
export function vertexClients(region: string, options: ClientOptions = {}): VertexClients {
  const base: ClientOptions = { apiEndpoint: `${region}-aiplatform.googleapis.com`, ...options };
  return { models: new v1.ModelServiceClient(base), endpoints: new v1.EndpointServiceClient(base) };
}
