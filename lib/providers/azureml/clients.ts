import { AzureMachineLearningWorkspaces, type AzureMachineLearningWorkspacesOptionalParams } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';

/**
 * The api-version of what @azure/arm-machinelearning 2.1.1 (2022-10-01) cannot say: endpoint
 * `mirrorTraffic` and registry model versions. Sent through the client's own pipeline.
 */
export const RAW_API_VERSION = '2024-04-01';

export interface AzureMlClients {
  readonly ml: AzureMachineLearningWorkspaces;
  /** `https://management.azure.com`, or a fake's address in tests. */
  readonly endpoint: string;
  /** How long to wait between polls of an ARM async operation when ARM gives no Retry-After. */
  readonly pollIntervalMs: number;
}

export interface AzureMlClientOptions extends AzureMachineLearningWorkspacesOptionalParams {
  readonly pollIntervalMs?: number;
}

/** The real client for one subscription; tests pass the fake's `endpoint` and `tlsOptions`. */
export function azureMlClients(subscription: string, credential: TokenCredential, options: AzureMlClientOptions = {}): AzureMlClients {
  const endpoint = options.endpoint ?? 'https://management.azure.com';
  return { ml: new AzureMachineLearningWorkspaces(credential, subscription, options), endpoint, pollIntervalMs: options.pollIntervalMs ?? 5000 };
}

export interface ArmResponse {
  readonly status: number;
  readonly body: Record<string, any> | undefined;
}

/** An ARM error in Azure's own words: `BadRequest: Traffic ... does not exist`. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One ARM request (at RAW_API_VERSION unless told) through the client's pipeline (bearer token, 429 Retry-After
 * and 5xx retries, TLS), with ARM's long-running-operation protocol followed to the end:
 * `Azure-AsyncOperation` polled until Succeeded / Failed, or `Location` until it stops answering 202.
 */
export async function armRequest(clients: AzureMlClients, method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, apiVersion = RAW_API_VERSION): Promise<ArmResponse> {
  const url = `${clients.endpoint}${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`;
  const response = await send(clients, method, url, body);
  if (method === 'GET') return response;
  const asyncOperation = response.headers['azure-asyncoperation'];
  const location = response.headers.location;
  if ((response.status === 201 || response.status === 202) && (asyncOperation || location)) {
    let wait = retryAfterMs(response.headers) ?? clients.pollIntervalMs;
    if (asyncOperation) {
      for (;;) {
        await sleep(wait);
        const poll = await send(clients, 'GET', asyncOperation);
        wait = retryAfterMs(poll.headers) ?? clients.pollIntervalMs;
        const status = String(poll.body?.status ?? '');
        if (status === 'Succeeded') break;
        if (status === 'Failed' || status === 'Canceled') {
          const error = poll.body?.error ?? {};
          throw new ArmError(200, `${error.code ?? status}: ${error.message ?? 'the operation ended ' + status}`);
        }
      }
    } else {
      for (;;) {
        await sleep(wait);
        const poll = await send(clients, 'GET', location!);
        if (poll.status !== 202) break;
        wait = retryAfterMs(poll.headers) ?? clients.pollIntervalMs;
      }
    }
    // The final state is the resource itself (final-state-via original-uri), except after a delete.
    if (method !== 'DELETE') return send(clients, 'GET', url);
  }
  return response;
}

async function send(clients: AzureMlClients, method: string, url: string, body?: unknown): Promise<ArmResponse & { headers: Record<string, string> }> {
  const request = createPipelineRequest({ url, method: method as never, headers: createHttpHeaders({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }) });
  if (body !== undefined) request.body = JSON.stringify(body);
  const response = await clients.ml.sendRequest(request);
  const text = response.bodyAsText ?? '';
  const parsed = text ? (JSON.parse(text) as Record<string, any>) : undefined;
  if (response.status >= 400) {
    const error = parsed?.error ?? {};
    throw new ArmError(response.status, `${error.code ?? `HTTP ${response.status}`}: ${error.message ?? text}`);
  }
  return { status: response.status, body: parsed, headers: response.headers.toJSON() };
}

function retryAfterMs(headers: Record<string, string>): number | undefined {
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
