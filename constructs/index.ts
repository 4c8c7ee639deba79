export * from './sagemaker';
export * from './vertex';
export * from './azureml';
export * from './reconciler-provider';
export * from './model-stack';
export * from './app';
export * from './handlers-stack';
