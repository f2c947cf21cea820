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

  it('refuses a large one, naming the limit and the count at file:line:col, without a stack trace', () => {
    const file = writeGeneratedConfig(LARGE);
    const r = runCli(['validate', '-c', 'events.yaml'], { cwd: dirname(file) });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('ok:');
    expect(r.stderr).toMatch(
      /events\.yaml:3:3: regions\.us-east-1: the us-east-1 stack would hold 1026 resources .*at most 500 resources per stack/,
    );
    expect(r.stderr).toContain('regions.eu-central-1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
