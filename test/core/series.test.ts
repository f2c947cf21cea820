import fc from 'fast-check';
import { cleanSeries, freshAgeMs } from '../../lambda/core/series';

describe('freshAgeMs', () => {
  it.each([
    ['one-minute metrics a minute late', { periodSeconds: 60, delaySeconds: 60 }, 220_000],
    ['one-minute metrics five minutes late', { periodSeconds: 60, delaySeconds: 300 }, 460_000],
    ['10 s metrics 20 s late', { periodSeconds: 10, delaySeconds: 20 }, 80_000],
  ])('bounds the newest datapoint of %s (20 s ticks)', (_, metrics, ms) => {
    expect(freshAgeMs(metrics, 20)).toBe(ms);
  });

  it('never reads as stale the newest datapoint a fleet has published by any tick', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 5, 10, 20, 30, 60),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (periodSeconds, delaySeconds, tickSeconds, startMs) => {
          // Prepare: the period starting at t is complete at t + period + delay; a tick reads whatever is complete
          const periodMs = periodSeconds * 1000;
          const bound = freshAgeMs({ periodSeconds, delaySeconds }, tickSeconds);
          for (let now = startMs; now < startMs + 20 * periodMs; now += tickSeconds * 1000) {
            const newest = Math.floor((now - periodMs - delaySeconds * 1000) / periodMs) * periodMs;
            // Act
            const read = cleanSeries([{ t: newest, v: 1 }], now, bound);
            // Assess
            if (read.problem !== undefined) return false;
          }
          return true;
        },
      ),
    );
  });
});
