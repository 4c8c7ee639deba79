import { App, RemovalPolicy } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as path from 'node:path';
import { addModelStacks } from '../../../constructs/app';
import { AzureMlModel } from '../../../constructs/azureml';
import { projectFromPlan } from '../../../constructs/project';
import { resolvePlan } from '../../../lib/plan';
import { loadProject, loadProjectText } from '../../../lib/spec';
import { nagFindings, newStack } from '../helpers';

const ROOT = path.resolve(__dirname, '../../..');
const plan = resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }));
const project = projectFromPlan(plan);
const fraud = plan.environments.find((e) => e.name === 'dev')!.models.find((m) => m.name === 'fraud-detector')!;
const identity = { tenantId: '11111111-1111-1111-1111-111111111111', clientId: '22222222-2222-2222-2222-222222222222' };

function build(extra: Partial<ConstructorParameters<typeof AzureMlModel>[2]> = {}) {
  const stack = newStack();
  new AzureMlModel(stack, 'AzureMl', { project, model: 'fraud-detector', environment: 'dev', ...identity, ...extra });
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

describe('AzureMlModel reads the rest from the plan', () => {
  const props = (stack: ReturnType<typeof newStack>) => Object.values(Template.fromStack(stack).findResources('Custom::AzureMlModel'))[0].Properties;
  const signIn = (stack: ReturnType<typeof newStack>) => Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Azure ML sign-in') } }))[0].Properties.PolicyDocument.Statement;
  // The example with dev's app registration in its azure block.
  const text = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
  const withIdentity = text.replace(
    'workspace: acme-dev, region: eastus }',
    `workspace: acme-dev, region: eastus, tenantId: ${identity.tenantId}, clientId: ${identity.clientId}, clientSecretName: mlspec/azure-dev }`,
  );
  const registered = projectFromPlan(resolvePlan(loadProjectText(withIdentity, 'mlspec.yaml', readFileSync(path.join(ROOT, 'examples/releases.yaml'), 'utf8'))));

  it('tenant, client and client secret default to the environment\'s azure block; the secret is the one the role may read', () => {
    expect(withIdentity).not.toBe(text);
    const stack = newStack();
    new AzureMlModel(stack, 'AzureMl', { project: registered, model: 'fraud-detector', environment: 'dev' });
    expect(props(stack)).toEqual(expect.objectContaining({ TenantId: identity.tenantId, ClientId: identity.clientId, ClientSecretName: 'mlspec/azure-dev' }));
    expect(signIn(stack)).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:us-east-1:222222222222:secret:mlspec/azure-dev-??????']] } },
    ]);
  });

  it('given ones win', () => {
    const stack = newStack();
    new AzureMlModel(stack, 'AzureMl', { project: registered, model: 'fraud-detector', environment: 'dev', tenantId: 't', clientId: 'c', clientSecretName: 'mlspec/other' });
    expect(props(stack)).toEqual(expect.objectContaining({ TenantId: 't', ClientId: 'c', ClientSecretName: 'mlspec/other' }));
    expect(JSON.stringify(signIn(stack))).toContain(':secret:mlspec/other-??????');
  });

  it.each([
    ['prod', undefined, 'true'],
    ['prod', RemovalPolicy.DESTROY, 'false'],
    ['dev', undefined, 'false'],
    ['dev', RemovalPolicy.RETAIN, 'true'],
  ])('in %s with removalPolicy %s, the endpoint is kept on delete: %s', (environment, removalPolicy, kept) => {
    const stack = newStack();
    new AzureMlModel(stack, 'AzureMl', { project, model: 'fraud-detector', environment, removalPolicy, ...identity });
    expect(props(stack).Protected).toBe(kept);
  });
});
