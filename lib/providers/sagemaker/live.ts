import {
  DescribeEndpointCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  type ModelPackage,
} from '@aws-sdk/client-sagemaker';
import { unlessMissing } from './missing';
import { findVersion } from './registry';
import type { Approval, LiveState } from '../../promote/live';
import type { EnvironmentPlan, ModelPlan } from '../../plan/types';
import { endpointName, projectOf, versionName } from '../../plan/names';

/** SageMaker clients per region, created with the default credential chain (profiles, SSO, roles). */
export type SageMakerClientFactory = (region: string) => SageMakerClient;
const defaultClients: SageMakerClientFactory = (region) => new SageMakerClient({ region, maxAttempts: 5 });

const APPROVAL: Record<string, Approval> = { Approved: 'approved', PendingManualApproval: 'pending', Rejected: 'rejected' };

/** Live state of SageMaker: the endpoint's variants and the model package group. */
export class SageMakerLiveState implements LiveState {
  readonly provider = 'sagemaker' as const;

  constructor(private readonly clients: SageMakerClientFactory = defaultClients) {}

  private target(env: EnvironmentPlan, model: ModelPlan) {
    const sm = model.sagemaker;
    if (!sm) throw new Error(`${model.name} does not use sagemaker in ${env.name}`);
    return { client: this.clients(sm.region), sm };
  }

  async servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined> {
    const { client, sm } = this.target(env, model);
    const name = sm.serving?.endpointName ?? endpointName(projectOf(model), model.name, env.name);
    const endpoint = await unlessMissing(client.send(new DescribeEndpointCommand({ EndpointName: name })));
    if (!endpoint) return undefined;
    const variant = endpoint.ProductionVariants?.find((v) => v.VariantName === versionName(version));
    if (!variant || (variant.CurrentWeight ?? 0) <= 0) return undefined;
    // The variant's image was resolved when its fleet came up: the earliest resolution is when it began serving.
    const times = (variant.DeployedImages ?? []).map((i) => i.ResolutionTime).filter((t): t is Date => t instanceof Date);
    if (times.length > 0) return new Date(Math.min(...times.map((t) => t.getTime())));
    return endpoint.LastModifiedTime;
  }

  /** The package of a version: trained versions are the group's package of that number; declared ones carry `mlspec:version`. */
  private async findPackage(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<ModelPackage | undefined> {
    const { client, sm } = this.target(env, model);
    const group = sm.registry.modelPackageGroupName;
    const source = model.registry.versions.find((v) => v.label === version)?.source;
    if (source === 'training' || (source === undefined && /^\d+$/.test(version))) {
      return unlessMissing(client.send(new DescribeModelPackageCommand({ ModelPackageName: `arn:aws:sagemaker:${sm.region}:${sm.account}:model-package/${group}/${version}` })));
    }
    return findVersion(client, group, version);
  }

  async approval(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Approval | undefined> {
    const pkg = await this.findPackage(env, model, version);
    return pkg ? (APPROVAL[pkg.ModelApprovalStatus ?? ''] ?? 'pending') : undefined;
  }

  async metrics(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Record<string, number> | undefined> {
    const pkg = await this.findPackage(env, model, version);
    if (!pkg) return undefined;
    const metrics: Record<string, number> = {};
    for (const [key, value] of Object.entries(pkg.CustomerMetadataProperties ?? {})) {
      if (key.startsWith('metric:') && !Number.isNaN(Number(value))) metrics[key.slice('metric:'.length)] = Number(value);
    }
    return metrics;
  }

  async approve(env: EnvironmentPlan, model: ModelPlan, version: string, note: string): Promise<void> {
    const { client } = this.target(env, model);
    const pkg = await this.findPackage(env, model, version);
    if (!pkg) throw new Error(`version ${version} of ${model.name} is not in the sagemaker registry of ${env.name} (group ${model.sagemaker!.registry.modelPackageGroupName}); deploy ${env.name}'s stack first`);
    if (pkg.ModelApprovalStatus === 'Approved') return;
    await client.send(new UpdateModelPackageCommand({ ModelPackageArn: pkg.ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: note.slice(0, 1024) }));
  }
}
