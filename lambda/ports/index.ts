/**
 * The small interfaces the handlers act through. Each has one adapter per AWS API (lambda/adapters) and an
 * in-memory implementation in the simulator, so the replay runs the very code the Lambdas run.
 */
import type { Series } from '../core/series';
import type { RuntimeConfig } from '../core/runtime-config';
import type { ScheduleSpec } from '../core/schedules';
import type { BackstopAction } from '../core/backstop';

/** Time, injected so the core and the handlers never read a clock of their own. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** One CloudWatch metric to read, with the id its datapoints come back under. */
export interface MetricQuery {
  /** Unique in one call; CloudWatch ids start with a lowercase letter. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly periodSeconds: number;
}

/** Reads metrics: one fetch per region per tick, however many fleets (the adapter splits it as the API needs). */
export interface MetricSource {
  fetch(
    region: string,
    queries: readonly MetricQuery[],
    startMs: number,
    endMs: number,
  ): Promise<Map<string, Series>>;
}

/** An ECS service's task counts. */
export interface ServiceCounts {
  readonly running: number;
  readonly pending: number;
  readonly desired: number;
}

/** The capacity settings SurgeGuard changes, as found before the event and restored after. */
export type CapacitySettings =
  | { readonly mode: 'min-capacity'; readonly minCapacity: number; readonly maxCapacity: number }
  | {
      readonly mode: 'desired-count';
      readonly desiredCount: number;
      /** DynamicScalingOutSuspended of the service's scalable target; absent when the service has none. */
      readonly scaleOutSuspended?: boolean;
    };

/** The floor a capacity setting holds: MinCapacity or desiredCount. */
export function floorOf(settings: CapacitySettings): number {
  return settings.mode === 'min-capacity' ? settings.minCapacity : settings.desiredCount;
}

/** The ceiling a capacity setting holds: MaxCapacity, desiredCount when scale-out is suspended, else none. */
export function ceilingOf(settings: CapacitySettings): number | null {
  if (settings.mode === 'min-capacity') return settings.maxCapacity;
  return settings.scaleOutSuspended ? settings.desiredCount : null;
}

/**
 * The settings that put a fleet's floor at `tasks` and, when `ceiling` is given, bound it from above: MinCapacity
 * and MaxCapacity (never below the floor), or desiredCount with the scalable target's dynamic scale-out suspended
 * so nothing adds tasks past it. Without a ceiling MaxCapacity is only raised where below the floor.
 */
export function boundedSettings(
  before: CapacitySettings,
  tasks: number,
  ceiling?: number | null,
): CapacitySettings {
  if (before.mode === 'min-capacity') {
    const max = ceiling === undefined || ceiling === null ? before.maxCapacity : ceiling;
    return { mode: 'min-capacity', minCapacity: tasks, maxCapacity: Math.max(max, tasks) };
  }
  const suspend =
    before.scaleOutSuspended === undefined
      ? undefined
      : ceiling === undefined || ceiling === null
        ? before.scaleOutSuspended
        : true;
  return suspend === undefined
    ? { mode: 'desired-count', desiredCount: tasks }
    : { mode: 'desired-count', desiredCount: tasks, scaleOutSuspended: suspend };
}

/** Whether two settings are the same: writing one over the other changes nothing. */
export function sameSettings(a: CapacitySettings, b: CapacitySettings): boolean {
  if (a.mode === 'min-capacity' && b.mode === 'min-capacity')
    return a.minCapacity === b.minCapacity && a.maxCapacity === b.maxCapacity;
  if (a.mode === 'desired-count' && b.mode === 'desired-count')
    return (
      a.desiredCount === b.desiredCount && (a.scaleOutSuspended ?? false) === (b.scaleOutSuspended ?? false)
    );
  return false;
}

/** Where a fleet lives in AWS. */
export interface FleetAddress {
  readonly fleetId: string;
  readonly region: string;
  readonly cluster: string;
  readonly service: string;
  readonly mode: 'min-capacity' | 'desired-count';
}

/** What an actuator write did. */
export interface ApplyResult {
  readonly changed: boolean;
  readonly before: CapacitySettings;
  readonly after: CapacitySettings;
}

/** Reads and moves one fleet's capacity. */
export interface CapacityActuator {
  /** The settings now (MinCapacity/MaxCapacity of the scalable target, or desiredCount). */
  read(fleet: FleetAddress): Promise<CapacitySettings>;
  /** Running, pending and desired counts of the service. */
  counts(fleets: readonly FleetAddress[]): Promise<Map<string, ServiceCounts>>;
  /**
   * Sets the floor to `tasks` and, when given, the ceiling (see `boundedSettings`); writes nothing when both are
   * already there.
   */
  applyFloor(fleet: FleetAddress, tasks: number, ceiling?: number | null): Promise<ApplyResult>;
  /** Puts back exactly the recorded settings. */
  restore(fleet: FleetAddress, settings: CapacitySettings): Promise<ApplyResult>;
  /**
   * Makes the fleet's scheduled actions under `prefix` exactly `actions` (put what is missing or different, delete
   * the rest), so AWS applies the plan's steps itself. Absent where the fleet's API has no scheduled actions.
   * @default none: the watch alone applies the plan
   */
  syncBackstop?(
    fleet: FleetAddress,
    prefix: string,
    actions: readonly BackstopAction[],
  ): Promise<BackstopSync>;
  /** The fleet's scheduled actions under `prefix`, soonest first (status). @default none: nothing is scheduled */
  readBackstop?(fleet: FleetAddress, prefix: string): Promise<BackstopAction[]>;
}

/** What a backstop sync changed: scheduled action names put and deleted. */
export interface BackstopSync {
  readonly put: readonly string[];
  readonly deleted: readonly string[];
}

/**
 * Whether a service's tasks protect their listeners from scale-in: the SFU sets ECS task scale-in protection on its
 * own task while it carries listeners and releases it when empty, so a lower floor only lets ECS stop emptied tasks.
 */
export interface DrainGuard {
  /** True when running tasks carry scale-in protection, false when none does, undefined when it cannot tell. */
  protecting(fleet: FleetAddress): Promise<boolean | undefined>;
  /**
   * Releases the scale-in protection of up to `tasks` running tasks, so the next lower floor stops them at once with
   * their listeners (who rejoin the tasks left) instead of waiting for them to drain; resolves to the tasks released.
   */
  release(fleet: FleetAddress, tasks: number): Promise<number>;
}

/** Sends a message to the on-call topic. */
export interface Notifier {
  publish(subject: string, message: string): Promise<void>;
}

/** Structured logging; Powertools' Logger fits it. */
export interface Log {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Operational metrics (EMF in Lambda). */
export interface Telemetry {
  metric(
    name: string,
    value: number,
    unit: 'Count' | 'Milliseconds' | 'None',
    dimensions: Record<string, string>,
  ): void;
}

/** A log that says nothing, for callers that do not need one. */
export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Telemetry that records nothing. */
export const noTelemetry: Telemetry = { metric: () => undefined };

/** A rule of the web ACL the shield may switch, and what it does when armed. */
export interface SwitchableRule {
  readonly name: string;
  readonly armedAction: 'Block' | 'Challenge';
  /** For managed rule groups: rules of the group given the armed action when armed. */
  readonly ruleActionOverrides?: readonly string[];
}

/** Where each switchable rule stands: its armed action, Count, something else (a person's change), or absent. */
export type RuleMode = 'armed' | 'disarmed' | 'other' | 'missing';

/**
 * A managed rule group's RuleActionOverrides as they were before the arm, by rule name (WAF's own JSON, kept as
 * is): the disarm puts back exactly these, so an override the team had on a rule the shield switches survives.
 */
export type SavedRuleOverrides = Readonly<Record<string, readonly unknown[]>>;

/** Switches the shield's WAF rules between Count and their armed action, leaving everything else as it is. */
export interface WafSwitch {
  read(): Promise<Record<string, RuleMode>>;
  /**
   * Puts every switchable rule in `mode`; returns the rules it changed (none when already there). An arm also
   * returns the overrides it replaced (`saved`), which the disarm takes back to restore them exactly; a disarm
   * without them removes only the overrides the arm adds.
   */
  apply(
    mode: 'armed' | 'disarmed',
    saved?: SavedRuleOverrides,
  ): Promise<{ changed: string[]; saved?: SavedRuleOverrides }>;
}

/** One schedule of an event, as EventBridge Scheduler holds it. */
export interface ScheduleInfo {
  readonly name: string;
  readonly expression: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly state: string;
}

/** What a sync of schedules changed. */
export interface ScheduleSync {
  readonly created: readonly string[];
  readonly deleted: readonly string[];
  /** Changes left for the next sync (each sync makes a bounded number). */
  readonly remaining: number;
}

/**
 * The prescale and restore schedules SurgeGuard keeps in its schedule group, made to match the published plan:
 * list an event's, and sync the group (or one event's part of it) with the schedules wanted.
 */
export interface SchedulePort {
  /** What the schedules invoke and as whom, as one string: part of their names (see desiredSchedules). */
  readonly targets: string;
  list(eventId: string): Promise<ScheduleInfo[]>;
  sync(desired: readonly ScheduleSpec[], onlyEvent?: string): Promise<ScheduleSync>;
}

/** Alarms in the ALARM state. */
export interface AlarmPort {
  firing(): Promise<{ name: string; reason: string }[]>;
}

/** The runtime config a function acts on, and the published version it came from. */
export interface CurrentRuntime {
  readonly runtime: RuntimeConfig;
  /** The document's version (S3 version id, or a fixed label for a config given directly). */
  readonly version: string;
  readonly publishedAt?: string;
}

/** Where the functions read the published config and plan: checked, cached, and the last good one kept. */
export interface RuntimeSource {
  /** The runtime config to act on now; throws only when no good document has ever been read. */
  current(): Promise<CurrentRuntime>;
}
