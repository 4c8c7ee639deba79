import type { v1 } from '@google-cloud/aiplatform';
import type { ClientOptions } from 'google-gax';

/** The Vertex AI clients a reconcile needs, for one region. */
export interface VertexClients {
  readonly models: v1.ModelServiceClient;
  readonly endpoints: v1.EndpointServiceClient;
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
  /* eslint-enable @typescript-eslint/no-require-imports */
  const base: ClientOptions = { apiEndpoint: `${region}-aiplatform.googleapis.com`, ...options };
  return { models: new ModelServiceClient(base), endpoints: new EndpointServiceClient(base) };
}
