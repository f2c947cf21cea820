import type { FleetConfig } from '../core/config/schema';
import { backstopActions, backstopKey, backstopPrefix } from '../core/backstop';
import type { BackstopAction } from '../core/backstop';
import type { PlanStep } from '../core/planner';
import { errorMessage } from '../core/errors';
import { minutes } from '../core/time';
import type { CapacitySettings } from '../ports';
import { floorOf } from '../ports';
import type { ControllerDeps } from './deps';
import { addressOf } from './deps';
import { SCHEDULE_SYNC_MINUTES } from './schedules';
import { safeAudit } from './watch';

/** What the watch knows of a fleet at a tick, to keep its backstop in step. */
export interface BackstopTick {
  readonly nowMs: number;
  readonly eventId: string;
  readonly fleet: FleetConfig;
  /** The plan's steps, moved by the event's shift. */
  readonly steps: readonly PlanStep[];
  /** What AWS holds now; undefined when it could not be read (the sync waits for a tick that can). */
  readonly confirmed: CapacitySettings | undefined;
  /** The floor the watch decided and applied this tick, if it applied one. */
  readonly appliedTasks?: number;
  readonly ceiling: number | null;
  /**
   * Whether automation may act on this fleet now: not paused, held, in dry-run or under a forced on-call floor.
   * When it may not, the backstop is emptied, since AWS would act for it.
   */
  readonly acting: boolean;
}

/** What this container last synced, by state store, event and fleet: a sync is only sent when it would change. */
const synced = new WeakMap<object, Map<string, { key: string; atMs: number }>>();

/**
 * Keeps a `min-capacity` fleet's backstop (the plan steps to come as Application Auto Scaling scheduled actions,
 * see lambda/core/backstop.ts) equal to what the plan and the watch's floor call for. Sends calls only when that
 * changes, and every {@link SCHEDULE_SYNC_MINUTES} to repair drift. Never throws: a failed sync is logged, counted
 * (`BackstopSyncFailed`) and tried again at the next tick; the watch's own writes do not depend on it.
 */
export async function syncBackstop(deps: ControllerDeps, t: BackstopTick): Promise<void> {
  if (t.fleet.scalingMode !== 'min-capacity' || !deps.capacity.syncBackstop || !t.confirmed) return;
  const actions = t.acting
    ? backstopActions({
        eventId: t.eventId,
        steps: t.steps,
        nowMs: t.nowMs,
        floor: Math.max(floorOf(t.confirmed), t.appliedTasks ?? 0),
        ceiling: t.ceiling,
        maxCapacity: t.confirmed.mode === 'min-capacity' ? t.confirmed.maxCapacity : t.fleet.maxTasks,
      })
    : [];
  let memo = synced.get(deps.state);
  if (!memo) synced.set(deps.state, (memo = new Map()));
  const id = `${t.eventId}/${t.fleet.id}`;
  const key = backstopKey(actions);
  const last = memo.get(id);
  if (last && last.key === key && t.nowMs - last.atMs < minutes(SCHEDULE_SYNC_MINUTES)) return;
  try {
    await send(deps, t.eventId, t.fleet, actions, t.nowMs);
    memo.set(id, { key, atMs: t.nowMs });
  } catch (err) {
    deps.log.warn('plan steps not scheduled with Application Auto Scaling; trying again next tick', {
      eventId: t.eventId,
      fleetId: t.fleet.id,
      error: errorMessage(err),
    });
    deps.telemetry.metric('BackstopSyncFailed', 1, 'Count', { Fleet: t.fleet.id, Event: t.eventId });
  }
}

/**
 * Deletes an event's backstop on a fleet (restore, by schedule or by hand): no plan step may raise the floor after
 * the fleet went back. Throws when AWS refuses, so the restore reports the fleet as failed and runs again.
 */
export async function clearBackstop(
  deps: ControllerDeps,
  eventId: string,
  fleet: FleetConfig,
  nowMs: number,
): Promise<void> {
  if (fleet.scalingMode !== 'min-capacity' || !deps.capacity.syncBackstop) return;
  await send(deps, eventId, fleet, [], nowMs);
  synced.get(deps.state)?.set(`${eventId}/${fleet.id}`, { key: '', atMs: nowMs });
}

async function send(
  deps: ControllerDeps,
  eventId: string,
  fleet: FleetConfig,
  actions: readonly BackstopAction[],
  nowMs: number,
): Promise<void> {
  const res = await deps.capacity.syncBackstop!(addressOf(fleet), backstopPrefix(eventId), actions);
  if (!res.put.length && !res.deleted.length) return;
  await safeAudit(deps, {
    atMs: nowMs,
    eventId,
    fleetId: fleet.id,
    actor: deps.actor,
    kind: 'aws-call',
    action: 'PutScheduledAction',
    reason: actions.length
      ? 'plan steps to come scheduled with Application Auto Scaling: AWS applies them should SurgeGuard be unable to write then'
      : 'plan steps to come no longer scheduled with Application Auto Scaling',
    inputs: {
      put: res.put,
      deleted: res.deleted,
      steps: actions.map((a) => ({
        at: new Date(a.atMs).toISOString(),
        minCapacity: a.minCapacity,
        maxCapacity: a.maxCapacity,
      })),
    },
    result: 'ok',
  });
}
