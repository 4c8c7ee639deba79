import { S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeModelPackageCommand, UpdateModelPackageCommand, type ModelPackage } from '@aws-sdk/client-sagemaker';
import { endpointName, projectOf, versionName } from '../../plan/names';
import type { EnvironmentPlan, ModelPlan } from '../../plan/types';
import type { Approval, LiveServing, MonitorReport } from '../../promote/live';
import type { LiveCapability } from '../contract';
import { prefixedMetrics, RegistryLiveState } from '../live';
import { sageMakerClientFor, type SageMakerClientFactory } from './clients';
import { unlessMissing } from './missing';
import { monitorNames, readMonitor } from './monitoring';
import { findVersion } from './registry';

export type { SageMakerClientFactory } from './clients';

/** S3 clients per region (the monitor's violation reports); tests pass ones that reach the fake. */
export type S3ClientFactory = (region: string) => S3Client;

/** The CLI's: the default credential chain. */
export const s3ClientFor: S3ClientFactory = (region) => new S3Client({ region, maxAttempts: 5 });

const APPROVAL: Record<string, Approval> = { Approved: 'approved', PendingManualApproval: 'pending', Rejected: 'rejected' };

/** Live state of SageMaker: the endpoint's variants, the model package group and the drift monitor. */
export class SageMakerLiveState extends RegistryLiveState<'sagemaker', ModelPackage> {
  readonly provider = 'sagemaker' as const;

  constructor(private readonly clients: SageMakerClientFactory = sageMakerClientFor, private readonly s3: S3ClientFactory = s3ClientFor) {
    super();
  }

  /**
   * The data-quality monitor of the model's endpoint (constructs/sagemaker/monitoring.ts): the
   * schedule's status and its executions since `since`, newest first, each run that completed with
   * violations with those of its constraint_violations.json (lib/providers/sagemaker/monitoring.ts).
   * Undefined when the plan has no SageMaker monitor, or its schedule is not deployed.
   */
  async monitoring(env: EnvironmentPlan, model: ModelPlan, since?: Date): Promise<MonitorReport | undefined> {
    const sm = this.slice(env, model);
    if (!sm.serving?.monitoring) return undefined;
    return readMonitor({ sagemaker: this.clients(sm.region), s3: this.s3(sm.region) }, monitorNames(sm.serving.endpointName).schedule, since);
  }

  async servingSince(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<Date | undefined> {
    const sm = this.slice(env, model);
    const name = sm.serving?.endpointName ?? endpointName(projectOf(model), model.name, env.name);
    const endpoint = await unlessMissing(this.clients(sm.region).send(new DescribeEndpointCommand({ EndpointName: name })));
    if (!endpoint) return undefined;
    const variant = endpoint.ProductionVariants?.find((v) => v.VariantName === versionName(version));
    if (!variant || (variant.CurrentWeight ?? 0) <= 0) return undefined;
    // The variant's image was resolved when its fleet came up: the earliest resolution is when it began serving.
    const times = (variant.DeployedImages ?? []).map((i) => i.ResolutionTime).filter((t): t is Date => t instanceof Date);
    if (times.length > 0) return new Date(Math.min(...times.map((t) => t.getTime())));
    return endpoint.LastModifiedTime;
  }

  /** The endpoint's status and each variant's share (variants are named v<label>). */
  async serving(env: EnvironmentPlan, model: ModelPlan): Promise<LiveServing | undefined> {
    const sm = this.slice(env, model);
    const name = sm.serving?.endpointName ?? endpointName(projectOf(model), model.name, env.name);
    const endpoint = await unlessMissing(this.clients(sm.region).send(new DescribeEndpointCommand({ EndpointName: name })));
    if (!endpoint) return undefined;
    const label = (variant: string | undefined) => (variant ?? '').replace(/^v/, '');
    const weights = (endpoint.ProductionVariants ?? []).map((v) => [label(v.VariantName), v.CurrentWeight ?? 0] as const);
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    const shadow = endpoint.ShadowProductionVariants?.[0];
    return {
      endpoint: name,
      state: endpoint.EndpointStatus ?? 'unknown',
      traffic: Object.fromEntries(weights.map(([l, w]) => [l, total > 0 ? Math.round((w / total) * 100) : 0])),
      ...(shadow ? { shadow: { version: label(shadow.VariantName), percent: total > 0 ? Math.round(((shadow.CurrentWeight ?? 0) / total) * 100) : 0 } } : {}),
    };
  }

  /** The package of a version: trained versions are the group's package of that number; declared ones carry `mlspec:version`. */
  protected findVersion(env: EnvironmentPlan, model: ModelPlan, version: string): Promise<ModelPackage | undefined> {
    const sm = this.slice(env, model);
    const client = this.clients(sm.region);
    const group = sm.registry.modelPackageGroupName;
    const source = model.registry.versions.find((v) => v.label === version)?.source;
    if (source === 'training' || (source === undefined && /^\d+$/.test(version))) {
      return unlessMissing(client.send(new DescribeModelPackageCommand({ ModelPackageName: `arn:aws:sagemaker:${sm.region}:${sm.account}:model-package/${group}/${version}` })));
    }
    return findVersion(client, group, version);
  }

  protected registryName(model: ModelPlan): string {
    return `group ${model.sagemaker!.registry.modelPackageGroupName}`;
  }

  protected approvalOf(pkg: ModelPackage): Approval {
    return APPROVAL[pkg.ModelApprovalStatus ?? ''] ?? 'pending';
  }

  protected metricsOf(pkg: ModelPackage): Record<string, number> {
    return Object.fromEntries(Object.entries(prefixedMetrics(pkg.CustomerMetadataProperties, 'metric:')).filter(([, v]) => !Number.isNaN(v)));
  }

  protected async recordApproval(env: EnvironmentPlan, model: ModelPlan, _version: string, pkg: ModelPackage, note: string): Promise<void> {
    await this.clients(this.slice(env, model).region).send(new UpdateModelPackageCommand({ ModelPackageArn: pkg.ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: note.slice(0, 1024) }));
  }
}

/** The live capability of the provider contract (lib/providers/contract.ts). */
export const liveCapability = { state: (clients?: SageMakerClientFactory, s3?: S3ClientFactory) => new SageMakerLiveState(clients, s3) } satisfies LiveCapability;
