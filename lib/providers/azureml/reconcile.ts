import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';
import { missingVersionMessage } from '../../train/types';
import { createHash } from 'node:crypto';
import type { AzureMlDeploymentPlan, AzureMlModelPlan } from '../../plan/types';
import { describeSplit, rollbackReason, needsStagedRollout, sameSplit, stepAt, type SignalSource, type StagedRollout } from '../../rollout/staged';
import { armRequest, type AzureMlClients } from './clients';
import { isWorkspaceDatastoreUri, workspaceUriInRegistry } from '../../spec/azure-uris';

/** Who is being reconciled, for error messages. */
export interface AzureMlTarget {
  readonly model: string;
  readonly environment: string;
}

export interface AzureMlReconcileOptions {
  /** Poll interval of the SDK's long-running operations, ms. @default 5000 (or ARM's Retry-After) */
  readonly updateIntervalInMs?: number;
  /** Stage a change that adds serving versions (see lib/rollout/staged.ts). */
  readonly staged?: boolean;
  /** The clock, ms since the epoch (tests move it). */
  readonly now?: () => number;
}

export interface AzureMlReconcileResult {
  /** ARM id of the online endpoint (what Azure Monitor metrics are read from). */
  readonly endpointId?: string;
  readonly scoringUri?: string;
  readonly rollout?: StagedRollout;
}

/** A failure named in the user's terms: model, environment and Azure's own message. */
export class AzureMlError extends Error {}


type Traffic = Record<string, number>;

/**
 * Brings Azure ML to the plan with the fewest calls: model versions in the workspace or registry
 * (never deleted), the serving environment, the online endpoint, one online deployment per serving
 * version, and the endpoint's `traffic` / `mirrorTraffic` in one PUT. A second run with the same
 * plan writes nothing; a change that only moves traffic is one endpoint PUT and leaves instance
 * counts alone. A failed run removes what it created.
 */
