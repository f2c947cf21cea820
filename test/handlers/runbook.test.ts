import {
  ApplicationAutoScalingClient,
  DeleteScheduledActionCommand,
  DescribeScalableTargetsCommand,
  DescribeScheduledActionsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Rule } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { WafV2Switch } from '../../lambda/adapters/waf-switch';
import { EventBridgeSchedules } from '../../lambda/adapters/eventbridge-schedules';
import { desiredSchedules } from '../../lambda/core/schedules';
import type { RunbookDeps } from '../../lambda/controller/runbook';
import { watchTick } from '../../lambda/controller/watch';
import { READ_OPERATIONS } from '../../lambda/controller/runbook';
import type { AutomationExecution } from '../../lambda/handlers/runbook';
import { makeRunbookAutomationHandler, makeRunbookUrlHandler } from '../../lambda/handlers/runbook';
import { RUNTIME_CONFIG_TEXT, lambdaContext, testDeps, testRuntime } from '../fixtures/runtime';
import { TEAMS_OWN, scheduledAction } from '../fixtures/scheduled-actions';

const aas = mockClient(ApplicationAutoScalingClient);
const ecs = mockClient(ECSClient);
const cw = mockClient(CloudWatchClient);
const sch = mockClient(SchedulerClient);
const runtime = testRuntime();
const plan = runtime.plan.events[0]!;
const RAMP = Date.parse(plan.fleets[0]!.rampStart);
const MIN = 60_000;
const ONCALL = 'arn:aws:iam::123456789012:user/oncall';
/** The ramp step of `ev` as the watch leaves it with Application Auto Scaling. */
const rampStep = (min?: number, max?: number) =>
  scheduledAction('surgeguard-ev-20300102T003300', 'at(2030-01-02T00:33:00)', min, max);

function setup(nowMs = RAMP + 10 * MIN) {
  const t = testDeps(nowMs, runtime);
  const deps: RunbookDeps = {
    ...t.deps,
    schedules: new EventBridgeSchedules(
      new SchedulerClient({ region: 'us-east-1' }),
      'surgeguard-us-east-1',
      {
        prescaleArn: 'arn:prescale',
        restoreArn: 'arn:restore',
        roleArn: 'arn:role',
      },
    ),
  };
  const handler = makeRunbookUrlHandler(() => deps);
  // What SSM recorded of each execution: the test's console.
  const executions = new Map<string, AutomationExecution>();
  const automation = makeRunbookAutomationHandler(
    () => deps,
    async (id) => {
      const e = executions.get(id);
      if (!e) throw new Error(`execution ${id} not found`);
      return e;
    },
    'SurgeGuard-us-east-1',
  );
  const call = async (body: unknown, actor: string | null = ONCALL, h = handler) => {
    const res = (await h(
      {
        rawPath: '/',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { authorizer: actor ? { iam: { userArn: actor } } : undefined },
      } as never,
      lambdaContext(),
    )) as { statusCode: number; body: string };
    return {
      status: res.statusCode,
      ...(JSON.parse(res.body) as {
        ok: boolean;
        changed: string[];
        unchanged?: string[];
        error?: string;
        data?: unknown;
      }),
    };
  };
  return { ...t, deps, handler, call, automation, executions };
}

beforeEach(() => {
  for (const m of [aas, ecs, cw, sch]) m.reset();
  aas
    .on(DescribeScalableTargetsCommand)
    .resolves({ ScalableTargets: [{ MinCapacity: 10, MaxCapacity: 500 } as never] });
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((s) => ({
      serviceName: s,
      desiredCount: 50,
      runningCount: 48,
      pendingCount: 2,
    })),
  }));
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
});

