import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percent, table } from '../../bin/cli/format';
import type { PolicyFigures, PolicyName, PolicyRun } from '../../sim/replay';
import { POLICY_NAMES } from '../../sim/replay';
import { comparisonRows, reportCharts } from '../../sim/report';
import type { LinePoint, Spec } from '../../sim/report-charts';
import { COLOUR_SCALE, hiddenUnderLead } from '../../sim/report-charts';
import { headlines, oracleNote, readiness, shortMinutes, verdictMinutes } from '../../sim/report-headlines';
import type { LoadedScenario } from '../../sim/scenario';
import type { Frame } from '../../sim/world';
import { policyFigures } from '../fixtures/figures';

const FIGURES: PolicyFigures = policyFigures();

/** Demand: none until T-10 min, a ramp to 1,000 at T+10, held to T+40, then gone. */
function demandAt(t: number): number {
  if (t < -600 || t >= 2400) return 0;
  return t < 600 ? Math.round(((t + 600) / 1200) * 1000) : 1000;
}

/** A run whose frames (every 10 s from T-30 to T+60 min) come from `at`, over a demand-following default. */
function run(
  name: PolicyName,
  at: (t: number, demand: number) => Partial<Frame> = () => ({}),
  figures: Partial<PolicyFigures> & Record<string, unknown> = {},
  verdicts: PolicyRun['verdicts'] = [],
): PolicyRun {
  const frames: Frame[] = [];
  for (let t = -1800; t <= 3600; t += 10) {
    const demand = demandAt(t);
    frames.push({
      t,
      demand,
      served: demand,
      capacity: demand,
      desired: 10,
      running: 10,
      pending: 0,
      capacityErrors: 0,
      authErrors: 0,
      blockedLegit: 0,
      blockedFlood: 0,
      wafArmed: false,
      ...at(t, demand),
    });
  }
  return { name, figures: { ...FIGURES, ...figures }, frames, tickMs: [], verdicts, decisions: [] };
}

/** SurgeGuard ready 12 min before the start; target tracking 1 listener short for the first 24 min. */
const RUNS: PolicyRun[] = [
  run('target-tracking', (t, d) => ({ capacity: t >= 0 && t < 1440 ? d - 1 : d + 100 }), {
    servedFraction: 0.8515,
    peakShortfall: 170028,
    taskHours: 80,
  }),
  run('oracle', () => ({}), { sloBreachMinutes: 3, taskHours: 50 }),
  run('surgeguard', (t) => ({ capacity: t >= -720 ? 1200 : 100, running: t >= -720 ? 40 : 10 }), {
    servedFraction: 0.99996,
    peakShortfall: 12041,
    taskHours: 150,
    costVsOracle: 3,
    // Figures the replay may add later must not upset the report.
    maxTasksOverCeiling: 0,
    floorShortfallMinutes: 0,
  }),
];

describe('percent', () => {
  it.each([
    [1, 2, '100.00%'],
    [0, 2, '0.00%'],
    [0.8515, 2, '85.15%'],
    [0.99996, 2, '99.996%'],
    [0.999996, 2, '99.9996%'],
    [0.9999999, 2, '>99.99%'],
    [0.00188, 3, '0.188%'],
    [0.000001, 3, '0.0001%'],
    [1e-9, 2, '<0.01%'],
  ])('%p with %p digits reads %p', (fraction, digits, text) => {
    expect(percent(fraction, digits)).toBe(text);
  });

  it('never shows a shortfall as 100% nor a trace as 0%', () => {
    for (let k = 1; k < 12; k++) {
      expect(percent(1 - 10 ** -k)).not.toMatch(/^100(\.0*)?%$/);
      expect(percent(10 ** -k)).not.toMatch(/^0(\.0*)?%$/);
    }
  });

  it('keeps bounded percentages right-aligned in a table', () => {
    expect(table([['served'], ['>99.99%'], ['85.15%']])).toBe(' served\n>99.99%\n 85.15%');
  });
});

