import { GetScheduleCommand, ListSchedulesCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import type {
  GetScheduleCommandOutput,
  SchedulerClient,
  UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import type { EventScheduleTimes, ScheduleInfo, SchedulePort } from '../ports';

/** The EventBridge Scheduler calls the adapter makes. */
export type SchedulerSend = Pick<SchedulerClient, 'send'>;

const at = (d: Date) => `at(${d.toISOString().slice(0, 19)})`;

/**
 * An event's schedules in the stack's schedule group, named `<event>-prescale|watch|restore`. Moving rewrites each
 * schedule whole (UpdateSchedule replaces the definition) with new times only; if one update fails, the ones
 * already moved are put back, so the schedules never disagree with each other.
 */
export class EventBridgeSchedules implements SchedulePort {
  constructor(
    private readonly client: SchedulerSend,
    private readonly groupName: string,
  ) {}

  async list(eventId: string): Promise<ScheduleInfo[]> {
    const res = await this.client.send(
      new ListSchedulesCommand({ GroupName: this.groupName, NamePrefix: `${eventId}-` }),
    );
    const out: ScheduleInfo[] = [];
    for (const s of res.Schedules ?? []) {
      const full = await this.get(s.Name!);
      if (!full) continue;
      out.push({
        name: full.Name!,
        expression: full.ScheduleExpression ?? '',
        startDate: full.StartDate?.toISOString(),
        endDate: full.EndDate?.toISOString(),
        state: full.State ?? 'UNKNOWN',
      });
    }
    return out;
  }

  async move(eventId: string, times: EventScheduleTimes): Promise<string[]> {
    const plans: [string, (s: GetScheduleCommandOutput) => Partial<UpdateScheduleCommandInput>][] = [
      [`${eventId}-prescale`, () => ({ ScheduleExpression: at(times.prescaleAt) })],
      [`${eventId}-watch`, () => ({ StartDate: times.watchFrom, EndDate: times.watchTo })],
      [`${eventId}-restore`, () => ({ StartDate: times.restoreFrom, EndDate: times.restoreTo })],
    ];
    const done: GetScheduleCommandOutput[] = [];
    const moved: string[] = [];
    try {
      for (const [name, change] of plans) {
        const current = await this.get(name);
        if (!current) continue; // a past prescale has no schedule
        await this.update({ ...this.inputOf(current), ...change(current) });
        done.push(current);
        moved.push(name);
      }
    } catch (err) {
      for (const previous of done.reverse()) await this.update(this.inputOf(previous)).catch(() => undefined);
      throw err;
    }
    return moved;
  }

  private async get(name: string): Promise<GetScheduleCommandOutput | undefined> {
    try {
      return await this.client.send(new GetScheduleCommand({ Name: name, GroupName: this.groupName }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }

  private inputOf(s: GetScheduleCommandOutput): UpdateScheduleCommandInput {
    return {
      Name: s.Name,
      GroupName: s.GroupName ?? this.groupName,
      ScheduleExpression: s.ScheduleExpression,
      ScheduleExpressionTimezone: s.ScheduleExpressionTimezone,
      StartDate: s.StartDate,
      EndDate: s.EndDate,
      Description: s.Description,
      State: s.State,
      KmsKeyArn: s.KmsKeyArn,
      FlexibleTimeWindow: s.FlexibleTimeWindow,
      Target: s.Target,
      ActionAfterCompletion: s.ActionAfterCompletion,
    };
  }

  private async update(input: UpdateScheduleCommandInput): Promise<void> {
    await this.client.send(new UpdateScheduleCommand(input));
  }
}
