import type { FleetConfig } from '../core/config/schema';
import type { EventView } from '../core/runtime-config';
import { findEvent, fleetTimeline, watchWindow } from '../core/runtime-config';
import type { FleetMetricsWindow, WatchDecision } from '../core/watch-policy';
import { decideWatch } from '../core/watch-policy';
import { uslCapacity } from '../core/usl';
import type { ApplyResult, MetricQuery, ServiceCounts } from '../ports';
import type { Series } from '../core/series';
import { freshAgeMs } from '../core/series';
import type { CapacitySettings } from '../ports';
import { boundedSettings, floorOf, sameSettings } from '../ports';
import type { LiveCapacity } from '../core/live-model';
import { drainUntil, liveCapacity, updateLiveModel } from '../core/live-model';
import type { EventState, FleetState, GlobalState } from '../ports/state';
import { errorMessage } from '../core/errors';
import { minutes } from '../core/time';
import type { ControllerDeps, FleetOutcome } from './deps';
import { PartialFailureError, addressOf, policyFleet } from './deps';
import { metricQueries, windowsOf } from './metric-queries';
import { activeHold, recordSettings } from './shared';
import { MAX_SHIFT_MINUTES, syncSchedules } from './schedules';
import { syncBackstop } from './backstop';

/** An event the watch looks after now, with its state. */
interface LiveEvent {
  readonly view: EventView;
  readonly state: EventState;
}

/** Options of a watch invocation. */
export interface WatchRunOptions {
  /** How long this invocation may keep ticking, in ms. @default 60000 (Scheduler fires once a minute) */
  readonly budgetMs?: number;
  /** Stop this long before the budget ends, in ms. @default 5000 */
  readonly marginMs?: number;
}

/**
 * One watch invocation: runs a tick every `controller.tickSeconds` until the next invocation is due, then stops.
 * @throws PartialFailureError after all ticks when any fleet's action failed.
 */
export async function runWatch(deps: ControllerDeps, options: WatchRunOptions = {}): Promise<FleetOutcome[]> {
  const tickMs = deps.runtime.config.controller.tickSeconds * 1000;
  const budget = options.budgetMs ?? 60_000;
  const margin = options.marginMs ?? 5000;
  const start = deps.clock.now();
  await syncSchedules(deps, start);
  const outcomes: FleetOutcome[] = [];
  for (let k = 0; ; k++) {
    const due = start + k * tickMs;
    if (k > 0 && due > start + budget - margin) break;
    const wait = due - deps.clock.now();
    if (wait > 0) await deps.clock.sleep(wait);
    const ticked = await watchTick(deps);
    outcomes.push(...ticked);
    // Nothing live: stop at once rather than sleep through the minute; the next invocation looks again.
    if (!ticked.length) break;
  }
  if (outcomes.some((o) => o.result === 'error')) throw new PartialFailureError(outcomes);
  return outcomes;
}

/** The events whose watch window contains now (shifts applied); their states are read in one batch. */
export async function liveEvents(deps: ControllerDeps, nowMs: number): Promise<LiveEvent[]> {
  // Only events a shift could make live are read: with none near, a tick costs no state read at all.
  const reach = minutes(MAX_SHIFT_MINUTES);
  const views = deps.runtime.config.events
    .map((event) => findEvent(deps.runtime, event.id))
    .filter((v): v is EventView => v !== undefined)
    .filter((v) => {
      const w = watchWindow(deps.runtime, v, 0);
      return nowMs >= w.fromMs - reach && nowMs < w.toMs + reach;
    });
  if (!views.length) return [];
  const states = await deps.state.getEvents(views.map((v) => v.event.id));
  const live: LiveEvent[] = [];
  views.forEach((view, i) => {
    const state = states[i]!;
    const w = watchWindow(deps.runtime, view, state.shiftMinutes);
    if (nowMs >= w.fromMs && nowMs < w.toMs) live.push({ view, state });
  });
  return live;
}

