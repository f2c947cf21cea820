import { findEvent, fleetTimeline, restoreDeadlineMs } from '../core/runtime-config';
import type { EventView } from '../core/runtime-config';
import { decideWatch } from '../core/watch-policy';
import type { FleetMetricsWindow } from '../core/watch-policy';
import { ceilingOf, floorOf } from '../ports';
import type { CapacitySettings } from '../ports';
import { errorMessage } from '../core/errors';
import type { ControllerDeps, FleetOutcome } from './deps';
import { PartialFailureError, addressOf, policyFleet } from './deps';
import { UnknownEventError } from './prescale';
import { activeHold } from './shared';
import { clearBackstop } from './backstop';
import { liveEvents, readMetrics, safeAudit } from './watch';

/** Options of a restore. */
export interface RestoreOptions {
  /** Put the recorded settings back now, whatever the listeners (`surgeguard restore`). @default false */
  readonly immediate?: boolean;
  /** Who asked, for the audit trail. @default the function */
  readonly actor?: string;
  readonly reason?: string;
}

/**
 * Returns an event's fleets to their recorded pre-event settings: one gradual step per invocation once listeners
 * allow, and the exact recorded settings (MaxCapacity too) when the floor gets there. `immediate` restores now.
 * @throws PartialFailureError after every fleet has had its turn, when any failed.
 */
export async function runRestore(
  deps: ControllerDeps,
  eventId: string,
  options: RestoreOptions = {},
): Promise<FleetOutcome[]> {
  const view = findEvent(deps.runtime, eventId);
  if (!view)
    throw new UnknownEventError(
      eventId,
      deps.runtime.config.events.map((e) => e.id),
    );
  const actor = options.actor ?? deps.actor;
  const nowMs = deps.clock.now();
  const global = await deps.state.getGlobal();
  const eventState = await deps.state.getEvent(eventId);
  const outcomes: FleetOutcome[] = [];
  const deadlineMs = restoreDeadlineMs(view, eventState.shiftMinutes);
  const windows: Map<string, FleetMetricsWindow> = options.immediate
    ? new Map()
    : (
        await readMetrics(
          deps,
          view.fleets.map((f) => f.fleet),
          nowMs,
        )
      ).windows;

  for (const { fleet, plan } of view.fleets) {
    const audit = (
      action: string,
      reason: string,
      result: 'ok' | 'skipped' | 'dry-run' | 'error',
      extra: object = {},
    ) =>
      safeAudit(deps, {
        atMs: nowMs,
        eventId,
        fleetId: fleet.id,
        actor,
        kind: 'decision',
        action,
        reason,
        result,
        ...extra,
      });
    try {
      const state = await deps.state.getFleet(eventId, fleet.id);
      if (!state?.recorded) {
        await audit('restore', 'no recorded settings: SurgeGuard never changed this fleet', 'skipped');
        outcomes.push({ eventId, fleetId: fleet.id, result: 'skipped', detail: 'nothing recorded' });
        continue;
      }
      const recorded = state.recorded;
      const timeline = fleetTimeline(view, plan, eventState.shiftMinutes);
      let target = floorOf(recorded);
      let reason = options.reason ?? 'restore requested';
      if (!options.immediate) {
        if (nowMs < timeline.holdUntilMs) {
          await audit(
            'restore',
            `the event is not over: it holds until ${new Date(timeline.holdUntilMs).toISOString()}`,
            'skipped',
          );
          outcomes.push({ eventId, fleetId: fleet.id, result: 'skipped', detail: 'event not over' });
          continue;
        }
        if (nowMs >= deadlineMs) {
          // Listeners may never allow a step (no data after the event): past the deadline the fleet goes back.
          reason = `the restore deadline (${new Date(deadlineMs).toISOString()}) has passed: back to the recorded settings whatever the listeners`;
        } else {
          const decision = decideWatch({
            nowMs,
            timeline,
            model: deps.runtime.models[fleet.id]!,
            headroom: view.event.liveHeadroom,
            fleet: policyFleet(fleet),
            controller: deps.runtime.config.controller,
            stepDown: view.event.stepDown,
            metrics: windows.get(fleet.id) ?? {},
            currentTasks: state.appliedTasks ?? target,
            recordedTasks: target,
            vcpuAvailable: Infinity,
            peakListeners: state.peakListeners,
            // Steps are a share of the peak's distance to the recorded floor: from the current floor they shrink
            // each time and never arrive.
            peakTasks: state.peakAppliedTasks,
            lastScaleInMs: state.lastScaleInMs,
            // An on-call floor still in force is kept, whatever the listeners say.
            override:
              state.override && state.override.untilMs > nowMs
                ? { tasks: state.override.tasks, force: state.override.force }
                : undefined,
          });
          if (decision.action !== 'scale-in' && decision.targetTasks !== target) {
            await audit('restore', `not yet: ${decision.reason}`, 'skipped', {
              inputs: { listeners: decision.listeners, anomalies: decision.anomalies },
            });
            outcomes.push({
              eventId,
              fleetId: fleet.id,
              decision,
              result: 'unchanged',
              detail: decision.reason,
            });
            continue;
          }
          target = decision.targetTasks;
          reason = decision.reason;
        }
      }
      const blockedBy =
        global.mode === 'paused'
          ? 'paused'
          : !options.immediate && activeHold(global, eventState, nowMs)
            ? 'held'
            : global.mode === 'dry-run'
              ? 'dry-run'
              : undefined;
      if (blockedBy) {
        await audit(
          'restore',
          `${reason}; not applied: automation is ${blockedBy}`,
          blockedBy === 'dry-run' ? 'dry-run' : 'skipped',
        );
        outcomes.push({ eventId, fleetId: fleet.id, result: blockedBy });
        continue;
      }
      // No plan step still scheduled with AWS may raise the floor once the fleet is on its way back.
      await clearBackstop(deps, eventId, fleet, nowMs);
      const done = target <= floorOf(recorded);
      const res = done
        ? await deps.capacity.restore(addressOf(fleet), recorded)
        : await deps.capacity.applyFloor(addressOf(fleet), target);
      await deps.state.putFleet(
        {
          ...state,
          phase: done ? 'done' : 'cooling',
          appliedTasks: done ? floorOf(recorded) : target,
          lastScaleInMs: nowMs,
        },
        state.version,
      );
      await safeAudit(deps, {
        atMs: nowMs,
        eventId,
        fleetId: fleet.id,
        actor,
        kind: 'aws-call',
        action: fleet.scalingMode === 'min-capacity' ? 'RegisterScalableTarget' : 'UpdateService',
        reason: done ? `${reason}: recorded settings restored` : reason,
        inputs: { before: res.before, after: res.after, changed: res.changed },
        result: 'ok',
      });
      outcomes.push({ eventId, fleetId: fleet.id, result: res.changed ? 'applied' : 'unchanged' });
    } catch (err) {
      const detail = errorMessage(err);
      deps.log.error('restore failed', { eventId, fleetId: fleet.id, region: fleet.region, error: detail });
      await audit('restore', 'restore failed', 'error', { error: detail });
      outcomes.push({ eventId, fleetId: fleet.id, result: 'error', detail });
    }
  }
  await reportDeadline(deps, view, nowMs, deadlineMs);
  if (deps.shield && outcomes.every((o) => o.result !== 'error' && o.detail !== 'event not over')) {
    const stillLive = (await liveEvents(deps, nowMs))
      .filter((l) => l.view.event.id !== eventId)
      .map((l) => l.state);
    await deps.shield.release(nowMs, global.mode, stillLive, eventId);
  }
  if (outcomes.some((o) => o.result === 'error')) throw new PartialFailureError(outcomes);
  return outcomes;
}

