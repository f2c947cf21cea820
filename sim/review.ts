/**
 * The post-event review: turns an event's audit trail and its metric series into a timeline and a verdict in plain
 * words (capacity or attack?), and renders them as a static HTML page. Pure: the CLI reads the trail and the metrics.
 */
import type { MetricKey } from '../lambda/controller/metric-queries';
import { windowsOf } from '../lambda/controller/metric-queries';
import type { Evidence } from '../lambda/core/detector';
import { findEvent, watchWindow } from '../lambda/core/runtime-config';
import type { Series } from '../lambda/core/series';
import type { AuditRecord } from '../lambda/ports/state';
import type { PolicyRun } from './replay';
import { scenarioRuntime } from './replay';
import type { LoadedScenario } from './scenario';

/** A fleet's metric series over the event window, by the config's metric names. */
export type FleetSeries = Partial<Record<MetricKey, Series>>;

/** What a review is built from. */
export interface ReviewInput {
  readonly eventId: string;
  /** The event's watch window, ms since the epoch. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Seconds each metric datapoint covers. */
  readonly periodSeconds: number;
  /** The event's audit trail, any order. */
  readonly audit: readonly AuditRecord[];
  /** Metric series by fleet id; empty when the pack has no metrics (a local rehearsal). */
  readonly metrics: Readonly<Record<string, FleetSeries>>;
}

/** One verdict of the shield, with the evidence it gave. */
export interface ReviewVerdict {
  readonly atMs: number;
  readonly verdict: string;
  /** The WAF mode the shield wanted after this verdict. */
  readonly desired?: string;
  readonly reason: string;
  readonly evidence: readonly Evidence[];
}

/** A change (or attempted change) of the WAF rules. */
export interface ReviewWafChange {
  readonly atMs: number;
  readonly action: string;
  readonly result: string;
  readonly reason: string;
  readonly rules: readonly string[];
}

/** A capacity decision: prescale, scale-out or scale-in, whatever its result. */
export interface ReviewDecision {
  readonly atMs: number;
  readonly fleetId: string;
  readonly action: string;
  readonly targetTasks: number | null;
  readonly ceilingTasks: number | null;
  readonly reason: string;
  readonly result: string;
}

/** A fleet's tasks at one controller tick, from the decision it recorded. */
export interface TaskPoint {
  readonly atMs: number;
  readonly fleetId: string;
  readonly running: number | null;
  readonly desired: number | null;
  /** The floor decided. */
  readonly targetTasks: number | null;
  /** The ceiling decided (MaxCapacity), null when none. */
  readonly ceilingTasks: number | null;
  /** What the plan asked for at this time. */
  readonly planFloor: number | null;
  /** The most tasks worth running (quota, max tasks, capacity peak). */
  readonly limitTasks: number | null;
}

/** A span of attack verdicts. */
export interface AttackSpan {
  readonly fromMs: number;
  readonly toMs: number;
  /** The attack evidence that fired while the shield judged an attack (rule signatures, auth failures, ...). */
  readonly signatures: readonly string[];
}

/** Minutes in which joins failed for lack of room, and the fleet's position then. */
export interface CapacityShortage {
  readonly minutes: number;
  readonly atCeilingMinutes: number;
  readonly belowPlanMinutes: number;
  /** At or above plan, with tasks it had asked for still starting. */
  readonly startingMinutes: number;
  readonly otherMinutes: number;
}

/** Totals of join outcomes of one fleet over the window. */
export interface JoinTotals {
  readonly fleetId: string;
  readonly requests: number;
  readonly successes: number;
  readonly capacityErrors: number;
  readonly authErrors: number;
}

