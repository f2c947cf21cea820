import type { AuditRecord } from '../../lambda/ports/state';
import type { ReviewInput } from '../../sim/review';
import { attackSpans, buildReview, reviewHtml } from '../../sim/review';

const T0 = Date.parse('2027-03-01T18:00:00Z');
const MIN = 60_000;

const firing = (signal: string) => ({
  signal,
  value: 1,
  baseline: 0,
  threshold: 0.5,
  firing: true,
  text: signal,
});

function verdict(min: number, v: string, signals: string[] = []): AuditRecord {
  return {
    atMs: T0 + min * MIN,
    eventId: 'e',
    actor: 'test',
    kind: 'shield',
    action: `verdict:${v}`,
    reason: v,
    decision: { desired: v.startsWith('attack') ? 'armed' : 'disarmed', evidence: signals.map(firing) },
    result: 'ok',
  };
}

/** A watch decision at a minute: the fleet's counts and what was decided. */
function tick(
  min: number,
  running: number,
  d: { target: number; plan: number; limit: number; action?: string },
) {
  return {
    atMs: T0 + min * MIN,
    eventId: 'e',
    fleetId: 'f1',
    actor: 'test',
    kind: 'decision' as const,
    action: d.action ?? 'hold',
    reason: `${d.action ?? 'hold'} at ${min}`,
    inputs: { planFloor: d.plan, counts: { running, pending: 0, desired: d.target } },
    decision: { targetTasks: d.target, limitTasks: d.limit, ceilingTasks: null },
    result: 'ok' as const,
  };
}

function input(audit: AuditRecord[], capacityErrorsAt: number[] = []): ReviewInput {
  return {
    eventId: 'e',
    fromMs: T0,
    toMs: T0 + 60 * MIN,
    periodSeconds: 60,
    audit,
    metrics: {
      f1: {
        listeners: [{ t: T0, v: 10 }],
        joinErrorsCapacity: capacityErrorsAt.map((m) => ({ t: T0 + m * MIN, v: 5 })),
        joinErrorsAuth: [],
      },
    },
  };
}

describe('post-event review', () => {
  it('spans attack verdicts, naming the signatures but not capacity evidence', () => {
    const spans = attackSpans(
      buildReview(
        input([
          verdict(1, 'normal'),
          verdict(2, 'attack', ['signature:ip-reputation', 'capacity-errors']),
          verdict(3, 'attack+capacity', ['auth-failures']),
          verdict(4, 'normal'),
          verdict(9, 'attack', ['signature:anti-ddos']),
        ]),
      ).verdicts,
    );
    expect(spans).toEqual([
      { fromMs: T0 + 2 * MIN, toMs: T0 + 4 * MIN, signatures: ['ip-reputation', 'auth-failures'] },
      { fromMs: T0 + 9 * MIN, toMs: T0 + 9 * MIN, signatures: ['anti-ddos'] },
    ]);
  });

  it('puts refused joins down to the fleet at its ceiling, below plan, or tasks starting', () => {
    const r = buildReview(
      input(
        [
          verdict(0, 'flash-crowd', ['capacity-errors']),
          tick(0, 50, { target: 80, plan: 60, limit: 100, action: 'scale-out' }), // below plan
          tick(10, 70, { target: 80, plan: 60, limit: 100 }), // starting
          tick(20, 100, { target: 100, plan: 90, limit: 100 }), // at the ceiling
        ],
        [1, 2, 11, 21, 22, 23],
      ),
    );
    expect(r.shortage).toEqual({
      minutes: 6,
      atCeilingMinutes: 3,
      belowPlanMinutes: 2,
      startingMinutes: 1,
      otherMinutes: 0,
    });
    expect(r.summary).toEqual([
      'capacity: joins failed for lack of room for 6 min (3 min while the fleet was at its ceiling, 2 min while it was below plan, 1 min while tasks it had asked for were still starting)',
      'attack: no attack signature was seen; the failures were capacity',
      'WAF: never changed',
      'decisions: 0 prescales, 1 scale-out, 0 scale-ins; highest floor 80 tasks',
    ]);
    expect(r.decisions.map((d) => d.action)).toEqual(['scale-out']);
    expect(r.tasks.map((p) => p.running)).toEqual([50, 70, 100]);
  });

  it('keeps other events out, and says so when the pack has no metrics or verdicts', () => {
    const other = { ...verdict(5, 'attack', ['signature:x']), eventId: 'other' };
    const r = buildReview({ ...input([other]), metrics: {} });
    expect(r.verdicts).toEqual([]);
    expect(r.summary.slice(0, 2)).toEqual([
      'capacity: the pack has no join metrics, so refused joins are unknown',
      'attack: the shield recorded no verdict for this event',
    ]);
  });

  it('renders the verdict, the timeline and the WAF changes, escaped', () => {
    const arm: AuditRecord = {
      atMs: T0 + 3 * MIN,
      eventId: 'e',
      actor: 'test',
      kind: 'aws-call',
      action: 'UpdateWebACL:arm',
      reason: 'attack <verdict>',
      inputs: { rules: ['ip-reputation'] },
      result: 'ok',
    };
    const r = buildReview(
      input([verdict(2, 'attack', ['signature:ip-reputation']), arm, verdict(6, 'normal')]),
    );
    expect(r.summary[1]).toBe(
      'attack: the shield judged an attack from 18:02 UTC to 18:06 UTC on these signatures: ip-reputation',
    );
    expect(r.summary[2]).toBe('WAF: armed at 18:03 UTC');
    const html = reviewHtml(r);
    expect(html).toContain(r.summary[1]);
    expect(html).toContain('attack &lt;verdict&gt;');
    expect(html).not.toContain('attack <verdict>');
  });
});
