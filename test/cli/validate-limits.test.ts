import { dirname } from 'node:path';
import { LARGE, SMALL, writeGeneratedConfig } from '../fixtures/generated-config';
import { runCli } from './run-cli';

describe('surgeguard validate: deployment limits', () => {
  it('passes a small generated config', () => {
    const file = writeGeneratedConfig(SMALL);
    const r = runCli(['validate', '-c', 'events.yaml'], { cwd: dirname(file) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ok: events.yaml: 5 fleets, 10 events');
    expect(r.code).toBe(0);
  });

  it('passes a large one (50 fleets in 5 regions, 300 events): events are published data', () => {
    const file = writeGeneratedConfig(LARGE);
    const r = runCli(['validate', '-c', 'events.yaml'], { cwd: dirname(file) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ok: events.yaml: 50 fleets, 300 events');
    expect(r.code).toBe(0);
  });

  it('refuses a config whose document would pass its limit, at file:line:col, without a stack trace', () => {
    const file = writeGeneratedConfig({ fleets: 2, regions: 1, events: 30, titleChars: 100_000 });
    const r = runCli(['validate', '-c', 'events.yaml'], { cwd: dirname(file) });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('ok:');
    expect(r.stderr).toMatch(
      /events\.yaml:\d+:\d+: regions\.us-east-1: the us-east-1 published document \(config and plan\) would take \d+ bytes .*expected at most 4194304/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
