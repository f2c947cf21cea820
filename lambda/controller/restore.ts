import { findEvent, fleetTimeline } from '../core/runtime-config';
import { decideWatch } from '../core/watch-policy';
import type { FleetMetricsWindow } from '../core/watch-policy';
import { floorOf } from '../ports';
import { errorMessage } from '../adapters/retry';
import type { ControllerDeps, FleetOutcome } from './deps';
import { PartialFailureError, addressOf, policyFleet } from './deps';
import { UnknownEventError } from './prescale';
import { activeHold } from './shared';
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
          lastScaleInMs: state.lastScaleInMs,
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
  if (deps.shield && outcomes.every((o) => o.result !== 'error' && o.detail !== 'event not over')) {
    const stillLive = (await liveEvents(deps, nowMs))
      .filter((l) => l.view.event.id !== eventId)
      .map((l) => l.state);
    await deps.shield.release(nowMs, global.mode, stillLive, eventId);
  }
  if (outcomes.some((o) => o.result === 'error')) throw new PartialFailureError(outcomes);
  return outcomes;
}
