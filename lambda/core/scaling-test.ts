import { z } from 'zod';
import type { InputIssue } from './issues';
import { formatIssue, formatPath } from './issues';
import { parseYamlSource } from './config/yaml-source';
import { schemaProblems } from './config/zod-issues';
import type { CapacityModel, ModelCaveat } from './usl';
import { MIN_TRUSTED_R2, fitUslRobust } from './usl';

/** One steady-state step of a scaling (load) test. */
export interface ScalingPoint {
  /** Running tasks at this step. */
  readonly tasks: number;
  /** Most concurrent listeners the fleet held within the join SLO at this size. */
  readonly listeners: number;
  readonly joinErrorRate?: number;
  readonly p95JoinMs?: number;
  /** CPU utilisation, percent. */
  readonly cpu?: number;
}

const rowSchema = z.strictObject({
  tasks: z.number().int().min(1, { error: 'expected a whole number of tasks >= 1' }),
  listeners: z.number().min(0, { error: 'expected listeners >= 0' }),
  joinErrorRate: z.number().min(0).max(1, { error: 'expected a ratio from 0 to 1' }).optional(),
  p95JoinMs: z.number().min(0).optional(),
  cpu: z.number().min(0).max(100, { error: 'expected percent from 0 to 100' }).optional(),
});

/** Control characters no text file has, and the replacement character bad UTF-8 decodes to. */
// eslint-disable-next-line no-control-regex
const BINARY = /[\u0000-\u0008\u000E-\u001A\u001C-\u001F\uFFFD]/;

const COLUMNS = ['tasks', 'listeners', 'joinErrorRate', 'p95JoinMs', 'cpu'] as const;

/** A parsed scaling test: its steps, the 1-based line of each (same order), and every problem found. */
export interface ParsedScalingTest {
  readonly points: ScalingPoint[];
  readonly lines: number[];
  readonly issues: InputIssue[];
}

