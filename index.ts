/**
 * @mlspec/cdk: the spec (`defineSpec`, `loadProject`, `validateProject`), the plan
 * (`resolvePlan`), and the CDK constructs (`addModelStacks`, `ModelStack`, `ModelEndpoint`,
 * `ModelRegistry`, `VertexModel`, `AzureMlModel`, ...). The package ships this compiled to dist/
 * (`npm run build`, on prepare and prepack); this repository's own app and tests run the sources.
 */
export * from './constructs';
export * from './lib/spec';
export * from './lib/plan';
