import type { FloodView, WafView } from '../../sim/world';
import { WorldFleet } from '../../sim/world';
import { uslCapacity } from '../../lambda/core/usl';
import { SMALL_FLEET, TEST_CLIENTS, linearTruth } from '../fixtures/world';

const CONFIG = SMALL_FLEET;
/** 1,000 listeners a task, linear, with signalling to spare. */
const TRUTH = linearTruth(10_000);
const CLIENTS = TEST_CLIENTS;
const NO_WAF: WafView = { rules: [], ratePerIpLimitPer5Min: 300, armed: () => false };
const NO_FLOOD: FloodView = { requests: 0, blocked: 0, validTokenFraction: 0 };

/** Runs the fleet from second `from` to `to` with the demand and desired count the functions give. */
function run(
  fleet: WorldFleet,
  from: number,
  to: number,
  demand: (t: number) => number,
  desired: (t: number) => number,
): void {
  for (let t = from; t < to; t++) {
    fleet.desired = desired(t);
    fleet.stepTasks(t, 1e9);
    fleet.stepClients(t, demand(t), NO_WAF, NO_FLOOD);
  }
}

/** A fleet of 10 tasks carrying 8,000 listeners at second 120, asked for 5 tasks from then on. */
function loadedFleet(drain: boolean, truth = TRUTH): WorldFleet {
  const fleet = new WorldFleet(CONFIG, truth, CLIENTS);
  fleet.drain = drain;
  run(
    fleet,
    0,
    120,
    () => 8000,
    () => 10,
  );
  expect(fleet.connected).toBeCloseTo(8000, 3);
  return fleet;
}

/** The loaded fleet, draining, with ten more tasks up by second 200, after everyone joined. */
function grownFleet(): WorldFleet {
  const fleet = loadedFleet(true);
  run(
    fleet,
    120,
    200,
    () => 8000,
    () => 20,
  );
  expect(fleet.running).toBe(20);
  return fleet;
}

/** Asks the loaded fleet for five tasks at second 120, its audience unchanged. */
const halve = (fleet: WorldFleet) =>
  run(
    fleet,
    120,
    121,
    () => 8000,
    () => 5,
  );

/** The audience falls from 8,000 to 4,000 over five minutes from second 120. */
const leaving = (t: number) => (t < 120 ? 8000 : Math.max(4000, 8000 - ((t - 120) * 4000) / 300));

