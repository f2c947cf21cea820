import type { Datapoint, Series } from './series';
import type { CapacityModel, UslParams } from './usl';
import { nelderMead, tasksFor, uslCapacity, uslPeak } from './usl';

/**
 * The live capacity model: what the running event teaches about a fleet's true capacity curve.
 *
 * Every metric period pairs the listeners the fleet carried with the tasks that were running through that period.
 * A period in which joins were refused for lack of room while the listener count stood still is a point on the
 * curve (saturated); any other period is a lower bound (the fleet carried at least that many with that many
 * tasks). The scaling test's fit is the prior, the event the evidence: a weighted USL fit of both, kept in state,
 * gives the tasks for a demand and the ceiling past which more tasks carry fewer listeners.
 */

/** One metric period of a fleet: the tasks that ran through it and the listeners they carried. */
export interface LiveObservation {
  /** Start of the metric period (UTC ms). */
  readonly atMs: number;
  readonly tasks: number;
  readonly listeners: number;
  /** Joins were refused for lack of room while listeners stood still: the fleet was at its capacity. */
  readonly saturated: boolean;
  /**
   * The listeners the tasks would carry at the CPU they reach at capacity, from the period's CPU: absent without a
   * CPU datapoint, a CPU at capacity, or enough load for the ratio to mean anything (see CPU_MIN_SHARE).
   */
  readonly cpuImplied?: number;
}

/** Evidence about one fleet size (a bin about 2.5 % of tasks wide). */
export interface LiveBin {
  /** Mean running tasks of the periods in the bin. */
  readonly tasks: number;
  /** Periods in the bin. */
  readonly periods: number;
  /** Most listeners carried at this size. */
  readonly carried: number;
  /** Second most: one odd datapoint alone never raises the curve. */
  readonly carriedSecond?: number;
  /** Mean listeners carried in saturated periods (0 when none). */
  readonly saturatedListeners: number;
  readonly saturatedPeriods: number;
  /** Periods with a CPU-implied capacity, and the least and second least of them (absent when none). */
  readonly cpuPeriods?: number;
  readonly cpuImpliedLeast?: number;
  readonly cpuImpliedSecond?: number;
}

/** Running tasks at a tick; `draining` when ECS ran more than asked (tasks that protect listeners draining). */
export interface TaskCount extends Datapoint {
  readonly draining?: true;
}

/** What the watch keeps of the live model between ticks, per event and fleet. */
export interface LiveModelState {
  readonly bins: readonly LiveBin[];
  /** Running tasks seen at each tick (t: when, v: running), to pair with listener datapoints minutes old. */
  readonly counts: readonly TaskCount[];
  /** Listener datapoints of the last `historyMinutes`, for following the audience down. */
  readonly listeners?: readonly Datapoint[];
  /** Newest period start taken in: a datapoint read again on a later tick counts once. */
  readonly lastObservedMs?: number;
  /** The last fit and the evidence it was made from, so a tick with no new evidence does not fit again. */
  readonly fit?: { readonly signature: string; readonly params: UslParams };
  /** The two newest periods with a CPU-implied capacity, oldest first: what the tasks then running would carry. */
  readonly cpuReadings?: readonly CpuReading[];
  /** Saturated periods of the last `countsMinutes`, oldest first, however much the tasks changed through them. */
  readonly ramp?: readonly RampPeriod[];
  /** Set once saturated periods showed more tasks carrying fewer listeners while the fleet grew (see findRampRetrograde). */
  readonly rampRetrograde?: LiveCapacity['retrograde'];
}

/** A saturated period: the fewest and most tasks that ran through it and the listeners they carried. */
export interface RampPeriod {
  /** Start of the metric period (UTC ms). */
  readonly atMs: number;
  readonly lo: number;
  readonly hi: number;
  readonly listeners: number;
}

/** What one period's CPU says the tasks then running would carry at the CPU they reach at capacity. */
export interface CpuReading {
  /** Start of the metric period (UTC ms). */
  readonly atMs: number;
  readonly tasks: number;
  readonly implied: number;
}

/** The live model as the policy uses it. */
export interface LiveCapacity {
  /** The curve the policy sizes with: the test's fit corrected by the event's evidence. */
  readonly params: UslParams;
  readonly peakTasks: number | null;
  readonly peakListeners: number | null;
  /** The most tasks worth running now; null when the curve has no peak and nothing was seen to turn down. */
  readonly ceilingTasks: number | null;
  readonly ceilingReason: 'model-peak' | 'retrograde' | 'no-peak' | 'unexplored';
  /**
   * A size past the ceiling worth trying when demand needs more: the fleet has reached the ceiling and nothing
   * has shown more tasks carrying fewer listeners. Null when probing is not allowed.
   */
  readonly probeTasks: number | null;
  /**
   * A smaller size worth trying: the smallest size measured saturated lies past where the corrected curve peaks (or,
   * with no peak, past its knee) and no larger size carried more (a fifth below it; or a smaller size that carried as
   * much without refusals). If the smaller size saturates carrying more, that is the retrograde evidence, and the next
   * step goes from it while the corrected curve still peaks below it; if less, no second try. Absent otherwise.
   */
  readonly probeDownTasks?: number;
  /** The largest size seen (two periods or more) and the listeners it carried (the second most). */
  readonly largestSeen?: { readonly tasks: number; readonly listeners: number };
  /** Set once more running tasks carried fewer listeners under saturation: the fleet is past its peak. */
  readonly retrograde?: {
    readonly bestTasks: number;
    readonly bestListeners: number;
    readonly worseTasks: number;
    readonly worseListeners: number;
  };
  readonly saturatedPeriods: number;
  readonly boundPeriods: number;
  /** Sizes whose saturation measured the fleet's capacity (two saturated periods or more that count); absent: none. */
  readonly measuredSizes?: number;
  /**
   * How CPU was read as capacity: `used` (as lower bounds), `contradicted` when a saturated size carried clearly
   * less than its CPU implied (CPU is not what fills this fleet: not read). Absent without CPU evidence.
   */
  readonly cpuEvidence?: 'used' | 'contradicted';
  /**
   * The two newest CPU readings, oldest first. Kept even when CPU is not read as room: what the tasks would carry at
   * full CPU is still a least on the tasks a demand needs.
   */
  readonly cpuReadings?: readonly CpuReading[];
  /**
   * The size whose CPU implied the most room, when a size clearly past it (4% more tasks) carrying as many listeners
   * implied clearly less (3%): by CPU, tasks past it add contention, not room. Absent without that evidence, and
   * where CPU is not read as room.
   */
  readonly cpuPeak?: { readonly tasks: number; readonly implied: number };
  /**
   * How far the test's curve overstated the largest saturated size seen (0 to 1), and that size: past it the
   * corrected curve is an extrapolation from a test already shown wrong by that much. Absent without such evidence.
   */
  readonly overstated?: { readonly share: number; readonly tasks: number };
  /**
   * With no peak modelled (the test's fit and the live one find none), the most the service's own scaling may run:
   * a probe step past the largest size that carried more than every smaller one, or the test's largest size. It
   * bounds only what the service adds above SurgeGuard's own target. Absent when a peak is modelled.
   */
  readonly serviceCeilingTasks?: number;
}

