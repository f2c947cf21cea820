import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { GetParameterCommandInput } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../bin/cli/main';
import { verifyDocument } from '../../lambda/core/document';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const FLEETS: Record<string, string[]> = { 'us-east-1': ['sfu-use1'], 'eu-west-1': ['sfu-euw1'] };

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
            fleets: FLEETS[region],
          }),
        },
      };
    });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
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
      const doc = verifyDocument(String(p.Body), { region, fleets: FLEETS[region]! }, sha);
      expect(doc.publishedBy).toMatch(/^surgeguard publish/);
    }
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, regions: [{ version: 'v2' }, { version: 'v2' }] });
  });

  it('writes nothing with --dry-run', async () => {
    const r = await run('--config', CONFIG, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/would publish us-east-1: 1 event/);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('writes nothing anywhere when a stack was not deployed for a fleet of the config', async () => {
    FLEETS['eu-west-1'] = ['another-fleet'];
    try {
      const r = await run('--config', CONFIG);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/eu-west-1: document has fleets this stack was not deployed for: sfu-euw1/);
      expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    } finally {
      FLEETS['eu-west-1'] = ['sfu-euw1'];
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
