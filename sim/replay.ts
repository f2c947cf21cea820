import { runPrescale } from '../lambda/controller/prescale';
import { runRestore } from '../lambda/controller/restore';
import type { ControllerDeps } from '../lambda/controller/deps';
import { ShieldController } from '../lambda/controller/shield';
import { watchTick } from '../lambda/controller/watch';
import type { Config, WafRuleConfig } from '../lambda/core/config/schema';
import { configSchema } from '../lambda/core/config/schema';
import { forecastOf } from '../lambda/core/config/forecast';
import type { Detection } from '../lambda/core/detector';
import { detect } from '../lambda/core/detector';
import type { RuntimeConfig } from '../lambda/core/runtime-config';
import { buildRuntimeConfig, findEvent, watchWindow } from '../lambda/core/runtime-config';
import { tasksFor, uslPeak } from '../lambda/core/usl';
import { metricQueries } from '../lambda/controller/metric-queries';
import type { Series } from '../lambda/core/series';
import { noTelemetry, silentLog } from '../lambda/ports';
import type { AuditRecord } from '../lambda/ports/state';
import { MemoryStateStore } from '../lambda/adapters/memory-state';
import { FaultyStateStore, FaultyWafSwitch, faultyCapacity } from './faults';
import type { WafCounters } from './ports';
import { SimCapacity, SimClock, SimDrainGuard, SimMetricSource, SimWafSwitch } from './ports';
import type { LoadedScenario } from './scenario';
import { demandAt, regionQuota } from './scenario';
import type { ClientStep, Frame, RuleKind, WorldRule } from './world';
import { WorldFleet, WorldWaf, floodMatchShare } from './world';
import type { PolicyName } from './names';

// The names live apart so the CLI's help can list them without loading the simulator.
export { POLICY_NAMES, type PolicyName } from './names';

/** Seconds between two frames of a replay's timeline. */
export const FRAME_SECONDS = 10;

/** The figures of one policy on one scenario (the `--json` shape). */
export interface PolicyFigures {
  servedFraction: number;
  peakShortfall: number;
  sloBreachMinutes: number;
  abandonedListeners: number;
  taskHours: number;
  costVsOracle: number | null;
  wafArmed: boolean;
  firstArmSecondsAfterAttackStart: number | null;
  /** Minutes the rules were in effect with no attack underway, from arming that no attack caused. */
  wafArmedMinutesWithoutAttack: number;
  /** Minutes an attack-triggered arming stayed in effect after the attack stopped (disarm hysteresis + metric delay). */
  wafArmedMinutesAfterAttack: number;
  legitRequestsBlockedFraction: number;
  /** Most tasks taking joins above the ceiling SurgeGuard decided (MaxCapacity), summed over fleets; null without SurgeGuard. */
  maxTasksOverCeiling: number | null;
  /** Most tasks taking joins past the fleet's true capacity peak (where more tasks carry fewer), summed over fleets. */
  maxTasksPastTruePeak: number;
  /** Minutes in which any fleet's applied floor (MinCapacity) was below what SurgeGuard had decided; null without SurgeGuard. */
  floorShortfallMinutes: number | null;
  /** Tasks asked for above the pre-event floor (baselineTasks) at the replay's end, summed over fleets. */
  finalTasksOverBaseline: number;
  /**
   * Listeners a scale-in disconnected: on tasks stopped without a drain, on tasks whose protection SurgeGuard
   * released (a step down from past the peak), on the last tasks of a fleet stopped to none, or still on a draining
   * task when its protection lapsed (they retry, and most are back within seconds, but each was a dropped stream),
   * summed over fleets; those still on a draining task when the replay ends are not counted.
   */
  listenersDroppedByScaleIn: number;
}

/** One policy's run: its figures and what charts need. */
export interface PolicyRun {
  readonly name: PolicyName;
  readonly figures: PolicyFigures;
  /** Every 10 s of the world. */
  readonly frames: Frame[];
  /** Wall time of each controller tick, ms (SurgeGuard's decision code). */
  readonly tickMs: number[];
  /** Shield verdicts over time (surgeguard and naive-shield). */
  readonly verdicts: { t: number; verdict: string }[];
  /** SurgeGuard's capacity decisions that changed something, with their reasons. */
  readonly decisions: { t: number; fleetId: string; action: string; targetTasks: number; reason: string }[];
  /** SurgeGuard's run only: its audit trail and its fleets' metrics (by query id) as read at the end (`--record`). */
  readonly recorded?: { readonly audit: AuditRecord[]; readonly metrics: Map<string, Series> };
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Called with the share of the work done. */
  readonly onProgress?: (done: number) => void;
}

