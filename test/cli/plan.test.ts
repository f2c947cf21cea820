import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOOD_CSV, VALID_CONFIG, insertAfter, withLine } from '../fixtures/config-text';
import { runCli } from './run-cli';

function workspace(config: string, csv = GOOD_CSV): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'events.yaml'), config);
  writeFileSync(join(dir, 'tests', 'a.csv'), csv);
  return dir;
}

describe('surgeguard validate', () => {
  it('prints ok and a summary for the example config', () => {
    const r = runCli(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: config\/events\.yaml: 2 fleets, 2 events, 2 scaling tests \(17 steps\)/);
  });

  it('prints every error with file:line:col and exits 1 without a stack trace', () => {
    const dir = workspace(
      withLine(withLine(VALID_CONFIG, 11, '    maxTasks: lots'), 29, '      - { fleet: sfu-a, share: 0.5 }'),
    );
    const r = runCli(['validate', '--config', 'events.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('events.yaml:11:15: fleets[0].maxTasks: expected number, received string');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports an unresolved YAML alias with file:line:col and exits 1 without a stack trace', () => {
    const dir = workspace(withLine(VALID_CONFIG, 11, '    maxTasks: *lots'));
    const r = runCli(['validate', '--config', 'events.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('events.yaml:11:15: unresolved alias *lots: no anchor &lots is set before it');
    expect(r.stderr).not.toMatch(/ReferenceError|\n\s+at /);
  });

  it('reports a scaling-test file that is missing, and bad rows in one that exists', () => {
    const dir = workspace(VALID_CONFIG, 'tasks,listeners\n10,30000\n20,lots\n');
    const bad = runCli(['validate', '-c', 'events.yaml'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('tests/a.csv:3: listeners: expected a number, found "lots"');
    const missing = runCli(['validate', '-c', 'events.yaml'], {
      cwd: workspace(withLine(VALID_CONFIG, 14, '    scalingTest: tests/none.csv')),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /events\.yaml:14:18: fleets\[0\]\.scalingTest: file not found: tests\/none\.csv/,
    );
  });

  it('reports an outlier it left out of the fit, with its file:line, and still passes', () => {
    const r = runCli(['validate', '-c', 'events.yaml'], {
      cwd: workspace(VALID_CONFIG, GOOD_CSV.replace('59225', '30000')),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /warning: tests\/a\.csv:3: 30,000 listeners at 20 tasks is far off the 59,\d{3} the other steps give: left out of the fit/,
    );
  });

  it('warns, at the field, that a CPU metric with no CPU at capacity is not read; a cpu column or cpuAtCapacity reads it', () => {
    // Prepare: the fleet names its CPU metric; the test has no cpu column
    const cpu = '      cpu: { namespace: AWS/ECS, metricName: CPUUtilization }';
    const config = insertAfter(VALID_CONFIG, 21, cpu);
    // Act
    const unread = runCli(['validate', '-c', 'events.yaml'], { cwd: workspace(config) });
    const withColumn = runCli(['validate', '-c', 'events.yaml'], {
      cwd: workspace(
        config,
        GOOD_CSV.replace('tasks,listeners', 'tasks,listeners,cpu').replace(/\n(\d+,\d+)/g, '\n$1,70'),
      ),
    });
    const withField = runCli(['validate', '-c', 'events.yaml'], {
      cwd: workspace(insertAfter(config, 14, '    cpuAtCapacity: 80')),
    });
    // Assess
    expect(unread.code).toBe(0);
    expect(unread.stdout).toMatch(
      /warning: events\.yaml:22:\d+: fleets\[0\]\.metrics\.cpu: no CPU at capacity/,
    );
    expect(withColumn.stdout).not.toMatch(/no CPU at capacity/);
    expect(withField.stdout).not.toMatch(/no CPU at capacity/);
  });

  it.each([
    [
      'a row with impossible listeners per task',
      `${GOOD_CSV}30,5000000\n`,
      /tests\/a\.csv:8: 5,000,000 listeners at 30 tasks/,
    ],
    [
      'listeners that fall as tasks rise',
      'tasks,listeners\n10,30000\n20,25000\n40,20000\n',
      /tests\/a\.csv:3: listeners fall/,
    ],
    [
      'two contradicting rows for one size',
      `${GOOD_CSV}20,12000\n`,
      /tests\/a\.csv:8: 20 tasks measured 2 times with contradicting/,
    ],
    [
      'a fit that cannot be trusted',
      'tasks,listeners\n10,30000\n20,40000\n40,130000\n60,100000\n80,270000\n120,210000\n',
      /tests\/a\.csv: the capacity model fits the scaling test poorly .* set untrustedFit/,
    ],
  ])('fails on %s, at its file:line, instead of planning the baseline', (_name, csv, message) => {
    const dir = workspace(VALID_CONFIG, csv);
    for (const cmd of ['validate', 'plan']) {
      const r = runCli([cmd, '-c', 'events.yaml'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('says when the config file itself is missing', () => {
    const r = runCli(['validate', '--config', 'nope.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nope.yaml: file not found');
  });
});

describe('surgeguard plan', () => {
  it('prints one JSON object in the documented shape', () => {
    const r = runCli(['plan', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.events.map((e: { id: string }) => e.id)).toEqual([
      'spaces-2024-08-12',
      'eu-town-hall-2027-03',
    ]);
    const fleet = plan.events[0].fleets[0];
    expect(Object.keys(fleet)).toEqual(
      expect.arrayContaining([
        'fleet',
        'model',
        'neededTasks',
        'leadSeconds',
        'rampStart',
        'steps',
        'warnings',
      ]),
    );
    expect(Object.keys(fleet.model).sort()).toEqual(
      ['kappa', 'listenersPerTask', 'maxTestedTasks', 'peakListeners', 'peakTasks', 'r2', 'sigma'].sort(),
    );
    expect(plan.events[0].start).toBe('2024-08-13T00:00:00Z');
    expect(fleet.steps[0]).toEqual({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      tasks: expect.any(Number),
    });
  });

  it('warns that the 2024 audience is beyond what one fleet can carry, and what to do', () => {
    const r = runCli(['plan', '--event', 'spaces-2024-08-12', '--json']);
    const fleet = JSON.parse(r.stdout).events[0].fleets[0];
    const codes = fleet.warnings.map((w: { code: string }) => w.code);
    expect(codes).toEqual(expect.arrayContaining(['BEYOND_USL_PEAK', 'EXTRAPOLATION']));
    expect(fleet.model.peakListeners).toBeLessThan(1_300_000);
    // A straight line through the smallest step would have promised millions from the same fleet.
    expect(fleet.model.listenersPerTask * 5000).toBeGreaterThan(8_000_000);
    expect(fleet.warnings.find((w: { code: string }) => w.code === 'BEYOND_USL_PEAK').message).toMatch(
      /split the audience/,
    );
  });

  it('shows a healthy plan for the second example', () => {
    const fleet = JSON.parse(runCli(['plan', '-e', 'eu-town-hall-2027-03', '--json']).stdout).events[0]
      .fleets[0];
    expect(fleet.warnings).toEqual([]);
    expect(fleet.neededTasks).toBeGreaterThan(fleet.baselineTasks);
  });

  it('prints readable tables by default', () => {
    const r = runCli(['plan', '-e', 'spaces-2024-08-12']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Fleet sfu-use1/);
    expect(r.stdout).toMatch(/BEYOND_USL_PEAK: /);
    expect(r.stdout).toMatch(/ramp starts 2024-08-12T23:\d\d:00Z/);
  });

  it('exits 1 for an unknown event and 2 for a usage error', () => {
    const unknown = runCli(['plan', '--event', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'unknown event "nope"; expected one of: spaces-2024-08-12, eu-town-hall-2027-03',
    );
    const usage = runCli(['plan', '--frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown option '--frobnicate'");
    expect(runCli(['launch']).code).toBe(2);
  });

  it('plans an untrusted fit from the fallback the fleet opted into, and says so', () => {
    const config = insertAfter(VALID_CONFIG, 14, '    untrustedFit: max-tasks');
    const csv = 'tasks,listeners\n10,30000\n20,40000\n40,130000\n60,100000\n80,270000\n120,210000\n';
    const r = runCli(['plan', '-c', 'events.yaml', '--json'], { cwd: workspace(config, csv) });
    expect(r.code).toBe(0);
    const fleet = JSON.parse(r.stdout).events[0].fleets[0];
    expect(fleet.neededTasks).toBe(500);
    expect(fleet.warnings).toEqual([
      {
        code: 'UNTRUSTED_FIT',
        message: expect.stringMatching(
          /^tests\/a\.csv: the capacity model fits .*: planned from untrustedFit: max-tasks/,
        ),
      },
    ]);
  });

  it('--strict exits 3 on a warning not allowed, naming it; --allow accepts codes knowingly', () => {
    const strict = runCli(['plan', '-e', 'spaces-2024-08-12', '--strict']);
    expect(strict.code).toBe(3);
    expect(strict.stdout).toMatch(/Fleet sfu-use1/);
    expect(strict.stderr).toContain('not allowed: spaces-2024-08-12 / sfu-use1: BEYOND_USL_PEAK');
    expect(strict.stderr).toMatch(/plan --strict: 3 warnings not allowed; .* --allow VCPU_QUOTA$/m);
    const allowed = runCli(
      ['plan', '-e', 'spaces-2024-08-12', '--strict', '--json'].concat(
        ...['BEYOND_USL_PEAK', 'extrapolation', 'VCPU_QUOTA'].map((c) => ['--allow', c]),
      ),
    );
    expect(allowed.code).toBe(0);
    expect(runCli(['plan', '--strict']).code).toBe(3);
    expect(runCli(['plan', '-e', 'spaces-2024-08-12']).code).toBe(0);
    const typo = runCli(['plan', '--strict', '--allow', 'BEYOND_PEAK']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown warning code; expected one of: EXTRAPOLATION');
  });

  it('says when an event is already over', () => {
    const text = runCli(['plan', '-e', 'spaces-2024-08-12']);
    expect(text.stdout).toContain(
      'note: event spaces-2024-08-12 is over (it ended 2024-08-13T02:00:00Z): a deploy schedules nothing for it',
    );
    const json = runCli(['plan', '-e', 'spaces-2024-08-12', '--json']);
    expect(json.stderr).toContain('note: event spaces-2024-08-12 is over');
    expect(runCli(['plan', '-c', 'events.yaml'], { cwd: workspace(VALID_CONFIG) }).stdout).not.toContain(
      'is over',
    );
  });

  it('has --help on every command', () => {
    for (const cmd of ['validate', 'plan', 'schema']) {
      const r = runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: surgeguard ${cmd}`));
    }
  });
});
