import type { ScenarioOutcome } from '../../bench/targets';
import { targetLines, unmetWhy } from '../../bench/targets';
import type { PolicyFigures } from '../../sim/replay';
import { policyFigures } from '../fixtures/figures';

const figures = (over: Partial<PolicyFigures> = {}) =>
  policyFigures({ servedFraction: 0.9999, costVsOracle: 1.5, ...over });
const outcome = (
  name: string,
  over: Partial<PolicyFigures>,
  oracleServed = 0.9999,
  faulted = false,
): ScenarioOutcome => ({
  name,
  surgeguard: figures(over),
  oracleServed,
  faulted,
});
const met = (rows: string[][], start: string) => rows.find((r) => r[0]!.startsWith(start));

describe('targetLines', () => {
  it('marks every target met when every replay meets it', () => {
    const rows = targetLines([outcome('spaces-2024-08-12', {}), outcome('fault-x', {}, 0.9999, true)]);
    expect(rows.slice(1).every((r) => r[2] === 'yes')).toBe(true);
  });

  it('names each replay that misses a target, with its figure', () => {
    // Prepare
    const rows = targetLines([
      outcome('spaces-2024-08-12', { costVsOracle: 1.96 }),
      outcome('doubling', { servedFraction: 0.949 }),
      outcome('worse', { servedFraction: 0.6 }, 0.78),
      outcome('throttle', { floorShortfallMinutes: 3 }, 0.9999, true),
      outcome('ceiling', { maxTasksOverCeiling: 12 }),
    ]);
    // Assess
    expect(met(rows, '2024 replay')).toEqual([
      '2024 replay: served >= 99.9% at <= 1.6x the oracle',
      '99.99% at 1.96x',
      'no',
    ]);
    expect(met(rows, 'served >= 98%')![1]).toBe('under in: doubling 94.90%');
    expect(met(rows, 'served >= 0.85x')![1]).toBe('under in: worse 60.00% vs 78.00%');
    expect(met(rows, 'fault scenarios (1): floorShortfallMinutes')![1]).toBe('missed in: throttle 3.0 min');
    expect(met(rows, 'no tasks past the ceiling')![1]).toBe('over in: ceiling (12)');
    expect(met(rows, 'fault scenarios (1): no armed minute')![2]).toBe('yes');
  });
});

describe('unmetWhy', () => {
  it('says nothing when every target is met', () => {
    expect(unmetWhy([outcome('spaces-2024-08-12', {}), outcome('doubling', {})])).toEqual([]);
  });

  it('puts figures to each unmet target: where the 2024 task-hours went, how long a surge goes unseen', () => {
    // Prepare
    const space: ScenarioOutcome = {
      ...outcome('spaces-2024-08-12', { costVsOracle: 2.0, taskHours: 2_000 }),
      beforeStart: { surgeguard: 800, oracle: 300 },
      perfectTestCost: 2.1,
    };
    const doubling: ScenarioOutcome = {
      ...outcome('doubling', { servedFraction: 0.95 }),
      reaction: { periodSeconds: 60, delaySeconds: 90, startupSeconds: 75 },
    };
    // Act
    const lines = unmetWhy([space, doubling, outcome('fine', {})]);
    // Assess
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /2,000 task-hours to the oracle's 1,000: 800 before the scheduled start \(the oracle 300\).* 1,200 after it \(the oracle 700\)/,
    );
    expect(lines[0]).toMatch(/perfect scaling test 2\.10x/);
    expect(lines[1]).toMatch(/^- doubling: .* 150 s after the surge begins .* another 75 s: 225 s in all/);
  });
});
