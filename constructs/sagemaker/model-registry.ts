import { ArnFormat, IResource, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { arnName, checkMetadataText, checkSageMakerName, sanitizeId } from './names';

/** Approval status of a model version in the registry. */
export enum ModelApprovalStatus {
  /** Deployable; what `registry.approval: auto` registers. */
  APPROVED = 'Approved',
  /** Waits for a person to approve it; what `registry.approval: manual` registers. */
  PENDING_MANUAL_APPROVAL = 'PendingManualApproval',
  /** Refused; kept for the record. */
  REJECTED = 'Rejected',
}

/** One version of a model, registered as a versioned model package. */
export interface ModelVersionProps {
  /** The version label users write ("7"); stored as the `mlspec:version` metadata property. */
  readonly label: string;
  /** Inference container image URI. */
  readonly image: string;
  /** S3 URL of the model artifact (`s3://bucket/path/model.tar.gz`). */
  readonly modelDataUrl: string;
  /**
   * Offline metrics of this version, stored as `metric:<name>` metadata properties.
   * @default - none
   */
  readonly metrics?: Record<string, number>;
  /**
   * Real-time inference instance types this version supports.
   * @default - none declared
   */
  readonly instanceTypes?: string[];
  /**
   * Request content types the container accepts.
   * @default ['application/json']
   */
  readonly contentTypes?: string[];
  /**
   * Response MIME types the container returns.
   * @default ['application/json']
   */
  readonly responseTypes?: string[];
  /**
   * Approval status of this version.
   * @default - the registry's `approvalStatus`
   */
  readonly approvalStatus?: ModelApprovalStatus;
  /**
   * Description of the package. Changing it registers a new package version (the old one is kept).
   * @default '<group> version <label>'
   */
  readonly description?: string;
}

export interface ModelRegistryProps {
  /** Name of the model package group: 1-63 letters, digits and hyphens. */
  readonly modelPackageGroupName: string;
  /**
   * Description of the group.
   * @default - none
   */
  readonly description?: string;
  /**
   * Versions to register, one model package each, in this order.
   * @default - none (a training pipeline registers its own)
   */
  readonly versions?: ModelVersionProps[];
  /**
   * Approval status of the versions registered here.
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly approvalStatus?: ModelApprovalStatus;
  /**
   * Tags for the group and every package.
   * @default - none (stack tags still apply)
   */
  readonly tags?: Record<string, string>;
}

/** A model registry (SageMaker model package group), defined here or imported. */
export interface IModelRegistry extends IResource {
  /** @attribute */
  readonly modelPackageGroupName: string;
  /** @attribute */
  readonly modelPackageGroupArn: string;
  /** Lets `grantee` describe the group and its versions. */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

abstract class ModelRegistryBase extends Resource implements IModelRegistry {
  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    // ListModelPackages has no resource-level permissions (it needs `*`), so it is not granted here.
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage'],
      resourceArns: [this.modelPackageGroupArn, this.packagesArn()],
    });
  }

  /** ARN pattern of every versioned package of the group: `model-package/<group>/*`. */
  protected packagesArn(): string {
    return Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'model-package',
      resourceName: `${arnName(this.modelPackageGroupName)}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}

/**
 * A SageMaker model registry: one model package group and one versioned model package per
 * declared version, each carrying its label and metrics as metadata.
 *
 * Nothing is lost: the group and its packages are kept when the stack is deleted or a package is
 * replaced (`RetainExceptOnCreate`), but removed if their very first create rolls back, so a failed
 * first deploy leaves no orphans.
 */
export class ModelRegistry extends ModelRegistryBase {
  /** Refers to an existing model package group by name. */
  public static fromModelPackageGroupName(scope: Construct, id: string, modelPackageGroupName: string): IModelRegistry {
    class Import extends ModelRegistryBase {
      public readonly modelPackageGroupName = modelPackageGroupName;
      public readonly modelPackageGroupArn = Stack.of(scope).formatArn({
        service: 'sagemaker',
        resource: 'model-package-group',
        resourceName: arnName(modelPackageGroupName),
      });
    }
    return new Import(scope, id);
  }

  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;
  /** The group's L1 resource. */
  public readonly group: sagemaker.CfnModelPackageGroup;
  private readonly packages = new Map<string, sagemaker.CfnModelPackage>();

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id, { physicalName: props.modelPackageGroupName });
    checkSageMakerName('modelPackageGroupName', props.modelPackageGroupName);
    const tags = toCfnTags('tags', props.tags);

    this.group = new sagemaker.CfnModelPackageGroup(this, 'Group', {
      modelPackageGroupName: props.modelPackageGroupName,
      modelPackageGroupDescription: props.description,
      tags,
    });
    this.group.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.modelPackageGroupName = props.modelPackageGroupName;
    this.modelPackageGroupArn = this.group.attrModelPackageGroupArn;

    let previous: sagemaker.CfnModelPackage | undefined;
    (props.versions ?? []).forEach((version, i) => {
      const pkg = this.addPackage(i, version, props.approvalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL, tags);
      // One at a time, so the registry's version numbers follow the declaration order.
      if (previous) pkg.addResourceDependency(previous);
      previous = pkg;
    });
  }

  /** The ARN of the versioned model package registered for `label`. */
  public packageArn(label: string): string {
    const pkg = this.packages.get(label);
    if (!pkg) {
      throw new Error(`packageArn: no version '${label}' in registry ${this.node.path}; it has ${[...this.packages.keys()].join(', ') || 'none'}`);
    }
    return pkg.attrModelPackageArn;
  }

  /** Labels of the versions this construct registers, in order. */
  public get labels(): string[] {
    return [...this.packages.keys()];
  }

  private addPackage(index: number, v: ModelVersionProps, defaultStatus: ModelApprovalStatus, tags?: { key: string; value: string }[]): sagemaker.CfnModelPackage {
    const prop = `versions[${index}]`;
    if (!v.label) throw new Error(`${prop}.label must not be empty`);
    checkMetadataText(`${prop}.label`, v.label, 256);
    if (this.packages.has(v.label)) {
      throw new Error(`${prop}.label '${v.label}' is declared twice; each version label must be unique in the registry`);
    }
    if (!Token.isUnresolved(v.modelDataUrl) && !/^(s3|https):\/\/[^/]+/.test(v.modelDataUrl)) {
      throw new Error(`${prop}.modelDataUrl must be an s3:// or https:// URL; got '${v.modelDataUrl}'`);
    }
    const metrics = Object.entries(v.metrics ?? {});
    // CustomerMetadataProperties holds at most 50 entries; one is the label.
    if (metrics.length > 49) throw new Error(`${prop}.metrics has ${metrics.length} entries; at most 49 fit in the package metadata`);
    const metadata: Record<string, string> = { 'mlspec:version': v.label };
    for (const [name, value] of metrics) {
      if (!Number.isFinite(value)) throw new Error(`${prop}.metrics.${name} must be a finite number; got ${value}`);
      checkMetadataText(`${prop}.metrics key`, `metric:${name}`, 128);
      metadata[`metric:${name}`] = String(value);
    }

    const pkg = new sagemaker.CfnModelPackage(this, `Version${sanitizeId(v.label)}`, {
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageDescription: v.description ?? `${this.modelPackageGroupName} version ${v.label}`,
      modelApprovalStatus: v.approvalStatus ?? defaultStatus,
      customerMetadataProperties: metadata,
      inferenceSpecification: {
        containers: [{ image: v.image, modelDataUrl: v.modelDataUrl }],
        supportedContentTypes: v.contentTypes ?? ['application/json'],
        supportedResponseMimeTypes: v.responseTypes ?? ['application/json'],
        supportedRealtimeInferenceInstanceTypes: v.instanceTypes && v.instanceTypes.length > 0 ? v.instanceTypes : undefined,
      },
      tags,
    });
    pkg.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    pkg.addResourceDependency(this.group);
    this.packages.set(v.label, pkg);
    return pkg;
  }
}

function toCfnTags(prop: string, tags?: Record<string, string>): { key: string; value: string }[] | undefined {
  if (!tags) return undefined;
  return Object.entries(tags).map(([key, value]) => {
    checkMetadataText(`${prop} key`, key, 128);
    if (value !== '') checkMetadataText(`${prop}.${key}`, value, 256);
    return { key, value };
  });
}
