import { formatIssue } from '../../lambda/core/issues';
import { analyzeScalingTest, parseScalingTest } from '../../lambda/core/scaling-test';

const parse = (text: string, file = 'test.csv') => {
  const r = parseScalingTest(text, file);
  return { points: r.points, errors: r.issues.map(formatIssue) };
};

describe('parseScalingTest (CSV)', () => {
  it('reads required and optional columns, skipping comments and blank lines', () => {
    const r = parse(
      '# load test\ntasks,listeners,cpu,p95JoinMs,joinErrorRate\n\n10,30000,71.5,900,0.002\n20,59000,,,\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.points).toEqual([
      { tasks: 10, listeners: 30000, cpu: 71.5, p95JoinMs: 900, joinErrorRate: 0.002 },
      { tasks: 20, listeners: 59000 },
    ]);
  });

  it.each([
    ['tasks,listeners\n10,abc\n', 'test.csv:2: listeners: expected a number, found "abc"'],
    ['tasks,listeners\n0,100\n', 'test.csv:2: tasks: expected a whole number of tasks >= 1'],
    ['tasks,listeners\n2.5,100\n', 'test.csv:2: tasks: expected a whole number, not a fraction'],
    ['tasks,listeners\n10,-1\n', 'test.csv:2: listeners: expected listeners >= 0'],
    ['tasks,listeners,joinErrorRate\n10,100,3\n', 'test.csv:2: joinErrorRate: expected a ratio from 0 to 1'],
    ['tasks,listeners\n10\n', 'test.csv:2: expected 2 values as in the header, found 1'],
    [
      'tasks,listners\n10,100\n',
      'test.csv:1: unknown column "listners" (column 2); expected tasks, listeners, joinErrorRate, p95JoinMs, cpu',
    ],
    ['tasks,listeners\n10,\n', 'test.csv:2: listeners: missing; expected number'],
    ['', 'test.csv:1: empty file; expected a header such as tasks,listeners'],
    ['tasks,listeners\n', 'test.csv: no rows; expected one row per steady-state step'],
  ])('reports a bad row with its line: %j', (text, expected) => {
    expect(parse(text).errors).toContain(expected);
  });

  it('reports every bad row, not just the first', () => {
    expect(parse('tasks,listeners\n10,x\n20,40000\n-3,1\n').errors.map((e) => e.split(':')[1])).toEqual([
      '2',
      '4',
    ]);
  });
});

describe('parseScalingTest (JSON)', () => {
  it('reads an array or { steps }', () => {
    expect(parse('[{"tasks": 1, "listeners": 3000}]', 't.json').points).toEqual([
      { tasks: 1, listeners: 3000 },
    ]);
    expect(parse('{"steps": [{"tasks": 2, "listeners": 6000}]}', 't.json').points).toEqual([
      { tasks: 2, listeners: 6000 },
    ]);
  });

  it('reports bad steps with line and column', () => {
    const text =
      '{\n  "steps": [\n    { "tasks": 1, "listeners": 3000 },\n    { "tasks": 2, "listners": 6000 }\n  ]\n}\n';
    expect(parse(text, 't.json').errors).toEqual([
      't.json:4:5: steps[1].listeners: missing; expected number',
      't.json:4:19: steps[1].listners: unknown field; expected tasks, listeners, joinErrorRate, p95JoinMs, cpu',
    ]);
  });

  it('reports JSON syntax errors and wrong shapes', () => {
    expect(parse('[{"tasks": 1,', 't.json').errors[0]).toMatch(/^t\.json:1:\d+: /);
    expect(parse('{"rows": []}', 't.json').errors).toEqual([
      't.json:1:1: expected an array of steps, or { "steps": [...] }',
    ]);
  });
});

