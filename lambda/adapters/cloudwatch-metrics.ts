import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Datapoint } from '../core/series';
import type { MetricQuery, MetricSource } from '../ports';

/** The one CloudWatch call the adapter makes. */
export type CloudWatchSend = Pick<CloudWatchClient, 'send'>;

/** GetMetricData takes at most this many queries in one call. */
export const MAX_QUERIES_PER_CALL = 500;

/**
 * Reads metrics with GetMetricData: a region's queries in calls of at most {@link MAX_QUERIES_PER_CALL} (sent
 * together, each following its NextToken pages), merged into one answer. Any call that fails fails the fetch, so
 * a region has all its data or none.
 */
export class CloudWatchMetricSource implements MetricSource {
  constructor(private readonly clientFor: (region: string) => CloudWatchSend) {}

  async fetch(
    region: string,
    queries: readonly MetricQuery[],
    startMs: number,
    endMs: number,
  ): Promise<Map<string, Datapoint[]>> {
    const out = new Map<string, Datapoint[]>();
    for (const q of queries) {
      // Ids are unique within one call only by CloudWatch's check; across calls a repeat would merge two series.
      if (out.has(q.id)) throw new RangeError(`metric query id ${q.id} appears more than once in ${region}`);
      out.set(q.id, []);
    }
    const client = this.clientFor(region);
    const chunks: MetricDataQuery[][] = [];
    for (let i = 0; i < queries.length; i += MAX_QUERIES_PER_CALL) {
      chunks.push(queries.slice(i, i + MAX_QUERIES_PER_CALL).map(toMetricDataQuery));
    }
    await Promise.all(chunks.map((chunk) => this.readChunk(client, chunk, startMs, endMs, out)));
    for (const series of out.values()) series.sort((a, b) => a.t - b.t);
    return out;
  }

  /** One call's worth of queries, every page of it, appended to `out`. */
  private async readChunk(
    client: CloudWatchSend,
    metricDataQueries: MetricDataQuery[],
    startMs: number,
    endMs: number,
    out: Map<string, Datapoint[]>,
  ): Promise<void> {
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
  }
}

function toMetricDataQuery(q: MetricQuery): MetricDataQuery {
  return {
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
  };
}