/** Options of the live model. */
export interface LiveModelOptions {
  /** Relative width of a task-count bin. @default 0.025 */
  readonly binWidth?: number;
  /** Bins kept; the least-evidenced go first. @default 48 */
  readonly maxBins?: number;
  /** Minutes of running-task counts kept for pairing. @default 20 */
  readonly countsMinutes?: number;
  /** Minutes of listener datapoints kept. @default 40 */
  readonly historyMinutes?: number;
  /** Capacity errors above this share of join requests, with listeners standing still, mark a period saturated. @default 0.02 */
  readonly saturationErrorShare?: number;
  /** Listeners growing more than this share over one period are still arriving, not saturated. @default 0.03 */
  readonly plateauShare?: number;
  /** A probe goes this share past the largest size seen. @default 0.1 */
  readonly probeStep?: number;
}

/** The share of join requests refused for room that marks a fleet full (the live model's saturation test). */
export const SATURATION_ERROR_SHARE = 0.02;

const DEFAULTS = {
  binWidth: 0.025,
  maxBins: 48,
  countsMinutes: 20,
  historyMinutes: 40,
  saturationErrorShare: SATURATION_ERROR_SHARE,
  plateauShare: 0.03,
  probeStep: 0.1,
} as const;

/** Saturated periods weigh this much each in the fit (up to SATURATED_CAP periods a bin); the test's range weighs 1 a point. */
const SATURATED_WEIGHT = 2;
const SATURATED_CAP = 5;
/** Weight of a lower bound the curve falls below. */
const BOUND_WEIGHT = 3;
/** Steps of the test's fit the refit takes over the range it measured; a point at a single task comes on top. */
const PRIOR_POINTS = 6;
/** Weight of the test's fit where it extrapolates past the range it measured. */
const EXTRAPOLATED_WEIGHT = 0.3;
/**
 * A saturated period carrying less than this share of what the test says is refused joins of another kind (a
 * broken release), not the fleet's listener capacity: it counts as a lower bound (though two such sizes, the larger
 * carrying less, still show the fleet past its peak: see findRetrograde). Floods are kept out where periods are
 * paired; a fleet that carries a sixth of its test (the 2024 Space against its "8 M") is the failure the live model
 * exists to read, so the share is well under that.
 */
const PLAUSIBLE_SHARE = 0.1;
/** Join attempts a minute per listener carried above which refused joins are a flood's (see pairObservations). */
const MAX_ATTEMPTS_PER_LISTENER_MINUTE = 5;
/** Running tasks may vary this much within a period for the period to count. */
const STABLE_TASKS = 1.05;
/** A saturated bin this much larger carrying this much less is retrograde evidence. */
const RETRO_TASKS = 1.04;
const RETRO_LISTENERS = 0.97;
/** A probe down goes this share below the largest saturated size: a step sized to reach a peak in a few tries. */
const PROBE_DOWN_SHARE = 0.2;
/** A probe step doubles at most this many times (to eight probe steps) as sizes past the test's peak earn it. */
const MAX_DOUBLINGS = 3;
/**
 * CPU below this share of the CPU at capacity says little of capacity: a point of noise or of fixed overhead is
 * multiplied by the ratio.
 */
const CPU_MIN_SHARE = 0.25;
/** CPU alone raises the test's curve at a size by at most this factor: past it, let the fleet carry it first. */
const CPU_MAX_UPLIFT = 1.5;
/**
 * Bounds past the test's peak raise its whole curve by at most this factor: more is the peak's place, not the
 * per-task capacity, that the test got wrong (see unsaturatedFit).
 */
const PAST_PEAK_MAX_UPLIFT = 1.5;
/** A saturated bin this much below its CPU-implied capacity shows CPU is not this fleet's bottleneck. */
const CPU_CONTRADICTION = 0.9;

/**
 * How long after SurgeGuard's own step down its periods are no evidence: the counts show a drain only from the next
 * tick, and the tasks it stopped may still be winding down.
 */
const DRAIN_MS = 10 * 60_000;

/**
 * How long after a step down whose tasks were all released (ECS stops them at once) its periods are no evidence: the
 * next tick's counts and a task's stop timeout (at most 120 s). The step is there to measure the smaller size.
 */
const RELEASED_MS = 2 * 60_000;

/**
 * When the periods after a step down at `fromMs` count as evidence again: sooner when it releases every task it takes
 * away (`releaseTo` at its target), which ECS stops at once. A release that fails, or leaves some tasks protected,
 * leaves them running past the desired count, and the per-tick drain check passes over those periods still.
 */
export function drainUntil(fromMs: number, step: { targetTasks: number; releaseTo?: number }): number {
  return fromMs + (step.releaseTo === step.targetTasks ? RELEASED_MS : DRAIN_MS);
}

/** An empty live model. */
export function emptyLiveModel(): LiveModelState {
  return { bins: [], counts: [] };
}

/** Inputs of one tick's update of the live model. */
export interface LiveTick {
  readonly nowMs: number;
  /** Running tasks now, when DescribeServices answered. */
  readonly running?: number;
  /**
   * Running tasks past the desired count (less launches under way): tasks that drain, counted as running but taking
   * no joins, so periods they run through are no evidence of the curve.
   */
  readonly draining?: number;
  readonly periodSeconds: number;
  readonly listeners?: Series;
  readonly joinRequests?: Series;
  /** Join outcomes: without join requests, what they add up to is the least the period's attempts were. */
  readonly joinSuccesses?: Series;
  readonly joinErrorsCapacity?: Series;
  readonly joinErrorsAuth?: Series;
  /** The tasks' average CPU, percent; with `cpuAtCapacity` it gives each period a CPU-implied capacity. */
  readonly cpu?: Series;
  /** CPU percent at which a task carries its capacity (from the scaling test or the fleet's config). */
  readonly cpuAtCapacity?: number;
  /**
   * When a step down last took away tasks ECS was running: for a while after, tasks that carry listeners drain
   * (counted as running, taking no joins), so running tasks overstate what takes listeners and those periods are no
   * evidence of the curve.
   */
  readonly drainFromMs?: number;
  /** When that step's periods count again (see {@link drainUntil}); absent, ten minutes after it. */
  readonly drainUntilMs?: number;
  /** The shield judges the traffic an attack: capacity errors are the flood's, so nothing counts as saturated. */
  readonly floodSuspected?: boolean;
}