describe('analyzeScalingTest', () => {
  // lambda 3000, sigma 0.0005, kappa 1e-6, within 1%.
  const GOOD = 'tasks,listeners\n10,29865\n20,59225\n40,117320\n60,174200\n80,230000\n120,334800\n';
  const analyze = (text: string, options: Parameters<typeof analyzeScalingTest>[1] = {}) => {
    const parsed = parseScalingTest(text, 'a.csv');
    expect(parsed.issues).toEqual([]);
    const a = analyzeScalingTest({ ...parsed, file: 'a.csv' }, options);
    return {
      model: a.model,
      errors: a.errors.map(formatIssue),
      warnings: a.warnings.map(formatIssue),
      notes: a.notes.map(formatIssue),
    };
  };

  it('fits a clean test with nothing to say', () => {
    const a = analyze(GOOD);
    expect(a).toMatchObject({ errors: [], warnings: [], notes: [] });
    expect(a.model?.r2).toBeGreaterThan(0.999);
    expect(a.model?.caveats).toBeUndefined();
    expect(a.model?.cpuAtCapacity).toBeUndefined();
  });

  it('takes the CPU at capacity as the least CPU of the steps of at least half the largest size', () => {
    // Prepare: small steps run cooler (fixed overhead weighs less), and one large step reads lower than the rest
    const withCpu =
      'tasks,listeners,cpu\n10,29865,50\n20,59225,55\n40,117320,60\n60,174200,72\n80,230000,68\n120,334800,70\n';
    // Act
    const a = analyze(withCpu);
    // Assess: 60, 80 and 120 tasks count; 10 to 40 do not
    expect(a.model?.cpuAtCapacity).toBe(68);
  });

  it('leaves an outlier out of the fit and reports it at its line', () => {
    const a = analyze(GOOD.replace('59225', '30000'));
    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([
      expect.stringMatching(
        /^a\.csv:3: 30,000 listeners at 20 tasks is far off the 59,\d{3} the other steps give/,
      ),
    ]);
    expect(a.model?.r2).toBeGreaterThan(0.999);
    expect(a.model?.lambda).toBeGreaterThan(2900);
    expect(a.model?.points).toBe(5);
    expect(a.model?.caveats).toEqual([{ code: 'OUTLIER', message: a.warnings[0] }]);
  });

  it('leaves out the steps the load generators limited, from the first whose CPU fell, and says so', () => {
    // Prepare: true to 60 tasks; past that the generators sent 200 k whatever the fleet size, so its CPU fell
    const capped =
      'tasks,listeners,cpu\n10,29950,62\n20,59290,63\n40,117640,64\n60,173550,65\n80,200000,52\n120,200000,35\n160,200000,27\n';
    // Act
    const a = analyze(capped);
    // Assess: fitted from the four true steps only, with their CPU, and the reason at the first line left out
    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([
      expect.stringMatching(
        /^a\.csv:6: from 80 tasks the steps ran at 52% CPU against 64% .* the load generators were the limit; 80 to 160 tasks left out/,
      ),
    ]);
    expect(a.model?.caveats).toEqual([{ code: 'LOAD_LIMITED', message: a.warnings[0] }]);
    expect(a.model?.points).toBe(4);
    expect(a.model?.peakTasks ?? Infinity).toBeGreaterThan(300);
    expect(a.model?.cpuAtCapacity).toBe(64);
  });

  it('keeps a flat top whose CPU stayed up (the fleet was full there), and a test without CPU', () => {
    const full =
      'tasks,listeners,cpu\n10,29950,62\n20,59290,63\n40,117640,64\n60,173550,65\n80,200000,66\n120,200000,70\n';
    expect(analyze(full).warnings).toEqual([]);
    expect(analyze(full).model?.points).toBe(6);
    const noCpu = full.replace(/,\d+\n/g, '\n').replace('tasks,listeners,cpu', 'tasks,listeners');
    expect(analyze(noCpu).warnings).toEqual([]);
    // A fleet at its peak (not CPU-bound: CPU falls with listeners per task) still ran at the SLO's edge: full
    const peak =
      'tasks,listeners,joinErrorRate,cpu\n10,30000,0.002,70\n20,58000,0.002,68\n40,100000,0.002,59\n60,118000,0.002,46\n80,120000,0.002,35\n';
    expect(analyze(peak).warnings).toEqual([]);
    expect(analyze(peak.replace('80,120000,0.002,35', '80,120000,0.0004,35')).warnings).toEqual([
      expect.stringMatching(/^a\.csv:6: from 80 tasks .* the load generators were the limit/),
    ]);
  });

  it('rejects a row with far more listeners per task than the first step, at its line', () => {
    const a = analyze(GOOD.replace('40,117320', '40,5000000'));
    expect(a.model).toBeUndefined();
    expect(a.errors).toEqual([
      expect.stringMatching(
        /^a\.csv:4: 5,000,000 listeners at 40 tasks is 125,000 a task, more than 1\.5x the 2,987 a task of the first step \(line 2, 10 tasks\)/,
      ),
    ]);
  });

  it('rejects listeners that fall as the fleet grows from its first sizes', () => {
    const a = analyze('tasks,listeners\n10,30000\n20,25000\n40,20000\n80,15000\n');
    expect(a.model).toBeUndefined();
    expect(a.errors).toEqual([
      expect.stringMatching(
        /^a\.csv:3: listeners fall from 30,000 at 10 tasks \(line 2\) to 25,000 at 20 tasks/,
      ),
    ]);
  });

  it('merges repeated fleet sizes at their median with a note', () => {
    const a = analyze(`${GOOD}20,60000\n20,59000\n`);
    expect(a.errors).toEqual([]);
    expect(a.notes).toEqual([
      'a.csv:3: 20 tasks measured 3 times (line 3: 59,225, line 8: 60,000, line 9: 59,000 listeners): fitted as one step at their median 59,225',
    ]);
    expect(a.model?.points).toBe(6);
  });

  it('rejects repeated fleet sizes that contradict each other', () => {
    const a = analyze(`${GOOD}20,12000\n`);
    expect(a.model).toBeUndefined();
    expect(a.errors).toEqual([
      expect.stringContaining(
        'a.csv:8: 20 tasks measured 2 times with contradicting results (line 3: 59,225, line 8: 12,000 listeners)',
      ),
    ]);
  });

  const SCATTERED = 'tasks,listeners\n10,30000\n20,40000\n40,130000\n60,100000\n80,270000\n120,210000\n';

  it('fails a fit that cannot be trusted, saying why and how to opt into a fallback', () => {
    const a = analyze(SCATTERED, { fleet: 'sfu-a' });
    expect(a.model).toBeUndefined();
    expect(a.errors).toEqual([
      expect.stringMatching(
        /^a\.csv: the capacity model fits the scaling test poorly \(R² 0\.\d{3} < 0\.95\): a plan from it cannot be trusted; .* set untrustedFit: per-task-floor or max-tasks on fleet sfu-a/,
      ),
    ]);
  });

  it('plans an untrusted fit from the lowest measured listeners per task when asked, and says so', () => {
    const a = analyze(SCATTERED, { untrustedFit: 'per-task-floor' });
    expect(a.errors).toEqual([]);
    // 60 tasks carried 100,000: 1,667 a task, the fewest.
    expect(a.model).toMatchObject({
      lambda: 100000 / 60,
      sigma: 0,
      kappa: 0,
      peakTasks: null,
      peakListeners: null,
    });
    expect(a.warnings).toEqual([
      expect.stringContaining(
        'planned from untrustedFit: per-task-floor instead: every task carries 1,667 listeners',
      ),
    ]);
    expect(a.model?.caveats?.map((c) => c.code)).toEqual(['UNTRUSTED_FIT']);
  });

  it('marks an untrusted fit for planning maxTasks when asked', () => {
    const a = analyze(SCATTERED, { untrustedFit: 'max-tasks' });
    expect(a.model?.fallback).toBe('max-tasks');
    expect(a.model?.caveats?.[0]?.message).toContain('the fleet runs its maxTasks for the event');
  });
});

describe('parseScalingTest (binary)', () => {
  it('says a binary file is not text instead of echoing its bytes', () => {
    const r = parse('\u0000\u0001PK\u0003\u0004\uFFFD,\u0007\n');
    expect(r.errors).toEqual([
      'test.csv: not a text file (binary content); expected a CSV or JSON scaling test',
    ]);
  });
});
