import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';
import { createHash } from 'node:crypto';
import type { AzureMlDeploymentPlan, AzureMlModelPlan } from '../../plan/types';
import { lookAtRollout, plannedRollout, rolledBack, sameSplit, stepAt, type RolloutProgress, type SignalSource, type StagedRollout } from '../../rollout/staged';
import { missingVersionMessage } from '../../train/types';
import { ProviderError, type Call, type ReconciledServingCapability, type ReconcileOptions, type Target } from '../contract';
import { armRequest, azureCalls, unlessNotFound, workspaceId, type ArmResponse, type AzureMlClients } from './clients';
import { deleteAzureMlMonitor, dropAzureMlMonitor, monitorScheduleBody, reconcileAzureMlMonitor } from './monitoring';
import { modelVersionId } from './registry';
import { deleteAutoscale, dropAutoscale, reconcileAutoscale } from './scaling';

/**
 * Serving on Azure ML: the serving image as an environment version, the online endpoint, one
 * online deployment per serving version (autoscaled by scaling.ts), the endpoint's `traffic`
 * and `mirrorTraffic`, and last the drift monitor of `serving.monitoring` (monitoring.ts). A staged
 * rollout is walked one look at a time by the advance function below.
 */

export interface AzureMlReconcileOptions extends ReconcileOptions {
  /** Poll interval of the SDK's long-running operations, ms. @default 5000 (or ARM's Retry-After) */
  readonly updateIntervalInMs?: number;
}

export interface AzureMlReconcileResult {
  /** ARM id of the online endpoint (what Azure Monitor metrics are read from). */
  readonly endpointId?: string;
  readonly scoringUri?: string;
  readonly rollout?: StagedRollout;
}

type Traffic = Record<string, number>;
type Lro = { updateIntervalInMs?: number };

/** ARM path of the plan's online endpoint. */
function endpointPath(plan: AzureMlModelPlan): string {
  return `${workspaceId(plan)}/onlineEndpoints/${plan.serving!.endpointName}`;
}

/** The endpoint, read at the newer api-version so mirrorTraffic is visible; undefined when it does not exist. */
function readAzureMlEndpoint(clients: AzureMlClients, plan: AzureMlModelPlan): Promise<ArmResponse | undefined> {
  return unlessNotFound(() => armRequest(clients, 'GET', endpointPath(plan)));
}

/** The names of the endpoint's deployments. */
async function deploymentNames(clients: AzureMlClients, plan: AzureMlModelPlan): Promise<string[]> {
  const names: string[] = [];
  for await (const d of clients.ml.onlineDeployments.list(plan.resourceGroup, plan.workspace, plan.serving!.endpointName)) names.push(d.name!);
  return names;
}

/**
 * Brings the endpoint to the plan with the fewest calls: the serving environment, the online
 * endpoint, one online deployment per serving version, the endpoint's `traffic` /
 * `mirrorTraffic` in one PUT, then the drift monitor (created, updated, or deleted when the plan
 * has none). A second run with the same plan writes nothing; a change that only moves traffic is
 * one endpoint PUT and leaves instance counts alone. A failed run removes what it created.
 * `registered`: the labels the registry holds.
 */
