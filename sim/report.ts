import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { int, percent } from '../bin/cli/format';
import type { PolicyName, PolicyRun } from './replay';
import { POLICY_NAMES } from './replay';
import type { ChartFrame, LineChart, LinePoint, Spec } from './report-charts';
import {
  LEAD_POLICY,
  SERIES_COLOURS,
  hiddenUnderLead,
  intervalChart,
  lineChart,
  verdictChart,
} from './report-charts';
import type { ChartId } from './report-headlines';
import { headlines, oracleNote } from './report-headlines';
import type { LoadedScenario } from './scenario';

/** Rows of the comparison table: one per policy, figures formatted for people. */
export function comparisonRows(runs: readonly PolicyRun[]): string[][] {
  return [
    [
      'policy',
      'served',
      'peak shortfall',
      'SLO breach min',
      'abandoned',
      'dropped by scale-in',
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
        percent(f.servedFraction),
        int(f.peakShortfall),
        String(f.sloBreachMinutes),
        int(f.abandonedListeners),
        int(f.listenersDroppedByScaleIn),
        int(f.taskHours),
        f.costVsOracle === null ? '-' : `${f.costVsOracle.toFixed(2)}x`,
        f.wafArmed ? 'yes' : 'no',
        f.firstArmSecondsAfterAttackStart === null ? '-' : String(f.firstArmSecondsAfterAttackStart),
        f.wafArmedMinutesWithoutAttack.toFixed(1),
        f.wafArmedMinutesAfterAttack.toFixed(1),
        percent(f.legitRequestsBlockedFraction, 3),
      ];
    }),
  ];
}

/** One chart of the report: its files, what it shows, and its Vega-Lite spec. */
export interface ReportChart {
  readonly id: ChartId;
  /** File name stem: `<file>.svg` and `<file>.vl.json`. */
  readonly file: string;
  readonly heading: string;
  /** One computed sentence: what the chart shows. */
  readonly headline: string;
  /** Policies whose line lies hidden under the lead policy's (see hiddenUnderLead). */
  readonly hidden: readonly string[];
  readonly spec: Spec;
}

/** What of a scenario the charts mark and measure. */
export interface ReportScenario {
  readonly attacks: readonly { readonly fromMinute: number; readonly toMinute: number }[];
  readonly tickSeconds: number;
}

/** Frames are 10 s apart; charts keep one in three. */
const EVERY = 3;

