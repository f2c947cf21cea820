import {
  ApplicationAutoScalingClient,
  DeleteScheduledActionCommand,
  DescribeScalableTargetsCommand,
  DescribeScheduledActionsCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { runRestore } from '../../lambda/controller/restore';
import type { ControllerDeps } from '../../lambda/controller/deps';
import { releaseOf, releaseTasks, watchTick } from '../../lambda/controller/watch';
import { silentLog } from '../../lambda/ports';
import { makePrescaleHandler } from '../../lambda/handlers/prescale';
import { makeRestoreHandler } from '../../lambda/handlers/restore';
import { makeWatchHandler } from '../../lambda/handlers/watch';
import { lambdaContext, testDeps, testRuntime } from '../fixtures/runtime';

const aas = mockClient(ApplicationAutoScalingClient);
const ecs = mockClient(ECSClient);
const cw = mockClient(CloudWatchClient);

const runtime = testRuntime();
const plan = runtime.plan.events[0]!;
const use1 = plan.fleets.find((f) => f.fleet === 'use1')!;
const euw1 = plan.fleets.find((f) => f.fleet === 'euw1')!;
const RAMP = Date.parse(use1.rampStart);
const HOLD_UNTIL = Date.parse(plan.holdUntil);
const MIN = 60_000;

/** AWS as it would answer: the scalable target and the service remember what was written. */
function liveAws(listeners: (nowMs: number) => number, clockNow: () => number) {
  let min = 10;
  let max = 50;
  let desired = 5;
  // Only the min-capacity fleet's service has a scalable target; a call that names no range leaves it as it is.
  const target = 'service/prod/sfu';
  aas.on(DescribeScalableTargetsCommand).callsFake((input: { ResourceIds: string[] }) => ({
    ScalableTargets: input.ResourceIds.includes(target) ? [{ MinCapacity: min, MaxCapacity: max }] : [],
  }));
  aas
    .on(RegisterScalableTargetCommand)
    .callsFake((input: { ResourceId: string; MinCapacity?: number; MaxCapacity?: number }) => {
      if (input.ResourceId !== target) throw new Error(`no scalable target ${input.ResourceId}`);
      min = input.MinCapacity ?? min;
      max = input.MaxCapacity ?? max;
      return {};
    });
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((s) => ({
      serviceName: s,
      desiredCount: s === 'sfu-eu' ? desired : min,
      runningCount: 0,
      pendingCount: 0,
    })),
  }));
  ecs.on(UpdateServiceCommand).callsFake((input: { desiredCount: number }) => {
    desired = input.desiredCount;
    return {};
  });
  cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => {
    const now = clockNow();
    const ts = [5, 4, 3, 2].map((k) => new Date(now - k * MIN));
    return {
      MetricDataResults: input.MetricDataQueries.map((q) => ({
        Id: q.Id,
        Timestamps: ts,
        Values: ts.map((t) => (q.Id.endsWith('_listeners') ? listeners(t.getTime()) : 0)),
      })),
    };
  });
  return { settings: () => ({ min, max, desired }) };
}

/** Sets use1's scalable target to `tasks` (MinCapacity and MaxCapacity) behind SurgeGuard's back, through AWS. */
async function holdUse1At(tasks: number): Promise<void> {
  await new ApplicationAutoScalingClient({ region: 'us-east-1' }).send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: 'service/prod/sfu',
      MinCapacity: tasks,
      MaxCapacity: tasks,
    }),
  );
}

beforeEach(() => {
  aas.reset();
  ecs.reset();
  cw.reset();
});

