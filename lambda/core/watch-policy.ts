import { ECS_MAX_TASKS_PER_SERVICE } from './limits';
import { holtForecast } from './forecast';
import type { PlanStep } from './planner';
import { stepFloor } from './planner';
import type { CpuReading, LiveCapacity } from './live-model';
import type { TaskCount } from './live-model';
import { drainedThrough, floodLike, joinAttempts, SATURATION_ERROR_SHARE } from './live-model';
import type { Datapoint, Series, SeriesProblem } from './series';
import { cleanSeries, freshAgeMs, latest } from './series';
import type { CapacityModel, UslParams } from './usl';
import { tasksFor, tasksToHold, uslCapacity, uslPeak } from './usl';

/** Where an event stands for one fleet. */
export type Phase = 'scheduled' | 'prewarming' | 'live' | 'cooling' | 'done';

/** The metrics the watch reads for one fleet, each a series of per-period datapoints. */
export interface FleetMetricsWindow {
  readonly listeners?: Series;
  readonly joinRequests?: Series;
  readonly joinSuccesses?: Series;
  readonly joinErrorsCapacity?: Series;
  readonly joinErrorsAuth?: Series;
  /** The tasks' average CPU percent, when the fleet's config names it. */
  readonly cpu?: Series;
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
  /** When the audience is expected in (start + arrival.fullByMinutes): the plan's floor holds until then. */
  readonly audienceInMs?: number;
  /**
   * The scheduled start, shifted: an audience that has not all come holds the plan to half-time or an hour past it,
   * and one that never came at all to two hours past it (see NO_SHOW_MINUTES).
   */
  readonly startMs?: number;
  /** The forecast's listeners on this fleet (peak x share, no headroom). */
  readonly expectedListeners?: number;
  /** The scheduled end (start + duration): an audience gone after it is not coming back. */
  readonly endMs?: number;
}

/** How the watch follows a shrinking audience down during the event window. */
export interface FollowAudience {
  /** Listeners must have stayed below the floor's capacity this long. @default 15 */
  readonly quietMinutes: number;
  /** Minutes between two steps down. @default 5 */
  readonly intervalMinutes: number;
  /** Largest share of the floor one step removes. @default 0.25 */
  readonly maxStepShare: number;
}

/** Everything the watch policy needs to decide one fleet's capacity at one tick. */
export interface WatchInput {
  readonly nowMs: number;
  readonly timeline: FleetTimeline;
  /** The scaling test's fit (and whether its steps place its peak). */
  readonly model: UslParams & Pick<CapacityModel, 'peakNotPlaced'>;
  /**
   * The largest fleet size the scaling test measured: with no peak modelled, the watch grows the fleet at most
   * {@link NO_PEAK_REACH} times past it, or past the largest size seen carrying listeners, whichever is larger.
   * @default none: no such bound
   */
  readonly testedTasks?: number;
  /** Extra capacity over the demand the watch sees (0.1 = 10 %). */
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
  /** When SurgeGuard last lowered this fleet's floor (following the audience, or cooling), if ever. */
  readonly lastScaleInMs?: number;
  /** When a step down last took away tasks ECS was running: they drain for a while after (see FleetState). */
  readonly drainFromMs?: number;
  /** When that step's periods count again (see FleetState). */
  readonly drainUntilMs?: number;
  /** The highest floor applied during this event: step-down sizes come from it. */
  readonly peakTasks?: number;
  /** The shield judges the traffic an attack: capacity errors are the flood's, not listeners waiting. */
  readonly floodSuspected?: boolean;
  readonly override?: ActiveOverride;
  /** Extra tasks the shield asks for during a flash crowd. */
  readonly extraTasks?: number;
  /** The live capacity model: when given, it sizes and bounds the fleet instead of the test's fit. */
  readonly live?: LiveCapacity;
  /** Following the audience down inside the window; absent, the window never scales in. */
  readonly followAudience?: FollowAudience;
  /** Listener datapoints of the last half hour or so, for following the audience down. */
  readonly listenerHistory?: Series;
  /** Tasks running now, draining ones included. */
  readonly runningTasks?: number;
  /**
   * Running tasks past the service's desired count (less launches under way): tasks that protect their listeners,
   * draining. They take no joins but still run and add to the fleet's contention, and ECS counts them towards the
   * desired count, so a scale-out takes them back (at once, at no cost) before it launches any.
   */
  readonly drainingTasks?: number;
  /** Tasks running at each recent tick (t: when, v: running): what ran through a metric period minutes old. */
  readonly runningHistory?: readonly TaskCount[];
  /** The CPU a full task runs at: with the CPU metric, it shows an empty fleet when listeners cannot be read. */
  readonly cpuAtCapacity?: number;
}

