import fc from 'fast-check';
import type { LiveBin, LiveModelState } from '../../lambda/core/live-model';
import {
  drainUntil,
  findRampRetrograde,
  findRetrograde,
  fitLive,
  liveCapacity,
  pairObservations,
  peakFloorOf,
  updateLiveModel,
} from '../../lambda/core/live-model';
import type { CapacityModel, UslParams } from '../../lambda/core/usl';
import { fitUsl, tasksFor, uslCapacity, uslPeak } from '../../lambda/core/usl';

const MIN = 60_000;
const T0 = Date.parse('2030-06-01T20:00:00Z');

/** A scaling test's fit of this curve, measured up to `maxTestedTasks` in eight steps. */
function fitOf(p: UslParams, maxTestedTasks: number): CapacityModel {
  return { ...p, ...peakOf(p), r2: 0.99, maxTestedTasks, points: 8 };
}

/** The test's fit: peaks at 1,000 tasks and about 1.2 M listeners; measured up to 300 tasks. */
const prior: CapacityModel = fitOf({ lambda: 3000, sigma: 0.0005, kappa: 1e-6 }, 300);

/** The 2024 Space's test that claimed 8 M: 9,000 listeners a task, no peak, run to 300 tasks. */
const claims: CapacityModel = {
  lambda: 9000,
  sigma: 0,
  kappa: 0,
  peakTasks: null,
  peakListeners: null,
  r2: 0.99,
  maxTestedTasks: 300,
  points: 8,
};

function peakOf(p: UslParams) {
  const peak = uslPeak(p);
  return { peakTasks: peak.tasks, peakListeners: peak.listeners };
}

function bin(tasks: number, listeners: number, saturated: number, periods = saturated): LiveBin {
  return {
    tasks,
    periods: Math.max(periods, saturated),
    carried: listeners,
    ...(Math.max(periods, saturated) >= 2 ? { carriedSecond: listeners } : {}),
    saturatedListeners: saturated ? listeners : 0,
    saturatedPeriods: saturated,
  };
}

describe('pairObservations', () => {
  // Prepare: running tasks counted every 20 s, listener datapoints every minute
  const counts = (from: number, to: number, running: (t: number) => number) =>
    Array.from({ length: (to - from) / 20_000 + 1 }, (_, i) => {
      const t = from + i * 20_000;
      return { t, v: running(t) };
    });

  it('pairs a period with the tasks that ran through it, and marks it saturated when joins were refused while listeners stood still', () => {
    const { taken } = pairObservations({
      nowMs: T0 + 5 * MIN,
      periodSeconds: 60,
      counts: counts(T0, T0 + 5 * MIN, () => 400),
      listeners: [
        { t: T0 + MIN, v: 900_000 },
        { t: T0 + 2 * MIN, v: 905_000 },
      ],
      joinRequests: [{ t: T0 + 2 * MIN, v: 300_000 }],
      joinErrorsCapacity: [{ t: T0 + 2 * MIN, v: 100_000 }],
    });
    expect(taken).toEqual([
      { atMs: T0 + MIN, tasks: 400, listeners: 900_000, saturated: false },
      { atMs: T0 + 2 * MIN, tasks: 400, listeners: 905_000, saturated: true },
    ]);
  });

  it.each([
    ['listeners still rising', 1_000_000, 100_000, false],
    ['a trickle of errors', 905_000, 1_000, false],
    ['a flood the shield judged an attack', 905_000, 100_000, true],
  ])('is not saturated with %s', (_name, second, errors, flood) => {
    expect(saturatedSecond(second, errors, flood, 300_000)).toBe(false);
  });

  it('is not saturated when join requests are far more than listeners backing off could send (a flood not yet judged)', () => {
    expect(saturatedSecond(905_000, 2_000_000, false, 10_000_000)).toBe(false);
  });

  function saturatedSecond(second: number, errors: number, flood: boolean, requests: number): boolean {
    const { taken } = pairObservations({
      nowMs: T0 + 5 * MIN,
      periodSeconds: 60,
      counts: counts(T0, T0 + 5 * MIN, () => 400),
      listeners: [
        { t: T0 + MIN, v: 900_000 },
        { t: T0 + 2 * MIN, v: second },
      ],
      joinRequests: [{ t: T0 + 2 * MIN, v: requests }],
      joinErrorsCapacity: [{ t: T0 + 2 * MIN, v: errors }],
      floodSuspected: flood,
    });
    return taken.at(-1)!.saturated;
  }

  it('skips periods in which the fleet was still launching, and those its counts do not cover yet', () => {
    const { taken, lastMs } = pairObservations({
      nowMs: T0 + 3 * MIN,
      periodSeconds: 60,
      counts: counts(T0, T0 + 2.5 * MIN, (t) => (t < T0 + 1.5 * MIN ? 100 : 600)),
      listeners: [
        { t: T0, v: 100_000 },
        { t: T0 + MIN, v: 200_000 },
        { t: T0 + 2 * MIN, v: 300_000 },
      ],
    });
    expect(taken.map((o) => o.atMs)).toEqual([T0]);
    // The launching period is used up; the uncovered one waits for its counts.
    expect(lastMs).toBe(T0 + MIN);
  });

  it('takes no period within ten minutes after a step down: draining tasks count as running but take no joins', () => {
    // Prepare: a steady 600 tasks, and a step down of the floor at minute 3
    const listeners = Array.from({ length: 16 }, (_, m) => ({ t: T0 + m * MIN, v: 1_000_000 }));
    // Act
    const { taken, lastMs } = pairObservations({
      nowMs: T0 + 17 * MIN,
      periodSeconds: 60,
      counts: counts(T0, T0 + 17 * MIN, () => 600),
      listeners,
      drainFromMs: T0 + 3 * MIN + 30_000,
    });
    // Assess: minutes 3 to 13 are passed over (and not read again), the rest are taken
    expect(taken.map((o) => (o.atMs - T0) / MIN)).toEqual([0, 1, 2, 14, 15]);
    expect(lastMs).toBe(T0 + 15 * MIN);
  });

  it('takes the periods two minutes after a step down whose tasks were all released: they stop at once', () => {
    // Prepare: the same step down at minute 3:30, every task it took away released (stopped at once)
    const listeners = Array.from({ length: 16 }, (_, m) => ({ t: T0 + m * MIN, v: 1_000_000 }));
    const from = T0 + 3 * MIN + 30_000;
    // Act
    const { taken } = pairObservations({
      nowMs: T0 + 17 * MIN,
      periodSeconds: 60,
      counts: counts(T0, T0 + 17 * MIN, () => 600),
      listeners,
      drainFromMs: from,
      drainUntilMs: drainUntil(from, { targetTasks: 480, releaseTo: 480 }),
    });
    // Assess: only the periods through 5:30 are passed over; the smaller size measures from minute 6
    expect(taken.map((o) => (o.atMs - T0) / MIN)).toEqual([
      0,
      1,
      2,
      ...Array.from({ length: 10 }, (_, i) => 6 + i),
    ]);
    // A step whose tasks drain keeps the ten minutes, as does one that releases only some of them
    expect(drainUntil(from, { targetTasks: 480 })).toBe(from + 10 * MIN);
    expect(drainUntil(from, { targetTasks: 480, releaseTo: 550 })).toBe(from + 10 * MIN);
  });
});

