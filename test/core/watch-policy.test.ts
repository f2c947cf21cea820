import fc from 'fast-check';
import type { Datapoint } from '../../lambda/core/series';
import type { WatchInput } from '../../lambda/core/watch-policy';
import { stepFloor } from '../../lambda/core/planner';
import { decideWatch, phaseAt } from '../../lambda/core/watch-policy';
import type { LiveCapacity } from '../../lambda/core/live-model';
import { tasksFor, uslCapacity } from '../../lambda/core/usl';

const T0 = Date.parse('2030-06-01T20:00:00Z'); // scheduled start
const MIN = 60_000;
const model = { lambda: 3000, sigma: 0.0005, kappa: 1e-6 };
const iso = (ms: number) => new Date(ms).toISOString();

const timeline = {
  rampStartMs: T0 - 30 * MIN,
  doorsOpenMs: T0 - 15 * MIN,
  holdUntilMs: T0 + 150 * MIN,
  steps: [
    { at: iso(T0 - 30 * MIN), tasks: 300 },
    { at: iso(T0 - 29 * MIN), tasks: 400 },
    { at: iso(T0 + 150 * MIN), tasks: 300 },
    { at: iso(T0 + 160 * MIN), tasks: 200 },
  ],
  eventTasks: 400,
};

/** Listener datapoints every minute, ending one period plus delay before now. */
function listenersAt(nowMs: number, values: number[]): Datapoint[] {
  const last = nowMs - 2 * MIN;
  return values.map((v, i) => ({ t: last - (values.length - 1 - i) * MIN, v }));
}

function input(over: Partial<WatchInput> & { nowMs: number }): WatchInput {
  return {
    timeline,
    model,
    headroom: 0.3,
    fleet: { maxTasks: 2000, vcpuPerTask: 4, startupSeconds: 75, periodSeconds: 60, delaySeconds: 60 },
    controller: {
      tickSeconds: 20,
      forecastWindowMinutes: 10,
      retryIntervalSeconds: 30,
      holdShareOfPeak: 0.5,
    },
    stepDown: { steps: 2, intervalMinutes: 10 },
    metrics: {},
    currentTasks: 400,
    recordedTasks: 200,
    vcpuAvailable: 100_000,
    peakListeners: 0,
    ...over,
  };
}

describe('phaseAt and stepFloor', () => {
  it.each([
    [T0 - 31 * MIN, 200, 'scheduled'],
    [T0 - 20 * MIN, 400, 'prewarming'],
    [T0, 400, 'live'],
    [T0 + 151 * MIN, 300, 'cooling'],
    [T0 + 200 * MIN, 200, 'done'],
  ])('at %d with %d tasks is %s', (now, current, phase) => {
    expect(phaseAt(timeline, now, current, 200)).toBe(phase);
  });
  it('takes the last step at or before now', () => {
    expect(stepFloor(timeline.steps, T0 - 31 * MIN, 200)).toBe(200);
    expect(stepFloor(timeline.steps, T0 - 30 * MIN, 200)).toBe(300);
    expect(stepFloor(timeline.steps, T0, 200)).toBe(400);
    expect(stepFloor(timeline.steps, T0 + 165 * MIN, 200)).toBe(200);
  });
});

