import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
        'listenersDroppedByScaleIn',
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

  it('rehearses an event of the config with a what-if audience', () => {
    const rehearse = (profile: string) =>
      runCli([
        'replay',
        '--event',
        'eu-town-hall-2027-03',
        '--profile',
        profile,
        '--policy',
        'surgeguard',
        '--json',
      ]);
    const x2 = rehearse('x2');
    expect(x2.code).toBe(0);
    const out = JSON.parse(x2.stdout);
    expect(out.scenario).toBe('eu-town-hall-2027-03');
    expect(Object.keys(out.policies)).toEqual(['surgeguard']);
    expect(out.policies.surgeguard.servedFraction).toBeGreaterThan(0.95);
    // Twice the forecast needs clearly more capacity than a tenth of it (both start from the same plan, which the
    // no-show holds until it is clear the audience is not coming).
    const noShow = JSON.parse(rehearse('no-show').stdout);
    expect(out.policies.surgeguard.taskHours).toBeGreaterThan(1.5 * noShow.policies.surgeguard.taskHours);
  });

  it.each([
    [['replay'], 2, 'expected a scenario file, or --event ID'],
    [
      ['replay', '--event', 'eu-town-hall-2027-03', '--profile', 'x3'],
      2,
      'unknown profile "x3"; expected one of: forecast, x2, late-40, no-show, leaves-early',
    ],
    [
      ['replay', 'scenarios/join-flood-200k.yaml', '--event', 'eu-town-hall-2027-03'],
      2,
      'give a scenario file, or --event with --config: not both',
    ],
    [
      ['replay', '--event', 'eu-town-hall-2027-03', '--profile', 'x2', '--demand', 'd.csv'],
      2,
      'give --demand FILE or --profile NAME: not both',
    ],
    [['replay', '--event', 'nope'], 1, 'config/events.yaml: events: no event "nope"'],
    [
      ['replay', '--event', 'eu-town-hall-2027-03', '--config', 'missing.yaml'],
      1,
      'missing.yaml: file not found',
    ],
    [
      ['replay', '--event', 'eu-town-hall-2027-03', '--demand', 'missing.csv'],
      1,
      'missing.csv: file not found',
    ],
  ])('%j exits %d: %s', (args, code, message) => {
    const r = runCli(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rehearses an audience from a --demand file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sg-demand-')), 'audience.csv');
    writeFileSync(file, 'minute,listeners\n-10,0\n0,20000\n30,20000\n35,0\n');
    const r = runCli([
      'replay',
      '--event',
      'eu-town-hall-2027-03',
      '--demand',
      file,
      '--policy',
      'oracle',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).policies.oracle.servedFraction).toBe(1);
    writeFileSync(file, '0,1\nlots,2\n');
    const bad = runCli(['replay', '--event', 'eu-town-hall-2027-03', '--demand', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}:2: expected "minute,listeners", got "lots,2"`);
  });
});
