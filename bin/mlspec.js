#!/usr/bin/env node
'use strict';
// Runs the TypeScript CLI through tsx (esbuild, no type-check), so a clone needs no build step.
require('tsx/cjs');
// The AWS SDK we pin runs on Node 20; its notice about future releases needing Node 22 is not for our users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('./mlspec.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
