/**
 * Compares the CloudFormation templates of a cloud assembly (a cdk.out) with a reference one, for
 * scripts/check-package.sh: the packed package in a user's app must synthesize what this
 * repository's sources synthesize.
 *
 *   npx tsx scripts/compare-templates.ts <reference cdk.out> <candidate cdk.out> [--label TEXT] [--own-assets DIR]
 *
 * Same set of `*.template.json`, and each JSON-equal to its reference after removing only what
 * legitimately differs:
 * - construct paths and asset paths in resources' `Metadata` (`aws:cdk:path`, `aws:asset:*`);
 * - asset hashes, which are compared per asset instead (through `<stack>.assets.json`): an asset of
 *   mlspec's own (its files are those of a `dist/handlers/<name>/` directory, `--own-assets`) must
 *   have the same hash; any other asset (aws-cdk-lib's own, such as the custom-resource provider
 *   framework) may differ only when the two assemblies were made with different aws-cdk-lib
 *   versions (read from tree.json), and the files that differ are named in the output;
 * - with different aws-cdk-lib versions, the `BootstrapVersion` parameter, the
 *   `CheckBootstrapVersion` rule and the `CDKMetadata` resource.
 * Each stack's deployment settings in manifest.json (environment, dependencies, termination
 * protection, tags, stack name) must be equal too.
 *
 * Prints one line when everything is equal; otherwise one line per difference (stack and JSON
 * path) on stderr, and exits 1.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ROOT = path.resolve(__dirname, '..');
const MAX_DIFFS_PER_STACK = 20;
const HASH = /[0-9a-f]{64}/g;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: tsx scripts/compare-templates.ts <reference cdk.out> <candidate cdk.out> [--label TEXT] [--own-assets DIR]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { reference: string; candidate: string; label: string; ownAssets: string } {
  const positional: string[] = [];
  let label = 'candidate';
  let ownAssets = path.join(ROOT, 'dist', 'handlers');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--label') label = argv[++i] ?? usage('--label needs a value');
    else if (argv[i] === '--own-assets') ownAssets = argv[++i] ?? usage('--own-assets needs a value');
    else if (argv[i].startsWith('--')) usage(`unknown option ${argv[i]}`);
    else positional.push(argv[i]);
  }
  if (positional.length !== 2) usage('expected two directories');
  for (const dir of positional) if (!existsSync(dir) || !statSync(dir).isDirectory()) usage(`${dir} is not a directory`);
  return { reference: path.resolve(positional[0]), candidate: path.resolve(positional[1]), label, ownAssets };
}

const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;
const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The aws-cdk-lib version that made an assembly: the App's construct info in tree.json. */
function cdkVersion(dir: string): string | undefined {
  const file = path.join(dir, 'tree.json');
  if (!existsSync(file)) return undefined;
  const tree = readJson(file) as { tree?: { constructInfo?: { version?: string } } };
  return tree.tree?.constructInfo?.version;
}

/** relative path -> sha256 of every file under `p` (a directory, or a single file). */
function fingerprint(p: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string): void => {
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(path.join(abs, name), rel ? `${rel}/${name}` : name);
    } else {
      out.set(rel || path.basename(abs), createHash('sha256').update(readFileSync(abs)).digest('hex'));
    }
  };
  walk(p, '');
  return out;
}

const sameFingerprint = (a: Map<string, string>, b: Map<string, string>): boolean =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

function differingFiles(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

interface Asset { hash: string; displayName: string; staged?: string }

/** A stack's file assets by display name (the construct that made them), from `<stack>.assets.json`. */
function stackAssets(dir: string, stack: string): Map<string, Asset> {
  const file = path.join(dir, `${stack}.assets.json`);
  const out = new Map<string, Asset>();
  if (!existsSync(file)) return out;
  const manifest = readJson(file) as { files?: Record<string, { displayName?: string; source?: { path?: string } }> };
  for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
    // The template itself is an asset of the stack too; it is what is being compared.
    if (entry.source?.path === `${stack}.template.json`) continue;
    const displayName = entry.displayName ?? hash;
    const staged = entry.source?.path ? path.join(dir, entry.source.path) : undefined;
    out.set(displayName, { hash, displayName, staged: staged && existsSync(staged) ? staged : undefined });
  }
  return out;
}

/** Replaces known asset hashes in every string by the asset's display name. */
function replaceHashes(value: Json, names: Map<string, string>): Json {
  if (typeof value === 'string') return value.replace(HASH, (h) => (names.has(h) ? `<asset ${names.get(h)}>` : h));
  if (Array.isArray(value)) return value.map((v) => replaceHashes(v, names));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceHashes(v, names)]));
  return value;
}

