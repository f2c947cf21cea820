import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { join } from 'node:path';
import { loadConfig } from '../../lambda/adapters/config-file';
import { shieldRules } from '../../lambda/core/detector';
import type { RuntimeConfig } from '../../lambda/core/runtime-config';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { runtimeForRegion } from '../../lib/runtime-for-region';
import type { SurgeGuardProps } from '../../lib/surgeguard';
import { SurgeGuard } from '../../lib/surgeguard';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');
const NOW = new Date('2026-11-22T00:00:00Z');
const ENV = { account: '111111111111', region: 'us-east-1' };
const loaded = loadConfig(CONFIG);
const runtime = runtimeForRegion(buildRuntimeConfig(loaded.config, loaded.models), 'us-east-1');
const ACL_ARN =
  'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/team-join/a1b2c3d4-0000-1111-2222-333344445555';

function build(props: Partial<SurgeGuardProps> = {}, rc: RuntimeConfig = runtime) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Audio', { env: ENV });
  const sg = new SurgeGuard(stack, 'AudioScaler', { runtime: rc, now: NOW, ...props });
  return { stack, sg, t: () => Template.fromStack(stack) };
}

/** The runtime config with the shield's default rules written out, as a config for an existing web ACL must. */
function withRules(rc: RuntimeConfig): RuntimeConfig {
  const shield = rc.config.shield!;
  return { ...rc, config: { ...rc.config, shield: { ...shield, rules: shieldRules(shield) } } };
}

describe('SurgeGuard props in CDK terms', () => {
  it('scales the ECS service given for a fleet instead of the config names', () => {
    const { t } = build();
    const fleet = runtime.config.fleets[0]!;
    const other = build({
      services: {
        [fleet.id]: ecs.FargateService.fromServiceArnWithCluster(
          new Stack(new App(), 'Elsewhere', { env: ENV }),
          'Svc',
          'arn:aws:ecs:us-east-1:111111111111:service/team-cluster/team-sfu',
        ),
      },
    });
    const ecsResources = (tpl: Template) =>
      JSON.stringify(tpl.findResources('AWS::IAM::Policy')).match(/service\/[^"]+/g) ?? [];
    expect(ecsResources(other.t())).toContain('service/team-cluster/team-sfu');
    expect(ecsResources(other.t())).not.toContain(`service/${fleet.cluster}/${fleet.service}`);
    expect(ecsResources(t())).toContain(`service/${fleet.cluster}/${fleet.service}`);
  });

  it('refuses a service for a fleet the region does not have, or names unknown at synth', () => {
    const app = new App();
    const stack = new Stack(app, 'Team', { env: ENV });
    const cluster = new ecs.Cluster(stack, 'Cluster');
    const task = new ecs.FargateTaskDefinition(stack, 'Task');
    task.addContainer('sfu', { image: ecs.ContainerImage.fromRegistry('sfu') });
    const created = new ecs.FargateService(stack, 'Sfu', { cluster, taskDefinition: task });
    const fleet = runtime.config.fleets[0]!.id;
    expect(() => new SurgeGuard(stack, 'A', { runtime, services: { nope: created } })).toThrow(
      /services: no fleet nope/,
    );
    expect(() => new SurgeGuard(stack, 'B', { runtime, services: { [fleet]: created } })).toThrow(
      new RegExp(`services.${fleet}: the cluster and service names must be known at synth`),
    );
  });

  it('notifies an existing topic, creating no topic or key of its own', () => {
    const { t } = build({
      topic: sns.Topic.fromTopicArn(
        new Stack(new App(), 'X'),
        'T',
        'arn:aws:sns:us-east-1:111111111111:oncall',
      ),
    });
    const tpl = t();
    tpl.resourceCountIs('AWS::SNS::Topic', 0);
    tpl.resourceCountIs('AWS::KMS::Key', 0);
    tpl.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:us-east-1:111111111111:oncall'],
    });
  });

  it('switches an existing web ACL named by ARN, creating none', () => {
    const { t } = build({ webAclArn: ACL_ARN }, withRules(runtime));
    const tpl = t();
    tpl.resourceCountIs('AWS::WAFv2::WebACL', 0);
    tpl.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    tpl.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ SURGEGUARD_WEB_ACL_ID: 'a1b2c3d4-0000-1111-2222-333344445555' }),
      },
    });
    tpl.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['wafv2:GetWebACL', 'wafv2:UpdateWebACL'], Resource: ACL_ARN }),
        ]),
      },
    });
  });

  it.each([
    {
      name: 'not a web ACL ARN',
      arn: 'arn:aws:s3:::bucket',
      rc: withRules(runtime),
      message: /expected arn:aws:wafv2/,
    },
    { name: 'no rules in the config', arn: ACL_ARN, rc: runtime, message: /shield\.rules/ },
  ])('refuses an existing web ACL with $name', ({ arn, rc, message }) => {
    expect(() => build({ webAclArn: arn }, rc)).toThrow(message);
  });

  it('adds outputs unless told not to', () => {
    expect(Object.keys(build().t().findOutputs('*')).length).toBeGreaterThan(5);
    expect(build({ outputs: false }).t().findOutputs('*')).toEqual({});
  });

  it('grants reading through the read-only URL only, and changing through both URLs and the SSM documents', () => {
    const { stack, sg, t } = build({ namePrefix: 'Staging' });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const responder = new iam.Role(stack, 'Responder', { assumedBy: new iam.AccountRootPrincipal() });
    sg.grantRead(reader);
    sg.grantChange(responder);
    const tpl = t();
    const statements = (role: string) =>
      JSON.stringify(
        Object.values(tpl.findResources('AWS::IAM::Policy')).find((p) =>
          JSON.stringify(p.Properties.Roles).includes(role),
        ),
      );
    const read = statements('Reader');
    expect(read).toContain('lambda:InvokeFunctionUrl');
    expect(read).toContain('"lambda:InvokedViaFunctionUrl":"true"');
    expect(read).toContain('ssm:GetParameter');
    expect(read.match(/lambda:InvokeFunctionUrl/g)).toHaveLength(1);
    expect(read).not.toContain('ssm:StartAutomationExecution');
    const change = statements('Responder');
    expect(change).toContain('ssm:StartAutomationExecution');
    expect(change).toContain('automation-definition/Staging-us-east-1-Hold:*');
    expect(change).toContain('"iam:PassedToService":"ssm.amazonaws.com"');
    expect(change.match(/lambda:InvokeFunctionUrl/g)).toHaveLength(2);
  });

  it('offers its metrics and alarms', () => {
    const { sg } = build();
    const m = sg.metricDecidedTasks('eu-town-hall-2027-03', 'sfu-euw1');
    expect(m.namespace).toBe('SurgeGuard');
    expect(m.dimensions).toEqual({ Event: 'eu-town-hall-2027-03', Fleet: 'sfu-euw1', service: 'surgeguard' });
    expect(Object.keys(sg.alarms)).toEqual(expect.arrayContaining(['WatchErrors', 'DeadLetterDepth']));
  });

  it('publishes where the CLI finds it: runbook URLs, table, region and schedule group', () => {
    const tpl = build({ namePrefix: 'Staging' }).t();
    tpl.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/Staging/us-east-1/deployment',
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            Match.stringLikeRegexp('"region":"us-east-1"'),
            Match.stringLikeRegexp('"scheduleGroup":"staging-us-east-1"'),
          ]),
        ],
      },
    });
  });
});
