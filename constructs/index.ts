export * from './sagemaker';
export * from './model-stack';
export * from './app';
