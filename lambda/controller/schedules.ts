import { errorMessage } from '../core/errors';
import { desiredSchedules, eventSchedules } from '../core/schedules';
import { minutes } from '../core/time';
import type { ScheduleSync } from '../ports';
import type { ControllerDeps } from './deps';

/** How often the watch syncs the schedules with the document even when it has not changed (repairs drift). */
export const SCHEDULE_SYNC_MINUTES = 10;

/** The furthest an event can be moved by the runbook, either way, in minutes in all. */
export const MAX_SHIFT_MINUTES = 1440;

/** What a container remembers of its last schedule sync. */
export interface ScheduleSyncMemo {
  version?: string;
  atMs?: number;
  /** Changes the last sync left for the next. */
  remaining?: number;
}

/**
 * Keeps the schedule group in step with the published plan and the events' shifts: when the document changes,
 * when the last sync left work, and every {@link SCHEDULE_SYNC_MINUTES} otherwise. Never throws: a failed sync is
 * logged and counted (the stack alarms on `ScheduleSyncFailed`), and tried again at the next tick.
 */
export async function syncSchedules(deps: ControllerDeps, nowMs: number): Promise<ScheduleSync | undefined> {
  const memo = deps.scheduleSync;
  if (!deps.schedules || !memo) return undefined;
  const due =
    memo.atMs === undefined ||
    memo.version !== deps.documentVersion ||
    (memo.remaining ?? 0) > 0 ||
    nowMs - memo.atMs >= minutes(SCHEDULE_SYNC_MINUTES);
  if (!due) return undefined;
  try {
    // Events a shift could still bring back: over even if moved a day later are left out, unread.
    const open = eventSchedules(deps.runtime, new Date(nowMs - minutes(MAX_SHIFT_MINUTES))).schedules.map(
      (s) => s.eventId,
    );
    const shiftsNow = async () => {
      const states = open.length ? await deps.state.getEvents(open) : [];
      return new Map(open.map((id, i) => [id, states[i]?.shiftMinutes ?? 0]));
    };
    const shifts = await shiftsNow();
    const result = await deps.schedules.sync(
      desiredSchedules(deps.runtime, nowMs, (id) => shifts.get(id) ?? 0, deps.schedules.targets),
    );
    // A shift made while this sync ran may have been undone by it: if so, sync again at the next run.
    let remaining = result.remaining;
    if (result.created.length || result.deleted.length) {
      const after = await shiftsNow();
      if ([...after].some(([id, m]) => shifts.get(id) !== m)) remaining = Math.max(remaining, 1);
    }
    Object.assign(memo, { version: deps.documentVersion, atMs: nowMs, remaining });
    if (result.created.length || result.deleted.length)
      deps.log.info('schedules synced with the published plan', {
        version: deps.documentVersion,
        created: result.created,
        deleted: result.deleted,
        remaining: result.remaining,
      });
    return result;
  } catch (err) {
    deps.log.error('schedules not synced with the published plan', { error: errorMessage(err) });
    deps.telemetry.metric('ScheduleSyncFailed', 1, 'Count', {});
    return undefined;
  }
}
