import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addModelStacks, ModelStack, projectFromPlan } from '../../constructs';
import { HandlersStack } from '../../constructs/handlers-stack';
import { resolvePlan } from '../../lib/plan';
import { loadProjectText } from '../../lib/spec';
import { executionInput } from '../../lib/train/jobs';
import { STATES } from '../../lib/train/orchestration';
import { StateMachineTrainingRunner } from '../../lib/train/state-machine-runner';
import { vertexDryRun } from '../../lib/providers/vertex/training';
import { nagFindings, policyStatements } from './helpers';
import { TRAINING_SPEC } from '../helpers';


const plan = resolvePlan(loadProjectText(TRAINING_SPEC, 'mlspec.yaml', 'dev: {}\n'));
const app = new App();
const modelStacks = addModelStacks(app, plan);
const handlers = app.node.children.find((c): c is HandlersStack => c instanceof HandlersStack)!;
const template = Template.fromStack(handlers);
const machines = template.findResources('AWS::StepFunctions::StateMachine');

describe('training on Vertex AI and Azure ML: the orchestration cdk deploy declares', () => {
  test('one state machine per provider in the handlers stack, named by project, environment and provider, with its step function', () => {
    expect(Object.values(machines).map((m: any) => m.Properties.StateMachineName).sort()).toEqual(['mlspec-acme-dev-azureml-training', 'mlspec-acme-dev-vertex-training']);
    const fns = template.findResources('AWS::Lambda::Function');
    const steps = Object.values(fns).filter((f: any) => f.Properties.Handler === 'index.onTrainingStep').map((f: any) => f.Properties.FunctionName).sort();
    expect(steps).toEqual(['mlspec-acme-dev-azureml-training', 'mlspec-acme-dev-vertex-training']);
    for (const stack of modelStacks) {
      expect(Object.keys(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))).toEqual([]);
      expect(Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function'))).toEqual([]);
    }
  });

  test('the step functions run as the reconcilers\' roles, the ones the clouds\' federation trusts', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const byName = (n: string) => Object.values(fns).find((f: any) => f.Properties.FunctionName === n) as any;
    expect(byName('mlspec-acme-dev-vertex-training').Properties.Role).toEqual(byName('mlspec-acme-dev-vertex').Properties.Role);
    expect(byName('mlspec-acme-dev-azureml-training').Properties.Role).toEqual(byName('mlspec-acme-dev-azureml').Properties.Role);
  });

  test('the definition: submit, wait and poll, finish, with every failing step cancelling the job', () => {
    const vertex = Object.values(machines).find((m: any) => m.Properties.StateMachineName === 'mlspec-acme-dev-vertex-training') as any;
    const body = vertex.Properties.DefinitionString;
    const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'FN')).join('');
    const def = JSON.parse(text);
    expect(def.StartAt).toBe(STATES.start);
    expect(Object.keys(def.States)).toEqual(Object.values(STATES));
    for (const step of [STATES.submit, STATES.poll, STATES.finish]) expect(def.States[step].Catch[0].Next).toBe(STATES.cancel);
    expect(def.States[STATES.wait].SecondsPath).toBe('$.job.poll.waitSeconds');
    expect(def.States[STATES.jobFailed]).toEqual({ Type: 'Fail', Error: 'mlspec.JobFailed', CausePath: '$.job.poll.reason' });
    expect(vertex.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(vertex.Properties.LoggingConfiguration.Level).toBe('ALL');
  });

  test('mlspec train --dry-run declares the same definition synth makes, with the step function by its fixed name', () => {
    const ranker = plan.environments[0].models.find((m) => m.name === 'ranker')!;
    const runner = new StateMachineTrainingRunner({ provider: 'vertex', aws: plan.environments[0].aws!, sfn: () => { throw new Error('no call in a dry run'); }, jobDryRun: vertexDryRun });
    const dry = runner.dryRun(ranker, { epochs: '3' });
    const vertex = Object.values(machines).find((m: any) => m.Properties.StateMachineName === 'mlspec-acme-dev-vertex-training') as any;
    const fnId = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, f]: [string, any]) => f.Properties.FunctionName === 'mlspec-acme-dev-vertex-training')![0];
    const parts = vertex.Properties.DefinitionString['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : p['Fn::GetAtt']?.[0] === fnId ? 'arn:aws:lambda:us-east-1:111111111111:function:mlspec-acme-dev-vertex-training' : 'UNKNOWN'));
    expect(dry.declared).toMatchObject({ kind: 'AWS::StepFunctions::StateMachine', name: 'mlspec-acme-dev-vertex-training', schedule: 'cron(0 0 ? * SUN *)' });
    expect(dry.declared!.definition).toEqual(JSON.parse(parts.join('')));
    // StartExecution first, named by the run id that names the job; then the job the Submit step sends.
    const [start, job] = dry.requests;
    expect([start.service, start.operation, job.operation]).toEqual(['states', 'StartExecution', 'CreateCustomJob']);
    const input = start.input as { stateMachineArn: string; name: string; input: string };
    expect(input.stateMachineArn).toBe('arn:aws:states:us-east-1:111111111111:stateMachine:mlspec-acme-dev-vertex-training');
    expect((job.input as any).customJob.labels['mlspec-run']).toBe(input.name);
    expect(JSON.parse(input.input)).toEqual(JSON.parse(JSON.stringify(executionInput(ranker, 'vertex', { epochs: '3' }))));
    expect(JSON.parse(input.input).model.providers).toEqual(['vertex']);
    expect(JSON.parse(input.input).model.sagemaker).toBeUndefined();
  });

  test('a stopped or timed-out execution cancels its job: an EventBridge rule calls the step function', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as any[];
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.Properties.EventPattern.source).toEqual(['aws.states']);
      expect(rule.Properties.EventPattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
      expect(rule.Properties.EventPattern.detail.status).toEqual(['ABORTED', 'TIMED_OUT']);
      expect(rule.Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
    }
  });

  test('training.schedule: a schedule in the model\'s stack starts the state machine with the model\'s plan, as deployed', () => {
    const ranker = modelStacks.find((s) => s.modelName === 'ranker')!;
    const rankerPlan = plan.environments[0].models.find((m) => m.name === 'ranker')!;
    const t = Template.fromStack(ranker);
    const [schedule] = Object.values(t.findResources('AWS::Scheduler::Schedule')) as any[];
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 0 ? * SUN *)');
    expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain('stateMachine:mlspec-acme-dev-vertex-training');
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual(JSON.parse(JSON.stringify(executionInput(rankerPlan, 'vertex', {}))));
    const statements = policyStatements(t);
    expect(statements.find((s) => s.Action === 'states:StartExecution')).toBeDefined();
    // The scorer has no schedule.
    expect(Object.keys(Template.fromStack(modelStacks.find((s) => s.modelName === 'scorer')!).findResources('AWS::Scheduler::Schedule'))).toEqual([]);
  });

  test('a schedule needs the handlers stack: a model stack alone says so', () => {
    const alone = new App();
    expect(() => new ModelStack(alone, 'Alone', { project: projectFromPlan(plan), model: 'ranker', environment: 'dev' })).toThrow("ranker in dev: training.schedule on vertex needs the environment's handlers stack, whose state machine it starts; build the model's stacks with addModelStacks, or ModelStack with sharedHandlers: true beside a HandlersStack");
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5: clean', () => {
    for (const stack of [handlers, ...modelStacks]) expect(nagFindings(stack)).toEqual([]);
  });
});
