import { formatIssue } from '../../lambda/core/issues';
import { parseScalingTest } from '../../lambda/core/scaling-test';

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
    ['tasks,listeners\n2.5,100\n', 'test.csv:2: tasks: expected int, received number'],
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
