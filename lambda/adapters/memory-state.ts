import type { AuditRecord, EventState, FleetKey, FleetState, GlobalState, StateStore } from '../ports/state';
import { VersionConflictError } from '../ports/state';

/** The state store in memory, with the same versioned-write rules as the DynamoDB adapter. */
export class MemoryStateStore implements StateStore {
  private global: GlobalState = { mode: 'active', version: 0 };
  private readonly events = new Map<string, EventState>();
  private readonly fleets = new Map<string, FleetState>();
  readonly auditTrail: AuditRecord[] = [];
  private readonly claimed = new Set<string>();

  /** Replaces the contents (for stores that persist a snapshot). */
  protected load(
    global: GlobalState,
    events: EventState[],
    fleets: FleetState[],
    audit: AuditRecord[],
  ): void {
    this.global = global;
    for (const e of events) this.events.set(e.eventId, e);
    for (const f of fleets) this.fleets.set(`${f.eventId}/${f.fleetId}`, f);
    this.auditTrail.push(...audit);
  }

  /** The contents, for stores that persist a snapshot. */
  protected dump(): { global: GlobalState; events: EventState[]; fleets: FleetState[] } {
    return { global: this.global, events: [...this.events.values()], fleets: [...this.fleets.values()] };
  }

  async getGlobal(): Promise<GlobalState> {
    return this.global;
  }

  async putGlobal(
    next: Omit<GlobalState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<GlobalState> {
    if (this.global.version !== expectedVersion) throw new VersionConflictError('the automation switch');
    this.global = { ...next, version: expectedVersion + 1 };
    if (audit) this.auditTrail.push(audit);
    return this.global;
  }

  async getEvent(eventId: string): Promise<EventState> {
    return this.events.get(eventId) ?? { eventId, shiftMinutes: 0, version: 0 };
  }

  getEvents(eventIds: readonly string[]): Promise<EventState[]> {
    return Promise.all(eventIds.map((id) => this.getEvent(id)));
  }

  async putEvent(
    next: Omit<EventState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<EventState> {
    const current = this.events.get(next.eventId)?.version ?? 0;
    if (current !== expectedVersion) throw new VersionConflictError(`event ${next.eventId}`);
    const saved = { ...next, version: expectedVersion + 1 };
    this.events.set(next.eventId, saved);
    if (audit) this.auditTrail.push(audit);
    return saved;
  }

  async getFleet(eventId: string, fleetId: string): Promise<FleetState | undefined> {
    return this.fleets.get(`${eventId}/${fleetId}`);
  }

  getFleets(keys: readonly FleetKey[]): Promise<(FleetState | undefined)[]> {
    return Promise.all(keys.map((k) => this.getFleet(k.eventId, k.fleetId)));
  }

  async putFleet(
    next: Omit<FleetState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<FleetState> {
    const key = `${next.eventId}/${next.fleetId}`;
    const current = this.fleets.get(key)?.version ?? 0;
    if (current !== expectedVersion)
      throw new VersionConflictError(`fleet ${next.fleetId} of event ${next.eventId}`);
    const saved = { ...next, version: expectedVersion + 1 };
    this.fleets.set(key, saved);
    if (audit) this.auditTrail.push(audit);
    return saved;
  }

  async audit(record: AuditRecord): Promise<void> {
    this.auditTrail.push(record);
  }

  async claimOnce(token: string): Promise<boolean> {
    if (this.claimed.has(token)) return false;
    this.claimed.add(token);
    return true;
  }

  async listAudit(filter: { eventId?: string; sinceMs?: number; limit?: number }): Promise<AuditRecord[]> {
    const found = this.auditTrail.filter(
      (r) => r.eventId === filter.eventId && r.atMs >= (filter.sinceMs ?? 0),
    );
    return filter.limit === undefined ? found : found.slice(-filter.limit);
  }
}
