import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoStateStore } from '../../lambda/adapters/dynamodb-state';
import { VersionConflictError } from '../../lambda/ports/state';
import { fakeDynamo } from '../fakes/fake-dynamo';

describe('DynamoStateStore', () => {
  const setup = () => {
    const db = fakeDynamo();
    return {
      ...db,
      store: new DynamoStateStore(db.client, { tableName: 'sg', auditRetentionDays: 30 }),
    };
  };

  it('creates state only where none exists, then only from the version read', async () => {
    const { store, mock } = setup();
    const first = await store.putFleet(
      { eventId: 'e', fleetId: 'f', phase: 'prewarming', peakListeners: 0 },
      0,
    );
    expect(first.version).toBe(1);
    expect(mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'sg',
      Item: {
        pk: 'EVENT#e',
        sk: 'FLEET#f',
        eventId: 'e',
        fleetId: 'f',
        phase: 'prewarming',
        peakListeners: 0,
        version: 1,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 5 }, 1);
    expect(mock).toHaveReceivedCommandWith(PutCommand, {
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': 1 },
    });
    expect(await store.getFleet('e', 'f')).toEqual({
      eventId: 'e',
      fleetId: 'f',
      phase: 'live',
      peakListeners: 5,
      version: 2,
    });
  });

  it('refuses a write from a stale version', async () => {
    const { store } = setup();
    await store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 0 }, 0);
    await store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 1 }, 1);
    await expect(
      store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 2 }, 1),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await expect(
      store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 2 }, 0),
    ).rejects.toBeInstanceOf(VersionConflictError);
  });

  it('defaults the global switch to active and events to no shift', async () => {
    const { store } = setup();
    expect(await store.getGlobal()).toEqual({ mode: 'active', version: 0 });
    expect(await store.getEvent('x')).toEqual({ eventId: 'x', shiftMinutes: 0, version: 0 });
  });

  it('appends audit records that expire, and lists them by event and time', async () => {
    const { store, mock } = setup();
    const at = Date.parse('2030-01-01T00:00:00Z');
    await store.audit({
      atMs: at,
      eventId: 'e',
      actor: 'me',
      kind: 'operation',
      action: 'scale',
      reason: 'r',
      result: 'ok',
    });
    await store.audit({
      atMs: at + 1000,
      eventId: 'e',
      actor: 'me',
      kind: 'operation',
      action: 'hold',
      reason: 'r',
      result: 'ok',
    });
    await store.audit({
      atMs: at,
      actor: 'me',
      kind: 'operation',
      action: 'pause',
      reason: 'r',
      result: 'ok',
    });
    expect(mock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'AUDIT#e', expiresAt: at / 1000 + 30 * 86400 }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect((await store.listAudit({ eventId: 'e' })).map((r) => r.action)).toEqual(['scale', 'hold']);
    expect((await store.listAudit({ eventId: 'e', sinceMs: at + 500 })).map((r) => r.action)).toEqual([
      'hold',
    ]);
    expect((await store.listAudit({})).map((r) => r.action)).toEqual(['pause']);
  });

  it("stamps each audit record with the invocation's correlation id, and keeps one the record has", async () => {
    const db = fakeDynamo();
    let current: string | undefined = 'exec-1';
    const store = new DynamoStateStore(db.client, { tableName: 'sg', correlationId: () => current });
    const record = {
      atMs: 0,
      eventId: 'e',
      actor: 'me',
      kind: 'operation',
      reason: 'r',
      result: 'ok',
    } as const;
    await store.audit({ ...record, action: 'scale' });
    current = undefined;
    await store.audit({ ...record, action: 'hold' });
    current = 'exec-2';
    await store.audit({ ...record, action: 'pause', correlationId: 'own' });
    expect((await store.listAudit({ eventId: 'e' })).map((r) => [r.action, r.correlationId])).toEqual([
      ['scale', 'exec-1'],
      ['hold', undefined],
      ['pause', 'own'],
    ]);
  });
});
