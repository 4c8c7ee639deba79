import { App, Stack } from 'aws-cdk-lib';
import { AzureMlModel, DataQualityMonitor, TrainingPipeline, VertexModel } from '../../constructs';

describe('from… importers of the Vertex AI and Azure ML constructs', () => {
  const stack = () => new Stack(new App(), 'Consumer');

  it('VertexModel.fromVertexModelAttributes names a model deployed elsewhere', () => {
    const imported = VertexModel.fromVertexModelAttributes(stack(), 'Ranker', {
      modelName: 'projects/acme-ml-prod/locations/us-central1/models/search-ranker',
      endpointName: 'projects/acme-ml-prod/locations/us-central1/endpoints/1234567890',
    });
    expect([imported.modelName, imported.endpointName]).toEqual(['projects/acme-ml-prod/locations/us-central1/models/search-ranker', 'projects/acme-ml-prod/locations/us-central1/endpoints/1234567890']);
    expect(imported.node.id).toBe('Ranker');
  });

  it('VertexModel.fromVertexModelAttributes refuses what is not a Vertex resource name', () => {
    expect(() => VertexModel.fromVertexModelAttributes(stack(), 'Ranker', { modelName: 'search-ranker', endpointName: 'projects/p/locations/us-central1/endpoints/1' }))
      .toThrow("VertexModel.fromVertexModelAttributes: modelName must be a Vertex resource name like projects/<project>/locations/<region>/models/<id>; got 'search-ranker'");
    expect(() => VertexModel.fromVertexModelAttributes(stack(), 'Ranker', { modelName: 'projects/p/locations/us-central1/models/m', endpointName: 'projects/p/locations/us-central1/models/m' }))
      .toThrow("VertexModel.fromVertexModelAttributes: endpointName must be a Vertex resource name like projects/<project>/locations/<region>/endpoints/<id>; got 'projects/p/locations/us-central1/models/m'");
  });

  it('AzureMlModel.fromAzureMlModelAttributes names an online endpoint deployed elsewhere, and refuses other ids', () => {
    const id = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/acme/onlineEndpoints/acme-fraud-detector-prod';
    const imported = AzureMlModel.fromAzureMlModelAttributes(stack(), 'Fraud', { endpointId: id, scoringUri: 'https://acme-fraud-detector-prod.eastus.inference.ml.azure.com/score' });
    expect(imported.endpointId).toBe(id);
    expect(imported.scoringUri).toBe('https://acme-fraud-detector-prod.eastus.inference.ml.azure.com/score');
    expect(() => AzureMlModel.fromAzureMlModelAttributes(stack(), 'Fraud', { endpointId: 'acme-fraud-detector-prod', scoringUri: 'https://x/score' }))
      .toThrow("AzureMlModel.fromAzureMlModelAttributes: endpointId must be an online endpoint's ARM id like /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>/onlineEndpoints/<name>; got 'acme-fraud-detector-prod'");
    expect(() => AzureMlModel.fromAzureMlModelAttributes(stack(), 'Fraud', { endpointId: id, scoringUri: 'http://x/score' }))
      .toThrow("AzureMlModel.fromAzureMlModelAttributes: scoringUri must be the endpoint's https:// scoring URI; got 'http://x/score'");
  });
});

describe('TrainingPipeline.fromPipelineName', () => {
  it('names a pipeline deployed elsewhere, with its ARN in the stack\'s account and region', () => {
    const stack = new Stack(new App(), 'Consumer', { env: { account: '111111111111', region: 'us-east-1' } });
    const imported = TrainingPipeline.fromPipelineName(stack, 'Training', 'acme-fraud-detector-dev');
    expect([imported.pipelineName, stack.resolve(imported.pipelineArn)]).toEqual(['acme-fraud-detector-dev', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:111111111111:pipeline/acme-fraud-detector-dev']] }]);
  });

  it('refuses a name SageMaker would refuse', () => {
    expect(() => TrainingPipeline.fromPipelineName(new Stack(new App(), 'Consumer'), 'Training', 'acme_fraud'))
      .toThrow("TrainingPipeline.fromPipelineName: pipelineName must be 1-256 letters, digits or hyphens, starting and ending with a letter or digit; got 'acme_fraud'");
  });
});

describe('DataQualityMonitor.fromScheduleName', () => {
  it('names a monitoring schedule deployed elsewhere by its name and ARN, and refuses a name SageMaker would refuse', () => {
    const stack = new Stack(new App(), 'Consumer', { env: { account: '111111111111', region: 'us-east-1' } });
    const imported = DataQualityMonitor.fromScheduleName(stack, 'Monitor', 'acme-fraud-detector-dev-data-quality');
    expect(imported.scheduleName).toBe('acme-fraud-detector-dev-data-quality');
    expect(stack.resolve(imported.scheduleArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:111111111111:monitoring-schedule/acme-fraud-detector-dev-data-quality']] });
    expect(() => DataQualityMonitor.fromScheduleName(stack, 'Bad', 'acme_fraud'))
      .toThrow("DataQualityMonitor.fromScheduleName: scheduleName must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit; got 'acme_fraud'");
  });
});
