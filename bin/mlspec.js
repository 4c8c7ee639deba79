#!/usr/bin/env node
'use strict';
// Runs the TypeScript CLI through tsx (esbuild, no type-check), so a clone needs no build step.
require('tsx/cjs');
require('./mlspec.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
