import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
} from '@aws-sdk/client-scheduler';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ScheduleSpec } from '../core/schedules';
import { scheduleEvent } from '../core/schedules';
import type { ScheduleInfo, SchedulePort, ScheduleSync } from '../ports';

/** The EventBridge Scheduler calls the adapter makes. */
export type SchedulerSend = Pick<SchedulerClient, 'send'>;

/** What the schedules invoke, and as whom. */
export interface ScheduleTargets {
  /** The prescale and restore functions' ARNs. */
  readonly prescaleArn: string;
  readonly restoreArn: string;
  /** The role Scheduler assumes to invoke them. */
  readonly roleArn: string;
  /** Where undeliverable invocations go. */
  readonly deadLetterArn?: string;
  /** Extra fields for every target's input (the Scheduler execution id as a correlation id). */
  readonly input?: Record<string, string>;
}

/** Creations and deletions one sync makes at most: Scheduler allows tens per second; the watch has a tick to keep. */
export const MAX_CHANGES_PER_SYNC = 40;

/**
 * SurgeGuard's schedules in the stack's schedule group. Names carry a digest of their times, so a sync needs only
 * the names: it creates the missing ones first, then deletes the ones no longer wanted (an event moved, removed or
 * over). Schedules delete themselves once done (ActionAfterCompletion DELETE).
 */
export class EventBridgeSchedules implements SchedulePort {
  constructor(
    private readonly client: SchedulerSend,
    private readonly groupName: string,
    private readonly target?: ScheduleTargets,
  ) {}

  get targets(): string {
    const t = this.target;
    return t ? `${t.prescaleArn}|${t.restoreArn}|${t.roleArn}` : '';
  }

  async list(eventId: string): Promise<ScheduleInfo[]> {
    const names = (await this.names(`${eventId}-`)).filter((n) => scheduleEvent(n) === eventId);
    const out: ScheduleInfo[] = [];
    for (const name of names) {
      const full = await this.client
        .send(new GetScheduleCommand({ Name: name, GroupName: this.groupName }))
        .catch((err: { name?: string }) => {
          if (err.name === 'ResourceNotFoundException') return undefined;
          throw err;
        });
      if (!full) continue;
      out.push({
        name,
        expression: full.ScheduleExpression ?? '',
        startDate: full.StartDate?.toISOString(),
        endDate: full.EndDate?.toISOString(),
        state: full.State ?? 'UNKNOWN',
      });
    }
    return out;
  }

  async sync(desired: readonly ScheduleSpec[], onlyEvent?: string): Promise<ScheduleSync> {
    if (!this.target) throw new Error('schedules: this function was deployed without schedule targets');
    const wanted = desired.filter((d) => onlyEvent === undefined || d.eventId === onlyEvent);
    const existing = new Set(
      (await this.names(onlyEvent ? `${onlyEvent}-` : undefined)).filter((n) => {
        const event = scheduleEvent(n);
        return event !== undefined && (onlyEvent === undefined || event === onlyEvent);
      }),
    );
    const wantedNames = new Set(wanted.map((d) => d.name));
    // Soonest first, so a bounded sync never leaves a near event for the next one.
    const toCreate = wanted.filter((d) => !existing.has(d.name)).sort((a, b) => a.firstRunMs - b.firstRunMs);
    const toDelete = [...existing].filter((n) => !wantedNames.has(n));
    const created: string[] = [];
    const deleted: string[] = [];
    let budget = MAX_CHANGES_PER_SYNC;
    for (const spec of toCreate) {
      if (budget-- <= 0) break;
      await this.create(spec);
      created.push(spec.name);
    }
    for (const name of toDelete) {
      if (budget-- <= 0) break;
      await this.client
        .send(new DeleteScheduleCommand({ Name: name, GroupName: this.groupName }))
        .catch((err: { name?: string }) => {
          // Already gone: a one-time schedule deletes itself once it has run.
          if (err.name !== 'ResourceNotFoundException') throw err;
        });
      deleted.push(name);
    }
    return {
      created,
      deleted,
      remaining: toCreate.length + toDelete.length - created.length - deleted.length,
    };
  }

  private async create(spec: ScheduleSpec): Promise<void> {
    const t = this.target!;
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: spec.name,
          GroupName: this.groupName,
          Description: spec.description,
          ScheduleExpression: spec.expression,
          ScheduleExpressionTimezone: 'UTC',
          StartDate: spec.startDate,
          EndDate: spec.endDate,
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: spec.kind === 'prescale' ? t.prescaleArn : t.restoreArn,
            RoleArn: t.roleArn,
            Input: JSON.stringify({ eventId: spec.eventId, ...t.input }),
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 },
            DeadLetterConfig: t.deadLetterArn ? { Arn: t.deadLetterArn } : undefined,
          },
        }),
      );
    } catch (err) {
      // Made by an earlier sync that did not hear back: the name says it holds these very times.
      if ((err as { name?: string }).name !== 'ConflictException') throw err;
    }
  }

  private async names(prefix?: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListSchedulesCommand({ GroupName: this.groupName, NamePrefix: prefix, NextToken: token }),
      );
      for (const s of res.Schedules ?? []) if (s.Name) out.push(s.Name);
      token = res.NextToken;
    } while (token);
    return out;
  }
}
