import type { RuntimeConfig } from '../lambda/core/runtime-config';

/**
 * The part of a runtime config one regional stack carries: its region's fleets, the events that use them (with
 * only those fleets), and the shield when its web ACL lives there. Each region's Lambdas act on their own fleets.
 */
export function runtimeForRegion(rc: RuntimeConfig, region: string): RuntimeConfig {
  const fleets = rc.config.fleets.filter((f) => f.region === region);
  const ids = new Set(fleets.map((f) => f.id));
  const events = rc.config.events
    .filter((e) => e.fleets.some((f) => ids.has(f.fleet)))
    .map((e) => ({ ...e, fleets: e.fleets.filter((f) => ids.has(f.fleet)) }));
  const planEvents = rc.plan.events
    .filter((e) => events.some((x) => x.id === e.id))
    .map((e) => ({ ...e, fleets: e.fleets.filter((f) => ids.has(f.fleet)) }));
  return {
    config: {
      ...rc.config,
      regions: { [region]: rc.config.regions[region]! },
      fleets,
      events,
      shield: rc.config.shield?.webAcl.region === region ? rc.config.shield : undefined,
    },
    models: Object.fromEntries(Object.entries(rc.models).filter(([id]) => ids.has(id))),
    plan: { events: planEvents },
  };
}

/** The regions that hold fleets, in config order. */
export function fleetRegions(rc: RuntimeConfig): string[] {
  return [...new Set(rc.config.fleets.map((f) => f.region))];
}

export { eventSchedules } from '../lambda/core/schedules';
export type { EventSchedule } from '../lambda/core/schedules';