/** The world's rules, and the shield config rules that name them. */
const WORLD_RULES: { rule: WorldRule; config: WafRuleConfig }[] = (
  [
    ['join-rate-per-ip', 'rate-per-ip', undefined],
    ['ip-reputation', 'ip-reputation', 'AWSManagedRulesAmazonIpReputationList'],
    ['anonymous-ip', 'anonymous-ip', 'AWSManagedRulesAnonymousIpList'],
    ['anti-ddos', 'anti-ddos', 'AWSManagedRulesAntiDDoSRuleSet'],
  ] as [string, RuleKind, string | undefined][]
).map(([name, kind, group]) => ({
  rule: { name, kind },
  config: {
    name,
    kind: kind === 'rate-per-ip' ? 'rate-per-ip' : 'managed-rule-group',
    armedAction: 'Block',
    limitPer5Min: 300,
    vendor: 'AWS',
    ...(group ? { group } : {}),
  },
}));

/** The SurgeGuard config a team would write for the scenario: what the planners were told, not the truth. */
export function scenarioConfig(ls: LoadedScenario): Config {
  const s = ls.scenario;
  const regions = [...new Set(ls.fleets.map((f) => f.config.region))];
  const metric = (metricName: string) => ({ metricName });
  return configSchema.parse({
    regions: Object.fromEntries(regions.map((r) => [r, { fargateVcpuQuota: Math.floor(regionQuota(s, r)) }])),
    controller: { ...ls.configured?.controller, tickSeconds: s.tickSeconds },
    fleets: ls.fleets.map((f) => ({
      id: f.config.id,
      region: f.config.region,
      cluster: 'sim',
      service: f.config.id,
      scalingMode: 'min-capacity',
      baselineTasks: f.config.baselineTasks,
      maxTasks: f.config.maxTasks,
      vcpuPerTask: f.config.vcpuPerTask,
      startupSeconds: f.config.startupSeconds,
      launchRatePerMinute: f.config.launchRatePerMinute,
      scalingTest: 'scenario',
      metrics: {
        namespace: 'Sim',
        dimensions: { Fleet: f.config.id },
        periodSeconds: s.metrics.periodSeconds,
        delaySeconds: s.metrics.delaySeconds,
        listeners: metric('Listeners'),
        joinRequests: metric('JoinRequests'),
        joinSuccesses: metric('JoinSuccesses'),
        joinErrorsCapacity: metric('JoinErrorsCapacity'),
        joinErrorsAuth: metric('JoinErrorsAuth'),
        cpu: { metricName: 'CPUUtilization', stat: 'Average' },
      },
    })),
    events: [
      {
        id: eventIdOf(s.name),
        title: s.description ?? s.name,
        start: s.start,
        durationMinutes: s.durationMinutes,
        expectedPeakListeners: s.forecast.peakListeners,
        headroom: s.forecast.headroom,
        arrival: {
          earlyMinutes: s.forecast.earlyMinutes,
          fullByMinutes: Math.min(s.forecast.fullByMinutes, s.durationMinutes),
        },
        fleets: ls.fleets.map((f) => ({ fleet: f.config.id, share: f.config.share })),
        slo: { joinSuccessRatio: s.slo.joinSuccessRatio },
        ...ls.configured?.event,
      },
    ],
    shield: {
      webAcl: {
        mode: 'existing',
        name: 'sim',
        id: 'sim',
        arn: 'arn:aws:wafv2:us-east-1:000000000000:regional/webacl/sim/sim',
        region: regions[0],
      },
      rules: WORLD_RULES.map((r) => r.config),
    },
  });
}

function eventIdOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+/, '')
      .slice(0, 48) || 'event'
  );
}

