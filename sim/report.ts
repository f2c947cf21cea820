import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyRun } from './replay';
import type { LoadedScenario } from './scenario';

/** Rows of the comparison table: one per policy, figures formatted for people. */
export function comparisonRows(runs: readonly PolicyRun[]): string[][] {
  const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    [
      'policy',
      'served',
      'peak shortfall',
      'SLO breach min',
      'abandoned',
      'task-hours',
      'cost vs oracle',
      'WAF armed',
      'first arm (s)',
      'armed w/o attack (min)',
      'armed after attack (min)',
      'legit blocked',
    ],
    ...runs.map((r) => {
      const f = r.figures;
      return [
        r.name,
        pct(f.servedFraction),
        n(f.peakShortfall),
        String(f.sloBreachMinutes),
        n(f.abandonedListeners),
        n(f.taskHours),
        f.costVsOracle === null ? '-' : `${f.costVsOracle.toFixed(2)}x`,
        f.wafArmed ? 'yes' : 'no',
        f.firstArmSecondsAfterAttackStart === null ? '-' : String(f.firstArmSecondsAfterAttackStart),
        f.wafArmedMinutesWithoutAttack.toFixed(1),
        f.wafArmedMinutesAfterAttack.toFixed(1),
        pct(f.legitRequestsBlockedFraction, 3),
      ];
    }),
  ];
}

type Spec = Record<string, unknown>;

/** Renders a Vega-Lite spec to SVG on the server (no browser, no canvas). */
async function toSvg(spec: Spec): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  return view.toSVG();
}

const WIDTH = 900;
const HEIGHT = 260;

function lineChart(
  title: string,
  values: object[],
  y: string,
  yTitle: string,
  color: string,
  extra: Spec = {},
): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5, interpolate: 'step-after' },
    encoding: {
      x: { field: 'minute', type: 'quantitative', title: 'minutes from scheduled start' },
      y: { field: y, type: 'quantitative', title: yTitle },
      color: { field: color, type: 'nominal', title: null },
      strokeDash: { field: 'dash', type: 'nominal', legend: null },
      ...extra,
    },
  };
}

/**
 * Writes the HTML report and its SVG charts: demand vs served vs capacity, tasks, join errors by class, and the
 * WAF's state with the shield's verdicts. Returns the report's path.
 */
export async function writeReport(
  dir: string,
  ls: LoadedScenario,
  runs: readonly PolicyRun[],
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const every = 3; // frames are 10 s apart; charts keep one in three
  const sampled = (r: PolicyRun) => r.frames.filter((_, i) => i % every === 0);
  const minute = (t: number) => Math.round((t / 60) * 100) / 100;

  const served: object[] = [];
  const capacity: object[] = [];
  const tasks: object[] = [];
  const errors: object[] = [];
  const waf: object[] = [];
  const first = runs[0];
  if (first)
    for (const f of sampled(first))
      served.push({ minute: minute(f.t), listeners: f.demand, series: 'demand', dash: 'b' });
  for (const r of runs) {
    for (const f of sampled(r)) {
      const m = minute(f.t);
      served.push({ minute: m, listeners: f.served, series: r.name, dash: 'a' });
      capacity.push({ minute: m, listeners: f.capacity, series: r.name, dash: 'a' });
      tasks.push({ minute: m, tasks: f.running, series: `${r.name} running`, policy: r.name, dash: 'a' });
      tasks.push({ minute: m, tasks: f.desired, series: `${r.name} desired`, policy: r.name, dash: 'b' });
      errors.push({
        minute: m,
        perSecond: f.capacityErrors,
        series: `${r.name} capacity (5xx)`,
        policy: r.name,
        dash: 'a',
      });
      errors.push({
        minute: m,
        perSecond: f.authErrors,
        series: `${r.name} auth (4xx)`,
        policy: r.name,
        dash: 'b',
      });
      waf.push({ minute: m, armed: f.wafArmed ? 1 : 0, series: r.name, dash: 'a' });
    }
  }
  if (first)
    for (const f of sampled(first))
      capacity.push({ minute: minute(f.t), listeners: f.demand, series: 'demand', dash: 'b' });
  const verdicts = runs
    .filter((r) => r.verdicts.length)
    .flatMap((r) => r.verdicts.map((v) => ({ minute: minute(v.t), policy: r.name, verdict: v.verdict })));

  const charts: [string, string, Spec][] = [
    [
      'served.svg',
      'Listeners served vs demand',
      lineChart('Listeners served vs demand', served, 'listeners', 'listeners', 'series'),
    ],
    [
      'capacity.svg',
      'Fleet capacity vs demand',
      lineChart(
        'Fleet capacity (listeners the running tasks carry) vs demand',
        capacity,
        'listeners',
        'listeners',
        'series',
      ),
    ],
    [
      'tasks.svg',
      'Tasks desired and running',
      lineChart('Tasks: running (solid) and desired (dashed)', tasks, 'tasks', 'tasks', 'policy'),
    ],
    [
      'join-errors.svg',
      'Join errors by class',
      lineChart(
        'Join errors per second: capacity 5xx (solid), auth 4xx (dashed)',
        errors,
        'perSecond',
        'errors per second',
        'policy',
      ),
    ],
    [
      'waf.svg',
      'WAF state',
      lineChart('WAF rules armed (1) or counting (0)', waf, 'armed', 'armed', 'series'),
    ],
  ];
  if (verdicts.length) {
    charts.push([
      'verdicts.svg',
      'Shield verdicts',
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: "The shield's verdict each tick",
        width: WIDTH,
        height: 60,
        data: { values: verdicts },
        mark: { type: 'tick', thickness: 2 },
        encoding: {
          x: { field: 'minute', type: 'quantitative', title: 'minutes from scheduled start' },
          y: { field: 'policy', type: 'nominal', title: null },
          color: {
            field: 'verdict',
            type: 'nominal',
            scale: {
              domain: ['normal', 'flash-crowd', 'attack', 'attack+capacity', 'unknown'],
              range: ['#9e9e9e', '#1f77b4', '#d62728', '#ff7f0e', '#dddddd'],
            },
          },
        },
      },
    ]);
  }
  for (const [file, , spec] of charts) writeFileSync(join(dir, file), await toSvg(spec));

  const rows = comparisonRows(runs);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const table = `<table><thead><tr>${rows[0]!.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const s = ls.scenario;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SurgeGuard replay: ${esc(s.name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1000px}table{border-collapse:collapse;font-size:.9rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}
img{display:block;margin:1.5rem 0;max-width:100%}</style></head><body>
<h1>SurgeGuard replay: ${esc(s.name)}</h1>
<p>${esc(s.description ?? '')}</p>
<p>Scheduled start ${esc(s.start)}, ${s.durationMinutes} minutes; forecast ${s.forecast.peakListeners.toLocaleString('en-US')} listeners;
peak demand ${Math.max(...s.demand.map((d) => d[1])).toLocaleString('en-US')}; ${s.attacks.length ? `${s.attacks.length} attack(s)` : 'no attack'}.
Every policy ran against the same world; <em>surgeguard</em> is the plan, watch and shield code the Lambdas run.</p>
${table}
${charts.map(([file, alt]) => `<img src="${file}" alt="${esc(alt)}">`).join('\n')}
</body></html>
`;
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}
