import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SSMClient } from '@aws-sdk/client-ssm';
import { S3Client } from '@aws-sdk/client-s3';
import { S3DocumentSource, StaticRuntimeSource } from '../adapters/s3-document';
import type { ScheduleSyncMemo } from '../controller/schedules';
import { SCHEDULE_CORRELATION } from '../core/payload';
import type { StackBindings } from '../core/document';
import { errorMessage } from '../core/errors';
import { CloudWatchAlarms } from '../adapters/cloudwatch-alarms';
import { EventBridgeSchedules } from '../adapters/eventbridge-schedules';
import { SsmAutomationIdentity } from '../adapters/ssm-identity';
import type { RunbookDeps } from '../controller/runbook';
import type { WafSwitch } from '../ports';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
import { FleetCapacityActuator } from '../adapters/capacity';
import { CloudWatchMetricSource } from '../adapters/cloudwatch-metrics';
import { DynamoStateStore } from '../adapters/dynamodb-state';
import { EcsTaskProtection } from '../adapters/task-protection';
import { EcsServiceAdapter } from '../adapters/ecs-service';
import { AWS_CLIENT_CONFIG } from '../adapters/retry';
import { ScalableTargetAdapter } from '../adapters/scalable-target';
import { SnsNotifier } from '../adapters/sns-notifier';
import { WafV2Switch } from '../adapters/waf-switch';
import { ShieldController } from '../controller/shield';
import { shieldRules } from '../core/detector';
import type { ControllerDeps } from '../controller/deps';
import { parseRuntimeConfig } from '../core/runtime-config';
import type { Clock, RuntimeSource, Telemetry } from '../ports';

/** The wall clock, for deployed functions. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Structured JSON logs; every line carries the function's context once the middleware adds it. */
export const logger = new Logger({ serviceName: 'surgeguard' });
/** EMF metrics in the SurgeGuard namespace; their own warnings go through the structured logger, at its level. */
export const metrics = new Metrics({ namespace: 'SurgeGuard', serviceName: 'surgeguard', logger });
/**
 * X-Ray traces of each invocation and its AWS calls. Off outside Lambda (CLI rehearsals, tests), and wherever
 * POWERTOOLS_TRACE_ENABLED is `false`: then it records nothing and leaves clients as they are.
 */
export const tracer = new Tracer({ serviceName: 'surgeguard' });
/** The Powertools instances every handler reports through. */
export const observers = { logger, tracer, metrics };

/** An AWS client whose calls show as subsegments of the invocation's trace, when tracing is on. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/**
 * Telemetry over Powertools metrics: each value is emitted at once with its dimensions and, when it names an event,
 * again without it: the per-fleet (and per-region) series the stack's alarms and dashboard read, whatever the
 * events.
 */
export const emfTelemetry: Telemetry = {
  metric(name, value, unit, dimensions) {
    const emit = (dims: Record<string, string>) => {
      const single = metrics.singleMetric();
      single.addDimensions(dims);
      single.addMetric(name, unit as Unit, value);
    };
    emit(dimensions);
    if ('Event' in dimensions) {
      const { Event: _event, ...rest } = dimensions;
      emit(rest);
    }
  },
};

/** One client per region and service, created once per container and reused by every invocation. */
function perRegion<T>(make: (region: string) => T): (region: string) => T {
  const cache = new Map<string, T>();
  return (region) => {
    let client = cache.get(region);
    if (!client) cache.set(region, (client = make(region)));
    return client;
  };
}

// Every client retries the SDK's standard way, a bounded number of times, and times out a hung request.
const sdk = AWS_CLIENT_CONFIG;
const cloudwatch = perRegion((region) => traced(new CloudWatchClient({ region, ...sdk })));
const ecs = perRegion((region) => traced(new ECSClient({ region, ...sdk })));
const aas = perRegion((region) => traced(new ApplicationAutoScalingClient({ region, ...sdk })));

let source: RuntimeSource | undefined;
/**
 * Where this container reads its runtime config: the region's published document in S3 (deployed functions), or
 * a config given directly (`SURGEGUARD_CONFIG`, or a file named by `SURGEGUARD_CONFIG_FILE`: local rehearsals).
 */
export function runtimeSource(): RuntimeSource {
  if (source) return source;
  const inline = process.env.SURGEGUARD_CONFIG ?? configFile(process.env);
  if (inline !== undefined) {
    source = new StaticRuntimeSource(parseRuntimeConfig(inline));
    return source;
  }
  source = new S3DocumentSource(traced(new S3Client({ ...sdk })), {
    bucket: requiredEnv('SURGEGUARD_DOCUMENT_BUCKET'),
    key: requiredEnv('SURGEGUARD_DOCUMENT_KEY'),
    expect: { region: requiredEnv('AWS_REGION'), bindings: stackBindings() },
    hash: sha256Hex,
    clock: systemClock,
    log: logLines,
    // The stack alarms on it: on-call learns that a publish was refused and the last good document still runs.
    onRejected: () => emfTelemetry.metric('DocumentRejected', 1, 'Count', {}),
  });
  return source;
}

/** What the stack was deployed for (`SURGEGUARD_BINDINGS`): a document may not point the functions elsewhere. */
function stackBindings(): StackBindings {
  try {
    return JSON.parse(requiredEnv('SURGEGUARD_BINDINGS')) as StackBindings;
  } catch (err) {
    throw new Error(`SURGEGUARD_BINDINGS is not the JSON the stack sets: ${errorMessage(err)}`);
  }
}