describe('runbook handler', () => {
  it('refuses unsigned requests and any other invocation', async () => {
    const { call, handler } = setup();
    expect((await call({ op: 'pause', reason: 'x' }, null)).status).toBe(403);
    await expect(handler({ op: 'pause', reason: 'x' } as never, lambdaContext())).rejects.toThrow(/refused/);
    // SSM executions have their own entry point; the URL's does not take them.
    const ssm = { source: 'ssm-automation', executionId: 'exec-1' };
    await expect(handler(ssm as never, lambdaContext())).rejects.toThrow(/refused/);
  });

  it.each([
    [{ op: 'launch' }, /op must be one of/],
    [{ op: 'scale', eventId: 'ev', fleetId: 'use1', to: 300, forMinutes: 30 }, /reason: missing/],
    [
      { op: 'scale', eventId: 'ev', fleetId: 'use1', to: 300, forMinutes: 30, reason: ' ' },
      /reason: expected why/,
    ],
    [
      { op: 'scale', eventId: 'nope', fleetId: 'use1', to: 300, forMinutes: 30, reason: 'r' },
      /unknown event "nope"; expected one of: ev/,
    ],
    [
      { op: 'scale', eventId: 'ev', fleetId: 'nope', to: 300, forMinutes: 30, reason: 'r' },
      /fleet "nope" is not in event ev/,
    ],
    [
      { op: 'scale', eventId: 'ev', fleetId: 'use1', to: 300, byPercent: 10, forMinutes: 30, reason: 'r' },
      /exactly one of --to N or --by PCT/,
    ],
    [
      { op: 'scale', eventId: 'ev', fleetId: 'use1', to: 300, forMinutes: 0, reason: 'r' },
      /duration: expected more than 0/,
    ],
    [
      { op: 'scale', eventId: 'ev', fleetId: 'use1', to: 5, forMinutes: 30, reason: 'r' },
      /below the plan's floor .* add --force/,
    ],
    [
      { op: 'scale', eventId: 'ev', fleetId: 'use1', to: 99999, forMinutes: 30, reason: 'r' },
      /above the fleet's maxTasks 900/,
    ],
    [{ op: 'hold', forMinutes: 30, reason: 'r' }, /exactly one of --event ID or --all/],
    [{ op: 'shift', eventId: 'ev', minutes: 0, reason: 'r' }, /--minutes: expected a whole number/],
    [{ op: 'shield', eventId: 'ev', mode: 'arm', forMinutes: 10, reason: 'r' }, /no shield is configured/],
    ['{not json', /not JSON/],
  ])('rejects bad input %j with a clear error and no change', async (body, message) => {
    const { call, db } = setup();
    const r = await call(body);
    expect(r.status).toBe(400);
    expect(r.error).toMatch(message);
    expect([...db.items.keys()].filter((k) => !k.startsWith('AUDIT'))).toEqual([]);
  });

  it('sets a manual floor that the watch honours, and audits who asked, from AWS', async () => {
    const { call, deps, state } = setup();
    const target = plan.fleets[0]!.neededTasks + 100;
    const r = await call({
      op: 'scale',
      eventId: 'ev',
      fleetId: 'use1',
      to: target,
      forMinutes: 30,
      reason: 'audience 3x forecast',
    });
    expect(r).toMatchObject({ status: 200, ok: true });
    expect(r.changed[0]).toMatch(new RegExp(`ev/use1: manual floor ${target} tasks until`));
    await watchTick(deps);
    expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { MinCapacity: target });
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(audit.find((a) => a.action === 'scale')).toMatchObject({
      actor: ONCALL,
      reason: 'audience 3x forecast',
      kind: 'operation',
    });
  });

  it('lets a forced floor go below the plan, and an expired override no longer counts', async () => {
    const { call, deps, clock, state } = setup();
    const r = await call({
      op: 'scale',
      eventId: 'ev',
      fleetId: 'use1',
      by: undefined,
      byPercent: 50,
      forMinutes: 5,
      reason: 'r',
    });
    expect(r.status).toBe(200);
    const forced = await call({
      op: 'scale',
      eventId: 'ev',
      fleetId: 'use1',
      to: 5,
      forMinutes: 5,
      force: true,
      reason: 'drain for a bad AMI',
    });
    expect(forced.changed[0]).toMatch(/manual floor 5 tasks \(forced\)/);
    clock.advance(10 * MIN);
    await watchTick(deps);
    const s = await state.getFleet('ev', 'use1');
    expect(s?.lastDecision?.reason).not.toMatch(/manual floor/);
  });

  it('holds and resumes automation: decisions are still made and audited, nothing is applied', async () => {
    const { call, deps, state } = setup();
    expect(
      (await call({ op: 'hold', all: true, forMinutes: 60, reason: 'investigating' })).changed[0],
    ).toMatch(/automation held for all events/);
    await watchTick(deps);
    expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    const decisions = (await state.listAudit({ eventId: 'ev' })).filter((a) => a.kind === 'decision');
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => d.result !== 'ok' || d.action === 'hold')).toBe(true);
    expect((await call({ op: 'resume', all: true, reason: 'clear' })).changed[0]).toBe(
      'automation resumed for all events',
    );
    await watchTick(deps);
    expect(aas).toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('shifts the event: the state moves, then its schedules are replaced by ones at the new times', async () => {
    // Prepare: the event's schedules as the watch made them, at the published times.
    const { call, state } = setup(RAMP - 120 * MIN);
    const before = desiredSchedules(runtime, RAMP - 120 * MIN).map((d) => d.name);
    sch.on(ListSchedulesCommand).resolves({ Schedules: before.map((Name) => ({ Name })) });
    sch.on(CreateScheduleCommand).resolves({});
    sch.on(DeleteScheduleCommand).resolves({});
    // Act
    const r = await call({ op: 'shift', eventId: 'ev', minutes: 40, reason: 'host is late' });
    // Assess: new schedules at the shifted times, the old ones gone, the shift recorded.
    expect(r.changed[0]).toMatch(/ev moved later by 40 minutes \(40 in all\): starts 2030-01-02T01:40:00Z/);
    const ramp = new Date(RAMP + 40 * MIN).toISOString().slice(0, 19);
    expect(sch).toHaveReceivedCommandWith(CreateScheduleCommand, {
      ScheduleExpression: `at(${ramp})`,
      ActionAfterCompletion: 'DELETE',
      Target: expect.objectContaining({
        Arn: 'arn:prescale',
        Input: expect.stringContaining('"eventId":"ev"'),
      }),
    });
    expect(
      sch
        .commandCalls(DeleteScheduleCommand)
        .map((c) => c.args[0].input.Name)
        .sort(),
    ).toEqual([...before].sort());
    expect((await state.getEvent('ev')).shiftMinutes).toBe(40);
  });

  it('keeps the shift and says the watch will move the schedules when Scheduler refuses', async () => {
    const { call, state } = setup(RAMP - 120 * MIN);
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch.on(CreateScheduleCommand).rejects(
      Object.assign(new Error('denied'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const r = await call({ op: 'shift', eventId: 'ev', minutes: 15, reason: 'r' });
    expect(r.changed[0]).toMatch(
      /schedules not moved yet \(AccessDeniedException: denied\): the watch moves them within 10 minutes/,
    );
    expect((await state.getEvent('ev')).shiftMinutes).toBe(15);
  });

  it('takes back the plan steps left with Application Auto Scaling before it moves the event', async () => {
    // Prepare: the watch left the ramp step with AWS, and the team has a scheduled action of its own
    const { call, state } = setup(RAMP - 10 * MIN);
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch.on(CreateScheduleCommand).resolves({});
    aas.on(DescribeScheduledActionsCommand).resolves({
      ScheduledActions: [rampStep(), TEAMS_OWN],
    });
    aas.on(DeleteScheduledActionCommand).resolves({});
    // Act: the event moves two hours later, out of the watch window
    const r = await call({ op: 'shift', eventId: 'ev', minutes: 120, reason: 'host is late' });
    // Assess: the step at the old time is gone, the team's action stays, the shift is recorded
    expect(r.ok).toBe(true);
    expect(aas).toHaveReceivedCommandTimes(DeleteScheduledActionCommand, 1);
    expect(aas).toHaveReceivedCommandWith(DeleteScheduledActionCommand, {
      ScheduledActionName: 'surgeguard-ev-20300102T003300',
    });
    expect((await state.getEvent('ev')).shiftMinutes).toBe(120);
  });

  it('does not move the event while the plan steps left with AWS cannot be taken back', async () => {
    const { call, state } = setup(RAMP - 10 * MIN);
    aas.on(DescribeScheduledActionsCommand).resolves({
      ScheduledActions: [rampStep()],
    });
    aas
      .on(DeleteScheduledActionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const r = await call({ op: 'shift', eventId: 'ev', minutes: 120, reason: 'r' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Rate exceeded/);
    expect((await state.getEvent('ev')).shiftMinutes).toBe(0);
  });

  it('refuses a shift that would move the event more than a day in all', async () => {
    const { call, state } = setup(RAMP - 120 * MIN);
    sch.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sch.on(CreateScheduleCommand).resolves({});
    await call({ op: 'shift', eventId: 'ev', minutes: 1000, reason: 'r' });
    const r = await call({ op: 'shift', eventId: 'ev', minutes: 500, reason: 'r' });
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/1500 minutes in all, more than 1440/);
    expect((await state.getEvent('ev')).shiftMinutes).toBe(1000);
  });

  it('switches the global mode: dry-run, pause, activate', async () => {
    const { call, state } = setup();
    expect((await call({ op: 'dry-run', on: true, reason: 'rehearsal' })).changed).toEqual([
      'automation active -> dry-run',
    ]);
    expect((await state.getGlobal()).mode).toBe('dry-run');
    expect((await call({ op: 'pause', reason: 'r' })).changed).toEqual(['automation dry-run -> paused']);
    expect((await call({ op: 'activate', reason: 'r' })).changed).toEqual(['automation paused -> active']);
    expect(await call({ op: 'activate', reason: 'r' })).toMatchObject({
      changed: [],
      unchanged: ['automation already active'],
    });
  });

  it('restores now, to exactly the recorded settings', async () => {
    const { call, deps } = setup();
    await watchTick(deps);
    aas
      .on(DescribeScalableTargetsCommand)
      .resolves({ ScalableTargets: [{ MinCapacity: 400, MaxCapacity: 500 } as never] });
    const r = await call({ op: 'restore', eventId: 'ev', reason: 'event cancelled' });
    expect(r.changed).toContain('ev/use1: recorded settings restored');
    expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
      MinCapacity: 10,
      MaxCapacity: 500,
    });
    expect(r.unchanged).toEqual(['ev/euw1: already at its recorded settings']);
    expect(r.changed).toEqual(['ev/use1: recorded settings restored']);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('refuses changes to an event that is over', async () => {
    const { call } = setup(RAMP + 24 * 60 * MIN);
    const r = await call({ op: 'hold', eventId: 'ev', forMinutes: 10, reason: 'r' });
    expect(r).toMatchObject({ status: 400, error: 'event "ev" is over: nothing to change' });
  });

  it('reports status, the published document it acts on, and the audit trail', async () => {
    const { call, deps } = setup();
    Object.assign(deps, { documentVersion: 'v7' });
    await watchTick(deps);
    await call({ op: 'pause', reason: 'checking' });
    const s = await call({ op: 'status', eventId: 'ev' });
    const data = s.data as {
      automation: string;
      document: string | null;
      events: {
        fleets: { fleet: string; plannedTasks: number; runningTasks: number; lastDecision: unknown }[];
      }[];
      quota: unknown[];
    };
    expect(data.automation).toBe('paused');
    expect(data.document).toBe('v7');
    expect(data.events[0]!.fleets.map((f) => f.fleet)).toEqual(['use1', 'euw1']);
    expect(data.events[0]!.fleets[0]).toMatchObject({
      runningTasks: 48,
      lastDecision: expect.objectContaining({ reason: expect.any(String) }),
    });
    expect(data.quota).toHaveLength(2);
    const a = await call({ op: 'audit', sinceMinutes: 60 });
    expect((a.data as { action: string }[]).some((r) => r.action === 'pause')).toBe(true);
  });

  it('shows the plan steps AWS applies by itself, and says when they cannot be read', async () => {
    // Prepare: the watch left the ramp step with Application Auto Scaling
    const { call } = setup(RAMP - 10 * MIN);
    aas.on(DescribeScheduledActionsCommand).resolves({
      ScheduledActions: [rampStep(112, 500), TEAMS_OWN],
    });
    // Act
    const steps = async () =>
      (
        (await call({ op: 'status', eventId: 'ev' })).data as {
          events: { fleets: { fleet: string; scheduledSteps: unknown }[] }[];
        }
      ).events[0]!.fleets.map((f) => [f.fleet, f.scheduledSteps]);
    // Assess: the min-capacity fleet's step, none for the desired-count one (no scalable target to hold any)
    expect(await steps()).toEqual([
      ['use1', [{ at: '2030-01-02T00:33:00Z', minCapacity: 112, maxCapacity: 500 }]],
      ['euw1', []],
    ]);
    aas.on(DescribeScheduledActionsCommand).rejects(new Error('AccessDenied'));
    expect(await steps()).toEqual([
      ['use1', null],
      ['euw1', []],
    ]);
  });

  it('takes the caller and the request from SSM: a running execution of its own documents, used once', async () => {
    const { automation, executions, state } = setup();
    const alice = 'arn:aws:sts::123456789012:assumed-role/Responder/alice';
    const run = (executionId: string, extra: Record<string, unknown> = {}) =>
      automation({ source: 'ssm-automation', executionId, ...extra } as never, lambdaContext());
    executions.set('exec-1', {
      documentName: 'SurgeGuard-us-east-1-Pause',
      status: 'InProgress',
      executedBy: alice,
      parameters: { Reason: ['from the console'] },
    });
    // The request is what the execution was started with; a payload cannot add one.
    await expect(run('exec-1', { request: { op: 'activate', reason: 'r' } })).rejects.toThrow(
      'bad payload: request: unknown key',
    );
    const out = await run('exec-1');
    expect(out).toMatchObject({ ok: true, changed: ['automation active -> paused'] });
    const rec = (await state.listAudit({})).find((r) => r.action === 'pause');
    expect(rec).toMatchObject({ actor: `${alice} (ssm:exec-1)`, reason: 'from the console' });
    // Replaying a used execution id does nothing.
    await expect(run('exec-1')).rejects.toThrow(/execution exec-1 was already used/);
    executions.set('exec-2', { ...executions.get('exec-1')!, status: 'Success' });
    await expect(run('exec-2')).rejects.toThrow(/execution exec-2 is Success, not running/);
    executions.set('exec-3', { ...executions.get('exec-1')!, documentName: 'Someone-Elses-Pause' });
    await expect(run('exec-3')).rejects.toThrow(/not one of this stack's automation documents/);
    expect((await state.getGlobal()).mode).toBe('paused');
    expect((await state.listAudit({})).filter((r) => r.action === 'pause')).toHaveLength(1);
  });

  it('never takes an actor from a payload: the automation entry point refuses a function-URL look-alike', async () => {
    const { automation, state } = setup();
    const forged = {
      rawPath: '/',
      body: JSON.stringify({ op: 'pause', reason: 'r' }),
      isBase64Encoded: false,
      requestContext: { authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/someone-else' } } },
    };
    await expect(automation(forged as never, lambdaContext())).rejects.toThrow(/refused/);
    expect((await state.getGlobal()).mode).toBe('active');
    expect(await state.listAudit({})).toEqual([]);
  });

  it('answers reads on the read-only entry point and refuses every change there (403), changing nothing', async () => {
    const { call, deps, state } = setup();
    const read = makeRunbookUrlHandler(() => deps, READ_OPERATIONS);
    expect((await call({ op: 'status' }, ONCALL, read)).status).toBe(200);
    expect((await call({ op: 'audit' }, ONCALL, read)).status).toBe(200);
    for (const body of [
      { op: 'pause', reason: 'r' },
      { op: 'shield', eventId: 'ev', mode: 'disarm', forMinutes: 10, reason: 'r' },
      { op: 'restore', eventId: 'ev', reason: 'r' },
      { op: 'scale', eventId: 'ev', fleetId: 'use1', to: 5, forMinutes: 30, force: true, reason: 'r' },
    ]) {
      const r = await call(body, ONCALL, read);
      expect(r.status).toBe(403);
      expect(r.error).toMatch(new RegExp(`refused: ${body.op} changes state; this entry point only reads`));
    }
    expect((await state.getGlobal()).mode).toBe('active');
    expect(await state.listAudit({})).toEqual([]);
  });

  it('caps the request body and the reason with clear errors', async () => {
    const { call, state } = setup();
    const long = await call({ op: 'pause', reason: 'x'.repeat(501) });
    expect(long).toMatchObject({
      status: 400,
      error: 'bad request: reason: at most 500 characters, got 501',
    });
    const big = await call(JSON.stringify({ op: 'status', pad: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(big.error).toMatch(/request body is \d+ bytes; at most 8192/);
    expect((await state.getGlobal()).mode).toBe('active');
  });

  it('writes the audit record with the state change: no change without its record', async () => {
    const { call, db, state } = setup();
    db.faults.auditWrites = true;
    const r = await call({ op: 'pause', reason: 'r' });
    expect(r.status).toBe(500);
    expect((await state.getGlobal()).mode).toBe('active');
    db.faults.auditWrites = false;
    expect((await call({ op: 'pause', reason: 'r' })).status).toBe(200);
    expect((await state.getGlobal()).mode).toBe('paused');
    expect((await state.listAudit({})).filter((a) => a.action === 'pause')).toHaveLength(1);
  });
});

describe('runbook shield operations', () => {
  const waf = mockClient(WAFV2Client);
  const SHIELD = `shield:
  webAcl: { mode: existing, name: join-acl, id: acl-1, arn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/join-acl/acl-1', region: us-east-1 }
  rules:
    - { name: ip-reputation, kind: managed-rule-group, group: AWSManagedRulesAmazonIpReputationList }
`;
  const shieldRuntime = testRuntime(RUNTIME_CONFIG_TEXT + SHIELD);

  it('arms by hand at once, records the manual mode with its expiry, and tells on-call', async () => {
    // Prepare
    waf.reset();
    let rules: Rule[] = [
      {
        Name: 'ip-reputation',
        Priority: 1,
        OverrideAction: { Count: {} },
        Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'x' } },
        VisibilityConfig: undefined as never,
      },
    ];
    waf
      .on(GetWebACLCommand)
      .callsFake(() => ({ WebACL: { Name: 'join-acl', Id: 'acl-1', Rules: rules }, LockToken: 't' }));
    waf.on(UpdateWebACLCommand).callsFake((input: { Rules: Rule[] }) => {
      rules = input.Rules;
      return {};
    });
    const t = testDeps(RAMP + 10 * MIN, shieldRuntime);
    const published: string[] = [];
    const deps: RunbookDeps = {
      ...t.deps,
      notifier: { publish: async (subject) => void published.push(subject) },
      waf: new WafV2Switch(
        new WAFV2Client({ region: 'us-east-1' }),
        { name: 'join-acl', id: 'acl-1', scope: 'REGIONAL' },
        [{ name: 'ip-reputation', armedAction: 'Block' }],
        t.clock,
      ),
    };
    const handler = makeRunbookUrlHandler(() => deps);
    // Act
    const res = (await handler(
      {
        rawPath: '/',
        body: JSON.stringify({
          op: 'shield',
          eventId: 'ev',
          mode: 'arm',
          forMinutes: 20,
          reason: 'botnet seen by the CDN',
        }),
        isBase64Encoded: false,
        requestContext: { authorizer: { iam: { userArn: ONCALL } } },
      } as never,
      lambdaContext(),
    )) as { statusCode: number; body: string };
    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).changed[0]).toMatch(
      /shield armed by hand for ev until .* rules switched: ip-reputation/,
    );
    expect(rules[0]!.OverrideAction).toEqual({ None: {} });
    const ev = await t.state.getEvent('ev');
    expect(ev.shieldOverride).toMatchObject({ mode: 'armed', by: ONCALL, untilMs: RAMP + 30 * MIN });
    expect(published).toEqual(['SurgeGuard shield armed by hand (ev)']);
  });
});
