import { fitUsl, uslCapacity } from '../lambda/core/usl';
import { replay } from './replay';
import type { LoadedScenario } from './scenario';
import { scenarioSchema } from './scenario';

/** How fast a target-tracking baseline reacts to a load spike, as AWS measured it for ECS. */
export interface Reaction {
  /** From the spike to the scale-out decision. */
  readonly triggerSeconds: number;
  /** From the spike to the new tasks running. */
  readonly runningSeconds: number;
}

/** AWS's own measurement (REFERENCE.md): 60 s metrics 363 s / 386 s; 20 s high-resolution metrics 86 s / 109 s. */
export const AWS_REACTION: Record<'target-tracking' | 'target-tracking-20s', Reaction> = {
  'target-tracking': { triggerSeconds: 363, runningSeconds: 386 },
  'target-tracking-20s': { triggerSeconds: 86, runningSeconds: 109 },
};

/**
 * Measures the replay's target-tracking model the way AWS did: a steady fleet, then a step in load well above
 * the target; the time to the first scale-out decision and to the new tasks running.
 */
export async function measureReaction(policy: 'target-tracking' | 'target-tracking-20s'): Promise<Reaction> {
  const truth = { lambda: 1000, sigma: 0, kappa: 0 };
  const tasks = 20;
  const steady = uslCapacity(truth, tasks) * 0.4;
  const spike = uslCapacity(truth, tasks) * 0.95;
  const scenario = scenarioSchema.parse({
    name: 'calibration',
    start: '2030-01-01T00:00:00Z',
    durationMinutes: 60,
    forecast: { peakListeners: 1 },
    fleets: [
      {
        id: 'f',
        share: 1,
        baselineTasks: tasks,
        maxTasks: 1000,
        vcpuPerTask: 1,
        // AWS's test: 23 s from the decision to the tasks running.
        startupSeconds: 23,
        scalingTest: [
          { tasks: 1, listeners: 1000 },
          { tasks: 2, listeners: 2000 },
        ],
        truth: { listenersPerTask: truth.lambda, sigma: 0, kappa: 0, joinsPerTaskPerSecond: 1e6 },
      },
    ],
    // Steady for 40 minutes, then a step at minute 0 that stays.
    demand: [
      [-40, steady],
      [-0.01, steady],
      [0, spike],
      [60, spike],
    ],
  });
  const ls: LoadedScenario = {
    file: 'calibration',
    scenario,
    startMs: Date.parse(scenario.start),
    fleets: [
      {
        config: scenario.fleets[0]!,
        points: [{ tasks: 1, listeners: 1000 }],
        fitted: fitUsl([{ tasks: 1, listeners: 1000 }]),
        truth: { ...truth, joinsPerTaskPerSecond: 1e6 },
      },
    ],
  };
  const [run] = await replay(ls, [policy]);
  const after = run!.frames.filter((f) => f.t >= 0);
  const trigger = after.find((f) => f.desired > tasks);
  const running = after.find((f) => f.running > tasks);
  return { triggerSeconds: trigger?.t ?? Infinity, runningSeconds: running?.t ?? Infinity };
}
