import type { ScalingPoint } from './scaling-test';

/** Universal Scalability Law parameters: X(N) = lambda*N / (1 + sigma*(N-1) + kappa*N*(N-1)). */
export interface UslParams {
  /** Listeners one task carries with no contention (listeners per task). */
  readonly lambda: number;
  /** Contention (serial fraction). */
  readonly sigma: number;
  /** Coherency (crosstalk) cost; 0 reduces the law to Amdahl's. */
  readonly kappa: number;
}

/** A capacity model fitted to one fleet's scaling test. */
export interface CapacityModel extends UslParams {
  /** Task count at which capacity peaks; null when capacity never turns down (kappa = 0). */
  readonly peakTasks: number | null;
  /** Capacity at the peak (or the asymptote lambda/sigma when kappa = 0); null when unbounded. */
  readonly peakListeners: number | null;
  /** Coefficient of determination of the fit. */
  readonly r2: number;
  /** Largest fleet size the scaling test measured. */
  readonly maxTestedTasks: number;
  /** Number of steps in the scaling test. */
  readonly points: number;
  /**
   * CPU percent at which a task carries its capacity, as the test recorded it: the least CPU of its larger steps;
   * absent without a cpu column. The fleet's `cpuAtCapacity` overrides it where the watch reads CPU.
   */
  readonly cpuAtCapacity?: number;
  /** What plans from this model must warn about (steps left out of the fit, a fallback in use); absent when none. */
  readonly caveats?: readonly ModelCaveat[];
  /** Set when the fit was not trusted and the fleet opted into planning its maxTasks instead. */
  readonly fallback?: 'max-tasks';
  /** Set when the test's steps showed no bend beyond their scatter, so the model is the straight line through them. */
  readonly bendNotShown?: true;
  /** Most listeners per task any step of the test carried: a least on what one task carries alone (a line's λ is an average). */
  readonly bestPerTask?: number;
  /**
   * Set when the peak lies past the largest step and a curve with no peak (Amdahl's) fits the steps within their
   * scatter: the bend is shown, but not where it turns down, so the peak is a guess the steps cannot place.
   */
  readonly peakNotPlaced?: true;
}

/** Something about how a model was made that every plan from it must say. */
export interface ModelCaveat {
  readonly code: 'OUTLIER' | 'LOAD_LIMITED' | 'UNTRUSTED_FIT';
  readonly message: string;
}

/** Lowest R² that makes a fit worth trusting; below it the plan would rest on a curve the test does not show. */
export const MIN_TRUSTED_R2 = 0.95;

const NO_PEAK_BEYOND_TASKS = 1e9;
/** Parameters whose effect at the largest tested fleet is below this are noise: they are reported as 0. */
const NEGLIGIBLE = 1e-9;

