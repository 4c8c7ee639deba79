import { Command, CommanderError, Option } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Provider } from '../lib/catalog/types';
import { diffEnvironments, formatDiff, formatPlan, resolvePlan } from '../lib/plan';
import { promote, PromoteUsageError, type GateResult, type LiveStateFactory } from '../lib/promote';
import type { LiveState } from '../lib/promote';
import { formatSpecError, formatWarnings, loadProject, releasesJsonSchema, SpecError, specJsonSchema, type LoadedProject } from '../lib/spec';
import { suggestion } from '../lib/util/suggest';
import { formatStatus, readStatus, statusExitCode } from '../lib/status';
import { formatRunEvent, formatRuns, NotDeployedError, UnknownRunError, UnknownSetError, type DryRun, type TrainDryRunJson, type TrainingRunner } from '../lib/train';
import { runName, StateMachineTrainingRunner } from '../lib/train/state-machine-runner';
import { packageRoot } from '../lib/util/package-root';
import type { ModelPlan, EnvironmentPlan } from '../lib/plan/types';

/*
 * Cloud clients are required where a command uses them, never at the top: `mlspec validate` and
 * `plan` load no SDK, `status` only those of the providers it reads (npm run bench: CLI start).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const sageMakerLive = () => require('../lib/providers/sagemaker/live') as typeof import('../lib/providers/sagemaker/live');
const vertexLive = () => require('../lib/providers/vertex/live') as typeof import('../lib/providers/vertex/live');
const azureMlLive = () => require('../lib/providers/azureml/live') as typeof import('../lib/providers/azureml/live');
const azureMlClientsModule = () => require('../lib/providers/azureml/clients') as typeof import('../lib/providers/azureml/clients');
const sageMakerRuns = () => require('../lib/providers/sagemaker/runs') as typeof import('../lib/providers/sagemaker/runs');
const vertexTraining = () => require('../lib/providers/vertex/training') as typeof import('../lib/providers/vertex/training');
const azureMlTraining = () => require('../lib/providers/azureml/training') as typeof import('../lib/providers/azureml/training');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Where the CLI writes; tests pass their own. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd?: string;
  /** Live state per provider (tests pass fakes); default: the real cloud clients. */
  readonly live?: LiveStateFactory;
  readonly now?: () => Date;
  /** Training runners per provider (tests pass ones on fakes); default: the real cloud clients. */
  readonly trainers?: (provider: Provider, env: EnvironmentPlan) => TrainingRunner | undefined;
  /** Aborted on Ctrl-C while `--wait` follows a run; tests abort it themselves. */
  readonly signal?: AbortSignal;
}

/** The job a run submits on Vertex AI and Azure ML, which the environment's training state machine sends. */
const JOB_DRY_RUNS: Partial<Record<Provider, (model: ModelPlan, sets: Record<string, string>, runId?: string) => DryRun>> = {
  vertex: (model, sets, runId) => vertexTraining().vertexDryRun(model, sets, runId),
  azureml: (model, sets, runId) => azureMlTraining().azureMlDryRun(model, sets, runId),
};

/**
 * Training runners with the user's own AWS credentials: SageMaker's pipelines, and on Vertex AI and
 * Azure ML the environment's training state machine (both in the environment's AWS account).
 */
const defaultTrainers = (() => {
  let sagemaker: TrainingRunner | undefined;
  return (provider: Provider, env: EnvironmentPlan): TrainingRunner | undefined => {
    if (provider === 'sagemaker') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SageMakerClient } = require('@aws-sdk/client-sagemaker') as typeof import('@aws-sdk/client-sagemaker');
      sagemaker ??= new (sageMakerRuns().SageMakerTrainingRunner)({ clients: (region) => new SageMakerClient({ region, maxAttempts: 5 }) });
      return sagemaker;
    }
    if (!env.aws || (provider !== 'vertex' && provider !== 'azureml')) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SFNClient } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
    return new StateMachineTrainingRunner({ provider, aws: env.aws, sfn: (region) => new SFNClient({ region, maxAttempts: 5 }), jobDryRun: JOB_DRY_RUNS[provider]! });
  };
})();

/** Providers whose live state mlspec reads today; the others fail their gates closed. */
const defaultLive: LiveStateFactory = (() => {
  const readers: Partial<Record<Provider, LiveState>> = {};
  const make: Partial<Record<Provider, () => LiveState>> = {
    sagemaker: () => new (sageMakerLive().SageMakerLiveState)(),
    vertex: () => new (vertexLive().VertexLiveState)(),
    // The user's own Azure sign-in (az login, environment, managed identity), loaded only when needed.
    azureml: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
      const credential = new DefaultAzureCredential();
      return new (azureMlLive().AzureMlLiveState)((plan) => azureMlClientsModule().azureMlClients(plan.subscription, credential));
    },
  };
  return (provider: Provider) => (make[provider] ? (readers[provider] ??= make[provider]!()) : undefined);
})();

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, detached: 130 } as const;

