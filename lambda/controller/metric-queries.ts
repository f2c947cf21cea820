import type { FleetConfig } from '../core/config/schema';
import type { Series } from '../core/series';
import type { FleetMetricsWindow } from '../core/watch-policy';
import type { MetricQuery } from '../ports';

/** The metrics of a fleet the watch reads, by their config names. */
export const METRIC_KEYS = [
  'listeners',
  'joinRequests',
  'joinSuccesses',
  'joinErrorsCapacity',
  'joinErrorsAuth',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The GetMetricData queries of some fleets; ids encode the fleet's position and the metric. */
export function metricQueries(fleets: readonly FleetConfig[]): MetricQuery[] {
  return fleets.flatMap((fleet, i) =>
    METRIC_KEYS.map((key) => {
      const m = fleet.metrics[key];
      return {
        id: `f${i}_${key}`,
        namespace: m.namespace ?? fleet.metrics.namespace,
        metricName: m.metricName,
        dimensions: { ...fleet.metrics.dimensions, ...(m.dimensions ?? {}) },
        stat: m.stat ?? (key === 'listeners' ? 'Maximum' : 'Sum'),
        periodSeconds: fleet.metrics.periodSeconds,
      };
    }),
  );
}

/** Splits a GetMetricData answer back into each fleet's window. */
export function windowsOf(
  fleets: readonly FleetConfig[],
  data: Map<string, Series>,
): Map<string, FleetMetricsWindow> {
  const out = new Map<string, FleetMetricsWindow>();
  fleets.forEach((fleet, i) => {
    const w: Partial<Record<MetricKey, Series>> = {};
    for (const key of METRIC_KEYS) w[key] = data.get(`f${i}_${key}`);
    out.set(fleet.id, w);
  });
  return out;
}
