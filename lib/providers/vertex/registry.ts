import type { protos } from '@google-cloud/aiplatform';
import type { ServingContainerPlan, VertexModelPlan } from '../../plan/types';
import { ProviderError, type RegistryCapability, type Target } from '../contract';
import { finish, vertexCalls, vertexParent, type VertexCallOptions, type VertexClients } from './clients';

type IModel = protos.google.cloud.aiplatform.v1.IModel;
type IModelContainerSpec = protos.google.cloud.aiplatform.v1.IModelContainerSpec;

/**
 * The Vertex AI Model Registry: one Vertex Model per mlspec model, a version per label (alias
 * `v<label>`), labelled with its metrics. Versions are uploaded, never deleted.
 */

/** What the registry holds after `ensureVertexVersions`. */
export interface VertexRegistered {
  /** The Vertex Model's resource name; undefined while no version exists. */
  readonly modelName?: string;
  /** Every version alias the model has (`v<label>`). */
  readonly aliases: ReadonlySet<string>;
}

/** The Vertex Model of the plan (by display name), or undefined. */
export async function findVertexModel(clients: VertexClients, plan: VertexModelPlan): Promise<IModel | undefined> {
  const [found] = await clients.models.listModels({ parent: vertexParent(plan), filter: `display_name="${plan.modelDisplayName}"` }, { autoPaginate: false });
  return (found as IModel[])[0];
}

/** The version of `label` (`<model>@v<label>`), or undefined. */
export async function findVertexVersion(clients: VertexClients, plan: VertexModelPlan, label: string): Promise<IModel | undefined> {
  const name = (await findVertexModel(clients, plan))?.name;
  if (!name) return undefined;
  try {
    const [found] = await clients.models.getModel({ name: `${name}@v${label}` });
    return found;
  } catch (e) {
    if ((e as { code?: number }).code === 5) return undefined; // NOT_FOUND
    throw e;
  }
}

/**
 * Uploads every declared version with an artifact that the model lacks, with the serving
 * container; trained versions are registered by the training pipeline. A version's containerSpec
 * is immutable: a declared version uploaded with another container fails with a message.
 */
export async function ensureVertexVersions(plan: VertexModelPlan, target: Target, clients: VertexClients, options: VertexCallOptions = {}): Promise<VertexRegistered> {
  const parent = vertexParent(plan);
  const call = vertexCalls(target, options);
  const image = plan.serving?.image;
  const wantSpec = plan.serving && containerSpec(plan.serving.image, plan.serving.container);

  let modelName = (await call('list models', () => findVertexModel(clients, plan)))?.name ?? undefined;
  const aliases = new Set<string>();
  if (modelName) {
    const [versions] = await call('list model versions', () => clients.models.listModelVersions({ name: modelName }, { autoPaginate: false }));
    for (const v of versions as IModel[]) for (const a of v.versionAliases ?? []) aliases.add(a);
    // A version's containerSpec is immutable: say so rather than serve it with what it was uploaded with.
    for (const v of versions as IModel[]) {
      const declared = plan.versions.find((d) => d.artifactUri !== undefined && v.versionAliases?.includes(d.alias));
      const drift = declared && wantSpec && containerDrift(v.containerSpec, wantSpec);
      if (drift) {
        throw ProviderError.about(
          'vertex',
          target,
          `version ${declared.label} was uploaded with ${drift.have}, and the spec now gives ${drift.want}; a Vertex model version's container cannot change: declare the artifact again under a new label and release that one`,
        );
      }
    }
  }
  for (const version of plan.versions) {
    // Trained versions are registered by the training pipeline; declared ones need their artifact here.
    if (aliases.has(version.alias) || version.artifactUri === undefined || image === undefined) continue;
    const [op] = await call(`upload version ${version.label}`, () =>
      clients.models.uploadModel({
        parent,
        parentModel: modelName,
        model: {
          displayName: plan.modelDisplayName,
          artifactUri: version.artifactUri,
          // The serving container: the server preset's routes, port and variables, with the spec's over them.
          containerSpec: wantSpec,
          versionAliases: [version.alias],
          labels: versionLabels(version.label, version.metrics),
        },
      }),
    );
    const [response] = await finish(op, `upload version ${version.label}`, target);
    modelName ??= (response as { model?: string }).model ?? undefined;
    aliases.add(version.alias);
  }
  return { modelName, aliases };
}

