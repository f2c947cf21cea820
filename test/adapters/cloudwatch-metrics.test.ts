import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metrics';
import { metricQueries } from '../../lambda/controller/metric-queries';
import { configSchema } from '../../lambda/core/config/schema';
import type { MetricQuery } from '../../lambda/ports';

const metrics = {
  namespace: 'Spaces/SFU',
  dimensions: { Fleet: 'x' },
  periodSeconds: 20,
  listeners: { metricName: 'ConcurrentListeners' },
  joinRequests: { metricName: 'JoinRequests' },
  joinSuccesses: { metricName: 'JoinSuccesses' },
  joinErrorsCapacity: { metricName: 'JoinErrors', dimensions: { ErrorClass: 'capacity' } },
  joinErrorsAuth: {
    metricName: 'JoinErrors',
    namespace: 'Other',
    dimensions: { ErrorClass: 'auth' },
    stat: 'Average' as const,
  },
};
const fleets = configSchema.shape.fleets.parse(
  ['a', 'b'].map((id) => ({
    id,
    region: 'us-east-1',
    cluster: 'c',
    service: id,
    baselineTasks: 1,
    maxTasks: 10,
    vcpuPerTask: 4,
    startupSeconds: 60,
    scalingTest: 'x.csv',
    metrics: { ...metrics, dimensions: { Fleet: id } },
  })),
);

describe('metricQueries', () => {
  it("reads the tasks' CPU when the fleet names it: its own namespace and dimensions, averaged", () => {
    // Prepare
    const [withCpu] = configSchema.shape.fleets.parse([
      {
        ...fleets[0]!,
        metrics: {
          ...metrics,
          cpu: {
            namespace: 'AWS/ECS',
            metricName: 'CPUUtilization',
            dimensions: { ClusterName: 'c', ServiceName: 'a' },
          },
        },
      },
    ]);
    // Act
    const queries = metricQueries([withCpu!]);
    // Assess
    expect(queries.find((q) => q.id === 'f0_cpu')).toEqual({
      id: 'f0_cpu',
      namespace: 'AWS/ECS',
      metricName: 'CPUUtilization',
      dimensions: { ClusterName: 'c', ServiceName: 'a' },
      stat: 'Average',
      periodSeconds: 20,
    });
    expect(metricQueries(fleets).some((q) => q.id.endsWith('_cpu'))).toBe(false);
  });
});