/** One tick: read every live fleet's metrics (one call per region) and counts, decide, act, audit. */
export async function watchTick(deps: ControllerDeps): Promise<FleetOutcome[]> {
  const nowMs = deps.clock.now();
  const live = await liveEvents(deps, nowMs);
  if (!live.length) return [];
  const global = await deps.state.getGlobal();

  const fleets = live.flatMap((e) => e.view.fleets.map((f) => ({ live: e, ...f })));
  const { windows, extra: wafData } = await readMetrics(
    deps,
    uniqueFleets(fleets.map((f) => f.fleet)),
    nowMs,
    deps.shield?.metricQueries(),
  );
  let counts = new Map<string, ServiceCounts>();
  try {
    counts = await deps.capacity.counts(uniqueFleets(fleets.map((f) => f.fleet)).map(addressOf));
  } catch (err) {
    deps.log.warn('DescribeServices failed; deciding without task counts', { error: errorMessage(err) });
  }

  let extraTasks: Record<string, Record<string, number>> = {};
  let floodSuspected: Record<string, boolean> = {};
  if (deps.shield) {
    try {
      ({ extraTasks, floodSuspected } = await deps.shield.onTick({
        nowMs,
        mode: global.mode,
        wafData,
        events: live.map((e) => ({
          eventId: e.view.event.id,
          eventState: e.state,
          doorsOpenMs: Date.parse(e.view.plan.doorsOpen) + e.state.shiftMinutes * 60_000,
          freshAgeMs: Math.max(
            ...e.view.fleets.map((f) =>
              freshAgeMs(f.fleet.metrics, deps.runtime.config.controller.tickSeconds),
            ),
          ),
          fleets: e.view.fleets.map((f) => ({
            fleetId: f.fleet.id,
            metrics: windows.get(f.fleet.id) ?? {},
            runningTasks: counts.get(f.fleet.id)?.running,
            model: deps.runtime.models[f.fleet.id]!,
          })),
        })),
      }));
    } catch (err) {
      deps.log.error('shield tick failed; capacity decisions go on', { error: errorMessage(err) });
    }
  }

  // Every live fleet's state in one batch; a failed batch leaves each fleet to read its own.
  let fleetStates: (FleetState | undefined)[] | undefined;
  try {
    fleetStates = await deps.state.getFleets(
      live.flatMap((e) => e.view.fleets.map((f) => ({ eventId: e.view.event.id, fleetId: f.fleet.id }))),
    );
  } catch (err) {
    deps.log.warn('batch read of fleet states failed; reading each fleet', { error: errorMessage(err) });
  }
  let k = 0;
  const outcomes: FleetOutcome[] = [];
  for (const e of live) {
    for (const f of e.view.fleets) {
      const prefetched = fleetStates ? { state: fleetStates[k] } : undefined;
      k++;
      const started = performance.now();
      const outcome = await decideAndAct(deps, {
        nowMs,
        global,
        live: e,
        fleet: f.fleet,
        fleetPlanIndex: e.view.fleets.indexOf(f),
        metrics: windows.get(f.fleet.id) ?? {},
        counts: counts.get(f.fleet.id),
        vcpuAvailable: vcpuAvailable(deps, f.fleet, counts),
        extraTasks: extraTasks[e.view.event.id]?.[f.fleet.id] ?? 0,
        floodSuspected: floodSuspected[e.view.event.id] ?? false,
        prefetched,
      });
      const dims = { Fleet: f.fleet.id, Event: e.view.event.id };
      // The stack's per-fleet join SLO alarm compares against the live event's own SLO.
      deps.telemetry.metric('JoinSloTarget', e.view.event.slo.joinSuccessRatio, 'None', dims);
      if (outcome.decision) {
        deps.telemetry.metric('PlannedTasks', outcome.decision.planFloor, 'Count', dims);
        deps.telemetry.metric('DecidedTasks', outcome.decision.targetTasks, 'Count', dims);
        if (outcome.decision.forecastListeners !== null) {
          deps.telemetry.metric('ForecastListeners', outcome.decision.forecastListeners, 'Count', dims);
        }
        if (outcome.decision.limitBreached) deps.telemetry.metric('LimitBreach', 1, 'Count', dims);
        if (outcome.decision.ceilingTasks !== null)
          deps.telemetry.metric('CeilingTasks', outcome.decision.ceilingTasks, 'Count', dims);
      }
      if (outcome.live?.peakListeners != null)
        deps.telemetry.metric('LivePeakListeners', outcome.live.peakListeners, 'Count', dims);
      const c = counts.get(f.fleet.id);
      if (c) {
        deps.telemetry.metric('RunningTasks', c.running, 'Count', dims);
        deps.telemetry.metric(
          'CapacityListeners',
          uslCapacity(outcome.live?.params ?? deps.runtime.models[f.fleet.id]!, c.running),
          'Count',
          dims,
        );
      }
      deps.telemetry.metric('DecisionLatency', performance.now() - started, 'Milliseconds', dims);
      outcomes.push(outcome);
    }
  }
  return outcomes;
}

