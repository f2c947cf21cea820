import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/cli/main';
import { EXIT } from '../../bin/cli/io';
import { version } from '../../package.json';
import { runCli } from './run-cli';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'surgeguard', ...args], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { code, out: out.join(''), err: err.join('') };
}

describe('--json on every command', () => {
  it('validate prints one JSON object', async () => {
    const r = await run('validate', '--config', CONFIG, '--json');
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, fleets: 2, events: expect.any(Number) });
  });

  it('validate prints a bad config as JSON, with the invalid-input exit code', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sg-json-')), 'events.yaml');
    writeFileSync(bad, 'fleets: 3\n');
    const r = await run('validate', '--config', bad, '--json');
    expect(r.code).toBe(EXIT.invalidInput);
    expect(JSON.parse(r.out)).toEqual({ error: expect.stringContaining(bad), exitCode: EXIT.invalidInput });
  });

  it('schema --out says what it wrote as JSON', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sg-json-')), 'schema.json');
    const r = await run('schema', '--out', out, '--json');
    expect(JSON.parse(r.out)).toEqual({ wrote: out });
  });

  it('a usage error is JSON too', async () => {
    const r = await run('plan', '--nope', '--json');
    expect(r.code).toBe(EXIT.usage);
    expect(JSON.parse(r.out.split('\n').filter(Boolean).pop()!)).toMatchObject({ exitCode: EXIT.usage });
  });
});

describe('start', () => {
  it('answers --version from package.json without loading a command', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});
