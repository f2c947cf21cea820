import { loadConfig } from '../../../lambda/adapters/config-file';
import type { EventPlan, Plan, PlanWarningCode } from '../../../lambda/core/planner';
import { planAll } from '../../../lambda/core/planner';
import { duration, int, peakPlace, sig, table } from '../format';
import type { CliIo } from '../io';
import { EXIT, UserError } from '../io';

interface PlanOptions {
  config: string;
  event?: string;
  json?: boolean;
  strict?: boolean;
  allow: PlanWarningCode[];
}

/** `surgeguard plan`: the pre-scale plan of every event (or one), as a readable table or JSON. */
export function plan(io: CliIo, opts: PlanOptions): void {
  const loaded = loadConfig(opts.config);
  let plan: Plan = planAll(loaded.config, loaded.models);
  if (opts.event) {
    const events = plan.events.filter((e) => e.id === opts.event);
    if (!events.length) {
      const known = plan.events.map((e) => e.id).join(', ') || '(none)';
      throw new UserError(`unknown event "${opts.event}"; expected one of: ${known}`);
    }
    plan = { events };
  }
  const now = Date.now();
  if (opts.json) {
    io.out(JSON.stringify(plan, null, 2));
    for (const e of plan.events) if (isOver(e, now)) io.err(`note: ${overNote(e)}`);
  } else io.out(plan.events.map((e) => renderEvent(e, now)).join('\n\n'));
  if (opts.strict) gate(plan, opts.allow, io);
}

/** Under `--strict`, fails the command on any warning not allowed, listing each so CI logs say what to fix. */
function gate(plan: Plan, allow: readonly PlanWarningCode[], io: CliIo): void {
  const refused = plan.events.flatMap((e) =>
    e.fleets.flatMap((f) =>
      f.warnings.filter((w) => !allow.includes(w.code)).map((w) => `${e.id} / ${f.fleet}: ${w.code}`),
    ),
  );
  if (!refused.length) return;
  for (const r of refused) io.err(`not allowed: ${r}`);
  const codes = [...new Set(refused.map((r) => r.slice(r.lastIndexOf(' ') + 1)))];
  throw new UserError(
    `plan --strict: ${refused.length} warning${refused.length === 1 ? '' : 's'} not allowed; fix the config or accept them knowingly with ${codes.map((c) => `--allow ${c}`).join(' ')}`,
    EXIT.warnings,
  );
}

function isOver(e: EventPlan, now: number): boolean {
  return Date.parse(e.end) <= now;
}

function overNote(e: EventPlan): string {
  return `event ${e.id} is over (it ended ${e.end}): a deploy schedules nothing for it`;
}

function renderEvent(e: EventPlan, now: number): string {
  const lines = [
    `Event ${e.id}: ${e.title}`,
    ...(isOver(e, now) ? [`  note: ${overNote(e)}`] : []),
    table(
      [
        ['doors open', 'start', 'end', 'hold until'],
        [e.doorsOpen, e.start, e.end, e.holdUntil],
      ],
      '  ',
    ),
  ];
  for (const f of e.fleets) {
    const m = f.model;
    const place = peakPlace(m);
    const peak =
      m.peakTasks !== null && m.peakListeners !== null
        ? `peak ${int(m.peakListeners)} listeners at ${int(m.peakTasks)} tasks${place}`
        : m.peakListeners !== null
          ? `approaches ${int(m.peakListeners)} listeners, no peak`
          : 'no peak';
    lines.push(
      '',
      `  Fleet ${f.fleet}`,
      `    model   ${int(m.listenersPerTask)} listeners/task, sigma ${sig(m.sigma)}, kappa ${sig(m.kappa)}, ${peak}, R² ${m.r2.toFixed(4)}, tested to ${int(m.maxTestedTasks)} tasks`,
      `    need    ${int(f.listeners)} listeners (with headroom) -> ${int(f.neededTasks)} tasks (baseline ${int(f.baselineTasks)})`,
      `    lead    ${duration(f.leadSeconds)} before doors open: ramp starts ${f.rampStart}, ready by ${f.readyAt}`,
      '    steps',
      table([['at (UTC)', 'tasks'], ...f.steps.map((s) => [s.at, int(s.tasks)])], '      '),
    );
    if (f.warnings.length) {
      lines.push('    warnings');
      for (const w of f.warnings) lines.push(`      ${w.code}: ${w.message}`);
    } else lines.push('    warnings: none');
  }
  return lines.join('\n');
}
