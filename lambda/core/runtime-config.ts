import { z } from 'zod';
import type { Config, EventConfig, FleetConfig } from './config/schema';
import { configSchema } from './config/schema';
import type { EventPlan, FleetPlan, FleetModels, Plan } from './planner';
import { planAll } from './planner';
import { isoUtc, minutes } from './time';
import type { FleetTimeline } from './watch-policy';

/** What the deployed Lambdas know: the validated config, each fleet's model, and the plan (built at synth). */
export interface RuntimeConfig {
  readonly config: Config;
  readonly models: FleetModels;
  readonly plan: Plan;
}

const model = z.object({
  lambda: z.number().nonnegative(),
  sigma: z.number().nonnegative(),
  kappa: z.number().nonnegative(),
  peakTasks: z.number().nullable(),
  peakListeners: z.number().nullable(),
  r2: z.number(),
  maxTestedTasks: z.number(),
  points: z.number(),
});

const step = z.object({ at: z.string(), tasks: z.number().int().nonnegative() });
const fleetPlan = z.object({
  fleet: z.string(),
  model: z.object({}).passthrough(),
  listeners: z.number(),
  neededTasks: z.number().int(),
  baselineTasks: z.number().int(),
  leadSeconds: z.number(),
  rampStart: z.string(),
  readyAt: z.string(),
  steps: z.array(step),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});
const eventPlan = z.object({
  id: z.string(),
  title: z.string(),
  start: z.string(),
  end: z.string(),
  doorsOpen: z.string(),
  holdUntil: z.string(),
  fleets: z.array(fleetPlan),
});
const runtimeSchema = z.object({
  config: configSchema,
  models: z.record(z.string(), model),
  plan: z.object({ events: z.array(eventPlan) }),
});

/** Builds the runtime config from a validated config and its fitted models. */
export function buildRuntimeConfig(config: Config, models: FleetModels): RuntimeConfig {
  return { config, models, plan: planAll(config, models) };
}

/**
 * Parses the runtime config a Lambda was deployed with. A bad value is a deploy bug, so the message names the
 * field and the function refuses to act.
 */
export function parseRuntimeConfig(json: string | undefined): RuntimeConfig {
  if (!json) throw new Error('SURGEGUARD_CONFIG is not set: the function was deployed without its config');
  const parsed = runtimeSchema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`SURGEGUARD_CONFIG is invalid at ${first?.path.join('.')}: ${first?.message}`);
  }
  return parsed.data as unknown as RuntimeConfig;
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
  return {
    rampStartMs: Date.parse(fleetPlan.rampStart) + shift,
    doorsOpenMs: Date.parse(view.plan.doorsOpen) + shift,
    holdUntilMs: Date.parse(view.plan.holdUntil) + shift,
    steps: fleetPlan.steps.map((s) => ({ at: isoUtc(Date.parse(s.at) + shift), tasks: s.tasks })),
    eventTasks: fleetPlan.neededTasks,
  };
}

/**
 * The window in which the watch looks after an event: from its earliest ramp start to its hold-until plus the
 * time a gradual step-down takes, moved by the shift.
 */
export function watchWindow(view: EventView, shiftMinutes: number): { fromMs: number; toMs: number } {
  const shift = minutes(shiftMinutes);
  const from = Math.min(...view.plan.fleets.map((f) => Date.parse(f.rampStart)));
  const stepDown = minutes(view.event.stepDown.steps * view.event.stepDown.intervalMinutes);
  return { fromMs: from + shift, toMs: Date.parse(view.plan.holdUntil) + stepDown + shift };
}
