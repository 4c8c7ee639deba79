import type { protos } from '@google-cloud/aiplatform';
import type { VertexDeployedModelPlan, VertexModelPlan } from '../../plan/types';
import { lookAtRollout, plannedRollout, rolledBack, sameSplit, stepAt, type RolloutProgress, type SignalSource, type StagedRollout } from '../../rollout/staged';
import { missingVersionMessage } from '../../train/types';
import { ProviderError, type Call, type ReconciledServingCapability, type ReconcileOptions, type Target } from '../contract';
import { finish, vertexCalls, vertexParent, type VertexCallOptions, type VertexClients } from './clients';
import { deleteVertexMonitoring, syncVertexMonitoring, VertexMonitor, type MonitoringWait } from './monitoring';
import type { VertexRegistered } from './registry';

type IEndpoint = protos.google.cloud.aiplatform.v1.IEndpoint;
type IDeployedModel = protos.google.cloud.aiplatform.v1.IDeployedModel;

/**
 * Serving on Vertex AI: the endpoint (by display name), one deployed model per serving version,
 * the traffic split by deployed-model id, data capture as request-response logging. Autoscaling is
 * part of each deployed model. A staged rollout is walked one look at a time by the advance function below.
 * The drift monitor (serving.monitoring) is the endpoint's ModelDeploymentMonitoringJob (monitoring.ts),
 * brought to the plan last, once the endpoint serves.
 */

export interface VertexReconcileOptions extends ReconcileOptions, VertexCallOptions {
  /**
   * How long an update waits for a monitoring job that is not running yet. @default 30 looks, 10 s
   * apart, in a reconcile (onEvent runs up to 15 minutes); 6 looks in a rollout's last step (isComplete runs up to 5)
   */
  readonly monitoringWait?: MonitoringWait;
}

export interface VertexReconcileResult {
  readonly modelName?: string;
  readonly endpointName?: string;
  /** Deployed-model id per deployed model display name, after the run. */
  readonly deployedModelIds: Record<string, string>;
  /** Set when the change is being staged: the rollout to advance until it is done. */
  readonly rollout?: StagedRollout;
  /** The endpoint's monitoring job, when the plan monitors. */
  readonly monitoringJob?: string;
}

/** The endpoints with the plan's display name (one, unless made outside mlspec). */
export async function listVertexEndpoints(clients: VertexClients, plan: VertexModelPlan): Promise<IEndpoint[]> {
  const [endpoints] = await clients.endpoints.listEndpoints({ parent: vertexParent(plan), filter: `display_name="${plan.serving!.endpointDisplayName}"` }, { autoPaginate: false });
  return endpoints as IEndpoint[];
}

/** The plan's endpoint (the first of its display name), or undefined. */
export async function findVertexEndpoint(clients: VertexClients, plan: VertexModelPlan): Promise<IEndpoint | undefined> {
  return (await listVertexEndpoints(clients, plan))[0];
}

/**
 * Brings the endpoint to the plan with the fewest calls: the endpoint, deployed models and the
 * traffic split. A second run with the same plan writes nothing; a change that only moves traffic
 * is one updateEndpoint. A failed run undeploys what it deployed.
 */
export async function reconcileVertexEndpoint(plan: VertexModelPlan, target: Target, clients: VertexClients, registered: VertexRegistered, options: VertexReconcileOptions = {}): Promise<VertexReconcileResult> {
  const serving = plan.serving;
  if (!serving) return { modelName: registered.modelName, deployedModelIds: {} };
  const call = vertexCalls(target, options);
  VertexMonitor.check(plan, target);

  const found = await call('list endpoints', () => findVertexEndpoint(clients, plan));
  let endpoint: IEndpoint;
  if (found) endpoint = found;
  else {
    const [op] = await call('create endpoint', () =>
      clients.endpoints.createEndpoint({ parent: vertexParent(plan), endpoint: { displayName: serving.endpointDisplayName, labels: { 'managed-by': 'mlspec' }, predictRequestResponseLoggingConfig: captureConfig(plan) } }),
    );
    [endpoint] = (await finish(op, 'create endpoint', target)) as [IEndpoint];
  }
  // The monitor first: a job the plan dropped goes before the endpoint's logging changes (Vertex locks the logging while a job is on it),
  // and an endpoint holding someone else's job is refused before anything changes.
  const monitor = await VertexMonitor.open(plan, target, clients, found, call);
  try {
    return await reconcileServing(plan, target, clients, registered, options, call, endpoint, monitor);
  } finally {
    await monitor.close();
  }
}

