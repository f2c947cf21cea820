import { checkPayload, correlationIdOf, scheduledPayload } from '../../lambda/core/payload';

describe('checkPayload', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'refuses %s, which the spec only inherits, as an unknown key',
    (key) => {
      const payload = JSON.parse(`{"op":"status","${key}":"x"}`) as unknown;
      expect(() => checkPayload(payload, { op: 'string' })).toThrow(`bad payload: ${key}: unknown key`);
    },
  );
});

describe('correlationIdOf', () => {
  it.each([
    ["the payload's own (a schedule's execution id)", { eventId: 'e', correlationId: 'exec-1' }, 'exec-1'],
    [
      "the payload's own before a request id",
      { correlationId: 'exec-1', requestContext: { requestId: 'u' } },
      'exec-1',
    ],
    ["the function URL's request id", { rawPath: '/', requestContext: { requestId: 'url-1' } }, 'url-1'],
    ['the Lambda request id for a payload without one', { eventId: 'e' }, 'lambda-1'],
    ['the Lambda request id for an empty correlation id', { correlationId: '' }, 'lambda-1'],
    ['the Lambda request id for a correlation id that is not a string', { correlationId: 7 }, 'lambda-1'],
    ['the Lambda request id for a URL event without a request id', { requestContext: {} }, 'lambda-1'],
    ['the Lambda request id for no payload', null, 'lambda-1'],
    ['the Lambda request id for a payload that is not an object', 'text', 'lambda-1'],
  ])('takes %s', (_name, event, expected) => {
    expect(correlationIdOf(event, 'lambda-1')).toBe(expected);
  });
});

describe('scheduledPayload', () => {
  const spec = scheduledPayload({ eventId: 'string' });

  it('accepts the correlation id a schedule passes, and a payload without one', () => {
    expect(checkPayload({ eventId: 'e', correlationId: 'exec-1' }, spec)).toEqual({
      eventId: 'e',
      correlationId: 'exec-1',
    });
    expect(checkPayload({ eventId: 'e' }, spec)).toEqual({ eventId: 'e' });
  });

  it('still refuses a bad correlation id and the fields it does not name', () => {
    expect(() => checkPayload({ eventId: 'e', correlationId: 1 }, spec)).toThrow(
      'bad payload: correlationId: expected string, received number',
    );
    expect(() => checkPayload({ correlationId: 'x' }, spec)).toThrow('eventId: missing');
    expect(() => checkPayload({ eventId: 'e', other: 'x' }, spec)).toThrow('other: unknown key');
  });
});
