import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { GetParameterCommandInput } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../bin/cli/main';
import { loadConfig } from '../../lambda/adapters/config-file';
import type { StackBindings } from '../../lambda/core/document';
import { bindingsOf, verifyDocument } from '../../lambda/core/document';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { runtimeForRegion } from '../../lib/runtime-for-region';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const loaded = loadConfig(CONFIG);
const runtime = buildRuntimeConfig(loaded.config, loaded.models);
/** What each region's stack was deployed for, as its deployment parameter says. */
const BINDINGS: Record<string, StackBindings> = {
  'us-east-1': bindingsOf(runtimeForRegion(runtime, 'us-east-1')),
  'eu-west-1': bindingsOf(runtimeForRegion(runtime, 'eu-west-1')),
};

describe('surgeguard publish', () => {
  const ssm = mockClient(SSMClient);
  const s3 = mockClient(S3Client);
  const env = { ...process.env };
  beforeAll(() => {
    // Credentials as the CLI would find them; no call leaves the mocks.
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  });
  afterAll(() => {
    process.env = env;
  });
  beforeEach(() => {
    ssm.reset();
    s3.reset();
    ssm.on(GetParameterCommand).callsFake((input: GetParameterCommandInput) => {
      const region = input.Name!.split('/')[2]!;
      return {
        Parameter: {
          Value: JSON.stringify({
            runbookUrl: 'https://x',
            documentBucket: `docs-${region}`,
            documentKey: 'surgeguard/runtime.json',
            bindings: BINDINGS[region],
          }),
        },
      };
    });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
  });

  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['node', 'surgeguard', 'publish', ...args], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it("writes each region's document to the bucket its deployment names, as the functions will accept it", async () => {
    // Act
    const r = await run('--config', CONFIG, '--json');
    // Assess
    expect(r.code).toBe(0);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input as PutObjectCommandInput);
    expect(puts.map((p) => p.Bucket).sort()).toEqual(['docs-eu-west-1', 'docs-us-east-1']);
    for (const p of puts) {
      const region = p.Bucket!.slice('docs-'.length);
      const doc = verifyDocument(String(p.Body), { region, bindings: BINDINGS[region]! }, sha);
      expect(doc.publishedBy).toMatch(/^surgeguard publish/);
    }
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, regions: [{ version: 'v2' }, { version: 'v2' }] });
  });

  it('refuses to drop an event under way in the published document, unless forced', async () => {
    // Prepare: the published eu-west-1 document holds an event that began ten minutes ago.
    const slice = runtimeForRegion(runtime, 'eu-west-1');
    const shiftMs = Date.now() - 10 * 60_000 - Date.parse(slice.plan.events[0]!.start);
    const moved = (iso: string) => new Date(Date.parse(iso) + shiftMs).toISOString();
    const live = {
      ...slice,
      config: {
        ...slice.config,
        events: slice.config.events.map((e) => ({ ...e, id: 'live-now' })),
      },
      plan: {
        events: slice.plan.events.map((e) => ({
          ...e,
          id: 'live-now',
          start: moved(e.start),
          doorsOpen: moved(e.doorsOpen),
          end: moved(e.end),
          holdUntil: moved(e.holdUntil),
          fleets: e.fleets.map((f) => ({ ...f, rampStart: moved(f.rampStart) })),
        })),
      },
    };
    s3.on(GetObjectCommand, { Bucket: 'docs-eu-west-1' }).resolves({
      Body: { transformToString: async () => JSON.stringify({ runtime: live }) } as never,
    });
    // Act and assess
    const refused = await run('--config', CONFIG);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/eu-west-1: live-now is under way and the new config drops it/);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect((await run('--config', CONFIG, '--force')).code).toBe(0);
  });

  it('writes nothing with --dry-run', async () => {
    const r = await run('--config', CONFIG, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/would publish us-east-1: 1 event/);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('writes nothing anywhere when a stack was not deployed for a fleet of the config', async () => {
    const saved = BINDINGS['eu-west-1']!;
    BINDINGS['eu-west-1'] = { ...saved, fleets: { 'another-fleet': { cluster: 'c', service: 's' } } };
    try {
      const r = await run('--config', CONFIG);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/eu-west-1: fleets this stack was not deployed for: sfu-euw1/);
      expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    } finally {
      BINDINGS['eu-west-1'] = saved;
    }
  });

  it('binds the document to the services and web ACL the stack was deployed with (construct props, a prefix)', async () => {
    const saved = BINDINGS['us-east-1']!;
    BINDINGS['us-east-1'] = {
      fleets: { 'sfu-use1': { cluster: 'team-cluster', service: 'team-sfu' } },
      webAcl: { ...saved.webAcl!, name: `Staging-${saved.webAcl!.name}` },
    };
    try {
      expect((await run('--config', CONFIG, '--region', 'us-east-1')).code).toBe(0);
      const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input as PutObjectCommandInput;
      const doc = verifyDocument(
        String(put.Body),
        { region: 'us-east-1', bindings: BINDINGS['us-east-1'] },
        sha,
      );
      expect(doc.runtime.config.fleets[0]).toMatchObject({ cluster: 'team-cluster', service: 'team-sfu' });
      expect(doc.runtime.config.shield!.webAcl.name).toBe(`Staging-${saved.webAcl!.name}`);
    } finally {
      BINDINGS['us-east-1'] = saved;
    }
  });

  it('refuses a bad config with file:line:col, before any AWS call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-publish-'));
    cpSync(join(CONFIG, '..'), dir, { recursive: true });
    const bad = join(dir, 'events.yaml');
    writeFileSync(
      bad,
      readFileSync(bad, 'utf8').replace('expectedPeakListeners: 1300000', 'expectedPeakListeners: lots'),
    );
    const r = await run('--config', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/events\.yaml:\d+:\d+: .*expectedPeakListeners/);
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
  });
});