describe('tasks past the desired count', () => {
  it('takes no period through which ECS ran tasks past the desired count, however long they drain', () => {
    // Prepare: 600 running; from minute 4 to minute 30, 150 of them drain (running past the desired count)
    const listeners = Array.from({ length: 40 }, (_, m) => ({ t: T0 + m * MIN, v: 1_000_000 }));
    const counts = Array.from({ length: 41 * 3 }, (_, i) => {
      const t = T0 + i * 20_000;
      const draining = t >= T0 + 4 * MIN && t <= T0 + 30 * MIN;
      return { t, v: 600, ...(draining ? { draining: true as const } : {}) };
    });
    // Act
    const { taken } = pairObservations({ nowMs: T0 + 41 * MIN, periodSeconds: 60, counts, listeners });
    // Assess: the period before the drain and those after its last tick are taken; none it ran through
    const minutes = taken.map((o) => (o.atMs - T0) / MIN);
    expect(minutes).toEqual([0, 1, 2, ...Array.from({ length: 9 }, (_, i) => 31 + i)]);
    // The tick a period starts from counts too: a drain seen at 30:40 also rules out the period from 31:00
    const later = counts.map((c) => (c.t === T0 + 30 * MIN + 40_000 ? { ...c, draining: true as const } : c));
    const after = pairObservations({ nowMs: T0 + 41 * MIN, periodSeconds: 60, counts: later, listeners });
    expect(after.taken.map((o) => (o.atMs - T0) / MIN)[3]).toBe(32);
  });

  it('marks a tick draining when the tick says tasks drain', () => {
    const state = updateLiveModel(undefined, { nowMs: T0, running: 600, draining: 150, periodSeconds: 60 });
    const quiet = updateLiveModel(state, { nowMs: T0 + MIN, running: 450, draining: -20, periodSeconds: 60 });
    expect(quiet.counts).toEqual([
      { t: T0, v: 600, draining: true },
      { t: T0 + MIN, v: 450 },
    ]);
  });
});

describe('updateLiveModel', () => {
  it('counts a datapoint read again on a later tick once', () => {
    let state: LiveModelState | undefined;
    const listeners = [
      { t: T0, v: 500_000 },
      { t: T0 + MIN, v: 500_000 },
    ];
    for (let k = 0; k <= 9; k++)
      state = updateLiveModel(state, { nowMs: T0 + k * 20_000, running: 300, periodSeconds: 60 });
    for (let k = 0; k < 5; k++)
      state = updateLiveModel(state, {
        nowMs: T0 + 3 * MIN + k * 20_000,
        running: 300,
        periodSeconds: 60,
        listeners,
      });
    expect(state!.bins).toHaveLength(1);
    expect(state!.bins[0]!.periods).toBe(2);
  });
});

describe('fitLive', () => {
  it('returns the prior when nothing was seen', () => {
    expect(fitLive(prior, [])).toEqual({ lambda: 3000, sigma: 0.0005, kappa: 1e-6 });
  });

  it('raises the whole curve, keeping its peak, when the fleet carried more than the test said and never refused a join', () => {
    const carried = uslCapacity(prior, 800) * 1.3;
    const live = fitLive(prior, [bin(800, carried, 0, 5)]);
    expect(uslCapacity(live, 800)).toBeCloseTo(carried, 0);
    expect(uslPeak(live).tasks).toBe(prior.peakTasks);
  });

  it('keeps what a task alone carries near the test when one saturated size is all the event has measured', () => {
    // Prepare: a two-step test to 117 tasks (604 a task alone, 13.8 k at most); the fleet saturates once at 21 tasks
    // carrying 15.5 k, more than the test says any size carries
    const twoSteps: CapacityModel = {
      lambda: 604.67,
      sigma: 0.0437655,
      kappa: 0,
      peakTasks: null,
      peakListeners: 13_816,
      r2: 1,
      maxTestedTasks: 117,
      points: 2,
    };
    // Act
    const live = fitLive(twoSteps, [bin(21, 15_474, 1)]);
    // Assess: the refit does not buy the point with a task alone carrying millions and a peak at one task (without
    // the test's one-task point it fitted lambda 27 M, sigma 2,062: 'limited to 1 by liveModel', a probe down, and
    // 13.9 k listeners who gave up)
    expect(live.lambda).toBeLessThan(10 * twoSteps.lambda);
    expect(uslPeak(live).tasks!).toBeGreaterThan(21);
  });

  it('reads a fleet carrying more far past a spurious test peak as a peak further out, not as more per task', () => {
    // Prepare: a test run to 10 tasks whose noise bends its fit to a peak at 36 tasks; the fleet then ran 104 tasks
    // carrying 194 k without a refusal, over 8 times what the fit gives 104 tasks
    const short: CapacityModel = {
      lambda: 2045,
      sigma: 0,
      kappa: 0.000786,
      ...peakOf({ lambda: 2045, sigma: 0, kappa: 0.000786 }),
      r2: 0.99,
      maxTestedTasks: 10,
      points: 7,
    };
    expect(short.peakTasks).toBe(36);
    // Act
    const live = fitLive(short, [bin(104, 194_000, 0, 5)]);
    // Assess: 104 tasks carry what they carried, and 194 k still needs most of them, not a dozen
    expect(uslCapacity(live, 104)).toBeGreaterThanOrEqual(194_000 * 0.999);
    expect(tasksFor(live, 194_000).tasks).toBeGreaterThan(90);
    expect(live.lambda).toBeLessThanOrEqual(short.lambda * 1.5);
    expect(uslPeak(live).tasks ?? Infinity).toBeGreaterThan(104);
  });

  it('raises the whole curve a little past the test peak, where carrying more is per-task capacity', () => {
    const carried = uslCapacity(prior, 1100) * 1.2;
    const live = fitLive(prior, [bin(1100, carried, 0, 5)]);
    expect(live.lambda).toBeCloseTo(prior.lambda * 1.2, 6);
    expect(uslPeak(live).tasks).toBe(prior.peakTasks);
  });

  it('never lowers the curve on lower bounds alone', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            n: fc.integer({ min: 10, max: 3000 }),
            share: fc.double({ min: 0, max: 2, noNaN: true }),
          }),
          {
            maxLength: 8,
          },
        ),
        (obs) => {
          const live = fitLive(
            prior,
            obs.map((o) => bin(o.n, uslCapacity(prior, o.n) * o.share, 0, 3)),
          );
          for (const n of [50, 300, 1000, 2000])
            expect(uslCapacity(live, n)).toBeGreaterThanOrEqual(uslCapacity(prior, n) * 0.999);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('converges to the true curve from noisy saturated samples across fleet sizes', () => {
    // The truth peaks at 790 tasks and 0.9 M listeners: a fleet worse than its test.
    const truth: UslParams = { lambda: 3000, sigma: 0.0008, kappa: 1.6e-6 };
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.03, max: 0.03, noNaN: true }), { minLength: 8, maxLength: 8 }),
        (noise) => {
          const sizes = [200, 300, 450, 600, 750, 900, 1050, 1200];
          const bins = sizes.map((n, i) => bin(n, uslCapacity(truth, n) * (1 + noise[i]!), 4));
          const live = fitLive(prior, bins);
          for (const n of [300, 600, 900, 1200])
            expect(Math.abs(uslCapacity(live, n) / uslCapacity(truth, n) - 1)).toBeLessThan(0.08);
          expect(Math.abs(uslPeak(live).tasks! - 790)).toBeLessThan(150);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('lets one odd datapoint raise nothing: a lower bound needs two periods at its size', () => {
    const spike = { ...bin(400, uslCapacity(prior, 400) * 10, 0, 1) };
    expect(fitLive(prior, [spike])).toEqual({ lambda: 3000, sigma: 0.0005, kappa: 1e-6 });
    const state = updateLiveModel(undefined, { nowMs: T0, running: 400, periodSeconds: 60 });
    expect(state.bins).toHaveLength(0);
  });

  it('does not take refused joins of a fleet carrying far less than the test says as its capacity', () => {
    // A broken release: joins refused while 40 k listeners sit on 600 tasks, a twentieth of what the test measured at
    // its largest size (300 tasks, 726 k)
    const live = fitLive(prior, [bin(600, 40_000, 5)]);
    expect(uslPeak(live).tasks).toBe(prior.peakTasks);
  });

  it('takes refused joins of a fleet carrying a sixth of what its test claims as its capacity (the 2024 Space)', () => {
    // Prepare: the test that claims 8 M; 900 tasks saturated carrying 1.3 M, a sixth of what it says they carry
    // Act
    const { capacity } = liveCapacity(claims, { bins: [bin(900, 1_300_000, 4)], counts: [] });
    // Assess: a size measured, the test's overstatement read, and a curve near what was seen there, not 8.1 M
    expect(capacity.measuredSizes).toBe(1);
    expect(capacity.overstated?.tasks).toBe(900);
    expect(uslCapacity(capacity.params, 900)).toBeLessThan(1.3e6 * 1.25);
  });
});

