/**
 * @mlspec/cdk: the CDK constructs and their entry point (`MlspecApp`, `MlspecProject`, `ModelStack`,
 * `HandlersStack`, `ModelEndpoint`, `ModelRegistry`, `VertexModel`, `AzureMlModel`, ...), the API
 * TypeScript and Python (jsii) apps share. TypeScript apps also get the spec and the plan as
 * functions (`defineSpec`, `loadProject`, `resolvePlan`); their types are in `@mlspec/cdk/spec` and
 * `@mlspec/cdk/plan`. The package ships this compiled to dist/ (`npm run build`).
 */
export * from './constructs';
export { defineSpec, defineReleases, loadProject, validateProject } from './lib/spec';
export { resolvePlan } from './lib/plan';
