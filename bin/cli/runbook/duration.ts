/**
 * Parses a duration such as `30m`, `2h` or `1h30m` into minutes; undefined when it is not one. A bare number is
 * not one: `--for 2` could mean two minutes or two hours, and a floor held for the wrong one is a real cost.
 */
export function parseMinutes(text: string): number | undefined {
  const t = text.trim();
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!m || t === '') return undefined;
  const [, d, h, min, s] = m;
  const total = Number(d ?? 0) * 1440 + Number(h ?? 0) * 60 + Number(min ?? 0) + Number(s ?? 0) / 60;
  return total > 0 ? total : undefined;
}
