import type { AzureMlModelPlan, AzureMlServingPlan, MonitoringPlan } from '../../plan/types';
import type { MonitorReport, MonitorRun, MonitorViolation } from '../../promote/live';
import { ProviderError, type Call, type Target } from '../contract';
import { ArmError, armRequest, isNotFound, mlflowRequest, unlessNotFound, workspaceId, type ArmResponse, type AzureMlClients } from './clients';
import { modelVersionId } from './registry';

/**
 * The drift monitor of an Azure ML endpoint (`serving.monitoring`): one workspace schedule
 * (`workspaces/{ws}/schedules/<endpoint>-monitor`) whose action is `CreateMonitor`, written raw at
 * api-version 2024-04-01 (the SDK's 2022-10-01 knows only the CreateJob and InvokeBatchEndpoint
 * actions). Every field is the published specification's (Azure/azure-rest-api-specs,
 * specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/mfe.json:
 * ScheduleResource, Schedule, CreateMonitorAction, MonitorDefinition, ...), copied for the fake into
 * test/fakes/azureml/spec. What the specification leaves open was taken from Azure's documentation,
 * each choice named where it is made:
 *
 * - the target is the deployment with the largest share of traffic and the model version it serves;
 * - per serving deployment, a data drift signal over all features at `driftThreshold`, one more per
 *   distinct per-feature threshold over that feature subset, and a prediction drift signal;
 * - production data is what the deployment's data collector writes (payload logging: the `request`
 *   and `response` collections that serving.ts enables), the reference of data drift is the baseline;
 * - the compute is serverless Spark, the smallest documented instance type, runtime 3.3.
 *
 * The serving reconcile calls `reconcileAzureMlMonitor` last: a PUT when the schedule is missing or
 * differs from what it would send (ARM's read-only and default fields aside), nothing when it
 * matches, a DELETE when the plan has no monitoring. The endpoint's delete removes it first.
 */

/** The schedule of a serving plan's monitor: `<endpoint>-monitor` (Schedules_CreateOrUpdate's name pattern `^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$`). */
export function monitorScheduleName(serving: Pick<AzureMlServingPlan, 'endpointName'>): string {
  return `${serving.endpointName}-monitor`;
}

/** ARM path of the plan's monitor schedule. */
export function monitorSchedulePath(plan: Pick<AzureMlModelPlan, 'subscription' | 'resourceGroup' | 'workspace'>, serving: Pick<AzureMlServingPlan, 'endpointName'>): string {
  return `${workspaceId(plan)}/schedules/${monitorScheduleName(serving)}`;
}

/**
 * Serverless Spark of the monitoring jobs: the smallest of the instance types Azure documents for
 * them ("Standard_E4s_v3, Standard_E8s_v3, Standard_E16s_v3, Standard_E32s_v3, and Standard_E64s_v3",
 * how-to-monitor-model-performance; written lowercase as reference-yaml-monitor lists them), and the
 * Spark runtime that reference gives as the allowed value and default, `3.3`, which azure-ai-ml's
 * ServerlessSparkCompute also requires ("Compute runtime version must be 3.3").
 */
export const MONITOR_INSTANCE_TYPE = 'standard_e4s_v3';
export const MONITOR_SPARK_RUNTIME = '3.3';

/**
 * The production window each run judges: the last day of captured traffic. Every spec schedule runs
 * every 1 to 24 hours, so a day covers at least one interval; a shorter lookback is refused by the
 * service ("LookbackInvalidArgument" for PT1H, reported from a real workspace in a public write-up,
 * not in Azure's documentation).
 */
export const PRODUCTION_WINDOW = 'P1D';
/** Prediction drift compares the last day's outputs with the week before it (the deployment's own past outputs). */
export const PREDICTION_REFERENCE_WINDOW = 'P7D';

/**
 * `MonitoringTarget.taskType` is required and `ModelTaskType` is `Classification` or `Regression`;
 * the spec says neither. The signals sent here (data and prediction drift, Jensen-Shannon distance)
 * compute the same whatever the task type; it matters to model performance signals and feature
 * importance, which are not sent. `Classification` is what azure-ai-ml's PredictionDriftSignal
 * itself sends as its model type, and Azure's monitoring examples use.
 */
export const MONITOR_TASK_TYPE = 'Classification';

/**
 * The distance of both signals: Jensen-Shannon distance, the one metric `NumericalDataDriftMetric`,
 * `CategoricalDataDriftMetric` and both prediction drift enums share, bounded 0..1 like the spec's
 * `drift.threshold` ("distribution distance above which a feature has drifted", at most 1).
 */