function uniqueFleets(fleets: readonly FleetConfig[]): FleetConfig[] {
  return [...new Map(fleets.map((f) => [f.id, f])).values()];
}

/**
 * Reads every fleet's metrics with one GetMetricData call per region, extra queries (the web ACL's) riding in the
 * call of their region. A failed region gives empty windows: its fleets hold.
 */
export async function readMetrics(
  deps: ControllerDeps,
  fleets: readonly FleetConfig[],
  nowMs: number,
  extraQueries?: { region: string; queries: MetricQuery[] },
): Promise<{ windows: Map<string, FleetMetricsWindow>; extra: Map<string, Series> }> {
  const { controller } = deps.runtime.config;
  const byRegion = new Map<string, FleetConfig[]>();
  for (const f of fleets) byRegion.set(f.region, [...(byRegion.get(f.region) ?? []), f]);
  if (extraQueries?.queries.length && !byRegion.has(extraQueries.region))
    byRegion.set(extraQueries.region, []);
  const windows = new Map<string, FleetMetricsWindow>();
  const extra = new Map<string, Series>();
  for (const [region, regionFleets] of byRegion) {
    const periods = regionFleets.map((f) => f.metrics.delaySeconds + 2 * f.metrics.periodSeconds);
    const lookback = Math.max(180, ...periods) * 1000;
    const startMs = nowMs - controller.forecastWindowMinutes * 60_000 - lookback;
    const riders = extraQueries?.region === region ? extraQueries.queries : [];
    try {
      const data = await deps.metrics.fetch(
        region,
        [...metricQueries(regionFleets), ...riders],
        startMs,
        nowMs,
      );
      for (const [id, w] of windowsOf(regionFleets, data)) windows.set(id, w);
      for (const q of riders) extra.set(q.id, data.get(q.id) ?? []);
    } catch (err) {
      // No data means every fleet of the region holds its capacity: the policy treats it as missing.
      deps.log.error('GetMetricData failed; fleets in the region hold', { region, error: errorMessage(err) });
    }
  }
  return { windows, extra };
}

/** vCPU a fleet may use: its region's quota less what the region's other fleets hold (desired, or baseline). */
function vcpuAvailable(deps: ControllerDeps, fleet: FleetConfig, counts: Map<string, ServiceCounts>): number {
  const quota = deps.runtime.config.regions[fleet.region]?.fargateVcpuQuota ?? Infinity;
  const others = deps.runtime.config.fleets
    .filter((f) => f.region === fleet.region && f.id !== fleet.id)
    .reduce((sum, f) => sum + (counts.get(f.id)?.desired ?? f.baselineTasks) * f.vcpuPerTask, 0);
  return Math.max(0, quota - others);
}

interface FleetTick {
  nowMs: number;
  global: GlobalState;
  live: LiveEvent;
  fleet: FleetConfig;
  fleetPlanIndex: number;
  metrics: FleetMetricsWindow;
  counts?: ServiceCounts;
  vcpuAvailable: number;
  extraTasks: number;
  floodSuspected: boolean;
  /** The fleet's state as read in the tick's batch (absent: read it here). */
  prefetched?: { state: FleetState | undefined };
}