/** What the watch decided for one fleet, and why: the audit record's core. */
export interface WatchDecision {
  readonly phase: Phase;
  readonly action: 'scale-out' | 'scale-in' | 'hold';
  /** The floor to apply; equal to `currentTasks` when the action is hold. */
  readonly targetTasks: number;
  /** The most tasks the fleet may run (MaxCapacity, or scale-out suspended); null leaves the ceiling as it is. */
  readonly ceilingTasks: number | null;
  readonly currentTasks: number;
  /** The plan's floor now. */
  readonly planFloor: number;
  /** Listeners observed in the newest usable datapoint. */
  readonly listeners: number | null;
  /**
   * Forecast listeners when tasks launched now would be running: the newest datapoint (metric delay plus one
   * period old) extrapolated to now + start-up + one tick.
   */
  readonly forecastListeners: number | null;
  /** Listeners estimated to be failing to get in (capacity errors x retry interval). */
  readonly unmetListeners: number;
  /** Tasks the forecast demand needs with headroom (at least what the newest CPU reading says); null without usable data. */
  readonly neededTasks: number | null;
  /** The most tasks allowed now, and what set it. */
  readonly limitTasks: number;
  readonly limitedBy:
    'maxTasks' | 'serviceLimit' | 'vcpuQuota' | 'uslPeak' | 'liveModel' | 'retrograde' | 'probe';
  /** True when the demand needs more than the limit allows: report it, do not crash. */
  readonly limitBreached: boolean;
  /** Problems with the data; when listeners are affected the decision holds. */
  readonly anomalies: string[];
  readonly reason: string;
  /** The floor is lowered because the audience shrank (tasks must drain first). */
  readonly followingAudience?: boolean;
  /**
   * A step down from past the fleet's scaling peak: running tasks above this many stop at once (their listeners rejoin
   * the tasks left), since draining ones would keep the contention that holds the fleet back; those below drain.
   */
  readonly releaseTo?: number;
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

/** What every phase's decision starts from: the demand the data shows and the limits on the fleet. */
type Base = Omit<WatchDecision, 'action' | 'targetTasks' | 'ceilingTasks' | 'limitBreached' | 'reason'> & {
  readonly dataOk: boolean;
  readonly sizing: UslParams;
  /**
   * What set `neededTasks`: the curve's inverse of the forecast, the CPU readings beside listeners (`cpu`), or, with
   * listeners unreadable, what the fleet's CPU says it carries (`cpuStandIn`) or joins refused for room, the fleet
   * taken as full (`refusals`).
   */
  readonly neededBy: 'curve' | 'cpu' | 'cpuStandIn' | 'refusals';
  /** Tasks a listener needs by fresh CPU readings, if any. */
  readonly cpuPerListener?: number;
  /** The CPU metric stopped after readings that asked for more than the curve: no step down on it. */
  readonly cpuStopped: boolean;
  /** The least ceiling the capacity curve allows (the live peak, a probe, or the best size seen), and max tasks. */
  readonly ceilingLimit: number;
  /** Tasks drain, and the need is sized on the whole running fleet (see {@link joinTakersFor}). */
  readonly drainsBack: boolean;
};

/**
 * Decides one fleet's floor and ceiling for one tick. Pure: the same input gives the same decision.
 *
 * Before the ramp it only follows an early audience up. In the event window (ramp start to end plus tail) it rises
 * at once to what the forecast demand needs, never past the ceiling the live capacity model allows (more tasks
 * past the peak carry fewer listeners), and holds the plan's floor until the audience is in; after that it follows
 * a shrinking audience down in gentle steps. After the window it steps down towards the recorded pre-event floor,
 * not while listeners are above a share of the peak, and returns at once once the audience has gone. Missing or odd
 * data holds; it never causes a scale-in (an emptied fleet is judged on fresh data only).
 */
export function decideWatch(input: WatchInput): WatchDecision {
  const base = assess(input);
  if (base.phase === 'scheduled') return decideBeforeRamp(input, base);
  if (input.nowMs < input.timeline.holdUntilMs)
    return pastPeakStops(decideInWindow(input, base), base, input.runningTasks);
  return pastPeakStops(decideAfterWindow(input, base), base, input.runningTasks);
}

/**
 * A step down from past where the curve peaks, with joins refused for room, stops the tasks down to that peak at
 * once: while they drain they would still add to the contention, and the fleet would take no one more until they
 * emptied. So does a ceiling under the running tasks past the peak (the service's own scaling ran them there, and
 * the lower MaxCapacity takes them away). A fleet with room drains them: no one waits on the contention they add.
 */
function pastPeakStops(d: WatchDecision, base: Base, running?: number): WatchDecision {
  if (d.releaseTo !== undefined || !(base.unmetListeners > 0)) return d;
  const peak = uslPeak(base.sizing).tasks;
  if (peak === null) return d;
  if (d.action === 'scale-in' && d.currentTasks > peak)
    return { ...d, releaseTo: Math.max(d.targetTasks, Math.ceil(peak)) };
  if (d.ceilingTasks !== null && running !== undefined && running > Math.max(d.ceilingTasks, peak))
    return { ...d, releaseTo: Math.max(d.ceilingTasks, Math.ceil(peak)) };
  return d;
}

function assess(input: WatchInput): Base {
  const { nowMs, timeline, fleet, controller } = input;
  const current = input.currentTasks;
  const phase = phaseAt(timeline, nowMs, current, input.recordedTasks);
  const planFloor = stepFloor(timeline.steps, nowMs, input.recordedTasks);
  const sizing = input.live?.params ?? input.model;

  const periodMs = fleet.periodSeconds * 1000;
  const maxAgeMs = freshAgeOf(input);
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
  let neededBy: Base['neededBy'] = 'curve';
  let cpuStopped = false;
  let cpuPerListener: number | undefined;
  // Demand the fleet cannot carry even without headroom: only then is a size past the modelled peak worth trying.
  let beyondPeak = false;
  let wantedListeners = 0;
  // The listeners the curve sizes the fleet for (forecast and waiting, with headroom).
  let sizedDemand = 0;
  const peak = uslPeak(sizing);
  if (dataOk && listeners !== null) {
    forecastListeners = forecastAt(
      listenersSeries.points,
      nowMs,
      horizonOf(input),
      controller.forecastWindowMinutes,
    );
    // Clients refused for lack of room retry; each refusal per retry interval is a listener waiting to get in.
    const errors = errorsSeries.problem || input.floodSuspected ? 0 : (latest(errorsSeries.points) ?? 0);
    // Listeners waiting are counted up to the audience already in or expected, whichever is larger: more refused
    // joins than that are a flood (before the shield can judge it) or a retry storm, which tasks do not cure.
    unmetListeners = Math.min(
      (errors / fleet.periodSeconds) * controller.retryIntervalSeconds,
      Math.max(listeners, timeline.expectedListeners ?? 0),
    );
    let demand = (forecastListeners + unmetListeners) * (1 + input.headroom);
    // Past the largest size saturation has measured, the corrected curve extrapolates a test already shown to
    // overstate the fleet: keep that much more headroom there, or each larger size saturates in turn.
    const over = input.live?.overstated;
    const firstGuess = tasksFor(sizing, demand);
    if (over && (!firstGuess.reachable || (firstGuess.tasks ?? 0) > over.tasks))
      demand = (forecastListeners + unmetListeners) * (1 + input.headroom + over.share);
    const inverse = tasksFor(sizing, demand);
    sizedDemand = demand;
    neededTasks = inverse.reachable ? (inverse.tasks ?? 0) : (peak.tasks ?? fleet.maxTasks);
    // CPU says how full the tasks are, whatever the curve says: tasks that would carry less than the demand at the
    // CPU they fill at need at least as many more as the demand is over it (per task; the curve's inverse covers
    // what growth costs past that). It only adds: a curve that says more is kept.
    const wanted = (forecastListeners + unmetListeners) * (1 + input.headroom);
    const byCpu = cpuTasks(input.live?.cpuReadings, nowMs, maxAgeMs + periodMs);
    // Readings also stop when the tasks idle below a readable CPU, while the metric still comes; when the metric
    // itself stopped, what the last readings said of the tasks a listener needs still holds for a while (the fleet
    // did not change because its metric did): it keeps sizing the fleet up, and what it asked for is kept.
    const stale = byCpu.stalePerListener !== undefined;
    const stopped = stale && cleanSeries(input.metrics.cpu, nowMs, maxAgeMs).problem !== undefined;
    // A flood makes CPU periods unreadable (its joins burn CPU no audience fills) while the metric still comes; the
    // fleet did not change because a flood came, so its last readings keep sizing it up the same way.
    const kept =
      (stopped || (stale && input.floodSuspected === true)) &&
      nowMs - (byCpu.newestMs ?? -Infinity) <= CPU_KEEP_MS;
    const perListener = byCpu.perListener ?? (kept ? byCpu.stalePerListener : undefined);
    // Past the size whose CPU implied the most room, more tasks implied less: CPU rises with the contention each task
    // adds, and a straight line from it asks for more tasks the more there are. It sizes no further than that size.
    const cpuCap = input.live?.cpuPeak?.tasks ?? Infinity;
    const byCpuTasks =
      perListener === undefined ? undefined : Math.min(Math.ceil(perListener * wanted), cpuCap);
    if (byCpuTasks !== undefined && byCpuTasks > neededTasks) {
      neededTasks = byCpuTasks;
      neededBy = 'cpu';
    }
    cpuPerListener = perListener;
    // CPU readings that asked for more than the curve, from a CPU metric that then stopped, are missing data, not a
    // smaller need.
    if (stopped && Math.min(Math.ceil(byCpu.stalePerListener! * wanted), cpuCap) >= neededTasks) {
      cpuStopped = true;
      anomalies.push(CPU_STOPPED);
    }
    beyondPeak = !tasksFor(sizing, forecastListeners + unmetListeners).reachable;
    wantedListeners = wanted;
  } else if (!input.floodSuspected && Number.isFinite(input.runningTasks)) {
    // Without listeners the fleet is not blind, and what stands in for them only ever adds tasks. The fleet's CPU
    // says what share of its room the tasks fill, and its rise says where the audience is going: sized like
    // listeners, from the tasks that ran through each period, not those running now (the newest datapoint is minutes
    // old, and the tasks launched since would read its CPU as more listeners again).
    const byCpu = listenersByCpu(input, sizing, maxAgeMs);
    if (byCpu !== undefined) {
      wantedListeners = byCpu * (1 + input.headroom);
      const inverse = tasksFor(sizing, wantedListeners);
      neededTasks = inverse.reachable ? (inverse.tasks ?? 0) : (peak.tasks ?? fleet.maxTasks);
      forecastListeners = byCpu;
      neededBy = 'cpuStandIn';
    }
  }
  if (!dataOk && !errorsSeries.problem && !input.floodSuspected && Number.isFinite(input.runningTasks)) {
    // Joins refused for lack of room, at the share that marks a fleet saturated, say it is full, and a full fleet
    // carries what its curve says at the tasks running. The listeners waiting come on top.
    const errors = latest(errorsSeries.points) ?? 0;
    const requests = cleanSeries(input.metrics.joinRequests, nowMs, maxAgeMs);
    const asked = requests.problem ? 0 : (latest(requests.points) ?? 0);
    if (errors > 0 && asked > 0 && errors >= SATURATION_ERROR_SHARE * asked) {
      const carried = uslCapacity(sizing, input.runningTasks!);
      const waiting = Math.min(
        (errors / fleet.periodSeconds) * controller.retryIntervalSeconds,
        Math.max(carried, timeline.expectedListeners ?? 0),
      );
      const inverse = tasksFor(sizing, (carried + waiting) * (1 + input.headroom));
      const byRefusals = inverse.reachable ? (inverse.tasks ?? 0) : (peak.tasks ?? fleet.maxTasks);
      if (byRefusals > (neededTasks ?? 0)) {
        neededTasks = byRefusals;
        unmetListeners = waiting;
        wantedListeners = (carried + waiting) * (1 + input.headroom);
        neededBy = 'refusals';
      }
    }
  }

  const vcpuLimit = Math.floor(input.vcpuAvailable / fleet.vcpuPerTask);
  const live = input.live;
  const limits: [number, WatchDecision['limitedBy']][] = [
    [fleet.maxTasks, 'maxTasks'],
    [ECS_MAX_TASKS_PER_SERVICE, 'serviceLimit'],
    [vcpuLimit, 'vcpuQuota'],
    // Past the capacity curve's peak, more tasks carry fewer listeners: the answer is more fleets, not more tasks.
    live
      ? [
          liveCeiling(input, live, planFloor),
          live.ceilingReason === 'retrograde' ? 'retrograde' : 'liveModel',
        ]
      : [peak.tasks ?? Infinity, 'uslPeak'],
  ];
  // With no peak modelled anywhere, a size far past anything measured (the test's largest, the largest the fleet has
  // carried listeners at, the plan) is a leap into the unknown: the fleet grows there in steps it has seen carry. So
  // is a need past maxTasks on a curve that peaks past it too: a refit that reads a shortfall as contention with no
  // turn puts its peak millions of tasks away, and a demand past its asymptote would send the fleet to maxTasks, past
  // a peak the fleet may well have. (A need it meets within maxTasks is sized by it: bounding every ceiling past the
  // twice-measured size too lost more served than it saved in the random replays.)
  let reach: number | undefined;
  if (
    live &&
    (live.ceilingTasks === null ||
      (live.ceilingTasks > fleet.maxTasks && (neededTasks ?? 0) > fleet.maxTasks)) &&
    input.testedTasks !== undefined &&
    uslPeak(input.model).tasks === null
  ) {
    const measured = Math.max(input.testedTasks, live.largestSeen?.tasks ?? 0);
    reach = Math.max(planFloor, Math.round(NO_PEAK_REACH * measured));
    limits.push([reach, 'liveModel']);
  }
  // While a smaller size is being tried, nothing (the need, the service's own scaling) adds back what it took away.
  if (live?.probeDownTasks !== undefined && input.followAudience)
    limits.push([live.probeDownTasks, 'liveModel']);
  let [limitTasks, limitedBy] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));
  // The fleet has reached the modelled peak and nothing showed it turning down: try a step past it.
  // (A plan held past a peak its test could not place is already past where a probe from the peak would go.)
  if (live?.probeTasks && live.probeTasks > limitTasks && limitedBy === 'liveModel' && beyondPeak) {
    const others = Math.min(...limits.slice(0, 3).map((l) => l[0]));
    if (live.probeTasks <= others) {
      [limitTasks, limitedBy] = [live.probeTasks, 'probe'];
      // The model cannot size past its peak; the probe is the size to try.
      neededTasks = live.probeTasks;
    } else [limitTasks, limitedBy] = limits.slice(0, 3).reduce((a, b) => (b[0] < a[0] ? b : a));
  }
  // Where the fleet has carried clearly more than its test said, the curve past the largest size seen is the test's
  // shape, already shown wrong there: a straight line from what that size carried per task sizes the fleet instead.
  // More tasks never carry more each, so it asks the least the demand can need, within the ceiling's step; past the
  // curve's peak it is the only size there is, and short of it, with no one refused, it caps the curve's ask.
  const seen = live?.largestSeen;
  if (
    seen &&
    neededTasks !== null &&
    seen.listeners > PESSIMISTIC_TEST * uslCapacity(input.model, seen.tasks)
  ) {
    const linear = Math.ceil(Math.max(seen.tasks, (wantedListeners * seen.tasks) / seen.listeners));
    // What CPU readings ask for still stands: they only ever add.
    if (beyondPeak) neededTasks = neededBy === 'cpu' ? Math.max(linear, neededTasks) : linear;
    else if (neededTasks > seen.tasks && unmetListeners === 0) neededTasks = Math.min(neededTasks, linear);
    if (neededBy === 'cpu' && neededTasks === linear) neededBy = 'curve';
  }
  // Tasks draining still run and still add to the contention: until they stop, each task taking joins carries what a
  // task of the whole running fleet does, not what a task of a fleet its own size would. Taking them back costs
  // nothing (they run anyway, and take joins again at once with the listeners they kept), so while tasks drain and the
  // audience needs room (it grows, or joins are refused for room) the need is sized on the running fleet. A steady or
  // shrinking audience needs no room for joins: its listeners stay where they are, drains keeping theirs.
  const needsRoom =
    unmetListeners > 0 ||
    (forecastListeners !== null && listeners !== null && forecastListeners > listeners * (1 + STILL_GROWING));
  let drainsBack = false;
  if (
    neededTasks !== null &&
    sizedDemand > 0 &&
    limitedBy !== 'probe' &&
    needsRoom &&
    // Only tasks that protect their listeners drain (as following the audience needs): tasks a deployment runs past
    // the desired count are no drains to take back.
    input.followAudience !== undefined &&
    drainingOf(input) > 0
  ) {
    const running = input.runningTasks!;
    const takers = joinTakersFor(sizing, sizedDemand, running);
    if (takers !== undefined && takers > neededTasks) {
      neededTasks = takers;
      drainsBack = true;
    }
  }
  const curveLimit =
    limitedBy === 'vcpuQuota'
      ? Math.min(fleet.maxTasks, ECS_MAX_TASKS_PER_SERVICE, limits[3]![0])
      : limitTasks;
  // With no peak modelled, the service's own scaling still stops a step past what has carried more (SurgeGuard's own
  // target is not bound by it: the ceiling is never under the target), or as far as SurgeGuard's own target may go
  // where that is further: the service's CPU alarms see a surge SurgeGuard's late metrics do not show yet.
  const serviceLimit =
    live?.serviceCeilingTasks !== undefined
      ? Math.min(curveLimit, Math.max(live.serviceCeilingTasks, reach ?? 0))
      : curveLimit;
  return {
    ceilingLimit: limitedBy === 'probe' ? limitTasks : serviceLimit,
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
    dataOk,
    sizing,
    neededBy,
    cpuStopped,
    cpuPerListener,
    drainsBack,
  };
}

