import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Datapoint } from '../core/series';
import type { MetricQuery, MetricSource } from '../ports';

/** The one CloudWatch call the adapter makes. */
export type CloudWatchSend = Pick<CloudWatchClient, 'send'>;

/** GetMetricData takes at most this many queries in one call. */
export const MAX_QUERIES_PER_CALL = 500;

/** Reads metrics with GetMetricData: every fleet's queries of a region in one call (pages followed). */
export class CloudWatchMetricSource implements MetricSource {
  constructor(private readonly clientFor: (region: string) => CloudWatchSend) {}

  async fetch(
    region: string,
    queries: readonly MetricQuery[],
    startMs: number,
    endMs: number,
  ): Promise<Map<string, Datapoint[]>> {
    if (queries.length > MAX_QUERIES_PER_CALL) {
      throw new RangeError(
        `${queries.length} metric queries in ${region}; GetMetricData takes at most ${MAX_QUERIES_PER_CALL}`,
      );
    }
    const client = this.clientFor(region);
    const out = new Map<string, Datapoint[]>(queries.map((q) => [q.id, []]));
    const metricDataQueries: MetricDataQuery[] = queries.map((q) => ({
      Id: q.id,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: q.namespace,
          MetricName: q.metricName,
          Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: q.periodSeconds,
        Stat: q.stat,
      },
    }));
    let nextToken: string | undefined;
    do {
      const res = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: metricDataQueries,
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          ScanBy: 'TimestampAscending',
          NextToken: nextToken,
        }),
      );
      for (const r of res.MetricDataResults ?? []) {
        const series = out.get(r.Id ?? '');
        if (!series) continue;
        const ts = r.Timestamps ?? [];
        const vs = r.Values ?? [];
        ts.forEach((t, i) => series.push({ t: new Date(t).getTime(), v: vs[i] ?? Number.NaN }));
      }
      nextToken = res.NextToken;
    } while (nextToken);
    for (const series of out.values()) series.sort((a, b) => a.t - b.t);
    return out;
  }
}
