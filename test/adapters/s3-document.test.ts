import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3DocumentSource } from '../../lambda/adapters/s3-document';
import { bindingsOf, buildDocument, verifyDocument, withBindings } from '../../lambda/core/document';
import { silentLog } from '../../lambda/ports';
import { FakeClock } from '../fakes/clock';
import { testRuntime } from '../fixtures/runtime';
import { runtimeForRegion } from '../../lib/runtime-for-region';

const hash = (t: string) => createHash('sha256').update(t).digest('hex');
const s3 = mockClient(S3Client);
const runtime = runtimeForRegion(testRuntime(), 'us-east-1');
const expect_ = { region: 'us-east-1', bindings: bindingsOf(runtime) };
const meta = { region: 'us-east-1', publishedAt: '2029-12-01T00:00:00Z', publishedBy: 'test' };
const good = JSON.stringify(buildDocument(runtime, meta, hash));
/** What the adapter reads of a GetObject body. */
const body = (text: string) => ({ transformToString: async () => text });
const notModified = () =>
  Object.assign(new Error('Not Modified'), { name: '304', $metadata: { httpStatusCode: 304 } });

function source(clock = new FakeClock(0)) {
  const rejected: string[] = [];
  const src = new S3DocumentSource(s3 as unknown as S3Client, {
    bucket: 'b',
    key: 'us-east-1/runtime.json',
    expect: expect_,
    hash,
    clock,
    log: silentLog,
    onRejected: (reason) => rejected.push(reason),
    ttlMs: 30_000,
  });
  return { src, clock, rejected };
}

beforeEach(() => s3.reset());

describe('verifyDocument', () => {
  it('accepts the document as published', () => {
    expect(verifyDocument(good, expect_, hash).runtime.config.events.map((e) => e.id)).toEqual(['ev']);
  });

  it.each([
    ['not JSON', good.slice(0, 100), /not JSON/],
    ['another format', good.replace('surgeguard/runtime-v1', 'surgeguard/runtime-v0'), /format/],
    [
      'edited after publishing',
      good.replace('"expectedPeakListeners":300000', '"expectedPeakListeners":3000'),
      /sha256/,
    ],
    [
      'another region',
      JSON.stringify(buildDocument(runtime, { ...meta, region: 'eu-west-1' }, hash)),
      /region eu-west-1/,
    ],
    [
      'a fleet the stack was not deployed for',
      JSON.stringify(buildDocument(testRuntime(), meta, hash)),
      /fleets this stack was not deployed for: euw1/,
    ],
    [
      'that points a fleet at another service',
      JSON.stringify(
        buildDocument(
          withBindings(runtime, {
            ...expect_.bindings,
            fleets: { use1: { cluster: 'prod', service: 'other' } },
          }),
          meta,
          hash,
        ),
      ),
      /fleet use1 scales prod\/other; the stack was deployed for prod\/sfu/,
    ],
  ])('refuses a document %s', (_what, text, reason) => {
    expect(() => verifyDocument(text, expect_, hash)).toThrow(reason);
  });

  it('refuses a document that turns on a shield the stack was deployed without', () => {
    const shielded = {
      ...runtime,
      config: {
        ...runtime.config,
        shield: {
          webAcl: { mode: 'managed', name: 'acl', region: 'us-east-1', scope: 'REGIONAL', associate: [] },
        } as unknown as NonNullable<typeof runtime.config.shield>,
      },
    };
    expect(() => verifyDocument(JSON.stringify(buildDocument(shielded, meta, hash)), expect_, hash)).toThrow(
      /document has a shield; the stack was deployed without one/,
    );
    expect(() => withBindings(shielded, expect_.bindings)).toThrow(/deployed without a web ACL/);
  });
});

describe('S3DocumentSource', () => {
  it('reads once per TTL and asks again with a conditional GET', async () => {
    const { src, clock } = source();
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(good) as never, ETag: '"e1"', VersionId: 'v1' })
      .rejects(notModified());
    expect((await src.current()).version).toBe('v1');
    await src.current();
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    clock.advance(31_000);
    expect((await src.current()).version).toBe('v1');
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { IfNoneMatch: '"e1"' });
  });

  it('keeps the last good document when a newer one is refused, and reports it once', async () => {
    const { src, clock, rejected } = source();
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(good) as never, ETag: '"e1"', VersionId: 'v1' })
      .resolvesOnce({ Body: body(good.slice(0, 50)) as never, ETag: '"e2"', VersionId: 'v2' })
      .rejects(notModified());
    await src.current();
    clock.advance(31_000);
    expect((await src.current()).version).toBe('v1');
    clock.advance(31_000);
    expect((await src.current()).version).toBe('v1');
    expect(rejected).toHaveLength(1);
  });

  it('a cold container meeting a refused newest version falls back to the newest older one that checks out', async () => {
    const { src, rejected } = source();
    s3.on(GetObjectCommand, { VersionId: undefined }).resolves({
      Body: body('{"format":"nope"}') as never,
      ETag: '"e3"',
      VersionId: 'v3',
    });
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'us-east-1/runtime.json', VersionId: 'v3', LastModified: new Date(3) },
        { Key: 'us-east-1/runtime.json', VersionId: 'v1', LastModified: new Date(1) },
        { Key: 'us-east-1/runtime.json', VersionId: 'v2', LastModified: new Date(2) },
      ],
    });
    s3.on(GetObjectCommand, { VersionId: 'v2' }).resolves({
      Body: body('truncated') as never,
      VersionId: 'v2',
    });
    s3.on(GetObjectCommand, { VersionId: 'v1' }).resolves({ Body: body(good) as never, VersionId: 'v1' });
    expect((await src.current()).version).toBe('v1');
    expect(rejected).toHaveLength(2);
  });

  it('refuses a document over the size limit without reading it', async () => {
    const { src, rejected } = source();
    const read = jest.fn(async () => good);
    s3.on(GetObjectCommand, { VersionId: undefined }).resolves({
      Body: { transformToString: read } as never,
      ContentLength: 5 * 1024 * 1024,
      VersionId: 'v9',
    });
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [] });
    await expect(src.current()).rejects.toThrow(/no good published document/);
    expect(rejected[0]).toMatch(/5242880 bytes, over the 4194304-byte limit/);
    expect(read).not.toHaveBeenCalled();
  });

  it('keeps the last good document while S3 cannot be reached, and fails only without one', async () => {
    const { src, clock } = source();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    await expect(src.current()).rejects.toThrow(/cannot read the published document: .*socket hang up/);
    s3.reset();
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(good) as never, ETag: '"e1"', VersionId: 'v1' })
      .rejects(new Error('down'));
    expect((await src.current()).version).toBe('v1');
    clock.advance(31_000);
    expect((await src.current()).version).toBe('v1');
  });
});