async function reconcileServing(
  plan: VertexModelPlan,
  target: Target,
  clients: VertexClients,
  registered: VertexRegistered,
  options: VertexReconcileOptions,
  call: Call,
  live: IEndpoint,
  monitor: VertexMonitor,
): Promise<VertexReconcileResult> {
  const { modelName, aliases } = registered;
  const serving = plan.serving!;
  let endpoint = live;
  const endpointName = endpoint.name!;
  // Data capture is request-response logging to BigQuery; a changed share is one endpoint update. While a monitoring job is on
  // the endpoint Vertex refuses any change of it, and the job's own sampling rate carries the share (monitoring.ts).
  const capture = endpoint.predictRequestResponseLoggingConfig;
  const wantCapture = captureConfig(plan);
  if (!monitor.locksLogging && (Boolean(capture?.enabled) !== Boolean(wantCapture) || (wantCapture && Number(capture?.samplingRate ?? 0) !== wantCapture.samplingRate))) {
    const config = wantCapture ?? { ...capture, enabled: false };
    await call('update data capture', () =>
      clients.endpoints.updateEndpoint({ endpoint: { name: endpointName, predictRequestResponseLoggingConfig: config }, updateMask: { paths: ['predict_request_response_logging_config'] } }),
    );
  }
  const deployed = new Map<string, IDeployedModel>((endpoint.deployedModels ?? []).map((d) => [d.displayName!, d]));
  const ids: Record<string, string> = Object.fromEntries([...deployed].map(([n, d]) => [n, d.id!]));
  const created: string[] = [];
  const baseline = byName(currentSplit(endpoint), ids);
  const added = serving.deployedModels.map((d) => d.displayName).filter((n) => !deployed.has(n));
  const rollout = options.staged ? plannedRollout(serving.rollout, baseline, serving.trafficSplit, added, (options.now ?? Date.now)()) : undefined;

  // Every label to deploy must be in the registry: checked before anything is deployed.
  for (const want of serving.deployedModels) {
    if (!deployed.has(want.displayName) && !aliases.has(want.versionAlias)) throw new ProviderError(missingVersionMessage('vertex', target, want.version, plan.trainedOn));
  }

  try {
    // Deploy what is missing at 0 % (100 % when it is the first): the split is set once below.
    // A version whose machine changed is deployed again beside the old one, which leaves once the split moved:
    // Vertex cannot change a deployed model's machine in place.
    const replaced: Record<string, string> = {};
    for (const want of serving.deployedModels) {
      const have = deployed.get(want.displayName);
      if (have && sameMachine(have, want)) continue;
      const first = Object.keys(ids).length === 0;
      const [op] = await call(`deploy ${want.displayName}`, () =>
        clients.endpoints.deployModel({
          endpoint: endpointName,
          deployedModel: {
            model: `${modelName}@${want.versionAlias}`,
            displayName: want.displayName,
            dedicatedResources: {
              machineSpec: { machineType: want.machineType, acceleratorType: want.acceleratorType as never, acceleratorCount: want.acceleratorType ? want.acceleratorCount : undefined },
              minReplicaCount: want.minReplicaCount,
              maxReplicaCount: want.maxReplicaCount,
              autoscalingMetricSpecs: want.autoscalingMetricSpecs,
            },
          },
          trafficSplit: first ? { '0': 100 } : { ...currentSplit(endpoint), '0': 0 },
        }),
      );
      const [response] = await finish(op, `deploy ${want.displayName}`, target);
      const id = (response as { deployedModel?: IDeployedModel }).deployedModel?.id;
      if (!id) throw ProviderError.about('vertex', target, `deploying ${want.displayName} returned no deployed model id`);
      if (have) replaced[want.displayName] = have.id!;
      ids[want.displayName] = id;
      created.push(id);
      endpoint = { ...endpoint, trafficSplit: first ? { [id]: 100 } : { ...currentSplit(endpoint), [id]: 0 } };
    }

    // Replicas and autoscaling of versions already deployed change in place, not by redeploying.
    for (const want of serving.deployedModels) {
      const have = deployed.get(want.displayName)?.dedicatedResources;
      if (!have || replaced[want.displayName]) continue;
      const paths: string[] = [];
      if (Number(have.minReplicaCount ?? 0) !== want.minReplicaCount) paths.push('dedicated_resources.min_replica_count');
      if (Number(have.maxReplicaCount ?? 0) !== want.maxReplicaCount) paths.push('dedicated_resources.max_replica_count');
      const specs = (have.autoscalingMetricSpecs ?? []).map((m) => ({ metricName: m.metricName, target: Number(m.target ?? 0) }));
      if (JSON.stringify(specs) !== JSON.stringify(want.autoscalingMetricSpecs)) paths.push('dedicated_resources.autoscaling_metric_specs');
      if (paths.length === 0) continue;
      const [op] = await call(`resize ${want.displayName}`, () =>
        clients.endpoints.mutateDeployedModel({
          endpoint: endpointName,
          deployedModel: {
            id: ids[want.displayName],
            model: deployed.get(want.displayName)!.model,
            dedicatedResources: { ...have, minReplicaCount: want.minReplicaCount, maxReplicaCount: want.maxReplicaCount, autoscalingMetricSpecs: want.autoscalingMetricSpecs },
          },
          updateMask: { paths },
        }),
      );
      await finish(op, `resize ${want.displayName}`, target);
    }

    // The split (the first step's when staged), in one write, only when it differs.
    const split = rollout ? stepAt(rollout, rollout.startedAt).split : serving.trafficSplit;
    const desired = await setVertexSplit(clients, endpointName, split, ids, call);
    for (const [name, oldId] of Object.entries(replaced)) {
      const [op] = await call(`undeploy the old ${name}`, () => clients.endpoints.undeployModel({ endpoint: endpointName, deployedModelId: oldId, trafficSplit: desired }));
      await finish(op, `undeploy the old ${name}`, target);
    }
    // Versions leaving the endpoint keep serving until a staged rollout is done.
    if (!rollout) await undeployUnwanted(clients, serving.deployedModels.map((d) => d.displayName), endpointName, ids, desired, call, target);
  } catch (e) {
    // No orphans: take back what this run deployed before reporting the failure.
    for (const id of created.reverse()) {
      try {
        const [op] = await clients.endpoints.undeployModel({ endpoint: endpointName, deployedModelId: id });
        await op.promise();
      } catch {
        // Reported below with the original failure; the next run retries the cleanup.
      }
    }
    throw e;
  }
  // The drift monitor, once the endpoint serves: one objective config per deployed model (old and new, while a rollout walks).
  const monitoringJob = await monitor.reconcile(endpointName, ids, options.monitoringWait);
  return { modelName, endpointName, deployedModelIds: ids, rollout, ...(monitoringJob ? { monitoringJob } : {}) };
}

