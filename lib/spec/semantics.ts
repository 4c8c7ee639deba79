import type { Provider, Purpose } from '../catalog/types';
import { PROVIDER_BLOCK, modelProviders, providerRegion, trainingProvider } from './providers';
import { describeMiss, describeUnlisted, resolveSku } from './sku';
import { suggestion } from '../util/suggest';
import type { Environment, Model, Releases, Resources, Spec } from './types';
import { parseDuration } from './values';
import { isWorkspaceDatastoreUri, workspaceUriInRegistry } from './azure-uris';
import { checkEnv, checkServingContainer } from './containers';
import { checkMonitoring } from './monitoring';

/** A cross-field rule broken: in which file, at which path, and what to do. */
export interface SemanticIssue {
  readonly file: 'spec' | 'releases';
  readonly path: PropertyKey[];
  readonly message: string;
  readonly atKey?: boolean;
  /** 'warning': reported, but the spec is valid (a pinned SKU in a region a conservative table does not list). */
  readonly severity?: 'warning';
}

/** Labels the registry gives trained versions are its version numbers. */
const TRAINED_LABEL = /^[1-9][0-9]{0,5}$/;

/**
 * Every rule of SPEC.md's "Semantics" that one field alone cannot check. Runs only on
 * schema-valid input; returns all issues, never throws.
 */
export function checkSemantics(spec: Spec, releases: Releases): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const envNames = Object.keys(spec.environments);
  const modelNames = Object.keys(spec.models);

  for (const [envName, env] of Object.entries(spec.environments)) {
    checkEnvironment(envName, env, envNames, out);
  }
  for (const [modelName, model] of Object.entries(spec.models)) {
    checkModel(spec, modelName, model, releases, out);
  }
  for (const [envName, models] of Object.entries(releases)) {
    const env = spec.environments[envName];
    if (env === undefined) {
      out.push({ file: 'releases', path: [envName], atKey: true, message: `environment "${envName}" is not declared in the spec${suggestion(envName, envNames)}` });
      continue;
    }
    for (const [modelName, release] of Object.entries(models)) {
      const model = spec.models[modelName];
      if (model === undefined) {
        out.push({ file: 'releases', path: [envName, modelName], atKey: true, message: `model "${modelName}" is not declared in the spec${suggestion(modelName, modelNames)}` });
        continue;
      }
      checkRelease(spec, envName, env, modelName, model, release, out);
    }
  }
  return out;
}

function checkEnvironment(envName: string, env: Environment, envNames: string[], out: SemanticIssue[]): void {
  if (!env.aws && !env.gcp && !env.azure) {
    out.push({ file: 'spec', path: ['environments', envName], atKey: true, message: 'configures no cloud; add an aws, gcp or azure block' });
  }
  const from = env.promotion?.from;
  if (from !== undefined) {
    if (from === envName) {
      out.push({ file: 'spec', path: ['environments', envName, 'promotion', 'from'], message: `an environment cannot promote from itself; name the environment versions come from, such as ${envNames.filter((n) => n !== envName).join(' or ') || 'another one'}` });
    } else if (!envNames.includes(from)) {
      out.push({ file: 'spec', path: ['environments', envName, 'promotion', 'from'], message: `environment "${from}" is not declared${suggestion(from, envNames)}` });
    }
  }
}

