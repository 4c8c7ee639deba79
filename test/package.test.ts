import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as pkg from '../index';

const ROOT = path.resolve(__dirname, '..');

describe('the published package', () => {
  it('its entry point (main) exports the constructs, the spec and the plan', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const manifest = require('../package.json') as { main: string; types: string; bin: Record<string, string> };
    expect(manifest.main).toBe('index.ts');
    expect(manifest.bin).toEqual({ mlspec: 'bin/mlspec.js' });
    for (const name of ['addModelStacks', 'ModelStack', 'ModelEndpoint', 'ModelRegistry', 'VertexModel', 'AzureMlModel', 'defineSpec', 'defineReleases', 'validateProject', 'loadProject', 'resolvePlan']) {
      expect(typeof (pkg as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('ships the bundled handlers, the sources it runs from and the CLI, but no tests or benches', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ files: { path: string }[] }];
    const files = packed.files.map((f) => f.path);
    expect(files.filter((f) => f.startsWith('dist/')).sort()).toEqual(['dist/handlers/azureml/index.js', 'dist/handlers/sagemaker/index.js', 'dist/handlers/sizes.json', 'dist/handlers/vertex/index.js']);
    for (const f of ['index.ts', 'bin/mlspec.js', 'bin/mlspec.ts', 'bin/app.ts', 'constructs/index.ts', 'lib/spec/index.ts', 'lib/catalog/data/sagemaker-skus.json', 'schema/mlspec.schema.json', 'examples/mlspec.yaml']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(test|bench|cdk\.out|node_modules)\//.test(f))).toEqual([]);
  });
});
