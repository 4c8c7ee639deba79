import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { addModelStacks } from '../../../constructs/app';
import { VertexModel } from '../../../constructs/vertex';
import { resolvePlan } from '../../../lib/plan';
import { loadProject } from '../../../lib/spec';
import { nagFindings, newStack } from '../helpers';
import { App } from 'aws-cdk-lib';

const ROOT = path.resolve(__dirname, '../../..');
const plan = resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }));
const ranker = plan.environments.find((e) => e.name === 'prod')!.models.find((m) => m.name === 'search-ranker')!;

describe('VertexModel', () => {
  const stack = newStack();
  new VertexModel(stack, 'Vertex', {
    plan: ranker.vertex!,
    model: 'search-ranker',
    environment: 'prod',
    protected: true,
    workloadIdentityProvider: 'projects/123456/locations/global/workloadIdentityPools/aws/providers/deploy',
    serviceAccount: 'mlspec-deploy@acme-ml-prod.iam.gserviceaccount.com',
  });
  const t = Template.fromStack(stack);

  it('is a custom resource carrying the plan, behind the Provider framework with an isComplete waiter', () => {
    const [resource] = Object.values(t.findResources('Custom::VertexModel'));
    expect(JSON.parse(resource.Properties.Plan)).toEqual(ranker.vertex);
    expect(resource.Properties).toEqual(expect.objectContaining({ Model: 'search-ranker', Environment: 'prod', Protected: 'true', ServiceAccount: 'mlspec-deploy@acme-ml-prod.iam.gserviceaccount.com' }));
    expect(resource.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^MlspecvertexHandlersProviderframeworkonEvent/), 'Arn'] });
    t.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Handler: 'index.onEvent', Timeout: 900, Environment: { Variables: { METADATA_SERVER_DETECTION: 'none' } } });
    t.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Handler: 'index.isComplete', Timeout: 300 });
    // The waiter asks every 30 s for up to an hour: 120 attempts.
    const [machine] = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('\\"IntervalSeconds\\":30');
    expect(definition).toContain('\\"MaxAttempts\\":120');
    expect(machine.Properties.LoggingConfiguration).toEqual(expect.objectContaining({ Level: 'ALL' }));
  });

  it('no role has a managed AWS policy; the handlers’ role may only write its logs and decrypt its environment', () => {
    const roles = Object.values(t.findResources('AWS::IAM::Role'));
    expect(roles.map((r) => r.Properties.ManagedPolicyArns?.filter((a: unknown) => JSON.stringify(a).includes('arn:aws:iam::aws:policy')) ?? [])).toEqual([[], [], [], []]);
    const [policy] = Object.values(t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^MlspecvertexHandlersRole') }] } }));
    expect(policy.Properties.PolicyDocument.Statement.map((s: { Action: unknown }) => s.Action)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents'], 'kms:Decrypt']);
    expect(Object.keys(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^MlspecvertexHandlersRole') }] } }))).toEqual([]);
    for (const group of Object.values(t.findResources('AWS::Logs::LogGroup'))) expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^MlspecvertexHandlersKey/), 'Arn'] });
    expect(Object.keys(t.findResources('AWS::Logs::LogGroup'))).toHaveLength(3);
  });

  it('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('ModelStack with Vertex', () => {
  it('puts the Vertex custom resource in every environment’s search-ranker stack, and support-assistant’s, and none in fraud-detector’s', () => {
    const stacks = addModelStacks(new App(), plan);
    const withVertex = stacks.filter((s) => Object.keys(Template.fromStack(s).findResources('Custom::VertexModel')).length === 1).map((s) => s.stackName);
    expect(withVertex).toEqual(['acme-search-ranker-dev', 'acme-support-assistant-dev', 'acme-search-ranker-staging', 'acme-support-assistant-staging', 'acme-search-ranker-prod', 'acme-support-assistant-prod']);
  });
});

describe('the bundle the construct ships', () => {
  it('exists after npm ci (prepare)', () => {
    expect(readFileSync(path.join(ROOT, 'dist/handlers/vertex/index.js'), 'utf8').length).toBeGreaterThan(100_000);
  });
});

test('VertexModels used alone in one stack share its one set of handlers (a stack-wide singleton)', () => {
  const stack = newStack();
  for (const id of ['A', 'B']) new VertexModel(stack, id, { plan: ranker.vertex!, model: `search-ranker-${id}`, environment: 'prod' });
  const t = Template.fromStack(stack);
  expect(Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.onEvent' } }))).toHaveLength(1);
  expect(Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))).toHaveLength(1);
  const tokens = Object.values(t.findResources('Custom::VertexModel')).map((r) => JSON.stringify(r.Properties.ServiceToken));
  expect(new Set(tokens).size).toBe(1);
});
