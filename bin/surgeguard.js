#!/usr/bin/env node
// The `surgeguard` CLI runs its TypeScript sources directly, so a clone works right after `npm ci`.
require('tsx/cjs/api').register();
// A rehearsal (--local) runs the runbook handler in this process: its Lambda logs would only clutter the terminal.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
require('./cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