/** Takes one tick's counts and metrics into the live model; pure. */
export function updateLiveModel(
  state: LiveModelState | undefined,
  tick: LiveTick,
  options: LiveModelOptions = {},
): LiveModelState {
  const o = { ...DEFAULTS, ...options };
  const prev = state ?? emptyLiveModel();
  const counts = [...prev.counts];
  if (tick.running !== undefined && Number.isFinite(tick.running) && tick.running >= 0)
    counts.push({ t: tick.nowMs, v: tick.running, ...((tick.draining ?? 0) > 0 ? { draining: true } : {}) });
  const keptCounts = counts.filter((c) => c.t >= tick.nowMs - o.countsMinutes * 60_000);
  const observations = pairObservations({ ...tick, counts: keptCounts, after: prev.lastObservedMs }, o);
  const { ramp: prevRamp, ...kept } = prev;
  const ramp = [...(prevRamp ?? []), ...observations.ramp].filter(
    (r) => r.atMs >= tick.nowMs - o.countsMinutes * 60_000,
  );
  const rampRetrograde = prev.rampRetrograde ?? findRampRetrograde(ramp);
  let bins = prev.bins;
  for (const obs of observations.taken) bins = addObservation(bins, obs, o);
  const cpuReadings = [
    ...(prev.cpuReadings ?? []),
    ...observations.taken
      .filter((x) => x.cpuImplied !== undefined)
      .map((x) => ({ atMs: x.atMs, tasks: x.tasks, implied: x.cpuImplied! })),
  ].slice(-2);
  const history = new Map((prev.listeners ?? []).map((p) => [p.t, p.v]));
  for (const p of usable(tick.listeners)) history.set(p.t, p.v);
  const listeners = [...history]
    .map(([t, v]) => ({ t, v }))
    .filter((p) => p.t >= tick.nowMs - o.historyMinutes * 60_000)
    .sort((a, b) => a.t - b.t);
  return {
    ...kept,
    bins,
    counts: keptCounts,
    listeners,
    lastObservedMs: observations.lastMs ?? prev.lastObservedMs,
    ...(cpuReadings.length ? { cpuReadings } : {}),
    ...(ramp.length ? { ramp } : {}),
    ...(rampRetrograde ? { rampRetrograde } : {}),
  };
}

/** Pairs listener datapoints newer than `after` with the tasks that ran through their period. */
export function pairObservations(
  input: LiveTick & { counts: readonly TaskCount[]; after?: number },
  options: LiveModelOptions = {},
): { taken: LiveObservation[]; ramp: RampPeriod[]; lastMs?: number } {
  const o = { ...DEFAULTS, ...options };
  const periodMs = input.periodSeconds * 1000;
  const listeners = usable(input.listeners);
  const errorsAt = byTime(input.joinErrorsCapacity);
  const requestsAt = byTime(input.joinRequests);
  const attemptsAt = joinAttempts(input);
  const cpuAt = byTime(input.cpu);
  const cpuCap = input.cpuAtCapacity;
  const taken: LiveObservation[] = [];
  const ramp: RampPeriod[] = [];
  let lastMs: number | undefined;
  const oldestCount = input.counts[0]?.t;
  const newestCount = input.counts[input.counts.length - 1]?.t;
  listeners.forEach((p, i) => {
    if (input.after !== undefined && p.t <= input.after) return;
    if (oldestCount === undefined || newestCount === undefined) return;
    // Counts must cover the whole period; a period before the counts began can never be paired.
    if (p.t < oldestCount) {
      lastMs = Math.max(lastMs ?? p.t, p.t);
      return;
    }
    if (newestCount < p.t + periodMs) return;
    lastMs = Math.max(lastMs ?? p.t, p.t);
    if (drainedThrough(input.counts, p.t, periodMs, input.drainFromMs, input.drainUntilMs)) return;
    const during = input.counts.filter((c) => c.t >= p.t && c.t <= p.t + periodMs).map((c) => c.v);
    if (!during.length) return;
    const lo = Math.min(...during);
    const hi = Math.max(...during);
    if (lo <= 0) return;
    const errors = errorsAt.get(p.t);
    const requests = requestsAt.get(p.t);
    const before = listeners[i - 1];
    const standingStill =
      before !== undefined && before.t === p.t - periodMs && p.v <= before.v * (1 + o.plateauShare);
    // Listeners backing off retry a few times a minute; far more requests than that is a flood, whatever the
    // shield has judged yet, and says nothing of the listener capacity.
    const plausible = requests !== undefined && !floodLike(requests, p.v, input.periodSeconds);
    const saturated =
      !input.floodSuspected &&
      errors !== undefined &&
      requests !== undefined &&
      errors > 0 &&
      errors >= o.saturationErrorShare * requests &&
      plausible &&
      standingStill &&
      p.v > 0;
    if (saturated) ramp.push({ atMs: p.t, lo, hi, listeners: p.v });
    // A size is measured only by a period its tasks held through; a climb is read above, as a whole.
    if (hi > lo * STABLE_TASKS) return;
    // CPU is the period's average and the listener datapoint its maximum, which is its end on a rise and its start
    // on a fall: the lesser of it and the datapoint before is what the tasks carried all through the period.
    const cpu = cpuAt.get(p.t);
    const consecutive = before !== undefined && before.t === p.t - periodMs;
    // A flood's join handling burns CPU that says nothing of listener room. Without join requests the join outcomes
    // still show one (they add up to the least the attempts were): a missing series must not hold back an audience
    // that outgrows the test. CPU past 100 (EC2) only reads less room, so it is kept.
    const attempts = attemptsAt.get(p.t);
    const cpuImplied =
      cpuCap !== undefined &&
      cpu !== undefined &&
      consecutive &&
      !input.floodSuspected &&
      attempts !== undefined &&
      !floodLike(attempts, p.v, input.periodSeconds) &&
      cpu >= CPU_MIN_SHARE * cpuCap
        ? (Math.min(before.v, p.v) * cpuCap) / cpu
        : undefined;
    taken.push({
      atMs: p.t,
      tasks: saturated ? (lo + hi) / 2 : lo,
      listeners: p.v,
      saturated,
      ...(cpuImplied !== undefined ? { cpuImplied } : {}),
    });
  });
  return { taken, ramp, lastMs };
}

