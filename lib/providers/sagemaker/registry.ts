import {
  AddTagsCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteModelPackageCommand,
  DeleteModelPackageGroupCommand,
  DeleteTagsCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListTagsCommand,
  SearchCommand,
  UpdateModelPackageCommand,
  type Filter,
  type ModelPackage,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { RegistryCapability } from '../contract';
import { unlessMissing } from './missing';
import { TRAINED_TAG } from './training';

/**
 * The SageMaker model registry, written so a registry kept from a deleted stack is taken back
 * as it is: the group by its name, each version by its `mlspec:version` label. Nothing here
 * deletes what it did not create, and running any of it twice changes nothing the second time.
 *
 * A version's label is its `mlspec:version` metadata, and (on what mlspec registers or takes back)
 * also its `mlspec:version` tag, so SageMaker's Search finds it in one call however many versions
 * the group holds: the API reference documents `Tags.<key>` as a filter, and no filter on
 * CustomerMetadataProperties. Custom resources keep the package ARN as their physical id, so an
 * Update never looks a version up.
 */

/** The metadata key that names a version in the registry ("7"), on every provider's terms. */
export const VERSION_KEY = 'mlspec:version';

export interface GroupSpec {
  readonly name: string;
  readonly description?: string;
  readonly tags?: Record<string, string>;
}

/** One version as CreateModelPackage takes it. */
export interface VersionSpec {
  readonly group: string;
  readonly label: string;
  readonly description: string;
  readonly approvalStatus: 'Approved' | 'PendingManualApproval' | 'Rejected';
  readonly image: string;
  readonly modelDataUrl: string;
  readonly contentTypes: string[];
  readonly responseTypes: string[];
  readonly instanceTypes?: string[];
  /** `mlspec:version` and `metric:<name>` entries. */
  readonly metadata: Record<string, string>;
  readonly tags?: Record<string, string>;
}

export type Outcome = 'created' | 'adopted';


function toTags(tags?: Record<string, string>) {
  const list = Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  return list.length > 0 ? list : undefined;
}

/** Makes the resource carry exactly `tags` among those it has; writes only what differs. */
export async function syncTags(sm: SageMakerClient, arn: string, tags: Record<string, string> = {}): Promise<boolean> {
  const live: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await sm.send(new ListTagsCommand({ ResourceArn: arn, NextToken: token }));
    for (const t of page.Tags ?? []) if (t.Key) live[t.Key] = t.Value ?? '';
    token = page.NextToken;
  } while (token);
  const add = Object.entries(tags).filter(([k, v]) => live[k] !== v);
  // Tags SageMaker or AWS set (aws:*, sagemaker:*) are not ours to remove.
  const remove = Object.keys(live).filter((k) => !(k in tags) && !/^(aws|sagemaker):/.test(k));
  if (add.length > 0) await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: add.map(([Key, Value]) => ({ Key, Value })) }));
  if (remove.length > 0) await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: remove }));
  return add.length + remove.length > 0;
}

/** Creates the model package group, or takes back the one of that name (kept from a deleted stack). */
export async function ensureGroup(sm: SageMakerClient, spec: GroupSpec): Promise<{ arn: string; outcome: Outcome }> {
  const group = await unlessMissing(sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: spec.name })));
  if (group) {
    await syncTags(sm, group.ModelPackageGroupArn!, spec.tags);
    return { arn: group.ModelPackageGroupArn!, outcome: 'adopted' };
  }
  const out = await sm.send(new CreateModelPackageGroupCommand({
    ModelPackageGroupName: spec.name,
    ModelPackageGroupDescription: spec.description,
    Tags: toTags(spec.tags),
  }));
  return { arn: out.ModelPackageGroupArn!, outcome: 'created' };
}

/** Deletes a group this stack created (a failed first deploy); one already gone is success. */
export async function deleteGroup(sm: SageMakerClient, name: string): Promise<void> {
  await unlessMissing(sm.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: name })));
}

/** The tag that repeats a package's label, so Search can find it (see above). */
const LABEL_TAG = `Tags.${VERSION_KEY}`;

/** Search answers at most 100 records a call (the API reference: MaxResults 1-100). */
const SEARCH_PAGE = 100;

/** The group's packages that match `filter`, newest first, a page (one Search call) at a time. */
async function* searchGroup(sm: SageMakerClient, group: string, ...filters: Filter[]): AsyncGenerator<ModelPackage> {
  let token: string | undefined;
  do {
    const page = await sm.send(new SearchCommand({
      Resource: 'ModelPackage',
      SearchExpression: { Filters: [{ Name: 'ModelPackageGroupName', Operator: 'Equals', Value: group }, ...filters], Operator: 'And' },
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: SEARCH_PAGE,
      NextToken: token,
    }));
    for (const r of page.Results ?? []) if (r.ModelPackage) yield r.ModelPackage;
    token = page.NextToken;
  } while (token);
}

/**
 * The group's newest package that carries `label` (its `mlspec:version` metadata decides), if any.
 * First by the label's tag: one Search call for what mlspec registered. Then among the packages
 * without that tag (registered by earlier mlspec releases or by hand; trained versions carry
 * `mlspec:trained` and are left out),
 * newest first, 100 a call: a cost that grows with those alone, and shrinks as ensureVersion tags
 * what it takes back. A tagged package of the label is preferred to an untagged one.
 */
