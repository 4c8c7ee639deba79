import type { Provider } from '../catalog/types';
import type { EnvironmentPlan, ModelPlan, Plan } from '../plan/types';
import type { LiveServing, LiveState, LiveStateFactory, MonitorViolation } from '../promote/live';

/**
 * `mlspec status`: what each endpoint serves now, next to what releases.yaml declares, per
 * environment, model and provider. Each provider is read on its own: one that cannot be read says
 * why, and the others are still shown.
 */

/** A version split: label → percent, and the shadow copy. */
export interface Split {
  readonly traffic: Record<string, number>;
  readonly shadow?: { readonly version: string; readonly percent: number };
}

export interface ProviderStatus {
  readonly provider: Provider;
  /** What releases.yaml declares for this provider (from the plan). */
  readonly declared: Split;
  /** What the endpoint serves; absent when it could not be read or does not exist. */
  readonly live?: LiveServing;
  /** Each difference between live and declared, in words; empty when they agree. */
  readonly differences: string[];
  /** Why the provider could not be read (credentials, access, the cloud's own error). */
  readonly error?: string;
  /** The drift monitor, where the model has serving.monitoring on this provider. */
  readonly monitor?: MonitorStatus;
}

/** A provider's drift monitor as `mlspec status` shows it: its last run and what it found. */
export interface MonitorStatus {
  /** The provider's name for it; absent when it is not deployed or could not be read. */
  readonly name?: string;
  readonly state?: string;
  readonly lastRun?: { readonly at: string; readonly status: string; readonly violations: readonly MonitorViolation[] };
  /** Not deployed, or why it could not be read. */
  readonly problem?: string;
}

export interface StatusJson {
  readonly schemaVersion: 1;
  readonly environments: { readonly name: string; readonly models: { readonly model: string; readonly providers: ProviderStatus[] }[] }[];
}

/** What the plan declares a provider serves: traffic and shadow by version label. */
export function declaredSplit(model: ModelPlan, provider: Provider): Split {
  if (provider === 'sagemaker') {
    const s = model.sagemaker?.serving;
    if (!s) return { traffic: {} };
    return { traffic: Object.fromEntries(s.variants.map((v) => [v.version, v.weight])), ...(s.shadowVariant ? { shadow: { version: s.shadowVariant.version, percent: s.shadowVariant.weight } } : {}) };
  }
  if (provider === 'vertex') {
    const s = model.vertex?.serving;
    if (!s) return { traffic: {} };
    return { traffic: Object.fromEntries(s.deployedModels.map((d) => [d.version, s.trafficSplit[d.displayName] ?? 0])) };
  }
  const s = model.azureml?.serving;
  if (!s) return { traffic: {} };
  const label = (name: string) => name.replace(/^v/, '');
  const mirror = Object.entries(s.mirrorTraffic).find(([, pct]) => pct > 0);
  return { traffic: Object.fromEntries(Object.entries(s.traffic).map(([d, pct]) => [label(d), pct])), ...(mirror ? { shadow: { version: label(mirror[0]), percent: mirror[1] } } : {}) };
}

/** How live differs from declared, version by version. */
export function differences(declared: Split, live: LiveServing | undefined): string[] {
  const wanted = Object.entries(declared.traffic).filter(([, pct]) => pct > 0);
  if (!live) return wanted.length > 0 ? ['no endpoint: nothing is deployed (cdk deploy the model stack)'] : [];
  const out: string[] = [];
  const labels = [...new Set([...Object.keys(declared.traffic), ...Object.keys(live.traffic)])].sort();
  for (const label of labels) {
    const want = declared.traffic[label] ?? 0;
    const have = live.traffic[label] ?? 0;
    if (want !== have) out.push(`version ${label} serves ${have}%, releases.yaml says ${want}%`);
  }
  const ws = declared.shadow;
  const hs = live.shadow;
  if (ws?.version !== hs?.version || (ws?.percent ?? 0) !== (hs?.percent ?? 0)) {
    out.push(`shadow is ${hs ? `${hs.version} at ${hs.percent}%` : 'off'}, releases.yaml says ${ws ? `${ws.version} at ${ws.percent}%` : 'off'}`);
  }
  return out;
}

/** Reads every released model's endpoints in the plan's environments; never throws for a provider. */
export async function readStatus(plan: Plan, live: LiveStateFactory): Promise<StatusJson> {
  const environments: StatusJson['environments'][number][] = [];
  for (const env of plan.environments) {
    const models = [];
    for (const model of env.models.filter((m) => m.released)) {
      const providers = await Promise.all(model.providers.map((provider) => providerStatus(env, model, provider, live)));
      models.push({ model: model.name, providers });
    }
    environments.push({ name: env.name, models });
  }
  return { schemaVersion: 1, environments };
}