/** Removes `keys` of `section` of a template, and the section if it is left empty; returns what was removed. */
function remove(template: JsonObject, section: string, keys: string[]): Json {
  const s = template[section];
  if (!isObject(s)) return null;
  const removed: JsonObject = {};
  for (const k of keys) if (k in s) { removed[k] = s[k]; delete s[k]; }
  if (Object.keys(s).length === 0) delete template[section];
  return removed;
}

function normalize(template: JsonObject, versionsDiffer: boolean): { template: JsonObject; versioned: Json } {
  const resources = template.Resources;
  if (isObject(resources)) {
    for (const resource of Object.values(resources)) {
      if (!isObject(resource) || !isObject(resource.Metadata)) continue;
      for (const key of Object.keys(resource.Metadata)) {
        if (key === 'aws:cdk:path' || key.startsWith('aws:asset:')) delete resource.Metadata[key];
      }
      if (Object.keys(resource.Metadata).length === 0) delete resource.Metadata;
    }
  }
  let versioned: Json = null;
  if (versionsDiffer) {
    versioned = {
      Parameters: remove(template, 'Parameters', ['BootstrapVersion']),
      Rules: remove(template, 'Rules', ['CheckBootstrapVersion']),
      Resources: remove(template, 'Resources', ['CDKMetadata']),
      Conditions: remove(template, 'Conditions', ['CDKMetadataAvailable']),
    };
  }
  return { template, versioned };
}

const pathPart = (key: string | number): string =>
  typeof key === 'number' ? `[${key}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;

function show(v: Json | undefined): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** JSON paths at which a and b differ, with both values. */
function diff(a: Json | undefined, b: Json | undefined, at: string, out: string[]): void {
  if (out.length > MAX_DIFFS_PER_STACK) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(`${at}: ${a.length} items in the reference, ${b.length} in the candidate`);
      if (JSON.stringify([...a].map((x) => JSON.stringify(x)).sort()) === JSON.stringify([...b].map((x) => JSON.stringify(x)).sort())) return;
    }
    for (let i = 0; i < Math.min(a.length, b.length); i++) diff(a[i], b[i], `${at}${pathPart(i)}`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diff(a[k], b[k], `${at}${pathPart(k)}`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${at}: reference ${show(a)}, candidate ${show(b)}`);
}

/** What in manifest.json decides how a stack deploys, besides its template. */
function deploymentSettings(manifest: Json, stack: string): Json {
  const artifacts = isObject(manifest) && isObject(manifest.artifacts) ? manifest.artifacts : {};
  const artifact = artifacts[stack];
  if (!isObject(artifact)) return null;
  const properties = isObject(artifact.properties) ? artifact.properties : {};
  const dependencies = Array.isArray(artifact.dependencies) ? [...artifact.dependencies].map(String).sort() : [];
  return {
    environment: artifact.environment ?? null,
    dependencies,
    stackName: properties.stackName ?? null,
    terminationProtection: properties.terminationProtection ?? null,
    tags: properties.tags ?? null,
  };
}