/** Tasks draining now (running past the desired count), when the running count is known; 0 otherwise. */
function drainingOf(input: WatchInput): number {
  const { drainingTasks: draining, runningTasks: running } = input;
  if (running === undefined || !Number.isFinite(running) || !(running > 0)) return 0;
  return draining !== undefined && Number.isFinite(draining) && draining > 0 ? draining : 0;
}

/**
 * The fewest tasks taking joins that carry `listeners` while `running` tasks run, draining ones among them: each
 * carries a task's share of what the whole running fleet carries. Undefined when the running fleet cannot carry them.
 * Conservative on purpose: the listeners still on draining tasks are counted as if the tasks taking joins carried them
 * (the listener metric does not split them), so it takes back more drains than a perfect count would, never fewer.
 */
function joinTakersFor(p: UslParams, listeners: number, running: number): number | undefined {
  const full = uslCapacity(p, running);
  if (!(running > 0) || !(full >= listeners)) return undefined;
  return Math.min(running, Math.max(1, Math.ceil((listeners * running) / full - 1e-9)));
}

/**
 * Tasks a listener needs by the two newest CPU readings (the lesser of the two, so one odd reading never buys
 * tasks), when both are fresh; when they are not, what they said (to hold on, not to act on).
 */
function cpuTasks(
  readings: readonly CpuReading[] | undefined,
  nowMs: number,
  maxAgeMs: number,
): { perListener?: number; stalePerListener?: number; newestMs?: number } {
  if (!readings || readings.length < 2 || readings.some((r) => !(r.implied > 0) || !(r.tasks > 0))) return {};
  const perListener = Math.min(...readings.map((r) => r.tasks / r.implied));
  const newestMs = Math.max(...readings.map((r) => r.atMs));
  return readings.every((r) => nowMs - r.atMs <= maxAgeMs)
    ? { perListener, newestMs }
    : { stalePerListener: perListener, newestMs };
}