/**
 * Whether tasks drained through a metric period: ECS ran tasks past the desired count at a tick through it (or at the
 * tick before it), or it overlaps the window after SurgeGuard's own step down took tasks away. Running tasks then
 * include draining ones that take no joins, so the period says nothing of what the tasks running carry.
 */
export function drainedThrough(
  counts: readonly TaskCount[] | undefined,
  periodStartMs: number,
  periodMs: number,
  drainFromMs?: number,
  drainUntilMs?: number,
): boolean {
  if (
    drainFromMs !== undefined &&
    periodStartMs + periodMs > drainFromMs &&
    periodStartMs < (drainUntilMs ?? drainFromMs + DRAIN_MS)
  )
    return true;
  const before = (counts ?? []).filter((c) => c.t < periodStartMs).at(-1);
  return (counts ?? []).some(
    (c) => c.draining && ((c.t >= periodStartMs && c.t <= periodStartMs + periodMs) || c === before),
  );
}

/** More join attempts in a period than listeners backing off make: a flood, whatever the shield has judged yet. */
export function floodLike(attempts: number, listeners: number, periodSeconds: number): boolean {
  return attempts > MAX_ATTEMPTS_PER_LISTENER_MINUTE * (periodSeconds / 60) * listeners;
}

/**
 * Join attempts per period start: the join requests, or where they are missing the sum of the join outcomes
 * (successes, capacity and auth errors) that have a datapoint then, the least the attempts can have been.
 */
export function joinAttempts(
  tick: Pick<LiveTick, 'joinRequests' | 'joinSuccesses' | 'joinErrorsCapacity' | 'joinErrorsAuth'>,
): Map<number, number> {
  const attempts = new Map<number, number>();
  for (const outcome of [tick.joinSuccesses, tick.joinErrorsCapacity, tick.joinErrorsAuth])
    for (const p of usable(outcome)) attempts.set(p.t, (attempts.get(p.t) ?? 0) + p.v);
  for (const p of usable(tick.joinRequests)) attempts.set(p.t, p.v);
  return attempts;
}

