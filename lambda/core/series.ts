/** One datapoint of a metric: the start of its period (UTC ms) and its value. */
export interface Datapoint {
  readonly t: number;
  readonly v: number;
}

/** A metric's datapoints, oldest first. */
export type Series = readonly Datapoint[];

/** Why a series cannot be trusted this tick. */
export type SeriesProblem = 'missing' | 'not-a-number' | 'negative' | 'stale';

/**
 * The usable part of a series: finite, non-negative points, sorted. `problem` says why the newest point is not
 * usable (so a decision holds instead of acting on it); older bad points are simply dropped.
 */
export function cleanSeries(
  series: Series | undefined,
  nowMs: number,
  maxAgeMs: number,
): { points: Datapoint[]; problem?: SeriesProblem } {
  if (!series || series.length === 0) return { points: [], problem: 'missing' };
  const sorted = [...series].sort((a, b) => a.t - b.t);
  const newest = sorted[sorted.length - 1] as Datapoint;
  const points = sorted.filter((p) => Number.isFinite(p.v) && p.v >= 0 && Number.isFinite(p.t));
  if (!Number.isFinite(newest.v)) return { points, problem: 'not-a-number' };
  if (newest.v < 0) return { points, problem: 'negative' };
  if (nowMs - newest.t > maxAgeMs) return { points, problem: 'stale' };
  return { points };
}

/**
 * How old a fleet's newest datapoint may be and still be current: a period's datapoint is complete a period plus the
 * metric delay after the period starts, the next one a period later, and a tick may read it up to two ticks late.
 */
export function freshAgeMs(
  metrics: { periodSeconds: number; delaySeconds: number },
  tickSeconds: number,
): number {
  return (2 * metrics.periodSeconds + metrics.delaySeconds + 2 * tickSeconds) * 1000;
}

/** The newest value of a cleaned series, or undefined. */
export function latest(points: readonly Datapoint[]): number | undefined {
  return points.length ? points[points.length - 1]?.v : undefined;
}
