import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lambda/adapters/config-file';
import { InputError } from '../../lambda/core/issues';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
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

  it('has one watch schedule per region, every minute, and no schedule per event', () => {
    for (const t of [eu, us]) {
      t.resourceCountIs('AWS::Scheduler::Schedule', 1);
      t.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Watch'), 'Arn'] },
          Input: JSON.stringify({ correlationId: '<aws.scheduler.execution-id>' }),
          DeadLetterConfig: Match.anyValue(),
        }),
      });
      t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    }
  });

  it("publishes the region's events and plan as a document the functions are told where to read", () => {
    const { app, euw1: stack } = synth();
    const out = app.synth().directory;
    const docs = readdirSync(out)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => join(out, d, 'surgeguard', 'runtime.json'))
      .filter((f) => existsSync(f))
      .map((f) => JSON.parse(readFileSync(f, 'utf8')));
    const doc = docs.find((d) => d.region === 'eu-west-1')!;
    expect(doc.format).toBe('surgeguard/runtime-v1');
    expect(doc.runtime.config.events.map((e: { id: string }) => e.id)).toEqual(['eu-town-hall-2027-03']);
    expect(doc.runtime.plan.events[0].fleets[0].rampStart).toBe(euPlan.fleets[0]!.rampStart);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
    });
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.SURGEGUARD_TABLE,
    )) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        SURGEGUARD_DOCUMENT_KEY: 'surgeguard/runtime.json',
        SURGEGUARD_DOCUMENT_BUCKET: { Ref: expect.stringMatching(/Documents/) },
        SURGEGUARD_BINDINGS: JSON.stringify({
          fleets: { 'sfu-euw1': { cluster: 'spaces-prod-euw1', service: 'sfu-audio' } },
          webAcl: null,
        }),
      });
    }
  });

  it('says which events are over, without changing the template', () => {
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
    // SurgeGuard's own roles: CDK's BucketDeployment handler (which writes the document) has CDK's grants.
    const policies = Object.values(eu.findResources('AWS::IAM::Policy')).filter(
      (p) => !JSON.stringify(p.Properties.Roles).includes('CustomCDKBucketDeployment'),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const ecs = statements.filter((s) => [s.Action].flat().includes('ecs:UpdateService'));
    // prescale, watch, restore, the runbook and its SSM entry point; never the read-only runbook.
    expect(ecs).toHaveLength(5);
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
    const fns = Object.fromEntries(
      Object.entries(eu.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('SurgeGuard')),
    );
    expect(Object.keys(fns)).toHaveLength(6);
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
    eu.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 6);
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

  it('encrypts the on-call topic, alarms on what on-call must know, and builds one dashboard for the region', () => {
    eu.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const alarms = Object.values(eu.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmDescription as string,
    );
    expect(alarms.some((d) => d.includes('prescale failed'))).toBe(true);
    expect(alarms.some((d) => d.includes('dead-letter queue'))).toBe(true);
    expect(alarms.some((d) => d.includes("join success below the live event's SLO"))).toBe(true);
    expect(alarms.some((d) => d.includes('refused a published document'))).toBe(true);
    expect(alarms.some((d) => d.includes('could not make the prescale and restore schedules match'))).toBe(
      true,
    );
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
      'DashboardUrl',
      'DocumentBucket',
    ]) {
      expect(outputs.some((o) => o.startsWith(`SurgeGuard${out}`))).toBe(true);
    }
    expect(Object.keys(us.findOutputs('*')).some((o) => o.startsWith('SurgeGuardWebAclArn'))).toBe(true);
  });
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

