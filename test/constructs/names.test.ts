import { hasInstanceStorage } from '../../constructs/sagemaker/instance-types';
import { ecrRepositoryArn, parseEcrImage, parseS3Url } from '../../constructs/sagemaker/names';

describe('instance types with NVMe instance storage (no KmsKeyId allowed)', () => {
  test.each([
    ['ml.g4dn.xlarge', true], ['ml.g5.12xlarge', true], ['ml.g6e.xlarge', true], ['ml.p4d.24xlarge', true], ['ml.p4de.24xlarge', true],
    ['ml.p5.48xlarge', true], ['ml.m5d.large', true], ['ml.c6gd.xlarge', true], ['ml.r7gd.2xlarge', true], ['ml.trn1.2xlarge', true],
    ['ml.m5.xlarge', false], ['ml.c7i.large', false], ['ml.inf2.xlarge', false], ['ml.p3.2xlarge', false], ['ml.t2.medium', false], ['ml.c6gn.large', false],
  ])('%s -> %s', (instanceType, expected) => {
    expect(hasInstanceStorage(instanceType)).toBe(expected);
  });
});

describe('image and artifact URIs', () => {
  test('ECR image with tag, nested repository, digest, China partition', () => {
    expect(ecrRepositoryArn(parseEcrImage('image', '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu')))
      .toBe('arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference');
    expect(ecrRepositoryArn(parseEcrImage('image', `222222222222.dkr.ecr.eu-west-1.amazonaws.com/acme/fraud/serve@sha256:${'a'.repeat(64)}`)))
      .toBe('arn:aws:ecr:eu-west-1:222222222222:repository/acme/fraud/serve');
    expect(ecrRepositoryArn(parseEcrImage('image', '222222222222.dkr.ecr.cn-north-1.amazonaws.com.cn/serve:1')))
      .toBe('arn:aws-cn:ecr:cn-north-1:222222222222:repository/serve');
  });

  test('S3 URL split into bucket and key', () => {
    expect(parseS3Url('url', 's3://acme-models/fraud/7/model.tar.gz')).toEqual({ bucket: 'acme-models', key: 'fraud/7/model.tar.gz' });
    expect(parseS3Url('url', 's3://acme-models')).toEqual({ bucket: 'acme-models', key: '' });
    expect(() => parseS3Url('url', 'https://acme-models.s3.amazonaws.com/x')).toThrow("url must be an s3://<bucket>/<key> URL; got 'https://acme-models.s3.amazonaws.com/x'");
  });
});