/** The report's charts, all on one time axis and one colour scale, each with its headline. */
export function reportCharts(scenario: ReportScenario, runs: readonly PolicyRun[]): ReportChart[] {
  const minute = (t: number) => Math.round((t / 60) * 100) / 100;
  const ts = runs.flatMap((r) => r.frames.map((f) => f.t));
  const frame: ChartFrame = {
    xDomain: ts.length ? [minute(Math.min(...ts)), minute(Math.max(...ts))] : [0, 1],
    policies: POLICY_NAMES.filter((n) => runs.some((r) => r.name === n)),
    attacks: scenario.attacks.map((a) => ({ from: a.fromMinute, to: a.toMinute })),
  };
  const sampled = (r: PolicyRun) => r.frames.filter((_, i) => i % EVERY === 0);
  const points = (
    pick: (f: PolicyRun['frames'][number]) => { kind?: string; value: number }[],
    withDemand: boolean,
  ): LinePoint[] => {
    const out: LinePoint[] = [];
    for (const r of runs)
      for (const f of sampled(r))
        for (const p of pick(f)) out.push({ minute: minute(f.t), policy: r.name, ...p });
    const first = runs[0];
    if (withDemand && first)
      for (const f of sampled(first)) out.push({ minute: minute(f.t), policy: 'demand', value: f.demand });
    return out;
  };
  const round1 = (x: number) => Math.round(x * 10) / 10;
  const h = headlines(runs, { attacks: scenario.attacks.length, tickSeconds: scenario.tickSeconds });
  const line = (id: ChartId, file: string, heading: string, chart: LineChart): ReportChart => ({
    id,
    file,
    heading,
    headline: h[id],
    hidden: hiddenUnderLead(chart.points),
    spec: lineChart(frame, chart),
  });

  const charts: ReportChart[] = [
    line('served', 'served', 'Listeners served vs demand', {
      title: 'Listeners served vs demand (grey band)',
      points: points((f) => [{ value: f.served }], true),
    }),
    line('capacity', 'capacity', 'Fleet capacity vs demand', {
      title: 'Fleet capacity (listeners the running tasks carry) vs demand (grey band)',
      points: points((f) => [{ value: f.capacity }], true),
    }),
    line('tasks', 'tasks', 'Tasks running and desired', {
      title: 'Tasks (ECS): running (solid), desired (dashed), and the ceiling SurgeGuard held (dotted)',
      points: points(
        (f) => [
          { kind: 'running', value: f.running },
          { kind: 'desired', value: f.desired },
          ...(f.ceiling !== undefined ? [{ kind: 'ceiling', value: f.ceiling }] : []),
        ],
        false,
      ),
      kinds: [
        { name: 'running', dash: [] },
        { name: 'desired', dash: [6, 4] },
        { name: 'ceiling', dash: [2, 3] },
      ],
    }),
    line('errors', 'join-errors', 'Join errors by class', {
      title: 'Join errors per second: capacity 5xx (solid), auth 4xx (dashed)',
      format: ',.1f',
      points: points(
        (f) => [
          { kind: 'capacity (5xx)', value: round1(f.capacityErrors) },
          { kind: 'auth (4xx)', value: round1(f.authErrors) },
        ],
        false,
      ),
      kinds: [
        { name: 'capacity (5xx)', dash: [] },
        { name: 'auth (4xx)', dash: [6, 4] },
      ],
    }),
    {
      id: 'waf',
      file: 'waf',
      heading: 'WAF rules in effect',
      headline: h.waf,
      hidden: [],
      spec: intervalChart(frame, 'WAF rules armed (bars), per policy', runs.flatMap(armedIntervals)),
    },
  ];
  const verdicts = runs.flatMap((r) =>
    r.verdicts.map((v) => ({ minute: minute(v.t), policy: r.name, verdict: v.verdict })),
  );
  if (verdicts.length)
    charts.push({
      id: 'verdicts',
      file: 'verdicts',
      heading: "The shield's verdicts",
      headline: h.verdicts,
      hidden: [],
      spec: verdictChart(frame, verdicts),
    });
  return charts;
}

/** The spans (minutes) in which a run's WAF rules were in effect. */
function armedIntervals(r: PolicyRun): { policy: PolicyRun['name']; from: number; to: number }[] {
  const out: { policy: PolicyRun['name']; from: number; to: number }[] = [];
  let from: number | null = null;
  const step = r.frames.length > 1 ? r.frames[1]!.t - r.frames[0]!.t : 10;
  for (const f of r.frames) {
    if (f.wafArmed && from === null) from = f.t;
    if (!f.wafArmed && from !== null) {
      out.push({ policy: r.name, from: from / 60, to: f.t / 60 });
      from = null;
    }
  }
  const last = r.frames[r.frames.length - 1];
  if (from !== null && last) out.push({ policy: r.name, from: from / 60, to: (last.t + step) / 60 });
  return out;
}

/** Compiles a Vega-Lite spec to Vega and renders it to SVG on the server (no browser, no canvas). */
async function compile(spec: Spec): Promise<{ vega: object; svg: string }> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  return { vega: compiled, svg: await view.toSVG() };
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Longest first, so "target-tracking" does not match inside "target-tracking-20s". */
const NAMES = new RegExp(`\\b(${[...POLICY_NAMES].sort((a, b) => b.length - a.length).join('|')})\\b`, 'g');

