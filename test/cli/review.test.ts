import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay } from '../../sim/replay';
import type { Review } from '../../sim/review';
import { loadScenario } from '../../sim/scenario';
import { runCli } from './run-cli';

/** Replays a scenario with --record, then reviews the recording; returns the review and where it went. */
function recordAndReview(scenario: string, event: string): { review: Review; out: string; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sg-review-'));
  const rec = runCli([
    'replay',
    `scenarios/${scenario}.yaml`,
    '--policy',
    'surgeguard',
    '--record',
    join(dir, 'rec'),
  ]);
  expect(rec.stderr).toBe('');
  expect(rec.code).toBe(0);
  expect(rec.stdout).toContain(`recording: ${join(dir, 'rec')}`);
  const out = join(dir, 'pack');
  const r = runCli(['review', '--event', event, '--from', join(dir, 'rec'), '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(existsSync(join(out, 'index.html'))).toBe(true);
  return {
    review: JSON.parse(readFileSync(join(out, 'review.json'), 'utf8')) as Review,
    out,
    stdout: r.stdout,
  };
}

describe('surgeguard review', () => {
  it("reproduces a recorded flood replay's shield verdicts and capacity decisions, and names the attack", async () => {
    const ls = loadScenario('scenarios/join-flood-200k.yaml');
    const [run] = await replay(ls, ['surgeguard']);
    const { review, out, stdout } = recordAndReview('join-flood-200k', 'join-flood-200k');

    // The same verdicts at the same moments as the replay recorded.
    expect(review.verdicts.map((v) => [(v.atMs - ls.startMs) / 1000, v.verdict])).toEqual(
      run!.verdicts.map((v) => [v.t, v.verdict]),
    );
    // Every capacity change the replay counted, with its target and reason.
    const changes = review.decisions.filter((d) => d.action === 'scale-out' || d.action === 'scale-in');
    expect(
      changes.map((d) => [(d.atMs - ls.startMs) / 1000, d.fleetId, d.action, d.targetTasks, d.reason]),
    ).toEqual(run!.decisions.map((d) => [d.t, d.fleetId, d.action, d.targetTasks, d.reason]));
    expect(changes.length).toBeGreaterThan(0);

    // The attack was judged during the flood window (its start, plus the metrics' delay and period).
    const flood = ls.scenario.attacks[0]!;
    const floodFrom = ls.startMs + flood.fromMinute * 60_000;
    const floodTo = ls.startMs + flood.toMinute * 60_000;
    const lag = (ls.scenario.metrics.delaySeconds + ls.scenario.metrics.periodSeconds) * 1000 + 120_000;
    expect(review.attacks.length).toBeGreaterThan(0);
    for (const a of review.attacks) {
      expect(a.fromMs).toBeGreaterThanOrEqual(floodFrom);
      expect(a.fromMs).toBeLessThan(floodTo + lag);
      expect(a.toMs).toBeLessThanOrEqual(floodTo + lag);
      expect(a.signatures.length).toBeGreaterThan(0);
      expect(a.signatures).not.toContain('capacity-errors');
    }
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const first = review.attacks[0]!;
    expect(stdout).toContain(
      `attack: the shield judged an attack from ${hhmm(first.fromMs)} UTC to ${hhmm(first.toMs)} UTC on these signatures: ${first.signatures.join(', ')}`,
    );
    // The WAF went armed and back, as the replay's figures say.
    expect(review.waf.filter((w) => w.result === 'ok').map((w) => w.action)).toEqual(['arm', 'disarm']);
    expect(run!.figures.wafArmed).toBe(true);

    const html = readFileSync(join(out, 'index.html'), 'utf8');
    for (const line of review.summary) expect(html).toContain(line.replace(/&/g, '&amp;'));
    expect(html).toContain('<svg');
  }, 120_000);

  it('says no attack signature was seen on an organic surge', () => {
    const { review, stdout } = recordAndReview('launch-2023-05-24', 'launch-2023-05-24');
    expect(review.verdicts.length).toBeGreaterThan(0);
    expect(review.attacks).toEqual([]);
    expect(review.waf.filter((w) => w.result === 'ok')).toEqual([]);
    expect(review.hasMetrics).toBe(true);
    expect(stdout).toMatch(/attack: no attack signature was seen/);
    expect(stdout).toContain('WAF: never changed');
  }, 120_000);

  it("reviews a local rehearsal's state: people's actions in the timeline, no metrics", () => {
    const state = join(mkdtempSync(join(tmpdir(), 'sg-review-')), 'state.json');
    const event = 'eu-town-hall-2027-03';
    const scale = runCli([
      'scale',
      '--event',
      event,
      '--fleet',
      'sfu-euw1',
      '--to',
      '200',
      '--for',
      '1h',
      '--reason',
      'audience 3x forecast',
      '--yes',
      '--local',
      state,
    ]);
    expect(scale.code).toBe(0);
    const out = join(mkdtempSync(join(tmpdir(), 'sg-review-')), 'pack');
    const r = runCli(['review', '--event', event, '--local', state, '--json', '--out', out]);
    expect(r.code).toBe(0);
    const review = JSON.parse(r.stdout) as Review;
    expect(review.hasMetrics).toBe(false);
    expect(review.summary[0]).toBe('capacity: the pack has no join metrics, so refused joins are unknown');
    expect(review.timeline.some((e) => e.text.includes('audience 3x forecast'))).toBe(true);
    expect(r.stderr).toContain(`review: ${join(out, 'index.html')}`);
    const unknown = runCli(['review', '--event', 'nope', '--local', state, '--out', out]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown event "nope"; the config has: ');
  });

  it('refuses bad input with a clear message and no stack trace', () => {
    const none = runCli(['review', '--event', 'x']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('name the source: --from DIR');
    const dir = mkdtempSync(join(tmpdir(), 'sg-review-'));
    const missing = runCli(['review', '--event', 'x', '--from', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, 'audit.json')}: not found`);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(join(dir, 'audit.json'), '[]');
    writeFileSync(join(dir, 'metrics.json'), '{"eventId": "other"}');
    const bad = runCli(['review', '--event', 'x', '--from', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('expected eventId, fromMs, toMs, periodSeconds and metrics');
    const noState = runCli(['review', '--event', 'x', '--local', join(dir, 'none.json')]);
    expect(noState.code).toBe(1);
    expect(noState.stderr).toContain(`${join(dir, 'none.json')}: no such state file`);
  });
});
