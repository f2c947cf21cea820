import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoStateStore } from '../../lambda/adapters/dynamodb-state';
import { FileStateStore } from '../../lambda/adapters/file-state';
import { MemoryStateStore } from '../../lambda/adapters/memory-state';
import type { StateStore } from '../../lambda/ports/state';
import { FaultyStateStore } from '../../sim/faults';
import { fakeDynamo } from '../fakes/fake-dynamo';

const stores: [string, () => StateStore][] = [
  ['memory', () => new MemoryStateStore()],
  ['file', () => new FileStateStore(join(mkdtempSync(join(tmpdir(), 'sg-batch-')), 'state.json'))],
  ['DynamoDB', () => new DynamoStateStore(fakeDynamo().client, { tableName: 'sg' })],
  ['faulty (pass-through)', () => new FaultyStateStore(new MemoryStateStore(), { faults: [] }, () => 0)],
];

describe.each(stores)('batch reads of the %s state store', (_name, make) => {
  it('reads events in the order asked, with the default for events never written', async () => {
    // Prepare
    const store = make();
    await store.putEvent({ eventId: 'b', shiftMinutes: 15 }, 0);
    await store.putEvent({ eventId: 'd', shiftMinutes: -5 }, 0);
    // Act
    const got = await store.getEvents(['a', 'b', 'c', 'd', 'b']);
    // Assess
    expect(got).toEqual([
      { eventId: 'a', shiftMinutes: 0, version: 0 },
      { eventId: 'b', shiftMinutes: 15, version: 1 },
      { eventId: 'c', shiftMinutes: 0, version: 0 },
      { eventId: 'd', shiftMinutes: -5, version: 1 },
      { eventId: 'b', shiftMinutes: 15, version: 1 },
    ]);
    expect(await store.getEvents([])).toEqual([]);
  });

  it('reads fleets in the order asked, undefined where none was written', async () => {
    const store = make();
    await store.putFleet({ eventId: 'e', fleetId: 'f2', phase: 'live', peakListeners: 7 }, 0);
    const got = await store.getFleets([
      { eventId: 'e', fleetId: 'f1' },
      { eventId: 'e', fleetId: 'f2' },
      { eventId: 'x', fleetId: 'f2' },
    ]);
    expect(got).toEqual([
      undefined,
      { eventId: 'e', fleetId: 'f2', phase: 'live', peakListeners: 7, version: 1 },
      undefined,
    ]);
  });

  it('answers as the single reads do', async () => {
    const store = make();
    const ids = Array.from({ length: 12 }, (_, i) => `e${i}`);
    for (const [i, id] of ids.entries())
      if (i % 3 === 0) await store.putEvent({ eventId: id, shiftMinutes: i }, 0);
    const one = await Promise.all(ids.map((id) => store.getEvent(id)));
    expect(await store.getEvents(ids)).toEqual(one);
  });
});

describe('DynamoStateStore batch reads', () => {
  const setup = () => {
    const db = fakeDynamo();
    return { ...db, store: new DynamoStateStore(db.client, { tableName: 'sg' }) };
  };

  it('reads 250 events in 3 consistent BatchGetItem calls of at most 100 keys, not one call each', async () => {
    // Prepare
    const { store, mock } = setup();
    const ids = Array.from({ length: 250 }, (_, i) => `ev${i}`);
    for (const id of ids.filter((_, i) => i % 2)) await store.putEvent({ eventId: id, shiftMinutes: 1 }, 0);
    // Act
    const got = await store.getEvents(ids);
    // Assess
    const calls = mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!.sg!);
    expect(calls.map((r) => r.Keys!.length)).toEqual([100, 100, 50]);
    expect(calls.every((r) => r.ConsistentRead === true)).toBe(true);
    expect(calls[0]!.Keys![0]).toEqual({ pk: 'EVENT#ev0', sk: 'STATE' });
    expect(mock).toHaveReceivedCommandTimes(GetCommand, 0);
    expect(got.map((e) => e.eventId)).toEqual(ids);
    expect(got.map((e) => e.shiftMinutes)).toEqual(ids.map((_, i) => i % 2));
  });

  it('asks once for a key asked twice (BatchGetItem refuses duplicates)', async () => {
    const { store, mock } = setup();
    await store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 1 }, 0);
    const k = { eventId: 'e', fleetId: 'f' };
    const got = await store.getFleets([k, k]);
    expect(got.map((f) => f?.version)).toEqual([1, 1]);
    expect(mock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.sg!.Keys).toEqual([
      { pk: 'EVENT#e', sk: 'FLEET#f' },
    ]);
  });

  it('asks again for the keys DynamoDB left unprocessed, and only those', async () => {
    const { store, mock, faults } = setup();
    for (const id of ['a', 'b', 'c', 'd']) await store.putEvent({ eventId: id, shiftMinutes: 2 }, 0);
    faults.unprocessedReads = 2;
    const got = await store.getEvents(['a', 'b', 'c', 'd']);
    expect(got.map((e) => e.shiftMinutes)).toEqual([2, 2, 2, 2]);
    const sent = mock
      .commandCalls(BatchGetCommand)
      .map((c) => c.args[0].input.RequestItems!.sg!.Keys!.length);
    expect(sent).toEqual([4, 2, 1]);
  });

  it('fails with a clear error when keys stay unprocessed after every attempt', async () => {
    const { store, faults } = setup();
    faults.unprocessedReads = 100;
    await expect(store.getEvents(['a', 'b'])).rejects.toThrow(/1 key\(s\) still unprocessed by BatchGetItem/);
  });
});