/** Escapes text for HTML and shows each policy's name in its chart colour, so a headline reads with its lines. */
function colourNames(text: string): string {
  return esc(text).replace(
    NAMES,
    (n) => `<span style="color:${SERIES_COLOURS[n as PolicyName]}">${n}</span>`,
  );
}

/** The page's runtime: draws each chart live from its compiled spec (tooltips on hover) over the static SVG. */
const RUNTIME = `for (const el of document.querySelectorAll('[data-chart]')) {
  const spec = window.SURGEGUARD_CHARTS && window.SURGEGUARD_CHARTS[el.dataset.chart];
  if (!window.vega || !spec) continue;
  el.replaceChildren();
  new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true }).runAsync();
}`;

/**
 * Writes the HTML report: per chart a static SVG, its Vega-Lite spec (`.vl.json`) and a headline, drawn live with
 * tooltips by the Vega runtime copied from node_modules (so the report works offline). Returns the report's path.
 */
export async function writeReport(
  dir: string,
  ls: LoadedScenario,
  runs: readonly PolicyRun[],
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const charts = reportCharts(ls.scenario, runs);
  const compiled: Record<string, object> = {};
  for (const c of charts) {
    const { vega, svg } = await compile(c.spec);
    writeFileSync(join(dir, `${c.file}.svg`), svg);
    writeFileSync(join(dir, `${c.file}.vl.json`), `${JSON.stringify(c.spec)}\n`);
    compiled[c.file] = vega;
  }
  writeFileSync(join(dir, 'charts.js'), `window.SURGEGUARD_CHARTS = ${JSON.stringify(compiled)};\n`);
  copyFileSync(join(dirname(require.resolve('vega')), 'vega.min.js'), join(dir, 'vega.min.js'));

  const rows = comparisonRows(runs);
  const table = `<table><thead><tr>${rows[0]!.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const note = oracleNote(runs);
  const s = ls.scenario;
  const sections = charts
    .map(
      (c) => `<section><h2>${esc(c.heading)}</h2><p class="headline">${colourNames(c.headline)}</p>
<figure><div class="chart" data-chart="${esc(c.file)}"><img src="${esc(c.file)}.svg" alt="${esc(c.heading)}"></div>
<figcaption>${c.hidden.length ? `${colourNames(`Lying under ${LEAD_POLICY}'s line (within 1% of it almost throughout): ${c.hidden.join(', ')}.`)} ` : ''}Hover for values. Files: <a href="${esc(c.file)}.svg">${esc(c.file)}.svg</a>, Vega-Lite spec <a href="${esc(c.file)}.vl.json">${esc(c.file)}.vl.json</a>.</figcaption></figure></section>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SurgeGuard replay: ${esc(s.name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1180px;color:#222}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}h2{font-size:1.1rem;margin:2rem 0 .25rem}
.headline{font-size:1.05rem;font-weight:600;margin:.25rem 0 .5rem}.note{background:#f6f6f6;padding:.5rem .75rem;border-left:3px solid #9467bd}
figure{margin:0}figcaption{font-size:.8rem;color:#666}img{display:block;max-width:100%}</style></head><body>
<h1>SurgeGuard replay: ${esc(s.name)}</h1>
<p>${esc(s.description ?? '')}</p>
<p>Scheduled start ${esc(s.start)}, ${s.durationMinutes} minutes; forecast ${int(s.forecast.peakListeners)} listeners;
peak demand ${int(Math.max(...s.demand.map((d) => d[1])))}; ${s.attacks.length ? `${s.attacks.length} attack(s)` : 'no attack'}.
Every policy ran against the same world; <em>surgeguard</em> is the plan, watch and shield code the Lambdas run.
Every chart shares one time axis and one colour per policy; surgeguard is drawn thick, on top.</p>
${table}
${note ? `<p class="note">${colourNames(note)}</p>` : ''}
${sections}
<script src="vega.min.js"></script><script src="charts.js"></script><script>${RUNTIME}</script>
</body></html>
`;
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}