export async function reconcileAzureMlEndpoint(plan: AzureMlModelPlan, target: Target, clients: AzureMlClients, registered: ReadonlySet<string>, options: AzureMlReconcileOptions = {}): Promise<AzureMlReconcileResult> {
  const serving = plan.serving;
  if (!serving) return {};
  const call = azureCalls(target);
  const { ml } = clients;
  const { resourceGroup: rg, workspace: ws } = plan;
  const lro = { updateIntervalInMs: options.updateIntervalInMs };
  // The monitor's schedule is built first: what Azure ML cannot express of the spec stops the run before it writes.
  const monitor = serving.monitoring ? monitorScheduleBody(plan, target) : undefined;

  // The serving image as an environment version named by its content.
  const environmentName = `${plan.modelName}-serving`;
  // Keys in this order keep the version of SageMaker's contract what it was before presets existed.
  const routes = { port: serving.container.port, health: serving.container.healthRoute, scoring: serving.container.predictRoute };
  const environmentVersion = createHash('sha256').update(JSON.stringify([serving.image, routes])).digest('hex').slice(0, 12);
  const environmentId = `${workspaceId(plan)}/environments/${environmentName}/versions/${environmentVersion}`;
  const haveEnvironment = await call('read the serving environment', () => unlessNotFound(() => ml.environmentVersions.get(rg, ws, environmentName, environmentVersion)));
  if (!haveEnvironment) {
    const route = (path: string) => ({ path, port: routes.port });
    await call('register the serving environment', () =>
      ml.environmentVersions.createOrUpdate(rg, ws, environmentName, environmentVersion, {
        properties: {
          image: serving.image,
          osType: 'Linux',
          inferenceConfig: { livenessRoute: route(routes.health), readinessRoute: route(routes.health), scoringRoute: route(routes.scoring) },
          tags: { 'managed-by': 'mlspec' },
          description: `mlspec serving image of ${target.model}`,
        },
      }),
    );
  }

  // The endpoint, read at the newer api-version so mirrorTraffic is visible.
  let live = await call('read the endpoint', () => readAzureMlEndpoint(clients, plan));
  let createdEndpoint = false;
  if (!live) {
    createdEndpoint = true;
    try {
      await call('create the endpoint', () => ml.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, serving.endpointName, endpointBody(plan, {}), lro));
      live = await call('read the endpoint', () => armRequest(clients, 'GET', endpointPath(plan)));
    } catch (e) {
      // A failed create leaves a Failed endpoint behind on Azure.
      await cleanUp(plan, 'endpoint', clients, lro);
      throw e;
    }
  }
  const endpoint = live!.body!;
  const liveTraffic: Traffic = { ...(endpoint.properties?.traffic ?? {}) };
  const liveMirror: Traffic = { ...(endpoint.properties?.mirrorTraffic ?? {}) };

  // Read at the newer api-version too: a deployment's dataCollector is invisible at 2022-10-01.
  const existing = new Map<string, OnlineDeployment>();
  for (const d of await call('list deployments', () => listDeployments(plan, clients))) existing.set(d.name!, d);

  const added = serving.deployments.map((d) => d.name).filter((n) => !existing.has(n));
  const baseline = positive(liveTraffic);
  const rollout = options.staged ? plannedRollout(serving.rollout, baseline, serving.traffic, added, (options.now ?? Date.now)()) : undefined;

  const created: string[] = [];
  try {
    for (const want of serving.deployments) {
      const have = existing.get(want.name);
      if (have && (have.properties as { provisioningState?: string }).provisioningState !== 'Failed') {
        await updateDeployment(plan, want, have, environmentId, clients, call, lro, target);
        continue;
      }
      // A trained label is registered only where the model trains: say so before Azure refuses the deployment.
      if (!registered.has(want.version)) throw new ProviderError(missingVersionMessage('azureml', target, want.version, plan.trainedOn));
      // Counted before the call: a create that fails leaves a Failed deployment to remove.
      if (!have) created.push(want.name);
      await call(`create deployment ${want.name}`, () => putDeployment(plan, want.name, deploymentBody(plan, want, environmentId), clients, lro));
    }

    for (const want of serving.deployments) await reconcileAutoscale(plan, want, clients, call);

    const traffic = rollout ? stepAt(rollout, rollout.startedAt).split : serving.traffic;
    await setTraffic(plan, clients, call, lro, { traffic: liveTraffic, mirror: liveMirror }, { traffic, mirror: serving.mirrorTraffic });
    // Versions leaving keep serving until a staged rollout is done.
    if (!rollout) await deleteUnwanted(plan, [...existing.keys()], clients, call, lro);
    // Last, the monitor: it targets the plan's deployments, which exist by now.
    await reconcileAzureMlMonitor(plan, clients, call, monitor);
  } catch (e) {
    await cleanUp(plan, createdEndpoint ? 'endpoint' : created, clients, lro);
    throw e;
  }
  return { endpointId: endpoint.id, scoringUri: endpoint.properties?.scoringUri, rollout };
}

