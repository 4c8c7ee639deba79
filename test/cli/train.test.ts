import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, CreateModelPackageCommand, CreateModelPackageGroupCommand, CreatePipelineCommand, DescribeTrainingJobCommand, ListPipelineExecutionStepsCommand } from '@aws-sdk/client-sagemaker';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run, type Io } from '../../bin/mlspec';
import { onPipelineStep, type PipelineStepEvent } from '../../lib/handlers/sagemaker';
import { resolvePlan } from '../../lib/plan';
import { SageMakerLiveState } from '../../lib/providers/sagemaker/live';
import { declaredDefinition, PLACEHOLDERS, SageMakerTrainingRunner } from '../../lib/providers/sagemaker/runs';
import { loadProject } from '../../lib/spec';
import { FakeSageMaker } from '../fakes/sagemaker/server';
import { FakeStepFunctions } from '../fakes/stepfunctions/server';
import { StateMachineTrainingRunner } from '../../lib/train/state-machine-runner';
import { azureMlDryRun } from '../../lib/providers/azureml/training';
import type { Provider } from '../../lib/catalog/types';
import type { EnvironmentPlan } from '../../lib/plan/types';

/**
 * `mlspec train` and `mlspec runs` end to end: the real CLI and SDK client against the fake
 * SageMaker, which runs the pipeline definition synth declares (test/constructs/training-pipeline.test.ts
 * shows it equal to `declaredDefinition`) with the stack's real best-trial handler as its Lambda step.
 */

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE_SPEC = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
const EXAMPLE_RELEASES = readFileSync(path.join(ROOT, 'examples/releases.yaml'), 'utf8');
const NO_TUNING = (text: string) => text.replace(/      tuning:\n(?:        .*\n)+/, '');
const KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
// The environment's SageMaker handler in its handlers stack (lib/plan/names.ts handlerNames).
const FUNCTION = 'arn:aws:lambda:us-east-1:111111111111:function:mlspec-acme-dev-sagemaker';

let fake: FakeSageMaker;
let dir: string;
let out: string;
let err: string;
let controller: AbortController;

beforeEach(async () => {
  fake = new FakeSageMaker();
  await fake.start();
  dir = mkdtempSync(path.join(tmpdir(), 'mlspec-train-'));
  out = '';
  err = '';
  controller = new AbortController();
  fake.pipelines.lambdas.set(FUNCTION, (event) => onPipelineStep(event as unknown as PipelineStepEvent, { clients: () => fake.clients() }));
});
afterEach(() => fake.stop());

function io(extra: Partial<Io> = {}): Io {
  const runner = new SageMakerTrainingRunner({ clients: () => fake.clients().sagemaker, pollMs: 0 });
  const live = new SageMakerLiveState(() => fake.clients().sagemaker);
  return {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd: dir,
    trainers: (p) => (p === 'sagemaker' ? runner : undefined),
    live: (p) => (p === 'sagemaker' ? live : undefined),
    signal: controller.signal,
    ...extra,
  };
}

