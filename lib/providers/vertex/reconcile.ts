import type { protos } from '@google-cloud/aiplatform';
import type { ServingContainerPlan, VertexDeployedModelPlan, VertexModelPlan } from '../../plan/types';
import type { VertexClients } from './clients';
import { missingVersionMessage } from '../../train/types';
import { describeSplit, rollbackReason, needsStagedRollout, sameSplit, stepAt, type SignalSource, type StagedRollout } from '../../rollout/staged';

type IModel = protos.google.cloud.aiplatform.v1.IModel;
type IEndpoint = protos.google.cloud.aiplatform.v1.IEndpoint;
type IDeployedModel = protos.google.cloud.aiplatform.v1.IDeployedModel;

/** Who is being reconciled, for error messages. */
export interface VertexTarget {
  readonly model: string;
  readonly environment: string;
}

export interface ReconcileOptions {
  /** Retries of UNAVAILABLE / RESOURCE_EXHAUSTED, with exponential backoff from `backoffMs`. @default 5 */
  readonly retries?: number;
  readonly backoffMs?: number;
  /**
   * Stage a change that adds serving versions (canary / linear steps from the plan): set the first
   * step's split and return the rollout for `advanceVertexRollout`. Off: go to the final split at once.
   */
  readonly staged?: boolean;
  /** The clock, ms since the epoch (tests move it). */
  readonly now?: () => number;
}

export interface VertexReconcileResult {
  readonly modelName?: string;
  readonly endpointName?: string;
  /** Deployed-model id per deployed model display name, after the run. */
  readonly deployedModelIds: Record<string, string>;
  /** Set when the change is being staged: the rollout to advance until it is done. */
  readonly rollout?: StagedRollout;
}

/** A failure named in the user's terms: model, environment and Vertex's own message. */
export class VertexError extends Error {}

const RETRYABLE = new Set([8, 14]); // RESOURCE_EXHAUSTED, UNAVAILABLE

/**
 * Brings Vertex AI to the plan with the fewest calls: registry versions (never deleted), the
 * endpoint, deployed models and the traffic split. A second run with the same plan writes nothing;
 * a change that only moves traffic is one updateEndpoint. A failed run undeploys what it deployed.
 */
