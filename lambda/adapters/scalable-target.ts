import {
  DeleteScheduledActionCommand,
  DescribeScalableTargetsCommand,
  DescribeScheduledActionsCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommandInput,
} from '@aws-sdk/client-application-auto-scaling';
import type { FleetAddress } from '../ports';
import type { BackstopAction } from '../core/backstop';

/** A scheduled action of a scalable target, as the backstop compares them. */
export interface ScheduledFloor {
  readonly name: string;
  /** The schedule expression, `at(yyyy-mm-ddThh:mm:ss)` in UTC for the backstop's. */
  readonly schedule: string;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
}

/** The one-time schedule expression of an instant, in UTC (the scheduled action's default time zone). */
export function atExpression(atMs: number): string {
  return `at(${new Date(atMs).toISOString().slice(0, 19)})`;
}

/** The instant of a one-time schedule expression (see atExpression); NaN for any other schedule. */
export function instantOf(schedule: string): number {
  const at = /^at\((.+)\)$/.exec(schedule)?.[1];
  return at ? Date.parse(`${at}Z`) : NaN;
}

/** The Application Auto Scaling calls the adapter makes. */
export type AppAutoScalingSend = Pick<ApplicationAutoScalingClient, 'send'>;

/** The scalable target's resource id of an ECS service. */
export function ecsResourceId(fleet: FleetAddress): string {
  return `service/${fleet.cluster}/${fleet.service}`;
}

/** An ECS service's scalable target: MinCapacity and MaxCapacity. */
export class ScalableTargetAdapter {
  constructor(private readonly clientFor: (region: string) => AppAutoScalingSend) {}

  /** The target's MinCapacity and MaxCapacity. */
  async read(fleet: FleetAddress): Promise<{ minCapacity: number; maxCapacity: number }> {
    const target = await this.find(fleet);
    if (!target) {
      throw new Error(
        `no scalable target for ${ecsResourceId(fleet)} in ${fleet.region}: register one, or set the fleet's scalingMode to desired-count`,
      );
    }
    return target;
  }

  /** The target's capacity range and whether dynamic scale-out is suspended; undefined when there is none. */
  async find(
    fleet: FleetAddress,
  ): Promise<{ minCapacity: number; maxCapacity: number; scaleOutSuspended: boolean } | undefined> {
    const res = await this.clientFor(fleet.region).send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceIds: [ecsResourceId(fleet)],
      }),
    );
    const target = res?.ScalableTargets?.[0];
    if (!target || target.MinCapacity === undefined || target.MaxCapacity === undefined) return undefined;
    return {
      minCapacity: target.MinCapacity,
      maxCapacity: target.MaxCapacity,
      scaleOutSuspended: target.SuspendedState?.DynamicScalingOutSuspended ?? false,
    };
  }

  /** Writes MinCapacity and MaxCapacity; the target's policies and other settings are left as they are. */
  async write(fleet: FleetAddress, minCapacity: number, maxCapacity: number): Promise<void> {
    await this.register(fleet, { MinCapacity: minCapacity, MaxCapacity: maxCapacity });
  }

  /** Suspends or resumes the target's dynamic scale-out; its range and other suspensions are left as they are. */
  async suspendScaleOut(fleet: FleetAddress, suspended: boolean): Promise<void> {
    await this.register(fleet, { SuspendedState: { DynamicScalingOutSuspended: suspended } });
  }

  /** The target's scheduled actions whose names start with `prefix`, every page. */
  async scheduledActions(fleet: FleetAddress, prefix: string): Promise<ScheduledFloor[]> {
    const out: ScheduledFloor[] = [];
    let token: string | undefined;
    do {
      const res = await this.clientFor(fleet.region).send(
        new DescribeScheduledActionsCommand({
          ServiceNamespace: 'ecs',
          ScalableDimension: 'ecs:service:DesiredCount',
          ResourceId: ecsResourceId(fleet),
          NextToken: token,
        }),
      );
      for (const a of res?.ScheduledActions ?? []) {
        if (!a.ScheduledActionName?.startsWith(prefix)) continue;
        out.push({
          name: a.ScheduledActionName,
          schedule: a.Schedule ?? '',
          minCapacity: a.ScalableTargetAction?.MinCapacity,
          maxCapacity: a.ScalableTargetAction?.MaxCapacity,
        });
      }
      token = res?.NextToken;
    } while (token);
    return out;
  }

  /** Creates or replaces a one-time scheduled action that sets MinCapacity and MaxCapacity at its instant. */
  async putScheduledAction(fleet: FleetAddress, action: BackstopAction): Promise<void> {
    await this.clientFor(fleet.region).send(
      new PutScheduledActionCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: ecsResourceId(fleet),
        ScheduledActionName: action.name,
        Schedule: atExpression(action.atMs),
        ScalableTargetAction: { MinCapacity: action.minCapacity, MaxCapacity: action.maxCapacity },
      }),
    );
  }

  /** Deletes a scheduled action; one already gone counts as deleted. */
  async deleteScheduledAction(fleet: FleetAddress, name: string): Promise<void> {
    try {
      await this.clientFor(fleet.region).send(
        new DeleteScheduledActionCommand({
          ServiceNamespace: 'ecs',
          ScalableDimension: 'ecs:service:DesiredCount',
          ResourceId: ecsResourceId(fleet),
          ScheduledActionName: name,
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ObjectNotFoundException') throw err;
    }
  }

  private async register(
    fleet: FleetAddress,
    fields: Pick<RegisterScalableTargetCommandInput, 'MinCapacity' | 'MaxCapacity' | 'SuspendedState'>,
  ): Promise<void> {
    await this.clientFor(fleet.region).send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: ecsResourceId(fleet),
        ...fields,
      }),
    );
  }
}