/** The evidence pack of one event (the `review.json` shape). */
export interface Review {
  readonly eventId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly periodSeconds: number;
  /** Whether the pack holds metric series (a local rehearsal has none). */
  readonly hasMetrics: boolean;
  readonly metrics: Readonly<Record<string, FleetSeries>>;
  readonly tasks: readonly TaskPoint[];
  readonly joins: readonly JoinTotals[];
  readonly verdicts: readonly ReviewVerdict[];
  readonly attacks: readonly AttackSpan[];
  readonly waf: readonly ReviewWafChange[];
  readonly decisions: readonly ReviewDecision[];
  /** What people did through the runbook (scale, hold, shield overrides...), with their reasons. */
  readonly operations: readonly AuditRecord[];
  readonly shortage: CapacityShortage | null;
  /** What happened, in order. */
  readonly timeline: readonly { readonly atMs: number; readonly text: string }[];
  /** The verdict in plain words, one finding a line: capacity, attack, WAF, decisions. */
  readonly summary: readonly string[];
}

/** What `replay --record` writes and `review --from` reads: a review's input, from a replay's surgeguard run. */
export interface Recording extends ReviewInput {
  readonly scenario: string;
}

/** The recording of a replay's surgeguard run: its audit trail and its fleets' metrics over the watch window. */
export function recordingOf(ls: LoadedScenario, run: PolicyRun): Recording {
  if (!run.recorded) throw new Error(`the ${run.name} run has no recording; only surgeguard's has`);
  const runtime = scenarioRuntime(ls);
  const event = runtime.config.events[0]!;
  const window = watchWindow(runtime, findEvent(runtime, event.id)!, 0);
  const metrics: Record<string, FleetSeries> = {};
  for (const [fleetId, w] of windowsOf(runtime.config.fleets, run.recorded.metrics)) metrics[fleetId] = w;
  return {
    scenario: ls.scenario.name,
    eventId: event.id,
    fromMs: window.fromMs,
    toMs: window.toMs,
    periodSeconds: ls.scenario.metrics.periodSeconds,
    audit: run.recorded.audit,
    metrics,
  };
}

const ATTACK_VERDICTS = new Set(['attack', 'attack+capacity']);
/** Evidence that says the fleet is short or busy, not who is knocking: never named as an attack's signature. */
const NOT_SIGNATURES = new Set(['capacity-errors', 'volume']);
const CAPACITY_ACTIONS = new Set(['prescale', 'scale-out', 'scale-in']);

/** HH:MM UTC of a time. */
export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const sum = (s: Series | undefined) => (s ?? []).reduce((a, p) => a + p.v, 0);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const mins = (m: number) => `${Math.round(m * 10) / 10} min`;

