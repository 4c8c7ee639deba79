export * from './live';
export * from './gates';
export * from './manifest';
export * from './promote';