async function decideAndAct(deps: ControllerDeps, t: FleetTick): Promise<FleetOutcome> {
  const eventId = t.live.view.event.id;
  const fleetId = t.fleet.id;
  const address = addressOf(t.fleet);
  try {
    const fleetPlan = t.live.view.fleets[t.fleetPlanIndex]!.plan;
    const timeline = fleetTimeline(t.live.view, fleetPlan, t.live.state.shiftMinutes);
    let state = t.prefetched ? t.prefetched.state : await deps.state.getFleet(eventId, fleetId);
    if (!state?.recorded) state = await recordOrAssume(deps, t, state);
    const recorded = state.recorded!;
    // What AWS holds now, not what state says was applied: a write that died half-way is repaired here.
    const confirmed = await readSettings(deps, t, state);
    const current = confirmed ? floorOf(confirmed) : (state.appliedTasks ?? floorOf(recorded));
    const listenersNow = t.metrics.listeners?.at(-1)?.v;
    const peak = Math.max(
      state.peakListeners,
      Number.isFinite(listenersNow) && (listenersNow ?? 0) > 0 ? (listenersNow as number) : 0,
    );
    const prior = deps.runtime.models[fleetId]!;
    // Tasks ECS runs past the desired count are draining (they protect their listeners).
    const draining = t.counts ? t.counts.running + t.counts.pending - t.counts.desired : undefined;
    const updated = updateLiveModel(state.live, {
      nowMs: t.nowMs,
      running: t.counts?.running,
      draining,
      periodSeconds: t.fleet.metrics.periodSeconds,
      listeners: t.metrics.listeners,
      joinRequests: t.metrics.joinRequests,
      joinSuccesses: t.metrics.joinSuccesses,
      joinErrorsCapacity: t.metrics.joinErrorsCapacity,
      joinErrorsAuth: t.metrics.joinErrorsAuth,
      cpu: t.metrics.cpu,
      cpuAtCapacity: t.fleet.cpuAtCapacity ?? prior.cpuAtCapacity,
      drainFromMs: state.drainFromMs,
      drainUntilMs: state.drainUntilMs,
      floodSuspected: t.floodSuspected,
    });
    const { capacity: live, state: liveState } = liveCapacity(prior, updated);
    const override = state.override && state.override.untilMs > t.nowMs ? state.override : undefined;
    const event = t.live.view.event;
    const input: Parameters<typeof decideWatch>[0] = {
      nowMs: t.nowMs,
      timeline,
      model: prior,
      testedTasks: prior.maxTestedTasks,
      headroom: event.liveHeadroom,
      fleet: policyFleet(t.fleet),
      controller: deps.runtime.config.controller,
      stepDown: event.stepDown,
      metrics: t.metrics,
      currentTasks: current,
      recordedTasks: floorOf(recorded),
      vcpuAvailable: t.vcpuAvailable,
      peakListeners: peak,
      lastScaleInMs: state.lastScaleInMs,
      drainFromMs: state.drainFromMs,
      drainUntilMs: state.drainUntilMs,
      peakTasks: state.peakAppliedTasks,
      floodSuspected: t.floodSuspected,
      override: override ? { tasks: override.tasks, force: override.force } : undefined,
      extraTasks: t.extraTasks,
      live,
      followAudience:
        event.followAudience.enabled && t.fleet.drain === 'task-protection'
          ? event.followAudience
          : undefined,
      listenerHistory: liveState.listeners,
      runningTasks: t.counts?.running,
      drainingTasks: draining,
      runningHistory: liveState.counts,
      cpuAtCapacity: t.fleet.cpuAtCapacity ?? prior.cpuAtCapacity,
    };
    const decision = await unlessUndrained(deps, t, decideWatch(input));
    const outcome = await act(deps, t, { ...state, live: liveState }, decision, peak, confirmed, live);
    await syncBackstop(deps, {
      nowMs: t.nowMs,
      eventId,
      fleet: t.fleet,
      steps: timeline.steps,
      confirmed,
      appliedTasks: outcome.result === 'applied' ? decision.targetTasks : undefined,
      ceiling: decision.ceilingTasks,
      acting:
        t.global.mode === 'active' &&
        !activeHold(t.global, t.live.state, t.nowMs) &&
        !(override && override.force),
    });
    return outcome;
  } catch (err) {
    const detail = errorMessage(err);
    deps.log.error('fleet decision failed', { eventId, fleetId, region: address.region, error: detail });
    await safeAudit(deps, {
      atMs: t.nowMs,
      eventId,
      fleetId,
      actor: deps.actor,
      kind: 'decision',
      action: 'watch',
      reason: 'the decision or its write failed',
      result: 'error',
      error: detail,
    });
    return { eventId, fleetId, result: 'error', detail };
  }
}

/**
 * A decision to follow the audience down stands only when the service's tasks protect their listeners (ECS task
 * scale-in protection): otherwise ECS would stop tasks that carry listeners, so the watch holds and says why.
 */
