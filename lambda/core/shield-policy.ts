import type { DetectorConfig } from './config/schema';
import type { Baseline, Verdict } from './detector';
import { DEFAULT_BASELINE, isAttackVerdict } from './detector';

/** Armed: the shield's rules take their armed action; disarmed: they count only. */
export type ShieldMode = 'armed' | 'disarmed';

/** What the shield remembers of one event between ticks. */
export interface ShieldState {
  readonly mode: ShieldMode;
  readonly attackStreak: number;
  readonly quietStreak: number;
  readonly armedAtMs?: number;
  /** Times of recent switches, to cap switches per hour. */
  readonly switchTimesMs: readonly number[];
  readonly baseline: Baseline;
  readonly announcedFlashCrowd: boolean;
  readonly lastVerdict?: Verdict | 'unknown';
  /** Timestamp of the newest datapoint judged, so a datapoint seen on several ticks counts once. */
  readonly lastSampleAtMs?: number;
}

/** A fresh shield: disarmed, default baseline. */
export const INITIAL_SHIELD_STATE: ShieldState = {
  mode: 'disarmed',
  attackStreak: 0,
  quietStreak: 0,
  switchTimesMs: [],
  baseline: DEFAULT_BASELINE,
  announcedFlashCrowd: false,
};

/** The result of one shield step. */
export interface ShieldStep {
  readonly next: ShieldState;
  /** The mode this event wants the web ACL in. */
  readonly desired: ShieldMode;
  readonly change?: 'arm' | 'disarm';
  readonly reason: string;
  /** Say once per event that this is capacity, not attack. */
  readonly announceFlashCrowd: boolean;
  /** Share of extra capacity to ask the watch for (a flash crowd asks for capacity, never for blocking). */
  readonly capacityBoost: number;
}

/**
 * Whether rules found out of the armed mode the shield wants (a write that failed, a deploy that reset them) are
 * armed again now. Not when every event wanting them armed has a newest datapoint that shows no attack and no
 * manual arm: arming then would block traffic once the attack has gone, and the shield disarms after its quiet ticks.
 * An unjudged datapoint (stale, missing) holds the mode, so it repairs.
 */
export function repairsArming(wanting: readonly { verdict?: Verdict; manual: boolean }[]): boolean {
  return wanting.some((w) => w.manual || w.verdict === undefined || isAttackVerdict(w.verdict));
}

/** The verdict on one datapoint, with the datapoint's timestamp. */
export interface ShieldObservation {
  readonly verdict: Verdict;
  readonly capacityPressure: boolean;
  readonly atMs: number;
}

/** A manual mode from on-call; only an active one is passed in. */
export interface ShieldManual {
  readonly mode: ShieldMode;
}

/**
 * Moves the shield one tick: arm after attack verdicts on K consecutive distinct datapoints, disarm after M quiet
 * ticks and a minimum armed time, at most N switches an hour. No observation ('unknown': a series missing or
 * stale) holds the mode and the streaks; a datapoint already judged on an earlier tick neither extends nor resets
 * the attack streak, because ticks are faster than metric periods. A manual mode wins until it expires.
 * `flash-crowd` alone never arms.
 */
export function stepShield(
  state: ShieldState,
  observation: ShieldObservation | undefined,
  nowMs: number,
  cfg: DetectorConfig,
  manual?: ShieldManual,
): ShieldStep {
  const verdict = observation?.verdict ?? 'unknown';
  const capacityPressure = observation?.capacityPressure ?? false;
  const hourAgo = nowMs - 3_600_000;
  const recentSwitches = state.switchTimesMs.filter((t) => t > hourAgo);
  const isAttack = isAttackVerdict(verdict);
  const quiet = verdict === 'normal' || verdict === 'flash-crowd';
  const repeat = observation !== undefined && observation.atMs === state.lastSampleAtMs;
  const attackStreak =
    verdict === 'unknown' || repeat ? state.attackStreak : isAttack ? state.attackStreak + 1 : 0;
  const quietStreak = verdict === 'unknown' ? state.quietStreak : quiet ? state.quietStreak + 1 : 0;
  const announceFlashCrowd = verdict === 'flash-crowd' && capacityPressure && !state.announcedFlashCrowd;
  const base: ShieldState = {
    ...state,
    attackStreak,
    quietStreak,
    switchTimesMs: recentSwitches,
    announcedFlashCrowd: state.announcedFlashCrowd || announceFlashCrowd,
    lastVerdict: verdict,
    lastSampleAtMs: observation?.atMs ?? state.lastSampleAtMs,
  };
  const capacityBoost = capacityPressure && verdict !== 'unknown' ? cfg.capacityBoost : 0;
  const switchTo = (mode: ShieldMode, reason: string): ShieldStep => ({
    next: {
      ...base,
      mode,
      armedAtMs: mode === 'armed' ? nowMs : undefined,
      switchTimesMs: [...recentSwitches, nowMs],
    },
    desired: mode,
    change: mode === 'armed' ? 'arm' : 'disarm',
    reason,
    announceFlashCrowd,
    capacityBoost,
  });
  const stay = (reason: string): ShieldStep => ({
    next: base,
    desired: state.mode,
    reason,
    announceFlashCrowd,
    capacityBoost,
  });

  if (manual) {
    if (manual.mode !== state.mode)
      return switchTo(manual.mode, `manual ${manual.mode === 'armed' ? 'arm' : 'disarm'} by on-call`);
    return stay(`manual ${manual.mode} in force`);
  }
  const capReached = recentSwitches.length >= cfg.maxSwitchesPerHour;
  if (state.mode === 'disarmed') {
    if (attackStreak >= cfg.armAfterTicks) {
      if (capReached)
        return stay(
          `attack verdict for ${attackStreak} ticks, but ${recentSwitches.length} switches in the last hour: holding to prevent flapping`,
        );
      return switchTo('armed', `attack verdict for ${attackStreak} consecutive datapoints`);
    }
    if (verdict === 'flash-crowd')
      return stay('flash crowd: capacity, not attack; asking for capacity, not blocking');
    if (verdict === 'unknown') return stay('metrics missing: holding the current mode');
    return stay(
      isAttack
        ? `attack verdict on ${attackStreak} of ${cfg.armAfterTicks} datapoints needed to arm${repeat ? ' (datapoint already counted)' : ''}`
        : 'no attack',
    );
  }
  const armedFor = nowMs - (state.armedAtMs ?? nowMs);
  if (quietStreak >= cfg.disarmAfterQuietTicks && armedFor >= cfg.minArmedMinutes * 60_000) {
    if (capReached)
      return stay(`quiet for ${quietStreak} ticks, but the switch cap is reached: staying armed`);
    return switchTo(
      'disarmed',
      `quiet for ${quietStreak} consecutive ticks after ${Math.round(armedFor / 60_000)} minutes armed`,
    );
  }
  if (verdict === 'unknown') return stay('metrics missing: holding the current mode');
  return stay(
    isAttack
      ? 'attack continues'
      : `quiet for ${quietStreak} of ${cfg.disarmAfterQuietTicks} ticks needed to disarm`,
  );
}
