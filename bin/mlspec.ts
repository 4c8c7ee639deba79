import { Command, CommanderError, Option } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Provider } from '../lib/catalog/types';
import { diffEnvironments, formatDiff, formatPlan, resolvePlan } from '../lib/plan';
import { promote, PromoteUsageError, type GateResult, type LiveStateFactory } from '../lib/promote';
import { SageMakerLiveState } from '../lib/providers/sagemaker/live';
import { VertexLiveState } from '../lib/providers/vertex/live';
import { AzureMlLiveState } from '../lib/providers/azureml/live';
import { azureMlClients } from '../lib/providers/azureml/clients';
import type { LiveState } from '../lib/promote';
import { loadProject, releasesJsonSchema, SpecError, specJsonSchema, type LoadedProject } from '../lib/spec';
import { suggestion } from '../lib/util/suggest';

/** Where the CLI writes; tests pass their own. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd?: string;
  /** Live state per provider (tests pass fakes); default: the real cloud clients. */
  readonly live?: LiveStateFactory;
  readonly now?: () => Date;
}

/** Providers whose live state mlspec reads today; the others fail their gates closed. */
const defaultLive: LiveStateFactory = (() => {
  const readers: Partial<Record<Provider, LiveState>> = {};
  const make: Partial<Record<Provider, () => LiveState>> = {
    sagemaker: () => new SageMakerLiveState(),
    vertex: () => new VertexLiveState(),
    // The user's own Azure sign-in (az login, environment, managed identity), loaded only when needed.
    azureml: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
      const credential = new DefaultAzureCredential();
      return new AzureMlLiveState((plan) => azureMlClients(plan.subscription, credential));
    },
  };
  return (provider: Provider) => (make[provider] ? (readers[provider] ??= make[provider]!()) : undefined);
})();

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** A usage mistake (exit 2): an unknown flag value, an environment that does not exist. */
class UsageError extends Error {}

/** A failed gate or a refused change (exit 1). */
class GateFailure extends Error {}

function formatGate(g: GateResult): string {
  return `  ${g.passed ? 'pass' : 'FAIL'}  ${g.gate}: ${g.message}\n`;
}

interface FileOptions {
  spec: string;
  releases: string;
}

function load(opts: FileOptions, io: Io): LoadedProject {
  const cwd = io.cwd ?? process.cwd();
  return loadProject({ specPath: path.resolve(cwd, opts.spec), releasesPath: path.resolve(cwd, opts.releases), displayRoot: cwd });
}

function fileOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--spec <file>', 'the spec (mlspec.yaml, or a .ts module exporting defineSpec(...))').default('mlspec.yaml'))
    .addOption(new Option('--releases <file>', 'the release manifest').default('releases.yaml'));
}

