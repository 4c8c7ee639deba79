/**
 * @mlspec/cdk: the spec (`defineSpec`, `loadProject`, `validateProject`), the plan
 * (`resolvePlan`), and the CDK constructs (`addModelStacks`, `ModelStack`, `ModelEndpoint`,
 * `ModelRegistry`, `VertexModel`, `AzureMlModel`, ...). The package ships TypeScript, run through
 * tsx as this repository's own CDK app is (`node --require tsx/cjs bin/app.ts`): no build step.
 */
export * from './constructs';
export * from './lib/spec';
export * from './lib/plan';
