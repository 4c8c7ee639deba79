/**
 * Bundles the custom-resource handlers (lib/handlers) for Lambda with esbuild: one self-contained
 * index.js per provider under dist/handlers/<provider>/, no CDK code, under 2 MB. Runs on
 * `npm ci` (prepare); the constructs point their Lambda code at these folders.
 *
 * @google-cloud/aiplatform loads a 4 MB protos.json of every Vertex API; the bundle carries only
 * the messages the Model and Endpoint services reach (their fields, and their long-running
 * operations' response and metadata types).
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { protobuf } from 'google-gax';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist/handlers');
/** Per Google package: the services the handlers call (and the CLI: scripts/build-cli.ts checks it reaches no other). */
export const SERVICES: Record<string, string[]> = {
  '@google-cloud/aiplatform': ['google.cloud.aiplatform.v1.ModelService', 'google.cloud.aiplatform.v1.EndpointService', 'google.cloud.aiplatform.v1.JobService'],
  '@google-cloud/monitoring': ['google.monitoring.v3.MetricService'],
};

/** The protos.json subset of a Google client package reachable from the services the handlers use. */
export function prunedProtos(pkg: keyof typeof SERVICES | string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const full = require(`${pkg}/build/protos/protos.json`);
  const root = protobuf.Root.fromJSON(full);
  const keep = new Set<string>();
  const visit = (t: protobuf.ReflectionObject | null | undefined): void => {
    if (!t || keep.has(t.fullName)) return;
    keep.add(t.fullName);
    if (t instanceof protobuf.Type) {
      for (const f of t.fieldsArray) {
        f.resolve();
        visit(f.resolvedType as protobuf.ReflectionObject | null);
      }
      for (const nested of t.nestedArray) visit(nested);
    } else if (t instanceof protobuf.Service) {
      for (const m of t.methodsArray) {
        m.resolve();
        visit(m.resolvedRequestType);
        visit(m.resolvedResponseType);
        for (const opt of (m.parsedOptions ?? []) as Record<string, { response_type?: string; metadata_type?: string }>[]) {
          const info = opt['(google.longrunning.operation_info)'];
          for (const name of [info?.response_type, info?.metadata_type]) {
            if (name) visit(t.parent!.lookup(name) ?? root.lookup(name));
          }
        }
      }
    }
  };
  for (const s of SERVICES[pkg]) visit(root.lookupService(s));
  for (const extra of ['google.protobuf.Any', 'google.protobuf.Empty', 'google.rpc.Status', 'google.longrunning.Operation']) visit(root.lookup(extra));
  // Rebuild the JSON tree with only what is kept (and the namespaces holding it).
  const prune = (json: any, prefix: string): any => {
    if (!json.nested) return json;
    const nested: Record<string, unknown> = {};
    for (const [name, child] of Object.entries<any>(json.nested)) {
      const full = `${prefix}.${name}`;
      const isNamespace = !child.fields && !child.values && !child.methods;
      if (keep.has(full)) nested[name] = child.fields ? { ...child, nested: child.nested ? prune(child, full).nested : undefined } : child;
      else if (isNamespace) {
        const sub = prune(child, full);
        if (sub.nested && Object.keys(sub.nested).length > 0) nested[name] = sub;
      }
    }
    return { ...json, nested };
  };
  return prune(full, '');
}

/** Replaces the protos.json of the Google client packages in SERVICES with prunedProtos (the handlers' and the CLI's bundles). */
export const googleProtos: Plugin = {
  name: 'google-protos',
  setup(b) {
    b.onResolve({ filter: /protos\/protos\.json$/ }, (args) => {
      const pkg = Object.keys(SERVICES).find((p) => args.resolveDir.includes(p));
      return pkg ? { path: pkg, namespace: 'google-protos' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'google-protos' }, (args) => ({ contents: JSON.stringify(prunedProtos(args.path)), loader: 'json' }));
  },
};

export async function buildHandler(provider: string): Promise<{ file: string; bytes: number }> {
  const dir = path.join(OUT, provider);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.js');
  await build({
    entryPoints: [path.join(ROOT, `lib/handlers/${provider}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    outfile: file,
    plugins: [googleProtos],
    logLevel: 'warning',
  });
  return { file, bytes: statSync(file).size };
}

/** One bundle per provider that a custom resource deploys. */
export const HANDLERS = ['vertex', 'azureml', 'sagemaker'] as const;

if (require.main === module) {
  (async () => {
    // Start clean, so a handler that no longer exists is not shipped (the package's files include dist/handlers).
    rmSync(OUT, { recursive: true, force: true });
    const sizes: Record<string, number> = {};
    for (const provider of HANDLERS) {
      const { file, bytes } = await buildHandler(provider);
      sizes[provider] = bytes;
      console.log(`${path.relative(ROOT, file)}: ${(bytes / 1024).toFixed(0)} KiB`);
    }
    writeFileSync(path.join(OUT, 'sizes.json'), JSON.stringify(sizes));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
