export * from './clients';
export * from './reconcile';
export * from './signals';
export * from './credentials';