function usable(series: Series | undefined): Datapoint[] {
  return [...(series ?? [])]
    .filter((p) => Number.isFinite(p.v) && p.v >= 0 && Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
}

function byTime(series: Series | undefined): Map<number, number> {
  return new Map(usable(series).map((p) => [p.t, p.v]));
}

function binKey(tasks: number, width: number): number {
  return Math.round(Math.log(tasks) / Math.log(1 + width));
}

function addObservation(
  bins: readonly LiveBin[],
  obs: LiveObservation,
  o: Required<LiveModelOptions>,
): LiveBin[] {
  const key = binKey(obs.tasks, o.binWidth);
  const out = [...bins];
  const i = out.findIndex((b) => binKey(b.tasks, o.binWidth) === key);
  const old = i >= 0 ? out[i]! : undefined;
  const periods = (old?.periods ?? 0) + 1;
  const satPeriods = (old?.saturatedPeriods ?? 0) + (obs.saturated ? 1 : 0);
  const bin: LiveBin = {
    tasks: old ? old.tasks + (obs.tasks - old.tasks) / periods : obs.tasks,
    periods,
    carried: Math.max(old?.carried ?? 0, obs.listeners),
    carriedSecond: old ? Math.max(Math.min(old.carried, obs.listeners), old.carriedSecond ?? 0) : undefined,
    saturatedListeners: obs.saturated
      ? (old?.saturatedListeners ?? 0) + (obs.listeners - (old?.saturatedListeners ?? 0)) / satPeriods
      : (old?.saturatedListeners ?? 0),
    saturatedPeriods: satPeriods,
    ...withCpu(old, obs.cpuImplied),
  };
  if (i >= 0) out[i] = bin;
  else out.push(bin);
  if (out.length > o.maxBins) {
    // Drop the bin without saturated evidence furthest from the size just seen (never that size itself).
    const distance = (b: LiveBin) => Math.abs(Math.log(b.tasks / obs.tasks));
    const candidates = out.filter((b) => b !== bin);
    const pool = candidates.some((b) => b.saturatedPeriods === 0)
      ? candidates.filter((b) => b.saturatedPeriods === 0)
      : candidates;
    const drop = pool.reduce((a, b) => (distance(b) > distance(a) ? b : a));
    out.splice(out.indexOf(drop), 1);
  }
  return out.sort((a, b) => a.tasks - b.tasks);
}

/** A bin's CPU evidence with one more period's implied capacity (the least two kept: one odd datapoint never counts). */
function withCpu(old: LiveBin | undefined, implied: number | undefined): Partial<LiveBin> {
  if (implied === undefined)
    return old?.cpuPeriods
      ? {
          cpuPeriods: old.cpuPeriods,
          cpuImpliedLeast: old.cpuImpliedLeast,
          cpuImpliedSecond: old.cpuImpliedSecond,
        }
      : {};
  const least = old?.cpuImpliedLeast;
  return {
    cpuPeriods: (old?.cpuPeriods ?? 0) + 1,
    cpuImpliedLeast: least === undefined ? implied : Math.min(least, implied),
    ...(least === undefined
      ? {}
      : { cpuImpliedSecond: Math.min(Math.max(least, implied), old?.cpuImpliedSecond ?? Infinity) }),
  };
}

/** The evidence a fit depends on, as a short string: the same evidence gives the same fit. */
function signatureOf(bins: readonly LiveBin[]): string {
  return bins
    .map(
      (b) =>
        `${Math.round(b.tasks)}:${Math.round(b.carriedSecond ?? 0)}:${b.saturatedPeriods}:${Math.round(b.saturatedListeners)}:${Math.min(b.cpuPeriods ?? 0, 3)}:${Math.round(b.cpuImpliedLeast ?? 0)}:${Math.round(b.cpuImpliedSecond ?? 0)}`,
    )
    .join(',');
}

/**
 * Fits the curve to the prior (the scaling test's fit over the range it measured) and the event's evidence:
 * saturated bins as points, other bins as lower bounds the curve may not fall below. Returns the prior unchanged
 * when there is no evidence.
 */
export function fitLive(prior: CapacityModel, bins: readonly LiveBin[], audience?: number): UslParams {
  const cpu = cpuEvidenceOf(prior, bins);
  const points: { n: number; x: number; w: number }[] = [];
  const bounds: { n: number; x: number; w: number }[] = [];
  for (const b of bins) {
    if (isCapacityEvidence(prior, b))
      points.push({
        n: b.tasks,
        x: b.saturatedListeners,
        w: SATURATED_WEIGHT * Math.min(b.saturatedPeriods, SATURATED_CAP),
      });
    // A lower bound needs two periods at the size: the second most it carried, so one odd datapoint never counts.
    if ((b.carriedSecond ?? 0) > 0) bounds.push({ n: b.tasks, x: b.carriedSecond!, w: BOUND_WEIGHT });
    // CPU that says more room than the test's curve only raises it.
    const implied = cpuCapacityOf(prior, b, cpu);
    if (b.saturatedPeriods === 0 && implied) bounds.push({ n: b.tasks, x: implied, w: BOUND_WEIGHT });
  }
  // Without a saturated period nothing has shown where the curve turns: see unsaturatedFit.
  if (points.length === 0) return unsaturatedFit(prior, bounds, audience);
  // The prior over the range the test measured, and more weakly over its extrapolation to past its peak.
  const tested = Math.max(1, prior.maxTestedTasks);
  const reach = Math.max(tested, ...bins.map((b) => b.tasks), 1.5 * (prior.peakTasks ?? tested));
  const priorPoints: { n: number; x: number; w: number }[] = [];
  // From one task up: a task alone carries what the test's fit says, or one saturated size with the test's steps far
  // from it leaves lambda free, and a curve that peaks at one task fits them both.
  for (let k = 0; k <= PRIOR_POINTS; k++) {
    const n = Math.max(1, Math.round((tested * k) / PRIOR_POINTS));
    priorPoints.push({ n, x: uslCapacity(prior, n), w: 1 });
  }
  for (let n = tested * 1.5; n <= reach; n *= 1.5)
    priorPoints.push({ n, x: uslCapacity(prior, n), w: EXTRAPOLATED_WEIGHT });
  points.push(...priorPoints);
  const nRef = Math.max(tested, ...bins.map((b) => b.tasks));
  const xRef = Math.max(1, ...points.map((p) => p.x), ...bounds.map((b) => b.x));
  const decode = (v: number[]): UslParams => ({
    lambda: Math.exp(v[0] ?? 0) * (xRef / nRef),
    sigma: (v[1] ?? 0) ** 2 / nRef,
    kappa: (v[2] ?? 0) ** 2 / (nRef * nRef),
  });
  const objective = (v: number[]) => {
    const p = decode(v);
    let sse = 0;
    for (const q of points) sse += q.w * ((q.x - uslCapacity(p, q.n)) / xRef) ** 2;
    for (const q of bounds) {
      const short = q.x - uslCapacity(p, q.n);
      if (short > 0) sse += q.w * (short / xRef) ** 2;
    }
    return sse;
  };
  const start = [
    Math.log(Math.max(prior.lambda, 1e-9) / (xRef / nRef)),
    Math.sqrt(prior.sigma * nRef),
    Math.sqrt(prior.kappa * nRef * nRef),
  ];
  // Parameters to a part in a million are far finer than the evidence: no need to polish further each tick.
  return decode(nelderMead(objective, start, 1500, 1e-6));
}

/**
 * The curve from lower bounds alone (see fitLive). The fleet carried at least this much more than the test said, so
 * the whole curve is raised by that share (its shape, and its peak, stay the test's). Past the test's peak that
 * reading breaks down: the test's curve falls there, so a size far past it that carried more than the curve allows
 * multiplies the whole curve, and a handful of tasks are credited with what a hundred carried. When bounds past the
 * peak would raise the curve more than {@link PAST_PEAK_MAX_UPLIFT}, they are read as the peak's place instead: the
 * curve raised only by the bounds up to the peak, its contention (sigma and kappa, together) lowered just enough to
 * carry the rest (a straight line through the most demanding one when even none falls short). Of the two readings,
 * the one that asks for more tasks for the audience now (the newest listener datapoint, else the most listeners
 * seen) is taken: nothing has shown the other, and the floor follows the audience down by it.
 */
function unsaturatedFit(
  prior: CapacityModel,
  bounds: readonly { n: number; x: number }[],
  audience?: number,
): UslParams {
  const upliftOf = (bs: readonly { n: number; x: number }[]) =>
    Math.max(1, ...bs.map((b) => b.x / Math.max(uslCapacity(prior, b.n), 1e-9)));
  const whole = { lambda: prior.lambda * upliftOf(bounds), sigma: prior.sigma, kappa: prior.kappa };
  const peakTasks = prior.peakTasks ?? Infinity;
  const past = bounds.filter((b) => b.n > peakTasks);
  if (!past.length || whole.lambda <= prior.lambda * PAST_PEAK_MAX_UPLIFT) return whole;
  const raised = {
    lambda: prior.lambda * upliftOf(bounds.filter((b) => b.n <= peakTasks)),
    sigma: prior.sigma,
    kappa: prior.kappa,
  };
  const carries = (p: UslParams) => past.every((b) => uslCapacity(p, b.n) >= b.x * (1 - 1e-9));
  const scaled = (f: number) => ({ lambda: raised.lambda, sigma: raised.sigma * f, kappa: raised.kappa * f });
  let flattened: UslParams;
  if (carries(raised)) flattened = raised;
  else if (!carries(scaled(0)))
    flattened = { lambda: Math.max(raised.lambda, ...past.map((b) => b.x / b.n)), sigma: 0, kappa: 0 };
  else {
    // Capacity at a size only falls as contention rises: the largest share that still carries every bound.
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (carries(scaled(mid))) lo = mid;
      else hi = mid;
    }
    flattened = scaled(lo);
  }
  const now = audience !== undefined && audience > 0 ? audience : Math.max(...bounds.map((b) => b.x));
  const need = (p: UslParams) => tasksFor(p, now).tasks ?? Infinity;
  return need(flattened) > need(whole) ? flattened : whole;
}