describe('CloudWatchMetricSource', () => {
  const cw = mockClient(CloudWatchClient);
  beforeEach(() => cw.reset());

  it('reads every fleet of a region in one GetMetricData call with ids, stats and periods', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'f0_listeners', Timestamps: [new Date(2000), new Date(1000)], Values: [20, 10] },
      ],
    });
    const source = new CloudWatchMetricSource(() => new CloudWatchClient({ region: 'us-east-1' }));
    // Act
    const data = await source.fetch('us-east-1', metricQueries(fleets), 0, 5000);
    // Assess
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries).toHaveLength(10);
    expect(input).toMatchObject({
      StartTime: new Date(0),
      EndTime: new Date(5000),
      ScanBy: 'TimestampAscending',
    });
    expect(input.MetricDataQueries).toContainEqual({
      Id: 'f1_joinErrorsCapacity',
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'Spaces/SFU',
          MetricName: 'JoinErrors',
          Dimensions: [
            { Name: 'Fleet', Value: 'b' },
            { Name: 'ErrorClass', Value: 'capacity' },
          ],
        },
        Period: 20,
        Stat: 'Sum',
      },
    });
    expect(input.MetricDataQueries).toContainEqual(
      expect.objectContaining({
        Id: 'f0_listeners',
        MetricStat: expect.objectContaining({ Stat: 'Maximum' }),
      }),
    );
    expect(input.MetricDataQueries).toContainEqual(
      expect.objectContaining({
        Id: 'f0_joinErrorsAuth',
        MetricStat: expect.objectContaining({
          Stat: 'Average',
          Metric: expect.objectContaining({ Namespace: 'Other' }),
        }),
      }),
    );
    expect(data.get('f0_listeners')).toEqual([
      { t: 1000, v: 10 },
      { t: 2000, v: 20 },
    ]);
    expect(data.get('f1_listeners')).toEqual([]);
  });

  it('follows NextToken pages', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'f0_listeners', Timestamps: [new Date(1000)], Values: [1] }],
        NextToken: 'p2',
      })
      .resolvesOnce({
        MetricDataResults: [{ Id: 'f0_listeners', Timestamps: [new Date(2000)], Values: [2] }],
      });
    const source = new CloudWatchMetricSource(() => new CloudWatchClient({ region: 'us-east-1' }));
    const data = await source.fetch('us-east-1', metricQueries(fleets), 0, 5000);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cw.commandCalls(GetMetricDataCommand)[1]!.args[0].input.NextToken).toBe('p2');
    expect(data.get('f0_listeners')?.map((p) => p.v)).toEqual([1, 2]);
  });

  it('does not retry a client error', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('bad'), {
        name: 'InvalidParameterValueException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const source = new CloudWatchMetricSource(() => new CloudWatchClient({ region: 'us-east-1' }));
    await expect(source.fetch('us-east-1', metricQueries(fleets), 0, 1)).rejects.toThrow('bad');
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
  });

  describe('more queries than one call takes', () => {
    /** 1,200 queries, each answered with one datapoint whose value is its index. */
    const many: MetricQuery[] = Array.from({ length: 1200 }, (_, i) => ({
      id: `q${i}`,
      namespace: 'Spaces/SFU',
      metricName: 'Listeners',
      dimensions: { Fleet: `f${i}` },
      stat: 'Maximum',
      periodSeconds: 20,
    }));
    const answer = (input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        Timestamps: [new Date(1000)],
        Values: [Number(q.Id!.slice(1))],
      })),
    });
    const source = () => new CloudWatchMetricSource(() => new CloudWatchClient({ region: 'us-east-1' }));

    it('splits 1,200 queries into 3 calls of at most 500 and merges the answers', async () => {
      // Prepare
      cw.on(GetMetricDataCommand).callsFake(answer);
      // Act
      const data = await source().fetch('us-east-1', many, 0, 5000);
      // Assess
      const sizes = cw
        .commandCalls(GetMetricDataCommand)
        .map((c) => c.args[0].input.MetricDataQueries?.length);
      expect(sizes).toEqual([500, 500, 200]);
      const sent = cw
        .commandCalls(GetMetricDataCommand)
        .flatMap((c) => c.args[0].input.MetricDataQueries!.map((q) => q.Id));
      expect(new Set(sent).size).toBe(1200);
      expect(data.size).toBe(1200);
      expect(many.every((q, i) => data.get(q.id)?.[0]?.v === i)).toBe(true);
    });

    it('follows NextToken within a chunk, sending the same chunk again', async () => {
      cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
        const first = input.MetricDataQueries![0]!.Id;
        // The second chunk answers in two pages: half of its points on each.
        if (first === 'q500' && !input.NextToken)
          return {
            MetricDataResults: [{ Id: 'q500', Timestamps: [new Date(3000)], Values: [-1] }],
            NextToken: 'p2',
          };
        return answer(input);
      });
      const data = await source().fetch('us-east-1', many, 0, 5000);
      const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
      expect(calls).toHaveLength(4);
      const paged = calls.find((c) => c.NextToken === 'p2');
      expect(paged?.MetricDataQueries?.[0]?.Id).toBe('q500');
      expect(paged?.MetricDataQueries).toHaveLength(500);
      expect(data.get('q500')).toEqual([
        { t: 1000, v: 500 },
        { t: 3000, v: -1 },
      ]);
    });

    it('fails the whole fetch (the region) when one chunk fails', async () => {
      cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
        if (input.MetricDataQueries![0]!.Id === 'q1000')
          throw Object.assign(new Error('bad query'), {
            name: 'InvalidParameterValueException',
            $metadata: { httpStatusCode: 400 },
          });
        return answer(input);
      });
      await expect(source().fetch('us-east-1', many, 0, 5000)).rejects.toThrow('bad query');
    });

    it('refuses ids that repeat, since the chunks would merge them', async () => {
      await expect(source().fetch('us-east-1', [many[0]!, many[1]!, many[0]!], 0, 1)).rejects.toThrow(
        /q0.*more than once/,
      );
      expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
    });
  });
});
