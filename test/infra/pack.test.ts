import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { deploymentParameter } from '../../bin/cli/runbook/deployment';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = join(__dirname, '..', '..');
const MODULES = join(ROOT, 'node_modules');

/** A team's own CDK app: existing service, topic and role, SurgeGuard under its own id, cdk-nag on. */
const APP = `
const { App, Stack, Validations } = require('aws-cdk-lib');
const ecs = require('aws-cdk-lib/aws-ecs');
const iam = require('aws-cdk-lib/aws-iam');
const sns = require('aws-cdk-lib/aws-sns');
const { AwsSolutionsChecks } = require('cdk-nag');
const sg = require('surgeguard');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Audio', { env: { account: '111111111111', region: 'us-east-1' } });
const loaded = sg.loadConfig(require.resolve('surgeguard/package.json').replace('package.json', 'config/events.yaml'));
const runtime = sg.runtimeForRegion(sg.buildRuntimeConfig(loaded.config, loaded.models), 'us-east-1');
const fleet = runtime.config.fleets[0].id;
const scaler = new sg.SurgeGuard(stack, 'AudioScaler', {
  runtime,
  now: new Date('2026-11-22T00:00:00Z'),
  namePrefix: 'Audio',
  services: {
    [fleet]: ecs.FargateService.fromServiceArnWithCluster(stack, 'Sfu', 'arn:aws:ecs:us-east-1:111111111111:service/audio/sfu'),
  },
  topic: sns.Topic.fromTopicArn(stack, 'OnCall', 'arn:aws:sns:us-east-1:111111111111:oncall'),
  outputs: false,
});
scaler.grantChange(new iam.Role(stack, 'Responder', { assumedBy: new iam.AccountRootPrincipal() }));
sg.addNagSuppressions(app);
app.synth();
const report = new AwsSolutionsChecks().validateScope(app);
const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => v.ruleName + ' at ' + r.constructPath));
console.log(JSON.stringify({ findings, functions: Object.keys(scaler.functions) }));
`;

describe('the packed library', () => {
  it('installs into a fresh CDK app, synthesises under another id with existing resources, clean under cdk-nag', () => {
    // Prepare: npm pack (which builds dist/), then a fresh app whose node_modules hold the tarball and the peers.
    const work = mkdtempSync(join(tmpdir(), 'sg-pack-'));
    const pack = spawnSync('npm', ['pack', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status).toBe(0);
    const tarball = join(
      work,
      readdirSync(work).find((f) => f.endsWith('.tgz'))!,
    );
    const app = join(work, 'app');
    const installed = join(app, 'node_modules', 'surgeguard');
    mkdirSync(installed, { recursive: true });
    expect(spawnSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']).status).toBe(0);
    for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
      symlinkSync(join(MODULES, peer), join(app, 'node_modules', peer));
    }
    writeFileSync(join(app, 'app.js'), APP);
    const outdir = join(work, 'cdk.out');
    // Act: no TypeScript, no esbuild, no sources: only what the tarball ships (its runtime deps from NODE_PATH).
    const run = spawnSync(process.execPath, ['app.js', outdir], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: MODULES },
    });
    // Assess
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      findings: string[];
      functions: string[];
    };
    expect(result.findings).toEqual([]);
    expect(result.functions).toEqual(['prescale', 'watch', 'restore']);
    // No sources: compiled JS, declarations and bundles (npm adds the CLI's bin, which runs from a clone).
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'bin', 'config', 'dist', 'package.json']);
    expect(
      readdirSync(join(installed, 'dist', 'lib')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    ).toEqual([]);
    // The CLI finds this copy by its prefix: the parameter it reads names the runbook, the document and the
    // services the construct was given.
    const template = JSON.parse(readFileSync(join(outdir, 'Audio.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Name?: string; Value?: unknown } }>;
    };
    const parameter = Object.values(template.Resources).find(
      (r) =>
        r.Type === 'AWS::SSM::Parameter' && r.Properties.Name === deploymentParameter('us-east-1', 'Audio'),
    )!;
    const value = JSON.stringify(parameter.Properties.Value);
    for (const key of ['runbookUrl', 'runbookReadUrl', 'documentBucket', 'documentKey', 'bindings'])
      expect(value).toContain(key);
    expect(value).toContain('\\"cluster\\":\\"audio\\",\\"service\\":\\"sfu\\"');
    // Each function's asset is the shipped bundle alone; the config is the published document beside them.
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    const bundles = assets.filter((a) => existsSync(join(outdir, a, 'index.mjs')));
    expect(bundles).toHaveLength(6);
    for (const a of bundles)
      expect(readdirSync(join(outdir, a)).filter((f) => !f.startsWith('index.mjs'))).toEqual([]);
    const document = assets
      .map((a) => join(outdir, a, 'surgeguard', 'runtime.json'))
      .find((f) => existsSync(f))!;
    expect(readFileSync(document, 'utf8')).toContain('"sfu-use1"');
  }, 300_000);
});
