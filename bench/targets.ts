import type { PolicyFigures } from '../sim/replay';

/** What one scenario's replay says about the issues' targets. */
export interface ScenarioOutcome {
  readonly name: string;
  readonly surgeguard: PolicyFigures;
  readonly oracleServed: number;
  /** The scenario injects AWS faults (#13's fault scenarios). */
  readonly faulted: boolean;
}

/** The replay the 2024 target is about. */
const SPACE_2024 = 'spaces-2024-08-12';

/**
 * The targets issues #12 and #13 set for the replays, each checked against this run's figures: a line per target
 * with what was measured and whether it is met, so an unmet one is never hidden behind a table.
 */
export function targetLines(outcomes: readonly ScenarioOutcome[]): string[][] {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const list = (xs: string[]) => (xs.length ? xs.join('; ') : 'none');
  const rows: string[][] = [['target', 'measured', 'met']];
  const space = outcomes.find((o) => o.name === SPACE_2024);
  if (space) {
    const s = space.surgeguard;
    rows.push([
      '2024 replay: served >= 99.9% at <= 1.6x the oracle',
      `${pct(s.servedFraction)} at ${(s.costVsOracle ?? NaN).toFixed(2)}x`,
      s.servedFraction >= 0.999 && (s.costVsOracle ?? Infinity) <= 1.6 ? 'yes' : 'no',
    ]);
  }
  const overCeiling = outcomes.filter((o) => (o.surgeguard.maxTasksOverCeiling ?? 0) > 0);
  rows.push([
    'no tasks past the ceiling SurgeGuard set, every scenario',
    `over in: ${list(overCeiling.map((o) => `${o.name} (${o.surgeguard.maxTasksOverCeiling})`))}`,
    overCeiling.length ? 'no' : 'yes',
  ]);
  const servable = outcomes.filter((o) => o.oracleServed >= 0.999);
  const short = servable.filter((o) => o.surgeguard.servedFraction < 0.98);
  rows.push([
    `served >= 98% where the oracle serves >= 99.9% (${servable.length} scenarios)`,
    `under in: ${list(short.map((o) => `${o.name} ${pct(o.surgeguard.servedFraction)}`))}`,
    short.length ? 'no' : 'yes',
  ]);
  const bounded = outcomes.filter((o) => o.oracleServed < 0.999);
  const behind = bounded.filter((o) => o.surgeguard.servedFraction < 0.85 * o.oracleServed);
  rows.push([
    `served >= 0.85x the oracle where it cannot serve all (${bounded.length} scenarios)`,
    `under in: ${list(behind.map((o) => `${o.name} ${pct(o.surgeguard.servedFraction)} vs ${pct(o.oracleServed)}`))}`,
    behind.length ? 'no' : 'yes',
  ]);
  const faulted = outcomes.filter((o) => o.faulted);
  const faultChecks: [string, (f: PolicyFigures) => boolean, (f: PolicyFigures) => string][] = [
    [
      'no armed minute without an attack',
      (f) => f.wafArmedMinutesWithoutAttack === 0,
      (f) => `${f.wafArmedMinutesWithoutAttack.toFixed(1)} min`,
    ],
    [
      'nothing left above the baseline (finalTasksOverBaseline 0)',
      (f) => f.finalTasksOverBaseline === 0,
      (f) => `${f.finalTasksOverBaseline} tasks`,
    ],
    [
      'floorShortfallMinutes <= 2',
      (f) => (f.floorShortfallMinutes ?? 0) <= 2,
      (f) => `${(f.floorShortfallMinutes ?? 0).toFixed(1)} min`,
    ],
  ];
  for (const [what, ok, shown] of faultChecks) {
    const failing = faulted.filter((o) => !ok(o.surgeguard));
    rows.push([
      `fault scenarios (${faulted.length}): ${what}`,
      `missed in: ${list(failing.map((o) => `${o.name} ${shown(o.surgeguard)}`))}`,
      failing.length ? 'no' : 'yes',
    ]);
  }
  return rows;
}