/**
 * Listeners the fleet's CPU says it will carry when tasks launched now are running, with the listener metric
 * unreadable: each fresh CPU datapoint read as that share of what the tasks then running carry at the CPU they reach
 * at capacity (the curve, scaled by earlier CPU readings), and extrapolated like listeners. Undefined without the CPU
 * at capacity, with CPU the live model has found misleading, or with no fresh CPU datapoint whose period the task
 * counts cover outside a drain.
 */
function listenersByCpu(input: WatchInput, sizing: UslParams, maxAgeMs: number): number | undefined {
  const cap = input.cpuAtCapacity;
  if (!cap || !(cap > 0) || input.live?.cpuEvidence === 'contradicted') return undefined;
  const cpu = cleanSeries(input.metrics.cpu, input.nowMs, maxAgeMs);
  if (cpu.problem) return undefined;
  const periodMs = input.fleet.periodSeconds * 1000;
  const attempts = joinAttempts(input.metrics);
  // CPU read beside listeners earlier says how far the curve's room sits from what CPU implies on this fleet (the
  // lesser of the two readings, so one odd reading never buys tasks); without such readings, the curve is taken.
  const readings = input.live?.cpuReadings ?? [];
  const calibrated = readings.length
    ? Math.min(...readings.map((r) => r.implied / Math.max(uslCapacity(sizing, r.tasks), 1)))
    : 1;
  const read = cpu.points.flatMap((p) => {
    const tasks = drainedThrough(input.runningHistory, p.t, periodMs, input.drainFromMs, input.drainUntilMs)
      ? undefined
      : tasksThrough(input.runningHistory, p.t, periodMs);
    // Never more than the curve says the tasks carry: CPU past what the test ran at is a full fleet, not more room.
    const full = tasks ? uslCapacity(sizing, tasks) : 0;
    const listeners = Math.min(full, (full * calibrated * p.v) / cap);
    // CPU a flood burns on joins is no audience: a period with more attempts than these listeners make is not read.
    const tried = attempts.get(p.t);
    if (!tasks || tried === undefined || floodLike(tried, listeners, input.fleet.periodSeconds)) return [];
    return [{ t: p.t, v: listeners, tasks }];
  });
  const newest = read[read.length - 1];
  if (!newest || newest.t !== cpu.points[cpu.points.length - 1]!.t) return undefined;
  // The trend comes from the periods at the newest task count only: across a change of size, the curve's shape and
  // the joins of listeners moving between tasks move CPU as much as the audience does.
  let from = read.length - 1;
  while (from > 0 && read[from - 1]!.tasks === newest.tasks) from--;
  return forecastAt(read.slice(from), input.nowMs, horizonOf(input), input.controller.forecastWindowMinutes);
}