/**
 * One look at a staged rollout on Vertex AI (lib/rollout/staged.ts lookAtRollout), safe to repeat:
 * the new deployed models' signals come from Cloud Monitoring by deployed-model id; a rollback
 * puts the old split back and undeploys the new versions; the last step undeploys the versions
 * the manifest no longer serves.
 */
export async function advanceVertexRollout(
  plan: VertexModelPlan,
  target: Target,
  clients: VertexClients,
  rollout: StagedRollout,
  signals: SignalSource | undefined,
  options: VertexReconcileOptions = {},
): Promise<RolloutProgress> {
  const serving = plan.serving!;
  const call = vertexCalls(target, options);
  const endpoint = await call('list endpoints', () => findVertexEndpoint(clients, plan));
  if (!endpoint) throw ProviderError.about('vertex', target, `endpoint ${serving.endpointDisplayName} disappeared during the rollout`);
  const endpointName = endpoint.name!;
  const ids: Record<string, string> = Object.fromEntries((endpoint.deployedModels ?? []).map((d) => [d.displayName!, d.id!]));
  const wanted = serving.deployedModels.map((d) => d.displayName);
  let desired: Record<string, number> = {};
  const monitoringWait = options.monitoringWait ?? { polls: 6 };

  return lookAtRollout(rollout, serving.rollback, signals, 'Cloud Monitoring', (options.now ?? Date.now)(), {
    watched: rollout.added.filter((n) => ids[n] !== undefined).map((n) => ids[n]),
    setSplit: async (split) => {
      desired = await setVertexSplit(clients, endpointName, split, ids, call);
    },
    retire: async () => {
      await undeployUnwanted(clients, wanted, endpointName, ids, desired, call, target);
      // The monitor follows the deployed models: the versions that left lose their objective configs.
      await syncVertexMonitoring(plan, target, clients, endpoint, ids, call, monitoringWait);
    },
    rollBack: async (why) => {
      const baseline = Object.fromEntries(Object.entries(rollout.baseline).filter(([n]) => ids[n] !== undefined));
      const split = await setVertexSplit(clients, endpointName, baseline, ids, call);
      const remove = Object.keys(ids).filter((n) => rollout.added.includes(n));
      await undeployUnwanted(clients, Object.keys(ids).filter((n) => !remove.includes(n)), endpointName, ids, split, call, target);
      try {
        await syncVertexMonitoring(plan, target, clients, endpoint, ids, call, monitoringWait);
      } catch {
        // The rollback's reason is the failure to report; CloudFormation's rollback deploy reconciles the monitor again.
      }
      return ProviderError.about('vertex', target, rolledBack(remove, why, baseline));
    },
  });
}

