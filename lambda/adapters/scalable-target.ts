import {
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommandInput,
} from '@aws-sdk/client-application-auto-scaling';
import type { FleetAddress } from '../ports';

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
