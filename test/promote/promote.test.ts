import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run } from '../../bin/mlspec';
import { editRelease, promotedTraffic } from '../../lib/promote';
import { fakeLive, hoursAgo, NOW, RELEASES, SPEC } from './fixtures';

function workspace(releases = RELEASES): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-promote-'));
  writeFileSync(path.join(dir, 'mlspec.yaml'), SPEC);
  writeFileSync(path.join(dir, 'releases.yaml'), releases);
  return dir;
}

async function cli(dir: string, live: ReturnType<typeof fakeLive>, ...args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: dir, live, now: () => NOW });
  return { code, out, err, releases: readFileSync(path.join(dir, 'releases.yaml'), 'utf8') };
}

const soakedInDev = (h: number) => fakeLive({ servingSince: { dev: { '8': hoursAgo(h) }, staging: { '7': hoursAgo(500) } } });

describe('mlspec promote: gates', () => {
  it('passes every gate, edits only the release line, and keeps comments byte for byte', async () => {
    const dir = workspace();
    const r = await cli(dir, soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging');
    expect(r.code).toBe(0);
    expect(r.out).toContain('  pass  registry.gates.accuracy: accuracy >= 0.95: version 8 has 0.97 (from models.fraud.versions.8.metrics)\n');
    expect(r.out).toContain('  pass  promotion.from: version 8 serves in dev (100% in releases.yaml)\n');
    expect(r.out).toContain('  pass  promotion.minSoak: version 8 has served in dev for 3h (at least 2h)\n');
    expect(r.releases).toBe(RELEASES.replace('  # staging mirrors prod plus a canary\n  fraud: { traffic: { "7": 100 } }', '  # staging mirrors prod plus a canary\n  fraud: { traffic: { "8": 100 } }'));
    expect(r.out).toContain('-  fraud: { traffic: { "7": 100 } }\n+  fraud: { traffic: { "8": 100 } }\n');
    expect(r.out).toContain('wrote releases.yaml; review the diff, merge, and cdk deploy\n');
  });

  it('refuses when a metric gate fails, naming the gate and the figures', async () => {
    const dir = workspace(RELEASES.replace('"8": 100', '"9": 100'));
    const live = fakeLive({ servingSince: { dev: { '9': hoursAgo(5) } } });
    const r = await cli(dir, live, 'promote', 'fraud', '9', '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAIL  registry.gates.accuracy: accuracy >= 0.95: version 9 has 0.91 (from models.fraud.versions.9.metrics)\n');
    expect(r.err).toBe('refused: 1 gate failed for fraud 9 → staging\n');
    expect(r.releases).toBe(RELEASES.replace('"8": 100', '"9": 100'));
  });

  it('refuses a version that does not serve in the source environment', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '7', '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAIL  promotion.from: staging takes versions from dev, and version 7 does not serve there (it serves 8); promote it to dev first\n');
    expect(r.out).toContain('  FAIL  promotion.minSoak: version 7 is not serving on the live sagemaker endpoint in dev; deploy dev and let it soak 2h\n');
  });

  it('refuses before the soak time is over and says how long to wait', async () => {
    const r = await cli(workspace(), soakedInDev(0.5), 'promote', 'fraud', '8', '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAIL  promotion.minSoak: version 8 has served in dev for 30m; it needs 2h, so wait 1h 30m more\n');
  });

  it('requires approval in the target registry where the environment asks for it', async () => {
    const releases = RELEASES.replace('# staging mirrors prod plus a canary\n  fraud: { traffic: { "7": 100 } }', '# staging mirrors prod plus a canary\n  fraud: { traffic: { "8": 100 } }');
    const pending = fakeLive({ servingSince: { staging: { '8': hoursAgo(30) } }, approvals: { prod: { '8': 'pending' } } });
    const r = await cli(workspace(releases), pending, 'promote', 'fraud', '8', '--to', 'prod');
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAIL  promotion.approval: version 8 is pending in the sagemaker registry of prod; approve it with mlspec approve fraud 8 --env prod\n');
    const missing = fakeLive({ servingSince: { staging: { '8': hoursAgo(30) } } });
    expect((await cli(workspace(releases), missing, 'promote', 'fraud', '8', '--to', 'prod')).out).toContain(
      "  FAIL  promotion.approval: version 8 is not in the sagemaker registry of prod; deploy prod's stack (it registers declared versions), then mlspec approve fraud 8 --env prod\n",
    );
    const approved = fakeLive({ servingSince: { staging: { '8': hoursAgo(30) } }, approvals: { prod: { '8': 'approved' } } });
    const ok = await cli(workspace(releases), approved, 'promote', 'fraud', '8', '--to', 'prod');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('  pass  promotion.approval: version 8 is approved in the sagemaker registry of prod\n');
  });

  it('fails closed when live state cannot be read', async () => {
    const r = await cli(workspace(), fakeLive({ fail: 'ExpiredToken: the security token included in the request is expired' }), 'promote', 'fraud', '8', '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      '  FAIL  promotion.minSoak: cannot read the live sagemaker endpoint in dev: ExpiredToken: the security token included in the request is expired; check your cloud credentials for that environment, or use --force --reason "..." where the environment is not protected\n',
    );
  });

  it('fails closed for a provider whose live state mlspec cannot read', async () => {
    const none = (() => undefined) as unknown as ReturnType<typeof fakeLive>;
    const r = await cli(workspace(), none, 'promote', 'fraud', '8', '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAIL  promotion.minSoak: cannot tell how long version 8 has served in dev: mlspec cannot read live state of sagemaker in dev yet; the gate fails closed\n');
  });
});

