import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Rule } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { RUNTIME_CONFIG_TEXT, testDeps, testRuntime, testShield } from '../fixtures/runtime';

const SHIELD = `shield:
  webAcl: { mode: existing, name: join-acl, id: acl-1, arn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/join-acl/acl-1', region: us-east-1 }
  rules:
    - { name: anti-ddos, kind: managed-rule-group, group: AWSManagedRulesAntiDDoSRuleSet, armedAction: Challenge, ruleActionOverrides: [ChallengeDDoSRequests] }
`;
const runtime = testRuntime(RUNTIME_CONFIG_TEXT + SHIELD);
const DOORS = Date.parse(runtime.plan.events[0]!.doorsOpen);
const MIN = 60_000;
const waf = mockClient(WAFV2Client);

/** The group as the team left it: their own Count override on the very rule the shield arms. */
const TEAM_RULES: Rule[] = [
  {
    Name: 'anti-ddos',
    Priority: 1,
    OverrideAction: { Count: {} },
    Statement: {
      ManagedRuleGroupStatement: {
        VendorName: 'AWS',
        Name: 'AWSManagedRulesAntiDDoSRuleSet',
        RuleActionOverrides: [{ Name: 'ChallengeDDoSRequests', ActionToUse: { Count: {} } }],
      },
    },
    VisibilityConfig: undefined as never,
  },
];

function setup() {
  const made = testDeps(DOORS + 10 * MIN, runtime);
  const { clock, state } = made;
  let rules = structuredClone(TEAM_RULES);
  waf.reset();
  waf.on(GetWebACLCommand).callsFake(() => ({
    WebACL: { Name: 'join-acl', Id: 'acl-1', Rules: structuredClone(rules) },
    LockToken: 't',
  }));
  waf.on(UpdateWebACLCommand).callsFake((input: { Rules: Rule[] }) => {
    rules = input.Rules;
    return {};
  });
  const shield = testShield(runtime, made);
  return { shield, state, clock, rules: () => rules };
}

describe('shield release after an event', () => {
  it("disarms into the team's own overrides, kept in state since the arm, and audits the disarm under the event", async () => {
    const { shield, state, clock, rules } = setup();
    const ev = await state.getEvent('ev');
    const armedEvent = await state.putEvent(
      {
        ...ev,
        shieldOverride: { mode: 'armed', untilMs: clock.now() + 5 * MIN, by: 'oncall', reason: 'drill' },
      },
      ev.version,
    );
    await shield.onTick({
      nowMs: clock.now(),
      events: [{ eventId: 'ev', eventState: armedEvent, doorsOpenMs: DOORS, freshAgeMs: 0, fleets: [] }],
      wafData: new Map(),
      mode: 'active',
    });
    const armed = rules()[0]!.Statement!.ManagedRuleGroupStatement!.RuleActionOverrides;
    expect(armed).toEqual([{ Name: 'ChallengeDDoSRequests', ActionToUse: { Challenge: {} } }]);
    expect((await state.getGlobal()).wafOverrides).toEqual({
      'anti-ddos': [{ Name: 'ChallengeDDoSRequests', ActionToUse: { Count: {} } }],
    });

    clock.advance(10 * MIN);
    await shield.release(clock.now(), 'active', [], 'ev');

    expect(rules()).toEqual(TEAM_RULES);
    expect((await state.getGlobal()).wafOverrides).toBeUndefined();
    const disarm = (await state.listAudit({ eventId: 'ev' })).filter(
      (a) => a.action === 'UpdateWebACL:disarm',
    );
    expect(disarm).toEqual([
      expect.objectContaining({ eventId: 'ev', kind: 'aws-call', reason: 'the event ended', result: 'ok' }),
    ]);
  });
});
