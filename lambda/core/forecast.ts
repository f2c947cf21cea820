import type { Datapoint } from './series';

/** Options of Holt's linear (double exponential) smoothing. */
export interface HoltOptions {
  /** Weight of the newest level. @default 0.5 */
  readonly alpha?: number;
  /** Weight of the newest trend. @default 0.4 */
  readonly beta?: number;
}

/** Where a series is heading: smoothed level now, trend per ms, and the value at the horizon. */
export interface Forecast {
  readonly level: number;
  readonly trendPerMs: number;
  /** Forecast value at `atMs`, never below 0. */
  readonly value: number;
  readonly atMs: number;
}

/**
 * Holt's linear smoothing over irregularly spaced points, extrapolated to `atMs`. With one point the trend is 0.
 * The value is never negative.
 */
export function holtForecast(
  points: readonly Datapoint[],
  atMs: number,
  options: HoltOptions = {},
): Forecast | undefined {
  const alpha = options.alpha ?? 0.5;
  const beta = options.beta ?? 0.4;
  const first = points[0];
  if (!first) return undefined;
  let level = first.v;
  let trend = 0; // per ms
  let t = first.t;
  const second = points[1];
  if (second && second.t > first.t) {
    // Classic initialisation: the first difference is the first trend.
    level = second.v;
    trend = (second.v - first.v) / (second.t - first.t);
    t = second.t;
  }
  for (let i = 2; i < points.length; i++) {
    const p = points[i] as Datapoint;
    const dt = p.t - t;
    if (dt <= 0) continue;
    const newLevel = alpha * p.v + (1 - alpha) * (level + trend * dt);
    trend = beta * ((newLevel - level) / dt) + (1 - beta) * trend;
    level = newLevel;
    t = p.t;
  }
  const value = Math.max(0, level + trend * (atMs - t));
  return { level, trendPerMs: trend, value, atMs };
}
