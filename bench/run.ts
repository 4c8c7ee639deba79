import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadProjectText } from '../lib/spec';
import { examplePaths } from './paths';
import { generateSpec } from './generate';

/**
 * `npm run bench`: synth time of the bundled example and of generated 10- and 50-model specs
 * (× 3 environments) against an empty CDK app with as many stacks, and validate time.
 * Each synth runs the app the way `cdk synth` does (node + tsx, transpile-only), RUNS times; the median counts.
 */
const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, '.bench');
const RUNS = Number(process.env.BENCH_RUNS ?? '3');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Wall time of one app process that synthesizes into a fresh cdk.out. A `.js` entry runs in plain
 * node (an installed package: compiled, nothing of ours to transpile); a `.ts` one through tsx.
 */
function timeApp(entry: string, context: Record<string, string>, env: Record<string, string> = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = path.join(WORK, `out-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    const start = performance.now();
    execFileSync(process.execPath, [...(entry.endsWith('.ts') ? ['--require', 'tsx/cjs'] : []), entry], {
      cwd: ROOT,
      env: { ...process.env, ...env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify(context) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Resources of the templates the last synth wrote: per model stack (mean and most), handlers stacks apart, and some kinds in all. */
function countResources(): { mean: number; most: number; handlerStacks: number; handlerMean: number; pipelines: number; schedules: number; functions: number; roles: number } {
  const out = path.join(WORK, `out-${process.pid}`);
  const counts: number[] = [];
  const handlerCounts: number[] = [];
  const all: Record<string, number> = {};
  for (const file of readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const resources = Object.values<{ Type: string }>(JSON.parse(readFileSync(path.join(out, file), 'utf8')).Resources ?? {});
    (/-handlers-/.test(file) ? handlerCounts : counts).push(resources.length);
    for (const r of resources) all[r.Type] = (all[r.Type] ?? 0) + 1;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    mean: mean(counts),
    most: Math.max(0, ...counts),
    handlerStacks: handlerCounts.length,
    handlerMean: mean(handlerCounts),
    pipelines: all['AWS::SageMaker::Pipeline'] ?? 0,
    schedules: all['AWS::Scheduler::Schedule'] ?? 0,
    functions: all['AWS::Lambda::Function'] ?? 0,
    roles: all['AWS::IAM::Role'] ?? 0,
  };
}

function timeValidate(spec: string, releases: string): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    loadProjectText(spec, 'mlspec.yaml', releases, 'releases.yaml');
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Call counts per reconcile scenario from a provider's bench module (bench/<provider>.ts), when it exists. */
async function providerRows(): Promise<string[]> {
  const out: string[] = [];
  for (const provider of ['sagemaker', 'vertex', 'azureml']) {
    const file = path.join(__dirname, `${provider}.ts`);
    if (!existsSync(file)) continue;
    const mod = (await import(file)) as { bench?: () => Promise<{ rows: { scenario: string; calls: number; writes: number }[]; bundleBytes?: number }> };
    if (!mod.bench) continue;
    const { rows, bundleBytes } = await mod.bench();
    out.push(`\n${provider} ${provider === "sagemaker" ? "handler" : "reconciler"} against its fake (calls / writes per scenario)${bundleBytes ? `; handler bundle ${(bundleBytes / 1024).toFixed(0)} KiB` : ''}:`);
    for (const r of rows) out.push(`  ${r.scenario.padEnd(28)} ${String(r.calls).padStart(4)} calls  ${String(r.writes).padStart(3)} writes`);
  }
  return out;
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  // Headline: the app as an installed package runs it (bench/installed-app.js on dist/, plain node) against
  // the empty app in plain node. Also: this repository's app from sources through tsx, as `npx cdk synth` here runs it.
  const rows: string[][] = [['case', 'stacks', 'mlspec synth', 'empty app', 'ratio', 'ms / stack', 'no-validate synth', 'no-validate ratio', 'from sources (tsx)', 'same resources as L1']];
  // Stacks of the bundled example: 3 models × 3 environments and a handlers stack per environment.
  const cases: { name: string; spec: string; releases: string; stacks: number }[] = [{ name: 'bundled example', ...examplePaths(ROOT), stacks: 12 }];
  for (const models of [10, 50]) {
    const { spec, releases } = generateSpec(models);
    const specPath = path.join(WORK, `spec-${models}.yaml`);
    const releasesPath = path.join(WORK, `releases-${models}.yaml`);
    writeFileSync(specPath, spec);
    writeFileSync(releasesPath, releases);
    cases.push({ name: `${models} models × 3 envs`, spec: specPath, releases: releasesPath, stacks: models * 3 });
  }
  const resourceLines: string[] = [];
  for (const c of cases) {
    const ours = timeApp('bench/installed-app.js', { spec: c.spec, releases: c.releases });
    const n = countResources();
    // The templates just written, declared again as plain CfnResources (bench/same-resources-app.js).
    const templates = path.join(WORK, `templates-${process.pid}`);
    rmSync(templates, { recursive: true, force: true });
    cpSync(path.join(WORK, `out-${process.pid}`), templates, { recursive: true });
    const same = timeApp('bench/same-resources-app.js', {}, { BENCH_TEMPLATES: templates });
    const sameOff = timeApp('bench/same-resources-app.js', {}, { BENCH_TEMPLATES: templates, CDK_VALIDATION: 'false' });
    const sources = timeApp('bin/app.ts', { spec: c.spec, releases: c.releases });
    resourceLines.push(`  ${c.name.padEnd(20)} ${n.mean.toFixed(0)} resources per model stack (most ${n.most}); ${n.handlerStacks} handlers stacks of ${n.handlerMean.toFixed(0)}; in all ${n.pipelines} training pipelines, ${n.schedules} schedules, ${n.functions} Lambda functions, ${n.roles} IAM roles`);
    const empty = timeApp('bench/empty-app.js', {}, { BENCH_STACKS: String(c.stacks) });
    // aws-cdk-lib 2.27x validates every template against the CloudFormation schemas (WASM) at synth;
    // CDK_VALIDATION=false turns that off, showing how much of the time is ours.
    const off = { CDK_VALIDATION: 'false' };
    const oursOff = timeApp('bench/installed-app.js', { spec: c.spec, releases: c.releases }, off);
    const emptyOff = timeApp('bench/empty-app.js', {}, { ...off, BENCH_STACKS: String(c.stacks) });
    rows.push([
      c.name,
      String(c.stacks),
      `${(ours / 1000).toFixed(2)} s`,
      `${(empty / 1000).toFixed(2)} s`,
      `${(ours / empty).toFixed(2)}×`,
      (ours / c.stacks).toFixed(0),
      `${(oursOff / 1000).toFixed(2)} s`,
      `${(oursOff / emptyOff).toFixed(2)}×`,
      `${(sources / 1000).toFixed(2)} s (${(sources / empty).toFixed(2)}×)`,
      `${(same / 1000).toFixed(2)} s (mlspec ${(ours / same).toFixed(2)}×; no-validate ${(sameOff / 1000).toFixed(2)} s, ${(oursOff / sameOff).toFixed(2)}×)`,
    ]);
  }
  const big = generateSpec(50);
  const validateMs = timeValidate(big.spec, big.releases);
  // The CLI as an installed package runs it: the bundled dist/cli/mlspec.js (npm run build; scripts/build-cli.ts), median of 5.
  const cliDir = path.join(ROOT, 'dist/cli');
  const installed = path.join(WORK, 'mlspec-installed.js');
  writeFileSync(installed, `require(${JSON.stringify(path.join(cliDir, 'mlspec.js'))}).main(process.argv).then((c) => { process.exitCode = c; });\n`);
  const cliKiB = (file: string) => (statSync(path.join(cliDir, file)).size / 1024).toFixed(0);
  const cliBundles = readdirSync(cliDir).filter((f) => f.endsWith('.js') && f !== 'mlspec.js').sort();
  const cliTime = (args: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      execFileSync(process.execPath, [installed, ...args], { stdio: 'ignore' });
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[2];
  };
  const startMs = cliTime(['--version']);
  const cliMs = cliTime(['validate', '--spec', path.join(WORK, 'spec-50.yaml'), '--releases', path.join(WORK, 'releases-50.yaml')]);

  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n'));
  console.log(`\nwhat synth declares:\n${resourceLines.join('\n')}`);
  console.log(`\nvalidate, 50 models × 3 envs: ${validateMs.toFixed(0)} ms in process (median of 5); ${cliMs.toFixed(0)} ms for \`mlspec validate\` end to end, bundled as installed (median of 5)`);
  console.log(`CLI start (\`mlspec --version\`, bundled as installed): ${startMs.toFixed(0)} ms (median of 5); dist/cli/mlspec.js ${cliKiB('mlspec.js')} KiB, SDK bundles ${cliBundles.map((f) => `${f} ${cliKiB(f)} KiB`).join(', ')}`);
  console.log(`(median of ${RUNS} runs per synth; node ${process.version}; set BENCH_RUNS to change)`);
  for (const line of await providerRows()) console.log(line);
  rmSync(path.join(WORK, `out-${process.pid}`), { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