/** The live model's view for the policy: the corrected curve, its peak, the ceiling and any probe. */
export function liveCapacity(
  prior: CapacityModel,
  state: LiveModelState | undefined,
  options: LiveModelOptions = {},
): { capacity: LiveCapacity; state: LiveModelState } {
  const o = { ...DEFAULTS, ...options };
  const s = state ?? emptyLiveModel();
  // Without saturated evidence the fit reads the audience now (see unsaturatedFit): a 1% move of it is a new fit.
  const audience = s.bins.some((b) => b.saturatedPeriods > 0) ? undefined : s.listeners?.at(-1)?.v;
  const signature = `${signatureOf(s.bins)}${audience === undefined ? '' : `|${Math.round(Math.log(Math.max(audience, 1)) * 100)}`}`;
  const params = s.fit?.signature === signature ? s.fit.params : fitLive(prior, s.bins, audience);
  const next: LiveModelState = s.fit?.signature === signature ? s : { ...s, fit: { signature, params } };
  const peak = uslPeak(params);
  const retrograde = findRetrograde(s.bins) ?? s.rampRetrograde;
  const cpuEvidence = cpuEvidenceOf(prior, s.bins);
  let ceilingTasks: number | null = peak.tasks;
  let ceilingReason: LiveCapacity['ceilingReason'] = peak.tasks === null ? 'no-peak' : 'model-peak';
  const top = [...s.bins].reverse().find((b) => b.periods >= 2);
  // A curve refitted to measured points is an extrapolation past the largest size seen: when it puts its peak further
  // (or finds none) where the test had one, the ceiling goes a probe step past the largest size that carried more
  // than every smaller one, each step earned by the evidence of the last, never straight to wherever the refit says.
  // A step is earned by the last one carrying more: once any saturated size carried no more than a smaller saturated
  // size (within the retrograde tolerance), tasks have stopped adding room, and no step goes further.
  const sat = saturatedBins(prior, s.bins);
  const gained = !sat.some((big) =>
    sat.some(
      (small) => small.tasks * RETRO_TASKS < big.tasks && big.listeners < small.listeners / RETRO_LISTENERS,
    ),
  );
  // Each size past the test's peak that carried more than the test says any size can, and more than every smaller
  // size did, is evidence the test is wrong there: the next step is twice the last (up to eight times), so a test
  // far off is outgrown in a few steps.
  const testMost = prior.peakTasks === null ? Infinity : uslCapacity(prior, prior.peakTasks);
  // Sizes a probe step apart count once each: neighbouring bins are one step's evidence, not several.
  const seen = s.bins
    .filter((b) => b.periods >= 2 && (b.carriedSecond ?? 0) > 0)
    .sort((x, y) => x.tasks - y.tasks);
  const carriedMore = (b: LiveBin) =>
    seen.every(
      (small) => small.tasks >= b.tasks || b.carriedSecond! * RETRO_LISTENERS > small.carriedSecond!,
    );
  let earned = 0;
  let lastEarned = -Infinity;
  for (const b of seen) {
    const more = b.tasks > (prior.peakTasks ?? Infinity) && b.carriedSecond! > testMost && carriedMore(b);
    if (more && b.tasks >= lastEarned * (1 + o.probeStep)) {
      earned++;
      lastEarned = b.tasks;
    }
  }
  // Steps go from the largest size that carried more than every smaller size, not from the largest size seen: the
  // service's own scaling can run the fleet past where tasks stopped adding room, and a ceiling that followed it
  // would let it run on, a step at a time.
  const frontier = seen.filter(carriedMore).pop();
  // A step is also as long as the frontier's own evidence allows: no fleet the law describes peaks before
  // peakFloorOf says, so a size carrying near its linear share is far from its peak, however few steps it earned.
  const alone = Math.max(prior.lambda, prior.bendNotShown ? (prior.bestPerTask ?? 0) : 0, params.lambda);
  const evidenced = frontier
    ? peakFloorOf(alone, frontier.tasks, frontier.carriedSecond!) / frontier.tasks - 1
    : 0;
  const step = Math.min(
    o.probeStep * 2 ** MAX_DOUBLINGS,
    Math.max(o.probeStep * 2 ** Math.min(earned, MAX_DOUBLINGS), evidenced),
  );
  const reach = frontier ? Math.round(frontier.tasks * (gained ? 1 + step : 1)) : undefined;
  // With no size seen twice there is no step to take yet: the ceiling stays at the test's peak.
  if (
    prior.peakTasks !== null &&
    (peak.tasks === null || peak.tasks > Math.max(reach ?? 0, prior.peakTasks))
  ) {
    ceilingTasks = Math.max(reach ?? 0, prior.peakTasks);
    ceilingReason = 'unexplored';
  }
  // A size past the test's peak carried more than the test says any size can: the test's peak is no ceiling there,
  // and the next step past the largest size seen is open (each step earned the same way). Nor is a refit's peak that
  // carries less than a larger size was measured carrying (the prior pulled it there): with nothing seen turning
  // down, the ceiling is a step past that size too.
  const contradicted =
    frontier !== undefined &&
    peak.tasks !== null &&
    frontier.tasks > peak.tasks &&
    frontier.carriedSecond! > (peak.listeners ?? 0);
  if (
    ((earned > 0 && gained) || contradicted) &&
    reach !== undefined &&
    ceilingTasks !== null &&
    reach > ceilingTasks
  ) {
    ceilingTasks = reach;
    ceilingReason = 'unexplored';
  }
  if (retrograde) {
    ceilingTasks = Math.round(retrograde.bestTasks);
    ceilingReason = 'retrograde';
  }
  const probeTasks =
    gained &&
    !retrograde &&
    ceilingTasks !== null &&
    top &&
    frontier &&
    frontier.tasks >= 0.95 * ceilingTasks &&
    // A fleet already a step past the ceiling got there without the curve's leave: no probe goes further.
    top.tasks <= ceilingTasks * (1 + o.probeStep) + 1
      ? Math.max(ceilingTasks + 1, Math.round(frontier.tasks * (1 + step)))
      : null;
  return {
    state: next,
    capacity: {
      params,
      peakTasks: peak.tasks,
      peakListeners: peak.listeners,
      ceilingTasks,
      ceilingReason,
      probeTasks,
      retrograde,
      saturatedPeriods: s.bins.reduce((n, b) => n + b.saturatedPeriods, 0),
      boundPeriods: s.bins.reduce((n, b) => n + b.periods - b.saturatedPeriods, 0),
      ...(sat.length ? { measuredSizes: sat.length } : {}),
      ...(cpuEvidence ? { cpuEvidence } : {}),
      ...(s.cpuReadings?.length ? { cpuReadings: s.cpuReadings } : {}),
      ...cpuPeakOf(s.bins, cpuEvidence),
      ...overstatedBy(prior, s.bins),
      ...probeDownFrom(sat, s.bins, params, o.probeStep, alone),
      ...(ceilingTasks === null && prior.peakTasks === null
        ? { serviceCeilingTasks: Math.max(reach ?? 0, Math.round(prior.maxTestedTasks)) }
        : {}),
      ...(top && (top.carriedSecond ?? 0) > 0
        ? { largestSeen: { tasks: Math.round(top.tasks), listeners: top.carriedSecond! } }
        : {}),
    },
  };
}

