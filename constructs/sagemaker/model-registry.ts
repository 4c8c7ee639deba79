import { ArnFormat, CustomResource, IResource, ITaggableV2, Lazy, RemovalPolicy, Resource, Stack, TagManager, TagType, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { GroupSpec, VersionSpec } from '../../lib/providers/sagemaker/registry';
import { HandlerFunction, wildcardsOf, type ISageMakerHandler } from './handler-function';
import { arnName, checkMetadataText, checkSageMakerName, sanitizeId } from './names';
import type { ContainerImage, InstanceType, ModelData } from './values';

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
  /** Inference container image (`ContainerImage.fromEcrUri`). */
  readonly image: ContainerImage;
  /** The model artifact: `ModelData.fromS3Url('s3://bucket/path/model.tar.gz')`. */
  readonly modelData: ModelData;
  /**
   * Offline metrics of this version, stored as `metric:<name>` metadata properties.
   * @default - none
   */
  readonly metrics?: Record<string, number>;
  /**
   * Real-time inference instance types this version supports.
   * @default - none declared
   */
  readonly instanceTypes?: InstanceType[];
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
   * Description of the package, set when it is registered (SageMaker cannot change it later).
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
  /**
   * Key of the registry handler's logs (when it has a handler of its own).
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The bundled SageMaker handler to run the registry through: the environment's shared one
   * (`addModelStacks` passes the handlers stack's).
   * @default - a function of the registry's own
   */
  readonly handler?: ISageMakerHandler;
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
    // Search has no resource-level permissions (it needs `*`), so it is not granted here.
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
 * first deploy leaves no orphans. They go through the bundled SageMaker handler
 * (lib/handlers/sagemaker.ts), so a stack created again beside a kept registry takes the group back
 * by its name and each version by its label, registering nothing twice; and a deploy never undoes
 * an approval recorded by `mlspec approve`.
 */
export class ModelRegistry extends ModelRegistryBase implements ITaggableV2 {
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
  /** The group's custom resource (`Custom::SageMakerModelPackageGroup`). */
  public readonly group: CustomResource;
  /** The handler that registers the group and its versions. */
  public readonly handler: ISageMakerHandler;
  /** Tags of the group and every package: the props' tags and those `Tags.of(...)` applies. */
  public readonly cdkTagManager: TagManager;
  private readonly packages = new Map<string, CustomResource>();

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id, { physicalName: props.modelPackageGroupName });
    checkSageMakerName('modelPackageGroupName', props.modelPackageGroupName);
    checkTags('tags', props.tags);
    this.cdkTagManager = new TagManager(TagType.KEY_VALUE, 'Custom::SageMakerModelPackageGroup', props.tags);
    this.modelPackageGroupName = props.modelPackageGroupName;
    const stack = Stack.of(this);
    const groupArn = stack.formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: arnName(props.modelPackageGroupName) });
    const packagesArn = this.packagesArn();

    const { statements, wildcards } = registryRights(groupArn, packagesArn);
    if (props.handler) {
      props.handler.allow(statements, wildcardsOf(wildcards));
      this.handler = props.handler;
    } else {
      this.handler = this.ownHandler(props, statements, wildcards);
    }

    const tagValues = () => this.cdkTagManager.tagValues();
    const groupSpec = (): GroupSpec => ({ name: props.modelPackageGroupName, description: props.description, tags: tagValues() });
    this.group = new CustomResource(this, 'Group', {
      serviceToken: this.handler.serviceToken,
      resourceType: 'Custom::SageMakerModelPackageGroup',
      properties: { Kind: 'ModelPackageGroup', Group: Lazy.string({ produce: () => JSON.stringify(groupSpec()) }) },
    });
    this.group.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.group.node.addDependency(...this.handler.ready);
    this.modelPackageGroupArn = this.group.getAttString('ModelPackageGroupArn');

    let previous: CustomResource | undefined;
    (props.versions ?? []).forEach((version, i) => {
      const pkg = this.addPackage(i, version, props.approvalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL, tagValues);
      // One at a time, so the registry's version numbers follow the declaration order.
      if (previous) pkg.node.addDependency(previous);
      previous = pkg;
    });
  }

  /** A handler function of the registry's own, with its key, where no shared one is given. */
  private ownHandler(props: ModelRegistryProps, statements: iam.PolicyStatement[], wildcards: Array<[string, string]>): HandlerFunction {
    // The stack's one SageMaker handler (made on first use), with the registry's rights added.
    const fn = HandlerFunction.forStack(this, props.encryptionKey);
    fn.allow(statements, wildcardsOf(wildcards));
    return fn;
  }

  /** The ARN of the versioned model package registered for `label`. */
  public packageArn(label: string): string {
    const pkg = this.packages.get(label);
    if (!pkg) {
      throw new Error(`packageArn: no version '${label}' in registry ${this.node.path}; it has ${[...this.packages.keys()].join(', ') || 'none'}`);
    }
    return pkg.getAttString('ModelPackageArn');
  }

  /** Labels of the versions this construct registers, in order. */
  public get labels(): string[] {
    return [...this.packages.keys()];
  }

  private addPackage(index: number, v: ModelVersionProps, defaultStatus: ModelApprovalStatus, tags: () => Record<string, string>): CustomResource {
    const prop = `versions[${index}]`;
    if (!v.label) throw new Error(`${prop}.label must not be empty`);
    checkMetadataText(`${prop}.label`, v.label, 256);
    if (this.packages.has(v.label)) {
      throw new Error(`${prop}.label '${v.label}' is declared twice; each version label must be unique in the registry`);
    }
    const modelDataUrl = v.modelData.s3Url;
    if (modelDataUrl === undefined) {
      throw new Error(`${prop}.modelData must be an artifact URL (ModelData.fromS3Url); a model package (${v.modelData.modelPackageArn}) is a registered version already`);
    }
    if (!Token.isUnresolved(modelDataUrl) && !/^(s3|https):\/\/[^/]+/.test(modelDataUrl)) {
      throw new Error(`${prop}.modelData must be an s3:// or https:// URL; got '${modelDataUrl}'`);
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

    const spec = (): VersionSpec => ({
      group: this.modelPackageGroupName,
      label: v.label,
      description: v.description ?? `${this.modelPackageGroupName} version ${v.label}`,
      approvalStatus: v.approvalStatus ?? defaultStatus,
      image: v.image.imageUri,
      modelDataUrl,
      contentTypes: v.contentTypes ?? ['application/json'],
      responseTypes: v.responseTypes ?? ['application/json'],
      instanceTypes: v.instanceTypes && v.instanceTypes.length > 0 ? v.instanceTypes.map((t) => t.name) : undefined,
      metadata,
      tags: tags(),
    });
    const pkg = new CustomResource(this, `Version${sanitizeId(v.label)}`, {
      serviceToken: this.handler.serviceToken,
      resourceType: 'Custom::SageMakerModelVersion',
      // Stack.toJsonString keeps image or artifact references (tokens) resolvable by CloudFormation.
      properties: { Kind: 'ModelVersion', Version: Lazy.string({ produce: () => Stack.of(this).toJsonString(spec()) }) },
    });
    pkg.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    pkg.node.addDependency(this.group);
    this.packages.set(v.label, pkg);
    return pkg;
  }
}

