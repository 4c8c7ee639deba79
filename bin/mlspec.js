#!/usr/bin/env node
'use strict';
// The AWS SDK we pin runs on Node 20; its notice about future releases needing Node 22 is not for our users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { existsSync } = require('node:fs');
const path = require('node:path');
// The installed package runs the bundled CLI (dist/cli/, built by npm run build on prepack: it
// carries commander and the cloud SDKs, which are not the package's dependencies);
// this repository runs the TypeScript sources through tsx, so an edit needs no rebuild.
const source = path.join(__dirname, 'mlspec.ts');
let cli;
if (existsSync(source)) {
  require('tsx/cjs');
  cli = require(source);
} else {
  cli = require('../dist/cli/mlspec.js');
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
