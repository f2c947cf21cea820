import type { PayloadSpec } from '../core/payload';
import { BadPayloadError, checkPayload } from '../core/payload';
import type { EventView } from '../core/runtime-config';
import { findEvent, fleetTimeline, watchWindow } from '../core/runtime-config';
import { desiredSchedules, eventSchedules } from '../core/schedules';
import { SCHEDULE_SYNC_MINUTES } from './schedules';
import { liveCapacity } from '../core/live-model';
import { uslCapacity } from '../core/usl';
import { stepFloor } from '../core/planner';
import { phaseAt } from '../core/watch-policy';
import type { AlarmPort, SchedulePort, WafSwitch } from '../ports';
import { floorOf } from '../ports';
import type { AuditRecord, EventState, FleetState } from '../ports/state';
import { errorMessage } from '../core/errors';
import { switchWaf } from './waf-overrides';
import type { ControllerDeps } from './deps';
import { addressOf } from './deps';
import { runRestore } from './restore';
import { clearBackstop } from './backstop';
import { backstopPrefix } from '../core/backstop';
import { liveSummary, readMetrics } from './watch';

/** The on-call operations, one per `surgeguard` runbook command. */
export const OPERATIONS = [
  'status',
  'audit',
  'scale',
  'hold',
  'resume',
  'shift',
  'shield',
  'restore',
  'dry-run',
  'pause',
  'activate',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The operations that change nothing: what a read-only entry point answers. */
export const READ_OPERATIONS: readonly Operation[] = ['status', 'audit'];

/** The longest `reason` kept in the audit trail. */
export const MAX_REASON_CHARS = 500;

/** An operation this entry point does not perform (a change asked of the read-only one). */
export class OperationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationRefusedError';
  }
}

const SPECS: Record<Operation, PayloadSpec> = {
  status: { op: 'string', eventId: 'string?' },
  audit: { op: 'string', eventId: 'string?', sinceMinutes: 'number?' },
  scale: {
    op: 'string',
    eventId: 'string',
    fleetId: 'string',
    to: 'number?',
    byPercent: 'number?',
    forMinutes: 'number',
    force: 'boolean?',
    reason: 'string',
  },
  hold: { op: 'string', eventId: 'string?', all: 'boolean?', forMinutes: 'number', reason: 'string' },
  resume: { op: 'string', eventId: 'string?', all: 'boolean?', reason: 'string' },
  shift: { op: 'string', eventId: 'string', minutes: 'number', reason: 'string' },
  shield: { op: 'string', eventId: 'string', mode: 'string', forMinutes: 'number', reason: 'string' },
  restore: { op: 'string', eventId: 'string', reason: 'string' },
  'dry-run': { op: 'string', on: 'boolean', reason: 'string' },
  pause: { op: 'string', reason: 'string' },
  activate: { op: 'string', reason: 'string' },
};

/** A runbook request: `{ op, ...arguments }`. */
export type RunbookRequest = { op: Operation } & Record<string, unknown>;

/** What an operation answers: what changed (in words), and data for `status` and `audit`. */
export interface RunbookResponse {
  readonly ok: boolean;
  readonly op: string;
  readonly changed: string[];
  /** What the operation found already so, or left alone, and why: no-ops are not changes. */
  readonly unchanged?: string[];
  readonly data?: unknown;
  readonly error?: string;
}

/** Everything the runbook acts through: the controller's ports and, where deployed, schedules, alarms and WAF. */
export interface RunbookDeps extends ControllerDeps {
  readonly schedules?: SchedulePort;
  readonly alarms?: AlarmPort;
  readonly waf?: WafSwitch;
}

/**
 * Checks a request's shape: a known operation, its fields and their types, nothing else, a reason in words of at
 * most {@link MAX_REASON_CHARS}; and that this entry point performs the operation.
 */
export function parseRunbookRequest(
  value: unknown,
  allowed: readonly Operation[] = OPERATIONS,
): RunbookRequest {
  const op = (value as { op?: unknown } | null)?.op;
  if (typeof op !== 'string' || !(OPERATIONS as readonly string[]).includes(op)) {
    throw new BadPayloadError(`bad request: op must be one of ${OPERATIONS.join(', ')}`);
  }
  if (!allowed.includes(op as Operation))
    throw new OperationRefusedError(
      `refused: ${op} changes state; this entry point only reads (${allowed.join(', ')}): use the change entry point`,
    );
  const spec = SPECS[op as Operation];
  const req = checkPayload(value, spec) as RunbookRequest;
  if (Object.hasOwn(spec, 'reason')) {
    const reason = String(req.reason);
    if (!reason.trim()) throw new BadPayloadError('bad request: reason: expected why, in words');
    if (reason.length > MAX_REASON_CHARS)
      throw new BadPayloadError(
        `bad request: reason: at most ${MAX_REASON_CHARS} characters, got ${reason.length}`,
      );
  }
  return req;
}

