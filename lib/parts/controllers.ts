import { Annotations, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import type { RuntimeConfig } from '../../lambda/core/runtime-config';
import { SCHEDULE_CORRELATION } from '../../lambda/core/payload';
import { eventSchedules } from '../../lambda/core/schedules';
import type { PlanAnnotationOptions } from '../plan-annotations';
import { annotatePlanWarnings } from '../plan-annotations';
import type { FunctionDefaults } from './function';
import { grantFleetAccess, grantPassRoleTo, invokeOnlyRole, surgeGuardFunction } from './function';
import type { ConfigDocument } from './document';
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
  /** The published document; the watch schedule starts once it is written. @default none */
  readonly document?: ConfigDocument;
  /** The instant past events are judged against (see SurgeGuardProps.now). @default no instant */
  readonly now?: Date;
  /** How plan warnings show at synth. @default see PlanAnnotationOptions */
  readonly planWarnings?: PlanAnnotationOptions;
}

/**
 * The prescale, watch and restore functions, each with least privilege; the region's schedule group with its one
 * watch schedule (every minute). Prescale and restore schedules are not in the template: the watch makes them in
 * the group from the published plan, and they delete themselves once done.
 */
export class Controllers extends SurgeGuardPart {
  /** The controller functions. */
  readonly functions: Readonly<Record<ControllerName, lambda.Function>>;
  /** The schedule group: the watch schedule, and the prescale and restore schedules the watch makes. */
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The role the schedules invoke the controllers as. */
  readonly schedulerRole: iam.Role;
  /** The environment a function needs to make the schedules itself. */
  readonly schedulesEnvironment: Readonly<Record<string, string>>;
  /** The region's one watch schedule. */
  readonly watchSchedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ControllersProps) {
    super(scope, id);
    const rc = props.runtime;
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
    const act = { scale: true, metrics: true, waf: true, publish: true, write: true, backstop: true };
    grantFleetAccess(
      this,
      [
        [
          fns.prescale,
          { scale: true, metrics: false, waf: false, publish: false, write: true, backstop: false },
        ],
        [fns.watch, { ...act, drain: true }],
        // Restore reads listeners and releases the shield when the last event ends.
        [fns.restore, act],
      ],
      rc.config.fleets,
      props.state,
      props.shield?.webAclArn,
      rc.config.shield?.webAcl.scope,
    );

    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'Schedules', { name: props.scheduleGroupName });
    const schedulerRole = invokeOnlyRole(
      this,
      'SchedulerRole',
      'scheduler.amazonaws.com',
      'SurgeGuard schedules: invoke the controllers, nothing else',
      Object.values(this.functions),
    );
    props.state.deadLetterQueue.grantSendMessages(schedulerRole);
    this.schedulerRole = schedulerRole;
    // Said on SurgeGuard itself (as `<id>/Fleet-<fleet>`), where users look for them.
    const past = props.now ? eventSchedules(rc, props.now).past : [];
    for (const id of past) {
      Annotations.of(scope).addInfo(
        `event ${id} is over at ${props.now!.toISOString()}: nothing is scheduled`,
      );
    }
    annotatePlanWarnings(scope, rc, past, props.planWarnings);

    // One watch loop per region, whatever the events: every minute it reads the published document, syncs the
    // prescale and restore schedules with it, and watches the live events (with none near it returns at once).
    this.watchSchedule = new scheduler.Schedule(this, 'WatchEveryMinute', {
      scheduleGroup: scheduler.ScheduleGroup.fromScheduleGroupName(this, 'Group', this.scheduleGroup.ref),
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      description: 'SurgeGuard: the watch loop of this region (published events, schedules, live fleets)',
      target: new targets.LambdaInvoke(fns.watch, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULE_CORRELATION),
        deadLetterQueue: props.state.deadLetterQueue,
        retryAttempts: 0,
        // A missed minute is the next minute's work: no late retries piling onto a reserved concurrency of 1.
        maxEventAge: Duration.minutes(1),
      }),
    });
    if (props.document) this.watchSchedule.node.addDependency(props.document.deployment);

    // The watch and the runbook's shift make prescale and restore schedules through the Scheduler API.
    const schedulesEnv = {
      SURGEGUARD_SCHEDULE_GROUP: props.scheduleGroupName,
      SURGEGUARD_PRESCALE_ARN: fns.prescale.functionArn,
      SURGEGUARD_RESTORE_ARN: fns.restore.functionArn,
      SURGEGUARD_SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
      SURGEGUARD_DEAD_LETTER_ARN: props.state.deadLetterQueue.queueArn,
    };
    this.schedulesEnvironment = schedulesEnv;
    for (const [k, v] of Object.entries(schedulesEnv)) fns.watch.addEnvironment(k, v);
    this.grantScheduleSync(fns.watch);
  }

  /** Lets `grantee` list the group's schedules and read one. */
  grantScheduleRead(grantee: iam.IGrantable): iam.Grant {
    // ListSchedules has no resource-level permissions.
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:ListSchedules'],
      resourceArns: ['*'],
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['scheduler:GetSchedule'],
        resourceArns: [this.scheduleArns()],
      }),
    );
  }

  /** Lets `grantee` create and delete the group's schedules, passing the schedules' role to Scheduler only. */
  grantScheduleSync(grantee: iam.IGrantable): iam.Grant {
    return this.grantScheduleRead(grantee)
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
          resourceArns: [this.scheduleArns()],
        }),
      )
      .combine(grantPassRoleTo(grantee, this.schedulerRole, 'scheduler.amazonaws.com'));
  }

  private scheduleArns(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.name!}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
