import { ECS_MAX_TASKS_PER_SERVICE } from './limits';
import { holtForecast } from './forecast';
import type { PlanStep } from './planner';
import { stepFloor } from './planner';
import type { Series, SeriesProblem } from './series';
import { cleanSeries, latest } from './series';
import type { UslParams } from './usl';
import { tasksFor, uslPeak } from './usl';

/** Where an event stands for one fleet. */
export type Phase = 'scheduled' | 'prewarming' | 'live' | 'cooling' | 'done';

/** The metrics the watch reads for one fleet, each a series of per-period datapoints. */
export interface FleetMetricsWindow {
  readonly listeners?: Series;
  readonly joinRequests?: Series;
  readonly joinSuccesses?: Series;
  readonly joinErrorsCapacity?: Series;
  readonly joinErrorsAuth?: Series;
}

/** A manual floor set by on-call (`surgeguard scale`); only active ones are passed in. */
export interface ActiveOverride {
  readonly tasks: number;
  /** Allows a floor below the plan during the event window. */
  readonly force: boolean;
}

/** The event's timeline for one fleet, with any shift already applied. */
export interface FleetTimeline {
  readonly rampStartMs: number;
  readonly doorsOpenMs: number;
  readonly holdUntilMs: number;
  /** The plan's steps, shifted. */
  readonly steps: readonly PlanStep[];
  /** The plan's event target (tasks held through the event). */
  readonly eventTasks: number;
}

/** Everything the watch policy needs to decide one fleet's capacity at one tick. */
export interface WatchInput {
  readonly nowMs: number;
  readonly timeline: FleetTimeline;
  readonly model: UslParams;
  readonly headroom: number;
  readonly fleet: {
    readonly maxTasks: number;
    readonly vcpuPerTask: number;
    readonly startupSeconds: number;
    readonly periodSeconds: number;
    readonly delaySeconds: number;
  };
  readonly controller: {
    readonly tickSeconds: number;
    readonly forecastWindowMinutes: number;
    readonly retryIntervalSeconds: number;
    readonly holdShareOfPeak: number;
  };
  readonly stepDown: { readonly steps: number; readonly intervalMinutes: number };
  readonly metrics: FleetMetricsWindow;
  /** The floor SurgeGuard has applied now (MinCapacity or desiredCount). */
  readonly currentTasks: number;
  /** The pre-event floor to return to. */
  readonly recordedTasks: number;
  /** vCPU this fleet may use in its region: the quota less what the region's other fleets hold. */
  readonly vcpuAvailable: number;
  /** Most listeners seen on this fleet during this event. */
  readonly peakListeners: number;
  /** When SurgeGuard last stepped this fleet down (cooling), if ever. */
  readonly lastScaleInMs?: number;
  /** The highest floor applied during this event: step-down sizes come from it. */
  readonly peakTasks?: number;
  /** The shield judges the traffic an attack: capacity errors are the flood's, not listeners waiting. */
  readonly floodSuspected?: boolean;
  readonly override?: ActiveOverride;
  /** Extra tasks the shield asks for during a flash crowd. */
  readonly extraTasks?: number;
}

/** What the watch decided for one fleet, and why: the audit record's core. */
export interface WatchDecision {
  readonly phase: Phase;
  readonly action: 'scale-out' | 'scale-in' | 'hold';
  /** The floor to apply; equal to `currentTasks` when the action is hold. */
  readonly targetTasks: number;
  readonly currentTasks: number;
  /** The plan's floor now. */
  readonly planFloor: number;
  /** Listeners observed in the newest usable datapoint. */
  readonly listeners: number | null;
  /** Forecast listeners at now + start-up + tick + metric delay. */
  readonly forecastListeners: number | null;
  /** Listeners estimated to be failing to get in (capacity errors x retry interval). */
  readonly unmetListeners: number;
  /** Tasks the forecast demand needs with headroom; null without usable data. */
  readonly neededTasks: number | null;
  /** The most tasks allowed now, and what set it. */
  readonly limitTasks: number;
  readonly limitedBy: 'maxTasks' | 'serviceLimit' | 'vcpuQuota' | 'uslPeak';
  /** True when the demand needs more than the limit allows: report it, do not crash. */
  readonly limitBreached: boolean;
  /** Problems with the data; when listeners are affected the decision holds. */
  readonly anomalies: string[];
  readonly reason: string;
}

