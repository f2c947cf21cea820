import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';

describe('Lambda bundles', () => {
  it('bundle with local esbuild, each under 1 MB minified, holding no config (it is read at run time)', () => {
    // Prepare: bundling on, for one stack.
    const outdir = mkdtempSync(join(tmpdir(), 'sg-bundle-'));
    const app = new App({
      outdir,
      context: {
        config: join(__dirname, '..', '..', 'config', 'events.yaml'),
        'surgeguard:now': '2026-11-22T00:00:00Z',
        'aws:cdk:bundling-stacks': ['SurgeGuard-eu-west-1'],
      },
    });
    // Act
    buildApp({ app });
    app.synth();
    // Assess
    const bundles = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => join(outdir, d, 'index.mjs'))
      .filter((f) => {
        try {
          return statSync(f).isFile();
        } catch {
          return false;
        }
      });
    // prescale, watch, restore and the three runbook entry points (changes, reads, SSM).
    expect(bundles).toHaveLength(6);
    for (const file of bundles) {
      expect(statSync(file).size).toBeLessThan(1_000_000);
      const code = readFileSync(file, 'utf8');
      // Events are data: a bundle is the same whatever the config schedules.
      expect(code).not.toContain('eu-town-hall-2027-03');
      expect(code).toContain('SURGEGUARD_DOCUMENT_BUCKET');
      // The bundle loads as Lambda loads it, and exports the handler.
      const loaded = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler)`,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, SURGEGUARD_TABLE: 'table' },
        },
      );
      expect(loaded.stderr).toBe('');
      expect(loaded.stdout.trim()).toBe('function');
    }
  });
});