/** Builds the review of one event from its audit trail and metric series. */
export function buildReview(input: ReviewInput): Review {
  const audit = input.audit
    .filter((r) => r.eventId === undefined || r.eventId === input.eventId)
    .slice()
    .sort((a, b) => a.atMs - b.atMs);

  const verdicts: ReviewVerdict[] = audit
    .filter((r) => r.kind === 'shield' && r.action.startsWith('verdict:'))
    .map((r) => {
      const d = obj(r.decision);
      return {
        atMs: r.atMs,
        verdict: r.action.slice('verdict:'.length),
        ...(typeof d.desired === 'string' ? { desired: d.desired } : {}),
        reason: r.reason,
        evidence: Array.isArray(d.evidence) ? (d.evidence as Evidence[]) : [],
      };
    });

  const waf: ReviewWafChange[] = audit
    .filter(
      (r) =>
        (r.kind === 'aws-call' && r.action.startsWith('UpdateWebACL:')) ||
        (r.kind === 'shield' && (r.action === 'arm' || r.action === 'disarm')),
    )
    .map((r) => {
      const rules = obj(r.inputs).rules;
      return {
        atMs: r.atMs,
        action: r.action.replace(/^UpdateWebACL:/, ''),
        result: r.result,
        reason: r.error ? `${r.reason} (${r.error})` : r.reason,
        rules: Array.isArray(rules) ? rules.map(String) : [],
      };
    });

  const fleetDecisions = audit.filter((r) => r.kind === 'decision' && r.fleetId !== undefined);
  const decisions: ReviewDecision[] = fleetDecisions
    .filter((r) => CAPACITY_ACTIONS.has(r.action))
    .map((r) => {
      const d = obj(r.decision);
      return {
        atMs: r.atMs,
        fleetId: r.fleetId!,
        action: r.action,
        targetTasks: num(d.targetTasks),
        ceilingTasks: num(d.ceilingTasks),
        reason: r.error ? `${r.reason} (${r.error})` : r.reason,
        result: r.result,
      };
    });

  const tasks: TaskPoint[] = fleetDecisions
    .filter((r) => r.action !== 'prescale' && r.decision !== undefined)
    .map((r) => {
      const i = obj(r.inputs);
      const counts = obj(i.counts);
      const d = obj(r.decision);
      return {
        atMs: r.atMs,
        fleetId: r.fleetId!,
        running: num(counts.running),
        desired: num(counts.desired),
        targetTasks: num(d.targetTasks),
        ceilingTasks: num(d.ceilingTasks),
        planFloor: num(i.planFloor),
        limitTasks: num(d.limitTasks),
      };
    });

  const fleets = Object.keys(input.metrics);
  const hasMetrics = fleets.some((f) => Object.values(input.metrics[f]!).some((s) => (s ?? []).length > 0));
  const joins: JoinTotals[] = fleets.map((fleetId) => {
    const m = input.metrics[fleetId]!;
    return {
      fleetId,
      requests: sum(m.joinRequests),
      successes: sum(m.joinSuccesses),
      capacityErrors: sum(m.joinErrorsCapacity),
      authErrors: sum(m.joinErrorsAuth),
    };
  });

  const operations = audit.filter((r) => r.kind === 'operation');
  const attacks = attackSpans(verdicts);
  const shortage = hasMetrics ? capacityShortage(input, tasks) : null;
  return {
    eventId: input.eventId,
    fromMs: input.fromMs,
    toMs: input.toMs,
    periodSeconds: input.periodSeconds,
    hasMetrics,
    metrics: input.metrics,
    tasks,
    joins,
    verdicts,
    attacks,
    waf,
    decisions,
    operations,
    shortage,
    timeline: timelineOf(input, verdicts, waf, decisions, operations),
    summary: summaryOf(shortage, attacks, waf, decisions, verdicts.length),
  };
}

/** Spans of consecutive attack verdicts; a span ends at the first verdict that is not an attack. */
export function attackSpans(verdicts: readonly ReviewVerdict[]): AttackSpan[] {
  const out: AttackSpan[] = [];
  let open: { fromMs: number; lastMs: number; signatures: Set<string> } | null = null;
  for (const v of verdicts) {
    if (ATTACK_VERDICTS.has(v.verdict)) {
      open ??= { fromMs: v.atMs, lastMs: v.atMs, signatures: new Set() };
      open.lastMs = v.atMs;
      for (const e of v.evidence)
        if (e.firing && !NOT_SIGNATURES.has(e.signal))
          open.signatures.add(e.signal.replace(/^signature:/, ''));
    } else if (open) {
      out.push({ fromMs: open.fromMs, toMs: v.atMs, signatures: [...open.signatures] });
      open = null;
    }
  }
  if (open) out.push({ fromMs: open.fromMs, toMs: open.lastMs, signatures: [...open.signatures] });
  return out;
}

/**
 * The periods in which any fleet refused joins for lack of room, each put down to where the short fleet stood at
 * its last decision before the period ended: at its ceiling (running at the most tasks worth running, or the
 * decided ceiling), below plan (running fewer than the plan asked for), with tasks it asked for still starting
 * (fewer running than the floor decided), or none of these.
 */
