// Compiles the `surgeguard` CLI into one file, dist/cli/main.js, which bin/surgeguard.js runs when it is there and
// newer than its sources (npm run build:cli; `npm ci` runs it as `prepare`, `npm pack` through build:lib).
// Dependencies stay outside the bundle, required when the code that uses them first runs, so `--help` loads only
// commander; dist/cli/inputs.json lists the sources, for the bin to tell a stale build from a fresh one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { argv, exit, stderr } from 'node:process';

const root = join(import.meta.dirname, '..');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without devDependencies: the bin runs the sources through tsx instead.
  stderr.write('build:cli: esbuild is not installed; the surgeguard CLI will run its sources through tsx\n');
  exit(0);
}
// Another folder (the first argument) is for tests, which must not replace the build other tests run.
const out = argv[2] ? resolve(argv[2]) : join(root, 'dist', 'cli');
mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['bin/cli/main.ts'],
  outfile: join(out, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(join(out, 'inputs.json'), `${JSON.stringify(Object.keys(result.metafile.inputs).sort())}\n`);
