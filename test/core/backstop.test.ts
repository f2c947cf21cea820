import fc from 'fast-check';
import {
  BACKSTOP_LEAD_MS,
  backstopActions,
  backstopChanges,
  backstopKey,
  backstopPrefix,
} from '../../lambda/core/backstop';
import type { BackstopInput } from '../../lambda/core/backstop';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const MIN = 60_000;
const at = (m: number) => new Date(T0 + m * MIN).toISOString();
const steps = [
  { at: at(0), tasks: 100 },
  { at: at(5), tasks: 200 },
  { at: at(10), tasks: 300 },
];
const base: BackstopInput = {
  eventId: 'ev',
  steps,
  nowMs: T0 - 30 * MIN,
  floor: 10,
  ceiling: null,
  maxCapacity: 500,
};

describe('backstopActions', () => {
  it.each([
    ['every step to come, before the ramp', {}, [100, 200, 300]],
    ['only steps above the floor the watch holds', { floor: 200 }, [300]],
    ['nothing when the watch is already past every step', { floor: 300 }, []],
    [
      'none closer than the lead: the watch applies those',
      { nowMs: T0 + 5 * MIN - BACKSTOP_LEAD_MS + 1 },
      [300],
    ],
    ['steps clamped to the ceiling, and none equal to an earlier one', { ceiling: 150 }, [100, 150]],
  ])('schedules %s', (_what, change: Partial<BackstopInput>, tasks: number[]) => {
    // Act
    const actions = backstopActions({ ...base, ...change });
    // Assess
    expect(actions.map((a) => a.minCapacity)).toEqual(tasks);
  });

  it('keeps MaxCapacity at the ceiling, or at what AWS holds when SurgeGuard holds none, never under the floor', () => {
    expect(backstopActions(base).map((a) => a.maxCapacity)).toEqual([500, 500, 500]);
    expect(backstopActions({ ...base, ceiling: 250 }).map((a) => a.maxCapacity)).toEqual([250, 250, 250]);
    expect(backstopActions({ ...base, maxCapacity: 150 }).map((a) => a.maxCapacity)).toEqual([150, 200, 300]);
  });

  it('names each action by event and instant, so a shifted step is a new action and the old one goes', () => {
    const names = backstopActions(base).map((a) => a.name);
    expect(names[0]).toBe('surgeguard-ev-20300101T000000');
    expect(names.every((n) => n.startsWith(backstopPrefix('ev')))).toBe(true);
    const shifted = backstopActions({ ...base, steps: steps.map((s) => ({ ...s, at: at(60) })) });
    expect(shifted.map((a) => a.name)).not.toContain(names[0]);
    expect(backstopKey(shifted)).not.toBe(backstopKey(backstopActions(base)));
  });

  it('never schedules a step that would lower the floor or pass the ceiling, whatever the plan', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ m: fc.integer({ min: -60, max: 60 }), tasks: fc.integer({ min: 1, max: 1000 }) }),
        ),
        fc.integer({ min: 0, max: 1000 }),
        fc.option(fc.integer({ min: 1, max: 1000 })),
        fc.integer({ min: -90, max: 60 }),
        (raw, floor, ceiling, nowMin) => {
          const planSteps = [...raw].sort((a, b) => a.m - b.m).map((s) => ({ at: at(s.m), tasks: s.tasks }));
          const nowMs = T0 + nowMin * MIN;
          const actions = backstopActions({ ...base, steps: planSteps, nowMs, floor, ceiling });
          let last = floor;
          for (const a of actions) {
            expect(a.minCapacity).toBeGreaterThan(last);
            expect(a.atMs).toBeGreaterThanOrEqual(nowMs + BACKSTOP_LEAD_MS);
            if (ceiling !== null) expect(a.minCapacity).toBeLessThanOrEqual(ceiling);
            expect(a.maxCapacity).toBeGreaterThanOrEqual(a.minCapacity);
            last = a.minCapacity;
          }
        },
      ),
    );
  });
});

describe('backstopChanges', () => {
  it('deletes what is not wanted and puts what is missing or moved or resized, nothing that is already there', () => {
    // Prepare
    const [a, b, c] = backstopActions(base);
    const existing = [a!, { ...b!, minCapacity: 150 }, { ...c!, name: 'surgeguard-ev-old' }];
    // Act
    const { put, deleted } = backstopChanges(existing, [a!, b!, c!]);
    // Assess
    expect(deleted).toEqual(['surgeguard-ev-old']);
    expect(put.map((x) => x.name)).toEqual([b!.name, c!.name]);
    expect(backstopChanges([a!, b!, c!], [a!, b!, c!])).toEqual({ put: [], deleted: [] });
    expect(backstopChanges([{ ...a!, atMs: a!.atMs + 60_000 }], [a!]).put).toEqual([a]);
  });
});
