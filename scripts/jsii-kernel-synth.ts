/**
 * Drives the packed package through the jsii kernel, as a Python CDK app does, and writes what it
 * synthesizes:
 *   npx tsx scripts/jsii-kernel-synth.ts <package tarball> <outdir>
 *
 * The Python runtime embeds @jsii/runtime's jsii-runtime.js and speaks JSON to it over stdin and
 * stdout; this script starts the same file (fetched once with `npm pack @jsii/runtime`, the
 * registry serves no installable @jsii/kernel) and sends the calls a Python app makes:
 *
 *   <outdir>/app:   MlspecApp.add_model_stacks(app, ProjectFiles(spec_path=..., releases_path=...)); app.synth()
 *   <outdir>/alone: project = MlspecProject.from_files(...); ModelStack(app, id, project=..., model=..., environment=...);
 *                   VertexModel and AzureMlModel in a stack of the app's own; app.synth()
 *
 * The spec and releases are the bundled example's, copied into the working directory as a user has
 * them. CDK_CONTEXT_JSON passes through to the kernel's process, as `cdk synth` gives it to a Python app.
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { gunzipSync } from 'node:zlib';

const ROOT = path.resolve(__dirname, '..');
const RUNTIME_VERSION = '1.140.0';
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'mlspec-jsii');

type Ref = { '$jsii.byref': string };

/** One kernel process: requests one JSON line at a time; a callback request is an error (we pass no overrides). */
class Kernel {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(runtime: string, cwd: string) {
    this.child = spawn(process.execPath, [runtime], { cwd, env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      // The runtime wraps the program's own stdout and stderr as {"stderr": base64} lines.
      for (const line of d.toString().split('\n').filter(Boolean)) {
        try {
          const m = JSON.parse(line) as { stderr?: string; stdout?: string };
          this.stderr += Buffer.from(m.stderr ?? m.stdout ?? '', 'base64').toString();
        } catch {
          this.stderr += `${line}\n`;
        }
      }
    });
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`the jsii runtime exited\n${this.stderr}`);
    return JSON.parse(value) as Record<string, unknown>;
  }

  async hello(): Promise<string> {
    return String((await this.next()).hello);
  }

  async request<T = unknown>(req: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const res = await this.next();
    if ('error' in res) throw new Error(`${req.api} ${String(req.fqn ?? req.method ?? req.name ?? '')}: ${String(res.error)}\n${this.stderr}`);
    if ('callback' in res) throw new Error(`unexpected callback from the kernel: ${JSON.stringify(res.callback)}`);
    return (res as { ok: T }).ok;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }

  get output(): string {
    return this.stderr;
  }
}

/** jsii-runtime.js of @jsii/runtime, unpacked once into node_modules/.cache. */
function runtimeScript(): string {
  const dir = path.join(CACHE, `jsii-runtime-${RUNTIME_VERSION}`);
  const script = path.join(dir, 'package', 'webpack', 'bin', 'jsii-runtime.js');
  if (!existsSync(script)) {
    mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `@jsii/runtime@${RUNTIME_VERSION}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['xzf', path.join(dir, tgz), '-C', dir]);
  }
  return script;
}

/** A jsii dependency as the kernel loads it: name, version and a tarball packed from node_modules (offline). */
function packed(dir: string): { name: string; version: string; tarball: string } {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  const out = path.join(CACHE, 'tarballs');
  mkdirSync(out, { recursive: true });
  const tarball = path.join(out, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`);
  if (!existsSync(tarball)) {
    const name = execFileSync('npm', ['pack', dir, '--silent', '--ignore-scripts', '--pack-destination', out], { encoding: 'utf8' }).trim().split('\n').pop()!;
    if (path.join(out, name) !== tarball) copyFileSync(path.join(out, name), tarball);
  }
  return { name: manifest.name, version: manifest.version, tarball };
}

/** aws-cdk-lib's jsii dependencies, then aws-cdk-lib: the load order the Python packages' imports follow. */
function cdkAssemblies(): Array<{ name: string; version: string; tarball: string }> {
  const cdk = path.dirname(require.resolve('aws-cdk-lib/package.json', { paths: [ROOT] }));
  let assembly = JSON.parse(readFileSync(path.join(cdk, '.jsii'), 'utf8')) as { schema: string; filename?: string; dependencies?: Record<string, string> };
  // aws-cdk-lib ships its assembly gzipped behind a redirect file.
  if (assembly.schema === 'jsii/file-redirect') assembly = JSON.parse(gunzipSync(readFileSync(path.join(cdk, assembly.filename!))).toString('utf8'));
  const deps = Object.keys(assembly.dependencies ?? {});
  const dirs = deps.map((d) => path.dirname(require.resolve(`${d}/package.json`, { paths: [cdk, ROOT] })));
  return [...dirs.map(packed), packed(cdk)];
}

