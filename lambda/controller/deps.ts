import type { RuntimeConfig } from '../core/runtime-config';
import type { WatchDecision, WatchInput } from '../core/watch-policy';
import type {
  CapacityActuator,
  Clock,
  DrainGuard,
  FleetAddress,
  Log,
  MetricQuery,
  MetricSource,
  Notifier,
  SchedulePort,
  Telemetry,
} from '../ports';
import type { FleetMetricsWindow } from '../core/watch-policy';
import type { EventState, GlobalState, StateStore } from '../ports/state';
import type { Series } from '../core/series';
import type { UslParams } from '../core/usl';
import type { LiveCapacity } from '../core/live-model';
import type { FleetConfig } from '../core/config/schema';
import type { ScheduleSyncMemo } from './schedules';

/** One live event as the shield sees it at a tick. */
export interface ShieldEventInput {
  readonly eventId: string;
  readonly eventState: EventState;
  /** Doors open (shifted): before it, normal traffic teaches the shield its baseline. */
  readonly doorsOpenMs: number;
  /**
   * How old the newest join datapoint may be and still be judged: the largest of the fleets' metric freshness
   * (period, delay and ticks), so metrics that are late by configuration never read as stale.
   */
  readonly freshAgeMs: number;
  readonly fleets: readonly {
    readonly fleetId: string;
    readonly metrics: FleetMetricsWindow;
    readonly runningTasks?: number;
    readonly model: UslParams;
  }[];
}

/** The seam between the watch and the shield: read with the fleets' metrics, called once per tick. */
export interface ShieldHook {
  /** Web ACL metric queries, read in the same GetMetricData call as the fleets of that region. */
  metricQueries(): { region: string; queries: MetricQuery[] };
  /**
   * Judges each live event's traffic, moves the shield and reconciles the web ACL with the desired mode.
   * Returns extra tasks to ask for per event and fleet (a flash crowd asks for capacity, never for blocking), and
   * the events whose traffic it judges an attack the rules were not yet blocking (their capacity errors are the
   * flood's, not listeners waiting).
   */
  onTick(input: {
    nowMs: number;
    events: readonly ShieldEventInput[];
    wafData: Map<string, Series>;
    mode: GlobalState['mode'];
  }): Promise<{
    extraTasks: Record<string, Record<string, number>>;
    floodSuspected: Record<string, boolean>;
  }>;
  /**
   * After an event: disarm unless an event still live wants the shield armed. `eventId` names the event that
   * ended, for the audit trail of the disarm.
   */
  release(
    nowMs: number,
    mode: GlobalState['mode'],
    stillLive: readonly EventState[],
    eventId?: string,
  ): Promise<void>;
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
  /** Checks that tasks drain before the floor follows the audience down; without it the floor never does. */
  readonly drain?: DrainGuard;
  /** Who acts, for the audit trail (the function's name). */
  readonly actor: string;
  /** The published document's version the runtime config came from. @default none (a config given directly) */
  readonly documentVersion?: string;
  /** The prescale and restore schedules, which the watch keeps in step with the document. @default none */
  readonly schedules?: SchedulePort;
  /** When this container last synced the schedules, and from which document. @default never */
  readonly scheduleSync?: ScheduleSyncMemo;
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

/** What the watch policy needs to know of a fleet, from its config. */
export function policyFleet(fleet: FleetConfig): WatchInput['fleet'] {
  return {
    maxTasks: fleet.maxTasks,
    vcpuPerTask: fleet.vcpuPerTask,
    startupSeconds: fleet.startupSeconds,
    periodSeconds: fleet.metrics.periodSeconds,
    delaySeconds: fleet.metrics.delaySeconds,
  };
}

/** The outcome for one fleet in one run. */
export interface FleetOutcome {
  readonly eventId: string;
  readonly fleetId: string;
  readonly decision?: WatchDecision;
  /** The live capacity model the decision was made with. */
  readonly live?: LiveCapacity;
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
