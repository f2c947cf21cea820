import type { PolicyName } from './replay';
import { POLICY_NAMES } from './replay';

/** A Vega-Lite spec, as JSON. */
export type Spec = Record<string, unknown>;

/** The series that stands out in every chart: the policy the report is about. */
export const LEAD_POLICY: PolicyName = 'surgeguard';

/** One colour per series, the same in every chart of every report (fixed, not assigned in order of appearance). */
export const SERIES_COLOURS: Readonly<Record<PolicyName | 'demand', string>> = {
  surgeguard: '#1f4fd6',
  'target-tracking': '#ff7f0e',
  'target-tracking-20s': '#b8860b',
  scheduled: '#2ca02c',
  oracle: '#9467bd',
  'naive-shield': '#8c564b',
  'always-block': '#e377c2',
  demand: '#8a8a8a',
};

/** The colour scale every policy chart shares: domain is every policy and demand, whichever ran. */
export const COLOUR_SCALE = {
  domain: [...POLICY_NAMES, 'demand'],
  range: [...POLICY_NAMES, 'demand' as const].map((n) => SERIES_COLOURS[n]),
};

const WIDTH = 900;
const HEIGHT = 260;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Every chart's y-axis takes the same room (and none has a title), so the shared time axis lines up down the page. */
const CONFIG = { axisY: { minExtent: 130, maxExtent: 130 } };

/** One point of a line: `policy` picks the colour, `kind` (running, desired, ...) the dash. */
export interface LinePoint {
  readonly minute: number;
  readonly policy: PolicyName | 'demand';
  readonly kind?: string;
  readonly value: number;
}

/** What every chart of one report shares: the time axis and the moments worth marking on it. */
export interface ChartFrame {
  /** Minutes from the scheduled start, first and last frame of the replay. */
  readonly xDomain: readonly [number, number];
  /** Policies that ran, in POLICY_NAMES order: the legend shows these. */
  readonly policies: readonly PolicyName[];
  /** Attack windows, minutes from the scheduled start. */
  readonly attacks: readonly { from: number; to: number }[];
}

/** A line chart's own parts. */
export interface LineChart {
  readonly title: string;
  readonly points: readonly LinePoint[];
  /** Kinds of line and their dash (`[]` is solid), shown in a legend of their own. */
  readonly kinds?: readonly { readonly name: string; readonly dash: readonly number[] }[];
  /** d3-format of values in tooltips and on the axis. */
  readonly format?: string;
}

function xEncoding(frame: ChartFrame, field = 'minute'): Spec {
  return {
    field,
    type: 'quantitative',
    title: 'minutes from scheduled start',
    scale: { domain: [...frame.xDomain], nice: false, zero: false },
  };
}

function colourEncoding(frame: ChartFrame, withDemand: boolean): Spec {
  return {
    field: 'policy',
    type: 'nominal',
    scale: COLOUR_SCALE,
    legend: {
      title: null,
      values: [...frame.policies, ...(withDemand ? ['demand'] : [])],
      symbolType: 'stroke',
      symbolStrokeWidth: 3,
      symbolOpacity: 1,
    },
  };
}

/**
 * The scheduled start and any attack, drawn under the data so every chart reads against the same moments;
 * labelled where the plot is tall enough to hold a label.
 */
function markers(frame: ChartFrame, labelled = true): Spec[] {
  const layers: Spec[] = [];
  // Two rows, so an attack starting just after the start does not write over its label.
  const label = (values: object[], field: string, y: number): Spec => ({
    data: { values },
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, y, color: '#666', fontSize: 10 },
    encoding: { x: xEncoding(frame, field), text: { field: 'label' } },
  });
  if (frame.attacks.length) {
    const attacks = frame.attacks.map((a) => ({ ...a, label: 'attack' }));
    layers.push({
      data: { values: attacks },
      mark: { type: 'rect', color: '#d62728', opacity: 0.08 },
      encoding: { x: xEncoding(frame, 'from'), x2: { field: 'to' } },
    });
    if (labelled) layers.push(label(attacks, 'from', 14));
  }
  const start = [{ minute: 0, label: 'scheduled start' }];
  layers.push({
    data: { values: start },
    mark: { type: 'rule', color: '#888', strokeDash: [2, 2] },
    encoding: { x: xEncoding(frame) },
  });
  if (labelled) layers.push(label(start, 'minute', 2));
  return layers;
}

/** How close to the lead's line (share of the chart's largest value) a line must stay to be hidden under it. */
const HIDDEN_WITHIN = 0.01;
/** At what share of its points. */
const HIDDEN_SHARE = 0.98;

/**
 * Policies whose line lies under the lead policy's (within 1% of the chart's top at 98% of the points off the floor; e.g.
 * naive-shield's capacity is SurgeGuard's): the report names them rather than let them vanish.
 */
export function hiddenUnderLead(points: readonly LinePoint[]): PolicyName[] {
  const key = (p: LinePoint) => `${p.minute}|${p.kind ?? ''}`;
  const lead = new Map(points.filter((p) => p.policy === LEAD_POLICY).map((p) => [key(p), p.value]));
  if (!lead.size) return [];
  const tolerance = HIDDEN_WITHIN * points.reduce((m, p) => Math.max(m, Math.abs(p.value)), 0);
  const tally = new Map<PolicyName, { close: number; all: number }>();
  for (const p of points) {
    if (p.policy === 'demand' || p.policy === LEAD_POLICY) continue;
    const t = tally.get(p.policy) ?? { close: 0, all: 0 };
    tally.set(p.policy, t);
    const l = lead.get(key(p));
    // Where both lie along the floor, no line stands out; a spike elsewhere must.
    if (l !== undefined && Math.abs(l) <= tolerance && Math.abs(p.value) <= tolerance) continue;
    t.all++;
    if (l !== undefined && Math.abs(l - p.value) <= tolerance) t.close++;
  }
  return [...tally].filter(([, t]) => t.close >= HIDDEN_SHARE * t.all).map(([n]) => n);
}

