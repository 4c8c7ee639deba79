import { blend, breach, needsStagedRollout, stepAt, type StagedRollout } from '../../lib/rollout/staged';
import { resolveRollout } from '../../lib/plan/rollout';

const canary = resolveRollout({ strategy: 'canary', percent: 10, bake: '10m' } as never);
const linear = resolveRollout({ strategy: 'linear', percent: 25, interval: '5m' } as never);

describe('blend: the split part of the way from the old traffic to the new', () => {
  it('canary 10 % from v7 to v8', () => {
    expect(blend({ v7: 100 }, { v8: 100 }, 10)).toEqual({ v7: 90, v8: 10 });
  });
  it('keeps whole percents that add up to 100 (largest remainders)', () => {
    const split = blend({ a: 33, b: 67 }, { a: 50, c: 50 }, 25);
    expect(Object.values(split).reduce((x, y) => x + y, 0)).toBe(100);
    expect(split).toEqual({ a: 37, b: 50, c: 13 });
  });
  it('at 100 % is the final split, without the versions that left', () => {
    expect(blend({ v7: 100 }, { v8: 100 }, 100)).toEqual({ v8: 100 });
  });
});

describe('needsStagedRollout', () => {
  it('applies when a new version takes traffic from a split that served', () => {
    expect(needsStagedRollout(canary, { v7: 100 }, { v7: 50, v8: 50 }, ['v8'])).toBe(true);
  });
  it('not on the first deploy, for a version at 0 %, or all-at-once', () => {
    expect(needsStagedRollout(canary, {}, { v8: 100 }, ['v8'])).toBe(false);
    expect(needsStagedRollout(canary, { v7: 100 }, { v7: 100, v8: 0 }, ['v8'])).toBe(false);
    expect(needsStagedRollout(resolveRollout({ strategy: 'all-at-once' } as never), { v7: 100 }, { v8: 100 }, ['v8'])).toBe(false);
  });
  it('not when only traffic moves (nothing added)', () => {
    expect(needsStagedRollout(canary, { v7: 90, v8: 10 }, { v7: 50, v8: 50 }, [])).toBe(false);
  });
});

describe('stepAt: the step is derived from the clock, so a repeated call changes nothing', () => {
  const t0 = Date.UTC(2026, 10, 24, 12);
  const rollout = (plan: typeof canary): StagedRollout => ({ startedAt: t0, baseline: { v7: 100 }, final: { v8: 100 }, added: ['v8'], steps: plan.steps });

  it('canary: 10 % for the bake, then all', () => {
    expect(stepAt(rollout(canary), t0)).toEqual({ index: 0, split: { v7: 90, v8: 10 }, done: false, nextAt: t0 + 600_000 });
    expect(stepAt(rollout(canary), t0 + 599_999).index).toBe(0);
    expect(stepAt(rollout(canary), t0 + 600_000)).toEqual({ index: 1, split: { v8: 100 }, done: true });
  });
  it('linear: 25, 50, 75 every 5 minutes, then 100', () => {
    const r = rollout(linear);
    expect([0, 300_000, 600_000, 900_000].map((dt) => stepAt(r, t0 + dt).split)).toEqual([{ v7: 75, v8: 25 }, { v7: 50, v8: 50 }, { v7: 25, v8: 75 }, { v8: 100 }]);
    expect(stepAt(r, t0 + 900_000).done).toBe(true);
  });
});

describe('breach: the rollback thresholds in words', () => {
  const rollback = { errorRatePercent: 1, p99LatencyMs: 800 };
  it('names the error rate with its figures', () => {
    expect(breach(rollback, { requests: 400, errors: 9 })).toBe('error rate 2.25% > 1% (9 of 400 requests)');
  });
  it('names the latency', () => {
    expect(breach(rollback, { requests: 400, errors: 0, p99LatencyMs: 950.4 })).toBe('p99 latency 950.4ms > 800ms');
  });
  it('is quiet within the thresholds, without traffic, or without a rollback block', () => {
    expect(breach(rollback, { requests: 400, errors: 4, p99LatencyMs: 800 })).toBeUndefined();
    expect(breach(rollback, { requests: 0, errors: 0 })).toBeUndefined();
    expect(breach(undefined, { requests: 10, errors: 10 })).toBeUndefined();
  });
});