describe('CPU-implied capacity', () => {
  // Prepare: 1,000 tasks held steady, listeners growing, CPU proportional to the share of capacity in use
  const truth: UslParams = { lambda: 3000, sigma: 0.0004, kappa: 4e-7 };
  const cpuAtCapacity = 80;
  const steady = (tasks: number, loads: number[], cpuScale = 1) => {
    let state: LiveModelState | undefined;
    loads.forEach((load, i) => {
      const now = T0 + (i + 2) * MIN;
      const listeners = loads.slice(0, i + 1).map((l, k) => ({ t: T0 + k * MIN, v: l }));
      const cpu = loads
        .slice(0, i + 1)
        .map((l, k) => ({ t: T0 + k * MIN, v: (cpuScale * cpuAtCapacity * l) / uslCapacity(truth, tasks) }));
      for (let s = 0; s < 3; s++)
        state = updateLiveModel(state, {
          nowMs: now - 40_000 + s * 20_000,
          running: tasks,
          periodSeconds: 60,
          listeners,
          // Listeners joining and backing off send a few requests each, far from a flood
          joinRequests: listeners.map((p) => ({ t: p.t, v: p.v * 0.05 })),
          cpu,
          cpuAtCapacity,
        });
    });
    return state!;
  };

  it('raises the curve to what the fleet would carry at the CPU it reaches at capacity, before it fills', () => {
    // Act: the fleet runs at about half its room, never refusing a join
    const state = steady(1000, [700_000, 720_000, 740_000, 760_000, 780_000, 800_000]);
    const { capacity } = liveCapacity(prior, state);
    // Assess: the curve at 1,000 tasks is read from CPU (within the period's growth), far above what was carried
    const atSize = uslCapacity(capacity.params, 1000);
    expect(atSize).toBeGreaterThan(0.97 * uslCapacity(truth, 1000));
    expect(atSize).toBeLessThan(1.03 * uslCapacity(truth, 1000));
    expect(capacity.cpuEvidence).toBe('used');
    expect(capacity.peakTasks).toBe(prior.peakTasks);
    // The two newest readings are kept for the watch: 1,000 tasks, and what they would carry at full CPU
    expect(capacity.cpuReadings?.map((r) => r.tasks)).toEqual([1000, 1000]);
    for (const r of capacity.cpuReadings!) expect(r.implied / uslCapacity(truth, 1000)).toBeCloseTo(1, 1);
  });

  it('reads nothing from CPU too low to mean anything, or without a CPU at capacity', () => {
    const idle = steady(1000, [60_000, 61_000, 62_000, 63_000]);
    expect(liveCapacity(prior, idle).capacity.cpuEvidence).toBeUndefined();
    // A period that would give a reading with the CPU at capacity known, and none without it, or without any join
    // series (a flood could not be told apart); without join requests the join outcomes stand in for them
    const period = (over: Partial<Parameters<typeof pairObservations>[0]>) =>
      pairObservations({
        nowMs: T0 + 5 * MIN,
        periodSeconds: 60,
        counts: [0, 1, 2, 3, 4, 5].map((m) => ({ t: T0 + m * MIN, v: 1000 })),
        listeners: [
          { t: T0 + MIN, v: 800_000 },
          { t: T0 + 2 * MIN, v: 800_000 },
        ],
        joinRequests: [{ t: T0 + 2 * MIN, v: 40_000 }],
        cpu: [{ t: T0 + 2 * MIN, v: 40 }],
        ...over,
      }).taken.find((o) => o.atMs === T0 + 2 * MIN)?.cpuImplied;
    expect(period({ cpuAtCapacity: 80 })).toBeCloseTo(1_600_000, -3);
    expect(period({})).toBeUndefined();
    expect(period({ cpuAtCapacity: 80, joinRequests: undefined })).toBeUndefined();
    const outcomes = (authErrors: number) => ({
      cpuAtCapacity: 80,
      joinRequests: undefined,
      joinSuccesses: [{ t: T0 + 2 * MIN, v: 30_000 }],
      joinErrorsAuth: [{ t: T0 + 2 * MIN, v: authErrors }],
    });
    expect(period(outcomes(100))).toBeCloseTo(1_600_000, -3);
    // 5 M failed logins a minute on 800 k listeners: a flood's CPU, not the audience's
    expect(period(outcomes(5_000_000))).toBeUndefined();
    expect(period({ cpuAtCapacity: 80, joinRequests: [{ t: T0 + 2 * MIN, v: 5_000_000 }] })).toBeUndefined();
  });

  it('stops reading capacity from CPU once the fleet filled up below what its CPU implied', () => {
    // Prepare: CPU evidence says 1,000 tasks carry 2 M; then 1,000 tasks saturate at 1.3 M
    const cpuBin: LiveBin = {
      ...bin(1000, 1_000_000, 0, 4),
      cpuPeriods: 4,
      cpuImpliedLeast: 2e6,
      cpuImpliedSecond: 2e6,
    };
    const filled: LiveBin = {
      ...bin(1000, 1_300_000, 3),
      cpuPeriods: 2,
      cpuImpliedLeast: 2e6,
      cpuImpliedSecond: 2e6,
    };
    // Act
    const before = liveCapacity(prior, { bins: [cpuBin], counts: [] }).capacity;
    const after = liveCapacity(prior, { bins: [filled], counts: [] }).capacity;
    // Assess
    expect(before.cpuEvidence).toBe('used');
    // CPU alone lifts the test's curve at most 1.5x (1.2 M to 1.8 M here), however much room it reads
    expect(uslCapacity(before.params, 1000)).toBeCloseTo(1.5 * uslCapacity(prior, 1000), -3);
    expect(after.cpuEvidence).toBe('contradicted');
    // The readings stay for the watch: what the tasks carry at full CPU is still a least on the tasks a demand needs
    const readings = [{ atMs: T0, tasks: 1000, implied: 2e6 }];
    expect(
      liveCapacity(prior, { bins: [filled], counts: [], cpuReadings: readings }).capacity.cpuReadings,
    ).toEqual(readings);
    expect(uslCapacity(after.params, 1000)).toBeLessThan(1.4e6);
  });

  it('never lowers the curve: a CPU that says less room than the test is not taken as a bound', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 1, noNaN: true }), (share) => {
        const low: LiveBin = {
          ...bin(500, uslCapacity(prior, 500) * share * 0.5, 0, 3),
          cpuPeriods: 3,
          cpuImpliedLeast: uslCapacity(prior, 500) * share,
          cpuImpliedSecond: uslCapacity(prior, 500) * share,
        };
        const live = fitLive(prior, [low]);
        for (const n of [100, 500, 1000])
          expect(uslCapacity(live, n)).toBeGreaterThanOrEqual(uslCapacity(prior, n) * 0.999);
      }),
      { numRuns: 30 },
    );
  });
});

