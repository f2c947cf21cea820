import { configSchema } from '../../lambda/core/config/schema';
import { eventStartMs, parseConfig } from '../../lambda/core/config/parse';
import { formatIssue } from '../../lambda/core/issues';
import { VALID_CONFIG, insertAfter, withLine } from '../fixtures/config-text';

const errors = (text: string) => parseConfig(text, 'events.yaml').issues.map(formatIssue);

describe('parseConfig', () => {
  it('accepts the valid config and applies documented defaults', () => {
    const { config, issues } = parseConfig(VALID_CONFIG, 'events.yaml');
    expect(issues).toEqual([]);
    const fleet = config?.fleets[0];
    const event = config?.events[0];
    expect(fleet?.scalingMode).toBe('min-capacity');
    expect(fleet?.launchRatePerMinute).toBe(500);
    expect(fleet?.metrics.periodSeconds).toBe(60);
    expect(event?.headroom).toBe(0.3);
    expect(event?.arrival).toEqual({ earlyMinutes: 15, fullByMinutes: 10 });
    expect(event?.safetyMarginMinutes).toBe(10);
    expect(event?.slo).toEqual({ joinSuccessRatio: 0.99, p95JoinMs: 3000 });
  });

  it.each([
    [
      'an unknown key (typo)',
      insertAfter(VALID_CONFIG, 10, '    maxTaks: 100'),
      'events.yaml:11:5: fleets[0].maxTaks: unknown key (check the spelling)',
    ],
    [
      'a wrong type',
      withLine(VALID_CONFIG, 11, '    maxTasks: lots'),
      'events.yaml:11:15: fleets[0].maxTasks: expected number, received string',
    ],
    [
      'a missing field',
      withLine(VALID_CONFIG, 8, ''),
      'events.yaml:6:5: fleets[0].cluster: missing; expected string',
    ],
    [
      'too many tasks for one service',
      withLine(VALID_CONFIG, 11, '    maxTasks: 6000'),
      'events.yaml:11:15: fleets[0].maxTasks: Too big: expected number to be <=5000',
    ],
    [
      'a bad scaling mode',
      insertAfter(VALID_CONFIG, 9, '    scalingMode: fast'),
      'events.yaml:10:18: fleets[0].scalingMode: expected one of "min-capacity"|"desired-count"',
    ],
    [
      'a Fargate size that does not exist',
      withLine(VALID_CONFIG, 12, '    vcpuPerTask: 3'),
      'events.yaml:12:18: fleets[0].vcpuPerTask: expected a Fargate task size: 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU',
    ],
    [
      'a bad id',
      withLine(VALID_CONFIG, 6, '  - id: SFU_A'),
      'events.yaml:6:9: fleets[0].id: expected an id of lowercase letters',
    ],
    [
      'a time without offset',
      withLine(VALID_CONFIG, 25, "    start: '2030-01-01T20:00:00'"),
      'events.yaml:25:12: events[0].start: expected an ISO 8601 time with offset',
    ],
    [
      'a bad local time',
      withLine(VALID_CONFIG, 25, '    start: { local: tonight, zone: Europe/Paris }'),
      'events.yaml:25:21: events[0].start.local: expected a local time such as 2024-08-12T20:00',
    ],
    [
      'a negative duration',
      withLine(VALID_CONFIG, 26, '    durationMinutes: -5'),
      'events.yaml:26:22: events[0].durationMinutes: Too small',
    ],
    [
      'a share above 1',
      withLine(VALID_CONFIG, 29, '      - { fleet: sfu-a, share: 1.5 }'),
      'events.yaml:29:32: events[0].fleets[0].share: Too big: expected number to be <=1',
    ],
    [
      'YAML syntax',
      withLine(VALID_CONFIG, 29, '      - { fleet: sfu-a, share: 1'),
      'events.yaml:30:1: Flow map in block collection must be sufficiently indented',
    ],
    [
      'a duplicate key',
      insertAfter(VALID_CONFIG, 10, '    baselineTasks: 12'),
      'events.yaml:11:5: Map keys must be unique',
    ],
  ])('reports %s with its line and column', (_name, text, expected) => {
    const got = errors(text);
    expect(got.length).toBeGreaterThan(0);
    expect(got.some((e) => e.startsWith(expected))).toBe(true);
  });

  it.each([
    [
      'an unknown fleet',
      withLine(VALID_CONFIG, 29, '      - { fleet: sfu-b, share: 1 }'),
      'events.yaml:29:18: events[0].fleets[0].fleet: unknown fleet "sfu-b"; expected one of: sfu-a',
    ],
    [
      'shares that do not sum to 1',
      withLine(VALID_CONFIG, 29, '      - { fleet: sfu-a, share: 0.6 }'),
      'events.yaml:29:7: events[0].fleets: shares sum to 0.6; expected them to sum to 1',
    ],
    [
      'a duplicate event id',
      VALID_CONFIG + VALID_CONFIG.split('\n').slice(22).join('\n').replace('2030-01-01', '2030-02-01'),
      'events.yaml:30:9: events[1].id: duplicate event id "ev-1" (first at events[0]); expected unique ids',
    ],
    [
      'an unknown time zone',
      withLine(VALID_CONFIG, 25, '    start: { local: 2030-01-01T20:00, zone: Mars/Olympus }'),
      'events.yaml:25:45: events[0].start.zone: unknown time zone "Mars/Olympus"',
    ],
    [
      'a baseline above max',
      withLine(VALID_CONFIG, 10, '    baselineTasks: 900'),
      'events.yaml:10:20: fleets[0].baselineTasks: 900 is above maxTasks 500',
    ],
    [
      'a region without limits',
      withLine(VALID_CONFIG, 7, '    region: eu-west-1'),
      'events.yaml:7:13: fleets[0].region: no limits for region eu-west-1',
    ],
    [
      'a baseline over the vCPU quota',
      withLine(VALID_CONFIG, 4, '    fargateVcpuQuota: 20'),
      "events.yaml:4:23: regions.us-east-1.fargateVcpuQuota: the fleets' baselines already use 40 vCPU",
    ],
    [
      'arrival after the end',
      insertAfter(VALID_CONFIG, 27, '    arrival: { fullByMinutes: 90 }'),
      'events.yaml:28:31: events[0].arrival.fullByMinutes: 90 is after the event ends (60 min)',
    ],
  ])('cross-checks %s', (_name, text, expected) => {
    const got = errors(text);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('rejects two overlapping events on one fleet', () => {
    const second = VALID_CONFIG.split('\n')
      .slice(22)
      .join('\n')
      .replace('ev-1', 'ev-2')
      .replace('20:00:00', '20:30:00');
    expect(errors(VALID_CONFIG + second).join('\n')).toMatch(
      /events\[1\]\.start: overlaps event "ev-1" on fleet sfu-a/,
    );
  });

  it('reports every error in one run, in file order', () => {
    let text = withLine(VALID_CONFIG, 11, '    maxTasks: lots');
    text = withLine(text, 26, '    durationMinutes: 0');
    text = insertAfter(text, 4, '    vcpu: 1');
    const got = errors(text);
    expect(got).toHaveLength(3);
    expect(got.map((e) => Number(e.split(':')[1]))).toEqual([5, 12, 27]);
  });

  it('reports an unknown zone with the schema errors, not after they are fixed', () => {
    let text = withLine(VALID_CONFIG, 11, '    maxTasks: lots');
    text = withLine(text, 26, '    durationMinutes: 0');
    text = withLine(text, 25, "    start: { local: '2030-01-01T20:00', zone: Mars/Olympus }");
    expect(errors(text)).toEqual([
      'events.yaml:11:15: fleets[0].maxTasks: expected number, received string',
      expect.stringMatching(
        /^events\.yaml:25:\d+: events\[0\]\.start\.zone: unknown time zone "Mars\/Olympus"/,
      ),
      expect.stringMatching(/^events\.yaml:26:\d+: events\[0\]\.durationMinutes: /),
    ]);
  });

  it.each([
    ["'2027-02-30T18:00:00+00:00'", 'no such date: 2027-02-30 (February 2027 has 28 days)'],
    ["'2028-02-29T18:00:00+00:00'", undefined],
    [
      "{ local: '2027-04-31T18:00', zone: Europe/London }",
      'no such date: 2027-04-31 (April 2027 has 30 days)',
    ],
    ["'2027-03-01T24:30:00+00:00'", 'no such time of day: 24:30:00'],
  ])('says a start of %s names no real instant', (start, message) => {
    const got = errors(withLine(VALID_CONFIG, 25, `    start: ${start}`));
    if (message === undefined) expect(got).toEqual([]);
    else
      expect(got).toEqual([
        expect.stringMatching(
          new RegExp(
            `^events\\.yaml:25:\\d+: events\\[0\\]\\.start(\\.local)?: ${message.replace(/[()]/g, '\\$&')}$`,
          ),
        ),
      ]);
  });

  it('calls a fraction where a whole number belongs a fraction', () => {
    expect(errors(withLine(VALID_CONFIG, 11, '    maxTasks: 250.5'))).toEqual([
      'events.yaml:11:15: fleets[0].maxTasks: expected a whole number, not a fraction',
    ]);
  });

  it('reports schema errors and reference errors together', () => {
    let text = withLine(VALID_CONFIG, 11, '    maxTasks: lots');
    text = withLine(text, 29, '      - { fleet: sfu-b, share: 0.5 }');
    expect(errors(text)).toEqual([
      'events.yaml:11:15: fleets[0].maxTasks: expected number, received string',
      'events.yaml:29:7: events[0].fleets: shares sum to 0.5; expected them to sum to 1',
      'events.yaml:29:18: events[0].fleets[0].fleet: unknown fleet "sfu-b"; expected one of: sfu-a',
    ]);
  });

  it('reports an alias with no anchor before it at its line and column, not as a ReferenceError', () => {
    expect(errors(withLine(VALID_CONFIG, 11, '    maxTasks: *lots'))).toEqual([
      'events.yaml:11:15: unresolved alias *lots: no anchor &lots is set before it',
    ]);
  });

  it('reports too many aliases (a YAML bomb) as an issue, not a throw', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    bomb.push('c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]');
    expect(errors(bomb.join('\n'))).toEqual([expect.stringMatching(/^events\.yaml:1:1: .*alias/i)]);
  });

  it('reports an empty file', () => {
    expect(errors('')).toEqual(['events.yaml:1:1: empty config; expected regions, fleets and events']);
  });

  it('reads local time in its zone, across daylight saving', () => {
    const at = (local: string, zone: string) =>
      eventStartMs(
        configSchema.shape.events.element.parse({
          id: 'e',
          title: 't',
          start: { local, zone },
          durationMinutes: 1,
          expectedPeakListeners: 1,
          fleets: [{ fleet: 'f', share: 1 }],
        }),
      );
    expect(new Date(at('2024-08-12T20:00', 'America/New_York')).toISOString()).toBe(
      '2024-08-13T00:00:00.000Z',
    );
    expect(new Date(at('2024-12-12T20:00', 'America/New_York')).toISOString()).toBe(
      '2024-12-13T01:00:00.000Z',
    );
    expect(new Date(at('2024-03-31T02:30', 'Europe/London')).toISOString()).toBe('2024-03-31T01:30:00.000Z');
    expect(new Date(at('2024-06-01T09:00:30', 'Asia/Kolkata')).toISOString()).toBe(
      '2024-06-01T03:30:30.000Z',
    );
  });
});
