import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli';

describe('surgeguard replay', () => {
  it('prints the documented --json shape', () => {
    const r = runCli(['replay', 'scenarios/join-flood-200k.yaml', '--policy', 'surgeguard', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.scenario).toBe('join-flood-200k');
    expect(Object.keys(out.policies)).toEqual(['surgeguard']);
    expect(Object.keys(out.policies.surgeguard).sort()).toEqual(
      [
        'servedFraction',
        'peakShortfall',
        'sloBreachMinutes',
        'abandonedListeners',
        'taskHours',
        'costVsOracle',
        'wafArmed',
        'firstArmSecondsAfterAttackStart',
        'wafArmedMinutesWithoutAttack',
        'wafArmedMinutesAfterAttack',
        'legitRequestsBlockedFraction',
        'finalTasksOverBaseline',
        'floorShortfallMinutes',
        'maxTasksOverCeiling',
        'maxTasksPastTruePeak',
      ].sort(),
    );
    expect(out.policies.surgeguard.costVsOracle).toBeGreaterThan(0);
  });

  it('prints a comparison table and writes an HTML report with SVG charts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-report-'));
    const r = runCli([
      'replay',
      'scenarios/launch-2023-05-24.yaml',
      '--policy',
      'target-tracking',
      '--report',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^policy\s+served\s+peak shortfall/m);
    expect(r.stdout).toMatch(/^target-tracking\s+\d+\.\d\d%/m);
    expect(r.stdout).toContain(`report: ${join(dir, 'index.html')}`);
    for (const f of ['index.html', 'served.svg', 'capacity.svg', 'tasks.svg', 'join-errors.svg', 'waf.svg']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(readFileSync(join(dir, 'served.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('<img src="served.svg"');
  });

  it('exits 2 on an unknown policy and 1 on a bad scenario', () => {
    const usage = runCli(['replay', 'scenarios/join-flood-200k.yaml', '--policy', 'magic']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown policy "magic"');
    const bad = runCli(['replay', 'config/events.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/config\/events\.yaml:\d+:\d+: /);
  });
});
