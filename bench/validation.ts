import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationStack } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateSpec } from './generate';

/**
 * `npx tsx bench/validation.ts [models]`: what aws-cdk-lib's built-in template validation (the
 * CloudFormationValidatePlugin that synth runs) costs on mlspec's templates, and which resources
 * that cost comes from. Whole-process wall times (`npm run bench`) swing by 2× on a shared 2-core
 * machine; times taken inside one process, best of REPS, do not, so a template change can be
 * measured here before it is measured end to end.
 *
 * Synthesizes the generated spec once without validation, then validates the templates with the
 * same plugin synth uses: once all together, as synth does (engine start and a cold first pass),
 * then each template alone, warm, as is and with one kind of resource (or property) left out.
 * Leaving a resource out leaves dangling references, so those rows are approximate.
 */
const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, '.bench', `validation-${process.pid}`);
const REPS = Number(process.env.BENCH_REPS ?? '3');
const MODELS = Number(process.argv[2] ?? '50');

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }> } & Record<string, unknown>;

interface Entry {
  readonly file: string;
  readonly template: Template;
  readonly account?: string;
  readonly region?: string;
}

function synth(): Entry[] {
  const { spec, releases } = generateSpec(MODELS);
  mkdirSync(WORK, { recursive: true });
  writeFileSync(path.join(WORK, 'spec.yaml'), spec);
  writeFileSync(path.join(WORK, 'releases.yaml'), releases);
  const out = path.join(WORK, 'cdk.out');
  execFileSync(process.execPath, ['--require', 'tsx/cjs', 'bin/app.ts'], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false', CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ spec: path.join(WORK, 'spec.yaml'), releases: path.join(WORK, 'releases.yaml') }) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }> };
  const entries: Entry[] = [];
  for (const artifact of Object.values(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
    const file = artifact.properties.templateFile;
    entries.push({ file, template: JSON.parse(readFileSync(path.join(out, file), 'utf8')) as Template, account, region });
  }
  return entries.sort((a, b) => a.file.localeCompare(b.file));
}

/** Writes each (template, variant) once and validates it alone; the plugin keeps its engine across calls. */
class Validator {
  private readonly plugin = new CloudFormationValidatePlugin();
  private n = 0;

  public get version(): string {
    return this.plugin.version ?? 'unknown';
  }

  /** All templates in one call, as synth makes it: engine start plus a cold first pass. */
  public all(entries: Entry[]): number {
    const stackTemplates = entries.map((e) => this.context(e, e.template));
    const start = performance.now();
    this.plugin.validate(validationContext(stackTemplates));
    return performance.now() - start;
  }

  /** Best of REPS, in ms, for each variant of one template, variants interleaved. */
  public best(entry: Entry, variants: Template[]): number[] {
    const contexts = variants.map((t) => this.context(entry, t));
    const best = variants.map(() => Infinity);
    for (let r = 0; r < REPS; r++) {
      contexts.forEach((c, i) => {
        const start = performance.now();
        this.plugin.validate(validationContext([c]));
        best[i] = Math.min(best[i], performance.now() - start);
      });
    }
    return best;
  }

  private context(e: Entry, template: Template): PolicyValidationStack {
    const templatePath = path.join(WORK, `t${this.n++}.template.json`);
    writeFileSync(templatePath, JSON.stringify(template));
    return { stackConstructPath: e.file, templatePath, accountId: e.account, region: e.region };
  }
}

/** What the plugin reads: the templates, each with its stack's environment (the app tree is not used). */
function validationContext(stackTemplates: PolicyValidationStack[]): IPolicyValidationContext {
  return { stackTemplates, templatePaths: stackTemplates.map((s) => s.templatePath) } as Partial<IPolicyValidationContext> as IPolicyValidationContext;
}

const clone = (t: Template): Template => JSON.parse(JSON.stringify(t)) as Template;

function without(t: Template, type: string): Template {
  const c = clone(t);
  for (const [id, r] of Object.entries(c.Resources)) if (r.Type === type) delete c.Resources[id];
  return c;
}

function withoutTags(t: Template): Template {
  const c = clone(t);
  for (const r of Object.values(c.Resources)) delete r.Properties?.Tags;
  return c;
}

/** Each customer managed policy moved into its roles' `Policies`; key policies name the role's account instead of the role (no cycle). */
function inlinePolicies(t: Template): Template {
  const c = clone(t);
  for (const [id, r] of Object.entries(c.Resources)) {
    if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (r.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
    for (const { Ref: roleId } of roles) {
      const role = roleId ? c.Resources[roleId] : undefined;
      if (!role?.Properties) continue;
      role.Properties.Policies = [...((role.Properties.Policies as unknown[]) ?? []), { PolicyName: id.slice(0, 128), PolicyDocument: r.Properties?.PolicyDocument }];
      for (const other of Object.values(c.Resources)) {
        if (other.DependsOn) other.DependsOn = [...new Set(other.DependsOn.map((d) => (d === id ? roleId! : d)))];
        if (other.Type === 'AWS::KMS::Key' && other.Properties) {
          const roleArn = JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] });
          other.Properties.KeyPolicy = JSON.parse(JSON.stringify(other.Properties.KeyPolicy).split(roleArn).join(JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' })));
        }
      }
    }
    delete c.Resources[id];
  }
  return c;
}

function main(): void {
  rmSync(WORK, { recursive: true, force: true });
  const synthStart = performance.now();
  const entries = synth();
  const synthMs = performance.now() - synthStart;
  const models = entries.filter((e) => !/-handlers-/.test(e.file));
  const handlers = entries.filter((e) => /-handlers-/.test(e.file));
  const validator = new Validator();
  const allMs = validator.all(entries);

  const count = (type: string) => models.reduce((n, e) => n + Object.values(e.template.Resources).filter((r) => r.Type === type).length, 0);
  const types = [...new Set(models.flatMap((e) => Object.values(e.template.Resources).map((r) => r.Type)))].sort((a, b) => count(b) - count(a) || a.localeCompare(b));
  const variants: Array<[string, (t: Template) => Template]> = [
    ...types.map((type): [string, (t: Template) => Template] => [`${type} (${count(type)})`, (t) => without(t, type)]),
    ['Tags of every resource', withoutTags],
  ];
  const base = { models: 0, handlers: 0 };
  const saved = variants.map(() => 0);
  let inlined = 0;
  for (const e of handlers) base.handlers += validator.best(e, [e.template])[0];
  for (const e of models) {
    const [asIs, inline, ...rest] = validator.best(e, [e.template, inlinePolicies(e.template), ...variants.map(([, f]) => f(e.template))]);
    base.models += asIs;
    inlined += inline;
    rest.forEach((ms, i) => (saved[i] += asIs - ms));
  }

  const per = (ms: number, n: number) => `${(ms / Math.max(1, n)).toFixed(1)} ms`;
  console.log(`template validation (aws-cdk-lib ${(require('aws-cdk-lib/package.json') as { version: string }).version}, validator ${validator.version}), ${MODELS} models × 3 envs: ${models.length} model and ${handlers.length} handlers templates`);
  console.log(`  synth without validation (one process)       ${(synthMs / 1000).toFixed(2)} s`);
  console.log(`  validation as synth runs it                  ${(allMs / 1000).toFixed(2)} s (engine start, then each template once, cold)`);
  console.log(`  warm, per template (best of ${REPS})              model ${per(base.models, models.length)}, handlers ${per(base.handlers, handlers.length)}`);
  console.log(`  warm, per model template, managed policies inlined into their roles: ${per(inlined, models.length)}`);
  console.log(`  warm cost per model template of (left out; resources in all model templates):`);
  const rows = variants.map(([name], i) => [name, saved[i]] as const).sort((a, b) => b[1] - a[1]);
  for (const [name, ms] of rows) console.log(`    ${name.padEnd(44)} ${per(ms, models.length).padStart(8)}`);
  rmSync(WORK, { recursive: true, force: true });
}

main();
