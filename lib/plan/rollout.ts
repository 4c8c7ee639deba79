import type { Serving } from '../spec/types';
import { parseDuration, parseDurationMs, parseRate } from '../spec/values';
import type { AutoscalingPlan, RollbackPlan, RolloutPlan, RolloutStep } from './types';

/** Rollout steps from the spec: canary 10 % bake 10m → [10 % for 10m, 100 %]; linear 25 % every 5m → [25, 50, 75, 100]. */
export function resolveRollout(rollout: Serving['rollout']): RolloutPlan {
  switch (rollout.strategy) {
    case 'canary': {
      const bake = parseDuration(rollout.bake ?? '0s') ?? 0;
      const percent = rollout.percent ?? 10;
      return { strategy: 'canary', percent, waitSeconds: bake, steps: [{ percent, bakeSeconds: bake }, { percent: 100, bakeSeconds: 0 }] };
    }
    case 'linear': {
      const wait = parseDuration(rollout.interval ?? '0s') ?? 0;
      const percent = rollout.percent ?? 25;
      const steps: RolloutStep[] = [];
      for (let p = percent; p < 100; p += percent) steps.push({ percent: p, bakeSeconds: wait });
      steps.push({ percent: 100, bakeSeconds: 0 });
      return { strategy: 'linear', percent, waitSeconds: wait, steps };
    }
    default:
      return { strategy: 'all-at-once', steps: [{ percent: 100, bakeSeconds: 0 }] };
  }
}

export function resolveRollback(rollback: Serving['rollback']): RollbackPlan | undefined {
  if (!rollback) return undefined;
  return {
    errorRatePercent: rollback.errorRate === undefined ? undefined : parseRate(rollback.errorRate),
    p99LatencyMs: rollback.p99Latency === undefined ? undefined : parseDurationMs(rollback.p99Latency),
  };
}

export function resolveAutoscaling(autoscaling: Serving['autoscaling']): AutoscalingPlan | undefined {
  return autoscaling ? { metric: autoscaling.metric, target: autoscaling.target } : undefined;
}