export async function findVersion(sm: SageMakerClient, group: string, label: string): Promise<ModelPackage | undefined> {
  const labelled = (p: ModelPackage) => p.CustomerMetadataProperties?.[VERSION_KEY] === label;
  for await (const p of searchGroup(sm, group, { Name: LABEL_TAG, Operator: 'Equals', Value: label })) if (labelled(p)) return p;
  // Trained versions (tagged mlspec:trained by the training pipeline) carry no label metadata: not scanned.
  for await (const p of searchGroup(sm, group, { Name: LABEL_TAG, Operator: 'NotExists' }, { Name: `Tags.${TRAINED_TAG}`, Operator: 'NotExists' })) if (labelled(p)) return p;
  return undefined;
}

/** The tags a version's package carries: the spec's, and its label (what findVersion searches by). */
function versionTags(spec: VersionSpec): Record<string, string> {
  return { ...spec.tags, [VERSION_KEY]: spec.label };
}

/** Whether a registered package serves the same model as `spec` (image and artifact). */
function sameModel(pkg: ModelPackage, spec: VersionSpec): boolean {
  const c = pkg.InferenceSpecification?.Containers?.[0];
  return c?.Image === spec.image && (c?.ModelDataUrl ?? '') === spec.modelDataUrl;
}

/**
 * Makes the package's metadata (label, metrics) what the spec says; writes only when it differs.
 * Approval is not touched here: it belongs to `mlspec approve` once a version is registered.
 */
export async function syncMetadata(sm: SageMakerClient, pkg: Pick<ModelPackage, 'ModelPackageArn' | 'CustomerMetadataProperties'>, metadata: Record<string, string>): Promise<boolean> {
  const live = pkg.CustomerMetadataProperties ?? {};
  const changed = Object.entries(metadata).some(([k, v]) => live[k] !== v);
  const removed = Object.keys(live).filter((k) => !(k in metadata) && (k === VERSION_KEY || k.startsWith('metric:')));
  if (!changed && removed.length === 0) return false;
  await sm.send(new UpdateModelPackageCommand({
    ModelPackageArn: pkg.ModelPackageArn,
    CustomerMetadataProperties: metadata,
    CustomerMetadataPropertiesToRemove: removed.length > 0 ? removed : undefined,
  }));
  return true;
}

/**
 * Registers the version, or takes back the package that already carries its label and serves the
 * same image and artifact (its metadata and tags brought up to date, the label's tag with them). A
 * label whose package serves another model gets a new package: the registry keeps both.
 */
export async function ensureVersion(sm: SageMakerClient, spec: VersionSpec): Promise<{ arn: string; outcome: Outcome }> {
  const existing = await findVersion(sm, spec.group, spec.label);
  if (existing && sameModel(existing, spec)) {
    await syncMetadata(sm, existing, spec.metadata);
    await syncTags(sm, existing.ModelPackageArn!, versionTags(spec));
    return { arn: existing.ModelPackageArn!, outcome: 'adopted' };
  }
  const out = await sm.send(new CreateModelPackageCommand({
    ModelPackageGroupName: spec.group,
    ModelPackageDescription: spec.description,
    ModelApprovalStatus: spec.approvalStatus,
    CustomerMetadataProperties: spec.metadata,
    InferenceSpecification: {
      Containers: [{ Image: spec.image, ModelDataUrl: spec.modelDataUrl }],
      SupportedContentTypes: spec.contentTypes,
      SupportedResponseMIMETypes: spec.responseTypes,
      SupportedRealtimeInferenceInstanceTypes: spec.instanceTypes && spec.instanceTypes.length > 0 ? spec.instanceTypes as never : undefined,
    },
    Tags: toTags(versionTags(spec)),
  }));
  return { arn: out.ModelPackageArn!, outcome: 'created' };
}

/** Deletes a package this stack created (a failed first deploy); one already gone is success. */
export async function deleteVersion(sm: SageMakerClient, arn: string): Promise<void> {
  await unlessMissing(sm.send(new DeleteModelPackageCommand({ ModelPackageName: arn })));
}

/** Brings a kept group's tags to the spec (no API changes a group's description); returns its ARN. */
export async function updateGroup(sm: SageMakerClient, spec: GroupSpec): Promise<string> {
  const arn = (await sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: spec.name }))).ModelPackageGroupArn!;
  await syncTags(sm, arn, spec.tags);
  return arn;
}

/** Whether two specs describe the same model: a change of any of these needs another package. */
export function sameVersionModel(a: VersionSpec, b: VersionSpec): boolean {
  const model = (v: VersionSpec) => JSON.stringify([v.group, v.label, v.image, v.modelDataUrl, v.contentTypes, v.responseTypes, v.instanceTypes ?? []]);
  return model(a) === model(b);
}

/**
 * Updates a registered package in place for a spec of the same model: metadata and tags follow the
 * spec; the approval status only when the spec changed it since `old`, so a deploy never undoes
 * `mlspec approve`.
 */
export async function updateVersion(sm: SageMakerClient, arn: string, old: VersionSpec, spec: VersionSpec): Promise<void> {
  const pkg = await sm.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  await syncMetadata(sm, pkg, spec.metadata);
  await syncTags(sm, arn, versionTags(spec));
  if (old.approvalStatus !== spec.approvalStatus) {
    await sm.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: spec.approvalStatus }));
  }
}

/** The registry capability of the provider contract (lib/providers/contract.ts): one version per ModelVersion custom resource. */
export const registryCapability = { ensure: ensureVersion, findVersion } satisfies RegistryCapability;