/**
 * The fewest tasks at which a fleet the law describes, carrying `listeners` on `tasks` with at most `lambda` a task
 * alone, can peak. Its contention D = lambda*N/X - 1 is sigma*(N-1) + kappa*N*(N-1), and the peak sqrt((1-sigma)/kappa)
 * is nearest with all of D read as coherency (sigma 0): sqrt(N*(N-1)/D). Listeners carried are at most the room, so
 * a size not yet full only lowers the bound; so does a larger lambda (the watch gives it the larger of the test's fit
 * and the refit, and for a straight-line test the most a task carried at any step: a line's lambda is an average).
 */
export function peakFloorOf(lambda: number, tasks: number, listeners: number): number {
  return Math.max(tasks, lawPeakFloor(lambda, tasks, listeners) ?? tasks);
}

/**
 * peakFloorOf before its clamp to `tasks`: the law's own bound sqrt(N*(N-1)/D), which may lie below `tasks` (the fleet
 * may be past its peak, but no further past than this). Infinity with no contention seen; undefined for odd input
 * (NaN, infinite, a single task), which bounds nothing.
 */
function lawPeakFloor(lambda: number, tasks: number, listeners: number): number | undefined {
  if (!(tasks > 1 && listeners > 0 && lambda > 0 && Number.isFinite(listeners) && Number.isFinite(lambda)))
    return undefined;
  const contention = (lambda * tasks) / listeners - 1;
  if (contention <= 0) return Infinity;
  return Math.sqrt((tasks * (tasks - 1)) / contention);
}

/**
 * A size a down step below the smallest saturated size when no larger size carried more than it and the
 * corrected curve peaks more than a probe step below it (never below that peak), unless a smaller size carried as
 * much: the fleet may be past its peak with nothing smaller to show it, as when the plan put it there before the
 * audience came. A corrected curve with no peak (flat where the fleet saturates) stands in its knee: the fewest tasks
 * it says carry as much, within the retrograde tolerance, as the smallest saturated size. Without a smaller size that
 * carried as much, the law must also let the fleet be past its peak (see lawPeakFloor), and the probe goes no lower.
 */
function probeDownFrom(
  sat: readonly { tasks: number; listeners: number }[],
  bins: readonly LiveBin[],
  params: UslParams,
  probeStep: number,
  /** The most a task alone carries, as the ceiling's step reads it (the test's fit, its best step, the refit). */
  alone: number,
): Pick<LiveCapacity, 'probeDownTasks'> {
  if (!sat.length) return {};
  const low = sat.reduce((a, b) => (b.tasks < a.tasks ? b : a));
  // A larger size that carried more, saturated or not, shows the fleet short of its peak at `low`.
  if (bins.some((b) => b.tasks > low.tasks && b.carried * RETRO_LISTENERS > low.listeners)) return {};
  // A curve with no peak stands in its knee: the fewest tasks it says carry RETRO_LISTENERS of what `low` carries.
  const peakTasks =
    uslPeak(params).tasks ??
    tasksFor(params, RETRO_LISTENERS * uslCapacity(params, low.tasks)).tasks ??
    low.tasks;
  if (peakTasks >= low.tasks * (1 - probeStep)) return {};
  // A smaller size that carried as much without saturating (a probe down that worked, or the way up) is the size to
  // go to: it has at least that room.
  const asMuch = bins
    .filter(
      (b) =>
        b.tasks * RETRO_TASKS < low.tasks &&
        b.periods >= 2 &&
        (b.carriedSecond ?? 0) >= low.listeners * RETRO_LISTENERS,
    )
    .reduce<LiveBin | undefined>((a, b) => (a === undefined || b.tasks < a.tasks ? b : a), undefined);
  if (asMuch) return { probeDownTasks: Math.round(asMuch.tasks) };
  // Without one, the law must let `low` be past its peak: no fleet carrying what `low` carried, with at most `alone` a
  // task alone, peaks below the law's floor (a refit the test's prior pulled down can). A floor within a probe step
  // of `low` leaves nothing to probe, and no probe goes below it.
  // Odd input bounds nothing, and opens no probe down either: only a measured bound lets tasks go.
  if (!Number.isFinite(alone)) return {};
  const floor = lawPeakFloor(alone, low.tasks, low.listeners) ?? 0;
  if (floor >= low.tasks * (1 - probeStep)) return {};
  return {
    probeDownTasks: Math.max(
      Math.round(peakTasks),
      Math.ceil(floor),
      Math.round(low.tasks * (1 - PROBE_DOWN_SHARE)),
    ),
  };
}

/** The largest size whose saturation measured capacity, and how far short of the test's curve it fell. */
function overstatedBy(prior: CapacityModel, bins: readonly LiveBin[]): Pick<LiveCapacity, 'overstated'> {
  const sat = saturatedBins(prior, bins);
  if (!sat.length) return {};
  const top = sat.reduce((a, b) => (b.tasks > a.tasks ? b : a));
  const share = 1 - top.listeners / uslCapacity(prior, top.tasks);
  return share > 0 ? { overstated: { share, tasks: top.tasks } } : {};
}

/** The bins whose saturated periods (two or more) measured the fleet's listener capacity. */
function saturatedBins(
  prior: CapacityModel,
  bins: readonly LiveBin[],
): { tasks: number; listeners: number }[] {
  return saturatedSizes(bins.filter((b) => isCapacityEvidence(prior, b)));
}

/** The sizes that ran saturated two periods or more, with what they carried saturated, whatever the test says. */
function saturatedSizes(bins: readonly LiveBin[]): { tasks: number; listeners: number }[] {
  return bins
    .filter((b) => b.saturatedPeriods >= 2)
    .map((b) => ({ tasks: b.tasks, listeners: b.saturatedListeners }));
}

