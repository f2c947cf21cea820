import type { RuntimeConfig } from './runtime-config';
import { findEvent, restoreDeadlineMs, watchWindow } from './runtime-config';

/** An event's schedule times: prescale at the ramp start, the watch window, and the restore window. */
export interface EventSchedule {
  readonly eventId: string;
  readonly prescaleAt: Date;
  readonly watchFrom: Date;
  readonly watchTo: Date;
  readonly restoreFrom: Date;
  readonly restoreTo: Date;
  /** Minutes between restore runs: the event's step-down interval. */
  readonly restoreEveryMinutes: number;
}

/**
 * Schedule times of each event, and the events already past at `now` (they get no schedules). Restore runs
 * once per step-down interval after the watch window, as many times as the step-down has steps and twice more,
 * and on until two intervals past the restore deadline: each run takes one gradual step once listeners allow, the
 * run after the deadline restores the recorded settings whatever the listeners, and once back a run does nothing.
 */
export function eventSchedules(
  rc: RuntimeConfig,
  now: Date,
  shiftMinutes: (eventId: string) => number = () => 0,
): { schedules: EventSchedule[]; past: string[] } {
  const schedules: EventSchedule[] = [];
  const past: string[] = [];
  for (const e of rc.config.events) {
    const view = findEvent(rc, e.id);
    if (!view) continue;
    const shift = shiftMinutes(e.id);
    const w = watchWindow(rc, view, shift);
    const restoreFrom = w.toMs;
    const every = e.stepDown.intervalMinutes * 60_000;
    // Runs past the deadline too (two more, one spare), so the forced restore happens even without listener data.
    const restoreTo = Math.max(
      restoreFrom + (e.stepDown.steps + 2) * every,
      restoreDeadlineMs(view, shift) + 2 * every,
    );
    if (restoreTo <= now.getTime()) {
      past.push(e.id);
      continue;
    }
    const ramp = Math.min(...view.plan.fleets.map((f) => Date.parse(f.rampStart))) + shift * 60_000;
    schedules.push({
      eventId: e.id,
      prescaleAt: new Date(ramp),
      watchFrom: new Date(w.fromMs),
      watchTo: new Date(w.toMs),
      restoreFrom: new Date(restoreFrom),
      restoreTo: new Date(restoreTo),
      restoreEveryMinutes: Math.max(1, Math.round(e.stepDown.intervalMinutes)),
    });
  }
  return { schedules, past };
}