/** Parses a scaling-test file (CSV with a header, or JSON), reporting every bad row as `FILE:LINE`. */
export function parseScalingTest(text: string, file: string): ParsedScalingTest {
  // Echoing binary content back would print raw bytes to the terminal.
  if (BINARY.test(text)) {
    return {
      points: [],
      lines: [],
      issues: [
        { file, path: '', message: 'not a text file (binary content); expected a CSV or JSON scaling test' },
      ],
    };
  }
  const isJson = /\.json$/i.test(file) || /^\s*[[{]/.test(text);
  return isJson ? parseJson(text, file) : parseCsv(text, file);
}

function parseCsv(text: string, file: string): ParsedScalingTest {
  const issues: InputIssue[] = [];
  const points: ScalingPoint[] = [];
  const rowLines: number[] = [];
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const lineNo = i + 1;
    if (!line || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (!header) {
      header = cells;
      cells.forEach((name, col) => {
        if (!(COLUMNS as readonly string[]).includes(name)) {
          issues.push({
            file,
            line: lineNo,
            path: '',
            message: `unknown column "${name}" (column ${col + 1}); expected ${COLUMNS.join(', ')}`,
          });
        }
      });
      for (const required of ['tasks', 'listeners']) {
        if (!cells.includes(required)) {
          issues.push({
            file,
            line: lineNo,
            path: '',
            message: `missing column "${required}" in the header`,
          });
        }
      }
      return;
    }
    if (cells.length !== header.length) {
      issues.push({
        file,
        line: lineNo,
        path: '',
        message: `expected ${header.length} values as in the header, found ${cells.length}`,
      });
      return;
    }
    const row: Record<string, number> = {};
    let ok = true;
    header.forEach((name, col) => {
      const cell = cells[col] ?? '';
      if (cell === '') return;
      const n = Number(cell);
      if (!Number.isFinite(n)) {
        issues.push({ file, line: lineNo, path: name, message: `expected a number, found "${cell}"` });
        ok = false;
      } else row[name] = n;
    });
    if (!ok) return;
    const parsed = rowSchema.safeParse(row);
    if (!parsed.success) {
      for (const problem of schemaProblems(parsed.error.issues)) {
        issues.push({ file, line: lineNo, path: formatPath(problem.path), message: problem.message });
      }
      return;
    }
    points.push(parsed.data);
    rowLines.push(lineNo);
  });
  if (!header)
    issues.push({
      file,
      line: 1,
      path: '',
      message: 'empty file; expected a header such as tasks,listeners',
    });
  else if (points.length === 0 && issues.length === 0) {
    issues.push({ file, path: '', message: 'no rows; expected one row per steady-state step' });
  }
  return { points, lines: rowLines, issues };
}

function parseJson(text: string, file: string): ParsedScalingTest {
  const src = parseYamlSource(text, file);
  if (src.syntaxIssues.length) return { points: [], lines: [], issues: src.syntaxIssues };
  const value = src.value;
  const basePath: (string | number)[] = [];
  let rows: unknown = value;
  if (value && typeof value === 'object' && !Array.isArray(value) && 'steps' in value) {
    rows = (value as { steps: unknown }).steps;
    basePath.push('steps');
  }
  if (!Array.isArray(rows)) {
    return {
      points: [],
      lines: [],
      issues: [src.issueAt(basePath, 'expected an array of steps, or { "steps": [...] }')],
    };
  }
  const points: ScalingPoint[] = [];
  const lines: number[] = [];
  const issues: InputIssue[] = [];
  rows.forEach((row, i) => {
    const parsed = rowSchema.safeParse(row);
    if (parsed.success) {
      points.push(parsed.data);
      lines.push(src.issueAt([...basePath, i], '').line ?? 1);
    } else
      for (const problem of schemaProblems(parsed.error.issues, [...basePath, i])) {
        const message = problem.atKey ? `unknown field; expected ${COLUMNS.join(', ')}` : problem.message;
        issues.push(src.issueAt(problem.path, message, { key: problem.atKey }));
      }
  });
  if (rows.length === 0) issues.push(src.issueAt(basePath, 'no steps; expected one per steady-state step'));
  return { points, lines, issues };
}

/** What a fleet does when its scaling test cannot be fitted well enough to trust. */
export type UntrustedFit = 'fail' | 'per-task-floor' | 'max-tasks';

/** Two results at one fleet size further apart than this ratio contradict each other rather than vary. */
const CONFLICT_RATIO = 1.25;
/**
 * Per-task capacity cannot grow with fleet size (each task adds contention); a step whose listeners per task is
 * more than this times the first step's is a wrong row, not measurement noise.
 */
const MAX_PER_TASK_GAIN = 1.5;

/** The outcome of checking and fitting one fleet's scaling test. */
export interface ScalingTestAnalysis {
  /** The model to plan from; absent when there are errors. */
  readonly model?: CapacityModel;
  /** Problems that stop the plan, at their `FILE:LINE`. */
  readonly errors: InputIssue[];
  /** What the plan must say it did (steps left out, a fallback in use). */
  readonly warnings: InputIssue[];
  /** What was done to the data that changes nothing the user must act on (repeated sizes merged). */
  readonly notes: InputIssue[];
}

/**
 * Checks a parsed scaling test and fits its capacity model: repeated fleet sizes are merged (or are errors when
 * they contradict), curves no fleet can have are errors, outliers are left out of the fit and reported, and a fit
 * that still cannot be trusted is an error unless `untrustedFit` names a fallback.
 */
export function analyzeScalingTest(
  test: {
    readonly points: readonly ScalingPoint[];
    readonly lines: readonly number[];
    readonly file: string;
  },
  options: { readonly untrustedFit?: UntrustedFit; readonly minR2?: number; readonly fleet?: string } = {},
): ScalingTestAnalysis {
  const { file } = test;
  const errors: InputIssue[] = [];
  const warnings: InputIssue[] = [];
  const notes: InputIssue[] = [];
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const at = (line: number | undefined, message: string): InputIssue => ({ file, line, path: '', message });

  const bySize = new Map<number, { listeners: number; line: number }[]>();
  test.points.forEach((p, i) => {
    const rows = bySize.get(p.tasks) ?? [];
    rows.push({ listeners: p.listeners, line: test.lines[i] ?? 0 });
    bySize.set(p.tasks, rows);
  });
  const steps = [...bySize.entries()]
    .sort(([a], [b]) => a - b)
    .map(([tasks, rows]) => {
      const line = (rows[0] as { line: number }).line;
      if (rows.length === 1) return { tasks, listeners: (rows[0] as { listeners: number }).listeners, line };
      const values = rows.map((r) => r.listeners).sort((a, b) => a - b);
      const listeners = median(values);
      const list = rows.map((r) => `line ${r.line}: ${fmt(r.listeners)}`).join(', ');
      if ((values[values.length - 1] as number) > CONFLICT_RATIO * (values[0] as number)) {
        errors.push(
          at(
            rows[1]?.line,
            `${fmt(tasks)} tasks measured ${rows.length} times with contradicting results (${list} listeners); expected one steady-state result per fleet size: re-run that step or keep one row`,
          ),
        );
      } else {
        notes.push(
          at(
            line,
            `${fmt(tasks)} tasks measured ${rows.length} times (${list} listeners): fitted as one step at their median ${fmt(listeners)}`,
          ),
        );
      }
      return { tasks, listeners, line };
    });

  const first = steps[0];
  const second = steps[1];
  if (first && second && second.listeners < first.listeners) {
    errors.push(
      at(
        second.line,
        `listeners fall from ${fmt(first.listeners)} at ${fmt(first.tasks)} tasks (line ${first.line}) to ${fmt(second.listeners)} at ${fmt(second.tasks)} tasks: a fleet cannot carry fewer listeners as it grows from its first sizes; check that the load generators were not the limit and re-run the test`,
      ),
    );
  }
  if (first && first.listeners > 0) {
    const perTask = first.listeners / first.tasks;
    for (const s of steps.slice(1)) {
      if (s.listeners / s.tasks > MAX_PER_TASK_GAIN * perTask) {
        errors.push(
          at(
            s.line,
            `${fmt(s.listeners)} listeners at ${fmt(s.tasks)} tasks is ${fmt(s.listeners / s.tasks)} a task, more than ${MAX_PER_TASK_GAIN}x the ${fmt(perTask)} a task of the first step (line ${first.line}, ${fmt(first.tasks)} tasks): capacity per task cannot grow with the fleet; check this row (or the first)`,
          ),
        );
      }
    }
  }
  if (errors.length) return { errors, warnings, notes };

  const caveats: ModelCaveat[] = [];
  // Steps where the fleet was not full (its CPU fell while the listeners did not grow with it) measured the load
  // generators, not the fleet: a fit through them reads the generators' limit as the fleet's peak.
  const limited = loadLimitedFrom(steps, test.points);
  if (limited !== undefined) {
    const from = steps[limited]!;
    const last = steps[steps.length - 1]!;
    const warning = at(
      from.line,
      `from ${fmt(from.tasks)} tasks the steps ran at ${fmt(columnAt(test.points, from.tasks, 'cpu')!)}% CPU against ${fmt(medianBelow(steps, test.points, limited, 'cpu'))}% at the sizes below, and the listeners went flat: the fleet was not full, the load generators were the limit; ${fmt(from.tasks)} to ${fmt(last.tasks)} tasks left out of the fit; re-run those steps with more load`,
    );
    warnings.push(warning);
    caveats.push({ code: 'LOAD_LIMITED', message: formatIssue(warning) });
  }
  const fitted = limited === undefined ? steps : steps.slice(0, limited);
  const fit = fitUslRobust(fitted);
  for (const o of fit.outliers) {
    const s = fitted[o.index] as (typeof steps)[number];
    const warning = at(
      s.line,
      `${fmt(s.listeners)} listeners at ${fmt(s.tasks)} tasks is far off the ${fmt(o.expected)} the other steps give: left out of the fit as an outlier; check that step or re-run it`,
    );
    warnings.push(warning);
    caveats.push({ code: 'OUTLIER', message: formatIssue(warning) });
  }
  const minR2 = options.minR2 ?? MIN_TRUSTED_R2;
  let model: CapacityModel = fit.model;
  if (model.r2 < minR2) {
    const reason = `the capacity model fits the scaling test poorly (R² ${model.r2.toFixed(3)} < ${minR2}${fit.outliers.length ? `, with ${fit.outliers.length} outlier${fit.outliers.length === 1 ? '' : 's'} left out` : ''})`;
    const mode = options.untrustedFit ?? 'fail';
    const fleet = options.fleet ? `fleet ${options.fleet}` : 'the fleet';
    if (mode === 'fail') {
      errors.push(
        at(
          undefined,
          `${reason}: a plan from it cannot be trusted; check the test for unsteady steps and re-run it, or set untrustedFit: per-task-floor or max-tasks on ${fleet} to plan from a conservative fallback`,
        ),
      );
      return { errors, warnings, notes };
    }
    let fallback: string;
    // A fallback replaces the fit: what the fit said of its peak's place no longer describes the model.
    const { peakNotPlaced: _notPlaced, ...curve } = model;
    model = curve;
    if (mode === 'per-task-floor') {
      const lowest = fitted.reduce((lo, s) => (s.listeners / s.tasks < lo.listeners / lo.tasks ? s : lo));
      const lambda = lowest.listeners / lowest.tasks;
      fallback = `planned from untrustedFit: per-task-floor instead: every task carries ${fmt(lambda)} listeners, the fewest a task carried in the test (line ${lowest.line}, ${fmt(lowest.tasks)} tasks), with no gain from scale`;
      model = { ...model, lambda, sigma: 0, kappa: 0, peakTasks: null, peakListeners: null };
    } else {
      fallback = 'planned from untrustedFit: max-tasks instead: the fleet runs its maxTasks for the event';
      model = { ...model, fallback: 'max-tasks' };
    }
    const warning = at(undefined, `${reason}: ${fallback}`);
    warnings.push(warning);
    caveats.push({ code: 'UNTRUSTED_FIT', message: formatIssue(warning) });
  }
  const kept = new Set(fitted.map((s) => s.tasks));
  const cpuAtCapacity = cpuAtCapacityOf(test.points.filter((p) => kept.has(p.tasks)));
  if (cpuAtCapacity !== undefined) model = { ...model, cpuAtCapacity };
  return { model: caveats.length ? { ...model, caveats } : model, errors, warnings, notes };
}

/** A step's CPU (or join errors, p95) this far below the median of the steps under it: the fleet was not full. */
const LOAD_LIMITED_CPU = 0.85;
const LOAD_LIMITED_ERRORS = 0.5;
const LOAD_LIMITED_P95 = 0.85;
/** Listeners within this share of the step before count as flat: what a generators' ceiling looks like. */
const FLAT_LISTENERS = 0.03;
/** Steps a fit keeps at least when the top ones are left out as load-limited. */
const MIN_STEPS_KEPT = 3;

type StepColumn = 'cpu' | 'joinErrorRate' | 'p95JoinMs';

/** What a test measured in one column at a fleet size (its first row with it), if anything. */
function columnAt(points: readonly ScalingPoint[], tasks: number, column: StepColumn): number | undefined {
  const v = points.find((p) => p.tasks === tasks && p[column] !== undefined)?.[column];
  return v !== undefined && v > 0 ? v : undefined;
}

/** The median of a column over the steps below index `i` (NaN when none has it). */
function medianBelow(
  steps: readonly { tasks: number }[],
  points: readonly ScalingPoint[],
  i: number,
  column: StepColumn,
): number {
  const values = steps
    .slice(0, i)
    .map((s) => columnAt(points, s.tasks, column))
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  return values.length ? median(values) : NaN;
}

/**
 * Whether step `i` ran well inside what the steps below it ran at: CPU below their median by the margin, and, where
 * the test has them, join errors and p95 too. Each step is the most held within the SLO, so a full fleet runs near
 * the SLO at every size; a step far inside it, at lower CPU, did not fill its tasks.
 */
function notFull(steps: readonly { tasks: number }[], points: readonly ScalingPoint[], i: number): boolean {
  const tasks = steps[i]!.tasks;
  const cpu = columnAt(points, tasks, 'cpu');
  const cpuBelow = medianBelow(steps, points, i, 'cpu');
  if (cpu === undefined || !Number.isFinite(cpuBelow) || cpu >= LOAD_LIMITED_CPU * cpuBelow) return false;
  const within = (column: StepColumn, share: number) => {
    const v = columnAt(points, tasks, column);
    const ref = medianBelow(steps, points, i, column);
    return v === undefined || !Number.isFinite(ref) || v < share * ref;
  };
  return within('joinErrorRate', LOAD_LIMITED_ERRORS) && within('p95JoinMs', LOAD_LIMITED_P95);
}

/**
 * The index of the first step the load generators, not the fleet, limited: the first whose listeners stayed flat
 * over the step before while it was not full (a fleet at its peak is flat too, but full), and any step just under
 * it that was not full either. A step that did not fill its tasks says nothing of their capacity, nor does a larger
 * one the same generators drove. Undefined without the cpu column, or when fewer than three steps would be left.
 */
function loadLimitedFrom(
  steps: readonly { tasks: number; listeners: number }[],
  points: readonly ScalingPoint[],
): number | undefined {
  for (let i = MIN_STEPS_KEPT; i < steps.length; i++) {
    const flat =
      Math.abs(steps[i]!.listeners - steps[i - 1]!.listeners) <= FLAT_LISTENERS * steps[i - 1]!.listeners;
    if (!flat || !notFull(steps, points, i)) continue;
    let from = i;
    while (from - 1 >= MIN_STEPS_KEPT && notFull(steps, points, from - 1)) from--;
    return from;
  }
  return undefined;
}

/**
 * The CPU a task runs at when it carries its capacity, as the test measured it: each step is the most listeners
 * held within the SLO, so its CPU is the CPU at capacity. The least of the steps of at least half the largest
 * size: those are the sizes nearest an event's, and the least reads the least room from a CPU figure.
 */
export function cpuAtCapacityOf(points: readonly ScalingPoint[]): number | undefined {
  const largest = Math.max(0, ...points.map((p) => p.tasks));
  const cpus = points
    .filter((p) => p.tasks >= largest / 2 && p.cpu !== undefined && p.cpu > 0)
    .map((p) => p.cpu as number);
  return cpus.length ? Math.min(...cpus) : undefined;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
