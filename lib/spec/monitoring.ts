import type { Provider } from '../catalog/types';
import type { SemanticIssue } from './semantics';
import type { Model } from './types';

/**
 * `serving.monitoring.schedule`: how often each provider's monitor looks at the captured traffic.
 * The three clouds schedule monitors differently, so the spec takes what all three can express
 * (a fixed interval of whole hours) plus AWS cron for SageMaker and Azure ML:
 * - SageMaker monitoring schedules take `cron(0 * ? * * *)` (hourly), `cron(0 H ? * * *)` (daily at
 *   H) and `cron(0 H/N ? * * *)` (every N hours);
 * - Vertex's model deployment monitoring takes an interval in whole hours (monitorInterval);
 * - Azure ML schedules take a recurrence (frequency, interval) or a cron expression.
 */

export interface MonitoringSchedule {
  /** SageMaker's ScheduleExpression. */
  readonly sagemakerCron: string;
  /** Vertex's monitorInterval in hours; undefined for a cron schedule, which Vertex cannot run. */
  readonly intervalHours?: number;
  /** Azure ML's trigger: a recurrence, or a Unix cron expression (five fields, UTC). */
  readonly azure: { readonly recurrence: { readonly frequency: 'Hour' | 'Day'; readonly interval: number } } | { readonly cron: string };
  /** How many runs a 30-day month has, for the cost. */
  readonly runsPerMonth: number;
}

const HINT = 'write hourly, daily, rate(N hours) with N from 1 to 24, or cron(0 H ? * * *) / cron(0 H/N ? * * *)';

/** The schedule in each provider's form, or why it is not one every provider (that runs it) can take. */
export function readMonitoringSchedule(text: string): MonitoringSchedule | { problem: string } {
  const written = text.trim().replace(/\s+/g, ' ');
  const every = (hours: number): MonitoringSchedule => ({
    sagemakerCron: hours === 1 ? 'cron(0 * ? * * *)' : hours === 24 ? 'cron(0 0 ? * * *)' : `cron(0 0/${hours} ? * * *)`,
    intervalHours: hours,
    azure: { recurrence: hours === 24 ? { frequency: 'Day', interval: 1 } : { frequency: 'Hour', interval: hours } },
    runsPerMonth: Math.ceil((30 * 24) / hours),
  });
  if (/^hourly$/i.test(written)) return every(1);
  if (/^daily$/i.test(written)) return every(24);
  const rate = /^rate\((\d+) hours?\)$/i.exec(written);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1 || n > 24) return { problem: `"${text}": monitors run every 1 to 24 hours; ${HINT}` };
    // SageMaker's "every N hours" starts at midnight each day: N must divide the day.
    if (24 % n !== 0) return { problem: `"${text}": SageMaker restarts an every-N-hours monitor at midnight, so N must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24)` };
    return every(n);
  }
  const cron = /^cron\(0 (\d{1,2})(?:\/(\d{1,2}))? \? \* \* \*\)$/i.exec(written);
  if (cron) {
    const hour = Number(cron[1]);
    const step = cron[2] === undefined ? undefined : Number(cron[2]);
    if (hour > 23 || (step !== undefined && (step < 1 || step > 24))) return { problem: `"${text}" is not a monitoring schedule; ${HINT}` };
    const runsPerDay = step === undefined ? 1 : Math.ceil((24 - hour) / step);
    return {
      sagemakerCron: `cron(0 ${hour}${step === undefined ? '' : `/${step}`} ? * * *)`,
      azure: { cron: `0 ${hour}${step === undefined ? '' : `/${step}`} * * *` },
      runsPerMonth: 30 * runsPerDay,
    };
  }
  if (/^(minutely|weekly|monthly)$/i.test(written) || /^rate\(\d+ (minutes?|days?)\)$/i.test(written)) {
    return { problem: `"${text}": monitors run hourly to daily on every provider (SageMaker's limits); ${HINT}` };
  }
  return { problem: `"${text}" is not a monitoring schedule; ${HINT}` };
}

// ------------------------------------------------------------------ the rules one field cannot check


/** How Vertex reads a Cloud Storage baseline: files of a format model_monitoring.proto lists, by extension. */
export const VERTEX_BASELINE_FORMATS: readonly [RegExp, string][] = [
  [/\.csv$/i, 'csv'],
  [/\.jsonl$/i, 'jsonl'],
  [/\.tfrecords?$/i, 'tf-record'],
];

const BASELINE_SCHEMES: Record<Provider, string[]> = { sagemaker: ['s3://'], vertex: ['gs://', 'bq://'], azureml: ['azureml://', 'https://'] };

