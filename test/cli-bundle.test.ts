import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/*
 * The CLI as an installed package runs it: bin/mlspec.js and the bundles of dist/cli/
 * (scripts/build-cli.ts), in a folder with no node_modules anywhere above it, so nothing but what
 * the package ships can be loaded.
 */
const ROOT = path.resolve(__dirname, '..');
const BUILT = path.join(ROOT, 'dist/cli');
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The newest modification time of what the bundles are made of. */
function newestSource(): number {
  let newest = 0;
  const walk = (p: string): void => {
    const s = statSync(p);
    if (s.isDirectory()) for (const f of readdirSync(p)) walk(path.join(p, f));
    else if (/\.(ts|json)$/.test(p)) newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of ['bin/mlspec.ts', 'lib', 'scripts/build-cli.ts', 'scripts/build-handlers.ts']) walk(path.join(ROOT, p));
  return newest;
}

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'mlspec-cli-bundle-')));
/** The installed package (what node_modules/@mlspec/cdk holds) and a user's project beside it. */
const PKG = path.join(base, 'cdk');
const PROJECT = path.join(base, 'project');
/** No NODE_PATH, and a HOME without ~/.node_modules: node's global folders find nothing either. */
const ENV: NodeJS.ProcessEnv = { ...process.env, HOME: base, NODE_PATH: undefined, NODE_OPTIONS: undefined };

beforeAll(() => {
  mkdirSync(path.join(PKG, 'bin'), { recursive: true });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(PKG, 'package.json'));
  copyFileSync(path.join(ROOT, 'bin/mlspec.js'), path.join(PKG, 'bin/mlspec.js'));
  const out = path.join(PKG, 'dist/cli');
  if (existsSync(path.join(BUILT, 'mlspec.js')) && statSync(path.join(BUILT, 'mlspec.js')).mtimeMs >= newestSource()) {
    cpSync(BUILT, out, { recursive: true });
  } else {
    // No build, or one older than the sources: bundle them here (not into dist/, which other tests read).
    execFileSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/build-cli.ts', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  mkdirSync(PROJECT);
  cpSync(path.join(ROOT, 'examples'), path.join(PROJECT, 'examples'), { recursive: true });
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function mlspec(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(PKG, 'bin/mlspec.js'), ...args], { cwd: PROJECT, env: ENV, encoding: 'utf8' });
}

const EXAMPLE = ['--spec', 'examples/mlspec.yaml', '--releases', 'examples/releases.yaml'];

