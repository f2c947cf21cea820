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
import type { RuntimeConfig } from '../core/runtime-config';
import { parseRuntimeConfig } from '../core/runtime-config';
import type { Clock, Telemetry } from '../ports';

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

/** Telemetry over Powertools metrics: each value is emitted at once with its fleet and event dimensions. */
export const emfTelemetry: Telemetry = {
  metric(name, value, unit, dimensions) {
    const single = metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, unit as Unit, value);
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

let runtimeConfig: RuntimeConfig | undefined;
/**
 * The config baked in at deploy time, validated once per container: in the bundle (built from source), or in a file
 * beside a pre-bundled handler (`SURGEGUARD_CONFIG_FILE`, from the packed library).
 */
export function runtime(): RuntimeConfig {
  runtimeConfig ??= parseRuntimeConfig(process.env.SURGEGUARD_CONFIG ?? configFile(process.env));
  return runtimeConfig;
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

let deps: ControllerDeps | undefined;
let wafSwitch: WafSwitch | undefined;
/** The controller's dependencies over AWS, built once per container. */
export function controllerDeps(): ControllerDeps {
  if (deps) return deps;
  const rc = runtime();
  const ddb = DynamoDBDocumentClient.from(traced(new DynamoDBClient({ ...sdk })), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const topic = process.env.SURGEGUARD_TOPIC_ARN;
  const notifier = topic ? new SnsNotifier(traced(new SNSClient({ ...sdk })), topic) : undefined;
  const log = {
    info: (m: string, a?: Record<string, unknown>) => logger.info(m, a ?? {}),
    warn: (m: string, a?: Record<string, unknown>) => logger.warn(m, a ?? {}),
    error: (m: string, a?: Record<string, unknown>) => logger.error(m, a ?? {}),
  };
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
  wafSwitch = waf;
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
  deps = {
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
  };
  return deps;
}

let runbook: RunbookDeps | undefined;
/** The runbook's dependencies: the controller's, plus schedules, alarms and the WAF switch. */
export function runbookDeps(): RunbookDeps {
  if (runbook) return runbook;
  const base = controllerDeps();
  const group = process.env.SURGEGUARD_SCHEDULE_GROUP;
  const prefix = process.env.SURGEGUARD_ALARM_PREFIX;
  runbook = {
    ...base,
    schedules: group ? new EventBridgeSchedules(traced(new SchedulerClient({ ...sdk })), group) : undefined,
    alarms: prefix ? new CloudWatchAlarms(traced(new CloudWatchClient({ ...sdk })), prefix) : undefined,
    waf: wafSwitch,
  };
  return runbook;
}

let ssm: SsmAutomationIdentity | undefined;
/** Resolves SSM Automation callers. */
export function ssmIdentity(): SsmAutomationIdentity {
  ssm ??= new SsmAutomationIdentity(traced(new SSMClient({ ...sdk })));
  return ssm;
}