export const DRIFT_METRIC = 'JensenShannonDistance';

/** The data collector's files of a deployment's collection, at its documented default path. */
export function collectedDataUri(endpointName: string, deployment: string, collection: 'request' | 'response'): string {
  // "By default, the collected data is stored at ... azureml://datastores/workspaceblobstore/paths/modelDataCollector"
  // and "The final path in the blob will be appended with {endpoint_name}/{deployment_name}/{collection_name}/..."
  // (how-to-collect-production-data).
  return `azureml://datastores/workspaceblobstore/paths/modelDataCollector/${endpointName}/${deployment}/${collection}`;
}

/** A signal name made of lowercase letters, digits and `_`, as Azure's examples name them (`advanced_data_drift`). */
function signalPart(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

type Json = Record<string, unknown>;

/**
 * The schedule body for the plan's monitor (Schedules_CreateOrUpdate, `ScheduleResource`). Optional
 * fields the plan leaves empty are `undefined`: JSON leaves them out of the PUT, and the comparison
 * takes them to mean "empty on Azure too". Throws, before anything is written, what Azure ML cannot
 * express of the spec.
 */
export function monitorScheduleBody(plan: AzureMlModelPlan, target: Target): Json {
  const serving = plan.serving!;
  const monitoring = serving.monitoring!;
  const emails = monitoring.alertEmails;
  // MonitorEmailNotificationSettings.emails: "The email recipient list which has a limitation of 499 characters in total."
  const emailChars = emails.join(',').length;
  if (emailChars > 499) {
    throw ProviderError.about('azureml', target, `monitoring.alerts.email: Azure ML sends a monitor's alerts to at most 499 characters of addresses in total, and these ${emails.length} take ${emailChars} (joined by commas); send them to a distribution list`);
  }
  const loose = Object.entries(monitoring.featureThresholds)
    .filter(([, t]) => t > monitoring.driftThreshold)
    .sort(([a], [b]) => a.localeCompare(b));
  if (loose.length > 0) {
    // DataDriftMonitoringSignal.features is AllFeatures, TopNByAttribution or FeatureSubset: none leaves a feature out.
    const [feature, t] = loose[0];
    throw ProviderError.about(
      'azureml',
      target,
      `monitoring.drift.features.${feature} is ${t}, above drift.threshold ${monitoring.driftThreshold}; an Azure ML drift signal over all features cannot leave a feature out, so ${feature} would still be flagged at ${monitoring.driftThreshold}. Set it to ${monitoring.driftThreshold} or less, or raise drift.threshold`,
    );
  }
  const notify = emails.length > 0 ? ['AmlNotification'] : undefined;
  const signals: Json = {};
  for (const d of serving.deployments) signals[`data_drift_${signalPart(d.name)}`] = dataDrift(serving, monitoring, d.name, { filterType: 'AllFeatures' }, monitoring.driftThreshold, notify);
  // One signal per distinct stricter threshold, over the features that carry it (sorted, so the body is stable).
  const groups = new Map<number, string[]>();
  for (const [feature, t] of Object.entries(monitoring.featureThresholds)) if (t < monitoring.driftThreshold) groups.set(t, [...(groups.get(t) ?? []), feature]);
  const strict = [...groups].sort(([a], [b]) => a - b);
  for (const d of serving.deployments) {
    strict.forEach(([t, features], i) => {
      signals[`data_drift_${signalPart(d.name)}_${i + 1}`] = dataDrift(serving, monitoring, d.name, { filterType: 'FeatureSubset', features: [...features].sort() }, t, notify);
    });
    signals[`prediction_drift_${signalPart(d.name)}`] = predictionDrift(serving, monitoring, d.name, notify);
  }
  const primary = primaryDeployment(serving);
  return {
    properties: {
      displayName: `${plan.modelName} drift monitor`,
      description: `mlspec drift monitor of endpoint ${serving.endpointName}`,
      tags: { 'managed-by': 'mlspec' },
      isEnabled: true,
      trigger: trigger(monitoring),
      action: {
        actionType: 'CreateMonitor',
        monitorDefinition: {
          computeConfiguration: { computeType: 'ServerlessSpark', computeIdentity: { computeIdentityType: 'AmlToken' }, instanceType: MONITOR_INSTANCE_TYPE, runtimeVersion: MONITOR_SPARK_RUNTIME },
          monitoringTarget: {
            taskType: MONITOR_TASK_TYPE,
            // The deployment's ARM id, as azure-ai-ml resolves `azureml:<endpoint>:<deployment>`; the model as the deployment names it.
            deploymentId: `${workspaceId(plan)}/onlineEndpoints/${serving.endpointName}/deployments/${primary.name}`,
            modelId: modelVersionId(plan, primary.version),
          },
          signals,
          alertNotificationSettings: emails.length > 0 ? { emailNotificationSettings: { emails: [...emails] } } : undefined,
        },
      },
    },
  };
}

/** The deployment the monitor targets: the largest share of traffic, the first in the plan at a tie (a shadow-only plan: the first). */
function primaryDeployment(serving: AzureMlServingPlan) {
  let best = serving.deployments[0];
  for (const d of serving.deployments) if ((serving.traffic[d.name] ?? 0) > (serving.traffic[best.name] ?? 0)) best = d;
  return best;
}

/** The plan's trigger in the specification's form: RecurrenceTrigger or CronTrigger, in UTC (TriggerBase.timeZone's default, sent so the comparison sees it). */
function trigger(monitoring: MonitoringPlan): Json {
  const t = monitoring.trigger!;
  if ('cron' in t) return { triggerType: 'Cron', expression: t.cron, timeZone: 'UTC' };
  return { triggerType: 'Recurrence', frequency: t.recurrence.frequency, interval: t.recurrence.interval, timeZone: 'UTC' };
}

/** What the deployment's data collector wrote in the last day (RollingInputData: "rolls relatively to the monitor's current run time"). */
function production(serving: AzureMlServingPlan, deployment: string, collection: 'request' | 'response'): Json {
  return {
    inputDataType: 'Rolling',
    jobInputType: 'uri_folder',
    uri: collectedDataUri(serving.endpointName, deployment, collection),
    dataContext: collection === 'request' ? 'model_inputs' : 'model_outputs',
    windowSize: PRODUCTION_WINDOW,
    windowOffset: 'P0D',
  };
}

/** Jensen-Shannon distance for numerical and categorical features alike, at one threshold. */
function thresholds(value: number): Json[] {
  return [
    { dataType: 'Numerical', metric: DRIFT_METRIC, threshold: { value } },
    { dataType: 'Categorical', metric: DRIFT_METRIC, threshold: { value } },
  ];
}

function dataDrift(serving: AzureMlServingPlan, monitoring: MonitoringPlan, deployment: string, features: Json, threshold: number, notify: string[] | undefined): Json {
  return {
    signalType: 'DataDrift',
    productionData: production(serving, deployment, 'request'),
    // The baseline is the training data, a table: FixedInputData is "input data with tabular format which
    // doesn't require preprocessing", and Azure's examples give training references as `mltable`.
    referenceData: { inputDataType: 'Fixed', jobInputType: 'mltable', uri: monitoring.baselineUri, dataContext: 'training' },
    features,
    metricThresholds: thresholds(threshold),
    notificationTypes: notify,
  };
}

function predictionDrift(serving: AzureMlServingPlan, monitoring: MonitoringPlan, deployment: string, notify: string[] | undefined): Json {
  return {
    signalType: 'PredictionDrift',
    productionData: production(serving, deployment, 'response'),
    // The baseline has no prediction column the spec names, so outputs are compared with the deployment's own
    // outputs of the week before (Azure's default reference is "recent past production data").
    referenceData: { ...production(serving, deployment, 'response'), windowSize: PREDICTION_REFERENCE_WINDOW, windowOffset: PRODUCTION_WINDOW },
    metricThresholds: thresholds(monitoring.driftThreshold),
    notificationTypes: notify,
  };
}

/**
 * Whether what Azure holds is what would be sent: every field sent equals Azure's (Azure may add
 * read-only and default fields), fields left `undefined` are empty on Azure, arrays match in order,
 * and the signals are the same set (a signal Azure has and the plan lost is a difference).
 */
export function sameSchedule(want: Json, live: Json | undefined): boolean {
  if (!live) return false;
  const signals = (b: any) => Object.keys(b?.properties?.action?.monitorDefinition?.signals ?? {}).sort();
  return covers(want, live) && JSON.stringify(signals(want)) === JSON.stringify(signals(live));
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isEmpty);
  return false;
}