describe('comparisonRows', () => {
  it('shows a near-complete service as such and ignores figures it does not know', () => {
    const rows = comparisonRows(RUNS);
    const sg = rows.find((r) => r[0] === 'surgeguard')!;
    expect(sg[1]).toBe('99.996%');
    expect(sg).toHaveLength(rows[0]!.length);
    expect(rows.find((r) => r[0] === 'oracle')![1]).toBe('100.00%');
  });
});

/** Every object in a spec for which `pick` holds, depth first. */
function findAll(spec: unknown, pick: (o: Record<string, unknown>) => boolean): Record<string, unknown>[] {
  if (!spec || typeof spec !== 'object') return [];
  const here =
    !Array.isArray(spec) && pick(spec as Record<string, unknown>) ? [spec as Record<string, unknown>] : [];
  return [...here, ...Object.values(spec).flatMap((v) => findAll(v, pick))];
}

const lineLayers = (spec: Spec) =>
  (spec.layer as Spec[]).filter((l) => (l.mark as { type: string }).type === 'line');

describe('reportCharts', () => {
  const scenario = { attacks: [{ fromMinute: 5, toMinute: 10 }], tickSeconds: 20 };
  const charts = reportCharts(scenario, RUNS);

  it('gives every policy one colour across all charts, whichever policies ran', () => {
    const scales = charts.flatMap((c) =>
      findAll(
        c.spec,
        (o) => o.field === 'policy' && typeof o.scale === 'object' && 'range' in (o.scale as object),
      ),
    );
    expect(scales.length).toBeGreaterThanOrEqual(charts.length - 1);
    for (const s of scales) expect(s.scale).toEqual(COLOUR_SCALE);
    expect(COLOUR_SCALE.domain).toEqual([...POLICY_NAMES, 'demand']);
    expect(new Set(COLOUR_SCALE.range).size).toBe(COLOUR_SCALE.range.length);
    const onlyOne = reportCharts(scenario, RUNS.slice(0, 1))[0]!.spec;
    expect(findAll(onlyOne, (o) => o.field === 'policy' && 'scale' in o)[0]!.scale).toEqual(COLOUR_SCALE);
  });

  it('draws demand and then surgeguard last among the lines, surgeguard thickest', () => {
    for (const c of charts.filter((c) => c.spec.layer && lineLayers(c.spec).length)) {
      const lines = lineLayers(c.spec);
      const filters = lines.map((l) => JSON.stringify(l.transform));
      expect(filters[filters.length - 1]).toContain("datum.policy === 'surgeguard'");
      expect(filters[filters.length - 2]).toContain("datum.policy === 'demand'");
      const width = (l: Spec) => (l.mark as { strokeWidth: number }).strokeWidth;
      expect(width(lines[lines.length - 1]!)).toBeGreaterThan(width(lines[0]!));
    }
  });

  it('puts every chart on the same time axis: first to last frame', () => {
    expect(charts.map((c) => c.id)).toEqual(['served', 'capacity', 'tasks', 'errors', 'waf']);
    for (const c of charts) {
      const xs = findAll(c.spec, (o) => o.title === 'minutes from scheduled start');
      expect(xs.length).toBeGreaterThan(0);
      for (const x of xs) expect(x.scale).toEqual({ domain: [-30, 60], nice: false, zero: false });
    }
  });

  it('tells running from desired by dash, with a legend', () => {
    const tasks = charts.find((c) => c.id === 'tasks')!.spec;
    const dash = findAll(tasks, (o) => o.field === 'kind')[0]!;
    expect(dash.scale).toEqual({
      domain: ['running', 'desired', 'ceiling'],
      range: [[], [6, 4], [2, 3]],
    });
    expect(dash.legend).not.toBeNull();
  });

  it('tooltips show every series at the hovered minute', () => {
    const served = charts.find((c) => c.id === 'served')!.spec;
    const tooltip = findAll(served, (o) => Array.isArray(o.tooltip))[0]!.tooltip as { field: string }[];
    expect(tooltip.map((t) => t.field)).toEqual([
      'minute',
      'target-tracking',
      'oracle',
      'surgeguard',
      'demand',
    ]);
  });

  it('adds the verdict chart when a shield ran', () => {
    const withShield = [run('surgeguard', () => ({}), {}, [{ t: 0, verdict: 'normal' }])];
    expect(reportCharts(scenario, withShield).map((c) => c.id)).toContain('verdicts');
  });
});