/** Every statement of the policies attached to the role whose logical id matches. */
function statementsOf(t: Template, role: RegExp): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => role.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe('IAM and alarms', () => {
  const { use1 } = synth();
  const us = Template.fromStack(use1);

  it('lets RegisterScalableTarget and the scheduled actions reach only ECS services desired counts', () => {
    const register = Object.values(us.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) =>
        [s.Action]
          .flat()
          .some((a) =>
            /^application-autoscaling:(RegisterScalableTarget|PutScheduledAction|DeleteScheduledAction)$/.test(
              a,
            ),
          ),
      );
    expect(register.length).toBeGreaterThan(0);
    expect(register.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining([
        'application-autoscaling:PutScheduledAction',
        'application-autoscaling:DeleteScheduledAction',
      ]),
    );
    for (const s of register)
      expect(s.Condition).toEqual({
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      });
  });

  it('gives each role only the calls its Lambda makes', () => {
    const prescale = actionsOf(statementsOf(us, /^SurgeGuardPrescaleRole/));
    expect(prescale).toEqual(
      expect.arrayContaining(['application-autoscaling:RegisterScalableTarget', 'ecs:UpdateService']),
    );
    expect(prescale.filter((a) => /^(wafv2|sns|kms|cloudwatch):|ScheduledAction/.test(a))).toEqual([]);
    for (const role of [/^SurgeGuardWatchRole/, /^SurgeGuardRestoreRole/])
      expect(actionsOf(statementsOf(us, role))).toEqual(
        expect.arrayContaining([
          'application-autoscaling:DescribeScalableTargets',
          'application-autoscaling:RegisterScalableTarget',
          'application-autoscaling:PutScheduledAction',
          'application-autoscaling:DeleteScheduledAction',
          'application-autoscaling:DescribeScheduledActions',
          'wafv2:UpdateWebACL',
          'cloudwatch:GetMetricData',
        ]),
      );
    // Only the watch steps down during an event: it alone reads and releases task scale-in protection.
    expect(actionsOf(statementsOf(us, /^SurgeGuardWatchRole/))).toEqual(
      expect.arrayContaining(['ecs:ListTasks', 'ecs:GetTaskProtection', 'ecs:UpdateTaskProtection']),
    );
    for (const role of [/^SurgeGuardPrescaleRole/, /^SurgeGuardRestoreRole/, /^SurgeGuardRunbookRole/])
      expect(actionsOf(statementsOf(us, role)).filter((a) => /TaskProtection|ListTasks/.test(a))).toEqual([]);
    // Task protection is released on the clusters' tasks only (a step down from past the scaling peak).
    const protection = statementsOf(us, /^SurgeGuardWatchRole/).filter((st) =>
      [st.Action].flat().includes('ecs:UpdateTaskProtection'),
    );
    expect(protection.length).toBeGreaterThan(0);
    for (const st of protection) expect(JSON.stringify(st.Resource)).toMatch(/:task\/[^"]+\/\*/);
    const read = actionsOf(statementsOf(us, /^SurgeGuardRunbookreadRole/));
    expect(read).toEqual(
      expect.arrayContaining([
        'dynamodb:Query',
        'ecs:DescribeServices',
        'application-autoscaling:DescribeScheduledActions',
      ]),
    );
    const writes =
      /UpdateService|UpdateTaskProtection|RegisterScalableTarget|PutScheduledAction|DeleteScheduledAction|PutItem|UpdateWebACL|UpdateSchedule|PassRole|Publish/;
    expect(read.filter((a) => writes.test(a))).toEqual([]);
    expect(actionsOf(statementsOf(us, /^SurgeGuardRunbookRole/))).not.toContain('ssm:GetAutomationExecution');
    expect(actionsOf(statementsOf(us, /^SurgeGuardRunbookautomationRole/))).toContain(
      'ssm:GetAutomationExecution',
    );
  });

  it('lets CloudWatch use the topic key only for this account, and publish alarms to the topic', () => {
    const key = Object.values(us.findResources('AWS::KMS::Key'))[0]!.Properties.KeyPolicy.Statement as {
      Principal: { Service?: string };
      Condition?: unknown;
    }[];
    const cw = key.find((s) => s.Principal.Service === 'cloudwatch.amazonaws.com')!;
    expect(cw.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    us.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('alarms per fleet, whatever the events, when a fleet is above its recorded settings past the restore deadline', () => {
    const alarms = Object.values(us.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .filter((a) => a.MetricName === 'FleetAboveRecordedAfterDeadline');
    const fleets = runtime.config.fleets.filter((f) => f.region === 'us-east-1');
    expect(alarms).toHaveLength(fleets.length);
    for (const f of fleets) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'SurgeGuard',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Dimensions: [
            { Name: 'Fleet', Value: f.id },
            { Name: 'service', Value: 'surgeguard' },
          ],
        }),
      );
    }
  });

  it('alarms on runbook errors and throttles', () => {
    const alarms = Object.values(us.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    for (const fn of ['runbook', 'runbookRead', 'runbookAutomation']) {
      expect(
        alarms.some((a) => a.MetricName === 'Errors' && a.AlarmDescription.startsWith(`SurgeGuard ${fn} `)),
      ).toBe(true);
      expect(
        alarms.some(
          (a) => a.MetricName === 'Throttles' && a.AlarmDescription.startsWith(`SurgeGuard ${fn} `),
        ),
      ).toBe(true);
    }
  });
});

describe('the runbook', () => {
  const { euw1 } = synth();
  const eu = Template.fromStack(euw1);

  it('is reachable through two IAM-authenticated function URLs, changes and reads only, named in the outputs', () => {
    eu.resourcePropertiesCountIs('AWS::Lambda::Url', { AuthType: 'AWS_IAM' }, 2);
    const outputs = Object.keys(eu.findOutputs('*'));
    expect(outputs.some((o) => o.startsWith('SurgeGuardRunbookUrl'))).toBe(true);
    expect(outputs.some((o) => o.startsWith('SurgeGuardRunbookReadUrl'))).toBe(true);
  });

  it('runs its SSM documents as an AutomationAssumeRole that may only invoke the automation entry point', () => {
    const docs = Object.values(eu.findResources('AWS::SSM::Document')).map((d) => d.Properties);
    for (const d of docs)
      expect(d.Content.assumeRole).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^SurgeGuardAutomationRole/), 'Arn'],
      });
    eu.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'ssm.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    const statements = statementsOf(eu, /^SurgeGuardAutomationRole/);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SurgeGuardRunbookautomation/), 'Arn'] },
      }),
    ]);
  });

  it("may make and delete only the stack's own schedules, passing only the scheduler role to Scheduler", () => {
    const statements = Object.values(eu.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('RunbookRole'))
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const create = statements.find((s) => [s.Action].flat().includes('scheduler:CreateSchedule'))!;
    expect(JSON.stringify(create.Resource)).toContain(':schedule/surgeguard-eu-west-1/*');
    const pass = statements.find((s) => [s.Action].flat().includes('iam:PassRole')) as Statement;
    expect(JSON.stringify(pass.Resource)).toContain('SchedulerRole');
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it('is wrapped by SSM Automation documents that pass the execution id, neither a caller nor a request', () => {
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
      expect(JSON.parse(payload)).toEqual({
        source: 'ssm-automation',
        executionId: '{{automation:EXECUTION_ID}}',
      });
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