function main(): void {
  const { reference, candidate, label, ownAssets } = parseArgs(process.argv.slice(2));
  const failures: string[] = [];
  const notes = new Map<string, string>();

  const refVersion = cdkVersion(reference);
  const candVersion = cdkVersion(candidate);
  if (!refVersion) failures.push(`${reference}: no tree.json, cannot tell its aws-cdk-lib version`);
  // Without tree.json the candidate is held to the reference's version: asset hashes must be equal.
  const remarks = candVersion ? [] : [`no tree.json in the candidate, held to aws-cdk-lib ${refVersion}`];
  const versionsDiffer = !!refVersion && !!candVersion && refVersion !== candVersion;

  // mlspec's own assets: the handler bundles, one directory each under dist/handlers.
  const own = existsSync(ownAssets)
    ? readdirSync(ownAssets).map((n) => path.join(ownAssets, n)).filter((p) => statSync(p).isDirectory()).map((p) => ({ name: path.relative(ROOT, p), files: fingerprint(p) }))
    : [];
  if (own.length === 0) failures.push(`${ownAssets}: no handler bundles to recognise mlspec's own assets by (build first)`);

  const templates = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort();
  const refFiles = templates(reference);
  const candFiles = templates(candidate);
  if (refFiles.length === 0) failures.push(`${reference}: no templates`);
  for (const f of refFiles) if (!candFiles.includes(f)) failures.push(`${f}: missing from the candidate`);
  for (const f of candFiles) if (!refFiles.includes(f)) failures.push(`${f}: in the candidate only`);

  const refManifest = existsSync(path.join(reference, 'manifest.json')) ? readJson(path.join(reference, 'manifest.json')) : null;
  const candManifest = existsSync(path.join(candidate, 'manifest.json')) ? readJson(path.join(candidate, 'manifest.json')) : null;
  let equal = 0;

  for (const file of refFiles.filter((f) => candFiles.includes(f))) {
    const stack = file.slice(0, -'.template.json'.length);
    const diffs: string[] = [];

    // Assets: same set by construct; same hash, or (aws-cdk-lib's own, other version) content that differs.
    const refAssets = stackAssets(reference, stack);
    const candAssets = stackAssets(candidate, stack);
    for (const name of [...new Set([...refAssets.keys(), ...candAssets.keys()])].sort()) {
      const r = refAssets.get(name);
      const c = candAssets.get(name);
      if (!r || !c) { diffs.push(`${stack}.assets.json: asset "${name}" ${r ? 'missing from the candidate' : 'in the candidate only'}`); continue; }
      if (r.hash === c.hash) continue;
      const rFiles = r.staged ? fingerprint(r.staged) : undefined;
      const cFiles = c.staged ? fingerprint(c.staged) : undefined;
      const files = rFiles && cFiles ? differingFiles(rFiles, cFiles) : undefined;
      const ownBundle = rFiles ? own.find((o) => sameFingerprint(o.files, rFiles)) : undefined;
      const what = files ? `files that differ: ${files.join(', ') || 'none (same content, different hash)'}` : 'staged content not available to compare';
      if (ownBundle) diffs.push(`asset "${name}" is mlspec's ${ownBundle.name} and its hash differs (${r.hash.slice(0, 12)} vs ${c.hash.slice(0, 12)}); ${what}`);
      else if (!versionsDiffer) diffs.push(`asset "${name}" differs with the same aws-cdk-lib ${refVersion} (${r.hash.slice(0, 12)} vs ${c.hash.slice(0, 12)}); ${what}`);
      else if (!files || files.length === 0) diffs.push(`asset "${name}": hashes differ (${r.hash.slice(0, 12)} vs ${c.hash.slice(0, 12)}); ${what}`);
      else notes.set(`${r.hash}/${c.hash}`, `aws-cdk-lib's asset "${name}" (${files.join(', ')})`);
    }

    const names = (assets: Map<string, Asset>): Map<string, string> => new Map([...assets.values()].map((a) => [a.hash, a.displayName]));
    const ref = normalize(replaceHashes(readJson(path.join(reference, file)), names(refAssets)) as JsonObject, versionsDiffer);
    const cand = normalize(replaceHashes(readJson(path.join(candidate, file)), names(candAssets)) as JsonObject, versionsDiffer);
    diff(ref.template, cand.template, '$', diffs);
    if (versionsDiffer && JSON.stringify(ref.versioned) !== JSON.stringify(cand.versioned)) notes.set('bootstrap', 'the BootstrapVersion rule/CDKMetadata');

    if (refManifest && candManifest) {
      const settings: string[] = [];
      diff(deploymentSettings(refManifest, stack), deploymentSettings(candManifest, stack), `manifest.json:artifacts[${JSON.stringify(stack)}]`, settings);
      diffs.push(...settings);
    } else if (!candManifest) {
      diffs.push('manifest.json: missing from the candidate');
    }

    if (diffs.length === 0) equal++;
    for (const d of diffs.slice(0, MAX_DIFFS_PER_STACK)) failures.push(`${stack}: ${d}`);
    if (diffs.length > MAX_DIFFS_PER_STACK) failures.push(`${stack}: ... and more`);
  }

  const versions = versionsDiffer ? `aws-cdk-lib ${candVersion} (reference ${refVersion})` : `aws-cdk-lib ${candVersion ?? refVersion}`;
  if (failures.length > 0) {
    process.stderr.write(`FAIL ${label}, ${versions}: ${equal} of ${refFiles.length} templates equal to the repository's\n`);
    for (const f of failures) process.stderr.write(`  FAIL ${f}\n`);
    process.exit(1);
  }
  const ignored = [...notes.values()];
  process.stdout.write(`${label}, ${versions}: ${equal} templates equal to the repository's${ignored.length ? `; version-dependent, ignored: ${ignored.join('; ')}` : ''}${remarks.map((r) => `; ${r}`).join('')}\n`);
}

main();
