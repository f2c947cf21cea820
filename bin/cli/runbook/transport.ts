import { hostname, userInfo } from 'node:os';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionUrlConfigCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { loadConfig } from '../../../lambda/adapters/config-file';
import { FileStateStore } from '../../../lambda/adapters/file-state';
import { LocalCapacity, noMetrics } from '../../../lambda/adapters/local-capacity';
import { AWS_CLIENT_CONFIG } from '../../../lambda/adapters/retry';
import { errorMessage } from '../../../lambda/core/errors';
import type { RunbookDeps, RunbookResponse } from '../../../lambda/controller/runbook';
import { buildRuntimeConfig } from '../../../lambda/core/runtime-config';
import { makeRunbookUrlHandler } from '../../../lambda/handlers/runbook';
import { noTelemetry, silentLog } from '../../../lambda/ports';
import { EXIT, UserError } from '../io';
import { awsError, readDeployment } from './deployment';

/** Longer than the runbook function's own 60 s timeout, so only a connection that is truly gone times out. */
const RUNBOOK_TIMEOUT_MS = 75_000;

/** How the CLI reaches the runbook. */
export interface Transport {
  send(request: Record<string, unknown>): Promise<RunbookResponse>;
}

/** Where the runbook is and who calls it. */
export interface TransportOptions {
  readonly region?: string;
  readonly profile?: string;
  /** A stack whose outputs name the runbook URLs, in place of the deployment parameter. */
  readonly stack?: string;
  /** The deployment's name prefix: its parameter is `/<prefix>/<region>/deployment`. @default SURGEGUARD_NAME_PREFIX, else SurgeGuard */
  readonly prefix?: string;
  readonly url?: string;
  readonly function?: string;
  /** Rehearse against a local state file instead of AWS. */
  readonly local?: string;
  readonly config: string;
  /** The instant the local rehearsal's clock starts at (ms), to see a phase before or after it comes. @default now */
  readonly atMs?: number;
}

/** Picks the transport the options ask for. */
export function transportFor(o: TransportOptions): Transport {
  return o.local ? new LocalTransport(o.local, o.config, o.atMs) : new FunctionUrlTransport(o);
}

/**
 * The deployed runbook through its function URL, every request signed with SigV4 by the caller's own AWS
 * credentials: the runbook reads the caller from AWS, so the audit trail names who really acted.
 */
export class FunctionUrlTransport implements Transport {
  constructor(private readonly o: TransportOptions) {}

