import type { Series } from '../lambda/core/series';
import type {
  ApplyResult,
  BackstopSync,
  CapacityActuator,
  CapacitySettings,
  Clock,
  DrainGuard,
  FleetAddress,
  MetricQuery,
  MetricSource,
  RuleMode,
  ServiceCounts,
  WafSwitch,
} from '../lambda/ports';
import { boundedSettings, sameSettings } from '../lambda/ports';
import type { BackstopAction } from '../lambda/core/backstop';
import { backstopChanges } from '../lambda/core/backstop';
import type { FaultPlan } from './faults';
import { activeFault } from './faults';
import type { FaultTarget } from './scenario';
import type { AppMetric, WorldFleet, WorldWaf } from './world';

/** The simulation's clock: ms since the epoch, moved by the engine; nothing sleeps. */
export class SimClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
}

/** The metric names SurgeGuard's config gives the world's app metrics. */
export const SIM_METRIC_NAMES: Record<string, AppMetric> = {
  Listeners: 'listeners',
  JoinRequests: 'joinRequests',
  JoinSuccesses: 'joinSuccesses',
  JoinErrorsCapacity: 'joinErrorsCapacity',
  JoinErrorsAuth: 'joinErrorsAuth',
  CPUUtilization: 'cpu',
};

/** Per-rule WAF counters the world keeps, by rule name, with the web ACL totals under 'ALL'. */
export type WafCounters = Map<
  string,
  {
    counted: { t: number; v: number }[];
    blocked: { t: number; v: number }[];
    allowed: { t: number; v: number }[];
  }
>;

/**
 * CloudWatch over the world: answers queries by metric name and the Fleet dimension (app metrics) or the Rule
 * dimension (AWS/WAFV2), with only the datapoints whose period ended at least the metric delay ago. The scenario's
 * metric faults apply to the app metrics: `missing` leaves out every datapoint whose timestamp is in the window;
 * `stale` answers, while the window lasts, with the series as it was visible at the window's start, nothing newer.
 */
export class SimMetricSource implements MetricSource {
  calls = 0;

  constructor(
    private readonly fleets: ReadonlyMap<string, WorldFleet>,
    private readonly waf: WafCounters,
    private readonly clock: Clock,
    private readonly worldStartMs: number,
    private readonly periodSeconds: number,
    private readonly delaySeconds: number,
    /** The scenario's faults, and its scheduled start (fault windows are minutes from it). @default no faults */
    private readonly faults: { readonly scenario: FaultPlan; readonly startMs: number } = {
      scenario: { faults: [] },
      startMs: 0,
    },
  ) {}

  /** The app metric's datapoints CloudWatch would answer with now, faults applied. */
  private appSeries(
    points: readonly { t: number; v: number }[],
    metric: AppMetric,
    visibleBefore: number,
  ): readonly { t: number; v: number }[] {
    const { scenario, startMs } = this.faults;
    if (!scenario.faults.length) return points;
    const target = metric as FaultTarget;
    const relOf = (ms: number) => (ms - startMs) / 1000;
    const stale = activeFault(scenario, 'stale', target, relOf(this.clock.now()));
    const cutoff = stale ? startMs + stale.fromMinute * 60_000 - this.delaySeconds * 1000 : visibleBefore;
    return points.filter((p) => {
      const ms = this.worldStartMs + p.t * 1000;
      return ms + this.periodSeconds * 1000 <= cutoff && !activeFault(scenario, 'missing', target, relOf(ms));
    });
  }

  async fetch(
    _region: string,
    queries: readonly MetricQuery[],
    startMs: number,
    endMs: number,
  ): Promise<Map<string, Series>> {
    this.calls++;
    const visibleBefore = this.clock.now() - this.delaySeconds * 1000;
    const out = new Map<string, Series>();
    const toMs = (t: number) => this.worldStartMs + t * 1000;
    const pick = (points: readonly { t: number; v: number }[], period: number) =>
      points
        .filter((p) => {
          const ms = toMs(p.t);
          return ms >= startMs && ms <= endMs && ms + period * 1000 <= visibleBefore;
        })
        .map((p) => ({ t: toMs(p.t), v: p.v }));
    for (const q of queries) {
      if (q.namespace === 'AWS/WAFV2') {
        const rule = this.waf.get(q.dimensions.Rule ?? '');
        const series =
          q.metricName === 'CountedRequests'
            ? rule?.counted
            : q.metricName === 'BlockedRequests'
              ? rule?.blocked
              : rule?.allowed;
        out.set(q.id, pick(series ?? [], 60));
        continue;
      }
      const fleet = this.fleets.get(q.dimensions.Fleet ?? '');
      const metric = SIM_METRIC_NAMES[q.metricName];
      out.set(
        q.id,
        fleet && metric
          ? pick(
              this.appSeries(fleet.metricStore.get(metric) ?? [], metric, visibleBefore),
              this.periodSeconds,
            )
          : [],
      );
    }
    return out;
  }
}