const MAX_MINUTES = 24 * 60;

/**
 * Runs one operation for `actor` (an identity that came from AWS, never from the request). Bad input, an unknown
 * event or fleet, or an event that is over is a clear error and changes nothing. Every change is audited.
 */
export async function runOperation(
  deps: RunbookDeps,
  req: RunbookRequest,
  actor: string,
): Promise<RunbookResponse> {
  const now = deps.clock.now();
  const fail = (message: string): never => {
    throw new BadPayloadError(message);
  };
  const event = (id: unknown): EventView => {
    const view = findEvent(deps.runtime, String(id));
    if (!view)
      fail(
        `unknown event "${String(id)}"; expected one of: ${deps.runtime.config.events.map((e) => e.id).join(', ') || '(none)'}`,
      );
    return view!;
  };
  const duration = (minutes: unknown) => {
    const m = Number(minutes);
    if (!Number.isFinite(m) || m <= 0 || m > MAX_MINUTES)
      fail(`duration: expected more than 0 and at most 24 hours, got ${String(minutes)} minutes`);
    return m;
  };
  const notOver = async (view: EventView) => {
    const state = await deps.state.getEvent(view.event.id);
    const { schedules } = eventSchedules(deps.runtime, new Date(now), (id) =>
      id === view.event.id ? state.shiftMinutes : 0,
    );
    if (!schedules.some((s) => s.eventId === view.event.id))
      fail(`event "${view.event.id}" is over: nothing to change`);
    return state;
  };
  // Each change is written with its audit record in one transaction (or, for restore, the record goes first).
  const record = (
    r: Omit<AuditRecord, 'atMs' | 'actor' | 'kind' | 'result'> & { result?: AuditRecord['result'] },
  ): AuditRecord => ({ atMs: now, actor, kind: 'operation', result: 'ok', ...r });
  const reason = String(req.reason ?? '');

  switch (req.op) {
    case 'status':
      return {
        ok: true,
        op: req.op,
        changed: [],
        data: await status(deps, now, req.eventId === undefined ? undefined : event(req.eventId)),
      };

    case 'audit': {
      const since = now - (req.sinceMinutes === undefined ? 24 * 60 : duration(req.sinceMinutes)) * 60_000;
      const ids =
        req.eventId !== undefined
          ? [event(req.eventId).event.id]
          : [undefined, ...deps.runtime.config.events.map((e) => e.id)];
      const records = (
        await Promise.all(ids.map((id) => deps.state.listAudit({ eventId: id, sinceMs: since })))
      ).flat();
      records.sort((a, b) => a.atMs - b.atMs);
      return { ok: true, op: req.op, changed: [], data: records.slice(-500) };
    }

    case 'scale': {
      const view = event(req.eventId);
      const eventState = await notOver(view);
      const pair = view.fleets.find((f) => f.fleet.id === req.fleetId);
      if (!pair)
        fail(
          `fleet "${String(req.fleetId)}" is not in event ${view.event.id}; expected one of: ${view.fleets.map((f) => f.fleet.id).join(', ')}`,
        );
      const { fleet, plan } = pair!;
      if ((req.to === undefined) === (req.byPercent === undefined))
        fail('scale: give exactly one of --to N or --by PCT');
      const minutes = duration(req.forMinutes);
      const state = await deps.state.getFleet(view.event.id, fleet.id);
      const timeline = fleetTimeline(view, plan, eventState.shiftMinutes);
      const recordedFloor = state?.recorded ? floorOf(state.recorded) : fleet.baselineTasks;
      const planFloor = stepFloor(timeline.steps, now, recordedFloor);
      const current = state?.appliedTasks ?? planFloor;
      let tasks: number;
      if (req.to !== undefined) {
        tasks = Number(req.to);
        if (!Number.isInteger(tasks) || tasks < 0)
          fail(`--to: expected a whole number of tasks, got ${String(req.to)}`);
      } else {
        const pct = Number(req.byPercent);
        if (pct <= -100 || pct > 1000)
          fail(`--by: expected a percentage above -100 and at most 1000, got ${pct}`);
        tasks = Math.ceil(current * (1 + pct / 100));
      }
      if (tasks > fleet.maxTasks) fail(`${tasks} tasks is above the fleet's maxTasks ${fleet.maxTasks}`);
      const inWindow = now >= timeline.rampStartMs && now < timeline.holdUntilMs;
      if (inWindow && tasks < planFloor && !req.force) {
        fail(
          `${tasks} tasks is below the plan's floor ${planFloor} during the event; add --force to go below the plan`,
        );
      }
      const until = now + minutes * 60_000;
      const next: Omit<FleetState, 'version'> = {
        ...(state ?? { eventId: view.event.id, fleetId: fleet.id, phase: 'scheduled', peakListeners: 0 }),
        override: { tasks, force: Boolean(req.force), untilMs: until, by: actor, reason },
      };
      await deps.state.putFleet(
        next,
        state?.version ?? 0,
        record({
          eventId: view.event.id,
          fleetId: fleet.id,
          action: 'scale',
          reason,
          inputs: req,
          decision: next.override,
        }),
      );
      const change = `${view.event.id}/${fleet.id}: manual floor ${tasks} tasks${req.force ? ' (forced)' : ''} until ${iso(until)}${state?.override && state.override.untilMs > now ? ` (was ${state.override.tasks})` : ''}; the watch applies it at its next tick`;
      return { ok: true, op: req.op, changed: [change] };
    }

    case 'hold':
    case 'resume': {
      const all = Boolean(req.all);
      if (all === (req.eventId !== undefined)) fail(`${req.op}: give exactly one of --event ID or --all`);
      const hold =
        req.op === 'hold'
          ? { untilMs: now + duration(req.forMinutes) * 60_000, by: actor, reason }
          : undefined;
      const rec = record({
        eventId: all ? undefined : String(req.eventId),
        action: req.op,
        reason,
        inputs: req,
      });
      if (all) {
        const g = await deps.state.getGlobal();
        await deps.state.putGlobal({ ...g, hold }, g.version, rec);
      } else {
        const view = event(req.eventId);
        const s = req.op === 'hold' ? await notOver(view) : await deps.state.getEvent(view.event.id);
        await deps.state.putEvent({ ...s, hold }, s.version, rec);
      }
      const scope = all ? 'all events' : String(req.eventId);
      const change = hold
        ? `automation held for ${scope} until ${iso(hold.untilMs)} (decisions are still made and audited)`
        : `automation resumed for ${scope}`;
      return { ok: true, op: req.op, changed: [change] };
    }

    case 'shift': {
      const view = event(req.eventId);
      const s = await notOver(view);
      const minutes = Number(req.minutes);
      if (!Number.isInteger(minutes) || minutes === 0 || Math.abs(minutes) > MAX_MINUTES)
        fail(
          `--minutes: expected a whole number of minutes, not 0, at most 1440 either way; got ${req.minutes}`,
        );
      const total = s.shiftMinutes + minutes;
      // Bounded in all too: the watch looks for events a day either side of their published times.
      if (Math.abs(total) > MAX_MINUTES)
        fail(
          `--minutes: ${view.event.id} would move ${total} minutes in all, more than 1440 either way; publish the new times instead (surgeguard publish)`,
        );
      // Plan steps left with Application Auto Scaling would fire at the old times, and a shift out of the window
      // leaves no watch to take them back: they go first (a refusal stops the shift, nothing changed), and the watch
      // schedules the moved steps at its next tick in the window.
      for (const { fleet } of view.fleets) await clearBackstop(deps, view.event.id, fleet, now);
      await deps.state.putEvent(
        { ...s, shiftMinutes: total },
        s.version,
        record({
          eventId: view.event.id,
          action: 'shift',
          reason,
          inputs: req,
          decision: { shiftMinutes: total },
        }),
      );
      // The state is the truth: the schedules follow it now, and the watch's next sync repairs a failed follow.
      let moved: string[] = [];
      let scheduleProblem = '';
      if (deps.schedules) {
        try {
          const r = await deps.schedules.sync(
            desiredSchedules(
              deps.runtime,
              now,
              (id) => (id === view.event.id ? total : 0),
              deps.schedules.targets,
            ),
            view.event.id,
          );
          moved = [...r.created];
        } catch (err) {
          scheduleProblem = `; schedules not moved yet (${errorMessage(err)}): the watch moves them within ${SCHEDULE_SYNC_MINUTES} minutes`;
        }
      }
      const w = watchWindow(deps.runtime, view, total);
      const change = `${view.event.id} moved ${minutes > 0 ? 'later' : 'earlier'} by ${Math.abs(minutes)} minutes (${total} in all): starts ${iso(Date.parse(view.plan.start) + total * 60_000)}, watch ${iso(w.fromMs)} to ${iso(w.toMs)}${moved.length ? `; schedules now: ${moved.join(', ')}` : ''}${scheduleProblem}`;
      return { ok: true, op: req.op, changed: [change] };
    }

    case 'shield': {
      if (!deps.runtime.config.shield) fail('no shield is configured in this region');
      const view = event(req.eventId);
      const s = await notOver(view);
      if (req.mode !== 'arm' && req.mode !== 'disarm')
        fail(`shield: expected arm or disarm, got ${String(req.mode)}`);
      const mode = req.mode === 'arm' ? 'armed' : 'disarmed';
      const until = now + duration(req.forMinutes) * 60_000;
      await deps.state.putEvent(
        { ...s, shieldOverride: { mode, untilMs: until, by: actor, reason } },
        s.version,
        record({
          eventId: view.event.id,
          action: `shield-${req.mode}`,
          reason,
          inputs: req,
          decision: { mode, untilMs: until },
        }),
      );
      const applied = deps.waf ? (await switchWaf(deps.waf, deps.state, deps.log, mode)).changed : [];
      const change = `shield ${mode} by hand for ${view.event.id} until ${iso(until)} (wins over the detector)${applied.length ? `; rules switched: ${applied.join(', ')}` : ''}`;
      if (applied.length)
        await deps.state.audit({
          ...record({
            eventId: view.event.id,
            action: `UpdateWebACL:${req.mode}`,
            reason,
            decision: { rules: applied },
          }),
          kind: 'aws-call',
        });
      await deps.notifier
        ?.publish(
          `SurgeGuard shield ${mode} by hand (${view.event.id})`,
          `${actor}: ${change}. Reason: ${reason}`,
        )
        .catch(() => undefined);
      return { ok: true, op: req.op, changed: [change] };
    }

    case 'restore': {
      const view = event(req.eventId);
      // The request is on record before anything moves; each fleet's restore audits its own calls.
      await deps.state.audit(record({ eventId: view.event.id, action: 'restore', reason, inputs: req }));
      const outcomes = await runRestore(deps, view.event.id, { immediate: true, actor, reason });
      const say = (o: (typeof outcomes)[number]) =>
        `${view.event.id}/${o.fleetId}: ${o.result === 'applied' ? 'recorded settings restored' : o.result === 'unchanged' ? 'already at its recorded settings' : `${o.result}${o.detail ? ` (${o.detail})` : ''}`}`;
      return {
        ok: true,
        op: req.op,
        changed: outcomes.filter((o) => o.result === 'applied').map(say),
        unchanged: outcomes.filter((o) => o.result !== 'applied').map(say),
      };
    }

    case 'dry-run':
    case 'pause':
    case 'activate': {
      const mode =
        req.op === 'pause' ? 'paused' : req.op === 'activate' ? 'active' : req.on ? 'dry-run' : 'active';
      const g = await deps.state.getGlobal();
      await deps.state.putGlobal(
        { ...g, mode },
        g.version,
        record({ action: req.op, reason, inputs: req, decision: { from: g.mode, to: mode } }),
      );
      return {
        ok: true,
        op: req.op,
        ...(g.mode === mode
          ? { changed: [], unchanged: [`automation already ${mode}`] }
          : { changed: [`automation ${g.mode} -> ${mode}`] }),
      };
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Readiness before an event and its state during it, per event and fleet. */
async function status(deps: RunbookDeps, now: number, only?: EventView) {
  const rc = deps.runtime;
  const views = only ? [only] : rc.config.events.map((e) => findEvent(rc, e.id)!).filter(Boolean);
  const global = await deps.state.getGlobal();
  const fleets = [...new Map(views.flatMap((v) => v.fleets.map((f) => [f.fleet.id, f.fleet]))).values()];
  const counts = await deps.capacity.counts(fleets.map(addressOf)).catch(() => new Map());
  const windows = fleets.length ? (await readMetrics(deps, fleets, now)).windows : new Map();
  const alarms = deps.alarms
    ? await deps.alarms
        .firing()
        .catch((err) => [{ name: 'DescribeAlarms failed', reason: errorMessage(err) }])
    : undefined;
  const quota = Object.entries(rc.config.regions).map(([region, limits]) => {
    const used = rc.config.fleets
      .filter((f) => f.region === region)
      .reduce((s, f) => s + (counts.get(f.id)?.desired ?? f.baselineTasks) * f.vcpuPerTask, 0);
    return { region, quota: limits.fargateVcpuQuota, used, headroom: limits.fargateVcpuQuota - used };
  });
  const events = [];
  for (const view of views) {
    const es: EventState = await deps.state.getEvent(view.event.id);
    const schedules = deps.schedules
      ? await deps.schedules.list(view.event.id).catch(() => undefined)
      : undefined;
    const fleetStatus = [];
    for (const { fleet, plan } of view.fleets) {
      const fs = await deps.state.getFleet(view.event.id, fleet.id);
      const timeline = fleetTimeline(view, plan, es.shiftMinutes);
      const recorded = fs?.recorded ? floorOf(fs.recorded) : fleet.baselineTasks;
      const c = counts.get(fleet.id);
      const listeners = windows.get(fleet.id)?.listeners?.at(-1)?.v;
      const prior = rc.models[fleet.id]!;
      const live = fs?.live ? liveCapacity(prior, fs.live).capacity : undefined;
      // What AWS will apply by itself (the backstop): null when it cannot be read.
      const scheduled =
        fleet.scalingMode === 'min-capacity' && deps.capacity.readBackstop
          ? await deps.capacity
              .readBackstop(addressOf(fleet), backstopPrefix(view.event.id))
              .then((as) =>
                as.map((a) => ({ at: iso(a.atMs), minCapacity: a.minCapacity, maxCapacity: a.maxCapacity })),
              )
              .catch(() => null)
          : [];
      fleetStatus.push({
        fleet: fleet.id,
        phase: phaseAt(timeline, now, fs?.appliedTasks ?? recorded, recorded),
        plannedTasks: stepFloor(timeline.steps, now, recorded),
        eventTasks: plan.neededTasks,
        appliedTasks: fs?.appliedTasks ?? null,
        desiredTasks: c?.desired ?? null,
        runningTasks: c?.running ?? null,
        pendingTasks: c?.pending ?? null,
        listeners: listeners ?? null,
        capacityListeners: c ? Math.round(uslCapacity(live?.params ?? prior, c.running)) : null,
        ceilingTasks: fs?.appliedCeiling ?? null,
        confirmed: fs?.confirmed ?? null,
        scheduledSteps: scheduled,
        testModel: {
          listenersPerTask: prior.lambda,
          sigma: prior.sigma,
          kappa: prior.kappa,
          peakTasks: prior.peakTasks,
          peakListeners: prior.peakListeners === null ? null : Math.round(prior.peakListeners),
          ...(prior.peakNotPlaced ? { peakNotPlaced: true } : {}),
        },
        liveModel: live ? liveSummary(live) : null,
        recorded: fs?.recorded ?? null,
        lastDecision: fs?.lastDecision ?? null,
        override: fs?.override && fs.override.untilMs > now ? fs.override : null,
        warnings: plan.warnings,
        rampStart: iso(timeline.rampStartMs),
      });
    }
    const shield = es.shield as { mode?: string; lastVerdict?: string } | undefined;
    // The newest verdict's evidence, so on-call sees why, not just what.
    const lastVerdict = rc.config.shield
      ? (await deps.state.listAudit({ eventId: view.event.id, sinceMs: now - 15 * 60_000 }))
          .filter((a) => a.kind === 'shield' && a.action.startsWith('verdict:'))
          .at(-1)
      : undefined;
    const evidence = (
      (lastVerdict?.decision as { evidence?: { text: string; firing: boolean }[] } | undefined)?.evidence ??
      []
    ).map((e) => ({ firing: e.firing, text: e.text }));
    const override = es.shieldOverride && es.shieldOverride.untilMs > now ? es.shieldOverride : null;
    events.push({
      id: view.event.id,
      title: view.event.title,
      start: iso(Date.parse(view.plan.start) + es.shiftMinutes * 60_000),
      doorsOpen: iso(Date.parse(view.plan.doorsOpen) + es.shiftMinutes * 60_000),
      end: iso(Date.parse(view.plan.end) + es.shiftMinutes * 60_000),
      shiftMinutes: es.shiftMinutes,
      hold: es.hold && es.hold.untilMs > now ? es.hold : null,
      shield: rc.config.shield
        ? {
            mode: override?.mode ?? shield?.mode ?? 'disarmed',
            verdict: shield?.lastVerdict ?? null,
            manual: override,
            evidence,
          }
        : null,
      schedules: schedules ?? null,
      fleets: fleetStatus,
    });
  }
  return {
    now: iso(now),
    automation: global.mode,
    // Which published config and plan this region acts on: after a publish, on-call sees it has arrived.
    document: deps.documentVersion ?? null,
    hold: global.hold && global.hold.untilMs > now ? global.hold : null,
    quota,
    alarms: alarms ?? null,
    events,
  };
}