describe('mlspec promote: the manifest edit', () => {
  it('--percent gives the version N % and leaves the rest on what served before', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging', '--percent', '10');
    expect(r.code).toBe(0);
    expect(r.releases).toContain('  fraud: { traffic: { "7": 90, "8": 10 } }\n');
  });

  it('splits the rest in proportion, summing to exactly 100', () => {
    expect(promotedTraffic({ traffic: { '5': 50, '6': 30, '7': 20 } }, '8', 25)).toEqual({ traffic: { '5': 38, '6': 22, '7': 15, '8': 25 }, shadow: undefined });
    expect(promotedTraffic({ traffic: { '7': 90, '8': 10 } }, '8', 100)).toEqual({ traffic: { '8': 100 }, shadow: undefined });
    expect(promotedTraffic({ traffic: { '7': 100 }, shadow: { version: '8', percent: 20 } }, '8', 10)).toEqual({ traffic: { '7': 90, '8': 10 }, shadow: undefined });
    expect(promotedTraffic(undefined, '8', 10)).toBe('nothing else serves there to take the other 90%; promote with --percent 100 (or without --percent)');
  });

  it('--dry-run prints the diff and writes nothing', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--- releases.yaml\n+++ releases.yaml\n');
    expect(r.out).toContain('dry run: releases.yaml not written\n');
    expect(r.releases).toBe(RELEASES);
  });

  it('--force --reason overrides a failed gate where the environment is not protected, and records why', async () => {
    const r = await cli(workspace(), soakedInDev(0.5), 'promote', 'fraud', '8', '--to', 'staging', '--force', '--reason', 'hotfix for incident 4711');
    expect(r.code).toBe(0);
    expect(r.releases).toContain('  # forced by mlspec promote 8 on 2026-11-24: hotfix for incident 4711 (failed: promotion.minSoak)\n  fraud: { traffic: { "8": 100 } }\n');
    expect(r.out).toContain('gates overridden with --force; the reason is recorded in releases.yaml\n');
  });

  it('refuses --force in a protected environment', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'prod', '--force', '--reason', 'just this once');
    expect(r.code).toBe(1);
    expect(r.err).toBe('refused: prod is protected, so --force cannot override its gates; make the failing gates pass\n');
  });

  it('needs a reason for --force (usage error)', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging', '--force');
    expect(r).toEqual(expect.objectContaining({ code: 2, err: 'error: --force needs --reason "..." saying why the gates are overridden; it goes into releases.yaml\n' }));
  });

  it('names unknown models, environments and bad percents as usage errors', async () => {
    expect((await cli(workspace(), soakedInDev(3), 'promote', 'frod', '8', '--to', 'staging')).err).toBe('error: model "frod" is not in the spec; it has fraud\n');
    expect((await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'stage')).err).toBe('error: --to: environment "stage" is not in the spec; it has dev, staging, prod\n');
    expect((await cli(workspace(), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging', '--percent', '120')).err).toBe('error: --percent 120 is not a whole percent from 1 to 100\n');
  });

  it('adds a model or environment the manifest does not have yet, leaving the rest as it was', () => {
    const added = editRelease(RELEASES, 'staging', 'ranker', { traffic: { '3': 100 } });
    expect(added).toBe(RELEASES.replace('  fraud: { traffic: { "7": 100 } }\nprod:', '  fraud: { traffic: { "7": 100 } }\n  ranker: { traffic: { "3": 100 } }\nprod:'));
    const env = editRelease('dev:\n  fraud: { traffic: { "8": 100 } }\n', 'qa', 'fraud', { traffic: { '8': 100 } });
    expect(env).toBe('dev:\n  fraud: { traffic: { "8": 100 } }\nqa:\n  fraud: { traffic: { "8": 100 } }\n');
  });

  it('rewrites a block-style release in block style', () => {
    const text = 'prod:\n  fraud:\n    traffic:\n      "7": 100\n  other: { traffic: { "1": 100 } }\n';
    expect(editRelease(text, 'prod', 'fraud', { traffic: { '7': 90, '8': 10 } })).toBe('prod:\n  fraud:\n    traffic:\n      "7": 90\n      "8": 10\n  other: { traffic: { "1": 100 } }\n');
  });

  it('refuses a promotion that would make the manifest invalid', async () => {
    const releases = RELEASES.replace('  fraud: { traffic: { "7": 100 } }\nprod:', '  fraud: { traffic: { "7": 100 }, shadow: { version: "9", percent: 10 } }\nprod:');
    const r = await cli(workspace(releases), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging', '--percent', '20');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'refused: the promoted releases.yaml would be invalid:\nreleases.yaml:7:43  staging.fraud.shadow: sagemaker takes a shadow only beside a single live version, and staging splits traffic over 7, 8; give one version 100% while the shadow runs, or remove shadow\n',
    );
  });
});

