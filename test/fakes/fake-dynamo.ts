import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

/**
 * A DynamoDB document client whose Get, Put (with the conditions SurgeGuard uses) and Query work on a map, so
 * the real DynamoStateStore runs against it. Throws ConditionalCheckFailedException like DynamoDB does.
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
  mock
    .on(PutCommand)
    .callsFake((input: { Item: Item; ConditionExpression?: string; ExpressionAttributeValues?: Item }) => {
      const k = key(input.Item.pk, input.Item.sk);
      const existing = items.get(k);
      const cond = input.ConditionExpression;
      const ok =
        cond === undefined ||
        (cond === 'attribute_not_exists(pk)' && !existing) ||
        (cond === '#version = :expected' &&
          existing?.version === input.ExpressionAttributeValues?.[':expected']);
      if (!ok) {
        const err = new Error('The conditional request failed');
        err.name = 'ConditionalCheckFailedException';
        throw err;
      }
      items.set(k, structuredClone(input.Item));
      return {};
    });
  mock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Item }) => {
    const pk = input.ExpressionAttributeValues[':pk'];
    const since = String(input.ExpressionAttributeValues[':since']);
    const found = [...items.values()]
      .filter((i) => i.pk === pk && String(i.sk) >= since)
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    return { Items: found.map((i) => structuredClone(i)) };
  });
  return { client, mock, items };
}
