import fc from 'fast-check';
import { TaskLoads } from '../../sim/task-loads';

/** Loads of `groups` ([tasks, per] each) added in order. */
function loadsOf(...groups: [number, number][]): TaskLoads {
  const loads = new TaskLoads();
  for (const [tasks, per] of groups) loads.add(tasks, per);
  return loads;
}

describe('TaskLoads', () => {
  it('places new joins on the lightest tasks first, level by level', () => {
    // Prepare: 10 tasks with 100 listeners each and 5 new, empty ones.
    const loads = loadsOf([10, 100], [5, 0]);

    // Act: 300 join, then 600 more.
    loads.fill(300);
    const afterFirst = loads.levels;
    loads.fill(600);

    // Assess: the first 300 go to the empty tasks only; past the level of the rest, everyone rises together.
    expect(afterFirst).toEqual([
      { tasks: 5, per: 60 },
      { tasks: 10, per: 100 },
    ]);
    expect(loads.levels).toHaveLength(1);
    expect(loads.levels[0]!.tasks).toBe(15);
    expect(loads.levels[0]!.per).toBeCloseTo(1900 / 15, 9);
    expect(loads.listeners).toBeCloseTo(1900, 9);
  });

  it('takes leavers from every task in proportion to what it carries', () => {
    const loads = loadsOf([4, 0], [6, 100]);

    loads.shed(300);

    expect(loads.levels).toEqual([
      { tasks: 4, per: 0 },
      { tasks: 6, per: 50 },
    ]);
  });

  it('gives up whole empty tasks only, the lightest first', () => {
    const loads = loadsOf([2, 0], [1.5, 0.2], [5, 40]);

    const taken = loads.takeEmpty(10, 0.5);

    // 3.5 tasks carry under half a listener: three whole ones go, the two empty first.
    expect(taken.tasks).toBe(3);
    expect(taken.listeners).toBeCloseTo(0.2, 9);
    expect(loads.levels).toEqual([
      { tasks: 0.5, per: 0.2 },
      { tasks: 5, per: 40 },
    ]);
    expect(loads.takeEmpty(1, 0.5).tasks).toBe(0);
  });

  it('gives up tasks picked without regard to load with the average listeners', () => {
    const loads = loadsOf([5, 0], [5, 100]);

    const listeners = loads.takeAny(4);

    expect(listeners).toBeCloseTo(200, 9);
    expect(loads.tasks).toBeCloseTo(6, 9);
    expect(loads.listeners).toBeCloseTo(300, 9);
  });

  it('keeps every task and listener accounted for, and the levels in order, whatever happens to them', () => {
    const op = fc.oneof(
      fc.tuple(
        fc.constant('add' as const),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0, max: 500, noNaN: true }),
      ),
      fc.tuple(fc.constant('fill' as const), fc.double({ min: 0, max: 5000, noNaN: true })),
      fc.tuple(fc.constant('shed' as const), fc.double({ min: 0, max: 1, noNaN: true })),
      fc.tuple(fc.constant('empty' as const), fc.double({ min: 0, max: 1, noNaN: true })),
      fc.tuple(fc.constant('any' as const), fc.double({ min: 0, max: 1, noNaN: true })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const loads = new TaskLoads();
        let tasks = 0;
        let listeners = 0;
        for (const o of ops) {
          if (o[0] === 'add') {
            loads.add(o[1], o[2]);
            tasks += o[1];
            listeners += o[1] * o[2];
          } else if (o[0] === 'fill') {
            if (tasks === 0) continue;
            loads.fill(o[1]);
            listeners += o[1];
          } else if (o[0] === 'shed') {
            const n = listeners * o[1];
            loads.shed(n);
            listeners -= n;
          } else if (o[0] === 'empty') {
            const out = loads.takeEmpty(Math.floor(tasks * o[1]), 1);
            tasks -= out.tasks;
            listeners -= out.listeners;
            expect(Number.isInteger(out.tasks)).toBe(true);
            expect(out.listeners).toBeLessThanOrEqual(out.tasks + 1e-6);
          } else {
            const k = tasks * o[1];
            listeners -= loads.takeAny(k);
            tasks -= k;
          }
          expect(Math.abs(loads.tasks - tasks)).toBeLessThanOrEqual(1e-9 * Math.max(1, tasks));
          expect(Math.abs(loads.listeners - listeners)).toBeLessThanOrEqual(1e-6 * Math.max(1, listeners));
          const levels = loads.levels.map((g) => g.per);
          expect(levels).toEqual([...levels].sort((a, b) => a - b));
        }
      }),
    );
  });

  it('loses no share of a task to the splits of many stops', () => {
    const loads = loadsOf([20, 0]);
    for (let i = 1; i <= 1000; i++) {
      loads.takeAny(1);
      loads.add(1, i);
    }
    expect(loads.tasks).toBeCloseTo(20, 9);
  });
});
