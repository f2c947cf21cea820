import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { FleetAddress, ServiceCounts } from '../ports';

/** The ECS calls the adapter makes. */
export type EcsSend = Pick<ECSClient, 'send'>;

/** DescribeServices takes at most this many services of one cluster. */
const SERVICES_PER_CALL = 10;

/** ECS services: task counts (DescribeServices) and desiredCount (UpdateService). */
export class EcsServiceAdapter {
  constructor(private readonly clientFor: (region: string) => EcsSend) {}

  /** Counts of every fleet's service, batched by region and cluster. */
  async counts(fleets: readonly FleetAddress[]): Promise<Map<string, ServiceCounts>> {
    const groups = new Map<string, FleetAddress[]>();
    for (const f of fleets) {
      const key = `${f.region}\u0000${f.cluster}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const out = new Map<string, ServiceCounts>();
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += SERVICES_PER_CALL) {
        const batch = group.slice(i, i + SERVICES_PER_CALL);
        const first = batch[0] as FleetAddress;
        const res = await this.clientFor(first.region).send(
          new DescribeServicesCommand({ cluster: first.cluster, services: batch.map((f) => f.service) }),
        );
        for (const f of batch) {
          const svc = res.services?.find(
            (s) => s.serviceName === f.service || s.serviceArn?.endsWith(`/${f.service}`),
          );
          if (svc) {
            out.set(f.fleetId, {
              running: svc.runningCount ?? 0,
              pending: svc.pendingCount ?? 0,
              desired: svc.desiredCount ?? 0,
            });
          }
        }
      }
    }
    return out;
  }

  /** The service's desiredCount. */
  async desired(fleet: FleetAddress): Promise<number> {
    const counts = await this.counts([fleet]);
    const c = counts.get(fleet.fleetId);
    if (!c)
      throw new Error(`ECS service ${fleet.service} not found in cluster ${fleet.cluster} (${fleet.region})`);
    return c.desired;
  }

  /** Sets desiredCount; the caller has checked it differs. */
  async setDesired(fleet: FleetAddress, desiredCount: number): Promise<void> {
    await this.clientFor(fleet.region).send(
      new UpdateServiceCommand({ cluster: fleet.cluster, service: fleet.service, desiredCount }),
    );
  }
}