const seriesOf = (p: LinePoint) => (p.kind ? `${p.policy} ${p.kind}` : p.policy);

/**
 * A multi-series line chart over the report's shared time axis: other policies first, then demand as a wide grey
 * band, then the lead policy thick on top, so neither hides under a policy with the same values. Hovering shows
 * every series' value at that minute.
 */
export function lineChart(frame: ChartFrame, c: LineChart): Spec {
  const withDemand = c.points.some((p) => p.policy === 'demand');
  const format = c.format ?? ',.0f';
  const encoding: Spec = {
    x: xEncoding(frame),
    y: { field: 'value', type: 'quantitative', title: null, axis: { format: '~s' } },
    color: colourEncoding(frame, withDemand),
    ...(c.kinds
      ? {
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: c.kinds.map((k) => k.name), range: c.kinds.map((k) => [...k.dash]) },
            legend: { title: null, symbolStrokeColor: '#333', symbolStrokeWidth: 2 },
          },
        }
      : {}),
  };
  const line = (filter: string, mark: Spec): Spec => ({
    transform: [{ filter }],
    mark: { type: 'line', interpolate: 'step-after', ...mark },
    encoding,
  });
  const series = [...new Set(c.points.map(seriesOf))];
  const rows = c.points.map((p) => ({ ...p, series: seriesOf(p) }));
  return {
    $schema: SCHEMA,
    title: c.title,
    config: CONFIG,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: [
      ...markers(frame),
      line(`datum.policy !== 'demand' && datum.policy !== '${LEAD_POLICY}'`, { strokeWidth: 1.5 }),
      line(`datum.policy === 'demand'`, { strokeWidth: 8, opacity: 0.6 }),
      line(`datum.policy === '${LEAD_POLICY}'`, { strokeWidth: 3 }),
      {
        transform: [{ pivot: 'series', value: 'value', groupby: ['minute'] }],
        mark: { type: 'rule', color: '#444' },
        params: [
          {
            name: 'hover',
            select: {
              type: 'point',
              fields: ['minute'],
              nearest: true,
              on: 'pointerover',
              clear: 'pointerout',
            },
          },
        ],
        encoding: {
          x: xEncoding(frame),
          opacity: { condition: { value: 0.5, param: 'hover', empty: false }, value: 0 },
          tooltip: [
            { field: 'minute', type: 'quantitative', title: 'minute', format: '.1f' },
            ...series.map((s) => ({ field: s, type: 'quantitative', title: s, format })),
          ],
        },
      },
    ],
  };
}

/** One row per policy that ran, a bar wherever `intervals` says (e.g. WAF rules in effect). */
export function intervalChart(
  frame: ChartFrame,
  title: string,
  intervals: readonly { policy: PolicyName; from: number; to: number }[],
): Spec {
  return {
    $schema: SCHEMA,
    title,
    config: CONFIG,
    width: WIDTH,
    height: 18 * frame.policies.length,
    layer: [
      ...markers(frame, false),
      {
        data: { values: intervals },
        mark: { type: 'bar', height: 12 },
        encoding: {
          x: xEncoding(frame, 'from'),
          x2: { field: 'to' },
          y: { field: 'policy', type: 'nominal', title: null, scale: { domain: [...frame.policies] } },
          color: { ...colourEncoding(frame, false), legend: null },
          tooltip: [
            { field: 'policy', type: 'nominal' },
            { field: 'from', type: 'quantitative', title: 'from minute', format: '.1f' },
            { field: 'to', type: 'quantitative', title: 'to minute', format: '.1f' },
          ],
        },
      },
    ],
  };
}

/** Colours of the shield's verdicts: grey when calm, blue hues for crowds, red hues for attacks. */
const VERDICT_SCALE = {
  domain: ['normal', 'flash-crowd', 'attack', 'attack+capacity', 'unknown'],
  range: ['#c7c7c7', '#6baed6', '#d62728', '#ff9896', '#eeeeee'],
};

/** The shield's verdict at each tick, one row per policy that has a shield. */
export function verdictChart(
  frame: ChartFrame,
  verdicts: readonly { minute: number; policy: PolicyName; verdict: string }[],
): Spec {
  const rows = [...new Set(verdicts.map((v) => v.policy))];
  return {
    $schema: SCHEMA,
    title: "The shield's verdict each tick",
    config: CONFIG,
    width: WIDTH,
    height: 24 * rows.length,
    layer: [
      ...markers(frame, false),
      {
        data: { values: verdicts },
        mark: { type: 'tick', thickness: 2 },
        encoding: {
          x: xEncoding(frame),
          y: { field: 'policy', type: 'nominal', title: null, scale: { domain: rows } },
          color: { field: 'verdict', type: 'nominal', scale: VERDICT_SCALE, legend: { title: 'verdict' } },
          tooltip: [
            { field: 'policy', type: 'nominal' },
            { field: 'minute', type: 'quantitative', format: '.1f' },
            { field: 'verdict', type: 'nominal' },
          ],
        },
      },
    ],
  };
}
