import type { RuntimeConfig } from '../core/runtime-config';
import type { WatchDecision } from '../core/watch-policy';
import type { CapacityActuator, Clock, FleetAddress, Log, MetricSource, Notifier, Telemetry } from '../ports';
import type { FleetMetricsWindow } from '../core/watch-policy';
import type { EventState, StateStore } from '../ports/state';
import type { FleetConfig } from '../core/config/schema';

/** What the shield needs from each watch tick, and what it gives back: the seam between the watch and the shield. */
export interface ShieldHook {
  /**
   * Called once per live event per tick, after metrics are read and before fleets are decided.
   * Returns extra tasks to ask for per fleet (a flash crowd asks for capacity, never for blocking).
   */
  onTick(input: {
    nowMs: number;
    eventId: string;
    eventState: EventState;
    fleets: readonly { fleetId: string; metrics: FleetMetricsWindow }[];
    dryRun: boolean;
  }): Promise<{ extraTasks: Record<string, number> }>;
}

/** Everything the controller acts through; the Lambdas pass AWS adapters, the simulator in-memory ones. */
export interface ControllerDeps {
  readonly runtime: RuntimeConfig;
  readonly clock: Clock;
  readonly metrics: MetricSource;
  readonly capacity: CapacityActuator;
  readonly state: StateStore;
  readonly log: Log;
  readonly telemetry: Telemetry;
  readonly notifier?: Notifier;
  readonly shield?: ShieldHook;
  /** Who acts, for the audit trail (the function's name). */
  readonly actor: string;
}

/** A fleet's address in AWS, from its config. */
export function addressOf(fleet: FleetConfig): FleetAddress {
  return {
    fleetId: fleet.id,
    region: fleet.region,
    cluster: fleet.cluster,
    service: fleet.service,
    mode: fleet.scalingMode,
  };
}

/** The outcome for one fleet in one run. */
export interface FleetOutcome {
  readonly eventId: string;
  readonly fleetId: string;
  readonly decision?: WatchDecision;
  /** What happened to the decision: applied, not needed, held back by a switch, or failed. */
  readonly result: 'applied' | 'unchanged' | 'dry-run' | 'held' | 'paused' | 'conflict' | 'error' | 'skipped';
  readonly detail?: string;
}

/** Thrown after every fleet has had its turn when any failed, so Lambda reports the failure. */
export class PartialFailureError extends Error {
  constructor(readonly outcomes: readonly FleetOutcome[]) {
    const failed = outcomes.filter((o) => o.result === 'error');
    super(
      `${failed.length} of ${outcomes.length} fleet actions failed: ${failed.map((o) => `${o.eventId}/${o.fleetId}: ${o.detail}`).join('; ')}`,
    );
    this.name = 'PartialFailureError';
  }
}
