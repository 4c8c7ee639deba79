/**
 * Values the SageMaker constructs take, as classes with static factories rather than bare strings:
 * the factory names what kind of value it is, and each is checked where it is used, with the
 * prop's name in the message.
 */

/** A SageMaker instance type (`ml.g5.xlarge`). */
export class InstanceType {
  /** An instance type by its SageMaker name, e.g. `InstanceType.of('ml.g5.xlarge')`. */
  public static of(name: string): InstanceType {
    return new InstanceType(name);
  }

  private constructor(
    /** The SageMaker name, `ml.<family>.<size>`. */
    public readonly name: string,
  ) {}

  public toString(): string {
    return this.name;
  }
}

/** The inference image a model runs. SageMaker endpoints pull from Amazon ECR only. */
export class ContainerImage {
  /** An image in Amazon ECR: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@sha256:digest]`. */
  public static fromEcrUri(uri: string): ContainerImage {
    return new ContainerImage(uri);
  }

  private constructor(
    /** The image URI. */
    public readonly imageUri: string,
  ) {}

  public toString(): string {
    return this.imageUri;
  }
}

/** Where a served model's weights come from. */
export class ModelData {
  /** A `model.tar.gz` (or an uncompressed prefix) in S3: `s3://bucket/key`. */
  public static fromS3Url(url: string): ModelData {
    return new ModelData(url, undefined);
  }

  /**
   * A versioned model package of a registry (a registered, for example trained, version):
   * `arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>`. The package's own image
   * and artifacts then run.
   */
  public static fromModelPackage(modelPackageArn: string): ModelData {
    return new ModelData(undefined, modelPackageArn);
  }

  private constructor(
    /** The S3 URL, for `fromS3Url`. */
    public readonly s3Url: string | undefined,
    /** The model package ARN, for `fromModelPackage`. */
    public readonly modelPackageArn: string | undefined,
  ) {}

  public toString(): string {
    // One of the two is always set: the constructor is private to the two factories.
    return (this.s3Url ?? this.modelPackageArn)!;
  }
}
