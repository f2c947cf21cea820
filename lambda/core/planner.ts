import type { Config, EventConfig, FleetConfig } from './config/schema';
import { forecastOf } from './config/forecast';
import { ECS_MAX_TASKS_PER_SERVICE } from './limits';
import { eventEndMs, eventStartMs } from './config/event-time';
import { isoUtc, minutes } from './time';
import type { CapacityModel } from './usl';
import { MIN_TRUSTED_R2, plannedCapacity, tasksFor, tasksToHold, uslCapacity } from './usl';

/** Stable codes of plan warnings, for scripts, alarms and `plan --strict --allow CODE`. */
export const PLAN_WARNING_CODES = [
  'EXTRAPOLATION',
  'BEYOND_USL_PEAK',
  'NEAR_USL_PEAK',
  'MAX_TASKS',
  'SERVICE_LIMIT',
  'VCPU_QUOTA',
  'FEW_POINTS',
  'POOR_FIT',
  'OUTLIER',
  'LOAD_LIMITED',
  'UNTRUSTED_FIT',
  'FLAT_HEADROOM',
] as const;

/** Stable code of a plan warning. */
export type PlanWarningCode = (typeof PLAN_WARNING_CODES)[number];

/** Something the plan cannot promise, and what to do about it. */
export interface PlanWarning {
  readonly code: PlanWarningCode;
  readonly message: string;
}

/** From `at` on, the fleet's floor is `tasks` (until the next step). */
export interface PlanStep {
  readonly at: string;
  readonly tasks: number;
}

/** The capacity model as plans report it. */
export interface ModelSummary {
  readonly listenersPerTask: number;
  readonly sigma: number;
  readonly kappa: number;
  readonly peakTasks: number | null;
  readonly peakListeners: number | null;
  readonly r2: number;
  readonly maxTestedTasks: number;
  /** Set when the test's steps cannot place the peak (a curve with no peak fits them as well). */
  readonly peakNotPlaced?: true;
}

/** The pre-scale plan of one fleet for one event. */
export interface FleetPlan {
  readonly fleet: string;
  readonly model: ModelSummary;
  /** Listeners the fleet must carry: peak x share x (1 + headroom). */
  readonly listeners: number;
  /** Tasks the plan runs at the event, after limits. */
  readonly neededTasks: number;
  readonly baselineTasks: number;
  /** From the first launch to doors open. */
  readonly leadSeconds: number;
  /** When the first step is issued (UTC). */
  readonly rampStart: string;
  /** When the last launched task is expected to be running (UTC). */
  readonly readyAt: string;
  readonly steps: PlanStep[];
  readonly warnings: PlanWarning[];
}

/** The plan of one event. */
export interface EventPlan {
  readonly id: string;
  readonly title: string;
  readonly start: string;
  readonly end: string;
  /** When the audience starts arriving: capacity must be in place by then. */
  readonly doorsOpen: string;
  /** End plus tail: the floor holds until then, and step-down starts. */
  readonly holdUntil: string;
  readonly fleets: FleetPlan[];
}

/** The plan of every event in a config. */
export interface Plan {
  readonly events: EventPlan[];
}

/** A fleet's fitted model, keyed by fleet id. */
export type FleetModels = Readonly<Record<string, CapacityModel>>;

/** Options of the planner. */
export interface PlannerOptions {
  /** Fewest scaling-test points that make a fit worth trusting. @default 5 */
  readonly minPoints?: number;
  /** Lowest R² that makes a fit worth trusting. @default 0.95 */
  readonly minR2?: number;
}

/** Plans every event in the config (deterministic: the same inputs give the same plan). */
export function planAll(config: Config, models: FleetModels, options: PlannerOptions = {}): Plan {
  return { events: config.events.map((e) => planEvent(e, config, models, options)) };
}

