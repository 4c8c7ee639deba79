import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreatePipelineCommand,
  DeletePipelineCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeModelPackageCommand,
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  DescribeTrainingJobCommand,
  ListPipelineExecutionsCommand,
  ListPipelineExecutionStepsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  PipelineExecutionStep,
  SageMakerClient,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  UpdatePipelineCommand,
} from '@aws-sdk/client-sagemaker';
import { javaDouble, TICK_SECONDS } from './pipelines';
import { FakeSageMaker } from './server';

const ROLE = 'arn:aws:iam::111111111111:role/mlspec-pipelines';
const LAMBDA = 'arn:aws:lambda:us-east-1:111111111111:function:mlspec-gate';

/** The CreateTrainingJob request a Training step carries, without TrainingJobName. */
function trainingArgs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AlgorithmSpecification: {
      TrainingImage: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud-train:1',
      TrainingInputMode: 'File',
      MetricDefinitions: [
        { Name: 'val_f1', Regex: 'val_f1=([0-9.]+)' },
        { Name: 'accuracy', Regex: 'accuracy=([0-9.]+)' },
      ],
    },
    RoleArn: ROLE,
    OutputDataConfig: { S3OutputPath: 's3://acme-models/fraud/' },
    InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: { Get: 'Parameters.TrainData' } } } }],
    ResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 50 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    HyperParameters: { epochs: '10', lr: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.LearningRate' }] } } },
    ...extra,
  };
}

function registerArgs(modelDataUrl: unknown, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ModelPackageGroupName: 'acme-fraud',
    ModelApprovalStatus: 'PendingManualApproval',
    InferenceSpecification: {
      Containers: [{ Image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud-serve:1', ModelDataUrl: modelDataUrl }],
      SupportedContentTypes: ['application/json'],
      SupportedResponseMIMETypes: ['application/json'],
    },
    CustomerMetadataProperties: metadata,
  };
}

const PARAMETERS = [
  { Name: 'TrainData', Type: 'String', DefaultValue: 's3://acme-data/fraud/train/' },
  { Name: 'LearningRate', Type: 'Float', DefaultValue: 0.001 },
  { Name: 'Threshold', Type: 'Float', DefaultValue: 0.9 },
];

const F1 = { Get: "Steps.Train.FinalMetricDataList['val_f1'].Value" };

/** Train → Condition on val_f1 → RegisterModel, else Fail with a joined message. */
function gatedDefinition(train: Record<string, unknown> = trainingArgs()): Record<string, any> {
  return structuredClone({
    Version: '2020-12-01',
    Metadata: {},
    Parameters: PARAMETERS,
    Steps: [
      { Name: 'Train', Type: 'Training', Arguments: train },
      {
        Name: 'CheckF1',
        Type: 'Condition',
        Arguments: {
          Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: F1, RightValue: { Get: 'Parameters.Threshold' } }],
          IfSteps: [{
            Name: 'Register',
            Type: 'RegisterModel',
            Arguments: registerArgs({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, {
              'mlspec:version': { 'Std:Join': { On: '-', Values: ['run', { Get: 'Execution.PipelineExecutionId' }] } },
              'metric:val_f1': { 'Std:Join': { On: '', Values: [F1] } },
              'training-job': { Get: 'Steps.Train.TrainingJobName' },
            }),
          }],
          ElseSteps: [{
            Name: 'TooWeak',
            Type: 'Fail',
            Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['val_f1', F1, 'is below', { Get: 'Parameters.Threshold' }] } } },
          }],
        },
      },
    ],
  });
}

