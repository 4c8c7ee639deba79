import { Tags } from 'aws-cdk-lib';
import { Template, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerImage, InstanceType, ModelApprovalStatus, ModelData, ModelRegistry } from '../../constructs';
import { CUSTOM_IMAGE, IMAGE } from './fixtures';
import { asArray, nagFindings, newStack, policyStatements, registry } from './helpers';

describe('ModelRegistry', () => {
  const stack = newStack();
  const built = new ModelRegistry(stack, 'Registry', {
    modelPackageGroupName: 'acme-fraud-detector',
    description: 'fraud model',
    approvalStatus: ModelApprovalStatus.APPROVED,
    tags: { team: 'risk' },
    versions: [
      { label: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url('s3://acme-models/fraud/7/model.tar.gz'), metrics: { accuracy: 0.962, f1: 0.913 }, instanceTypes: [InstanceType.of('ml.g5.xlarge')] },
      { label: '8', image: ContainerImage.fromEcrUri(CUSTOM_IMAGE), modelData: ModelData.fromS3Url('s3://acme-models/fraud/8/model.tar.gz'), approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL },
    ],
  });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  built.grantRead(reader);
  const template = Template.fromStack(stack);

  const { group, versions } = registry(template);

  test('one model package group with name, description and tags', () => {
    expect(group?.spec).toEqual({ name: 'acme-fraud-detector', description: 'fraud model', tags: { team: 'risk' } });
  });

  test('one model package per version, with label and metrics as metadata', () => {
    expect(versions).toHaveLength(2);
    expect(versions[0].spec).toEqual({
      group: 'acme-fraud-detector',
      label: '7',
      description: 'acme-fraud-detector version 7',
      approvalStatus: 'Approved',
      image: IMAGE,
      modelDataUrl: 's3://acme-models/fraud/7/model.tar.gz',
      contentTypes: ['application/json'],
      responseTypes: ['application/json'],
      instanceTypes: ['ml.g5.xlarge'],
      metadata: { 'mlspec:version': '7', 'metric:accuracy': '0.962', 'metric:f1': '0.913' },
      tags: { team: 'risk' },
    });
  });

  test('a version may override the approval status', () => {
    expect(versions[1].spec).toEqual(expect.objectContaining({ approvalStatus: 'PendingManualApproval', metadata: { 'mlspec:version': '8' }, image: CUSTOM_IMAGE }));
  });

  test('group and packages are kept on delete and replacement, but not after a failed first create', () => {
    for (const r of [group!, ...versions]) {
      expect(r.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(r.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('packages depend on the group, and on the previous package so versions follow declaration order', () => {
    const [first, second] = versions;
    expect(first.DependsOn).toEqual(expect.arrayContaining([group!.id]));
    expect(first.DependsOn).not.toContain(second.id);
    expect(second.DependsOn).toEqual(expect.arrayContaining([group!.id, first.id]));
  });

  test('the handler may manage this group and its versions only; listing is the one * resource', () => {
    const statements = policyStatements(template);
    const by = (action: string) => statements.find((st) => asArray(st.Action as string | string[]).includes(action));
    const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(by('sagemaker:CreateModelPackageGroup')?.Resource).toEqual(arn(':sagemaker:us-east-1:222222222222:model-package-group/acme-fraud-detector'));
    expect(by('sagemaker:UpdateModelPackage')?.Resource).toEqual([
      arn(':sagemaker:us-east-1:222222222222:model-package-group/acme-fraud-detector'),
      arn(':sagemaker:us-east-1:222222222222:model-package/acme-fraud-detector/*'),
    ]);
    expect(by('sagemaker:Search')?.Resource).toBe('*');
    for (const st of statements) for (const a of asArray(st.Action as string | string[])) expect(a).not.toContain('*');
  });

  test('stack tags reach the group and every version; a tag removed on the registry does not', () => {
    const s = newStack('Tagged');
    Tags.of(s).add('mlspec:project', 'acme');
    Tags.of(s).add('mlspec:environment', 'dev');
    const r = new ModelRegistry(s, 'Registry', { modelPackageGroupName: 'acme-x', versions: [{ label: '1', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url('s3://a/b') }] });
    Tags.of(r).remove('mlspec:environment');
    const { group: g, versions: vs } = registry(Template.fromStack(s));
    expect(g?.spec.tags).toEqual({ 'mlspec:project': 'acme' });
    expect(vs[0].spec.tags).toEqual({ 'mlspec:project': 'acme' });
  });

  test('packageArn returns the package ARN of a label, and names the labels it has otherwise', () => {
    expect(stack.resolve(built.packageArn('7'))).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RegistryVersion7/), 'ModelPackageArn'] });
    expect(() => built.packageArn('9')).toThrow("packageArn: no version '9' in registry Test/Registry; it has 7, 8");
    expect(built.labels).toEqual(['7', '8']);
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
    const r = registry(Template.fromStack(s));
    expect(r.group?.spec.name).toBe('acme-empty');
    expect(r.versions).toEqual([]);
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    const s = newStack('Nag');
    new ModelRegistry(s, 'Registry', {
      modelPackageGroupName: 'acme-fraud-detector',
      versions: [{ label: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url('s3://acme-models/fraud/7/model.tar.gz') }],
    });
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('ModelRegistry validation', () => {
  const version = { label: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url('s3://acme-models/fraud/7/model.tar.gz') };
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
    expect(build({ versions: [{ ...version, modelData: ModelData.fromS3Url('gs://acme/7/') }] })).toThrow("versions[0].modelData must be an s3:// or https:// URL; got 'gs://acme/7/'");
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

test('registries and endpoints used alone in one stack share its one SageMaker handler', () => {
  const { App, Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const stack = new Stack(new App(), 'Two', { env: { account: '111111111111', region: 'us-east-1' } });
  new ModelRegistry(stack, 'A', { modelPackageGroupName: 'acme-a' });
  new ModelRegistry(stack, 'B', { modelPackageGroupName: 'acme-b' });
  const t = Template.fromStack(stack);
  expect(Object.keys(t.findResources('AWS::Lambda::Function'))).toHaveLength(1);
});

test('two autoscaled endpoints used alone in one stack share its handler, whose policy holds each statement once', () => {
  const { ModelEndpoint, EndpointAutoscaling } = require('../../constructs') as typeof import('../../constructs');
  const stack = newStack('TwoEndpoints');
  for (const name of ['acme-a-dev', 'acme-b-dev']) {
    new ModelEndpoint(stack, name, {
      endpointName: name,
      variants: [{ version: '7', image: ContainerImage.fromEcrUri(IMAGE), modelData: ModelData.fromS3Url('s3://acme-models/fraud/7/model.tar.gz'), instanceType: InstanceType.of('ml.m5.xlarge'), initialInstanceCount: 1, maxCapacity: 2, weight: 100 }],
      autoscaling: EndpointAutoscaling.invocationsPerInstance(100),
    });
  }
  const t = Template.fromStack(stack);
  expect(Object.keys(t.findResources('AWS::Lambda::Function'))).toHaveLength(1);
  const sids = policyStatements(t).map((s) => s.Sid).filter(Boolean);
  expect(sids.filter((s) => s === 'ReadScalingState')).toHaveLength(1);
  expect(nagFindings(stack)).toEqual([]);
});
