import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeSchedules, MAX_CHANGES_PER_SYNC } from '../../lambda/adapters/eventbridge-schedules';
import { syncSchedules } from '../../lambda/controller/schedules';
import { watchTick } from '../../lambda/controller/watch';
import { desiredSchedules, scheduleEvent } from '../../lambda/core/schedules';
import { testDeps, testRuntime } from '../fixtures/runtime';

const sch = mockClient(SchedulerClient);
const runtime = testRuntime();
const RAMP = Date.parse(runtime.plan.events[0]!.fleets[0]!.rampStart);
const MIN = 60_000;
const targets = { prescaleArn: 'arn:prescale', restoreArn: 'arn:restore', roleArn: 'arn:role' };
const adapter = () => new EventBridgeSchedules(new SchedulerClient({}), 'g', targets);

beforeEach(() => sch.reset());

describe('desiredSchedules', () => {
  it('gives a prescale and a restore per event, names that change with the times, nothing once over', () => {
    const before = desiredSchedules(runtime, RAMP - 60 * MIN);
    expect(before.map((s) => s.kind)).toEqual(['prescale', 'restore']);
    expect(before.every((s) => s.name.length <= 64 && scheduleEvent(s.name) === 'ev')).toBe(true);
    const moved = desiredSchedules(runtime, RAMP - 60 * MIN, () => 30);
    expect(moved.map((s) => s.name)).not.toEqual(before.map((s) => s.name));
    // Past the ramp the prescale has fired; long after, nothing is left.
    expect(desiredSchedules(runtime, RAMP + MIN).map((s) => s.kind)).toEqual(['restore']);
    expect(desiredSchedules(runtime, RAMP + 2 * 24 * 60 * MIN)).toEqual([]);
  });

  it('stops wanting a restore once Scheduler may have run and deleted it (one interval before its end)', () => {
    const restore = desiredSchedules(runtime, RAMP - 60 * MIN).find((s) => s.kind === 'restore')!;
    const end = restore.endDate!.getTime();
    const every = Number(/rate\((\d+)/.exec(restore.expression)![1]) * MIN;
    expect(desiredSchedules(runtime, end - every - MIN).some((s) => s.kind === 'restore')).toBe(true);
    expect(desiredSchedules(runtime, end - every + MIN).some((s) => s.kind === 'restore')).toBe(false);
  });

  it('gives new names when what the schedules invoke changes (a redeploy replaced a function)', () => {
    const a = desiredSchedules(runtime, RAMP - 60 * MIN, () => 0, 'arn:fn:1|arn:fn:2|arn:role');
    const b = desiredSchedules(runtime, RAMP - 60 * MIN, () => 0, 'arn:fn:1b|arn:fn:2|arn:role');
    expect(a.map((s) => s.name).filter((n) => b.some((x) => x.name === n))).toEqual([]);
  });

  it('keeps a schedule name fixed as time passes, so a sync does not recreate it', () => {
    const a = desiredSchedules(runtime, RAMP - 60 * MIN).find((s) => s.kind === 'restore')!;
    const b = desiredSchedules(runtime, RAMP + 90 * MIN).find((s) => s.kind === 'restore')!;
    expect(b.name).toBe(a.name);
  });
});

describe('EventBridgeSchedules.sync', () => {
  it('creates what is missing, then deletes what is no longer wanted, and leaves foreign schedules alone', async () => {
    const wanted = desiredSchedules(runtime, RAMP - 60 * MIN);
    sch.on(ListSchedulesCommand).resolves({
      Schedules: [{ Name: wanted[1]!.name }, { Name: 'ev-prescale-zzzzzz' }, { Name: 'someone-elses' }],
    });
    sch.on(CreateScheduleCommand).resolves({});
    sch.on(DeleteScheduleCommand).resolves({});
    const r = await adapter().sync(wanted);
    expect(r).toEqual({ created: [wanted[0]!.name], deleted: ['ev-prescale-zzzzzz'], remaining: 0 });
    expect(sch).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: wanted[0]!.name,
      ActionAfterCompletion: 'DELETE',
      Target: expect.objectContaining({ Arn: 'arn:prescale', RoleArn: 'arn:role' }),
    });
    const order = sch.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('CreateScheduleCommand')).toBeLessThan(order.indexOf('DeleteScheduleCommand'));
  });

  it('makes a bounded number of changes per sync, soonest first, and says how many are left', async () => {
    const many = Array.from({ length: MAX_CHANGES_PER_SYNC + 5 }, (_, i) => ({
      name: `e${String(i).padStart(3, '0')}-prescale-aaaaaa`,
      eventId: `e${i}`,
      kind: 'prescale' as const,
      expression: `at(2030-01-01T${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00)`,
      firstRunMs: Date.parse('2030-01-01T00:00:00Z') + i * 60_000,
      description: 'd',
    })).reverse();
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch.on(CreateScheduleCommand).resolves({});
    const r = await adapter().sync(many);
    expect(r.created).toHaveLength(MAX_CHANGES_PER_SYNC);
    expect(r.remaining).toBe(5);
    expect(r.created[0]).toBe('e000-prescale-aaaaaa');
  });

  it('takes a schedule that already exists (a create that did not hear back) as made', async () => {
    const wanted = desiredSchedules(runtime, RAMP - 60 * MIN);
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    await expect(adapter().sync(wanted)).resolves.toMatchObject({ remaining: 0 });
  });
});

