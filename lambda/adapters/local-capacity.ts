import type {
  ApplyResult,
  CapacityActuator,
  CapacitySettings,
  FleetAddress,
  MetricSource,
  ServiceCounts,
} from '../ports';
import { boundedSettings } from '../ports';
import type { Series } from '../core/series';

/**
 * Capacity for rehearsing the runbook without AWS (`--local`): each fleet starts at its baseline and remembers what
 * it is set to; nothing leaves the machine.
 */
export class LocalCapacity implements CapacityActuator {
  private readonly settings = new Map<string, CapacitySettings>();

  constructor(private readonly baseline: (fleetId: string) => number) {}

  async read(fleet: FleetAddress): Promise<CapacitySettings> {
    const base = this.baseline(fleet.fleetId);
    return (
      this.settings.get(fleet.fleetId) ??
      (fleet.mode === 'min-capacity'
        ? { mode: 'min-capacity', minCapacity: base, maxCapacity: Math.max(base, 1) }
        : { mode: 'desired-count', desiredCount: base })
    );
  }

  async counts(fleets: readonly FleetAddress[]): Promise<Map<string, ServiceCounts>> {
    const out = new Map<string, ServiceCounts>();
    for (const f of fleets) {
      const s = await this.read(f);
      const n = s.mode === 'min-capacity' ? s.minCapacity : s.desiredCount;
      out.set(f.fleetId, { running: n, pending: 0, desired: n });
    }
    return out;
  }

  async applyFloor(fleet: FleetAddress, tasks: number, ceiling?: number | null): Promise<ApplyResult> {
    const before = await this.read(fleet);
    const after = boundedSettings(before, tasks, ceiling);
    this.settings.set(fleet.fleetId, after);
    return { changed: JSON.stringify(before) !== JSON.stringify(after), before, after };
  }

  async restore(fleet: FleetAddress, settings: CapacitySettings): Promise<ApplyResult> {
    const before = await this.read(fleet);
    this.settings.set(fleet.fleetId, settings);
    return { changed: JSON.stringify(before) !== JSON.stringify(settings), before, after: settings };
  }
}

/** No metrics: a rehearsal has no audience. */
export const noMetrics: MetricSource = {
  fetch: async (_region, queries) => new Map<string, Series>(queries.map((q) => [q.id, []])),
};
