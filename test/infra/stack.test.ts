import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lambda/adapters/config-file';
import { InputError } from '../../lambda/core/issues';
import { buildRuntimeConfig, findEvent, watchWindow } from '../../lambda/core/runtime-config';
import { buildApp } from '../../lib/app';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config', 'events.yaml');
const NOW = '2026-11-22T00:00:00Z';

/** The example config's app, bundling skipped (one test below bundles for real). */
function synth(nag = false) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'sg-cdk-')),
    context: { config: CONFIG, 'surgeguard:now': NOW, 'aws:cdk:bundling-stacks': [] },
  });
  const { stacks } = buildApp({ app });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const byRegion = Object.fromEntries(stacks.map((s) => [s.region, s]));
  return { app, stacks, use1: byRegion['us-east-1']!, euw1: byRegion['eu-west-1']! };
}

const loaded = loadConfig(CONFIG);
const runtime = buildRuntimeConfig(loaded.config, loaded.models);
const euPlan = runtime.plan.events.find((e) => e.id === 'eu-town-hall-2027-03')!;

describe('the CDK app', () => {
  const { use1, euw1 } = synth();
  const eu = Template.fromStack(euw1);
  const us = Template.fromStack(use1);

  it('makes one stack per region that holds fleets', () => {
    expect([use1.region, euw1.region].sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it("schedules the event's prescale at the plan's ramp start, one watch window, and the restore", () => {
    const view = findEvent(runtime, 'eu-town-hall-2027-03')!;
    const w = watchWindow(runtime, view, 0);
    eu.resourceCountIs('AWS::Scheduler::Schedule', 3);
    eu.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'eu-town-hall-2027-03-prescale',
      ScheduleExpression: `at(${euPlan.fleets[0]!.rampStart.slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Input: JSON.stringify({ eventId: 'eu-town-hall-2027-03' }),
        RetryPolicy: Match.anyValue(),
        DeadLetterConfig: Match.anyValue(),
      }),
    });
    const watches = eu.findResources('AWS::Scheduler::Schedule', {
      Properties: { ScheduleExpression: 'rate(1 minute)' },
    });
    expect(Object.keys(watches)).toHaveLength(1);
    const watch = Object.values(watches)[0]!.Properties;
    expect(watch.StartDate).toBe(new Date(w.fromMs).toISOString());
    expect(watch.EndDate).toBe(new Date(w.toMs).toISOString());
    eu.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'eu-town-hall-2027-03-restore',
      ScheduleExpression: 'rate(10 minutes)',
      StartDate: new Date(w.toMs).toISOString(),
    });
  });

  it('makes no schedules for a past event, and says so', () => {
    us.resourceCountIs('AWS::Scheduler::Schedule', 0);
    Annotations.fromStack(use1).hasInfo(
      '*',
      Match.stringLikeRegexp('event spaces-2024-08-12 is over at 2026-11-22T00:00:00.000Z'),
    );
  });

  it('lets the scheduler role invoke just the three controllers', () => {
    eu.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [Match.objectLike({ Ref: Match.stringLikeRegexp('SchedulerRole') })],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('Prescale'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('Watch'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('Restore'), 'Arn'] },
            ],
          }),
        ]),
      },
    });
  });

  it('scopes ECS permissions to the configured service and WAF permissions to the web ACL', () => {
    const policies = Object.values(eu.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const ecs = statements.filter((s) => [s.Action].flat().includes('ecs:UpdateService'));
    expect(ecs).toHaveLength(4);
    for (const s of ecs) expect(JSON.stringify(s.Resource)).toContain(':service/spaces-prod-euw1/sfu-audio');
    for (const s of statements) expect([s.Action].flat().some((a) => a.includes('*'))).toBe(false);
    const usStatements = Object.values(us.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const waf = usStatements.filter((s) => [s.Action].flat().includes('wafv2:GetWebACL'));
    expect(waf).toHaveLength(4);
    for (const s of waf) expect(JSON.stringify(s.Resource)).toMatch(/WebAcl.*Arn/);
  });

  it('runs the controllers on Node 22 ARM64 with reserved concurrency 1, log retention and a dead-letter queue', () => {
    const fns = eu.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(4);
    for (const [id, fn] of Object.entries(fns)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        // The controllers act one at a time; the runbook answers a few people at once.
        ReservedConcurrentExecutions: id.includes('Runbook') ? 5 : 1,
      });
      expect(fn.Properties.DeadLetterConfig).toBeDefined();
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
    eu.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 4);
    eu.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  it('keeps state in an on-demand, recoverable, encrypted, protected table with TTL', () => {
    eu.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('deploys the shield rules in Count, associated with the configured load balancer', () => {
    us.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'surgeguard-join-rate-per-ip',
          Action: { Count: {} },
          Statement: { RateBasedStatement: Match.objectLike({ Limit: 300, AggregateKeyType: 'IP' }) },
        }),
        Match.objectLike({ Name: 'surgeguard-ip-reputation', OverrideAction: { Count: {} } }),
        Match.objectLike({ Name: 'surgeguard-anonymous-ip', OverrideAction: { Count: {} } }),
        Match.objectLike({ Name: 'surgeguard-anti-ddos', OverrideAction: { Count: {} } }),
      ]),
    });
    us.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.stringLikeRegexp('loadbalancer/app/spaces-join'),
    });
    eu.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  it('encrypts the on-call topic, alarms on what on-call must know, and builds a dashboard per event', () => {
    eu.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const alarms = Object.values(eu.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmDescription as string,
    );
    expect(alarms.some((d) => d.includes('prescale failed'))).toBe(true);
    expect(alarms.some((d) => d.includes('dead-letter queue'))).toBe(true);
    expect(alarms.some((d) => d.includes('join success below the SLO'))).toBe(true);
    expect(alarms.some((d) => d.includes('capacity shortfall'))).toBe(true);
    expect(alarms.some((d) => d.includes('vCPU quota'))).toBe(true);
    eu.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const outputs = Object.keys(eu.findOutputs('*'));
    for (const out of [
      'TableName',
      'TopicArn',
      'PrescaleFunctionName',
      'WatchFunctionName',
      'RestoreFunctionName',
      'ScheduleGroupName',
      'DashboardUrl0',
    ]) {
      expect(outputs.some((o) => o.startsWith(`SurgeGuard${out}`))).toBe(true);
    }
    expect(Object.keys(us.findOutputs('*')).some((o) => o.startsWith('SurgeGuardWebAclArn'))).toBe(true);
  });
});

describe('the runbook', () => {
  const { euw1 } = synth();
  const eu = Template.fromStack(euw1);

  it('is reachable only through an IAM-authenticated function URL, named in the outputs', () => {
    eu.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    expect(Object.keys(eu.findOutputs('*')).some((o) => o.startsWith('SurgeGuardRunbookUrl'))).toBe(true);
  });

  it("may move only the stack's own schedules, passing only the scheduler role", () => {
    const statements = Object.values(eu.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('RunbookRole'))
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const update = statements.find((s) => [s.Action].flat().includes('scheduler:UpdateSchedule'))!;
    expect(JSON.stringify(update.Resource)).toContain(':schedule/surgeguard-eu-west-1/*');
    const pass = statements.find((s) => [s.Action].flat().includes('iam:PassRole'))!;
    expect(JSON.stringify(pass.Resource)).toContain('SchedulerRole');
  });

  it('is wrapped by SSM Automation documents that pass the execution id, not a caller name', () => {
    const docs = Object.values(eu.findResources('AWS::SSM::Document')).map((d) => d.Properties);
    expect(docs.map((d) => d.Name).sort()).toEqual(
      [
        'Activate',
        'DryRunOff',
        'DryRunOn',
        'Hold',
        'HoldAll',
        'Pause',
        'Restore',
        'Resume',
        'Scale',
        'ShieldArm',
        'ShieldDisarm',
        'Shift',
      ]
        .map((n) => `SurgeGuard-eu-west-1-${n}`)
        .sort(),
    );
    for (const d of docs) {
      expect(d.DocumentType).toBe('Automation');
      const payload = d.Content.mainSteps[0].inputs.Payload as string;
      expect(payload).toContain('"executionId":"{{automation:EXECUTION_ID}}"');
      expect(payload).not.toMatch(/actor|caller/);
    }
  });
});

describe('cdk-nag', () => {
  it('passes the AwsSolutions pack with every acknowledgement explained', () => {
    const { app } = synth(true);
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    const failures = report.pluginReports.filter((p: { conclusion: string }) => p.conclusion !== 'success');
    expect(failures).toEqual([]);
  });

  it('is really checking: an unacknowledged finding fails synth', () => {
    const { app, euw1 } = synth(true);
    new sqs.Queue(euw1, 'Careless');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });
});

describe('a bad config', () => {
  it('fails synth with the same file:line:col errors as validate, before any resource is built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-bad-'));
    const bad = join(dir, 'events.yaml');
    writeFileSync(
      bad,
      readFileSync(CONFIG, 'utf8')
        .replace('maxTasks: 2000', 'maxTasks: lots')
        .replace('scaling-tests/', `${join(ROOT, 'config', 'scaling-tests')}/`),
    );
    const app = new App({ outdir: dir, context: { config: bad, 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildApp({ app })).toThrow(InputError);
    expect(app.node.children).toHaveLength(0);
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: bad }), CDK_OUTDIR: dir },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/events\.yaml:\d+:\d+: fleets\[1\]\.maxTasks: expected number, received string/);
    expect(r.stderr).toContain('nothing synthesised');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