/** Builds the CLI; `run` executes it. Kept apart so tests drive it in-process. */
export function buildProgram(io: Io): Command {
  const program = new Command('mlspec')
    .description('One typed spec for ML training, registries and endpoints on SageMaker, Vertex AI and Azure ML')
    .version(require('../package.json').version)
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  fileOptions(program.command('validate').description('check the spec and the release manifest; exit 0 when valid, else print every error and exit 1')).action(
    (opts: FileOptions) => {
      const project = load(opts, io);
      const releases = Object.values(project.releases).reduce((n, models) => n + Object.keys(models).length, 0);
      io.out(`${project.specFile ?? opts.spec}: valid (${Object.keys(project.spec.models).length} model(s), ${Object.keys(project.spec.environments).length} environment(s), ${releases} release(s))\n`);
    },
  );

  fileOptions(program.command('plan').description('show what each environment will run: SKUs, replicas, traffic in each provider’s form, rollout, cost'))
    .option('--env <name>', 'only this environment')
    .option('--json', 'print the plan as JSON (stable; see docs/plan-json.md)')
    .action((opts: FileOptions & { env?: string; json?: boolean }) => {
      const project = load(opts, io);
      const envs = Object.keys(project.spec.environments);
      if (opts.env !== undefined && !envs.includes(opts.env)) {
        throw new UsageError(`--env: environment "${opts.env}" is not in the spec${suggestion(opts.env, envs)}`);
      }
      const plan = resolvePlan(project, { environments: opts.env ? [opts.env] : undefined });
      io.out(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
    });

  fileOptions(program.command('promote').description('check the gates, then give VERSION of MODEL traffic in an environment by editing releases.yaml in place'))
    .argument('<model>', 'the model, as named in the spec')
    .argument('<version>', 'the version label, such as 8')
    .requiredOption('--to <env>', 'the environment to promote into')
    .option('--percent <n>', 'the share for the version (the versions serving before share the rest)', (v) => Number(v))
    .option('--dry-run', 'print the change without writing releases.yaml')
    .option('--force', 'override failed gates (not in protected environments); needs --reason')
    .option('--reason <text>', 'why the gates are overridden; written into releases.yaml as a comment')
    .action(async (model: string, version: string, opts: FileOptions & { to: string; percent?: number; dryRun?: boolean; force?: boolean; reason?: string }) => {
      const project = load(opts, io);
      const cwd = io.cwd ?? process.cwd();
      const specPath = path.resolve(cwd, opts.spec);
      const releasesPath = path.resolve(cwd, opts.releases);
      let outcome;
      try {
        outcome = await promote(
          {
            model,
            version,
            to: opts.to,
            percent: opts.percent,
            force: opts.force,
            reason: opts.reason,
            specText: readFileSync(specPath, 'utf8'),
            specFile: opts.spec,
            releasesText: existsSync(releasesPath) ? readFileSync(releasesPath, 'utf8') : '',
            releasesFile: opts.releases,
            live: io.live ?? defaultLive,
            now: io.now?.(),
          },
          project,
        );
      } catch (e) {
        if (e instanceof PromoteUsageError) throw new UsageError(e.message);
        throw e;
      }
      if (outcome.gates.length) io.out(`gates for ${model} ${version} → ${opts.to}:\n${outcome.gates.map(formatGate).join('')}`);
      if (!outcome.ok) throw new GateFailure(outcome.refusal);
      io.out(outcome.diff);
      if (outcome.forced) io.out(`gates overridden with --force; the reason is recorded in ${opts.releases}\n`);
      if (opts.dryRun) {
        io.out(`dry run: ${opts.releases} not written\n`);
      } else {
        writeFileSync(releasesPath, outcome.text);
        io.out(`wrote ${opts.releases}; review the diff, merge, and cdk deploy\n`);
      }
    });

  fileOptions(program.command('approve').description('record approval of a version in an environment’s model registry (the promotion.approval gate)'))
    .argument('<model>', 'the model')
    .argument('<version>', 'the version label')
    .requiredOption('--env <env>', 'whose registry records the approval')
    .action(async (model: string, version: string, opts: FileOptions & { env: string }) => {
      const project = load(opts, io);
      if (!project.spec.models[model]) throw new UsageError(`model "${model}" is not in the spec; it has ${Object.keys(project.spec.models).join(', ')}`);
      if (!project.spec.environments[opts.env]) throw new UsageError(`--env: environment "${opts.env}" is not in the spec${suggestion(opts.env, Object.keys(project.spec.environments))}`);
      const env = resolvePlan(project, { environments: [opts.env] }).environments[0];
      const plan = env.models.find((m) => m.name === model)!;
      const live = io.live ?? defaultLive;
      const reader = plan.providers.map((p) => live(p)).find((r) => r !== undefined);
      if (!reader) throw new GateFailure(`cannot record approval: mlspec cannot write the registry of ${plan.providers.join(', ')} yet`);
      try {
        await reader.approve(env, plan, version, `approved with mlspec approve by ${process.env.USER ?? 'unknown'} on ${(io.now?.() ?? new Date()).toISOString()}`);
      } catch (e) {
        throw new GateFailure(`cannot approve ${model} ${version} in ${opts.env}: ${(e as Error).message}`);
      }
      io.out(`approved ${model} ${version} in the ${reader.provider} registry of ${opts.env}\n`);
    });

  fileOptions(program.command('diff').description('what would change in one environment if it served what another serves'))
    .requiredOption('--from <env>', 'the environment whose releases are copied')
    .requiredOption('--to <env>', 'the environment that would change')
    .option('--json', 'print the diff as JSON (stable; see docs/diff-json.md)')
    .action((opts: FileOptions & { from: string; to: string; json?: boolean }) => {
      const project = load(opts, io);
      const envs = Object.keys(project.spec.environments);
      for (const [flag, env] of [['--from', opts.from], ['--to', opts.to]] as const) {
        if (!envs.includes(env)) throw new UsageError(`${flag}: environment "${env}" is not in the spec${suggestion(env, envs)}`);
      }
      const diff = diffEnvironments(project, opts.from, opts.to);
      io.out(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff));
    });

  program
    .command('schema')
    .description('print the JSON Schema of mlspec.yaml (or of releases.yaml with --releases)')
    .option('--releases', 'the schema of releases.yaml instead')
    .action((opts: { releases?: boolean }) => {
      io.out(`${JSON.stringify(opts.releases ? releasesJsonSchema() : specJsonSchema(), null, 2)}\n`);
    });

  return program;
}

/** Runs the CLI and returns its exit code; never lets a stack trace reach the user for bad input. */
export async function run(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof SpecError) {
      io.err(`${e.message}\n${e.issues.length} error${e.issues.length === 1 ? '' : 's'}\n`);
      return EXIT.invalid;
    }
    if (e instanceof GateFailure) {
      io.err(`${e.message}\n`);
      return EXIT.invalid;
    }
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw e;
  }
}

/** Entry point of bin/mlspec.js. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    return await run(argv.slice(2));
  } catch (e) {
    // A bug, not bad input: say so plainly, with the trace only when asked.
    process.stderr.write(`mlspec: internal error: ${(e as Error).message}\n${process.env.MLSPEC_DEBUG ? (e as Error).stack + '\n' : 'set MLSPEC_DEBUG=1 for details, and please report it\n'}`);
    return 70;
  }
}
