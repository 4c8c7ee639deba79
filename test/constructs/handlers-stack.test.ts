import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { addModelStacks, ModelStack, projectFromPlan } from '../../constructs';
import { HandlersStack } from '../../constructs/handlers-stack';
import { resolvePlan } from '../../lib/plan';
import { loadProject } from '../../lib/spec';
import { nagFindings, policyStatements } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const plan = resolvePlan(loadProject({ specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') }));
const app = new App();
const modelStacks = addModelStacks(app, plan);
const handlerStacks = app.node.children.filter((c): c is HandlersStack => c instanceof HandlersStack);
const count = (stack: Stack, type: string) => Object.keys(Template.fromStack(stack).findResources(type)).length;
const total = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources).length;

describe('lean model stacks: the bundled example', () => {
  test('one handlers stack per environment, in its account and region, before its model stacks', () => {
    expect(handlerStacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['acme-handlers-dev', '111111111111', 'us-east-1'],
      ['acme-handlers-staging', '222222222222', 'us-east-1'],
      ['acme-handlers-prod', '333333333333', 'us-east-1'],
    ]);
    for (const stack of modelStacks) {
      expect(stack.dependencies.map((d) => d.stackName)).toEqual([`acme-handlers-${stack.environmentName}`]);
    }
    // prod is protected: its handlers are too.
    expect(handlerStacks.map((s) => s.terminationProtection)).toEqual([false, false, true]);
  });

  test.each(modelStacks.map((s) => [s.stackName, s] as const))('%s: no Lambda function, no state machine, at most 3 roles, 1 KMS key and 30 resources', (_name, stack) => {
    expect(count(stack, 'AWS::Lambda::Function')).toBe(0);
    expect(count(stack, 'AWS::StepFunctions::StateMachine')).toBe(0);
    expect(count(stack, 'AWS::IAM::Role')).toBeLessThanOrEqual(3);
    expect(count(stack, 'AWS::KMS::Key')).toBeLessThanOrEqual(1);
    expect(total(stack)).toBeLessThanOrEqual(30);
  });

  test('the handlers stack holds the rest: the SageMaker handler, and each provider\'s reconcilers behind the Provider framework', () => {
    const dev = Template.fromStack(handlerStacks[0]);
    const names = Object.values(dev.findResources('AWS::Lambda::Function')).map((f) => f.Properties.FunctionName).filter(Boolean).sort();
    // fraud-detector uses Azure ML and search-ranker Vertex in dev: both reconcilers, with fixed names.
    // The staged SageMaker rollouts run the SageMaker bundle behind the same framework.
    expect(names).toEqual([
      'mlspec-acme-dev-azureml', 'mlspec-acme-dev-azureml-complete', 'mlspec-acme-dev-azureml-provider',
      'mlspec-acme-dev-rollout', 'mlspec-acme-dev-rollout-complete', 'mlspec-acme-dev-rollout-provider',
      'mlspec-acme-dev-sagemaker',
      'mlspec-acme-dev-vertex', 'mlspec-acme-dev-vertex-complete', 'mlspec-acme-dev-vertex-provider',
    ]);
    const handlerOf = (name: string) => Object.values(dev.findResources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === name)?.Properties.Handler;
    expect([handlerOf('mlspec-acme-dev-rollout'), handlerOf('mlspec-acme-dev-rollout-complete')]).toEqual(['index.onStagedEvent', 'index.isStagedComplete']);
    expect(count(handlerStacks[0], 'AWS::StepFunctions::StateMachine')).toBe(3);
    // The roles the clouds' federation trusts are named before the first deploy.
    const roles = Object.values(dev.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName).filter(Boolean).sort();
    expect(roles).toEqual(['mlspec-acme-dev-azureml', 'mlspec-acme-dev-rollout', 'mlspec-acme-dev-vertex']);
  });

  test('model stacks call the handlers by their fixed names: no export ties the stacks', () => {
    const t = Template.fromStack(modelStacks.find((s) => s.stackName === 'acme-fraud-detector-dev')!).toJSON();
    expect(JSON.stringify(t)).not.toContain('Fn::ImportValue');
    const tokens = Object.values<any>(t.Resources).filter((r) => r.Type.startsWith('Custom::')).map((r) => JSON.stringify(r.Properties.ServiceToken));
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(token).toMatch(/function:mlspec-acme-dev-(sagemaker|azureml-provider|rollout-provider)"/);
  });

  test('a SageMaker canary is walked by mlspec: one StagedWeights resource per endpoint, with the steps and the new versions\' rollback alarms', () => {
    const t = Template.fromStack(modelStacks.find((s) => s.stackName === 'acme-fraud-detector-staging')!);
    const staged = Object.values(t.findResources('Custom::SageMakerStagedWeights'));
    expect(staged).toHaveLength(1);
    const p = staged[0].Properties;
    expect(JSON.stringify(p.ServiceToken)).toContain('function:mlspec-acme-staging-rollout-provider');
    expect(JSON.parse(p.Weights)).toEqual([{ VariantName: 'v7', DesiredWeight: 90 }, { VariantName: 'v8', DesiredWeight: 10 }]);
    expect(p.EndpointConfigName).toMatch(/^acme-fraud-detector-staging-[0-9a-f]{10}$/);
    expect(JSON.parse(p.Rollout)).toEqual({ strategy: 'canary', steps: [{ percent: 10, bakeSeconds: 600 }, { percent: 100, bakeSeconds: 0 }] });
    expect(JSON.parse(p.Alarms)).toEqual({
      v7: ['acme-fraud-detector-staging-v7-5xx-rate', 'acme-fraud-detector-staging-v7-p99-latency'],
      v8: ['acme-fraud-detector-staging-v8-5xx-rate', 'acme-fraud-detector-staging-v8-p99-latency'],
    });
    // The config keeps what serves now, so the endpoint update moves no traffic before the walk.
    const config = Object.values(t.findResources('Custom::SageMakerEndpointConfig'))[0].Properties;
    expect([config.KeepLive, config.EndpointName]).toEqual(['true', 'acme-fraud-detector-staging']);
    expect(Object.keys(t.findResources('Custom::SageMakerVariantWeights'))).toEqual([]);
  });

  test('the handlers may act on this project\'s resources only: by name prefix or tag, never a * action', () => {
    const statements = policyStatements(Template.fromStack(handlerStacks[0]));
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).not.toContain('*');
    expect(actions.filter((a) => a.endsWith(':*'))).toEqual([]);
    const by = (action: string) => statements.find((s) => [s.Action].flat().includes(action));
    const resources = (action: string) => JSON.stringify(by(action)?.Resource);
    expect(resources('sagemaker:CreateModelPackageGroup')).toContain('model-package-group/acme-*');
    expect(resources('sagemaker:CreateEndpointConfig')).toContain('endpoint-config/acme-*');
    expect(resources('sagemaker:UpdateEndpointWeightsAndCapacities')).toContain('endpoint/acme-*');
    expect(by('kms:CreateGrant')?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/mlspec:project': 'acme' } });
  });

  test('no stack carries a warning: the capture buckets log to the handlers stack\'s bucket, whose policy grants S3 log delivery', () => {
    for (const stack of [...handlerStacks, ...modelStacks]) expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5: both kinds of stack are clean', () => {
    for (const stack of [...handlerStacks, ...modelStacks]) expect(nagFindings(stack)).toEqual([]);
  });
});

test('a ModelStack used alone (no handlers stack) still brings its own handlers', () => {
  const alone = new ModelStack(new App(), 'Alone', { project: projectFromPlan(plan), model: plan.environments[0].models[0].name, environment: plan.environments[0].name });
  expect(count(alone, 'AWS::Lambda::Function')).toBeGreaterThan(0);
  expect(nagFindings(alone)).toEqual([]);
});
