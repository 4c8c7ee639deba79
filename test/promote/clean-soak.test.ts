import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run } from '../../bin/mlspec';
import type { MonitorReport } from '../../lib/promote';
import { fakeLive, hoursAgo, NOW, RELEASES, SPEC } from './fixtures';

/**
 * promotion.cleanSoak: a version whose soak in the source environment had a monitoring violation is
 * refused, naming the signal, the feature and the time; one with clean runs passes; whatever cannot
 * be read fails closed.
 */
const MONITORED = SPEC.replace('    promotion: { from: dev, minSoak: 2h }', '    promotion: { from: dev, minSoak: 2h, cleanSoak: true }').replace(
  '      resources: { accelerator: T4 }\n',
  `      resources: { accelerator: T4 }
      dataCapture: { percent: 20 }
      monitoring:
        schedule: hourly
        baseline: { sagemaker: s3://acme-data/fraud/train/ }
        drift: { threshold: 0.3 }
        alerts: { email: [ml-oncall@acme.com] }
`,
);

function workspace(spec = MONITORED): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-clean-soak-'));
  writeFileSync(path.join(dir, 'mlspec.yaml'), spec);
  writeFileSync(path.join(dir, 'releases.yaml'), RELEASES);
  return dir;
}

async function promote(live: ReturnType<typeof fakeLive>, spec = MONITORED) {
  let out = '';
  let err = '';
  const code = await run(['promote', 'fraud', '8', '--to', 'staging', '--dry-run'], { out: (t) => (out += t), err: (t) => (err += t), cwd: workspace(spec), live, now: () => NOW });
  return { code, out, err };
}

const monitor = (runs: MonitorReport['runs']): Record<string, MonitorReport> => ({ dev: { monitor: 'acme-fraud-dev-monitor', state: 'Scheduled', runs } });
const served = { dev: { '8': hoursAgo(3) }, staging: { '7': hoursAgo(500) } };

describe('promotion.cleanSoak', () => {
  it('passes when every monitoring run since the version started serving was clean', async () => {
    const live = fakeLive({ servingSince: served, monitoring: monitor([
      { at: hoursAgo(1), status: 'Completed', violations: [] },
      { at: hoursAgo(2), status: 'Completed', violations: [] },
      // Before version 8 served: not its soak.
      { at: hoursAgo(5), status: 'CompletedWithViolations', violations: [{ signal: 'data drift', feature: 'amount' }] },
    ]) });
    const r = await promote(live);
    expect(r.code).toBe(0);
    expect(r.out).toContain('  pass  promotion.cleanSoak: 2 sagemaker monitoring runs of acme-fraud-dev-monitor since version 8 started serving in dev, none with a violation\n');
  });

  it('refuses a version whose soak had a violation, naming the signal, the feature and the time', async () => {
    const live = fakeLive({ servingSince: served, monitoring: monitor([
      { at: hoursAgo(1), status: 'CompletedWithViolations', violations: [{ signal: 'data drift', feature: 'amount', detail: 'distance 0.41 > 0.3' }] },
      { at: hoursAgo(2), status: 'Completed', violations: [] },
    ]) });
    const r = await promote(live);
    expect(r.code).toBe(1);
    expect(r.out).toContain("  FAIL  promotion.cleanSoak: version 8's soak in dev was not clean: sagemaker monitor acme-fraud-dev-monitor reported data drift on amount at 2026-11-24T11:00:00.000Z (distance 0.41 > 0.3)\n");
  });

  it('fails closed: no run yet, no monitor deployed, the monitor unreadable, the version not serving, no monitoring in the spec', async () => {
    let r = await promote(fakeLive({ servingSince: served, monitoring: monitor([]) }));
    expect(r.code).toBe(1);
    expect(r.out).toContain("  FAIL  promotion.cleanSoak: no sagemaker monitoring run has judged version 8's traffic in dev since it started serving at 2026-11-24T09:00:00.000Z; wait for the next run of acme-fraud-dev-monitor\n");

    r = await promote(fakeLive({ servingSince: served }));
    expect(r.out).toContain("  FAIL  promotion.cleanSoak: fraud has no sagemaker monitor deployed in dev; deploy dev's stack (it declares the monitor), then let version 8 soak\n");

    r = await promote(fakeLive({ servingSince: served, monitoringFails: 'AccessDenied: not authorized to perform sagemaker:ListMonitoringExecutions' }));
    expect(r.out).toContain('  FAIL  promotion.cleanSoak: cannot read the sagemaker monitor in dev: AccessDenied: not authorized to perform sagemaker:ListMonitoringExecutions; check your cloud credentials for that environment, or use --force --reason "..." where the environment is not protected\n');

    r = await promote(fakeLive({ servingSince: served, monitoring: monitor([{ at: hoursAgo(1), status: 'Failed', violations: [] }, { at: hoursAgo(2), status: 'Completed', violations: [] }]) }));
    expect(r.out).toContain("  FAIL  promotion.cleanSoak: version 8's soak in dev cannot be shown clean: sagemaker monitor acme-fraud-dev-monitor's run at 2026-11-24T11:00:00.000Z ended Failed, so it judged nothing; fix the monitor and let the version soak again\n");
    // A run still going judges nothing yet: with no finished run, the gate waits for one.
    r = await promote(fakeLive({ servingSince: served, monitoring: monitor([{ at: hoursAgo(1), status: 'InProgress', violations: [] }]) }));
    expect(r.out).toContain("  FAIL  promotion.cleanSoak: no sagemaker monitoring run has judged version 8's traffic in dev since it started serving at 2026-11-24T09:00:00.000Z; wait for the next run of acme-fraud-dev-monitor\n");

    const noReader = fakeLive({ servingSince: served });
    const reader = noReader('sagemaker')!;
    r = await promote(Object.assign(() => ({ ...reader, monitoring: undefined }), { approved: [] }) as never);
    expect(r.out).toContain('  FAIL  promotion.cleanSoak: mlspec cannot read sagemaker monitoring in dev yet; the gate fails closed\n');

    r = await promote(fakeLive({ servingSince: { dev: {} }, monitoring: monitor([]) }));
    expect(r.out).toContain('  FAIL  promotion.cleanSoak: version 8 is not serving on the live sagemaker endpoint in dev, so no monitor has judged it; deploy dev and let it soak\n');

    r = await promote(fakeLive({ servingSince: served }), SPEC.replace('    promotion: { from: dev, minSoak: 2h }', '    promotion: { from: dev, minSoak: 2h, cleanSoak: true }'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAIL  promotion.cleanSoak: fraud has no monitor in dev to show a clean soak (serving.monitoring, where it serves there); add serving.monitoring, or turn off promotion.cleanSoak\n');
  });

  it('is off by default: a violation does not refuse a promotion that does not ask for a clean soak', async () => {
    const live = fakeLive({ servingSince: served, monitoring: monitor([{ at: hoursAgo(1), status: 'CompletedWithViolations', violations: [{ signal: 'data drift', feature: 'amount' }] }]) });
    const r = await promote(live, MONITORED.replace(', cleanSoak: true', ''));
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('cleanSoak');
  });
});
