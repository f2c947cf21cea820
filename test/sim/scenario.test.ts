import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssue, InputError } from '../../lambda/core/issues';
import { demandAt, loadScenario } from '../../sim/scenario';

const MINIMAL = `name: tiny
start: '2030-01-01T00:00:00Z'
durationMinutes: 30
forecast: { peakListeners: 10000 }
fleets:
  - id: f
    share: 1
    baselineTasks: 2
    maxTasks: 100
    vcpuPerTask: 1
    startupSeconds: 30
    scalingTest: [{ tasks: 1, listeners: 1000 }, { tasks: 4, listeners: 3900 }]
demand:
  - [-10, 0]
  - [0, 10000]
  - [30, 0]
`;

function errorsOf(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sg-scn-'));
  const file = join(dir, 's.yaml');
  writeFileSync(file, text);
  try {
    loadScenario(file);
    return [];
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return err.issues.map((i) => formatIssue(i).replace(`${file}:`, ''));
  }
}

describe('scenario files', () => {
  it('loads every shipped scenario', () => {
    const dir = join(__dirname, '..', '..', 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(14);
    for (const f of files) expect(() => loadScenario(join(dir, f))).not.toThrow();
  });

  it('ships a scenario for every fault kind and target', () => {
    const dir = join(__dirname, '..', '..', 'scenarios');
    const shipped = new Set(
      readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .flatMap((f) => loadScenario(join(dir, f)).scenario.faults.map((x) => `${x.kind}:${x.target}`)),
    );
    for (const key of [
      'missing:listeners',
      'missing:joinErrorsAuth',
      'stale:joinSuccesses',
      'lost-write:capacity',
      'throttle:capacity',
      'throttle:waf',
      'throttle:state',
    ])
      expect(shipped).toContain(key);
  });

  it('reads a minimal scenario with defaults', () => {
    expect(errorsOf(MINIMAL)).toEqual([]);
  });

  it('reads faults of every kind on the targets each takes', () => {
    const faults = [
      '  - { fromMinute: 0, toMinute: 5, kind: missing, target: joinErrorsAuth }',
      '  - { fromMinute: 0, toMinute: 5, kind: stale, target: joinSuccesses }',
      '  - { fromMinute: 0, toMinute: 5, kind: lost-write, target: capacity }',
      '  - { fromMinute: 0, toMinute: 5, kind: throttle, target: capacity }',
      '  - { fromMinute: 0, toMinute: 5, kind: throttle, target: waf }',
      '  - { fromMinute: 0, toMinute: 5, kind: throttle, target: state }',
    ];
    expect(errorsOf(`${MINIMAL}faults:\n${faults.join('\n')}\n`)).toEqual([]);
  });

  it.each([
    [
      'an unknown key',
      MINIMAL.replace('durationMinutes: 30', 'durationMinutes: 30\nduraton: 5'),
      '4:1: duraton: unknown key (check the spelling)',
    ],
    [
      'a bad value',
      MINIMAL.replace('startupSeconds: 30', 'startupSeconds: -1'),
      '11:21: fleets[0].startupSeconds: Too small',
    ],
    [
      'demand going backwards',
      MINIMAL.replace('  - [30, 0]', '  - [-5, 0]'),
      '16:5: demand[2]: minutes must increase',
    ],
    [
      'shares that do not sum to 1',
      MINIMAL.replace('share: 1', 'share: 0.5'),
      '6:3: fleets: shares sum to 0.5',
    ],
    [
      'a missing scaling test',
      MINIMAL.replace(/scalingTest: .*/, 'scalingTest: nope.csv'),
      '12:18: fleets[0].scalingTest: file not found: nope.csv',
    ],
    [
      'a fault on a target its kind cannot hit',
      `${MINIMAL}faults:\n  - { fromMinute: 5, toMinute: 10, kind: lost-write, target: listeners }\n`,
      '18:62: faults[0].target: a lost-write fault hits capacity; expected one of them, not listeners',
    ],
    [
      'a fault window that ends before it starts',
      `${MINIMAL}faults:\n  - { fromMinute: 5, toMinute: 5, kind: missing, target: listeners }\n`,
      '18:32: faults[0].toMinute: expected toMinute after fromMinute',
    ],
    [
      'a quota for a region no fleet runs in',
      `${MINIMAL}quota: { vcpu: 100, regions: { us-west2: 10 } }\n`,
      "17:42: quota.regions.us-west2: no fleet runs in us-west2; expected one of the fleets' regions: us-east-1",
    ],
    [
      'an unknown fault kind',
      `${MINIMAL}faults:\n  - { fromMinute: 5, toMinute: 6, kind: late, target: listeners }\n`,
      '18:41: faults[0].kind: expected one of "missing"',
    ],
  ])('reports %s with line and column', (_n, text, expected) => {
    expect(errorsOf(text).some((e) => e.startsWith(expected))).toBe(true);
  });

  it('plans from the model a deployed config would: an outlier step is left out of the fit', () => {
    // Prepare: a clean USL test with one step 60% high, as a noisy load-test run gives
    const usl = (n: number) => (n * 3000) / (1 + 0.0004 * (n - 1) + 4e-7 * n * (n - 1));
    const rows = [10, 20, 40, 60, 80, 120, 160, 200, 300]
      .map((n) => `{ tasks: ${n}, listeners: ${Math.round(usl(n) * (n === 160 ? 1.6 : 1))} }`)
      .join(', ');
    const dir = mkdtempSync(join(tmpdir(), 'sg-scn-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, MINIMAL.replace(/scalingTest: \[.*\]/, `scalingTest: [${rows}]`));
    // Act
    const fitted = loadScenario(file).fleets[0]!.fitted;
    // Assess: the curve the other steps give, its peak near the true 1,581 tasks, the outlier noted
    expect(fitted.peakTasks).toBeGreaterThan(1500);
    expect(fitted.peakTasks).toBeLessThan(1660);
    expect(fitted.caveats?.map((c) => c.code)).toContain('OUTLIER');
  });

  it('interpolates demand linearly between points', () => {
    const ls = (() => {
      const dir = mkdtempSync(join(tmpdir(), 'sg-scn-'));
      writeFileSync(join(dir, 's.yaml'), MINIMAL);
      return loadScenario(join(dir, 's.yaml'));
    })();
    expect(demandAt(ls.scenario, -600)).toBe(0);
    expect(demandAt(ls.scenario, -300)).toBe(5000);
    expect(demandAt(ls.scenario, 0)).toBe(10000);
    expect(demandAt(ls.scenario, 900)).toBe(5000);
    expect(demandAt(ls.scenario, 99999)).toBe(0);
  });
});
