import azureRegions from './data/azureml-regions.json';
import azureSkus from './data/azureml-skus.json';
import sagemakerSkus from './data/sagemaker-skus.json';
import sagemakerTraining from './data/sagemaker-training-regions.json';
import vertexRegions from './data/vertex-regions.json';
import vertexSkus from './data/vertex-skus.json';

const DATA = 'lib/catalog/data/';

/** One entry per data file: where its facts come from and the date of the source read. */
export function catalogSources(): { file: string; source: string; date: string }[] {
  return [
    // The hosting table is copied unchanged, so its source note lives in the README copied beside it.
    {
      file: `${DATA}sagemaker-hosting-instance-types.json`,
      source: 'cfn-lint (aws-cloudformation/cfn-lint, MIT-0) SageMaker hosting instance-type enum per region, main branch; see sagemaker-hosting-instance-types.md',
      date: '2026-08-19',
    },
    { file: `${DATA}sagemaker-skus.json`, source: sagemakerSkus.source, date: sagemakerSkus.date },
    { file: `${DATA}sagemaker-training-regions.json`, source: sagemakerTraining.source, date: sagemakerTraining.date },
    { file: `${DATA}vertex-skus.json`, source: vertexSkus.source, date: vertexSkus.date },
    { file: `${DATA}vertex-regions.json`, source: vertexRegions.source, date: vertexRegions.date },
    { file: `${DATA}azureml-skus.json`, source: azureSkus.source, date: azureSkus.date },
    { file: `${DATA}azureml-regions.json`, source: azureRegions.source, date: azureRegions.date },
  ];
}