function checkTags(prop: string, tags?: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags ?? {})) {
    checkMetadataText(`${prop} key`, key, 128);
    if (value !== '') checkMetadataText(`${prop}.${key}`, value, 256);
  }
}

/**
 * What the SageMaker handler needs for registries: one group's (`ModelRegistry`) or, by name
 * pattern, a project's groups (the handlers stack).
 */
export function registryRights(groups: string, packages: string): { statements: iam.PolicyStatement[]; wildcards: Array<[string, string]> } {
  const statements = [
    new iam.PolicyStatement({ actions: ['sagemaker:CreateModelPackageGroup', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:DeleteModelPackageGroup'], resources: [groups] }),
    new iam.PolicyStatement({
      actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage', 'sagemaker:DeleteModelPackage'],
      resources: [groups, packages],
    }),
    new iam.PolicyStatement({ actions: ['sagemaker:AddTags', 'sagemaker:DeleteTags', 'sagemaker:ListTags'], resources: [groups, packages] }),
    // Finding a version by its label is one Search of the group's packages by their mlspec:version tag.
    new iam.PolicyStatement({ actions: ['sagemaker:Search'], resources: ['*'] }),
  ];
  const wildcards: Array<[string, string]> = [
    [packages, 'Versioned packages are numbered by SageMaker at registration: the pattern covers these groups\' versions only.'],
    ['*', 'Search has no resource-level permissions; the handler searches its groups\' packages only.'],
  ];
  if (groups.includes('*')) wildcards.push([groups, 'Registries of this project only: every group is named <project>-<model>.']);
  return { statements, wildcards };
}