describe('fake SageMaker Pipelines, through the real SageMakerClient', () => {
  let fake: FakeSageMaker;
  let sm: SageMakerClient;

  beforeEach(async () => {
    fake = new FakeSageMaker();
    await fake.start();
    sm = fake.clients().sagemaker;
  });
  afterEach(() => fake.stop());

  async function createPipeline(definition: unknown, name = 'acme-fraud-train') {
    return sm.send(new CreatePipelineCommand({
      PipelineName: name,
      RoleArn: ROLE,
      PipelineDefinition: typeof definition === 'string' ? definition : JSON.stringify(definition),
      ClientRequestToken: `create-${name}-00000000000000000000000000`,
    }));
  }

  async function start(parameters: Record<string, string> = {}, name = 'acme-fraud-train') {
    const out = await sm.send(new StartPipelineExecutionCommand({
      PipelineName: name,
      PipelineParameters: Object.entries(parameters).map(([Name, Value]) => ({ Name, Value })),
    }));
    return out.PipelineExecutionArn!;
  }

  /** Polls as a CLI would; every describe is one tick of the fake clock. */
  async function waitFor(arn: string) {
    for (let i = 0; i < 100; i++) {
      const d = await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
      if (d.PipelineExecutionStatus !== 'Executing' && d.PipelineExecutionStatus !== 'Stopping') return d;
    }
    throw new Error('execution did not end');
  }

  async function steps(arn: string): Promise<PipelineExecutionStep[]> {
    return (await sm.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn }))).PipelineExecutionSteps!;
  }

  async function seedRegistry(existing = 1) {
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'acme-fraud' }));
    for (let i = 0; i < existing; i++) {
      await sm.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'acme-fraud', InferenceSpecification: { Containers: [{ Image: 'old:1' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] } }));
    }
  }

  describe('running the real definition', () => {
    it('trains on spot, passes the gate and registers the next version with resolved metadata', async () => {
      await seedRegistry(1);
      await createPipeline(gatedDefinition(trainingArgs({
        EnableManagedSpotTraining: true,
        StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
        CheckpointConfig: { S3Uri: 's3://acme-models/fraud/checkpoints/' },
      })));
      fake.pipelines.scriptJobs([{
        transitions: ['Starting', 'Downloading', 'Training', { status: 'Interrupted', message: 'Spot interruption' }, 'Training', 'Uploading'],
        metrics: { val_f1: 0.93, accuracy: 0.97, not_defined: 1 },
        billableSeconds: 1200,
        trainingSeconds: 3000,
      }]);
      const t0 = fake.pipelines.now;
      const arn = await start({ LearningRate: '0.01' });
      expect(arn).toMatch(/^arn:aws:sagemaker:us-east-1:111111111111:pipeline\/acme-fraud-train\/execution\/[a-z0-9]{12}$/);

      const done = await waitFor(arn);
      expect(done.PipelineExecutionStatus).toBe('Succeeded');
      expect(done.FailureReason).toBeUndefined();
      expect(done.PipelineExecutionDisplayName).toBe(`execution-${t0 * 1000}`);

      const list = await steps(arn);
      // Newest first, as SageMaker lists them; the branch not taken never appears.
      expect(list.map((s) => [s.StepName, s.StepStatus])).toEqual([['Register', 'Succeeded'], ['CheckF1', 'Succeeded'], ['Train', 'Succeeded']]);
      expect(list[1].Metadata?.Condition?.Outcome).toBe('True');

      const jobArn = list[2].Metadata!.TrainingJob!.Arn!;
      const jobName = jobArn.split('/')[1];
      const executionId = arn.split('/').pop()!;
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
      expect(job.TrainingJobName).toMatch(new RegExp(`^pipelines-${executionId}-Train-[A-Za-z0-9]{10}$`));
      expect(job.TrainingJobArn).toBe(`arn:aws:sagemaker:us-east-1:111111111111:training-job/${job.TrainingJobName!.toLowerCase()}`);
      expect(job.TrainingJobStatus).toBe('Completed');
      expect(job.SecondaryStatusTransitions!.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Interrupted', 'Training', 'Uploading', 'Completed']);
      expect(job.SecondaryStatusTransitions![3].StatusMessage).toBe('Spot interruption');
      expect(job.SecondaryStatusTransitions![1].StartTime!.getTime() - job.SecondaryStatusTransitions![0].StartTime!.getTime()).toBe(TICK_SECONDS * 1000);
      // Only defined metrics are reported.
      expect(job.FinalMetricDataList!.map((m) => [m.MetricName, m.Value])).toEqual([['val_f1', 0.93], ['accuracy', 0.97]]);
      expect(job.ModelArtifacts!.S3ModelArtifacts).toBe(`s3://acme-models/fraud/${job.TrainingJobName}/output/model.tar.gz`);
      expect(job.EnableManagedSpotTraining).toBe(true);
      expect(job.BillableTimeInSeconds).toBe(1200);
      expect(job.TrainingTimeInSeconds).toBe(3000);
      // What the job was created with, with the expressions resolved.
      expect(job.HyperParameters).toEqual({ epochs: '10', lr: '0.01' });
      expect(job.InputDataConfig![0].DataSource!.S3DataSource!.S3Uri).toBe('s3://acme-data/fraud/train/');
      expect(job.ResourceConfig).toEqual({ InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 50 });
      expect(job.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
      expect(job.CreationTime!.getTime()).toBe(t0 * 1000);

      const registered = list[0].Metadata!.RegisterModel!.Arn!;
      expect(registered).toBe('arn:aws:sagemaker:us-east-1:111111111111:model-package/acme-fraud/2');
      const pkg = await sm.send(new DescribeModelPackageCommand({ ModelPackageName: registered }));
      expect(pkg.ModelPackageVersion).toBe(2);
      expect(pkg.CustomerMetadataProperties).toEqual({ 'mlspec:version': `run-${executionId}`, 'metric:val_f1': '0.93', 'training-job': job.TrainingJobName });
      expect(pkg.InferenceSpecification!.Containers![0].ModelDataUrl).toBe(job.ModelArtifacts!.S3ModelArtifacts);
    });

    it('ends Failed with the Fail step\'s joined message when the gate is not met', async () => {
      await seedRegistry(0);
      await createPipeline(gatedDefinition());
      fake.pipelines.scriptJobs([{ metrics: { val_f1: 0.5 } }]);
      const arn = await start({ Threshold: '1' });
      const done = await waitFor(arn);
      expect(done.PipelineExecutionStatus).toBe('Failed');
      // As SageMaker reports it: the execution's reason is generic, the step's is the message.
      expect(done.FailureReason).toBe('Step failure: One or multiple steps failed.');
      const list = await steps(arn);
      expect(list.map((s) => [s.StepName, s.StepStatus])).toEqual([['TooWeak', 'Failed'], ['CheckF1', 'Succeeded'], ['Train', 'Succeeded']]);
      // A Float joins as Java prints it: 1 → "1.0".
      expect(list[0].FailureReason).toBe('val_f1 0.5 is below 1.0');
      expect(list[0].Metadata!.Fail!.ErrorMessage).toBe('val_f1 0.5 is below 1.0');
      expect(list[1].Metadata!.Condition!.Outcome).toBe('False');
      const summaries = (await sm.send(new ListPipelineExecutionsCommand({ PipelineName: 'acme-fraud-train' }))).PipelineExecutionSummaries!;
      expect(summaries[0]).toMatchObject({ PipelineExecutionStatus: 'Failed', PipelineExecutionFailureReason: 'Step failure: One or multiple steps failed.' });
    });

    it('fails the step and the execution when the training job fails, with the scripted reason', async () => {
      await seedRegistry(0);
      await createPipeline(gatedDefinition());
      fake.pipelines.scriptJobs([{ transitions: ['Starting', 'Downloading', 'Training'], failure: 'AlgorithmError: ExecuteUserScriptError: exit code 1' }]);
      const arn = await start();
      const done = await waitFor(arn);
      expect(done.PipelineExecutionStatus).toBe('Failed');
      expect(done.FailureReason).toBe('Step failure: One or multiple steps failed.');
      const list = await steps(arn);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ StepName: 'Train', StepStatus: 'Failed', FailureReason: 'ClientError: AlgorithmError: ExecuteUserScriptError: exit code 1' });
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: list[0].Metadata!.TrainingJob!.Arn!.split('/')[1] }));
      expect(job).toMatchObject({ TrainingJobStatus: 'Failed', SecondaryStatus: 'Failed', FailureReason: 'AlgorithmError: ExecuteUserScriptError: exit code 1' });
      expect(job.FinalMetricDataList).toBeUndefined();
    });

    it('fails a step whose reference resolves to nothing, naming the path', async () => {
      await seedRegistry(0);
      await createPipeline(gatedDefinition());
      fake.pipelines.scriptJobs([{ metrics: { accuracy: 0.99 } }]); // val_f1 never emitted
      const arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Failed');
      const cond = (await steps(arn)).find((s) => s.StepName === 'CheckF1')!;
      expect(cond.StepStatus).toBe('Failed');
      expect(cond.FailureReason).toBe("Cannot resolve Steps.Train.FinalMetricDataList['val_f1'].Value: Steps.Train.FinalMetricDataList has no element with key 'val_f1'.");
    });

    it('runs a Tuning step\'s trials and picks the best by the objective', async () => {
      await seedRegistry(0);
      const { Tags: _t, ...rest } = trainingArgs() as Record<string, any>;
      const definition = {
        Version: '2020-12-01',
        Parameters: PARAMETERS,
        Steps: [
          {
            Name: 'Tune',
            Type: 'Tuning',
            Arguments: {
              HyperParameterTuningJobConfig: {
                Strategy: 'Bayesian',
                HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val_f1' },
                ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 2 },
                ParameterRanges: {
                  ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.001', MaxValue: '0.1', ScalingType: 'Logarithmic' }],
                  CategoricalParameterRanges: [{ Name: 'optimizer', Values: ['adam', 'sgd'] }],
                },
              },
              TrainingJobDefinition: {
                AlgorithmSpecification: rest.AlgorithmSpecification,
                RoleArn: ROLE,
                OutputDataConfig: rest.OutputDataConfig,
                InputDataConfig: rest.InputDataConfig,
                ResourceConfig: rest.ResourceConfig,
                StoppingCondition: rest.StoppingCondition,
                StaticHyperParameters: { epochs: '10' },
              },
            },
          },
          {
            Name: 'RegisterBest',
            Type: 'RegisterModel',
            Arguments: registerArgs(
              { 'Std:Join': { On: '/', Values: ['s3:/', 'acme-models', 'fraud', { Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' }, 'output/model.tar.gz'] } },
              { 'best-job': { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' }, 'best-f1': { 'Std:Join': { Values: [{ Get: 'Steps.Tune.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value' }] } } },
            ),
          },
        ],
      };
      await createPipeline(definition);
      fake.pipelines.scriptJobs([{ metrics: { val_f1: 0.8 } }, { metrics: { val_f1: 0.95 } }, { metrics: { val_f1: 0.9 } }]);
      const arn = await start();
      const done = await waitFor(arn);
      expect(done.PipelineExecutionStatus).toBe('Succeeded');
      const list = await steps(arn);
      const tuningName = list.find((s) => s.StepName === 'Tune')!.Metadata!.TuningJob!.Arn!.split('/')[1];
      expect(tuningName.length).toBeLessThanOrEqual(32);

      const tuning = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuningName }));
      expect(tuning.HyperParameterTuningJobStatus).toBe('Completed');
      expect(tuning.TrainingJobStatusCounters).toEqual({ Completed: 3, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 });
      expect(tuning.ObjectiveStatusCounters).toEqual({ Succeeded: 3, Pending: 0, Failed: 0 });
      // The ARN holds the name lower-cased; trials are named <tuning job>-<NNN>-<8 hex>.
      expect(tuning.HyperParameterTuningJobName!.toLowerCase()).toBe(tuningName);
      expect(tuning.BestTrainingJob!.TrainingJobName).toMatch(new RegExp(`^${tuning.HyperParameterTuningJobName}-002-[0-9a-f]{8}$`));
      expect(tuning.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric).toMatchObject({ MetricName: 'val_f1', Value: 0.95 });
      expect(tuning.BestTrainingJob!.TunedHyperParameters).toEqual({ lr: String(0.001 + (0.1 - 0.001) * 0.5), optimizer: 'sgd' });

      const trials = (await sm.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuningName }))).TrainingJobSummaries!;
      expect(trials.map((t) => t.FinalHyperParameterTuningJobObjectiveMetric?.Value)).toEqual([0.8, 0.95, 0.9]);
      const trial = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: trials[0].TrainingJobName }));
      expect(trial.TuningJobArn).toBe(tuning.HyperParameterTuningJobArn);
      expect(trial.HyperParameters).toEqual({ epochs: '10', lr: String(0.001 + (0.1 - 0.001) * 0.25), optimizer: 'adam' });

      const pkg = await sm.send(new DescribeModelPackageCommand({ ModelPackageName: list[0].Metadata!.RegisterModel!.Arn! }));
      const best = tuning.BestTrainingJob!.TrainingJobName!;
      expect(pkg.CustomerMetadataProperties).toEqual({ 'best-job': best, 'best-f1': '0.95' });
      expect(pkg.InferenceSpecification!.Containers![0].ModelDataUrl).toBe(`s3://acme-models/fraud/${best}/output/model.tar.gz`);
    });

    it('calls a Lambda step\'s registered function and reads its outputs', async () => {
      await seedRegistry(0);
      const events: unknown[] = [];
      fake.pipelines.lambdas.set(LAMBDA, async (event) => {
        events.push(event);
        return { version: 7, approved: true, note: 'ok', extra: 'ignored' };
      });
      await createPipeline({
        Version: '2020-12-01',
        Parameters: [{ Name: 'Model', Type: 'String', DefaultValue: 'fraud' }],
        Steps: [
          {
            Name: 'Gate',
            Type: 'Lambda',
            FunctionArn: LAMBDA,
            OutputParameters: [{ OutputName: 'version', OutputType: 'Integer' }, { OutputName: 'approved', OutputType: 'Boolean' }, { OutputName: 'note', OutputType: 'String' }],
            Arguments: { model: { Get: 'Parameters.Model' }, run: { Get: 'Execution.PipelineExecutionId' }, n: 3 },
          },
          {
            Name: 'IfApproved',
            Type: 'Condition',
            Arguments: {
              Conditions: [{ Type: 'Equals', LeftValue: { Get: "Steps.Gate.OutputParameters['approved']" }, RightValue: true }],
              IfSteps: [{
                Name: 'Register',
                Type: 'RegisterModel',
                Arguments: registerArgs('s3://acme-models/fraud/model.tar.gz', {
                  'lambda:version': { 'Std:Join': { On: ' ', Values: ['v', { Get: "Steps.Gate.OutputParameters['version']" }, { Get: "Steps.Gate.OutputParameters['note']" }] } },
                }),
              }],
            },
          },
        ],
      });
      const arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Succeeded');
      expect(events).toEqual([{ model: 'fraud', run: arn.split('/').pop(), n: 3 }]);
      const list = await steps(arn);
      const gate = list.find((s) => s.StepName === 'Gate')!;
      expect(gate.Metadata!.Lambda).toEqual({ Arn: LAMBDA, OutputParameters: [{ Name: 'version', Value: '7' }, { Name: 'approved', Value: 'true' }, { Name: 'note', Value: 'ok' }] });
      const pkg = await sm.send(new DescribeModelPackageCommand({ ModelPackageName: list[0].Metadata!.RegisterModel!.Arn! }));
      expect(pkg.CustomerMetadataProperties).toEqual({ 'lambda:version': 'v 7 ok' });
    });

    it('lets a Lambda step\'s function call the fake itself (as a real function calls SageMaker)', async () => {
      fake.pipelines.lambdas.set(LAMBDA, async (event) => {
        const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: String(event.job) }));
        return { status: job.TrainingJobStatus };
      });
      await createPipeline({
        Version: '2020-12-01',
        Parameters: PARAMETERS,
        Steps: [
          { Name: 'Train', Type: 'Training', Arguments: trainingArgs() },
          { Name: 'Look', Type: 'Lambda', FunctionArn: LAMBDA, OutputParameters: [{ OutputName: 'status', OutputType: 'String' }], Arguments: { job: { Get: 'Steps.Train.TrainingJobName' } } },
        ],
      });
      const arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Succeeded');
      expect((await steps(arn))[0].Metadata!.Lambda!.OutputParameters).toEqual([{ Name: 'status', Value: 'Completed' }]);
    });

    it('fails a Lambda step whose function is not there, or whose answer lacks an output', async () => {
      const definition = {
        Version: '2020-12-01',
        Steps: [{ Name: 'Gate', Type: 'Lambda', FunctionArn: LAMBDA, OutputParameters: [{ OutputName: 'version', OutputType: 'Integer' }], Arguments: {} }],
      };
      await createPipeline(definition);
      let arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Failed');
      expect((await steps(arn))[0].FailureReason).toBe(`ResourceNotFoundException: Function not found: ${LAMBDA}`);

      fake.pipelines.lambdas.set(LAMBDA, () => ({ other: 1 }));
      arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Failed');
      expect((await steps(arn))[0].FailureReason).toBe(`The output of Lambda function ${LAMBDA} has no value for output parameter 'version'.`);
    });

    it('starts steps when their data dependencies and DependsOn are done, independent ones together', async () => {
      await createPipeline({
        Version: '2020-12-01',
        Parameters: PARAMETERS,
        Steps: [
          { Name: 'A', Type: 'Training', Arguments: trainingArgs() },
          { Name: 'B', Type: 'Training', Arguments: trainingArgs() },
          { Name: 'C', Type: 'Training', DependsOn: ['B'], Arguments: trainingArgs({ HyperParameters: { parent: { Get: 'Steps.A.TrainingJobName' } } }) },
        ],
      });
      fake.pipelines.scriptJobs([{ transitions: ['Training'] }, { transitions: ['Training', 'Training', 'Training'] }, { transitions: ['Training'] }]);
      const t0 = fake.pipelines.now;
      const arn = await start();
      await fake.pipelines.runToEnd();
      const list = await sm.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn, SortOrder: 'Ascending' }));
      const at = Object.fromEntries(list.PipelineExecutionSteps!.map((s) => [s.StepName, [(s.StartTime!.getTime() / 1000 - t0) / TICK_SECONDS, (s.EndTime!.getTime() / 1000 - t0) / TICK_SECONDS]]));
      // A and B start together; C waits for A (data) and B (DependsOn), which ends at tick 3.
      expect(at).toEqual({ A: [0, 1], B: [0, 3], C: [3, 4] });
      const c = list.PipelineExecutionSteps!.find((s) => s.StepName === 'C')!;
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: c.Metadata!.TrainingJob!.Arn!.split('/')[1] }));
      expect(job.HyperParameters!.parent).toMatch(/^pipelines-[a-z0-9]{12}-A-/);
    });

    it('evaluates Or, In, Not and NotEquals, and joins Outcome and execution variables', async () => {
      const p = (name: string) => ({ Get: `Parameters.${name}` });
      await createPipeline({
        Version: '2020-12-01',
        Parameters: [{ Name: 'Env', Type: 'String', DefaultValue: 'prod' }, { Name: 'Count', Type: 'Integer', DefaultValue: 3 }, { Name: 'Flag', Type: 'Boolean', DefaultValue: false }],
        Steps: [{
          Name: 'Route',
          Type: 'Condition',
          Arguments: {
            Conditions: [
              { Type: 'Or', Conditions: [{ Type: 'Equals', LeftValue: p('Env'), RightValue: 'staging' }, { Type: 'In', QueryValue: p('Env'), Values: ['prod', 'dev'] }] },
              { Type: 'Not', Condition: { Type: 'Equals', LeftValue: p('Flag'), RightValue: true } },
              { Type: 'NotEquals', LeftValue: p('Count'), RightValue: 4 },
              { Type: 'LessThan', LeftValue: p('Count'), RightValue: 3.5 },
            ],
            IfSteps: [{ Name: 'Small', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['small', p('Count'), { Get: 'Steps.Route.Outcome' }, { Get: 'Execution.PipelineName' }] } } } }],
          },
        }],
      });
      let arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Failed');
      let list = await steps(arn);
      expect(list.map((s) => [s.StepName, s.StepStatus, s.Metadata?.Condition?.Outcome])).toEqual([['Small', 'Failed', undefined], ['Route', 'Succeeded', 'True']]);
      expect(list[0].FailureReason).toBe('small 3 true acme-fraud-train');

      arn = await start({ Flag: 'true' });
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Succeeded');
      list = await steps(arn);
      expect(list.map((s) => [s.StepName, s.Metadata?.Condition?.Outcome])).toEqual([['Route', 'False']]);
    });

    it('refuses a condition step nested in another, as SageMaker Pipelines does', async () => {
      const nested = {
        Version: '2020-12-01',
        Steps: [{
          Name: 'Outer',
          Type: 'Condition',
          Arguments: {
            Conditions: [{ Type: 'Equals', LeftValue: 1, RightValue: 1 }],
            IfSteps: [{ Name: 'Inner', Type: 'Condition', Arguments: { Conditions: [{ Type: 'Equals', LeftValue: 2, RightValue: 2 }] } }],
          },
        }],
      };
      await expect(createPipeline(nested)).rejects.toThrow("Unable to parse pipeline definition. Condition step 'Inner' is nested in the IfSteps of Condition step 'Outer'; SageMaker Pipelines does not support nested condition steps.");
    });

    it('fails a Condition step whose operands are of different kinds', async () => {
      await createPipeline({
        Version: '2020-12-01',
        Parameters: [{ Name: 'Env', Type: 'String', DefaultValue: '3' }],
        Steps: [{ Name: 'Check', Type: 'Condition', Arguments: { Conditions: [{ Type: 'Equals', LeftValue: { Get: 'Parameters.Env' }, RightValue: 3 }] } }],
      });
      const arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Failed');
      expect((await steps(arn))[0].FailureReason).toBe('Condition of type [Equals] not supported between [3] of type [String] and [3] of type [Integer]');
    });

    it('stops the running step and its job: Stopping, then Stopped', async () => {
      await createPipeline(gatedDefinition());
      fake.pipelines.scriptJobs([{ transitions: ['Starting', 'Downloading', 'Training', 'Training', 'Training', 'Training', 'Training'] }]);
      const arn = await start();
      await fake.pipelines.advance(2);
      await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: arn }));
      const first = await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
      expect(first.PipelineExecutionStatus).toBe('Stopping');
      expect((await steps(arn))[0].StepStatus).toBe('Stopped');
      const done = await waitFor(arn);
      expect(done.PipelineExecutionStatus).toBe('Stopped');
      const list = await steps(arn);
      expect(list.map((s) => [s.StepName, s.StepStatus])).toEqual([['Train', 'Stopped']]);
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: list[0].Metadata!.TrainingJob!.Arn!.split('/')[1] }));
      expect(job).toMatchObject({ TrainingJobStatus: 'Stopped', SecondaryStatus: 'Stopped' });
      expect(job.SecondaryStatusTransitions!.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Stopping', 'Stopped']);
    });

    it('stops a Tuning step: its trials stop, then the tuning job, then the execution', async () => {
      await createPipeline({
        Version: '2020-12-01',
        Parameters: PARAMETERS,
        Steps: [{
          Name: 'Tune',
          Type: 'Tuning',
          Arguments: {
            HyperParameterTuningJobConfig: { Strategy: 'Random', HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'val_f1' }, ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 } },
            TrainingJobDefinition: { ...(({ HyperParameters: _h, ...rest }) => rest)(trainingArgs() as Record<string, any>), StaticHyperParameters: { epochs: '1' } },
          },
        }],
      });
      const arn = await start();
      await fake.pipelines.advance(1);
      await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: arn }));
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Stopped');
      const [tune] = await steps(arn);
      expect(tune.StepStatus).toBe('Stopped');
      const tuning = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tune.Metadata!.TuningJob!.Arn!.split('/')[1] }));
      expect(tuning.HyperParameterTuningJobStatus).toBe('Stopped');
      expect(tuning.TrainingJobStatusCounters).toMatchObject({ Stopped: 2, InProgress: 0, Completed: 0 });
    });

    it('answers the same execution for the same ClientRequestToken, and lists executions newest first in pages', async () => {
      await createPipeline(gatedDefinition());
      const once = await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'acme-fraud-train', ClientRequestToken: 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }));
      const again = await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'acme-fraud-train', ClientRequestToken: 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }));
      expect(again.PipelineExecutionArn).toBe(once.PipelineExecutionArn);
      await fake.pipelines.advance(1);
      const other = await start({}, 'acme-fraud-train');
      const page1 = await sm.send(new ListPipelineExecutionsCommand({ PipelineName: 'acme-fraud-train', MaxResults: 1 }));
      expect(page1.PipelineExecutionSummaries!.map((s) => s.PipelineExecutionArn)).toEqual([other]);
      const page2 = await sm.send(new ListPipelineExecutionsCommand({ PipelineName: 'acme-fraud-train', MaxResults: 1, NextToken: page1.NextToken }));
      expect(page2.PipelineExecutionSummaries!.map((s) => s.PipelineExecutionArn)).toEqual([once.PipelineExecutionArn]);
      expect(page2.NextToken).toBeUndefined();
    });

    it('describes, updates and deletes pipelines as CloudFormation does', async () => {
      const created = await createPipeline(gatedDefinition(), 'Acme-Fraud');
      expect(created.PipelineArn).toBe('arn:aws:sagemaker:us-east-1:111111111111:pipeline/acme-fraud');
      const d = await sm.send(new DescribePipelineCommand({ PipelineName: 'Acme-Fraud' }));
      expect(d).toMatchObject({ PipelineName: 'Acme-Fraud', RoleArn: ROLE, PipelineStatus: 'Active', PipelineArn: created.PipelineArn });
      expect(JSON.parse(d.PipelineDefinition!)).toEqual(gatedDefinition());
      const changed = { ...gatedDefinition(), Parameters: [...PARAMETERS, { Name: 'Extra', Type: 'Integer', DefaultValue: 3 }] };
      const updated = await sm.send(new UpdatePipelineCommand({ PipelineName: 'Acme-Fraud', PipelineDefinition: JSON.stringify(changed) }));
      expect(updated.PipelineVersionId).toBe(2);
      expect(JSON.parse((await sm.send(new DescribePipelineCommand({ PipelineName: created.PipelineArn }))).PipelineDefinition!)).toEqual(changed);

      const running = await start({}, 'Acme-Fraud');
      await expect(sm.send(new DeletePipelineCommand({ PipelineName: 'Acme-Fraud' }))).rejects.toMatchObject({ name: 'ConflictException' });
      await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: running }));
      await fake.pipelines.runToEnd();
      await sm.send(new DeletePipelineCommand({ PipelineName: 'Acme-Fraud' }));
      await expect(sm.send(new DescribePipelineCommand({ PipelineName: 'Acme-Fraud' }))).rejects.toMatchObject({
        name: 'ResourceNotFound',
        message: "Pipeline 'arn:aws:sagemaker:us-east-1:111111111111:pipeline/acme-fraud' does not exist.",
      });
      await expect(sm.send(new DescribeTrainingJobCommand({ TrainingJobName: 'nope' }))).rejects.toMatchObject({ name: 'ValidationException', message: 'Requested resource not found.' });
    });

    it('refuses a second pipeline of the same name, as the Python SDK\'s upsert expects', async () => {
      await createPipeline(gatedDefinition());
      await expect(sm.send(new CreatePipelineCommand({ PipelineName: 'acme-fraud-train', RoleArn: ROLE, PipelineDefinition: JSON.stringify(gatedDefinition()) })))
        .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('already exists') });
    });

    it('keeps the server\'s fault injection for pipeline operations', async () => {
      await createPipeline(gatedDefinition());
      fake.throttle.set('StartPipelineExecution', 1);
      expect(await start()).toContain('/execution/');
      fake.faults.set('DescribePipelineExecution', { type: 'AccessDeniedException', message: 'not allowed' });
      await expect(sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: 'x' }))).rejects.toThrow('not allowed');
    });
  });

  describe('strict like the service: CreatePipeline and UpdatePipeline refuse', () => {
    type Edit = (d: Record<string, any>) => unknown;
    const train = (d: Record<string, any>) => d.Steps[0].Arguments;
    const register = (d: Record<string, any>) => d.Steps[1].Arguments.IfSteps[0].Arguments;
    const refusals: Array<[string, Edit, string]> = [
      ['a definition that is not JSON', () => '{"Version": "2020-12-01", "Steps": [', 'Unable to parse pipeline definition. The definition is not JSON:'],
      ['another Version', (d) => { d.Version = '2021-01-01'; }, "Unable to parse pipeline definition. Unsupported Version '2021-01-01': the only pipeline definition version is 2020-12-01."],
      ['a duplicate step name, nested ones included', (d) => { d.Steps[1].Arguments.ElseSteps[0].Name = 'Train'; }, "Unable to parse pipeline definition. Step names must be unique: 'Train' is used more than once."],
      ['an invalid step name', (d) => { d.Steps[0].Name = 'Train step!'; }, 'Unable to parse pipeline definition. Step name "Train step!" at Steps[0] must match ^[A-Za-z0-9\\-_]{1,64}$.'],
      ['an unknown step type', (d) => { d.Steps[0].Type = 'Trainer'; }, 'Unable to parse pipeline definition. Step \'Train\' has an unknown step type "Trainer".'],
      ['an unknown step field', (d) => { d.Steps[0].Retry = 3; }, "Unable to parse pipeline definition. Unknown field 'Retry' in Training step 'Train'."],
      ['Get of a step the pipeline does not have', (d) => { register(d).InferenceSpecification.Containers[0].ModelDataUrl = { Get: 'Steps.Trian.ModelArtifacts.S3ModelArtifacts' }; },
        "Unable to parse pipeline definition. Get 'Steps.Trian.ModelArtifacts.S3ModelArtifacts' refers to step 'Trian', which the pipeline does not have (step 'Register', Arguments.InferenceSpecification.Containers[0].ModelDataUrl)."],
      ['Get of an undeclared parameter', (d) => { train(d).HyperParameters.lr = { Get: 'Parameters.LR' }; },
        "Unable to parse pipeline definition. Get 'Parameters.LR' refers to a parameter the pipeline does not declare (step 'Train', Arguments.HyperParameters.lr)."],
      ['an unknown execution variable', (d) => { train(d).HyperParameters.run = { Get: 'Execution.Id' }; }, "Unable to parse pipeline definition. Get 'Execution.Id' is not an execution variable"],
      ['an unknown function', (d) => { train(d).HyperParameters.lr = { 'Std:Concat': ['a'] }; }, "Unable to parse pipeline definition. Unknown function 'Std:Concat' (step 'Train', Arguments.HyperParameters.lr)."],
      ['an unknown Training argument', (d) => { train(d).AlgorithmSpecification.Entrypoint = ['python']; },
        "Unable to parse pipeline definition. Unknown Argument member 'Entrypoint'. (step 'Train', Arguments.AlgorithmSpecification.Entrypoint)"],
      ['a missing required Training argument', (d) => { delete train(d).RoleArn; },
        "Unable to parse pipeline definition. Model Validation failed: missing required member 'RoleArn' (step 'Train', Arguments.RoleArn)"],
      ['a string where a number goes', (d) => { train(d).ResourceConfig.InstanceCount = '1'; },
        "Unable to parse pipeline definition. Model Validation failed: expected a number, got a string (step 'Train', Arguments.ResourceConfig.InstanceCount)"],
      ['a string where a list goes', (d) => { train(d).AlgorithmSpecification.ContainerEntrypoint = 'python train.py'; },
        "Unable to parse pipeline definition. Model Validation failed: Expecting start of Json Array: expected a list, got a string (step 'Train', Arguments.AlgorithmSpecification.ContainerEntrypoint)"],
      ['a string where a boolean goes', (d) => { train(d).EnableManagedSpotTraining = 'true'; },
        "Unable to parse pipeline definition. Model Validation failed: expected a boolean, got a string (step 'Train', Arguments.EnableManagedSpotTraining)"],
      ['a list where a map goes', (d) => { train(d).HyperParameters = ['epochs=10']; },
        "Unable to parse pipeline definition. Model Validation failed: expected a map, got a list (step 'Train', Arguments.HyperParameters)"],
      ['a number where a string goes', (d) => { train(d).HyperParameters.epochs = 10; },
        "Unable to parse pipeline definition. Model Validation failed: expected a string, got a number (step 'Train', Arguments.HyperParameters.epochs)"],
      ['an expression where a structure goes', (d) => { train(d).ResourceConfig = { Get: 'Parameters.TrainData' }; },
        "Unable to parse pipeline definition. Model Validation failed: expected an object, got an expression (an expression stands only for a single value) (step 'Train', Arguments.ResourceConfig)"],
      ['more than 100 ContainerEntrypoint items [api:AlgorithmSpecification]', (d) => { train(d).AlgorithmSpecification.ContainerEntrypoint = Array(101).fill('x'); },
        "Unable to parse pipeline definition. Model Validation failed: Value failed to satisfy constraint: Member must have length less than or equal to 100 (step 'Train', Arguments.AlgorithmSpecification.ContainerEntrypoint)"],
      ['a ContainerEntrypoint item over 256 characters', (d) => { train(d).AlgorithmSpecification.ContainerEntrypoint = ['python', 'x'.repeat(257)]; },
        "Member must have length less than or equal to 256 (step 'Train', Arguments.AlgorithmSpecification.ContainerEntrypoint[1])"],
      ['an empty ContainerArguments', (d) => { train(d).AlgorithmSpecification.ContainerArguments = []; },
        "Member must have length greater than or equal to 1 (step 'Train', Arguments.AlgorithmSpecification.ContainerArguments)"],
      ['more than 100 HyperParameters [api:CreateTrainingJob]', (d) => { train(d).HyperParameters = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`h${i}`, '1'])); },
        "Member must have length less than or equal to 100 (step 'Train', Arguments.HyperParameters)"],
      ['a HyperParameter value over 2500 characters', (d) => { train(d).HyperParameters.epochs = 'x'.repeat(2501); },
        "Map value must satisfy constraint: [Member must have length less than or equal to 2500] (step 'Train', Arguments.HyperParameters.epochs)"],
      ['more than 40 MetricDefinitions', (d) => { train(d).AlgorithmSpecification.MetricDefinitions = Array.from({ length: 41 }, (_, i) => ({ Name: `m${i}`, Regex: 'x' })); },
        "Member must have length less than or equal to 40 (step 'Train', Arguments.AlgorithmSpecification.MetricDefinitions)"],
      ['a metric Regex over 500 characters [api:MetricDefinition]', (d) => { train(d).AlgorithmSpecification.MetricDefinitions[0].Regex = 'x'.repeat(501); },
        "Member must have length less than or equal to 500 (step 'Train', Arguments.AlgorithmSpecification.MetricDefinitions[0].Regex)"],
      ['an Environment key that is not a variable name', (d) => { train(d).Environment = { '1BAD': 'x' }; },
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^[a-zA-Z_][a-zA-Z0-9_]*$] (step 'Train', Arguments.Environment.1BAD)"],
      ['more than 100 Environment variables', (d) => { train(d).Environment = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, '1'])); },
        "Member must have length less than or equal to 100 (step 'Train', Arguments.Environment)"],
      ['an Environment value over 512 characters', (d) => { train(d).Environment = { OK: 'x'.repeat(513) }; },
        "Map value must satisfy constraint: [Member must have length less than or equal to 512] (step 'Train', Arguments.Environment.OK)"],
      ['MaxRuntimeInSeconds over 28 days [api:StoppingCondition]', (d) => { train(d).StoppingCondition.MaxRuntimeInSeconds = 28 * 86400 + 1; },
        "Member must have value less than or equal to 2419200 (step 'Train', Arguments.StoppingCondition.MaxRuntimeInSeconds)"],
      ['MaxWaitTimeInSeconds without spot training (real wording)', (d) => { train(d).StoppingCondition.MaxWaitTimeInSeconds = 7200; },
        "Unable to parse pipeline definition. Model Validation failed: Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true (step 'Train', Arguments.StoppingCondition.MaxWaitTimeInSeconds)"],
      ['a spot MaxWaitTimeInSeconds below MaxRuntimeInSeconds', (d) => { train(d).EnableManagedSpotTraining = true; train(d).StoppingCondition.MaxWaitTimeInSeconds = 1800; },
        'MaxWaitTimeInSeconds (1800) must be equal to or greater than MaxRuntimeInSeconds (3600)'],
      ['zero instances', (d) => { train(d).ResourceConfig.InstanceCount = 0; },
        "InstanceCount must be at least 1 when InstanceGroups is not given (step 'Train', Arguments.ResourceConfig.InstanceCount)"],
      ['a value outside an enumeration (real wording)', (d) => { train(d).AlgorithmSpecification.TrainingInputMode = 'Stream'; },
        "Unable to parse pipeline definition. Model Validation failed: Value 'Stream' for 'TrainingInputMode' failed to satisfy enum value set: [FastFile, File, Pipe] (step 'Train', Arguments.AlgorithmSpecification.TrainingInputMode)"],
      ['an instance type SageMaker does not train on', (d) => { train(d).ResourceConfig.InstanceType = 'ml.g5.mega'; }, "Value 'ml.g5.mega' for 'TrainingInstanceType' failed to satisfy enum value set"],
      ['more than 50 CustomerMetadataProperties [api:CreateModelPackage]', (d) => { register(d).CustomerMetadataProperties = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])); },
        "Member must have length less than or equal to 50 (step 'Register', Arguments.CustomerMetadataProperties)"],
      ['a CustomerMetadataProperties key outside the pattern', (d) => { register(d).CustomerMetadataProperties['bad#key'] = 'v'; },
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$] (step 'Register', Arguments.CustomerMetadataProperties.bad#key)"],
      ['a CustomerMetadataProperties value over 256 characters', (d) => { register(d).CustomerMetadataProperties.note = 'x'.repeat(257); },
        "Map value must satisfy constraint: [Member must have length less than or equal to 256] (step 'Register', Arguments.CustomerMetadataProperties.note)"],
      ['ModelPackageName in a RegisterModel step (real wording)', (d) => { register(d).ModelPackageName = 'fraud'; },
        "Unable to parse pipeline definition. Unknown Argument member 'ModelPackageName'. (step 'Register', Arguments.ModelPackageName)"],
      ['a Tuning step without ResourceLimits', (d) => {
        d.Steps[0] = { Name: 'Train', Type: 'Tuning', Arguments: { HyperParameterTuningJobConfig: { Strategy: 'Bayesian', HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val_f1' } }, TrainingJobDefinition: {} } };
      }, "Unable to parse pipeline definition. Model Validation failed: missing required member 'ResourceLimits' (step 'Train', Arguments.HyperParameterTuningJobConfig.ResourceLimits)"],
      ['a step that depends on a Fail step (real wording)', (d) => { d.Steps[1].DependsOn = ['TooWeak']; }, 'CheckF1 can not depends on TooWeak'],
      ['a reference to a Fail step', (d) => { register(d).CustomerMetadataProperties.x = { Get: 'Steps.TooWeak.ErrorMessage' }; }, "other steps cannot reference the Fail step 'TooWeak'"],
      ['steps that depend on each other in a cycle', (d) => { d.Steps[0].DependsOn = ['Register']; }, 'Unable to parse pipeline definition. The steps depend on each other in a cycle: Train -> Register -> Train.'],
      ['an unknown condition type', (d) => { d.Steps[1].Arguments.Conditions[0].Type = 'Between'; }, 'Unable to parse pipeline definition. Unknown condition type "Between"'],
      ['a parameter DefaultValue of the wrong type', (d) => { d.Parameters[1].DefaultValue = '0.001'; }, 'Unable to parse pipeline definition. DefaultValue "0.001" of parameter \'LearningRate\' is not a Float.'],
      ['a step type the fake does not run', (d) => { d.Steps[0].Type = 'Processing'; }, "Step 'Train' has type 'Processing', which this fake SageMaker does not run"],
    ];

    it.each(refusals)('%s', async (_name, edit, message) => {
      const d = gatedDefinition();
      const replaced = edit(d);
      const text = typeof replaced === 'string' ? replaced : JSON.stringify(d);
      const error = await createPipeline(text).then(() => undefined, (e) => e);
      expect(error).toMatchObject({ name: 'ValidationException' });
      expect(error.message).toContain(message);
    });

    it('refuses the same on UpdatePipeline, and keeps the old definition', async () => {
      await createPipeline(gatedDefinition());
      const d = gatedDefinition();
      train(d).ResourceConfig.InstanceCount = '2';
      await expect(sm.send(new UpdatePipelineCommand({ PipelineName: 'acme-fraud-train', PipelineDefinition: JSON.stringify(d) }))).rejects.toThrow('expected a number, got a string');
      expect(JSON.parse((await sm.send(new DescribePipelineCommand({ PipelineName: 'acme-fraud-train' }))).PipelineDefinition!)).toEqual(gatedDefinition());
    });

    it('checks resolved values again when the step starts, and fails the step as CreateTrainingJob would', async () => {
      const d = gatedDefinition();
      train(d).ResourceConfig.InstanceType = { Get: 'Parameters.TrainData' };
      await createPipeline(d);
      const arn = await start();
      expect((await waitFor(arn)).PipelineExecutionStatus).toBe('Failed');
      expect((await steps(arn))[0].FailureReason).toMatch(/^ClientError: 1 validation error detected: Value 's3:\/\/acme-data\/fraud\/train\/' for 'TrainingInstanceType' failed to satisfy enum value set: \[ml\..*\] \(at 'ResourceConfig\.InstanceType'\)$/);
    });
  });

  describe('strict like the service: StartPipelineExecution refuses', () => {
    beforeEach(() => createPipeline(gatedDefinition()));

    it('a parameter the pipeline does not declare (wording ours)', async () => {
      await expect(start({ Treshold: '0.9' })).rejects.toMatchObject({
        name: 'ValidationException',
        message: "Parameter 'Treshold' is not declared in the pipeline definition; the pipeline's parameters are: TrainData, LearningRate, Threshold.",
      });
    });

    it('an empty String value, as SageMaker words it (sagemaker-python-sdk#4016)', async () => {
      await expect(start({ TrainData: '' })).rejects.toThrow('[string "" is too short (length: 0, required minimum: 1)]');
    });

    it('a value that is not of the parameter\'s type', async () => {
      await expect(start({ Threshold: 'high' })).rejects.toThrow("Value 'high' of parameter 'Threshold' is not a valid Float.");
    });

    it('a pipeline that does not exist', async () => {
      await expect(start({}, 'nope')).rejects.toMatchObject({ name: 'ResourceNotFound', message: "Pipeline 'arn:aws:sagemaker:us-east-1:111111111111:pipeline/nope' does not exist." });
    });
  });

  it('prints Floats in joins as Java does', () => {
    expect([0.93, 1, 1e-5, 1e7, 0.001, 12345.5, -2].map(javaDouble)).toEqual(['0.93', '1.0', '1.0E-5', '1.0E7', '0.001', '12345.5', '-2.0']);
  });
});