/**
 * How the bins' CPU-implied capacities are read: as lower bounds, until a saturated size carries clearly less than
 * its CPU implied (the fleet fills on something other than CPU, so CPU overstates its room): then not at all.
 */
export function cpuEvidenceOf(prior: CapacityModel, bins: readonly LiveBin[]): LiveCapacity['cpuEvidence'] {
  if (!bins.some((b) => (b.cpuPeriods ?? 0) > 0)) return undefined;
  // One saturated period is not enough to stop reading CPU: a burst of 503s while listeners stood still can be
  // anything; two at a size measure it.
  const saturated = bins.filter((b) => b.saturatedPeriods >= 2 && isCapacityEvidence(prior, b));
  const contradicted = saturated.some(
    (b) => b.cpuImpliedLeast !== undefined && b.saturatedListeners < CPU_CONTRADICTION * b.cpuImpliedLeast,
  );
  return contradicted ? 'contradicted' : 'used';
}

/** A bin's CPU-implied capacity as the evidence reads it; undefined when there is none or CPU is not read. */
function cpuCapacityOf(prior: UslParams, b: LiveBin, cpu: LiveCapacity['cpuEvidence']): number | undefined {
  const implied = cpuImpliedOf(b);
  if (cpu !== 'used' || implied === undefined) return undefined;
  return Math.min(implied, CPU_MAX_UPLIFT * uslCapacity(prior, b.tasks));
}

/** The room a size's CPU readings imply (two readings or more), undefined without them. */
function cpuImpliedOf(b: LiveBin): number | undefined {
  if (b.cpuImpliedSecond === undefined) return undefined;
  // The second least ignores one odd low CPU reading only when there are three or more; with two it is the odd one.
  return (b.cpuPeriods ?? 0) >= 3 ? b.cpuImpliedSecond : (b.cpuImpliedLeast ?? b.cpuImpliedSecond);
}

/**
 * See {@link LiveCapacity.cpuPeak}: each size's CPU-implied room (cpuImpliedOf), the curve apart, only where CPU is read
 * as room. The larger size must have carried as many listeners (within the retrograde tolerance): a size the audience
 * left lightly loaded reads less room on a fleet whose tasks idle at some CPU, and that is no contention.
 */
function cpuPeakOf(
  bins: readonly LiveBin[],
  cpu: LiveCapacity['cpuEvidence'],
): Pick<LiveCapacity, 'cpuPeak'> {
  if (cpu !== 'used') return {};
  const read = bins.flatMap((b) => {
    const implied = cpuImpliedOf(b);
    const carried = b.carriedSecond ?? 0;
    return implied !== undefined && implied > 0 && carried > 0 ? [{ tasks: b.tasks, implied, carried }] : [];
  });
  if (read.length < 2) return {};
  const best = read.reduce((a, b) => (b.implied > a.implied ? b : a));
  const worse = read.some(
    (r) =>
      r.tasks > best.tasks * RETRO_TASKS &&
      r.implied < best.implied * RETRO_LISTENERS &&
      r.carried >= best.carried * RETRO_LISTENERS,
  );
  return worse ? { cpuPeak: { tasks: Math.round(best.tasks), implied: best.implied } } : {};
}

/**
 * Whether a bin's saturated periods measure the fleet's listener capacity (see PLAUSIBLE_SHARE). Past the largest
 * size the test measured its curve is an extrapolation, and a fleet there may carry far less (past its true peak):
 * the share is taken of what the test measured at its largest size, not of where its curve goes.
 */
function isCapacityEvidence(prior: CapacityModel, b: LiveBin): boolean {
  const tested = Math.max(1, prior.maxTestedTasks);
  return (
    b.saturatedPeriods > 0 &&
    b.saturatedListeners >= PLAUSIBLE_SHARE * uslCapacity(prior, Math.min(b.tasks, tested))
  );
}

/**
 * Saturated evidence that more tasks carried fewer listeners: the best size seen and the worse one past it. Every
 * saturated size counts, however far short of its test it fell: a fleet that carries a tenth of what its test says is
 * still past its peak when more of its tasks carry fewer (floods are kept out where periods are paired).
 */
export function findRetrograde(bins: readonly LiveBin[]): LiveCapacity['retrograde'] {
  const sat = saturatedSizes(bins);
  if (sat.length < 2) return undefined;
  const best = sat.reduce((a, b) => (b.listeners > a.listeners ? b : a));
  const worse = sat
    .filter((b) => pastPeakOf(best, b.tasks, b.listeners))
    .sort((a, b) => a.tasks - b.tasks)[0];
  if (!worse) return undefined;
  return {
    bestTasks: best.tasks,
    bestListeners: best.listeners,
    worseTasks: worse.tasks,
    worseListeners: worse.listeners,
  };
}

/**
 * Retrograde evidence from a fleet growing under saturation, when its task counts change too fast for any size to be
 * measured twice: two later saturated periods each with more tasks all through than an earlier one ever ran
 * (by the retrograde tolerance), each carrying fewer listeners. Refused joins mean clients waited for room all
 * through, so carried listeners fall only when the room does. Without it a fleet worse than its test climbed from
 * 430 tasks to its test's peak at 1,023 while each step carried fewer, and turned back only once the climb stopped.
 */
export function findRampRetrograde(periods: readonly RampPeriod[]): LiveCapacity['retrograde'] {
  const sorted = [...periods].sort((a, b) => a.atMs - b.atMs);
  // The saturated period carrying the most before the one being read (the first of equals).
  let best = sorted[0];
  for (let j = 1; best && j < sorted.length; j++) {
    const most = { tasks: best.hi, listeners: best.listeners };
    const worse = (b: RampPeriod) => pastPeakOf(most, b.lo, b.listeners);
    const b1 = sorted[j]!;
    if (worse(b1) && sorted.slice(j + 1).some(worse))
      return {
        bestTasks: (best.lo + best.hi) / 2,
        bestListeners: best.listeners,
        worseTasks: b1.lo,
        worseListeners: b1.listeners,
      };
    if (b1.listeners > best.listeners) best = b1;
  }
  return undefined;
}

/**
 * More tasks than `best` ran, by the retrograde tolerance, carrying fewer listeners than it carried, by the same:
 * saturated, the fleet is past its peak.
 */
function pastPeakOf(best: { tasks: number; listeners: number }, tasks: number, listeners: number): boolean {
  return tasks > best.tasks * RETRO_TASKS && listeners < best.listeners * RETRO_LISTENERS;
}
