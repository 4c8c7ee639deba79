import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Runs the CDK app the way `cdk synth` does (CDK_OUTDIR + CDK_CONTEXT_JSON). */
function synth(context: Record<string, string>) {
  const out = mkdtempSync(path.join(tmpdir(), 'mlspec-synth-'));
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify(context) },
  });
  return { ...r, templates: r.status === 0 ? readdirSync(out).filter((f) => f.endsWith('.template.json')).sort() : [] };
}

describe('the CDK app', () => {
  it('makes one stack per model per environment of the bundled example, and one handlers stack per environment', () => {
    const r = synth({});
    expect(r.status).toBe(0);
    expect(r.templates).toEqual([
      'acme-fraud-detector-dev.template.json',
      'acme-fraud-detector-prod.template.json',
      'acme-fraud-detector-staging.template.json',
      'acme-handlers-dev.template.json',
      'acme-handlers-prod.template.json',
      'acme-handlers-staging.template.json',
      'acme-search-ranker-dev.template.json',
      'acme-search-ranker-prod.template.json',
      'acme-search-ranker-staging.template.json',
      'acme-support-assistant-dev.template.json',
      'acme-support-assistant-prod.template.json',
      'acme-support-assistant-staging.template.json',
    ]);
  });

  it('reports a bad spec like mlspec validate, without a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-bad-'));
    const spec = path.join(dir, 'mlspec.yaml');
    writeFileSync(spec, 'project: acme\nenvironments:\n  dev: { aws: { account: "111111111111", region: us-east-1 } }\nmodels: {}\nextra: 1\n');
    const r = synth({ spec });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${spec}:5:1  extra: unknown key "extra"; expected one of project, environments, models\n1 error\n`);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });

  it('refuses an unknown environment in -c env', () => {
    const r = synth({ env: 'qa' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('-c env: environment "qa" is not in examples/mlspec.yaml; it has dev, staging, prod\n');
  });
});