describe('prescale handler', () => {
  it('records settings first, applies the due plan step, and a second delivery changes nothing', async () => {
    // Prepare
    const { deps, clock, state } = testDeps(RAMP + 5_000, runtime);
    const aws = liveAws(
      () => 0,
      () => clock.now(),
    );
    const handler = makePrescaleHandler(() => deps);
    // Act
    await handler({ eventId: 'ev' }, lambdaContext());
    await handler({ eventId: 'ev' }, lambdaContext());
    // Assess
    expect(aas).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 1);
    expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
      MinCapacity: use1.steps[0]!.tasks,
      MaxCapacity: Math.max(50, use1.steps[0]!.tasks),
    });
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'prod-eu',
      service: 'sfu-eu',
      desiredCount: euw1.steps[0]!.tasks,
    });
    expect(aws.settings()).toEqual({
      min: use1.steps[0]!.tasks,
      max: Math.max(50, use1.steps[0]!.tasks),
      desired: euw1.steps[0]!.tasks,
    });
    const recorded = await state.getFleet('ev', 'use1');
    expect(recorded?.recorded).toEqual({ mode: 'min-capacity', minCapacity: 10, maxCapacity: 50 });
    expect((await state.getFleet('ev', 'euw1'))?.recorded).toEqual({
      mode: 'desired-count',
      desiredCount: 5,
    });
    // The reading happened before the write.
    const calls = aas.calls().map((c) => c.args[0].constructor.name);
    expect(calls.indexOf('DescribeScalableTargetsCommand')).toBeLessThan(
      calls.indexOf('RegisterScalableTargetCommand'),
    );
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(audit.filter((a) => a.kind === 'aws-call')).toHaveLength(2);
    expect(audit.filter((a) => a.action === 'record-settings')).toHaveLength(2);
  });

  it('never takes down a floor AWS holds above the one state records', async () => {
    // Prepare: settings recorded before the ramp; then the floor was raised to 2,000 while the state store
    // refused writes, so state still says the recorded 10
    const { deps, clock } = testDeps(RAMP - 5 * MIN, runtime);
    const aws = liveAws(
      () => 0,
      () => clock.now(),
    );
    const handler = makePrescaleHandler(() => deps);
    await handler({ eventId: 'ev' }, lambdaContext());
    await holdUse1At(2000);
    aas.resetHistory();
    clock.advance(5 * MIN + 5_000);
    // Act: the plan's first step is due
    await handler({ eventId: 'ev' }, lambdaContext());
    // Assess
    expect(aas).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 0);
    expect(aws.settings().min).toBe(2000);
  });

  it('in dry-run decides and audits but writes nothing to ECS or Application Auto Scaling', async () => {
    const { deps, clock, state } = testDeps(RAMP + 5_000, runtime);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    await state.putGlobal({ mode: 'dry-run' }, 0);
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(
      audit
        .filter((a) => a.result === 'dry-run')
        .map((a) => a.fleetId)
        .sort(),
    ).toEqual(['euw1', 'use1']);
  });

  it('rejects a bad payload or an unknown event with a clear error and no action', async () => {
    const { deps } = testDeps(RAMP, runtime);
    const handler = makePrescaleHandler(() => deps);
    await expect(handler({} as never, lambdaContext())).rejects.toThrow(
      'bad payload: eventId: missing; expected string',
    );
    await expect(handler({ eventId: 'ev', extra: 1 } as never, lambdaContext())).rejects.toThrow(
      /bad payload/,
    );
    await expect(handler({ eventId: 'nope' }, lambdaContext())).rejects.toThrow(
      'unknown event "nope"; expected one of: ev',
    );
    expect(aas.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it("reports one fleet's failure without blocking the other", async () => {
    const { deps, clock } = testDeps(RAMP + 5_000, runtime);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    aas.on(RegisterScalableTargetCommand).rejects(
      Object.assign(new Error('no permission'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext())).rejects.toThrow(
      /1 of 2 fleet actions failed: ev\/use1: AccessDeniedException: no permission/,
    );
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });
});

describe('watch handler', () => {
  it('runs several ticks per invocation with one GetMetricData call per region per tick, and scales out ahead of a surge', async () => {
    const { deps, clock, state } = testDeps(RAMP + 20 * MIN, runtime);
    // An audience growing fast: 10k more listeners a minute on top of 250k.
    liveAws(
      (t) => 250_000 + ((t - RAMP) / MIN) * 10_000,
      () => clock.now(),
    );
    await makeWatchHandler(() => deps)({}, lambdaContext());
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 3 * 2); // 3 ticks (20 s) x 2 regions
    const use1State = await state.getFleet('ev', 'use1');
    expect(use1State?.appliedTasks).toBeGreaterThan(use1.neededTasks);
    expect(use1State?.lastDecision?.reason).toMatch(/forecast/);
    expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
      MinCapacity: use1State!.appliedTasks,
    });
    // Capacity only ever moved up during the window.
    const mins = aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input.MinCapacity!);
    expect([...mins].sort((a, b) => a - b)).toEqual(mins);
  });

  it('raises the floor while the state store refuses writes, with the record in the log', async () => {
    // Prepare: the watch has run once; then the audience grows fast and every state and audit write is throttled.
    const { deps, clock, state } = testDeps(RAMP + 20 * MIN, runtime);
    let audience = 250_000;
    liveAws(
      () => audience,
      () => clock.now(),
    );
    await watchTick(deps);
    const before = (await state.getFleet('ev', 'use1'))!;
    const throttled = () =>
      Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    state.putFleet = throttled;
    state.audit = throttled;
    const warned: unknown[] = [];
    const logged: ControllerDeps = {
      ...deps,
      log: {
        ...deps.log,
        warn: (message: string, attributes?: object) => warned.push({ message, ...attributes }),
      },
    };
    audience = 900_000;
    clock.advance(MIN);
    aas.resetHistory();
    // Act
    await watchTick(logged);
    // Assess: AWS got the higher floor; the state still holds the old record; the log has the call.
    const mins = aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input.MinCapacity!);
    expect(Math.max(...mins)).toBeGreaterThan(before.appliedTasks!);
    expect((await state.getFleet('ev', 'use1'))?.version).toBe(before.version);
    expect(warned).toContainEqual(
      expect.objectContaining({
        message: 'floor raised without a state record',
        fleetId: 'use1',
        record: expect.objectContaining({
          kind: 'aws-call',
          reason: expect.stringMatching(/applied unrecorded/),
        }),
      }),
    );
  });

  it('raises the floor before any record when the store refuses it, then records the settings read before', async () => {
    // Prepare: the ramp has started, nothing is recorded, and every state write is throttled
    const { deps, clock, state } = testDeps(RAMP + 20 * MIN, runtime);
    const aws = liveAws(
      () => 900_000,
      () => clock.now(),
    );
    const putFleet = state.putFleet.bind(state);
    const throttled = () =>
      Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    state.putFleet = throttled;
    // Act: a tick while the store refuses writes
    await watchTick(deps);
    // Assess: the floor went up in AWS with nothing recorded
    expect(aws.settings().min).toBeGreaterThan(10);
    expect((await state.getFleet('ev', 'use1'))?.recorded).toBeUndefined();
    // Act: the store answers again
    state.putFleet = putFleet;
    clock.advance(MIN);
    await watchTick(deps);
    // Assess: the record has the settings read before the raise (MinCapacity 10), not the floor raised meanwhile
    expect(aws.settings().min).toBeGreaterThan(10);
    const recorded = (await state.getFleet('ev', 'use1'))?.recorded;
    expect(recorded).toMatchObject({ mode: 'min-capacity', minCapacity: 10, maxCapacity: 50 });
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(audit.find((a) => a.action === 'record-settings' && a.fleetId === 'use1')?.reason).toMatch(
      /as read before the state store refused their record/,
    );
  });

  it('holds when the metrics are missing', async () => {
    const { deps, clock, state } = testDeps(RAMP + 20 * MIN, runtime);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await makeWatchHandler(() => deps)({}, lambdaContext());
    const s = await state.getFleet('ev', 'use1');
    expect(s?.lastDecision?.reason).toMatch(/holding: listeners: no datapoints/);
    // Only the plan's floor was applied; nothing beyond it.
    expect(
      Math.max(...aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input.MinCapacity!)),
    ).toBe(use1.neededTasks);
  });

  it('does nothing outside every event window', async () => {
    const { deps, clock } = testDeps(RAMP - 60 * MIN, runtime);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    await makeWatchHandler(() => deps)({}, lambdaContext());
    expect(cw.calls()).toHaveLength(0);
    expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });
});

