import { stepFloor } from '../lambda/core/planner';
import { buildRuntimeConfig, findEvent, watchWindow } from '../lambda/core/runtime-config';
import type { CapacityModel } from '../lambda/core/usl';
import { uslPeak } from '../lambda/core/usl';
import { replayHorizon, scenarioConfig, scenarioRuntime } from './replay';
import type { LoadedScenario } from './scenario';

/**
 * Task-hours of the pre-scale plan's floor alone over a replay's horizon, with the plan made from the scenario's
 * true capacity (a perfect scaling test). The watch never goes below the floor during the event, so no policy
 * that follows the plan's sizing rules (headroom on listeners, ready before doors open, held to end plus tail,
 * gradual step-down) can cost less: it is the price of the rules themselves, not of a model error.
 */
export function planFloorTaskHours(ls: LoadedScenario): number {
  const config = scenarioConfig(ls);
  const models: Record<string, CapacityModel> = {};
  for (const f of ls.fleets) {
    const peak = uslPeak(f.truth);
    models[f.config.id] = {
      lambda: f.truth.lambda,
      sigma: f.truth.sigma,
      kappa: f.truth.kappa,
      peakTasks: peak.tasks,
      peakListeners: peak.listeners,
      r2: 1,
      maxTestedTasks: f.config.maxTasks,
      points: f.points.length,
    };
  }
  const eventId = config.events[0]!.id;
  const view = findEvent(buildRuntimeConfig(config, models), eventId)!;
  // The horizon of the replays this is compared with (planned from the scaling test's fit).
  const fitted = scenarioRuntime(ls);
  const { beginRel, endRel } = replayHorizon(ls, watchWindow(fitted, findEvent(fitted, eventId)!, 0));
  let taskSeconds = 0;
  for (const { plan } of view.fleets) {
    for (let rel = beginRel; rel < endRel; rel++)
      taskSeconds += stepFloor(plan.steps, ls.startMs + rel * 1000, plan.baselineTasks);
  }
  return taskSeconds / 3600;
}

/** The same scenario on a fleet that scales linearly (the truth's listeners per task, no contention or coherency). */
export function withLinearTruth(ls: LoadedScenario): LoadedScenario {
  return { ...ls, fleets: ls.fleets.map((f) => ({ ...f, truth: { ...f.truth, sigma: 0, kappa: 0 } })) };
}
