import type { Provider } from '../catalog/types';
import data from './data/servers.json';

/**
 * Serving containers: the model-server presets (`serving.server`) and how a spec's
 * `serving.container` and `serving.env` become each provider's own form. The facts behind every
 * preset, with their sources, are in data/servers.json and docs/SERVERS.md.
 */

export const SERVERS = ['sagemaker', 'tgi', 'vllm', 'torchserve', 'tfserving', 'triton'] as const;
export type ServerName = (typeof SERVERS)[number];

/** Where a container listens: the port, the health route and the predict route. */
export interface ContainerRoutes {
  readonly port: number;
  readonly health: string;
  readonly predict: string;
}

/** SageMaker's container contract: it only ever calls these, whatever the image. */
export const SAGEMAKER_CONTRACT: ContainerRoutes = { port: 8080, health: '/ping', predict: '/invocations' };

interface ProviderPreset {
  readonly image: string;
  readonly container: ContainerRoutes;
  readonly env: Record<string, string>;
  /** Vertex only: arguments in place of the image's CMD. */
  readonly args?: string[];
  /** SageMaker only: SageMaker's own variant of the server, which speaks its contract. */
  readonly variant?: string;
  /** SageMaker only: image repositories of the stock server, which do not speak SageMaker's contract. */
  readonly stockImages?: string[];
  readonly sources: string[];
  readonly notes?: string;
}

interface ServerPreset {
  readonly title: string;
  readonly docs?: string;
  readonly sagemaker: ProviderPreset;
  readonly vertex: ProviderPreset;
  readonly azureml: ProviderPreset;
}

const PRESETS = data.servers as unknown as Record<ServerName, ServerPreset>;

/** The preset of a server on a provider. */
export function preset(server: ServerName, provider: Provider): ProviderPreset {
  return PRESETS[server][provider];
}

export function serverTitle(server: ServerName): string {
  return PRESETS[server].title;
}

/** The references a value may hold, each resolved per provider (see docs/SERVERS.md). */
export const REFERENCES = ['model_dir', 'gpus', 'model_name'] as const;
export type Reference = (typeof REFERENCES)[number];
export type ReferenceValues = Record<Reference, string>;

const REFERENCE = /\$\{([^}]*)\}/g;

/** The `${...}` references in a value that mlspec does not know. */
export function unknownReferences(value: string): string[] {
  return [...value.matchAll(REFERENCE)].map((m) => m[1]).filter((r) => !(REFERENCES as readonly string[]).includes(r));
}

/** A value with its references replaced by the provider's values. */
export function resolveReferences(value: string, refs: ReferenceValues): string {
  return value.replace(REFERENCE, (whole, name: string) => ((REFERENCES as readonly string[]).includes(name) ? refs[name as Reference] : whole));
}

/** Is `image` the stock image of a server that does not speak SageMaker's contract? Then which server. */
export function stockServerOf(image: string): ServerName | undefined {
  const repository = image.replace(/@sha256:.*$/, '').replace(/:[^/:]+$/, '');
  for (const server of SERVERS) {
    for (const stock of PRESETS[server].sagemaker.stockImages ?? []) {
      // `docker.io/vllm/vllm-openai`, `vllm/vllm-openai` and `index.docker.io/...` are one repository.
      const bare = (s: string) => s.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
      if (bare(repository) === bare(stock)) return server;
    }
  }
  return undefined;
}

/** The spec's serving container fields, as validated (lib/spec/schema.ts). */
export interface ServingContainerSpec {
  readonly server?: ServerName;
  readonly container?: Partial<ContainerRoutes> & Partial<Record<Provider, Partial<ContainerRoutes>>>;
  readonly env?: EnvSpec;
}

/** Variables for every provider, and per-provider maps under `sagemaker`, `vertex`, `azureml`. */
export type EnvSpec = Record<string, string | Record<string, string>>;

/** What a provider's container gets, with where each part came from. */
export interface ResolvedContainer {
  readonly server: ServerName;
  readonly container: ContainerRoutes;
  /** Resolved variables, sorted by name. */
  readonly env: Record<string, string>;
  readonly args?: string[];
  /** Where each route and variable came from: the preset, or the spec (which wins). */
  readonly origin: Record<string, 'preset' | 'spec'>;
}

const PROVIDER_KEYS = new Set<string>(['sagemaker', 'vertex', 'azureml']);

/** The variables a spec's env gives a provider: the shared ones, then that provider's own. */
export function envFor(env: EnvSpec | undefined, provider: Provider): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) if (!PROVIDER_KEYS.has(k) && typeof v === 'string') out[k] = v;
  const own = env?.[provider];
  if (own && typeof own === 'object') Object.assign(out, own);
  return out;
}

/** The routes a spec's container gives a provider: the shared ones, then that provider's own. */
export function routesFor(container: ServingContainerSpec['container'], provider: Provider): Partial<ContainerRoutes> {
  const pick = (c: Partial<ContainerRoutes> | undefined) => Object.fromEntries(Object.entries(c ?? {}).filter(([k, v]) => ['port', 'health', 'predict'].includes(k) && v !== undefined));
  return { ...pick(container), ...pick(container?.[provider]) };
}

/** The container a provider runs: the preset, overridden by what the spec sets, references resolved. */
export function resolveContainer(spec: ServingContainerSpec, provider: Provider, refs: ReferenceValues): ResolvedContainer {
  const server = spec.server ?? 'sagemaker';
  const base = preset(server, provider);
  const origin: Record<string, 'preset' | 'spec'> = {};
  const routes = routesFor(spec.container, provider);
  const container = { ...base.container, ...routes };
  for (const k of ['port', 'health', 'predict'] as const) origin[k] = k in routes ? 'spec' : 'preset';
  const own = envFor(spec.env, provider);
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(base.env)) (merged[k] = v), (origin[`env.${k}`] = 'preset');
  for (const [k, v] of Object.entries(own)) (merged[k] = v), (origin[`env.${k}`] = 'spec');
  const env = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, resolveReferences(merged[k], refs)]));
  return {
    server,
    container: { port: container.port, health: resolveReferences(container.health, refs), predict: resolveReferences(container.predict, refs) },
    env,
    args: base.args?.map((a) => resolveReferences(a, refs)),
    origin,
  };
}

/**
 * Where a provider puts a served version's model files, as `${model_dir}` becomes (see
 * data/servers.json references). On Azure ML the path names the model, the version and the last
 * folder of the version's `azureml://` path; `version` is shown as `<version>` where none is known.
 */
export function modelDir(provider: Provider, where: { readonly registeredName?: string; readonly version?: string; readonly artifact?: string } = {}): string {
  const pattern = (data.references.model_dir as Record<Provider, string>)[provider];
  const folder = where.artifact?.replace(/\/+$/, '').split('/').pop();
  return pattern
    .replace('<model-name>', where.registeredName ?? '<model-name>')
    .replace('<version>', where.version ?? '<version>')
    .replace(/\/<artifact-folder>/, folder ? `/${folder}` : where.version ? '' : '/<artifact-folder>');
}

/** Where training writes the model on a provider, as `${model_dir}` becomes in `training.env`. */
export const TRAINING_MODEL_DIR: Partial<Record<Provider, string>> = {
  // SageMaker uploads /opt/ml/model to the job's output when the job ends (SM_MODEL_DIR).
  sagemaker: '/opt/ml/model',
};
