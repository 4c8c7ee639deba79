import type { RollbackPlan, RolloutPlan, RolloutStep } from '../plan/types';

/**
 * Staged rollouts for providers without a built-in guardrail (Vertex AI, Azure ML): traffic moves
 * from the split that served before the change to the new one in the spec's steps, and the new
 * versions are watched between steps. Provider-neutral: splits are keyed by whatever names the
 * provider serves under (deployed-model display names, deployment names).
 *
 * The state is fixed when the rollout starts and the step is derived from the clock, because the
 * CDK Provider framework hands every `isComplete` call the same input: each call can be retried
 * and repeated without changing anything twice.
 */
export interface StagedRollout {
  /** When the new versions started taking traffic, ms since the epoch. */
  readonly startedAt: number;
  /** The split before the change. */
  readonly baseline: Record<string, number>;
  /** The split the manifest asks for. */
  readonly final: Record<string, number>;
  /** Versions this change deployed: watched for rollback, removed again on rollback. */
  readonly added: string[];
  readonly steps: RolloutStep[];
}

export type Split = Record<string, number>;

/** Where one look at a staged rollout left it: the same on every provider. */
export interface RolloutProgress {
  /** The last step's split is set and the versions that left are removed: the rollout is over. */
  readonly done: boolean;
  /** Index into the rollout's steps of the step the clock is at. */
  readonly step: number;
  /** The split set for that step, by the provider's version names. */
  readonly split: Split;
}

/**
 * The rollout a change is walked in, or undefined when it goes to the final split at once: the
 * set-up every provider shares. `baseline` is what served before the change, `final` the
 * manifest's split, `added` the versions the change deploys (provider-side names).
 */
export function plannedRollout(plan: RolloutPlan, baseline: Split, final: Split, added: string[], startedAt: number): StagedRollout | undefined {
  return needsStagedRollout(plan, baseline, final, added) ? { startedAt, baseline, final: { ...final }, added, steps: plan.steps } : undefined;
}

/**
 * A staged rollout applies when the change adds versions that take traffic, something served
 * before, and the spec asks for canary or linear steps. Anything else (the first deploy, a change
 * that only moves traffic, a new version at 0 %) goes straight to the final split.
 */
export function needsStagedRollout(rollout: RolloutPlan, baseline: Split, final: Split, added: string[]): boolean {
  if (rollout.strategy === 'all-at-once' || rollout.steps.length < 2) return false;
  if (sum(baseline) !== 100) return false;
  return added.some((name) => (final[name] ?? 0) > 0);
}

/**
 * The split `percent` % of the way from baseline to final, in whole percents adding up to 100
 * (largest remainders): canary 10 % of {v7: 100} → {v8: 100} is {v7: 90, v8: 10}.
 */
export function blend(baseline: Split, final: Split, percent: number): Split {
  const names = [...new Set([...Object.keys(baseline), ...Object.keys(final)])].sort();
  const exact = names.map((n) => ((baseline[n] ?? 0) * (100 - percent) + (final[n] ?? 0) * percent) / 100);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rem: x - floors[i] })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return Object.fromEntries(names.map((n, i) => [n, floors[i]]).filter(([, v]) => (v as number) > 0));
}

export interface StepNow {
  /** Index into `steps` of the step that should be live now. */
  readonly index: number;
  /** The split for that step. */
  readonly split: Split;
  /** The last step (100 %) is reached: the rollout is over once its split is set. */
  readonly done: boolean;
  /** When the next step starts, ms since the epoch (undefined when done). */
  readonly nextAt?: number;
}

/** Which step is live at `now`: step i starts after the bakes of the steps before it. */
export function stepAt(rollout: StagedRollout, now: number): StepNow {
  let at = rollout.startedAt;
  for (let i = 0; i < rollout.steps.length; i++) {
    const step = rollout.steps[i];
    const last = i === rollout.steps.length - 1 || step.percent >= 100;
    if (last) return { index: i, split: { ...rollout.final }, done: true };
    const ends = at + step.bakeSeconds * 1000;
    if (now < ends) return { index: i, split: blend(rollout.baseline, rollout.final, step.percent), done: false, nextAt: ends };
    at = ends;
  }
  return { index: rollout.steps.length - 1, split: { ...rollout.final }, done: true };
}

