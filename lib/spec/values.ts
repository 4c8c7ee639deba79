/**
 * The spec's small value types: durations (`90s`, `10m`, `12h`, `2d`, `800ms`), rates (`1%`)
 * and gates (`>= 0.95`). Parsed here once so the schema, the plan and the CLI agree.
 */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export const DURATION_HINT = 'write it like 90s, 10m, 12h or 2d';

/** Seconds in a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

/** Milliseconds in a duration string (for latencies such as `800ms`). */
export function parseDurationMs(text: string): number | undefined {
  const s = parseDuration(text);
  return s === undefined ? undefined : Math.round(s * 1000);
}

const RATE = /^(\d+(?:\.\d+)?)\s*%$/;

/** Percent in a rate string (`1%` → 1, `0.5%` → 0.5), or undefined. */
export function parseRate(text: string): number | undefined {
  const m = RATE.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1]);
  return v <= 100 ? v : undefined;
}

export type GateOp = '>=' | '>' | '<=' | '<';
export interface Gate {
  readonly op: GateOp;
  readonly threshold: number;
}

const GATE = /^(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i;

/** `>= 0.95` → { op: '>=', threshold: 0.95 }, or undefined. */
export function parseGate(text: string): Gate | undefined {
  const m = GATE.exec(text.trim());
  if (!m) return undefined;
  return { op: m[1] as GateOp, threshold: Number(m[2]) };
}

/** Whether a metric value passes a gate. */
export function gatePasses(gate: Gate, value: number): boolean {
  switch (gate.op) {
    case '>=':
      return value >= gate.threshold;
    case '>':
      return value > gate.threshold;
    case '<=':
      return value <= gate.threshold;
    case '<':
      return value < gate.threshold;
  }
}

const SIZE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const SIZE_BYTES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes in a size string (`16Gi`), or undefined. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? SIZE_BYTES[m[2]] : 1);
}

/** `600` → `10m`, for messages and the plan table. */
export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 86400) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60}m`;
  return `${seconds}s`;
}