function checkModel(spec: Spec, modelName: string, model: Model, releases: Releases, out: SemanticIssue[]): void {
  const base = ['models', modelName];
  const releasedTo = Object.entries(releases).filter(([, models]) => models[modelName] !== undefined).map(([e]) => e);
  const envsUsing = (p: Provider) => Object.entries(spec.environments).filter(([, env]) => modelProviders(model, env).includes(p));
  // Each environment's handlers stack is `<project>-handlers-<env>`; a model of that name would take its stack name.
  if (modelName === 'handlers') out.push({ file: 'spec', path: base, atKey: true, message: 'the model name "handlers" is taken by each environment\'s handlers stack (<project>-handlers-<env>); name the model otherwise, such as "handlers-model"' });

  // Each provider the model names must be configured where the model is released.
  if (model.providers) {
    const seen = new Set<string>();
    model.providers.forEach((p, i) => {
      if (seen.has(p)) out.push({ file: 'spec', path: [...base, 'providers', i], message: `${p} is listed twice; list each provider once` });
      seen.add(p);
    });
    const listed = model.providers as Provider[];
    for (const envName of releasedTo) {
      const env = spec.environments[envName];
      if (!env) continue;
      for (const provider of listed) {
        const p: string = provider;
        const block = PROVIDER_BLOCK[provider];
        if (env[block] === undefined) {
          out.push({ file: 'spec', path: [...base, 'providers', listed.indexOf(provider)], message: `${p} is used, but environment "${envName}" (where releases.yaml releases this model) has no ${block} block; add environments.${envName}.${block} or remove ${p} from providers` });
        }
      }
    }
  }
  const used = new Set<Provider>();
  for (const env of Object.values(spec.environments)) for (const p of modelProviders(model, env)) used.add(p);

  // Per-provider values must exist for every provider in use.
  const needPerProvider = (value: Partial<Record<Provider, string>> | undefined, path: PropertyKey[], what: string, providers: Iterable<Provider>) => {
    if (value === undefined) return;
    for (const p of providers) {
      if (value[p] === undefined) {
        out.push({ file: 'spec', path, message: `${what} has no ${p} entry, but the model uses ${p}; add ${formatPathTail(path)}.${p} or set providers to leave ${p} out` });
      }
    }
  };

  if (model.training) checkTraining(spec, modelName, model, used, envsUsing, needPerProvider, out);

  // An Azure ML registry has no datastores: azureml://datastores/... only resolves inside a workspace.
  const registryEnv = envsUsing('azureml').find(([, env]) => env.azure?.registry !== undefined);
  for (const [label, version] of Object.entries(model.versions)) {
    needPerProvider(version.artifact as Partial<Record<Provider, string>>, [...base, 'versions', label, 'artifact'], 'artifact', used);
    for (const [p, uri] of Object.entries(version.artifact) as [Provider, string][]) checkUri(p, uri, [...base, 'versions', label, 'artifact', p], out);
    const azureUri = (version.artifact as Partial<Record<Provider, string>>).azureml;
    if (registryEnv && azureUri && isWorkspaceDatastoreUri(azureUri)) {
      const [envName, env] = registryEnv;
      out.push({ file: 'spec', path: [...base, 'versions', label, 'artifact', 'azureml'], message: workspaceUriInRegistry(azureUri, env.azure!.registry!, envName) });
    }
  }
  for (const [metric] of Object.entries(model.registry.gates)) {
    const known = new Set<string>([...Object.keys(model.training?.metrics ?? {}), ...Object.values(model.versions).flatMap((v) => Object.keys(v.metrics))]);
    if (known.size > 0 && !known.has(metric)) {
      out.push({ file: 'spec', path: [...base, 'registry', 'gates', metric], atKey: true, message: `gate on "${metric}", which no version or training metric reports${suggestion(metric, [...known])}` });
    } else if (model.training && !(metric in model.training.metrics)) {
      // A training run checks every gate before it registers: the run must report the metric.
      out.push({ file: 'spec', path: [...base, 'registry', 'gates', metric], atKey: true, message: `trained versions are checked against training.metrics, which has no "${metric}"; add a pattern for it, such as ${metric}: "${metric}=([0-9.]+)"` });
    }
  }

  const serving = model.serving;
  if (serving === undefined) {
    if (releasedTo.length > 0) out.push({ file: 'spec', path: [...base], atKey: true, message: `releases.yaml releases this model to ${releasedTo.join(', ')}, but it has no serving block; add models.${modelName}.serving` });
    return;
  }
  const sbase = [...base, 'serving'];
  const servingEnvs = releasedTo.map((e) => [e, spec.environments[e]] as const).filter(([, env]) => env !== undefined);
  const servingProviders = new Set<Provider>(servingEnvs.flatMap(([, env]) => modelProviders(model, env!)));
  needPerProvider(serving.image as Partial<Record<Provider, string>>, [...sbase, 'image'], 'serving.image', servingProviders);
  checkServingContainer(serving as Parameters<typeof checkServingContainer>[0], sbase, used, out);
  checkMonitoring(modelName, model, used, out);

  checkResources('serving', serving.resources, [...sbase, 'resources'], servingEnvs as [string, Environment][], model, out);

  const max = serving.replicas.max ?? serving.replicas.min;
  if (serving.replicas.max !== undefined && serving.replicas.min > serving.replicas.max) {
    out.push({ file: 'spec', path: [...sbase, 'replicas', 'min'], message: `min (${serving.replicas.min}) is more than max (${serving.replicas.max}); make min ≤ max` });
  }
  if (serving.autoscaling) {
    if (max <= serving.replicas.min && serving.replicas.min <= (serving.replicas.max ?? Infinity)) {
      out.push({ file: 'spec', path: [...sbase, 'autoscaling'], atKey: true, message: `replicas.min equals replicas.max (${serving.replicas.min}), so nothing can scale; raise replicas.max or remove autoscaling` });
    }
    if (serving.autoscaling.metric === 'gpu') {
      if (serving.autoscaling.target > 100) out.push({ file: 'spec', path: [...sbase, 'autoscaling', 'target'], message: `${serving.autoscaling.target} is not a GPU utilisation; use a percent from 1 to 100` });
      if (serving.resources.accelerator === undefined) out.push({ file: 'spec', path: [...sbase, 'autoscaling', 'metric'], message: 'gpu autoscaling needs a GPU; set resources.accelerator or scale on invocations' });
    }
  }
  const rollout = serving.rollout;
  const rpath = [...sbase, 'rollout'];
  if (rollout.strategy === 'canary') {
    if (rollout.percent === undefined) out.push({ file: 'spec', path: rpath, atKey: true, message: 'canary needs percent (the share of capacity shifted first); add percent: 10' });
    else if (rollout.percent > 50) out.push({ file: 'spec', path: [...rpath, 'percent'], message: `a canary of ${rollout.percent}% is more than half; use at most 50, or strategy linear` });
    if (rollout.bake === undefined) out.push({ file: 'spec', path: rpath, atKey: true, message: 'canary needs bake (how long to watch the canary); add bake: 10m' });
    if (rollout.interval !== undefined) out.push({ file: 'spec', path: [...rpath, 'interval'], atKey: true, message: 'interval belongs to linear rollouts; canary uses bake' });
  } else if (rollout.strategy === 'linear') {
    if (rollout.percent === undefined) out.push({ file: 'spec', path: rpath, atKey: true, message: 'linear needs percent (the step size); add percent: 25' });
    else if (rollout.percent > 50) out.push({ file: 'spec', path: [...rpath, 'percent'], message: `linear steps of ${rollout.percent}% make a single step; use at most 50, or strategy all-at-once` });
    if (rollout.interval === undefined) out.push({ file: 'spec', path: rpath, atKey: true, message: 'linear needs interval (the wait between steps); add interval: 5m' });
    if (rollout.bake !== undefined) out.push({ file: 'spec', path: [...rpath, 'bake'], atKey: true, message: 'bake belongs to canary rollouts; linear uses interval' });
  } else {
    for (const k of ['percent', 'bake', 'interval'] as const) {
      if (rollout[k] !== undefined) out.push({ file: 'spec', path: [...rpath, k], atKey: true, message: `${k} has no meaning for all-at-once; remove it or use strategy canary or linear` });
    }
  }
  const totalWait = (parseDuration(rollout.bake ?? '0s') ?? 0) + (parseDuration(rollout.interval ?? '0s') ?? 0) * Math.max(1, Math.ceil(100 / (rollout.percent ?? 100)) - 1);
  if (totalWait > 45 * 60) {
    // mlspec walks the steps itself on every provider, from a custom resource CloudFormation waits for at most 1h.
    const watched = [...used];
    if (watched.length > 0) {
      out.push({ file: 'spec', path: [...rpath, rollout.bake ? 'bake' : 'interval'], message: `the rollout waits ${Math.round(totalWait / 60)} minutes in all; on ${watched.join(' and ')} mlspec walks it from a CloudFormation custom resource, which may take at most 1h with the deployment included: keep the waits within 45m` });
    }
  }
}

