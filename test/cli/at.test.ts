import { parseAt } from '../../bin/cli/runbook/at';
import { UserError } from '../../bin/cli/io';

const START = Date.parse('2027-03-04T18:00:00Z');

describe('parseAt', () => {
  it.each([
    ['T-60m', '2027-03-04T17:00:00.000Z'],
    ['T+15m', '2027-03-04T18:15:00.000Z'],
    ['T-1h30m', '2027-03-04T16:30:00.000Z'],
    ['2027-03-04T17:00:00Z', '2027-03-04T17:00:00.000Z'],
    ['2027-03-04T19:00+01:00', '2027-03-04T18:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(new Date(parseAt(text, START)).toISOString()).toBe(iso);
  });

  it.each([
    ['T-60', START, 'expected a duration with its unit after T-, such as T-60m or T+1h30m, got "T-60"'],
    ['T-60m', undefined, "--at T-60m is relative to an event's start: pass --event ID"],
    ['2027-03-04T17:00:00', START, 'expected an ISO 8601 time with offset'],
    ['tomorrow', START, 'expected an ISO 8601 time with offset'],
    ['2027-02-30T18:00:00Z', START, 'no such date: 2027-02-30 (February 2027 has 28 days)'],
  ])('%s: %s', (text, start, message) => {
    let err: unknown;
    try {
      parseAt(text, start);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(message);
    expect((err as UserError).exitCode).toBe(2);
  });
});