/** What `cdk deploy` of the dev stack leaves: the registry with its declared versions, and the pipeline. */
async function deploy(specText = EXAMPLE_SPEC): Promise<void> {
  writeFileSync(path.join(dir, 'mlspec.yaml'), specText);
  writeFileSync(path.join(dir, 'releases.yaml'), EXAMPLE_RELEASES);
  const project = loadProject({ specPath: path.join(dir, 'mlspec.yaml'), releasesPath: path.join(dir, 'releases.yaml') });
  const model = resolvePlan(project, { environments: ['dev'] }).environments[0].models.find((m) => m.name === 'fraud-detector')!;
  const sm = fake.clients().sagemaker;
  await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'acme-fraud-detector' }));
  for (const label of ['7', '8', '9']) {
    await sm.send(new CreateModelPackageCommand({
      ModelPackageGroupName: 'acme-fraud-detector',
      ModelApprovalStatus: 'PendingManualApproval',
      CustomerMetadataProperties: { 'mlspec:version': label, 'metric:accuracy': '0.96', 'metric:f1': '0.92' },
      InferenceSpecification: { Containers: [{ Image: 'serve:1', ModelDataUrl: `s3://acme-models/fraud/${label}/model.tar.gz` }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
    }));
  }
  const definition = JSON.stringify(declaredDefinition(model)).replace(PLACEHOLDERS.kmsKeyArn, KEY);
  await sm.send(new CreatePipelineCommand({
    PipelineName: 'acme-fraud-detector-dev',
    RoleArn: 'arn:aws:iam::111111111111:role/acme-fraud-detector-dev-pipeline',
    PipelineDefinition: definition,
    ClientRequestToken: 'deploy-acme-fraud-detector-dev-000000000000',
  }));
}

const SPOT_RUN = {
  transitions: ['Starting', 'Downloading', 'Training', { status: 'Interrupted' as const, message: 'Spot interruption' }, 'Training', 'Uploading'] as never,
  metrics: { val_f1: 0.93, accuracy: 0.97, f1: 0.95 },
  billableSeconds: 1200,
  trainingSeconds: 3000,
};

const train = (...args: string[]) => run(['train', 'fraud-detector', '--env', 'dev', ...args], io());

describe('mlspec train --wait, one training run (no tuning)', () => {
  beforeEach(() => deploy(NO_TUNING(EXAMPLE_SPEC)));

  it('follows the run to a registered version carrying its metrics, with --set applied', async () => {
    fake.pipelines.scriptJobs([SPOT_RUN]);
    expect(await train('--wait', '--set', 'epochs=20')).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^started fraud-detector training in dev on sagemaker: arn:aws:sagemaker:us-east-1:111111111111:pipeline\/acme-fraud-detector-dev\/execution\/[a-z0-9]{12}\n/);
    // The job's secondary status, spot interruption included, then metrics, each gate, the version.
    expect(out).toContain('Train job: Interrupted (Spot interruption)');
    expect(out).toContain('Train job: Uploading');
    expect(out).toContain('Train final metrics: val_f1=0.93 accuracy=0.97 f1=0.95');
    expect(out).toContain('pass  registry.gates.accuracy: accuracy >= 0.95, the run has 0.97');
    expect(out).toContain('pass  registry.gates.f1: f1 >= 0.9, the run has 0.95');
    expect(out).toContain('Register: Succeeded');
    expect(out).toMatch(/registered fraud-detector version 4 \(arn:aws:sagemaker:us-east-1:111111111111:model-package\/acme-fraud-detector\/4\); serve it with "4" in releases.yaml\n$/);

    const pkg = fake.groups.get('acme-fraud-detector')!.packages[3];
    expect(pkg.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(pkg.CustomerMetadataProperties).toEqual(expect.objectContaining({ 'metric:accuracy': '0.97', 'metric:f1': '0.95', 'metric:val_f1': '0.93' }));
    expect(pkg.InferenceSpecification.Containers[0].Image).toBe('763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu');
    // Named by its number, so label lookups leave it out of their scans.
    expect(fake.tags.get(pkg.ModelPackageArn)).toEqual(expect.objectContaining({ 'mlspec:trained': 'true' }));

    // --set reached the job: as a hyperparameter and as the command's argument.
    const described = await fake.clients().sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: [...fake.pipelines.trainingJobs.keys()][0] }));
    expect(described.HyperParameters?.epochs).toBe('20');
    expect(described.AlgorithmSpecification?.ContainerArguments).toEqual(['python', 'train.py', '--epochs', '20', '--lr', '0.001']);
    expect(described.ResourceConfig).toEqual(expect.objectContaining({ InstanceType: 'ml.p4d.24xlarge', InstanceCount: 2 }));
  });

  it('a failed gate exits 1 with the run\'s own reason, marks the gate, and registers nothing', async () => {
    fake.pipelines.scriptJobs([{ ...SPOT_RUN, metrics: { val_f1: 0.9, accuracy: 0.93, f1: 0.95 } }]);
    expect(await train('--wait')).toBe(1);
    expect(out).toContain('FAIL  registry.gates.accuracy: accuracy >= 0.95, the run has 0.93');
    expect(out).toContain('pass  registry.gates.f1: f1 >= 0.9, the run has 0.95');
    expect(err).toMatch(/^run [a-z0-9]{12} of fraud-detector in dev failed, nothing was registered: registry\.gates refused this run: accuracy is 0\.93 \(needs >= 0\.95\), f1 is 0\.95 \(needs >= 0\.9\); the version was not registered\n$/);
    expect(fake.groups.get('acme-fraud-detector')!.packages).toHaveLength(3);
  });

  it('a failed training job exits 1 with SageMaker\'s failure reason', async () => {
    fake.pipelines.scriptJobs([{ transitions: ['Starting', 'Downloading', 'Training'], failure: 'AlgorithmError: CUDA out of memory' }]);
    expect(await train('--wait')).toBe(1);
    expect(out).toContain('Train: Failed: ClientError: AlgorithmError: CUDA out of memory');
    expect(err).toMatch(/failed, nothing was registered: .*AlgorithmError: CUDA out of memory\n$/);
  });

  it('mlspec runs lists the runs, newest first, with billed time, cost, the spot saving, metrics and the version', async () => {
    fake.pipelines.scriptJobs([SPOT_RUN, { transitions: ['Starting', 'Training'], failure: 'AlgorithmError: CUDA out of memory' }]);
    expect(await train('--wait')).toBe(0);
    expect(await train('--wait')).toBe(1);
    out = '';
    expect(await run(['runs', 'fraud-detector', '--env', 'dev', '--json'], io())).toBe(0);
    const listed = JSON.parse(out);
    expect(listed).toEqual(expect.objectContaining({ schemaVersion: 1, model: 'fraud-detector', environment: 'dev', provider: 'sagemaker' }));
    expect(listed.runs.map((r: any) => [r.status, r.version])).toEqual([['Failed', undefined], ['Succeeded', '4']]);
    const ok = listed.runs[1];
    // Two nodes, 1200 s billed each of 3000 s trained: 60 % saved; ml.p4d.24xlarge at the catalog's price.
    expect(ok.billableSeconds).toBe(2400);
    expect(ok.spotSavingPercent).toBe(60);
    expect(ok.costUsd).toBeGreaterThan(0);
    expect(ok.metrics).toEqual({ val_f1: 0.93, accuracy: 0.97, f1: 0.95 });
    expect(listed.runs[0].reason).toContain('CUDA out of memory');

    out = '';
    expect(await run(['runs', 'fraud-detector', '--env', 'dev'], io())).toBe(0);
    expect(out).toMatch(/^fraud-detector in dev \(sagemaker\), newest first:\n {2}run +started +took +status +billed +cost +metrics +version\n/);
    expect(out).toMatch(/Succeeded +40m +\$[\d,.]+ \(spot saved 60%\) +val_f1=0\.93 accuracy=0\.97 f1=0\.95 +4\n/);
    expect(out).toContain('why runs failed:');
  });

  it('--json --wait prints one document: how the run ended', async () => {
    fake.pipelines.scriptJobs([SPOT_RUN]);
    expect(await train('--wait', '--json')).toBe(0);
    const doc = JSON.parse(out);
    expect(doc).toEqual(expect.objectContaining({ schemaVersion: 1, model: 'fraud-detector', environment: 'dev', provider: 'sagemaker', status: 'registered', version: '4', metrics: { val_f1: 0.93, accuracy: 0.97, f1: 0.95 } }));
    expect(doc.runId).toMatch(/execution\/[a-z0-9]{12}$/);
  });

  it('Ctrl-C detaches: the run goes on, and the printed command follows it to the end', async () => {
    fake.pipelines.scriptJobs([SPOT_RUN]);
    controller.abort();
    expect(await train('--wait')).toBe(130);
    const follow = /Follow it again with:\n {2}npx mlspec runs fraud-detector --env dev --follow ([a-z0-9]{12})\n$/.exec(out);
    expect(follow).not.toBeNull();
    controller = new AbortController();
    out = '';
    expect(await run(['runs', 'fraud-detector', '--env', 'dev', '--follow', follow![1]], io())).toBe(0);
    expect(out).toContain('registered fraud-detector version 4');
  });
});

