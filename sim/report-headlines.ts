import { int, percent } from '../bin/cli/format';
import type { PolicyRun } from './replay';
import { LEAD_POLICY } from './report-charts';

/** The charts of a report that carry a headline. */
export type ChartId = 'served' | 'capacity' | 'tasks' | 'errors' | 'waf' | 'verdicts';

/** Minutes in plain words: "0 min", "<1 min", "24 min". */
export function minutes(m: number): string {
  if (m <= 0) return '0 min';
  if (m < 1) return '<1 min';
  return `${Math.round(m)} min`;
}

/** "44 min before" / "3 min after", for a lead time in seconds (positive = before). */
function beforeAfter(seconds: number): string {
  return seconds >= 0 ? `${minutes(seconds / 60)} before` : `${minutes(-seconds / 60)} after`;
}

/** Seconds one frame stands for (frames are evenly spaced). */
function frameSeconds(r: PolicyRun): number {
  const [a, b] = r.frames;
  return a && b ? b.t - a.t : 10;
}

/** Minutes in which the fleet's capacity was below demand. */
export function shortMinutes(r: PolicyRun): number {
  return (r.frames.filter((f) => f.demand > 0 && f.capacity < f.demand).length * frameSeconds(r)) / 60;
}

/** When the capacity for the run's peak demand was first in place, and when demand first reached that peak. */
export function readiness(r: PolicyRun): {
  peak: number;
  readyAt: number | null;
  peakAt: number | null;
} {
  const peak = Math.max(0, ...r.frames.map((f) => f.demand));
  const at = (p: (f: PolicyRun['frames'][number]) => boolean) => r.frames.find(p)?.t ?? null;
  return {
    peak,
    readyAt: peak > 0 ? at((f) => f.capacity >= peak) : null,
    peakAt: peak > 0 ? at((f) => f.demand >= peak) : null,
  };
}

/** The lead policy if it ran, else the first; and the others. */
function split(runs: readonly PolicyRun[]): { lead: PolicyRun; others: PolicyRun[] } | null {
  const lead = runs.find((r) => r.name === LEAD_POLICY) ?? runs[0];
  return lead ? { lead, others: runs.filter((r) => r !== lead) } : null;
}

/** The run with the largest `score` (first on ties). */
function most(runs: readonly PolicyRun[], score: (r: PolicyRun) => number): PolicyRun | undefined {
  return runs.reduce<PolicyRun | undefined>(
    (best, r) => (!best || score(r) > score(best) ? r : best),
    undefined,
  );
}

const sum = (r: PolicyRun, v: (f: PolicyRun['frames'][number]) => number) =>
  r.frames.reduce((s, f) => s + v(f), 0) * frameSeconds(r);

function servedHeadline(lead: PolicyRun, others: PolicyRun[]): string {
  const says = (r: PolicyRun) =>
    `${r.name} served ${percent(r.figures.servedFraction)} of demand` +
    (r.figures.peakShortfall > 0 ? `, ${int(r.figures.peakShortfall)} listeners short at worst` : '');
  const worst = most(others, (r) => -r.figures.servedFraction);
  return worst ? `${says(lead)}; ${says(worst)}.` : `${says(lead)}.`;
}

function capacityHeadline(lead: PolicyRun, others: PolicyRun[]): string {
  const { peak, readyAt, peakAt } = readiness(lead);
  if (peak === 0) return `No demand in this scenario.`;
  const ready =
    readyAt === null
      ? `${lead.name} never had capacity for the peak of ${int(peak)} listeners`
      : `${lead.name} had capacity for the peak of ${int(peak)} listeners in place ${beforeAfter(-readyAt)} the event's start` +
        (peakAt !== null ? ` (${beforeAfter(peakAt - readyAt)} demand peaked)` : '');
  const leadShort = shortMinutes(lead);
  const worst = most(others, shortMinutes);
  return (
    `${ready}${leadShort > 0 ? ` and was short of demand for ${minutes(leadShort)}` : ''}` +
    (worst ? `; ${worst.name} was short of demand for ${minutes(shortMinutes(worst))}.` : '.')
  );
}

