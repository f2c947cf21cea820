import { eventSchedules } from '../../lambda/core/schedules';
import {
  buildRuntimeConfig,
  findEvent,
  fleetTimeline,
  parseRuntimeConfig,
  restoreDeadlineMs,
  watchWindow,
} from '../../lambda/core/runtime-config';
import { decideWatch } from '../../lambda/core/watch-policy';
import { testRuntime } from '../fixtures/runtime';

const rc = testRuntime();
const view = findEvent(rc, 'ev')!;
const MIN = 60_000;

describe('a shifted event', () => {
  it('moves the watch window, the plan steps and the schedules by the shift', () => {
    const before = watchWindow(rc, view, 0);
    const after = watchWindow(rc, view, 40);
    expect(after.fromMs - before.fromMs).toBe(40 * MIN);
    expect(after.toMs - before.toMs).toBe(40 * MIN);
    const t0 = fleetTimeline(view, view.fleets[0]!.plan, 0);
    const t40 = fleetTimeline(view, view.fleets[0]!.plan, 40);
    expect(Date.parse(t40.steps[0]!.at) - Date.parse(t0.steps[0]!.at)).toBe(40 * MIN);
    expect(t40.holdUntilMs - t0.holdUntilMs).toBe(40 * MIN);
    const s0 = eventSchedules(rc, new Date(0)).schedules[0]!;
    const s40 = eventSchedules(rc, new Date(0), () => 40).schedules[0]!;
    expect(s40.prescaleAt.getTime() - s0.prescaleAt.getTime()).toBe(40 * MIN);
    expect(s40.restoreTo.getTime() - s0.restoreTo.getTime()).toBe(40 * MIN);
  });

  it('watches a short event until two hours past its start, so a crowd that comes after its end still meets a watch', () => {
    // Prepare: the same event at 20 minutes long, and at ten hours
    const sized = (durationMinutes: number) => {
      const e = { ...view.event, durationMinutes };
      const r = buildRuntimeConfig({ ...rc.config, events: [e] }, rc.models);
      return { r, v: findEvent(r, e.id)! };
    };
    const short = sized(20);
    const long = sized(600);
    // Act
    const w = watchWindow(short.r, short.v, 15);
    const wl = watchWindow(long.r, long.v, 0);
    // Assess: the short one to the start plus two hours, shifted, plus the step-down; the long one to its hold
    const stepDown = view.event.stepDown.steps * view.event.stepDown.intervalMinutes * MIN;
    expect(w.toMs).toBe(Date.parse(short.v.plan.start) + (120 + 15) * MIN + stepDown);
    expect(wl.toMs).toBe(Date.parse(long.v.plan.holdUntil) + stepDown);
  });

  it('runs restore past its deadline, however the deadline compares with the step-down', () => {
    for (const minutes of [1, 120, 600]) {
      const e = { ...view.event, restoreDeadlineMinutes: minutes };
      const moved = { ...rc, config: { ...rc.config, events: [e] } };
      const s = eventSchedules(moved, new Date(0), () => 15).schedules[0]!;
      const deadline = restoreDeadlineMs({ ...view, event: e }, 15);
      expect(deadline).toBe(Date.parse(view.plan.holdUntil) + (minutes + 15) * MIN);
      // At least one run of the rate schedule falls at or after the deadline, before the schedule ends.
      const every = s.restoreEveryMinutes * MIN;
      const firstAfter =
        s.restoreFrom.getTime() + Math.ceil(Math.max(0, deadline - s.restoreFrom.getTime()) / every) * every;
      expect(firstAfter).toBeLessThan(s.restoreTo.getTime());
    }
  });

  it('keeps holding capacity through the late end: the watch does not step down at the old end', () => {
    const t40 = fleetTimeline(view, view.fleets[0]!.plan, 40);
    const oldHoldEnd = fleetTimeline(view, view.fleets[0]!.plan, 0).holdUntilMs + MIN;
    const d = decideWatch({
      nowMs: oldHoldEnd,
      timeline: t40,
      model: rc.models.use1!,
      headroom: 0.3,
      fleet: { maxTasks: 900, vcpuPerTask: 4, startupSeconds: 60, periodSeconds: 60, delaySeconds: 60 },
      controller: rc.config.controller,
      stepDown: { steps: 4, intervalMinutes: 10 },
      metrics: { listeners: [{ t: oldHoldEnd - 2 * MIN, v: 1000 }] },
      currentTasks: t40.eventTasks,
      recordedTasks: 10,
      vcpuAvailable: 1e6,
      peakListeners: 200_000,
    });
    expect(d.phase).toBe('live');
    expect(d.action).not.toBe('scale-in');
  });
});

describe('parseRuntimeConfig', () => {
  it('refuses a missing or malformed deployed config with a clear message', () => {
    expect(() => parseRuntimeConfig(undefined)).toThrow('SURGEGUARD_CONFIG is not set');
    expect(() => parseRuntimeConfig('{')).toThrow(/SURGEGUARD_CONFIG is not JSON/);
    expect(() => parseRuntimeConfig('{"config":{}}')).toThrow(/config\.fleets: expected an array/);
    expect(parseRuntimeConfig(JSON.stringify(rc)).config.events[0]!.id).toBe('ev');
  });
});
