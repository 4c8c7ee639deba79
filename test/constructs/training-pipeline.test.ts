import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addModelStacks, projectFromPlan, TrainingPipeline } from '../../constructs';
import { resolvePlan } from '../../lib/plan';
import type { ModelPlan } from '../../lib/plan/types';
import { declaredDefinition, PLACEHOLDERS } from '../../lib/providers/sagemaker/runs';
import { loadProject, loadProjectText } from '../../lib/spec';
import { nagFindings } from './helpers';
import { parseDefinition } from '../fakes/sagemaker/pipelines';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = { specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') };
const exampleText = readFileSync(EXAMPLE.specPath, 'utf8');
const releasesText = readFileSync(EXAMPLE.releasesPath, 'utf8');

/** The pipeline's definition as CloudFormation will send it: the body's join, with the tokens it joins filled in. */
function renderedDefinition(stack: Stack): any {
  const template = Template.fromStack(stack).toJSON();
  const [id, pipeline] = Object.entries<any>(template.Resources).find(([, r]) => r.Type === 'AWS::SageMaker::Pipeline')!;
  const body = pipeline.Properties.PipelineDefinition.PipelineDefinitionBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': stack.region, 'AWS::AccountId': stack.account, 'AWS::URLSuffix': 'amazonaws.com' };
  const text = parts.map((p: any) => {
    if (typeof p === 'string') return p;
    if (p.Ref && pseudo[p.Ref]) return pseudo[p.Ref];
    const ref = template.Resources[p['Fn::GetAtt'][0]];
    if (ref.Type === 'AWS::IAM::Role') return `arn:aws:iam::${stack.account}:role/${ref.Properties.RoleName}`;
    if (ref.Type === 'AWS::KMS::Key') return PLACEHOLDERS.kmsKeyArn;
    throw new Error(`${id}: the definition refers to ${ref.Type}`);
  }).join('');
  return JSON.parse(text);
}

function stacksOf(project: ReturnType<typeof loadProject>) {
  const app = new App();
  const plan = resolvePlan(project);
  return { stacks: addModelStacks(app, plan), plan };
}

const step = (def: any, name: string): any => {
  const walk = (steps: any[]): any => {
    for (const s of steps) {
      if (s.Name === name) return s;
      const inner = s.Type === 'Condition' ? walk([...s.Arguments.IfSteps, ...s.Arguments.ElseSteps]) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(def.Steps);
};

describe('the bundled example: a pipeline for every model × environment that trains on SageMaker', () => {
  const { stacks, plan } = stacksOf(loadProject(EXAMPLE));
  const trains = (m: ModelPlan) => m.sagemaker?.training !== undefined;

  test('each environment of fraud-detector has its pipeline; search-ranker (no training) has none', () => {
    const withPipeline = stacks.filter((s) => Template.fromStack(s).findResources('AWS::SageMaker::Pipeline') && Object.keys(Template.fromStack(s).findResources('AWS::SageMaker::Pipeline')).length === 1);
    expect(withPipeline.map((s) => s.stackName).sort()).toEqual(plan.environments.flatMap((e) => e.models.filter(trains).map((m) => m.stackName)).sort());
    expect(withPipeline.map((s) => s.stackName).sort()).toEqual(['acme-fraud-detector-dev', 'acme-fraud-detector-prod', 'acme-fraud-detector-staging']);
  });

  const dev = stacks.find((s) => s.stackName === 'acme-fraud-detector-dev')!;
  const model = plan.environments.find((e) => e.name === 'dev')!.models.find((m) => m.name === 'fraud-detector')!;
  const def = renderedDefinition(dev);

  test('what synth declares is what `mlspec train --dry-run --json` shows', () => {
    expect(def).toEqual(JSON.parse(JSON.stringify(declaredDefinition(model))));
  });

  test('SageMaker Pipelines (the fake, as strict as the API reference) accepts every declared definition', () => {
    for (const stack of stacks.filter((s) => s.stackName.startsWith('acme-fraud-detector-'))) {
      const text = JSON.stringify(renderedDefinition(stack))
        .replace(PLACEHOLDERS.kmsKeyArn, `arn:aws:kms:us-east-1:${stack.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
      expect(() => parseDefinition(text)).not.toThrow();
    }
  });

  test('the tuning step, field by field from the spec', () => {
    const tune = step(def, 'Tune');
    const config = tune.Arguments.HyperParameterTuningJobConfig;
    expect(config.Strategy).toBe('Bayesian');
    expect(config.HyperParameterTuningJobObjective).toEqual({ Type: 'Maximize', MetricName: 'val_f1' });
    expect(config.ResourceLimits).toEqual({ MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 4 });
    expect(config.ParameterRanges).toEqual({
      ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.00001', MaxValue: '0.01', ScalingType: 'Logarithmic' }],
      CategoricalParameterRanges: [{ Name: 'batch_size', Values: ['32', '64', '128'] }],
    });
    const job = tune.Arguments.TrainingJobDefinition;
    // A100 × 8 from the catalog; two nodes; spot with the spec's max wait; checkpoints synced.
    expect(job.ResourceConfig).toEqual({ InstanceType: 'ml.p4d.24xlarge', InstanceCount: 2, VolumeSizeInGB: 100 });
    expect(job.EnableManagedSpotTraining).toBe(true);
    expect(job.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 12 * 3600, MaxWaitTimeInSeconds: 24 * 3600 });
    expect(job.CheckpointConfig).toEqual({ S3Uri: 's3://acme-models/fraud/ckpt/', LocalPath: '/opt/ml/checkpoints' });
    expect(job.AlgorithmSpecification.MetricDefinitions).toEqual([
      { Name: 'val_f1', Regex: 'val_f1=([0-9.]+)' },
      { Name: 'accuracy', Regex: 'val_acc=([0-9.]+)' },
      { Name: 'f1', Regex: 'f1=([0-9.]+)' },
    ]);
    expect(job.OutputDataConfig).toEqual({ S3OutputPath: 's3://acme-models/fraud/', KmsKeyId: PLACEHOLDERS.kmsKeyArn });
    expect(job.EnableInterContainerTrafficEncryption).toBe(true);
    expect(job.StaticHyperParameters.epochs).toEqual({ Get: 'Parameters.hp_epochs' });
  });

  test('the gates: one condition holding every registry gate, on the best trial\'s metrics; a refusal names each value and threshold', () => {
    const gates = step(def, 'Gates');
    const metric = (name: string) => ({ Get: `Steps.BestTrial.OutputParameters['${name}']` });
    expect(gates.Arguments.Conditions).toEqual([
      { Type: 'GreaterThanOrEqualTo', LeftValue: metric('accuracy'), RightValue: 0.95 },
      { Type: 'GreaterThanOrEqualTo', LeftValue: metric('f1'), RightValue: 0.9 },
    ]);
    expect(gates.Arguments.IfSteps.map((s: any) => s.Name)).toEqual(['Register']);
    expect(gates.Arguments.ElseSteps).toEqual([{
      Name: 'Refused',
      Type: 'Fail',
      Arguments: { ErrorMessage: { 'Std:Join': { On: '', Values: ['registry.gates refused this run: ', 'accuracy is ', metric('accuracy'), ' (needs >= 0.95)', ', f1 is ', metric('f1'), ' (needs >= 0.9)', '; the version was not registered'] } } },
    }]);
  });

  test('registration: the model\'s group, the serving image, manual approval, metrics as declared versions carry them, the run as lineage', () => {
    const register = step(def, 'Register').Arguments;
    expect(register.ModelPackageGroupName).toBe('acme-fraud-detector');
    expect(register.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(register.InferenceSpecification.Containers).toEqual([{ Image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu', ModelDataUrl: { Get: "Steps.BestTrial.OutputParameters['ModelData']" } }]);
    expect(register.InferenceSpecification.SupportedRealtimeInferenceInstanceTypes).toEqual(['ml.g4dn.xlarge']);
    expect(Object.keys(register.CustomerMetadataProperties)).toEqual(['metric:val_f1', 'metric:accuracy', 'metric:f1', 'mlspec:trainingJob', 'mlspec:pipelineExecution']);
    expect(register.MetadataProperties).toEqual({ GeneratedBy: { Get: 'Execution.PipelineExecutionArn' } });
  });

  test('least privilege: the pipeline passes only the training role, to SageMaker', () => {
    const t = Template.fromStack(dev);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'PassTrainingRole', Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } })]) },
    });
    const actions = JSON.stringify(t.toJSON()).match(/"Action":\s*"\*"/g);
    expect(actions).toBeNull();
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5 find nothing in the training resources', () => {
    expect(nagFindings(dev).filter((f) => f.includes('/Training/'))).toEqual([]);
  });
});

/** The example with its fraud-detector training changed by `edit` (text replacements). */
function variantOf(...edits: Array<[string | RegExp, string]>) {
  let text = exampleText;
  for (const [from, to] of edits) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`edit not applied: ${String(from)}`);
    text = next;
  }
  const { stacks, plan } = stacksOf(loadProjectText(text, 'mlspec.yaml', releasesText));
  const stack = stacks.find((s) => s.stackName === 'acme-fraud-detector-dev')!;
  const model = plan.environments.find((e) => e.name === 'dev')!.models.find((m) => m.name === 'fraud-detector')!;
  return { stack, model, def: renderedDefinition(stack) };
}

const NO_TUNING: [RegExp, string] = [/      tuning:\n(?:        .*\n)+/, ''];

describe('a single training run (no tuning)', () => {
  const { def, model } = variantOf(NO_TUNING);
  const train = step(def, 'Train').Arguments;

  test('the command runs under torchrun on every node, through the entrypoint, so any image works', () => {
    expect(train.AlgorithmSpecification.ContainerEntrypoint).toEqual(['/bin/sh', '-c', 'eval "$MLSPEC_LAUNCH"', 'mlspec-launch']);
    expect(train.AlgorithmSpecification.ContainerArguments).toEqual(['python', 'train.py', '--epochs', { Get: 'Parameters.hp_epochs' }, '--lr', { Get: 'Parameters.hp_lr' }]);
    expect(train.Environment.MLSPEC_LAUNCH).toContain('torchrun --nnodes=2 --nproc_per_node=8');
    expect(train.HyperParameters).toEqual({ epochs: { Get: 'Parameters.hp_epochs' }, lr: { Get: 'Parameters.hp_lr' } });
    expect(def.Parameters).toEqual([
      { Name: 'hp_epochs', Type: 'String', DefaultValue: '10' },
      { Name: 'hp_lr', Type: 'String', DefaultValue: '0.001' },
      { Name: 'input_train', Type: 'String', DefaultValue: 's3://acme-data/fraud/train/' },
    ]);
  });

  test('gates read the training job\'s final metrics', () => {
    expect(step(def, 'Gates').Arguments.Conditions[0].LeftValue).toEqual({ Get: "Steps.Train.FinalMetricDataList['accuracy'].Value" });
    expect(step(def, 'Register').Arguments.InferenceSpecification.Containers[0].ModelDataUrl).toEqual({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' });
  });

  test('ml.p4d has local NVMe storage: SageMaker refuses a volume key there, so none is sent', () => {
    expect(model.sagemaker!.training!.volumeEncryption).toBe('instance-storage');
    expect(train.ResourceConfig.VolumeKmsKeyId).toBeUndefined();
  });

  test('the launcher gives each node its rank and the first host as master, from SageMaker\'s resource config', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-launch-'));
    const config = path.join(dir, 'resourceconfig.json');
    writeFileSync(config, JSON.stringify({ current_host: 'algo-2', current_instance_type: 'ml.p4d.24xlarge', hosts: ['algo-1', 'algo-2'], network_interface_name: 'eth0' }, null, 2));
    // A stand-in torchrun that prints what it was started with.
    writeFileSync(path.join(dir, 'torchrun'), '#!/bin/sh\necho "$@"\n');
    chmodSync(path.join(dir, 'torchrun'), 0o755);
    const script = train.Environment.MLSPEC_LAUNCH.replace('/opt/ml/input/config/resourceconfig.json', config);
    const out = execFileSync('/bin/sh', ['-c', 'eval "$MLSPEC_LAUNCH"', 'mlspec-launch', 'python', 'train.py', '--epochs', '10'], {
      env: { PATH: `${dir}:${process.env.PATH}`, MLSPEC_LAUNCH: script },
    }).toString();
    expect(out.trim()).toBe('--nnodes=2 --nproc_per_node=8 --node_rank=1 --master_addr=algo-1 --master_port=29500 --no-python python train.py --epochs 10');
  });
});

describe('other shapes of training', () => {
  test('one node with several GPUs: torchrun standalone, one process per GPU', () => {
    const { def } = variantOf(NO_TUNING, ['{ accelerator: A100, count: 8, nodes: 2 }', '{ accelerator: A100, count: 8 }']);
    expect(step(def, 'Train').Arguments.AlgorithmSpecification.ContainerEntrypoint).toEqual(['torchrun', '--standalone', '--nnodes=1', '--nproc_per_node=8', '--no-python', 'python', 'train.py']);
  });

  test('an EBS-backed instance type gets the volume key', () => {
    const { def } = variantOf(NO_TUNING, ['{ accelerator: A100, count: 8, nodes: 2 }', '{ instanceType: { sagemaker: ml.m5.xlarge, azureml: Standard_DS3_v2 } }'], ['distribution: pytorch', 'distribution: none']);
    expect(step(def, 'Train').Arguments.ResourceConfig).toEqual({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 100, VolumeKmsKeyId: PLACEHOLDERS.kmsKeyArn });
    expect(step(def, 'Train').Arguments.AlgorithmSpecification.ContainerEntrypoint).toEqual(['python', 'train.py']);
  });

  test('auto approval registers Approved; a schedule starts the pipeline through EventBridge Scheduler', () => {
    const { def, stack } = variantOf(['approval: manual', 'approval: auto'], ['      maxRuntime: 12h', '      maxRuntime: 12h\n      schedule: daily']);
    expect(step(def, 'Register').Arguments.ModelApprovalStatus).toBe('Approved');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 0 * * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ SageMakerPipelineParameters: { PipelineParameterList: [] } }),
    });
    expect(nagFindings(stack).filter((f) => f.includes('/Training/'))).toEqual([]);
  });
});

describe('TrainingPipeline refuses what it cannot build', () => {
  const project = projectFromPlan(resolvePlan(loadProject(EXAMPLE)));
  it('a model that does not train on SageMaker there', () => {
    expect(() => new TrainingPipeline(new Stack(new App(), 'S1'), 'T', { project, model: 'search-ranker', environment: 'dev' }))
      .toThrow('search-ranker in dev: the model does not train on sagemaker there; TrainingPipeline needs a model whose spec has a training section with provider sagemaker');
  });
  it('a tuning plan without the handler that reads the best trial', () => {
    expect(() => new TrainingPipeline(new Stack(new App(), 'S2'), 'T', { project, model: 'fraud-detector', environment: 'dev' })).toThrow('TrainingPipeline: a tuning plan needs `handler` (the bundled SageMaker handler reads the best trial)');
  });
});
