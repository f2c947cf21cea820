import { loadConfig } from '../lambda/adapters/config-file';
import { STACK_RESOURCES } from '../lambda/core/config/deployment-limits';
import type { RuntimeConfig } from '../lambda/core/runtime-config';
import { buildRuntimeConfig, findEvent, watchWindow } from '../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from '../lib/runtime-for-region';

/** us-east-1 list prices (USD) the estimate uses; check current prices. */
export const PRICES = {
  /** Lambda on ARM, per GB-second and per million requests. */
  lambdaGbSecond: 0.0000133334,
  lambdaPerMillion: 0.2,
  /** A standard alarm, per metric it reads, per month. */
  alarmMetricMonth: 0.1,
  /** A dashboard per month, beyond the three an account has free. */
  dashboardMonth: 3,
  freeDashboards: 3,
  /** A customer managed KMS key per month (the on-call topic's). */
  kmsKeyMonth: 1,
  /** GetMetricData per thousand metrics requested. */
  getMetricDataPerThousand: 0.01,
  /** A custom metric per month, prorated by the hours it is published. */
  customMetricMonth: 0.3,
  /** S3 GET per thousand (the watch's conditional read of the document each minute). */
  s3GetPerThousand: 0.0004,
} as const;

const MONTH_MIN = 30 * 24 * 60;
const HOURS_IN_MONTH = 730;
/** Per fleet and tick: listeners, join requests, successes, capacity and auth errors. */
const METRICS_PER_FLEET = 5;
/** Metric names the watch publishes per event and fleet (each twice: with and without the Event dimension). */
const SURGEGUARD_METRICS = 12;
/** What an idle watch invocation is billed (no event near: a conditional GET of the document, nothing else). */
const IDLE_WATCH_SECONDS = 0.1;
const WATCH_GB = 0.5;
/** Alarms per region (function errors and throttles, dead letters, refused document, schedule sync). */
const REGION_ALARM_METRICS = 12;
/** Metrics read by one fleet's alarms: join SLO (3), shortfall (2), limit (1), restore deadline (1). */
const FLEET_ALARM_METRICS = 7;

/** One line of the estimate. */
export interface CostLine {
  readonly item: string;
  readonly usage: string;
  readonly usd: number;
}

/** Total minutes covered by a set of intervals (overlaps counted once). */
function unionMinutes(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total / 60_000;
}

/**
 * The monthly cost of running SurgeGuard for a config (WAF and the fleets' own tasks apart): the fixed part per region
 * and fleet, and what the events' watch windows add, scaled to 30 days from the span the config's events cover.
 */
export function monthlyCost(runtime: RuntimeConfig): { lines: CostLine[]; total: number } {
  const starts = runtime.plan.events.map((e) => Date.parse(e.start));
  const spanDays = Math.max(30, (Math.max(...starts) - Math.min(...starts)) / 86_400_000 + 1);
  const perMonth = 30 / spanDays;
  const regions = fleetRegions(runtime);
  let activeWatchMin = 0;
  let metricsRequested = 0;
  let metricHours = 0;
  for (const region of regions) {
    const slice = runtimeForRegion(runtime, region);
    const windows: [number, number][] = [];
    for (const e of slice.config.events) {
      const w = watchWindow(slice, findEvent(slice, e.id)!, 0);
      windows.push([w.fromMs, w.toMs]);
      const minutes = (w.toMs - w.fromMs) / 60_000;
      const ticksPerMinute = 60 / slice.config.controller.tickSeconds;
      metricsRequested += e.fleets.length * minutes * ticksPerMinute * METRICS_PER_FLEET;
      metricHours += e.fleets.length * (minutes / 60) * SURGEGUARD_METRICS * 2;
    }
    activeWatchMin += unionMinutes(windows) * perMonth;
  }
  metricsRequested *= perMonth;
  metricHours *= perMonth;
  const idleMin = regions.length * MONTH_MIN - activeWatchMin;
  const fleets = runtime.config.fleets.length;
  const lines: CostLine[] = [
    {
      item: 'watch Lambda, events live',
      usage: `${Math.round(activeWatchMin).toLocaleString('en-US')} region-minutes a month, about 60 s each`,
      usd: activeWatchMin * 60 * WATCH_GB * PRICES.lambdaGbSecond,
    },
    {
      item: 'watch Lambda, nothing near',
      usage: `${Math.round(idleMin).toLocaleString('en-US')} invocations at ${IDLE_WATCH_SECONDS * 1000} ms, and their S3 reads`,
      usd:
        idleMin * IDLE_WATCH_SECONDS * WATCH_GB * PRICES.lambdaGbSecond +
        ((regions.length * MONTH_MIN) / 1e6) * PRICES.lambdaPerMillion +
        ((regions.length * MONTH_MIN) / 1000) * PRICES.s3GetPerThousand,
    },
    {
      item: 'GetMetricData',
      usage: `${Math.round(metricsRequested).toLocaleString('en-US')} metrics requested`,
      usd: (metricsRequested / 1000) * PRICES.getMetricDataPerThousand,
    },
    {
      item: 'SurgeGuard metrics (EMF)',
      usage: `${Math.round(metricHours).toLocaleString('en-US')} metric-hours`,
      usd: (metricHours / HOURS_IN_MONTH) * PRICES.customMetricMonth,
    },
    {
      item: 'alarms',
      usage: `${regions.length} regions x ${REGION_ALARM_METRICS} + ${fleets} fleets x ${FLEET_ALARM_METRICS} alarm metrics`,
      usd: (regions.length * REGION_ALARM_METRICS + fleets * FLEET_ALARM_METRICS) * PRICES.alarmMetricMonth,
    },
    {
      item: 'dashboards',
      usage: `${regions.length} (one a region; ${PRICES.freeDashboards} free an account)`,
      usd: Math.max(0, regions.length - PRICES.freeDashboards) * PRICES.dashboardMonth,
    },
    {
      item: 'KMS keys',
      usage: `${regions.length} (the on-call topics')`,
      usd: regions.length * PRICES.kmsKeyMonth,
    },
  ];
  return { lines, total: lines.reduce((s, l) => s + l.usd, 0) };
}

/** The estimate for a config file, with the stacks' sizes beside it. */
export function costOfConfig(file: string): {
  lines: CostLine[];
  total: number;
  fleets: number;
  regions: number;
  events: number;
  maxStackResources: number;
} {
  const loaded = loadConfig(file);
  const runtime = buildRuntimeConfig(loaded.config, loaded.models);
  const regions = fleetRegions(runtime);
  const maxFleets = Math.max(
    ...regions.map((r) => runtime.config.fleets.filter((f) => f.region === r).length),
  );
  return {
    ...monthlyCost(runtime),
    fleets: runtime.config.fleets.length,
    regions: regions.length,
    events: runtime.config.events.length,
    maxStackResources: STACK_RESOURCES.base + maxFleets * STACK_RESOURCES.perFleet,
  };
}