export async function reconcileVertex(plan: VertexModelPlan, target: VertexTarget, clients: VertexClients, options: ReconcileOptions = {}): Promise<VertexReconcileResult> {
  const parent = `projects/${plan.project}/locations/${plan.region}`;
  const call = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, target, options);
  const image = plan.serving?.image;
  const wantSpec = plan.serving && containerSpec(plan.serving.image, plan.serving.container);

  // Registry: one Vertex Model, a version per label (alias v<label>).
  const [found] = await call('list models', () => clients.models.listModels({ parent, filter: `display_name="${plan.modelDisplayName}"` }, { autoPaginate: false }));
  let modelName = (found as IModel[])[0]?.name ?? undefined;
  const aliases = new Set<string>();
  if (modelName) {
    const [versions] = await call('list model versions', () => clients.models.listModelVersions({ name: modelName }, { autoPaginate: false }));
    for (const v of versions as IModel[]) for (const a of v.versionAliases ?? []) aliases.add(a);
    // A version's containerSpec is immutable: say so rather than serve it with what it was uploaded with.
    for (const v of versions as IModel[]) {
      const declared = plan.versions.find((d) => d.artifactUri !== undefined && v.versionAliases?.includes(d.alias));
      const drift = declared && wantSpec && containerDrift(v.containerSpec, wantSpec);
      if (drift) {
        throw new VertexError(
          `vertex: ${target.model} in ${target.environment}: version ${declared.label} was uploaded with ${drift.have}, and the spec now gives ${drift.want}; a Vertex model version's container cannot change: declare the artifact again under a new label and release that one`,
        );
      }
    }
  }
  for (const version of plan.versions) {
    // Trained versions are registered by the training pipeline; declared ones need their artifact here.
    if (aliases.has(version.alias) || version.artifactUri === undefined || image === undefined) continue;
    const [op] = await call(`upload version ${version.label}`, () =>
      clients.models.uploadModel({
        parent,
        parentModel: modelName,
        model: {
          displayName: plan.modelDisplayName,
          artifactUri: version.artifactUri,
          // The serving container: the server preset's routes, port and variables, with the spec's over them.
          containerSpec: wantSpec,
          versionAliases: [version.alias],
          labels: versionLabels(version.label, version.metrics),
        },
      }),
    );
    const [response] = await finish(op, `upload version ${version.label}`, target);
    modelName ??= (response as { model?: string }).model ?? undefined;
    aliases.add(version.alias);
  }

  const serving = plan.serving;
  if (!serving) return { modelName, deployedModelIds: {} };

  // Endpoint.
  const [endpoints] = await call('list endpoints', () => clients.endpoints.listEndpoints({ parent, filter: `display_name="${serving.endpointDisplayName}"` }, { autoPaginate: false }));
  let endpoint = (endpoints as IEndpoint[])[0];
  if (!endpoint) {
    const [op] = await call('create endpoint', () =>
      clients.endpoints.createEndpoint({ parent, endpoint: { displayName: serving.endpointDisplayName, labels: { 'managed-by': 'mlspec' }, predictRequestResponseLoggingConfig: captureConfig(plan) } }),
    );
    [endpoint] = (await finish(op, 'create endpoint', target)) as [IEndpoint];
  }
  const endpointName = endpoint.name!;
  // Data capture is request-response logging to BigQuery; a changed share is one endpoint update.
  const capture = endpoint.predictRequestResponseLoggingConfig;
  const wantCapture = captureConfig(plan);
  if (Boolean(capture?.enabled) !== Boolean(wantCapture) || (wantCapture && Number(capture?.samplingRate ?? 0) !== wantCapture.samplingRate)) {
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
  const rollout: StagedRollout | undefined =
    options.staged && needsStagedRollout(serving.rollout, baseline, serving.trafficSplit, added)
      ? { startedAt: (options.now ?? Date.now)(), baseline, final: { ...serving.trafficSplit }, added, steps: serving.rollout.steps }
      : undefined;

  // Every label to deploy must be in the registry: checked before anything is deployed.
  for (const want of serving.deployedModels) {
    if (!deployed.has(want.displayName) && !aliases.has(want.versionAlias)) throw new VertexError(missingVersionMessage('vertex', target, want.version, plan.trainedOn));
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
      if (!id) throw new VertexError(`vertex: ${target.model} in ${target.environment}: deploying ${want.displayName} returned no deployed model id`);
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
    const desired = await setSplit(clients, endpointName, split, ids, call);
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
  return { modelName, endpointName, deployedModelIds: ids, rollout };
}

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/** Sets the endpoint's split (by display name) when it differs from the live one; returns it by id. */
async function setSplit(c: VertexClients, endpointName: string, split: Record<string, number>, ids: Record<string, string>, call: Call): Promise<Record<string, number>> {
  const desired = Object.fromEntries(Object.entries(split).filter(([, pct]) => pct > 0).map(([name, pct]) => [ids[name], pct]));
  const [live] = await call('get endpoint', () => c.endpoints.getEndpoint({ name: endpointName }));
  if (!sameSplit(currentSplit(live as IEndpoint), desired)) {
    await call('update traffic split', () => c.endpoints.updateEndpoint({ endpoint: { name: endpointName, trafficSplit: desired }, updateMask: { paths: ['traffic_split'] } }));
  }
  return desired;
}

/** Undeploys every deployed model not in `wanted` (display names); `ids` loses them. */
async function undeployUnwanted(c: VertexClients, wanted: string[], endpointName: string, ids: Record<string, string>, split: Record<string, number>, call: Call, target: VertexTarget): Promise<void> {
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

export interface RolloutProgress {
  /** The last step's split is set and the versions that left are undeployed. */
  readonly done: boolean;
  /** The split now live, by display name. */
  readonly split: Record<string, number>;
  readonly step: number;
}

/**
 * One look at a staged rollout, safe to repeat: rolls back when the new versions cross the
 * spec's `rollback` thresholds (traffic back to the old split, the new versions undeployed, an
 * error that says why), else sets the split of the step the clock is at, and when the last step
 * is reached undeploys the versions the manifest no longer serves.
 */
export async function advanceVertexRollout(
  plan: VertexModelPlan,
  target: VertexTarget,
  clients: VertexClients,
  rollout: StagedRollout,
  signals: SignalSource | undefined,
  options: ReconcileOptions = {},
): Promise<RolloutProgress> {
  const serving = plan.serving!;
  const call = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, target, options);
  const now = (options.now ?? Date.now)();
  const parent = `projects/${plan.project}/locations/${plan.region}`;
  const [endpoints] = await call('list endpoints', () => clients.endpoints.listEndpoints({ parent, filter: `display_name="${serving.endpointDisplayName}"` }, { autoPaginate: false }));
  const endpoint = (endpoints as IEndpoint[])[0];
  if (!endpoint) throw new VertexError(`vertex: ${target.model} in ${target.environment}: endpoint ${serving.endpointDisplayName} disappeared during the rollout`);
  const endpointName = endpoint.name!;
  const ids: Record<string, string> = Object.fromEntries((endpoint.deployedModels ?? []).map((d) => [d.displayName!, d.id!]));

  const why = await rollbackReason(serving.rollback, signals, rollout.added.filter((n) => ids[n] !== undefined).map((n) => ids[n]), rollout, now, 'Cloud Monitoring');
  if (why) throw await rollBack(why);

  const step = stepAt(rollout, now);
  const desired = await setSplit(clients, endpointName, step.split, ids, call);
  if (step.done) await undeployUnwanted(clients, serving.deployedModels.map((d) => d.displayName), endpointName, ids, desired, call, target);
  return { done: step.done, split: step.split, step: step.index };

  async function rollBack(why: string): Promise<VertexError> {
    const baseline = Object.fromEntries(Object.entries(rollout.baseline).filter(([n]) => ids[n] !== undefined));
    const split = await setSplit(clients, endpointName, baseline, ids, call);
    const remove = Object.keys(ids).filter((n) => rollout.added.includes(n));
    await undeployUnwanted(clients, Object.keys(ids).filter((n) => !remove.includes(n)), endpointName, ids, split, call, target);
    return new VertexError(`vertex: ${target.model} in ${target.environment}: rolled back ${remove.join(', ') || 'the new versions'}: ${why}; traffic is back at ${describeSplit(baseline)}`);
  }
}

/** Labels carry the version and its metrics (label values allow no dots: 0.962 → 0_962). */
/** A version's containerSpec from the plan's serving container (Vertex sends requests to the first port). */
export function containerSpec(image: string, c: ServingContainerPlan): protos.google.cloud.aiplatform.v1.IModelContainerSpec {
  return {
    imageUri: image,
    predictRoute: c.predictRoute,
    healthRoute: c.healthRoute,
    ports: [{ containerPort: c.port }],
    ...(Object.keys(c.env).length > 0 ? { env: Object.entries(c.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(c.args?.length ? { args: [...c.args] } : {}),
  };
}

/** What differs between a live version's containerSpec and the wanted one, in words; undefined when nothing does. */
function containerDrift(have: protos.google.cloud.aiplatform.v1.IModelContainerSpec | null | undefined, want: protos.google.cloud.aiplatform.v1.IModelContainerSpec): { have: string; want: string } | undefined {
  const fields = (c: protos.google.cloud.aiplatform.v1.IModelContainerSpec | null | undefined): Record<string, string> => ({
    image: c?.imageUri ?? '',
    port: String(c?.ports?.[0]?.containerPort ?? 8080),
    predictRoute: c?.predictRoute ?? '',
    healthRoute: c?.healthRoute ?? '',
    env: (c?.env ?? []).map((e) => `${e.name}=${e.value}`).join(' '),
    args: (c?.args ?? []).join(' '),
  });
  const h = fields(have);
  const w = fields(want);
  const differ = Object.keys(w).filter((k) => h[k] !== w[k]);
  if (differ.length === 0) return undefined;
  const show = (f: Record<string, string>) => differ.map((k) => `${k} ${f[k] === '' ? '(none)' : JSON.stringify(f[k])}`).join(', ');
  return { have: show(h), want: show(w) };
}

export function versionLabels(label: string, metrics: Record<string, number>): Record<string, string> {
  const labels: Record<string, string> = { 'mlspec-version': label, 'managed-by': 'mlspec' };
  for (const [k, v] of Object.entries(metrics)) labels[`metric-${k.toLowerCase().replace(/[^a-z0-9_-]/g, '_')}`.slice(0, 63)] = String(v).replace(/\./g, '_').replace(/[^0-9a-z_-]/g, '').slice(0, 63);
  return labels;
}

function currentSplit(endpoint: IEndpoint): Record<string, number> {
  return Object.fromEntries(Object.entries(endpoint.trafficSplit ?? {}).map(([k, v]) => [k, Number(v)]));
}


interface Lro {
  promise(): Promise<unknown[]>;
}

async function finish(op: unknown, what: string, target: VertexTarget): Promise<unknown[]> {
  try {
    return await (op as Lro).promise();
  } catch (e) {
    throw new VertexError(`vertex: ${target.model} in ${target.environment}: ${what} failed: ${(e as Error).message}`);
  }
}

async function withRetry<T>(what: string, fn: () => Promise<T>, target: VertexTarget, options: ReconcileOptions): Promise<T> {
  const retries = options.retries ?? 5;
  let delay = options.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (e instanceof VertexError) throw e;
      if (code !== undefined && RETRYABLE.has(code) && attempt < retries) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
        continue;
      }
      throw new VertexError(`vertex: ${target.model} in ${target.environment}: ${what} failed: ${(e as Error).message}`);
    }
  }
}
