import {
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { FleetAddress } from '../ports';
import type { RetryOptions } from './retry';
import { withRetry } from './retry';

/** The Application Auto Scaling calls the adapter makes. */
export type AppAutoScalingSend = Pick<ApplicationAutoScalingClient, 'send'>;

/** The scalable target's resource id of an ECS service. */
export function ecsResourceId(fleet: FleetAddress): string {
  return `service/${fleet.cluster}/${fleet.service}`;
}

/** An ECS service's scalable target: MinCapacity and MaxCapacity. */
export class ScalableTargetAdapter {
  constructor(
    private readonly clientFor: (region: string) => AppAutoScalingSend,
    private readonly retry: RetryOptions,
  ) {}

  /** The target's MinCapacity and MaxCapacity. */
  async read(fleet: FleetAddress): Promise<{ minCapacity: number; maxCapacity: number }> {
    const res = await withRetry(
      () =>
        this.clientFor(fleet.region).send(
          new DescribeScalableTargetsCommand({
            ServiceNamespace: 'ecs',
            ScalableDimension: 'ecs:service:DesiredCount',
            ResourceIds: [ecsResourceId(fleet)],
          }),
        ),
      this.retry,
    );
    const target = res.ScalableTargets?.[0];
    if (!target || target.MinCapacity === undefined || target.MaxCapacity === undefined) {
      throw new Error(
        `no scalable target for ${ecsResourceId(fleet)} in ${fleet.region}: register one, or set the fleet's scalingMode to desired-count`,
      );
    }
    return { minCapacity: target.MinCapacity, maxCapacity: target.MaxCapacity };
  }

  /** Writes MinCapacity and MaxCapacity; the target's policies and other settings are left as they are. */
  async write(fleet: FleetAddress, minCapacity: number, maxCapacity: number): Promise<void> {
    await withRetry(
      () =>
        this.clientFor(fleet.region).send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: 'ecs',
            ScalableDimension: 'ecs:service:DesiredCount',
            ResourceId: ecsResourceId(fleet),
            MinCapacity: minCapacity,
            MaxCapacity: maxCapacity,
          }),
        ),
      this.retry,
    );
  }
}
