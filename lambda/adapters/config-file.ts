import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Config } from '../core/config/schema';
import { parseConfig, sortIssues } from '../core/config/parse';
import type { InputIssue } from '../core/issues';
import { InputError } from '../core/issues';
import type { FleetModels } from '../core/planner';
import type { ScalingPoint } from '../core/scaling-test';
import { parseScalingTest } from '../core/scaling-test';
import { fitUsl } from '../core/usl';

/** The default config path, relative to the working directory. */
export const DEFAULT_CONFIG_PATH = 'config/events.yaml';

/** A validated config with its scaling tests read and each fleet's capacity model fitted. */
export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
  readonly scalingTests: Readonly<Record<string, { file: string; points: ScalingPoint[] }>>;
  readonly models: FleetModels;
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
  const byPath = new Map<string, ScalingPoint[] | undefined>();
  const scalingTests: Record<string, { file: string; points: ScalingPoint[] }> = {};
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
          byPath.set(abs, test.issues.length ? undefined : test.points);
        }
      }
    }
    const points = byPath.get(abs);
    if (points) scalingTests[fleet.id] = { file: shown, points };
  });
  if (issues.length || testIssues.length) throw new InputError([...sortIssues(issues), ...testIssues]);

  const models: Record<string, ReturnType<typeof fitUsl>> = {};
  for (const [fleetId, test] of Object.entries(scalingTests)) models[fleetId] = fitUsl(test.points);
  return { file, config, scalingTests, models };
}