  async send(request: Record<string, unknown>): Promise<RunbookResponse> {
    const region = await resolveRegion(this.o.region, this.o.profile);
    if (!region)
      throw new UserError(
        'no region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or give the profile a region',
        EXIT.usage,
      );
    const credentials = fromNodeProviderChain(this.o.profile ? { profile: this.o.profile } : {});
    try {
      await credentials();
    } catch (err) {
      throw new UserError(
        `no AWS credentials${this.o.profile ? ` for profile ${this.o.profile}` : ''}: set AWS_PROFILE or pass --profile (${errorMessage(err).split('\n')[0]})`,
        EXIT.aws,
      );
    }
    // Reads go to the read-only URL where the stack has one, so that a read-only role can run status and audit.
    const read = request.op === 'status' || request.op === 'audit';
    const url = new URL(await this.findUrl(region, credentials, read));
    const body = JSON.stringify(request);
    const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: { host: url.hostname, 'content-type': 'application/json' },
      body,
    });
    let res: Response;
    try {
      // Not retried: a change such as a shift is not idempotent; `audit` shows whether it was applied.
      res = await fetch(url, {
        method: 'POST',
        headers: signed.headers as Record<string, string>,
        body,
        signal: AbortSignal.timeout(RUNBOOK_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new UserError(
        `cannot reach the runbook at ${url.origin}: ${cause?.code ?? cause?.message ?? errorMessage(err)}`,
        EXIT.network,
      );
    }
    const text = await res.text();
    let parsed: RunbookResponse | undefined;
    try {
      parsed = JSON.parse(text) as RunbookResponse;
    } catch {
      parsed = undefined;
    }
    if (!res.ok || !parsed) {
      const detail = parsed?.error ?? (text.slice(0, 200) || res.statusText);
      if (res.status === 403)
        throw new UserError(
          `the runbook refused the request (403): ${detail}; your credentials need lambda:InvokeFunctionUrl on it`,
          EXIT.aws,
        );
      throw new UserError(`runbook error (${res.status}): ${detail}`);
    }
    return parsed;
  }

  private async findUrl(
    region: string,
    credentials: ReturnType<typeof fromNodeProviderChain>,
    read: boolean,
  ): Promise<string> {
    if (this.o.url) return this.o.url;
    try {
      if (this.o.function) {
        const res = await new LambdaClient({ region, credentials, ...AWS_CLIENT_CONFIG }).send(
          new GetFunctionUrlConfigCommand({ FunctionName: this.o.function }),
        );
        if (!res.FunctionUrl) throw new Error('no function URL');
        return res.FunctionUrl;
      }
      if (!this.o.stack) return await this.fromParameter(region, credentials, read);
      const stack = this.o.stack;
      const res = await new CloudFormationClient({ region, credentials, ...AWS_CLIENT_CONFIG }).send(
        new DescribeStacksCommand({ StackName: stack }),
      );
      const outputs = res.Stacks?.[0]?.Outputs ?? [];
      const named = (key: string) => outputs.find((o) => o.OutputKey?.includes(key));
      const out = (read && named('RunbookReadUrl')) || named('RunbookUrl');
      if (!out?.OutputValue) throw new Error(`stack ${stack} has no runbook URL output`);
      return out.OutputValue;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw awsError(err, 'cannot find the runbook', 'pass --url, --function, --stack or --prefix');
    }
  }

  /** The runbook URL the deployment publishes in its parameter (reads: the read-only one). */
  private async fromParameter(
    region: string,
    credentials: ReturnType<typeof fromNodeProviderChain>,
    read: boolean,
  ): Promise<string> {
    const { name, info } = await readDeployment(region, credentials, this.o.prefix);
    const url = (read && info.runbookReadUrl) || info.runbookUrl;
    if (typeof url !== 'string') throw new UserError(`parameter ${name} names no runbook URL`, EXIT.aws);
    return url;
  }
}

/**
 * The region as the AWS CLI finds it: the flag, AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the
 * shared config files. Undefined when none names one.
 */
export async function resolveRegion(flag?: string, profile?: string): Promise<string | undefined> {
  const named = flag ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (named) return named;
  try {
    return await new SSMClient(profile ? { profile } : {}).config.region();
  } catch {
    return undefined;
  }
}

/**
 * Rehearsal: the runbook handler itself, in this process, over a state file and a pretend fleet. The caller is
 * this machine's user. Nothing touches AWS.
 */
export class LocalTransport implements Transport {
  constructor(
    private readonly stateFile: string,
    private readonly configFile: string,
    atMs?: number,
  ) {
    this.offsetMs = atMs === undefined ? 0 : atMs - Date.now();
  }

  /** How far the rehearsal's clock runs from this machine's: it moves on from `atMs` as time passes. */
  private readonly offsetMs: number;

  async send(request: Record<string, unknown>): Promise<RunbookResponse> {
    const loaded = loadConfig(this.configFile);
    const runtime = buildRuntimeConfig(loaded.config, loaded.models);
    const deps: RunbookDeps = {
      runtime,
      clock: { now: () => Date.now() + this.offsetMs, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      metrics: noMetrics,
      capacity: new LocalCapacity((id) => runtime.config.fleets.find((f) => f.id === id)?.baselineTasks ?? 0),
      state: new FileStateStore(this.stateFile),
      log: silentLog,
      telemetry: noTelemetry,
      actor: 'local',
    };
    const handler = makeRunbookUrlHandler(() => deps);
    const res = (await handler(
      {
        rawPath: '/',
        body: JSON.stringify(request),
        isBase64Encoded: false,
        requestContext: { authorizer: { iam: { userArn: `local:${userInfo().username}@${hostname()}` } } },
      } as never,
      {
        functionName: 'surgeguard-local',
        awsRequestId: 'local',
        getRemainingTimeInMillis: () => 60_000,
      } as never,
    )) as { statusCode: number; body: string };
    const parsed = JSON.parse(res.body) as RunbookResponse;
    if (res.statusCode !== 200) throw new UserError(parsed.error ?? `runbook error (${res.statusCode})`);
    return parsed;
  }
}
