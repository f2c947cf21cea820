import type { RunbookResponse } from '../../lambda/controller/runbook';
import type { Transport } from '../../bin/cli/runbook/transport';
import { regionalFailure, regionsFor, sendToRegions } from '../../bin/cli/runbook/regions';
import { testRuntime } from '../fixtures/runtime';

/** Regional runbooks that record what they were sent and fail where told to. */
function fakeRunbooks(failIn: Record<string, (req: Record<string, unknown>) => boolean> = {}) {
  const sent: { region: string; request: Record<string, unknown> }[] = [];
  const transportFor = (region: string): Transport => ({
    send: async (request) => {
      sent.push({ region, request });
      if (failIn[region]?.(request)) throw new Error(`throttled in ${region}`);
      return {
        ok: true,
        op: String(request.op),
        changed: [`${String(request.op)} in ${region}`],
      } as RunbookResponse;
    },
  });
  return { sent, transportFor };
}

describe('routing runbook requests to regional stacks', () => {
  const config = testRuntime().config;

  it.each([
    ['status of every event', { op: 'status' }, ['us-east-1', 'eu-west-1']],
    [
      'an event with fleets in two regions',
      { op: 'shift', eventId: 'ev', minutes: 40 },
      ['us-east-1', 'eu-west-1'],
    ],
    ['a fleet floor, where the fleet runs', { op: 'scale', eventId: 'ev', fleetId: 'euw1' }, ['eu-west-1']],
    ['automation on or off', { op: 'pause' }, ['us-east-1', 'eu-west-1']],
  ])('%s', (_name, request, regions) => {
    expect(regionsFor(config, request)).toEqual(regions);
  });

  it('names what it cannot route, and how to go around it', () => {
    expect(() => regionsFor(config, { op: 'hold', eventId: 'nope' })).toThrow(
      'event "nope" is not in the config; pass --region to ask one stack directly',
    );
    expect(() => regionsFor(config, { op: 'scale', eventId: 'ev', fleetId: 'x' })).toThrow(/fleet "x"/);
    expect(() => regionsFor({ ...config, shield: undefined }, { op: 'shield', eventId: 'ev' })).toThrow(
      /no shield/,
    );
  });
});

describe('sending to several regions', () => {
  it('asks every region for a read, even when one fails', async () => {
    // Prepare
    const { sent, transportFor } = fakeRunbooks({ 'us-east-1': () => true });

    // Act
    const answers = await sendToRegions(['us-east-1', 'eu-west-1'], transportFor, { op: 'status' });

    // Assess
    expect(sent.map((s) => s.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(answers.find((a) => a.region === 'eu-west-1')!.response!.ok).toBe(true);
    expect(regionalFailure(answers)).toBe('us-east-1: throttled in us-east-1; ok in eu-west-1');
  });

  it('shifts back the regions already shifted when a later region fails', async () => {
    // Prepare
    const { sent, transportFor } = fakeRunbooks({ 'eu-west-1': (r) => r.op === 'shift' });

    // Act
    const answers = await sendToRegions(['us-east-1', 'eu-west-1', 'ap-south-1'], transportFor, {
      op: 'shift',
      eventId: 'ev',
      minutes: 40,
      reason: 'late start',
    });

    // Assess: the event is not left half moved, and the third region was never asked
    expect(sent.map((s) => [s.region, s.request.minutes])).toEqual([
      ['us-east-1', 40],
      ['eu-west-1', 40],
      ['us-east-1', -40],
    ]);
    expect(sent[2]!.request.reason).toBe('undo: the shift failed in eu-west-1 (late start)');
    expect(answers.find((a) => a.region === 'ap-south-1')!.skipped).toBe(true);
    expect(regionalFailure(answers)).toBe(
      'eu-west-1: throttled in eu-west-1; undone in us-east-1; not sent to ap-south-1',
    );
  });

  it('says where a change was done and where not when it cannot be undone', async () => {
    const { transportFor } = fakeRunbooks({ 'eu-west-1': () => true });
    const answers = await sendToRegions(['us-east-1', 'eu-west-1'], transportFor, {
      op: 'hold',
      eventId: 'ev',
      forMinutes: 30,
      reason: 'r',
    });
    expect(regionalFailure(answers)).toBe('eu-west-1: throttled in eu-west-1; ok in us-east-1');
  });

  it('reports nothing when every region answered', async () => {
    const { transportFor } = fakeRunbooks();
    const answers = await sendToRegions(['us-east-1', 'eu-west-1'], transportFor, {
      op: 'pause',
      reason: 'r',
    });
    expect(regionalFailure(answers)).toBeUndefined();
    expect(answers.map((a) => a.response!.changed[0])).toEqual(['pause in us-east-1', 'pause in eu-west-1']);
  });
});
