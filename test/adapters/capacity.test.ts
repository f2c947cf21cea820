import {
  ApplicationAutoScalingClient,
  DeleteScheduledActionCommand,
  DescribeScalableTargetsCommand,
  DescribeScheduledActionsCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { FleetCapacityActuator } from '../../lambda/adapters/capacity';
import { TEAMS_OWN, scheduledAction } from '../fixtures/scheduled-actions';
import { EcsServiceAdapter } from '../../lambda/adapters/ecs-service';
import { ScalableTargetAdapter } from '../../lambda/adapters/scalable-target';
import type { FleetAddress } from '../../lambda/ports';

const minFleet: FleetAddress = {
  fleetId: 'a',
  region: 'us-east-1',
  cluster: 'prod',
  service: 'sfu',
  mode: 'min-capacity',
};
const desiredFleet: FleetAddress = { ...minFleet, fleetId: 'b', service: 'sfu-b', mode: 'desired-count' };

describe('FleetCapacityActuator', () => {
  const ecs = mockClient(ECSClient);
  const aas = mockClient(ApplicationAutoScalingClient);
  const actuator = new FleetCapacityActuator(
    new EcsServiceAdapter(() => new ECSClient({ region: 'us-east-1' })),
    new ScalableTargetAdapter(() => new ApplicationAutoScalingClient({ region: 'us-east-1' })),
  );
  beforeEach(() => {
    ecs.reset();
    aas.reset();
  });

  describe('min-capacity mode', () => {
    beforeEach(() => {
      aas
        .on(DescribeScalableTargetsCommand)
        .resolves({ ScalableTargets: [{ MinCapacity: 40, MaxCapacity: 600 } as never] });
    });

    it('raises MinCapacity, and MaxCapacity where it is below', async () => {
      const res = await actuator.applyFloor(minFleet, 1000);
      expect(aas).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceIds: ['service/prod/sfu'],
      });
      expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: 'service/prod/sfu',
        MinCapacity: 1000,
        MaxCapacity: 1000,
      });
      expect(res).toEqual({
        changed: true,
        before: { mode: 'min-capacity', minCapacity: 40, maxCapacity: 600 },
        after: { mode: 'min-capacity', minCapacity: 1000, maxCapacity: 1000 },
      });
      expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    });

    it('keeps a MaxCapacity above the floor', async () => {
      await actuator.applyFloor(minFleet, 300);
      expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
        MinCapacity: 300,
        MaxCapacity: 600,
      });
    });

    it('writes nothing when nothing changes', async () => {
      const res = await actuator.applyFloor(minFleet, 40);
      expect(res.changed).toBe(false);
      expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    });

    it('restores exactly the recorded settings', async () => {
      aas
        .on(DescribeScalableTargetsCommand)
        .resolves({ ScalableTargets: [{ MinCapacity: 1000, MaxCapacity: 1000 } as never] });
      await actuator.restore(minFleet, { mode: 'min-capacity', minCapacity: 40, maxCapacity: 600 });
      expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
        MinCapacity: 40,
        MaxCapacity: 600,
      });
    });

    it('says what to do when the service has no scalable target', async () => {
      aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
      await expect(actuator.read(minFleet)).rejects.toThrow(
        /no scalable target for service\/prod\/sfu .* desired-count/,
      );
    });

    // Retries are the SDK client's (test/adapters/sdk-retry.test.ts): the adapter sends once and reports.
    it('reports an error the client gave up on, without retrying on top of it', async () => {
      aas
        .on(RegisterScalableTargetCommand)
        .rejects(Object.assign(new Error('down'), { $metadata: { httpStatusCode: 503 } }));
      await expect(actuator.applyFloor(minFleet, 500)).rejects.toThrow('down');
      expect(aas).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 1);
    });
  });

  describe('desired-count mode', () => {
    beforeEach(() => {
      ecs.on(DescribeServicesCommand).resolves({
        services: [{ serviceName: 'sfu-b', desiredCount: 10, runningCount: 9, pendingCount: 1 }],
      });
    });

    it('sets desiredCount with UpdateService', async () => {
      await actuator.applyFloor(desiredFleet, 250);
      expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
        cluster: 'prod',
        services: ['sfu-b'],
      });
      expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
        cluster: 'prod',
        service: 'sfu-b',
        desiredCount: 250,
      });
      expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    });

    it('writes nothing when desiredCount is already there', async () => {
      await actuator.applyFloor(desiredFleet, 10);
      expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    });

    it("with a ceiling, suspends the scalable target's dynamic scale-out before raising the count", async () => {
      // Prepare: the service has a scalable target whose policies would otherwise add tasks past the ceiling
      aas.on(DescribeScalableTargetsCommand).resolves({
        ScalableTargets: [{ MinCapacity: 1, MaxCapacity: 5000, SuspendedState: {} } as never],
      });
      // Act
      const res = await actuator.applyFloor(desiredFleet, 250, 300);
      // Assess
      expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
        ResourceId: 'service/prod/sfu-b',
        SuspendedState: { DynamicScalingOutSuspended: true },
      });
      expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input.MinCapacity).toBeUndefined();
      expect(res.before).toEqual({ mode: 'desired-count', desiredCount: 10, scaleOutSuspended: false });
      expect(res.after).toEqual({ mode: 'desired-count', desiredCount: 250, scaleOutSuspended: true });
    });

    it('restores the recorded suspension exactly', async () => {
      aas.on(DescribeScalableTargetsCommand).resolves({
        ScalableTargets: [
          {
            MinCapacity: 1,
            MaxCapacity: 5000,
            SuspendedState: { DynamicScalingOutSuspended: true },
          } as never,
        ],
      });
      await actuator.restore(desiredFleet, {
        mode: 'desired-count',
        desiredCount: 10,
        scaleOutSuspended: false,
      });
      expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
        SuspendedState: { DynamicScalingOutSuspended: false },
      });
    });

    it('without a scalable target, sets the count and records no suspension', async () => {
      aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
      const res = await actuator.applyFloor(desiredFleet, 250, 300);
      expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
      expect(res.after).toEqual({ mode: 'desired-count', desiredCount: 250 });
    });
  });

  describe('min-capacity ceiling', () => {
    beforeEach(() => {
      aas
        .on(DescribeScalableTargetsCommand)
        .resolves({ ScalableTargets: [{ MinCapacity: 40, MaxCapacity: 5000 } as never] });
    });

    it.each([
      ['sets MaxCapacity to the ceiling', 600, 900, { MinCapacity: 600, MaxCapacity: 900 }],
      ['never sets MaxCapacity below the floor', 600, 500, { MinCapacity: 600, MaxCapacity: 600 }],
      ['without a ceiling keeps MaxCapacity', 600, undefined, { MinCapacity: 600, MaxCapacity: 5000 }],
    ])('%s', async (_name, floor, ceiling, expected) => {
      await actuator.applyFloor(minFleet, floor, ceiling);
      expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, expected);
    });
  });

  it('batches DescribeServices by cluster, ten services a call', async () => {
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((s) => ({
        serviceName: s,
        desiredCount: 3,
        runningCount: 2,
        pendingCount: 1,
      })),
    }));
    const fleets = Array.from({ length: 12 }, (_, i) => ({
      ...minFleet,
      fleetId: `f${i}`,
      service: `s${i}`,
    }));
    fleets.push({ ...minFleet, fleetId: 'other', cluster: 'canary', service: 'x' });
    const counts = await actuator.counts(fleets);
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 3);
    expect(ecs).toHaveReceivedNthCommandWith(1, DescribeServicesCommand, {
      cluster: 'prod',
      services: fleets.slice(0, 10).map((f) => f.service),
    });
    expect(counts.get('f11')).toEqual({ running: 2, pending: 1, desired: 3 });
    expect(counts.get('other')).toEqual({ running: 2, pending: 1, desired: 3 });
  });

  describe('the backstop (plan steps as scheduled actions)', () => {
    const step = (name: string, atMs: number, min: number, max = 600) => ({
      name: `surgeguard-ev-${name}`,
      atMs,
      minCapacity: min,
      maxCapacity: max,
    });
    const AT = Date.parse('2030-01-01T00:10:00Z');

    it('puts the missing and changed steps and deletes the rest of its own, leaving other actions alone', async () => {
      // Prepare: one step as wanted, one with an old size, one from an older plan, and the team's own action,
      // over two pages
      aas
        .on(DescribeScheduledActionsCommand)
        .resolvesOnce({
          ScheduledActions: [
            scheduledAction('surgeguard-ev-a', 'at(2030-01-01T00:10:00)', 100, 600),
            TEAMS_OWN,
          ],
          NextToken: 'p2',
        })
        .resolvesOnce({
          ScheduledActions: [
            scheduledAction('surgeguard-ev-b', 'at(2030-01-01T00:15:00)', 150, 600),
            scheduledAction('surgeguard-ev-old', 'at(2030-01-01T00:05:00)'),
          ],
        });
      aas.on(DeleteScheduledActionCommand).resolves({});
      aas.on(PutScheduledActionCommand).resolves({});
      // Act
      const res = await actuator.syncBackstop(minFleet, 'surgeguard-ev-', [
        step('a', AT, 100),
        step('b', AT + 5 * 60_000, 200),
        step('c', AT + 10 * 60_000, 300),
      ]);
      // Assess
      expect(res).toEqual({ put: ['surgeguard-ev-b', 'surgeguard-ev-c'], deleted: ['surgeguard-ev-old'] });
      expect(aas).toHaveReceivedCommandWith(DescribeScheduledActionsCommand, {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: 'service/prod/sfu',
        NextToken: 'p2',
      });
      expect(aas).toHaveReceivedCommandTimes(DeleteScheduledActionCommand, 1);
      expect(aas).toHaveReceivedCommandWith(DeleteScheduledActionCommand, {
        ResourceId: 'service/prod/sfu',
        ScheduledActionName: 'surgeguard-ev-old',
      });
      expect(aas).toHaveReceivedCommandWith(PutScheduledActionCommand, {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: 'service/prod/sfu',
        ScheduledActionName: 'surgeguard-ev-c',
        Schedule: 'at(2030-01-01T00:20:00)',
        ScalableTargetAction: { MinCapacity: 300, MaxCapacity: 600 },
      });
      // Deletes go first: an action of an older plan never fires between the calls.
      const order = aas.calls().map((c) => c.args[0].constructor.name);
      expect(order.indexOf('DeleteScheduledActionCommand')).toBeLessThan(
        order.indexOf('PutScheduledActionCommand'),
      );
    });

    it('takes an action AWS already removed as deleted', async () => {
      aas.on(DescribeScheduledActionsCommand).resolves({
        ScheduledActions: [scheduledAction('surgeguard-ev-a', 'at(2030-01-01T00:10:00)')],
      });
      aas
        .on(DeleteScheduledActionCommand)
        .rejects(Object.assign(new Error('gone'), { name: 'ObjectNotFoundException' }));
      await expect(actuator.syncBackstop(minFleet, 'surgeguard-ev-', [])).resolves.toEqual({
        put: [],
        deleted: ['surgeguard-ev-a'],
      });
    });

    it('refuses steps for a desired-count fleet, which has no scalable target to hold them', async () => {
      await expect(
        actuator.syncBackstop(desiredFleet, 'surgeguard-ev-', [step('a', AT, 100)]),
      ).rejects.toThrow(/no scalable target/);
      await expect(actuator.syncBackstop(desiredFleet, 'surgeguard-ev-', [])).resolves.toEqual({
        put: [],
        deleted: [],
      });
      expect(aas).not.toHaveReceivedCommand(DescribeScheduledActionsCommand);
    });
  });
});