/**
 * One look at a staged rollout on Azure ML (lib/rollout/staged.ts lookAtRollout), safe to repeat:
 * the new deployments' signals come from Azure Monitor by deployment name; a rollback puts the old
 * traffic back (mirror traffic to the new deployments stops) and deletes the new deployments; the
 * last step deletes the deployments the manifest no longer serves.
 */
export async function advanceAzureMlRollout(
  plan: AzureMlModelPlan,
  target: Target,
  clients: AzureMlClients,
  rollout: StagedRollout,
  signals: SignalSource | undefined,
  options: AzureMlReconcileOptions = {},
): Promise<RolloutProgress> {
  const serving = plan.serving!;
  const call = azureCalls(target);
  const lro = { updateIntervalInMs: options.updateIntervalInMs };
  const live = await call('read the endpoint', () => readAzureMlEndpoint(clients, plan));
  if (!live) throw ProviderError.about('azureml', target, `endpoint ${serving.endpointName} disappeared during the rollout`);
  const current = { traffic: { ...(live.body!.properties?.traffic ?? {}) } as Traffic, mirror: { ...(live.body!.properties?.mirrorTraffic ?? {}) } as Traffic };
  const deployments = await deploymentNames(clients, plan);

  return lookAtRollout(rollout, serving.rollback, signals, 'Azure Monitor', (options.now ?? Date.now)(), {
    watched: rollout.added.filter((n) => deployments.includes(n)),
    setSplit: (split) => setTraffic(plan, clients, call, lro, current, { traffic: split, mirror: serving.mirrorTraffic }),
    retire: () => deleteUnwanted(plan, deployments, clients, call, lro),
    rollBack: async (why) => {
      const baseline = Object.fromEntries(Object.entries(rollout.baseline).filter(([n]) => deployments.includes(n)));
      const mirror = Object.fromEntries(Object.entries(current.mirror).filter(([n]) => !rollout.added.includes(n)));
      await setTraffic(plan, clients, call, lro, current, { traffic: baseline, mirror });
      const remove = deployments.filter((n) => rollout.added.includes(n));
      for (const name of remove) await deleteDeployment(plan, name, clients, call, lro);
      return ProviderError.about('azureml', target, rolledBack(remove, why, baseline));
    },
  });
}

/**
 * Deletes the endpoint with its drift monitor (first, while what it watches is still there), its
 * deployments and their autoscale settings (which live outside the endpoint, in the resource group);
 * what is already gone is success. The registry is kept.
 */
export async function deleteAzureMlEndpoint(plan: AzureMlModelPlan, target: Target, clients: AzureMlClients, options: AzureMlReconcileOptions = {}): Promise<void> {
  const call = azureCalls(target);
  await deleteAzureMlMonitor(plan, clients, call);
  const deployments = await call('list deployments', () => unlessNotFound(() => deploymentNames(clients, plan)));
  if (!deployments) return;
  for (const name of deployments) await deleteAutoscale(plan, name, clients, call);
  await call('delete the endpoint', () => clients.ml.onlineEndpoints.beginDeleteAndWait(plan.resourceGroup, plan.workspace, plan.serving!.endpointName, { updateIntervalInMs: options.updateIntervalInMs }));
}

/** The serving capability of the provider contract (lib/providers/contract.ts). */
export const servingCapability = { reconcile: reconcileAzureMlEndpoint, advanceRollout: advanceAzureMlRollout, deleteEndpoint: deleteAzureMlEndpoint } satisfies ReconciledServingCapability;

function endpointBody(plan: AzureMlModelPlan, traffic: Traffic): OnlineEndpoint {
  return {
    location: plan.region,
    identity: { type: 'SystemAssigned' },
    tags: { 'managed-by': 'mlspec' },
    properties: { authMode: 'Key', description: `mlspec endpoint of ${plan.modelName}`, traffic },
  };
}

/**
 * `dataCapture.percent` as the deployment's payload logging (the reserved `request` and `response`
 * collections, sampled), which exists from api-version 2024-04-01 on.
 */
function dataCollector(plan: AzureMlModelPlan): Record<string, unknown> | undefined {
  const percent = plan.serving?.dataCapturePercent;
  if (!percent) return undefined;
  const collection = { dataCollectionMode: 'Enabled', samplingRate: percent / 100 };
  return { collections: { request: collection, response: collection }, rollingRate: 'Hour' };
}