function checkTraining(
  spec: Spec,
  modelName: string,
  model: Model,
  used: Set<Provider>,
  envsUsing: (p: Provider) => [string, Environment][],
  needPerProvider: (v: Partial<Record<Provider, string>> | undefined, path: PropertyKey[], what: string, providers: Iterable<Provider>) => void,
  out: SemanticIssue[],
): void {
  const t = model.training!;
  const tbase = ['models', modelName, 'training'];
  // A model trains on one provider: its checks below concern that provider only.
  const trainer = trainingProvider(model);
  const named = (Object.keys(t.image) as Provider[]).filter((p) => t.image[p] !== undefined);
  if (trainer === undefined) {
    out.push({
      file: 'spec',
      path: [...tbase, 'provider'],
      message: named.length === 0
        ? `missing; training.image names no provider: add an image and provider: ${[...used][0] ?? 'sagemaker'} here`
        : `missing; training.image has ${named.join(' and ')} images and a model trains on one provider: add provider: ${named.join(' or provider: ')} here`,
    });
    return;
  }
  if (!used.has(trainer)) {
    out.push({ file: 'spec', path: t.provider ? [...tbase, 'provider'] : [...tbase, 'image', trainer], message: `the model trains on ${trainer}, which it does not use (it uses ${[...used].join(', ')}); train on one of those, or add ${trainer} to providers` });
    return;
  }
  if (t.image[trainer] === undefined) {
    out.push({ file: 'spec', path: [...tbase, 'image'], atKey: true, message: `training.provider is ${trainer}, which has no training image; add training.image.${trainer}` });
    return;
  }
  used = new Set<Provider>([trainer]);
  needPerProvider(t.image as Partial<Record<Provider, string>>, [...tbase, 'image'], 'training.image', used);
  checkEnv(t.env, [...tbase, 'env'], out);
  needPerProvider(t.output as Partial<Record<Provider, string>>, [...tbase, 'output'], 'training.output', used);
  for (const [channel, uris] of Object.entries(t.inputs)) needPerProvider(uris as Partial<Record<Provider, string>>, [...tbase, 'inputs', channel], `training.inputs.${channel}`, used);
  for (const [p, uri] of Object.entries(t.output) as [Provider, string][]) checkUri(p, uri, [...tbase, 'output', p], out);

  if (t.resources.nodes > 1 && t.distribution === 'none') {
    out.push({ file: 'spec', path: [...tbase, 'resources', 'nodes'], message: `${t.resources.nodes} nodes need a distribution; set training.distribution to pytorch, mpi or tensorflow, or use nodes: 1` });
  }
  if (t.spot) {
    if (t.checkpoints === undefined) {
      out.push({ file: 'spec', path: [...tbase, 'spot'], atKey: true, message: 'spot training can be interrupted and needs checkpoints to resume; add training.checkpoints for each provider' });
    } else {
      needPerProvider(t.checkpoints as Partial<Record<Provider, string>>, [...tbase, 'checkpoints'], 'training.checkpoints', used);
    }
    const wait = parseDuration(t.spot.maxWait) ?? 0;
    const run = parseDuration(t.maxRuntime) ?? 0;
    if (wait < run) out.push({ file: 'spec', path: [...tbase, 'spot', 'maxWait'], message: `maxWait (${t.spot.maxWait}) is shorter than maxRuntime (${t.maxRuntime}); it includes the run, so make it at least ${t.maxRuntime}` });
  }
  for (const [metric, regex] of Object.entries(t.metrics)) {
    try {
      const groups = new RegExp(`${regex}|`).exec('')!.length - 1;
      if (groups < 1) out.push({ file: 'spec', path: [...tbase, 'metrics', metric], message: `the pattern has no capture group; wrap the number in parentheses, such as "${metric}=([0-9.]+)"` });
    } catch {
      out.push({ file: 'spec', path: [...tbase, 'metrics', metric], message: `"${regex}" is not a regular expression; write one with a capture group, such as "${metric}=([0-9.]+)"` });
    }
  }
  if (t.tuning) {
    const tu = t.tuning;
    const metrics = Object.keys(t.metrics);
    if (!metrics.includes(tu.objective.metric)) {
      out.push({ file: 'spec', path: [...tbase, 'tuning', 'objective', 'metric'], message: `"${tu.objective.metric}" is not a metric of training.metrics${metrics.length ? suggestion(tu.objective.metric, metrics) : '; declare it in training.metrics first'}` });
    }
    if (tu.parallelTrials > tu.maxTrials) {
      out.push({ file: 'spec', path: [...tbase, 'tuning', 'parallelTrials'], message: `${tu.parallelTrials} parallel trials exceed maxTrials (${tu.maxTrials}); make parallelTrials ≤ maxTrials` });
    }
    for (const [param, range] of Object.entries(tu.parameters)) {
      const ppath = [...tbase, 'tuning', 'parameters', param];
      if (range.values !== undefined) {
        if (range.min !== undefined || range.max !== undefined) out.push({ file: 'spec', path: ppath, atKey: true, message: 'give either values or min and max, not both' });
        continue;
      }
      if (range.min === undefined || range.max === undefined) {
        out.push({ file: 'spec', path: ppath, atKey: true, message: 'needs min and max (a range) or values (a list)' });
        continue;
      }
      if (range.min >= range.max) out.push({ file: 'spec', path: [...ppath, 'min'], message: `min (${range.min}) is not below max (${range.max}); the range is the wrong way up` });
      if (range.scale === 'log' && range.min <= 0) out.push({ file: 'spec', path: [...ppath, 'min'], message: `a log scale needs min above 0, not ${range.min}; use a small positive number such as 1.0e-6` });
    }
  }
  if (t.tuning?.strategy === 'grid') {
    for (const [param, range] of Object.entries(t.tuning.parameters)) {
      if (range.values === undefined) out.push({ file: 'spec', path: [...tbase, 'tuning', 'parameters', param], atKey: true, message: `a grid search tries every combination of lists; give ${param} values: [...] instead of min and max, or use strategy: bayesian` });
    }
  }
  if (used.has('sagemaker')) checkSageMakerTraining(model, tbase, out);
  if (trainer === 'azureml' && t.tuning?.strategy === 'bayesian') {
    // Azure ML's Bayesian sampling takes choice, uniform and quniform only (how-to-tune-hyperparameters).
    for (const [param, range] of Object.entries(t.tuning.parameters)) {
      if (range.scale === 'log' && range.values === undefined) {
        out.push({ file: 'spec', path: [...tbase, 'tuning', 'parameters', param, 'scale'], message: 'Azure ML\'s Bayesian sampling takes no log-scaled range; use strategy: random, or a linear scale' });
      }
    }
  }
  if (trainer !== 'sagemaker' && !t.command) {
    // Vertex and Azure ML run the command inside mlspec's launcher, which reads training.metrics from its output.
    out.push({ file: 'spec', path: [...tbase, 'command'], message: `missing; on ${trainer} mlspec runs training.command in its launcher, which reads training.metrics from the output and starts torchrun: add the command here, such as command: [python, train.py]` });
  }
  // Training runs where the provider is configured; check each of those regions.
  for (const p of used) {
    checkResources('training', t.resources, [...tbase, 'resources'], envsUsing(p), model, out, p);
  }
}

