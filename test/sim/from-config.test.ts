import { loadConfig } from '../../lambda/adapters/config-file';
import { InputError, formatIssue } from '../../lambda/core/issues';
import type { DemandProfile } from '../../sim/from-config';
import { parseDemand, profileDemand, scenarioFromConfig } from '../../sim/from-config';
import { scenarioConfig } from '../../sim/replay';
import { demandAt } from '../../sim/scenario';

const loaded = loadConfig('config/events.yaml');
const EVENT = 'eu-town-hall-2027-03';
const TOWN_HALL = { peak: 150_000, earlyMinutes: 15, fullByMinutes: 10, durationMinutes: 90 };

/** Listeners at a minute from the scheduled start, as the replay's world reads the curve. */
const at = (profile: DemandProfile, minute: number) =>
  demandAt(scenarioFromConfig(loaded, { eventId: EVENT, demand: profile }).scenario, minute * 60);

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
}

describe('profileDemand', () => {
  it.each([
    [
      'forecast',
      [
        [-15, 0],
        [10, 150_000],
        [90, 150_000],
        [95, 0],
      ],
    ],
    [
      'x2',
      [
        [-15, 0],
        [10, 300_000],
        [90, 300_000],
        [95, 0],
      ],
    ],
    [
      'late-40',
      [
        [25, 0],
        [50, 150_000],
        [130, 150_000],
        [135, 0],
      ],
    ],
    [
      'no-show',
      [
        [-15, 0],
        [10, 15_000],
        [90, 15_000],
        [95, 0],
      ],
    ],
    [
      'leaves-early',
      [
        [-15, 0],
        [10, 150_000],
        [30, 150_000],
        [40, 30_000],
        [90, 30_000],
        [95, 0],
      ],
    ],
  ] as const)('%s: doors open to peak, held, then leaving', (profile, expected) => {
    expect(profileDemand(profile, TOWN_HALL)).toEqual(expected);
  });

  it('keeps minutes strictly increasing when the audience is all in at the start', () => {
    const curve = profileDemand('forecast', { ...TOWN_HALL, earlyMinutes: 0, fullByMinutes: 0 });
    expect(curve).toEqual([
      [0, 150_000],
      [90, 150_000],
      [95, 0],
    ]);
  });

  it('leaves-early: a short event drops no earlier than when the audience is all in', () => {
    const curve = profileDemand('leaves-early', { ...TOWN_HALL, durationMinutes: 12 });
    expect(curve).toEqual([
      [-15, 0],
      [10, 150_000],
      [12, 30_000],
      [17, 0],
    ]);
  });
});