describe('headlines', () => {
  it('are computed from the frames: readiness and the worst shortfall', () => {
    expect(readiness(RUNS[2]!)).toEqual({ peak: 1000, readyAt: -720, peakAt: 600 });
    expect(shortMinutes(RUNS[0]!)).toBe(24);
    const h = headlines(RUNS, { attacks: 0, tickSeconds: 20 });
    expect(h.capacity).toBe(
      "surgeguard had capacity for the peak of 1,000 listeners in place 12 min before the event's start " +
        '(22 min before demand peaked); target-tracking was short of demand for 24 min.',
    );
    expect(h.served).toBe(
      'surgeguard served 99.996% of demand, 12,041 listeners short at worst; ' +
        'target-tracking served 85.15% of demand, 170,028 listeners short at worst.',
    );
    expect(h.tasks).toBe(
      "surgeguard ran up to 40 tasks, 150 task-hours (3.00x the oracle's); oracle ran up to 10, 50 task-hours.",
    );
  });

  it('follow the frames when they change', () => {
    const late = run('surgeguard', (t) => ({ capacity: t >= 900 ? 1000 : 0 }));
    expect(headlines([late], { attacks: 0, tickSeconds: 20 }).capacity).toBe(
      "surgeguard had capacity for the peak of 1,000 listeners in place 15 min after the event's start " +
        '(5 min after demand peaked) and was short of demand for 25 min.',
    );
    const never = run('surgeguard', () => ({ capacity: 0 }));
    expect(headlines([never], { attacks: 0, tickSeconds: 20 }).capacity).toMatch(
      /^surgeguard never had capacity/,
    );
  });

  it('count join errors over the frames and name the worst policy', () => {
    const errs = [
      run('surgeguard', (t) => ({ capacityErrors: t === 0 ? 5 : 0, authErrors: 1 })),
      run('scheduled', (t) => ({ capacityErrors: t >= 0 && t < 60 ? 100 : 0 })),
    ];
    expect(headlines(errs, { attacks: 0, tickSeconds: 20 }).errors).toBe(
      'Capacity errors (5xx) in all: surgeguard 50, scheduled 6,000 (the most). Auth errors (4xx): surgeguard 5,410.',
    );
  });

  it('say how the WAF was used, with or without an attack', () => {
    const calm = [
      run('surgeguard'),
      run('naive-shield', () => ({}), { wafArmed: true, wafArmedMinutesWithoutAttack: 63.7 }),
    ];
    expect(headlines(calm, { attacks: 0, tickSeconds: 20 }).waf).toBe(
      'No attack in this scenario: surgeguard never armed the WAF; armed without an attack: naive-shield 64 min.',
    );
    const flood = [run('surgeguard', () => ({}), { wafArmed: true, firstArmSecondsAfterAttackStart: 180 })];
    expect(headlines(flood, { attacks: 1, tickSeconds: 20 }).waf).toBe(
      'surgeguard armed the WAF 180 s after the attack started.',
    );
  });

  it('count verdict minutes tick by tick', () => {
    const verdicts = [
      ...Array.from({ length: 30 }, (_, i) => ({ t: i * 20, verdict: 'flash-crowd' })),
      ...Array.from({ length: 6 }, (_, i) => ({ t: 600 + i * 20, verdict: 'attack' })),
    ];
    const r = run('surgeguard', () => ({}), {}, verdicts);
    const m = verdictMinutes(r, 20);
    expect(m.get('flash-crowd')).toBeCloseTo(10);
    expect(m.get('attack')).toBeCloseTo(2);
    expect(headlines([r], { attacks: 1, tickSeconds: 20 }).verdicts).toBe(
      "surgeguard's shield called an attack for 2 min, a flash crowd for 10 min.",
    );
  });
});