/** What the SageMaker training pipeline (lib/providers/sagemaker/training.ts) needs of the spec. */
function checkSageMakerTraining(model: Model, tbase: PropertyKey[], out: SemanticIssue[]): void {
  const t = model.training!;
  if (t.distribution === 'mpi') {
    out.push({ file: 'spec', path: [...tbase, 'distribution'], message: 'mlspec does not start mpi runs on SageMaker yet; use pytorch (torchrun on every node) or tensorflow (TF_CONFIG), or leave sagemaker out of providers' });
  }
  if (!t.tuning && !t.command && t.distribution !== 'none') {
    out.push({ file: 'spec', path: [...tbase, 'distribution'], message: `distribution ${t.distribution} starts training.command on every node of SageMaker; add the command, such as command: [python, train.py]` });
  }
  if (model.serving?.image.sagemaker === undefined) {
    out.push({ file: 'spec', path: [...tbase], atKey: true, message: 'a SageMaker training run registers the version with the image that serves it; add serving.image.sagemaker' });
  }
}

function checkResources(
  purpose: Purpose,
  resources: Pick<Resources, 'accelerator' | 'count' | 'instanceType'>,
  path: PropertyKey[],
  envs: readonly (readonly [string, Environment])[],
  model: Model,
  out: SemanticIssue[],
  only?: Provider,
): void {
  if (resources.count !== undefined && resources.accelerator === undefined) {
    out.push({ file: 'spec', path: [...path, 'count'], atKey: true, message: 'count is the number of accelerators per node and needs resources.accelerator; set accelerator or remove count' });
  }
  const reported = new Set<string>();
  for (const [envName, env] of envs) {
    for (const p of modelProviders(model, env)) {
      if (only !== undefined && p !== only) continue;
      const region = providerRegion(env, p);
      if (region === undefined) continue;
      if (resources.accelerator === undefined && resources.instanceType?.[p] === undefined) {
        const key = `none|${p}`;
        if (!reported.has(key)) out.push({ file: 'spec', path, atKey: true, message: `no accelerator and no instanceType.${p}; set resources.accelerator (such as T4) or resources.instanceType.${p}` });
        reported.add(key);
        continue;
      }
      const result = resolveSku(p, purpose, resources, region);
      if (result?.ok && result.unlistedRegion) {
        // A pinned SKU where mlspec's conservative region table is silent: the user may have capacity there.
        const key = `unlisted|${p}|${region}`;
        if (!reported.has(key)) out.push({ file: 'spec', path: [...path, 'instanceType', p], message: describeUnlisted(p, result.sku, region), severity: 'warning' });
        reported.add(key);
        continue;
      }
      if (result === undefined || result.ok) continue;
      const message = describeMiss(p, purpose, resources, result, region, envName);
      const at = resources.instanceType?.[p] !== undefined ? [...path, 'instanceType', p] : result.reason === 'no-count' ? [...path, 'count'] : [...path, 'accelerator'];
      // One message per provider and reason, not one per environment, unless regions differ.
      const key = result.reason === 'not-in-region' ? `${p}|${region}` : `${p}|${result.reason}`;
      if (!reported.has(key)) out.push({ file: 'spec', path: at, message });
      reported.add(key);
    }
  }
}

