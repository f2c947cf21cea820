import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/cli/main';

const ROOT = join(__dirname, '..', '..');

function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A copy of the bin in a tree of its own: a compiled CLI and a TypeScript source that each say which one ran, so
 * the test can age or remove either without touching the repository's build.
 */
function binTree(): { dir: string; run: () => string; age: (file: string, seconds: number) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bin-'));
  mkdirSync(join(dir, 'bin', 'cli'), { recursive: true });
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'surgeguard.js'), join(dir, 'bin', 'surgeguard.js'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{ "version": "0.0.0" }\n');
  const says = (what: string) =>
    `exports.main = async () => { process.stdout.write('${what}\\n'); return 0; };\n`;
  writeFileSync(join(dir, 'dist', 'cli', 'main.js'), says('compiled'));
  writeFileSync(join(dir, 'bin', 'cli', 'main.ts'), says('sources'));
  writeFileSync(
    join(dir, 'dist', 'cli', 'inputs.json'),
    '["bin/cli/main.ts", "lambda/gone.ts", "package.json"]\n',
  );
  const age = (file: string, seconds: number) => {
    const t = Date.now() / 1000 - seconds;
    utimesSync(join(dir, file), t, t);
  };
  age('bin/cli/main.ts', 60);
  age('package.json', 60);
  return { dir, run: () => node([join(dir, 'bin', 'surgeguard.js'), '--help']).stdout.trim(), age };
}

describe('bin/surgeguard.js', () => {
  it('runs the compiled CLI when it is newer than every source it was built from', () => {
    const tree = binTree();
    expect(tree.run()).toBe('compiled');
  });

  it('runs the sources through tsx when a source changed since the build', () => {
    const tree = binTree();
    tree.age('dist/cli/main.js', 120);
    expect(tree.run()).toBe('sources');
  });

  it('runs the compiled CLI where there are no sources (the packed library), whatever the times', () => {
    const tree = binTree();
    rmSync(join(tree.dir, 'bin', 'cli'), { recursive: true });
    tree.age('dist/cli/main.js', 120);
    expect(tree.run()).toBe('compiled');
  });

  it('runs the sources through tsx when there is no compiled CLI', () => {
    const tree = binTree();
    rmSync(join(tree.dir, 'dist'), { recursive: true });
    expect(tree.run()).toBe('sources');
  });
});

describe('the compiled CLI (npm run build:cli)', () => {
  const out = mkdtempSync(join(tmpdir(), 'sg-cli-build-'));
  // The bundle leaves its dependencies out: they resolve from the repository's node_modules.
  const env = { NODE_PATH: join(ROOT, 'node_modules') };

  beforeAll(() => {
    const build = node([join(ROOT, 'scripts', 'build-cli.mjs'), out]);
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
  });

  it('answers --help as the sources do, loading no dependency but commander', async () => {
    const help: string[] = [];
    await main(['node', 'surgeguard', '--help'], { out: (t) => help.push(t), err: (t) => help.push(t) });
    const script = `require(${JSON.stringify(join(out, 'main.js'))})
      .main(['node', 'surgeguard', '--help'])
      .then(() => process.stderr.write(JSON.stringify(Object.keys(require.cache))));`;
    const r = node(['-e', script], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(help.join(''));
    const packages = new Set(
      (JSON.parse(r.stderr) as string[])
        .map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1])
        .filter(Boolean),
    );
    expect([...packages]).toEqual(['commander']);
  });

  it('lists its sources, so the bin can tell when a build is stale', () => {
    const r = node(['-p', `require(${JSON.stringify(join(out, 'inputs.json'))}).join('\\n')`]);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining(['bin/cli/main.ts', 'bin/cli/table.ts', 'bin/cli/commands/plan.ts']),
    );
  });
});