describe('mlspec promote: manifests it will not rewrite', () => {
  it('asks for block layout when an environment is written on one line', async () => {
    const releases = 'dev: { fraud: { traffic: { "8": 100 } } }\nstaging: { fraud: { traffic: { "7": 100 } } }\nprod:\n  fraud: { traffic: { "7": 100 } }\n';
    const r = await cli(workspace(releases), soakedInDev(3), 'promote', 'fraud', '8', '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.err).toBe('cannot edit releases.yaml: staging is written on one line ({ ... }); write it as a block, one model per line, so promote can edit it\n');
    expect(r.releases).toBe(releases);
  });

  it('adds a release under an environment that has none yet', () => {
    expect(editRelease('dev:\nprod:\n  other: { traffic: { "1": 100 } }\n', 'dev', 'fraud', { traffic: { '8': 100 } })).toBe('dev:\n  fraud: { traffic: { "8": 100 } }\nprod:\n  other: { traffic: { "1": 100 } }\n');
  });
});

describe('mlspec approve', () => {
  it('records approval in the environment’s registry', async () => {
    const live = soakedInDev(3);
    const r = await cli(workspace(), live, 'approve', 'fraud', '8', '--env', 'prod');
    expect(r).toEqual(expect.objectContaining({ code: 0, out: 'approved fraud 8 in the sagemaker registry of prod\n' }));
    expect(live.approved).toEqual(['prod/8']);
  });
});

describe('mlspec approve: failures', () => {
  it('says why the registry could not record the approval', async () => {
    const live = soakedInDev(3);
    const failing = ((p: string) => {
      const reader = live(p as never);
      return reader && { ...reader, approve: async () => { throw new Error('AccessDeniedException: not authorized to perform sagemaker:UpdateModelPackage'); } };
    }) as unknown as ReturnType<typeof fakeLive>;
    const r = await cli(workspace(), failing, 'approve', 'fraud', '8', '--env', 'prod');
    expect(r).toEqual(expect.objectContaining({ code: 1, err: 'cannot approve fraud 8 in prod: AccessDeniedException: not authorized to perform sagemaker:UpdateModelPackage\n' }));
  });

  it('fails for a provider whose registry mlspec cannot write yet', async () => {
    const none = (() => undefined) as unknown as ReturnType<typeof fakeLive>;
    const r = await cli(workspace(), none, 'approve', 'fraud', '8', '--env', 'prod');
    expect(r).toEqual(expect.objectContaining({ code: 1, err: 'cannot record approval: mlspec cannot write the registry of sagemaker yet\n' }));
  });

  it('names an unknown environment (usage error)', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'approve', 'fraud', '8', '--env', 'prd');
    expect(r).toEqual(expect.objectContaining({ code: 2, err: 'error: --env: environment "prd" is not in the spec; did you mean "prod"?\n' }));
  });
});

describe('mlspec diff', () => {
  it('names an unknown environment (usage error)', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'diff', '--from', 'dev', '--to', 'stagin');
    expect(r).toEqual(expect.objectContaining({ code: 2, err: 'error: --to: environment "stagin" is not in the spec; did you mean "staging"?\n' }));
  });

  it('shows what would change in one environment if it served what another serves', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'diff', '--from', 'dev', '--to', 'staging');
    expect(r.out).toBe(
      'staging if it served what dev serves:\n' +
        '  fraud:\n    sagemaker:\n' +
        '      before: v7 100% on ml.g4dn.xlarge ×1-1\n' +
        '      after:  v8 100% on ml.g4dn.xlarge ×1-1\n' +
        '      + v8; - v7\n' +
        '      cost/month: $537.28 → $537.28\n',
    );
  });

  it('prints JSON with versions added, removed and moved', async () => {
    const releases = RELEASES.replace('"8": 100 } }   #', '"7": 80, "8": 20 } }   #');
    const r = await cli(workspace(releases), soakedInDev(3), 'diff', '--from', 'dev', '--to', 'prod', '--json');
    const diff = JSON.parse(r.out);
    expect(diff.models[0].providers[0]).toEqual(expect.objectContaining({ provider: 'sagemaker', added: ['8'], removed: [], moved: { '7': [100, 80] }, costPerMonthBefore: 537.28, costPerMonthAfter: 1074.56 }));
  });

  it('says when nothing would change', async () => {
    const r = await cli(workspace(), soakedInDev(3), 'diff', '--from', 'staging', '--to', 'prod');
    expect(r.out).toBe('prod if it served what staging serves:\n  fraud: no change\n');
  });
});