async function unlessUndrained(
  deps: ControllerDeps,
  t: FleetTick,
  decision: WatchDecision,
): Promise<WatchDecision> {
  if (!decision.followingAudience) return decision;
  const protecting = deps.drain
    ? await deps.drain.protecting(addressOf(t.fleet)).catch((err: unknown) => {
        deps.log.warn('reading task protection failed', { fleetId: t.fleet.id, error: errorMessage(err) });
        return undefined;
      })
    : undefined;
  if (protecting === true) return decision;
  const why =
    protecting === false
      ? 'no running task has scale-in protection, so a lower floor would stop tasks that carry listeners'
      : 'task scale-in protection could not be checked';
  // Only the step down is refused: the floor stays where it is (not back to the plan).
  return {
    ...decision,
    action: 'hold',
    targetTasks: decision.currentTasks,
    ceilingTasks:
      decision.ceilingTasks === null ? null : Math.max(decision.ceilingTasks, decision.currentTasks),
    followingAudience: false,
    anomalies: [...decision.anomalies, `drain: ${why}`],
    reason: `not following the audience down: ${why}`,
  };
}

/** The fleet's settings as AWS reports them; undefined (decide from state) when the read fails. */
async function readSettings(
  deps: ControllerDeps,
  t: FleetTick,
  state: FleetState,
): Promise<CapacitySettings | undefined> {
  try {
    return await deps.capacity.read(addressOf(t.fleet));
  } catch (err) {
    deps.log.warn('reading capacity settings failed; deciding from the state', {
      eventId: t.live.view.event.id,
      fleetId: t.fleet.id,
      error: errorMessage(err),
    });
    return state.confirmed;
  }
}

async function act(
  deps: ControllerDeps,
  t: FleetTick,
  state: FleetState,
  decision: WatchDecision,
  peak: number,
  confirmed: CapacitySettings | undefined,
  live: LiveCapacity,
): Promise<FleetOutcome> {
  const eventId = t.live.view.event.id;
  const fleetId = t.fleet.id;
  const hold = activeHold(t.global, t.live.state, t.nowMs);
  // The intended settings against what AWS holds: a difference is a change to make, even when the decision holds.
  const intended = confirmed
    ? boundedSettings(confirmed, decision.targetTasks, decision.ceilingTasks)
    : undefined;
  const drift = confirmed && intended ? !sameSettings(confirmed, intended) : false;
  const wantsChange = (decision.action !== 'hold' && decision.targetTasks !== decision.currentTasks) || drift;
  let result: FleetOutcome['result'] = 'unchanged';
  if (wantsChange) {
    if (t.global.mode === 'paused') result = 'paused';
    else if (hold) result = 'held';
    else if (t.global.mode === 'dry-run') result = 'dry-run';
    else result = 'applied';
  }
  const applied = result === 'applied';
  const base = {
    eventId,
    fleetId,
    phase: decision.phase,
    recorded: state.recorded,
    override: state.override,
    peakListeners: peak,
    live: state.live,
    confirmed,
    retrogradeNotifiedMs: state.retrogradeNotifiedMs,
    lastScaleInMs: applied && decision.action === 'scale-in' ? t.nowMs : state.lastScaleInMs,
    ...(applied && decision.action === 'scale-in' && takesTasks(t, state, decision.targetTasks)
      ? {
          drainFromMs: t.nowMs,
          drainUntilMs: drainUntil(t.nowMs, decision),
        }
      : { drainFromMs: state.drainFromMs, drainUntilMs: state.drainUntilMs }),
    peakAppliedTasks: Math.max(
      state.peakAppliedTasks ?? 0,
      applied ? decision.targetTasks : 0,
      state.appliedTasks ?? 0,
    ),
    lastDecision: {
      atMs: t.nowMs,
      action: decision.action,
      targetTasks: decision.targetTasks,
      reason: decision.reason,
      applied,
    },
  };
  const appliedCeiling = applied ? (decision.ceilingTasks ?? undefined) : state.appliedCeiling;
  // Claim the decision first: a conditional write that fails means another invocation acted on newer state.
  let claimed: FleetState;
  try {
    // A floor AWS holds above the recorded one (raised while the store refused writes) is the floor from now on, so
    // nothing that reads state (prescale, restore, the runbook) takes it back down.
    const inAws = confirmed ? floorOf(confirmed) : undefined;
    const synced = inAws !== undefined && inAws > (state.appliedTasks ?? 0) ? inAws : state.appliedTasks;
    claimed = await deps.state.putFleet(
      { ...base, appliedTasks: applied ? decision.targetTasks : synced, appliedCeiling },
      state.version,
    );
  } catch (err) {
    if ((err as Error).name === 'VersionConflictError') {
      await safeAudit(
        deps,
        auditOf(deps, t, decision, 'conflict', 'state changed since read; not acting', live),
      );
      return { eventId, fleetId, decision, live, result: 'conflict' };
    }
    // A store that refuses writes (throttled, down) must not keep capacity from an audience arriving: a raised floor
    // is safe to apply unrecorded, since every tick takes the floor in place from AWS. Nothing else acts unrecorded.
    if (!applied || decision.action !== 'scale-out') throw err;
    return await actUnrecorded(deps, t, decision, live, confirmed, errorMessage(err));
  }
  if (applied) {
    try {
      const res = await deps.capacity.applyFloor(
        addressOf(t.fleet),
        decision.targetTasks,
        decision.ceilingTasks,
      );
      claimed = await deps.state.putFleet(
        { ...base, ...keep(claimed), confirmed: res.after },
        claimed.version,
      );
      const releaseTo = releaseOf(decision);
      const release =
        releaseTo !== undefined
          ? await releaseTasks(deps, t.fleet, t.counts, releaseTo, decision.currentTasks)
          : '';
      await safeAudit(
        deps,
        awsCallOf(
          deps,
          t,
          decision,
          drift && decision.action === 'hold'
            ? `repairing settings that differ from the decided ones: ${decision.reason}`
            : `${decision.reason}${release}`,
          live,
          res,
        ),
      );
    } catch (err) {
      // Undo the claim so the next tick tries again instead of believing the floor is in place.
      await deps.state.putFleet(
        {
          ...base,
          appliedTasks: state.appliedTasks,
          appliedCeiling: state.appliedCeiling,
          lastDecision: { ...base.lastDecision, applied: false },
        },
        claimed.version,
      );
      throw err;
    }
  }
  await notifyPastPeak(deps, t, claimed, live);
  await safeAudit(
    deps,
    auditOf(
      deps,
      t,
      decision,
      applied ? 'ok' : result === 'unchanged' ? 'ok' : result === 'dry-run' ? 'dry-run' : 'skipped',
      decision.reason,
      live,
    ),
  );
  return { eventId, fleetId, decision, live, result };
}