/** ECS and Application Auto Scaling over the world: the floor SurgeGuard sets, and the service's counts. */
export class SimCapacity implements CapacityActuator {
  /** The scalable target's MinCapacity and MaxCapacity per fleet. */
  readonly floors = new Map<string, { min: number; max: number }>();

  constructor(private readonly fleets: ReadonlyMap<string, WorldFleet>) {
    for (const [id, f] of fleets)
      this.floors.set(id, { min: f.config.baselineTasks, max: f.config.maxTasks });
  }

  async read(fleet: FleetAddress): Promise<CapacitySettings> {
    const f = this.floors.get(fleet.fleetId)!;
    return { mode: 'min-capacity', minCapacity: f.min, maxCapacity: f.max };
  }

  async counts(fleets: readonly FleetAddress[]): Promise<Map<string, ServiceCounts>> {
    const out = new Map<string, ServiceCounts>();
    for (const a of fleets) {
      const f = this.fleets.get(a.fleetId);
      if (f) out.set(a.fleetId, { running: f.running, pending: f.pendingTotal, desired: f.desired });
    }
    return out;
  }

  async applyFloor(fleet: FleetAddress, tasks: number, ceiling?: number | null): Promise<ApplyResult> {
    const before = await this.read(fleet);
    const after = boundedSettings(before, tasks, ceiling);
    if (after.mode === 'min-capacity')
      this.floors.set(fleet.fleetId, { min: after.minCapacity, max: after.maxCapacity });
    return { changed: !sameSettings(before, after), before, after };
  }

  async restore(fleet: FleetAddress, settings: CapacitySettings): Promise<ApplyResult> {
    const before = await this.read(fleet);
    if (settings.mode === 'min-capacity')
      this.floors.set(fleet.fleetId, { min: settings.minCapacity, max: settings.maxCapacity });
    return { changed: true, before, after: settings };
  }

  /** Scheduled actions of each fleet's scalable target, by name. */
  readonly scheduled = new Map<string, Map<string, BackstopAction>>();

  async syncBackstop(
    fleet: FleetAddress,
    prefix: string,
    actions: readonly BackstopAction[],
  ): Promise<BackstopSync> {
    let mine = this.scheduled.get(fleet.fleetId);
    if (!mine) this.scheduled.set(fleet.fleetId, (mine = new Map()));
    const { put, deleted } = backstopChanges(await this.readBackstop(fleet, prefix), actions);
    for (const n of deleted) mine.delete(n);
    for (const a of put) mine.set(a.name, a);
    return { put: put.map((a) => a.name), deleted };
  }

  async readBackstop(fleet: FleetAddress, prefix: string): Promise<BackstopAction[]> {
    return [...(this.scheduled.get(fleet.fleetId)?.values() ?? [])]
      .filter((a) => a.name.startsWith(prefix))
      .sort((x, y) => x.atMs - y.atMs);
  }

  /** What Application Auto Scaling does on its own: runs the scheduled actions due by `nowMs`, once each. */
  runScheduled(nowMs: number): void {
    for (const [fleetId, actions] of this.scheduled)
      for (const [name, a] of actions) {
        if (a.atMs > nowMs) continue;
        this.floors.set(fleetId, { min: a.minCapacity, max: a.maxCapacity });
        actions.delete(name);
      }
  }
}

/**
 * Task protection over the world: a fleet's tasks protect their listeners when the world drains them; a release
 * stops draining tasks at once and lets the next scale-in stop tasks that take joins.
 */
export class SimDrainGuard implements DrainGuard {
  constructor(
    private readonly fleets: ReadonlyMap<string, WorldFleet>,
    private readonly second: () => number,
  ) {}

  async protecting(fleet: FleetAddress): Promise<boolean | undefined> {
    return this.fleets.get(fleet.fleetId)?.drain;
  }

  async release(fleet: FleetAddress, tasks: number): Promise<number> {
    return this.fleets.get(fleet.fleetId)?.release(this.second(), tasks) ?? 0;
  }
}

/** The WAF switch over the world's web ACL: a change is configured at once and takes effect after propagation. */
export class SimWafSwitch implements WafSwitch {
  constructor(
    private readonly waf: WorldWaf,
    private readonly worldSecond: () => number,
  ) {}

  async read(): Promise<Record<string, RuleMode>> {
    return Object.fromEntries(this.waf.rules.map((r) => [r.name, this.waf.configured(r.name) ?? 'missing']));
  }

  async apply(mode: 'armed' | 'disarmed'): Promise<{ changed: string[] }> {
    const changed = this.waf.rules.filter((r) => this.waf.configured(r.name) !== mode).map((r) => r.name);
    for (const name of changed) this.waf.set(name, mode, this.worldSecond());
    return { changed };
  }
}
