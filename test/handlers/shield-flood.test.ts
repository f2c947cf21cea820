import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { INITIAL_SHIELD_STATE } from '../../lambda/core/shield-policy';
import { RUNTIME_CONFIG_TEXT, joinRateRule, testDeps, testRuntime, testShield } from '../fixtures/runtime';

const SHIELD = `shield:
  webAcl: { mode: existing, name: join-acl, id: acl-1, arn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/join-acl/acl-1', region: us-east-1 }
  rules:
    - { name: join-rate, kind: rate-per-ip }
`;
const runtime = testRuntime(RUNTIME_CONFIG_TEXT + SHIELD);
const DOORS = Date.parse(runtime.plan.events[0]!.doorsOpen);
const MIN = 60_000;
const waf = mockClient(WAFV2Client);

beforeEach(() => {
  waf.reset();
  waf.on(GetWebACLCommand).callsFake(() => ({
    WebACL: {
      Name: 'join-acl',
      Id: 'acl-1',
      Rules: [joinRateRule({ Block: {} })],
    },
    LockToken: 't',
  }));
  waf.on(UpdateWebACLCommand).resolves({});
});

describe('capacity errors under a flood', () => {
  it.each([
    ['began before the rules were armed: the errors may be the flood', 0.5, true],
    [
      'began a minute or more after they were armed: the flood is blocked, the errors are listeners',
      2,
      false,
    ],
  ])('a datapoint judged an attack that %s', async (_, minutesAfterArm, suspected) => {
    // Prepare: the shield armed at `armedAt`; an attack datapoint (invalid tokens) some minutes after it
    const made = testDeps(DOORS + 10 * MIN, runtime);
    const { state, clock } = made;
    const armedAtMs = clock.now() - 5 * MIN;
    const ev = await state.getEvent('ev');
    const eventState = await state.putEvent(
      { ...ev, shield: { ...INITIAL_SHIELD_STATE, mode: 'armed', armedAtMs } },
      ev.version,
    );
    const t = armedAtMs + minutesAfterArm * MIN;
    const point = (v: number) => [{ t, v }];
    const shield = testShield(runtime, made);
    // Act
    const out = await shield.onTick({
      nowMs: clock.now(),
      events: [
        {
          eventId: 'ev',
          eventState,
          doorsOpenMs: DOORS,
          freshAgeMs: 10 * MIN,
          fleets: [
            {
              fleetId: 'use1',
              metrics: {
                joinRequests: point(60_000),
                joinSuccesses: point(1_000),
                joinErrorsCapacity: point(1_000),
                joinErrorsAuth: point(58_000),
                listeners: point(150_000),
              },
              runningTasks: 100,
              model: runtime.models.use1!,
            },
          ],
        },
      ],
      wafData: new Map(),
      mode: 'active',
    });
    // Assess
    const verdict = (await state.listAudit({ eventId: 'ev' })).find((a) => a.action.startsWith('verdict:'));
    expect(verdict?.action).toMatch(/^verdict:attack/);
    expect(out.floodSuspected.ev).toBe(suspected);
  });
});
