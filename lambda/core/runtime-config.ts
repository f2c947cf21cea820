import type { Config, EventConfig, FleetConfig } from './config/schema';
import { forecastOf } from './config/forecast';
import type { EventPlan, FleetPlan, FleetModels, Plan } from './planner';
import { planAll } from './planner';
import { isoUtc, minutes } from './time';
import type { FleetTimeline } from './watch-policy';
import { lateStartUntil } from './watch-policy';

/** What the deployed Lambdas know: the validated config, each fleet's model, and the plan (built at synth). */
export interface RuntimeConfig {
  readonly config: Config;
  readonly models: FleetModels;
  readonly plan: Plan;
}

/** Builds the runtime config from a validated config and its fitted models. */
export function buildRuntimeConfig(config: Config, models: FleetModels): RuntimeConfig {
  return { config, models, plan: planAll(config, models) };
}

/**
 * Reads the runtime config a Lambda was deployed with. The config was validated at synth time (the deploy fails
 * on a bad config), so this checks only that the value is the runtime config at all: a bad value is a deploy bug,
 * and the function refuses to act.
 */
export function parseRuntimeConfig(json: string | undefined): RuntimeConfig {
  if (!json) throw new Error('SURGEGUARD_CONFIG is not set: the function was deployed without its config');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`SURGEGUARD_CONFIG is not JSON: ${(err as Error).message}`);
  }
  const v = value as Partial<RuntimeConfig> | null;
  const problems: string[] = [];
  if (!v || typeof v !== 'object') problems.push('expected an object');
  else {
    if (!Array.isArray(v.config?.fleets)) problems.push('config.fleets: expected an array');
    if (!Array.isArray(v.config?.events)) problems.push('config.events: expected an array');
    if (!v.config?.controller) problems.push('config.controller: missing');
    if (!v.models || typeof v.models !== 'object') problems.push('models: expected an object');
    if (!Array.isArray(v.plan?.events)) problems.push('plan.events: expected an array');
    for (const f of v.config?.fleets ?? []) if (!v.models?.[f.id]) problems.push(`models.${f.id}: missing`);
  }
  if (problems.length) throw new Error(`SURGEGUARD_CONFIG is invalid: ${problems.join('; ')}`);
  return v as RuntimeConfig;
}

/** An event, its plan and its fleets, looked up together. */
export interface EventView {
  readonly event: EventConfig;
  readonly plan: EventPlan;
  readonly fleets: { readonly fleet: FleetConfig; readonly plan: FleetPlan }[];
}

/** Finds an event by id, or undefined. */
export function findEvent(rc: RuntimeConfig, eventId: string): EventView | undefined {
  const event = rc.config.events.find((e) => e.id === eventId);
  const plan = rc.plan.events.find((e) => e.id === eventId);
  if (!event || !plan) return undefined;
  const fleets = plan.fleets.map((fp) => ({
    fleet: rc.config.fleets.find((f) => f.id === fp.fleet) as FleetConfig,
    plan: fp,
  }));
  return { event, plan, fleets };
}

/** A fleet's timeline in an event, moved by the event's shift. */
export function fleetTimeline(view: EventView, fleetPlan: FleetPlan, shiftMinutes: number): FleetTimeline {
  const shift = minutes(shiftMinutes);
  const startMs = Date.parse(view.plan.start);
  const share = view.event.fleets.find((f) => f.fleet === fleetPlan.fleet)?.share ?? 1;
  return {
    rampStartMs: Date.parse(fleetPlan.rampStart) + shift,
    doorsOpenMs: Date.parse(view.plan.doorsOpen) + shift,
    holdUntilMs: Date.parse(view.plan.holdUntil) + shift,
    steps: fleetPlan.steps.map((s) => ({ at: isoUtc(Date.parse(s.at) + shift), tasks: s.tasks })),
    eventTasks: fleetPlan.neededTasks,
    audienceInMs: startMs + minutes(view.event.arrival.fullByMinutes) + shift,
    startMs: startMs + shift,
    expectedListeners: forecastOf(view.event).expected * share,
    endMs: Date.parse(view.plan.end) + shift,
  };
}

/**
 * When restore stops waiting for listeners to allow a step: the hold's end plus `restoreDeadlineMinutes`, moved
 * by the shift. From then on it puts the recorded settings back at once.
 */
export function restoreDeadlineMs(view: EventView, shiftMinutes: number): number {
  return Date.parse(view.plan.holdUntil) + minutes(view.event.restoreDeadlineMinutes + shiftMinutes);
}

/**
 * The window in which the watch looks after an event: from `preWatchMinutes` before its earliest ramp start to
 * its hold-until (or the end of the wait for an audience that never came, if later) plus the time a gradual
 * step-down takes, moved by the shift.
 */
export function watchWindow(
  rc: RuntimeConfig,
  view: EventView,
  shiftMinutes: number,
): { fromMs: number; toMs: number } {
  const shift = minutes(shiftMinutes);
  const preWatch = minutes(rc.config.controller.preWatchMinutes);
  const from = Math.min(...view.plan.fleets.map((f) => Date.parse(f.rampStart))) - preWatch;
  const stepDown = minutes(view.event.stepDown.steps * view.event.stepDown.intervalMinutes);
  // A crowd that comes after a short event's hold, as late as a late start may be, still needs the watch to grow.
  const until = Math.max(Date.parse(view.plan.holdUntil), lateStartUntil(Date.parse(view.plan.start)));
  return { fromMs: from + shift, toMs: until + stepDown + shift };
}
