import { SimClock } from '../../sim/ports';

/** A clock tests move by hand; sleeping advances it at once (the replay's clock, with a helper). */
export class FakeClock extends SimClock {
  advance(ms: number): void {
    this.ms += ms;
  }
}
