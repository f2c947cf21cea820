import type { RuntimeConfig } from '../lambda/core/runtime-config';
import { watchWindow, findEvent } from '../lambda/core/runtime-config';

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

/** An event's schedule times: prescale at the ramp start, the watch window, and the restore window. */
export interface EventSchedule {
  readonly eventId: string;
  readonly prescaleAt: Date;
  readonly watchFrom: Date;
  readonly watchTo: Date;
  readonly restoreFrom: Date;
  readonly restoreTo: Date;
  /** Minutes between restore runs: the event's step-down interval. */
  readonly restoreEveryMinutes: number;
}

/**
 * Schedule times of each event, and the events already past at `now` (they get no schedules). Restore runs
 * once per step-down interval after the watch window, as many times as the step-down has steps and twice more:
 * each run takes one gradual step once listeners allow, and does nothing once the fleets are back.
 */
export function eventSchedules(rc: RuntimeConfig, now: Date): { schedules: EventSchedule[]; past: string[] } {
  const schedules: EventSchedule[] = [];
  const past: string[] = [];
  for (const e of rc.config.events) {
    const view = findEvent(rc, e.id);
    if (!view) continue;
    const w = watchWindow(rc, view, 0);
    const restoreFrom = w.toMs;
    const restoreTo = restoreFrom + (e.stepDown.steps + 2) * e.stepDown.intervalMinutes * 60_000;
    if (restoreTo <= now.getTime()) {
      past.push(e.id);
      continue;
    }
    const ramp = Math.min(...view.plan.fleets.map((f) => Date.parse(f.rampStart)));
    schedules.push({
      eventId: e.id,
      prescaleAt: new Date(ramp),
      watchFrom: new Date(w.fromMs),
      watchTo: new Date(w.toMs),
      restoreFrom: new Date(restoreFrom),
      restoreTo: new Date(restoreTo),
      restoreEveryMinutes: Math.max(1, Math.round(e.stepDown.intervalMinutes)),
    });
  }
  return { schedules, past };
}