/** A usage mistake (exit 2): an unknown flag value, an environment that does not exist. */
class UsageError extends Error {}

/** A failed gate or a refused change (exit 1). */
class GateFailure extends Error {}
/** Exit 1 with what was printed already (mlspec status with a difference or an unread provider). */
class Differs extends Error {}

/** Ctrl-C while following a run: we stop following, the run goes on (exit 130, as an interrupted command). */
class Detached extends Error {}

function formatGate(g: GateResult): string {
  return `  ${g.passed ? 'pass' : 'FAIL'}  ${g.gate}: ${g.message}\n`;
}

interface FileOptions {
  spec: string;
  releases: string;
}

function load(opts: FileOptions, io: Io): LoadedProject {
  const cwd = io.cwd ?? process.cwd();
  const project = loadProject({ specPath: path.resolve(cwd, opts.spec), releasesPath: path.resolve(cwd, opts.releases), displayRoot: cwd });
  // Warnings do not stop a command: every command that reads the spec prints them on stderr and goes on.
  if (project.warnings?.length) io.err(formatWarnings(project.warnings));
  return project;
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
    .version((JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version)
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

  fileOptions(program.command('status').description('what each endpoint serves now, next to what releases.yaml declares, per environment, model and provider'))
    .option('--env <name>', 'only this environment')
    .option('--json', 'print the status as JSON (see docs/SPEC.md, The CLI contract)')
    .action(async (opts: FileOptions & { env?: string; json?: boolean }) => {
      const project = load(opts, io);
      const envs = Object.keys(project.spec.environments);
      if (opts.env !== undefined && !envs.includes(opts.env)) {
        throw new UsageError(`--env: environment "${opts.env}" is not in the spec${suggestion(opts.env, envs)}`);
      }
      const status = await readStatus(resolvePlan(project, { environments: opts.env ? [opts.env] : undefined }), io.live ?? defaultLive);
      io.out(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      if (statusExitCode(status) !== 0) throw new Differs();
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

  /** The model's plan in one environment, and the provider it trains on there (`--provider` picks among several). */
  const trainingTarget = (project: LoadedProject, model: string, envName: string, provider: string | undefined, dryRun = false): { env: EnvironmentPlan; plan: ModelPlan; provider: Provider; runner?: TrainingRunner } => {
    const models = Object.keys(project.spec.models);
    if (!project.spec.models[model]) throw new UsageError(`model "${model}" is not in the spec (it has ${models.join(', ')})${suggestion(model, models)}`);
    const envs = Object.keys(project.spec.environments);
    if (!envs.includes(envName)) throw new UsageError(`--env: environment "${envName}" is not in the spec${suggestion(envName, envs)}`);
    if (!project.spec.models[model].training) throw new UsageError(`${model} has no training section in the spec, so there is nothing to run; add training: to models.${model} (docs/SPEC.md)`);
    const env = resolvePlan(project, { environments: [envName] }).environments[0];
    const plan = env.models.find((m) => m.name === model)!;
    const trains = plan.providers.filter((p) => plan[p]?.training);
    if (trains.length === 0) throw new UsageError(`${model} trains on no provider in ${envName}: it uses ${plan.providers.join(', ')} there`);
    if (provider !== undefined && !trains.includes(provider as Provider)) throw new UsageError(`--provider: ${model} trains on ${trains.join(' or ')} in ${envName}, not on "${provider}"`);
    const trainers = io.trainers ?? defaultTrainers;
    const candidates = provider ? [provider as Provider] : trains;
    const chosen = candidates.find((p) => trainers(p, env));
    // Without an AWS account there is no handlers stack to run the state machine, but the job a run would submit can be shown.
    if (!chosen && dryRun && JOB_DRY_RUNS[candidates[0]]) return { env, plan, provider: candidates[0] };
    if (!chosen && !env.aws) throw new UsageError(`${model} trains on ${candidates.join(' and ')} in ${envName}, whose runs are executions of the environment's training state machine in AWS, and ${envName} has no aws block; add environments.${envName}.aws (account and region of the handlers stack), or use mlspec train --dry-run to see the job a run would submit`);
    if (!chosen) throw new UsageError(`mlspec cannot start runs on ${candidates.join(' and ')} from here`);
    return { env, plan, provider: chosen, runner: trainers(chosen, env)! };
  };

  /** Cloud failures a user can act on, in their terms; anything else stays an internal error. */
  const cloudFailure = (e: unknown, plan: ModelPlan, provider: Provider): Error => {
    if (e instanceof NotDeployedError || e instanceof UnknownRunError) return new GateFailure(e.message);
    const err = e as { name?: string; message?: string };
    if (err.name === 'CredentialsProviderError' || /could not load credentials/i.test(err.message ?? '')) {
      const where = plan.sagemaker ? `account ${plan.sagemaker.account} (${plan.sagemaker.region})` : plan.environment;
      return new GateFailure(`cannot reach ${provider} in ${where} for ${plan.environment}: no AWS credentials were found; sign in (aws sso login, or set AWS_PROFILE) and run again`);
    }
    if (err.name && /AccessDenied|Unrecognized|ExpiredToken|InvalidClientTokenId/.test(err.name)) return new GateFailure(`${provider} refused the call in ${plan.environment}: ${err.message}`);
    return e as Error;
  };

  const followRun = async (runner: TrainingRunner, plan: ModelPlan, runId: string, opts: FileOptions & { env: string }) => {
    const gates: string[] = [];
    const outcome = await runner.follow(plan, runId, (e) => {
      if (e.kind === 'gate') gates.push(e.verdict.gate);
      io.out(formatRunEvent(e));
    }, io.signal);
    const files = `${opts.spec !== 'mlspec.yaml' ? ` --spec ${opts.spec}` : ''}${opts.releases !== 'releases.yaml' ? ` --releases ${opts.releases}` : ''}`;
    if (outcome.status === 'detached') {
      io.out(`detached; the run goes on. Follow it again with:\n  npx mlspec runs ${plan.name} --env ${plan.environment} --follow ${runName(runId)}${files}\n`);
      throw new Detached();
    }
    if (outcome.status === 'registered') {
      io.out(`registered ${plan.name} version ${outcome.version} (${outcome.registry}); serve it with "${outcome.version}" in releases.yaml\n`);
      return;
    }
    throw new GateFailure(`run ${runName(runId)} of ${plan.name} in ${plan.environment} ${outcome.status === 'stopped' ? 'was stopped' : 'failed'}, nothing was registered: ${outcome.reason ?? 'no reason given'}`);
  };

  fileOptions(program.command('train').description('start a run of the training pipeline that cdk deploy declared for MODEL in an environment'))
    .argument('<model>', 'the model, as named in the spec')
    .requiredOption('--env <env>', 'the environment whose pipeline runs')
    .option('--provider <provider>', 'where it trains: checked against training.provider')
    .option('--set <key=value>', 'this run only: a hyperparameter (epochs=20) or an input (inputs.train=s3://...); repeat for more', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--wait', 'follow the run: steps, the job’s status, metrics, each gate, the registered version; exit 0 when a version was registered')
    .option('--dry-run', 'print the requests it would send and the pipeline cdk deploy declares, without calling the cloud')
    .option('--json', 'as JSON: the dry run, the started run, or with --wait how it ended (docs/train-json.md)')
    .action(async (model: string, opts: FileOptions & { env: string; provider?: string; set: string[]; wait?: boolean; dryRun?: boolean; json?: boolean }) => {
      const project = load(opts, io);
      const { plan, provider, runner: maybeRunner } = trainingTarget(project, model, opts.env, opts.provider, opts.dryRun);
      const sets: Record<string, string> = {};
      for (const pair of opts.set) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`--set ${pair}: write key=value, such as epochs=20 or inputs.train=s3://bucket/prefix/`);
        sets[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      try {
        if (opts.dryRun) {
          const dry = maybeRunner ? maybeRunner.dryRun(plan, sets) : JOB_DRY_RUNS[provider]!(plan, sets);
          const p = plan[provider] as { region?: string; account?: string; project?: string } | undefined;
          if (opts.json) {
            const json: TrainDryRunJson = { schemaVersion: 1, model, environment: opts.env, provider, region: p?.region ?? '', account: p?.account, ...dry };
            io.out(`${JSON.stringify(json, null, 2)}\n`);
          } else {
            io.out(`dry run: nothing is sent. mlspec train would send, to ${provider} in ${p?.region ?? ''}:\n`);
            for (const r of dry.requests) io.out(`  ${r.operation} (${r.why}): ${JSON.stringify(r.input)}\n`);
            if (dry.declared) io.out(`which runs ${dry.declared.kind} ${dry.declared.name}, as cdk deploy declares it (--json shows the definition)${dry.declared.schedule ? `; it also runs on ${dry.declared.schedule}` : ''}\n`);
            else io.out(`${provider} runs start from the environment's training state machine, and ${opts.env} has no aws block: this is the job a run would submit\n`);
          }
          return;
        }
        const runner = maybeRunner!;
        const runId = await runner.start(plan, sets);
        if (opts.json) {
          // One JSON document: the run, or with --wait how it ended (docs/train-json.md).
          const outcome = opts.wait ? await runner.follow(plan, runId, () => undefined, io.signal) : undefined;
          io.out(`${JSON.stringify({ schemaVersion: 1, model, environment: opts.env, provider: runner.provider, runId, ...outcome }, null, 2)}\n`);
          if (outcome && outcome.status === 'detached') throw new Detached();
          if (outcome && outcome.status !== 'registered') throw new GateFailure(`run ${runName(runId)} of ${plan.name} in ${plan.environment} ${outcome.status === 'stopped' ? 'was stopped' : 'failed'}, nothing was registered: ${outcome.reason ?? 'no reason given'}`);
          return;
        }
        io.out(`started ${plan.name} training in ${opts.env} on ${runner.provider}: ${runId}\n`);
        if (!opts.wait) {
          io.out(`follow it with: npx mlspec runs ${plan.name} --env ${opts.env} --follow ${runName(runId)}\n`);
          return;
        }
        await followRun(runner, plan, runId, opts);
      } catch (e) {
        if (e instanceof UnknownSetError) throw new UsageError(e.message);
        throw cloudFailure(e, plan, provider);
      }
    });

  fileOptions(program.command('runs').description('recent training runs of MODEL in an environment: start, duration, status, billed time, cost, metrics, the version each registered'))
    .argument('<model>', 'the model, as named in the spec')
    .requiredOption('--env <env>', 'the environment whose runs to list')
    .option('--provider <provider>', 'where it trains: checked against training.provider')
    .option('--max <n>', 'how many runs, newest first', (v) => Number(v), 10)
    .option('--follow <run>', 'follow one run (its id or ARN) until it ends, as train --wait does')
    .option('--json', 'print the runs as JSON (docs/train-json.md)')
    .action(async (model: string, opts: FileOptions & { env: string; provider?: string; max: number; follow?: string; json?: boolean }) => {
      const project = load(opts, io);
      const { plan, runner: found } = trainingTarget(project, model, opts.env, opts.provider);
      const runner = found!;
      if (!Number.isInteger(opts.max) || opts.max < 1) throw new UsageError('--max: write a whole number of runs, such as 10');
      try {
        if (opts.follow) {
          await followRun(runner, plan, opts.follow, opts);
          return;
        }
        const runs = await runner.list(plan, opts.max);
        io.out(opts.json ? `${JSON.stringify({ schemaVersion: 1, model, environment: opts.env, provider: runner.provider, runs }, null, 2)}\n` : formatRuns(plan, runner.provider, runs));
      } catch (e) {
        throw cloudFailure(e, plan, runner.provider);
      }
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
      io.err(formatSpecError(e));
      return EXIT.invalid;
    }
    if (e instanceof GateFailure) {
      io.err(`${e.message}\n`);
      return EXIT.invalid;
    }
    if (e instanceof Differs) return EXIT.invalid;
    if (e instanceof Detached) return EXIT.detached;
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
  // The first Ctrl-C detaches from a followed run (the run goes on); a second one ends at once.
  const interrupt = new AbortController();
  process.on('SIGINT', () => (interrupt.signal.aborted ? process.exit(EXIT.detached) : interrupt.abort()));
  // Google's clients start their sign-in inside promises no caller holds: without credentials those
  // reject unhandled next to the awaited call, which the command already reports (for example
  // "vertex unread: cannot read vertex in dev: Could not load the default credentials"). Such a
  // rejection must not end the command with a stack trace; the trace is shown when asked.
  process.on('unhandledRejection', (e) => {
    if (process.env.MLSPEC_DEBUG) process.stderr.write(`mlspec: a promise nobody awaited rejected: ${(e as Error)?.stack ?? String(e)}\n`);
  });
  try {
    return await run(argv.slice(2), { ...defaultIo, signal: interrupt.signal });
  } catch (e) {
    // A bug, not bad input: say so plainly, with the trace only when asked.
    process.stderr.write(`mlspec: internal error: ${(e as Error).message}\n${process.env.MLSPEC_DEBUG ? (e as Error).stack + '\n' : 'set MLSPEC_DEBUG=1 for details, and please report it\n'}`);
    return 70;
  }
}