/** The endpoint's deployments, at 2024-04-01 so their dataCollector shows. */
async function listDeployments(plan: AzureMlModelPlan, clients: AzureMlClients): Promise<OnlineDeployment[]> {
  const out: OnlineDeployment[] = [];
  let path: string | undefined = `${workspaceId(plan)}/onlineEndpoints/${plan.serving!.endpointName}/deployments`;
  while (path) {
    const page = await armRequest(clients, 'GET', path);
    out.push(...((page.body?.value ?? []) as OnlineDeployment[]));
    const next = page.body?.nextLink as string | undefined;
    path = next ? new URL(next).pathname + new URL(next).search.replace(/([?&])api-version=[^&]*&?/, '$1').replace(/[?&]$/, '') : undefined;
  }
  return out;
}

/**
 * A deployment PUT: the SDK's own when the deployment captures nothing; the 2024-04-01 shape, raw,
 * when it carries a dataCollector (or must drop one).
 */
async function putDeployment(plan: AzureMlModelPlan, name: string, body: OnlineDeployment, clients: AzureMlClients, lro: Lro, liveCollects = false): Promise<void> {
  const collector = dataCollector(plan);
  const path = `${workspaceId(plan)}/onlineEndpoints/${plan.serving!.endpointName}/deployments/${name}`;
  if (collector || liveCollects) await armRequest(clients, 'PUT', path, { ...body, properties: { ...body.properties, ...(collector ? { dataCollector: collector } : {}) } });
  else await clients.ml.onlineDeployments.beginCreateOrUpdateAndWait(plan.resourceGroup, plan.workspace, plan.serving!.endpointName, name, body, lro);
}

