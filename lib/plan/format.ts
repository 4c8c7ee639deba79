import { handlerNames, projectOf } from './names';
import { formatDuration } from '../spec/values';
import type { CostPlan, EnvironmentPlan, ModelPlan, MonitoringPlan, Plan, RollbackPlan, RolloutPlan, ServingContainerPlan } from './types';

/** The plan as a person reads it: one block per environment, one table per model. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  for (const env of plan.environments) {
    out.push(envHeader(env));
    // mlspec's handlers, once per environment; every model stack below deploys after them.
    if (env.aws) out.push(`  handlers: stack ${handlerNames(plan.project, env.name).stackName}`, '');
    for (const model of env.models) out.push(...modelBlock(model), '');
    out.push(`  total serving: ${usd(sum(env.models.flatMap((m) => [m.sagemaker?.cost, m.vertex?.cost, m.azureml?.cost]).map((c) => c?.servingPerMonthUsd)))} / month`, '');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

function envHeader(env: EnvironmentPlan): string {
  const clouds = [
    env.aws && `aws ${env.aws.account} ${env.aws.region}`,
    env.gcp && `gcp ${env.gcp.project} ${env.gcp.region}`,
    env.azure && `azure ${env.azure.workspace} ${env.azure.region}`,
  ].filter(Boolean);
  const flags = [
    env.protected ? 'protected' : undefined,
    env.promotion &&
      `promotes from ${env.promotion.from}${env.promotion.minSoakSeconds ? ` after ${formatDuration(env.promotion.minSoakSeconds)}` : ''}${env.promotion.approval === 'required' ? ', approval required' : ''}`,
  ].filter(Boolean);
  return `${env.name}  (${clouds.join('; ')})${flags.length ? `  [${flags.join('; ')}]` : ''}`;
}

function modelBlock(model: ModelPlan): string[] {
  const lines = [`  ${model.name}  stack ${model.stackName}${model.released ? '' : '  (not released here: registry only)'}`];
  const rows: string[][] = [['provider', 'version', 'sku', 'gpus', 'replicas', 'traffic', '$/month']];
  let rollout: RolloutPlan | undefined;
  let rollback: RollbackPlan | undefined;
  const sm = model.sagemaker?.serving;
  if (sm) {
    for (const v of [...sm.variants, ...(sm.shadowVariant ? [sm.shadowVariant] : [])]) {
      const shadow = v === sm.shadowVariant;
      rows.push(['sagemaker', v.variantName, v.instanceType, String(v.acceleratorCount), `${v.minReplicas}-${v.maxReplicas}`, shadow ? `shadow weight ${v.weight}` : `weight ${v.weight}`, usd(price(v.pricePerHour, v.minReplicas))]);
    }
    rollout = sm.rollout;
    rollback = sm.rollback;
  }
  const vx = model.vertex?.serving;
  if (vx) {
    for (const d of vx.deployedModels) {
      const accel = d.acceleratorType ? `${d.machineType} + ${d.acceleratorType}` : d.machineType;
      rows.push(['vertex', d.versionAlias, accel, String(d.acceleratorCount), `${d.minReplicaCount}-${d.maxReplicaCount}`, `trafficSplit ${vx.trafficSplit[d.displayName]}`, usd(price(d.pricePerHour, d.minReplicaCount))]);
    }
    rollout ??= vx.rollout;
    rollback ??= vx.rollback;
  }
  const az = model.azureml?.serving;
  if (az) {
    for (const d of az.deployments) {
      const share = az.traffic[d.name] !== undefined ? `traffic ${az.traffic[d.name]}` : `mirrorTraffic ${az.mirrorTraffic[d.name]}`;
      rows.push(['azureml', d.name, d.instanceType, String(d.acceleratorCount), `${d.instanceCount}-${d.maxInstances}`, share, usd(price(d.pricePerHour, d.instanceCount))]);
    }
    rollout ??= az.rollout;
    rollback ??= az.rollback;
  }
  if (rows.length > 1) lines.push(...table(rows).map((l) => `    ${l}`));
  if (rollout) lines.push(`    rollout: ${describeRollout(rollout)}${rollback ? `; rollback when ${describeRollback(rollback)}` : ''}`);
  for (const [provider, serving] of [['sagemaker', sm], ['vertex', vx], ['azureml', az]] as const) {
    if (serving && !isPlainContract(serving.container)) lines.push(`    container (${provider}): ${describeContainer(serving.container)}`);
  }
  for (const [provider, serving] of [['sagemaker', sm], ['vertex', vx], ['azureml', az]] as const) {
    if (serving?.monitoring) lines.push(`    monitoring (${provider}): ${describeMonitoring(serving.monitoring)}`);
  }
  if (model.sagemaker?.serving) lines.push(`    endpoint: ${model.sagemaker.serving.endpointName} (sagemaker)`);
  if (model.azureml?.serving) lines.push(`    endpoint: ${model.azureml.serving.endpointName} (azureml)`);
  const regs = [
    model.sagemaker && `sagemaker ${model.sagemaker.registry.modelPackageGroupName} (${model.sagemaker.registry.packages.length} package(s), ${model.sagemaker.registry.approvalStatus})`,
    model.vertex && `vertex ${model.vertex.modelDisplayName} (${model.vertex.versions.length} version(s))`,
    model.azureml && `azureml ${model.azureml.modelName} (${model.azureml.versions.length} version(s))`,
  ].filter(Boolean);
  if (regs.length) lines.push(`    registry: ${regs.join('; ')}`);
  if (model.registry.gates.length) lines.push(`    gates: ${model.registry.gates.map((g) => `${g.metric} ${g.op} ${g.threshold}`).join(', ')}`);
  for (const [provider, p] of [['sagemaker', model.sagemaker], ['vertex', model.vertex], ['azureml', model.azureml]] as const) {
    const t = p?.training;
    if (!t) continue;
    const run = costText(p!.cost);
    lines.push(`    training (${provider}): ${t.instanceType} × ${t.nodes} node${t.nodes > 1 ? 's' : ''}${t.distribution !== 'none' ? ` ${t.distribution}` : ''}${t.spot ? ', spot' : ''}, max ${formatDuration(t.maxRuntimeSeconds)}${t.tuning ? `, ${t.tuning.maxTrials} trials` : ''}${run}`);
    if (provider === 'sagemaker' && model.sagemaker?.training) {
      // What one run of the pipeline does, in order.
      const st = model.sagemaker.training;
      const gates = model.registry.gates.length ? `checks ${model.registry.gates.map((g) => `${g.metric} ${g.op} ${g.threshold}`).join(', ')}, ` : '';
      lines.push(`      a run of pipeline ${st.pipelineName}: ${st.tuning ? `tunes ${st.tuning.parameters.map((p) => p.name).join(', ')} (${st.tuning.strategy}, ${st.tuning.goal} ${st.tuning.objective}) and takes the best trial` : 'trains once'}, ${gates}registers the next version of ${model.sagemaker.registry.modelPackageGroupName} (${model.sagemaker.registry.approvalStatus})${st.schedule ? `; runs on ${st.schedule}` : '; starts with mlspec train'}`);
    } else {
      // Vertex AI and Azure ML: an execution of the environment's training state machine (handlers stack).
      const gates = model.registry.gates.length ? `checks ${model.registry.gates.map((g) => `${g.metric} ${g.op} ${g.threshold}`).join(', ')}, ` : '';
      const registry = provider === 'vertex' ? model.vertex!.modelDisplayName : model.azureml!.modelName;
      lines.push(`      a run of state machine ${handlerNames(projectOf(model), model.environment).training(provider as 'vertex' | 'azureml')}: ${t.tuning ? `tunes ${t.tuning.parameters.map((p) => p.name).join(', ')} (${t.tuning.strategy}, ${t.tuning.goal} ${t.tuning.objective}) and takes the best trial` : 'trains once'}, ${gates}registers the next version of ${registry}${t.schedule ? `; runs on ${t.schedule}` : '; starts with mlspec train'}`);
    }
  }
  return lines;
}

/** SageMaker's contract with no variables: what every container was before presets, not worth a line. */
function isPlainContract(c: ServingContainerPlan): boolean {
  return c.server === 'sagemaker' && c.port === 8080 && c.healthRoute === '/ping' && c.predictRoute === '/invocations' && Object.keys(c.env).length === 0 && !c.args?.length;
}