/** Plans one event: how many tasks each of its fleets needs, and the timeline of steps that gets them there. */
export function planEvent(
  event: EventConfig,
  config: Config,
  models: FleetModels,
  options: PlannerOptions = {},
): EventPlan {
  const minPoints = options.minPoints ?? 5;
  const minR2 = options.minR2 ?? MIN_TRUSTED_R2;
  const startMs = eventStartMs(event);
  const endMs = eventEndMs(event);
  const doorsOpenMs = startMs - minutes(event.arrival.earlyMinutes);
  const holdUntilMs = endMs + minutes(event.tailMinutes);
  const fleetById = new Map(config.fleets.map((f) => [f.id, f]));

  const sized = event.fleets.map((ef) => {
    const fleet = fleetById.get(ef.fleet) as FleetConfig;
    const model = models[ef.fleet];
    if (!model) throw new RangeError(`no capacity model for fleet ${ef.fleet}`);
    const forecast = forecastOf(event);
    const sized = sizeFleet(
      fleet,
      model,
      forecast.expected * ef.share,
      forecast.upper / forecast.expected - 1,
      minPoints,
      minR2,
    );
    if (forecast.source === 'headroom' && event.headroom > 0 && !model.fallback)
      sized.warnings.push(flatHeadroomWarning(model, sized, event.headroom));
    return sized;
  });
  capToVcpuQuota(sized, config);

  const fleets = sized.map((s): FleetPlan => {
    const { fleet, model } = s;
    const diff = Math.max(0, s.target - fleet.baselineTasks);
    const launchMinutes = Math.max(1, Math.ceil(diff / fleet.launchRatePerMinute));
    const leadMs = fleet.startupSeconds * 1000 + minutes(launchMinutes) + minutes(event.safetyMarginMinutes);
    // Schedules fire on whole minutes; rounding down only adds lead.
    const rampStartMs = Math.floor((doorsOpenMs - leadMs) / minutes(1)) * minutes(1);
    const steps: PlanStep[] = [];
    for (let k = 1; k <= launchMinutes; k++) {
      const tasks = Math.min(s.target, fleet.baselineTasks + k * fleet.launchRatePerMinute);
      steps.push({ at: isoUtc(rampStartMs + minutes(k - 1)), tasks: Math.max(tasks, fleet.baselineTasks) });
    }
    if (s.target > fleet.baselineTasks) {
      const n = event.stepDown.steps;
      for (let k = 1; k <= n; k++) {
        const tasks = s.target - Math.round(((s.target - fleet.baselineTasks) * k) / n);
        steps.push({ at: isoUtc(holdUntilMs + minutes(event.stepDown.intervalMinutes * (k - 1))), tasks });
      }
    }
    return {
      fleet: fleet.id,
      model: summarize(model),
      listeners: Math.round(s.listeners),
      neededTasks: s.target,
      baselineTasks: fleet.baselineTasks,
      leadSeconds: Math.round((doorsOpenMs - rampStartMs) / 1000),
      rampStart: isoUtc(rampStartMs),
      readyAt: isoUtc(rampStartMs + minutes(launchMinutes) + fleet.startupSeconds * 1000),
      steps,
      warnings: s.warnings,
    };
  });

  return {
    id: event.id,
    title: event.title,
    start: isoUtc(startMs),
    end: isoUtc(endMs),
    doorsOpen: isoUtc(doorsOpenMs),
    holdUntil: isoUtc(holdUntilMs),
    fleets,
  };
}

/** The floor a list of plan steps gives at an instant: the last step at or before it, else `before`. */
export function stepFloor(steps: readonly PlanStep[], atMs: number, before: number): number {
  let floor = before;
  for (const step of steps) {
    if (Date.parse(step.at) <= atMs) floor = step.tasks;
    else break;
  }
  return floor;
}

/** The plan's floor for a fleet at an instant: the last step at or before it, else the baseline. */
export function floorAt(plan: FleetPlan, atMs: number): number {
  return stepFloor(plan.steps, atMs, plan.baselineTasks);
}

interface Sized {
  fleet: FleetConfig;
  model: CapacityModel;
  /** The forecast's share for the fleet, before headroom. */
  forecastListeners: number;
  listeners: number;
  /** Sized by the straight line through the test's largest step, past a peak the steps cannot place. */
  byLine: boolean;
  target: number;
  warnings: PlanWarning[];
}

/**
 * Headroom costing more than this many times its own share in tasks means the fleet is on the flat part of its
 * curve: 30% more listeners for 60% or more tasks.
 */
const NEAR_PEAK_HEADROOM_COST = 2;