function capacityShortage(input: ReviewInput, tasks: readonly TaskPoint[]): CapacityShortage {
  const periodMs = input.periodSeconds * 1000;
  const byPeriod = new Map<number, 'ceiling' | 'below-plan' | 'starting' | 'other'>();
  const rank = { ceiling: 3, 'below-plan': 2, starting: 1, other: 0 } as const;
  for (const [fleetId, m] of Object.entries(input.metrics)) {
    const points = tasks.filter((p) => p.fleetId === fleetId);
    for (const p of m.joinErrorsCapacity ?? []) {
      if (p.v <= 0 || p.t < input.fromMs || p.t >= input.toMs) continue;
      const at = points.filter((x) => x.atMs <= p.t + periodMs).pop();
      const running = at?.running ?? null;
      const top = Math.min(at?.ceilingTasks ?? Infinity, at?.limitTasks ?? Infinity);
      const below = (x: number | null | undefined) =>
        running !== null && x !== null && x !== undefined && running < x;
      const kind =
        running !== null && running >= top
          ? 'ceiling'
          : below(at?.planFloor)
            ? 'below-plan'
            : below(at?.targetTasks)
              ? 'starting'
              : 'other';
      const seen = byPeriod.get(p.t);
      if (seen === undefined || rank[kind] > rank[seen]) byPeriod.set(p.t, kind);
    }
  }
  const count = (k: string) => ([...byPeriod.values()].filter((v) => v === k).length * periodMs) / 60_000;
  return {
    minutes: (byPeriod.size * periodMs) / 60_000,
    atCeilingMinutes: count('ceiling'),
    belowPlanMinutes: count('below-plan'),
    startingMinutes: count('starting'),
    otherMinutes: count('other'),
  };
}