/** The fewest tasks running through a metric period, when the tick counts cover it from start to end. */
function tasksThrough(
  history: readonly TaskCount[] | undefined,
  fromMs: number,
  periodMs: number,
): number | undefined {
  const counts = (history ?? []).filter((c) => Number.isFinite(c.v) && c.v >= 0);
  if (!counts.some((c) => c.t <= fromMs) || !counts.some((c) => c.t >= fromMs + periodMs)) return undefined;
  // The count a period starts with is the newest tick at or before it.
  const before = counts.filter((c) => c.t <= fromMs).reduce((a, b) => (b.t > a.t ? b : a));
  const during = counts.filter((c) => c.t > fromMs && c.t <= fromMs + periodMs).map((c) => c.v);
  return Math.min(before.v, ...during);
}

/** Forecast listeners this far above the newest datapoint mean the audience is still growing: no step down. */
const STILL_GROWING = 0.02;

/** A size that carried this much more than the test's curve says shows the test too pessimistic to extrapolate. */
const PESSIMISTIC_TEST = 1.2;

/** The anomaly, and the hold's reason, when the CPU metric stopped after asking for more than the curve. */
const CPU_STOPPED = 'cpu: newest datapoint is stale while it asked for more tasks than the curve';

/** How long the last CPU readings keep sizing the fleet up after its CPU metric stopped, or a flood made it unreadable. */
const CPU_KEEP_MS = 15 * 60_000;

/** When tasks launched now would be running: now + start-up + one tick (the newest datapoint is older still). */
function horizonOf(input: WatchInput): number {
  return input.nowMs + (input.fleet.startupSeconds + input.controller.tickSeconds) * 1000;
}

/**
 * With no peak modelled, how far past the largest size measured (by the test, or seen carrying listeners) the watch
 * grows a fleet at once: a fleet whose curve turns past its test (a contention the test was too small to show) would
 * otherwise be sent thousands of tasks past its peak by one extrapolated surge.
 */
export const NO_PEAK_REACH = 2;

/**
 * Listeners expected at `horizonMs`: the larger of Holt's smoothed trend over the forecast window and the newest
 * period's own rise, so that a sudden surge counts from the first datapoint that shows it.
 */
function forecastAt(
  points: readonly Datapoint[],
  nowMs: number,
  horizonMs: number,
  windowMinutes: number,
): number {
  const last = points[points.length - 1]!;
  const recent = points.filter((p) => p.t >= nowMs - windowMinutes * 60_000);
  const holt = holtForecast(recent.length ? recent : [last], horizonMs)?.value ?? last.v;
  const before = points[points.length - 2];
  const rise =
    before && last.t > before.t
      ? Math.max(0, ((last.v - before.v) / (last.t - before.t)) * (horizonMs - last.t))
      : 0;
  return Math.max(last.v, holt, last.v + rise);
}

function decision(
  base: Base,
  action: WatchDecision['action'],
  targetTasks: number,
  ceilingTasks: number | null,
  limitBreached: boolean,
  reason: string,
  releaseTo?: number,
): WatchDecision {
  const {
    dataOk: _ok,
    sizing: _s,
    ceilingLimit: _c,
    neededBy: _n,
    cpuStopped: _st,
    cpuPerListener: _p,
    drainsBack: _d,
    ...rest
  } = base;
  return {
    ...rest,
    action,
    targetTasks,
    ceilingTasks,
    limitBreached,
    reason,
    ...(releaseTo !== undefined ? { releaseTo } : {}),
  };
}

function followed(base: Base, target: number, ceiling: number, reason: string): WatchDecision {
  return { ...decision(base, 'scale-in', target, ceiling, false, reason), followingAudience: true };
}

function hold(base: Base, reason: string, ceilingTasks: number | null = null): WatchDecision {
  return decision(base, 'hold', base.currentTasks, ceilingTasks, false, reason);
}

function decideBeforeRamp(input: WatchInput, base: Base): WatchDecision {
  const { neededTasks, limitTasks, currentTasks: current } = base;
  const extra = input.extraTasks ?? 0;
  // Audiences arrive early: before the ramp the watch only follows demand up, never down.
  const early = Math.min(limitTasks, Math.max(neededTasks ?? 0, input.override?.tasks ?? 0) + extra);
  if (early > current) {
    return decision(
      base,
      'scale-out',
      early,
      null,
      (neededTasks ?? 0) + extra > limitTasks,
      `before the ramp, the audience is arriving early: ${needWhy(base, early)}`,
    );
  }
  return hold(base, 'before the ramp start');
}

/**
 * The live model's ceiling, or the plan's floor where the plan went past a peak its test could not place, until the
 * fleet measures its curve (see peakPlaced).
 */
function liveCeiling(input: WatchInput, live: LiveCapacity, planFloor: number): number {
  const ceiling = live.ceilingTasks ?? Infinity;
  return peakPlaced(input) ? ceiling : Math.max(ceiling, planFloor);
}

/**
 * Whether the curve's peak is one to hold the fleet under: the test's steps place it, or the fleet measured its curve
 * (saturation at a size it ran, or more tasks carrying fewer).
 */
function peakPlaced(input: WatchInput): boolean {
  const live = input.live;
  return !input.model.peakNotPlaced || (live?.measuredSizes ?? 0) > 0 || live?.ceilingReason === 'retrograde';
}

