// The app an installed package runs: a user's small app (no TypeScript of ours to compile) requiring
// the compiled package (dist/, npm run build), as `require('@mlspec/cdk')` does in node_modules.
const { App } = require('aws-cdk-lib');
const { MlspecApp } = require('../dist/index.js');

const app = new App();
MlspecApp.addModelStacks(app, { specPath: app.node.tryGetContext('spec'), releasesPath: app.node.tryGetContext('releases') });
