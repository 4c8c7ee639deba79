import { Command, CommanderError, Option } from 'commander';
import * as path from 'node:path';
import { formatPlan, resolvePlan } from '../lib/plan';
import { loadProject, releasesJsonSchema, SpecError, specJsonSchema, type LoadedProject } from '../lib/spec';
import { suggestion } from '../lib/util/suggest';

/** Where the CLI writes; tests pass their own. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd?: string;
}

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** A usage mistake (exit 2): an unknown flag value, an environment that does not exist. */
class UsageError extends Error {}

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