const SCHEMES: Record<Provider, string> = { sagemaker: 's3://', vertex: 'gs://', azureml: 'azureml://' };

function checkUri(provider: Provider, uri: string, path: PropertyKey[], out: SemanticIssue[]): void {
  const scheme = SCHEMES[provider];
  const ok = provider === 'azureml' ? uri.startsWith('azureml://') || uri.startsWith('https://') : uri.startsWith(scheme);
  if (!ok) out.push({ file: 'spec', path, message: `"${uri}" is not a ${provider} storage location; use a ${scheme} URI` });
}

function formatPathTail(path: PropertyKey[]): string {
  const i = path.indexOf('training') >= 0 ? path.indexOf('training') : path.indexOf('serving') >= 0 ? path.indexOf('serving') : path.indexOf('versions');
  return path.slice(Math.max(i, 0)).join('.');
}

/** Rules of releases.yaml that need no spec: checked even when the spec itself is invalid. */
export function checkReleasesAlone(releases: Releases): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  for (const [envName, models] of Object.entries(releases)) {
    for (const [modelName, release] of Object.entries(models)) checkTrafficSum(envName, modelName, release, out);
  }
  return out;
}

function checkTrafficSum(envName: string, modelName: string, release: Releases[string][string], out: SemanticIssue[]): void {
  const labels = Object.keys(release.traffic);
  const path = [envName, modelName, 'traffic'];
  if (labels.length === 0) {
    out.push({ file: 'releases', path, atKey: true, message: 'no version gets traffic; give at least one version, such as { "7": 100 }' });
    return;
  }
  const sum = labels.reduce((s, l) => s + release.traffic[l], 0);
  if (sum !== 100) out.push({ file: 'releases', path, atKey: true, message: `percentages add up to ${sum}; they must add up to 100` });
}

