import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Names, URIs and ARNs SageMaker accepts, checked at synth time so a bad value fails in
 * `cdk synth` with the prop's name instead of 20 minutes into `cdk deploy`.
 */

/** EndpointName, VariantName, ModelPackageGroupName: 1-63 alphanumerics and hyphens, no leading/trailing hyphen. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** Keys and values of CustomerMetadataProperties and tags. */
const METADATA_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function checkSageMakerName(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!SAGEMAKER_NAME.test(value)) {
    throw new Error(`${prop} must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit; got '${value}'`);
  }
}

export function checkMetadataText(prop: string, value: string, maxLength: number): void {
  if (value.length < 1 || value.length > maxLength || !METADATA_TEXT.test(value)) {
    throw new Error(`${prop} must be 1-${maxLength} letters, digits, spaces or _ . : / = + - @; got '${value}'`);
  }
}

export function checkInteger(prop: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be an integer from ${min} to ${max}; got ${value}`);
  }
}

/** An ECR image URI, split into what an IAM policy needs. */
export interface EcrImage {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  readonly partition: string;
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9][a-z0-9._\-/]*?)(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Parses `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@sha256:digest]`. */
export function parseEcrImage(prop: string, image: string): EcrImage {
  if (Token.isUnresolved(image)) {
    throw new Error(`${prop} must be a literal ECR image URI so the execution role can be limited to its repository; got an unresolved token`);
  }
  const m = ECR_IMAGE.exec(image);
  if (!m) {
    throw new Error(`${prop} must be an Amazon ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>): SageMaker endpoints pull from ECR only; got '${image}'`);
  }
  return { account: m[1], region: m[2], partition: m[3] ? 'aws-cn' : 'aws', repository: m[4] };
}

/** `arn:<partition>:ecr:<region>:<account>:repository/<repository>` of an image. */
export function ecrRepositoryArn(image: EcrImage): string {
  return `arn:${image.partition}:ecr:${image.region}:${image.account}:repository/${image.repository}`;
}

/** An `s3://bucket/key` URL, split. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

export function parseS3Url(prop: string, url: string): S3Location {
  if (Token.isUnresolved(url)) {
    throw new Error(`${prop} must be a literal s3:// URL so the execution role can be limited to it; got an unresolved token`);
  }
  const m = S3_URL.exec(url);
  if (!m) throw new Error(`${prop} must be an s3://<bucket>/<key> URL; got '${url}'`);
  return { bucket: m[1], key: m[2] ?? '' };
}

/**
 * The ARN an execution role needs to read `url`: the object itself, or every object under it when
 * the URL is a prefix (ends with `/` or names the bucket only).
 */
export function s3ReadArn(scope: IConstruct, location: S3Location): string {
  const isPrefix = location.key === '' || location.key.endsWith('/');
  return Stack.of(scope).formatArn({
    service: 's3',
    region: '',
    account: '',
    resource: location.bucket,
    resourceName: isPrefix ? `${location.key}*` : location.key,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** SageMaker writes resource names lower-cased into ARNs; IAM compares ARNs case-sensitively. */
export function arnName(name: string): string {
  return Token.isUnresolved(name) ? name : name.toLowerCase();
}

/** A construct id from a version label or variant name ("7.1-rc" -> "7x1rc"): ids stay stable per label. */
export function sanitizeId(label: string): string {
  return label.replace(/[^A-Za-z0-9]/g, (c) => (c === '.' ? 'x' : ''));
}
