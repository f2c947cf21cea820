import { DETECTOR_DEFAULTS } from '../../lambda/core/config/schema';
import type { Baseline, TrafficSample, Verdict } from '../../lambda/core/detector';
import { DEFAULT_BASELINE, detect, learnBaseline } from '../../lambda/core/detector';
import type { ShieldState } from '../../lambda/core/shield-policy';
import { INITIAL_SHIELD_STATE, repairsArming, stepShield } from '../../lambda/core/shield-policy';

const cfg = DETECTOR_DEFAULTS;
const MIN = 60_000;

/** Normal pre-event traffic: a few joins, mostly succeeding, 1% matching the reputation list. */
function sample(over: Partial<TrafficSample> & { reputation?: number } = {}): TrafficSample {
  const requests = over.joinRequests ?? 1000;
  return {
    joinRequests: requests,
    joinSuccesses: over.joinSuccesses ?? requests * 0.97,
    joinErrorsCapacity: over.joinErrorsCapacity ?? 0,
    joinErrorsAuth: over.joinErrorsAuth ?? requests * 0.02,
    listeners: over.listeners ?? 10_000,
    utilisation: over.utilisation ?? 0.3,
    webAclRequests: over.webAclRequests ?? requests,
    signatureMatches: over.signatureMatches ?? { reputation: (over.reputation ?? 0.01) * requests },
  };
}

function learned(): Baseline {
  let b = DEFAULT_BASELINE;
  for (let i = 0; i < 10; i++) b = learnBaseline(b, sample());
  return b;
}

/** Runs a sequence of samples through the detector and the shield; returns each tick's verdict and mode. */
function run(
  samples: (TrafficSample | undefined)[],
  start: ShieldState = { ...INITIAL_SHIELD_STATE, baseline: learned() },
) {
  let state = start;
  const out: { verdict: Verdict | 'unknown'; mode: string; boost: number; change?: string }[] = [];
  samples.forEach((s, i) => {
    const d = s ? detect(s, state.baseline, cfg) : undefined;
    // Each 20 s tick sees a new datapoint here (20 s metrics); repeats are tested on their own.
    const seen = d && { verdict: d.verdict, capacityPressure: d.capacityPressure, atMs: i * 20_000 };
    const step = stepShield(state, seen, i * 20_000, cfg);
    state = step.next;
    out.push({
      verdict: d?.verdict ?? 'unknown',
      mode: step.desired,
      boost: step.capacityBoost,
      change: step.change,
    });
  });
  return out;
}

/** A join flood: invalid tokens from reputation-listed IPs. */
const FLOOD = sample({ joinRequests: 50_000, joinSuccesses: 1000, joinErrorsAuth: 48_000, reputation: 0.6 });

const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