describe('restore', () => {
  it('returns exactly the recorded settings, gradually once listeners allow', async () => {
    const { deps, clock, state } = testDeps(RAMP + 5_000, runtime);
    const aws = liveAws(
      () => 0,
      () => clock.now(),
    );
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    clock.ms = RAMP + 2 * MIN;
    await makeWatchHandler(() => deps)({}, lambdaContext());
    expect(aws.settings().min).toBe(use1.neededTasks);
    // An audience came and has gone (one that never came may still be starting late, and is waited for).
    for (const { fleet } of runtime.config.events[0]!.fleets) {
      const { version, ...rest } = (await state.getFleet('ev', fleet))!;
      await state.putFleet({ ...rest, peakListeners: 500_000 }, version);
    }
    clock.ms = HOLD_UNTIL + MIN;
    const restore = makeRestoreHandler(() => deps);
    const mins: number[] = [];
    for (let i = 0; i < 6; i++) {
      await restore({ eventId: 'ev' }, lambdaContext());
      mins.push(aws.settings().min);
      clock.advance(10 * MIN);
    }
    // Gradual: several steps, each down, ending exactly at the recorded settings.
    expect(new Set(mins).size).toBeGreaterThan(2);
    expect(mins.at(-1)).toBe(10);
    expect(aws.settings()).toEqual({ min: 10, max: 50, desired: 5 });
    expect((await state.getFleet('ev', 'use1'))?.phase).toBe('done');
  });

  it('steps down from a peak the watch raised in equal steps, reaching the recorded settings', async () => {
    // Prepare: the watch raised use1 to 200 tasks during the event (past the plan), then the audience left
    const { deps, clock, state } = testDeps(RAMP + 5_000, runtime);
    const aws = liveAws(
      () => 0,
      () => clock.now(),
    );
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    const s = (await state.getFleet('ev', 'use1'))!;
    const { version, ...rest } = s;
    await state.putFleet(
      { ...rest, appliedTasks: 200, peakAppliedTasks: 200, peakListeners: 500_000 },
      version,
    );
    await holdUse1At(200);
    const { steps, intervalMinutes } = runtime.config.events[0]!.stepDown;
    clock.ms = HOLD_UNTIL + MIN;
    // Act
    const mins: number[] = [];
    for (let i = 0; i < steps + 1; i++) {
      await runRestore(deps, 'ev');
      mins.push(aws.settings().min);
      clock.advance(intervalMinutes * MIN);
    }
    // Assess: each step takes a 1/steps share of 200 -> 10, so the floor is back within `steps` steps
    expect(mins.slice(0, steps)).toEqual(
      Array.from({ length: steps }, (_, i) => Math.max(10, 200 - (i + 1) * Math.ceil(190 / steps))),
    );
    expect(mins.at(-1)).toBe(10);
  });

  it('does not step down while the audience is still there', async () => {
    const { deps, clock } = testDeps(RAMP + 5_000, runtime);
    const aws = liveAws(
      () => 200_000,
      () => clock.now(),
    );
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    clock.ms = RAMP + 2 * MIN;
    await makeWatchHandler(() => deps)({}, lambdaContext());
    const before = aws.settings();
    clock.ms = HOLD_UNTIL + MIN;
    await makeRestoreHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    expect(aws.settings()).toEqual(before);
  });

  it('past the deadline restores without listener data, says why, and reports no fleet above its settings', async () => {
    const { deps: base, clock, state } = testDeps(RAMP + 5_000, runtime);
    const gauges: { value: number; dims: Record<string, string> }[] = [];
    const released: (string | undefined)[] = [];
    const deps = {
      ...base,
      telemetry: {
        metric: (name: string, value: number, _unit: string, dims: Record<string, string>) => {
          if (name === 'FleetAboveRecordedAfterDeadline') gauges.push({ value, dims });
        },
      },
      shield: {
        metricQueries: () => ({ region: 'us-east-1', queries: [] }),
        onTick: async () => ({ extraTasks: {}, floodSuspected: {} }),
        release: async (_now: number, _mode: string, _live: unknown, eventId?: string) =>
          void released.push(eventId),
      },
    };
    const aws = liveAws(
      () => 0,
      () => clock.now(),
    );
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    const peak = aws.settings();
    expect(peak.min).toBeGreaterThan(10);
    // After the event the listener metric stops: no datapoint at all.
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const deadline = HOLD_UNTIL + runtime.config.events[0]!.restoreDeadlineMinutes * MIN;
    clock.ms = deadline - MIN;
    await runRestore(deps, 'ev');
    expect(aws.settings()).toEqual(peak);
    expect(gauges.map((g) => g.value)).toEqual([0, 0]);

    clock.ms = deadline;
    gauges.length = 0;
    await runRestore(deps, 'ev');
    expect(aws.settings()).toEqual({ min: 10, max: 50, desired: 5 });
    const call = (await state.listAudit({ eventId: 'ev' })).find(
      (a) => a.kind === 'aws-call' && a.fleetId === 'use1' && a.atMs === deadline,
    );
    expect(call?.reason).toMatch(
      /restore deadline .* has passed: back to the recorded settings whatever the listeners/,
    );
    expect(gauges).toEqual([
      { value: 0, dims: { Fleet: 'use1', Event: 'ev' } },
      { value: 0, dims: { Fleet: 'euw1', Event: 'ev' } },
    ]);
    expect(released).toEqual(['ev', 'ev']);
  });

  /** The deps with a telemetry that keeps the values of the above-its-settings gauge. */
  const aboveGauges = <D extends object>(base: D) => {
    const gauges: number[] = [];
    const telemetry = {
      metric: (name: string, value: number) => void (name.startsWith('FleetAbove') && gauges.push(value)),
    };
    return { deps: { ...base, telemetry }, gauges };
  };

  it('past the deadline, a fleet the restore could not bring back is reported above its settings', async () => {
    const { deps: base, clock, state } = testDeps(RAMP + 5_000, runtime);
    const { deps, gauges } = aboveGauges(base);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    const g = await state.getGlobal();
    await state.putGlobal({ ...g, mode: 'paused' }, g.version);
    clock.ms = HOLD_UNTIL + runtime.config.events[0]!.restoreDeadlineMinutes * MIN + MIN;
    await runRestore(deps, 'ev');
    expect(gauges).toEqual([1, 1]);
  });

  it('past the deadline, a fleet with nothing recorded is compared with its baseline', async () => {
    // Prepare: no settings were ever recorded (the store refused them), and AWS holds a raised floor
    const { deps: base, clock } = testDeps(
      HOLD_UNTIL + runtime.config.events[0]!.restoreDeadlineMinutes * MIN + MIN,
      runtime,
    );
    const { deps, gauges } = aboveGauges(base);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    await holdUse1At(500);
    // Act
    await runRestore(deps, 'ev').catch(() => undefined);
    // Assess: use1 (baseline 10, floor 500) is above; euw1 (baseline 5, desired 5) is not
    expect(gauges).toEqual([1, 0]);
  });

  it('restores at once when asked to, whatever the listeners', async () => {
    const { deps, clock } = testDeps(RAMP + 5_000, runtime);
    const aws = liveAws(
      () => 200_000,
      () => clock.now(),
    );
    await makePrescaleHandler(() => deps)({ eventId: 'ev' }, lambdaContext());
    await runRestore(deps, 'ev', { immediate: true, actor: 'arn:aws:iam::1:user/oncall', reason: 'drill' });
    expect(aws.settings()).toEqual({ min: 10, max: 50, desired: 5 });
  });
});