function decideInWindow(input: WatchInput, base: Base): WatchDecision {
  const { timeline, override, live } = input;
  const { neededTasks, limitTasks, limitedBy, planFloor, currentTasks: current } = base;
  const extra = input.extraTasks ?? 0;
  // The plan's floor holds until the audience is in; from then on the live fleet, not the forecast, sizes it.
  const planHolds = input.nowMs < (timeline.audienceInMs ?? timeline.holdUntilMs) || !input.followAudience;
  const plan = planHolds ? planFloor : 0;
  const floor = override?.force ? override.tasks : Math.max(plan, override?.tasks ?? 0);
  let wanted = Math.max(floor, (neededTasks ?? 0) + extra);
  // On-call's forced floor may go past the ceiling (audited as theirs); nothing else does.
  const cap = override?.force ? Math.max(limitTasks, override.tasks) : limitTasks;
  const breached = wanted > cap;
  wanted = Math.min(wanted, cap);
  // Only the capacity curve sets the ceiling (a quota limits new tasks; it is no reason to stop running ones). Tasks
  // running past it (the service's own policies before the ramp) are past the peak: the ceiling stops them.
  const ceiling = (target: number) =>
    Math.max(target, base.ceilingLimit, override?.force ? override.tasks : 0);

  // More tasks carried fewer listeners under saturation: go back to the best size seen. Only on that evidence and
  // on usable data; a fitted peak alone never scales the fleet in.
  const best = live?.retrograde;
  if (best && base.dataOk && limitedBy === 'retrograde' && current > limitTasks && !override?.force) {
    return decision(
      base,
      'scale-in',
      limitTasks,
      limitTasks,
      breached,
      `fleet past its scaling peak at ${Math.round(best.worseTasks)} tasks (${round(best.worseListeners)} listeners vs ${round(best.bestListeners)} at ${Math.round(best.bestTasks)}): returning to ${limitTasks}; add a cell`,
      limitTasks,
    );
  }

  // Saturated past where the corrected curve peaks, with no smaller size measured (the plan put the fleet there
  // before anyone came): try a smaller size, below the plan if need be, with the tasks taken away stopped at once. If
  // it carries more, that is the retrograde evidence and the fleet stays there; if not, there is no second try.
  const down = input.followAudience ? live?.probeDownTasks : undefined;
  if (down !== undefined && base.dataOk && current > down && !override?.force && !input.floodSuspected) {
    return decision(
      base,
      'scale-in',
      down,
      down,
      breached,
      `saturated past where the live curve peaks (${live?.peakTasks ?? 'none'} tasks): trying ${down} tasks (stopped at once, their listeners rejoin), to see whether fewer carry more`,
      down,
    );
  }

  if (input.followAudience && !override && audienceGone(input, base)) {
    const target = Math.max(input.recordedTasks, (neededTasks ?? 0) + extra);
    if (target < current)
      return followed(base, target, Math.max(target, base.ceilingLimit), goneWhy(input, base, target));
  }
  const follow = followDown(input, base, floor);
  if (follow) return follow;

  // Inside the window nothing else scales in, except a forced override that on-call asked for.
  const target = override?.force ? Math.max(wanted, Math.min(current, floor)) : Math.max(wanted, current);
  const why: string[] = [];
  if (!base.dataOk) why.push(`holding: ${base.anomalies[0]}`);
  if (target > current) {
    if (neededTasks !== null && neededTasks + extra >= floor && neededTasks + extra > current) {
      why.push(needWhy(base, neededTasks + extra));
    } else if (override && floor === override.tasks && floor > planFloor)
      why.push(`manual floor ${override.tasks}`);
    else why.push(`plan step ${planFloor}`);
  }
  if (limitedBy === 'probe' && target > current)
    why.push(
      `probing past the modelled peak to ${limitTasks}: the fleet carries more than the scaling test said`,
    );
  else if (breached) why.push(`limited to ${limitTasks} by ${limitedBy}`);
  const action = target > current ? 'scale-out' : target < current ? 'scale-in' : 'hold';
  return decision(
    base,
    action,
    target,
    ceiling(target),
    breached,
    why.length ? why.join('; ') : `holding ${current}: covers the plan (${planFloor}) and the forecast`,
  );
}

/**
 * Lowers the floor when the audience has stayed well below what it carries: to what the recent maximum (or the
 * forecast, if higher) needs with headroom, by at most a share of the floor per step.
 */
function followDown(input: WatchInput, base: Base, floor: number): WatchDecision | undefined {
  const f = input.followAudience;
  const { timeline, nowMs } = input;
  const current = base.currentTasks;
  if (!f || !base.dataOk || base.neededTasks === null || input.override?.force) return undefined;
  if (nowMs < (timeline.audienceInMs ?? Infinity)) return undefined;
  if (input.lastScaleInMs !== undefined && nowMs - input.lastScaleInMs < f.intervalMinutes * 60_000)
    return undefined;
  // The history must cover the whole quiet period without a gap: missing data is no evidence the audience left.
  // Nor is a quiet period whose refused joins cannot be read.
  if (base.anomalies.length) return undefined;
  const quietFrom = nowMs - f.quietMinutes * 60_000;
  const history = cleanSeries(input.listenerHistory, nowMs, Infinity).points;
  const recent = covering(history, quietFrom, input.fleet.periodSeconds * 1000);
  if (!recent) return undefined;
  const audience = Math.max(...recent.map((p) => p.v));
  let recentMax = Math.max(audience, base.forecastListeners ?? 0);
  // An audience still growing is not shrinking, whatever a forecast that overshot put the floor at: the floor follows
  // it down only to what it would need at the scheduled end at its present rate, and only while twice that is still
  // under the floor (a steeper climb would bring the tasks straight back).
  if ((base.forecastListeners ?? 0) > (base.listeners ?? 0) * (1 + STILL_GROWING)) {
    const atEnd = listenersAtEnd(input, base);
    const endNeed = tasksFor(base.sizing, (atEnd + base.unmetListeners) * (1 + input.headroom));
    if (!endNeed.reachable || endNeed.tasks === null || endNeed.tasks * GROWTH_MARGIN > current)
      return undefined;
    recentMax = Math.max(recentMax, atEnd);
  }
  // An audience that has not come may still be on its way: until it has, hold the plan through half the event, and
  // through the first hour however short the event (the 2024 Space started 40 minutes late), never past its end;
  // but only up to where the live curve peaks.
  const expected = timeline.expectedListeners ?? 0;
  const placed = peakPlaced(input);
  const livePeak = input.live?.peakTasks;
  let heldAt = 0;
  if (input.peakListeners < ARRIVED_SHARE * expected && nowMs < noShowHoldUntil(input, base)) {
    // Tasks past where the live curve peaks carry fewer listeners, not more: holding them keeps no room for anyone.
    if (livePeak === null || livePeak === undefined || current <= livePeak || !placed) return undefined;
    heldAt = livePeak;
  }
  const seen = recentMax;
  const room = roomToGrow(input, audience);
  recentMax = Math.max(recentMax, audience + room);
  // Past what any size carries with headroom, the modelled peak is still the size that carries the most (if placed).
  const sized = tasksToHold(
    base.sizing,
    (recentMax + base.unmetListeners) * (1 + input.headroom),
    placed ? undefined : input.testedTasks,
  );
  if (sized === null) return undefined;
  // What CPU says the same listeners need, so the next tick does not scale straight back out.
  const byCpu =
    base.cpuPerListener === undefined
      ? 0
      : Math.ceil(base.cpuPerListener * (recentMax + base.unmetListeners) * (1 + input.headroom));
  // Nor below what the same tick's demand asks for (the curve's headroom past the largest size saturation measured,
  // a straight line from what the largest size carried, CPU): a step under it is a step the next tick takes back.
  const asked = Math.min(base.neededTasks + (input.extraTasks ?? 0), base.limitTasks);
  const need = Math.max(sized + (input.extraTasks ?? 0), byCpu, asked, floor, input.recordedTasks, heldAt, 1);
  const step = Math.max(1, Math.floor(current * f.maxStepShare));
  // A fleet refusing joins for lack of room carries what it can, not what came: only tasks past where the live curve
  // peaks may go (they carry fewer), none below it.
  const refusedTo = base.unmetListeners > 0 ? livePeak : 0;
  if (typeof refusedTo !== 'number') return undefined;
  const target = Math.max(need, current - step, refusedTo);
  if (target >= current) return undefined;
  return followed(
    base,
    target,
    Math.max(target, base.ceilingLimit),
    `following the audience down: at most ${round(seen)} listeners for ${f.quietMinutes} min${room > 0 ? ` and room for ${round(room)} more of the forecast` : ''} need ${need} tasks; floor ${current} to ${target}`,
  );
}