describe('detector and shield', () => {
  it('an organic surge: volume up, joins succeed, never arms', () => {
    const r = run(
      times(20, (i) => sample({ joinRequests: 1000 * (i + 1) * 5, listeners: 50_000 * (i + 1) })),
    );
    expect(r.every((t) => t.mode === 'disarmed')).toBe(true);
    expect(r.at(-1)!.verdict).toBe('flash-crowd');
  });

  it('a retry storm: 10x join requests failing with capacity errors, never arms, asks for capacity', () => {
    const storm = (i: number) => {
      const requests = 10_000 * (i < 3 ? i + 1 : 10);
      return sample({
        joinRequests: requests,
        joinErrorsCapacity: requests * 0.8,
        joinSuccesses: requests * 0.18,
        joinErrorsAuth: requests * 0.02,
        utilisation: 1.0,
      });
    };
    const r = run(times(30, storm));
    expect(r.every((t) => t.mode === 'disarmed')).toBe(true);
    expect(r.every((t) => t.verdict === 'flash-crowd')).toBe(true);
    expect(r.at(-1)!.boost).toBe(cfg.capacityBoost);
  });

  it('a join flood with invalid tokens from reputation-listed IPs arms within K ticks', () => {
    const r = run([sample(), sample(), FLOOD, FLOOD, FLOOD]);
    expect(r.map((t) => t.verdict)).toEqual(['normal', 'normal', 'attack', 'attack', 'attack']);
    expect(r.map((t) => t.mode)).toEqual(['disarmed', 'disarmed', 'disarmed', 'armed', 'armed']);
    expect(r[3]!.change).toBe('arm');
  });

  it('a flood during a surge arms, and still asks for capacity', () => {
    const both = sample({
      joinRequests: 200_000,
      joinSuccesses: 60_000,
      joinErrorsCapacity: 40_000,
      joinErrorsAuth: 100_000,
      utilisation: 0.95,
      reputation: 0.4,
    });
    const r = run([both, both, both]);
    expect(r.map((t) => t.verdict)).toEqual(['attack+capacity', 'attack+capacity', 'attack+capacity']);
    expect(r[1]!.mode).toBe('armed');
    expect(r[1]!.boost).toBe(cfg.capacityBoost);
  });

  it('flapping input respects hysteresis: no disarm before M quiet ticks and the minimum armed time', () => {
    const quiet = sample();
    // Attack, then alternate quiet and attack every tick for a long time.
    const r = run([FLOOD, FLOOD, ...times(60, (i) => (i % 2 ? FLOOD : quiet))]);
    const switches = r.filter((t) => t.change).length;
    expect(r[1]!.mode).toBe('armed');
    expect(switches).toBe(1);
    expect(r.every((t, i) => i < 1 || t.mode === 'armed')).toBe(true);
  });

  it('disarms after M quiet ticks and the minimum armed time, and caps switches per hour', () => {
    const quiet = sample();
    // 20 s ticks: min armed 10 min = 30 ticks.
    const cycle = [FLOOD, FLOOD, ...times(40, () => quiet)];
    const r = run([...cycle, ...cycle, ...cycle, ...cycle]);
    const changes = r.filter((t) => t.change).map((t) => t.change);
    const firstDisarm = r.findIndex((t) => t.change === 'disarm');
    expect(firstDisarm).toBeGreaterThanOrEqual(1 + 30);
    expect(changes.length).toBeLessThanOrEqual(cfg.maxSwitchesPerHour);
  });

  it('missing metrics hold the current mode', () => {
    const r = run([FLOOD, FLOOD, undefined, undefined, ...times(40, () => undefined)]);
    expect(r.slice(1).every((t) => t.mode === 'armed')).toBe(true);
    const d = run([FLOOD, undefined, FLOOD]);
    // Unknown ticks neither count for nor reset the attack streak.
    expect(d.map((t) => t.mode)).toEqual(['disarmed', 'disarmed', 'armed']);
  });

  it('counts an attack streak in distinct datapoints: one 1-minute datapoint seen on three ticks arms nothing', () => {
    const d = detect(FLOOD, learned(), cfg);
    let state: ShieldState = { ...INITIAL_SHIELD_STATE, baseline: learned() };
    const modes: string[] = [];
    // 20 s ticks, 60 s datapoints: ticks 0-2 see the datapoint at 0, ticks 3-5 the one at 1 min.
    for (let i = 0; i < 6; i++) {
      const atMs = Math.floor(i / 3) * MIN;
      const step = stepShield(state, { ...d, atMs }, i * 20_000, cfg);
      modes.push(step.desired);
      state = step.next;
    }
    expect(modes).toEqual(['disarmed', 'disarmed', 'disarmed', 'armed', 'armed', 'armed']);
    expect(state.attackStreak).toBe(2);
  });

  it('a repeated datapoint neither extends nor resets the attack streak', () => {
    const d = detect(FLOOD, learned(), cfg);
    const quiet = detect(sample(), learned(), cfg);
    let state: ShieldState = { ...INITIAL_SHIELD_STATE, baseline: learned() };
    state = stepShield(state, { ...d, atMs: 0 }, 0, cfg).next;
    state = stepShield(state, { ...d, atMs: 0 }, 20_000, cfg).next;
    expect(state.attackStreak).toBe(1);
    // A new quiet datapoint resets it.
    state = stepShield(state, { ...quiet, atMs: MIN }, MIN, cfg).next;
    expect(state.attackStreak).toBe(0);
  });

  it('explains its verdict with each signal, its value, baseline and threshold', () => {
    const d = detect(FLOOD, learned(), cfg);
    const auth = d.evidence.find((e) => e.signal === 'auth-failures')!;
    expect(auth).toMatchObject({ firing: true, value: 0.96 });
    expect(auth.baseline).toBeCloseTo(0.02, 6);
    expect(auth.text).toMatch(/auth failures \(invalid tokens\) are 96\.0% of join requests/);
    expect(d.evidence.find((e) => e.signal === 'signature:reputation')).toMatchObject({ firing: true });
    expect(d.evidence.find((e) => e.signal === 'volume')!.text).toMatch(/never attack evidence/);
  });

  it('a manual mode wins over the detector', () => {
    const normal = { verdict: 'normal' as const, capacityPressure: false, atMs: 0 };
    const step = stepShield({ ...INITIAL_SHIELD_STATE }, normal, 0, cfg, { mode: 'armed' });
    expect(step).toMatchObject({ desired: 'armed', change: 'arm' });
    const held = stepShield(
      { ...INITIAL_SHIELD_STATE, mode: 'armed', armedAtMs: 0 },
      { verdict: 'attack', capacityPressure: false, atMs: 10 * MIN },
      10 * MIN,
      cfg,
      { mode: 'disarmed' },
    );
    expect(held).toMatchObject({ desired: 'disarmed', change: 'disarm' });
  });

  it('announces a flash crowd once per event', () => {
    const storm = sample({
      joinRequests: 100_000,
      joinErrorsCapacity: 80_000,
      joinSuccesses: 18_000,
      utilisation: 1,
    });
    let state: ShieldState = { ...INITIAL_SHIELD_STATE, baseline: learned() };
    const announced: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const d = detect(storm, state.baseline, cfg);
      const s = stepShield(state, { ...d, atMs: i * 20_000 }, i * 20_000, cfg);
      announced.push(s.announceFlashCrowd);
      state = s.next;
    }
    expect(announced).toEqual([true, false, false, false, false]);
  });
});

describe('repairsArming', () => {
  it.each([
    ['an attack in the newest datapoint', [{ verdict: 'attack', manual: false }], true],
    ['an attack with capacity pressure', [{ verdict: 'attack+capacity', manual: false }], true],
    ['an unjudged datapoint (the mode holds)', [{ manual: false }], true],
    ['a manual arm, whatever the traffic', [{ verdict: 'normal', manual: true }], true],
    ['a quiet datapoint', [{ verdict: 'normal', manual: false }], false],
    ['a flash crowd', [{ verdict: 'flash-crowd', manual: false }], false],
    [
      'one quiet event beside one under attack',
      [
        { verdict: 'normal', manual: false },
        { verdict: 'attack', manual: false },
      ],
      true,
    ],
  ] as const)('re-arms drifted rules on %s', (_, wanting, repairs) => {
    expect(repairsArming(wanting as readonly { verdict?: Verdict; manual: boolean }[])).toBe(repairs);
  });
});