function deploymentBody(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan, environmentId: string): OnlineDeployment {
  return {
    location: plan.region,
    sku: { name: 'Default', capacity: want.instanceCount },
    tags: { 'managed-by': 'mlspec', 'mlspec:version': want.version },
    properties: {
      endpointComputeType: 'Managed',
      model: modelVersionId(plan, want.version),
      environmentId,
      instanceType: want.instanceType,
      scaleSettings: { scaleType: 'Default' },
      // GPU models load for minutes: liveness waits 10 minutes, readiness polls from the start.
      livenessProbe: { initialDelay: 'PT600S', period: 'PT10S', timeout: 'PT2S', failureThreshold: 30, successThreshold: 1 },
      readinessProbe: { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', failureThreshold: 30, successThreshold: 1 },
      description: `mlspec version ${want.version}`,
      // The server preset's and the spec's variables; absent when there are none, as before presets.
      ...(Object.keys(want.environmentVariables).length > 0 ? { environmentVariables: { ...want.environmentVariables } } : {}),
    } as OnlineDeployment['properties'],
  };
}

/**
 * A deployment that exists: the image (environment) changes by PUT; the instance count by PATCH
 * of `sku.capacity`, unless autoscale owns it; the instance type cannot change on Azure.
 */
async function updateDeployment(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan, have: OnlineDeployment, environmentId: string, clients: AzureMlClients, call: Call, lro: Lro, target: Target): Promise<void> {
  const props = have.properties as { instanceType?: string; environmentId?: string; environmentVariables?: Record<string, string> | null };
  const endpointName = plan.serving!.endpointName;
  if (props.instanceType && props.instanceType !== want.instanceType) {
    throw ProviderError.about('azureml', target, `deployment ${want.name} runs on ${props.instanceType} and the plan asks for ${want.instanceType}; Azure ML cannot change a deployment's instance type: release the model under a new version label, or remove ${want.name} from releases.yaml first`);
  }
  const collector = JSON.stringify((have.properties as { dataCollector?: unknown }).dataCollector ?? null);
  const variables = (v: Record<string, string> | null | undefined) => JSON.stringify(Object.entries(v ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  const envChanged = variables(props.environmentVariables) !== variables(want.environmentVariables);
  if (props.environmentId !== environmentId || envChanged || collector !== JSON.stringify(dataCollector(plan) ?? null)) {
    const body = deploymentBody(plan, want, environmentId);
    // Keep the live instance count: this is an image, variables or data-capture change, not a resize.
    await call(`update deployment ${want.name}`, () => putDeployment(plan, want.name, { ...body, sku: { ...body.sku!, capacity: have.sku?.capacity ?? want.instanceCount } }, clients, lro, collector !== 'null'));
  }
  if (!want.autoscale && (have.sku?.capacity ?? want.instanceCount) !== want.instanceCount) {
    await call(`resize deployment ${want.name}`, () => clients.ml.onlineDeployments.beginUpdateAndWait(plan.resourceGroup, plan.workspace, endpointName, want.name, { sku: { capacity: want.instanceCount } }, lro));
  }
}

/**
 * The endpoint's traffic and mirror traffic in one PUT, only when they differ. Without mirror
 * traffic on either side the SDK's own PUT does it; otherwise the 2024-04-01 shape, raw.
 */
async function setTraffic(plan: AzureMlModelPlan, clients: AzureMlClients, call: Call, lro: Lro, live: { traffic: Traffic; mirror: Traffic }, want: { traffic: Traffic; mirror: Traffic }): Promise<void> {
  const serving = plan.serving!;
  if (sameSplit(live.traffic, want.traffic) && sameSplit(live.mirror, want.mirror)) return;
  const body = endpointBody(plan, positive(want.traffic));
  if (Object.keys(positive(live.mirror)).length === 0 && Object.keys(positive(want.mirror)).length === 0) {
    await call('set the endpoint traffic', () => clients.ml.onlineEndpoints.beginCreateOrUpdateAndWait(plan.resourceGroup, plan.workspace, serving.endpointName, body, lro));
  } else {
    await call('set the endpoint traffic and mirror traffic', () => armRequest(clients, 'PUT', endpointPath(plan), { ...body, properties: { ...body.properties, mirrorTraffic: positive(want.mirror) } }));
  }
  live.traffic = { ...want.traffic };
  live.mirror = { ...want.mirror };
}

/** Deletes the deployments the plan no longer serves (their traffic is already 0). */
async function deleteUnwanted(plan: AzureMlModelPlan, deployments: string[], clients: AzureMlClients, call: Call, lro: Lro): Promise<void> {
  const wanted = new Set(plan.serving!.deployments.map((d) => d.name));
  for (const name of deployments) {
    if (!wanted.has(name)) await deleteDeployment(plan, name, clients, call, lro);
  }
}

/** Deletes a deployment and its autoscale setting (which lives outside the endpoint). */
async function deleteDeployment(plan: AzureMlModelPlan, name: string, clients: AzureMlClients, call: Call, lro: Lro): Promise<void> {
  await deleteAutoscale(plan, name, clients, call);
  await call(`delete deployment ${name}`, () => clients.ml.onlineDeployments.beginDeleteAndWait(plan.resourceGroup, plan.workspace, plan.serving!.endpointName, name, lro));
}

/** No orphans: remove what this run created (the endpoint, or the deployments), best effort. */
async function cleanUp(plan: AzureMlModelPlan, created: 'endpoint' | string[], clients: AzureMlClients, lro: Lro): Promise<void> {
  const { resourceGroup: rg, workspace: ws } = plan;
  const endpointName = plan.serving!.endpointName;
  const names = created === 'endpoint' ? plan.serving!.deployments.map((d) => d.name) : [...created].reverse();
  try {
    // A first deploy that failed at its monitor leaves that schedule (Failed) beside the endpoint it watched.
    if (created === 'endpoint') await dropAzureMlMonitor(plan, clients);
    for (const name of names) await dropAutoscale(plan, name, clients);
    if (created === 'endpoint') await clients.ml.onlineEndpoints.beginDeleteAndWait(rg, ws, endpointName, lro);
    else for (const name of names) await clients.ml.onlineDeployments.beginDeleteAndWait(rg, ws, endpointName, name, lro);
  } catch {
    // Reported with the original failure; the next run retries the cleanup.
  }
}

function positive(split: Traffic): Traffic {
  return Object.fromEntries(Object.entries(split).filter(([, v]) => v > 0));
}

