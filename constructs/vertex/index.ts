export * from './vertex-model';