function tasksHeadline(lead: PolicyRun, others: PolicyRun[]): string {
  const peak = (r: PolicyRun) => Math.max(0, ...r.frames.map((f) => f.running));
  const cost = lead.figures.costVsOracle;
  const says = `${lead.name} ran up to ${int(peak(lead))} tasks, ${int(lead.figures.taskHours)} task-hours${
    cost !== null && lead.name !== 'oracle' ? ` (${cost.toFixed(2)}x the oracle's)` : ''
  }`;
  const oracle = others.find((r) => r.name === 'oracle');
  const cheapest = oracle ?? most(others, (r) => -r.figures.taskHours);
  return cheapest
    ? `${says}; ${cheapest.name} ran up to ${int(peak(cheapest))}, ${int(cheapest.figures.taskHours)} task-hours.`
    : `${says}.`;
}

function errorsHeadline(lead: PolicyRun, others: PolicyRun[]): string {
  const capacity = (r: PolicyRun) => sum(r, (f) => f.capacityErrors);
  const worst = most(others, capacity);
  return (
    `Capacity errors (5xx) in all: ${lead.name} ${int(capacity(lead))}` +
    (worst ? `, ${worst.name} ${int(capacity(worst))} (the most)` : '') +
    `. Auth errors (4xx): ${lead.name} ${int(sum(lead, (f) => f.authErrors))}.`
  );
}

function wafHeadline(lead: PolicyRun, others: PolicyRun[], attacks: number): string {
  const f = lead.figures;
  const leadSays = !f.wafArmed
    ? `${lead.name} never armed the WAF`
    : f.firstArmSecondsAfterAttackStart !== null
      ? `${lead.name} armed the WAF ${f.firstArmSecondsAfterAttackStart} s after the attack started` +
        (f.wafArmedMinutesWithoutAttack > 0
          ? ` and kept rules in effect ${minutes(f.wafArmedMinutesWithoutAttack)} without an attack`
          : '')
      : `${lead.name} kept WAF rules in effect ${minutes(f.wafArmedMinutesWithoutAttack)} without an attack`;
  const needless = others
    .filter((r) => r.figures.wafArmedMinutesWithoutAttack > 0)
    .sort((a, b) => b.figures.wafArmedMinutesWithoutAttack - a.figures.wafArmedMinutesWithoutAttack)
    .map((r) => `${r.name} ${minutes(r.figures.wafArmedMinutesWithoutAttack)}`);
  return (
    `${attacks ? '' : 'No attack in this scenario: '}${leadSays}` +
    (needless.length ? `; armed without an attack: ${needless.join(', ')}.` : '.')
  );
}

/** Minutes each verdict held, a verdict holding until the next one (the last for one tick). */
export function verdictMinutes(r: PolicyRun, tickSeconds: number): Map<string, number> {
  const out = new Map<string, number>();
  r.verdicts.forEach((v, i) => {
    const next = r.verdicts[i + 1];
    const held = Math.min(next ? next.t - v.t : tickSeconds, tickSeconds);
    out.set(v.verdict, (out.get(v.verdict) ?? 0) + held / 60);
  });
  return out;
}

function verdictsHeadline(runs: readonly PolicyRun[], tickSeconds: number): string {
  const says = (r: PolicyRun) => {
    const m = verdictMinutes(r, tickSeconds);
    const attack = (m.get('attack') ?? 0) + (m.get('attack+capacity') ?? 0);
    const crowd = m.get('flash-crowd') ?? 0;
    return `${r.name}'s shield called an attack for ${minutes(attack)}${crowd > 0 ? `, a flash crowd for ${minutes(crowd)}` : ''}`;
  };
  const shielded = runs.filter((r) => r.verdicts.length);
  const ordered = [
    ...shielded.filter((r) => r.name === LEAD_POLICY),
    ...shielded.filter((r) => r.name !== LEAD_POLICY),
  ];
  return `${ordered.map(says).join('; ')}.`;
}

/**
 * One sentence per chart saying what it shows, computed from the runs' frames and figures: the lead policy
 * (SurgeGuard) against the policy that did worst on that chart's measure.
 */
export function headlines(
  runs: readonly PolicyRun[],
  scenario: { attacks: number; tickSeconds: number },
): Record<ChartId, string> {
  const s = split(runs);
  if (!s) {
    const none = 'No policy ran.';
    return { served: none, capacity: none, tasks: none, errors: none, waf: none, verdicts: none };
  }
  return {
    served: servedHeadline(s.lead, s.others),
    capacity: capacityHeadline(s.lead, s.others),
    tasks: tasksHeadline(s.lead, s.others),
    errors: errorsHeadline(s.lead, s.others),
    waf: wafHeadline(s.lead, s.others, scenario.attacks),
    verdicts: verdictsHeadline(runs, scenario.tickSeconds),
  };
}

/**
 * A plain-words note when the oracle shows SLO-breach minutes, so a reader does not take them for a flaw in the
 * replay; null when it shows none or did not run.
 */
export function oracleNote(runs: readonly PolicyRun[]): string | null {
  const o = runs.find((r) => r.name === 'oracle');
  const n = o?.figures.sloBreachMinutes ?? 0;
  if (!n) return null;
  return (
    `The oracle knows demand in advance and buys capacity exactly at it, with no headroom: it brushes the limit, ` +
    `so joins that arrive as its tasks fill are refused and retried, and ${n} minute${n === 1 ? '' : 's'} fall under the ` +
    `join-success SLO. That is the cost of zero headroom, not a fault of the replay; it is the floor of cost, not a policy to run.`
  );
}
