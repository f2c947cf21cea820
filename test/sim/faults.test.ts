import { MemoryStateStore } from '../../lambda/adapters/memory-state';
import type { FleetAddress, MetricQuery } from '../../lambda/ports';
import type { AuditRecord } from '../../lambda/ports/state';
import { FaultyStateStore, FaultyWafSwitch, faultActive, faultyCapacity } from '../../sim/faults';
import { SimCapacity, SimClock, SimMetricSource, SimWafSwitch } from '../../sim/ports';
import type { ScenarioFault } from '../../sim/scenario';
import { WorldFleet, WorldWaf } from '../../sim/world';
import { SMALL_FLEET, TEST_CLIENTS, linearTruth } from '../fixtures/world';

const START = Date.parse('2030-01-01T00:00:00Z');
const CONFIG = SMALL_FLEET;
const TRUTH = linearTruth(100);
const CLIENTS = TEST_CLIENTS;
const ADDRESS: FleetAddress = {
  fleetId: 'f',
  region: 'us-east-1',
  cluster: 'sim',
  service: 'f',
  mode: 'min-capacity',
};
const plan = (...faults: ScenarioFault[]) => ({ faults });

describe('faultActive', () => {
  const s = plan({ fromMinute: 5, toMinute: 10, kind: 'throttle', target: 'state' });
  it.each([
    [299, false],
    [300, true],
    [599, true],
    [600, false],
  ])('at second %d of the event: %s', (rel, expected) => {
    expect(faultActive(s, 'throttle', 'state', rel)).toBe(expected);
  });
  it('matches kind and target', () => {
    expect(faultActive(s, 'throttle', 'waf', 400)).toBe(false);
    expect(faultActive(s, 'lost-write', 'capacity', 400)).toBe(false);
  });
});