/** Listeners N tasks carry under the law. */
export function uslCapacity(p: UslParams, n: number): number {
  if (n <= 0) return 0;
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

/** The whole-task peak of the curve and its capacity. */
export function uslPeak(p: UslParams): { tasks: number | null; listeners: number | null } {
  const real = p.kappa > 0 ? Math.sqrt(Math.max(0, 1 - p.sigma) / p.kappa) : Infinity;
  // A peak past a billion tasks is no peak any fleet will meet: treat the curve as Amdahl's.
  if (!(real <= NO_PEAK_BEYOND_TASKS)) {
    return { tasks: null, listeners: p.sigma > 0 ? p.lambda / p.sigma : null };
  }
  const lo = Math.max(1, Math.floor(real));
  const hi = Math.max(1, Math.ceil(real));
  const tasks = uslCapacity(p, hi) > uslCapacity(p, lo) ? hi : lo;
  return { tasks, listeners: uslCapacity(p, tasks) };
}

/**
 * Fewest tasks that carry `listeners`. `reachable` is false when no fleet size can (beyond the USL peak);
 * then `tasks` is the peak size, the most useful size there is, or null when the curve has no peak.
 */
export function tasksFor(p: UslParams, listeners: number): { tasks: number | null; reachable: boolean } {
  if (listeners <= 0) return { tasks: 0, reachable: true };
  if (p.lambda <= 0) return { tasks: null, reachable: false };
  // L*D(N) <= lambda*N  <=>  a*N^2 + b*N + c <= 0
  const a = listeners * p.kappa;
  const b = listeners * p.sigma - listeners * p.kappa - p.lambda;
  const c = listeners * (1 - p.sigma);
  let root: number | undefined;
  if (a === 0) {
    if (b < 0) root = c / -b;
  } else {
    const disc = b * b - 4 * a * c;
    if (disc >= 0 && b < 0) root = (2 * c) / (-b + Math.sqrt(disc)); // the smaller root, computed stably
  }
  const peak = uslPeak(p);
  if (root === undefined) return { tasks: peak.tasks, reachable: false };
  let n = Math.max(1, Math.ceil(root - 1e-9));
  // Rounding in the root can land one task off either way; the law itself has the last word.
  while (n > 1 && uslCapacity(p, n - 1) >= listeners) n--;
  if (uslCapacity(p, n) < listeners) {
    if (uslCapacity(p, n + 1) >= listeners) n++;
    else return { tasks: peak.tasks, reachable: false };
  }
  return { tasks: n, reachable: true };
}

/**
 * Tasks to hold for `listeners`: the fewest that carry them; past the peak, the peak (more tasks carry fewer), unless
 * the peak is one the test's steps cannot place (see {@link CapacityModel.peakNotPlaced}): then the straight line
 * through the largest step, `placedTo` tasks, as a team would size from its test, and never under the peak.
 */
export function tasksToHold(p: UslParams, listeners: number, placedTo?: number): number | null {
  const inverse = tasksFor(p, listeners);
  if (inverse.reachable || inverse.tasks === null || placedTo === undefined) return inverse.tasks;
  const perTask = linePerTask(p, placedTo);
  return perTask > 0 ? Math.max(inverse.tasks, Math.ceil(listeners / perTask)) : inverse.tasks;
}

/**
 * Listeners `tasks` carry as a plan sized past a peak its test cannot place counts them ({@link tasksToHold} with
 * `placedTo`): the curve over the steps, and past the largest, `placedTo` tasks, the straight line through it (a curve
 * with no peak fits the steps as well; the line is what such a plan holds the fleet to).
 */
export function plannedCapacity(p: UslParams, tasks: number, placedTo: number): number {
  if (tasks <= placedTo) return uslCapacity(p, tasks);
  return Math.max(uslCapacity(p, tasks), tasks * linePerTask(p, placedTo));
}

/** Listeners a task of the straight line through the curve at `placedTo` tasks carries. */
function linePerTask(p: UslParams, placedTo: number): number {
  return uslCapacity(p, placedTo) / placedTo;
}

/** The 95% quantile of the F distribution with 2 and `df` degrees of freedom (closed form: (df/2)(0.05^(-2/df) - 1)). */
export function fQuantile95Of2(df: number): number {
  return (df / 2) * (0.05 ** (-2 / df) - 1);
}

/**
 * Least-squares fit of the USL to scaling-test points with non-negative sigma and kappa, or the straight line through
 * them when their bend is no more than their scatter explains.
 * For fixed sigma and kappa the best lambda has a closed form, so the search runs over two parameters only
 * (variable projection), from a coarse grid and then Nelder-Mead.
 */
export function fitUsl(
  points: readonly ScalingPoint[],
  options: {
    /** Keep the law's bend only where the steps show it (else a straight line). @default true */
    readonly onlyShownBend?: boolean;
  } = {},
): CapacityModel {
  if (points.length === 0) throw new RangeError('fitUsl needs at least one point');
  const ns = points.map((p) => p.tasks);
  const xMax = Math.max(...points.map((p) => p.listeners)) || 1;
  const xs = points.map((p) => p.listeners / xMax);
  const nMax = Math.max(...ns);
  const distinct = new Set(ns).size;

  // sigma = u/nMax and kappa = v/nMax^2 put both terms on the scale of the largest tested fleet.
  const params = (u: number, v: number) => ({ sigma: u / nMax, kappa: v / (nMax * nMax) });
  const evaluate = (u: number, v: number) => {
    const { sigma, kappa } = params(u, v);
    let sxf = 0;
    let sff = 0;
    const f = ns.map((n) => n / (1 + sigma * (n - 1) + kappa * n * (n - 1)));
    f.forEach((fi, i) => {
      sxf += (xs[i] ?? 0) * fi;
      sff += fi * fi;
    });
    const lambda = sff > 0 ? sxf / sff : 0;
    let sse = 0;
    f.forEach((fi, i) => {
      const r = (xs[i] ?? 0) - lambda * fi;
      sse += r * r;
    });
    return { lambda, sse };
  };

  const linear = { u: 0, v: 0, sse: evaluate(0, 0).sse };
  // The best fit with the terms given free: sigma alone (Amdahl's law) or sigma and kappa (the whole law).
  const search = (freeKappa: boolean) => {
    let best = linear;
    const grid = [0, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
    const seeds: { u: number; v: number; sse: number }[] = [];
    for (const u of grid)
      for (const v of freeKappa ? grid : [0]) seeds.push({ u, v, sse: evaluate(u, v).sse });
    seeds.sort((p, q) => p.sse - q.sse);
    for (const seed of seeds.slice(0, 4)) {
      // Squares keep the parameters non-negative while letting the search reach exactly zero.
      const objective = freeKappa
        ? (x: number[]) => evaluate((x[0] ?? 0) ** 2, (x[1] ?? 0) ** 2).sse
        : (x: number[]) => evaluate((x[0] ?? 0) ** 2, 0).sse;
      const start = freeKappa ? [Math.sqrt(seed.u), Math.sqrt(seed.v)] : [Math.sqrt(seed.u)];
      const x = nelderMead(objective, start);
      const sse = objective(x);
      if (sse < best.sse) {
        const u = (x[0] ?? 0) ** 2;
        const v = freeKappa ? (x[1] ?? 0) ** 2 : 0;
        best = { u: u < NEGLIGIBLE ? 0 : u, v: v < NEGLIGIBLE ? 0 : v, sse };
      }
    }
    return best;
  };
  const n = points.length;
  const whole = distinct >= 3 ? search(true) : distinct >= 2 ? search(false) : linear;
  // The curve bends only where the test's steps show a bend: the law's fit must beat a straight line by more than
  // their scatter explains. Otherwise its bend is noise, and a peak drawn from it is one the test never came near: a
  // test stopped at 10 tasks whose last step sits 3% low would put the fleet's peak at 33 tasks.
  // The F test of the bend's two terms (sigma and kappa) needs them both free and a degree of freedom left over: with
  // fewer than three sizes, or three steps, there is no scatter to judge by, and the fit stands as it is.
  const df = n - 3;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sst = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
  const r2Of = (sse: number) => (sst > 0 ? 1 - sse / sst : sse < 1e-12 ? 1 : 0);
  const judged = options.onlyShownBend !== false && distinct >= 3 && df >= 1 && whole.sse > 1e-12;
  // A curve with this squared error is inside the 95% region around the law's fit: the steps cannot tell it apart.
  const withinScatter = (sse: number) => (sse - whole.sse) / 2 <= (fQuantile95Of2(df) * whole.sse) / df;
  const bent =
    !judged ||
    !withinScatter(linear.sse) ||
    // Steps too scattered to trust a straight line through them either are judged on the law's fit, as before.
    (r2Of(linear.sse) < MIN_TRUSTED_R2 && r2Of(whole.sse) >= MIN_TRUSTED_R2);
  const best = bent ? whole : linear;
  const { sigma, kappa } = params(best.u, best.v);
  const { lambda: lambdaNorm, sse } = evaluate(best.u, best.v);
  const model: UslParams = { lambda: lambdaNorm * xMax, sigma, kappa };
  const peak = uslPeak(model);
  // Where the steps stop short of the peak, they may show contention yet say nothing of where it turns capacity down:
  // if the best curve without a peak (sigma alone) is inside the same 95% region as the bend's test uses, the steps
  // cannot tell a peak there from none.
  const peakNotPlaced =
    judged && bent && peak.tasks !== null && peak.tasks > nMax && withinScatter(search(false).sse);
  const bestPerTask = Math.max(...points.map((p) => (p.tasks > 0 ? p.listeners / p.tasks : 0)));
  return {
    ...model,
    peakTasks: peak.tasks,
    peakListeners: peak.listeners,
    r2: r2Of(sse),
    maxTestedTasks: nMax,
    points: points.length,
    ...(bent ? {} : { bendNotShown: true as const }),
    ...(peakNotPlaced ? { peakNotPlaced: true as const } : {}),
    ...(bestPerTask > 0 ? { bestPerTask } : {}),
  };
}

/** A step the robust fit left out, and the listeners the curve of the other steps gives at its size. */
export interface Outlier {
  /** Index into the points given. */
  readonly index: number;
  readonly expected: number;
}

/**
 * A step this far off the curve of the others (in natural log of listeners: 0.25 is about 28%) may be an outlier;
 * scaling-test steps repeat to within a few percent.
 */
const OUTLIER_MIN_LOG_ERROR = 0.25;
/** ...and only when it is this many times further off than the other steps are on average. */
const OUTLIER_SPREAD_FACTOR = 5;
/** Steps that must remain after outliers are left out: enough to fit three parameters and still see the fit. */
const MIN_POINTS_AFTER_OUTLIERS = 4;

/**
 * {@link fitUsl} that first leaves out the steps far off the curve the other steps give (leave-one-out: the step
 * whose removal lets the rest fit best, if the rest's curve misses it by a wide margin; repeated while one stands
 * out), at most a quarter of the steps.
 */
export function fitUslRobust(points: readonly ScalingPoint[]): { model: CapacityModel; outliers: Outlier[] } {
  let kept = points.map((_, i) => i);
  const outliers: Outlier[] = [];
  const maxOutliers = Math.max(1, Math.floor(points.length / 4));
  const logError = (p: ScalingPoint, m: UslParams) => {
    const predicted = uslCapacity(m, p.tasks);
    if (p.listeners <= 0 || predicted <= 0) return p.listeners === predicted ? 0 : Infinity;
    return Math.log(p.listeners / predicted);
  };
  while (outliers.length < maxOutliers && kept.length > MIN_POINTS_AFTER_OUTLIERS) {
    let worst: { index: number; error: number; spread: number; expected: number } | undefined;
    for (const i of kept) {
      const rest = kept.filter((k) => k !== i).map((k) => points[k] as ScalingPoint);
      if (new Set(rest.map((p) => p.tasks)).size < 3) continue;
      // The whole law, bend and all: a step is an outlier against the curve the others draw, not against a straight
      // line a few steps cannot tell from it.
      const m = fitUsl(rest, { onlyShownBend: false });
      const point = points[i] as ScalingPoint;
      const error = Math.abs(logError(point, m));
      const spread = Math.sqrt(rest.reduce((s, p) => s + logError(p, m) ** 2, 0) / rest.length);
      if (!worst || error > worst.error) {
        worst = { index: i, error, spread, expected: uslCapacity(m, point.tasks) };
      }
    }
    if (!worst || worst.error < Math.max(OUTLIER_MIN_LOG_ERROR, OUTLIER_SPREAD_FACTOR * worst.spread)) break;
    const out = worst.index;
    outliers.push({ index: out, expected: worst.expected });
    kept = kept.filter((k) => k !== out);
  }
  return { model: fitUsl(kept.map((k) => points[k] as ScalingPoint)), outliers };
}

/** Nelder-Mead minimisation; small and dependency-free because the problems here have two or three parameters. */
export function nelderMead(
  f: (x: number[]) => number,
  start: number[],
  maxIter = 4000,
  /** Stop once the simplex is this small (in the parameters' own units). */
  minSize = 1e-12,
): number[] {
  const dim = start.length;
  let simplex = [start];
  for (let i = 0; i < dim; i++) {
    const p = [...start];
    p[i] = (p[i] ?? 0) !== 0 ? (p[i] ?? 0) * 1.25 : 0.05;
    simplex.push(p);
  }
  let values = simplex.map(f);
  const combine = (a: number[], b: number[], t: number) => a.map((ai, i) => ai + t * (ai - (b[i] ?? 0)));
  for (let iter = 0; iter < maxIter; iter++) {
    const order = values.map((v, i) => i).sort((i, j) => (values[i] ?? 0) - (values[j] ?? 0));
    simplex = order.map((i) => simplex[i] as number[]);
    values = order.map((i) => values[i] as number);
    const bestV = values[0] as number;
    const worstV = values[dim] as number;
    const size = Math.max(
      ...simplex.slice(1).map((p) => Math.max(...p.map((x, i) => Math.abs(x - (simplex[0]?.[i] ?? 0))))),
    );
    if (Math.abs(worstV - bestV) <= 1e-16 * (Math.abs(bestV) + 1e-30) + 1e-30 && size < 1e-10) break;
    if (size < minSize) break;
    const centroid = new Array<number>(dim).fill(0);
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++) centroid[j] = (centroid[j] ?? 0) + (simplex[i]?.[j] ?? 0) / dim;
    const worst = simplex[dim] as number[];
    const reflected = combine(centroid, worst, 1);
    const fr = f(reflected);
    if (fr < bestV) {
      const expanded = combine(centroid, worst, 2);
      const fe = f(expanded);
      if (fe < fr) {
        simplex[dim] = expanded;
        values[dim] = fe;
      } else {
        simplex[dim] = reflected;
        values[dim] = fr;
      }
    } else if (fr < (values[dim - 1] as number)) {
      simplex[dim] = reflected;
      values[dim] = fr;
    } else {
      const contracted = fr < worstV ? combine(centroid, worst, 0.5) : combine(centroid, worst, -0.5);
      const fc = f(contracted);
      if (fc < Math.min(fr, worstV)) {
        simplex[dim] = contracted;
        values[dim] = fc;
      } else {
        const best = simplex[0] as number[];
        simplex = simplex.map((p, i) =>
          i === 0 ? p : p.map((x, k) => (best[k] ?? 0) + 0.5 * (x - (best[k] ?? 0))),
        );
        values = simplex.map(f);
      }
    }
  }
  let bi = 0;
  values.forEach((v, i) => {
    if (v < (values[bi] ?? Infinity)) bi = i;
  });
  return simplex[bi] as number[];
}