/** The phase of an event at an instant, for a fleet whose applied floor is `currentTasks`. */
export function phaseAt(
  timeline: FleetTimeline,
  nowMs: number,
  currentTasks: number,
  recordedTasks: number,
): Phase {
  if (nowMs < timeline.rampStartMs) return 'scheduled';
  if (nowMs < timeline.doorsOpenMs) return 'prewarming';
  if (nowMs < timeline.holdUntilMs) return 'live';
  return currentTasks > recordedTasks ? 'cooling' : 'done';
}

/**
 * Decides one fleet's floor for one tick. Pure: the same input gives the same decision.
 *
 * In the event window (ramp start to end plus tail) the floor never drops below the plan's step nor below what is
 * applied, and rises at once to what the forecast demand needs. After the window it steps down gradually towards
 * the recorded pre-event floor, and not while listeners are above a share of the peak. Missing or odd listener
 * data holds the current floor; it never causes a scale-in.
 */
export function decideWatch(input: WatchInput): WatchDecision {
  const { nowMs, timeline, fleet, controller } = input;
  const current = input.currentTasks;
  const phase = phaseAt(timeline, nowMs, current, input.recordedTasks);
  const inWindow = nowMs >= timeline.rampStartMs && nowMs < timeline.holdUntilMs;
  const planFloor = stepFloor(timeline.steps, nowMs, input.recordedTasks);

  const periodMs = fleet.periodSeconds * 1000;
  const maxAgeMs = periodMs + fleet.delaySeconds * 1000 + 2 * controller.tickSeconds * 1000 + periodMs;
  const anomalies: string[] = [];
  const listenersSeries = cleanSeries(input.metrics.listeners, nowMs, maxAgeMs);
  if (listenersSeries.problem) anomalies.push(`listeners: ${describe(listenersSeries.problem)}`);
  const errorsSeries = cleanSeries(input.metrics.joinErrorsCapacity, nowMs, maxAgeMs);
  if (errorsSeries.problem) anomalies.push(`joinErrorsCapacity: ${describe(errorsSeries.problem)}`);

  const dataOk = !listenersSeries.problem;
  const listeners = dataOk ? (latest(listenersSeries.points) ?? null) : null;
  let forecastListeners: number | null = null;
  let neededTasks: number | null = null;
  let unmetListeners = 0;
  if (dataOk && listeners !== null) {
    const windowStart = nowMs - controller.forecastWindowMinutes * 60_000;
    const recent = listenersSeries.points.filter((p) => p.t >= windowStart);
    const horizon = nowMs + (fleet.startupSeconds + controller.tickSeconds) * 1000;
    const forecast = holtForecast(recent.length ? recent : listenersSeries.points.slice(-1), horizon);
    forecastListeners = Math.max(listeners, forecast?.value ?? listeners);
    // Clients refused for lack of room retry; each refusal per retry interval is a listener waiting to get in.
    const errors = errorsSeries.problem || input.floodSuspected ? 0 : (latest(errorsSeries.points) ?? 0);
    unmetListeners = (errors / fleet.periodSeconds) * controller.retryIntervalSeconds;
    const demand = (forecastListeners + unmetListeners) * (1 + input.headroom);
    const inverse = tasksFor(input.model, demand);
    neededTasks = inverse.reachable ? (inverse.tasks ?? 0) : (uslPeak(input.model).tasks ?? fleet.maxTasks);
  }

  const vcpuLimit = Math.floor(input.vcpuAvailable / fleet.vcpuPerTask);
  const limits: [number, WatchDecision['limitedBy']][] = [
    [fleet.maxTasks, 'maxTasks'],
    [ECS_MAX_TASKS_PER_SERVICE, 'serviceLimit'],
    [vcpuLimit, 'vcpuQuota'],
    // Past the capacity model's peak, more tasks carry fewer listeners: the answer is more fleets, not more tasks.
    [uslPeak(input.model).tasks ?? Infinity, 'uslPeak'],
  ];
  const [limitTasks, limitedBy] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));

  const base = {
    phase,
    currentTasks: current,
    planFloor,
    listeners,
    forecastListeners,
    unmetListeners,
    neededTasks,
    limitTasks,
    limitedBy,
    anomalies,
  };
  const extra = input.extraTasks ?? 0;
  const override = input.override;

  if (phase === 'scheduled') {
    // Audiences arrive early: before the ramp the watch only follows demand up, never down.
    const early = Math.min(limitTasks, Math.max(neededTasks ?? 0, override?.tasks ?? 0) + extra);
    if (early > current) {
      return {
        ...base,
        action: 'scale-out',
        targetTasks: early,
        limitBreached: (neededTasks ?? 0) + extra > limitTasks,
        reason: `before the ramp, the audience is arriving early: forecast ${round(forecastListeners)} listeners (+${round(unmetListeners)} waiting) needs ${early} tasks`,
      };
    }
    return {
      ...base,
      action: 'hold',
      targetTasks: current,
      limitBreached: false,
      reason: 'before the ramp start',
    };
  }

  if (inWindow) {
    const floor = override?.force ? override.tasks : Math.max(planFloor, override?.tasks ?? 0);
    let wanted = Math.max(floor, (neededTasks ?? 0) + extra);
    const breached = wanted > limitTasks;
    wanted = Math.min(wanted, limitTasks);
    // Inside the window nothing scales in, except a forced override that on-call asked for.
    const target = override?.force ? Math.max(wanted, Math.min(current, floor)) : Math.max(wanted, current);
    const why: string[] = [];
    if (!dataOk) why.push(`holding: ${anomalies[0]}`);
    if (target > current) {
      if (neededTasks !== null && neededTasks + extra >= floor && neededTasks + extra > current) {
        why.push(
          `forecast ${round(forecastListeners)} listeners (+${round(unmetListeners)} waiting) needs ${neededTasks + extra} tasks`,
        );
      } else if (override && floor === override.tasks && floor > planFloor)
        why.push(`manual floor ${override.tasks}`);
      else why.push(`plan step ${planFloor}`);
    }
    if (breached) why.push(`limited to ${limitTasks} by ${limitedBy}`);
    const action = target > current ? 'scale-out' : target < current ? 'scale-in' : 'hold';
    return {
      ...base,
      action,
      targetTasks: target,
      limitBreached: breached,
      reason: why.length
        ? why.join('; ')
        : `holding ${current}: covers the plan (${planFloor}) and the forecast`,
    };
  }

  // After the window: return gradually, and only once listeners allow.
  if (phase === 'done') {
    return {
      ...base,
      action: 'hold',
      targetTasks: current,
      limitBreached: false,
      reason: 'at the pre-event floor',
    };
  }
  if (!dataOk) {
    return {
      ...base,
      action: 'hold',
      targetTasks: current,
      limitBreached: false,
      reason: `holding: ${anomalies[0]}`,
    };
  }
  const stillBusy =
    listeners !== null && listeners > controller.holdShareOfPeak * input.peakListeners && listeners > 0;
  const wantedUp = Math.min(limitTasks, Math.max(neededTasks ?? 0, override?.tasks ?? 0) + extra);
  if (wantedUp > current) {
    return {
      ...base,
      action: 'scale-out',
      targetTasks: wantedUp,
      limitBreached: false,
      reason: `after the event, the forecast ${round(forecastListeners)} listeners still needs ${wantedUp} tasks`,
    };
  }
  if (stillBusy) {
    return {
      ...base,
      action: 'hold',
      targetTasks: current,
      limitBreached: false,
      reason: `${round(listeners)} listeners, above ${Math.round(controller.holdShareOfPeak * 100)}% of the peak ${round(input.peakListeners)}: the event is running late`,
    };
  }
  const intervalMs = input.stepDown.intervalMinutes * 60_000;
  if (input.lastScaleInMs !== undefined && nowMs - input.lastScaleInMs < intervalMs) {
    return {
      ...base,
      action: 'hold',
      targetTasks: current,
      limitBreached: false,
      reason: 'waiting for the next step-down',
    };
  }
  const top = Math.max(timeline.eventTasks, input.peakTasks ?? 0, current);
  const step = Math.max(1, Math.ceil((top - input.recordedTasks) / input.stepDown.steps));
  const target = Math.max(input.recordedTasks, wantedUp, current - step);
  if (target >= current) {
    return {
      ...base,
      action: 'hold',
      targetTasks: current,
      limitBreached: false,
      reason: 'demand still needs the current floor',
    };
  }
  return {
    ...base,
    action: 'scale-in',
    targetTasks: target,
    limitBreached: false,
    reason: `stepping down to ${target} (recorded pre-event floor ${input.recordedTasks})`,
  };
}

function describe(problem: SeriesProblem): string {
  switch (problem) {
    case 'missing':
      return 'no datapoints';
    case 'not-a-number':
      return 'newest datapoint is not a number';
    case 'negative':
      return 'newest datapoint is negative';
    case 'stale':
      return 'newest datapoint is stale';
  }
}

function round(n: number | null): string {
  return n === null ? 'unknown' : Math.round(n).toLocaleString('en-US');
}
