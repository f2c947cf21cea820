import type { RuntimeConfig } from './runtime-config';
import { findEvent, restoreDeadlineMs, watchWindow } from './runtime-config';
import { minutes } from './time';

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

/** A prescale or restore schedule SurgeGuard creates through the Scheduler API from the published plan. */
export interface ScheduleSpec {
  /** `<event>-<kind>-<digest>`: a change of times gives a new name, so names alone tell what is current. */
  readonly name: string;
  readonly eventId: string;
  readonly kind: 'prescale' | 'restore';
  /** `at(...)` (prescale, once) or `rate(n minutes)` (restore). */
  readonly expression: string;
  /** When a rate schedule starts; omitted once past (Scheduler refuses a start date in the past). */
  readonly startDate?: Date;
  /** When it first fires (the ramp start, or the restore's first run): a bounded sync makes the soonest first. */
  readonly firstRunMs: number;
  readonly endDate?: Date;
  readonly description: string;
}

/** Scheduler's limit on a schedule name; the config's 48-character ids fit: `<id>-prescale-<6-char digest>`. */
export const MAX_SCHEDULE_NAME = 64;

/**
 * Every published event's schedules that are still to fire at `nowMs`, shifts applied. `targets` (what the
 * schedules invoke, as whom) goes into the names' digest, so a redeploy that replaces a function or role gives new
 * schedules rather than leaving the old ones pointing at what is gone.
 */
export function desiredSchedules(
  rc: RuntimeConfig,
  nowMs: number,
  shiftMinutes: (eventId: string) => number = () => 0,
  targets = '',
): ScheduleSpec[] {
  const out: ScheduleSpec[] = [];
  for (const s of eventSchedules(rc, new Date(nowMs), shiftMinutes).schedules) {
    const at = `at(${s.prescaleAt.toISOString().slice(0, 19)})`;
    if (s.prescaleAt.getTime() > nowMs) {
      out.push({
        name: `${s.eventId}-prescale-${digest(`${at}|${targets}`)}`,
        eventId: s.eventId,
        kind: 'prescale',
        expression: at,
        firstRunMs: s.prescaleAt.getTime(),
        description: `SurgeGuard: pre-scale ${s.eventId} at the plan's ramp start`,
      });
    }
    const rate = `rate(${s.restoreEveryMinutes} minute${s.restoreEveryMinutes === 1 ? '' : 's'})`;
    // Scheduler deletes a finished schedule after its last run, up to one interval before the end date: from then
    // on it is not wanted, or a sync would make it again.
    if (s.restoreTo.getTime() - minutes(s.restoreEveryMinutes) <= nowMs) continue;
    const key = `${rate}|${s.restoreFrom.toISOString()}|${s.restoreTo.toISOString()}|${targets}`;
    out.push({
      name: `${s.eventId}-restore-${digest(key)}`,
      eventId: s.eventId,
      kind: 'restore',
      expression: rate,
      firstRunMs: s.restoreFrom.getTime(),
      startDate: s.restoreFrom.getTime() > nowMs ? s.restoreFrom : undefined,
      endDate: s.restoreTo,
      description: `SurgeGuard: return ${s.eventId}'s fleets to their recorded settings, a step at a time`,
    });
  }
  return out;
}

/** The event a SurgeGuard schedule name belongs to, or undefined for a name SurgeGuard did not give. */
export function scheduleEvent(name: string): string | undefined {
  return /^(.+)-(prescale|restore)-[0-9a-z]{6}$/.exec(name)?.[1];
}

/** Six base-36 characters of FNV-1a: enough to tell one schedule's times from its next. */
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(6, '0').slice(-6);
}

/**
 * The events under way at `nowMs` in `current` (their watch has begun and their restore is not over) that `next`
 * drops or moves: publishing it would strand their fleets, or restore them while the audience is still on.
 */
export function liveEventChanges(current: RuntimeConfig, next: RuntimeConfig, nowMs: number): string[] {
  const now = new Date(nowMs);
  const after = new Map(eventSchedules(next, now).schedules.map((s) => [s.eventId, s]));
  const problems: string[] = [];
  for (const s of eventSchedules(current, now).schedules) {
    if (s.watchFrom.getTime() > nowMs) continue;
    const n = after.get(s.eventId);
    if (!n) problems.push(`${s.eventId} is under way and the new config drops it`);
    else if (
      n.watchFrom.getTime() !== s.watchFrom.getTime() ||
      n.watchTo.getTime() !== s.watchTo.getTime() ||
      n.restoreTo.getTime() !== s.restoreTo.getTime()
    )
      problems.push(`${s.eventId} is under way and the new config moves its window`);
  }
  return problems;
}
