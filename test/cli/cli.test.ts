import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run } from '../../bin/mlspec';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = ['--spec', path.join(ROOT, 'examples/mlspec.yaml'), '--releases', path.join(ROOT, 'examples/releases.yaml')];

/** Runs the CLI in process; returns exit code, stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: ROOT });
  return { code, out, err };
}

function project(spec: string, releases: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-cli-'));
  writeFileSync(path.join(dir, 'mlspec.yaml'), spec);
  writeFileSync(path.join(dir, 'releases.yaml'), releases);
  return dir;
}

const SPEC = `project: acme
environments:
  dev: { aws: { account: "111111111111", region: us-east-1 } }
models:
  fraud:
    versions:
      "7": { artifact: { sagemaker: s3://m/7/model.tar.gz } }
    serving:
      image: { sagemaker: 1.dkr.ecr.us-east-1.amazonaws.com/x:1 }
      resources: { accelerator: T4 }
`;

describe('mlspec validate', () => {
  it('exits 0 on the bundled example', async () => {
    const r = await cli('validate', ...EXAMPLE);
    expect(r).toEqual({ code: 0, out: 'examples/mlspec.yaml: valid (3 model(s), 3 environment(s), 7 release(s))\n', err: '' });
  });

  it('prints every error with file:line:col and exits 1', async () => {
    const dir = project(SPEC.replace('accelerator: T4', 'accelerator: T5'), 'dev:\n  fraud: { traffic: { "7": 60 } }\n');
    const r = await cli('validate', '--spec', path.join(dir, 'mlspec.yaml'), '--releases', path.join(dir, 'releases.yaml'));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    // Files outside the working directory are shown by their absolute path.
    expect(r.err).toBe(
      `${dir}/mlspec.yaml:10:33  models.fraud.serving.resources.accelerator: "T5" is not allowed; did you mean "T4"?\n` +
        `${dir}/releases.yaml:2:12  dev.fraud.traffic: percentages add up to 60; they must add up to 100\n2 errors\n`,
    );
  });

  it('says which file is missing', async () => {
    const r = await cli('validate', '--spec', 'nope.yaml');
    expect(r).toEqual({ code: 1, out: '', err: 'nope.yaml  (top level): file not found; create it (see examples/mlspec.yaml) or pass --spec PATH\n1 error\n' });
  });

  it('treats a missing releases.yaml as nothing released', async () => {
    const dir = project(SPEC, '');
    const r = await cli('validate', '--spec', path.join(dir, 'mlspec.yaml'), '--releases', path.join(dir, 'absent.yaml'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid \(1 model\(s\), 1 environment\(s\), 0 release\(s\)\)/);
  });

  it('loads a TypeScript spec through the same schema', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-ts-'));
    const file = path.join(dir, 'mlspec.ts');
    writeFileSync(
      file,
      `import { defineSpec, defineReleases } from '${path.join(ROOT, 'lib/spec')}';
export default defineSpec({
  project: 'acme',
  environments: { dev: { aws: { account: '111111111111', region: 'us-east-1' } } },
  models: { fraud: { versions: { '7': { artifact: { sagemaker: 's3://m/7/model.tar.gz' } } },
    serving: { image: { sagemaker: '1.dkr.ecr.us-east-1.amazonaws.com/x:1' }, resources: { accelerator: 'T4' }, replicas: { min: 3, max: 1 } } } },
});
export const releases = defineReleases({ dev: { fraud: { traffic: { '7': 100 } } } });
`,
    );
    // Through the real bin: loading TypeScript (tsx) does not mix with jest's module loader.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/mlspec.js'), 'validate', '--spec', file], { encoding: 'utf8', cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mlspec.ts  models.fraud.serving.replicas.min: min (3) is more than max (1); make min ≤ max\n1 error\n`);
  });
});

describe('mlspec plan', () => {
  it('shows SKUs, traffic in each provider’s form and cost for one environment', async () => {
    const r = await cli('plan', ...EXAMPLE, '--env', 'staging');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^staging {2}\(aws 222222222222 us-east-1; gcp acme-ml-staging us-central1; azure acme-staging eastus\) {2}\[promotes from dev after 2h\]/);
    expect(r.out).toMatch(/sagemaker {2}v7 {7}ml\.g4dn\.xlarge +1 +1-4 +weight 90 +\$537\.28/);
    expect(r.out).toMatch(/azureml +v8 +Standard_NC4as_T4_v3 +1 +1-4 +traffic 10/);
    expect(r.out).toMatch(/vertex +v4 +g2-standard-8 \+ NVIDIA_L4 +1 +2-6 +trafficSplit 25/);
    expect(r.out).toContain('rollout: canary 10% for 10m, then 100%; rollback when errors > 1% or p99 > 800ms');
    expect(r.out).toContain('\n  handlers: stack acme-handlers-staging\n');
    // mlspec walks these steps on SageMaker too: no note that a new version gets its share in one update.
    expect(r.out).not.toContain('gets its share in one update');
    expect(r.out).not.toContain('prod');
  });

  it('shows Azure mirrorTraffic and the SageMaker shadow variant', async () => {
    const r = await cli('plan', ...EXAMPLE, '--env', 'dev');
    expect(r.out).toMatch(/sagemaker +v9 +ml\.g4dn\.xlarge +1 +1-4 +shadow weight 20/);
    expect(r.out).toMatch(/azureml +v9 +Standard_NC4as_T4_v3 +1 +1-4 +mirrorTraffic 20/);
  });

  it('prints the documented JSON', async () => {
    const r = await cli('plan', ...EXAMPLE, '--json');
    const plan = JSON.parse(r.out);
    expect(plan.schemaVersion).toBe(1);
    expect(plan.environments.map((e: { name: string }) => e.name)).toEqual(['dev', 'staging', 'prod']);
    const staging = plan.environments[1].models.find((m: { name: string }) => m.name === 'search-ranker');
    expect(staging.vertex.serving.trafficSplit).toEqual({ 'search-ranker-v3': 75, 'search-ranker-v4': 25 });
    expect(staging.sagemaker.serving.variants.map((v: { variantName: string; weight: number }) => [v.variantName, v.weight])).toEqual([['v3', 75], ['v4', 25]]);
  });

  it('is a usage error (exit 2) to name an unknown environment', async () => {
    const r = await cli('plan', ...EXAMPLE, '--env', 'prd');
    expect(r).toEqual({ code: 2, out: '', err: 'error: --env: environment "prd" is not in the spec; did you mean "prod"?\n' });
  });
});

describe('usage', () => {
  it('exits 2 on an unknown command or option', async () => {
    expect((await cli('deploy')).code).toBe(2);
    const r = await cli('validate', '--sepc', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toContain("error: unknown option '--sepc'");
    expect(r.err).toContain('(Did you mean --spec?)');
  });

  it('prints the JSON Schema of both files', async () => {
    const spec = JSON.parse((await cli('schema')).out);
    expect(spec.properties.models.additionalProperties.properties.serving.properties.rollout.properties.strategy.enum).toEqual(['all-at-once', 'canary', 'linear']);
    expect(spec.additionalProperties).toBe(false);
    const releases = JSON.parse((await cli('schema', '--releases')).out);
    expect(releases.title).toBe('mlspec release manifest (releases.yaml)');
  });
});

describe('the installed bin', () => {
  it('runs as `mlspec` with exit codes and no stack trace', () => {
    const bin = path.join(ROOT, 'bin/mlspec.js');
    expect(execFileSync(process.execPath, [bin, 'validate', ...EXAMPLE], { encoding: 'utf8' })).toContain('valid');
    const bad = spawnSync(process.execPath, [bin, 'validate', '--spec', 'missing.yaml'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
  });
});

describe('what a command loads', () => {
  it('mlspec validate and plan load no cloud SDK; the clients are required by the commands that use them', () => {
    const ROOT = require('node:path').resolve(__dirname, '../..') as string;
    const script = `require('./bin/mlspec.ts').main(['node', 'mlspec', ...JSON.parse(process.argv[1])]).then(() => {
      const sdks = new Set(Object.keys(require.cache).map((k) => /node_modules\\/(@aws-sdk\\/[^/]+|@azure\\/[^/]+|@google-cloud\\/[^/]+|google-gax|@grpc\\/grpc-js)\\//.exec(k)?.[1]).filter(Boolean));
      process.stderr.write(JSON.stringify([...sdks].sort()));
    });`;
    const run = (args: string[]) => {
      const r = require('node:child_process').spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script, JSON.stringify(args)], { cwd: ROOT, encoding: 'utf8' });
      return JSON.parse(r.stderr.trim().split('\n').pop() || '[]') as string[];
    };
    const files = ['--spec', 'examples/mlspec.yaml', '--releases', 'examples/releases.yaml'];
    expect(run(['validate', ...files])).toEqual([]);
    expect(run(['plan', ...files])).toEqual([]);
    // fraud-detector trains on SageMaker: its runner's AWS clients, and nothing of Google or Azure.
    const train = run(['train', 'fraud-detector', '--env', 'dev', '--dry-run', ...files]);
    expect(train).toContain('@aws-sdk/client-sagemaker');
    expect(train.filter((m) => !m.startsWith('@aws-sdk/'))).toEqual([]);
  });
});
