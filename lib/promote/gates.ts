import type { EnvironmentPlan, ModelPlan, Plan } from '../plan/types';
import type { LoadedProject } from '../spec/loader';
import { formatDuration, gatePasses } from '../spec/values';
import type { LiveState, LiveStateFactory } from './live';

/** One gate's verdict, in the words the CLI prints. */
export interface GateResult {
  /** `registry.gates.accuracy`, `promotion.from`, `promotion.minSoak`, `promotion.approval`. */
  readonly gate: string;
  readonly passed: boolean;
  readonly message: string;
}

export interface GateInput {
  readonly project: LoadedProject;
  readonly plan: Plan;
  readonly model: string;
  readonly version: string;
  readonly to: string;
  readonly live: LiveStateFactory;
  readonly now?: Date;
}

function envPlan(plan: Plan, name: string): EnvironmentPlan {
  return plan.environments.find((e) => e.name === name)!;
}

function modelPlan(env: EnvironmentPlan, model: string): ModelPlan {
  return env.models.find((m) => m.name === model)!;
}

/** The reader for the model's first provider in that environment that mlspec can read, or why not. */
function readerFor(env: EnvironmentPlan, model: ModelPlan, live: LiveStateFactory): LiveState | string {
  for (const p of model.providers) {
    const reader = live(p);
    if (reader) return reader;
  }
  return `mlspec cannot read live state of ${model.providers.join(', ') || 'any provider'} in ${env.name} yet`;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const FIX_ACCESS = 'check your cloud credentials for that environment, or use --force --reason "..." where the environment is not protected';

/** Checks every gate and returns all verdicts (never stops at the first failure). */
export async function checkGates(input: GateInput): Promise<GateResult[]> {
  const { project, plan, model, version, to } = input;
  const now = input.now ?? new Date();
  const results: GateResult[] = [];
  const spec = project.spec;
  const target = envPlan(plan, to);
  const targetModel = modelPlan(target, model);

  // registry.gates: metrics from the spec, else from the registry.
  const gates = targetModel.registry.gates;
  if (gates.length > 0) {
    let metrics: Record<string, number> | undefined = spec.models[model].versions[version]?.metrics;
    let source = `models.${model}.versions.${version}.metrics`;
    if (!metrics || gates.some((g) => metrics![g.metric] === undefined)) {
      const reader = readerFor(target, targetModel, input.live);
      if (typeof reader !== 'string') {
        try {
          const fromRegistry = await reader.metrics(target, targetModel, version);
          if (fromRegistry) {
            metrics = { ...fromRegistry, ...metrics };
            source = `the ${reader.provider} registry`;
          }
        } catch (e) {
          for (const g of gates) {
            if (metrics?.[g.metric] === undefined) {
              results.push({ gate: `registry.gates.${g.metric}`, passed: false, message: `cannot read version ${version}'s ${g.metric} from the ${reader.provider} registry in ${to}: ${reason(e)}; ${FIX_ACCESS}` });
            }
          }
        }
      }
    }
    for (const g of gates) {
      if (results.some((r) => r.gate === `registry.gates.${g.metric}`)) continue;
      const value = metrics?.[g.metric];
      if (value === undefined) {
        results.push({ gate: `registry.gates.${g.metric}`, passed: false, message: `version ${version} reports no ${g.metric}; add it to models.${model}.versions.${version}.metrics or register it with the version` });
      } else {
        const passed = gatePasses({ op: g.op, threshold: g.threshold }, value);
        results.push({ gate: `registry.gates.${g.metric}`, passed, message: `${g.metric} ${g.op} ${g.threshold}: version ${version} has ${value} (from ${source})` });
      }
    }
  }

  const promotion = target.promotion;
  if (promotion) {
    const from = envPlan(plan, promotion.from);
    const fromModel = modelPlan(from, model);
    const servedThere = project.releases[promotion.from]?.[model]?.traffic ?? {};
    const inManifest = (servedThere[version] ?? 0) > 0;
    if (!inManifest) {
      const serving = Object.keys(servedThere).filter((l) => servedThere[l] > 0);
      results.push({
        gate: 'promotion.from',
        passed: false,
        message: `${to} takes versions from ${promotion.from}, and version ${version} does not serve there (it serves ${serving.length ? serving.join(', ') : 'nothing'}); promote it to ${promotion.from} first`,
      });
    } else {
      results.push({ gate: 'promotion.from', passed: true, message: `version ${version} serves in ${promotion.from} (${servedThere[version]}% in releases.yaml)` });
    }

    if (promotion.minSoakSeconds !== undefined) {
      const need = formatDuration(promotion.minSoakSeconds);
      const reader = readerFor(from, fromModel, input.live);
      if (typeof reader === 'string') {
        results.push({ gate: 'promotion.minSoak', passed: false, message: `cannot tell how long version ${version} has served in ${promotion.from}: ${reader}; the gate fails closed` });
      } else {
        try {
          const since = await reader.servingSince(from, fromModel, version);
          if (!since) {
            results.push({ gate: 'promotion.minSoak', passed: false, message: `version ${version} is not serving on the live ${reader.provider} endpoint in ${promotion.from}; deploy ${promotion.from} and let it soak ${need}` });
          } else {
            const soaked = Math.floor((now.getTime() - since.getTime()) / 1000);
            const passed = soaked >= promotion.minSoakSeconds;
            results.push({
              gate: 'promotion.minSoak',
              passed,
              message: passed
                ? `version ${version} has served in ${promotion.from} for ${human(soaked)} (at least ${need})`
                : `version ${version} has served in ${promotion.from} for ${human(soaked)}; it needs ${need}, so wait ${human(promotion.minSoakSeconds - soaked)} more`,
            });
          }
        } catch (e) {
          results.push({ gate: 'promotion.minSoak', passed: false, message: `cannot read the live ${reader.provider} endpoint in ${promotion.from}: ${reason(e)}; ${FIX_ACCESS}` });
        }
      }
    }

    if (promotion.cleanSoak) results.push(...(await cleanSoak(input, from, fromModel, promotion.from)));

    if (promotion.approval === 'required') {
      const reader = readerFor(target, targetModel, input.live);
      if (typeof reader === 'string') {
        results.push({ gate: 'promotion.approval', passed: false, message: `cannot read approvals: ${reader}; the gate fails closed` });
      } else {
        try {
          const approval = await reader.approval(target, targetModel, version);
          const passed = approval === 'approved';
          results.push({
            gate: 'promotion.approval',
            passed,
            message: passed
              ? `version ${version} is approved in the ${reader.provider} registry of ${to}`
              : approval === undefined
                ? `version ${version} is not in the ${reader.provider} registry of ${to}; deploy ${to}'s stack (it registers declared versions), then mlspec approve ${model} ${version} --env ${to}`
                : `version ${version} is ${approval} in the ${reader.provider} registry of ${to}; approve it with mlspec approve ${model} ${version} --env ${to}`,
          });
        } catch (e) {
          results.push({ gate: 'promotion.approval', passed: false, message: `cannot read the ${reader.provider} registry of ${to}: ${reason(e)}; ${FIX_ACCESS}` });
        }
      }
    }
  }
  return results;
}

/**
 * `promotion.cleanSoak`: on every provider where the model is monitored in `from`, no monitoring run
 * since the version started serving there reported a violation, and at least one run judged its
 * traffic. A monitor judges the endpoint's captured traffic, so a violation while the version
 * served counts against it. Anything that cannot be read fails closed, as the other gates do.
 */
async function cleanSoak(input: GateInput, from: EnvironmentPlan, fromModel: ModelPlan, fromName: string): Promise<GateResult[]> {
  const { model, version } = input;
  const gate = 'promotion.cleanSoak';
  const monitored = fromModel.providers.filter((p) => fromModel[p]?.serving?.monitoring);
  if (monitored.length === 0) {
    return [{ gate, passed: false, message: `${model} has no monitor in ${fromName} to show a clean soak (serving.monitoring, where it serves there); add serving.monitoring, or turn off promotion.cleanSoak` }];
  }
  const results: GateResult[] = [];
  for (const p of monitored) {
    const reader = input.live(p);
    if (!reader?.monitoring) {
      results.push({ gate, passed: false, message: `mlspec cannot read ${p} monitoring in ${fromName} yet; the gate fails closed` });
      continue;
    }
    try {
      const since = await reader.servingSince(from, fromModel, version);
      if (!since) {
        results.push({ gate, passed: false, message: `version ${version} is not serving on the live ${p} endpoint in ${fromName}, so no monitor has judged it; deploy ${fromName} and let it soak` });
        continue;
      }
      const report = await reader.monitoring(from, fromModel, since);
      if (!report) {
        results.push({ gate, passed: false, message: `${model} has no ${p} monitor deployed in ${fromName}; deploy ${fromName}'s stack (it declares the monitor), then let version ${version} soak` });
        continue;
      }
      const soak = report.runs.filter((r) => r.at.getTime() >= since.getTime());
      // A run still going has judged nothing yet; one that failed or was stopped judged nothing at all.
      const unfinished = (r: { status: string }) => /progress|running|pending|queued|starting|preparing|finalizing|notstarted/i.test(r.status);
      const broken = soak.filter((r) => /fail|stop|cancel|error/i.test(r.status));
      const runs = soak.filter((r) => !unfinished(r) && !broken.includes(r));
      const violations = runs.flatMap((r) => r.violations.map((v) => ({ run: r, v })));
      if (broken.length > 0 && violations.length === 0) {
        results.push({ gate, passed: false, message: `version ${version}'s soak in ${fromName} cannot be shown clean: ${p} monitor ${report.monitor}'s run at ${broken[0].at.toISOString()} ended ${broken[0].status}, so it judged nothing${broken.length > 1 ? ` (and ${broken.length - 1} more)` : ''}; fix the monitor and let the version soak again` });
      } else if (violations.length > 0) {
        const shown = violations.slice(0, 3).map(({ run, v }) => `${v.signal}${v.feature ? ` on ${v.feature}` : ''} at ${run.at.toISOString()}${v.detail ? ` (${v.detail})` : ''}`);
        results.push({ gate, passed: false, message: `version ${version}'s soak in ${fromName} was not clean: ${p} monitor ${report.monitor} reported ${shown.join('; ')}${violations.length > 3 ? `; and ${violations.length - 3} more` : ''}` });
      } else if (runs.length === 0) {
        results.push({ gate, passed: false, message: `no ${p} monitoring run has judged version ${version}'s traffic in ${fromName} since it started serving at ${since.toISOString()}; wait for the next run of ${report.monitor}` });
      } else {
        results.push({ gate, passed: true, message: `${runs.length} ${p} monitoring run${runs.length > 1 ? 's' : ''} of ${report.monitor} since version ${version} started serving in ${fromName}, none with a violation` });
      }
    } catch (e) {
      results.push({ gate, passed: false, message: `cannot read the ${p} monitor in ${fromName}: ${reason(e)}; ${FIX_ACCESS}` });
    }
  }
  return results;
}

/** `3h 12m`, `45m`, `2d 4h`. */
export function human(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean);
  return parts.length ? parts.join(' ') : `${seconds}s`;
}
