/**
 * One problem found in a user's input file, with where it is.
 * Formats as `FILE:LINE:COL: field.path: what was wrong, what was expected`.
 */
export interface InputIssue {
  /** The file as the user named it (relative paths stay relative so messages are short). */
  readonly file: string;
  /** 1-based line; absent when the problem is about the file as a whole. */
  readonly line?: number;
  /** 1-based column. */
  readonly col?: number;
  /** Dotted field path such as `events[0].fleets[1].share`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** Formats an issue the way compilers do, so editors and terminals can jump to it. */
export function formatIssue(issue: InputIssue): string {
  let where = issue.file;
  if (issue.line !== undefined) {
    where += `:${issue.line}`;
    if (issue.col !== undefined) where += `:${issue.col}`;
  }
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Renders a path such as `['events', 0, 'start']` as `events[0].start`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The error thrown when an input file cannot be used; carries every issue found, not just the first. */
export class InputError extends Error {
  constructor(readonly issues: readonly InputIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'InputError';
  }
}
