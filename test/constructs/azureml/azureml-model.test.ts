import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as path from 'node:path';
import { addModelStacks } from '../../../constructs/app';
import { AzureMlModel } from '../../../constructs/azureml';
import { resolvePlan } from '../../../lib/plan';
import { loadProject } from '../../../lib/spec';
import { nagFindings, newStack } from '../helpers';

const ROOT = path.resolve(__dirname, '../../..');
const plan = resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }));
const fraud = plan.environments.find((e) => e.name === 'dev')!.models.find((m) => m.name === 'fraud-detector')!;
const identity = { tenantId: '11111111-1111-1111-1111-111111111111', clientId: '22222222-2222-2222-2222-222222222222' };

function build(extra: Partial<ConstructorParameters<typeof AzureMlModel>[2]> = {}) {
  const stack = newStack();
  new AzureMlModel(stack, 'AzureMl', { plan: fraud.azureml!, model: 'fraud-detector', environment: 'dev', ...identity, ...extra });
  return { stack, t: Template.fromStack(stack) };
}

describe('AzureMlModel', () => {
  const { stack, t } = build();

  it('is a custom resource carrying the plan and the app registration, behind the Provider framework', () => {
    const [resource] = Object.values(t.findResources('Custom::AzureMlModel'));
    expect(JSON.parse(resource.Properties.Plan)).toEqual(fraud.azureml);
    expect(resource.Properties).toEqual(expect.objectContaining({ Model: 'fraud-detector', Environment: 'dev', Protected: 'false', TenantId: identity.tenantId, ClientId: identity.clientId, ClientSecretName: '' }));
    expect(resource.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^MlspecazuremlHandlersProviderframeworkonEvent/), 'Arn'] });
    t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.onEvent', Runtime: 'nodejs24.x' });
    t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.isComplete', Runtime: 'nodejs24.x' });
  });

  it('with federation, the handler role may mint only 5-minute RS256 tokens for Entra ID’s exchange', () => {
    const [policy] = Object.values(t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Azure ML sign-in') } }));
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'sts:GetWebIdentityToken',
        Effect: 'Allow',
        Resource: '*',
        Condition: { 'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': ['api://AzureADTokenExchange'] }, NumericLessThanEquals: { 'sts:DurationSeconds': 300 }, StringEquals: { 'sts:SigningAlgorithm': 'RS256' } },
      },
    ]);
  });

  it('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('with a client secret, the role may read that one secret and no token', () => {
    const withSecret = build({ clientSecretName: 'mlspec/azure-dev' });
    const [policy] = Object.values(withSecret.t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Azure ML sign-in') } }));
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:us-east-1:222222222222:secret:mlspec/azure-dev-??????']] } },
    ]);
    expect(nagFindings(withSecret.stack)).toEqual([]);
  });
});

describe('ModelStack with Azure ML', () => {
  it('puts the Azure ML custom resource in every environment’s fraud-detector stack, and support-assistant’s, and none in search-ranker’s', () => {
    const stacks = addModelStacks(new App(), plan);
    const withAzure = stacks.filter((s) => Object.keys(Template.fromStack(s).findResources('Custom::AzureMlModel')).length === 1).map((s) => s.stackName);
    expect(withAzure).toEqual(['acme-fraud-detector-dev', 'acme-support-assistant-dev', 'acme-fraud-detector-staging', 'acme-support-assistant-staging', 'acme-fraud-detector-prod', 'acme-support-assistant-prod']);
  });
});
