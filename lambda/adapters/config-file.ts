import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Config } from '../core/config/schema';
import { parseConfig, sortIssues } from '../core/config/parse';
import type { InputIssue } from '../core/issues';
import { InputError, formatIssue } from '../core/issues';
import type { FleetModels } from '../core/planner';
import type { ParsedScalingTest, ScalingPoint } from '../core/scaling-test';
import { analyzeScalingTest, parseScalingTest } from '../core/scaling-test';
import type { CapacityModel } from '../core/usl';
import type { YamlSource } from '../core/config/yaml-source';

import { DEFAULT_CONFIG_PATH } from '../core/config/default-path';

export { DEFAULT_CONFIG_PATH };

/** A validated config with its scaling tests read and each fleet's capacity model fitted. */
export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
  readonly scalingTests: Readonly<Record<string, { file: string; points: ScalingPoint[] }>>;
  readonly models: FleetModels;
  /** What the fits must say: steps left out as outliers, fallbacks in use (also in the plan's warnings). */
  readonly warnings: readonly InputIssue[];
  /** What was done to the data that needs no action, such as repeated fleet sizes merged. */
  readonly notes: readonly InputIssue[];
  /** The config's YAML, to position later checks' issues (file:line:col). */
  readonly source: YamlSource;
}

/** Reads a text file, or returns an issue that says why it could not. */
export function readText(file: string): { text?: string; issue?: InputIssue } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory, expected a file'
          : `cannot read (${code ?? String(err)})`;
    return { issue: { file, path: '', message: why } };
  }
}

/**
 * Loads the config file and every scaling-test file it names, reporting all issues at once.
 * @throws InputError with every issue, positioned in the file it concerns.
 */
export function loadConfig(file: string = DEFAULT_CONFIG_PATH): LoadedConfig {
  const read = readText(file);
  if (read.issue || read.text === undefined) throw new InputError([read.issue as InputIssue]);
  const parsed = parseConfig(read.text, file);
  if (!parsed.shape) throw new InputError(parsed.issues);
  const config = parsed.shape;

  // Files are checked even when other fields are wrong, so one run reports everything.
  const issues: InputIssue[] = [...parsed.issues];
  const testIssues: InputIssue[] = [];
  const byPath = new Map<string, ParsedScalingTest | undefined>();
  const scalingTests: Record<string, { file: string; points: ScalingPoint[] }> = {};
  const parsedTests: Record<string, ParsedScalingTest & { file: string }> = {};
  config.fleets.forEach((fleet, i) => {
    const abs = resolve(dirname(file), fleet.scalingTest);
    const rel = relative(process.cwd(), abs);
    const shown = rel && !rel.startsWith('..') ? rel : abs;
    if (!byPath.has(abs)) {
      if (!existsSync(abs)) {
        issues.push(
          parsed.source.issueAt(
            ['fleets', i, 'scalingTest'],
            `file not found: ${shown}; expected a CSV or JSON scaling-test file relative to the config`,
          ),
        );
        byPath.set(abs, undefined);
      } else {
        const text = readText(abs);
        if (text.issue || text.text === undefined) {
          issues.push(
            parsed.source.issueAt(['fleets', i, 'scalingTest'], `${shown}: ${text.issue?.message}`),
          );
          byPath.set(abs, undefined);
        } else {
          const test = parseScalingTest(text.text, shown);
          testIssues.push(...test.issues);
          if (!test.issues.length && test.points.every((p) => p.listeners === 0)) {
            testIssues.push({
              file: shown,
              path: '',
              message: 'every step carried 0 listeners; expected a test that measured capacity',
            });
          }
          byPath.set(abs, test.issues.length ? undefined : test);
        }
      }
    }
    const test = byPath.get(abs);
    if (test) {
      scalingTests[fleet.id] = { file: shown, points: test.points };
      parsedTests[fleet.id] = { ...test, file: shown };
    }
  });

  // One file may serve several fleets: say what it says once.
  const seen = new Set<string>();
  const once = (list: InputIssue[]) =>
    list.filter((x) => {
      const key = formatIssue(x);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  const models: Record<string, CapacityModel> = {};
  const warnings: InputIssue[] = [];
  const notes: InputIssue[] = [];
  for (const fleet of config.fleets) {
    const test = parsedTests[fleet.id];
    if (!test || test.points.every((p) => p.listeners === 0)) continue;
    const analysis = analyzeScalingTest(test, { untrustedFit: fleet.untrustedFit, fleet: fleet.id });
    testIssues.push(...once(analysis.errors));
    warnings.push(...once(analysis.warnings));
    notes.push(...once(analysis.notes));
    if (analysis.model) models[fleet.id] = analysis.model;
  }
  // A CPU metric with no CPU at capacity to read it against is read as nothing: say so rather than let it look used.
  config.fleets.forEach((fleet, i) => {
    if (
      fleet.metrics.cpu &&
      fleet.cpuAtCapacity === undefined &&
      models[fleet.id]?.cpuAtCapacity === undefined
    )
      warnings.push(
        parsed.source.issueAt(
          ['fleets', i, 'metrics', 'cpu'],
          'no CPU at capacity: set cpuAtCapacity on the fleet or add a cpu column to its scaling test; until then the CPU metric is not read',
        ),
      );
  });
  if (issues.length || testIssues.length) throw new InputError([...sortIssues(issues), ...testIssues]);
  return { file, config, scalingTests, models, warnings, notes, source: parsed.source };
}