/**
 * Raises the floor while the state store refuses the claim: the AWS call goes out, and its record goes to the log
 * in full (the audit write is tried too, and may fail with the store).
 */
async function actUnrecorded(
  deps: ControllerDeps,
  t: FleetTick,
  decision: WatchDecision,
  live: LiveCapacity,
  confirmed: CapacitySettings | undefined,
  stateError: string,
): Promise<FleetOutcome> {
  const eventId = t.live.view.event.id;
  const fleetId = t.fleet.id;
  // Without the claim nothing orders this write against another invocation's: it only ever raises, the floor and
  // the ceiling alike, so whichever lands last leaves at least what the other wanted.
  const now = confirmed ?? (await deps.capacity.read(addressOf(t.fleet)));
  if (floorOf(now) >= decision.targetTasks)
    return {
      eventId,
      fleetId,
      decision,
      live,
      result: 'unchanged',
      detail: 'state store refused the write; AWS already holds the floor',
    };
  const ceiling =
    decision.ceilingTasks === null || now.mode !== 'min-capacity'
      ? decision.ceilingTasks
      : Math.max(decision.ceilingTasks, now.maxCapacity);
  const res = await deps.capacity.applyFloor(addressOf(t.fleet), decision.targetTasks, ceiling);
  const reason = `state store refused the write (${stateError}): applied unrecorded; ${decision.reason}`;
  const record = awsCallOf(deps, t, decision, reason, live, res);
  deps.log.warn('floor raised without a state record', { eventId, fleetId, record });
  await safeAudit(deps, record);
  return { eventId, fleetId, decision, live, result: 'applied', detail: reason };
}

/**
 * Settings read while the state store refused their record, by event and fleet: a warm function records these, the
 * settings from before any unrecorded raise, once the store answers. A cold start reads AWS again (and so may record
 * a raised floor); the log has what was read.
 */
const readBeforeRecord = new WeakMap<object, Map<string, CapacitySettings>>();