/** The runtime config SurgeGuard would be deployed with for the scenario. */
export function scenarioRuntime(ls: LoadedScenario): RuntimeConfig {
  const config = scenarioConfig(ls);
  return buildRuntimeConfig(config, Object.fromEntries(ls.fleets.map((f) => [f.config.id, f.fitted])));
}

/** Replays a scenario under each named policy; returns the runs with costVsOracle filled in. */
export async function replay(
  ls: LoadedScenario,
  policies: readonly PolicyName[],
  options: ReplayOptions = {},
): Promise<PolicyRun[]> {
  const names = policies.includes('oracle') ? policies : [...policies, 'oracle' as const];
  const runs: PolicyRun[] = [];
  for (let i = 0; i < names.length; i++) {
    runs.push(await runPolicy(ls, names[i]!, (d) => options.onProgress?.((i + d) / names.length)));
  }
  const oracle = runs.find((r) => r.name === 'oracle')!;
  for (const r of runs)
    r.figures.costVsOracle =
      oracle.figures.taskHours > 0 ? r.figures.taskHours / oracle.figures.taskHours : null;
  return runs.filter((r) => policies.includes(r.name));
}

/** The scheduled baseline's action for one fleet: MinCapacity `tasks` from `fromRel` to `toRel` (seconds from start). */
export interface ScheduledAction {
  readonly fromRel: number;
  readonly toRel: number;
  readonly tasks: number;
}

/**
 * What a team would schedule with the same data SurgeGuard has: MinCapacity raised at the plan's ramp start, sized by
 * a straight line through the scaling test's largest point (its listeners per task) for the forecast share plus the
 * event's headroom, capped at max tasks, held to the plan's hold-until (end + tail), then back to baseline.
 */
export function scheduledActions(
  ls: LoadedScenario,
  runtime: RuntimeConfig,
  eventId: string,
): Map<string, ScheduledAction> {
  const view = findEvent(runtime, eventId)!;
  const rel = (iso: string) => (Date.parse(iso) - ls.startMs) / 1000;
  const out = new Map<string, ScheduledAction>();
  for (const f of ls.fleets) {
    const largest = f.points.reduce((a, b) => (b.tasks > a.tasks ? b : a));
    // The same upper forecast SurgeGuard's plan covers.
    const listeners = forecastOf(view.event).upper * f.config.share;
    const plan = view.fleets.find((p) => p.fleet.id === f.config.id)!.plan;
    out.set(f.config.id, {
      fromRel: rel(plan.rampStart),
      toRel: rel(view.plan.holdUntil),
      tasks: Math.min(f.config.maxTasks, Math.ceil(listeners / (largest.listeners / largest.tasks))),
    });
  }
  return out;
}

/** Target tracking on CPU with Application Auto Scaling's semantics. */
class TargetTracking {
  desired: number;
  private lastEvalPeriod = -1;
  private lastScaleInAt = -Infinity;
  private lastScaleOutAt = -Infinity;

  constructor(
    private readonly fleet: WorldFleet,
    private readonly periodSeconds: number,
    /** Seconds after a period ends before its datapoint reaches the alarm. */
    private readonly alarmDelaySeconds: number,
    public min: number,
    private readonly target = 70,
  ) {
    this.desired = fleet.config.baselineTasks;
  }

  /** Evaluates the alarms once per period; returns the capacity it wants. */
  step(t: number, cpuBySecond: Float64Array): number {
    const period = Math.floor((t - this.alarmDelaySeconds) / this.periodSeconds) - 1;
    if (period <= this.lastEvalPeriod || period < 15) return Math.max(this.desired, this.min);
    this.lastEvalPeriod = period;
    const avg = (p: number) => {
      let sum = 0;
      for (let s = p * this.periodSeconds; s < (p + 1) * this.periodSeconds; s++) sum += cpuBySecond[s] ?? 0;
      return sum / this.periodSeconds;
    };
    const last = (n: number) => Array.from({ length: n }, (_, i) => avg(period - i));
    const current = Math.max(this.desired, this.min);
    const high = last(3);
    // Scale-out: 3 of 3 datapoints above target; proportional to how far above.
    if (high.every((c) => c > this.target)) {
      const wanted = Math.ceil((Math.max(this.fleet.running, 1) * high[0]!) / this.target);
      if (wanted > current && t - this.lastScaleOutAt >= this.periodSeconds) {
        this.desired = Math.min(this.fleet.config.maxTasks, wanted);
        this.lastScaleOutAt = t;
      }
      return Math.max(this.desired, this.min);
    }
    // Scale-in: 15 of 15 below 90% of target, with a 300 s cooldown.
    const low = last(15);
    if (
      low.every((c) => c < this.target * 0.9) &&
      t - this.lastScaleInAt >= 300 &&
      t - this.lastScaleOutAt >= 300
    ) {
      const wanted = Math.max(this.min, Math.ceil((Math.max(this.fleet.running, 1) * low[0]!) / this.target));
      if (wanted < current) {
        this.desired = wanted;
        this.lastScaleInAt = t;
      }
    }
    return Math.max(this.desired, this.min);
  }
}