/** The registry capability of the provider contract (lib/providers/contract.ts). */
export const registryCapability = { ensure: ensureVertexVersions, findVersion: findVertexVersion } satisfies RegistryCapability;

/** A version's containerSpec from the plan's serving container (Vertex sends requests to the first port). */
export function containerSpec(image: string, c: ServingContainerPlan): IModelContainerSpec {
  return {
    imageUri: image,
    predictRoute: c.predictRoute,
    healthRoute: c.healthRoute,
    ports: [{ containerPort: c.port }],
    ...(Object.keys(c.env).length > 0 ? { env: Object.entries(c.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(c.args?.length ? { args: [...c.args] } : {}),
  };
}

/** What differs between a live version's containerSpec and the wanted one, in words; undefined when nothing does. */
function containerDrift(have: IModelContainerSpec | null | undefined, want: IModelContainerSpec): { have: string; want: string } | undefined {
  const fields = (c: IModelContainerSpec | null | undefined): Record<string, string> => ({
    image: c?.imageUri ?? '',
    port: String(c?.ports?.[0]?.containerPort ?? 8080),
    predictRoute: c?.predictRoute ?? '',
    healthRoute: c?.healthRoute ?? '',
    env: (c?.env ?? []).map((e) => `${e.name}=${e.value}`).join(' '),
    args: (c?.args ?? []).join(' '),
  });
  const h = fields(have);
  const w = fields(want);
  const differ = Object.keys(w).filter((k) => h[k] !== w[k]);
  if (differ.length === 0) return undefined;
  const show = (f: Record<string, string>) => differ.map((k) => `${k} ${f[k] === '' ? '(none)' : JSON.stringify(f[k])}`).join(', ');
  return { have: show(h), want: show(w) };
}

/** Labels carry the version and its metrics (label values allow no dots: 0.962 → 0_962). */
export function versionLabels(label: string, metrics: Record<string, number>): Record<string, string> {
  const labels: Record<string, string> = { 'mlspec-version': label, 'managed-by': 'mlspec' };
  for (const [k, v] of Object.entries(metrics)) labels[`metric-${k.toLowerCase().replace(/[^a-z0-9_-]/g, '_')}`.slice(0, 63)] = String(v).replace(/\./g, '_').replace(/[^0-9a-z_-]/g, '').slice(0, 63);
  return labels;
}

/** A trained version to register: its label, where the run wrote the model, its final metrics and the run. */
export interface TrainedVersion {
  readonly label: string;
  readonly artifactUri: string;
  readonly metrics: Record<string, number>;
  readonly runId: string;
}

/**
 * Registers a trained version as a new version of the model (alias `v<label>`), labelled with its
 * metrics, `mlspec-trained` and its run; a retry finds the alias and uploads nothing twice.
 */
export async function registerTrainedVertexVersion(plan: VertexModelPlan, target: Target, clients: VertexClients, version: TrainedVersion, options: VertexCallOptions = {}): Promise<string> {
  const call = vertexCalls(target, options);
  const serving = plan.serving ?? plan.registerWith;
  if (!serving) throw ProviderError.about('vertex', target, `version ${version.label} was trained, but the model has no serving.image.vertex to register it with; add serving.image.vertex`);
  const existing = await call(`find version ${version.label}`, () => findVertexVersion(clients, plan, version.label));
  if (existing?.name) return existing.name;
  const modelName = (await call('list models', () => findVertexModel(clients, plan)))?.name ?? undefined;
  const [op] = await call(`upload version ${version.label}`, () =>
    clients.models.uploadModel({
      parent: vertexParent(plan),
      parentModel: modelName,
      model: {
        displayName: plan.modelDisplayName,
        artifactUri: version.artifactUri,
        containerSpec: containerSpec(serving.image, serving.container),
        versionAliases: [`v${version.label}`],
        labels: { ...versionLabels(version.label, version.metrics), 'mlspec-trained': 'true', 'mlspec-run': version.runId.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63) },
      },
    }),
  );
  const [response] = await finish(op, `upload version ${version.label}`, target);
  return (response as { model?: string }).model ?? '';
}