describe('mlspec train --wait, a tuning run (the bundled example)', () => {
  beforeEach(() => deploy());

  it('tunes, takes the best trial\'s model and metrics through the stack\'s handler, and registers them', async () => {
    fake.pipelines.defaultScript = { transitions: ['Starting', 'Training', 'Uploading'], metrics: { val_f1: 0.9, accuracy: 0.96, f1: 0.93 } };
    fake.pipelines.scriptJobs([{ transitions: ['Starting', 'Training', 'Uploading'], metrics: { val_f1: 0.94, accuracy: 0.975, f1: 0.951 } }]);
    expect(await train('--wait')).toBe(0);
    expect(out).toMatch(/Tune job: trials 20 completed, 0 running of 20\n/);
    expect(out).toContain('BestTrial final metrics: val_f1=0.94 accuracy=0.975 f1=0.951');
    const pkg = fake.groups.get('acme-fraud-detector')!.packages[3];
    expect(pkg.CustomerMetadataProperties).toEqual(expect.objectContaining({ 'metric:val_f1': '0.94', 'metric:accuracy': '0.975' }));
    const best = pkg.CustomerMetadataProperties['mlspec:trainingJob'];
    expect(pkg.InferenceSpecification.Containers[0].ModelDataUrl).toBe(`s3://acme-models/fraud/${best}/output/model.tar.gz`);
  });
});