/** ModelStack, VertexModel and AzureMlModel as a TypeScript app makes them; returns the template files. */
function alonePlainTypeScript(work: string, outdir: string, environment: string): string[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { App, Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const m = require(path.join(ROOT, 'index')) as typeof import('../index');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const cwd = process.cwd();
  process.chdir(work);
  try {
    const app = new App({ outdir });
    const project = m.MlspecProject.fromFiles({ specPath: 'mlspec.yaml', releasesPath: 'releases.yaml' });
    new m.ModelStack(app, 'RankerDev', { project, model: 'search-ranker', environment });
    const own = new Stack(app, 'Own');
    new m.VertexModel(own, 'Ranker', { project, model: 'search-ranker', environment });
    new m.AzureMlModel(own, 'Fraud', { project, model: 'fraud-detector', environment });
    app.synth();
  } finally {
    process.chdir(cwd);
  }
  return ['RankerDev.template.json', 'Own.template.json'];
}

const struct = (fqn: string, data: Record<string, unknown>) => ({ '$jsii.struct': { fqn, data } });

async function main(): Promise<void> {
  const [tarballArg, outArg] = process.argv.slice(2);
  if (!tarballArg || !outArg) throw new Error('usage: npx tsx scripts/jsii-kernel-synth.ts <package tarball> <outdir>');
  const tarball = path.resolve(tarballArg);
  const out = path.resolve(outArg);
  const manifest = JSON.parse(execFileSync('tar', ['xzfO', tarball, 'package/package.json'], { encoding: 'utf8' })) as { name: string; version: string };

  // The user's project: their spec and releases in the working directory.
  const work = mkdtempSync(path.join(os.tmpdir(), 'mlspec-kernel-'));
  for (const f of ['mlspec.yaml', 'releases.yaml']) copyFileSync(path.join(ROOT, 'examples', f), path.join(work, f));

  const kernel = new Kernel(runtimeScript(), work);
  try {
    const hello = await kernel.hello();
    for (const a of [...cdkAssemblies(), { ...manifest, tarball }]) await kernel.request({ api: 'load', ...a });
    const files = struct(`${manifest.name}.ProjectFiles`, { specPath: 'mlspec.yaml', releasesPath: 'releases.yaml' });

    // 1. The entry point: MlspecApp.add_model_stacks(app, ProjectFiles(...)); app.synth()
    const app = await kernel.request<Ref>({ api: 'create', fqn: 'aws-cdk-lib.App', args: [struct('aws-cdk-lib.AppProps', { outdir: path.join(out, 'app') })] });
    const stacks = (await kernel.request<{ result: Ref[] }>({ api: 'sinvoke', fqn: `${manifest.name}.MlspecApp`, method: 'addModelStacks', args: [app, files] })).result;
    await kernel.request({ api: 'invoke', objref: app, method: 'synth', args: [] });

    // 2. The constructs alone: MlspecProject.from_files, then ModelStack, VertexModel and AzureMlModel with it.
    const alone = await kernel.request<Ref>({ api: 'create', fqn: 'aws-cdk-lib.App', args: [struct('aws-cdk-lib.AppProps', { outdir: path.join(out, 'alone') })] });
    const project = (await kernel.request<{ result: Ref }>({ api: 'sinvoke', fqn: `${manifest.name}.MlspecProject`, method: 'fromFiles', args: [files] })).result;
    const get = async <T>(objref: Ref, property: string) => (await kernel.request<{ value: T }>({ api: 'get', objref, property })).value;
    const environments = await get<string[]>(project, 'environmentNames');
    await kernel.request({ api: 'create', fqn: `${manifest.name}.ModelStack`, args: [alone, 'RankerDev', struct(`${manifest.name}.ModelStackProps`, { project, model: 'search-ranker', environment: environments[0] })] });
    const own = await kernel.request<Ref>({ api: 'create', fqn: 'aws-cdk-lib.Stack', args: [alone, 'Own'] });
    await kernel.request({ api: 'create', fqn: `${manifest.name}.VertexModel`, args: [own, 'Ranker', struct(`${manifest.name}.VertexModelProps`, { project, model: 'search-ranker', environment: environments[0] })] });
    await kernel.request({ api: 'create', fqn: `${manifest.name}.AzureMlModel`, args: [own, 'Fraud', struct(`${manifest.name}.AzureMlModelProps`, { project, model: 'fraud-detector', environment: environments[0] })] });
    await kernel.request({ api: 'invoke', objref: alone, method: 'synth', args: [] });

    // 3. A bad spec reaches Python as the message `mlspec validate` prints, not a JavaScript stack.
    const bad = await kernel.request({ api: 'sinvoke', fqn: `${manifest.name}.MlspecProject`, method: 'fromFiles', args: [struct(`${manifest.name}.ProjectFiles`, { specPath: 'mlspec.yml' })] }).then(() => '', (e: Error) => e.message);
    const expected = 'mlspec.yml  (top level): file not found; create it (see examples/mlspec.yaml) or give its path as specPath';
    if (!bad.includes(expected)) throw new Error(`a missing spec through the kernel: expected "${expected}", got: ${bad || 'no error'}`);

    const names = await Promise.all(stacks.map((s) => get<string>(s, 'stackName')));
    process.stdout.write(`${hello}: ${manifest.name}@${manifest.version} made ${stacks.length} model stacks (${names.join(', ')}) and the constructs alone (environments ${environments.join(', ')})\n`);

    // The same constructs made in TypeScript, in this process, from the repository's sources: equal templates.
    const ts = alonePlainTypeScript(work, path.join(out, 'alone-ts'), environments[0]);
    const differ = ts.filter((f) => readFileSync(path.join(out, 'alone', f), 'utf8') !== readFileSync(path.join(out, 'alone-ts', f), 'utf8'));
    if (differ.length > 0) throw new Error(`the constructs made through the kernel differ from the same made in TypeScript: ${differ.join(', ')} (${out}/alone, ${out}/alone-ts)`);
    process.stdout.write(`constructs alone through the kernel: ${ts.join(', ')} equal to the same made in TypeScript\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${kernel.output}`);
    process.exitCode = 1;
  } finally {
    kernel.close();
  }
}

void main();