/** What the provider's monitoring says about the new versions since the rollout started. */
export interface RolloutSignals {
  readonly requests: number;
  readonly errors: number;
  /** Highest p99 latency of the new versions over the window, ms; undefined without traffic. */
  readonly p99LatencyMs?: number;
}

/** Reads the rollback signals of the named versions (provider-side names) over a window. */
export interface SignalSource {
  read(versions: string[], since: Date, until: Date): Promise<RolloutSignals>;
}

/**
 * The rollback threshold the signals cross, in words, or undefined. No requests means no verdict
 * on errors: a canary nobody called has not failed.
 */
export function breach(rollback: RollbackPlan | undefined, signals: RolloutSignals): string | undefined {
  if (!rollback) return undefined;
  if (rollback.errorRatePercent !== undefined && signals.requests > 0) {
    const rate = (signals.errors / signals.requests) * 100;
    if (rate > rollback.errorRatePercent) return `error rate ${round(rate)}% > ${rollback.errorRatePercent}% (${signals.errors} of ${signals.requests} requests)`;
  }
  if (rollback.p99LatencyMs !== undefined && signals.p99LatencyMs !== undefined && signals.p99LatencyMs > rollback.p99LatencyMs) {
    return `p99 latency ${round(signals.p99LatencyMs)}ms > ${rollback.p99LatencyMs}ms`;
  }
  return undefined;
}

/**
 * Why the rollout must roll back, or undefined: the new versions' signals (provider-side names in
 * `watched`) since it started, against the thresholds. Monitoring that cannot be read is a reason
 * too: a rollout nobody can watch does not go on.
 */
export async function rollbackReason(rollback: RollbackPlan | undefined, signals: SignalSource | undefined, watched: string[], rollout: StagedRollout, now: number, monitoring: string): Promise<string | undefined> {
  if (!signals || watched.length === 0) return undefined;
  let read: RolloutSignals;
  try {
    read = await signals.read(watched, new Date(rollout.startedAt), new Date(now));
  } catch (e) {
    return `${monitoring} could not be read (${(e as Error).message})`;
  }
  return breach(rollback, read);
}

/** What one look at a rollout does on a provider's endpoint; `lookAtRollout` decides when. */
export interface RolloutMoves {
  /** Provider-side names of the new versions that are deployed now: whose signals are read. */
  readonly watched: string[];
  /** Sets the split (provider-side names), writing only when the live one differs. */
  setSplit(split: Split): Promise<void>;
  /** At the last step: removes the versions the manifest no longer serves. */
  retire(): Promise<void>;
  /** Traffic back at the baseline and the new versions removed; returns the error that says so. */
  rollBack(why: string): Promise<Error>;
}

/**
 * One look at a staged rollout, safe to repeat: rolls back when the new versions cross the spec's
 * `rollback` thresholds (or their monitoring cannot be read), else sets the split of the step the
 * clock is at, and at the last step retires the versions that left.
 */
export async function lookAtRollout(rollout: StagedRollout, rollback: RollbackPlan | undefined, signals: SignalSource | undefined, monitoring: string, now: number, moves: RolloutMoves): Promise<RolloutProgress> {
  const why = await rollbackReason(rollback, signals, moves.watched, rollout, now, monitoring);
  if (why) throw await moves.rollBack(why);
  const step = stepAt(rollout, now);
  await moves.setSplit(step.split);
  if (step.done) await moves.retire();
  return { done: step.done, split: step.split, step: step.index };
}

/** The end of a rollback's message: what was removed, why, and where traffic is now. */
export function rolledBack(removed: string[], why: string, baseline: Split): string {
  return `rolled back ${removed.join(', ') || 'the new versions'}: ${why}; traffic is back at ${describeSplit(baseline)}`;
}

export function sameSplit(a: Split, b: Split): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

/** `v7 90%, v8 10%`, for messages. */
export function describeSplit(split: Split): string {
  const parts = Object.entries(split).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}%`);
  return parts.length ? parts.join(', ') : 'no traffic';
}

function sum(split: Split): number {
  return Object.values(split).reduce((a, b) => a + b, 0);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