describe('the bundled CLI, installed', () => {
  it('has no node_modules to fall back on', () => {
    for (let dir = PKG; ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
      if (path.dirname(dir) === dir) break;
    }
    const probe = `const out = {};
      for (const id of ['yaml', 'zod', 'commander', '@aws-sdk/client-sagemaker', 'tsx/cjs']) { try { require.resolve(id, { paths: [${JSON.stringify(PKG)}] }); out[id] = 'found'; } catch { out[id] = 'missing'; } }
      out.globalPaths = require('node:module').globalPaths.filter((p) => require('node:fs').existsSync(p));
      process.stdout.write(JSON.stringify(out));`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: PROJECT, env: ENV, encoding: 'utf8' }))).toEqual({
      yaml: 'missing',
      zod: 'missing',
      commander: 'missing',
      '@aws-sdk/client-sagemaker': 'missing',
      'tsx/cjs': 'missing',
      globalPaths: [],
    });
  });

  it('mlspec --version prints the version of the package.json it ships with', () => {
    const r = mlspec('--version');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${MANIFEST.version}\n`, '']);
  });

  it('mlspec validate exits 0 on the example', () => {
    const r = mlspec('validate', ...EXAMPLE);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'examples/mlspec.yaml: valid (3 model(s), 3 environment(s), 7 release(s))\n', '']);
  });

  it('a TypeScript spec without tsx in the project says to install it (or write YAML); a JavaScript spec needs no loader', () => {
    const dir = path.join(PROJECT, 'code');
    mkdirSync(dir);
    const spec = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
    // The example as a module: the CLI's own bundle parses YAML, so JSON of it is a faithful spec object.
    const { parse } = require('yaml') as typeof import('yaml');
    writeFileSync(path.join(dir, 'mlspec.ts'), `export default ${JSON.stringify(parse(spec))};\n`);
    writeFileSync(path.join(dir, 'mlspec.js'), `module.exports = { spec: ${JSON.stringify(parse(spec))} };\n`);
    const ts = mlspec('validate', '--spec', 'code/mlspec.ts');
    expect([ts.status, ts.stderr]).toEqual([1, 'code/mlspec.ts  (top level): a TypeScript spec is loaded with tsx, which is not installed here; run npm i -D tsx in your project, or write the spec as mlspec.yaml\n1 error\n']);
    const js = mlspec('validate', '--spec', 'code/mlspec.js');
    expect([js.status, js.stdout, js.stderr]).toEqual([0, 'code/mlspec.js: valid (3 model(s), 3 environment(s), 0 release(s))\n', '']);
  });

  it('mlspec validate names the file, line and field of each error, and exits 1 without a stack trace', () => {
    const dir = path.join(PROJECT, 'bad');
    mkdirSync(dir);
    const spec = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
    // The first accelerator of the example, misspelled.
    const at = spec.indexOf('accelerator: ') + 'accelerator: '.length;
    const accelerator = /^\w+/.exec(spec.slice(at))![0];
    writeFileSync(path.join(dir, 'mlspec.yaml'), `${spec.slice(0, at)}${accelerator}X${spec.slice(at + accelerator.length)}`);
    copyFileSync(path.join(ROOT, 'examples/releases.yaml'), path.join(dir, 'releases.yaml'));
    const lines = spec.slice(0, at).split('\n');
    const r = mlspec('validate', '--spec', 'bad/mlspec.yaml', '--releases', 'bad/releases.yaml');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^bad/mlspec\\.yaml:${lines.length}:${lines[lines.length - 1].length + 1}  models\\.[\\w-]+\\.(serving|training)\\.resources\\.accelerator: "${accelerator}X" is not allowed; did you mean "${accelerator}"\\?\n1 error\n$`));
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+\)?$/m);
  });

  it('mlspec --version and validate load no SDK bundle; a command that makes a client loads its own cloud’s only', () => {
    // Which of the package's files node loaded, written when the process exits.
    const hook = path.join(base, 'loads.js');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADS, JSON.stringify(Object.keys(require.cache))));\n`);
    const loads = (...args: string[]): string[] => {
      const file = path.join(base, `loads-${args[0]}.json`);
      const r = spawnSync(process.execPath, ['--require', hook, path.join(PKG, 'bin/mlspec.js'), ...args], { cwd: PROJECT, env: { ...ENV, LOADS: file }, encoding: 'utf8' });
      expect(r.status).toBe(0);
      return (JSON.parse(readFileSync(file, 'utf8')) as string[]).filter((f) => f.startsWith(PKG)).map((f) => path.relative(PKG, f)).sort();
    };
    expect(loads('--version')).toEqual(['bin/mlspec.js', 'dist/cli/mlspec.js']);
    expect(loads('validate', ...EXAMPLE)).toEqual(['bin/mlspec.js', 'dist/cli/mlspec.js']);
    // fraud-detector trains on SageMaker: its runner makes a SageMaker client, from aws.js.
    expect(loads('train', 'fraud-detector', '--env', 'dev', '--dry-run', ...EXAMPLE)).toEqual(['bin/mlspec.js', 'dist/cli/aws.js', 'dist/cli/mlspec.js']);
  });

  it('each SDK bundle evaluates and makes the clients the CLI uses, offline', () => {
    const script = `(async () => {
      const cli = ${JSON.stringify(path.join(PKG, 'dist/cli'))};
      const made = [];
      const aws = require(cli + '/aws.js');
      for (const [id, name] of [['@aws-sdk/client-sagemaker', 'SageMakerClient'], ['@aws-sdk/client-sfn', 'SFNClient'], ['@aws-sdk/client-s3', 'S3Client'], ['@aws-sdk/client-application-auto-scaling', 'ApplicationAutoScalingClient']]) {
        const client = new (aws(id)[name])({ region: 'us-east-1' });
        made.push(name + ' ' + (await client.config.region()));
        client.destroy();
      }
      const google = require(cli + '/google.js');
      // The constructors look up each long-running operation's response and metadata types in the (pruned) protos.json.
      for (const name of ['model', 'endpoint', 'job']) {
        const [[exported, C]] = Object.entries(google('@google-cloud/aiplatform/build/src/v1/' + name + '_service_client'));
        const client = new C({ projectId: 'p', credentials: { client_email: 'ci@p.iam.gserviceaccount.com', private_key: 'unused' } });
        made.push(exported + ' ' + Object.keys(client.descriptors.longrunning).length + ' long-running methods');
        await client.close();
      }
      const azure = require(cli + '/azure.js');
      const credential = new (azure('@azure/identity').DefaultAzureCredential)();
      const ml = new (azure('@azure/arm-machinelearning').AzureMachineLearningWorkspaces)(credential, '00000000-0000-0000-0000-000000000000');
      made.push('AzureMachineLearningWorkspaces ' + ml.subscriptionId, 'HttpClient ' + typeof azure('@azure/core-rest-pipeline').createDefaultHttpClient().sendRequest);
      process.stdout.write(JSON.stringify(made));
    })().catch((e) => { console.error(e); process.exit(1); });`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: PROJECT, env: ENV, encoding: 'utf8' }))).toEqual([
      'SageMakerClient us-east-1',
      'SFNClient us-east-1',
      'S3Client us-east-1',
      'ApplicationAutoScalingClient us-east-1',
      expect.stringMatching(/^ModelServiceClient [1-9]\d* long-running methods$/),
      expect.stringMatching(/^EndpointServiceClient [1-9]\d* long-running methods$/),
      expect.stringMatching(/^JobServiceClient [1-9]\d* long-running methods$/),
      'AzureMachineLearningWorkspaces 00000000-0000-0000-0000-000000000000',
      'HttpClient function',
    ]);
  });
});
