export * from './types';
export * from './resolve';
export * from './cost';
export * from './rollout';
export * as names from './names';
export * from './format';
export * from './diff';
