import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { App, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../lambda/adapters/config-file';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { addNagSuppressions } from '../../lib/nag-suppressions';
import { runtimeForRegion } from '../../lib/runtime-for-region';
import { SurgeGuard } from '../../lib/surgeguard';
import { buildApp } from '../../lib/app';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config', 'events.yaml');
const NOW = new Date('2026-11-22T00:00:00Z');
const ACCOUNT = '111111111111';
const loaded = loadConfig(CONFIG);
const runtime = buildRuntimeConfig(loaded.config, loaded.models);

function newApp(): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'sg-nag-')),
    context: { config: CONFIG, 'aws:cdk:bundling-stacks': [] },
  });
}

/** The AwsSolutions findings left unacknowledged once the app is synthesised: rule id and construct path. */
function unacknowledged(app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
  );
}

interface Case {
  readonly name: string;
  readonly account?: string;
  readonly region?: string;
  readonly stackName: string;
  readonly id: string;
  /** The region whose fleets the construct carries: us-east-1 holds the shield's web ACL, eu-west-1 none. */
  readonly fleets: 'us-east-1' | 'eu-west-1';
  readonly nested?: boolean;
  readonly namePrefix?: string;
}

const cases: Case[] = [
  { name: 'env-agnostic', stackName: 'SurgeGuard-us-east-1', id: 'SurgeGuard', fleets: 'us-east-1' },
  {
    name: 'concrete account and region',
    account: ACCOUNT,
    region: 'us-east-1',
    stackName: 'SurgeGuard-us-east-1',
    id: 'SurgeGuard',
    fleets: 'us-east-1',
  },
  { name: 'another id and stack, env-agnostic', stackName: 'Audio', id: 'AudioScaler', fleets: 'us-east-1' },
  {
    name: 'another id and stack, concrete account and region',
    account: ACCOUNT,
    region: 'us-east-1',
    stackName: 'Audio',
    id: 'AudioScaler',
    fleets: 'us-east-1',
  },
  {
    name: 'nested under another construct, another region',
    account: ACCOUNT,
    region: 'eu-west-1',
    stackName: 'Platform-Audio',
    id: 'AudioScaler',
    fleets: 'eu-west-1',
    nested: true,
  },
  {
    name: 'a name prefix, concrete account and region',
    account: ACCOUNT,
    region: 'us-east-1',
    stackName: 'Staging-Audio',
    id: 'AudioScaler',
    fleets: 'us-east-1',
    namePrefix: 'Staging',
  },
];

describe('cdk-nag acknowledgements', () => {
  it.each(cases)('hold for the construct: $name', (c) => {
    // Prepare
    const app = newApp();
    const env = c.account ? { account: c.account, region: c.region } : undefined;
    const stack = new Stack(app, c.stackName, { env });
    const scope = c.nested ? new Construct(stack, 'Platform') : stack;
    new SurgeGuard(scope, c.id, {
      runtime: runtimeForRegion(runtime, c.fleets),
      now: NOW,
      namePrefix: c.namePrefix,
    });
    // Act
    addNagSuppressions(app);
    // Assess
    expect(unacknowledged(app)).toEqual([]);
  });

  it('are needed: without them the same construct has findings', () => {
    const app = newApp();
    const stack = new Stack(app, 'Audio', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new SurgeGuard(stack, 'AudioScaler', { runtime: runtimeForRegion(runtime, 'us-east-1'), now: NOW });
    expect(unacknowledged(app).some((f) => f.startsWith('AwsSolutions-IAM5['))).toBe(true);
  });

  it('acknowledge only what SurgeGuard grants: a wildcard added beside it is still a finding', () => {
    const app = newApp();
    const stack = new Stack(app, 'Audio', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const sg = new SurgeGuard(stack, 'AudioScaler', {
      runtime: runtimeForRegion(runtime, 'us-east-1'),
      now: NOW,
    });
    sg.runbook.role!.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::bucket-${ACCOUNT}/*`] }),
    );
    addNagSuppressions(app);
    expect(unacknowledged(app)).toEqual([
      `AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket-${ACCOUNT}/*] at Audio/AudioScaler/Runbook/RunbookRole/DefaultPolicy/Resource`,
    ]);
  });
});

describe('the ready-made app under cdk-nag', () => {
  const saved = process.env.CDK_DEFAULT_ACCOUNT;
  afterEach(() => {
    if (saved === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
    else process.env.CDK_DEFAULT_ACCOUNT = saved;
  });

  it.each([
    { name: 'without CDK_DEFAULT_ACCOUNT', account: undefined },
    { name: 'with CDK_DEFAULT_ACCOUNT (cdk deploy with credentials)', account: ACCOUNT },
  ])('synthesises with every finding acknowledged, $name', ({ account }) => {
    if (account === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
    else process.env.CDK_DEFAULT_ACCOUNT = account;
    const { app, stacks } = buildApp({ app: newApp(), now: NOW });
    for (const s of stacks) {
      if (account) expect(s.account).toBe(account);
      else expect(Token.isUnresolved(s.account)).toBe(true);
    }
    expect(unacknowledged(app)).toEqual([]);
  });

  it('passes as `cdk synth` runs it, with a concrete account: bin/app.ts and its nag plugin', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sg-nag-bin-'));
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_DEFAULT_ACCOUNT: ACCOUNT,
        CDK_DEFAULT_REGION: 'us-east-1',
        CDK_CONTEXT_JSON: JSON.stringify({ config: CONFIG, 'aws:cdk:bundling-stacks': [] }),
        CDK_OUTDIR: outdir,
      },
    });
    expect(r.stderr).not.toMatch(/Validation failed|AwsSolutions-/);
    expect(r.status).toBe(0);
  }, 180_000);
});
