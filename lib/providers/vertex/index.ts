export * from './clients';
export * from './reconcile';
export * from './live';
export * from './credentials';