function sizeFleet(
  fleet: FleetConfig,
  model: CapacityModel,
  forecastListeners: number,
  headroom: number,
  minPoints: number,
  minR2: number,
): Sized {
  const listeners = forecastListeners * (1 + headroom);
  const warnings: PlanWarning[] = [...(model.caveats ?? [])];
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  if (model.points < minPoints) {
    warnings.push({
      code: 'FEW_POINTS',
      message: `the scaling test has ${model.points} steps; a fit needs at least ${minPoints} to be trusted: test more fleet sizes`,
    });
  }
  if (model.r2 < minR2 && !model.caveats?.some((c) => c.code === 'UNTRUSTED_FIT')) {
    warnings.push({
      code: 'POOR_FIT',
      message: `the capacity model fits the scaling test poorly (R² ${model.r2.toFixed(3)} < ${minR2}): check the test for unsteady steps and re-run it`,
    });
  }
  const inverse = tasksFor(model, listeners);
  let raw: number;
  let byLine = false;
  if (inverse.reachable && inverse.tasks !== null) raw = inverse.tasks;
  else if (model.peakNotPlaced && model.peakTasks !== null && model.peakListeners !== null) {
    // The steps stop short of a peak they cannot place: holding the fleet at it would hold it at a guess, maybe far
    // under the forecast. The watch comes back to a smaller size if the fleet carries less there.
    raw = tasksToHold(model, listeners, model.maxTestedTasks) ?? model.peakTasks;
    byLine = true;
    warnings.push({
      code: 'BEYOND_USL_PEAK',
      message: `needs ${fmt(listeners)} listeners but the fit peaks at ${fmt(model.peakListeners)} with ${fmt(model.peakTasks)} tasks, past the test's largest step (${fmt(model.maxTestedTasks)} tasks), where a curve with no peak fits the steps as well: planned ${fmt(raw)} tasks, ${raw === model.peakTasks ? 'the fitted peak (the straight line through that step needs no more)' : 'on a straight line through that step'}; run a scaling test past ${fmt(model.peakTasks)} tasks, or split the audience across fleets (cells)`,
    });
  } else {
    // Beyond the peak more tasks carry fewer listeners; without a peak more tasks still help a little.
    raw = inverse.tasks ?? fleet.maxTasks;
    const cells = model.peakListeners ? Math.ceil(listeners / model.peakListeners) : 2;
    warnings.push({
      code: 'BEYOND_USL_PEAK',
      message:
        model.peakTasks !== null && model.peakListeners !== null
          ? `needs ${fmt(listeners)} listeners but one fleet peaks at ${fmt(model.peakListeners)} with ${fmt(model.peakTasks)} tasks (more tasks carry fewer): split the audience across at least ${cells} fleets (cells) of at most ${fmt(model.peakTasks)} tasks each`
          : `needs ${fmt(listeners)} listeners but one fleet approaches at most ${fmt(model.peakListeners ?? 0)}: split the audience across at least ${cells} fleets (cells)`,
    });
  }
  const bare = tasksFor(model, forecastListeners);
  const headroomCost =
    inverse.reachable && inverse.tasks !== null && bare.reachable && bare.tasks
      ? inverse.tasks / bare.tasks - 1
      : 0;
  if (headroom > 0 && model.peakListeners !== null && headroomCost > NEAR_PEAK_HEADROOM_COST * headroom) {
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    warnings.push({
      code: 'NEAR_USL_PEAK',
      message: `the ${pct(headroom)} headroom costs ${pct(headroomCost)} more tasks (${fmt(bare.tasks ?? 0)} to ${fmt(raw)}): ${fmt(listeners)} listeners is ${pct(listeners / model.peakListeners)} of the most one fleet carries (${fmt(model.peakListeners)}), where each task adds little; split the audience across fleets (cells) to make headroom cheaper`,
    });
  }
  // The fleet opted into its ceiling when its test could not be trusted (the UNTRUSTED_FIT caveat says so).
  if (model.fallback === 'max-tasks') raw = fleet.maxTasks;
  else if (raw > model.maxTestedTasks) {
    warnings.push({
      code: 'EXTRAPOLATION',
      message: `needs ${fmt(raw)} tasks but the scaling test went only to ${fmt(model.maxTestedTasks)}: the model is extrapolated${model.bendNotShown ? ` (its steps show no bend beyond their scatter, so it is a straight line of ${fmt(model.lambda)} listeners a task: the contention larger fleets meet is unmeasured, and the watch corrects it only once the fleet fills)` : ''}; run a scaling test at ${fmt(raw)} tasks before the event`,
    });
  }
  if (raw > ECS_MAX_TASKS_PER_SERVICE) {
    warnings.push({
      code: 'SERVICE_LIMIT',
      message: `needs ${fmt(raw)} tasks but one ECS service holds at most ${fmt(ECS_MAX_TASKS_PER_SERVICE)}: add services (cells) and split the audience`,
    });
  }
  if (raw > fleet.maxTasks) {
    warnings.push({
      code: 'MAX_TASKS',
      message: `needs ${fmt(raw)} tasks but maxTasks is ${fmt(fleet.maxTasks)}: capped at ${fmt(fleet.maxTasks)}; raise maxTasks or add fleets`,
    });
  }
  const target = Math.max(fleet.baselineTasks, Math.min(raw, fleet.maxTasks));
  return { fleet, model, forecastListeners, listeners, byLine, target, warnings };
}

