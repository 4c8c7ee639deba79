import type { FakeMlflow } from './mlflow';

/**
 * Workspace schedules (`workspaces/{ws}/schedules/{name}`) as the fake ARM serves them, for Azure ML
 * model monitors (`action.actionType: CreateMonitor`), and the runs those monitors leave behind.
 * FakeArm (./arm.ts) routes the requests here and lends its body check, its long-running operations
 * and its jobs and MLflow.
 *
 * From the published specification (mfe.json 2024-04-01, copied into ./spec, see its README):
 * - Schedules_CreateOrUpdate: the body is a `ScheduleResource` (required fields, enums, the
 *   discriminators `actionType`, `triggerType`, `computeType`, `computeIdentityType`, `signalType`,
 *   `dataType`, `filterType`, `inputDataType`, read-only `provisioningState`, `format: duration`);
 *   the name matches `^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$`; a new schedule answers 201 with
 *   `Azure-AsyncOperation` (the only response the specification gives that header), `Creating` until
 *   the operation ends, then `Succeeded` (or `Failed`: `failOperation`); an update answers 200, done.
 *   At the SDK's 2022-10-01 the body is checked against the SDK's mappers, which know the CreateJob
 *   and InvokeBatchEndpoint actions only.
 * - The published defaults appear on GET: `isEnabled: true` (Schedule.isEnabled), `timeZone: "UTC"`
 *   (TriggerBase.timeZone).
 * - Schedules_Get: 200, or 404 when there is none. Schedules_Delete: 202 with `Location` (final state
 *   via location), 204 when there is none.
 *
 * From Azure's documentation (each rule cites it beside the check in `monitorRules`):
 * - the serverless Spark instance types model monitoring supports;
 * - at most 499 characters of alert email addresses in total (MonitorEmailNotificationSettings.emails);
 * - a cron expression of five fields.
 *
 * Not documented, so not enforced: that the monitoring target's deployment or model exists, or that
 * production data at a data collector path needs no preprocessing component (Azure's data collection
 * page says non-tabular payload logs need one; the fake cannot tell what the payloads hold).
 *
 * Monitor runs: `addMonitorRun` gives a schedule a run the way Azure leaves one: a Pipeline job whose
 * display name carries the schedule's name (`<schedule>-<yyyyMMddHHmm>`: the documented lookup is
 * "display name contains the schedule name"; the rest of the name is the fake's), in an experiment
 * named after the schedule (the fake's choice), with an MLflow run per job and, for each signal that
 * breached a threshold, an evaluation step's MLflow run tagged `mlflow.rootRunId` (the job) and
 * `azureml_modelmonitor_threshold_breached` with the message of Azure's monitoring component
 * (Azure/azureml-assets model_monitor_evaluate_metrics_threshold/evaluate_metrics_threshold.py); when
 * the schedule emails alerts, the job's own run also gets `azureml.modelmonitor.threshold.breached.<signal>`
 * (shared_utilities/event_utils.py `post_email_event`).
 */

type Obj = Record<string, any>;

/** What FakeArm lends: its private machinery, bound. */
export interface ScheduleHost {
  readonly now: () => number;
  readonly jobs: Map<string, Obj>;
  readonly mlflow: FakeMlflow;
  check(className: string, body: Obj | undefined, apiVersion: string, specName?: string): void;
  longRunning(method: 'PUT' | 'DELETE', p: string, apply: () => unknown, status?: number, onFail?: () => unknown, onSucceed?: () => unknown, body?: unknown): { status: number; body?: unknown; headers?: Record<string, string> };
  resource(id: string, name: string, type: string, body: Obj): Obj;
}

/**
 * "Model monitoring jobs are scheduled to run on serverless Spark compute pools with support for the
 * following VM instance types: Standard_E4s_v3, Standard_E8s_v3, Standard_E16s_v3, Standard_E32s_v3, and
 * Standard_E64s_v3." (how-to-monitor-model-performance; reference-yaml-monitor lists them lowercase).
 */
export const MONITOR_INSTANCE_TYPES = ['Standard_E4s_v3', 'Standard_E8s_v3', 'Standard_E16s_v3', 'Standard_E32s_v3', 'Standard_E64s_v3'];

/** One violation a test gives a monitor run: a signal's breached metric on a feature (`group` in Azure's rows). */
export interface MonitorBreach {
  readonly signal: string;
  readonly feature: string;
  readonly value: number;
  readonly threshold: number;
  /** @default JensenShannonDistance */
  readonly metric?: string;
}

export class FakeSchedules {
  /** Schedules by name, as GET returns them. */
  readonly schedules = new Map<string, Obj>();
  private runs = 0;

  constructor(private readonly host: ScheduleHost) {}

