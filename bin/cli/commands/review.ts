import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CloudWatchMetricSource } from '../../../lambda/adapters/cloudwatch-metrics';
import { loadConfig } from '../../../lambda/adapters/config-file';
import { DynamoStateStore } from '../../../lambda/adapters/dynamodb-state';
import { FileStateStore } from '../../../lambda/adapters/file-state';
import { noMetrics } from '../../../lambda/adapters/local-capacity';
import { AWS_CLIENT_CONFIG } from '../../../lambda/adapters/retry';
import { metricQueries, windowsOf } from '../../../lambda/controller/metric-queries';
import type { RuntimeConfig } from '../../../lambda/core/runtime-config';
import { buildRuntimeConfig, findEvent, watchWindow } from '../../../lambda/core/runtime-config';
import type { MetricSource } from '../../../lambda/ports';
import type { StateStore } from '../../../lambda/ports/state';
import type { FleetSeries, Recording, ReviewInput } from '../../../sim/review';
import { buildReview, reviewHtml } from '../../../sim/review';
import type { CliIo } from '../io';
import { EXIT, UserError } from '../io';

/** Files of a recording (`replay --record DIR`): the audit trail, and the window with the metric series. */
const AUDIT_FILE = 'audit.json';
const METRICS_FILE = 'metrics.json';

/** Writes a replay's recording into `dir` (`audit.json`, `metrics.json`); returns the folder. */
export function writeRecording(dir: string, rec: Recording): string {
  mkdirSync(dir, { recursive: true });
  const { audit, ...rest } = rec;
  writeFileSync(join(dir, AUDIT_FILE), `${JSON.stringify(audit)}\n`);
  writeFileSync(join(dir, METRICS_FILE), `${JSON.stringify(rest)}\n`);
  return dir;
}

function readJson(file: string): unknown {
  if (!existsSync(file))
    throw new UserError(`${file}: not found; expected a folder written by \`surgeguard replay --record\``);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: not JSON (${(err as Error).message})`);
  }
}

/** Reads a recording written by `writeRecording`, with clear errors for anything else. */
export function readRecording(dir: string): Recording {
  const audit = readJson(join(dir, AUDIT_FILE));
  const meta = readJson(join(dir, METRICS_FILE)) as Partial<Recording> | null;
  if (!Array.isArray(audit))
    throw new UserError(`${join(dir, AUDIT_FILE)}: expected an array of audit records`);
  const ok =
    meta !== null &&
    typeof meta === 'object' &&
    typeof meta.eventId === 'string' &&
    typeof meta.fromMs === 'number' &&
    typeof meta.toMs === 'number' &&
    typeof meta.periodSeconds === 'number' &&
    typeof meta.metrics === 'object' &&
    meta.metrics !== null;
  if (!ok)
    throw new UserError(
      `${join(dir, METRICS_FILE)}: expected eventId, fromMs, toMs, periodSeconds and metrics (written by replay --record)`,
    );
  return { ...(meta as Recording), audit };
}

/**
 * A review's input read through the ports: the event's audit trail from the state store, and its fleets' metrics
 * over the watch window (one GetMetricData per region with the watch's own queries).
 */
export async function gatherReview(
  deps: { runtime: RuntimeConfig; state: StateStore; metrics: MetricSource },
  eventId: string,
): Promise<ReviewInput> {
  const view = findEvent(deps.runtime, eventId);
  if (!view)
    throw new UserError(
      `unknown event "${eventId}"; the config has: ${deps.runtime.config.events.map((e) => e.id).join(', ')}`,
    );
  const shift = (await deps.state.getEvent(eventId)).shiftMinutes;
  const { fromMs, toMs } = watchWindow(deps.runtime, view, shift);
  const fleets = view.fleets.map((f) => f.fleet);
  const metrics: Record<string, FleetSeries> = {};
  for (const region of [...new Set(fleets.map((f) => f.region))]) {
    const inRegion = fleets.filter((f) => f.region === region);
    const data = await deps.metrics.fetch(region, metricQueries(inRegion), fromMs, toMs);
    for (const [fleetId, w] of windowsOf(inRegion, data)) metrics[fleetId] = w;
  }
  return {
    eventId,
    fromMs,
    toMs,
    periodSeconds: Math.min(...fleets.map((f) => f.metrics.periodSeconds)),
    audit: await deps.state.listAudit({ eventId }),
    metrics,
  };
}

/** The options of `surgeguard review`. */
interface ReviewCliOptions {
  event: string;
  out?: string;
  from?: string;
  local?: string;
  table?: string;
  region?: string;
  profile?: string;
  config: string;
  json?: boolean;
}

/** `surgeguard review`: the post-event evidence pack of one event. */
export async function review(io: CliIo, opts: ReviewCliOptions): Promise<void> {
  let input: ReviewInput;
  if ([opts.from, opts.local, opts.table].filter(Boolean).length > 1)
    throw new UserError('give one of --from, --local or --table', EXIT.usage);
  if (opts.from) {
    input = readRecording(opts.from);
    if (input.eventId !== opts.event)
      throw new UserError(
        `${opts.from} records event "${input.eventId}", not "${opts.event}"`,
        EXIT.invalidInput,
      );
  } else if (opts.local) {
    if (!existsSync(opts.local)) throw new UserError(`${opts.local}: no such state file`);
    const loaded = loadConfig(opts.config);
    input = await gatherReview(
      {
        runtime: buildRuntimeConfig(loaded.config, loaded.models),
        state: new FileStateStore(opts.local),
        metrics: noMetrics,
      },
      opts.event,
    );
  } else if (opts.table) {
    const region = opts.region ?? process.env.AWS_REGION;
    if (!region) throw new UserError('--table needs --region (or AWS_REGION)', EXIT.usage);
    const loaded = loadConfig(opts.config);
    const credentials = fromNodeProviderChain(opts.profile ? { profile: opts.profile } : {});
    const ddb = new DynamoDBClient({ region, credentials, ...AWS_CLIENT_CONFIG });
    input = await gatherReview(
      {
        runtime: buildRuntimeConfig(loaded.config, loaded.models),
        state: new DynamoStateStore(DynamoDBDocumentClient.from(ddb), { tableName: opts.table }),
        metrics: new CloudWatchMetricSource(
          (r) => new CloudWatchClient({ region: r, credentials, ...AWS_CLIENT_CONFIG }),
        ),
      },
      opts.event,
    );
  } else
    throw new UserError(
      'name the source: --from DIR (a replay recording), --local STATE_FILE (a rehearsal) or --table NAME (AWS)',
      EXIT.usage,
    );
  const review = buildReview(input);
  const out = opts.out ?? `review-${opts.event}`;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'review.json'), `${JSON.stringify(review, null, 2)}\n`);
  writeFileSync(join(out, 'index.html'), reviewHtml(review));
  if (opts.json) io.out(JSON.stringify(review, null, 2));
  else {
    io.out(`review of ${opts.event}:`);
    for (const line of review.summary) io.out(`  ${line}`);
  }
  (opts.json ? io.err : io.out)(`review: ${join(out, 'index.html')}`);
}
