import { findEvent, fleetTimeline } from '../core/runtime-config';
import { stepFloor } from '../core/planner';
import { floorOf } from '../ports';
import { errorMessage } from '../core/errors';
import type { ControllerDeps, FleetOutcome } from './deps';
import { PartialFailureError, addressOf } from './deps';
import { activeHold, recordSettings } from './shared';
import { safeAudit } from './watch';
import type { AuditRecord } from '../ports/state';

/** A payload naming an event that is not in the deployed config. */
export class UnknownEventError extends Error {
  constructor(eventId: string, known: readonly string[]) {
    super(`unknown event "${eventId}"; expected one of: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownEventError';
  }
}

/**
 * Pre-scale an event: record each fleet's settings before touching anything, then apply the plan's steps that
 * are due. Idempotent: a second delivery finds the settings recorded and the floor in place, and writes nothing.
 * @throws PartialFailureError after every fleet has had its turn, when any failed.
 */
export async function runPrescale(deps: ControllerDeps, eventId: string): Promise<FleetOutcome[]> {
  const view = findEvent(deps.runtime, eventId);
  if (!view)
    throw new UnknownEventError(
      eventId,
      deps.runtime.config.events.map((e) => e.id),
    );
  const nowMs = deps.clock.now();
  const global = await deps.state.getGlobal();
  const eventState = await deps.state.getEvent(eventId);
  const hold = activeHold(global, eventState, nowMs);
  const outcomes: FleetOutcome[] = [];

  for (const { fleet, plan } of view.fleets) {
    const audit = (record: Omit<AuditRecord, 'atMs' | 'eventId' | 'fleetId' | 'actor'>) =>
      safeAudit(deps, { atMs: nowMs, eventId, fleetId: fleet.id, actor: deps.actor, ...record });
    try {
      let state = await deps.state.getFleet(eventId, fleet.id);
      if (!state?.recorded) state = await recordSettings(deps, eventId, fleet, state);
      const recordedFloor = floorOf(state.recorded!);
      const timeline = fleetTimeline(view, plan, eventState.shiftMinutes);
      const due = stepFloor(timeline.steps, nowMs, recordedFloor);
      // AWS may hold more than state says (a raise applied while the state store refused writes): a plan step
      // never takes the floor down.
      const inAws = await deps.capacity.read(addressOf(fleet)).then(floorOf, () => undefined);
      const applied = Math.max(state.appliedTasks ?? recordedFloor, inAws ?? 0);
      if (due <= applied) {
        await audit({
          kind: 'decision',
          action: 'prescale',
          reason:
            nowMs < timeline.rampStartMs
              ? 'before the ramp start: nothing due yet'
              : `floor ${applied} already covers the plan step ${due}`,
          inputs: { due, applied },
          result: 'skipped',
        });
        outcomes.push({ eventId, fleetId: fleet.id, result: 'unchanged' });
        continue;
      }
      const blockedBy =
        global.mode === 'paused'
          ? 'paused'
          : hold
            ? 'held'
            : global.mode === 'dry-run'
              ? 'dry-run'
              : undefined;
      if (blockedBy) {
        await audit({
          kind: 'decision',
          action: 'prescale',
          reason: `plan step ${due} not applied: automation is ${blockedBy}`,
          inputs: { due, applied },
          result: blockedBy === 'dry-run' ? 'dry-run' : 'skipped',
        });
        outcomes.push({ eventId, fleetId: fleet.id, result: blockedBy });
        continue;
      }
      const claimed = await deps.state.putFleet(
        { ...state, phase: 'prewarming', appliedTasks: due },
        state.version,
      );
      try {
        const res = await deps.capacity.applyFloor(addressOf(fleet), due);
        await audit({
          kind: 'aws-call',
          action: fleet.scalingMode === 'min-capacity' ? 'RegisterScalableTarget' : 'UpdateService',
          reason: `plan step: ${due} tasks from ${timeline.steps[0]?.at ?? 'now'}`,
          inputs: { before: res.before, after: res.after, changed: res.changed },
          result: 'ok',
        });
      } catch (err) {
        await deps.state.putFleet({ ...state, appliedTasks: state.appliedTasks }, claimed.version);
        throw err;
      }
      outcomes.push({ eventId, fleetId: fleet.id, result: 'applied' });
    } catch (err) {
      const detail = errorMessage(err);
      deps.log.error('prescale failed', { eventId, fleetId: fleet.id, region: fleet.region, error: detail });
      await audit({
        kind: 'decision',
        action: 'prescale',
        reason: 'prescale failed',
        result: 'error',
        error: detail,
      });
      outcomes.push({ eventId, fleetId: fleet.id, result: 'error', detail });
    }
  }
  if (outcomes.some((o) => o.result === 'error')) throw new PartialFailureError(outcomes);
  return outcomes;
}
