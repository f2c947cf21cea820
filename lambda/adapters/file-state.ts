import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AuditRecord, EventState, FleetState, GlobalState } from '../ports/state';
import { MemoryStateStore } from './memory-state';

interface Snapshot {
  global: GlobalState;
  events: EventState[];
  fleets: FleetState[];
  audit: AuditRecord[];
}

/**
 * The state store in a JSON file, for rehearsing the runbook without AWS (`surgeguard ... --local FILE`):
 * the same versioned-write rules as DynamoDB, saved after every write.
 */
export class FileStateStore extends MemoryStateStore {
  constructor(private readonly file: string) {
    super();
    if (existsSync(file)) {
      const snap = readSnapshot(file);
      this.load(snap.global, snap.events, snap.fleets, snap.audit);
    }
  }

  override async putGlobal(...args: Parameters<MemoryStateStore['putGlobal']>) {
    return this.saved(await super.putGlobal(...args));
  }
  override async putEvent(...args: Parameters<MemoryStateStore['putEvent']>) {
    return this.saved(await super.putEvent(...args));
  }
  override async putFleet(...args: Parameters<MemoryStateStore['putFleet']>) {
    return this.saved(await super.putFleet(...args));
  }
  override async audit(record: AuditRecord) {
    await super.audit(record);
    this.saved(undefined);
  }

  private saved<T>(value: T): T {
    const snap: Snapshot = { ...this.dump(), audit: this.auditTrail };
    writeFileSync(this.file, `${JSON.stringify(snap, null, 2)}\n`);
    return value;
  }
}

/** Reads a rehearsal's state file, naming the file and what is wrong with it when it is not one. */
function readSnapshot(file: string): Snapshot {
  const bad = (why: string) =>
    new Error(
      `${file}: ${why}; expected the state file a --local rehearsal wrote (delete it, or name a new file, to start afresh)`,
    );
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  const v = value as Partial<Record<keyof Snapshot, unknown>> | null;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('not a JSON object');
  if (!v.global || typeof v.global !== 'object') throw bad('no "global" object');
  for (const key of ['events', 'fleets', 'audit'] as const) {
    if (!Array.isArray(v[key])) throw bad(`"${key}" is not a list`);
  }
  return v as Snapshot;
}
