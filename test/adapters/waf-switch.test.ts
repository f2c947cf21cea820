import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import type { WebACL } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { WafV2Switch } from '../../lambda/adapters/waf-switch';
import { FakeClock } from '../fakes/clock';

const visibility = (name: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName: name,
});

/** A web ACL with our rules in Count among rules we do not own, Shield Advanced's group included. */
function webAcl(): WebACL {
  return {
    Name: 'join-acl',
    Id: 'acl-1',
    ARN: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/join-acl/acl-1',
    DefaultAction: { Allow: {} },
    Description: 'front door',
    Capacity: 1200,
    LabelNamespace: 'awswaf:123456789012:webacl:join-acl:',
    ManagedByFirewallManager: false,
    VisibilityConfig: visibility('join-acl'),
    CustomResponseBodies: { busy: { ContentType: 'TEXT_PLAIN', Content: 'busy' } },
    TokenDomains: ['example.com'],
    Rules: [
      {
        Name: 'team-allowlist',
        Priority: 0,
        Statement: { IPSetReferenceStatement: { ARN: 'arn:aws:wafv2:us-east-1:1:regional/ipset/a/b' } },
        Action: { Allow: {} },
        VisibilityConfig: visibility('allow'),
      },
      {
        Name: 'surgeguard-join-rate-per-ip',
        Priority: 1,
        Statement: { RateBasedStatement: { Limit: 300, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
        Action: { Count: {} },
        VisibilityConfig: visibility('rate'),
      },
      {
        Name: 'surgeguard-ip-reputation',
        Priority: 2,
        Statement: {
          ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
        },
        OverrideAction: { Count: {} },
        VisibilityConfig: visibility('rep'),
      },
      {
        Name: 'surgeguard-anti-ddos',
        Priority: 3,
        Statement: {
          ManagedRuleGroupStatement: {
            VendorName: 'AWS',
            Name: 'AWSManagedRulesAntiDDoSRuleSet',
            RuleActionOverrides: [{ Name: 'ChallengeAllDuringEvent', ActionToUse: { Count: {} } }],
          },
        },
        OverrideAction: { Count: {} },
        VisibilityConfig: visibility('ddos'),
      },
      {
        Name: 'ShieldMitigationRuleGroup_123456789012_5e665b1c_abc',
        Priority: 10000000,
        Statement: {
          RuleGroupReferenceStatement: { ARN: 'arn:aws:wafv2:us-east-1:1:regional/rulegroup/shield/x' },
        },
        OverrideAction: { None: {} },
        VisibilityConfig: visibility('shield'),
      },
    ],
  };
}

const rules = [
  { name: 'surgeguard-join-rate-per-ip', armedAction: 'Block' as const },
  { name: 'surgeguard-ip-reputation', armedAction: 'Block' as const },
  {
    name: 'surgeguard-anti-ddos',
    armedAction: 'Challenge' as const,
    ruleActionOverrides: ['ChallengeDDoSRequests'],
  },
];

describe('WafV2Switch', () => {
  const waf = mockClient(WAFV2Client);
  let clock: FakeClock;
  const make = () =>
    new WafV2Switch(
      new WAFV2Client({ region: 'us-east-1' }),
      { name: 'join-acl', id: 'acl-1', scope: 'REGIONAL' },
      rules,
      clock,
    );
  beforeEach(() => {
    waf.reset();
    clock = new FakeClock(0);
    waf.on(GetWebACLCommand).resolves({ WebACL: webAcl(), LockToken: 'lock-1' });
  });

  it('sends back the web ACL as read, except the switched actions', async () => {
    const res = await make().apply('armed');
    expect(res.changed).toEqual(rules.map((r) => r.name));
    expect(waf).toHaveReceivedCommandWith(GetWebACLCommand, {
      Name: 'join-acl',
      Id: 'acl-1',
      Scope: 'REGIONAL',
    });
    const input = waf.commandCalls(UpdateWebACLCommand)[0]!.args[0].input;
    const expected = webAcl();
    const [allow, rate, rep, ddos, shield] = expected.Rules!;
    rate!.Action = { Block: {} };
    rep!.OverrideAction = { None: {} };
    ddos!.OverrideAction = { None: {} };
    ddos!.Statement!.ManagedRuleGroupStatement!.RuleActionOverrides = [
      { Name: 'ChallengeAllDuringEvent', ActionToUse: { Count: {} } },
      { Name: 'ChallengeDDoSRequests', ActionToUse: { Challenge: {} } },
    ];
    const { ARN: _a, Capacity: _c, LabelNamespace: _l, ManagedByFirewallManager: _m, ...writable } = expected;
    expect(input).toEqual({
      ...writable,
      Rules: [allow, rate, rep, ddos, shield],
      Scope: 'REGIONAL',
      LockToken: 'lock-1',
    });
    // Shield Advanced's group goes back untouched, byte for byte.
    expect(JSON.stringify(input.Rules![4])).toBe(JSON.stringify(webAcl().Rules![4]));
  });

  it('writes nothing when the rules are already in the mode', async () => {
    expect(await make().apply('disarmed')).toEqual({ changed: [] });
    expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
  });

  it('reads each rule mode, and sees a rule a person changed', async () => {
    const acl = webAcl();
    acl.Rules![1]!.Action = { Block: {} };
    acl.Rules![2]!.OverrideAction = undefined;
    waf.on(GetWebACLCommand).resolves({ WebACL: acl, LockToken: 'l' });
    expect(await make().read()).toEqual({
      'surgeguard-join-rate-per-ip': 'armed',
      'surgeguard-ip-reputation': 'other',
      'surgeguard-anti-ddos': 'disarmed',
    });
  });

  it('re-reads and retries on a stale lock token', async () => {
    waf
      .on(GetWebACLCommand)
      .resolvesOnce({ WebACL: webAcl(), LockToken: 'stale' })
      .resolves({ WebACL: webAcl(), LockToken: 'fresh' });
    waf
      .on(UpdateWebACLCommand)
      .rejectsOnce(Object.assign(new Error('lock'), { name: 'WAFOptimisticLockException' }))
      .resolves({ NextLockToken: 'next' });
    await make().apply('armed');
    expect(waf).toHaveReceivedCommandTimes(GetWebACLCommand, 2);
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 2);
    expect(waf.commandCalls(UpdateWebACLCommand)[1]!.args[0].input.LockToken).toBe('fresh');
  });

  it('gives up after a bounded number of lock conflicts', async () => {
    waf
      .on(UpdateWebACLCommand)
      .rejects(Object.assign(new Error('lock'), { name: 'WAFOptimisticLockException' }));
    await expect(make().apply('armed')).rejects.toThrow('lock');
    expect(waf).toHaveReceivedCommandTimes(UpdateWebACLCommand, 5);
  });

  it('keeps to one update a second', async () => {
    const sw = make();
    await sw.apply('armed');
    waf.on(GetWebACLCommand).resolves({
      WebACL: {
        ...webAcl(),
        Rules: webAcl().Rules!.map((r) =>
          r.Name === 'surgeguard-join-rate-per-ip' ? { ...r, Action: { Block: {} } } : r,
        ),
      },
      LockToken: 'l2',
    });
    const before = clock.now();
    await sw.apply('disarmed');
    expect(clock.now() - before).toBeGreaterThanOrEqual(1000);
  });

  it("arms over a team's override of the same rule and the disarm puts back exactly what was there", async () => {
    const teamOverrides = [
      { Name: 'ChallengeAllDuringEvent', ActionToUse: { Count: {} } },
      { Name: 'ChallengeDDoSRequests', ActionToUse: { Count: {} } },
    ];
    let current = webAcl();
    current.Rules![3]!.Statement!.ManagedRuleGroupStatement!.RuleActionOverrides =
      structuredClone(teamOverrides);
    const original = structuredClone(current.Rules!);
    waf.on(GetWebACLCommand).callsFake(() => ({ WebACL: structuredClone(current), LockToken: 'l' }));
    waf.on(UpdateWebACLCommand).callsFake((input: { Rules: WebACL['Rules'] }) => {
      current = { ...current, Rules: input.Rules };
      return {};
    });
    const sw = make();
    const armed = await sw.apply('armed');
    expect(armed.saved).toEqual({ 'surgeguard-anti-ddos': teamOverrides });
    expect(current.Rules![3]!.Statement!.ManagedRuleGroupStatement!.RuleActionOverrides).toEqual([
      { Name: 'ChallengeAllDuringEvent', ActionToUse: { Count: {} } },
      { Name: 'ChallengeDDoSRequests', ActionToUse: { Challenge: {} } },
    ]);
    await sw.apply('disarmed', armed.saved);
    expect(current.Rules).toEqual(original);
  });

  it('without the saved overrides, a disarm removes only the overrides the arm adds', async () => {
    let current = webAcl();
    waf.on(GetWebACLCommand).callsFake(() => ({ WebACL: structuredClone(current), LockToken: 'l' }));
    waf.on(UpdateWebACLCommand).callsFake((input: { Rules: WebACL['Rules'] }) => {
      current = { ...current, Rules: input.Rules };
      return {};
    });
    const sw = make();
    await sw.apply('armed');
    await sw.apply('disarmed');
    expect(current.Rules).toEqual(webAcl().Rules);
  });

  it('refuses to switch when a named rule is missing from the web ACL', async () => {
    waf
      .on(GetWebACLCommand)
      .resolves({ WebACL: { ...webAcl(), Rules: webAcl().Rules!.slice(0, 2) }, LockToken: 'l' });
    await expect(make().apply('armed')).rejects.toThrow(
      'web ACL join-acl has no rule named surgeguard-ip-reputation, surgeguard-anti-ddos',
    );
    expect(waf).not.toHaveReceivedCommand(UpdateWebACLCommand);
  });
});
