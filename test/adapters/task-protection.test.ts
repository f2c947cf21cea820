import { ECSClient, GetTaskProtectionCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
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
});