/**
 * Records the fleet's settings, or, when the state store refuses the record (throttled, unavailable), takes what AWS
 * held before any change for them, for this tick only: the claim that follows fails the same way, so only a raise
 * goes out, unrecorded.
 */
async function recordOrAssume(
  deps: ControllerDeps,
  t: FleetTick,
  existing: FleetState | undefined,
): Promise<FleetState> {
  const key = `${t.live.view.event.id}/${t.fleet.id}`;
  // One memory per state store: a replay's policies (and tests) each have their own.
  let remembered = readBeforeRecord.get(deps.state);
  if (!remembered) readBeforeRecord.set(deps.state, (remembered = new Map()));
  try {
    const saved = await recordSettings(deps, t.live.view.event.id, t.fleet, existing, {
      readBefore: remembered.get(key),
    });
    remembered.delete(key);
    return saved;
  } catch (err) {
    if ((err as Error).name === 'VersionConflictError') throw err;
    const settings = remembered.get(key) ?? (await deps.capacity.read(addressOf(t.fleet)));
    remembered.set(key, settings);
    deps.log.warn('settings not recorded: the state store refused the write', {
      eventId: t.live.view.event.id,
      fleetId: t.fleet.id,
      settings,
      error: errorMessage(err),
    });
    return {
      eventId: t.live.view.event.id,
      fleetId: t.fleet.id,
      phase: existing?.phase ?? 'prewarming',
      recorded: settings,
      appliedTasks: floorOf(settings),
      peakListeners: existing?.peakListeners ?? 0,
      override: existing?.override,
      // No version the store can match: should it answer this tick after all, the claim conflicts and nothing acts.
      version: -1,
    };
  }
}

/** The fields of a stored fleet state that a follow-up write keeps. */
function keep(s: FleetState): Pick<FleetState, 'appliedTasks' | 'appliedCeiling'> {
  return { appliedTasks: s.appliedTasks, appliedCeiling: s.appliedCeiling };
}

/** Tells on-call once per event that the fleet carried fewer listeners with more tasks: only a new cell helps. */
async function notifyPastPeak(
  deps: ControllerDeps,
  t: FleetTick,
  state: FleetState,
  live: LiveCapacity,
): Promise<void> {
  const r = live.retrograde;
  if (!r || state.retrogradeNotifiedMs !== undefined) return;
  const message = `Fleet ${t.fleet.id} (event ${t.live.view.event.id}) is past its scaling peak: ${Math.round(r.worseTasks)} tasks carried ${Math.round(r.worseListeners).toLocaleString('en-US')} listeners under saturation against ${Math.round(r.bestListeners).toLocaleString('en-US')} at ${Math.round(r.bestTasks)} tasks. Its ceiling is now ${Math.round(r.bestTasks)} tasks (applied unless automation is paused, held or in dry-run). Add a cell (another service) and move part of the audience there.`;
  try {
    await deps.notifier?.publish(`SurgeGuard: ${t.fleet.id} past its scaling peak`, message);
    await deps.state.putFleet({ ...state, retrogradeNotifiedMs: t.nowMs }, state.version);
  } catch (err) {
    deps.log.error('past-peak notification failed', { fleetId: t.fleet.id, error: errorMessage(err) });
  }
}

/** The audit record of a capacity write the watch made: the API call, what it found and what it left. */
function awsCallOf(
  deps: ControllerDeps,
  t: FleetTick,
  decision: WatchDecision,
  reason: string,
  live: LiveCapacity,
  res: ApplyResult,
) {
  return {
    ...auditOf(deps, t, decision, 'ok', reason, live),
    kind: 'aws-call' as const,
    action: t.fleet.scalingMode === 'min-capacity' ? 'RegisterScalableTarget' : 'UpdateService',
    inputs: { before: res.before, after: res.after, changed: res.changed },
  };
}

