import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('mlspec status without cloud credentials', () => {
  it('says which providers it cannot read and exits 1, without a stack trace from Google sign-in promises nobody awaits', () => {
    // A user's machine with no credential anywhere: an empty HOME (no gcloud ADC, no ~/.aws), no
    // metadata servers, no credential variables.
    const home = mkdtempSync(path.join(os.tmpdir(), 'mlspec-no-creds-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, METADATA_SERVER_DETECTION: 'none', AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1' };
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/mlspec.js'), 'status', '--env', 'dev', '--spec', 'examples/mlspec.yaml', '--releases', 'examples/releases.yaml'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toContain('    vertex     unread: cannot read vertex in dev: Could not load the default credentials.');
    expect(r.stdout).toContain('    sagemaker  unread: cannot read sagemaker in dev: Could not load credentials from any providers');
    expect(r.stderr).not.toContain('googleauth.js');
    expect(r.stderr).not.toMatch(/^Node\.js v/m);
    expect(r.status).toBe(1);
  });
});