describe('decideWatch (table)', () => {
  const now = T0 + 5 * MIN;
  it.each<
    [
      string,
      Partial<WatchInput>,
      { action: string; target: number | ((t: number) => boolean); reason?: RegExp },
    ]
  >([
    [
      'steady audience inside the plan',
      { metrics: { listeners: listenersAt(now, [500_000, 500_000, 500_000]) } },
      { action: 'hold', target: 400 },
    ],
    [
      'a surge beyond the plan scales out at once to the forecast need',
      { metrics: { listeners: listenersAt(now, [800_000, 900_000, 1_000_000]) } },
      { action: 'scale-out', target: (t) => t > 700 && t <= 1000, reason: /forecast .* needs/ },
    ],
    [
      'capacity errors add the listeners failing to get in',
      {
        metrics: {
          listeners: listenersAt(now, [700_000, 700_000, 700_000]),
          joinErrorsCapacity: listenersAt(now, [0, 60_000, 120_000]),
        },
      },
      { action: 'scale-out', target: (t) => t >= tasksFor(model, (700_000 + 60_000) * 1.3).tasks! },
    ],
    [
      'refused joins count as waiting listeners only up to the audience in: a storm beyond is no reason to scale',
      {
        metrics: {
          listeners: listenersAt(now, [150_000, 150_000, 150_000]),
          // 80,000 refused joins a second: 2.4 M "waiting" at a 30 s retry, sixteen times the audience.
          joinErrorsCapacity: listenersAt(now, [0, 4_800_000, 4_800_000]),
        },
      },
      { action: 'hold', target: (t) => t <= Math.max(400, tasksFor(model, 300_000 * 1.3).tasks!) },
    ],
    [
      'missing listener data holds',
      { metrics: {} },
      { action: 'hold', target: 400, reason: /holding: listeners: no datapoints/ },
    ],
    [
      'NaN holds',
      { metrics: { listeners: listenersAt(now, [900_000, Number.NaN]) } },
      { action: 'hold', target: 400, reason: /not a number/ },
    ],
    [
      'negative holds',
      { metrics: { listeners: listenersAt(now, [900_000, -5]) } },
      { action: 'hold', target: 400, reason: /negative/ },
    ],
    [
      'stale data holds',
      { metrics: { listeners: [{ t: now - 30 * MIN, v: 1_000_000 }] } },
      { action: 'hold', target: 400, reason: /stale/ },
    ],
    [
      'a falling audience never scales in during the window',
      { metrics: { listeners: listenersAt(now, [100_000, 50_000, 10_000]) }, currentTasks: 900 },
      { action: 'hold', target: 900 },
    ],
    [
      'a manual floor above the plan',
      { metrics: { listeners: listenersAt(now, [10, 10, 10]) }, override: { tasks: 600, force: false } },
      { action: 'scale-out', target: 600, reason: /manual floor 600/ },
    ],
    [
      'a manual floor below the plan without force is ignored',
      { metrics: { listeners: listenersAt(now, [10, 10, 10]) }, override: { tasks: 100, force: false } },
      { action: 'hold', target: 400 },
    ],
    [
      'a forced floor below the plan scales in',
      { metrics: { listeners: listenersAt(now, [10, 10, 10]) }, override: { tasks: 100, force: true } },
      { action: 'scale-in', target: 100 },
    ],
    [
      'the vCPU quota bounds the target and is reported',
      { metrics: { listeners: listenersAt(now, [1_000_000, 1_000_000, 1_000_000]) }, vcpuAvailable: 2400 },
      { action: 'scale-out', target: 600, reason: /limited to 600 by vcpuQuota/ },
    ],
    [
      'the shield asks for more capacity during a flash crowd',
      { metrics: { listeners: listenersAt(now, [500_000, 500_000, 500_000]) }, extraTasks: 300 },
      { action: 'scale-out', target: (t) => t === tasksFor(model, 500_000 * 1.3).tasks! + 300 },
    ],
  ])('%s', (_name, over, expected) => {
    const d = decideWatch(input({ nowMs: now, ...over }));
    expect(d.action).toBe(expected.action);
    if (typeof expected.target === 'number') expect(d.targetTasks).toBe(expected.target);
    else expect(expected.target(d.targetTasks)).toBe(true);
    if (expected.reason) expect(d.reason).toMatch(expected.reason);
  });

  it('raises to the plan step at the ramp start', () => {
    const d = decideWatch(input({ nowMs: T0 - 30 * MIN, currentTasks: 200 }));
    expect(d).toMatchObject({ phase: 'prewarming', action: 'scale-out', targetTasks: 300 });
  });

  describe('after the window', () => {
    const after = T0 + 152 * MIN;
    it('holds while listeners are above the share of the peak (the event runs late)', () => {
      const d = decideWatch(
        input({
          nowMs: after,
          peakListeners: 1_000_000,
          metrics: { listeners: listenersAt(after, [600_000, 600_000]) },
        }),
      );
      expect(d).toMatchObject({ phase: 'cooling', action: 'hold', targetTasks: 400 });
      expect(d.reason).toMatch(/running late/);
    });
    it('steps down gradually once listeners allow', () => {
      const d = decideWatch(
        input({
          nowMs: after,
          peakListeners: 1_000_000,
          metrics: { listeners: listenersAt(after, [10_000, 5_000]) },
        }),
      );
      expect(d).toMatchObject({ action: 'scale-in', targetTasks: 300 });
    });
    it('waits an interval between steps', () => {
      const d = decideWatch(
        input({
          nowMs: after,
          currentTasks: 300,
          lastScaleInMs: after - 5 * MIN,
          peakListeners: 1e6,
          metrics: { listeners: listenersAt(after, [0, 0]) },
        }),
      );
      expect(d).toMatchObject({ action: 'hold', targetTasks: 300 });
    });
    it('never steps down on missing data', () => {
      const d = decideWatch(input({ nowMs: after, peakListeners: 1_000_000, metrics: {} }));
      expect(d).toMatchObject({ action: 'hold', targetTasks: 400 });
    });
    it('steps down when the listeners are float dust and no peak was ever seen', () => {
      // Prepare: an audience never read (peak 0); the series now averages to a hair above zero.
      const d = decideWatch(
        input({
          nowMs: after,
          peakListeners: 0,
          metrics: { listeners: listenersAt(after, [4.8e-10, 4.8e-10]) },
        }),
      );
      // Assess: nobody is there to wait for.
      expect(d).toMatchObject({ action: 'scale-in', targetTasks: 300 });
    });
    it('scales out on joins refused for room even when listeners are unreadable', () => {
      const d = decideWatch(
        input({
          nowMs: after,
          peakListeners: 1e6,
          runningTasks: 400,
          metrics: {
            joinErrorsCapacity: listenersAt(after, [600_000]),
            joinRequests: listenersAt(after, [900_000]),
          },
        }),
      );
      expect(d.action).toBe('scale-out');
      expect(d.targetTasks).toBeGreaterThan(400);
    });
    describe('once the audience has gone', () => {
      const ended = { ...timeline, endMs: T0 + 120 * MIN };
      const follow = { quietMinutes: 15, intervalMinutes: 5, maxStepShare: 0.25 };
      const quiet = (at: number, v = 0, n = 12) =>
        listenersAt(
          at,
          Array.from({ length: n }, () => v),
        );
      const carried = uslCapacity(model, 200) / 1.3; // what the recorded floor carries with headroom
      const gone = (metrics: WatchInput['metrics'], over: Partial<WatchInput> = {}) =>
        decideWatch(
          input({
            nowMs: after,
            timeline: ended,
            peakListeners: 1e6,
            followAudience: follow,
            metrics: { joinErrorsCapacity: quiet(after), ...metrics },
            ...over,
          }),
        );

      it('returns to the recorded floor at once, not in steps', () => {
        // Prepare: a step-down interval (10 min) of fresh datapoints under what the recorded floor carries
        const d = gone({ listeners: quiet(after, carried * 0.9) });
        // Assess
        expect(d).toMatchObject({ action: 'scale-in', targetTasks: 200 });
        expect(d.reason).toMatch(/the audience has gone/);
      });

      it('asks an empty fleet of tasks that do not protect their listeners', () => {
        expect(gone({ listeners: quiet(after, 0) }, { followAudience: undefined })).toMatchObject({
          action: 'scale-in',
          targetTasks: 200,
        });
        expect(
          gone({ listeners: quiet(after, carried * 0.1) }, { followAudience: undefined }).reason,
        ).not.toMatch(/the audience has gone/);
      });

      it.each([
        [
          'a datapoint above what the recorded floor carries',
          {
            listeners: [
              ...quiet(after).slice(0, 5),
              { t: after - 8 * MIN, v: 1e6 },
              ...quiet(after).slice(6),
            ],
          },
        ],
        ['a gap in the interval', { listeners: quiet(after).filter((_, i) => i < 4 || i > 7) }],
        ['an interval not yet covered', { listeners: quiet(after, 0, 6) }],
        [
          'stale datapoints',
          {
            listeners: listenersAt(
              after - 5 * MIN,
              Array.from({ length: 12 }, () => 0),
            ),
          },
        ],
        [
          'a join refused for room inside the interval',
          {
            listeners: quiet(after),
            joinErrorsCapacity: [
              ...quiet(after).slice(0, 5),
              { t: after - 8 * MIN, v: 600 },
              ...quiet(after).slice(6),
            ],
          },
        ],
        ['refused joins unreadable', { listeners: quiet(after), joinErrorsCapacity: quiet(after, 0, 3) }],
      ])('steps down as before with %s', (_, metrics) => {
        const d = gone(metrics);
        expect(d.targetTasks).toBeGreaterThan(200);
        expect(d.reason).not.toMatch(/the audience has gone/);
      });

      it('never during a flood, nor for an interval that reaches back before the scheduled end', () => {
        expect(gone({ listeners: quiet(after) }, { floodSuspected: true }).reason).not.toMatch(/has gone/);
        const early = T0 + 125 * MIN;
        const d = gone(
          { listeners: quiet(early), joinErrorsCapacity: quiet(early) },
          { nowMs: early, timeline: { ...ended, holdUntilMs: T0 + 50 * MIN } },
        );
        expect(d.reason).not.toMatch(/has gone/);
      });

      it('with listeners unreadable, takes the fleet for empty only on its CPU, unless CPU was shown misleading', () => {
        // Prepare: no listener datapoint; refused joins read 0; the CPU of 400 running tasks near idle
        const blind = (cpu: Datapoint[], over: Partial<WatchInput> = {}) =>
          gone(
            { cpu },
            { runningTasks: 400, cpuAtCapacity: 70, live: live({ cpuEvidence: 'used' }), ...over },
          );
        // CPU the running tasks would show carrying what the recorded floor carries
        const sized = live({ cpuEvidence: 'used' }).params;
        const most = (70 * uslCapacity(sized, 200)) / 1.3 / uslCapacity(sized, 400);
        // Act / Assess
        expect(blind(quiet(after, most * 0.9))).toMatchObject({ action: 'scale-in', targetTasks: 200 });
        expect(blind(quiet(after, most * 0.9)).reason).toMatch(/listeners unreadable, the fleet's CPU/);
        for (const held of [
          blind(quiet(after, most * 1.5)),
          blind(quiet(after, 1).filter((_, i) => i < 4 || i > 7)),
          blind(
            listenersAt(
              after - 5 * MIN,
              Array.from({ length: 12 }, () => 1),
            ),
          ),
          blind(quiet(after, 1), { cpuAtCapacity: undefined }),
          blind(quiet(after, 1), { runningTasks: undefined }),
          blind(quiet(after, 1), { live: live({ cpuEvidence: 'contradicted' }) }),
          blind(quiet(after, 1), { followAudience: undefined }),
        ])
          expect(held).toMatchObject({ action: 'hold', targetTasks: 400 });
      });

      // A one-hour event held to 70 minutes, its audience expected ten minutes in.
      const short = {
        ...timeline,
        startMs: T0,
        endMs: T0 + 60 * MIN,
        holdUntilMs: T0 + 70 * MIN,
        expectedListeners: 1e6,
        audienceInMs: T0 + 10 * MIN,
      };

      it('waits for a late start while nobody has come: two hours from the scheduled start, then returns at once', () => {
        // Prepare: listeners never more than half what the recorded floor carries, and the same event with an audience
        // that came (1 M) and left
        const at = (ms: number, peakListeners = carried / 2) =>
          decideWatch(
            input({
              nowMs: ms,
              timeline: short,
              peakListeners,
              followAudience: follow,
              metrics: { listeners: quiet(ms, carried / 2), joinErrorsCapacity: quiet(ms) },
              listenerHistory: quiet(ms, carried / 2, 25),
            }),
          );
        // Act / Assess: inside the window and past it the plan's 400 tasks hold, with on-call told what to do
        expect(at(T0 + 65 * MIN)).toMatchObject({ action: 'hold', targetTasks: 400 });
        const waiting = at(T0 + 100 * MIN);
        expect(waiting).toMatchObject({ action: 'hold', targetTasks: 400 });
        expect(waiting.reason).toMatch(/may be starting late, holding until .*22:00:00.*shift the event/);
        // Two hours past the start, or once an audience came and went, the fleet goes back to its recorded floor.
        expect(at(T0 + 121 * MIN)).toMatchObject({ action: 'scale-in', targetTasks: 200 });
        expect(at(T0 + 100 * MIN, 1e6)).toMatchObject({ action: 'scale-in', targetTasks: 200 });
        expect(at(T0 + 100 * MIN, 1e6).reason).toMatch(/the audience has gone/);
      });

      it('grows the fleet for a crowd that comes after the scheduled end, while waiting for the late start', () => {
        // Prepare: nobody came in the hour; 600 k listeners an hour and a half past the start
        const now = T0 + 90 * MIN;
        // Act
        const d = decideWatch(
          input({
            nowMs: now,
            timeline: short,
            peakListeners: carried / 2,
            followAudience: follow,
            metrics: { listeners: listenersAt(now, [carried / 2, 600_000]), joinErrorsCapacity: quiet(now) },
          }),
        );
        // Assess
        expect(d.action).toBe('scale-out');
        expect(d.targetTasks).toBeGreaterThan(400);
      });

      it('waits for the scheduled end inside the window, then lets the floor follow at once', () => {
        const at = (ms: number) =>
          decideWatch(
            input({
              nowMs: ms,
              timeline: { ...ended, audienceInMs: T0 + 10 * MIN },
              peakListeners: 1e6,
              followAudience: follow,
              metrics: { listeners: quiet(ms), joinErrorsCapacity: quiet(ms) },
              listenerHistory: quiet(ms, 0, 25),
            }),
          );
        expect(at(T0 + 50 * MIN).reason).not.toMatch(/the audience has gone/);
        expect(at(T0 + 130 * MIN)).toMatchObject({
          action: 'scale-in',
          targetTasks: 200,
          followingAudience: true,
        });
      });
    });

    it('stops at the recorded floor', () => {
      const d = decideWatch(
        input({
          nowMs: after + 60 * MIN,
          currentTasks: 200,
          metrics: { listeners: listenersAt(after + 60 * MIN, [0]) },
        }),
      );
      expect(d).toMatchObject({ phase: 'done', action: 'hold', targetTasks: 200 });
    });
  });
});

describe('decideWatch without listeners', () => {
  const now = T0 - 35 * MIN; // before the ramp: the audience arrives early, unseen
  /**
   * One tick at any minute of the event, with listeners unreadable: past the scheduled end too, where an emptied
   * fleet returns at once, so missing listeners must never pass for one.
   */
  const blindTick = (
    minute: number,
    current: number,
    running: number,
    protect: boolean,
    over: (nowMs: number) => Partial<WatchInput>,
  ) => {
    const nowMs = T0 + minute * MIN;
    return decideWatch(
      input({
        nowMs,
        timeline: { ...timeline, endMs: T0 + 120 * MIN },
        currentTasks: current,
        runningTasks: running,
        peakListeners: 1e6,
        followAudience: protect ? { quietMinutes: 15, intervalMinutes: 5, maxStepShare: 0.25 } : undefined,
        ...over(nowMs),
      }),
    );
  };
  const refused = (perMinute: number) => listenersAt(now, [perMinute, perMinute]);
  const asked = refused(100_000);

  it('takes a fleet refusing joins for room as full and sizes for it plus those waiting', () => {
    // Prepare: 40 tasks running, listeners missing, 60 k joins refused a minute.
    const d = decideWatch(
      input({
        nowMs: now,
        currentTasks: 40,
        runningTasks: 40,
        metrics: { joinErrorsCapacity: refused(60_000), joinRequests: asked },
      }),
    );
    // Assess: more than the running tasks, with the reason naming the evidence.
    const carried = uslCapacity(model, 40);
    const waiting = (60_000 / 60) * 30;
    expect(d.action).toBe('scale-out');
    expect(d.unmetListeners).toBeCloseTo(waiting);
    expect(d.targetTasks).toBe(tasksFor(model, (carried + waiting) * 1.3).tasks);
    expect(d.reason).toMatch(/listeners unreadable, joins refused for room/);
  });

  it('asks nothing without refusals at the saturated share, during a flood, or without a running count', () => {
    for (const over of [
      { metrics: { joinErrorsCapacity: refused(0), joinRequests: asked }, runningTasks: 40 },
      // one hot task refusing a join now and then is not a full fleet
      { metrics: { joinErrorsCapacity: refused(1_000), joinRequests: asked }, runningTasks: 40 },
      { metrics: { joinErrorsCapacity: refused(60_000) }, runningTasks: 40 },
      {
        metrics: { joinErrorsCapacity: refused(60_000), joinRequests: asked },
        runningTasks: 40,
        floodSuspected: true,
      },
      { metrics: { joinErrorsCapacity: refused(60_000), joinRequests: asked } },
      { metrics: {}, runningTasks: 40 },
    ]) {
      const d = decideWatch(input({ nowMs: now, currentTasks: 40, ...over }));
      expect(d).toMatchObject({ action: 'hold', targetTasks: 40, neededTasks: null });
    }
  });

  describe('reading the audience from CPU', () => {
    const cap = 70;
    // 200 tasks ran through the last ten minutes; CPU rose from half to all of what a full task runs at.
    const ran = (tasks: number) =>
      Array.from({ length: 11 }, (_, k) => ({ t: now - (10 - k) * MIN, v: tasks }));
    const cpu = listenersAt(now, [35, 52.5, 70]);
    const joins = listenersAt(now, [20_000, 20_000, 20_000]);
    const blind = (over: Partial<WatchInput>) =>
      decideWatch(
        input({
          nowMs: now,
          currentTasks: 200,
          runningTasks: 200,
          runningHistory: ran(200),
          cpuAtCapacity: cap,
          metrics: { cpu, joinRequests: joins },
          ...over,
        }),
      );

    it('sizes a rising audience from the tasks that ran through each period, not those running now', () => {
      // Prepare: the fleet already launched more since the newest datapoint.
      const full = uslCapacity(model, 200);
      // Act
      const d = blind({ runningTasks: 320 });
      // Assess: at least what the full 200 carry with headroom, more for the rise, and 320 running changes nothing.
      expect(d.action).toBe('scale-out');
      expect(d.targetTasks).toBeGreaterThan(tasksFor(model, full * 1.3).tasks!);
      expect(d.forecastListeners).toBeGreaterThan(full);
      expect(blind({ runningTasks: 200 }).targetTasks).toBe(d.targetTasks);
      expect(d.reason).toMatch(/listeners unreadable, the fleet's CPU shows about/);
    });

    it('reads nothing from CPU a flood burns, CPU shown misleading, or periods the counts do not cover', () => {
      const misleading = { cpuEvidence: 'contradicted' } as unknown as LiveCapacity;
      for (const over of [
        { metrics: { cpu, joinRequests: listenersAt(now, [1e8, 1e8, 1e8]) } },
        { metrics: { cpu } },
        { floodSuspected: true },
        { live: misleading },
        { runningHistory: ran(200).slice(-2) },
        // ECS ran tasks past the desired count through the periods: draining tasks overstate those taking joins
        { runningHistory: ran(200).map((c) => ({ ...c, draining: true as const })) },
        { cpuAtCapacity: undefined },
        { metrics: { cpu: listenersAt(now - 10 * MIN, [35, 52.5, 70]), joinRequests: joins } },
      ] satisfies Partial<WatchInput>[]) {
        expect(blind(over)).toMatchObject({ action: 'hold', targetTasks: 200, neededTasks: null });
      }
    });

    it('reads CPU at the rate readings beside listeners showed, and not while tasks drain', () => {
      // Prepare: readings taken while listeners could be read showed this fleet at half the curve's room at full CPU.
      const half = {
        cpuReadings: [
          { atMs: now - 30 * MIN, tasks: 200, implied: 0.5 * uslCapacity(model, 200) },
          { atMs: now - 29 * MIN, tasks: 200, implied: 0.5 * uslCapacity(model, 200) },
        ],
      } as unknown as LiveCapacity;
      // Act
      const scaled = blind({ live: half, metrics: { cpu: listenersAt(now, [70, 70]), joinRequests: joins } });
      const draining = blind({ drainFromMs: now - 3 * MIN });
      // Assess: half the listeners at the same CPU, so no more than the 200 tasks running; nothing read in a drain.
      expect(scaled.forecastListeners).toBeCloseTo(0.5 * uslCapacity(model, 200), -2);
      expect(scaled).toMatchObject({ action: 'hold', targetTasks: 200 });
      expect(draining).toMatchObject({ action: 'hold', neededTasks: null });
    });

    it('sizes the stand-in by a straight line where the fleet carried more than its test said', () => {
      // Prepare: 150 tasks carried a quarter more than the curve says, and the CPU now shows a rising audience
      const seen = { tasks: 150, listeners: 1.25 * uslCapacity(model, 150) };
      const pessimistic = { params: model, ceilingTasks: 2000, largestSeen: seen } as unknown as LiveCapacity;
      // Act
      const d = blind({ live: pessimistic });
      // Assess: what the CPU's listeners need at that rate per task, more than the 200 running, less than the curve
      const line = Math.ceil((d.forecastListeners! * 1.3 * seen.tasks) / seen.listeners);
      expect(d.action).toBe('scale-out');
      expect(d.targetTasks).toBe(line);
      expect(d.targetTasks).toBeLessThan(blind({}).targetTasks);
    });

    it('scales in on CPU only to return an emptied fleet after the scheduled end, never on the stand-in', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: -40, max: 240 }),
          fc.integer({ min: 1, max: 1000 }),
          // a whole step-down interval and more of CPU, with no join refused: past the end the emptied-fleet path runs
          fc.array(fc.double({ min: 0, max: 150, noNaN: true }), { minLength: 1, maxLength: 14 }),
          fc.integer({ min: 1, max: 1000 }),
          (minute, current, cpuValues, tasks) => {
            const d = blindTick(minute, current, tasks, true, (nowMs) => ({
              runningHistory: Array.from({ length: 11 }, (_, k) => ({ t: nowMs - (10 - k) * MIN, v: tasks })),
              cpuAtCapacity: cap,
              metrics: {
                cpu: listenersAt(nowMs, cpuValues),
                joinRequests: listenersAt(
                  nowMs,
                  cpuValues.map(() => 1000),
                ),
                joinErrorsCapacity: listenersAt(
                  nowMs,
                  cpuValues.map(() => 0),
                ),
              },
            }));
            if (d.targetTasks >= current) return true;
            // the one way down: an interval past the end (120) of CPU showing the fleet empty, to the recorded floor
            return minute >= 130 && d.targetTasks === 200 && /the audience has gone/.test(d.reason);
          },
        ),
      );
    });
  });

  it('never scales in on refusals, inside the window or after it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -40, max: 240 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.boolean(),
        (minute, current, running, errors, protect) =>
          blindTick(minute, current, running, protect, (nowMs) => ({
            metrics: {
              joinErrorsCapacity: listenersAt(
                nowMs,
                Array.from({ length: 12 }, () => errors),
              ),
              joinRequests: listenersAt(
                nowMs,
                Array.from({ length: 12 }, () => 2 * errors + 1),
              ),
            },
          })).targetTasks >= current,
      ),
    );
  });
});

