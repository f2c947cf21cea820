import { checkPayload } from '../../lambda/core/payload';

describe('checkPayload', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'refuses %s, which the spec only inherits, as an unknown key',
    (key) => {
      const payload = JSON.parse(`{"op":"status","${key}":"x"}`) as unknown;
      expect(() => checkPayload(payload, { op: 'string' })).toThrow(`bad payload: ${key}: unknown key`);
    },
  );
});
