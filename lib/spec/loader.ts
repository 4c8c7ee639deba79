import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatPath, SpecError, sortIssues, type SpecIssue } from './errors';
import { YamlSource } from './positions';
import { releasesSchema, specSchema } from './schema';
import { checkReleasesAlone, checkSemantics, type SemanticIssue } from './semantics';
import type { Releases, ReleasesInput, Spec, SpecInput } from './types';
import { parseWithIssues, type RawIssue } from './zod-issues';

/** A valid spec with its release manifest, and where each came from (for positions in later checks). */
export interface LoadedProject {
  readonly spec: Spec;
  readonly releases: Releases;
  readonly specFile?: string;
  readonly releasesFile?: string;
  /** What the input is doubtful about but used anyway (formatWarnings prints them); absent or empty when nothing. */
  readonly warnings?: readonly SpecIssue[];
}

export interface LoadOptions {
  /** Path of mlspec.yaml (or a .ts module exporting a spec). */
  readonly specPath: string;
  /** Path of releases.yaml; a missing file means nothing is released yet. */
  readonly releasesPath?: string;
  /** Name to show for the files in messages; default: the path relative to the working directory. */
  readonly displayRoot?: string;
  /** How the caller names the spec's path, for a missing file: the CLI's `--spec PATH` (default), or an app's `specPath`. */
  readonly specPathHint?: string;
}

/** What a document yields before cross-file checks: its data (if the schema passed), issues and positions. */
interface Parsed<T> {
  readonly data?: T;
  readonly issues: SpecIssue[];
  readonly source?: YamlSource;
  readonly file?: string;
}

function display(file: string, root = process.cwd()): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') ? file : rel;
}

/** Parses YAML text with positions, then the schema; every issue carries file:line:col. */
export function parseYaml<T>(text: string, file: string, schema: import('zod').ZodType<T>, emptyValue?: unknown): Parsed<T> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source = new YamlSource(file, doc, lineCounter);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, line: pos.line, col: pos.col, path: '', message: `not valid YAML: ${yamlMessage(e.message)}` };
    });
    return { issues, source, file };
  }
  const raw = doc.toJS({ maxAliasCount: 1000 }) ?? emptyValue;
  const { data, issues } = parseWithIssues(schema, raw);
  return { data: data as T | undefined, issues: issues.map((i) => locate(i, source)), source, file };
}

function yamlMessage(message: string): string {
  // The yaml package appends "at line N, column M:" and a code frame; we print our own position.
  return message.split(' at line ')[0].replace(/\s+$/, '');
}

function locate(issue: RawIssue | SemanticIssue, source: YamlSource | undefined, file?: string): SpecIssue {
  const where = source?.position(issue.path, 'atKey' in issue ? issue.atKey : false);
  const located: SpecIssue = { file: source?.file ?? file, line: where?.line, col: where?.col, path: formatPath(issue.path), message: issue.message };
  return 'severity' in issue && issue.severity === 'warning' ? { ...located, severity: 'warning' } : located;
}

/** Loads a `.ts`/`.js` module exporting a spec (default or `spec`) and optionally `releases`. */
function loadModule(file: string, specFile: string): { spec: unknown; releases?: unknown } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  let mod: Record<string, unknown>;
  if (/\.c?js$/.test(file)) {
    mod = require(path.resolve(file)) as Record<string, unknown>;
  } else {
    // tsx compiles TypeScript on require, without type-checking; the schema does the checking. It is
    // the user's to install: a construct or CLI user with a YAML spec needs no TypeScript loader.
    let tsx: { require: (id: string, from: string) => Record<string, unknown> };
    try {
      tsx = require('tsx/cjs/api') as typeof tsx;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      throw new SpecError([{ file: specFile, path: '', message: 'a TypeScript spec is loaded with tsx, which is not installed here; run npm i -D tsx in your project, or write the spec as mlspec.yaml' }]);
    }
    mod = tsx.require(path.resolve(file), __filename);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { spec: mod.default ?? mod.spec, releases: mod.releases };
}

