import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../../../lambda/adapters/config-file';
import { eventStartMs } from '../../../lambda/core/config/event-time';
import { InputError, formatIssue } from '../../../lambda/core/issues';
import type { RunbookResponse } from '../../../lambda/controller/runbook';
import type { AuditRecord } from '../../../lambda/ports/state';
import { int, peakPlace, table } from '../format';
import type { CliIo } from '../io';
import { EXIT, UserError } from '../io';
import { parseAt } from '../runbook/at';
import { parseMinutes } from '../runbook/duration';
import { regionalFailure, regionsFor, sendToRegions } from '../runbook/regions';
import type { TransportOptions } from '../runbook/transport';
import { transportFor } from '../runbook/transport';

interface Common extends TransportOptions {
  at?: string;
  json?: boolean;
  yes?: boolean;
}

function minutesOf(text: string | undefined, flag: string): number {
  const m = text === undefined ? undefined : parseMinutes(text);
  if (m === undefined)
    throw new UserError(
      `${flag}: expected a duration with its unit such as 30m, 2h or 1h30m, got "${text ?? ''}"`,
      EXIT.usage,
    );
  return m;
}

/** Asks before a change; a `--local` rehearsal asks too, so on-call rehearses the prompt they will meet. */
async function confirm(io: CliIo, o: Common, what: string): Promise<void> {
  if (o.yes) return;
  if (!process.stdin.isTTY)
    throw new UserError(`refusing to ${what} without --yes (no terminal to confirm on)`, EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${what}? [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new UserError('not confirmed: nothing changed');
  void io;
}

/**
 * The regions to ask when no stack is named: those the request touches, from the config. Undefined when a stack
 * is named (or the rehearsal runs locally), or when there is no config here and AWS_REGION names one.
 */
async function routedRegions(o: Common, request: Record<string, unknown>): Promise<string[] | undefined> {
  if (o.local || o.region || o.url || o.function || o.stack) return undefined;
  let config;
  try {
    config = loadConfig(o.config).config;
  } catch (err) {
    if (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION) return undefined;
    const why = err instanceof InputError ? formatIssue(err.issues[0]!) : String(err);
    throw new UserError(`no region: pass --region, set AWS_REGION, or run where the config is (${why})`);
  }
  return regionsFor(config, request);
}

/** The local rehearsal's clock from `--at`; relative times are from the start of the event the request names. */
function rehearsalClock(o: Common, request: Record<string, unknown>): Common {
  if (o.at === undefined) return o;
  if (!o.local)
    throw new UserError("--at moves the local rehearsal's clock only: pass --local STATE_FILE", EXIT.usage);
  const eventId = typeof request.eventId === 'string' ? request.eventId : undefined;
  let startMs: number | undefined;
  if (eventId && /^T[+-]/.test(o.at.trim())) {
    const event = loadConfig(o.config).config.events.find((e) => e.id === eventId);
    if (!event) throw new UserError(`no event "${eventId}" in ${o.config}`, EXIT.usage);
    startMs = eventStartMs(event);
  }
  return { ...o, atMs: parseAt(o.at, startMs) };
}

async function send(
  io: CliIo,
  common: Common,
  request: Record<string, unknown>,
  render: (r: RunbookResponse) => string,
): Promise<void> {
  const o = rehearsalClock(common, request);
  const regions = await routedRegions(o, request);
  if (!regions || regions.length === 1) {
    const res = await transportFor(regions ? { ...o, region: regions[0] } : o).send(request);
    io.out(o.json ? JSON.stringify(res, null, 2) : render(res));
    return;
  }
  const answers = await sendToRegions(regions, (region) => transportFor({ ...o, region }), request);
  const failure = regionalFailure(answers);
  if (o.json) {
    const byRegion = Object.fromEntries(
      answers.map(({ region, ...rest }) => [region, rest.response ?? rest]),
    );
    io.out(JSON.stringify({ ok: !failure, op: request.op, regions: byRegion }, null, 2));
  } else {
    const lines: string[] = [];
    for (const a of answers) {
      lines.push(`[${a.region}]`);
      if (a.response) lines.push(render(a.response));
      if (a.error !== undefined) lines.push(`FAILED: ${a.error}`);
      if (a.skipped) lines.push('not sent: an earlier region failed');
      if (a.undo?.response) lines.push(`undone: ${changedLines(a.undo.response)}`);
      if (a.undo?.error !== undefined) lines.push(`UNDO FAILED: ${a.undo.error}`);
      lines.push('');
    }
    io.out(lines.join('\n').trimEnd());
  }
  if (failure) throw new UserError(`not done in every region: ${failure}`);
}

const changedLines = (r: RunbookResponse) =>
  [...r.changed.map((c) => `changed: ${c}`), ...(r.unchanged ?? []).map((c) => `unchanged: ${c}`)].join(
    '\n',
  ) || 'nothing changed';

type Changing = Common & { reason: string };
type ForEvent = Changing & { event: string };

/** `surgeguard status`: readiness before an event, and its state during it. */
export function status(io: CliIo, o: Common & { event?: string }): Promise<void> {
  return send(io, o, { op: 'status', ...(o.event ? { eventId: o.event } : {}) }, renderStatus);
}

/** `surgeguard scale`: a manual floor until it expires. */
export async function scale(
  io: CliIo,
  o: ForEvent & { fleet: string; to?: string; by?: string; for: string; force?: boolean },
): Promise<void> {
  if ((o.to === undefined) === (o.by === undefined))
    throw new UserError('give exactly one of --to N or --by PCT', EXIT.usage);
  const num = (v: string, flag: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UserError(`${flag}: expected a number, got "${v}"`, EXIT.usage);
    return n;
  };
  const request = {
    op: 'scale',
    eventId: o.event,
    fleetId: o.fleet,
    ...(o.to !== undefined ? { to: num(o.to, '--to') } : { byPercent: num(o.by!, '--by') }),
    forMinutes: minutesOf(o.for, '--for'),
    ...(o.force ? { force: true } : {}),
    reason: o.reason,
  };
  await confirm(io, o, `set a manual floor on ${o.event}/${o.fleet}`);
  await send(io, o, request, changedLines);
}

/** Hold or resume automation, for one event or all. */
async function holdOrResume(
  op: 'hold' | 'resume',
  io: CliIo,
  o: Changing & { event?: string; all?: boolean; for?: string },
): Promise<void> {
  if (Boolean(o.all) === Boolean(o.event))
    throw new UserError('give exactly one of --event ID or --all', EXIT.usage);
  const request = {
    op,
    ...(o.all ? { all: true } : { eventId: o.event }),
    ...(op === 'hold' ? { forMinutes: minutesOf(o.for, '--for') } : {}),
    reason: o.reason,
  };
  await confirm(io, o, `${op} automation for ${o.all ? 'every event' : o.event}`);
  await send(io, o, request, changedLines);
}

/** `surgeguard hold`: automation decides and audits but does not act, until it expires. */
export const hold = (io: CliIo, o: Changing & { event?: string; all?: boolean; for: string }) =>
  holdOrResume('hold', io, o);

/** `surgeguard resume`: automation acts again. */
export const resume = (io: CliIo, o: Changing & { event?: string; all?: boolean }) =>
  holdOrResume('resume', io, o);

/** `surgeguard shift`: the event moved. */
export async function shift(io: CliIo, o: ForEvent & { minutes: string }): Promise<void> {
  const minutes = Number(o.minutes);
  if (!Number.isInteger(minutes))
    throw new UserError(`--minutes: expected a whole number, got "${o.minutes}"`, EXIT.usage);
  await confirm(io, o, `move ${o.event} by ${minutes} minutes`);
  await send(io, o, { op: 'shift', eventId: o.event, minutes, reason: o.reason }, changedLines);
}

/** `surgeguard shield arm|disarm`: a manual shield mode until it expires. */
export async function shield(
  io: CliIo,
  o: ForEvent & { for: string },
  [mode]: (string | undefined)[],
): Promise<void> {
  if (mode !== 'arm' && mode !== 'disarm')
    throw new UserError(`expected arm or disarm, got "${mode}"`, EXIT.usage);
  const request = {
    op: 'shield',
    eventId: o.event,
    mode,
    forMinutes: minutesOf(o.for, '--for'),
    reason: o.reason,
  };
  await confirm(io, o, `${mode} the shield for ${o.event}`);
  await send(io, o, request, changedLines);
}

/** `surgeguard restore`: the event's fleets back to their recorded settings now. */
export async function restore(io: CliIo, o: ForEvent): Promise<void> {
  await confirm(io, o, `restore ${o.event}'s fleets now`);
  await send(io, o, { op: 'restore', eventId: o.event, reason: o.reason }, changedLines);
}

/** `surgeguard dry-run on|off`. */
export async function dryRun(io: CliIo, o: Changing, [state]: (string | undefined)[]): Promise<void> {
  if (state !== 'on' && state !== 'off')
    throw new UserError(`expected on or off, got "${state}"`, EXIT.usage);
  await confirm(io, o, `turn dry-run ${state}`);
  await send(io, o, { op: 'dry-run', on: state === 'on', reason: o.reason }, changedLines);
}

/** The global automation switch. */
async function automation(op: 'pause' | 'activate', io: CliIo, o: Changing): Promise<void> {
  await confirm(io, o, `${op} automation`);
  await send(io, o, { op, reason: o.reason }, changedLines);
}

/** `surgeguard pause`: all automation off. */
export const pause = (io: CliIo, o: Changing) => automation('pause', io, o);

/** `surgeguard activate`: automation on. */
export const activate = (io: CliIo, o: Changing) => automation('activate', io, o);

/** `surgeguard audit`: the audit trail. */
export function audit(io: CliIo, o: Common & { event?: string; since: string }): Promise<void> {
  const request = {
    op: 'audit',
    ...(o.event ? { eventId: o.event } : {}),
    sinceMinutes: minutesOf(o.since, '--since'),
  };
  return send(io, o, request, renderAudit);
}

function renderAudit(r: RunbookResponse): string {
  const rows = (r.data as AuditRecord[]).map((a) => [
    new Date(a.atMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    a.eventId ?? '-',
    a.fleetId ?? '-',
    a.actor,
    a.action,
    a.result,
    a.reason,
  ]);
  if (!rows.length) return 'no audit records in that window';
  return table([['when', 'event', 'fleet', 'who', 'what', 'result', 'why'], ...rows]);
}

interface StatusData {
  now: string;
  automation: string;
  /** The published document version the region acts on (none for a local rehearsal). */
  document?: string | null;
  hold: { untilMs: number; by: string } | null;
  quota: { region: string; quota: number; used: number; headroom: number }[];
  alarms: { name: string; reason: string }[] | null;
  events: {
    id: string;
    title: string;
    start: string;
    doorsOpen: string;
    end: string;
    shiftMinutes: number;
    hold: { untilMs: number } | null;
    shield: {
      mode: string;
      verdict: string | null;
      manual: { mode: string; untilMs: number } | null;
      evidence: { firing: boolean; text: string }[];
    } | null;
    schedules: { name: string; expression: string; state: string }[] | null;
    fleets: {
      fleet: string;
      phase: string;
      plannedTasks: number;
      eventTasks: number;
      rampStart: string;
      appliedTasks: number | null;
      desiredTasks: number | null;
      runningTasks: number | null;
      listeners: number | null;
      capacityListeners: number | null;
      ceilingTasks: number | null;
      /** The plan steps left with Application Auto Scaling; null when they could not be read. */
      scheduledSteps?: { at: string; minCapacity: number }[] | null;
      testModel: {
        listenersPerTask: number;
        peakTasks: number | null;
        peakListeners: number | null;
        peakNotPlaced?: boolean;
      };
      liveModel: {
        listenersPerTask: number;
        peakTasks: number | null;
        peakListeners: number | null;
        ceilingTasks: number | null;
        ceilingReason: string;
        saturatedPeriods: number;
        boundPeriods: number;
        cpuEvidence?: 'used' | 'contradicted' | null;
        retrograde?: { bestTasks: number; worseTasks: number };
        probeDownTasks?: number | null;
      } | null;
      lastDecision: { action: string; reason: string; atMs: number } | null;
      override: { tasks: number; untilMs: number } | null;
      warnings: { code: string }[];
    }[];
  }[];
}

function renderStatus(r: RunbookResponse): string {
  const d = r.data as StatusData;
  const n = (v: number | null) => (v === null ? '-' : int(v));
  const lines = [
    `SurgeGuard at ${d.now}: automation ${d.automation}${d.hold ? `, held for every event until ${new Date(d.hold.untilMs).toISOString()}` : ''}${d.document ? `; published document ${d.document}` : ''}`,
    `vCPU: ${d.quota.map((q) => `${q.region} ${int(q.used)} of ${int(q.quota)} (headroom ${int(q.headroom)})`).join('; ')}`,
    `alarms: ${d.alarms === null ? 'unknown here' : d.alarms.length ? d.alarms.map((a) => `${a.name} (${a.reason})`).join('; ') : 'none in ALARM'}`,
  ];
  for (const e of d.events) {
    lines.push(
      '',
      `Event ${e.id}: ${e.title}`,
      `  doors open ${e.doorsOpen}, start ${e.start}, end ${e.end}${e.shiftMinutes ? ` (shifted ${e.shiftMinutes} min)` : ''}${e.hold ? `; held until ${new Date(e.hold.untilMs).toISOString()}` : ''}`,
    );
    if (e.shield) {
      lines.push(
        `  shield: ${e.shield.mode}${e.shield.manual ? ` (by hand until ${new Date(e.shield.manual.untilMs).toISOString()})` : ''}, last verdict ${e.shield.verdict ?? 'none yet'}`,
      );
      for (const ev of e.shield.evidence ?? [])
        lines.push(`    ${ev.firing ? '[firing]' : '[ok]    '} ${ev.text}`);
    }
    if (e.schedules)
      lines.push(
        `  schedules: ${e.schedules.length ? e.schedules.map((s) => `${s.name} ${s.expression} ${s.state}`).join('; ') : 'NONE (deploy, or the event is over)'}`,
      );
    lines.push(
      table(
        [
          [
            'fleet',
            'phase',
            'ramp start',
            'plan floor now',
            'event target',
            'applied',
            'ceiling',
            'desired',
            'running',
            'listeners',
            'capacity',
            'override',
            'last decision',
          ],
          ...e.fleets.map((f) => [
            f.fleet,
            f.phase,
            f.rampStart,
            n(f.plannedTasks),
            n(f.eventTasks),
            n(f.appliedTasks),
            n(f.ceilingTasks),
            n(f.desiredTasks),
            n(f.runningTasks),
            n(f.listeners),
            n(f.capacityListeners),
            f.override
              ? `${f.override.tasks} until ${new Date(f.override.untilMs).toISOString().slice(11, 16)}Z`
              : '-',
            f.lastDecision ? `${f.lastDecision.action}: ${f.lastDecision.reason}` : '-',
          ]),
        ],
        '  ',
      ),
    );
    for (const f of e.fleets) {
      const t = f.testModel;
      const peak = (m: { peakTasks: number | null; peakListeners: number | null }) =>
        m.peakTasks === null ? 'no peak' : `peak ${int(m.peakListeners ?? 0)} at ${int(m.peakTasks)} tasks`;
      const l = f.liveModel;
      const place = peakPlace(t);
      lines.push(
        `  ${f.fleet} capacity: scaling test ${int(t.listenersPerTask)}/task, ${peak(t)}${place}; ` +
          (l
            ? `live ${int(l.listenersPerTask)}/task, ${peak(l)}, ceiling ${l.ceilingTasks === null ? 'none' : int(l.ceilingTasks)} (${l.ceilingReason}) from ${l.saturatedPeriods} saturated and ${l.boundPeriods} other periods${l.cpuEvidence === 'used' ? ', CPU read as room' : l.cpuEvidence === 'contradicted' ? ', CPU not read (saturated below what it implied)' : ''}${l.retrograde ? `; PAST ITS PEAK at ${int(l.retrograde.worseTasks)} tasks, best ${int(l.retrograde.bestTasks)}: add a cell` : ''}${typeof l.probeDownTasks === 'number' ? `; saturated past the live peak: trying ${int(l.probeDownTasks)} tasks` : ''}`
            : 'no live evidence yet'),
      );
    }
    for (const f of e.fleets) {
      if (f.scheduledSteps === undefined || (f.scheduledSteps?.length ?? 0) === 0) continue;
      lines.push(
        `  ${f.fleet} steps AWS applies by itself: ${f.scheduledSteps === null ? 'could not be read' : f.scheduledSteps.map((s) => `${int(s.minCapacity)} at ${s.at}`).join(', ')}`,
      );
    }
    const warnings = [...new Set(e.fleets.flatMap((f) => f.warnings.map((w) => `${f.fleet} ${w.code}`)))];
    if (warnings.length) lines.push(`  plan warnings: ${warnings.join(', ')}`);
  }
  return lines.join('\n');
}
