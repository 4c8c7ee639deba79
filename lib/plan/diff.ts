import type { Provider } from '../catalog/types';
import type { LoadedProject } from '../spec/loader';
import { resolvePlan } from './resolve';
import type { ModelPlan } from './types';

/** One serving version on one provider, as diff compares it. */
export interface ServingLine {
  readonly version: string;
  /** Traffic percent; for a shadow, the share mirrored. */
  readonly percent: number;
  readonly shadow: boolean;
  readonly instanceType: string;
  readonly replicas: string;
}

export interface ProviderDiff {
  readonly provider: Provider;
  readonly added: string[];
  readonly removed: string[];
  /** Versions on both sides whose share changed: version → [before, after]. */
  readonly moved: Record<string, [number, number]>;
  readonly before: ServingLine[];
  readonly after: ServingLine[];
  readonly costPerMonthBefore?: number;
  readonly costPerMonthAfter?: number;
}

export interface ModelDiff {
  readonly model: string;
  /** `changes`, `same`, or `not-released` (the source environment does not release the model: left as it is). */
  readonly status: 'changes' | 'same' | 'not-released';
  readonly providers: ProviderDiff[];
}

export interface EnvironmentDiff {
  readonly from: string;
  readonly to: string;
  readonly models: ModelDiff[];
}

function lines(model: ModelPlan, provider: Provider): ServingLine[] {
  if (provider === 'sagemaker' && model.sagemaker?.serving) {
    const s = model.sagemaker.serving;
    return [...s.variants.map((v) => ({ v, shadow: false })), ...(s.shadowVariant ? [{ v: s.shadowVariant, shadow: true }] : [])].map(({ v, shadow }) => ({
      version: v.version,
      percent: v.weight,
      shadow,
      instanceType: v.instanceType,
      replicas: `${v.minReplicas}-${v.maxReplicas}`,
    }));
  }
  if (provider === 'vertex' && model.vertex?.serving) {
    const s = model.vertex.serving;
    return s.deployedModels.map((d) => ({ version: d.version, percent: s.trafficSplit[d.displayName] ?? 0, shadow: false, instanceType: d.acceleratorType ? `${d.machineType}+${d.acceleratorType}x${d.acceleratorCount}` : d.machineType, replicas: `${d.minReplicaCount}-${d.maxReplicaCount}` }));
  }
  if (provider === 'azureml' && model.azureml?.serving) {
    const s = model.azureml.serving;
    return s.deployments.map((d) => ({ version: d.version, percent: s.traffic[d.name] ?? s.mirrorTraffic[d.name] ?? 0, shadow: s.traffic[d.name] === undefined, instanceType: d.instanceType, replicas: `${d.instanceCount}-${d.maxInstances}` }));
  }
  return [];
}

function cost(model: ModelPlan, provider: Provider): number | undefined {
  return model[provider]?.cost.servingPerMonthUsd;
}

/** What would change in `to` if it served what `from` serves, per model and provider. */
export function diffEnvironments(project: LoadedProject, from: string, to: string): EnvironmentDiff {
  const before = resolvePlan(project, { environments: [to] }).environments[0];
  const promoted = { ...project.releases, [to]: { ...(project.releases[to] ?? {}), ...(project.releases[from] ?? {}) } };
  const after = resolvePlan({ ...project, releases: promoted }, { environments: [to] }).environments[0];
  const models: ModelDiff[] = before.models.map((b) => {
    const a = after.models.find((m) => m.name === b.name)!;
    if (!project.releases[from]?.[b.name]) return { model: b.name, status: 'not-released', providers: [] };
    const providers = b.providers.map((p): ProviderDiff => {
      const lb = lines(b, p);
      const la = lines(a, p);
      const key = (l: ServingLine) => `${l.shadow ? 'shadow:' : ''}${l.version}`;
      const kb = new Set(lb.map(key));
      const ka = new Set(la.map(key));
      const moved: Record<string, [number, number]> = {};
      for (const l of la) {
        const old = lb.find((x) => key(x) === key(l));
        if (old && old.percent !== l.percent) moved[key(l)] = [old.percent, l.percent];
      }
      return {
        provider: p,
        added: [...ka].filter((k) => !kb.has(k)),
        removed: [...kb].filter((k) => !ka.has(k)),
        moved,
        before: lb,
        after: la,
        costPerMonthBefore: cost(b, p),
        costPerMonthAfter: cost(a, p),
      };
    });
    const same = providers.every((d) => d.added.length === 0 && d.removed.length === 0 && Object.keys(d.moved).length === 0 && JSON.stringify(d.before) === JSON.stringify(d.after));
    return { model: b.name, status: same ? 'same' : 'changes', providers };
  });
  return { from, to, models };
}

const usd = (n: number | undefined) => (n === undefined ? '—' : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const share = (l: ServingLine) => `${l.shadow ? 'shadow ' : ''}v${l.version} ${l.percent}% on ${l.instanceType} ×${l.replicas}`;

/** The diff as a person reads it. */
export function formatDiff(diff: EnvironmentDiff): string {
  const out = [`${diff.to} if it served what ${diff.from} serves:`];
  for (const m of diff.models) {
    if (m.status === 'not-released') {
      out.push(`  ${m.model}: not released in ${diff.from}; ${diff.to} keeps what it has`);
      continue;
    }
    if (m.status === 'same') {
      out.push(`  ${m.model}: no change`);
      continue;
    }
    out.push(`  ${m.model}:`);
    for (const p of m.providers) {
      out.push(`    ${p.provider}:`);
      out.push(`      before: ${p.before.length ? p.before.map(share).join(', ') : 'nothing serves'}`);
      out.push(`      after:  ${p.after.map(share).join(', ')}`);
      const changes = [
        ...p.added.map((v) => `+ ${v.replace('shadow:', 'shadow v').replace(/^(\d)/, 'v$1')}`),
        ...p.removed.map((v) => `- ${v.replace('shadow:', 'shadow v').replace(/^(\d)/, 'v$1')}`),
        ...Object.entries(p.moved).map(([v, [b, a]]) => `~ ${v.replace('shadow:', 'shadow v').replace(/^(\d)/, 'v$1')} ${b}% → ${a}%`),
      ];
      if (changes.length) out.push(`      ${changes.join('; ')}`);
      out.push(`      cost/month: ${usd(p.costPerMonthBefore)} → ${usd(p.costPerMonthAfter)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