/**
 * An audience under this share of its forecast has not all come: the rest may still arrive at once (a second wave
 * when the headliner joins). Any share short of all of it: from three quarters, a second wave of 2.3 times the first
 * (a forecast too low that came in steps) met a fleet trimmed to the first and served 60%; held, 86%.
 */
const ARRIVED_SHARE = 1;

/**
 * The fastest an audience is taken to grow: it doubles within this many minutes (issue #12's surge), faster than the
 * watch can follow, so a floor that follows an audience down keeps room for that growth.
 */
const DOUBLING_MINUTES = 5;

/**
 * Listeners of room a floor that follows `audience` down keeps while part of the forecast has not come and the event
 * is on: the rest may still come at once (a headliner joins late), and the watch sees growth and has tasks running
 * only a reaction later (period, delay, tick, start-up: about four minutes at one-minute datapoints 90 s late). So the
 * room is what a doubling within {@link DOUBLING_MINUTES} adds over that reaction, never more than what has not come.
 * Without it, `late-doubling-under-forecast` (two fifths of the forecast for two hours, then a doubling) served 96.2%;
 * with it, 99.99%. An audience that came and left keeps no room: it was here.
 */
function roomToGrow(input: WatchInput, audience: number): number {
  const notCome = Math.max(0, (input.timeline.expectedListeners ?? 0) - input.peakListeners);
  if (notCome <= 0 || input.nowMs >= (input.timeline.endMs ?? Infinity)) return 0;
  const growth = reactionMs(input) / (DOUBLING_MINUTES * 60_000);
  return Math.min(audience * growth, notCome);
}

/** How long after listeners change the watch has tasks running for them: a period, the delay, a tick, start-up. */
function reactionMs(input: WatchInput): number {
  const { fleet, controller } = input;
  return (fleet.startupSeconds + controller.tickSeconds + fleet.delaySeconds + fleet.periodSeconds) * 1000;
}

/** A growing audience's floor steps down only while this many times what it would need at the end is under it. */
const GROWTH_MARGIN = 2;

/**
 * Listeners at the scheduled end if the audience keeps growing at the rate its forecast shows: the forecast rises
 * over the start-up, the tick, the metric delay and a period past the newest datapoint.
 */
function listenersAtEnd(input: WatchInput, base: Base): number {
  const forecast = base.forecastListeners ?? 0;
  const { timeline } = input;
  const perMs = (forecast - (base.listeners ?? 0)) / reactionMs(input);
  return forecast + perMs * Math.max(0, (timeline.endMs ?? input.nowMs) - horizonOf(input));
}

/** Minutes past the scheduled start an audience that has not all come may still be starting late. */
const LATE_START_MINUTES = 60;

/**
 * Until when the plan holds for an audience that has not all come (see followDown): half the event or its first
 * hour, never past its end; for one that never came at all, on to {@link lateStartUntil}.
 */
function noShowHoldUntil(input: WatchInput, base: Base): number {
  const { startMs, endMs, holdUntilMs } = input.timeline;
  if (startMs === undefined || endMs === undefined) return holdUntilMs;
  const part = Math.min(endMs, Math.max((startMs + endMs) / 2, startMs + LATE_START_MINUTES * 60_000));
  return awaitingLateStart(input, base) ? Math.max(part, lateStartUntil(startMs)) : part;
}

/**
 * Minutes past the scheduled start an event nobody has come to may still begin. Its end is no sign it is over: a
 * one-hour event that starts as late as the 2024 Space did (40 minutes) and later still draws its crowd after the
 * scheduled end, all at once, onto a fleet that went back to its pre-event floor ten minutes before (served 35-90%
 * where the oracle served all). Past this, on-call shifts the event (the runbook's `shift`) or it is taken as
 * cancelled.
 */
export const NO_SHOW_MINUTES = 120;

/** The end of the wait for an event nobody has come to (see {@link NO_SHOW_MINUTES}). */
export function lateStartUntil(startMs: number): number {
  return startMs + NO_SHOW_MINUTES * 60_000;
}

/**
 * Nobody has come yet and the event may still start late: within {@link NO_SHOW_MINUTES} of the scheduled start,
 * listeners have never been more than the pre-event floor carries with headroom, while the forecast is more.
 */
function awaitingLateStart(input: WatchInput, base: Base): boolean {
  const { startMs, expectedListeners } = input.timeline;
  if (startMs === undefined || input.nowMs >= lateStartUntil(startMs)) return false;
  const carried = uslCapacity(base.sizing, input.recordedTasks) / (1 + input.headroom);
  return (expectedListeners ?? 0) > carried && input.peakListeners <= carried;
}

