import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Rule } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { runWatch } from '../../lambda/controller/watch';
import { RUNTIME_CONFIG_TEXT, joinRateRule, testDeps, testRuntime, testShield } from '../fixtures/runtime';

const SHIELD = `shield:
  webAcl: { mode: existing, name: join-acl, id: acl-1, arn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/join-acl/acl-1', region: us-east-1 }
  rules:
    - { name: join-rate, kind: rate-per-ip }
    - { name: ip-reputation, kind: managed-rule-group, group: AWSManagedRulesAmazonIpReputationList }
`;
const runtime = testRuntime(RUNTIME_CONFIG_TEXT + SHIELD);
const plan = runtime.plan.events[0]!;
const DOORS = Date.parse(plan.doorsOpen);
const MIN = 60_000;

const aas = mockClient(ApplicationAutoScalingClient);
const ecs = mockClient(ECSClient);
const cw = mockClient(CloudWatchClient);
const waf = mockClient(WAFV2Client);
const publish: { subject: string; message: string }[] = [];

type Traffic = { requests: number; successes: number; capacity: number; auth: number; reputation: number };

/** How the fake CloudWatch shapes its answer: which points it leaves out, how old they are. */
type Shape = {
  /** Leave out this query's point (the newest of the answer or an older one). */
  drop?: (id: string, newest: boolean) => boolean;
  /** Minutes before now of the datapoints. @default [4, 3, 2] */
  agesMin?: number[];
  /** Datapoints on whole minutes (as CloudWatch's 60 s periods are), not relative to the tick. */
  aligned?: boolean;
};

function setup(traffic: (nowMs: number) => Traffic, shape: Shape = {}, rt = runtime) {
  const made = testDeps(DOORS + 10 * MIN, rt);
  const { deps, clock, state } = made;
  aas
    .on(DescribeScalableTargetsCommand)
    .resolves({ ScalableTargets: [{ MinCapacity: 10, MaxCapacity: 5000 } as never] });
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((s) => ({
      serviceName: s,
      desiredCount: 100,
      runningCount: 100,
      pendingCount: 0,
    })),
  }));
  let rules: Rule[] = [
    joinRateRule({ Count: {} }),
    {
      Name: 'ip-reputation',
      Priority: 2,
      OverrideAction: { Count: {} },
      Statement: {
        ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
      },
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
  cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => {
    const now = clock.now();
    const base = shape.aligned ? Math.floor(now / MIN) * MIN : now;
    const ts = (shape.agesMin ?? [4, 3, 2]).map((k) => base - k * MIN);
    const value = (id: string, t: number) => {
      const x = traffic(t);
      if (id.endsWith('_joinRequests')) return x.requests * (id.startsWith('f0') ? 0.8 : 0.2);
      if (id.endsWith('_joinSuccesses')) return x.successes * 0.5;
      if (id.endsWith('_joinErrorsCapacity')) return x.capacity * 0.5;
      if (id.endsWith('_joinErrorsAuth')) return x.auth * 0.5;
      if (id.endsWith('_listeners')) return 150_000;
      if (id === 'waf1_counted') return x.reputation * x.requests;
      if (id === 'waf_allowed') return x.requests;
      return 0;
    };
    return {
      MetricDataResults: input.MetricDataQueries.map((q) => {
        const kept = ts.filter((t, i) => !shape.drop?.(q.Id, i === ts.length - 1));
        return {
          Id: q.Id,
          Timestamps: kept.map((t) => new Date(t)),
          Values: kept.map((t) => value(q.Id, t)),
        };
      }),
    };
  });
  const shield = testShield(rt, made, {
    publish: async (subject, message) => void publish.push({ subject, message }),
  });
  const resetToCount = () => {
    rules = rules.map((r) =>
      r.OverrideAction ? { ...r, OverrideAction: { Count: {} } } : { ...r, Action: { Count: {} } },
    );
  };
  return { deps: { ...deps, shield }, clock, state, rules: () => rules, resetToCount };
}

beforeEach(() => {
  for (const m of [aas, ecs, cw, waf]) m.reset();
  publish.length = 0;
});