describe('a trained version serves by its label and is promoted with gates that read its metrics', () => {
  // dev and staging in one account share the model's registry group (across accounts: ARCHITECTURE.md, Known gaps).
  beforeEach(() => deploy(NO_TUNING(EXAMPLE_SPEC).replace('aws:   { account: "222222222222", region: us-east-1 }', 'aws:   { account: "111111111111", region: us-east-1 }')));

  it('registers 4, serves 4 in dev from the registry, and promotes 4 to staging', async () => {
    fake.pipelines.scriptJobs([SPOT_RUN]);
    expect(await train('--wait')).toBe(0);
    // releases.yaml serves the trained label in dev.
    writeFileSync(path.join(dir, 'releases.yaml'), EXAMPLE_RELEASES.replace('fraud-detector: { traffic: { "8": 100 }, shadow: { version: "9", percent: 20 } }', 'fraud-detector: { traffic: { "4": 100 } }'));
    const project = loadProject({ specPath: path.join(dir, 'mlspec.yaml'), releasesPath: path.join(dir, 'releases.yaml') });
    const dev = resolvePlan(project, { environments: ['dev'] }).environments[0].models.find((m) => m.name === 'fraud-detector')!;
    expect(dev.sagemaker!.serving!.variants[0]).toEqual(expect.objectContaining({ version: '4', modelPackageArn: 'arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/4' }));

    // dev's endpoint serves v4 (as cdk deploy of that releases.yaml leaves it).
    const sm = fake.clients().sagemaker;
    await sm.send(new CreateModelCommand({ ModelName: 'm4', ExecutionRoleArn: 'arn:aws:iam::111111111111:role/acme-fraud-detector-dev-execution', PrimaryContainer: { ModelPackageName: 'arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud-detector/4' } }));
    await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'acme-fraud-detector-dev-c1', ProductionVariants: [{ VariantName: 'v4', ModelName: 'm4', InstanceType: 'ml.g4dn.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 100 }] }));
    await sm.send(new CreateEndpointCommand({ EndpointName: 'acme-fraud-detector-dev', EndpointConfigName: 'acme-fraud-detector-dev-c1' }));
    out = '';
    const now = () => new Date((1700000000 + 60 + 3 * 3600) * 1000);
    const code = await run(['promote', 'fraud-detector', '4', '--to', 'staging', '--percent', '10', '--dry-run'], io({ now }));
    expect([code, err]).toEqual([0, '']);
    expect(out).toContain('pass  registry.gates.accuracy: accuracy >= 0.95: version 4 has 0.97 (from the sagemaker registry)');
    expect(out).toContain('pass  promotion.from: version 4 serves in dev');
    expect(out).toContain('pass  promotion.minSoak');
  });
});

describe('mlspec train: errors a user can act on', () => {
  it('a stack not deployed yet: which cdk deploy to run', async () => {
    writeFileSync(path.join(dir, 'mlspec.yaml'), EXAMPLE_SPEC);
    writeFileSync(path.join(dir, 'releases.yaml'), EXAMPLE_RELEASES);
    expect(await train()).toBe(1);
    expect(err).toBe('the training pipeline acme-fraud-detector-dev is not deployed in dev yet; deploy the model\'s stack first: npx cdk deploy acme-fraud-detector-dev\n');
  });

  it('a model without training, an unknown or tuned --set key, a malformed --set', async () => {
    await deploy();
    expect(await run(['train', 'search-ranker', '--env', 'dev'], io())).toBe(2);
    expect(err).toBe('error: search-ranker has no training section in the spec, so there is nothing to run; add training: to models.search-ranker (docs/SPEC.md)\n');
    err = '';
    expect(await run(['train', 'fraud-detektor', '--env', 'dev'], io())).toBe(2);
    expect(err).toBe('error: model "fraud-detektor" is not in the spec (it has fraud-detector, search-ranker, support-assistant); did you mean "fraud-detector"?\n');
    err = '';
    expect(await run(['train', 'fraud-detector', '--env', 'qa'], io())).toBe(2);
    expect(err).toBe('error: --env: environment "qa" is not in the spec; expected one of dev, staging, prod\n');
    err = '';
    expect(await run(['runs', 'fraud-detector', '--env', 'dev', '--max', '0'], io())).toBe(2);
    expect(err).toBe('error: --max: write a whole number of runs, such as 10\n');
    err = '';
    // fraud-detector trains on SageMaker (training.provider), though it also serves on Azure ML.
    expect(await train('--provider', 'azureml')).toBe(2);
    expect(err).toBe('error: --provider: fraud-detector trains on sagemaker in dev, not on "azureml"\n');
    err = '';
    expect(await train('--provider', 'vertex')).toBe(2);
    expect(err).toBe('error: --provider: fraud-detector trains on sagemaker in dev, not on "vertex"\n');
    err = '';
    // Training on Azure ML runs through the environment's state machine: before the handlers stack is deployed, a run says which deploy makes it.
    // (Azure's Bayesian sampling takes no log range, so this sweep samples at random.)
    writeFileSync(path.join(dir, 'mlspec.yaml'), EXAMPLE_SPEC.replace('provider: sagemaker ', 'provider: azureml ').replace('        parallelTrials: 4\n', '        parallelTrials: 4\n        strategy: random\n'));
    const sfn = new FakeStepFunctions();
    await sfn.start();
    try {
      const jobs = (p: Provider, env: EnvironmentPlan) => (p === 'azureml' ? new StateMachineTrainingRunner({ provider: p, aws: env.aws!, sfn: () => sfn.client(), jobDryRun: azureMlDryRun }) : undefined);
      expect(await run(['train', 'fraud-detector', '--env', 'dev'], io({ trainers: jobs }))).toBe(1);
      expect(err).toBe("the azureml training state machine mlspec-acme-dev-azureml-training is not deployed in dev yet; deploy the environment's handlers stack first: npx cdk deploy acme-handlers-dev\n");
      err = '';
      expect(await run(['runs', 'fraud-detector', '--env', 'dev'], io({ trainers: jobs }))).toBe(1);
      expect(err).toBe("the azureml training state machine mlspec-acme-dev-azureml-training is not deployed in dev yet; deploy the environment's handlers stack first: npx cdk deploy acme-handlers-dev\n");
    } finally {
      await sfn.stop();
    }
    writeFileSync(path.join(dir, 'mlspec.yaml'), EXAMPLE_SPEC.replace('provider: sagemaker ', 'provider: azureml ').replace('        parallelTrials: 4\n', '        parallelTrials: 4\n        strategy: random\n'));
    // The dry run shows the environment and the sweep job a run will submit, with --set applied.
    out = '';
    expect(await train('--dry-run', '--json', '--set', 'epochs=3', '--set', 'inputs.train=azureml://datastores/data/paths/fraud/train-v2/')).toBe(0);
    const dry = JSON.parse(out);
    expect([dry.provider, dry.region, dry.declared]).toEqual(['azureml', 'eastus', undefined]);
    expect(dry.requests.map((r: any) => [r.service, r.operation])).toEqual([['azureml', 'PUT environment version'], ['azureml', 'PUT sweep job']]);
    const job = dry.requests[1].input;
    expect(job.path).toMatch(/^\/subscriptions\/00000000-0000-0000-0000-000000000001\/resourceGroups\/ml-dev\/providers\/Microsoft.MachineLearningServices\/workspaces\/acme-dev\/jobs\/acme-fraud-detector-dev-r\d{8}t\d{6}-[a-z0-9]{4}$/);
    expect(job.body.properties.trial.command).toContain('python train.py --epochs 3 --lr ${{search_space.lr}}');
    expect(job.body.properties.inputs.train.uri).toBe('azureml://datastores/data/paths/fraud/train-v2/');
    out = '';
    expect(await train('--dry-run')).toBe(0);
    expect(out).toMatch(/^dry run: nothing is sent\. mlspec train would send, to azureml in eastus:\n  PUT environment version \(registers the training image/);
    expect(out).toMatch(/azureml runs start from the environment's training state machine, and dev has no aws block: this is the job a run would submit\n$/);
    writeFileSync(path.join(dir, 'mlspec.yaml'), EXAMPLE_SPEC);
    err = '';
    expect(await train('--set', 'epoch=3')).toBe(2);
    expect(err).toBe('error: --set epoch: fraud-detector has no hyperparameter or input "epoch" (it takes epochs, inputs.train); did you mean "epochs"?\n');
    err = '';
    expect(await train('--set', 'lr=0.1')).toBe(2);
    expect(err).toBe('error: --set lr: lr is searched by training.tuning.parameters.lr; a run cannot fix it (remove it from tuning to set it)\n');
    err = '';
    expect(await train('--set', 'epochs')).toBe(2);
    expect(err).toBe('error: --set epochs: write key=value, such as epochs=20 or inputs.train=s3://bucket/prefix/\n');
    // None of these started a run.
    expect(fake.calls.filter((c) => c === 'SageMaker.StartPipelineExecution')).toEqual([]);
  });

  it('a call SageMaker refuses: says which provider refused it, in which environment, and why', async () => {
    await deploy();
    fake.faults.set('StartPipelineExecution', { type: 'AccessDeniedException', message: 'User: arn:aws:sts::111111111111:assumed-role/dev/me is not authorized to perform: sagemaker:StartPipelineExecution' });
    expect(await train()).toBe(1);
    expect(err).toBe('sagemaker refused the call in dev: User: arn:aws:sts::111111111111:assumed-role/dev/me is not authorized to perform: sagemaker:StartPipelineExecution\n');
  });

  it('no AWS credentials: says how to sign in', async () => {
    writeFileSync(path.join(dir, 'mlspec.yaml'), EXAMPLE_SPEC);
    writeFileSync(path.join(dir, 'releases.yaml'), EXAMPLE_RELEASES);
    const empty = path.join(dir, 'empty-aws-config');
    writeFileSync(empty, '');
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) delete process.env[k];
    Object.assign(process.env, { AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, AWS_EC2_METADATA_DISABLED: 'true' });
    try {
      // The default runner: the SDK's own credential chain, as a user's shell has it.
      expect(await run(['train', 'fraud-detector', '--env', 'dev'], io({ trainers: undefined }))).toBe(1);
    } finally {
      process.env = saved;
    }
    expect(err).toBe('cannot reach sagemaker in account 111111111111 (us-east-1) for dev: no AWS credentials were found; sign in (aws sso login, or set AWS_PROFILE) and run again\n');
  });

  it('--dry-run --json sends nothing and prints the requests and the declared definition', async () => {
    await deploy();
    const from = fake.calls.length;
    expect(await train('--dry-run', '--json', '--set', 'epochs=3')).toBe(0);
    expect(fake.calls.slice(from)).toEqual([]);
    const dry = JSON.parse(out);
    expect(dry.requests.map((r: any) => r.operation)).toEqual(['DescribePipeline', 'StartPipelineExecution']);
    expect(dry.requests[1].input.PipelineParameters).toEqual([{ Name: 'hp_epochs', Value: '3' }, { Name: 'input_train', Value: 's3://acme-data/fraud/train/' }]);
    expect(dry.declared.definition.Steps.map((s: any) => s.Name)).toEqual(['Tune', 'BestTrial', 'Gates']);
  });
});

it('the steps the fake ran are the steps the definition declares', async () => {
  await deploy(NO_TUNING(EXAMPLE_SPEC));
  fake.pipelines.scriptJobs([SPOT_RUN]);
  expect(await train('--wait')).toBe(0);
  const arn = /execution\/[a-z0-9]{12}/.exec(out)![0];
  const steps = await fake.clients().sagemaker.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: `arn:aws:sagemaker:us-east-1:111111111111:pipeline/acme-fraud-detector-dev/${arn}` }));
  expect(steps.PipelineExecutionSteps!.map((s) => s.StepName)).toEqual(['Register', 'Gates', 'Train']);
});