  route(method: string, p: string, name: string, apiVersion: string, body: Obj | undefined): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (method === 'GET') {
      const found = this.schedules.get(name);
      if (!found) throw { status: 404, code: 'UserError', message: `Schedule ${name} not found.` };
      return { status: 200, body: found };
    }
    if (method === 'DELETE') {
      if (!this.schedules.has(name)) return { status: 204 };
      return this.host.longRunning('DELETE', p, () => void this.schedules.delete(name));
    }
    if (method !== 'PUT') throw { status: 405, code: 'MethodNotAllowed', message: `${method} is not an operation of schedules.` };
    // The `name` path parameter of Schedules_CreateOrUpdate: "pattern": "^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$".
    if (!/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/.test(name)) {
      throw { status: 400, code: 'BadRequest', message: `The schedule name '${name}' must match ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$: a letter or digit, then up to 254 letters, digits, '-' or '_'.` };
    }
    this.host.check('Schedule', body, apiVersion, 'ScheduleResource');
    const errors = monitorRules(body!.properties);
    if (errors.length) throw { status: 400, code: 'UserError', message: errors.join('; ') };
    const existing = this.schedules.get(name);
    const schedule = this.host.resource(p, name, 'Microsoft.MachineLearningServices/workspaces/schedules', body!);
    // The published defaults, as the service fills them in.
    schedule.properties = { isEnabled: true, ...schedule.properties, trigger: { timeZone: 'UTC', ...schedule.properties.trigger } };
    this.schedules.set(name, schedule);
    if (existing) {
      // 200 "Create or update request is successful." declares no headers: the update is done when ARM answers.
      schedule.systemData = { ...existing.systemData, lastModifiedAt: new Date(this.host.now()).toISOString() };
      schedule.properties.provisioningState = 'Succeeded';
      return { status: 200, body: schedule };
    }
    // 201 "Created" with Azure-AsyncOperation: Creating until the operation ends.
    schedule.properties.provisioningState = 'Creating';
    return this.host.longRunning(
      'PUT',
      p,
      () => undefined,
      201,
      () => (schedule.properties.provisioningState = 'Failed'),
      () => (schedule.properties.provisioningState = 'Succeeded'),
      schedule,
    );
  }

  /**
   * Gives a monitor a run, as Azure's schedule and monitoring components leave one (see above); returns
   * the job's name. `status` is the pipeline job's; `breaches` what its evaluation steps found.
   */
  addMonitorRun(schedule: string, run: { at: Date | string; status?: string; breaches?: readonly MonitorBreach[] }): string {
    const found = this.schedules.get(schedule);
    if (!found) throw new Error(`No schedule ${schedule} (PUT it first)`);
    const at = new Date(run.at);
    const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
    const name = `${schedule.replace(/[^a-zA-Z0-9]/g, '_')}_run_${++this.runs}`;
    const jobs = String(found.id).replace(/\/schedules\/[^/]+$/, '/jobs');
    const experimentName = schedule;
    this.host.jobs.set(name, {
      id: `${jobs}/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/jobs',
      properties: { jobType: 'Pipeline', displayName: `${schedule}-${stamp}`, experimentName, status: run.status ?? 'Completed', isArchived: false, tags: {}, properties: {} },
      systemData: { createdAt: at.toISOString(), createdBy: 'Azure ML schedule', createdByType: 'Application', lastModifiedAt: at.toISOString() },
    });
    this.host.mlflow.createRun(name, experimentName);
    const emails: string[] = found.properties.action?.monitorDefinition?.alertNotificationSettings?.emailNotificationSettings?.emails ?? [];
    const bySignal = new Map<string, MonitorBreach[]>();
    for (const b of run.breaches ?? []) bySignal.set(b.signal, [...(bySignal.get(b.signal) ?? []), b]);
    for (const [signal, breaches] of bySignal) {
      const message = breachMessage(signal, breaches);
      this.host.mlflow.createRun(`${name}_${signal}_evaluate`, experimentName, { tags: { 'mlflow.rootRunId': name, 'mlflow.parentRunId': name, azureml_modelmonitor_threshold_breached: message } });
      if (emails.length) {
        const root = this.host.mlflow.runs.get(name)!;
        root.tags.set('azureml.notification.email.address', emails.join(','));
        root.tags.set(`azureml.modelmonitor.threshold.breached.${signal}`, message);
      }
    }
    return name;
  }
}

/**
 * The message Azure's evaluation step writes (evaluate_metrics_threshold.py `_generate_error_message`):
 * the rows are Spark's `df.toJSON().collect()`, a Python list of JSON strings, printed as Python prints it.
 */
export function breachMessage(signal: string, breaches: readonly MonitorBreach[]): string {
  const rows = breaches.map((b) => `'${JSON.stringify({ group: b.feature, metric_value: b.value, metric_name: b.metric ?? 'JensenShannonDistance', threshold_value: b.threshold })}'`);
  return `The signal '${signal}' has failed due to one or more features violating metric thresholds.\nThe feature names and their corresponding computed metric values violating the threshold are \n[${rows.join(', ')}]\n`;
}

/** The documented rules of a monitor schedule beyond the published schema; checked after it, so shapes are as specified. */
export function monitorRules(props: Obj): string[] {
  const errors: string[] = [];
  const trigger = props.trigger ?? {};
  // CronTrigger.expression: "A single expression is composed of five space-delimited fields: MINUTES HOURS DAYS
  // MONTHS DAYS-OF-WEEK" (reference-yaml-monitor, CronTrigger).
  if (trigger.triggerType === 'Cron' && String(trigger.expression).trim().split(/\s+/).length !== 5) {
    errors.push(`properties.trigger.expression '${trigger.expression}' must have five space-delimited fields: MINUTES HOURS DAYS MONTHS DAYS-OF-WEEK`);
  }
  if (props.action?.actionType !== 'CreateMonitor') return errors;
  const definition = props.action.monitorDefinition ?? {};
  const compute = definition.computeConfiguration ?? {};
  if (compute.computeType === 'ServerlessSpark' && !MONITOR_INSTANCE_TYPES.some((t) => t.toLowerCase() === String(compute.instanceType).toLowerCase())) {
    errors.push(`properties.action.monitorDefinition.computeConfiguration.instanceType '${compute.instanceType}' is not one model monitoring runs on: ${MONITOR_INSTANCE_TYPES.join(', ')}`);
  }
  // MonitorEmailNotificationSettings.emails: "The email recipient list which has a limitation of 499 characters in total."
  const emails: string[] = definition.alertNotificationSettings?.emailNotificationSettings?.emails ?? [];
  if (emails.join(',').length > 499) {
    errors.push(`properties.action.monitorDefinition.alertNotificationSettings.emailNotificationSettings.emails take ${emails.join(',').length} characters; the limit is 499 in total`);
  }
  return errors;
}
