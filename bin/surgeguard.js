#!/usr/bin/env node
// The `surgeguard` CLI. It runs the compiled CLI (dist/cli/main.js, built by `npm run build:cli`, which `npm ci` and
// `npm pack` run) when that is newer than every source it was built from; otherwise, as in a clone installed with
// --ignore-scripts or with a source edited since, it runs the TypeScript sources through tsx: slower, never stale.
const { existsSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const COMPILED = join(ROOT, 'dist', 'cli', 'main.js');
const SOURCES = join(__dirname, 'cli', 'main.ts');

/** The compiled CLI when it is there and, in a clone, no source of it changed since it was built. */
function compiled() {
  const built = statSync(COMPILED, { throwIfNoEntry: false });
  if (!built) return undefined;
  // The packed library ships no sources: nothing to be stale against, nor to fall back to.
  if (!existsSync(SOURCES)) return COMPILED;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(ROOT, 'dist', 'cli', 'inputs.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const input of inputs) {
    const source = statSync(join(ROOT, input), { throwIfNoEntry: false });
    if (source && source.mtimeMs > built.mtimeMs) return undefined;
  }
  return COMPILED;
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version needs no command loaded, nor TypeScript compiled: answer it at once.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  // Output piped into `head` that stops reading is not an error of ours.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  // A rehearsal (--local) runs the runbook handler in this process: its Lambda logs would only clutter the terminal.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  let cli = compiled();
  if (cli) {
    if (process.env.SURGEGUARD_DEBUG) process.setSourceMapsEnabled(true);
  } else {
    require('tsx/cjs/api').register();
    cli = SOURCES;
  }
  require(cli)
    .main(process.argv)
    .then((code) => {
      process.exitCode = code;
    });
}