function timelineOf(
  input: ReviewInput,
  verdicts: readonly ReviewVerdict[],
  waf: readonly ReviewWafChange[],
  decisions: readonly ReviewDecision[],
  operations: readonly AuditRecord[],
): { atMs: number; text: string }[] {
  const out: { atMs: number; text: string }[] = operations.map((o) => ({
    atMs: o.atMs,
    text: `${o.actor}: ${o.action}${o.fleetId ? ` ${o.fleetId}` : ''} (${o.result}): ${o.reason}`,
  }));
  let last: string | undefined;
  for (const v of verdicts) {
    if (v.verdict === last) continue;
    last = v.verdict;
    const firing = v.evidence.filter((e) => e.firing).map((e) => e.text);
    out.push({
      atMs: v.atMs,
      text: `shield verdict: ${v.verdict}${firing.length ? ` (${firing.join('; ')})` : ''}`,
    });
  }
  for (const w of waf)
    out.push({
      atMs: w.atMs,
      text: `WAF ${w.action} (${w.result})${w.rules.length ? ` ${w.rules.join(', ')}` : ''}: ${w.reason}`,
    });
  for (const d of decisions)
    if (d.action !== 'scale-in' || d.result === 'ok')
      out.push({
        atMs: d.atMs,
        text: `${d.fleetId} ${d.action}${d.targetTasks === null ? '' : ` to ${d.targetTasks} tasks`} (${d.result}): ${d.reason}`,
      });
  const errors = Object.entries(input.metrics).flatMap(([fleetId, m]) =>
    (m.joinErrorsCapacity ?? []).filter((p) => p.v > 0).map((p) => ({ fleetId, t: p.t })),
  );
  if (errors.length) {
    const first = errors.reduce((a, b) => (b.t < a.t ? b : a));
    const lastErr = errors.reduce((a, b) => (b.t > a.t ? b : a));
    out.push({ atMs: first.t, text: `first join refused for lack of room (${first.fleetId})` });
    out.push({ atMs: lastErr.t, text: `last join refused for lack of room (${lastErr.fleetId})` });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

function summaryOf(
  shortage: CapacityShortage | null,
  attacks: readonly AttackSpan[],
  waf: readonly ReviewWafChange[],
  decisions: readonly ReviewDecision[],
  verdictCount: number,
): string[] {
  const out: string[] = [];
  if (shortage === null) out.push('capacity: the pack has no join metrics, so refused joins are unknown');
  else if (shortage.minutes === 0) out.push('capacity: no join failed for lack of room');
  else {
    const parts = [
      shortage.atCeilingMinutes
        ? `${mins(shortage.atCeilingMinutes)} while the fleet was at its ceiling`
        : '',
      shortage.belowPlanMinutes ? `${mins(shortage.belowPlanMinutes)} while it was below plan` : '',
      shortage.startingMinutes
        ? `${mins(shortage.startingMinutes)} while tasks it had asked for were still starting`
        : '',
      shortage.otherMinutes ? `${mins(shortage.otherMinutes)} while it ran all it had asked for` : '',
    ].filter(Boolean);
    out.push(`capacity: joins failed for lack of room for ${mins(shortage.minutes)} (${parts.join(', ')})`);
  }
  if (verdictCount === 0) out.push('attack: the shield recorded no verdict for this event');
  else if (attacks.length)
    out.push(
      `attack: the shield judged an attack ${attacks
        .map(
          (a) =>
            `from ${clockTime(a.fromMs)} to ${clockTime(a.toMs)}${a.signatures.length ? ` on these signatures: ${a.signatures.join(', ')}` : ''}`,
        )
        .join('; and ')}`,
    );
  else
    out.push(
      `attack: no attack signature was seen${shortage && shortage.minutes > 0 ? '; the failures were capacity' : ''}`,
    );
  const applied = waf.filter((w) => w.result === 'ok');
  out.push(
    applied.length
      ? `WAF: ${applied.map((w) => `${w.action}ed at ${clockTime(w.atMs)}`).join(', ')}`
      : 'WAF: never changed',
  );
  const changes = decisions.filter((d) => d.action !== 'prescale');
  const peak = Math.max(0, ...decisions.map((d) => d.targetTasks ?? 0));
  out.push(
    `decisions: ${plural(decisions.filter((d) => d.action === 'prescale').length, 'prescale')}, ${plural(
      changes.filter((d) => d.action === 'scale-out').length,
      'scale-out',
    )}, ${plural(changes.filter((d) => d.action === 'scale-in').length, 'scale-in')}; highest floor ${peak} tasks`,
  );
  return out;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLOURS = ['#1f4fd6', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** A static SVG line chart over the review's window; one line per named series. */
export function svgChart(
  fromMs: number,
  toMs: number,
  lines: readonly { readonly name: string; readonly points: readonly { t: number; v: number }[] }[],
): string {
  const W = 900;
  const H = 220;
  const pad = { l: 60, r: 10, t: 10, b: 30 };
  const drawn = lines.filter((l) => l.points.length > 0);
  if (!drawn.length) return '<p class="empty">No data in the pack.</p>';
  const max = Math.max(1, ...drawn.flatMap((l) => l.points.map((p) => p.v)));
  const x = (t: number) => pad.l + ((t - fromMs) / Math.max(1, toMs - fromMs)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => fromMs + f * (toMs - fromMs));
  const paths = drawn
    .map((l, i) => {
      const pts = l.points
        .filter((p) => p.t >= fromMs && p.t <= toMs)
        .map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
        .join(' ');
      return `<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5" points="${pts}"><title>${esc(l.name)}</title></polyline>`;
    })
    .join('');
  const axis = ticks
    .map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${H - 10}" font-size="11" text-anchor="middle">${clockTime(t).slice(0, 5)}</text>`,
    )
    .join('');
  const legend = drawn
    .map((l, i) => `<span style="color:${COLOURS[i % COLOURS.length]}">&#9644; ${esc(l.name)}</span>`)
    .join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#999"/>
<text x="4" y="${pad.t + 10}" font-size="11">${Math.round(max).toLocaleString('en-US')}</text><text x="4" y="${H - pad.b}" font-size="11">0</text>
${axis}${paths}</svg><div class="legend">${legend}</div>`;
}

/** The review as one static HTML page (no scripts). */
export function reviewHtml(r: Review): string {
  const fleets = [...new Set([...Object.keys(r.metrics), ...r.tasks.map((p) => p.fleetId)])];
  const series = (pick: (p: TaskPoint) => number | null, fleetId: string) =>
    r.tasks.filter((p) => p.fleetId === fleetId && pick(p) !== null).map((p) => ({ t: p.atMs, v: pick(p)! }));
  const chart = (lines: Parameters<typeof svgChart>[2]) => svgChart(r.fromMs, r.toMs, lines);
  const table = (head: string[], rows: string[][]) =>
    rows.length
      ? `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`
      : '<p class="empty">None.</p>';
  const verdictSpans: string[][] = [];
  for (const v of r.verdicts) {
    const prev = verdictSpans[verdictSpans.length - 1];
    if (prev && prev[1] === v.verdict) continue;
    verdictSpans.push([
      clockTime(v.atMs),
      v.verdict,
      v.desired ?? '',
      v.evidence.map((e) => `${e.firing ? '[firing] ' : ''}${e.text}`).join('; '),
      v.reason,
    ]);
  }
  const fleetCharts = fleets
    .map((f) => {
      const m = r.metrics[f] ?? {};
      return `<h3>${esc(f)}</h3>
<h4>Listeners</h4>${chart([{ name: 'listeners', points: m.listeners ?? [] }])}
<h4>Tasks and capacity settings</h4>${chart([
        { name: 'running', points: series((p) => p.running, f) },
        { name: 'desired', points: series((p) => p.desired, f) },
        { name: 'floor decided', points: series((p) => p.targetTasks, f) },
        { name: 'ceiling decided', points: series((p) => p.ceilingTasks, f) },
        { name: 'plan', points: series((p) => p.planFloor, f) },
      ])}
<h4>Join errors per period by kind</h4>${chart([
        { name: 'capacity (5xx)', points: m.joinErrorsCapacity ?? [] },
        { name: 'auth (4xx)', points: m.joinErrorsAuth ?? [] },
      ])}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SurgeGuard review: ${esc(r.eventId)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1180px;color:#222}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}td:first-child{white-space:nowrap}
h2{font-size:1.15rem;margin:2rem 0 .25rem}h4{margin:.75rem 0 .25rem;font-size:.95rem}.verdict{background:#f6f6f6;padding:.5rem 1rem;border-left:4px solid #1f4fd6}
.verdict li{margin:.2rem 0;font-weight:600}.legend{font-size:.8rem}.empty{color:#666}</style></head><body>
<h1>SurgeGuard post-event review: ${esc(r.eventId)}</h1>
<p>Window ${esc(new Date(r.fromMs).toISOString())} to ${esc(new Date(r.toMs).toISOString())}; metric period ${r.periodSeconds} s.
Built from the audit trail${r.hasMetrics ? ' and the fleets’ metrics' : ' only (no metrics in this pack)'}.</p>
<div class="verdict"><h2>Verdict</h2><ul>${r.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></div>
<h2>Timeline</h2>${table(
    ['time', 'what happened'],
    r.timeline.map((e) => [clockTime(e.atMs), e.text]),
  )}
<h2>Join outcomes</h2>${table(
    ['fleet', 'requests', 'successes', 'capacity errors', 'auth errors'],
    r.joins.map((j) => [
      j.fleetId,
      ...[j.requests, j.successes, j.capacityErrors, j.authErrors].map((n) =>
        Math.round(n).toLocaleString('en-US'),
      ),
    ]),
  )}
<h2>Fleets over time</h2>${fleetCharts}
<h2>The shield's verdicts (changes) and their evidence</h2>${table(
    ['time', 'verdict', 'WAF wanted', 'evidence', 'reason'],
    verdictSpans,
  )}
<h2>WAF state changes</h2>${table(
    ['time', 'action', 'result', 'rules', 'reason'],
    r.waf.map((w) => [clockTime(w.atMs), w.action, w.result, w.rules.join(', '), w.reason]),
  )}
<h2>Capacity decisions</h2>${table(
    ['time', 'fleet', 'action', 'floor', 'ceiling', 'result', 'reason'],
    r.decisions.map((d) => [
      clockTime(d.atMs),
      d.fleetId,
      d.action,
      String(d.targetTasks ?? ''),
      String(d.ceilingTasks ?? ''),
      d.result,
      d.reason,
    ]),
  )}
</body></html>
`;
}
