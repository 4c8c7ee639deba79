import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface DataCaptureBucketProps {
  /** Key the captured requests and responses are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /**
   * Bucket receiving the capture bucket's server access logs.
   * @default - a new access-log bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Key prefix of the server access logs.
   * @default 'data-capture/'
   */
  readonly serverAccessLogsPrefix?: string;
  /**
   * How long server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
}

/**
 * Where an endpoint's captured requests and responses land: KMS-encrypted with the endpoint's
 * key, TLS only, no public access, versioned, server access logs on, and kept when the stack is
 * deleted or the bucket replaced (`RetainExceptOnCreate`: removed only if its first create rolls back).
 */
export class DataCaptureBucket extends Construct {
  public readonly bucket: s3.Bucket;
  /** The bucket holding server access logs, when this construct created it. */
  public readonly accessLogsBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataCaptureBucketProps) {
    super(scope, id);
    // Log delivery through a bucket policy rather than the legacy LogDeliveryWrite ACL, whatever the app's flags.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    let logs = props.serverAccessLogsBucket;
    if (!logs) {
      this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
        // S3 server access log delivery supports only SSE-S3 on the target bucket.
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
      acknowledge(this.accessLogsBucket, 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        'S3 server access log delivery only writes to buckets encrypted with SSE-S3; SSE-KMS targets are not supported.');
      acknowledge(this.accessLogsBucket, 'NIST.800.53.R5-S3BucketReplicationEnabled',
        'Access logs of one data-capture bucket are audit records with a one-year lifecycle; cross-region replication is an account-level backup decision, not made per endpoint.');
      logs = this.accessLogsBucket;
    }

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? 'data-capture/',
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    if (props.serverAccessLogsBucket && !(props.serverAccessLogsBucket instanceof s3.Bucket)) {
      // An imported target (the handlers stack's access-log bucket) grants S3 log delivery in its own policy.
      Annotations.of(this.bucket).acknowledgeWarning('@aws-cdk/aws-s3:accessLogsPolicyNotAdded', 'The target bucket grants logging.s3.amazonaws.com in its own bucket policy (constructs/handlers-stack.ts).');
    }
    acknowledge(this.bucket, 'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Captured inference data is a sample for monitoring, versioned and retained in place; cross-region replication is an account-level backup decision, not made per endpoint.');
  }
}
