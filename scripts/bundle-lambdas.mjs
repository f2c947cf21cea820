// Bundles each Lambda handler for the packed library (npm run build:lib): dist/lambda/<handler>/index.mjs, built as
// lib/parts/function.ts bundles them from source, less the config, which the construct writes beside each bundle.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const handlers = join(root, 'lambda', 'handlers');
/** Modules of lambda/handlers that are shared pieces, not handlers. */
const SHARED = new Set(['middleware', 'runtime']);

const names = readdirSync(handlers)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .filter((n) => !SHARED.has(n));
await Promise.all(
  names.map((name) =>
    build({
      entryPoints: [join(handlers, `${name}.ts`)],
      outfile: join(root, 'dist', 'lambda', name, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: true,
      sourcemap: true,
      // Stack traces need the mappings, not the sources: a smaller tarball.
      sourcesContent: false,
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'warning',
    }),
  ),
);