function auditOf(
  deps: ControllerDeps,
  t: FleetTick,
  decision: WatchDecision,
  result: 'ok' | 'skipped' | 'dry-run' | 'conflict',
  reason: string,
  live: LiveCapacity,
) {
  return {
    atMs: t.nowMs,
    eventId: t.live.view.event.id,
    fleetId: t.fleet.id,
    actor: deps.actor,
    kind: 'decision' as const,
    action: decision.action,
    reason,
    inputs: {
      listeners: decision.listeners,
      forecastListeners: decision.forecastListeners,
      unmetListeners: decision.unmetListeners,
      planFloor: decision.planFloor,
      currentTasks: decision.currentTasks,
      counts: t.counts,
      anomalies: decision.anomalies,
      extraTasks: t.extraTasks,
    },
    decision: {
      targetTasks: decision.targetTasks,
      neededTasks: decision.neededTasks,
      limitTasks: decision.limitTasks,
      limitedBy: decision.limitedBy,
      limitBreached: decision.limitBreached,
      ceilingTasks: decision.ceilingTasks,
      phase: decision.phase,
      liveModel: liveSummary(live),
    },
    result,
  };
}

/** The live capacity model as status, the audit and the replay report show it. */
export function liveSummary(live: LiveCapacity) {
  return {
    listenersPerTask: live.params.lambda,
    sigma: live.params.sigma,
    kappa: live.params.kappa,
    peakTasks: live.peakTasks,
    peakListeners: live.peakListeners === null ? null : Math.round(live.peakListeners),
    ceilingTasks: live.ceilingTasks,
    ceilingReason: live.ceilingReason,
    probeTasks: live.probeTasks,
    probeDownTasks: live.probeDownTasks ?? null,
    serviceCeilingTasks: live.serviceCeilingTasks ?? null,
    retrograde: live.retrograde,
    saturatedPeriods: live.saturatedPeriods,
    boundPeriods: live.boundPeriods,
    cpuEvidence: live.cpuEvidence ?? null,
  };
}

/** Audits without letting a failed audit write hide the action's own outcome. */
export async function safeAudit(
  deps: ControllerDeps,
  record: Parameters<ControllerDeps['state']['audit']>[0],
): Promise<void> {
  try {
    await deps.state.audit(record);
  } catch (err) {
    deps.log.error('audit write failed', {
      eventId: record.eventId,
      fleetId: record.fleetId,
      error: errorMessage(err),
    });
  }
}

/**
 * The size whose running tasks above it a decision releases, if any: only once the floor, or the ceiling, is under
 * them, since a released task that nothing lower follows would run on unprotected.
 */
export function releaseOf(
  decision: Pick<WatchDecision, 'action' | 'releaseTo' | 'ceilingTasks'>,
): number | undefined {
  const to = decision.releaseTo;
  if (to === undefined) return undefined;
  const under =
    decision.action === 'scale-in' || (decision.ceilingTasks !== null && decision.ceilingTasks <= to);
  return under ? to : undefined;
}

/**
 * Releases the scale-in protection of the running tasks above `target` once a step down from past the peak has
 * lowered the floor, so ECS stops them (it stops an unprotected task past the desired count at once) rather than
 * waiting for them to drain. Resolves to what the AWS call's audit adds: how many were released, or why none were
 * (they drain instead). Fleets whose tasks do not protect themselves stop them anyway.
 */
export async function releaseTasks(
  deps: Pick<ControllerDeps, 'drain' | 'log'>,
  fleet: FleetConfig,
  counts: ServiceCounts | undefined,
  target: number,
  current: number,
): Promise<string> {
  if (!deps.drain || fleet.drain !== 'task-protection') return '';
  // Draining tasks count: released, ECS stops them at once as well.
  const running = counts?.running;
  const tasks = (running !== undefined && Number.isFinite(running) ? running : current) - target;
  if (!(tasks >= 1)) return '';
  try {
    const released = await deps.drain.release(addressOf(fleet), tasks);
    return released > 0 ? ` (released the scale-in protection of ${released} of ${tasks} tasks)` : '';
  } catch (err) {
    deps.log.warn('releasing task protection failed; the tasks drain instead', {
      fleetId: fleet.id,
      error: errorMessage(err),
    });
    return ` (releasing the scale-in protection of ${tasks} tasks failed, so they drain: ${errorMessage(err)})`;
  }
}

/**
 * Whether lowering the floor to `target` stops tasks ECS runs now: only when the floor held the service's desired
 * count (its own scaling, holding it higher, keeps those tasks) and the new floor is under it. Unknown counts count.
 */
function takesTasks(t: FleetTick, state: FleetState, target: number): boolean {
  const desired = t.counts?.desired;
  if (desired === undefined) return true;
  return target < desired && desired <= (state.appliedTasks ?? desired);
}
