/** Small text-formatting helpers for readable terminal output. */

/** 1234567 -> "1,234,567". */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A fraction as a percentage that never rounds a shortfall up to 100% nor a trace down to 0%: up to two more
 * digits are shown when needed (0.99996 -> "99.996%"), then a bound (">99.99%"). Exactly 1 and 0 stay "100.00%", "0.00%".
 */
export function percent(fraction: number, digits = 2): string {
  const p = fraction * 100;
  const misleading = (s: string) => (Number(s) === 100 && p < 100) || (Number(s) === 0 && p > 0);
  for (let d = digits; d <= digits + 2; d++) {
    const s = p.toFixed(d);
    if (!misleading(s)) return `${s}%`;
  }
  const step = 10 ** -digits;
  return p > 50 ? `>${(100 - step).toFixed(digits)}%` : `<${step.toFixed(digits)}%`;
}

/** Seconds as "14m00s" or "1h02m". */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(r).padStart(2, '0')}s`;
}

/** A number in a short, readable form for model parameters (3 significant digits). */
export function sig(n: number): string {
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 0.001 && abs < 1e6) return Number(n.toPrecision(3)).toString();
  return n.toExponential(2);
}

/** Left-aligned columns; a column whose cells are all numeric-looking is right-aligned. */
export function table(rows: string[][], indent = ''): string {
  if (!rows.length) return '';
  const width = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: width }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const numeric = Array.from({ length: width }, (_, c) =>
    rows.slice(1).every((r) => /^[<>]?[-+]?[\d,.]+[%x]?$|^-?$/.test(r[c] ?? '')),
  );
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** What the test says of its peak's place, after the peak: nothing where its steps place it. */
export function peakPlace(m: { peakNotPlaced?: boolean }): string {
  return m.peakNotPlaced ? ' (not placed: a curve with no peak fits the test as well)' : '';
}
