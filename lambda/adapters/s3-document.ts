import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DocumentExpectation, Hash, PublishedDocument } from '../core/document';
import { DocumentRejected, MAX_DOCUMENT_BYTES, verifyDocument } from '../core/document';
import { errorMessage } from '../core/errors';
import type { RuntimeConfig } from '../core/runtime-config';
import type { Clock, CurrentRuntime, Log, RuntimeSource } from '../ports';

/** The S3 calls the adapter makes. */
export type S3Send = Pick<S3Client, 'send'>;

/** Where the document lives and what it must hold. */
export interface S3DocumentOptions {
  readonly bucket: string;
  readonly key: string;
  readonly expect: DocumentExpectation;
  readonly hash: Hash;
  readonly clock: Clock;
  readonly log: Log;
  /** Called once per refused version: the stack alarms on it. */
  readonly onRejected: (reason: string, version: string) => void;
  /** How long a read document is used before S3 is asked again (a conditional GET). @default 30 s */
  readonly ttlMs?: number;
  /** How many older versions are tried when the newest is refused and nothing good is cached. @default 5 */
  readonly fallbackVersions?: number;
}

/** One read of the document: its text (or its size, when over the limit and left unread) and version. */
interface Got {
  readonly text: string;
  readonly tooLarge?: number;
  readonly etag?: string;
  readonly version: string;
}

interface Cached {
  readonly current: CurrentRuntime;
  /** The ETag of the newest object seen, good or refused: a conditional GET skips it until it changes. */
  readonly etag?: string;
  readonly checkedMs: number;
}

/**
 * The published document in a versioned S3 bucket. Read with a conditional GET at most once per TTL; a refused
 * newest version leaves the last good one in use (from memory, or the newest older version that checks out), and
 * is reported once.
 */
export class S3DocumentSource implements RuntimeSource {
  private cached?: Cached;
  private readonly refused = new Set<string>();

  constructor(
    private readonly client: S3Send,
    private readonly options: S3DocumentOptions,
  ) {}

  async current(): Promise<CurrentRuntime> {
    const now = this.options.clock.now();
    const ttl = this.options.ttlMs ?? 30_000;
    if (this.cached && now - this.cached.checkedMs < ttl) return this.cached.current;
    let got: Got | 'not-modified';
    try {
      got = await this.get(this.cached?.etag);
    } catch (err) {
      if (!this.cached) throw new Error(`cannot read the published document: ${errorMessage(err)}`);
      // S3 unreachable: the last good document stands, and is asked for again at the next check.
      this.options.log.warn('published document not read; using the last good one', {
        error: errorMessage(err),
        version: this.cached.current.version,
      });
      this.cached = { ...this.cached, checkedMs: now };
      return this.cached.current;
    }
    if (got === 'not-modified') {
      this.cached = { ...this.cached!, checkedMs: now };
      return this.cached.current;
    }
    try {
      const doc = this.verify(got);
      this.cached = { current: currentOf(doc, got.version), etag: got.etag, checkedMs: now };
      return this.cached.current;
    } catch (err) {
      if (!(err instanceof DocumentRejected)) throw err;
      this.reject(err.message, got.version);
      const good = this.cached?.current ?? (await this.lastGood(got.version));
      this.cached = { current: good, etag: got.etag, checkedMs: now };
      return good;
    }
  }

  private verify(got: Got): PublishedDocument {
    if (got.tooLarge !== undefined)
      throw new DocumentRejected(
        `document is ${got.tooLarge} bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit`,
      );
    return verifyDocument(got.text, this.options.expect, this.options.hash);
  }

  private reject(reason: string, version: string): void {
    if (this.refused.has(version)) return;
    this.refused.add(version);
    this.options.log.error('published document refused; keeping the last good one', { reason, version });
    this.options.onRejected(reason, version);
  }

  /** The newest older version that checks out, when a cold container meets a refused newest version. */
  private async lastGood(refused: string): Promise<CurrentRuntime> {
    const res = await this.client.send(
      new ListObjectVersionsCommand({ Bucket: this.options.bucket, Prefix: this.options.key, MaxKeys: 50 }),
    );
    const versions = (res.Versions ?? [])
      .filter((v) => v.Key === this.options.key && v.VersionId && v.VersionId !== refused)
      .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))
      .slice(0, this.options.fallbackVersions ?? 5);
    for (const v of versions) {
      const got = await this.get(undefined, v.VersionId);
      if (got === 'not-modified') continue;
      try {
        return currentOf(this.verify(got), got.version);
      } catch (err) {
        if (!(err instanceof DocumentRejected)) throw err;
        this.reject(err.message, got.version);
      }
    }
    throw new Error(
      `no good published document: the newest (${refused}) was refused and no older version checks out; publish a valid one (surgeguard publish)`,
    );
  }

  private async get(ifNoneMatch?: string, versionId?: string): Promise<Got | 'not-modified'> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.options.key,
          IfNoneMatch: ifNoneMatch,
          VersionId: versionId,
        }),
      );
      const version = res.VersionId ?? res.ETag ?? 'unversioned';
      // Refused unread: a document past the limit is not worth a container's memory.
      if ((res.ContentLength ?? 0) > MAX_DOCUMENT_BYTES) {
        (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return { text: '', tooLarge: res.ContentLength, etag: res.ETag, version };
      }
      const text = (await res.Body?.transformToString('utf8')) ?? '';
      return { text, etag: res.ETag, version };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 304 || (err as { name?: string }).name === 'NotModified') return 'not-modified';
      throw err;
    }
  }
}

function currentOf(doc: PublishedDocument, version: string): CurrentRuntime {
  return { runtime: doc.runtime, version, publishedAt: doc.publishedAt };
}

/** A runtime config given directly (tests, local rehearsals): always the same, never refused. */
export class StaticRuntimeSource implements RuntimeSource {
  constructor(
    private readonly runtime: RuntimeConfig,
    private readonly version = 'static',
  ) {}

  async current(): Promise<CurrentRuntime> {
    return { runtime: this.runtime, version: this.version };
  }
}