/**
 * The seconds (relative to the scheduled start) a replay covers: from 10 minutes before the audience or the watch,
 * whichever comes first, to an hour after the audience has gone and the watch window has closed.
 */
export function replayHorizon(
  ls: LoadedScenario,
  window: { fromMs: number; toMs: number },
): { beginRel: number; endRel: number } {
  const demand = ls.scenario.demand;
  const lastDemandMin = demand[demand.length - 1]![0];
  return {
    beginRel: Math.floor(Math.min(demand[0]![0] * 60, (window.fromMs - ls.startMs) / 1000) - 600),
    endRel: Math.ceil(Math.max(lastDemandMin * 60, (window.toMs - ls.startMs) / 1000) + 3600),
  };
}

/** Alarm delays that reproduce AWS's measured reaction times (363 s at 60 s metrics, 86 s at 20 s): see bench. */
export const TT_ALARM_DELAY_SECONDS = { 60: 180, 20: 20 } as const;

async function runPolicy(
  ls: LoadedScenario,
  name: PolicyName,
  progress: (d: number) => void,
): Promise<PolicyRun> {
  const s = ls.scenario;
  const runtime = scenarioRuntime(ls);
  const eventId = runtime.config.events[0]!.id;
  const view = findEvent(runtime, eventId)!;
  const window = watchWindow(runtime, view, 0);
  const { beginRel, endRel } = replayHorizon(ls, window);
  const seconds = endRel - beginRel;
  const worldStartMs = ls.startMs + beginRel * 1000;

  const fleets = new Map<string, WorldFleet>();
  // SurgeGuard's family protects tasks that carry listeners and drains them (the oracle may); the AWS baselines do not.
  const drains = !['target-tracking', 'target-tracking-20s', 'scheduled'].includes(name);
  for (const f of ls.fleets) {
    const fleet = new WorldFleet(f.config, f.truth, s.clients);
    fleet.drain = drains;
    fleets.set(f.config.id, fleet);
  }
  const fleetList = [...fleets.values()];
  const cpu = new Map(fleetList.map((f) => [f.config.id, new Float64Array(seconds + 1)]));
  const waf = new WorldWaf(
    WORLD_RULES.map((r) => r.rule),
    s.waf.propagationSeconds,
    s.waf.ratePerIpLimitPer5Min,
    name === 'always-block' ? 'armed' : 'disarmed',
  );
  const counters: WafCounters = new Map(
    [...WORLD_RULES.map((r) => r.rule.name), 'ALL'].map((n) => [
      n,
      { counted: [], blocked: [], allowed: [] },
    ]),
  );
  const minuteWaf = new Map<string, { counted: number; blocked: number; allowed: number }>();
  const clock = new SimClock(worldStartMs);
  const memory = new MemoryStateStore();
  // The scenario's faults sit between the controller and the world, as AWS's would.
  const rel = () => (clock.now() - ls.startMs) / 1000;
  const state = new FaultyStateStore(memory, s, rel);
  const capacity = new SimCapacity(fleets);
  const metrics = new SimMetricSource(
    fleets,
    counters,
    clock,
    worldStartMs,
    s.metrics.periodSeconds,
    s.metrics.delaySeconds,
    { scenario: s, startMs: ls.startMs },
  );
  const verdicts: { t: number; verdict: string }[] = [];
  const usesSurgeGuard = name === 'surgeguard' || name === 'naive-shield' || name === 'always-block';
  const withShield = name === 'surgeguard' || name === 'naive-shield';
  const shield = withShield
    ? new ShieldController({
        shield: runtime.config.shield!,
        waf: new FaultyWafSwitch(
          new SimWafSwitch(waf, () => Math.round((clock.now() - worldStartMs) / 1000)),
          s,
          rel,
        ),
        state,
        clock,
        log: silentLog,
        actor: `replay:${name}`,
        judge: name === 'naive-shield' ? naiveJudge : detect,
      })
    : undefined;
  const deps: ControllerDeps = {
    runtime,
    clock,
    metrics,
    capacity: faultyCapacity(capacity, s, rel),
    state,
    log: silentLog,
    telemetry: noTelemetry,
    shield,
    drain: new SimDrainGuard(fleets, () => Math.round((clock.now() - worldStartMs) / 1000)),
    actor: `replay:${name}`,
  };

  // Baseline controllers.
  const tt = new Map<string, TargetTracking>();
  if (name !== 'oracle') {
    const period = name === 'target-tracking-20s' ? 20 : 60;
    for (const f of fleetList)
      tt.set(
        f.config.id,
        new TargetTracking(f, period, TT_ALARM_DELAY_SECONDS[period], f.config.baselineTasks),
      );
  }
  const scheduled = name === 'scheduled' ? scheduledActions(ls, runtime, eventId) : undefined;
  const oracle = name === 'oracle' ? oraclePlan(ls, beginRel, seconds) : undefined;

  const attacks = s.attacks.map((a) => ({ a, from: a.fromMinute * 60, to: a.toMinute * 60 }));
  const firstAttack = attacks.length ? Math.min(...attacks.map((x) => x.from)) : null;
  const tickSeconds = s.tickSeconds;
  let prescaled = false;
  let lastRestore = -Infinity;
  const tickMs: number[] = [];
  const frames: Frame[] = [];
  let servedSum = 0;
  let demandSum = 0;
  let peakShortfall = 0;
  let taskSeconds = 0;
  let legitReq = 0;
  let legitBlocked = 0;
  let armedWithoutAttackSeconds = 0;
  let armedAfterAttackSeconds = 0;
  // Whether the current arming was decided while the controller's metrics could still show an attack.
  let armingAttackDriven = false;
  let configuredArmedBefore = name === 'always-block';
  const visibleLagSeconds = s.metrics.delaySeconds + s.metrics.periodSeconds;
  let firstArmRel: number | null = null;
  const minuteLegit = new Map<number, { attempts: number; admitted: number }>();
  let wafEverArmed = name === 'always-block';

  const truePeak = new Map(ls.fleets.map((f) => [f.config.id, uslPeak(f.truth).tasks ?? Infinity]));
  let maxOverCeiling = 0;
  let floorShortfallSeconds = 0;
  let maxPastPeak = 0;

  for (let t = 0; t < seconds; t++) {
    const rel = beginRel + t;
    clock.ms = ls.startMs + rel * 1000;

    // Application Auto Scaling runs the scheduled actions SurgeGuard left with it, whatever SurgeGuard can do then.
    if (usesSurgeGuard) capacity.runScheduled(clock.ms);
    // Controllers act at their ticks.
    if (usesSurgeGuard && rel % tickSeconds === 0) {
      const now = clock.ms;
      if (now >= window.fromMs && now < window.toMs) {
        const started = performance.now();
        if (!prescaled) {
          prescaled = true;
          await runPrescale(deps, eventId).catch(() => undefined);
        }
        await watchTick(deps).catch(() => undefined);
        tickMs.push(performance.now() - started);
        // Minutes of the event, not fleet-minutes: a throttle that holds three fleets short for a minute is a minute.
        let short = false;
        for (const f of fleetList) {
          const decided = (await memory.getFleet(eventId, f.config.id))?.lastDecision?.targetTasks;
          if (decided !== undefined && capacity.floors.get(f.config.id)!.min < decided) short = true;
        }
        if (short) floorShortfallSeconds += tickSeconds;
      } else if (now >= window.toMs && now - lastRestore >= 600_000) {
        lastRestore = now;
        await runRestore(deps, eventId).catch(() => undefined);
      }
    }
    for (const f of fleetList) {
      const id = f.config.id;
      const ttDesired = tt.get(id)?.step(t, cpu.get(id)!) ?? 0;
      if (usesSurgeGuard) {
        // Application Auto Scaling keeps the service's own policies within [MinCapacity, MaxCapacity].
        const bounds = capacity.floors.get(id)!;
        f.desired = Math.min(bounds.max, Math.max(bounds.min, ttDesired));
        // The service's policies see the clamped count as its capacity: a lower MinCapacity takes effect only
        // when target tracking's own scale-in alarm fires, as in AWS.
        const own = tt.get(id);
        if (own) own.desired = f.desired;
      } else if (scheduled) {
        const action = scheduled.get(id)!;
        const floor = rel >= action.fromRel && rel < action.toRel ? action.tasks : f.config.baselineTasks;
        tt.get(id)!.min = floor;
        f.desired = Math.max(floor, ttDesired);
      } else if (oracle) f.desired = oracle.get(id)![t]!;
      else f.desired = ttDesired;
    }

    // Tasks move within their region's vCPU quota.
    const used = new Map<string, number>();
    for (const f of fleetList)
      used.set(
        f.config.region,
        (used.get(f.config.region) ?? 0) + (f.running + f.pendingTotal) * f.config.vcpuPerTask,
      );
    for (const f of fleetList) {
      const before = (f.running + f.pendingTotal) * f.config.vcpuPerTask;
      const region = f.config.region;
      f.stepTasks(t, Math.max(0, regionQuota(s, region) - used.get(region)!));
      used.set(region, used.get(region)! + (f.running + f.pendingTotal) * f.config.vcpuPerTask - before);
    }

    // The flood, the WAF's view of it, and the clients.
    const view = waf.view(t);
    let floodReq = 0;
    let floodBlocked = 0;
    let validTokens = 0;
    const floodMatches: Record<string, number> = {};
    for (const { a, from, to } of attacks) {
      if (rel < from || rel >= to) continue;
      floodReq += a.requestsPerSecond;
      validTokens += a.requestsPerSecond * a.validTokenFraction;
      let pass = 1;
      for (const r of waf.rules) {
        const m = floodMatchShare(r.kind, a, waf.ratePerIpLimitPer5Min);
        floodMatches[r.name] = (floodMatches[r.name] ?? 0) + a.requestsPerSecond * m;
        if (view.armed(r.name)) pass *= 1 - m;
      }
      floodBlocked += a.requestsPerSecond * (1 - pass);
    }
    const demand = demandAt(s, rel);
    let served = 0;
    let capSum = 0;
    let capErr = 0;
    let authErr = 0;
    let blockedLegitNow = 0;
    const steps: ClientStep[] = [];
    for (const f of fleetList) {
      const share = f.config.share;
      const step = f.stepClients(t, demand * share, view, {
        requests: floodReq * share,
        blocked: floodBlocked * share,
        validTokenFraction: floodReq > 0 ? validTokens / floodReq : 0,
      });
      steps.push(step);
      cpu.get(f.config.id)![t] = step.cpu;
      f.record(t, s.metrics.periodSeconds, step);
      served += f.connected;
      capSum += f.capacity();
      capErr += step.capacityErrors;
      authErr += step.authErrors;
      blockedLegitNow += step.legitBlocked;
      legitReq += step.legitRequests;
      legitBlocked += step.legitBlocked;
      taskSeconds += f.running + f.pendingTotal;
      const minute = Math.floor(rel / 60);
      const m = minuteLegit.get(minute) ?? { attempts: 0, admitted: 0 };
      m.attempts += step.legitRequests;
      m.admitted += step.legitAdmitted;
      minuteLegit.set(minute, m);
    }

    // WAF metrics: matches count while a rule counts, and block once it is armed.
    for (const r of waf.rules) {
      const matches =
        (floodMatches[r.name] ?? 0) + steps.reduce((sum, st) => sum + (st.legitMatches[r.name] ?? 0), 0);
      const c = minuteWaf.get(r.name) ?? { counted: 0, blocked: 0, allowed: 0 };
      if (view.armed(r.name)) c.blocked += matches;
      else c.counted += matches;
      minuteWaf.set(r.name, c);
    }
    const all = minuteWaf.get('ALL') ?? { counted: 0, blocked: 0, allowed: 0 };
    all.blocked += floodBlocked + blockedLegitNow;
    all.allowed += steps.reduce((sum, st) => sum + st.reaching, 0);
    minuteWaf.set('ALL', all);
    if ((t + 1) % 60 === 0) {
      for (const [rule, c] of minuteWaf) {
        const series = counters.get(rule)!;
        series.counted.push({ t: t - 59, v: c.counted });
        series.blocked.push({ t: t - 59, v: c.blocked });
        series.allowed.push({ t: t - 59, v: c.allowed });
      }
      minuteWaf.clear();
    }

    const armedNow = waf.anyArmed(t);
    const anyConfiguredArmed = waf.rules.some((r) => waf.configured(r.name) === 'armed');
    if (anyConfiguredArmed && !wafEverArmed) wafEverArmed = true;
    if (anyConfiguredArmed && firstArmRel === null && name !== 'always-block') firstArmRel = rel;
    const attackNow = attacks.some((x) => rel >= x.from && rel < x.to);
    if (anyConfiguredArmed && !configuredArmedBefore)
      armingAttackDriven = attacks.some((x) => rel >= x.from && rel < x.to + visibleLagSeconds);
    configuredArmedBefore = anyConfiguredArmed;
    if (armedNow && !attackNow) {
      if (armingAttackDriven) armedAfterAttackSeconds++;
      else armedWithoutAttackSeconds++;
    }

    // Tasks that take joins: a task draining after a step down (or a lower ceiling) still runs, but carries only
    // the listeners it had while it empties, and adds nothing to the fleet's capacity curve.
    let overCeiling = 0;
    let pastPeak = 0;
    for (const f of fleetList) {
      if (usesSurgeGuard) overCeiling += Math.max(0, f.active() - capacity.floors.get(f.config.id)!.max);
      pastPeak += Math.max(0, f.active() - (truePeak.get(f.config.id) ?? Infinity));
    }
    maxOverCeiling = Math.max(maxOverCeiling, overCeiling);
    maxPastPeak = Math.max(maxPastPeak, pastPeak);

    if (demand > 0) {
      servedSum += Math.min(served, demand);
      demandSum += demand;
      peakShortfall = Math.max(peakShortfall, demand - served);
    }
    if (t % FRAME_SECONDS === 0) {
      frames.push({
        t: rel,
        demand,
        served,
        capacity: capSum,
        desired: fleetList.reduce((sum, f) => sum + f.desired, 0),
        ...(usesSurgeGuard && fleetList.some((f) => capacity.floors.get(f.config.id)!.max < f.config.maxTasks)
          ? { ceiling: fleetList.reduce((sum, f) => sum + capacity.floors.get(f.config.id)!.max, 0) }
          : {}),
        running: fleetList.reduce((sum, f) => sum + f.running, 0),
        pending: fleetList.reduce((sum, f) => sum + f.pendingTotal, 0),
        capacityErrors: capErr,
        authErrors: authErr,
        blockedLegit: blockedLegitNow,
        blockedFlood: floodBlocked,
        wafArmed: armedNow,
      });
    }
    if (t % 3600 === 0) progress(t / seconds);
  }
  progress(1);

  const decisions: PolicyRun['decisions'] = [];
  for (const r of memory.auditTrail) {
    const t = (r.atMs - ls.startMs) / 1000;
    if (r.kind === 'shield' && r.action.startsWith('verdict:'))
      verdicts.push({ t, verdict: r.action.slice(8) });
    if (r.kind === 'decision' && (r.action === 'scale-out' || r.action === 'scale-in') && r.decision) {
      decisions.push({
        t,
        fleetId: r.fleetId ?? '',
        action: r.action,
        targetTasks: (r.decision as { targetTasks: number }).targetTasks,
        reason: r.reason,
      });
    }
  }
  let sloBreachMinutes = 0;
  for (const m of minuteLegit.values())
    if (m.attempts > 0 && m.admitted / m.attempts < s.slo.joinSuccessRatio) sloBreachMinutes++;
  const recorded =
    name === 'surgeguard'
      ? {
          audit: memory.auditTrail,
          metrics: await metrics.fetch('', metricQueries(runtime.config.fleets), worldStartMs, clock.ms),
        }
      : undefined;
  return {
    name,
    frames,
    tickMs,
    verdicts,
    decisions,
    ...(recorded ? { recorded } : {}),
    figures: {
      servedFraction: demandSum > 0 ? servedSum / demandSum : 1,
      peakShortfall: Math.round(peakShortfall),
      sloBreachMinutes,
      abandonedListeners: Math.round(fleetList.reduce((sum, f) => sum + f.abandoned, 0)),
      taskHours: taskSeconds / 3600,
      costVsOracle: null,
      wafArmed: wafEverArmed,
      firstArmSecondsAfterAttackStart:
        firstAttack !== null && firstArmRel !== null ? firstArmRel - firstAttack : null,
      wafArmedMinutesWithoutAttack: armedWithoutAttackSeconds / 60,
      wafArmedMinutesAfterAttack: armedAfterAttackSeconds / 60,
      legitRequestsBlockedFraction: legitReq > 0 ? legitBlocked / legitReq : 0,
      maxTasksOverCeiling: usesSurgeGuard ? maxOverCeiling : null,
      maxTasksPastTruePeak: maxPastPeak,
      floorShortfallMinutes: usesSurgeGuard ? floorShortfallSeconds / 60 : null,
      finalTasksOverBaseline: fleetList.reduce(
        (sum, f) => sum + Math.max(0, f.desired - f.config.baselineTasks),
        0,
      ),
      listenersDroppedByScaleIn: Math.round(fleetList.reduce((sum, f) => sum + f.droppedByScaleIn, 0)),
    },
  };
}

