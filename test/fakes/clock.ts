import type { Clock } from '../../lambda/ports';

/** A clock tests move by hand; sleeping advances it at once. */
export class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Retry options that do not wait. */
export const noWaitRetry = { sleep: async () => undefined, random: () => 0 };