describe('syncSchedules (the watch)', () => {
  it('syncs when the document changes and every 10 minutes, never failing the watch', async () => {
    const { deps } = testDeps(RAMP - 60 * MIN, runtime);
    const memo = {};
    const metrics: string[] = [];
    const d = {
      ...deps,
      schedules: adapter(),
      scheduleSync: memo,
      documentVersion: 'v1',
      telemetry: { metric: (n: string) => metrics.push(n) },
    };
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch.on(CreateScheduleCommand).resolves({});
    expect(await syncSchedules(d, RAMP - 60 * MIN)).toMatchObject({ remaining: 0 });
    expect(await syncSchedules(d, RAMP - 59 * MIN)).toBeUndefined();
    expect(await syncSchedules({ ...d, documentVersion: 'v2' }, RAMP - 58 * MIN)).toBeDefined();
    sch.on(ListSchedulesCommand).rejects(new Error('throttled'));
    expect(await syncSchedules({ ...d, documentVersion: 'v2' }, RAMP - 47 * MIN)).toBeUndefined();
    expect(metrics).toEqual(['ScheduleSyncFailed']);
  });

  it('follows a shift recorded in the state', async () => {
    const { deps, state } = testDeps(RAMP - 60 * MIN, runtime);
    const s = await state.getEvent('ev');
    await state.putEvent({ ...s, shiftMinutes: 30 }, s.version);
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch.on(CreateScheduleCommand).resolves({});
    const r = await syncSchedules({ ...deps, schedules: adapter(), scheduleSync: {} }, RAMP - 60 * MIN);
    expect(r!.created).toEqual(
      desiredSchedules(runtime, RAMP - 60 * MIN, () => 30, adapter().targets).map((x) => x.name),
    );
  });
});

describe('a shift during a watch sync', () => {
  it('makes the next watch run sync again, so the shifted schedules win', async () => {
    const { deps, state } = testDeps(RAMP - 60 * MIN, runtime);
    const memo: { remaining?: number } = {};
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    // On-call shifts the event while the watch is creating the old times' schedules.
    sch.on(CreateScheduleCommand).callsFake(async () => {
      const s = await state.getEvent('ev');
      if (s.shiftMinutes === 0) await state.putEvent({ ...s, shiftMinutes: 30 }, s.version);
      return {};
    });
    await syncSchedules({ ...deps, schedules: adapter(), scheduleSync: memo }, RAMP - 60 * MIN);
    expect(memo.remaining).toBeGreaterThan(0);
  });
});

describe('the watch with no event near', () => {
  it('reads no state at all', async () => {
    const { deps, db } = testDeps(RAMP - 3 * 24 * 60 * MIN, runtime);
    expect(await watchTick(deps)).toEqual([]);
    expect(db.mock.calls()).toHaveLength(0);
  });
});
