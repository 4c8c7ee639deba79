export * from './azureml-model';
