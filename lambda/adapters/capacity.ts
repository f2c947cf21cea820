import type { ApplyResult, CapacityActuator, CapacitySettings, FleetAddress, ServiceCounts } from '../ports';
import { floorSettings } from '../ports';
import type { EcsServiceAdapter } from './ecs-service';
import type { ScalableTargetAdapter } from './scalable-target';

/**
 * Moves a fleet's floor the way its config says: `min-capacity` raises the scalable target's MinCapacity (and
 * MaxCapacity where it is below), so the service's own target tracking keeps working above the floor;
 * `desired-count` sets the service's desiredCount. Writes nothing when nothing changes.
 */
export class FleetCapacityActuator implements CapacityActuator {
  constructor(
    private readonly ecs: EcsServiceAdapter,
    private readonly targets: ScalableTargetAdapter,
  ) {}

  async read(fleet: FleetAddress): Promise<CapacitySettings> {
    if (fleet.mode === 'min-capacity') return { mode: 'min-capacity', ...(await this.targets.read(fleet)) };
    return { mode: 'desired-count', desiredCount: await this.ecs.desired(fleet) };
  }

  counts(fleets: readonly FleetAddress[]): Promise<Map<string, ServiceCounts>> {
    return this.ecs.counts(fleets);
  }

  async applyFloor(fleet: FleetAddress, tasks: number): Promise<ApplyResult> {
    const before = await this.read(fleet);
    const after = floorSettings(before, tasks);
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

  private async write(
    fleet: FleetAddress,
    before: CapacitySettings,
    after: CapacitySettings,
  ): Promise<ApplyResult> {
    if (sameSettings(before, after)) return { changed: false, before, after };
    if (after.mode === 'min-capacity') await this.targets.write(fleet, after.minCapacity, after.maxCapacity);
    else await this.ecs.setDesired(fleet, after.desiredCount);
    return { changed: true, before, after };
  }
}

function sameSettings(a: CapacitySettings, b: CapacitySettings): boolean {
  if (a.mode === 'min-capacity' && b.mode === 'min-capacity') {
    return a.minCapacity === b.minCapacity && a.maxCapacity === b.maxCapacity;
  }
  if (a.mode === 'desired-count' && b.mode === 'desired-count') return a.desiredCount === b.desiredCount;
  return false;
}