describe('decideWatch with a test too pessimistic to extrapolate', () => {
  // The test's load generators gave out at 200 k: its curve peaks at 120 tasks. The fleet ran 158 tasks carrying
  // 440 k without a refusal, and the audience is still rising.
  const capped = { lambda: 3435, sigma: 0, kappa: 6.9e-5 };
  const now = T0 + 5 * MIN;
  const rising = listenersAt(now, [400_000, 420_000, 440_000]);
  const live = (listeners: number, ceilingTasks: number) =>
    ({
      params: capped,
      peakTasks: 120,
      peakListeners: uslCapacity(capped, 120),
      ceilingTasks,
      ceilingReason: 'unexplored',
      probeTasks: null,
      saturatedPeriods: 0,
      boundPeriods: 8,
      largestSeen: { tasks: 158, listeners },
    }) as LiveCapacity;
  const decide = (over: Partial<WatchInput>) =>
    decideWatch(
      input({
        nowMs: now,
        // the plan held 100 tasks: the watch alone took the fleet to 158
        timeline: { ...timeline, steps: [{ at: iso(T0 - 30 * MIN), tasks: 100 }] },
        model: capped,
        currentTasks: 158,
        runningTasks: 158,
        metrics: { listeners: rising },
        live: live(440_000, 400),
        ...over,
      }),
    );

  it('sizes past the curve in a straight line from what the largest size seen carried per task', () => {
    // Act
    const d = decide({});
    // Assess: what the forecast with headroom needs at 440 k per 158 tasks, within the opened step
    const wanted = d.forecastListeners! * 1.3;
    expect(d.action).toBe('scale-out');
    expect(d.targetTasks).toBe(Math.ceil((wanted * 158) / 440_000));
    expect(decide({ live: live(440_000, 190) }).targetTasks).toBe(190);
  });

  it('keeps the curve where the fleet carried what its test said', () => {
    const d = decide({ model, live: { ...live(440_000, 400), params: model, peakTasks: null } });
    expect(d.targetTasks).toBe(tasksFor(model, d.forecastListeners! * 1.3).tasks);
  });
});

