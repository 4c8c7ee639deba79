import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { addModelStacks } from '../../../constructs/app';
import { VertexModel } from '../../../constructs/vertex';
import { resolvePlan } from '../../../lib/plan';
import { loadProject } from '../../../lib/spec';
import { nagFindings, newStack, policyStatements } from '../helpers';
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

  it('is a custom resource carrying the plan, invoking the bundled handler directly', () => {
    const [resource] = Object.values(t.findResources('Custom::VertexModel'));
    expect(JSON.parse(resource.Properties.Plan)).toEqual(ranker.vertex);
    expect(resource.Properties).toEqual(expect.objectContaining({ Model: 'search-ranker', Environment: 'prod', Protected: 'true', ServiceAccount: 'mlspec-deploy@acme-ml-prod.iam.gserviceaccount.com' }));
    expect(resource.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^VertexHandler/), 'Arn'] });
    t.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Handler: 'index.handler', Timeout: 900, Environment: { Variables: { METADATA_SERVER_DETECTION: 'none' } } });
  });

  it('the handler role may only write its own encrypted logs: Google access is federation, not IAM', () => {
    const roles = Object.values(t.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(1);
    expect(roles[0].Properties.ManagedPolicyArns).toBeUndefined();
    expect(policyStatements(t).flatMap((s) => s.Action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    t.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VertexKey'), 'Arn'] } });
  });

  it('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('ModelStack with Vertex', () => {
  it('puts the Vertex custom resource in every environment’s search-ranker stack, and none in fraud-detector’s', () => {
    const stacks = addModelStacks(new App(), plan);
    const withVertex = stacks.filter((s) => Object.keys(Template.fromStack(s).findResources('Custom::VertexModel')).length === 1).map((s) => s.stackName);
    expect(withVertex).toEqual(['acme-search-ranker-dev', 'acme-search-ranker-staging', 'acme-search-ranker-prod']);
  });
});

describe('the bundle the construct ships', () => {
  it('exists after npm ci (prepare)', () => {
    expect(readFileSync(path.join(ROOT, 'dist/handlers/vertex/index.js'), 'utf8').length).toBeGreaterThan(100_000);
  });
});
