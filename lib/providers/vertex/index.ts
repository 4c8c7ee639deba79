export * from './clients';
export * from './reconcile';
