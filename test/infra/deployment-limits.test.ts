import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lambda/adapters/config-file';
import { regionFootprint } from '../../lambda/core/config/deployment-limits';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { buildApp } from '../../lib/app';
import { runtimeForRegion } from '../../lib/runtime-for-region';
import { SMALL, writeGeneratedConfig } from '../fixtures/generated-config';

const EXAMPLE = join(__dirname, '..', '..', 'config', 'events.yaml');

/** validate's count of resources must be what the stacks hold: when lib changes what it creates, this fails. */
describe.each([
  ['the example config (with a managed web ACL)', EXAMPLE],
  ['a generated small config', writeGeneratedConfig(SMALL)],
])('the resource estimate of %s', (_name, file) => {
  it('equals each synthesized stack’s resource count', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'sg-cdk-')),
      // An instant before every event: every schedule is created.
      context: { config: file, 'surgeguard:now': '2020-01-01T00:00:00Z', 'aws:cdk:bundling-stacks': [] },
    });
    const { stacks } = buildApp({ app });
    const loaded = loadConfig(file);
    const runtime = buildRuntimeConfig(loaded.config, loaded.models);
    for (const stack of stacks) {
      const resources = Object.keys(Template.fromStack(stack).toJSON().Resources as object).length;
      expect({
        region: stack.region,
        resources: regionFootprint(stack.region, runtimeForRegion(runtime, stack.region)).resources,
      }).toEqual({ region: stack.region, resources });
    }
  });
});
