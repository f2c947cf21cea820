import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord, EventState, FleetKey, FleetState, GlobalState, StateStore } from '../ports/state';
import { VersionConflictError } from '../ports/state';

/** The DynamoDB document calls the adapter makes. */
export type DocumentSend = Pick<DynamoDBDocumentClient, 'send'>;

/** Options of the DynamoDB state store. */
export interface DynamoStateOptions {
  readonly tableName: string;
  /** Days an audit record is kept before DynamoDB's TTL removes it. @default 90 */
  readonly auditRetentionDays?: number;
  /** The current invocation's correlation id, stamped on each audit record that has none. @default none */
  readonly correlationId?: () => string | undefined;
}

const GLOBAL_PK = 'GLOBAL';
const STATE_SK = 'STATE';
const eventPk = (eventId: string) => `EVENT#${eventId}`;
const fleetSk = (fleetId: string) => `FLEET#${fleetId}`;
const auditPk = (eventId?: string) => `AUDIT#${eventId ?? GLOBAL_PK}`;
const CLAIM_PK = 'CLAIMED';
/** BatchGetItem takes at most this many keys in one call. */
export /** BatchGetItem calls for the keys DynamoDB left unprocessed, and the first pause between them (it doubles). */
const UNPROCESSED_ATTEMPTS = 4;
const UNPROCESSED_PAUSE_MS = 50;
const MAX_KEYS_PER_BATCH_GET = 100;

type ItemKey = { pk: string; sk: string };
const keyString = (k: Record<string, unknown>) => `${String(k.pk)}\u0000${String(k.sk)}`;
const eventOf = (eventId: string, item?: Record<string, unknown>): EventState =>
  item ? (strip(item) as unknown as EventState) : { eventId, shiftMinutes: 0, version: 0 };
const fleetOf = (item?: Record<string, unknown>): FleetState | undefined =>
  item ? (strip(item) as unknown as FleetState) : undefined;

/** Keys a BatchGetItem left unprocessed (throttling); retried with backoff like a throttled call. */
class UnprocessedKeysError extends Error {
  constructor(count: number, table: string) {
    super(`${count} key(s) still unprocessed by BatchGetItem on ${table} (read capacity exceeded)`);
    this.name = 'UnprocessedKeysError';
  }
}

/**
 * State and audit in one DynamoDB table (pk, sk). Every state write is conditional on the version read, so two
 * invocations can never both act on stale state; audit records are never overwritten and expire by TTL.
 */
export class DynamoStateStore implements StateStore {
  private seq = 0;

  constructor(
    private readonly client: DocumentSend,
    private readonly options: DynamoStateOptions,
  ) {}

  async getGlobal(): Promise<GlobalState> {
    const item = await this.get(GLOBAL_PK, STATE_SK);
    return item ? (strip(item) as unknown as GlobalState) : { mode: 'active', version: 0 };
  }

