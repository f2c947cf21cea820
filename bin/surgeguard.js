#!/usr/bin/env node
// The `surgeguard` CLI runs its TypeScript sources directly, so a clone works right after `npm ci`.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version needs no command loaded, nor TypeScript compiled: answer it at once.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  require('tsx/cjs/api').register();
  // A rehearsal (--local) runs the runbook handler in this process: its Lambda logs would only clutter the terminal.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  require('./cli/main.ts')
    .main(process.argv)
    .then((code) => {
      process.exitCode = code;
    });
}