/**
 * Loads, validates and cross-checks mlspec.yaml and releases.yaml. Throws a SpecError with every
 * issue of both files at once; never a stack trace for bad input.
 */
export function loadProject(options: LoadOptions): LoadedProject {
  const specFile = display(options.specPath, options.displayRoot);
  if (!existsSync(options.specPath)) {
    throw new SpecError([{ file: specFile, path: '', message: `file not found; create it (see examples/mlspec.yaml) or ${options.specPathHint ?? 'pass --spec PATH'}` }]);
  }
  if (/\.[cm]?[jt]s$/.test(options.specPath)) {
    const mod = loadModule(options.specPath, specFile);
    let releases = mod.releases as ReleasesInput | undefined;
    if (releases === undefined && options.releasesPath && existsSync(options.releasesPath)) {
      return validateProject(mod.spec as SpecInput, undefined, { specFile, releasesText: readFileSync(options.releasesPath, 'utf8'), releasesFile: display(options.releasesPath, options.displayRoot) });
    }
    releases ??= {};
    return validateProject(mod.spec as SpecInput, releases, { specFile });
  }
  const specText = readFileSync(options.specPath, 'utf8');
  const releasesFile = options.releasesPath ? display(options.releasesPath, options.displayRoot) : undefined;
  const releasesText = options.releasesPath && existsSync(options.releasesPath) ? readFileSync(options.releasesPath, 'utf8') : undefined;
  return loadProjectText(specText, specFile, releasesText, releasesFile);
}

/** The same as loadProject, from text already in memory (tests, the CDK app's context). */
export function loadProjectText(specText: string, specFile = 'mlspec.yaml', releasesText?: string, releasesFile = 'releases.yaml'): LoadedProject {
  const spec = parseYaml(specText, specFile, specSchema, {});
  const releases = releasesText === undefined ? { data: {} as Releases, issues: [] } : parseYaml(releasesText, releasesFile, releasesSchema, {});
  return finish(spec, releases, specFile, releasesText === undefined ? undefined : releasesFile);
}

/**
 * Validates a spec written in TypeScript (`defineSpec`). Issues carry the path (and the module's
 * file name when known) since there are no YAML positions.
 */
export function validateProject(
  spec: SpecInput,
  releases?: ReleasesInput,
  where: { specFile?: string; releasesText?: string; releasesFile?: string } = {},
): LoadedProject {
  const specParsed = fromObject(spec, specSchema, where.specFile);
  const releasesParsed =
    where.releasesText !== undefined
      ? parseYaml(where.releasesText, where.releasesFile ?? 'releases.yaml', releasesSchema, {})
      : fromObject(releases ?? {}, releasesSchema, undefined);
  return finish(specParsed, releasesParsed, where.specFile, where.releasesFile);
}

function fromObject<T>(input: unknown, schema: import('zod').ZodType<T>, file: string | undefined): Parsed<T> {
  const { data, issues } = parseWithIssues(schema, input);
  return { data: data as T | undefined, issues: issues.map((i) => locate(i, undefined, file)), file };
}

function finish(spec: Parsed<Spec>, releases: Parsed<Releases>, specFile?: string, releasesFile?: string): LoadedProject {
  const issues = [...spec.issues, ...releases.issues];
  if (spec.data !== undefined && releases.data !== undefined) {
    for (const issue of checkSemantics(spec.data, releases.data)) {
      issues.push(issue.file === 'releases' ? locate(issue, releases.source, releases.file) : locate(issue, spec.source, spec.file));
    }
  } else if (releases.data !== undefined) {
    for (const issue of checkReleasesAlone(releases.data)) issues.push(locate(issue, releases.source, releases.file));
  }
  const errors = issues.filter((i) => i.severity !== 'warning');
  const warnings = sortIssues(dedupe(issues.filter((i) => i.severity === 'warning')));
  if (errors.length > 0) throw new SpecError(sortIssues(dedupe(errors)), warnings);
  return { spec: spec.data!, releases: releases.data!, specFile, releasesFile, warnings };
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}|${i.path}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