async function providerStatus(env: EnvironmentPlan, model: ModelPlan, provider: Provider, live: LiveStateFactory): Promise<ProviderStatus> {
  const declared = declaredSplit(model, provider);
  const reader = live(provider);
  if (!reader?.serving) return { provider, declared, differences: [], error: `mlspec cannot read ${provider} yet` };
  const monitor = model[provider]?.serving?.monitoring ? await monitorStatus(env, model, reader) : undefined;
  try {
    const now = await reader.serving(env, model);
    return { provider, declared, ...(now ? { live: now } : {}), differences: differences(declared, now), ...(monitor ? { monitor } : {}) };
  } catch (e) {
    return { provider, declared, differences: [], error: `cannot read ${provider} in ${env.name}: ${(e as Error).message}`, ...(monitor ? { monitor } : {}) };
  }
}

/** The monitor's last run; a monitor that cannot be read says why, without failing the endpoint's line. */
async function monitorStatus(env: EnvironmentPlan, model: ModelPlan, reader: LiveState): Promise<MonitorStatus> {
  if (!reader.monitoring) return { problem: `mlspec cannot read ${reader.provider} monitors yet` };
  try {
    const report = await reader.monitoring(env, model);
    if (!report) return { problem: `not deployed: cdk deploy ${model.stackName} declares it` };
    const last = report.runs[0];
    return { name: report.monitor, state: report.state, ...(last ? { lastRun: { at: last.at.toISOString(), status: last.status, violations: last.violations } } : {}) };
  } catch (e) {
    return { problem: `cannot read it: ${(e as Error).message}` };
  }
}

const violationText = (v: MonitorViolation) => `${v.signal}${v.feature ? ` on ${v.feature}` : ''}${v.detail ? ` (${v.detail})` : ''}`;

function monitorLine(m: MonitorStatus): string {
  if (m.problem) return `monitor: ${m.problem}`;
  const run = m.lastRun;
  if (!run) return `monitor ${m.name} ${m.state}: no run yet`;
  const found = run.violations.length ? `! ${run.violations.length} violation${run.violations.length > 1 ? 's' : ''}: ${run.violations.slice(0, 3).map(violationText).join('; ')}${run.violations.length > 3 ? '; ...' : ''}` : 'no violation';
  return `monitor ${m.name} ${m.state}: last run ${run.at.replace(/\.\d+Z$/, 'Z')} ${run.status}, ${found}`;
}

const shown = (s: Split | LiveServing) =>
  `${Object.entries(s.traffic).map(([l, pct]) => `${l}: ${pct}%`).join(', ') || 'none'}${s.shadow ? `; shadow ${s.shadow.version} ${s.shadow.percent}%` : ''}`;

/** One block per environment and model, one line per provider; `≠` marks a difference. */
export function formatStatus(status: StatusJson): string {
  const out: string[] = [];
  for (const env of status.environments) {
    out.push(env.name);
    if (env.models.length === 0) out.push('  nothing released here');
    for (const m of env.models) {
      out.push(`  ${m.model}`);
      for (const p of m.providers) {
        if (p.error) {
          out.push(`    ${p.provider.padEnd(9)}  unread: ${p.error}`);
          if (p.monitor) out.push(`               ${monitorLine(p.monitor)}`);
          continue;
        }
        const endpoint = p.live ? `${p.live.endpoint} ${p.live.state}` : 'no endpoint';
        const mark = p.differences.length > 0 ? '≠' : '=';
        out.push(`    ${p.provider.padEnd(9)}  ${endpoint}: ${p.live ? shown(p.live) : 'nothing'} ${mark} releases.yaml ${shown(p.declared)}`);
        for (const d of p.differences) out.push(`               ≠ ${d}`);
        if (p.monitor) out.push(`               ${monitorLine(p.monitor)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * 0 when every provider was read and serves what releases.yaml declares, and every monitor the spec
 * declares was read and its last run found no violation; 1 otherwise (an unread or missing monitor
 * is as wrong as an unread or missing endpoint).
 */
export function statusExitCode(status: StatusJson): number {
  const wrong = (p: ProviderStatus) => p.error || p.differences.length > 0 || p.monitor?.problem !== undefined || (p.monitor?.lastRun?.violations.length ?? 0) > 0;
  return status.environments.some((e) => e.models.some((m) => m.providers.some(wrong))) ? 1 : 0;
}