/** The naive shield baseline: arms when join requests exceed three times the pre-event rate. */
function naiveJudge(...[s, b]: Parameters<typeof detect>): Detection {
  const attack = s.joinRequests > 3 * Math.max(b.requestsPerPeriod, 1);
  return {
    verdict: attack ? 'attack' : 'normal',
    capacityPressure: false,
    evidence: [
      {
        signal: 'volume',
        value: s.joinRequests,
        baseline: b.requestsPerPeriod,
        threshold: 3 * b.requestsPerPeriod,
        firing: attack,
        text: `join requests ${Math.round(s.joinRequests)} vs 3x baseline`,
      },
    ],
  };
}

/**
 * The oracle: knows true demand and capacity, and runs exactly the tasks that serve everyone, launched as late as
 * start-up and the launch rate allow: the lower bound on task-hours.
 */
function oraclePlan(ls: LoadedScenario, beginRel: number, seconds: number): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  for (const f of ls.fleets) {
    const need = new Int32Array(seconds + 1);
    for (let t = 0; t <= seconds; t++) {
      const d = demandAt(ls.scenario, beginRel + t) * f.config.share;
      const rise = Math.max(
        0,
        (demandAt(ls.scenario, beginRel + t + 1) - demandAt(ls.scenario, beginRel + t)) * f.config.share,
      );
      const inv = tasksFor(f.truth, d);
      const byListeners = inv.reachable ? (inv.tasks ?? 0) : (inv.tasks ?? f.config.maxTasks);
      const bySignalling = Math.ceil(
        (rise * ls.scenario.clients.joinRequestsPerListener) / f.truth.joinsPerTaskPerSecond,
      );
      need[t] = Math.min(f.config.maxTasks, Math.max(f.config.baselineTasks, byListeners, bySignalling));
    }
    // Tasks launched at t run at t + start-up; at most the launch rate a minute.
    const startup = Math.ceil(f.config.startupSeconds * 1.1);
    const desired = new Int32Array(seconds + 1);
    const perSecond = f.config.launchRatePerMinute / 60;
    let next = 0;
    for (let t = seconds; t >= 0; t--) {
      const ahead = need[Math.min(seconds, t + startup)]!;
      next = Math.max(ahead, Math.ceil(next - perSecond));
      desired[t] = Math.max(need[t]!, next);
    }
    out.set(f.config.id, desired);
  }
  return out;
}
