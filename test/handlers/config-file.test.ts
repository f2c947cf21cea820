import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFile } from '../../lambda/handlers/runtime';

describe('the config beside a pre-bundled handler', () => {
  it("is read from SURGEGUARD_CONFIG_FILE, relative to the function's code", () => {
    const root = mkdtempSync(join(tmpdir(), 'sg-task-'));
    writeFileSync(join(root, 'surgeguard-config.json'), '{"config":{}}');
    expect(configFile({ SURGEGUARD_CONFIG_FILE: 'surgeguard-config.json', LAMBDA_TASK_ROOT: root })).toBe(
      '{"config":{}}',
    );
  });

  it('is not looked for when the environment names none (the config is in the bundle)', () => {
    expect(configFile({ LAMBDA_TASK_ROOT: '/nowhere' })).toBeUndefined();
  });
});
