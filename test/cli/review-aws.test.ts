import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../bin/cli/main';
import type { Review } from '../../sim/review';

const EVENT = 'eu-town-hall-2027-03';
const START = Date.parse('2027-03-04T18:00:00Z');

describe('surgeguard review --table (the deployed event, over DynamoDB and CloudWatch)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const cw = mockClient(CloudWatchClient);
  afterEach(() => {
    ddb.reset();
    cw.reset();
  });

  it("reads the event's audit trail and its fleets' metrics over the watch window", async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          pk: `AUDIT#${EVENT}`,
          sk: 'x',
          atMs: START + 5 * 60_000,
          eventId: EVENT,
          actor: 'controller',
          kind: 'shield',
          action: 'verdict:flash-crowd',
          reason: 'capacity errors',
          decision: { desired: 'disarmed', evidence: [] },
          result: 'ok',
        },
      ],
    });
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        Timestamps: q.Id!.endsWith('joinErrorsCapacity') ? [new Date(START + 6 * 60_000)] : [],
        Values: q.Id!.endsWith('joinErrorsCapacity') ? [12] : [],
        StatusCode: 'Complete',
      })),
    }));
    const out = join(mkdtempSync(join(tmpdir(), 'sg-review-')), 'pack');
    const lines: string[] = [];
    const code = await main(
      [
        'node',
        'surgeguard',
        'review',
        '--event',
        EVENT,
        '--table',
        'sg-table',
        '--region',
        'eu-west-1',
        '--out',
        out,
      ],
      { out: (s) => lines.push(s), err: (s) => lines.push(s) },
    );
    expect(lines.join('\n')).toContain('attack: no attack signature was seen; the failures were capacity');
    expect(code).toBe(0);
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query.TableName).toBe('sg-table');
    expect(query.ExpressionAttributeValues![':pk']).toBe(`AUDIT#${EVENT}`);
    const get = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    // The watch window: it opens before doors open and closes after the event.
    expect(get.StartTime!.getTime()).toBeLessThan(START);
    expect(get.EndTime!.getTime()).toBeGreaterThan(START + 90 * 60_000);
    expect(get.MetricDataQueries!.map((q) => q.Id)).toContain('f0_joinErrorsCapacity');
    const review = JSON.parse(readFileSync(join(out, 'review.json'), 'utf8')) as Review;
    expect(review.joins).toEqual([
      { fleetId: 'sfu-euw1', requests: 0, successes: 0, capacityErrors: 12, authErrors: 0 },
    ]);
    expect(review.shortage?.minutes).toBe(1);
  });

  it('needs a region for the table', async () => {
    const errs: string[] = [];
    const env = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      const code = await main(['node', 'surgeguard', 'review', '--event', EVENT, '--table', 't'], {
        out: () => undefined,
        err: (s) => errs.push(s),
      });
      expect(code).toBe(2);
      expect(errs.join('')).toContain('--table needs --region (or AWS_REGION)');
    } finally {
      if (env !== undefined) process.env.AWS_REGION = env;
    }
  });
});