describe('decideWatch (properties)', () => {
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: 0, max: 3_000_000, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY) },
  );
  const series = fc.option(fc.array(value, { minLength: 0, maxLength: 12 }), { nil: undefined });
  type Scenario = {
    offsetMin: number;
    listeners?: number[];
    errors?: number[];
    stale: boolean;
    current: number;
    maxTasks: number;
    vcpuAvailable: number;
  };
  const scenario: fc.Arbitrary<Scenario> = fc.record({
    offsetMin: fc.integer({ min: -30, max: 149 }),
    listeners: series,
    errors: series,
    stale: fc.boolean(),
    current: fc.integer({ min: 200, max: 1500 }),
    maxTasks: fc.integer({ min: 400, max: 5000 }),
    vcpuAvailable: fc.integer({ min: 1600, max: 40_000 }),
  });

  const build = (s: Scenario) => {
    const nowMs = T0 + s.offsetMin * MIN;
    const toSeries = (vals: number[] | undefined) =>
      vals === undefined ? undefined : listenersAt(s.stale ? nowMs - 20 * MIN : nowMs, vals);
    return input({
      nowMs,
      currentTasks: s.current,
      fleet: {
        maxTasks: s.maxTasks,
        vcpuPerTask: 4,
        startupSeconds: 75,
        periodSeconds: 60,
        delaySeconds: 60,
      },
      vcpuAvailable: s.vcpuAvailable,
      metrics: { listeners: toSeries(s.listeners), joinErrorsCapacity: toSeries(s.errors) },
    });
  };

  it('in the window: never below the plan floor, never scales in, never above the limits it can move to', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const inp = build(s);
        const d = decideWatch(inp);
        const limit = Math.min(inp.fleet.maxTasks, 5000, Math.floor(inp.vcpuAvailable / 4));
        expect(d.targetTasks).toBeGreaterThanOrEqual(inp.currentTasks);
        expect(d.targetTasks).toBeGreaterThanOrEqual(Math.min(d.planFloor, limit));
        if (d.targetTasks > inp.currentTasks) expect(d.targetTasks).toBeLessThanOrEqual(limit);
        expect(d.action).not.toBe('scale-in');
      }),
      { numRuns: 1000 },
    );
  });

  it('missing, NaN, negative or stale listeners never move capacity down and never up beyond the plan', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: -30, max: 300 }), (s, offsetMin) => {
        const inp = { ...build(s), nowMs: T0 + offsetMin * MIN };
        const bad = {
          ...inp,
          metrics: {
            listeners:
              s.listeners === undefined
                ? undefined
                : listenersAt(inp.nowMs, [...(s.listeners ?? []), Number.NaN]),
          },
        };
        const d = decideWatch(bad);
        expect(d.targetTasks).toBeGreaterThanOrEqual(inp.currentTasks);
        expect(d.targetTasks).toBeLessThanOrEqual(Math.max(inp.currentTasks, d.planFloor));
        expect(d.anomalies.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('scales out to the forecast need within one tick', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 100_000, max: 1_100_000, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (level, growth) => {
          const now = T0 + 10 * MIN;
          const values = [level, level * growth ** 0.5, level * growth];
          const d = decideWatch(
            input({ nowMs: now, currentTasks: 400, metrics: { listeners: listenersAt(now, values) } }),
          );
          const last = values[2]!;
          const need = tasksFor(model, last * 1.3);
          if (need.reachable && need.tasks! > 400) {
            // Capacity decided now carries at least the newest observation with headroom.
            expect(uslCapacity(model, d.targetTasks)).toBeGreaterThanOrEqual(last * 1.3 - 1);
            expect(d.action).toBe('scale-out');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A live model that agrees with the test's fit, with what a test changes. */
const live = (over: Partial<LiveCapacity> = {}): LiveCapacity => ({
  params: model,
  peakTasks: 1396,
  peakListeners: 1_500_000,
  ceilingTasks: 1396,
  ceilingReason: 'model-peak',
  probeTasks: null,
  saturatedPeriods: 0,
  boundPeriods: 10,
  ...over,
});

describe('decideWatch while tasks drain', () => {
  const at = T0 + 40 * MIN;
  // 1,500 tasks running, 1,100 of them draining (a floor stepped down from where the plan put it, under an audience
  // spread over every task): each of the 400 taking joins carries what a task of the 1,500 does. Tasks protect their
  // listeners (the fleet follows the audience down).
  const draining = {
    nowMs: at,
    currentTasks: 400,
    runningTasks: 1500,
    drainingTasks: 1100,
    followAudience: { quietMinutes: 15, intervalMinutes: 5, maxStepShare: 0.25 },
  };

  it('sizes the tasks taking joins on the whole running fleet when the audience grows, taking drains back', () => {
    // Prepare: the audience growing 300 k -> 360 k a minute apart, far under what the curve says 400 tasks carry
    const growing = { ...draining, metrics: { listeners: listenersAt(at, [300_000, 330_000, 360_000]) } };
    // Act
    const d = decideWatch(input(growing));
    const noDrains = decideWatch(input({ ...growing, drainingTasks: 0 }));
    // ...and tasks past the desired count on a fleet whose tasks do not protect listeners (a deployment's) are no drains
    const deploying = decideWatch(input({ ...growing, followAudience: undefined }));
    // Assess: without drains the curve's need is under the floor and it holds; with them, the forecast with headroom
    // needs as many tasks taking joins as carry it at what a task of the running fleet carries (drains come back first)
    const wanted = (d.forecastListeners! + d.unmetListeners) * 1.3;
    expect(noDrains.action).toBe('hold');
    expect(deploying.action).toBe('hold');
    expect(tasksFor(model, wanted).tasks!).toBeLessThan(400);
    expect(d).toMatchObject({
      action: 'scale-out',
      targetTasks: Math.ceil((wanted * 1500) / uslCapacity(model, 1500)),
    });
    expect(d.targetTasks).toBeLessThan(1500);
    expect(d.reason).toMatch(/drains come back first/);
  });

  it('leaves a steady audience alone: its listeners stay where they are, drains keeping theirs', () => {
    // Prepare: the same fleet under a steady 360 k
    const steady = { ...draining, metrics: { listeners: listenersAt(at, [360_000, 360_000, 360_000]) } };
    // Act
    const d = decideWatch(input(steady));
    // Assess: the floor holds
    expect(d).toMatchObject({ action: 'hold', targetTasks: 400 });
  });
});

describe('decideWatch with the live capacity model', () => {
  const now = T0 + 5 * MIN;
  /** The decision at `now` with this live model, floor and the two newest listener datapoints. */
  const withListeners = (l: LiveCapacity, currentTasks: number, listeners: number[]) =>
    decideWatch(
      input({ nowMs: now, currentTasks, live: l, metrics: { listeners: listenersAt(now, listeners) } }),
    );

  it('keeps the margin by which the test overstated the fleet when sizing past the largest saturated size', () => {
    // Prepare: the same demand, with and without evidence that the test overstated the fleet by 30% at 200 tasks.
    const at = (over: Partial<LiveCapacity>) =>
      decideWatch(
        input({
          nowMs: now,
          live: live(over),
          metrics: { listeners: listenersAt(now, [730_000, 730_000]) },
        }),
      ).targetTasks;
    // Act
    const plain = at({});
    const wary = at({ overstated: { share: 0.3, tasks: 200 } });
    const inside = at({ overstated: { share: 0.3, tasks: 5000 } });
    // Assess: past the evidence the fleet is sized for 30% more; within it the corrected curve is trusted as is.
    expect(wary).toBeGreaterThan(plain * 1.2);
    expect(inside).toBe(plain);
  });

  it('adds tasks when two fresh CPU readings say the running tasks fill below the demand, whatever the curve says, up to the size whose CPU implied the most room', () => {
    // Prepare: 500 k listeners steady; the curve says 400 tasks carry far more, CPU says they fill at 450 k
    const reading = (agoMin: number, implied: number) => ({ atMs: now - agoMin * MIN, tasks: 400, implied });
    const at = (over: Partial<LiveCapacity>) =>
      decideWatch(
        input({
          nowMs: now,
          headroom: 0.1,
          live: live(over),
          metrics: { listeners: listenersAt(now, [500_000, 500_000]) },
        }),
      ).targetTasks;
    // Act
    const plain = at({});
    const hot = at({ cpuReadings: [reading(3, 450_000), reading(2, 450_000)] });
    const oneOdd = at({ cpuReadings: [reading(3, 900_000), reading(2, 450_000)] });
    const single = at({ cpuReadings: [reading(2, 450_000)] });
    const roomy = at({ cpuReadings: [reading(3, 900_000), reading(2, 900_000)] });
    const stale = at({ cpuReadings: [reading(31, 450_000), reading(30, 450_000)] });
    // ...and with the live model's evidence that 440 tasks implied more room than a larger size
    const pastCpuPeak = at({
      cpuReadings: [reading(3, 450_000), reading(2, 450_000)],
      cpuPeak: { tasks: 440, implied: 480_000 },
    });
    // Assess: 550 k wanted (with 10% headroom) over 450 k a 400-task fleet carries: 489 tasks at least
    expect(plain).toBe(400);
    expect(hot).toBe(Math.ceil((400 * 550_000) / 450_000));
    expect(oneOdd).toBe(plain);
    expect(single).toBe(plain);
    expect(roomy).toBe(plain);
    expect(stale).toBe(plain);
    // past 440 tasks CPU says tasks add contention, not room: the straight line from it stops there
    expect(pastCpuPeak).toBe(440);
  });

  it('keeps the last CPU readings sizing the fleet for a quarter of an hour while a flood makes its CPU unreadable', () => {
    // Prepare: CPU said 400 tasks carry 450 k, then a flood came: the CPU metric still comes, but no period is read
    const reading = (agoMin: number) => ({ atMs: now - agoMin * MIN, tasks: 400, implied: 450_000 });
    const at = (agoMin: number, floodSuspected: boolean) =>
      decideWatch(
        input({
          nowMs: now,
          headroom: 0.1,
          floodSuspected,
          live: live({ cpuReadings: [reading(agoMin + 1), reading(agoMin)] }),
          metrics: { listeners: listenersAt(now, [500_000, 500_000]), cpu: listenersAt(now, [90, 90]) },
        }),
      ).targetTasks;
    // Act / Assess: as fresh readings would, for 15 minutes of a flood; not without one, nor after
    const fresh = Math.ceil((400 * 550_000) / 450_000);
    expect(at(2, false)).toBe(fresh);
    expect(at(10, true)).toBe(fresh);
    expect(at(10, false)).toBe(400);
    expect(at(20, true)).toBe(400);
  });

  it('holds after the window when CPU readings that asked for more than the curve stop coming', () => {
    const after = T0 + 200 * MIN;
    const readings = (agoMin: number) => [
      { atMs: after - (agoMin + 1) * MIN, tasks: 400, implied: 150_000 },
      { atMs: after - agoMin * MIN, tasks: 400, implied: 150_000 },
    ];
    const decide = (agoMin: number, cpu?: Datapoint[]) =>
      decideWatch(
        input({
          nowMs: after,
          headroom: 0.1,
          peakListeners: 1_000_000,
          live: live({ cpuReadings: readings(agoMin) }),
          metrics: { listeners: listenersAt(after, [150_000, 150_000]), ...(cpu ? { cpu } : {}) },
        }),
      );
    expect(decide(2).action).toBe('scale-out');
    // The metric stopped: its last readings keep sizing the fleet for a quarter of an hour...
    expect(decide(8).action).toBe('scale-out');
    expect(decide(8).targetTasks).toBe(decide(2).targetTasks);
    // ...and after that, what they asked for is held: never a step down on a metric that stopped
    const stale = decide(20);
    expect(stale.action).toBe('hold');
    expect(stale.reason).toMatch(/cpu: newest datapoint is stale/);
    // Readings also stop when the tasks idle below a readable CPU: the metric still comes, and that is no hold
    const idle = decide(20, listenersAt(after, [5, 5]));
    expect(idle.reason).not.toMatch(/cpu/);
  });

  it('sets the ceiling in the window: the live peak, never below the floor', () => {
    // Prepare / Act
    const d = decideWatch(
      input({ nowMs: now, live: live(), metrics: { listeners: listenersAt(now, [500_000, 500_000]) } }),
    );
    // Assess
    expect(d.ceilingTasks).toBe(1396);
    expect(d.ceilingTasks!).toBeGreaterThanOrEqual(d.targetTasks);
  });

  it("lets the plan's floor pass a live ceiling only where the test could not place its peak", () => {
    // Prepare: the plan holds 400 tasks, the fleet runs 250; the live model's ceiling is the test's peak, 300
    const at = (m: WatchInput['model']) =>
      decideWatch(
        input({
          nowMs: now,
          model: m,
          currentTasks: 250,
          live: live({ ceilingTasks: 300, peakTasks: 300 }),
          metrics: { listeners: listenersAt(now, [200_000, 200_000]) },
        }),
      );
    // Act
    const placed = at(model);
    const unplaced = at({ ...model, peakNotPlaced: true });
    // Assess: a placed peak caps the plan; a peak the steps cannot place does not
    expect(placed).toMatchObject({ targetTasks: 300, ceilingTasks: 300, limitBreached: true });
    expect(unplaced).toMatchObject({ targetTasks: 400, ceilingTasks: 400, limitBreached: false });
  });

  it('never lets a probe from the fitted peak clip a plan held past a peak the test could not place', () => {
    // Prepare: the plan holds 400; the live curve peaks at 300 tasks and 450 k, 600 k listeners are past it, and a
    // probe a step past the peak would try 330
    const d = decideWatch(
      input({
        nowMs: now,
        model: { ...model, peakNotPlaced: true },
        currentTasks: 250,
        live: live({
          params: { lambda: 3000, sigma: 0, kappa: 1 / 90_000 },
          peakTasks: 300,
          ceilingTasks: 300,
          probeTasks: 330,
        }),
        metrics: { listeners: listenersAt(now, [600_000, 600_000]) },
      }),
    );
    // Assess
    expect(d.targetTasks).toBe(400);
    expect(d.limitedBy).not.toBe('probe');
  });

  it('leaves the ceiling alone before the ramp and after the window', () => {
    for (const t of [T0 - 31 * MIN, T0 + 151 * MIN]) {
      const d = decideWatch(
        input({ nowMs: t, live: live(), metrics: { listeners: listenersAt(t, [10, 10]) } }),
      );
      expect(d.ceilingTasks).toBeNull();
    }
  });

  it('returns to the best size seen when more tasks carried fewer listeners', () => {
    const d = decideWatch(
      input({
        nowMs: now,
        currentTasks: 900,
        live: live({
          ceilingTasks: 700,
          ceilingReason: 'retrograde',
          saturatedPeriods: 6,
          retrograde: { bestTasks: 700, bestListeners: 900_000, worseTasks: 900, worseListeners: 820_000 },
        }),
        metrics: { listeners: listenersAt(now, [820_000, 820_000]) },
      }),
    );
    expect(d).toMatchObject({
      action: 'scale-in',
      targetTasks: 700,
      ceilingTasks: 700,
      limitedBy: 'retrograde',
      releaseTo: 700,
    });
    expect(d.reason).toMatch(/past its scaling peak at 900 tasks.*add a cell/);
  });

  it('tries a smaller size, below the plan if need be, when saturated past where the live curve peaks', () => {
    // Prepare: the plan put 1,700 tasks in place; saturated there, the corrected curve peaks at 1,100
    const saturatedPast = (over: Partial<WatchInput>) =>
      decideWatch(
        input({
          nowMs: now,
          currentTasks: 1700,
          live: live({ peakTasks: 1100, ceilingTasks: 1100, saturatedPeriods: 8, probeDownTasks: 1360 }),
          metrics: { listeners: listenersAt(now, [500_000, 500_000]) },
          followAudience: { quietMinutes: 15, intervalMinutes: 5, maxStepShare: 0.25 },
          ...over,
        }),
      );
    // Act
    const d = saturatedPast({});
    const undrained = saturatedPast({ followAudience: undefined });
    const forced = saturatedPast({ override: { tasks: 1700, force: true } });
    // Assess: the floor and the ceiling go to the size to try; a fleet whose tasks cannot drain, or on-call's forced
    // floor, keeps its tasks
    // (the tasks it takes away stop at once: draining, they would keep the contention that holds the fleet back)
    expect(d).toMatchObject({ action: 'scale-in', targetTasks: 1360, ceilingTasks: 1360, releaseTo: 1360 });
    expect(d.reason).toMatch(/trying 1360 tasks/);
    expect(undrained.targetTasks).toBe(1700);
    expect(forced.targetTasks).toBe(1700);
    // Once there, a need for more does not add the tasks back while the smaller size is tried, even where the
    // ceiling (a step past the largest size that carried more) is higher
    const trying = saturatedPast({
      currentTasks: 1360,
      live: live({ peakTasks: 1100, ceilingTasks: 2000, saturatedPeriods: 8, probeDownTasks: 1360 }),
      metrics: { listeners: listenersAt(now, [500_000, 700_000]) },
    });
    expect(trying).toMatchObject({ targetTasks: 1360, ceilingTasks: 1360 });
  });

  it('with no peak modelled, grows the fleet at most twice past the largest size measured, never under the plan', () => {
    // Prepare: a test that ran to 150 tasks and finds no peak; the fleet has carried listeners at 300 tasks; a surge
    // extrapolated over a long metric delay asks for thousands
    const noPeak = { lambda: 3000, sigma: 0.0005, kappa: 0 };
    const unbounded = live({ ceilingTasks: null, ceilingReason: 'no-peak', peakTasks: null, params: noPeak });
    const surge = (over: Partial<WatchInput>) =>
      decideWatch(
        input({
          nowMs: now,
          model: noPeak,
          currentTasks: 300,
          live: { ...unbounded, largestSeen: { tasks: 300, listeners: 600_000 } },
          metrics: { listeners: listenersAt(now, [2_000_000, 4_000_000]) },
          ...over,
        }),
      );
    // Act
    const bounded = surge({ testedTasks: 150 });
    const before = surge({});
    const planAbove = surge({
      testedTasks: 150,
      live: { ...unbounded, largestSeen: { tasks: 150, listeners: 300_000 } },
      currentTasks: 400,
    });
    // Assess
    expect(bounded).toMatchObject({ targetTasks: 600, limitedBy: 'liveModel' });
    expect(before.targetTasks).toBe(2000);
    // Twice 150 is under the plan's 400: the plan holds
    expect(planAbove.targetTasks).toBe(400);
  });

  it('with no peak in the test, a live curve that carries the demand only past maxTasks grows the fleet in the same steps', () => {
    // Prepare: a straight-line test to 150 tasks; saturated near 300 tasks, the refit explains the shortfall by
    // contention with no turn (an asymptote of 670 k listeners), so its peak lies millions of tasks away
    const straight = { lambda: 5800, sigma: 0, kappa: 0 };
    const flat = { lambda: 6700, sigma: 0.01, kappa: 2e-17 };
    const refit = (peakTasks: number, params: typeof flat) =>
      live({ ceilingTasks: peakTasks, ceilingReason: 'model-peak', peakTasks, params });
    const surge = (l: LiveCapacity, listeners: number) =>
      decideWatch(
        input({
          nowMs: now,
          model: straight,
          testedTasks: 150,
          currentTasks: 300,
          live: { ...l, largestSeen: { tasks: 300, listeners: 500_000 } },
          metrics: { listeners: listenersAt(now, [listeners, listeners]) },
        }),
      );
    // Act
    const pastAsymptote = surge(refit(215_000_000, flat), 900_000);
    const within = surge(refit(3015, { lambda: 3000, sigma: 0.0002, kappa: 1.1e-7 }), 1_600_000);
    // Assess: the demand is past what any size carries: twice the largest size seen, not maxTasks (2,000)
    expect(pastAsymptote).toMatchObject({ targetTasks: 600, limitedBy: 'liveModel' });
    // A need the refit meets within maxTasks is sized by the curve, as before, though its peak lies past maxTasks
    expect(within.targetTasks).toBeGreaterThan(600);
    expect(within.targetTasks).toBeLessThan(2000);
  });

  it("with no peak modelled, bounds only the service's own scaling, never SurgeGuard's target", () => {
    // Prepare: no ceiling, a service bound at 900 tasks
    const unbounded = live({
      ceilingTasks: null,
      ceilingReason: 'no-peak',
      peakTasks: null,
      serviceCeilingTasks: 900,
    });
    // Act
    const quiet = withListeners(unbounded, 800, [10, 10]);
    const surge = withListeners(unbounded, 800, [2_000_000, 4_000_000]);
    // Assess: MaxCapacity is the bound while SurgeGuard's target is under it, and the target where it is over
    expect(quiet.ceilingTasks).toBe(900);
    expect(surge.targetTasks).toBeGreaterThan(900);
    expect(surge.ceilingTasks).toBe(surge.targetTasks);
  });

  it("with no peak modelled, lets the service's own scaling go as far as SurgeGuard's own target may", () => {
    // Prepare: a test to 150 tasks with no peak, the fleet seen carrying at 300, the probe step bounding the
    // service's own scaling at 450
    const noPeak = { lambda: 3000, sigma: 0.0005, kappa: 0 };
    const stepped = live({
      ceilingTasks: null,
      ceilingReason: 'no-peak',
      peakTasks: null,
      params: noPeak,
      serviceCeilingTasks: 450,
      largestSeen: { tasks: 300, listeners: 600_000 },
    });
    const quiet = (testedTasks: number | undefined) =>
      decideWatch(
        input({
          nowMs: now,
          model: noPeak,
          testedTasks,
          currentTasks: 400,
          live: stepped,
          metrics: { listeners: listenersAt(now, [500_000, 500_000]) },
        }),
      );
    // Act
    const bounded = quiet(150);
    const unknownTest = quiet(undefined);
    // Assess: SurgeGuard holds the plan's 400; MaxCapacity lets the service's CPU alarms add up to twice the largest size seen
    // (they see a surge before SurgeGuard's metrics do), and no more
    expect(bounded).toMatchObject({ targetTasks: 400, ceilingTasks: 600 });
    // Without the test's reach, the probe step bounds the service as before
    expect(unknownTest.ceilingTasks).toBe(450);
  });

  it('lets a forced manual floor pass the ceiling', () => {
    const d = decideWatch(
      input({
        nowMs: now,
        live: live({ ceilingTasks: 700 }),
        override: { tasks: 1200, force: true },
        metrics: { listeners: listenersAt(now, [10, 10]) },
      }),
    );
    expect(d.targetTasks).toBe(1200);
    expect(d.ceilingTasks).toBe(1200);
  });

  it('probes past the modelled peak only when the demand itself, without headroom, is beyond it', () => {
    const peaked = live({
      ceilingTasks: 1000,
      probeTasks: 1100,
      params: { lambda: 2000, sigma: 0.0005, kappa: 1e-6 },
    });
    const over = withListeners(peaked, 1000, [1_000_000, 1_000_000]);
    expect(over.limitedBy).toBe('probe');
    expect(over.targetTasks).toBe(1100);
    const under = withListeners(peaked, 1000, [600_000, 600_000]);
    expect(under.targetTasks).toBe(1000);
  });

  describe('following the audience down', () => {
    const follow = { quietMinutes: 15, intervalMinutes: 5, maxStepShare: 0.25 };
    const inWindow = {
      ...timeline,
      audienceInMs: T0 + 10 * MIN,
      startMs: T0,
      endMs: T0 + 60 * MIN,
      expectedListeners: 1_000_000,
    };
    const history = (at: number, v: number) =>
      Array.from({ length: 20 }, (_, i) => ({ t: at - (21 - i) * MIN, v }));
    const t = T0 + 40 * MIN;
    // 300 k listeners for the last twenty minutes, none refused, at a time.
    const quietAt = (at: number) => ({
      nowMs: at,
      metrics: {
        listeners: listenersAt(at, [300_000, 300_000]),
        joinErrorsCapacity: listenersAt(at, [0, 0]),
      },
      listenerHistory: history(at, 300_000),
    });
    const base = {
      ...quietAt(t),
      timeline: inWindow,
      currentTasks: 900,
      peakListeners: 1_000_000,
      followAudience: follow,
      headroom: 0.1,
    };

    it('goes no lower than what two fresh CPU readings say the audience needs', () => {
      // Prepare: CPU says the 900 running tasks would fill at 340 k: 300 k plus 10% needs 874 of them
      const reading = (agoMin: number) => ({ atMs: t - agoMin * MIN, tasks: 900, implied: 340_000 });
      // Act
      const d = decideWatch(input({ ...base, live: live({ cpuReadings: [reading(3), reading(2)] }) }));
      // Assess
      // Assess: a step down, but to what CPU says, not the curve's 675 (a quarter off)
      expect(d.action).toBe('scale-in');
      expect(d.targetTasks).toBe(Math.ceil((900 * 330_000) / 340_000));
    });

    it('steps down no lower than what the same demand asks for, so the next tick does not scale straight back out', () => {
      // Prepare: saturation showed the test overstating the fleet by 40% at 100 tasks: past them the demand is sized
      // with that much more headroom
      const wary = live({ overstated: { share: 0.4, tasks: 100 } });
      const small = { ...base, live: wary, currentTasks: 200, recordedTasks: 10 };
      // Act: the step down, then the next tick (too soon for another step down) at the size it left
      const down = decideWatch(input(small));
      const next = decideWatch(input({ ...small, currentTasks: down.targetTasks, lastScaleInMs: t }));
      // Assess
      expect(down.action).toBe('scale-in');
      expect(next.action).toBe('hold');
      expect(next.targetTasks).toBe(down.targetTasks);
    });

    it('stops the tasks a step down takes from past the peak while joins are refused, and drains them otherwise', () => {
      // Prepare: 1,300 tasks, past the curve's peak near 1,000 tasks
      const past = { ...base, currentTasks: 1300, live: live({ params: model, peakTasks: 1000 }) };
      const refused = {
        ...past,
        metrics: { ...past.metrics, joinErrorsCapacity: listenersAt(t, [0, 300]) },
      };
      // Act
      const quiet = decideWatch(input(past));
      const crowded = decideWatch(input(refused));
      // Assess: quiet, a step down of a quarter whose tasks drain; refusing joins, the fleet carries what it can, not
      // what came: the step goes only as far as the peak, and the tasks past it stop at once
      expect(quiet).toMatchObject({ action: 'scale-in', targetTasks: 975 });
      expect(quiet.releaseTo).toBeUndefined();
      expect(crowded).toMatchObject({ action: 'scale-in', targetTasks: 1000, releaseTo: 1000 });
    });

    it("stops the tasks the service's own scaling ran past the peak once the ceiling comes down, while joins are refused", () => {
      // Prepare: the floor at 600 and the service's CPU scaling running 1,300 tasks; the live curve peaks near 1,000
      const over = {
        ...base,
        currentTasks: 600,
        runningTasks: 1300,
        live: live({ params: model, peakTasks: 1000, ceilingTasks: 1000 }),
      };
      const refused = { ...over, metrics: { ...over.metrics, joinErrorsCapacity: listenersAt(t, [0, 300]) } };
      // Act
      const quiet = decideWatch(input(over));
      const crowded = decideWatch(input(refused));
      // Assess: the ceiling takes the tasks past it either way; refusing joins, those past the peak stop at once
      // (draining, they would keep the contention that holds the fleet back), and with room they drain
      expect(quiet.ceilingTasks).toBe(1000);
      expect(quiet.releaseTo).toBeUndefined();
      expect(crowded.ceilingTasks).toBe(1000);
      expect(crowded.releaseTo).toBe(1000);
    });

    it('follows no audience down while joins are refused for room on a fleet short of the live peak, or with none placed', () => {
      // Prepare: joins refused on the 900 tasks, with the live curve peaking at 800, and with no peak at all
      const refusing = {
        ...base,
        metrics: { ...base.metrics, joinErrorsCapacity: listenersAt(t, [0, 300]) },
      };
      // Act
      const atPeak = decideWatch(
        input({ ...refusing, currentTasks: 800, live: live({ params: model, peakTasks: 800 }) }),
      );
      const noPeak = decideWatch(input({ ...refusing, live: live({ params: model, peakTasks: null }) }));
      // Assess: the floor holds; the same fleet with no join refused steps down
      expect(atPeak.action).toBe('hold');
      expect(noPeak.action).toBe('hold');
      expect(decideWatch(input({ ...base, live: live({ params: model, peakTasks: null }) })).action).toBe(
        'scale-in',
      );
    });

    it('lowers the floor by at most a step once the audience stayed low for the quiet period', () => {
      const d = decideWatch(input(base));
      expect(d.action).toBe('scale-in');
      expect(d.targetTasks).toBe(900 - Math.floor(900 * 0.25));
      expect(d.reason).toMatch(/following the audience down/);
    });

    it('follows an audience that never all came down once the scheduled end has passed', () => {
      // Prepare: 300 k of the 1 M forecast, five minutes past the scheduled end, more than the recorded 50 tasks
      // carry; and the same audience under what a recorded 200 carry (nobody came the pre-scale was for)
      const late = { ...base, ...quietAt(T0 + 65 * MIN), peakListeners: 300_000, recordedTasks: 50 };
      // Act
      const d = decideWatch(input(late));
      const none = decideWatch(input({ ...late, recordedTasks: 200 }));
      // Assess: a step down; with nobody come, the plan holds for a late start
      expect(d.action).toBe('scale-in');
      expect(d.targetTasks).toBeLessThan(900);
      expect(none.action).toBe('hold');
    });

    it('follows a slowly growing audience down, to what it would need at the end, while that is far under the floor', () => {
      // Prepare: 300 k growing 1% a minute, twenty minutes before the scheduled end; and the same growth under a
      // floor of 250 tasks
      const slow = {
        ...base,
        metrics: {
          listeners: listenersAt(t, [300_000, 303_000]),
          joinErrorsCapacity: listenersAt(t, [0, 0]),
        },
      };
      // Act
      const d = decideWatch(input(slow));
      const near = decideWatch(input({ ...slow, currentTasks: 250, recordedTasks: 10 }));
      // Assess: a step down, no lower than the 20 minutes of growth to the end need; near what that needs, held
      const atEnd = 303_000 + 3_000 * 20;
      expect(d).toMatchObject({ action: 'scale-in', targetTasks: 900 - Math.floor(900 * 0.25) });
      expect(d.targetTasks).toBeGreaterThan(tasksFor(model, atEnd * 1.1).tasks!);
      expect(near.targetTasks).toBe(250);
      expect(2 * tasksFor(model, atEnd * 1.1).tasks!).toBeGreaterThan(250);
    });

    it('while the audience may still come, steps down only what stands past where the live curve peaks', () => {
      // Prepare: 300 k of a 1 M forecast within the first hour (the plan holds), on 900 tasks; the live curve peaks at
      // 800, then at 600
      const waiting = { ...base, ...quietAt(T0 + 50 * MIN), peakListeners: 300_000 };
      // Act
      const past = decideWatch(input({ ...waiting, live: live({ peakTasks: 800 }) }));
      const farPast = decideWatch(input({ ...waiting, live: live({ peakTasks: 600 }) }));
      const short = decideWatch(input({ ...waiting, live: live({ peakTasks: 950 }) }));
      // Assess: down to the peak, by at most a step; at or under the peak, held
      expect(past).toMatchObject({ action: 'scale-in', targetTasks: 800 });
      expect(farPast).toMatchObject({ action: 'scale-in', targetTasks: 900 - Math.floor(900 * 0.25) });
      expect(short.targetTasks).toBe(900);
    });

    it('holds the plan past a live peak the test could not place, until a size measured shows the fleet turning down', () => {
      // Prepare: the same audience still to come, the live curve peaking at 600 tasks, but the test's steps stopped
      // short of a peak a curve without one fits as well (the plan went past it on purpose)
      const waiting = { ...base, ...quietAt(T0 + 50 * MIN), peakListeners: 300_000 };
      const unplaced = { ...model, peakNotPlaced: true as const };
      // Act
      const guess = decideWatch(input({ ...waiting, model: unplaced, live: live({ peakTasks: 600 }) }));
      const measured = decideWatch(
        input({
          ...waiting,
          model: unplaced,
          live: live({
            peakTasks: 600,
            ceilingTasks: 700,
            ceilingReason: 'retrograde',
            retrograde: { bestTasks: 700, bestListeners: 320_000, worseTasks: 900, worseListeners: 300_000 },
          }),
        }),
      );
      const saturated = decideWatch(
        input({ ...waiting, model: unplaced, live: live({ peakTasks: 800, measuredSizes: 1 }) }),
      );
      // Assess: held at the plan's 900; once more tasks carried fewer, back to the best size seen; once saturation
      // measured the curve, down to where it peaks
      expect(guess.targetTasks).toBe(900);
      expect(measured).toMatchObject({ action: 'scale-in', targetTasks: 700 });
      expect(saturated).toMatchObject({ action: 'scale-in', targetTasks: 800 });
    });

    it('past a fitted peak the test could not place, sizes the audience on the straight line through its largest step', () => {
      // Prepare: the live curve peaks at 100 tasks and 151 k, short of 300 k and 10% headroom; the test ran to 50
      // tasks (2,410 a task there)
      const params = { lambda: 3000, sigma: 0, kappa: 1e-4 };
      const small = {
        ...base,
        currentTasks: 160,
        recordedTasks: 10,
        testedTasks: 50,
        live: live({ params, peakTasks: 100, ceilingTasks: 100 }),
      };
      // Act
      const placed = decideWatch(input(small));
      const unplaced = decideWatch(input({ ...small, model: { ...model, peakNotPlaced: true } }));
      // Assess: a step down by a quarter either way, but no lower than the line's 137 tasks where the peak is a guess
      const line = Math.ceil(330_000 / (uslCapacity(params, 50) / 50));
      expect(line).toBe(137);
      expect(placed).toMatchObject({ action: 'scale-in', targetTasks: 120 });
      expect(unplaced).toMatchObject({ action: 'scale-in', targetTasks: line });
    });

    it('keeps room for an audience short of its forecast to double within five minutes, as far as the rest of it', () => {
      // Prepare: two hours into a three-hour event (past the hold for an audience still to come), 300 k listeners for
      // the last twenty minutes; the watch has tasks running 215 s after listeners change (60 s period, 60 s delay,
      // 20 s tick, 75 s start-up), in which an audience doubling within five minutes grows by 215/300 of itself
      const long = { ...inWindow, endMs: T0 + 180 * MIN, holdUntilMs: T0 + 200 * MIN };
      const at = T0 + 120 * MIN;
      const withRoom = tasksFor(model, (300_000 + (300_000 * 215) / 300) * 1.1).tasks!;
      const short = {
        ...base,
        ...quietAt(at),
        timeline: long,
        currentTasks: withRoom + 10,
        recordedTasks: 10,
        peakListeners: 300_000,
      };
      // Act
      const notCome = decideWatch(input(short));
      const mostCame = decideWatch(input({ ...short, peakListeners: 980_000 }));
      const allCame = decideWatch(input({ ...short, peakListeners: 1_000_000 }));
      const afterEnd = decideWatch(input({ ...short, ...quietAt(T0 + 185 * MIN) }));
      // Assess: 700 k have not come: room for 215 k; 20 k have not come: room for them; all came, or the event is
      // over: none
      expect(notCome).toMatchObject({ action: 'scale-in', targetTasks: withRoom });
      expect(notCome.reason).toMatch(/room for 215,000 more of the forecast/);
      const stepTo = (tasks: number) =>
        Math.max(tasks, short.currentTasks - Math.floor(short.currentTasks * follow.maxStepShare));
      expect(mostCame.targetTasks).toBe(stepTo(tasksFor(model, 320_000 * 1.1).tasks!));
      expect(mostCame.targetTasks).toBeLessThan(withRoom);
      expect(allCame.targetTasks).toBe(stepTo(tasksFor(model, 300_000 * 1.1).tasks!));
      expect(afterEnd.targetTasks).toBe(allCame.targetTasks);
    });

    it('goes no lower than the recent maximum needs with headroom', () => {
      const d = decideWatch(input({ ...base, currentTasks: 140, recordedTasks: 10 }));
      const need = tasksFor(model, 300_000 * 1.1).tasks!;
      expect(need).toBeGreaterThan(140 - 35);
      expect(d.targetTasks).toBe(need);
    });

    it.each([
      ['before the audience is in', { nowMs: T0 + 5 * MIN }],
      ['with a late start of the history', { listenerHistory: history(t, 300_000).slice(10) }],
      [
        'with a gap inside the quiet period',
        { listenerHistory: history(t, 300_000).filter((_, i) => i < 12 || i > 15) },
      ],
      [
        'with a gap across the start of the quiet period',
        { listenerHistory: [{ t: t - 30 * MIN, v: 300_000 }, ...history(t, 300_000).slice(9)] },
      ],
      ['when refused joins cannot be read', { metrics: { listeners: listenersAt(t, [300_000, 300_000]) } }],
      ['with missing listener data', { metrics: {} }],
      ['within the interval since the last step', { lastScaleInMs: t - 2 * MIN }],
      [
        // events start 40 minutes late: in an hour-long event, past half-time a late audience would meet a fleet
        // stepped down
        'when the audience never came, past half-time of a short event but within its first hour',
        { ...quietAt(T0 + 50 * MIN), peakListeners: 300_000 },
      ],
      [
        // two thirds of the forecast came: the rest may come at once when the headliner joins
        'when under three quarters of the forecast came, within the first hour',
        { ...quietAt(T0 + 50 * MIN), peakListeners: 700_000 },
      ],
      [
        // nine tenths came and stayed: a second wave may still bring the rest (and more) at once
        'when under all of the forecast came, within the first hour',
        { ...quietAt(T0 + 50 * MIN), peakListeners: 900_000 },
      ],
      [
        // a forecast that overshot put the floor past what the audience needs, but the audience is still rising
        'while the audience is still growing',
        {
          metrics: {
            listeners: listenersAt(t, [250_000, 300_000]),
            joinErrorsCapacity: listenersAt(t, [0, 0]),
          },
        },
      ],
    ])('holds %s', (_name, over) => {
      const d = decideWatch(input({ ...base, ...over }));
      expect(d.targetTasks).toBeGreaterThanOrEqual(900);
    });
  });
});

describe('decideWatch with a live model (properties)', () => {
  const liveArb = fc.record({
    ceilingTasks: fc.integer({ min: 50, max: 3000 }),
    probe: fc.option(fc.integer({ min: 50, max: 3300 }), { nil: null }),
    retro: fc.boolean(),
    saturatedPeriods: fc.integer({ min: 0, max: 20 }),
  });
  const badData = fc.constantFrom<Partial<WatchInput['metrics']>>(
    {},
    { listeners: [{ t: T0, v: Number.NaN }] },
    { listeners: [{ t: T0 - 60 * MIN, v: 500_000 }] },
    { listeners: [{ t: T0 + 5 * MIN - 2 * MIN, v: -1 }] },
  );

  it('missing or odd data never scales in, and the ceiling never goes under the floor or the curve', () => {
    fc.assert(
      fc.property(
        liveArb,
        badData,
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 100, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom(undefined, 0, -40, 500, 1e9, NaN, Infinity),
        fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
        (l, metrics, minute, current, running, draining, cpuPeakTasks) => {
          const nowMs = T0 - 30 * MIN + minute * MIN;
          const live: LiveCapacity = {
            params: model,
            peakTasks: l.ceilingTasks,
            peakListeners: 1_000_000,
            ceilingTasks: l.ceilingTasks,
            ceilingReason: l.retro ? 'retrograde' : 'model-peak',
            probeTasks: l.probe,
            saturatedPeriods: l.saturatedPeriods,
            boundPeriods: 5,
            ...(cpuPeakTasks !== undefined ? { cpuPeak: { tasks: cpuPeakTasks, implied: 500_000 } } : {}),
            ...(l.retro
              ? {
                  retrograde: {
                    bestTasks: l.ceilingTasks,
                    bestListeners: 900_000,
                    worseTasks: l.ceilingTasks * 1.2,
                    worseListeners: 800_000,
                  },
                }
              : {}),
          };
          const d = decideWatch(
            input({
              nowMs,
              metrics,
              currentTasks: current,
              runningTasks: running,
              drainingTasks: draining,
              live,
              followAudience: { quietMinutes: 15, intervalMinutes: 5, maxStepShare: 0.25 },
              listenerHistory: Array.from({ length: 30 }, (_, i) => ({ t: nowMs - (31 - i) * MIN, v: 10 })),
              timeline: { ...timeline, audienceInMs: T0 + 10 * MIN, expectedListeners: 10 },
            }),
          );
          if (nowMs < timeline.holdUntilMs) expect(d.action).not.toBe('scale-in');
          if (d.ceilingTasks !== null) {
            expect(d.ceilingTasks).toBeGreaterThanOrEqual(d.targetTasks);
            // Running tasks are only cut back to the curve's ceiling, never below it.
            expect(d.ceilingTasks).toBeGreaterThanOrEqual(Math.min(running, l.ceilingTasks, 2000));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