function covers(want: unknown, live: unknown): boolean {
  if (want === undefined) return isEmpty(live);
  if (Array.isArray(want)) return Array.isArray(live) && live.length === want.length && want.every((w, i) => covers(w, live[i]));
  if (want !== null && typeof want === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(want).every(([k, w]) => covers(w, (live as Json)[k]));
  }
  return want === live;
}

/**
 * Brings the monitor schedule to the plan: a PUT when it is missing, failed or different, nothing
 * when it matches; a DELETE when the plan has no monitoring and the schedule exists. `want` is the
 * body built (and checked) before the serving reconcile wrote anything.
 */
export async function reconcileAzureMlMonitor(plan: AzureMlModelPlan, clients: AzureMlClients, call: Call, want: Json | undefined): Promise<void> {
  const serving = plan.serving!;
  const path = monitorSchedulePath(plan, serving);
  const live = await call('read the drift monitor', () => unlessNotFound(() => armRequest(clients, 'GET', path)));
  if (!want) {
    if (live) await call('delete the drift monitor', () => armRequest(clients, 'DELETE', path));
    return;
  }
  const failed = live?.body?.properties?.provisioningState === 'Failed';
  if (!failed && sameSchedule(want, live?.body)) return;
  await call(live ? 'update the drift monitor' : 'create the drift monitor', () => armRequest(clients, 'PUT', path, want));
}