function decideAfterWindow(input: WatchInput, base: Base): WatchDecision {
  const { nowMs, timeline, controller, override } = input;
  const { neededTasks, limitTasks, currentTasks: current, listeners } = base;
  const extra = input.extraTasks ?? 0;
  // After the window: return gradually, and only once listeners allow.
  if (base.phase === 'done') return hold(base, 'at the pre-event floor');
  const wantedUp = Math.min(limitTasks, Math.max(neededTasks ?? 0, override?.tasks ?? 0) + extra);
  if (wantedUp > current)
    return decision(base, 'scale-out', wantedUp, null, false, `after the event, ${needWhy(base, wantedUp)}`);
  if (awaitingLateStart(input, base) && input.timeline.startMs !== undefined) {
    const until = new Date(lateStartUntil(input.timeline.startMs)).toISOString();
    return hold(
      base,
      `nobody has come yet (at most ${round(input.peakListeners)} listeners, what the pre-event floor carries): the event may be starting late, holding until ${until}; shift the event, or restore`,
    );
  }
  if (audienceGone(input, base)) {
    const target = Math.max(input.recordedTasks, wantedUp);
    if (target < current)
      return decision(base, 'scale-in', target, null, false, goneWhy(input, base, target));
  }
  if (!base.dataOk) return hold(base, `holding: ${base.anomalies[0]}`);
  // Below one listener is none: averaged series carry float dust, and a peak never seen is no audience to wait for.
  const stillBusy =
    listeners !== null && listeners >= 1 && listeners > controller.holdShareOfPeak * input.peakListeners;
  if (stillBusy) {
    return hold(
      base,
      `${round(listeners)} listeners, above ${Math.round(controller.holdShareOfPeak * 100)}% of the peak ${round(input.peakListeners)}: the event is running late`,
    );
  }
  if (base.cpuStopped) return hold(base, `holding: ${CPU_STOPPED}`);
  const intervalMs = input.stepDown.intervalMinutes * 60_000;
  if (input.lastScaleInMs !== undefined && nowMs - input.lastScaleInMs < intervalMs)
    return hold(base, 'waiting for the next step-down');
  const top = Math.max(timeline.eventTasks, input.peakTasks ?? 0, current);
  const step = Math.max(1, Math.ceil((top - input.recordedTasks) / input.stepDown.steps));
  const target = Math.max(input.recordedTasks, wantedUp, current - step);
  if (target >= current) return hold(base, 'demand still needs the current floor');
  return decision(
    base,
    'scale-in',
    target,
    null,
    false,
    `stepping down to ${target} (recorded pre-event floor ${input.recordedTasks})`,
  );
}

/** Why the demand needs `tasks`: the forecast listeners, or with listeners unreadable the CPU or refused joins. */
function needWhy(base: Base, tasks: number): string {
  if (base.neededBy === 'cpuStandIn')
    return `listeners unreadable, the fleet's CPU shows about ${round(base.forecastListeners)} listeners by the time tasks start: needs ${tasks} tasks`;
  if (base.neededBy === 'refusals')
    return `listeners unreadable, joins refused for room: the full fleet (+${round(base.unmetListeners)} waiting) needs ${tasks} tasks`;
  const why = base.drainsBack
    ? ' (taking joins while tasks drain, each carries what a task of the whole running fleet does: drains come back first)'
    : base.neededBy === 'cpu'
      ? ' (by CPU: the running tasks would fill below it)'
      : '';
  return `forecast ${round(base.forecastListeners)} listeners (+${round(base.unmetListeners)} waiting) needs ${tasks} tasks${why}`;
}

/**
 * The audience has gone: past the scheduled end, a whole step-down interval of listener datapoints, every one
 * within what the pre-event floor carries with headroom, with no join refused for room and nothing odd in the
 * data. Returning at once then drops no one; stepping down gently would only keep an empty fleet.
 */
function audienceGone(input: WatchInput, base: Base): boolean {
  const { nowMs, timeline, stepDown } = input;
  // The interval must lie after the scheduled end, so a quiet last stretch of the event itself never counts.
  const from = nowMs - stepDown.intervalMinutes * 60_000;
  if (timeline.endMs === undefined || !Number.isFinite(timeline.endMs) || from < timeline.endMs) return false;
  // An audience that never came has not gone: it may be on its way.
  if (awaitingLateStart(input, base)) return false;
  if (base.cpuStopped || base.unmetListeners > 0 || input.floodSuspected) return false;
  // No join refused for room at any datapoint of the interval.
  if (!coveredWithin(input, input.metrics.joinErrorsCapacity, 0)) return false;
  // Tasks that protect their listeners drain before they stop; others drop whoever is left, so for them the fleet
  // must be empty, not merely within what the recorded floor carries.
  const carried = input.followAudience
    ? uslCapacity(base.sizing, input.recordedTasks) / (1 + input.headroom)
    : NONE;
  if (base.dataOk && base.anomalies.length === 0)
    return coveredWithin(input, input.listenerHistory ?? input.metrics.listeners, carried);
  // Listeners unreadable and nothing else odd: the fleet's CPU shows it empty as well, at the CPU its running tasks
  // would show carrying what the pre-event floor carries, unless the live model has found CPU misleading. An
  // overstated CPU at capacity errs by its own share only, within what the recorded floor carries, and the tasks
  // drain before they stop.
  const onlyListeners = base.anomalies.length === 1 && base.anomalies[0]!.startsWith('listeners:');
  const running = input.runningTasks;
  if (!onlyListeners || !input.followAudience || input.live?.cpuEvidence === 'contradicted') return false;
  if (!input.cpuAtCapacity || !running || !Number.isFinite(running)) return false;
  const full = uslCapacity(base.sizing, running);
  return full > 0 && coveredWithin(input, input.metrics.cpu, (input.cpuAtCapacity * carried) / full);
}

/** Below one listener is none (averaged series carry float dust). */
const NONE = 0.999;

/**
 * A whole step-down interval of fresh datapoints, at least two and without a gap, each at most `most`: missing,
 * stale or odd data proves nothing.
 */
function coveredWithin(input: WatchInput, series: Series | undefined, most: number): boolean {
  const from = input.nowMs - input.stepDown.intervalMinutes * 60_000;
  const clean = cleanSeries(series, input.nowMs, freshAgeOf(input));
  if (clean.problem) return false;
  const points = covering(clean.points, from, input.fleet.periodSeconds * 1000);
  if (!points || points.length < 2 || points[0]!.t > from) return false;
  return points.every((p) => p.v <= most);
}

/**
 * The datapoints from one period before `from` on, when they and the datapoint before them cover `from` to the
 * newest without a gap of more than two periods; undefined otherwise.
 */
function covering(points: readonly Datapoint[], from: number, periodMs: number): Datapoint[] | undefined {
  const recent = points.filter((p) => p.t >= from - periodMs);
  const before = points.filter((p) => p.t < from - periodMs).at(-1);
  const span = before ? [before, ...recent] : recent;
  if (!recent.length || span[0]!.t > from) return undefined;
  if (span.some((p, i) => i > 0 && p.t - span[i - 1]!.t > 2 * periodMs)) return undefined;
  return recent;
}

/** How old the newest datapoint may be and still be read: one period, the metric delay, two ticks and a period. */
function freshAgeOf(input: WatchInput): number {
  return freshAgeMs(input.fleet, input.controller.tickSeconds);
}

function goneWhy(input: WatchInput, base: Base, target: number): string {
  const by = base.dataOk ? 'listeners' : "listeners unreadable, the fleet's CPU";
  return `the audience has gone (${by} under what the pre-event floor carries for ${input.stepDown.intervalMinutes} min after the scheduled end): floor to ${target}`;
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