/** Hex SHA-256 of a text: the published document's integrity check. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The config file's text, where the environment names one (relative to the function's code). */
export function configFile(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.SURGEGUARD_CONFIG_FILE;
  return file ? readFileSync(resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), file), 'utf8') : undefined;
}

/** An environment value the stack sets, or a clear error naming it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the function was deployed without it`);
  return value;
}

const logLines = {
  info: (m: string, a?: Record<string, unknown>) => logger.info(m, a ?? {}),
  warn: (m: string, a?: Record<string, unknown>) => logger.warn(m, a ?? {}),
  error: (m: string, a?: Record<string, unknown>) => logger.error(m, a ?? {}),
};

/** What this container remembers of its last schedule sync (see syncSchedules). */
const scheduleSync: ScheduleSyncMemo = {};

let built: { version: string; deps: ControllerDeps; waf?: WafSwitch } | undefined;
/**
 * The controller's dependencies over AWS for the current published document: rebuilt when a new version is read
 * (its shield or fleets may differ), the clients reused.
 */
export async function controllerDeps(): Promise<ControllerDeps> {
  const current = await runtimeSource().current();
  if (built?.version === current.version) return built.deps;
  const rc = current.runtime;
  const ddb = DynamoDBDocumentClient.from(traced(new DynamoDBClient({ ...sdk })), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const topic = process.env.SURGEGUARD_TOPIC_ARN;
  const notifier = topic ? new SnsNotifier(traced(new SNSClient({ ...sdk })), topic) : undefined;
  const log = logLines;
  const actor = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'surgeguard';
  const state = new DynamoStateStore(ddb, {
    tableName: requiredEnv('SURGEGUARD_TABLE'),
    auditRetentionDays: rc.config.controller.auditRetentionDays,
    correlationId: () => logger.getCorrelationId() as string | undefined,
  });
  const shieldConfig = rc.config.shield;
  const waf: WafSwitch | undefined = shieldConfig
    ? new WafV2Switch(
        traced(new WAFV2Client({ region: shieldConfig.webAcl.region, ...sdk })),
        {
          name: shieldConfig.webAcl.name,
          // A managed web ACL's id exists only once deployed: the stack passes it in.
          id: shieldConfig.webAcl.id ?? requiredEnv('SURGEGUARD_WEB_ACL_ID'),
          scope: shieldConfig.webAcl.scope,
        },
        shieldRules(shieldConfig).map((r) => ({
          name: r.name,
          armedAction: r.armedAction,
          ruleActionOverrides: r.ruleActionOverrides,
        })),
        systemClock,
      )
    : undefined;
  const shield = shieldConfig
    ? new ShieldController({
        shield: shieldConfig,
        waf: waf!,
        state,
        clock: systemClock,
        log,
        notifier,
        actor,
        telemetry: emfTelemetry,
      })
    : undefined;
  const deps: ControllerDeps = {
    runtime: rc,
    clock: systemClock,
    metrics: new CloudWatchMetricSource(cloudwatch),
    capacity: new FleetCapacityActuator(new EcsServiceAdapter(ecs), new ScalableTargetAdapter(aas)),
    state,
    log,
    telemetry: emfTelemetry,
    notifier,
    shield,
    drain: new EcsTaskProtection(ecs),
    actor,
    documentVersion: current.version,
    schedules: schedules(),
    scheduleSync,
  };
  built = { version: current.version, deps, waf };
  return deps;
}

let scheduleClient: { readonly port?: EventBridgeSchedules } | undefined;
/** The schedule group, where the stack names it, and the schedules' targets where it names those too. */
function schedules(): EventBridgeSchedules | undefined {
  if (scheduleClient) return scheduleClient.port;
  const e = process.env;
  const group = e.SURGEGUARD_SCHEDULE_GROUP;
  const targets =
    e.SURGEGUARD_PRESCALE_ARN && e.SURGEGUARD_RESTORE_ARN && e.SURGEGUARD_SCHEDULER_ROLE_ARN
      ? {
          prescaleArn: e.SURGEGUARD_PRESCALE_ARN,
          restoreArn: e.SURGEGUARD_RESTORE_ARN,
          roleArn: e.SURGEGUARD_SCHEDULER_ROLE_ARN,
          deadLetterArn: e.SURGEGUARD_DEAD_LETTER_ARN,
          input: SCHEDULE_CORRELATION,
        }
      : undefined;
  scheduleClient = {
    port: group
      ? new EventBridgeSchedules(traced(new SchedulerClient({ ...sdk })), group, targets)
      : undefined,
  };
  return scheduleClient.port;
}

let alarms: CloudWatchAlarms | undefined;
/** The runbook's dependencies: the controller's, plus alarms and the WAF switch. */
export async function runbookDeps(): Promise<RunbookDeps> {
  const base = await controllerDeps();
  const prefix = process.env.SURGEGUARD_ALARM_PREFIX;
  if (prefix) alarms ??= new CloudWatchAlarms(traced(new CloudWatchClient({ ...sdk })), prefix);
  return { ...base, alarms, waf: built?.waf };
}

let ssm: SsmAutomationIdentity | undefined;
/** Resolves SSM Automation callers. */
export function ssmIdentity(): SsmAutomationIdentity {
  ssm ??= new SsmAutomationIdentity(traced(new SSMClient({ ...sdk })));
  return ssm;
}
