import type { LiveModelState } from '../core/live-model';
import type { Phase } from '../core/watch-policy';
import type { CapacitySettings, SavedRuleOverrides } from './index';

/** The global automation switch. */
export type AutomationMode = 'active' | 'paused' | 'dry-run';

/** A time-limited hold on automation, set by on-call. */
export interface Hold {
  readonly untilMs: number;
  readonly by: string;
  readonly reason: string;
}

/** State shared by every event: the automation switch and an all-events hold. */
export interface GlobalState {
  readonly mode: AutomationMode;
  readonly hold?: Hold;
  /** Managed-group overrides the shield's arm replaced, kept until the disarm puts them back. */
  readonly wafOverrides?: SavedRuleOverrides;
  /** 0 when never written; each conditional write adds one. */
  readonly version: number;
}

/** A manual mode of the shield that wins over the detector until it expires. */
export interface ShieldOverride {
  readonly mode: 'armed' | 'disarmed';
  readonly untilMs: number;
  readonly by: string;
  readonly reason: string;
}

/** State of one event. */
export interface EventState {
  readonly eventId: string;
  /** Minutes the event moved (`surgeguard shift`); every time in its plan moves with it. */
  readonly shiftMinutes: number;
  readonly hold?: Hold;
  readonly shieldOverride?: ShieldOverride;
  /** The shield's own state (mode, streaks, switch times); owned by the shield. */
  readonly shield?: Readonly<Record<string, unknown>>;
  readonly version: number;
}

/** A manual floor (`surgeguard scale`). */
export interface Override {
  readonly tasks: number;
  readonly force: boolean;
  readonly untilMs: number;
  readonly by: string;
  readonly reason: string;
}

/** The last decision, kept for `status`. */
export interface LastDecision {
  readonly atMs: number;
  readonly action: string;
  readonly targetTasks: number;
  readonly reason: string;
  readonly applied: boolean;
}

/** State of one fleet in one event. */
export interface FleetState {
  readonly eventId: string;
  readonly fleetId: string;
  readonly phase: Phase;
  /** The capacity settings found before SurgeGuard touched anything. */
  readonly recorded?: CapacitySettings;
  /** The floor SurgeGuard last decided and applied (intended). */
  readonly appliedTasks?: number;
  /** The ceiling SurgeGuard last decided and applied (intended); absent when it holds none. */
  readonly appliedCeiling?: number;
  /** The settings AWS reported at the last tick (confirmed), which the watch repairs towards the intended ones. */
  readonly confirmed?: CapacitySettings;
  /** What the event has taught about the fleet's capacity (the live model). */
  readonly live?: LiveModelState;
  /** When on-call was told the fleet is past its scaling peak. */
  readonly retrogradeNotifiedMs?: number;
  /** The highest floor applied during the event. */
  readonly peakAppliedTasks?: number;
  readonly peakListeners: number;
  readonly lastScaleInMs?: number;
  /**
   * When a step down last took away tasks ECS was running (they drain for a while): a step down under a service
   * whose own scaling holds it above the floor takes none away, and its periods still measure the fleet.
   */
  readonly drainFromMs?: number;
  /**
   * When that step's periods measure the fleet again: soon where every task it took away was released (stopped at
   * once), later where they drain. Absent (older states), ten minutes after it.
   */
  readonly drainUntilMs?: number;
  readonly lastDecision?: LastDecision;
  readonly override?: Override;
  readonly version: number;
}

/** Which fleet state: a fleet in an event. */
export interface FleetKey {
  readonly eventId: string;
  readonly fleetId: string;
}

/** One line of the audit trail: who did what, when, why, with what inputs and result. */
export interface AuditRecord {
  readonly atMs: number;
  readonly eventId?: string;
  readonly fleetId?: string;
  /** The caller's identity (from AWS), or the function that decided. */
  readonly actor: string;
  readonly kind: 'decision' | 'aws-call' | 'operation' | 'shield';
  readonly action: string;
  readonly reason: string;
  readonly inputs?: unknown;
  readonly decision?: unknown;
  readonly result: 'ok' | 'error' | 'skipped' | 'dry-run' | 'conflict';
  readonly error?: string;
  /** The invocation that wrote it (a schedule's execution id or a request id): the key to its logs and trace. */
  readonly correlationId?: string;
}

/** A conditional write lost to a newer version: re-read and decide again. */
export class VersionConflictError extends Error {
  constructor(what: string) {
    super(`${what} changed since it was read`);
    this.name = 'VersionConflictError';
  }
}

/**
 * Durable state and audit trail. Every put is conditional on the version that was read; a put given an audit
 * record writes both or neither, so the trail never misses a change nor records one that did not happen.
 */
export interface StateStore {
  getGlobal(): Promise<GlobalState>;
  putGlobal(
    next: Omit<GlobalState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<GlobalState>;
  getEvent(eventId: string): Promise<EventState>;
  /** Many events' state in few calls, in the order asked; an event never written gets the default, as in getEvent. */
  getEvents(eventIds: readonly string[]): Promise<EventState[]>;
  putEvent(
    next: Omit<EventState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<EventState>;
  getFleet(eventId: string, fleetId: string): Promise<FleetState | undefined>;
  /** Many fleets' state in few calls, in the order asked; undefined where none was written. */
  getFleets(keys: readonly FleetKey[]): Promise<(FleetState | undefined)[]>;
  putFleet(
    next: Omit<FleetState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<FleetState>;
  audit(record: AuditRecord): Promise<void>;
  listAudit(filter: { eventId?: string; sinceMs?: number; limit?: number }): Promise<AuditRecord[]>;
  /** Records a one-time token (an SSM execution id); false when it was recorded before. */
  claimOnce(token: string, atMs: number): Promise<boolean>;
}