describe('following the audience down', () => {
  const START = Date.parse(plan.start);

  /** Ticks once a minute from the ramp to 70 minutes into the event (past the hour an audience that never came may
   * still be starting late), an audience of 100 k on use1 throughout. */
  async function run(protecting: boolean | undefined, heldAbove = 0, runningAbove = 0) {
    const { deps, clock, state } = testDeps(RAMP, runtime);
    const aws = liveAws(
      () => 100_000,
      () => clock.now(),
    );
    // The service's own scaling may hold use1's desired count above the floor SurgeGuard sets.
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((s) => ({
        serviceName: s,
        desiredCount: s === 'sfu-eu' ? aws.settings().desired : aws.settings().min + heldAbove,
        runningCount: s === 'sfu-eu' ? 0 : aws.settings().min + heldAbove + runningAbove,
        pendingCount: 0,
      })),
    }));
    const withGuard = { ...deps, drain: { protecting: async () => protecting, release: async () => 0 } };
    for (let t = RAMP; t <= START + 70 * MIN; t += MIN) {
      clock.ms = t;
      await watchTick(withGuard);
    }
    const mins = aas
      .commandCalls(RegisterScalableTargetCommand)
      .map((c) => c.args[0].input.MinCapacity)
      .filter((m): m is number => m !== undefined);
    const audit = await state.listAudit({ eventId: 'ev' });
    return { mins, audit, use1State: await state.getFleet('ev', 'use1') };
  }

  it('counts a step down as a drain only when it takes away tasks the service runs', async () => {
    // Act: the floor holds the service's desired count, then the service's own scaling holds it 500 above
    const binding = await run(true);
    const held = await run(true, 500);
    // Assess: both stepped down; only the first stopped tasks (whose periods the live model then skips)
    expect(binding.use1State?.lastScaleInMs).toBeDefined();
    expect(binding.use1State?.drainFromMs).toBe(binding.use1State?.lastScaleInMs);
    // Its tasks drain (none released): their periods are no evidence for ten minutes
    expect(binding.use1State?.drainUntilMs).toBe(binding.use1State!.drainFromMs! + 10 * MIN);
    expect(held.mins.at(-1)!).toBeLessThan(use1.neededTasks);
    expect(held.use1State?.lastScaleInMs).toBeDefined();
    expect(held.use1State?.drainFromMs).toBeUndefined();
  });

  it('marks every tick ECS runs tasks past the desired count as draining, so the live model reads none of it', async () => {
    // Act: running equals desired, then three tasks past it throughout
    const steady = await run(true);
    const draining = await run(true, 0, 3);
    // Assess
    const marked = (r: typeof steady) => r.use1State!.live!.counts.filter((c) => c.draining).length;
    expect(steady.use1State!.live!.counts.length).toBeGreaterThan(0);
    expect(marked(steady)).toBe(0);
    expect(marked(draining)).toBe(draining.use1State!.live!.counts.length);
  });

  it('lowers the floor once the audience stayed below it, when the tasks protect their listeners', async () => {
    const { mins } = await run(true);
    expect(Math.max(...mins)).toBe(use1.neededTasks);
    expect(mins.at(-1)!).toBeLessThan(use1.neededTasks);
  });

  it.each([
    ['no task is protected', false],
    ['protection cannot be read', undefined],
  ])('holds the floor when %s, and says why', async (_name, protecting) => {
    const { mins, audit } = await run(protecting);
    expect(Math.min(...mins.slice(mins.indexOf(use1.neededTasks)))).toBe(use1.neededTasks);
    expect(audit.some((a) => /not following the audience down/.test(a.reason))).toBe(true);
  });
});

