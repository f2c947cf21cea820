import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');

/**
 * Every resource and output a stack synthesises, as `logical id: type`. A logical id that changes makes
 * CloudFormation replace the resource: the state table would be emptied, named resources (schedule group, SSM
 * documents, dashboards, web ACL) would clash with themselves. How lib/ is organised must not change these.
 */
function inventory(t: Template): string[] {
  const json = t.toJSON() as {
    Resources: Record<string, { Type: string }>;
    Outputs?: Record<string, unknown>;
  };
  return [
    ...Object.entries(json.Resources).map(([id, r]) => `${id}: ${r.Type}`),
    ...Object.keys(json.Outputs ?? {}).map((id) => `${id}: Output`),
  ].sort();
}

describe('logical ids', () => {
  it.each([
    { name: 'the default prefix', context: {} },
    { name: 'another prefix', context: { 'surgeguard:namePrefix': 'Staging' } },
  ])('stay those deployed stacks already have, $name', ({ context }) => {
    // Prepare: no instant, so every event's schedules are in the template.
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'sg-ids-')),
      context: { config: CONFIG, 'aws:cdk:bundling-stacks': [], ...context },
    });
    // Act
    const { stacks } = buildApp({ app });
    // Assess
    const byStack = Object.fromEntries(stacks.map((s) => [s.stackName, inventory(Template.fromStack(s))]));
    expect(byStack).toMatchSnapshot();
  });
});