function checkRelease(spec: Spec, envName: string, env: Environment, modelName: string, model: Model, release: Releases[string][string], out: SemanticIssue[]): void {
  const base = [envName, modelName];
  const declared = Object.keys(model.versions);
  const trained = model.training !== undefined;
  const labels = Object.keys(release.traffic);
  checkTrafficSum(envName, modelName, release, out);
  const checkLabel = (label: string, path: PropertyKey[], atKey: boolean) => {
    if (declared.includes(label)) return;
    if (trained && TRAINED_LABEL.test(label)) return;
    const known = declared.length ? `declared versions: ${declared.join(', ')}` : 'it declares no versions';
    const hint = trained ? ` (trained versions are named by their registry version number, such as "3")` : ' and has no training to produce it';
    out.push({ file: 'releases', path, atKey, message: `version "${label}" is not declared in models.${modelName}.versions${hint}; ${known}${suggestion(label, declared).startsWith('; did') ? suggestion(label, declared) : ''}` });
  };
  for (const label of labels) checkLabel(label, [...base, 'traffic', label], true);

  const providers = modelProviders(model, env);
  if (release.shadow) {
    const spath = [...base, 'shadow'];
    checkLabel(release.shadow.version, [...spath, 'version'], false);
    if (labels.includes(release.shadow.version)) {
      out.push({ file: 'releases', path: [...spath, 'version'], message: `version "${release.shadow.version}" is live (it has traffic); a shadow copy of live traffic must go to a version that is not live` });
    }
    if (providers.includes('vertex')) {
      out.push({ file: 'releases', path: spath, atKey: true, message: `vertex has no shadow traffic and ${modelName} serves on vertex in ${envName}; remove shadow here, or leave vertex out of models.${modelName}.providers` });
    }
    if (providers.includes('sagemaker') && labels.length > 1) {
      out.push({ file: 'releases', path: spath, atKey: true, message: `sagemaker takes a shadow only beside a single live version, and ${envName} splits traffic over ${labels.join(', ')}; give one version 100% while the shadow runs, or remove shadow` });
    }
    if (providers.includes('azureml') && release.shadow.percent > 50) {
      out.push({ file: 'releases', path: [...spath, 'percent'], message: `azureml mirrors at most 50% of traffic, not ${release.shadow.percent}%; use 50 or less` });
    }
  }
  if (providers.length === 0) {
    out.push({ file: 'releases', path: base, atKey: true, message: `environment "${envName}" configures none of the providers ${modelName} uses (${(model.providers ?? []).join(', ')}); add the matching block to environments.${envName}` });
  }
  void spec;
}
