#!/usr/bin/env node
// The `surgeguard` CLI runs its TypeScript sources directly, so a clone works right after `npm ci`.
require('tsx/cjs/api').register();
require('./cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
