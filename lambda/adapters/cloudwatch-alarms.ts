import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmPort } from '../ports';

/** SurgeGuard's alarms in the ALARM state, found by the stack's name prefix. */
export class CloudWatchAlarms implements AlarmPort {
  constructor(
    private readonly client: Pick<CloudWatchClient, 'send'>,
    private readonly prefix: string,
  ) {}

  async firing(): Promise<{ name: string; reason: string }[]> {
    const out: { name: string; reason: string }[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: this.prefix,
          StateValue: 'ALARM',
          NextToken: token,
        }),
      );
      for (const a of [...(res.MetricAlarms ?? []), ...(res.CompositeAlarms ?? [])]) {
        out.push({ name: a.AlarmName ?? '', reason: a.AlarmDescription ?? a.StateReason ?? '' });
      }
      token = res.NextToken;
    } while (token);
    return out;
  }
}
