export * from './autoscaling';
export * from './data-capture-bucket';
export * from './endpoint';
export * from './execution-role';
export * from './model-registry';
export * from './rollout';
export { hasInstanceStorage } from './instance-types';
export * from './traffic';