export async function reconcileAzureMl(plan: AzureMlModelPlan, target: AzureMlTarget, clients: AzureMlClients, options: AzureMlReconcileOptions = {}): Promise<AzureMlReconcileResult> {
  const call = <T>(what: string, fn: () => Promise<T>) => named(what, fn, target);
  const { ml } = clients;
  const { resourceGroup: rg, workspace: ws } = plan;
  const lro = { updateIntervalInMs: options.updateIntervalInMs };

  const registered = await registerVersions(plan, clients, call, target);
  const serving = plan.serving;
  if (!serving) return {};

  // The serving image as an environment version named by its content.
  const environmentName = `${plan.modelName}-serving`;
  // Keys in this order keep the version of SageMaker's contract what it was before presets existed.
  const routes = { port: serving.container.port, health: serving.container.healthRoute, scoring: serving.container.predictRoute };
  const environmentVersion = createHash('sha256').update(JSON.stringify([serving.image, routes])).digest('hex').slice(0, 12);
  const environmentId = `${workspaceId(plan)}/environments/${environmentName}/versions/${environmentVersion}`;
  const haveEnvironment = await call('read the serving environment', () => exists(() => ml.environmentVersions.get(rg, ws, environmentName, environmentVersion)));
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
  const endpointPath = `${workspaceId(plan)}/onlineEndpoints/${serving.endpointName}`;
  let live = await call('read the endpoint', () => getOrUndefined(() => armRequest(clients, 'GET', endpointPath)));
  let createdEndpoint = false;
  if (!live) {
    createdEndpoint = true;
    try {
      await call('create the endpoint', () => ml.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, serving.endpointName, endpointBody(plan, {}), lro));
      live = await call('read the endpoint', () => armRequest(clients, 'GET', endpointPath));
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
  const rollout: StagedRollout | undefined =
    options.staged && needsStagedRollout(serving.rollout, baseline, serving.traffic, added)
      ? { startedAt: (options.now ?? Date.now)(), baseline, final: { ...serving.traffic }, added, steps: serving.rollout.steps }
      : undefined;

  const created: string[] = [];
  try {
    for (const want of serving.deployments) {
      const have = existing.get(want.name);
      if (have && (have.properties as { provisioningState?: string }).provisioningState !== 'Failed') {
        await updateDeployment(plan, want, have, environmentId, clients, call, lro, target);
        continue;
      }
      // A trained label is registered only where the model trains: say so before Azure refuses the deployment.
      if (!registered.has(want.version)) throw new AzureMlError(missingVersionMessage('azureml', target, want.version, plan.trainedOn));
      // Counted before the call: a create that fails leaves a Failed deployment to remove.
      if (!have) created.push(want.name);
      await call(`create deployment ${want.name}`, () => putDeployment(plan, want.name, deploymentBody(plan, want, environmentId), clients, lro));
    }

    for (const want of serving.deployments) await reconcileAutoscale(plan, want, clients, call);

    const traffic = rollout ? stepAt(rollout, rollout.startedAt).split : serving.traffic;
    await setTraffic(plan, clients, call, lro, { traffic: liveTraffic, mirror: liveMirror }, { traffic, mirror: serving.mirrorTraffic });
    // Versions leaving keep serving until a staged rollout is done.
    if (!rollout) await deleteUnwanted(plan, [...existing.keys()], clients, call, lro);
  } catch (e) {
    await cleanUp(plan, createdEndpoint ? 'endpoint' : created, clients, lro);
    throw e;
  }
  return { endpointId: endpoint.id, scoringUri: endpoint.properties?.scoringUri, rollout };
}

export interface AzureRolloutProgress {
  readonly done: boolean;
  readonly split: Traffic;
  readonly step: number;
}

/**
 * One look at a staged rollout, safe to repeat: rolls back when the new deployments cross the
 * spec's `rollback` thresholds in Azure Monitor (traffic back, the new deployments deleted, an
 * error that says why), else sets the step the clock is at, and at the last step deletes the
 * deployments the manifest no longer serves.
 */
export async function advanceAzureMlRollout(
  plan: AzureMlModelPlan,
  target: AzureMlTarget,
  clients: AzureMlClients,
  rollout: StagedRollout,
  signals: SignalSource | undefined,
  options: AzureMlReconcileOptions = {},
): Promise<AzureRolloutProgress> {
  const serving = plan.serving!;
  const call = <T>(what: string, fn: () => Promise<T>) => named(what, fn, target);
  const lro = { updateIntervalInMs: options.updateIntervalInMs };
  const now = (options.now ?? Date.now)();
  const endpointPath = `${workspaceId(plan)}/onlineEndpoints/${serving.endpointName}`;
  const live = await call('read the endpoint', () => getOrUndefined(() => armRequest(clients, 'GET', endpointPath)));
  if (!live) throw new AzureMlError(`azureml: ${target.model} in ${target.environment}: endpoint ${serving.endpointName} disappeared during the rollout`);
  const current = { traffic: { ...(live.body!.properties?.traffic ?? {}) } as Traffic, mirror: { ...(live.body!.properties?.mirrorTraffic ?? {}) } as Traffic };
  const deployments: string[] = [];
  for await (const d of clients.ml.onlineDeployments.list(plan.resourceGroup, plan.workspace, serving.endpointName)) deployments.push(d.name!);

  const rollBack = async (why: string): Promise<AzureMlError> => {
    const baseline = Object.fromEntries(Object.entries(rollout.baseline).filter(([n]) => deployments.includes(n)));
    const mirror = Object.fromEntries(Object.entries(current.mirror).filter(([n]) => !rollout.added.includes(n)));
    await setTraffic(plan, clients, call, lro, current, { traffic: baseline, mirror });
    const remove = deployments.filter((n) => rollout.added.includes(n));
    for (const name of remove) {
      await deleteAutoscale(plan, name, clients, call);
      await call(`delete deployment ${name}`, () => clients.ml.onlineDeployments.beginDeleteAndWait(plan.resourceGroup, plan.workspace, serving.endpointName, name, lro));
    }
    return new AzureMlError(`azureml: ${target.model} in ${target.environment}: rolled back ${remove.join(', ') || 'the new versions'}: ${why}; traffic is back at ${describeSplit(baseline)}`);
  };

  const why = await rollbackReason(serving.rollback, signals, rollout.added.filter((n) => deployments.includes(n)), rollout, now, 'Azure Monitor');
  if (why) throw await rollBack(why);

  const step = stepAt(rollout, now);
  await setTraffic(plan, clients, call, lro, current, { traffic: step.split, mirror: serving.mirrorTraffic });
  if (step.done) await deleteUnwanted(plan, deployments, clients, call, lro);
  return { done: step.done, split: step.split, step: step.index };
}

// ------------------------------------------------------------------ pieces

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;
type Lro = { updateIntervalInMs?: number };

export function workspaceId(plan: AzureMlModelPlan): string {
  return `/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${plan.workspace}`;
}

function registryId(plan: AzureMlModelPlan): string {
  return `/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${plan.registry}`;
}

/** The model version a deployment serves: a workspace ARM id, or a registry asset id. */
export function modelVersionId(plan: AzureMlModelPlan, label: string): string {
  return plan.registry ? `azureml://registries/${plan.registry}/models/${plan.modelName}/versions/${label}` : `${workspaceId(plan)}/models/${plan.modelName}/versions/${label}`;
}

/** Declared versions with an artifact become model versions `<label>`, tagged with their metrics; never deleted. */
async function registerVersions(plan: AzureMlModelPlan, clients: AzureMlClients, call: Call, target: AzureMlTarget): Promise<Set<string>> {
  const declared = plan.versions.filter((v) => v.path !== undefined);
  const body = (v: (typeof declared)[number]) => ({ properties: { modelUri: v.path!, modelType: 'custom_model', tags: v.tags, description: `mlspec version ${v.label}` } });
  if (plan.registry) {
    // A registry has no datastores: a workspace-relative azureml://datastores/... path cannot be registered there.
    const relative = declared.find((v) => isWorkspaceDatastoreUri(v.path!));
    if (relative) throw new AzureMlError(`azureml: ${target.model} in ${target.environment}: version ${relative.label}: ${workspaceUriInRegistry(relative.path!, plan.registry, target.environment)}`);
    // Registries are not in the 2022-10-01 SDK: raw 2024-04-01 calls through its pipeline.
    const base = `${registryId(plan)}/models/${plan.modelName}/versions`;
    const listed = await call('list registry model versions', () => getOrUndefined(() => armRequest(clients, 'GET', base)));
    const have = new Set<string>(((listed?.body?.value ?? []) as { name: string }[]).map((v) => v.name));
    for (const v of declared) {
      if (!have.has(v.label)) await call(`register version ${v.label} in registry ${plan.registry}`, () => armRequest(clients, 'PUT', `${base}/${v.label}`, body(v)));
    }
    return new Set([...have, ...declared.map((v) => v.label)]);
  }
  const { ml } = clients;
  const container = await call('read the model', () => exists(() => ml.modelContainers.get(plan.resourceGroup, plan.workspace, plan.modelName)));
  const have = new Set<string>();
  if (container) {
    for await (const v of ml.modelVersions.list(plan.resourceGroup, plan.workspace, plan.modelName)) have.add(v.name!);
  } else if (declared.length > 0) {
    await call('create the model', () => ml.modelContainers.createOrUpdate(plan.resourceGroup, plan.workspace, plan.modelName, { properties: { description: 'mlspec model', tags: { 'managed-by': 'mlspec' } } }));
  }
  for (const v of declared) {
    if (!have.has(v.label)) await call(`register version ${v.label}`, () => ml.modelVersions.createOrUpdate(plan.resourceGroup, plan.workspace, plan.modelName, v.label, body(v)));
  }
  return new Set([...have, ...declared.map((v) => v.label)]);
}

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
async function updateDeployment(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan, have: OnlineDeployment, environmentId: string, clients: AzureMlClients, call: Call, lro: Lro, target: AzureMlTarget): Promise<void> {
  const props = have.properties as { instanceType?: string; environmentId?: string; environmentVariables?: Record<string, string> | null };
  const endpointName = plan.serving!.endpointName;
  if (props.instanceType && props.instanceType !== want.instanceType) {
    throw new AzureMlError(`azureml: ${target.model} in ${target.environment}: deployment ${want.name} runs on ${props.instanceType} and the plan asks for ${want.instanceType}; Azure ML cannot change a deployment's instance type: release the model under a new version label, or remove ${want.name} from releases.yaml first`);
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
    const path = `${workspaceId(plan)}/onlineEndpoints/${serving.endpointName}`;
    await call('set the endpoint traffic and mirror traffic', () => armRequest(clients, 'PUT', path, { ...body, properties: { ...body.properties, mirrorTraffic: positive(want.mirror) } }));
  }
  live.traffic = { ...want.traffic };
  live.mirror = { ...want.mirror };
}

/** Deletes the deployments the plan no longer serves (their traffic is already 0). */
async function deleteUnwanted(plan: AzureMlModelPlan, deployments: string[], clients: AzureMlClients, call: Call, lro: Lro): Promise<void> {
  const wanted = new Set(plan.serving!.deployments.map((d) => d.name));
  for (const name of deployments) {
    if (wanted.has(name)) continue;
    await deleteAutoscale(plan, name, clients, call);
    await call(`delete deployment ${name}`, () => clients.ml.onlineDeployments.beginDeleteAndWait(plan.resourceGroup, plan.workspace, plan.serving!.endpointName, name, lro));
  }
}

/**
 * Deletes the endpoint with its deployments and their autoscale settings (which live outside the
 * endpoint, in the resource group); what is already gone is success.
 */
export async function deleteAzureMlEndpoint(plan: AzureMlModelPlan, target: AzureMlTarget, clients: AzureMlClients, options: AzureMlReconcileOptions = {}): Promise<void> {
  const call = <T>(what: string, fn: () => Promise<T>) => named(what, fn, target);
  const serving = plan.serving!;
  const deployments: string[] = [];
  try {
    for await (const d of clients.ml.onlineDeployments.list(plan.resourceGroup, plan.workspace, serving.endpointName)) deployments.push(d.name!);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return;
    throw new AzureMlError(`azureml: ${target.model} in ${target.environment}: list deployments failed: ${azureMessage(e)}`);
  }
  for (const name of deployments) await deleteAutoscale(plan, name, clients, call);
  await call('delete the endpoint', () => clients.ml.onlineEndpoints.beginDeleteAndWait(plan.resourceGroup, plan.workspace, serving.endpointName, { updateIntervalInMs: options.updateIntervalInMs }));
}

// ------------------------------------------------------------------ autoscale (Azure Monitor)

/** Autoscale settings are Azure Monitor resources (Microsoft.Insights), at their own api-version. */
const AUTOSCALE_API_VERSION = '2022-10-01';

/** One autoscale setting per deployment, in the workspace's resource group. */
export function autoscaleSettingName(plan: AzureMlModelPlan, deployment: string): string {
  return `${plan.serving!.endpointName}-${deployment}-autoscale`;
}

function autoscalePath(plan: AzureMlModelPlan, deployment: string): string {
  return `/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.Insights/autoscalesettings/${autoscaleSettingName(plan, deployment)}`;
}

/**
 * The Azure Monitor autoscale setting of a deployment: capacity from replicas, a scale-out rule
 * above the target and a scale-in rule below half of it (hysteresis), five-minute windows.
 * Requests per minute are an endpoint metric split by deployment; GPU utilisation is the deployment's own.
 */
export function autoscaleSetting(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan): Record<string, unknown> {
  const autoscale = want.autoscale!;
  const endpointId = `${workspaceId(plan)}/onlineEndpoints/${plan.serving!.endpointName}`;
  const deploymentId = `${endpointId}/deployments/${want.name}`;
  const perDeployment = autoscale.metricName === 'RequestsPerMinute';
  const trigger = (operator: 'GreaterThan' | 'LessThan', threshold: number) => ({
    metricName: autoscale.metricName,
    metricResourceUri: perDeployment ? endpointId : deploymentId,
    timeGrain: 'PT1M',
    statistic: 'Average',
    timeWindow: 'PT5M',
    timeAggregation: 'Average',
    operator,
    threshold,
    dividePerInstance: autoscale.dividePerInstance,
    ...(perDeployment ? { dimensions: [{ DimensionName: 'deployment', Operator: 'Equals', Values: [want.name] }] } : {}),
  });
  const action = (direction: 'Increase' | 'Decrease') => ({ direction, type: 'ChangeCount', value: '1', cooldown: 'PT5M' });
  return {
    location: plan.region,
    tags: { 'managed-by': 'mlspec' },
    properties: {
      name: autoscaleSettingName(plan, want.name),
      enabled: true,
      targetResourceUri: deploymentId,
      profiles: [
        {
          name: 'mlspec',
          capacity: { minimum: String(want.instanceCount), maximum: String(want.maxInstances), default: String(want.instanceCount) },
          rules: [
            { metricTrigger: trigger('GreaterThan', autoscale.target), scaleAction: action('Increase') },
            { metricTrigger: trigger('LessThan', autoscale.target / 2), scaleAction: action('Decrease') },
          ],
        },
      ],
    },
  };
}

/** Creates, updates (only when it differs) or deletes the deployment's autoscale setting. */
async function reconcileAutoscale(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan, clients: AzureMlClients, call: Call): Promise<void> {
  const path = autoscalePath(plan, want.name);
  const live = await call(`read the autoscale setting of ${want.name}`, () => getOrUndefined(() => armRequest(clients, 'GET', path, undefined, AUTOSCALE_API_VERSION)));
  if (!want.autoscale) {
    if (live) await call(`delete the autoscale setting of ${want.name}`, () => armRequest(clients, 'DELETE', path, undefined, AUTOSCALE_API_VERSION));
    return;
  }
  const desired = autoscaleSetting(plan, want) as { properties: Record<string, unknown> };
  const have = live?.body?.properties as Record<string, unknown> | undefined;
  const same = have && JSON.stringify([have.enabled, have.targetResourceUri, have.profiles]) === JSON.stringify([desired.properties.enabled, desired.properties.targetResourceUri, desired.properties.profiles]);
  if (!same) await call(`set the autoscale setting of ${want.name}`, () => armRequest(clients, 'PUT', path, desired, AUTOSCALE_API_VERSION));
}

async function deleteAutoscale(plan: AzureMlModelPlan, deployment: string, clients: AzureMlClients, call: Call): Promise<void> {
  const path = autoscalePath(plan, deployment);
  const live = await call(`read the autoscale setting of ${deployment}`, () => getOrUndefined(() => armRequest(clients, 'GET', path, undefined, AUTOSCALE_API_VERSION)));
  if (live) await call(`delete the autoscale setting of ${deployment}`, () => armRequest(clients, 'DELETE', path, undefined, AUTOSCALE_API_VERSION));
}

/** No orphans: remove what this run created (the endpoint, or the deployments), best effort. */
async function cleanUp(plan: AzureMlModelPlan, created: 'endpoint' | string[], clients: AzureMlClients, lro: Lro): Promise<void> {
  const { resourceGroup: rg, workspace: ws } = plan;
  const endpointName = plan.serving!.endpointName;
  const names = created === 'endpoint' ? plan.serving!.deployments.map((d) => d.name) : [...created].reverse();
  try {
    for (const name of names) await getOrUndefined(() => armRequest(clients, 'DELETE', autoscalePath(plan, name), undefined, AUTOSCALE_API_VERSION));
    if (created === 'endpoint') await clients.ml.onlineEndpoints.beginDeleteAndWait(rg, ws, endpointName, lro);
    else for (const name of names) await clients.ml.onlineDeployments.beginDeleteAndWait(rg, ws, endpointName, name, lro);
  } catch {
    // Reported with the original failure; the next run retries the cleanup.
  }
}

function positive(split: Traffic): Traffic {
  return Object.fromEntries(Object.entries(split).filter(([, v]) => v > 0));
}

/** true when the resource exists, false on 404. */
async function exists(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number; status?: number }).statusCode === 404 || (e as { status?: number }).status === 404) return false;
    throw e;
  }
}

async function getOrUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if ((e as { status?: number }).status === 404 || (e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Wraps Azure's error in the user's terms; the pipeline has already retried 429 and 5xx. */
async function named<T>(what: string, fn: () => Promise<T>, target: AzureMlTarget): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AzureMlError) throw e;
    throw new AzureMlError(`azureml: ${target.model} in ${target.environment}: ${what} failed: ${azureMessage(e)}`);
  }
}

/** Azure's own words from a RestError (its body's error.message) or an LRO failure. */
function azureMessage(e: unknown): string {
  const err = e as { message?: string; code?: string; details?: { error?: { code?: string; message?: string } } };
  const inner = err.details?.error;
  if (inner?.message) return `${inner.code ? inner.code + ': ' : ''}${inner.message}`;
  return err.message ?? String(e);
}
