import { Template, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModelApprovalStatus, ModelRegistry } from '../../constructs';
import { CUSTOM_IMAGE, IMAGE } from './fixtures';
import { nagFindings, newStack } from './helpers';

describe('ModelRegistry', () => {
  const stack = newStack();
  const registry = new ModelRegistry(stack, 'Registry', {
    modelPackageGroupName: 'acme-fraud-detector',
    description: 'fraud model',
    approvalStatus: ModelApprovalStatus.APPROVED,
    tags: { team: 'risk' },
    versions: [
      { label: '7', image: IMAGE, modelDataUrl: 's3://acme-models/fraud/7/model.tar.gz', metrics: { accuracy: 0.962, f1: 0.913 }, instanceTypes: ['ml.g5.xlarge'] },
      { label: '8', image: CUSTOM_IMAGE, modelDataUrl: 's3://acme-models/fraud/8/model.tar.gz', approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL },
    ],
  });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  registry.grantRead(reader);
  const template = Template.fromStack(stack);

  test('one model package group with name, description and tags', () => {
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 1);
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', {
      ModelPackageGroupName: 'acme-fraud-detector',
      ModelPackageGroupDescription: 'fraud model',
      Tags: Match.arrayWith([{ Key: 'team', Value: 'risk' }]),
    });
  });

  test('one model package per version, with label and metrics as metadata', () => {
    template.resourceCountIs('AWS::SageMaker::ModelPackage', 2);
    template.hasResourceProperties('AWS::SageMaker::ModelPackage', {
      ModelPackageGroupName: 'acme-fraud-detector',
      ModelApprovalStatus: 'Approved',
      ModelPackageDescription: 'acme-fraud-detector version 7',
      CustomerMetadataProperties: { 'mlspec:version': '7', 'metric:accuracy': '0.962', 'metric:f1': '0.913' },
      InferenceSpecification: {
        Containers: [{ Image: IMAGE, ModelDataUrl: 's3://acme-models/fraud/7/model.tar.gz' }],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
        SupportedRealtimeInferenceInstanceTypes: ['ml.g5.xlarge'],
      },
    });
  });

  test('a version may override the approval status', () => {
    template.hasResourceProperties('AWS::SageMaker::ModelPackage', {
      ModelApprovalStatus: 'PendingManualApproval',
      CustomerMetadataProperties: { 'mlspec:version': '8' },
    });
  });

  test('group and packages are kept on delete and replacement, but not after a failed first create', () => {
    for (const type of ['AWS::SageMaker::ModelPackageGroup', 'AWS::SageMaker::ModelPackage']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) {
        expect(r.DeletionPolicy).toBe('RetainExceptOnCreate');
        expect(r.UpdateReplacePolicy).toBe('Retain');
      }
    }
  });

  test('packages depend on the group, and on the previous package so versions follow declaration order', () => {
    const packages = template.findResources('AWS::SageMaker::ModelPackage');
    const [groupId] = Object.keys(template.findResources('AWS::SageMaker::ModelPackageGroup'));
    const [first, second] = Object.entries(packages);
    expect(first[1].DependsOn).toEqual([groupId]);
    expect(second[1].DependsOn).toEqual(expect.arrayContaining([groupId, first[0]]));
  });

  test('packageArn returns the package ARN of a label, and names the labels it has otherwise', () => {
    expect(stack.resolve(registry.packageArn('7'))).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RegistryVersion7/), 'ModelPackageArn'] });
    expect(() => registry.packageArn('9')).toThrow("packageArn: no version '9' in registry Test/Registry; it has 7, 8");
    expect(registry.labels).toEqual(['7', '8']);
  });

  test('grantRead allows describing the group and its versions only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage'],
          Resource: [
            { 'Fn::GetAtt': [Match.stringLikeRegexp('RegistryGroup'), 'ModelPackageGroupArn'] },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:222222222222:model-package/acme-fraud-detector/*']] },
          ],
        }],
      },
    });
  });

  test('fromModelPackageGroupName builds a lower-cased ARN and grants on it', () => {
    const s = newStack('Import');
    const imported = ModelRegistry.fromModelPackageGroupName(s, 'Imported', 'Acme-Fraud');
    expect(imported.modelPackageGroupName).toBe('Acme-Fraud');
    expect(s.resolve(imported.modelPackageGroupArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:222222222222:model-package-group/acme-fraud']],
    });
    imported.grantRead(new iam.Role(s, 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
    Template.fromStack(s).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Resource: Match.arrayWith([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:222222222222:model-package/acme-fraud/*']] },
      ]) })] },
    });
  });

  test('a registry with no versions has the group only', () => {
    const s = newStack('Empty');
    new ModelRegistry(s, 'Registry', { modelPackageGroupName: 'acme-empty' });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 1);
    t.resourceCountIs('AWS::SageMaker::ModelPackage', 0);
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    const s = newStack('Nag');
    new ModelRegistry(s, 'Registry', {
      modelPackageGroupName: 'acme-fraud-detector',
      versions: [{ label: '7', image: IMAGE, modelDataUrl: 's3://acme-models/fraud/7/model.tar.gz' }],
    });
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('ModelRegistry validation', () => {
  const version = { label: '7', image: IMAGE, modelDataUrl: 's3://acme-models/fraud/7/model.tar.gz' };
  const build = (props: Partial<ConstructorParameters<typeof ModelRegistry>[2]>) =>
    () => new ModelRegistry(newStack(), 'Registry', { modelPackageGroupName: 'acme-fraud', ...props });

  test('group name', () => {
    expect(build({ modelPackageGroupName: 'acme_fraud' })).toThrow(
      "modelPackageGroupName must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit; got 'acme_fraud'");
  });
  test('duplicate label', () => {
    expect(build({ versions: [version, version] })).toThrow("versions[1].label '7' is declared twice; each version label must be unique in the registry");
  });
  test('empty label', () => {
    expect(build({ versions: [{ ...version, label: '' }] })).toThrow('versions[0].label must not be empty');
  });
  test('artifact URL', () => {
    expect(build({ versions: [{ ...version, modelDataUrl: 'gs://acme/7/' }] })).toThrow("versions[0].modelDataUrl must be an s3:// or https:// URL; got 'gs://acme/7/'");
  });
  test('metric that is not a number', () => {
    expect(build({ versions: [{ ...version, metrics: { f1: Number.NaN } }] })).toThrow('versions[0].metrics.f1 must be a finite number; got NaN');
  });
  test('metric name with characters metadata keys cannot hold', () => {
    expect(build({ versions: [{ ...version, metrics: { 'f1#macro': 0.9 } }] })).toThrow(
      "versions[0].metrics key must be 1-128 letters, digits, spaces or _ . : / = + - @; got 'metric:f1#macro'");
  });
  test('too many metrics', () => {
    const metrics = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`m${i}`, i]));
    expect(build({ versions: [{ ...version, metrics }] })).toThrow('versions[0].metrics has 50 entries; at most 49 fit in the package metadata');
  });
});