describe('FaultyStateStore', () => {
  const record: AuditRecord = {
    atMs: 0,
    actor: 't',
    kind: 'decision',
    action: 'x',
    reason: 'r',
    result: 'ok',
  };
  it('throttles writes and audits in the window, reads always answer', async () => {
    let rel = 400;
    const inner = new MemoryStateStore();
    const store = new FaultyStateStore(
      inner,
      plan({ fromMinute: 5, toMinute: 10, kind: 'throttle', target: 'state' }),
      () => rel,
    );
    await expect(store.putGlobal({ mode: 'paused' }, 0)).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    await expect(store.audit(record)).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(
      store.putFleet({ eventId: 'e', fleetId: 'f', phase: 'live', peakListeners: 0 }, 0),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(store.putEvent({ eventId: 'e', shiftMinutes: 0 }, 0)).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect((await store.getGlobal()).mode).toBe('active');
    expect(inner.auditTrail).toHaveLength(0);
    rel = 600;
    await store.putGlobal({ mode: 'paused' }, 0);
    await store.audit(record);
    expect((await store.getGlobal()).mode).toBe('paused');
    expect(await store.listAudit({})).toHaveLength(1);
  });
});

describe('FaultyWafSwitch', () => {
  it('throttles apply in the window and changes nothing', async () => {
    let rel = 60;
    const waf = new WorldWaf([{ name: 'r', kind: 'ip-reputation' }], 0, 300);
    const sw = new FaultyWafSwitch(
      new SimWafSwitch(waf, () => 0),
      plan({ fromMinute: 0, toMinute: 2, kind: 'throttle', target: 'waf' }),
      () => rel,
    );
    await expect(sw.apply('armed')).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(await sw.read()).toEqual({ r: 'disarmed' });
    rel = 120;
    expect(await sw.apply('armed')).toEqual({ changed: ['r'] });
  });
});

describe('faultyCapacity', () => {
  const setup = (fault: ScenarioFault) => {
    const inner = new SimCapacity(new Map([['f', new WorldFleet(CONFIG, TRUTH, CLIENTS)]]));
    const rel = { now: 0 };
    return { inner, rel, cap: faultyCapacity(inner, plan(fault), () => rel.now) };
  };

  it('throttles every write in the window without applying it; reads pass', async () => {
    const { inner, rel, cap } = setup({ fromMinute: 0, toMinute: 1, kind: 'throttle', target: 'capacity' });
    await expect(cap.applyFloor(ADDRESS, 50)).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(
      cap.restore(ADDRESS, { mode: 'min-capacity', minCapacity: 1, maxCapacity: 2 }),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(inner.floors.get('f')!.min).toBe(10);
    expect(await cap.read(ADDRESS)).toMatchObject({ minCapacity: 10 });
    expect((await cap.counts([ADDRESS])).get('f')!.running).toBe(10);
    rel.now = 60;
    await cap.applyFloor(ADDRESS, 50);
    expect(inner.floors.get('f')!.min).toBe(50);
  });

  it('applies a lost write and then fails, so the caller cannot know it took', async () => {
    const { inner, cap } = setup({ fromMinute: 0, toMinute: 1, kind: 'lost-write', target: 'capacity' });
    await expect(cap.applyFloor(ADDRESS, 50)).rejects.toThrow(/after the request was sent/);
    expect(inner.floors.get('f')!.min).toBe(50);
  });

  it('wraps write methods it does not know by name', async () => {
    const calls: number[] = [];
    const actuator = {
      read: async () => 1,
      applyBounds: async (n: number) => {
        calls.push(n);
        return n;
      },
    };
    const wrapped = faultyCapacity(
      actuator,
      plan({ fromMinute: 0, toMinute: 1, kind: 'throttle', target: 'capacity' }),
      () => 0,
    );
    await expect(wrapped.applyBounds(3)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(calls).toEqual([]);
    expect(await wrapped.read()).toBe(1);
  });
});

describe('SimMetricSource faults', () => {
  // The world starts ten minutes before the event; one datapoint a minute, value = minute from the start.
  const worldStartMs = START - 600_000;
  const fleet = new WorldFleet(CONFIG, TRUTH, CLIENTS);
  for (let t = 0; t < 3600; t += 60) {
    fleet.metricStore.get('listeners')!.push({ t, v: t / 60 - 10 });
    fleet.metricStore.get('joinSuccesses')!.push({ t, v: t / 60 - 10 });
  }
  const query = (metricName: string): MetricQuery => ({
    id: 'q',
    namespace: 'Sim',
    metricName,
    dimensions: { Fleet: 'f' },
    stat: 'Sum',
    periodSeconds: 60,
  });
  /** The minutes of the datapoints the source answers with at `minute` of the event. */
  const minutesSeen = async (faults: ScenarioFault[], metricName: string, minute: number) => {
    const clock = new SimClock(START + minute * 60_000);
    const source = new SimMetricSource(new Map([['f', fleet]]), new Map(), clock, worldStartMs, 60, 90, {
      scenario: plan(...faults),
      startMs: START,
    });
    const out = await source.fetch('us-east-1', [query(metricName)], START - 3_600_000, clock.now());
    return out.get('q')!.map((p) => (p.t - START) / 60_000);
  };

  it('answers without faults up to the metric delay', async () => {
    const seen = await minutesSeen([], 'Listeners', 20);
    expect(seen[0]).toBe(-10);
    expect(seen[seen.length - 1]).toBe(17);
  });

  it('leaves out the datapoints of a missing window, of that metric only', async () => {
    const faults: ScenarioFault[] = [{ fromMinute: 5, toMinute: 10, kind: 'missing', target: 'listeners' }];
    const seen = await minutesSeen(faults, 'Listeners', 20);
    expect(seen.filter((m) => m >= 4 && m <= 10)).toEqual([4, 10]);
    expect(await minutesSeen(faults, 'JoinSuccesses', 20)).toContain(7);
  });

  it('answers a stale metric as it was at the window start, then catches up', async () => {
    const faults: ScenarioFault[] = [
      { fromMinute: 10, toMinute: 15, kind: 'stale', target: 'joinSuccesses' },
    ];
    // Visible at minute 10: datapoints whose minute ended 90 s before, the last being minute 7.
    expect((await minutesSeen(faults, 'JoinSuccesses', 12)).pop()).toBe(7);
    expect((await minutesSeen(faults, 'JoinSuccesses', 14.9)).pop()).toBe(7);
    expect((await minutesSeen(faults, 'Listeners', 12)).pop()).toBe(9);
    expect((await minutesSeen(faults, 'JoinSuccesses', 15)).pop()).toBe(12);
  });
});
