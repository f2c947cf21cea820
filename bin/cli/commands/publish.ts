import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { loadConfig } from '../../../lambda/adapters/config-file';
import { AWS_CLIENT_CONFIG } from '../../../lambda/adapters/retry';
import { deploymentLimitIssues } from '../../../lambda/core/config/deployment-limits';
import type { PublishedDocument } from '../../../lambda/core/document';
import { buildDocument, DocumentRejected, verifyDocument, withBindings } from '../../../lambda/core/document';
import { liveEventChanges } from '../../../lambda/core/schedules';
import { InputError } from '../../../lambda/core/issues';
import { buildRuntimeConfig } from '../../../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from '../../../lib/runtime-for-region';
import type { CliIo } from '../io';
import { EXIT, UserError } from '../io';
import { awsError, readDeployment } from '../runbook/deployment';

/** Options of `surgeguard publish`. */
export interface PublishOptions {
  readonly config: string;
  readonly region?: string;
  readonly prefix?: string;
  readonly profile?: string;
  readonly dryRun?: boolean;
  /** Publish even when it drops or moves an event under way. */
  readonly force?: boolean;
  readonly json?: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What publishing `next` would do to the events under way in the region's current document (none if unreadable). */
async function underWay(
  region: string,
  s3: S3Client,
  bucket: string,
  key: string,
  next: PublishedDocument,
): Promise<string[]> {
  let text: string;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await res.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return [];
    throw awsError(
      err,
      `cannot read the ${region} document now published (s3://${bucket}/${key})`,
      'nothing was published',
    );
  }
  let current: PublishedDocument;
  try {
    current = JSON.parse(text) as PublishedDocument;
    if (!current.runtime?.config?.events) return [];
  } catch {
    return []; // an unreadable document is what the functions refuse too: nothing under way to keep
  }
  return liveEventChanges(current.runtime, next.runtime, Date.now());
}

/**
 * `surgeguard publish`: validates the config, plans it, and writes each region's document (config and plan) as a
 * new version in the bucket its deployment names, as `cdk deploy` does, without a stack update. Every region is
 * checked before any is written: a bad config, or a fleet a stack was not deployed for, writes nothing.
 */
export async function publish(io: CliIo, o: PublishOptions): Promise<void> {
  const loaded = loadConfig(o.config);
  const runtime = buildRuntimeConfig(loaded.config, loaded.models);
  const regions = o.region ? [o.region] : fleetRegions(runtime);
  const unknown = regions.filter((r) => !fleetRegions(runtime).includes(r));
  if (unknown.length)
    throw new UserError(`--region ${unknown.join(', ')}: no fleet of the config runs there`);
  const slices = regions.map((region) => ({ region, runtime: runtimeForRegion(runtime, region) }));
  const limits = deploymentLimitIssues(slices, loaded.source);
  if (limits.length) throw new InputError(limits);

  const credentials = fromNodeProviderChain(o.profile ? { profile: o.profile } : {});
  const by = `surgeguard publish (${userInfo().username}@${hostname()})`;
  const publishedAt = new Date().toISOString();
  // First every region is found and its document checked as its functions will check it; then written.
  const prepared = [];
  for (const { region, runtime: slice } of slices) {
    const { name, info } = await readDeployment(region, credentials, o.prefix);
    if (typeof info.documentBucket !== 'string' || typeof info.documentKey !== 'string' || !info.bindings)
      throw new UserError(
        `parameter ${name} names no document bucket: the ${region} stack predates published documents; cdk deploy it once`,
        EXIT.aws,
      );
    let text: string;
    try {
      // The stack's services and web ACL, as cdk deploy binds them (construct props, a name prefix).
      const bound = withBindings(slice, info.bindings);
      text = JSON.stringify(buildDocument(bound, { region, publishedAt, publishedBy: by }, sha256));
      verifyDocument(text, { region, bindings: info.bindings }, sha256);
    } catch (err) {
      if (err instanceof DocumentRejected)
        throw new UserError(`${region}: ${err.message}; nothing was published`);
      throw err;
    }
    const s3 = new S3Client({ region, credentials, ...AWS_CLIENT_CONFIG });
    const live = await underWay(region, s3, info.documentBucket, info.documentKey, JSON.parse(text));
    if (live.length && !o.force)
      throw new UserError(
        `${region}: ${live.join('; ')}. Move a live event with \`surgeguard shift\`, end it with \`surgeguard restore\`, or pass --force; nothing was published`,
      );
    prepared.push({ region, s3, bucket: info.documentBucket, key: info.documentKey, text, slice });
  }

  const results: { region: string; version?: string; events: number; bytes: number; sha256: string }[] = [];
  for (const p of prepared) {
    const r = {
      region: p.region,
      events: p.slice.config.events.length,
      bytes: Buffer.byteLength(p.text),
      sha256: sha256(JSON.stringify(p.slice)),
    };
    if (o.dryRun) {
      results.push(r);
      continue;
    }
    try {
      const res = await p.s3.send(
        new PutObjectCommand({ Bucket: p.bucket, Key: p.key, Body: p.text, ContentType: 'application/json' }),
      );
      results.push({ ...r, version: res.VersionId });
    } catch (err) {
      const done = results.map((x) => x.region);
      throw awsError(
        err,
        `cannot publish to ${p.region} (s3://${p.bucket}/${p.key})`,
        done.length
          ? `published already: ${done.join(', ')}; run publish again once fixed, so the regions agree`
          : 'nothing was published',
      );
    }
  }
  if (o.json) {
    io.out(JSON.stringify({ ok: true, dryRun: Boolean(o.dryRun), publishedAt, regions: results }));
    return;
  }
  for (const r of results)
    io.out(
      `${o.dryRun ? 'would publish' : 'published'} ${r.region}: ${r.events} event${r.events === 1 ? '' : 's'}, ${r.bytes} bytes${r.version ? `, version ${r.version}` : ''}`,
    );
  if (!o.dryRun)
    io.out(
      'the functions read it within a minute; the watch then makes the prescale and restore schedules to match',
    );
}