describe('shield in the watch tick', () => {
  it('arms on a join flood with invalid tokens from reputation-listed IPs within K ticks, and tells on-call why', async () => {
    const { deps, rules, state } = setup(() => ({
      requests: 60_000,
      successes: 1_000,
      capacity: 0,
      auth: 58_000,
      reputation: 0.6,
    }));
    await runWatch(deps);
    // Three 20 s ticks: attack, attack (arm), attack.
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 1);
    expect(rules().map((r) => r.Action ?? r.OverrideAction)).toEqual([{ Block: {} }, { None: {} }]);
    expect(publish).toHaveLength(1);
    expect(publish[0]!.subject).toMatch(/ARMED/);
    expect(publish[0]!.message).toMatch(/attack verdict for 2 consecutive datapoints/);
    expect(publish[0]!.message).toMatch(/\[firing\] auth failures \(invalid tokens\)/);
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(audit.some((a) => a.action === 'UpdateWebACL:arm' && a.result === 'ok')).toBe(true);
  });

  it('never arms on a retry storm, announces capacity-not-attack once, and asks for capacity', async () => {
    const { deps } = setup(() => ({
      requests: 500_000,
      successes: 90_000,
      capacity: 400_000,
      auth: 10_000,
      reputation: 0.01,
    }));
    await runWatch(deps);
    await runWatch(deps);
    expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
    expect(publish.map((p) => p.subject)).toEqual(['SurgeGuard ev: capacity, not attack: scaling out']);
    // Capacity was asked for on top of the forecast: 10% of 100 running tasks.
    const mins = aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input.MinCapacity!);
    expect(mins.length).toBeGreaterThan(0);
  });

  const FLOOD_TRAFFIC = () => ({
    requests: 60_000,
    successes: 1_000,
    capacity: 0,
    auth: 58_000,
    reputation: 0.6,
  });

  it('never judges a sample with a join series missing at its timestamp: no zero stands in for it', async () => {
    // JoinSuccesses has no newest datapoint: read as 0 it would look like a success collapse.
    const { deps, state } = setup(
      () => ({ requests: 60_000, successes: 59_000, capacity: 0, auth: 500, reputation: 0.01 }),
      { drop: (id, newest) => newest && id.endsWith('_joinSuccesses') },
    );
    await runWatch(deps);
    await runWatch(deps);
    expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
    const verdicts = (await state.listAudit({ eventId: 'ev' })).filter((a) =>
      a.action.startsWith('verdict:'),
    );
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.every((a) => a.action === 'verdict:unknown')).toBe(true);
    expect(verdicts[0]!.reason).toMatch(/joinSuccesses.*missing/);
  });

  it("judges a flood at the newest datapoint every fleet has when one fleet's metrics land a period later", async () => {
    // Prepare: both fleets in one region (one GetMetricData call, ids f0_ and f1_); the second fleet's newest
    // datapoints are not in yet
    const oneRegion = testRuntime(
      RUNTIME_CONFIG_TEXT.replace('region: eu-west-1', 'region: us-east-1') + SHIELD,
    );
    const { deps, state } = setup(
      FLOOD_TRAFFIC,
      { drop: (id, newest) => newest && id.startsWith('f1') },
      oneRegion,
    );
    // Act
    await runWatch(deps);
    // Assess: judged (at the period both fleets have) and armed, not held as unknown
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 1);
    const verdicts = (await state.listAudit({ eventId: 'ev' })).filter((a) =>
      a.action.startsWith('verdict:'),
    );
    expect(verdicts.every((a) => a.action === 'verdict:attack')).toBe(true);
  });

  it('never judges a stale sample, however much it looks like an attack', async () => {
    const { deps, state } = setup(FLOOD_TRAFFIC, { agesMin: [14, 13, 12] });
    await runWatch(deps);
    await runWatch(deps);
    expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
    const verdicts = (await state.listAudit({ eventId: 'ev' })).filter((a) =>
      a.action.startsWith('verdict:'),
    );
    expect(verdicts.every((a) => a.action === 'verdict:unknown')).toBe(true);
    expect(verdicts[0]!.reason).toMatch(/stale/);
  });

  it.each([
    ['a minute late (stale past the 300 s limit)', 60, false],
    ["five minutes late by configuration (the fleets' freshness, 460 s, is the limit)", 300, true],
  ])("judges 6-minute-old join datapoints by the fleets' metric delay: %s", async (_, delaySeconds, arms) => {
    // Prepare: the same flood, its newest datapoint 6 minutes old, under metrics configured as that late or not.
    const late = testRuntime(
      RUNTIME_CONFIG_TEXT.replace(
        'namespace: Spaces/SFU',
        `namespace: Spaces/SFU\n      delaySeconds: ${delaySeconds}`,
      ) + SHIELD,
    );
    const { deps, state } = setup(FLOOD_TRAFFIC, { agesMin: [8, 7, 6] }, late);
    // Act
    await runWatch(deps);
    // Assess
    if (arms) expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 1);
    else expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
    const verdicts = (await state.listAudit({ eventId: 'ev' })).filter((a) =>
      a.action.startsWith('verdict:'),
    );
    expect(verdicts[0]!.action).toBe(arms ? 'verdict:attack' : 'verdict:unknown');
  });

  it('counts one 1-minute datapoint once however many 20 s ticks see it', async () => {
    const { deps, clock } = setup(FLOOD_TRAFFIC, { aligned: true, agesMin: [3, 2] });
    // Start on a whole minute so that the three ticks of one run see the same newest datapoint.
    clock.advance(MIN - (clock.now() % MIN) + 1_000);
    await runWatch(deps);
    expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
    clock.advance(MIN - (clock.now() % MIN) + 1_000);
    await runWatch(deps);
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 1);
  });

  it('does not arm rules found in Count once the newest datapoint shows no attack: the attack has gone', async () => {
    // Prepare: armed on a flood; then the flood stops and a deploy puts the rules back in Count
    let flooding = true;
    const quiet = { requests: 2_000, successes: 1_990, capacity: 0, auth: 10, reputation: 0.01 };
    const { deps, state, clock, resetToCount } = setup(() => (flooding ? FLOOD_TRAFFIC() : quiet));
    await runWatch(deps);
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 1);
    flooding = false;
    resetToCount();
    // Act
    clock.advance(5_000);
    await runWatch(deps);
    // Assess: no second write; the audit says why
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 1);
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(
      audit.some((a) => a.result === 'skipped' && /shows no attack: not arming now/.test(a.reason)),
    ).toBe(true);
  });

  it('re-arms, with an audit, when a deploy or a person resets the rules to Count while armed', async () => {
    const { deps, state, clock, resetToCount } = setup(() => ({
      requests: 60_000,
      successes: 1_000,
      capacity: 0,
      auth: 58_000,
      reputation: 0.6,
    }));
    await runWatch(deps);
    // A `cdk deploy` puts the rules back in Count.
    resetToCount();
    clock.advance(5_000);
    await runWatch(deps);
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 2);
    const audit = await state.listAudit({ eventId: 'ev' });
    expect(audit.some((a) => a.reason.startsWith('drift: join-rate is disarmed'))).toBe(true);
  });
});
