import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchemaText } from '../../bin/cli/commands/schema';

describe('config/events.schema.json', () => {
  it('is the schema the code generates (run `npm run schema` after changing the config schema)', () => {
    const checkedIn = readFileSync(join(__dirname, '..', '..', 'config', 'events.schema.json'), 'utf8');
    expect(checkedIn).toBe(configSchemaText());
  });

  it('rejects unknown keys and documents defaults for editors', () => {
    const schema = JSON.parse(configSchemaText());
    expect(schema.additionalProperties).toBe(false);
    const fleet = schema.properties.fleets.items;
    expect(fleet.additionalProperties).toBe(false);
    expect(fleet.properties.launchRatePerMinute.default).toBe(500);
    expect(fleet.required).toEqual(
      expect.arrayContaining(['id', 'region', 'cluster', 'service', 'scalingTest']),
    );
  });
});
