// The public constructs. Helpers shared between constructs (rights, names, nag acknowledgements) stay
// internal: exported from their files for each other, not from the package.
export { MlspecApp, addModelStacks } from './app';
export { MlspecProject, projectFromPlan, type ProjectFiles } from './project';
export { ModelStack, type ModelStackProps, type SageMakerResources } from './model-stack';
export { HandlersStack, type HandlersStackProps, type EnvironmentHandlers, type IServiceToken, type HandlerUses } from './handlers-stack';
export { ReconcilerProvider, type ReconcilerProviderProps, type ReconcilerEntryPoints, type IReconcilerHandlers } from './reconciler-provider';
export { TrainingOrchestration, type TrainingOrchestrationProps } from './training-orchestration';
export * from './sagemaker';
export * from './vertex';
export * from './azureml';