/** Deletes the monitor schedule (before its endpoint); one that is not there is success (Schedules_Delete answers 204). */
export async function deleteAzureMlMonitor(plan: AzureMlModelPlan, clients: AzureMlClients, call: Call): Promise<void> {
  await call('delete the drift monitor', () => unlessNotFound(() => armRequest(clients, 'DELETE', monitorSchedulePath(plan, plan.serving!))));
}

/** Deletes the monitor schedule without naming the call: the clean-up of a failed first deploy, which reports the original failure. */
export async function dropAzureMlMonitor(plan: AzureMlModelPlan, clients: AzureMlClients): Promise<void> {
  await unlessNotFound(() => armRequest(clients, 'DELETE', monitorSchedulePath(plan, plan.serving!)));
}

// ------------------------------------------------------------------ the live report

/**
 * The monitor as it is, and its runs since `since` (all the workspace lists, when absent), newest first:
 *
 * - state: the schedule's `isEnabled` and, while it is not `Succeeded`, its `provisioningState`;
 * - runs: each run of a schedule is a pipeline job, which Azure names after the schedule (Azure's own
 *   way to find them is `az ml job list --query "[?contains(display_name,'<schedule name>')]"`,
 *   azureml-examples cli/schedules/schedule.sh); Jobs_List 2024-04-01 has no schedule filter, so
 *   Pipeline jobs are listed and matched by display name. A run's time is its creation time, its
 *   status the job's;
 * - violations: the monitoring components (Azure/azureml-assets, model_monitor_evaluate_metrics_threshold)
 *   tag the MLflow run of a signal's evaluation step, when a threshold is breached, with
 *   `azureml_modelmonitor_threshold_breached`: "The signal '<signal>' has failed due to one or more
 *   features violating metric thresholds. ... [<rows of group, metric_value, metric_name, threshold_value>]",
 *   and the pipeline's root run with `azureml.modelmonitor.threshold.breached.<signal>` when alerts
 *   are emailed. Step runs carry `mlflow.rootRunId`, the job. One MLflow search per experiment finds them.
 *
 * Undefined when the schedule does not exist.
 */
export async function readAzureMlMonitor(plan: AzureMlModelPlan, clients: AzureMlClients, call: Call, since?: Date): Promise<MonitorReport | undefined> {
  const serving = plan.serving!;
  const name = monitorScheduleName(serving);
  const schedule = await call(`read the drift monitor ${name}`, () => unlessNotFound(() => armRequest(clients, 'GET', monitorSchedulePath(plan, serving))));
  if (!schedule) return undefined;
  const props = schedule.body?.properties ?? {};
  const provisioning: string | undefined = props.provisioningState;
  const state = `${props.isEnabled === false ? 'Disabled' : 'Enabled'}${provisioning && provisioning !== 'Succeeded' ? ` (${provisioning})` : ''}`;

  const jobs = (await call(`list the runs of ${name}`, () => listPipelineJobs(plan, clients)))
    .filter((j) => String(j.properties?.displayName ?? '').includes(name))
    .map((j) => ({ name: String(j.name), experiment: String(j.properties?.experimentName ?? 'Default'), status: String(j.properties?.status ?? 'Unknown'), at: new Date(j.systemData?.createdAt ?? 0) }))
    .filter((j) => !since || j.at.getTime() >= since.getTime())
    .sort((a, b) => b.at.getTime() - a.at.getTime());
  const found = jobs.length > 0 ? await call(`read the violations of ${name} from MLflow`, () => breaches(plan, clients, new Set(jobs.map((j) => j.experiment)))) : new Map<string, MonitorViolation[]>();
  const runs: MonitorRun[] = jobs.map((j) => ({ at: j.at, status: j.status, violations: found.get(j.name) ?? [] }));
  return { monitor: name, state, runs };
}

