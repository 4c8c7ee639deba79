import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { addModelStacks } from '../../../constructs/app';
import { projectFromPlan } from '../../../constructs/project';
import { VertexModel } from '../../../constructs/vertex';
import { resolvePlan } from '../../../lib/plan';
import { loadProject, loadProjectText } from '../../../lib/spec';
import { TRAINING_SPEC } from '../../helpers';
import { nagFindings, newStack } from '../helpers';
import { App, RemovalPolicy } from 'aws-cdk-lib';

const ROOT = path.resolve(__dirname, '../../..');
const plan = resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }));
const project = projectFromPlan(plan);
const ranker = plan.environments.find((e) => e.name === 'prod')!.models.find((m) => m.name === 'search-ranker')!;

describe('VertexModel', () => {
  const stack = newStack();
  new VertexModel(stack, 'Vertex', {
    project,
    model: 'search-ranker',
    environment: 'prod',
    removalPolicy: RemovalPolicy.RETAIN,
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
  // Two models of the plan on Vertex AI in prod.
  for (const [id, model] of [['A', 'search-ranker'], ['B', 'support-assistant']]) new VertexModel(stack, id, { project, model, environment: 'prod' });
  const t = Template.fromStack(stack);
  expect(Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.onEvent' } }))).toHaveLength(1);
  expect(Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))).toHaveLength(1);
  const resources = Object.values(t.findResources('Custom::VertexModel'));
  expect(resources.map((r) => r.Properties.Model)).toEqual(['search-ranker', 'support-assistant']);
  const tokens = resources.map((r) => JSON.stringify(r.Properties.ServiceToken));
  expect(new Set(tokens).size).toBe(1);
});

describe('VertexModel reads the rest from the plan', () => {
  const props = (stack: ReturnType<typeof newStack>) => Object.values(Template.fromStack(stack).findResources('Custom::VertexModel'))[0].Properties;

  it('the workload identity provider and service account default to the environment\'s gcp block; given ones win', () => {
    const training = projectFromPlan(resolvePlan(loadProjectText(TRAINING_SPEC, 'mlspec.yaml', 'dev: {}\n')));
    const byDefault = newStack();
    new VertexModel(byDefault, 'Vertex', { project: training, model: 'ranker', environment: 'dev' });
    expect(props(byDefault)).toEqual(expect.objectContaining({
      WorkloadIdentityProvider: 'projects/1/locations/global/workloadIdentityPools/aws/providers/aws',
      ServiceAccount: 'deployer@acme-ml-dev.iam.gserviceaccount.com',
    }));
    const given = newStack();
    new VertexModel(given, 'Vertex', { project: training, model: 'ranker', environment: 'dev', workloadIdentityProvider: 'projects/2/locations/global/workloadIdentityPools/p/providers/q', serviceAccount: 'other@acme-ml-dev.iam.gserviceaccount.com' });
    expect(props(given)).toEqual(expect.objectContaining({
      WorkloadIdentityProvider: 'projects/2/locations/global/workloadIdentityPools/p/providers/q',
      ServiceAccount: 'other@acme-ml-dev.iam.gserviceaccount.com',
    }));
    // The example's environments name neither: empty, the handler's own federated identity.
    const none = newStack();
    new VertexModel(none, 'Vertex', { project, model: 'search-ranker', environment: 'dev' });
    expect([props(none).WorkloadIdentityProvider, props(none).ServiceAccount]).toEqual(['', '']);
  });

  it.each([
    ['prod', undefined, 'true'],
    ['prod', RemovalPolicy.DESTROY, 'false'],
    ['dev', undefined, 'false'],
    ['dev', RemovalPolicy.RETAIN, 'true'],
  ])('in %s with removalPolicy %s, the endpoint is kept on delete: %s', (environment, removalPolicy, kept) => {
    const stack = newStack();
    new VertexModel(stack, 'Vertex', { project, model: 'search-ranker', environment, removalPolicy });
    expect(props(stack).Protected).toBe(kept);
  });
});