/** `serving.monitoring` against the rest of the model: capture, baselines per provider, schedules and alerts each provider can take. */
export function checkMonitoring(modelName: string, model: Model, providers: Set<Provider>, out: SemanticIssue[]): void {
  const m = model.serving?.monitoring;
  if (!m) return;
  const base = ['models', modelName, 'serving', 'monitoring'];
  if (!model.serving!.dataCapture) {
    out.push({ file: 'spec', path: base, atKey: true, message: 'monitors read the captured traffic, and this model captures none; add serving.dataCapture: { percent: 20 }' });
  }
  const baseline = m.baseline as Partial<Record<Provider, string>> | { trainingInput: string };
  if ('trainingInput' in baseline) {
    const inputs = model.training?.inputs ?? {};
    const channel = baseline.trainingInput;
    if (!model.training || !(channel in inputs)) {
      const known = Object.keys(inputs);
      out.push({ file: 'spec', path: [...base, 'baseline', 'trainingInput'], message: `"${channel}" is not an input of training.inputs${known.length ? ` (it has ${known.join(', ')})` : ''}; name one, or give the baseline per provider` });
    } else {
      for (const p of providers) {
        const uri = (inputs[channel] as Partial<Record<Provider, string>>)[p];
        if (uri === undefined) {
          out.push({ file: 'spec', path: [...base, 'baseline', 'trainingInput'], message: `training.inputs.${channel} has no ${p} URI, and the ${p} monitor compares with it; add training.inputs.${channel}.${p}, or give the baseline per provider` });
        } else if (p === 'vertex' && uri.startsWith('gs://') && !VERTEX_BASELINE_FORMATS.some(([ext]) => ext.test(uri))) {
          out.push({ file: 'spec', path: [...base, 'baseline', 'trainingInput'], message: `training.inputs.${channel}.vertex is "${uri}", which names no files, and Vertex reads a Cloud Storage baseline as CSV, JSONL or TFRecord files; give monitoring.baseline per provider with vertex: gs://.../*.csv (or .jsonl, .tfrecord) or a bq:// table` });
        }
      }
    }
  } else {
    for (const p of providers) {
      const uri = baseline[p];
      if (uri === undefined) out.push({ file: 'spec', path: [...base, 'baseline'], atKey: true, message: `the model serves on ${p}, and monitoring.baseline has no ${p} entry; add monitoring.baseline.${p}` });
      else if (!BASELINE_SCHEMES[p].some((s) => uri.startsWith(s))) out.push({ file: 'spec', path: [...base, 'baseline', p], message: `"${uri}" is not a ${p} baseline location; use a ${BASELINE_SCHEMES[p].join(' or ')} URI` });
      else if (p === 'vertex' && uri.startsWith('gs://') && !VERTEX_BASELINE_FORMATS.some(([ext]) => ext.test(uri))) {
        out.push({ file: 'spec', path: [...base, 'baseline', p], message: `"${uri}" names no files: Vertex reads a Cloud Storage baseline as CSV, JSONL or TFRecord files; end it with .csv, .jsonl or .tfrecord (a wildcard such as gs://bucket/train/*.csv names several), or give a BigQuery table (bq://project.dataset.table)` });
      }
    }
  }
  const schedule = readMonitoringSchedule(m.schedule);
  if (!('problem' in schedule) && schedule.intervalHours === undefined && providers.has('vertex')) {
    out.push({ file: 'spec', path: [...base, 'schedule'], message: 'Vertex AI monitors at a fixed interval of whole hours, not at set times; write hourly, daily or rate(N hours), or leave vertex out of providers' });
  }
  // Azure ML's drift signal over all features flags each at the default threshold: a feature can only be stricter.
  if (providers.has('azureml')) {
    const drift = m.drift as { threshold: number; features?: Record<string, number> };
    for (const [feature, t] of Object.entries(drift.features ?? {})) {
      if (t > drift.threshold) {
        out.push({ file: 'spec', path: [...base, 'drift', 'features', feature], message: `${t} is above drift.threshold ${drift.threshold}, and an Azure ML drift signal over all features would still flag ${feature} at ${drift.threshold}; set it to ${drift.threshold} or less, raise drift.threshold, or leave azureml out of providers` });
      }
    }
  }
  const others = [...providers].filter((p) => p !== 'sagemaker');
  if (m.alerts.snsTopic !== undefined && !providers.has('sagemaker')) {
    out.push({ file: 'spec', path: [...base, 'alerts', 'snsTopic'], message: `an SNS topic reaches AWS only, and this model serves on ${others.join(' and ')}; send alerts by email instead` });
  } else if (m.alerts.snsTopic !== undefined && m.alerts.email.length === 0 && others.length > 0) {
    out.push({ file: 'spec', path: [...base, 'alerts'], atKey: true, message: `the SNS topic reaches SageMaker's alarms only; ${others.join(' and ')} ${others.length > 1 ? 'send' : 'sends'} alerts by email: add alerts.email` });
  }
}