/**
 * Deletes the endpoint's monitoring job, undeploys every model of the endpoint, then deletes it;
 * what is already gone is success. The registry is kept.
 */
export async function deleteVertexEndpoint(plan: VertexModelPlan, target: Target, clients: VertexClients, options: VertexCallOptions = {}): Promise<void> {
  const call = vertexCalls(target, options);
  for (const endpoint of await call('list endpoints', () => listVertexEndpoints(clients, plan))) {
    // The job monitors this endpoint only, and goes first (it also locks the endpoint's logging).
    await deleteVertexMonitoring(clients, endpoint, call, target);
    for (const d of endpoint.deployedModels ?? []) {
      const [op] = await call(`undeploy ${d.displayName}`, () => clients.endpoints.undeployModel({ endpoint: endpoint.name!, deployedModelId: d.id! }));
      await finish(op, `undeploy ${d.displayName}`, target);
    }
    const [op] = await call('delete endpoint', () => clients.endpoints.deleteEndpoint({ name: endpoint.name! }));
    await finish(op, 'delete endpoint', target);
  }
}

/** The serving capability of the provider contract (lib/providers/contract.ts). */
export const servingCapability = { reconcile: reconcileVertexEndpoint, advanceRollout: advanceVertexRollout, deleteEndpoint: deleteVertexEndpoint } satisfies ReconciledServingCapability;

/** Sets the endpoint's split (by display name) when it differs from the live one; returns it by id. */
async function setVertexSplit(c: VertexClients, endpointName: string, split: Record<string, number>, ids: Record<string, string>, call: Call): Promise<Record<string, number>> {
  const desired = Object.fromEntries(Object.entries(split).filter(([, pct]) => pct > 0).map(([name, pct]) => [ids[name], pct]));
  const [live] = await call('get endpoint', () => c.endpoints.getEndpoint({ name: endpointName }));
  if (!sameSplit(currentSplit(live as IEndpoint), desired)) {
    await call('update traffic split', () => c.endpoints.updateEndpoint({ endpoint: { name: endpointName, trafficSplit: desired }, updateMask: { paths: ['traffic_split'] } }));
  }
  return desired;
}

/** Undeploys every deployed model not in `wanted` (display names); `ids` loses them. */
async function undeployUnwanted(c: VertexClients, wanted: string[], endpointName: string, ids: Record<string, string>, split: Record<string, number>, call: Call, target: Target): Promise<void> {
  const keep = new Set(wanted);
  for (const [name, id] of Object.entries(ids)) {
    if (keep.has(name)) continue;
    const [op] = await call(`undeploy ${name}`, () => c.endpoints.undeployModel({ endpoint: endpointName, deployedModelId: id, trafficSplit: split }));
    await finish(op, `undeploy ${name}`, target);
    delete ids[name];
  }
}

/**
 * `dataCapture.percent` as request-response logging; with only the project as destination, Vertex
 * makes the dataset `logging_<endpoint>_<id>` and its `request_response_logging` table itself.
 */
function captureConfig(plan: VertexModelPlan): { enabled: true; samplingRate: number; bigqueryDestination: { outputUri: string } } | undefined {
  const percent = plan.serving?.dataCapturePercent;
  return percent ? { enabled: true, samplingRate: percent / 100, bigqueryDestination: { outputUri: `bq://${plan.project}` } } : undefined;
}

/** Machine type and accelerators: what Vertex cannot change on a deployed model. */
function sameMachine(have: IDeployedModel, want: VertexDeployedModelPlan): boolean {
  const m = have.dedicatedResources?.machineSpec;
  const accelerator = m?.acceleratorType && m.acceleratorType !== 'ACCELERATOR_TYPE_UNSPECIFIED' ? String(m.acceleratorType) : undefined;
  return m?.machineType === want.machineType && accelerator === want.acceleratorType && (accelerator ? Number(m?.acceleratorCount ?? 0) === want.acceleratorCount : true);
}

/** The endpoint's split by display name instead of deployed-model id. */
function byName(split: Record<string, number>, ids: Record<string, string>): Record<string, number> {
  const names = new Map(Object.entries(ids).map(([n, id]) => [id, n]));
  return Object.fromEntries(Object.entries(split).filter(([id, pct]) => pct > 0 && names.has(id)).map(([id, pct]) => [names.get(id)!, pct]));
}

function currentSplit(endpoint: IEndpoint): Record<string, number> {
  return Object.fromEntries(Object.entries(endpoint.trafficSplit ?? {}).map(([k, v]) => [k, Number(v)]));
}
