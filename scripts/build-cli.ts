/**
 * Bundles the CLI (bin/mlspec.ts and what it reaches in lib/) with esbuild into dist/cli/, as
 * build-handlers.ts bundles the handlers: the package's runtime dependencies are yaml and zod
 * only (jsii allows no others), so the SDKs and commander the CLI needs travel inside it.
 *
 * - dist/cli/mlspec.js: the CLI and what every command needs (commander, yaml, zod, lib/).
 * - dist/cli/aws.js, google.js, azure.js: the cloud SDKs, one bundle per cloud, required only when
 *   a command makes a client (the `require`s in bin/mlspec.ts and lib/providers/<provider>). Each
 *   exports `(id) => module`, so requiring it still evaluates none of its SDK modules but `id`'s.
 *
 * Why not one file: node parses all of a file it requires. With the SDKs inside mlspec.js,
 * `mlspec --version` took ~205 ms and `mlspec validate` of 50 models ~350 ms; apart, ~110 ms and
 * ~260 ms (docs/ARCHITECTURE.md, "The CLI ships pre-bundled"). Separate bundles per lib/provider
 * file would each carry their own copy of lib/ (so `instanceof NotDeployedError` would fail across
 * them); split at the SDKs, lib/ exists once, in mlspec.js, and the SDK bundles share nothing
 * with it or with each other.
 *
 * Google: the CLI reaches the Model, Endpoint and Job services of @google-cloud/aiplatform (the
 * live state of status, promote and approve, with its monitoring jobs; Vertex runs go through the
 * AWS state machine, and the dry run needs no client) and no monitoring client: all of them
 * services the handlers' pruned protos.json keeps (SERVICES in build-handlers.ts), so pruning is
 * safe and google.js carries the same pruned protos.json (119 KiB instead of 4 MB).
 * The build fails if google.js reaches a service client SERVICES does not list.
 *
 * tsx is not bundled: it compiles a spec written in TypeScript (`--spec mlspec.ts`) with its own
 * esbuild binary. It is required from where the user installed it, as before.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { googleProtos, SERVICES } from './build-handlers';

const ROOT = path.resolve(__dirname, '..');
export const CLI_OUT = path.join(ROOT, 'dist/cli');

/** Packages bundled into mlspec.js itself. */
const CORE = ['commander', 'yaml', 'zod'];
/** Left to node's resolution at run time (above). */
const EXTERNAL = ['tsx'];
/** The SDK bundles, by the package names they hold. */
export const SDK_GROUPS = {
  aws: /^@(aws-sdk|smithy)\//,
  google: /^(@google-cloud\/|@grpc\/|google-gax(\/|$)|google-auth-library(\/|$))/,
  azure: /^@azure\//,
} as const;
type Group = keyof typeof SDK_GROUPS;

const packageName = (id: string): string => id.split('/').slice(0, id.startsWith('@') ? 2 : 1).join('/');

/**
 * In mlspec.js, every SDK import of our code becomes `require('./<group>.js')(id)`, in a module of
 * its own that esbuild evaluates where the import is first evaluated (lazily, as the sources do).
 */
function sdkGroups(used: Record<Group, Set<string>>): Plugin {
  return {
    name: 'sdk-groups',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.namespace === 'sdk' || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        if (args.path.startsWith('node:') || builtinModules.includes(args.path)) return undefined;
        const pkg = packageName(args.path);
        if (CORE.includes(pkg)) return undefined;
        if (EXTERNAL.includes(pkg)) return { path: args.path, external: true };
        const group = (Object.keys(SDK_GROUPS) as Group[]).find((g) => SDK_GROUPS[g].test(args.path));
        if (!group) return { errors: [{ text: `${args.path} (imported by ${path.relative(ROOT, args.importer)}) is neither in the CLI's core (${CORE.join(', ')}) nor in an SDK bundle: add it to CORE or SDK_GROUPS in scripts/build-cli.ts` }] };
        used[group].add(args.path);
        return { path: args.path, namespace: 'sdk', pluginData: group };
      });
      b.onResolve({ filter: /^\.\/\w+\.js$/, namespace: 'sdk' }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'sdk' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./${args.pluginData as Group}.js`)})(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
}

const COMMON = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning', metafile: true } as const;

/** The service clients of Google packages a bundle holds must be ones whose protos prunedProtos keeps. */
function checkGoogleServices(meta: Metafile): void {
  for (const input of Object.keys(meta.inputs)) {
    const m = /node_modules\/(@google-cloud\/[^/]+)\/build\/src\/.*_client\.js$/.exec(input);
    if (!m) continue;
    for (const [, service] of readFileSync(path.join(ROOT, input), 'utf8').matchAll(/lookupService\('([^']+)'\)/g)) {
      if (!SERVICES[m[1]]?.includes(service)) {
        throw new Error(`the CLI reaches ${service} (${input}), whose messages the pruned protos.json lacks: add it to SERVICES in scripts/build-handlers.ts`);
      }
    }
  }
}

/** Builds into `out` (dist/cli; the tests pass a folder of their own); returns each file's size in bytes. */
export async function buildCli(out = CLI_OUT): Promise<Record<string, number>> {
  // Start clean, so a bundle that is no longer made is not shipped.
  rmSync(out, { recursive: true, force: true });
  const used: Record<Group, Set<string>> = { aws: new Set(), google: new Set(), azure: new Set() };
  const core = await build({ ...COMMON, entryPoints: [path.join(ROOT, 'bin/mlspec.ts')], outfile: path.join(out, 'mlspec.js'), plugins: [sdkGroups(used)] });
  const stray = Object.keys(core.metafile.inputs).filter((f) => f.includes('node_modules/') && !CORE.some((p) => f.includes(`node_modules/${p}/`)));
  if (stray.length) throw new Error(`mlspec.js would carry ${stray.slice(0, 3).join(', ')}: only ${CORE.join(', ')} belong in it`);
  const bytes: Record<string, number> = { 'mlspec.js': statSync(path.join(out, 'mlspec.js')).size };
  for (const group of Object.keys(used) as Group[]) {
    if (used[group].size === 0) continue;
    const ids = [...used[group]].sort();
    const contents = `module.exports = (id) => {\n  switch (id) {\n${ids.map((id) => `    case ${JSON.stringify(id)}: return require(${JSON.stringify(id)});\n`).join('')}  }\n  throw new Error('internal: ' + id + ' is not in the CLI bundle ${group}.js');\n};\n`;
    const outfile = path.join(out, `${group}.js`);
    const sdk = await build({ ...COMMON, stdin: { contents, resolveDir: ROOT, sourcefile: `${group}-sdk.js`, loader: 'js' }, outfile, plugins: [googleProtos] });
    checkGoogleServices(sdk.metafile);
    bytes[`${group}.js`] = statSync(outfile).size;
  }
  return bytes;
}

if (require.main === module) {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : CLI_OUT;
  buildCli(out)
    .then((bytes) => {
      for (const [file, n] of Object.entries(bytes)) console.log(`${path.relative(ROOT, path.join(out, file))}: ${(n / 1024).toFixed(0)} KiB`);
      console.log(`in all: ${(Object.values(bytes).reduce((a, b) => a + b, 0) / 1024).toFixed(0)} KiB`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