/** What a flat headroom costs: the event states no forecast error, so the plan adds the same share whatever the risk. */
function flatHeadroomWarning(model: CapacityModel, sized: Sized, headroom: number): PlanWarning {
  const bare = tasksFor(model, sized.listeners / (1 + headroom));
  const extra = bare.reachable && bare.tasks !== null ? Math.max(0, sized.target - bare.tasks) : null;
  const pct = Math.round(headroom * 100);
  return {
    code: 'FLAT_HEADROOM',
    message: `a flat ${pct}% headroom over the forecast${extra !== null ? ` costs ${extra.toLocaleString('en-US')} tasks` : ''}: state forecastError (or expectedPeakListeners as { p50, p90 }) so the plan covers the forecast's real uncertainty and the watch covers the rest`,
  };
}

/**
 * Fits each region's fleets into its vCPU quota: the vCPU over the region's baselines goes, a step at a time, where it
 * adds the most listeners the audience is likely to bring (see {@link shareVcpu}); steps the models say add no one
 * share what is left in proportion to what each fleet still asks. A share in proportion to the asks alone would let a
 * fleet whose plan sits on the flat of its curve (a need past the most it can carry) take vCPU that another fleet
 * turns into listeners.
 */
function capToVcpuQuota(sized: Sized[], config: Config): void {
  const regions = new Set(sized.map((s) => s.fleet.region));
  for (const region of regions) {
    const quota = config.regions[region]?.fargateVcpuQuota ?? Infinity;
    const inRegion = sized.filter((s) => s.fleet.region === region);
    const baselineVcpu = config.fleets
      .filter((f) => f.region === region)
      .reduce((sum, f) => sum + f.baselineTasks * f.vcpuPerTask, 0);
    const extraVcpu = inRegion.reduce(
      (sum, s) => sum + (s.target - s.fleet.baselineTasks) * s.fleet.vcpuPerTask,
      0,
    );
    const wanted = baselineVcpu + extraVcpu;
    if (wanted <= quota || extraVcpu === 0) continue;
    const granted = shareVcpu(inRegion, Math.max(0, quota - baselineVcpu));
    inRegion.forEach((s, i) => {
      const before = s.target;
      s.target = granted[i]!;
      s.warnings.push({
        code: 'VCPU_QUOTA',
        message: `the event needs ${wanted.toLocaleString('en-US')} vCPU in ${region} but the Fargate quota is ${quota.toLocaleString('en-US')}: capped at ${s.target.toLocaleString('en-US')} of ${before.toLocaleString('en-US')} tasks (the quota goes first where a vCPU carries the most listeners the forecast expects); request a quota increase (L-3032A538) to at least ${Math.ceil(wanted).toLocaleString('en-US')} vCPU`,
      });
    });
  }
}

/** Steps of the greedy share per fleet: fine enough to follow a curve, few enough for hundreds of fleets. */
const SHARE_STEPS = 200;

/** The standard normal quantile at 0.9: the upper forecast is read as the audience's 90th percentile. */
const Z90 = 1.2816;

/**
 * Tasks for each fleet within `budget` vCPU over their baselines. A step's worth is the listeners it adds that the
 * audience is likely to bring (see likelyBetween), a vCPU: capacity under a forecast is worth more than headroom over
 * one, and a task on the flat of a curve is worth what little it adds.
 */
