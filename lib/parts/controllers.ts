import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SCHEDULE_CORRELATION } from '../../lambda/core/payload';
import type { RuntimeConfig } from '../../lambda/core/runtime-config';
import type { EventSchedule } from '../../lambda/core/schedules';
import { eventSchedules } from '../../lambda/core/schedules';
import type { PlanAnnotationOptions } from '../plan-annotations';
import { annotatePlanWarnings } from '../plan-annotations';
import type { FunctionDefaults } from './function';
import { grantFleetAccess, surgeGuardFunction } from './function';
import { SurgeGuardPart } from './part';
import type { Shield } from './shield';
import type { StateAndAudit } from './state';

/** The names of the three controller functions. */
export type ControllerName = 'prescale' | 'watch' | 'restore';

/** Properties of {@link Controllers}. */
export interface ControllersProps {
  /** The runtime config of this region. */
  readonly runtime: RuntimeConfig;
  /** Where state, audit and dead letters go. */
  readonly state: StateAndAudit;
  /** The shield, when this region holds its web ACL. @default no shield */
  readonly shield?: Shield;
  /** The functions' environment. */
  readonly environment: Record<string, string>;
  /** What every function shares. */
  readonly functionDefaults: FunctionDefaults;
  /** The schedule group's name. */
  readonly scheduleGroupName: string;
  /** The instant schedules are judged against (see SurgeGuardProps.now). @default no instant */
  readonly now?: Date;
  /** How plan warnings show at synth. @default see PlanAnnotationOptions */
  readonly planWarnings?: PlanAnnotationOptions;
}

/**
 * The prescale, watch and restore functions, each with least privilege, and every event's schedules (in one group)
 * that invoke them: prescale at the plan's ramp start, watch every minute through the window, restore after it.
 */
export class Controllers extends SurgeGuardPart {
  /** The controller functions. */
  readonly functions: Readonly<Record<ControllerName, lambda.Function>>;
  /** The schedule group holding every event's schedules. */
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The role the schedules invoke the controllers as. */
  readonly schedulerRole: iam.Role;
  private readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: ControllersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const rc = props.runtime;
    this.deadLetterQueue = props.state.deadLetterQueue;
    // Memory: the watch holds one region's metrics and decides in about a millisecond; 512 MB buys CPU for cold
    // starts (the SDK clients), 256 MB is plenty for the one-shot prescale and restore.
    // Timeouts: the watch ticks for up to 60 s (Scheduler fires once a minute) plus slow AWS calls.
    const specs: Record<ControllerName, { memory: number; timeout: Duration; description: string }> = {
      prescale: {
        memory: 256,
        timeout: Duration.seconds(120),
        description: 'SurgeGuard: record settings and apply the due plan steps',
      },
      watch: {
        memory: 512,
        timeout: Duration.seconds(90),
        description: 'SurgeGuard: watch live events and scale ahead of demand',
      },
      restore: {
        memory: 256,
        timeout: Duration.seconds(120),
        description: 'SurgeGuard: return fleets to their recorded settings',
      },
    };
    const fns = {} as Record<ControllerName, lambda.Function>;
    for (const [name, spec] of Object.entries(specs) as [ControllerName, (typeof specs)[ControllerName]][]) {
      // One controller at a time: state writes are versioned too, but there is nothing to gain from two.
      fns[name] = surgeGuardFunction(this, name, spec, 1, props.environment, props.functionDefaults);
    }
    this.functions = fns;
    const act = { scale: true, metrics: true, waf: true, publish: true, write: true };
    grantFleetAccess(
      this,
      [
        [fns.prescale, { scale: true, metrics: false, waf: false, publish: false, write: true }],
        [fns.watch, act],
        // Restore reads listeners and releases the shield when the last event ends.
        [fns.restore, act],
      ],
      rc.config.fleets,
      props.state,
      props.shield?.webAclArn,
      rc.config.shield?.webAcl.scope,
    );

    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'Schedules', { name: props.scheduleGroupName });
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'SurgeGuard schedules: invoke the controllers, nothing else',
    });
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(this.functions).map((f) => f.functionArn),
      }),
    );
    props.state.deadLetterQueue.grantSendMessages(schedulerRole);
    this.schedulerRole = schedulerRole;
    // Without an instant nothing is judged past (epoch 0), and the start dates are kept.
    const { schedules, past } = eventSchedules(rc, props.now ?? new Date(0));
    // Said on SurgeGuard itself (as `<id>/Fleet-<fleet>`), where users look for them.
    for (const id of past) {
      Annotations.of(scope).addInfo(`event ${id} is over at ${props.now!.toISOString()}: no schedules`);
    }
    annotatePlanWarnings(scope, rc, past, props.planWarnings);
    schedules.forEach((s) => this.addSchedules(s, props.now, schedulerRole));
  }

  private addSchedules(s: EventSchedule, now: Date | undefined, role: iam.Role): void {
    const target = (fn: lambda.Function, input: object) => ({
      arn: fn.functionArn,
      roleArn: role.roleArn,
      input: JSON.stringify({ ...input, ...SCHEDULE_CORRELATION }),
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 300 },
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
    });
    const at = (d: Date) => `at(${d.toISOString().slice(0, 19)})`;
    const isFuture = (d: Date) => now === undefined || d.getTime() > now.getTime();
    const future = (d: Date) => (isFuture(d) ? d.toISOString() : undefined);
    const base = { groupName: this.scheduleGroup.ref, flexibleTimeWindow: { mode: 'OFF' }, state: 'ENABLED' };
    if (isFuture(s.prescaleAt)) {
      new scheduler.CfnSchedule(this, `Prescale-${s.eventId}`, {
        ...base,
        name: `${s.eventId}-prescale`,
        description: `SurgeGuard: pre-scale ${s.eventId} at the plan's ramp start`,
        scheduleExpression: at(s.prescaleAt),
        scheduleExpressionTimezone: 'UTC',
        target: target(this.functions.prescale, { eventId: s.eventId }),
      });
    }
    new scheduler.CfnSchedule(this, `Watch-${s.eventId}`, {
      ...base,
      name: `${s.eventId}-watch`,
      description: `SurgeGuard: watch ${s.eventId} through its window`,
      scheduleExpression: 'rate(1 minute)',
      startDate: future(s.watchFrom),
      endDate: s.watchTo.toISOString(),
      target: target(this.functions.watch, {}),
    });
    new scheduler.CfnSchedule(this, `Restore-${s.eventId}`, {
      ...base,
      name: `${s.eventId}-restore`,
      description: `SurgeGuard: return ${s.eventId}'s fleets to their recorded settings, a step at a time`,
      scheduleExpression: `rate(${s.restoreEveryMinutes} minute${s.restoreEveryMinutes === 1 ? '' : 's'})`,
      startDate: future(s.restoreFrom),
      endDate: s.restoreTo.toISOString(),
      target: target(this.functions.restore, { eventId: s.eventId }),
    });
  }
}
