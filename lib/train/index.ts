import type { Provider } from '../catalog/types';
import type { ModelPlan } from '../plan/types';
import { formatDuration } from '../spec/values';
import type { RunEvent, RunSummary } from './types';

export * from './types';

const clock = (seconds: number) => `[${formatDuration(seconds).padStart(6)}]`;
const metricsText = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(' ');

/** One line of `mlspec train --wait`. */
export function formatRunEvent(e: RunEvent): string {
  switch (e.kind) {
    case 'step':
      return `${clock(e.elapsedSeconds)} ${e.step}: ${e.status}${e.reason ? `: ${e.reason}` : ''}\n`;
    case 'job':
      return `${clock(e.elapsedSeconds)} ${e.step} job: ${e.status}${e.message ? ` (${e.message})` : ''}\n`;
    case 'metrics':
      return `         ${e.step} final metrics: ${metricsText(e.metrics) || 'none reported'}\n`;
    case 'gate': {
      const v = e.verdict;
      return `         ${v.passed ? 'pass' : 'FAIL'}  ${v.gate}: ${v.text}${v.value !== undefined ? `, the run has ${v.value}` : ''}\n`;
    }
  }
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** `mlspec runs` as a table. */
export function formatRuns(plan: ModelPlan, provider: Provider, runs: RunSummary[]): string {
  if (runs.length === 0) return `${plan.name} in ${plan.environment} (${provider}): no runs yet; start one with npx mlspec train ${plan.name} --env ${plan.environment}\n`;
  const rows = [['run', 'started', 'took', 'status', 'billed', 'cost', 'metrics', 'version']];
  for (const r of runs) {
    rows.push([
      r.runId.split('/').pop()!,
      r.startedAt?.replace('T', ' ').replace(/\.\d+Z$/, 'Z') ?? '',
      r.durationSeconds !== undefined ? formatDuration(r.durationSeconds) : 'running',
      r.status,
      formatDuration(r.billableSeconds),
      r.costUsd === undefined ? 'no price' : `${usd(r.costUsd)}${r.spotSavingPercent !== undefined ? ` (spot saved ${r.spotSavingPercent}%)` : ''}`,
      metricsText(r.metrics) || '-',
      r.version ?? '-',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  const failed = runs.filter((r) => r.reason).map((r) => `  ${r.runId.split('/').pop()}: ${r.reason}`);
  return `${plan.name} in ${plan.environment} (${provider}), newest first:\n${lines.map((l) => `  ${l}`).join('\n')}\n${failed.length ? `why runs failed:\n${failed.join('\n')}\n` : ''}`;
}
