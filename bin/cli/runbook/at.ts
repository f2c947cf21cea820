import { calendarProblem } from '../../../lambda/core/time';
import { EXIT, UserError } from '../io';
import { parseMinutes } from './duration';

const ISO_WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/**
 * The instant a `--at` names: an ISO 8601 time with its offset, or `T-60m` / `T+15m` from the event's scheduled
 * start (which the caller passes when the request names an event).
 * @throws UserError (usage) when it is neither, or when it is relative and there is no event to be relative to.
 */
export function parseAt(text: string, eventStartMs: number | undefined): number {
  const t = text.trim();
  const rel = /^T([+-])(.+)$/.exec(t);
  if (rel) {
    const minutes = parseMinutes(rel[2]!);
    if (minutes === undefined)
      throw new UserError(
        `--at: expected a duration with its unit after T${rel[1]}, such as T-60m or T+1h30m, got "${text}"`,
        EXIT.usage,
      );
    if (eventStartMs === undefined)
      throw new UserError(`--at ${t} is relative to an event's start: pass --event ID`, EXIT.usage);
    return eventStartMs + (rel[1] === '-' ? -1 : 1) * minutes * 60_000;
  }
  const calendar = calendarProblem(t);
  if (calendar) throw new UserError(`--at: ${calendar}`, EXIT.usage);
  const ms = ISO_WITH_OFFSET.test(t) ? Date.parse(t) : NaN;
  if (Number.isNaN(ms))
    throw new UserError(
      `--at: expected an ISO 8601 time with offset such as 2027-03-04T17:00:00Z, or T-60m / T+15m from the event's start, got "${text}"`,
      EXIT.usage,
    );
  return ms;
}
