import { join } from 'node:path';
import { withPerfectTest } from '../../sim/bounds';
import { replay } from '../../sim/replay';
import { loadScenario } from '../../sim/scenario';
import { uslCapacity } from '../../lambda/core/usl';
import { CPU_AT_CAPACITY } from '../../sim/world';

describe('a perfect scaling test', () => {
  const ls = loadScenario(join(__dirname, '..', '..', 'scenarios', 'spaces-2024-08-12.yaml'));

  it('gives the planners the true curve and CPU at capacity, and leaves the world as it was', () => {
    const perfect = withPerfectTest(ls);
    const f = perfect.fleets[0]!;
    expect(uslCapacity(f.fitted, 700)).toBeCloseTo(uslCapacity(f.truth, 700), 6);
    // and the CPU the world's tasks run at when full, as a test with a cpu column would give
    expect(f.fitted.cpuAtCapacity).toBe(CPU_AT_CAPACITY);
    expect(f.truth).toEqual(ls.fleets[0]!.truth);
    expect(perfect.scenario).toBe(ls.scenario);
  });

  it('costs SurgeGuard no more than the scaling test that stopped at 300 tasks, serving as many', async () => {
    const [fitted] = await replay(ls, ['surgeguard']);
    const [perfect] = await replay(withPerfectTest(ls), ['surgeguard']);
    // Within 1%: once the live model has learnt the fleet, both runs follow the same audience and differ only in
    // which tick a step down falls on, which can favour either by a few task-hours.
    expect(perfect!.figures.taskHours).toBeLessThanOrEqual(1.01 * fitted!.figures.taskHours);
    expect(perfect!.figures.servedFraction).toBeGreaterThanOrEqual(0.999);
  });
});