describe('the backstop: plan steps scheduled with Application Auto Scaling', () => {
  /** Application Auto Scaling's scheduled actions on use1's target, as AWS would keep them. */
  function scheduledActions() {
    const actions = new Map<string, { schedule: string; min?: number; max?: number }>();
    aas.on(DescribeScheduledActionsCommand).callsFake(() => ({
      ScheduledActions: [...actions].map(([name, a]) => ({
        ScheduledActionName: name,
        Schedule: a.schedule,
        ScalableTargetAction: { MinCapacity: a.min, MaxCapacity: a.max },
      })),
    }));
    aas
      .on(PutScheduledActionCommand)
      .callsFake(
        (input: {
          ScheduledActionName: string;
          Schedule: string;
          ScalableTargetAction: { MinCapacity: number; MaxCapacity: number };
        }) => {
          actions.set(input.ScheduledActionName, {
            schedule: input.Schedule,
            min: input.ScalableTargetAction.MinCapacity,
            max: input.ScalableTargetAction.MaxCapacity,
          });
          return {};
        },
      );
    aas.on(DeleteScheduledActionCommand).callsFake((input: { ScheduledActionName: string }) => {
      actions.delete(input.ScheduledActionName);
      return {};
    });
    return actions;
  }

  it('schedules the steps to come once the window opens, without repeating the calls each tick', async () => {
    // Prepare: the window is open, the ramp still ahead
    const { deps, state } = testDeps(RAMP - 10 * MIN, runtime);
    liveAws(
      () => 0,
      () => RAMP - 10 * MIN,
    );
    const actions = scheduledActions();
    // Act
    await watchTick(deps);
    await watchTick(deps);
    // Assess: every step of use1's plan that raises its floor is with AWS, named for the event and the instant;
    // the plan's steps down are not (AWS would lower the floor without the watch's look at the listeners)
    const steps = use1.steps.filter(
      (st, i) => st.tasks > Math.max(10, ...use1.steps.slice(0, i).map((x) => x.tasks)),
    );
    expect(steps.length).toBeLessThan(use1.steps.length);
    expect([...actions.values()].map((a) => a.min)).toEqual(steps.map((st) => st.tasks));
    expect([...actions.values()][0]!.schedule).toBe(`at(${steps[0]!.at.slice(0, 19)})`);
    expect([...actions.keys()].every((n) => n.startsWith('surgeguard-ev-'))).toBe(true);
    expect(aas).toHaveReceivedCommandTimes(DescribeScheduledActionsCommand, 1);
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(audit.find((r) => r.action === 'PutScheduledAction')?.fleetId).toBe('use1');
    // The desired-count fleet has no scalable target: nothing is scheduled for it.
    expect(
      aas
        .commandCalls(PutScheduledActionCommand)
        .every((c) => c.args[0].input.ResourceId === 'service/prod/sfu'),
    ).toBe(true);
  });

  it('takes the steps back when automation is paused, and restore leaves none behind', async () => {
    // Prepare
    const { deps, clock, state } = testDeps(RAMP - 10 * MIN, runtime);
    liveAws(
      () => 0,
      () => clock.now(),
    );
    const actions = scheduledActions();
    await watchTick(deps);
    expect(actions.size).toBeGreaterThan(0);
    // Act: paused, the watch empties the backstop
    const g = await state.getGlobal();
    await state.putGlobal({ ...g, mode: 'paused' }, g.version);
    clock.advance(20_000);
    await watchTick(deps);
    // Assess
    expect(actions.size).toBe(0);
    // Act: active again, then a restore by hand before the event
    const g2 = await state.getGlobal();
    await state.putGlobal({ ...g2, mode: 'active' }, g2.version);
    clock.advance(20_000);
    await watchTick(deps);
    expect(actions.size).toBeGreaterThan(0);
    await runRestore(deps, 'ev', { immediate: true });
    // Assess
    expect(actions.size).toBe(0);
  });

  it('a refused sync costs nothing but a retry: the floor decision still goes out', async () => {
    // Prepare: Application Auto Scaling refuses scheduled actions
    const { deps, state } = testDeps(RAMP + 2 * MIN, runtime);
    const aws = liveAws(
      () => 0,
      () => RAMP + 2 * MIN,
    );
    aas
      .on(DescribeScheduledActionsCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const failed: string[] = [];
    const watched = { ...deps, telemetry: { metric: (name: string) => void failed.push(name) } };
    // Act
    await watchTick(watched);
    // Assess
    expect(aws.settings().min).toBe((await state.getFleet('ev', 'use1'))!.appliedTasks);
    expect(aws.settings().min).toBeGreaterThan(10);
    expect(failed).toContain('BackstopSyncFailed');
  });
});

describe('releasing task protection past the peak', () => {
  const fleet = runtime.config.fleets.find((f) => f.id === 'use1')!;
  const counts = { running: 900, pending: 0, desired: 700 };
  const deps = (release: (tasks: number) => Promise<number>) => {
    const asked: number[] = [];
    const d: Parameters<typeof releaseTasks>[0] = {
      log: silentLog,
      drain: {
        protecting: async () => true,
        release: async (_f, tasks) => {
          asked.push(tasks);
          return release(tasks);
        },
      },
    };
    return { asked, deps: d };
  };

  it.each([
    ['a step down', { action: 'scale-in', releaseTo: 600, ceilingTasks: 600 }, 600],
    ['a ceiling cut under the running tasks', { action: 'hold', releaseTo: 600, ceilingTasks: 600 }, 600],
    [
      'a hold with the ceiling above the size',
      { action: 'hold', releaseTo: 600, ceilingTasks: 900 },
      undefined,
    ],
    ['a hold with the ceiling left alone', { action: 'hold', releaseTo: 600, ceilingTasks: null }, undefined],
    ['a step down with nothing to release', { action: 'scale-in', ceilingTasks: 600 }, undefined],
  ] as const)('releases tasks only once the floor or the ceiling is under them: %s', (_, decision, to) => {
    expect(releaseOf(decision)).toBe(to);
  });

  it('releases every running task above the new size, draining ones included, and says how many', async () => {
    const { asked, deps: d } = deps(async (n) => n - 2);
    const said = await releaseTasks(d, fleet, counts, 600, 700);
    expect(asked).toEqual([300]);
    expect(said).toBe(' (released the scale-in protection of 298 of 300 tasks)');
  });

  it('falls back to the floor without counts, asks nothing for nothing, and leaves fleets that do not drain alone', async () => {
    const { asked, deps: d } = deps(async (n) => n);
    expect(await releaseTasks(d, fleet, undefined, 600, 700)).toMatch(/of 100 tasks/);
    expect(await releaseTasks(d, fleet, { ...counts, running: 600 }, 600, 700)).toBe('');
    expect(await releaseTasks(d, { ...fleet, drain: 'none' }, counts, 600, 700)).toBe('');
    expect(asked).toEqual([100]);
  });

  it('says why when the release fails: the tasks drain instead', async () => {
    const { deps: d } = deps(async () => {
      throw new Error('ThrottlingException');
    });
    expect(await releaseTasks(d, fleet, counts, 600, 700)).toBe(
      ' (releasing the scale-in protection of 300 tasks failed, so they drain: ThrottlingException)',
    );
  });
});