/** The container in one line; `*` marks what the server preset set (the spec set the rest). */
function describeContainer(c: ServingContainerPlan): string {
  const mark = (key: string) => (c.fromPreset.includes(key) ? '*' : '');
  const parts = [`port ${c.port}${mark('port')}`, `GET ${c.healthRoute}${mark('healthRoute')}`, `POST ${c.predictRoute}${mark('predictRoute')}`];
  const env = Object.entries(c.env).map(([k, v]) => `${k}=${v}${mark(`env.${k}`)}`);
  const args = c.args?.length ? `; args ${c.args.join(' ')}*` : '';
  const preset = c.server === 'sagemaker' && c.fromPreset.length === 0 ? '' : `  (* from the ${c.server} preset)`;
  return `${parts.join(', ')}${env.length ? `; env ${env.join(' ')}` : ''}${args}${preset}`;
}

/** A monitor in one line: when, against what, the thresholds, where alerts go, what it costs. */
function describeMonitoring(m: MonitoringPlan): string {
  const when = m.cron ?? (m.intervalHours !== undefined ? `every ${m.intervalHours}h` : m.trigger && 'cron' in m.trigger ? `cron ${m.trigger.cron} UTC` : m.schedule);
  const features = Object.entries(m.featureThresholds).map(([f, t]) => `${f} > ${t}`);
  const alerts = [...m.alertEmails, ...(m.snsTopicArn ? [m.snsTopicArn] : [])];
  const cost = m.monthlyUsd !== undefined ? `${usd(m.monthlyUsd)} / month (${m.costNote})` : m.costNote;
  return `${m.schedule} (${when}) on ${m.samplingPercent}% of requests against ${m.baselineUri}; drift > ${m.driftThreshold}${features.length ? ` (${features.join(', ')})` : ''}; alerts ${alerts.length ? `to ${alerts.join(', ')}` : 'none (mlspec status shows violations)'}; ${cost}`;
}

function costText(cost: CostPlan): string {
  return cost.trainingRunUsd === undefined ? ' (no price in the catalog)' : ` → up to ${usd(cost.trainingRunUsd)} a run`;
}

export function describeRollout(r: RolloutPlan): string {
  if (r.strategy === 'canary') return `canary ${r.percent}% for ${formatDuration(r.waitSeconds ?? 0)}, then 100%`;
  if (r.strategy === 'linear') return `linear ${r.steps.map((s) => `${s.percent}%`).join(' → ')}, ${formatDuration(r.waitSeconds ?? 0)} apart`;
  return 'all at once';
}

function describeRollback(r: RollbackPlan): string {
  return [r.errorRatePercent !== undefined && `errors > ${r.errorRatePercent}%`, r.p99LatencyMs !== undefined && `p99 > ${r.p99LatencyMs}ms`].filter(Boolean).join(' or ');
}

function price(perHour: number | undefined, replicas: number): number | undefined {
  return perHour === undefined ? undefined : perHour * replicas * 730;
}

function sum(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : undefined;
}

function usd(n: number | undefined): string {
  if (n === undefined) return '—';
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}
