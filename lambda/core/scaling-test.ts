import { z } from 'zod';
import type { InputIssue } from './issues';
import { formatPath } from './issues';
import { parseYamlSource } from './config/yaml-source';
import { schemaProblems } from './config/zod-issues';

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

const COLUMNS = ['tasks', 'listeners', 'joinErrorRate', 'p95JoinMs', 'cpu'] as const;

/** Parses a scaling-test file (CSV with a header, or JSON), reporting every bad row as `FILE:LINE`. */
export function parseScalingTest(
  text: string,
  file: string,
): { points: ScalingPoint[]; issues: InputIssue[] } {
  const isJson = /\.json$/i.test(file) || /^\s*[[{]/.test(text);
  return isJson ? parseJson(text, file) : parseCsv(text, file);
}

function parseCsv(text: string, file: string): { points: ScalingPoint[]; issues: InputIssue[] } {
  const issues: InputIssue[] = [];
  const points: ScalingPoint[] = [];
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
  return { points, issues };
}

function parseJson(text: string, file: string): { points: ScalingPoint[]; issues: InputIssue[] } {
  const src = parseYamlSource(text, file);
  if (src.syntaxIssues.length) return { points: [], issues: src.syntaxIssues };
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
      issues: [src.issueAt(basePath, 'expected an array of steps, or { "steps": [...] }')],
    };
  }
  const points: ScalingPoint[] = [];
  const issues: InputIssue[] = [];
  rows.forEach((row, i) => {
    const parsed = rowSchema.safeParse(row);
    if (parsed.success) points.push(parsed.data);
    else
      for (const problem of schemaProblems(parsed.error.issues, [...basePath, i])) {
        const message = problem.atKey ? `unknown field; expected ${COLUMNS.join(', ')}` : problem.message;
        issues.push(src.issueAt(problem.path, message, { key: problem.atKey }));
      }
  });
  if (rows.length === 0) issues.push(src.issueAt(basePath, 'no steps; expected one per steady-state step'));
  return { points, issues };
}
