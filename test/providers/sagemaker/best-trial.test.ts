import { DescribeHyperParameterTuningJobCommand, DescribeTrainingJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { onPipelineStep, type PipelineStepEvent } from '../../../lib/handlers/sagemaker';
import { bestTrial } from '../../../lib/providers/sagemaker/runs';

/** A client answering the two calls bestTrial makes, from canned answers. */
function client(tuning: Record<string, unknown>, job: Record<string, unknown> = {}): SageMakerClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof DescribeHyperParameterTuningJobCommand) return tuning;
      if (command instanceof DescribeTrainingJobCommand) return job;
      throw new Error('unexpected call');
    },
  } as unknown as SageMakerClient;
}

describe('the BestTrial step (a tuning pipeline\'s Lambda step)', () => {
  it('answers the best trial\'s job, model and every metric', async () => {
    const sm = client(
      { BestTrainingJob: { TrainingJobName: 'tune-003-abc' } },
      { ModelArtifacts: { S3ModelArtifacts: 's3://m/tune-003-abc/output/model.tar.gz' }, FinalMetricDataList: [{ MetricName: 'f1', Value: 0.95 }, { MetricName: 'accuracy', Value: 0.97 }] },
    );
    expect(await bestTrial(sm, 'tune', ['accuracy', 'f1'])).toEqual({ TrainingJobName: 'tune-003-abc', ModelData: 's3://m/tune-003-abc/output/model.tar.gz', accuracy: 0.97, f1: 0.95 });
  });

  it('fails the step when no trial reported the objective', async () => {
    const sm = client({ HyperParameterTuningJobConfig: { HyperParameterTuningJobObjective: { MetricName: 'val_f1' } } });
    await expect(bestTrial(sm, 'tune', ['f1'])).rejects.toThrow('tuning job tune has no best trial: no trial reported the objective metric val_f1');
  });

  it('fails the step when the best trial lacks a metric a gate or the registry needs', async () => {
    const sm = client({ BestTrainingJob: { TrainingJobName: 'tune-003-abc' } }, { FinalMetricDataList: [{ MetricName: 'f1', Value: 0.95 }] });
    await expect(bestTrial(sm, 'tune', ['accuracy'])).rejects.toThrow('the best trial tune-003-abc reported no final value of "accuracy": no line of its output matched training.metrics.accuracy');
  });

  it('refuses another step kind', async () => {
    await expect(onPipelineStep({ mlspecStep: 'Other' } as unknown as PipelineStepEvent)).rejects.toThrow("mlspecStep must be BestTrial; got 'Other'");
  });
});
