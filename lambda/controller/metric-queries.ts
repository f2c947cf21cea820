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
  'cpu',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

const DEFAULT_STAT: Record<MetricKey, MetricQuery['stat']> = {
  listeners: 'Maximum',
  joinRequests: 'Sum',
  joinSuccesses: 'Sum',
  joinErrorsCapacity: 'Sum',
  joinErrorsAuth: 'Sum',
  cpu: 'Average',
};

/** The GetMetricData queries of some fleets; ids encode the fleet's position and the metric. */
export function metricQueries(fleets: readonly FleetConfig[]): MetricQuery[] {
  return fleets.flatMap((fleet, i) =>
    METRIC_KEYS.flatMap((key) => {
      const m = fleet.metrics[key];
      if (!m) return [];
      return {
        id: `f${i}_${key}`,
        namespace: m.namespace ?? fleet.metrics.namespace,
        metricName: m.metricName,
        // A metric of another namespace (AWS/ECS CPU beside the app's own) does not carry the app's dimensions.
        dimensions: {
          ...(m.namespace && m.namespace !== fleet.metrics.namespace ? {} : fleet.metrics.dimensions),
          ...(m.dimensions ?? {}),
        },
        stat: m.stat ?? DEFAULT_STAT[key],
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
    for (const key of METRIC_KEYS) if (fleet.metrics[key]) w[key] = data.get(`f${i}_${key}`);
    out.set(fleet.id, w);
  });
  return out;
}