describe('oracleNote', () => {
  it('explains the oracle’s SLO-breach minutes in plain words, only when it has some', () => {
    expect(oracleNote(RUNS)).toMatch(/buys capacity exactly at it.*brushes the limit.*3 minutes fall under/);
    expect(oracleNote([run('oracle')])).toBeNull();
    expect(oracleNote([run('surgeguard')])).toBeNull();
  });
});

describe('hiddenUnderLead', () => {
  const points = (policy: LinePoint['policy'], v: (m: number) => number): LinePoint[] =>
    Array.from({ length: 100 }, (_, m) => ({ minute: m, policy, value: v(m) }));

  it('names lines that lie on the lead’s, not those that leave it or spike away from a shared floor', () => {
    const all = [
      ...points('surgeguard', () => 1000),
      ...points('naive-shield', (m) => (m === 50 ? 900 : 1000)),
      ...points('target-tracking', () => 500),
      ...points('demand', () => 1000),
    ];
    expect(hiddenUnderLead(all)).toEqual(['naive-shield']);
    const spikes = [...points('surgeguard', () => 0), ...points('scheduled', (m) => (m < 3 ? 100 : 0))];
    expect(hiddenUnderLead(spikes)).toEqual([]);
  });
});

describe('writeReport', () => {
  it('writes each chart as SVG with its Vega-Lite spec beside it, the live runtime, headlines and the oracle note', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-report-'));
    const ls = {
      scenario: {
        name: 'crafted',
        description: 'crafted frames',
        start: '2026-01-01T00:00:00Z',
        durationMinutes: 40,
        forecast: { peakListeners: 1000 },
        demand: [
          [-10, 0],
          [10, 1000],
        ],
        attacks: [],
        tickSeconds: 20,
      },
    } as unknown as LoadedScenario;
    // Vega is ESM only, which jest's CommonJS cannot load: render in a process of its own, as the CLI does.
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ dir, ls, runs: RUNS }));
    const script = `require('tsx/cjs/api').register();
const { readFileSync } = require('node:fs');
const a = JSON.parse(readFileSync(process.argv[1], 'utf8'));
require(${JSON.stringify(join(__dirname, '..', '..', 'sim', 'report.ts'))})
  .writeReport(a.dir, a.ls, a.runs)
  .then((p) => process.stdout.write(p));`;
    const r = spawnSync(process.execPath, ['-e', script, input], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const path = r.stdout;
    expect(path).toBe(join(dir, 'index.html'));
    const html = readFileSync(path, 'utf8');
    for (const c of reportCharts(ls.scenario, RUNS)) {
      expect(readFileSync(join(dir, `${c.file}.svg`), 'utf8')).toMatch(/^<svg/);
      expect(JSON.parse(readFileSync(join(dir, `${c.file}.vl.json`), 'utf8'))).toEqual(c.spec);
      expect(html).toContain(`data-chart="${c.file}"`);
    }
    expect(existsSync(join(dir, 'vega.min.js'))).toBe(true);
    expect(readFileSync(join(dir, 'charts.js'), 'utf8')).toMatch(/^window\.SURGEGUARD_CHARTS = \{"served":/);
    expect(html).toContain('<span style="color:#1f4fd6">surgeguard</span> had capacity for the peak');
    expect(html).toContain('class="note"');
    expect(html).toContain('<script src="vega.min.js"></script>');
  });
});