/** Jobs_List with jobType=Pipeline, every page (`nextLink`). */
async function listPipelineJobs(plan: AzureMlModelPlan, clients: AzureMlClients): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  let path: string | undefined = `${workspaceId(plan)}/jobs?jobType=Pipeline`;
  while (path) {
    const page: ArmResponse = await armRequest(clients, 'GET', path);
    out.push(...((page.body?.value ?? []) as Record<string, any>[]));
    const next = page.body?.nextLink as string | undefined;
    path = next ? new URL(next).pathname + new URL(next).search.replace(/([?&])api-version=[^&]*&?/, '$1').replace(/[?&]$/, '') : undefined;
  }
  return out;
}

const STEP_TAG = 'azureml_modelmonitor_threshold_breached';
const ROOT_TAG = 'azureml.modelmonitor.threshold.breached.';

/** The violations the monitoring components recorded, by job (the MLflow root run), in the jobs' experiments. */
async function breaches(plan: AzureMlModelPlan, clients: AzureMlClients, experiments: Set<string>): Promise<Map<string, MonitorViolation[]>> {
  const ws = await armRequest(clients, 'GET', workspaceId(plan));
  const uri = ws.body?.properties?.mlFlowTrackingUri;
  if (typeof uri !== 'string' || !uri) throw new ArmError(200, `workspace ${plan.workspace} gives no mlFlowTrackingUri, where Azure ML's monitoring jobs record their violations`);
  const api = `${uri.replace(/^azureml:\/\//, 'https://').replace(/\/+$/, '')}/api/2.0/mlflow`;
  const byJob = new Map<string, Map<string, MonitorViolation>>();
  for (const experiment of [...experiments].sort()) {
    let found: Record<string, any>;
    try {
      found = await mlflowRequest(clients, `${api}/experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`);
    } catch (e) {
      // No such experiment (MLflow's RESOURCE_DOES_NOT_EXIST): nothing was ever logged there, so no violation
      // either. Any other failure fails the read: a monitor that cannot be read must not look clean.
      if (isNotFound(e) && /^RESOURCE_DOES_NOT_EXIST\b/.test((e as Error).message)) continue;
      throw e;
    }
    let token: string | undefined;
    do {
      const page = await mlflowRequest(clients, `${api}/runs/search`, { experiment_ids: [String(found.experiment?.experiment_id)], filter: `tags.${STEP_TAG} LIKE '%'`, max_results: 1000, ...(token ? { page_token: token } : {}) });
      for (const run of (page.runs ?? []) as Record<string, any>[]) {
        const tags = Object.fromEntries(((run.data?.tags ?? []) as { key: string; value: string }[]).map((t) => [t.key, t.value]));
        const job = tags['mlflow.rootRunId'] ?? run.info?.run_id;
        const messages = Object.entries(tags).filter(([k]) => k === STEP_TAG || k.startsWith(ROOT_TAG)).map(([, v]) => v);
        const seen = byJob.get(job) ?? new Map<string, MonitorViolation>();
        for (const v of messages.flatMap(violationsOf)) seen.set(JSON.stringify(v), v);
        byJob.set(job, seen);
      }
      token = page.next_page_token;
    } while (token);
  }
  return new Map([...byJob].map(([job, v]) => [job, [...v.values()]]));
}

/**
 * The violations in one breach message of Azure's evaluation step: "The signal '<name>' has failed due
 * to one or more features violating metric thresholds.\nThe feature names and their corresponding
 * computed metric values violating the threshold are \n[<one JSON object per row>]". Signals are named
 * here `data_drift_<deployment>[_n]` and `prediction_drift_<deployment>`; the detail names the signal.
 */
export function violationsOf(message: string): MonitorViolation[] {
  const signalName = /The signal '([^']+)'/.exec(message)?.[1] ?? 'unknown signal';
  const kind = /^data_drift_/.test(signalName) ? 'data drift' : /^prediction_drift_/.test(signalName) ? 'prediction drift' : signalName;
  const rows: { group?: unknown; metric_value?: unknown; metric_name?: unknown; threshold_value?: unknown }[] = [];
  for (const text of message.match(/\{[^{}]*\}/g) ?? []) {
    try {
      rows.push(JSON.parse(text));
    } catch {
      // not a row
    }
  }
  const where = ` (signal ${signalName})`;
  if (rows.length === 0) return [{ signal: kind, detail: message.split('\n')[0].trim() }];
  return rows.map((r) => ({
    signal: kind,
    ...(r.group !== undefined && r.group !== null ? { feature: String(r.group) } : {}),
    detail: `${String(r.metric_name ?? 'metric')} ${String(r.metric_value)} > ${String(r.threshold_value)}${where}`,
  }));
}

