import type { FleetConfig } from '../core/config/schema';
import type { CapacitySettings } from '../ports';
import { floorOf } from '../ports';
import type { EventState, FleetState, GlobalState, Hold } from '../ports/state';
import { VersionConflictError } from '../ports/state';
import type { ControllerDeps } from './deps';
import { addressOf } from './deps';

/** The hold in force now, if any: an all-events hold or this event's. */
export function activeHold(global: GlobalState, event: EventState, nowMs: number): Hold | undefined {
  if (global.hold && global.hold.untilMs > nowMs) return global.hold;
  if (event.hold && event.hold.untilMs > nowMs) return event.hold;
  return undefined;
}

/**
 * Records a fleet's capacity settings before SurgeGuard touches anything. If another invocation recorded them
 * first, its record wins: the first reading is the one taken before any change.
 */
export async function recordSettings(
  deps: ControllerDeps,
  eventId: string,
  fleet: FleetConfig,
  existing: FleetState | undefined,
  options: {
    /**
     * Settings read earlier, before the state store refused their record: what the fleet held before SurgeGuard
     * raised it unrecorded, so the record is those, not what AWS holds now.
     * @default undefined (what AWS holds now is recorded)
     */
    readonly readBefore?: CapacitySettings;
  } = {},
): Promise<FleetState & { recorded: NonNullable<FleetState['recorded']> }> {
  const settings = options.readBefore ?? (await deps.capacity.read(addressOf(fleet)));
  try {
    const saved = await deps.state.putFleet(
      {
        eventId,
        fleetId: fleet.id,
        phase: existing?.phase ?? 'prewarming',
        recorded: settings,
        appliedTasks: floorOf(settings),
        peakListeners: existing?.peakListeners ?? 0,
        override: existing?.override,
      },
      existing?.version ?? 0,
    );
    await deps.state.audit({
      atMs: deps.clock.now(),
      eventId,
      fleetId: fleet.id,
      actor: deps.actor,
      kind: 'operation',
      action: 'record-settings',
      reason: options.readBefore
        ? 'pre-event capacity settings recorded as read before the state store refused their record'
        : 'pre-event capacity settings recorded before any change',
      inputs: settings,
      result: 'ok',
    });
    return saved as FleetState & { recorded: NonNullable<FleetState['recorded']> };
  } catch (err) {
    if (!(err instanceof VersionConflictError)) throw err;
    const winner = await deps.state.getFleet(eventId, fleet.id);
    if (!winner?.recorded) throw err;
    return winner as FleetState & { recorded: NonNullable<FleetState['recorded']> };
  }
}
