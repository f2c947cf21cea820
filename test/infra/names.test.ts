import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lambda/adapters/config-file';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { runtimeForRegion } from '../../lib/runtime-for-region';
import { SurgeGuard } from '../../lib/surgeguard';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');
const NOW = new Date('2026-11-22T00:00:00Z');
const loaded = loadConfig(CONFIG);
// us-east-1 holds the shield's managed web ACL: the one name the config gives.
const runtime = runtimeForRegion(buildRuntimeConfig(loaded.config, loaded.models), 'us-east-1');
const ENV = { account: '111111111111', region: 'us-east-1' };

/**
 * The physical names a template gives, per resource type; a schedule's name counts within its group. References
 * (a `Ref` to a generated name) are not names given.
 */
function physicalNames(t: Template): string[] {
  const resources = t.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  const groupOf = (ref: unknown) => {
    const id = (ref as { Ref?: string }).Ref;
    return id ? resources[id]!.Properties!.Name : ref;
  };
  return Object.values(resources).flatMap(({ Type, Properties: p = {} }) => {
    if (Type === 'AWS::Scheduler::Schedule')
      return p.Name === undefined ? [] : [`${Type} ${String(groupOf(p.GroupName))}/${String(p.Name)}`];
    const name = p.Name ?? p.DashboardName ?? p.TableName ?? p.FunctionName ?? p.RoleName ?? p.QueueName;
    return typeof name === 'string' ? [`${Type} ${JSON.stringify(name)}`] : [];
  });
}

function copy(app: App, stackName: string, namePrefix?: string): Stack {
  const stack = new Stack(app, stackName, { env: ENV });
  new SurgeGuard(stack, 'AudioScaler', { runtime, now: new Date('2024-08-01T00:00:00Z'), namePrefix });
  return stack;
}

describe('physical names', () => {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'sg-names-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stagingStack = copy(app, 'Staging', 'Staging');
  const prodStack = copy(app, 'Prod', 'Prod');
  const staging = physicalNames(Template.fromStack(stagingStack));
  const prod = physicalNames(Template.fromStack(prodStack));

  it('let two copies with different prefixes share an account and region without a clash', () => {
    for (const type of ['ScheduleGroup', 'SSM::Document', 'Dashboard', 'WAFv2::WebACL']) {
      expect(staging.some((n) => n.includes(type))).toBe(true);
    }
    expect(prod.filter((n) => staging.includes(n))).toEqual([]);
  });

  it('all start with the prefix (lower case where the default has always been lower case)', () => {
    const t = Template.fromStack(stagingStack);
    t.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'staging-us-east-1' });
    t.hasResourceProperties('AWS::SSM::Document', { Name: 'Staging-us-east-1-Scale' });
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'staging-us-east-1' });
    t.hasResourceProperties('AWS::WAFv2::WebACL', { Name: 'Staging-spaces-join' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SURGEGUARD_SCHEDULE_GROUP: 'staging-us-east-1' } },
    });
  });

  it("keep today's names under the default prefix", () => {
    const other = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const names = physicalNames(Template.fromStack(copy(other, 'SurgeGuard-us-east-1')));
    expect(names).toEqual(
      expect.arrayContaining([
        'AWS::Scheduler::ScheduleGroup "surgeguard-us-east-1"',
        'AWS::SSM::Document "SurgeGuard-us-east-1-Scale"',
        'AWS::CloudWatch::Dashboard "surgeguard-us-east-1"',
        `AWS::WAFv2::WebACL ${JSON.stringify(runtime.config.shield!.webAcl.name)}`,
      ]),
    );
  });

  it.each(['', 'two words', '9lives', 'Amazon-audio', 'x'.repeat(33)])(
    'refuse the prefix %j',
    (namePrefix) => {
      const stack = new Stack(new App(), 'S', { env: ENV });
      expect(() => new SurgeGuard(stack, 'AudioScaler', { runtime, now: NOW, namePrefix })).toThrow(
        /name prefix/,
      );
    },
  );
});
