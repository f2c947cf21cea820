import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

/**
 * A DynamoDB document client whose Get, BatchGet, Put (with the conditions SurgeGuard uses) and Query work on a
 * map, so the real DynamoStateStore runs against it. Throws ConditionalCheckFailedException like DynamoDB does.
 */
export function fakeDynamo() {
  const items = new Map<string, Item>();
  const key = (pk: unknown, sk: unknown) => `${String(pk)}\u0000${String(sk)}`;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(client);
  mock.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
    const item = items.get(key(input.Key.pk, input.Key.sk));
    return { Item: item ? structuredClone(item) : undefined };
  });
  type Put = { Item: Item; ConditionExpression?: string; ExpressionAttributeValues?: Item };
  const passes = (input: Put) => {
    const existing = items.get(key(input.Item.pk, input.Item.sk));
    const cond = input.ConditionExpression;
    return (
      cond === undefined ||
      (cond === 'attribute_not_exists(pk)' && !existing) ||
      (cond === '#version = :expected' &&
        existing?.version === input.ExpressionAttributeValues?.[':expected'])
    );
  };
  /**
   * Failures to inject: audit writes (alone or in a transaction) fail like a DynamoDB 500; the next
   * `unprocessedReads` BatchGet answers leave the larger half of their keys unprocessed, as DynamoDB does when throttled.
   */
  const faults = { auditWrites: false, unprocessedReads: 0 };
  const failAudit = (puts: Put[]) => {
    if (faults.auditWrites && puts.some((p) => String(p.Item.pk).startsWith('AUDIT#')))
      throw Object.assign(new Error('Internal server error'), {
        name: 'InternalServerError',
        $metadata: { httpStatusCode: 500 },
      });
  };
  const write = (input: Put) => items.set(key(input.Item.pk, input.Item.sk), structuredClone(input.Item));
  mock.on(PutCommand).callsFake((input: Put) => {
    failAudit([input]);
    if (!passes(input)) {
      const err = new Error('The conditional request failed');
      err.name = 'ConditionalCheckFailedException';
      throw err;
    }
    write(input);
    return {};
  });
  // All or nothing, with a reason per item like DynamoDB's TransactionCanceledException.
  mock.on(TransactWriteCommand).callsFake((input: { TransactItems: { Put: Put }[] }) => {
    failAudit(input.TransactItems.map((t) => t.Put));
    const reasons = input.TransactItems.map((t) => ({
      Code: passes(t.Put) ? 'None' : 'ConditionalCheckFailed',
    }));
    if (reasons.some((r) => r.Code !== 'None')) {
      const err = Object.assign(new Error('Transaction cancelled'), { CancellationReasons: reasons });
      err.name = 'TransactionCanceledException';
      throw err;
    }
    for (const t of input.TransactItems) write(t.Put);
    return {};
  });
  type Key = { pk: string; sk: string };
  mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Key[] }> }) => {
    const Responses: Record<string, Item[]> = {};
    const UnprocessedKeys: Record<string, { Keys: Key[]; ConsistentRead?: boolean }> = {};
    for (const [table, request] of Object.entries(input.RequestItems)) {
      if (request.Keys.length > 100) throw new Error('Too many items requested for the BatchGetItem call');
      if (new Set(request.Keys.map((k) => key(k.pk, k.sk))).size !== request.Keys.length)
        throw new Error('Provided list of item keys contains duplicates');
      let keys = request.Keys;
      if (faults.unprocessedReads > 0) {
        faults.unprocessedReads--;
        const half = Math.floor(keys.length / 2);
        UnprocessedKeys[table] = { ...request, Keys: keys.slice(half) };
        keys = keys.slice(0, half);
      }
      // DynamoDB answers in no particular order: reverse, so callers cannot rely on it.
      Responses[table] = keys
        .map((k) => items.get(key(k.pk, k.sk)))
        .filter((i): i is Item => i !== undefined)
        .map((i) => structuredClone(i))
        .reverse();
    }
    return { Responses, UnprocessedKeys };
  });
  mock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Item }) => {
    const pk = input.ExpressionAttributeValues[':pk'];
    const since = String(input.ExpressionAttributeValues[':since']);
    const found = [...items.values()]
      .filter((i) => i.pk === pk && String(i.sk) >= since)
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    return { Items: found.map((i) => structuredClone(i)) };
  });
  return { client, mock, items, faults };
}
