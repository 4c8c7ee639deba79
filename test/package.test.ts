import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as pkg from '../index';

const ROOT = path.resolve(__dirname, '..');

describe('the published package', () => {
  it('its entry point (main) is compiled JavaScript with declarations, and exports the constructs, the spec and the plan', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const manifest = require('../package.json') as { main: string; types: string; bin: Record<string, string>; peerDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect([manifest.main, manifest.types]).toEqual(['dist/index.js', 'dist/index.d.ts']);
    expect(manifest.bin).toEqual({ mlspec: 'bin/mlspec.js' });
    // One aws-cdk-lib and one constructs in a user's app: theirs (scripts/check-package.sh synthesizes the example at 2.269.0, the lowest that works).
    expect(manifest.peerDependencies).toEqual({ 'aws-cdk-lib': '^2.269.0', constructs: '^10.5.0' });
    // What synth needs, bundled in the tarball (jsii): no cloud SDK, no CLI library; the CLI ships pre-bundled.
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['yaml', 'zod']);
    expect((manifest as unknown as { bundleDependencies: string[] }).bundleDependencies).toEqual(['yaml', 'zod']);
    // Plain Node, no TypeScript loader: what a JavaScript app or ts-node (which does not compile node_modules) gets.
    const names = ['MlspecApp', 'MlspecProject', 'HandlersStack', 'TrainingPipeline', 'InstanceType', 'ContainerImage', 'ModelData', 'addModelStacks', 'ModelStack', 'ModelEndpoint', 'ModelRegistry', 'VertexModel', 'AzureMlModel', 'defineSpec', 'defineReleases', 'validateProject', 'loadProject', 'resolvePlan'];
    const script = `const m = require(${JSON.stringify(ROOT)});
      const sdks = [...new Set(Object.keys(require.cache).map((k) => /node_modules\\/(@aws-sdk\\/[^/]+|@azure\\/[^/]+|@google-cloud\\/[^/]+|google-gax)\\//.exec(k)?.[1]).filter(Boolean))];
      process.stdout.write(JSON.stringify({ types: ${JSON.stringify(names)}.map((n) => typeof m[n]), sdks }))`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { types: string[]; sdks: string[] };
    expect(loaded.types).toEqual(names.map(() => 'function'));
    // A construct user's app loads no cloud SDK: the clients are the CLI's and the handler bundles' own.
    expect(loaded.sdks).toEqual([]);
    for (const name of names) expect(typeof (pkg as Record<string, unknown>)[name]).toBe('function');
  });

  it('ships compiled JavaScript, declarations, the bundled handlers and the CLI, but no TypeScript sources, tests or benches', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ files: { path: string }[] }];
    const files = packed.files.map((f) => f.path);
    expect(files.filter((f) => f.startsWith('dist/handlers/')).sort()).toEqual(['dist/handlers/azureml/index.js', 'dist/handlers/sagemaker/index.js', 'dist/handlers/sizes.json', 'dist/handlers/vertex/index.js']);
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'bin/mlspec.js', 'dist/cli/mlspec.js', 'dist/cli/aws.js', 'dist/cli/google.js', 'dist/cli/azure.js', 'dist/constructs/index.js', 'dist/constructs/index.d.ts', 'dist/lib/spec/index.js', 'dist/lib/catalog/data/sagemaker-skus.json', 'dist/lib/serving/data/servers.json', 'schema/mlspec.schema.json', 'examples/mlspec.yaml']) {
      expect(files).toContain(f);
    }
    // node_modules/ holds yaml and zod, bundled as jsii requires of a dependency that is not a jsii package.
    expect([...new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/')[1]))].sort()).toEqual(['yaml', 'zod']);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('node_modules/'))).toEqual([]);
    expect(files.filter((f) => /^(test|bench|cdk\.out|dist\/test|dist\/bench)\//.test(f))).toEqual([]);
  });
});

describe('the README\'s "In your own CDK app" example', () => {
  it('runs as written (the package import pointed at this checkout) and synthesizes a stack per model per environment', () => {
    const { mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync } = require('node:fs') as typeof import('node:fs');
    const os = require('node:os') as typeof import('node:os');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```ts\n(\/\/ infra\/app\.ts\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlspec-readme-'));
    for (const f of ['mlspec.yaml', 'releases.yaml']) copyFileSync(path.join(ROOT, 'examples', f), path.join(dir, f));
    writeFileSync(path.join(dir, 'app.ts'), block!.replace("'@mlspec/cdk'", JSON.stringify(path.join(ROOT, 'index.ts'))));
    const out = path.join(dir, 'cdk.out');
    // The user's node_modules are this checkout's (NODE_PATH).
    execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), 'app.ts'], {
      cwd: dir,
      env: { ...process.env, CDK_OUTDIR: out, NODE_PATH: path.join(ROOT, 'node_modules') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const templates = readdirSync(out).filter((f) => f.endsWith('.template.json')).sort();
    expect(templates).toEqual([
      'acme-fraud-detector-dev.template.json', 'acme-fraud-detector-prod.template.json', 'acme-fraud-detector-staging.template.json',
      'acme-handlers-dev.template.json', 'acme-handlers-prod.template.json', 'acme-handlers-staging.template.json',
      'acme-search-ranker-dev.template.json', 'acme-search-ranker-prod.template.json', 'acme-search-ranker-staging.template.json',
      'acme-support-assistant-dev.template.json',
      'acme-support-assistant-prod.template.json',
      'acme-support-assistant-staging.template.json',
    ]);
  });
});
