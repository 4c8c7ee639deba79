export { AzureMlModel, type AzureMlModelProps, type IAzureMlModel, type AzureMlModelAttributes } from './azureml-model';
