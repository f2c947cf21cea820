import type { CapacityModel } from '../lambda/core/usl';
import { uslPeak } from '../lambda/core/usl';
import type { LoadedScenario } from './scenario';
import { CPU_AT_CAPACITY } from './world';

/**
 * The same scenario with a perfect scaling test: the planners get the fleet's true capacity curve as their fit, and
 * the CPU its tasks truly run at when full (a test with a cpu column; without it, the watch could not read CPU at
 * all, and the figure would measure a poorer test, not the rules). Replaying it measures what the rules themselves
 * cost, apart from any error in the test.
 */
export function withPerfectTest(ls: LoadedScenario): LoadedScenario {
  return {
    ...ls,
    fleets: ls.fleets.map((f) => {
      const peak = uslPeak(f.truth);
      const fitted: CapacityModel = {
        lambda: f.truth.lambda,
        sigma: f.truth.sigma,
        kappa: f.truth.kappa,
        peakTasks: peak.tasks,
        peakListeners: peak.listeners,
        r2: 1,
        maxTestedTasks: f.config.maxTasks,
        points: Math.max(f.points.length, 6),
        cpuAtCapacity: CPU_AT_CAPACITY,
      };
      return { ...f, fitted };
    }),
  };
}
