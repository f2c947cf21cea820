import type { EventConfig } from './schema';

/** The forecast an event states: its expected peak, and the upper peak the plan covers, with where that came from. */
export function forecastOf(event: EventConfig): {
  expected: number;
  upper: number;
  source: 'p90' | 'forecastError' | 'headroom';
} {
  const f = event.expectedPeakListeners;
  if (typeof f === 'object') return { expected: f.p50, upper: Math.max(f.p50, f.p90), source: 'p90' };
  if (event.forecastError !== undefined)
    return { expected: f, upper: f * (1 + event.forecastError), source: 'forecastError' };
  return { expected: f, upper: f * (1 + event.headroom), source: 'headroom' };
}
