import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../../lambda/adapters/config-file';
import type { EventPlan, Plan } from '../../../lambda/core/planner';
import { planAll } from '../../../lambda/core/planner';
import { duration, int, sig, table } from '../format';
import type { CliIo } from '../io';
import { UserError } from '../io';

/** `surgeguard plan`: the pre-scale plan of every event (or one), as a readable table or JSON. */
export function registerPlan(program: Command, io: CliIo): void {
  program
    .command('plan')
    .description('Show the capacity model, needed tasks, lead time and steps of each event and fleet.')
    .option('-c, --config <path>', 'event config file', DEFAULT_CONFIG_PATH)
    .option('-e, --event <id>', 'only this event')
    .option('--json', 'print one JSON object instead of tables')
    .action((opts: { config: string; event?: string; json?: boolean }) => {
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
      if (opts.json) io.out(JSON.stringify(plan, null, 2));
      else io.out(plan.events.map(renderEvent).join('\n\n'));
    });
}

function renderEvent(e: EventPlan): string {
  const lines = [
    `Event ${e.id}: ${e.title}`,
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
    const peak =
      m.peakTasks !== null && m.peakListeners !== null
        ? `peak ${int(m.peakListeners)} listeners at ${int(m.peakTasks)} tasks`
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
