/**
 * The plan's backstop: the plan steps still to come, registered with Application Auto Scaling as one-time scheduled
 * actions, so AWS itself raises the floor at each step even when SurgeGuard cannot write then (its calls
 * throttled, its Lambda failing, its region's control plane busy). The watch keeps applying the steps as before;
 * the backstop only matters when it cannot.
 */
import type { PlanStep } from './planner';

/** One scheduled action of the backstop: at `atMs`, MinCapacity and MaxCapacity of the scalable target. */
export interface BackstopAction {
  readonly name: string;
  readonly atMs: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** What the backstop of one fleet is made from at a tick. */
export interface BackstopInput {
  readonly eventId: string;
  /** The plan's steps, moved by the event's shift. */
  readonly steps: readonly PlanStep[];
  readonly nowMs: number;
  /** The floor the watch holds now (decided or in AWS, the higher): a step at or under it adds nothing. */
  readonly floor: number;
  /** The ceiling SurgeGuard holds, or null for none: a step never goes past it. */
  readonly ceiling: number | null;
  /** MaxCapacity in AWS now, kept by a step when SurgeGuard holds no ceiling. */
  readonly maxCapacity: number;
}

/**
 * Steps closer than this are left to the watch: a scheduled action put this late could be missed by AWS, and the
 * watch applies the step at its next tick anyway.
 */
export const BACKSTOP_LEAD_MS = 60_000;

/** The prefix of every backstop action of an event on a scalable target: what the sync owns and may delete. */
export function backstopPrefix(eventId: string): string {
  return `surgeguard-${eventId}-`;
}

/**
 * The backstop a fleet should have now: every plan step still to come (at least {@link BACKSTOP_LEAD_MS} ahead)
 * that would raise the floor above what the watch holds, clamped to the ceiling. A step the watch has already
 * passed (its floor is higher) is left out, since AWS would apply it as a lower MinCapacity.
 */
export function backstopActions(input: BackstopInput): BackstopAction[] {
  const out: BackstopAction[] = [];
  let floor = input.floor;
  for (const step of input.steps) {
    const atMs = Date.parse(step.at);
    if (atMs < input.nowMs + BACKSTOP_LEAD_MS) continue;
    const tasks = input.ceiling === null ? step.tasks : Math.min(step.tasks, input.ceiling);
    if (tasks <= floor) continue;
    floor = tasks;
    out.push({
      name: `${backstopPrefix(input.eventId)}${new Date(atMs).toISOString().slice(0, 19).replace(/[-:]/g, '')}`,
      atMs,
      minCapacity: tasks,
      maxCapacity: Math.max(input.ceiling ?? input.maxCapacity, tasks),
    });
  }
  return out;
}

/**
 * What makes a scalable target's backstop actions (`existing`, all under the event's prefix) exactly `wanted`: the
 * names to delete (not wanted) and the actions to put (missing, or at another instant or size).
 */
export function backstopChanges(
  existing: readonly BackstopAction[],
  wanted: readonly BackstopAction[],
): { put: BackstopAction[]; deleted: string[] } {
  const names = new Set(wanted.map((a) => a.name));
  const have = new Map(existing.map((a) => [a.name, a]));
  return {
    deleted: existing.filter((a) => !names.has(a.name)).map((a) => a.name),
    put: wanted.filter((a) => {
      const h = have.get(a.name);
      return !h || h.atMs !== a.atMs || h.minCapacity !== a.minCapacity || h.maxCapacity !== a.maxCapacity;
    }),
  };
}

/** A key that changes whenever the backstop does: the watch syncs AWS only when it changes (or now and then). */
export function backstopKey(actions: readonly BackstopAction[]): string {
  return actions.map((a) => `${a.name}:${a.minCapacity}:${a.maxCapacity}`).join(',');
}
