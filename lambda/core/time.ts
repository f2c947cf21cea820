/** Pure time helpers: no clock is read here; callers pass instants in. */

const MINUTE_MS = 60_000;

/** Offset of `zone` from UTC at the instant `utcMs`, in ms (positive east of Greenwich). */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The UTC instant of a wall-clock time (`2024-08-12T20:00[:ss]`) in an IANA zone. In a daylight-saving gap
 * the time is read with the offset in force before the gap.
 */
export function zonedToUtcMs(local: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) throw new RangeError(`not a local time: ${local}`);
  const [, y, mo, d, h, mi, s] = m;
  const naive = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  let utc = naive - zoneOffsetMs(zone, naive);
  // The offset at the first guess can be on the wrong side of a transition; one correction settles it.
  const again = naive - zoneOffsetMs(zone, utc);
  if (again !== utc) utc = again;
  return utc;
}

/** ISO 8601 UTC with seconds and no milliseconds, as plans and schedules use. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Minutes to milliseconds. */
export function minutes(n: number): number {
  return n * MINUTE_MS;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Why a `YYYY-MM-DDTHH:MM[:SS]` text names no real instant (such as 30 February), or undefined when it does, or
 * when it does not have that shape at all (the format check says that).
 */
export function calendarProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  if (month! < 1 || month! > 12) return `no such date: month ${m[2]} (expected 01 to 12)`;
  const days = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (day! < 1 || day! > days) {
    return `no such date: ${m[1]}-${m[2]}-${m[3]} (${MONTHS[month! - 1]} ${year} has ${days} days)`;
  }
  if (hour! > 23 || minute! > 59 || second! > 59)
    return `no such time of day: ${text.slice(11, m[6] ? 19 : 16)}`;
  return undefined;
}