describe('liveCapacity', () => {
  it('puts the ceiling at the best size seen once more tasks carried fewer under saturation', () => {
    const state: LiveModelState = {
      bins: [bin(700, 900_000, 3), bin(900, 820_000, 3)],
      counts: [],
    };
    const { capacity } = liveCapacity(prior, state);
    expect(capacity.ceilingReason).toBe('retrograde');
    expect(capacity.ceilingTasks).toBe(700);
    expect(capacity.probeTasks).toBeNull();
    expect(capacity.retrograde).toMatchObject({ bestTasks: 700, worseTasks: 900 });
  });

  // Saturated periods carrying under a tenth of what the test says are not capacity evidence: see fitLive.
  it('never proposes a size past an observed retrograde point', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 2000 }),
        fc.double({ min: 1.05, max: 3, noNaN: true }),
        fc.double({ min: 0.6, max: 0.96, noNaN: true }),
        (best, further, worse) => {
          const carried = Math.max(uslCapacity(prior, best), 1);
          const worseTasks = Math.round(best * further);
          const worseListeners = carried * worse;
          fc.pre(worseListeners >= 0.5 * uslCapacity(prior, worseTasks));
          const state: LiveModelState = {
            bins: [bin(best, carried, 3), bin(worseTasks, worseListeners, 3)],
            counts: [],
          };
          const { capacity } = liveCapacity(prior, state);
          expect(capacity.ceilingTasks).toBeLessThanOrEqual(best);
          expect(capacity.probeTasks).toBeNull();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('offers a probe past the modelled peak once the fleet has reached it without turning down', () => {
    const state: LiveModelState = { bins: [bin(990, 1_300_000, 0, 4)], counts: [] };
    const { capacity } = liveCapacity(prior, state);
    expect(capacity.ceilingReason).toBe('model-peak');
    expect(capacity.probeTasks).toBe(Math.round(990 * 1.1));
  });

  it('never puts the ceiling under a size that carried more than the refit says its peak can, with nothing seen turning down', () => {
    // Prepare: a test whose last steps turn down early (its peak: 224 tasks, 62 k), and a fleet saturated at 220 tasks
    // carrying twice that; the refit, pulled by the test's steps, peaks at 178 tasks and 113 k
    const steps: [number, number][] = [
      [30, 16_206],
      [60, 30_796],
      [120, 51_301],
      [210, 61_463],
      [300, 59_012],
      [420, 51_074],
      [510, 45_269],
      [600, 40_274],
    ];
    const test: CapacityModel = {
      ...fitUsl(steps.map(([tasks, listeners]) => ({ tasks, listeners }))),
      maxTestedTasks: 600,
      points: steps.length,
    };
    const state: LiveModelState = { bins: [bin(220, 126_700, 4)], counts: [] };
    // Act
    const { capacity } = liveCapacity(test, state);
    // Assess: the refit's peak stays what it is, but the ceiling is a probe step past the 220 tasks that carried more
    expect(capacity.peakTasks).toBeLessThan(220);
    expect(capacity.peakListeners!).toBeLessThan(126_700);
    expect(capacity.ceilingReason).toBe('unexplored');
    expect(capacity.ceilingTasks).toBe(Math.round(220 * 1.1));
    // Once a larger size carried less, that is the ceiling (the best size seen), whatever the refit says
    const turned = liveCapacity(test, { ...state, bins: [...state.bins, bin(300, 100_000, 4)] }).capacity;
    expect(turned.ceilingReason).toBe('retrograde');
    expect(turned.ceilingTasks).toBe(220);
  });

  it('goes a step at a time past the largest size seen, as long as its evidence allows, when a refit finds no peak where the test had one', () => {
    // Prepare: saturated sizes that keep carrying more (drains or noise can make them look so)
    const state: LiveModelState = {
      bins: [bin(600, 1_000_000, 3), bin(800, 1_330_000, 3), bin(1000, 1_660_000, 3)],
      counts: [],
    };
    // Act
    const { capacity } = liveCapacity(prior, state);
    // Assess: the refit's peak is far out, but the ceiling is a step past 1,000 tasks: the least peak 1,000 tasks
    // carrying 1.66 M of the 3 M they would carry alone allow (sqrt(1000 * 999 / 0.807), 11% past them)
    expect(capacity.peakTasks === null || capacity.peakTasks > 1112).toBe(true);
    expect(capacity.ceilingReason).toBe('unexplored');
    expect(capacity.ceilingTasks).toBe(1112);
    // Once 1,100 tasks have shown what they carry, the next step opens; they carried more than the test says any
    // size can, and more than 1,000 did, so the step doubles
    const next = liveCapacity(prior, { ...state, bins: [...state.bins, bin(1100, 1_800_000, 3)] }).capacity;
    expect(next.ceilingTasks).toBe(Math.round(1100 * 1.2));
  });

  it("keeps the test's peak as the ceiling while no size has been seen twice, wherever the refit puts its own", () => {
    // Prepare: single saturated periods at 400, 500 and 600 tasks (a fleet climbing too fast to hold a size),
    // carrying a straight line's 1,000 a task: the refit finds no peak; and two at 400 and 460 carrying 2,000 a task,
    // which a refit puts at 1,382 tasks
    const straight = { bins: [bin(400, 400_000, 1), bin(500, 500_000, 1), bin(600, 600_000, 1)], counts: [] };
    const steep = { bins: [bin(400, 800_000, 1), bin(460, 920_000, 1)], counts: [] };
    // Act
    const a = liveCapacity(prior, straight).capacity;
    const b = liveCapacity(prior, steep).capacity;
    // Assess: neither refit's peak is a ceiling: the test's 1,000 tasks are (a state-store outage held a fleet that
    // peaks near 500 tasks to no ceiling at all, and its own scaling ran it to 5,000)
    expect(a.peakTasks).toBeNull();
    expect(b.peakTasks).toBeGreaterThan(1000);
    for (const c of [a, b]) expect(c).toMatchObject({ ceilingTasks: 1000, ceilingReason: 'unexplored' });
  });

  it('doubles the step for each size past the test peak that carried more than the test allows, up to eight', () => {
    // Prepare: a test whose load generators gave out: it says 1,000 tasks are the peak, the fleet carries on linearly
    const most = uslCapacity(prior, prior.peakTasks!);
    const sizes = [1100, 1300, 1500, 1700, 1900];
    const bins = (k: number) => [
      bin(1000, most, 3),
      ...sizes.slice(0, k).map((n, i) => bin(n, most * (1.1 + 0.1 * i), 0, 3)),
    ];
    // Act
    const ceilings = [1, 2, 3, 4, 5].map((k) => liveCapacity(prior, { bins: bins(k), counts: [] }).capacity);
    // Assess
    expect(ceilings.map((c) => c.ceilingTasks)).toEqual([
      Math.round(1100 * 1.2),
      Math.round(1300 * 1.4),
      Math.round(1500 * 1.8),
      Math.round(1700 * 1.8),
      Math.round(1900 * 1.8),
    ]);
    // A size that carried no more than a smaller one earns nothing
    const flat = liveCapacity(prior, {
      bins: [...bins(1), bin(1300, most * 1.1, 0, 3)],
      counts: [],
    }).capacity;
    // and the step goes from 1,100, the largest size that carried more
    expect(flat.ceilingTasks).toBe(Math.round(1100 * 1.2));
    // Neighbouring sizes (bins 3% apart, each carrying 4% more) are one step's evidence, not three
    const close = liveCapacity(prior, {
      bins: [
        bin(1000, most, 3),
        bin(1100.4, most * 1.1, 0, 3),
        bin(1133, most * 1.14, 0, 3),
        bin(1167, most * 1.19, 0, 3),
      ],
      counts: [],
    }).capacity;
    expect(close.ceilingTasks).toBe(Math.round(1167 * 1.2));
    // and the largest size seen is a whole number of tasks
    const whole = liveCapacity(prior, {
      bins: [...bins(0), bin(1100.4, most * 1.2, 0, 3)],
      counts: [],
    }).capacity;
    expect(whole.largestSeen?.tasks).toBe(1100);
  });

  it('steps as far as the largest size that carried more shows room, when that is further than the steps earned', () => {
    // Prepare: the test's fit peaks at 1,000 tasks; 1,100 tasks carried 90% of what they would carry alone
    const most = uslCapacity(prior, prior.peakTasks!);
    const bins = [bin(1000, most, 3), bin(1100, 0.9 * 3000 * 1100, 0, 3)];
    // Act
    const { capacity } = liveCapacity(prior, { bins, counts: [] });
    // Assess: no fleet the law describes peaks before three times 1,100 tasks carrying that, so the step is the
    // longest there is (eight probe steps), not the doubled one a single earned size gives
    expect(capacity.ceilingTasks).toBe(Math.round(1100 * 1.8));
    // A size carrying less of its linear share shows less room: the earned step stands
    const weak = liveCapacity(prior, { bins: [bin(1000, most, 3), bin(1100, most * 1.1, 0, 3)], counts: [] });
    expect(weak.capacity.ceilingTasks).toBe(Math.round(1100 * 1.2));
  });

  it("reads a straight-line test's contention from the most a step carried a task, not from the line's average", () => {
    // Prepare: a straight-line test (no peak) of 3,000 a task on average; 500 and then 1,000 tasks carried 3,200 and
    // 3,100 a task, above that average
    const line: CapacityModel = {
      ...prior,
      sigma: 0,
      kappa: 0,
      peakTasks: null,
      peakListeners: null,
      bendNotShown: true,
    };
    const bins = [bin(500, 1_600_000, 0, 3), bin(1000, 3_100_000, 0, 3)];
    // Act
    const average = liveCapacity(line, { bins, counts: [] }).capacity;
    const most = liveCapacity({ ...line, bestPerTask: 6000 }, { bins, counts: [] }).capacity;
    // Assess: against the average 1,000 tasks show no contention at all and the step is the longest; a step of the
    // test carried 6,000 a task, so 3,100 is half of that, and the bound (1,034 tasks) is under the first probe step
    expect(average.serviceCeilingTasks).toBe(Math.round(1000 * 1.8));
    expect(most.serviceCeilingTasks).toBe(Math.round(1000 * 1.1));
  });

  it('steps from the largest size that carried more, not from the largest size the service ran', () => {
    // Prepare: 1,100 tasks carried more than the test allows; the service's own scaling then ran the fleet to 1,500
    // and 2,100 tasks, which carried less (past the true peak, each task runs hotter and the CPU target adds more)
    const most = uslCapacity(prior, prior.peakTasks!);
    const bins = [
      bin(1000, most, 3),
      bin(1100, most * 1.1, 0, 3),
      bin(1500, most * 1.05, 0, 3),
      bin(2100, most * 0.95, 0, 3),
    ];
    // Act
    const { capacity } = liveCapacity(prior, { bins, counts: [] });
    // Assess: the ceiling is a doubled step past 1,100 (below where the fleet runs: it bounds the service's scaling
    // there), not a step past 2,100; no probe goes further, and the largest size seen is still reported
    expect(capacity.ceilingTasks).toBe(Math.round(1100 * 1.2));
    expect(capacity.probeTasks).toBeNull();
    expect(capacity.largestSeen?.tasks).toBe(2100);
  });

  it("bounds the service's own scaling a step past what carried more when no peak is modelled at all", () => {
    // Prepare: a test whose fit has no peak (it grows in a straight line); the fleet carried more up to 1,000 tasks,
    // then the service's CPU target ran it to 3,000, carrying no more
    const linear: CapacityModel = { ...prior, sigma: 0, kappa: 0, peakTasks: null, peakListeners: null };
    const bins = [bin(500, 1_000_000, 0, 3), bin(1000, 1_900_000, 0, 3), bin(3000, 1_800_000, 0, 3)];
    // Act
    const { capacity } = liveCapacity(linear, { bins, counts: [] });
    const peaked = liveCapacity(prior, { bins, counts: [] }).capacity;
    // Assess: no ceiling for SurgeGuard, but the service's own scaling stops a step past 1,000 tasks: at the least
    // peak 1,000 tasks carrying 1.9 M of the 3 M they would carry alone allow (sqrt(1000 * 999 / 0.579))
    expect(capacity.ceilingTasks).toBeNull();
    expect(capacity.serviceCeilingTasks).toBe(1314);
    expect(peaked.serviceCeilingTasks).toBeUndefined();
  });

  it('keeps a ceiling a step past the largest size seen when single saturated periods refit away the peak', () => {
    // Prepare: each size saturated once only (too little to count as measured), carrying ever more
    const state: LiveModelState = {
      bins: [bin(600, 1_000_000, 1, 3), bin(800, 1_330_000, 1, 3), bin(1000, 1_660_000, 1, 3)],
      counts: [],
    };
    // Act
    const { capacity } = liveCapacity(prior, state);
    // Assess: whatever the refit says, the service's own policies cannot run the fleet to maxTasks
    expect(capacity.peakTasks === null || capacity.peakTasks > 1100).toBe(true);
    expect(capacity.ceilingTasks).not.toBeNull();
    expect(capacity.ceilingTasks!).toBeLessThanOrEqual(Math.round(1000 * 1.1 * 2));
  });

  /** Saturated sizes that carried more each step up to 1,000 tasks, and no more at 1,100. */
  const FLAT_AT_1100 = [
    bin(600, 1_000_000, 3),
    bin(800, 1_330_000, 3),
    bin(1000, 1_660_000, 3),
    bin(1100, 1_665_000, 3),
  ];

  it('opens no further step once a step carried no more than the size before it', () => {
    // Prepare: the ceiling opened to 1,100 tasks; saturated there, they carried what 1,000 carried
    const state: LiveModelState = { bins: FLAT_AT_1100, counts: [] };
    // Act
    const { capacity } = liveCapacity(prior, state);
    // Assess: the ceiling stays at the size reached, and nothing probes past it
    expect(capacity.ceilingTasks).toBeLessThanOrEqual(1100);
    expect(capacity.probeTasks).toBeNull();
  });

  it('opens no step past a flat one once the fleet has grown past it without saturating', () => {
    // Prepare: 1,000 and 1,100 tasks saturated carrying the same; then 1,150 tasks ran without refusals
    const state: LiveModelState = { bins: [...FLAT_AT_1100, bin(1150, 1_600_000, 0, 3)], counts: [] };
    // Act
    const { capacity } = liveCapacity(prior, state);
    // Assess
    expect(capacity.probeTasks).toBeNull();
    expect(capacity.ceilingTasks).toBeLessThanOrEqual(1150);
  });

  it('offers no probe to a fleet already more than a step past the ceiling', () => {
    // Prepare: the fleet runs 1,400 tasks (the plan or the service's own policy put them there), the curve peaks at
    // 1,000 and nothing saturated
    const state: LiveModelState = {
      bins: [bin(990, 1_300_000, 0, 4), bin(1400, 1_300_000, 0, 4)],
      counts: [],
    };
    // Act
    const { capacity } = liveCapacity(prior, state);
    // Assess
    expect(capacity.ceilingTasks).toBeLessThan(1400 / 1.1);
    expect(capacity.probeTasks).toBeNull();
  });

  describe('probe down', () => {
    // Prepare: the plan put 1,400 tasks in place before anyone came (past the test's peak at 1,000); saturated there,
    // they carry 60% of what the test says the peak carries
    const most = uslCapacity(prior, prior.peakTasks!);
    const past = bin(1400, 0.6 * most, 4);

    it('offers a smaller size when the largest saturated size lies past where the corrected curve peaks', () => {
      // Act
      const { capacity } = liveCapacity(prior, { bins: [past], counts: [] });
      // Assess: a fifth down, never below the corrected curve's peak
      expect(capacity.peakTasks).not.toBeNull();
      expect(capacity.peakTasks!).toBeLessThan(1400 * 0.9);
      expect(capacity.probeDownTasks).toBe(Math.max(Math.round(capacity.peakTasks!), 1120));
    });

    it('offers nothing when a larger size carried more, even once and without refusals', () => {
      // Act: on the way up the fleet ran 1,600 tasks for a period, carrying more than 1,400 carried saturated
      const { capacity } = liveCapacity(prior, { bins: [past, bin(1600, 0.7 * most, 0, 1)], counts: [] });
      // Assess
      expect(capacity.probeDownTasks).toBeUndefined();
    });

    it('stands the knee of a flat refit in for its peak', () => {
      // Prepare: a test to 398 tasks whose fit peaks at ~4,200; the plan ran 2,036 tasks, saturated at 581 k
      const test = fitUsl(
        [
          [10, 14_686],
          [25, 36_513],
          [50, 71_308],
          [100, 140_076],
          [200, 258_314],
          [398, 451_162],
        ].map(([tasks, listeners]) => ({ tasks: tasks!, listeners: listeners! })),
      );
      // Act
      const { capacity } = liveCapacity(test, { bins: [bin(2036, 581_000, 5)], counts: [] });
      // Assess: the refit has no peak (more tasks, the same listeners); fewer tasks are tried, at most a fifth fewer,
      // and no fewer than the flat curve says carry within 3% of what 2,036 carry
      expect(capacity.peakTasks).toBeNull();
      const down = capacity.probeDownTasks!;
      expect(down).toBeGreaterThanOrEqual(Math.round(2036 * 0.8));
      expect(down).toBeLessThan(2036 * 0.9);
      expect(uslCapacity(capacity.params, down)).toBeGreaterThanOrEqual(
        0.97 * uslCapacity(capacity.params, 2036),
      );
    });

    it('offers no second try once a smaller size carried less', () => {
      // Act: saturated at 1,120 carrying less than 1,400 did: not past the peak after all
      const { capacity } = liveCapacity(prior, { bins: [past, bin(1120, 0.55 * most, 3)], counts: [] });
      // Assess
      expect(capacity.probeDownTasks).toBeUndefined();
    });

    it('steps down again from a smaller size that carried more, while the corrected curve peaks below it', () => {
      // Act: saturated at 1,120 carrying more than 1,400 did: the retrograde evidence, and the refit peaks lower still
      const { capacity } = liveCapacity(prior, { bins: [past, bin(1120, 0.7 * most, 3)], counts: [] });
      // Assess: the ceiling is the best size seen, and the next try a fifth below it (never below the refit peak)
      expect(capacity.retrograde).toMatchObject({ bestTasks: 1120, worseTasks: 1400 });
      expect(capacity.ceilingTasks).toBe(1120);
      expect(capacity.peakTasks!).toBeLessThan(1120 * 0.9);
      expect(capacity.probeDownTasks).toBe(Math.max(Math.round(capacity.peakTasks!), 896));
    });

    it('goes to the smallest size that carried as much without refusals, and from there a step at a time', () => {
      // Act: 1,120 and 1,250 tasks carried what 1,400 carried saturated, without refusals (the way up, or a probe)
      const asMuch = liveCapacity(prior, {
        bins: [bin(1120, 0.6 * most, 0, 3), bin(1250, 0.6 * most, 0, 3), past],
        counts: [],
      }).capacity;
      // ...and once 1,120 saturated too, carrying as much as 1,400, the next step goes a fifth below it
      const flat = liveCapacity(prior, { bins: [bin(1120, 0.6 * most, 3), past], counts: [] }).capacity;
      // Assess
      expect(asMuch.probeDownTasks).toBe(1120);
      expect(flat.probeDownTasks).toBe(Math.max(Math.round(flat.peakTasks!), Math.round(1120 * 0.8)));
    });

    it('reads a size far past the tested range carrying under half the extrapolated curve as capacity, not a flood', () => {
      // Prepare: a plan ten times the largest tested size; saturated there, the fleet carries under half of what the test's
      // curve extrapolates to, but more than a tenth of what the test measured at its largest size
      const carried = 0.52 * uslCapacity(prior, prior.maxTestedTasks);
      const far = bin(3000, carried, 4);
      expect(carried / uslCapacity(prior, 3000)).toBeLessThan(0.5);
      // ...and a size inside the tested range refused joins carrying 8% of the test's curve there (a broken release)
      const flood = bin(250, 0.08 * uslCapacity(prior, 250), 4);
      // Act
      const farOut = liveCapacity(prior, { bins: [far], counts: [] }).capacity;
      const inRange = liveCapacity(prior, { bins: [flood], counts: [] }).capacity;
      // Assess: the far size is evidence (a refit peak below it, a probe down); the broken one is only a lower bound
      expect(farOut.overstated?.tasks).toBe(3000);
      expect(farOut.probeDownTasks).toBeDefined();
      expect(farOut.probeDownTasks!).toBeLessThan(3000);
      expect(inRange.overstated).toBeUndefined();
      expect(inRange.saturatedPeriods).toBe(4);
      // ...so it measured one size, and the broken one none
      expect(farOut.measuredSizes).toBe(1);
      expect(inRange.measuredSizes).toBeUndefined();
      expect(inRange.params).toEqual(fitLive(prior, [bin(250, 0.08 * uslCapacity(prior, 250), 0, 4)]));
    });

    it('marks the size whose CPU implied the most room once a size 4% past it, as loaded, implied 3% less, and not before', () => {
      // Prepare: CPU read at two sizes (two periods each), unsaturated, carrying `carried`
      const cpuBin = (tasks: number, implied: number, carried = 500_000) => ({
        ...bin(tasks, carried, 0, 2),
        cpuPeriods: 2,
        cpuImpliedLeast: implied,
        cpuImpliedSecond: implied * 1.1,
      });
      const peakOfBins = (...bins: LiveBin[]) => liveCapacity(prior, { bins, counts: [] }).capacity.cpuPeak;
      // Act / Assess: more tasks implying less room, as loaded, is evidence
      expect(peakOfBins(cpuBin(600, 900_000), cpuBin(700, 850_000))).toEqual({
        tasks: 600,
        implied: 900_000,
      });
      // ...more room, or as much within 3%, is not
      expect(peakOfBins(cpuBin(600, 900_000), cpuBin(700, 950_000))).toBeUndefined();
      expect(peakOfBins(cpuBin(600, 900_000), cpuBin(700, 880_000))).toBeUndefined();
      // ...nor a size within 4% of the best
      expect(peakOfBins(cpuBin(600, 900_000), cpuBin(620, 850_000))).toBeUndefined();
      // ...nor a larger size the audience left lightly loaded (tasks idle at some CPU read less room)
      expect(peakOfBins(cpuBin(600, 900_000), cpuBin(700, 850_000, 300_000))).toBeUndefined();
    });

    it('offers nothing where the law says the fleet cannot be past its peak, and otherwise goes no lower than it allows', () => {
      // Prepare: a test run to 2,000 tasks, past its peak at 1,000 tasks and 1.5 M listeners, pulls the refit's peak
      // down; 1,300 tasks saturated carrying 1.85 M (or 1.7 M), more than any size the refit gives
      const tested = fitOf({ lambda: 3000, sigma: 0, kappa: 1e-6 }, 2000);
      // The fewest tasks the law lets a fleet carrying this on 1,300 tasks peak at, with at most `alone` a task alone
      const lawFloor = (alone: number, listeners: number) =>
        Math.sqrt((1300 * 1299) / ((alone * 1300) / listeners - 1));
      // Act
      const near = liveCapacity(tested, { bins: [bin(1300, 1_850_000, 4)], counts: [] }).capacity;
      const far = liveCapacity(tested, { bins: [bin(1300, 1_700_000, 4)], counts: [] }).capacity;
      // Assess: both refits peak more than a probe step below 1,300 tasks, carrying less than 1,300 carried
      for (const [capacity, carried] of [
        [near, 1_850_000],
        [far, 1_700_000],
      ] as const) {
        expect(capacity.peakTasks!).toBeLessThan(1300 * 0.9);
        expect(capacity.peakListeners!).toBeLessThan(carried);
      }
      // ...but carrying 1.85 M the law puts the peak within a probe step of 1,300 tasks: nothing to probe
      expect(lawFloor(Math.max(3000, near.params.lambda), 1_850_000)).toBeGreaterThanOrEqual(1300 * 0.9);
      expect(near.probeDownTasks).toBeUndefined();
      // ...and carrying 1.7 M it allows a peak further down, but not as far down as the refit's: the probe stops there
      const floor = lawFloor(Math.max(3000, far.params.lambda), 1_700_000);
      expect(floor).toBeLessThan(1300 * 0.9);
      expect(floor).toBeGreaterThan(far.peakTasks!);
      expect(far.probeDownTasks).toBe(Math.ceil(floor));
    });

    it('offers nothing to a saturated fleet short of the corrected peak, or to one with no saturation', () => {
      const within = liveCapacity(prior, { bins: [bin(700, uslCapacity(prior, 700), 3)], counts: [] });
      const unsaturated = liveCapacity(prior, { bins: [bin(1400, 0.6 * most, 0, 4)], counts: [] });
      expect(within.capacity.probeDownTasks).toBeUndefined();
      expect(unsaturated.capacity.probeDownTasks).toBeUndefined();
    });
  });

  it('fits once for the same evidence', () => {
    const state: LiveModelState = { bins: [bin(700, 900_000, 3)], counts: [] };
    const first = liveCapacity(prior, state);
    expect(first.state.fit).toBeDefined();
    const again = liveCapacity(prior, first.state);
    expect(again.state).toBe(first.state);
  });

  it('fits again when the CPU reading it uses changes, even if the second least stays', () => {
    // Prepare: two CPU periods at 800 tasks (the lesser is used); a lower third one leaves the second least as it was
    const withCpu = (least: number, second: number, periods: number): LiveModelState => ({
      bins: [
        { ...bin(800, 700_000, 0, 4), cpuPeriods: periods, cpuImpliedLeast: least, cpuImpliedSecond: second },
      ],
      counts: [],
    });
    const first = liveCapacity(prior, withCpu(1_500_000, 1_600_000, 2));
    // Act: the third period reads 1.2 M: now the second least (1.5 M) is used, where the lesser (1.5 M) was
    const next = liveCapacity(prior, { ...withCpu(1_200_000, 1_500_000, 3), fit: first.state.fit });
    const lower = liveCapacity(prior, { ...withCpu(1_200_000, 1_600_000, 2), fit: first.state.fit });
    // Assess: a new least changes what is read with two periods, so the fit is made again
    expect(uslCapacity(lower.capacity.params, 800)).toBeLessThan(uslCapacity(first.capacity.params, 800));
    expect(uslCapacity(next.capacity.params, 800)).toBeCloseTo(uslCapacity(first.capacity.params, 800), -3);
  });
});