  putGlobal(
    next: Omit<GlobalState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<GlobalState> {
    return this.putVersioned(GLOBAL_PK, STATE_SK, next, expectedVersion, 'the automation switch', audit);
  }

  async getEvent(eventId: string): Promise<EventState> {
    return eventOf(eventId, await this.get(eventPk(eventId), STATE_SK));
  }

  async getEvents(eventIds: readonly string[]): Promise<EventState[]> {
    const keys = eventIds.map((id) => ({ pk: eventPk(id), sk: STATE_SK }));
    const found = await this.batchGet(keys);
    return eventIds.map((id, i) => eventOf(id, found.get(keyString(keys[i]!))));
  }

  putEvent(
    next: Omit<EventState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<EventState> {
    return this.putVersioned(
      eventPk(next.eventId),
      STATE_SK,
      next,
      expectedVersion,
      `event ${next.eventId}`,
      audit,
    );
  }

  async getFleet(eventId: string, fleetId: string): Promise<FleetState | undefined> {
    return fleetOf(await this.get(eventPk(eventId), fleetSk(fleetId)));
  }

  async getFleets(keys: readonly FleetKey[]): Promise<(FleetState | undefined)[]> {
    const itemKeys = keys.map((k) => ({ pk: eventPk(k.eventId), sk: fleetSk(k.fleetId) }));
    const found = await this.batchGet(itemKeys);
    return itemKeys.map((k) => fleetOf(found.get(keyString(k))));
  }

  putFleet(
    next: Omit<FleetState, 'version'>,
    expectedVersion: number,
    audit?: AuditRecord,
  ): Promise<FleetState> {
    return this.putVersioned(
      eventPk(next.eventId),
      fleetSk(next.fleetId),
      next,
      expectedVersion,
      `fleet ${next.fleetId} of event ${next.eventId}`,
      audit,
    );
  }

  async audit(record: AuditRecord): Promise<void> {
    await this.client.send(new PutCommand(this.auditPut(record)));
  }

  async claimOnce(token: string, atMs: number): Promise<boolean> {
    const retention = this.options.auditRetentionDays ?? 90;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { pk: CLAIM_PK, sk: token, atMs, expiresAt: Math.floor(atMs / 1000) + retention * 86400 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  /** An audit record as a put that never overwrites; it expires by TTL. */
  private auditPut(record: AuditRecord) {
    const retention = this.options.auditRetentionDays ?? 90;
    // Time first so a query by range is a time range; the suffix keeps two records in one millisecond apart.
    const sk = `${new Date(record.atMs).toISOString()}#${(this.seq++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    return {
      TableName: this.options.tableName,
      Item: clean({
        pk: auditPk(record.eventId),
        sk,
        correlationId: this.options.correlationId?.(),
        ...record,
        expiresAt: Math.floor(record.atMs / 1000) + retention * 86400,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  async listAudit(filter: { eventId?: string; sinceMs?: number; limit?: number }): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :since',
          ExpressionAttributeValues: {
            ':pk': auditPk(filter.eventId),
            ':since': new Date(filter.sinceMs ?? 0).toISOString(),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of res.Items ?? []) {
        const { pk: _pk, sk: _sk, expiresAt: _e, ...record } = item;
        out.push(record as unknown as AuditRecord);
      }
      startKey = res.LastEvaluatedKey;
    } while (startKey && (filter.limit === undefined || out.length < filter.limit));
    return filter.limit === undefined ? out : out.slice(-filter.limit);
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return res.Item;
  }

  /**
   * Items by key with consistent BatchGetItem calls of at most {@link MAX_KEYS_PER_BATCH_GET} keys (sent together),
   * each repeated for the keys DynamoDB left unprocessed (the SDK retries errors, not unprocessed keys), a few times
   * with a growing pause.
   */
  private async batchGet(keys: readonly ItemKey[]): Promise<Map<string, Record<string, unknown>>> {
    const table = this.options.tableName;
    // BatchGetItem refuses a request that names a key twice.
    const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
    const found = new Map<string, Record<string, unknown>>();
    const chunks: ItemKey[][] = [];
    for (let i = 0; i < unique.length; i += MAX_KEYS_PER_BATCH_GET)
      chunks.push(unique.slice(i, i + MAX_KEYS_PER_BATCH_GET));
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: Record<string, unknown>[] = chunk;
        for (let attempt = 0; pending.length; attempt++) {
          if (attempt >= UNPROCESSED_ATTEMPTS) throw new UnprocessedKeysError(pending.length, table);
          if (attempt > 0) await new Promise((r) => setTimeout(r, UNPROCESSED_PAUSE_MS * 2 ** (attempt - 1)));
          const res = await this.client.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of res.Responses?.[table] ?? []) found.set(keyString(item), item);
          pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
        }
      }),
    );
    return found;
  }

  private async putVersioned<T extends object>(
    pk: string,
    sk: string,
    next: T,
    expectedVersion: number,
    what: string,
    audit?: AuditRecord,
  ): Promise<T & { version: number }> {
    const item = { ...next, version: expectedVersion + 1 };
    const put = {
      TableName: this.options.tableName,
      Item: clean({ pk, sk, ...item }),
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : '#version = :expected',
      ...(expectedVersion === 0
        ? {}
        : {
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          }),
    };
    // With an audit record, both go in one transaction: the trail holds exactly the changes that happened.
    const auditPut = audit && this.auditPut(audit);
    try {
      if (auditPut)
        await this.client.send(
          new TransactWriteCommand({ TransactItems: [{ Put: put }, { Put: auditPut }] }),
        );
      else await this.client.send(new PutCommand(put));
    } catch (err) {
      if (isConditionFailure(err)) throw new VersionConflictError(what);
      throw err;
    }
    return item;
  }
}

/** A failed condition on a put, or on the state put of a transaction (the audit put's key is always new). */
function isConditionFailure(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name === 'ConditionalCheckFailedException') return true;
  return (
    e?.name === 'TransactionCanceledException' &&
    e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
}

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

/** Drops undefined values, which DynamoDB rejects. */
function clean(item: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(item)) as Record<string, unknown>;
}
