import type {
  ApplyResult,
  BackstopSync,
  CapacityActuator,
  CapacitySettings,
  FleetAddress,
  ServiceCounts,
} from '../ports';
import type { BackstopAction } from '../core/backstop';
import { backstopChanges } from '../core/backstop';
import { boundedSettings, sameSettings } from '../ports';
import type { EcsServiceAdapter } from './ecs-service';
import type { ScalableTargetAdapter } from './scalable-target';
import { instantOf } from './scalable-target';

/**
 * Moves a fleet's floor and ceiling the way its config says: `min-capacity` sets the scalable target's MinCapacity
 * and MaxCapacity, so the service's own target tracking keeps working between them; `desired-count` sets the
 * service's desiredCount and, where the service has a scalable target, suspends its dynamic scale-out while a
 * ceiling is held. Writes nothing when nothing changes.
 */
export class FleetCapacityActuator implements CapacityActuator {
  constructor(
    private readonly ecs: EcsServiceAdapter,
    private readonly targets: ScalableTargetAdapter,
  ) {}

  async read(fleet: FleetAddress): Promise<CapacitySettings> {
    if (fleet.mode === 'min-capacity') {
      const t = await this.targets.read(fleet);
      return { mode: 'min-capacity', minCapacity: t.minCapacity, maxCapacity: t.maxCapacity };
    }
    const desiredCount = await this.ecs.desired(fleet);
    const target = await this.targets.find(fleet);
    return target
      ? { mode: 'desired-count', desiredCount, scaleOutSuspended: target.scaleOutSuspended }
      : { mode: 'desired-count', desiredCount };
  }

  counts(fleets: readonly FleetAddress[]): Promise<Map<string, ServiceCounts>> {
    return this.ecs.counts(fleets);
  }

  async applyFloor(fleet: FleetAddress, tasks: number, ceiling?: number | null): Promise<ApplyResult> {
    const before = await this.read(fleet);
    const after = boundedSettings(before, tasks, ceiling);
    return this.write(fleet, before, after);
  }

  async restore(fleet: FleetAddress, settings: CapacitySettings): Promise<ApplyResult> {
    const before = await this.read(fleet);
    if (before.mode !== settings.mode) {
      throw new Error(
        `fleet ${fleet.fleetId} was recorded in ${settings.mode} mode but is configured for ${before.mode}`,
      );
    }
    return this.write(fleet, before, settings);
  }

  /**
   * Scheduled actions exist only for scalable targets: a `desired-count` fleet has no backstop, and one asked of it
   * is refused.
   */
  async syncBackstop(
    fleet: FleetAddress,
    prefix: string,
    actions: readonly BackstopAction[],
  ): Promise<BackstopSync> {
    if (fleet.mode !== 'min-capacity') {
      if (actions.length)
        throw new Error(`fleet ${fleet.fleetId} has no scalable target to schedule steps on`);
      return { put: [], deleted: [] };
    }
    const { put, deleted } = backstopChanges(await this.readBackstop(fleet, prefix), actions);
    // Deletes first: an action left over from an older plan (or a shift) must not fire in between.
    for (const name of deleted) await this.targets.deleteScheduledAction(fleet, name);
    for (const a of put) await this.targets.putScheduledAction(fleet, a);
    return { put: put.map((a) => a.name), deleted };
  }

  async readBackstop(fleet: FleetAddress, prefix: string): Promise<BackstopAction[]> {
    if (fleet.mode !== 'min-capacity') return [];
    const found = await this.targets.scheduledActions(fleet, prefix);
    return found
      .map((a) => ({
        name: a.name,
        atMs: instantOf(a.schedule),
        minCapacity: a.minCapacity ?? 0,
        maxCapacity: a.maxCapacity ?? 0,
      }))
      .sort((x, y) => x.atMs - y.atMs);
  }

  private async write(
    fleet: FleetAddress,
    before: CapacitySettings,
    after: CapacitySettings,
  ): Promise<ApplyResult> {
    if (sameSettings(before, after)) return { changed: false, before, after };
    if (after.mode === 'min-capacity') await this.targets.write(fleet, after.minCapacity, after.maxCapacity);
    else {
      // Suspend scale-out before raising the count, and resume it only after the count is back: the service's
      // own policies never add tasks past the ceiling in between.
      const was = before.mode === 'desired-count' ? before.scaleOutSuspended : undefined;
      const suspendFirst = after.scaleOutSuspended === true && was !== true;
      if (suspendFirst) await this.targets.suspendScaleOut(fleet, true);
      if (before.mode !== 'desired-count' || before.desiredCount !== after.desiredCount)
        await this.ecs.setDesired(fleet, after.desiredCount);
      if (after.scaleOutSuspended === false && was === true) await this.targets.suspendScaleOut(fleet, false);
    }
    return { changed: true, before, after };
  }
}
