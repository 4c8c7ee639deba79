import { AzureMachineLearningWorkspaces, type AzureMachineLearningWorkspacesOptionalParams } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AzureMlModelPlan } from '../../plan/types';
import { namedCalls, type Call, type ClientsCapability, type Target } from '../contract';

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
  /** Closes the client's keep-alive connections (closeAzureMlClients). */
  readonly close: () => void;
}

export interface AzureMlClientOptions extends AzureMachineLearningWorkspacesOptionalParams {
  readonly pollIntervalMs?: number;
}

/** The real client for one subscription; tests pass the fake's `endpoint` and `tlsOptions`. */
export function azureMlClients(subscription: string, credential: TokenCredential, options: AzureMlClientOptions = {}): AzureMlClients {
  const endpoint = options.endpoint ?? 'https://management.azure.com';
  const httpClient = options.httpClient ? undefined : closableHttpClient();
  return {
    ml: new AzureMachineLearningWorkspaces(credential, subscription, { ...options, httpClient: options.httpClient ?? httpClient }),
    endpoint,
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    close: () => httpClient?.close(),
  };
}

/** Closes the clients' keep-alive connections; a later call opens new ones. */
export async function closeAzureMlClients(clients: AzureMlClients): Promise<void> {
  clients.close();
}

/** The clients capability of the provider contract (lib/providers/contract.ts). */
export const clientsCapability = { create: azureMlClients, close: closeAzureMlClients } satisfies ClientsCapability<AzureMlClients>;

/**
 * The SDK's default HTTP client, with keep-alive agents of its own that `close` can let go of
 * (the SDK's default agents cannot be closed, and keep their sockets as long as the process).
 * The agents are the ones the SDK would make: keep-alive, per TLS settings. A request to which a
 * policy gave an agent (a proxy), or that asks for no keep-alive, goes as the SDK would send it.
 */
export function closableHttpClient(): HttpClient & { close(): void } {
  const inner = createDefaultHttpClient();
  let plain: http.Agent | undefined;
  const secure = new Map<unknown, https.Agent>();
  return {
    sendRequest(request: PipelineRequest) {
      if (!request.agent && !request.disableKeepAlive) {
        if (new URL(request.url).protocol === 'https:') {
          let agent = secure.get(request.tlsSettings);
          if (!agent) secure.set(request.tlsSettings, (agent = new https.Agent({ keepAlive: true, ...request.tlsSettings })));
          request.agent = agent;
        } else {
          request.agent = plain ??= new http.Agent({ keepAlive: true });
        }
      }
      return inner.sendRequest(request);
    },
    close() {
      plain?.destroy();
      for (const agent of secure.values()) agent.destroy();
      plain = undefined;
      secure.clear();
    },
  };
}

/** Azure's own words from a RestError (its body's error.message) or an LRO failure. */
export function azureMessage(e: unknown): string {
  const err = e as { message?: string; code?: string; details?: { error?: { code?: string; message?: string } } };
  const inner = err.details?.error;
  if (inner?.message) return `${inner.code ? inner.code + ': ' : ''}${inner.message}`;
  return err.message ?? String(e);
}

/** Azure ML calls named for messages; the client's pipeline has already retried 429 and 5xx (lib/providers/contract.ts namedCalls). */
export function azureCalls(target: Target): Call {
  return namedCalls('azureml', target, { message: azureMessage });
}

/** Whether Azure answered 404 (the SDK's RestError or an ArmError). */
export function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404 || (e as { status?: number }).status === 404;
}

/** The call's answer, or undefined when Azure says what it names is not there. */
export async function unlessNotFound<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** ARM id of the plan's workspace. */
export function workspaceId(plan: Pick<AzureMlModelPlan, 'subscription' | 'resourceGroup' | 'workspace'>): string {
  return `/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${plan.workspace}`;
}

/** ARM id of the plan's registry (when it names one). */
export function registryId(plan: Pick<AzureMlModelPlan, 'subscription' | 'resourceGroup' | 'registry'>): string {
  return `/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${plan.registry}`;
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

/** One MLflow REST call, through the client's pipeline (its ARM bearer token, retries, TLS); errors in MLflow's words (a 404 keeps its status, for callers that treat it as absent). */
export async function mlflowRequest(clients: AzureMlClients, url: string, body?: unknown): Promise<Record<string, any>> {
  const request = createPipelineRequest({ url, method: body === undefined ? 'GET' : 'POST', headers: createHttpHeaders({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }) });
  if (body !== undefined) request.body = JSON.stringify(body);
  const response = await clients.ml.sendRequest(request);
  const text = response.bodyAsText ?? '';
  let parsed: Record<string, any> | undefined;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (response.status >= 400 || !parsed) {
    const words = parsed?.error_code ? `${parsed.error_code}: ${parsed.message ?? ''}` : parsed?.error?.message ? `${parsed.error.code ?? `HTTP ${response.status}`}: ${parsed.error.message}` : `HTTP ${response.status}: ${text.slice(0, 300)}`;
    throw new ArmError(response.status, words);
  }
  return parsed;
}