describe('scenarioFromConfig', () => {
  it("takes the event's fleets, shares, tests, forecast, arrival and the region's quota from the config", () => {
    const ls = scenarioFromConfig(loaded, { eventId: EVENT, demand: 'forecast' });
    const s = ls.scenario;
    expect(s.name).toBe(EVENT);
    expect(s.start).toBe('2027-03-04T18:00:00.000Z');
    expect(ls.startMs).toBe(Date.parse('2027-03-04T18:00:00Z'));
    expect(s.durationMinutes).toBe(90);
    expect(s.forecast).toEqual({
      peakListeners: 150_000,
      headroom: 0.3,
      earlyMinutes: 15,
      fullByMinutes: 10,
    });
    expect(s.quota).toEqual({ vcpu: 2000, regions: { 'eu-west-1': 2000 } });
    expect(s.fleets.map((f) => [f.id, f.share, f.region, f.baselineTasks, f.maxTasks])).toEqual([
      ['sfu-euw1', 1, 'eu-west-1', 10, 2000],
    ]);
    const fleet = ls.fleets[0]!;
    expect(fleet.points).toEqual(loaded.scalingTests['sfu-euw1']!.points);
    expect(fleet.fitted).toBe(loaded.models['sfu-euw1']);
    // The test is the world's truth too.
    expect(fleet.truth).toMatchObject({
      lambda: fleet.fitted.lambda,
      sigma: fleet.fitted.sigma,
      kappa: fleet.fitted.kappa,
    });
  });

  it("replays the event's own live headroom, audience following, step-down and controller settings", () => {
    // Prepare: the example config with this event's settings away from the defaults.
    const event = loaded.config.events.find((e) => e.id === EVENT)!;
    const tuned = {
      ...loaded,
      config: {
        ...loaded.config,
        controller: { ...loaded.config.controller, preWatchMinutes: 45 },
        events: loaded.config.events.map((e) =>
          e === event
            ? {
                ...e,
                liveHeadroom: 0.3,
                followAudience: { ...e.followAudience, enabled: false },
                stepDown: { steps: 2, intervalMinutes: 5 },
              }
            : e,
        ),
      },
    };
    // Act
    const replayed = scenarioConfig(scenarioFromConfig(tuned, { eventId: EVENT, demand: 'forecast' }));
    // Assess
    expect(replayed.events[0]).toMatchObject({
      liveHeadroom: 0.3,
      followAudience: { enabled: false },
      stepDown: { steps: 2, intervalMinutes: 5 },
    });
    expect(replayed.controller.preWatchMinutes).toBe(45);
  });

  it('plans for the same upper forecast as the config: p90 here, forecastError on the other event', () => {
    const replayed = scenarioConfig(scenarioFromConfig(loaded, { eventId: EVENT, demand: 'forecast' }));
    const ev = replayed.events[0]!;
    expect(ev.expectedPeakListeners as number).toBeCloseTo(150_000);
    expect((ev.expectedPeakListeners as number) * (1 + ev.headroom)).toBeCloseTo(195_000);
    const space = scenarioFromConfig(loaded, { eventId: 'spaces-2024-08-12', demand: 'forecast' });
    expect(space.scenario.start).toBe('2024-08-13T00:00:00.000Z');
    expect(space.scenario.forecast.headroom).toBeCloseTo(0.3);
    expect(space.scenario.quota.vcpu).toBe(4000);
    expect(space.fleets.map((f) => f.config.id)).toEqual(['sfu-use1']);
  });

  it.each([
    ['forecast', 5, 120_000],
    ['forecast', 60, 150_000],
    ['x2', 60, 300_000],
    ['late-40', 5, 0],
    ['late-40', 60, 150_000],
    ['no-show', 60, 15_000],
    ['leaves-early', 60, 30_000],
  ] as const)('%s audience at minute %d: %d listeners', (profile, minute, listeners) => {
    expect(at(profile, minute)).toBeCloseTo(listeners);
  });

  it('takes an audience of its own', () => {
    const ls = scenarioFromConfig(loaded, {
      eventId: EVENT,
      demand: {
        name: 'mine.csv',
        points: [
          [-5, 0],
          [0, 1000],
          [30, 0],
        ],
      },
    });
    expect(ls.scenario.demand).toEqual([
      [-5, 0],
      [0, 1000],
      [30, 0],
    ]);
    expect(ls.scenario.description).toContain('mine.csv');
  });

  it('names the events there are when the event is not one', () => {
    expect(issuesOf(() => scenarioFromConfig(loaded, { eventId: 'nope', demand: 'x2' }))).toEqual([
      'config/events.yaml: events: no event "nope"; expected one of: spaces-2024-08-12, eu-town-hall-2027-03',
    ]);
  });
});

describe('parseDemand', () => {
  it('reads CSV with a header, and YAML', () => {
    expect(parseDemand('minute,listeners\n-10,0\n0, 5000\n\n60,5000\n', 'a.csv')).toEqual([
      [-10, 0],
      [0, 5000],
      [60, 5000],
    ]);
    expect(parseDemand('- [-10, 0]\n- [0, 5000]\n', 'a.yaml')).toEqual([
      [-10, 0],
      [0, 5000],
    ]);
  });

  it.each([
    [
      'a.csv',
      'minute,listeners\n0,10\nten,5\n5,-1\n',
      ['a.csv:3: expected "minute,listeners", got "ten,5"', 'a.csv:4: expected listeners >= 0'],
    ],
    ['a.csv', '0,10\n0,20\n', ['a.csv: minutes must increase; 0 comes after 0']],
    ['a.csv', '0,10\n', ['a.csv: expected at least two [minute, listeners] points']],
    ['a.yaml', '- [0, 1]\n- [1, -3]\n', ['a.yaml:2:7: [1][1]: Too small: expected number to be >=0']],
  ])('%s %j: %j', (file, text, expected) => {
    expect(issuesOf(() => parseDemand(text, file))).toEqual(expected);
  });
});
