import type { z } from 'zod';

/** A schema problem reduced to a path and a plain message, ready to be located in a source file. */
export interface SchemaProblem {
  readonly path: (string | number)[];
  readonly message: string;
  /** Point at the key rather than the value (unknown keys). */
  readonly atKey: boolean;
}

/**
 * Turns zod issues into messages a config author can act on: unknown keys one by one, missing fields as
 * "missing", and a failed union reported through the branch the value was clearly meant for.
 */
export function schemaProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: (string | number)[] = [],
): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: [...path, key], message: 'unknown key (check the spelling)', atKey: true });
      }
    } else if (issue.code === 'invalid_union') {
      // A branch whose failures all sit below the top level accepted the value's type: that is the one meant.
      const meant = issue.errors.filter((branch) => branch.every((e) => e.path.length > 0));
      if (meant.length === 1 && meant[0]) out.push(...schemaProblems(meant[0], path));
      else out.push({ path, message: plain(issue.message), atKey: false });
    } else {
      out.push({ path, message: plain(issue.message), atKey: false });
    }
  }
  return out;
}

function plain(message: string): string {
  const missing = /^Invalid input: expected (.+), received undefined$/.exec(message);
  if (missing) return `missing; expected ${missing[1]}`;
  // zod calls a fraction where an integer belongs "number", which reads as no error at all.
  if (/^Invalid input: expected int, received number$/.test(message))
    return 'expected a whole number, not a fraction';
  return message.replace(/^Invalid (input|option): /, '');
}
