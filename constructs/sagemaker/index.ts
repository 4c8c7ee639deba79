export * from './autoscaling';
export * from './data-capture-bucket';
export * from './endpoint';
export * from './execution-role';
export { ModelApprovalStatus, ModelRegistry, type ModelVersionProps, type ModelRegistryProps, type IModelRegistry } from './model-registry';
export * from './rollout';
export { StagedStrategy, type TrafficStep } from './traffic';
export { EndpointHandler, type EndpointHandlerProps } from './endpoint-handler';
export { HandlerFunction, SharedSageMakerHandler, type HandlerFunctionProps, type ISageMakerHandler, type WildcardResource } from './handler-function';
// scaling.ts (VariantAutoscaling) is the endpoint's own plumbing, not part of the API.
export * from './training-pipeline';
export { DataQualityMonitor, type DataQualityMonitorProps, type BaselineHandlers, type IDataQualityMonitor } from './monitoring';
export * from './values';