describe('peakFloorOf', () => {
  it.each([
    // tasks, listeners carried, least peak
    [1000, 3_000_000, Infinity], // all of their linear share: no contention seen
    [1000, 1_500_000, 1000], // half: D = 1, a fleet at its peak can carry that
    [1000, 2_400_000, 1998], // 80%: D = 0.25, the peak at least (nearly) twice as far
    [1, 3000, 1], // one task says nothing of contention
    [1000, NaN, 1000], // nor does an odd reading
    [1000, Infinity, 1000],
  ])(
    '%d tasks carrying %d of 3,000 a task alone peak at %d tasks at the least',
    (tasks, listeners, least) => {
      expect(Math.floor(peakFloorOf(3000, tasks, listeners))).toBe(least === Infinity ? Infinity : least);
    },
  );

  it('is never past the peak of any curve the law gives that carries as much', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 100, max: 5000, noNaN: true }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        fc.double({ min: 1e-8, max: 1e-4, noNaN: true }),
        fc.integer({ min: 2, max: 5000 }),
        fc.double({ min: 1, max: 1.5, noNaN: true }),
        (lambda, sigma, kappa, tasks, lambdaOver) => {
          // Prepare: the fleet's true curve; the bound is given at least its lambda (the test may overstate it)
          const curve = { lambda, sigma, kappa };
          const truePeak = Math.sqrt((1 - sigma) / kappa);
          // Act
          const floor = peakFloorOf(lambda * lambdaOver, tasks, uslCapacity(curve, tasks));
          // Assess
          expect(floor).toBeLessThanOrEqual(Math.max(tasks, truePeak) * (1 + 1e-9));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('findRetrograde', () => {
  it('needs two saturated periods at each size: one noisy period is not evidence', () => {
    expect(findRetrograde([bin(700, 900_000, 1), bin(900, 820_000, 1)])).toBeUndefined();
  });

  it('reads more tasks carrying fewer listeners as retrograde however far short of its test the fleet falls', () => {
    // Prepare: the 2024 test that claimed 8 M (9,000 listeners a task, no peak); the fleet saturated at 1,988 tasks
    // carrying 208 k, then at 5,000 carrying 88 k: a tenth of what the test says, too little to be read as its curve
    // Act
    const found = findRetrograde([bin(1988, 208_000, 3), bin(5000, 88_000, 3)]);
    // Assess: the best size seen is the one to return to
    expect(found).toEqual({
      bestTasks: 1988,
      bestListeners: 208_000,
      worseTasks: 5000,
      worseListeners: 88_000,
    });
    expect(
      liveCapacity(claims, { bins: [bin(1988, 208_000, 3), bin(5000, 88_000, 3)], counts: [] }).capacity,
    ).toMatchObject({
      ceilingTasks: 1988,
      ceilingReason: 'retrograde',
    });
  });
});

describe('findRampRetrograde', () => {
  // A fleet worse than its test climbing under saturation, its tasks changing too fast within any period for a size
  // to be measured twice: each period's fewest and most tasks, and the listeners carried.
  const climb = [
    { atMs: T0, lo: 400, hi: 431, listeners: 404_000 },
    { atMs: T0 + MIN, lo: 431, hi: 534, listeners: 404_000 },
    { atMs: T0 + 2 * MIN, lo: 534, hi: 615, listeners: 391_000 },
    { atMs: T0 + 3 * MIN, lo: 615, hi: 711, listeners: 370_000 },
    { atMs: T0 + 4 * MIN, lo: 711, hi: 835, listeners: 350_000 },
  ];

  it('reads two later periods with more tasks all through, each carrying fewer, as retrograde', () => {
    // Act
    const found = findRampRetrograde(climb);
    // Assess: the first period carrying most is the size to return to; the first worse one past it is the evidence
    expect(found).toEqual({
      bestTasks: (400 + 431) / 2,
      bestListeners: 404_000,
      worseTasks: 534,
      worseListeners: 391_000,
    });
  });

  it.each([
    ['one worse period', climb.slice(0, 3)],
    [
      'a climb that carries more each step',
      climb.map((p, i) => ({ ...p, listeners: 404_000 * (1 + i / 10) })),
    ],
    [
      'fewer listeners within the retrograde tolerance',
      climb.map((p, i) => ({ ...p, listeners: 404_000 - i * 2_000 })),
    ],
    [
      'later periods that ran no more tasks than the best one',
      climb.map((p) => ({ ...p, lo: 400, hi: 835 })),
    ],
  ])('finds none with %s', (_, periods) => {
    expect(findRampRetrograde(periods)).toBeUndefined();
  });

  it('keeps the evidence in state once found, and the ceiling returns to the best size', () => {
    // Prepare: ticks every 20 s through the climb above, joins refused all through, datapoints 90 s late
    let state: LiveModelState | undefined;
    const running = (t: number) => {
      const k = Math.min(Math.max(Math.floor((t - T0) / MIN), 0), 4);
      const p = climb[k]!;
      return Math.round(p.lo + ((p.hi - p.lo) * ((t - T0) % MIN)) / MIN);
    };
    for (let t = T0; t <= T0 + 7 * MIN; t += 20_000) {
      const ready = climb.filter((p) => p.atMs + MIN + 90_000 <= t);
      const series = (f: (p: (typeof climb)[number]) => number) => ready.map((p) => ({ t: p.atMs, v: f(p) }));
      state = updateLiveModel(state, {
        nowMs: t,
        running: running(t),
        periodSeconds: 60,
        listeners: series((p) => p.listeners),
        joinRequests: series(() => 300_000),
        joinErrorsCapacity: series(() => 100_000),
      });
    }
    // Act
    const { capacity } = liveCapacity(prior, state);
    // Assess: the first period has no datapoint before it to show listeners standing still, so the best saturated
    // period is the second (431 to 534 tasks), and the evidence the two after it
    expect(state!.rampRetrograde).toMatchObject({ bestTasks: (431 + 534) / 2, worseTasks: 615 });
    expect(capacity).toMatchObject({
      ceilingReason: 'retrograde',
      ceilingTasks: Math.round((431 + 534) / 2),
    });
  });
});
