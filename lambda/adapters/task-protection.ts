import { GetTaskProtectionCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { DrainGuard, FleetAddress } from '../ports';
import type { EcsSend } from './ecs-service';

/** Running tasks sampled per check: GetTaskProtection takes at most 10 tasks a call. */
const SAMPLE = 10;

/**
 * Whether an ECS service's tasks use task scale-in protection: a sample of its running tasks (ListTasks, then
 * GetTaskProtection). Tasks that carry listeners protect themselves, so a busy fleet with none protected does not
 * drain, and lowering its floor would disconnect listeners.
 */
export class EcsTaskProtection implements DrainGuard {
  constructor(private readonly clientFor: (region: string) => EcsSend) {}

  async protecting(fleet: FleetAddress): Promise<boolean | undefined> {
    const client = this.clientFor(fleet.region);
    const list = await client.send(
      new ListTasksCommand({
        cluster: fleet.cluster,
        serviceName: fleet.service,
        desiredStatus: 'RUNNING',
        maxResults: SAMPLE,
      }),
    );
    const tasks = list.taskArns ?? [];
    if (!tasks.length) return undefined;
    const res = await client.send(new GetTaskProtectionCommand({ cluster: fleet.cluster, tasks }));
    if (res.failures?.length && !res.protectedTasks?.length) return undefined;
    return (res.protectedTasks ?? []).some(
      (t: { protectionEnabled?: boolean }) => t.protectionEnabled === true,
    );
  }
}
