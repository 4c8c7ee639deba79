import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag';
import { ecrRepositoryArn, parseEcrImage, parseS3Url, s3ReadArn } from './names';

/** Where an endpoint's data capture writes. */
export interface CaptureDestination {
  readonly bucket: s3.IBucket;
  /** The key prefix, without a trailing slash. */
  readonly prefix: string;
}

export interface EndpointExecutionRoleProps {
  /** The endpoint the role serves: its log group `/aws/sagemaker/Endpoints/<name>` is the only one it may write. */
  readonly endpointName: string;
  /** ECR image URIs the endpoint's models run; pull access is limited to their repositories. */
  readonly images: string[];
  /**
   * `s3://` URLs of model artifacts; read access is limited to these objects (or prefixes, for URLs ending in `/`).
   * @default - none
   */
  readonly modelDataUrls?: string[];
  /** The endpoint's KMS key (volumes, data capture, logs): use is limited to this key. */
  readonly encryptionKey: kms.IKey;
  /**
   * Where data capture writes: PutObject is limited to `<bucket>/<prefix>/*`.
   * @default - no data capture access
   */
  readonly dataCapture?: CaptureDestination;
  /**
   * CloudWatch namespaces the containers may publish custom metrics to.
   * @default ['/aws/sagemaker/Endpoints']
   */
  readonly metricNamespaces?: string[];
  /**
   * Use this role instead of creating one; the least-privilege policy is attached to it.
   * @default - a new role assumed by sagemaker.amazonaws.com
   */
  readonly role?: iam.IRole;
}

/**
 * The least-privilege execution role of a SageMaker endpoint: ECR pull on the models' repositories,
 * S3 read on their artifacts, logs on the endpoint's own log group, metrics in named namespaces,
 * data-capture writes under one prefix, and use of one KMS key. No AWS managed policy, no `*`
 * action, and a customer managed policy rather than an inline one.
 */
export class EndpointExecutionRole extends Construct implements iam.IGrantable {
  public readonly role: iam.IRole;
  /** The customer managed policy holding every permission. */
  public readonly policy: iam.ManagedPolicy;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: EndpointExecutionRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = props.role ?? new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Execution role of SageMaker endpoint ${props.endpointName}`,
    });
    this.grantPrincipal = this.role;

    const repositories = unique(props.images.map((image, i) => ecrRepositoryArn(parseEcrImage(`images[${i}]`, image))));
    const artifacts = unique((props.modelDataUrls ?? []).map((url, i) => s3ReadArn(this, parseS3Url(`modelDataUrls[${i}]`, url))));
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/Endpoints/${props.endpointName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const logStreamsArn = `${logGroupArn}:log-stream:*`;
    const namespaces = props.metricNamespaces ?? ['/aws/sagemaker/Endpoints'];

    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'PullModelImages',
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: repositories,
      }),
      new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'WriteEndpointLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [logGroupArn, logStreamsArn],
      }),
      new iam.PolicyStatement({
        sid: 'PublishMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': namespaces } },
      }),
      new iam.PolicyStatement({
        sid: 'UseEndpointKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.encryptionKey.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'GrantEndpointKeyToAwsResources',
        actions: ['kms:CreateGrant'],
        resources: [props.encryptionKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    ];
    if (artifacts.length > 0) {
      statements.push(new iam.PolicyStatement({ sid: 'ReadModelArtifacts', actions: ['s3:GetObject'], resources: artifacts }));
    }
    const captureArn = props.dataCapture ? props.dataCapture.bucket.arnForObjects(`${props.dataCapture.prefix}/*`) : undefined;
    if (captureArn) {
      statements.push(new iam.PolicyStatement({ sid: 'WriteDataCapture', actions: ['s3:PutObject'], resources: [captureArn] }));
    }
    if (repositories.length === 0) statements.shift();

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Least-privilege permissions of SageMaker endpoint ${props.endpointName}`,
      statements,
      roles: [this.role],
    });

    // Each wildcard is acknowledged on the policy that holds it, with the reason it cannot be narrower.
    acknowledgeWildcardResource(this.policy, '*',
      'ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions (IAM Service Authorization Reference); PutMetricData is narrowed by a cloudwatch:namespace condition instead.');
    acknowledgeWildcardResource(this.policy, logStreamsArn,
      `SageMaker names the log streams of /aws/sagemaker/Endpoints/${props.endpointName} after variant and instance at run time; the wildcard is limited to that one log group.`);
    if (captureArn) {
      acknowledgeWildcardResource(this.policy, captureArn,
        'SageMaker data capture writes objects named by variant, date and hour under the capture prefix; the wildcard is limited to that prefix of the capture bucket.');
    }
    for (const arn of artifacts.filter((a) => a.endsWith('*'))) {
      acknowledgeWildcardResource(this.policy, arn, 'The model artifact is given as an S3 prefix (URL ending in /), so reads are limited to objects under that prefix.');
    }
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
