import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as path from 'node:path';

/** The constructs, loaded with a file system on which no handler bundle was built (a clone without `npm ci`). */
function withoutBundles<T>(load: () => T): T {
  let out!: T;
  jest.isolateModules(() => {
    jest.doMock('node:fs', () => ({ ...jest.requireActual('node:fs'), existsSync: (p: string) => !String(p).includes(`dist${path.sep}handlers`) && jest.requireActual('node:fs').existsSync(p) }));
    out = load();
  });
  jest.dontMock('node:fs');
  return out;
}

describe('a missing handler bundle', () => {
  const dist = path.resolve(__dirname, '../../dist/handlers');

  it('HandlerFunction says which bundle is missing and how to build it', () => {
    const { HandlerFunction } = withoutBundles(() => require('../../constructs/sagemaker/handler-function') as typeof import('../../constructs/sagemaker/handler-function'));
    const stack = new Stack();
    expect(() => new HandlerFunction(stack, 'H', { name: 'x', description: 'x', statements: [], encryptionKey: new kms.Key(stack, 'K'), timeout: require('aws-cdk-lib').Duration.minutes(1) }))
      .toThrow(`the bundled sagemaker handler is missing at ${path.join(dist, 'sagemaker')}; run npm run build:handlers (npm ci does it)`);
  });

  it('ReconcilerProvider says the same for Vertex and Azure ML', () => {
    const { ReconcilerProvider } = withoutBundles(() => require('../../constructs/reconciler-provider') as typeof import('../../constructs/reconciler-provider'));
    expect(() => new ReconcilerProvider(new Stack(), 'P', { provider: 'vertex', title: 'Vertex AI', model: 'm', environment: 'dev', networkReason: 'x' }))
      .toThrow(`the bundled vertex handler is missing at ${path.join(dist, 'vertex')}; run npm run build:handlers (npm ci does it)`);
  });
});
