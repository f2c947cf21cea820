import {
  ECSClient,
  GetTaskProtectionCommand,
  ListTasksCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsTaskProtection } from '../../lambda/adapters/task-protection';
import type { FleetAddress } from '../../lambda/ports';

const fleet: FleetAddress = {
  fleetId: 'a',
  region: 'us-east-1',
  cluster: 'prod',
  service: 'sfu',
  mode: 'min-capacity',
};

describe('EcsTaskProtection', () => {
  const ecs = mockClient(ECSClient);
  const guard = new EcsTaskProtection(() => new ECSClient({ region: 'us-east-1' }));
  beforeEach(() => ecs.reset());

  it.each([
    ['some sampled task is protected', [true, false], true],
    ['no sampled task is protected', [false, false], false],
  ])('says whether tasks protect themselves: %s', async (_name, flags, expected) => {
    // Prepare
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    ecs.on(GetTaskProtectionCommand).resolves({
      protectedTasks: flags.map((f, i) => ({ taskArn: `t${i + 1}`, protectionEnabled: f })),
    });
    // Act
    const protecting = await guard.protecting(fleet);
    // Assess
    expect(protecting).toBe(expected);
    expect(ecs).toHaveReceivedCommandWith(ListTasksCommand, {
      cluster: 'prod',
      serviceName: 'sfu',
      desiredStatus: 'RUNNING',
      maxResults: 10,
    });
    expect(ecs).toHaveReceivedCommandWith(GetTaskProtectionCommand, { cluster: 'prod', tasks: ['t1', 't2'] });
  });

  it('cannot tell when the service runs no task', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    expect(await guard.protecting(fleet)).toBeUndefined();
    expect(ecs).not.toHaveReceivedCommand(GetTaskProtectionCommand);
  });

  it('releases the protection of as many running tasks as asked, ten a call, across ListTasks pages', async () => {
    // Prepare: 150 running tasks over two pages
    const arns = Array.from({ length: 150 }, (_, i) => `t${i}`);
    ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns.slice(0, 100), nextToken: 'p2' })
      .resolvesOnce({ taskArns: arns.slice(100) });
    ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
      protectedTasks: input.tasks.map((taskArn) => ({ taskArn, protectionEnabled: false })),
    }));
    // Act
    const released = await guard.release(fleet, 125);
    // Assess
    expect(released).toBe(125);
    expect(ecs).toHaveReceivedCommandTimes(ListTasksCommand, 2);
    expect(ecs).toHaveReceivedNthCommandWith(2, ListTasksCommand, { maxResults: 25, nextToken: 'p2' });
    expect(ecs).toHaveReceivedCommandTimes(UpdateTaskProtectionCommand, 13);
    expect(ecs).toHaveReceivedCommandWith(UpdateTaskProtectionCommand, {
      cluster: 'prod',
      tasks: arns.slice(120, 125),
      protectionEnabled: false,
    });
  });

  it('counts only the tasks ECS released, and asks nothing for none', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    ecs.on(UpdateTaskProtectionCommand).resolves({
      protectedTasks: [{ taskArn: 't1', protectionEnabled: false }],
      failures: [{ arn: 't2', reason: 'TASK_NOT_VALID' }],
    });
    expect(await guard.release(fleet, 5)).toBe(1);
    ecs.reset();
    expect(await guard.release(fleet, 0)).toBe(0);
    expect(ecs).not.toHaveReceivedCommand(ListTasksCommand);
  });
});