function shareVcpu(fleets: readonly Sized[], budget: number): number[] {
  const tasks = fleets.map((s) => s.fleet.baselineTasks);
  let left = budget;
  // The next step of a fleet and what it is worth a vCPU, or undefined when the fleet has its ask or no vCPU fits.
  const next = (i: number): Step | undefined => {
    const s = fleets[i]!;
    const room = Math.min(s.target - tasks[i]!, Math.floor(left / s.fleet.vcpuPerTask));
    if (room <= 0) return undefined;
    const step = Math.min(room, Math.max(1, Math.ceil((s.target - s.fleet.baselineTasks) / SHARE_STEPS)));
    // The fleet as its plan reads it: the curve, or the line its plan was sized by.
    const carried = (n: number) =>
      s.byLine ? plannedCapacity(s.model, n, s.model.maxTestedTasks) : uslCapacity(s.model, n);
    const from = carried(tasks[i]!);
    const to = carried(tasks[i]! + step);
    const worth = likelyBetween(s, from, to) / (step * s.fleet.vcpuPerTask);
    return worth > 0 ? { i, step, worth } : undefined;
  };
  // Only the fleet that took a step changes its next one, so the steps wait in a heap, the most worth first; once
  // what is left of the quota no longer fits a waiting step, every step is sized again (as a full scan would).
  let heap = new StepHeap();
  let largest = 0;
  const refill = () => {
    heap = new StepHeap();
    largest = 0;
    fleets.forEach((s, i) => {
      const step = next(i);
      if (!step) return;
      heap.push(step);
      largest = Math.max(largest, step.step * s.fleet.vcpuPerTask);
    });
  };
  refill();
  for (let top = heap.pop(); top; top = heap.pop()) {
    const vcpu = top.step * fleets[top.i]!.fleet.vcpuPerTask;
    tasks[top.i]! += top.step;
    left -= vcpu;
    if (left < largest) refill();
    else {
      const step = next(top.i);
      if (step) {
        heap.push(step);
        largest = Math.max(largest, step.step * fleets[top.i]!.fleet.vcpuPerTask);
      }
    }
  }
  // Steps worth nothing by the model (past a peak the test placed, say) share what is left, as asked.
  const asked = fleets.reduce((sum, s, i) => sum + (s.target - tasks[i]!) * s.fleet.vcpuPerTask, 0);
  const factor = asked > 0 ? Math.min(1, left / asked) : 0;
  return fleets.map((s, i) => tasks[i]! + Math.floor((s.target - tasks[i]!) * factor));
}

/**
 * Listeners between `from` and `to` that the audience is likely to bring: each weighted by the chance the audience
 * comes that far (normal, with the forecast and its upper bound read as the 50th and 90th percentiles; with no
 * spread, all of the forecast and nothing past it). Negative when `to` is under `from`.
 */
function likelyBetween(s: Sized, from: number, to: number): number {
  const spread = (s.listeners - s.forecastListeners) / Z90;
  if (spread <= 0) return Math.min(to, s.forecastListeners) - Math.min(from, s.forecastListeners);
  // The integral of P(Z > z) is -(phi(z) - z P(Z > z)).
  const g = (x: number) => {
    const z = (x - s.forecastListeners) / spread;
    return Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI) - z * normalTail(z);
  };
  return spread * (g(from) - g(to));
}

/** One fleet's next step in the quota's share: `step` tasks, worth `worth` listeners a vCPU. */
interface Step {
  readonly i: number;
  readonly step: number;
  readonly worth: number;
}

/** A binary max-heap of steps by worth; of equal worth, the fleet listed first comes first (the plan is deterministic). */
class StepHeap {
  private readonly items: Step[] = [];

  push(step: Step): void {
    const a = this.items;
    a.push(step);
    for (let k = a.length - 1; k > 0;) {
      const parent = (k - 1) >> 1;
      if (!before(a[k]!, a[parent]!)) break;
      [a[k], a[parent]] = [a[parent]!, a[k]!];
      k = parent;
    }
  }

  pop(): Step | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      for (let k = 0; ;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === k) break;
        [a[k], a[m]] = [a[m]!, a[k]!];
        k = m;
      }
    }
    return top;
  }
}

function before(x: Step, y: Step): boolean {
  return x.worth > y.worth || (x.worth === y.worth && x.i < y.i);
}

/** P(Z > z) for a standard normal Z (Abramowitz and Stegun 7.1.26, error under 1.5e-7). */
function normalTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

function summarize(m: CapacityModel): ModelSummary {
  return {
    listenersPerTask: m.lambda,
    sigma: m.sigma,
    kappa: m.kappa,
    peakTasks: m.peakTasks,
    peakListeners: m.peakListeners,
    r2: m.r2,
    maxTestedTasks: m.maxTestedTasks,
    ...(m.peakNotPlaced ? { peakNotPlaced: true as const } : {}),
  };
}
