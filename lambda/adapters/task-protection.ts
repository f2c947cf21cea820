import { GetTaskProtectionCommand, ListTasksCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import type { DrainGuard, FleetAddress } from '../ports';
import type { EcsSend } from './ecs-service';

/** Running tasks sampled per check, and released per call: the task-protection calls take at most 10 tasks. */
const SAMPLE = 10;
/** ListTasks returns at most 100 tasks a page. */
const PAGE = 100;

/**
 * Whether an ECS service's tasks use task scale-in protection: a sample of its running tasks (ListTasks, then
 * GetTaskProtection). Tasks that carry listeners protect themselves, so a busy fleet with none protected does not
 * drain, and lowering its floor would disconnect listeners. Releases protection (UpdateTaskProtection) when a fleet
 * past its scaling peak must shed tasks at once.
 */
export class EcsTaskProtection implements DrainGuard {
  constructor(private readonly clientFor: (region: string) => EcsSend) {}

  async protecting(fleet: FleetAddress): Promise<boolean | undefined> {
    const client = this.clientFor(fleet.region);
    const tasks = await runningTasks(client, fleet, SAMPLE);
    if (!tasks.length) return undefined;
    const res = await client.send(new GetTaskProtectionCommand({ cluster: fleet.cluster, tasks }));
    if (res.failures?.length && !res.protectedTasks?.length) return undefined;
    return (res.protectedTasks ?? []).some(
      (t: { protectionEnabled?: boolean }) => t.protectionEnabled === true,
    );
  }

  async release(fleet: FleetAddress, tasks: number): Promise<number> {
    const want = Math.max(0, Math.floor(tasks));
    if (!want) return 0;
    const client = this.clientFor(fleet.region);
    const arns = await runningTasks(client, fleet, want);
    // Any running task will do: one that is already unprotected (empty) is one ECS would stop first anyway.
    let released = 0;
    for (let i = 0; i < Math.min(want, arns.length); i += SAMPLE) {
      const res = await client.send(
        new UpdateTaskProtectionCommand({
          cluster: fleet.cluster,
          tasks: arns.slice(i, Math.min(i + SAMPLE, want)),
          protectionEnabled: false,
        }),
      );
      released += res.protectedTasks?.length ?? 0;
    }
    return released;
  }
}

/** Up to `want` of the service's running tasks (ARNs), page by page. */
async function runningTasks(client: EcsSend, fleet: FleetAddress, want: number): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListTasksCommand({
        cluster: fleet.cluster,
        serviceName: fleet.service,
        desiredStatus: 'RUNNING',
        maxResults: Math.min(PAGE, want - arns.length),
        nextToken,
      }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken && arns.length < want);
  return arns;
}