describe('WorldFleet scale-in', () => {
  it('drops the listeners of the tasks it stops when it does not drain', () => {
    const fleet = loadedFleet(false);
    run(fleet, 120, 121, leaving, () => 5);
    expect(fleet.running).toBe(5);
    // Half the tasks carried half the listeners: they are dropped and retry.
    expect(fleet.droppedByScaleIn).toBeCloseTo(4000, 0);
    expect(fleet.connected).toBeLessThan(4100);
  });

  it('drops no one when the drained tasks empty before the drain time runs out', () => {
    const fleet = loadedFleet(true);
    run(fleet, 120, 121, leaving, () => 5);
    // The five surplus tasks drain: still running (and paid for), taking no joins, keeping their listeners.
    expect(fleet.running).toBe(10);
    expect(fleet.draining).toBe(5);
    expect(fleet.active()).toBe(5);
    expect(fleet.capacity()).toBe(5000);
    expect(fleet.connected).toBeGreaterThan(7900);
    run(fleet, 121, 120 + 400, leaving, () => 5);
    expect(fleet.droppedByScaleIn).toBeLessThan(1);
    expect(fleet.draining).toBe(0);
    expect(fleet.running).toBe(5);
    expect(fleet.connected).toBeCloseTo(4000, 0);
  });

  it('stops a draining task after the longest drain and drops the listeners still on it', () => {
    const fleet = loadedFleet(true);
    run(
      fleet,
      120,
      120 + WorldFleet.MAX_DRAIN_SECONDS - 1,
      () => 8000,
      () => 5,
    );
    expect(fleet.draining).toBe(5);
    expect(fleet.droppedByScaleIn).toBe(0);
    run(
      fleet,
      120 + WorldFleet.MAX_DRAIN_SECONDS - 1,
      120 + WorldFleet.MAX_DRAIN_SECONDS + 1,
      () => 8000,
      () => 5,
    );
    expect(fleet.draining).toBe(0);
    expect(fleet.running).toBe(5);
    expect(fleet.droppedByScaleIn).toBeCloseTo(4000, 0);
  });

  it.each([true, false])('stops a task that carries no one at once (drain: %s)', (drain) => {
    const fleet = new WorldFleet(CONFIG, TRUTH, CLIENTS);
    fleet.drain = drain;
    run(
      fleet,
      0,
      1,
      () => 0,
      () => 4,
    );
    expect(fleet.running).toBe(4);
    expect(fleet.draining).toBe(0);
    expect(fleet.droppedByScaleIn).toBe(0);
  });

  it('keeps a drain for as long as ECS lets a task keep its protection (the SFU renews it while it carries listeners)', () => {
    expect(WorldFleet.MAX_DRAIN_SECONDS).toBe(2880 * 60);
  });

  it('counts draining tasks in the contention of the tasks that take joins', () => {
    // Prepare: a fleet whose tasks contend (each task carries less the more tasks forward the room)
    const truth = { lambda: 1000, sigma: 0.01, kappa: 0.0001, joinsPerTaskPerSecond: 10_000 };
    const fleet = loadedFleet(true, truth);
    // Act
    halve(fleet);
    // Assess: five take joins, but each carries what a task of ten running does, not of five
    expect(fleet.draining).toBe(5);
    expect(fleet.capacity()).toBeCloseTo(uslCapacity(truth, 10) / 2, 6);
    expect(fleet.capacity()).toBeLessThan(uslCapacity(truth, 5));
  });

  it('takes draining tasks back, with the listeners they kept, before it launches any', () => {
    // Prepare
    const fleet = loadedFleet(true);
    halve(fleet);
    expect(fleet.draining).toBe(5);
    // Act: eight tasks asked for again
    run(
      fleet,
      121,
      122,
      () => 8000,
      () => 8,
    );
    // Assess: three drains take joins again; nothing launched, nothing dropped
    expect(fleet.draining).toBe(2);
    expect(fleet.active()).toBe(8);
    expect(fleet.pendingTotal).toBe(0);
    expect(fleet.running).toBe(10);
    expect(fleet.droppedByScaleIn).toBe(0);
    expect(fleet.drainingListeners).toBeCloseTo(1600, 6);
    expect(fleet.connected).toBeCloseTo(8000, 6);
  });

  it('stops released draining tasks at once and drops the listeners still on them', () => {
    // Prepare
    const fleet = loadedFleet(true);
    halve(fleet);
    expect(fleet.draining).toBe(5);
    // Act
    const released = fleet.release(121, 3);
    // Assess: three of the five draining tasks stop with their share of the 4,000 listeners on drains
    expect(released).toBe(3);
    expect(fleet.draining).toBe(2);
    expect(fleet.running).toBe(7);
    expect(fleet.droppedByScaleIn).toBeCloseTo(2400, 6);
  });

  it('stops released tasks that take joins at the next scale-in instead of draining them', () => {
    // Prepare
    const fleet = loadedFleet(true);
    // Act: four of ten released, then six asked to stop
    expect(fleet.release(120, 4)).toBe(4);
    run(
      fleet,
      120,
      121,
      () => 8000,
      () => 4,
    );
    // Assess: the four released stop at once with their listeners, the two others drain
    expect(fleet.running).toBe(6);
    expect(fleet.draining).toBe(2);
    expect(fleet.droppedByScaleIn).toBeCloseTo(3200, 0);
    expect(fleet.released).toBe(0);
  });

  it('stops at once the tasks launched after the audience came, which carry no one, before draining any', () => {
    // Prepare: ten tasks carry 8,000; ten more come up after everyone joined
    const fleet = grownFleet();
    // Act: back to twelve
    run(
      fleet,
      200,
      201,
      () => 8000,
      () => 12,
    );
    // Assess: eight empty tasks stopped, none drains, and the listeners stayed where they were
    expect(fleet.running).toBe(12);
    expect(fleet.draining).toBe(0);
    expect(fleet.droppedByScaleIn).toBe(0);
    expect(fleet.connected).toBeCloseTo(8000, 6);
  });

  it('drains tasks that carry listeners whatever they carry, so the tasks left taking joins stay within the curve', () => {
    // Prepare: ten tasks carry 8,000; ten more come up, then 2,000 more listeners join
    const fleet = grownFleet();
    run(
      fleet,
      200,
      260,
      () => 10_000,
      () => 20,
    );
    // Act: back to ten
    run(
      fleet,
      260,
      261,
      () => 10_000,
      () => 10,
    );
    // Assess: ten of the twenty drain with the average 500 each (the ten new ones carry 200, the first ten 800)
    expect(fleet.draining).toBe(10);
    expect(fleet.drainingListeners).toBeCloseTo(5000, 3);
    expect(fleet.connected - fleet.drainingListeners).toBeLessThanOrEqual(fleet.capacity());
    expect(fleet.droppedByScaleIn).toBe(0);
  });
});

describe('WorldFleet clients', () => {
  it('lets an audience that shrinks take its share of the clients who gave up, not only of those listening', () => {
    // Prepare: room for 5,000 (five tasks), 10,000 want in: those refused give up
    const fleet = new WorldFleet({ ...CONFIG, baselineTasks: 5 }, TRUTH, CLIENTS);
    run(
      fleet,
      0,
      600,
      () => 10_000,
      () => 5,
    );
    expect(fleet.connected).toBeCloseTo(5000, 0);
    expect(fleet.lost).toBeGreaterThan(4900);
    const abandoned = fleet.abandoned;
    expect(abandoned).toBeCloseTo(fleet.lost, 6);
    // Act: the audience halves
    run(
      fleet,
      600,
      700,
      () => 5000,
      () => 5,
    );
    // Assess: half of those listening left with half of those who gave up; the count of those who gave up stays
    expect(fleet.connected).toBeGreaterThan(2400);
    expect(fleet.connected).toBeLessThan(2600);
    expect(fleet.abandoned).toBe(abandoned);
  });

  it('empties a drain while the audience holds still when listeners come and go', () => {
    // Prepare: ten tasks carry 4,000 who stay five minutes on average, someone new taking each one's place
    const fleet = new WorldFleet(CONFIG, TRUTH, { ...CLIENTS, meanSessionMinutes: 5 });
    fleet.drain = true;
    run(
      fleet,
      0,
      120,
      () => 4000,
      () => 10,
    );
    // Act: five tasks asked for, for 45 minutes of the same audience
    run(
      fleet,
      120,
      120 + 45 * 60,
      () => 4000,
      () => 5,
    );
    // Assess: the five drained tasks emptied as their listeners left and stopped; no one was dropped
    expect(fleet.draining).toBe(0);
    expect(fleet.running).toBe(5);
    expect(fleet.droppedByScaleIn).toBe(0);
    expect(fleet.connected).toBeCloseTo(4000, 0);
  });
});