/** The metric the restore-deadline alarm watches: 1 for a fleet still above its recorded settings after it. */
export const ABOVE_RECORDED_METRIC = 'FleetAboveRecordedAfterDeadline';

/**
 * Publishes, every run, whether each fleet of the event is above its recorded settings past the restore deadline
 * (0 before it or when back). What AWS reports is what counts, so a paused, held or failed restore shows; a fleet
 * whose settings cannot be read counts as above, and one with nothing recorded is compared with `baselineTasks`, so
 * the alarm errs towards telling on-call.
 */
async function reportDeadline(
  deps: ControllerDeps,
  view: EventView,
  nowMs: number,
  deadlineMs: number,
): Promise<void> {
  for (const { fleet } of view.fleets) {
    let above = 0;
    if (nowMs >= deadlineMs) {
      try {
        const recorded = (await deps.state.getFleet(view.event.id, fleet.id))?.recorded;
        const now = await deps.capacity.read(addressOf(fleet));
        // Nothing recorded (the state store refused the record while the fleet was raised): the config's baseline is
        // where the fleet returns.
        above = (recorded ? isAbove(now, recorded) : floorOf(now) > fleet.baselineTasks) ? 1 : 0;
      } catch (err) {
        deps.log.error('could not tell whether the fleet is back to its recorded settings', {
          eventId: view.event.id,
          fleetId: fleet.id,
          error: errorMessage(err),
        });
        above = 1;
      }
    }
    deps.telemetry.metric(ABOVE_RECORDED_METRIC, above, 'Count', { Fleet: fleet.id, Event: view.event.id });
  }
}

/** Whether `now` holds more than `recorded`: a higher floor, or a higher (or no) ceiling where one was recorded. */
function isAbove(now: CapacitySettings, recorded: CapacitySettings): boolean {
  return floorOf(now) > floorOf(recorded) || (ceilingOf(now) ?? Infinity) > (ceilingOf(recorded) ?? Infinity);
}
