import { z } from 'zod';

/**
 * The event config file's schema: the one source for validation, the TypeScript types and the published
 * JSON Schema (`config/events.schema.json`).
 */

import { ECS_LAUNCH_RATE_PER_MINUTE, ECS_MAX_TASKS_PER_SERVICE } from '../limits';
import { calendarProblem } from '../time';

export { ECS_LAUNCH_RATE_PER_MINUTE, ECS_MAX_TASKS_PER_SERVICE };

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, {
  error:
    'expected an id of lowercase letters, digits and dashes (at most 48), starting with a letter or digit',
});

const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as us-east-1' });

const dimensions = z.record(z.string().min(1), z.string().min(1));

const metricRef = z
  .strictObject({
    namespace: z
      .string()
      .min(1)
      .optional()
      .describe('CloudWatch namespace; default: the fleet metrics namespace'),
    metricName: z.string().min(1).describe('CloudWatch metric name'),
    dimensions: dimensions
      .optional()
      .describe(
        'Dimensions added to (and overriding) the fleet metrics dimensions; a metric in another namespace has only these',
      ),
    stat: z
      .enum(['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount'])
      .optional()
      .describe('Statistic; default: Maximum for listeners, Sum for counts'),
  })
  .describe('One CloudWatch metric');

const fleetMetrics = z
  .strictObject({
    namespace: z.string().min(1).describe('Default CloudWatch namespace of the metrics below'),
    dimensions: dimensions.default({}).describe('Dimensions shared by every metric below'),
    periodSeconds: z
      .union([z.literal(1), z.literal(5), z.literal(10), z.literal(20), z.literal(30), z.literal(60)], {
        error: 'expected one of 1, 5, 10, 20, 30, 60 (seconds)',
      })
      .default(60)
      .describe('Metric period; below 60 needs high-resolution metrics published by the app'),
    delaySeconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(60)
      .describe('How long after a period ends its datapoint is complete in CloudWatch'),
    listeners: metricRef.describe('Concurrent listeners connected to the fleet'),
    joinRequests: metricRef.describe('Join requests received'),
    joinSuccesses: metricRef.describe('Joins that succeeded'),
    joinErrorsCapacity: metricRef.describe('Joins that failed for lack of capacity (5xx, 503)'),
    joinErrorsAuth: metricRef.describe('Joins that failed authentication (4xx, invalid token)'),
    cpu: metricRef
      .optional()
      .describe(
        "The tasks' average CPU percent (for ECS: namespace AWS/ECS, CPUUtilization, dimensions ClusterName and ServiceName, stat Average); with the CPU at capacity it lets the live model read the fleet's room without waiting for it to fill",
      ),
  })
  .describe('The CloudWatch metrics that carry listeners, joins and join errors by class');

const fleet = z
  .strictObject({
    id: id.describe('Fleet id, used in plans, metrics and the CLI'),
    region: region.describe('AWS region of the ECS service'),
    cluster: z.string().min(1).describe('ECS cluster name'),
    service: z.string().min(1).describe('ECS service name'),
    scalingMode: z
      .enum(['min-capacity', 'desired-count'])
      .default('min-capacity')
      .describe(
        'min-capacity raises the Application Auto Scaling MinCapacity (survives target tracking); desired-count sets desiredCount',
      ),
    drain: z
      .enum(['task-protection', 'none'])
      .default('task-protection')
      .describe(
        'How the SFU keeps listeners through a scale-in: task-protection (each task sets ECS task scale-in protection while it carries listeners) lets the floor follow the audience down; none never lowers it during the event',
      ),
    baselineTasks: z.number().int().min(0).max(ECS_MAX_TASKS_PER_SERVICE).describe('Tasks outside events'),
    maxTasks: z
      .number()
      .int()
      .min(1)
      .max(ECS_MAX_TASKS_PER_SERVICE)
      .describe('Most tasks SurgeGuard may run (ECS allows 5,000 per service)'),
    vcpuPerTask: z
      .union(
        [
          z.literal(0.25),
          z.literal(0.5),
          z.literal(1),
          z.literal(2),
          z.literal(4),
          z.literal(8),
          z.literal(16),
        ],
        {
          error: 'expected a Fargate task size: 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU',
        },
      )
      .describe('Fargate task vCPU'),
    startupSeconds: z
      .number()
      .positive()
      .max(3600)
      .describe('Measured seconds from launch to a task taking listeners'),
    launchRatePerMinute: z
      .number()
      .int()
      .min(1)
      .max(ECS_LAUNCH_RATE_PER_MINUTE)
      .default(ECS_LAUNCH_RATE_PER_MINUTE)
      .describe('Tasks launched per minute (the ECS service scheduler allows 500)'),
    scalingTest: z.string().min(1).describe('Scaling-test results (CSV or JSON), relative to this file'),
    untrustedFit: z
      .enum(['fail', 'per-task-floor', 'max-tasks'])
      .default('fail')
      .describe(
        'When the scaling test fits poorly (R² < 0.95 after outliers are left out): fail validation, plan as if every task carried the fewest listeners per task the test measured (per-task-floor), or plan maxTasks (max-tasks)',
      ),
    cpuAtCapacity: z
      .number()
      .gt(0)
      .max(100)
      .optional()
      .describe(
        "CPU percent at which a task carries its listener capacity; default: the least CPU the scaling test's cpu column shows at its larger steps (none: CPU is not read as capacity)",
      ),
    metrics: fleetMetrics,
  })
  .describe('An ECS service of SFU tasks');

const regionLimits = z
  .strictObject({
    fargateVcpuQuota: z.number().int().positive().describe('Fargate On-Demand vCPU quota (L-3032A538)'),
  })
  .describe('Account limits in one region');

const zonedTime = z
  .strictObject({
    local: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, {
        error: 'expected a local time such as 2024-08-12T20:00',
      })
      .superRefine((t, ctx) => {
        const problem = calendarProblem(t);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('Wall-clock time in the zone'),
    zone: z.string().min(1).describe('IANA time zone such as America/New_York'),
  })
  .describe('Local time plus IANA zone');

const isoWithOffset = z.iso.datetime({
  offset: true,
  // A well-formed time on a day that does not exist is a different mistake from a badly formed one.
  error: (iss) =>
    calendarProblem(iss.input) ?? 'expected an ISO 8601 time with offset such as 2024-08-12T20:00:00-04:00',
});

const arrival = z
  .strictObject({
    earlyMinutes: z
      .number()
      .min(0)
      .max(240)
      .default(15)
      .describe('Doors open: the audience starts arriving this many minutes before the scheduled start'),
    fullByMinutes: z
      .number()
      .min(0)
      .max(240)
      .default(10)
      .describe('The audience is all in this many minutes after the scheduled start'),
  })
  .describe('How early and how fast the audience arrives');

const eventFleet = z.strictObject({
  fleet: id.describe('A fleet id from fleets'),
  share: z.number().gt(0).max(1).describe('Share of the audience this fleet carries; the shares sum to 1'),
});

const slo = z
  .strictObject({
    joinSuccessRatio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.99)
      .describe('Share of join attempts that must succeed'),
    p95JoinMs: z.number().positive().default(3000).describe('95th percentile join latency'),
  })
  .describe('The join SLO');

const stepDown = z
  .strictObject({
    steps: z.number().int().min(1).max(20).default(4).describe('Steps from the event target to baseline'),
    intervalMinutes: z.number().positive().max(120).default(10).describe('Minutes between steps'),
  })
  .describe('How the fleet returns to baseline after the event');

/** Defaults of an event's followAudience block. */
export const FOLLOW_AUDIENCE_DEFAULTS = {
  enabled: true,
  quietMinutes: 15,
  intervalMinutes: 5,
  maxStepShare: 0.25,
} as const;

const followAudience = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Lower the floor during the event when the audience shrinks'),
    quietMinutes: z
      .number()
      .min(1)
      .max(240)
      .default(15)
      .describe('Listeners must stay below what the floor carries this long before it is lowered'),
    intervalMinutes: z.number().min(1).max(120).default(5).describe('Minutes between two steps down'),
    maxStepShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.25)
      .describe('Largest share of the floor one step removes'),
  })
  .describe('How the watch follows a shrinking audience down during the event window');

const event = z
  .strictObject({
    id: id.describe('Event id, used in plans, schedules and the CLI'),
    title: z.string().min(1).describe('Human title'),
    start: z
      .union([isoWithOffset, zonedTime], {
        // A well-formed time on a day that does not exist is a different mistake from a badly formed one.
        error: (iss) =>
          calendarProblem(iss.input) ?? 'expected an ISO 8601 time with offset, or { local, zone }',
      })
      .describe('Scheduled start'),
    durationMinutes: z.number().int().min(1).max(1440).describe('Scheduled duration'),
    expectedPeakListeners: z
      .union(
        [
          z.number().int().positive(),
          z
            .strictObject({
              p50: z.number().int().positive().describe('Median forecast of the peak'),
              p90: z.number().int().positive().describe('Peak the audience stays under 9 times in 10'),
            })
            .describe('The forecast as a range'),
        ],
        { error: 'expected a whole number of listeners, or { p50, p90 }' },
      )
      .describe('Forecast peak concurrent listeners: a number, or { p50, p90 }'),
    forecastError: z
      .number()
      .min(0)
      .max(5)
      .optional()
      .describe(
        'Relative error of the forecast (0.2 = the peak may be 20% higher): the plan covers the upper forecast; without it or p90 the flat headroom applies',
      ),
    liveHeadroom: z
      .number()
      .min(0)
      .max(5)
      .default(0.3)
      .describe(
        'Extra capacity over the demand the watch sees during the event (0.3 = 30%, as the plan holds over the forecast)',
      ),
    followAudience: followAudience.default(FOLLOW_AUDIENCE_DEFAULTS),
    arrival: arrival.default({ earlyMinutes: 15, fullByMinutes: 10 }),
    fleets: z.array(eventFleet).min(1).describe('Fleets that carry the event'),
    headroom: z
      .number()
      .min(0)
      .max(5)
      .default(0.3)
      .describe('Extra capacity over the forecast when it states no error (0.3 = 30%)'),
    safetyMarginMinutes: z
      .number()
      .min(0)
      .max(240)
      .default(10)
      .describe('Capacity is in place this long before doors open'),
    tailMinutes: z
      .number()
      .min(0)
      .max(600)
      .default(30)
      .describe('Hold the event capacity this long after the scheduled end (events run late)'),
    stepDown: stepDown.default({ steps: 4, intervalMinutes: 10 }),
    restoreDeadlineMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(120)
      .describe(
        'Minutes after the hold ends by which restore puts the recorded settings back whatever the listeners or missing metrics; an alarm fires for a fleet still above them after it',
      ),
    slo: slo.default({ joinSuccessRatio: 0.99, p95JoinMs: 3000 }),
  })
  .describe('A scheduled live audio event');

/** Defaults of the detector block. */
export const DETECTOR_DEFAULTS = {
  armAfterTicks: 2,
  disarmAfterQuietTicks: 10,
  minArmedMinutes: 10,
  maxSwitchesPerHour: 4,
  signatureShareFactor: 5,
  signatureShareMargin: 0.15,
  authShareFactor: 3,
  authShareMargin: 0.25,
  collapseFactor: 0.5,
  capacityErrorShare: 0.05,
  capacityBoost: 0.1,
  maxSampleAgeSeconds: 300,
} as const;

const wafRule = z
  .strictObject({
    name: z.string().min(1).max(128).describe('Rule name in the web ACL'),
    kind: z
      .enum(['rate-per-ip', 'managed-rule-group', 'custom'])
      .describe(
        'rate-per-ip: a rate-based rule per source IP; managed-rule-group: an AWS managed group; custom: any rule of an existing web ACL',
      ),
    signature: z
      .boolean()
      .optional()
      .describe(
        'Whether its matches are evidence of an attack; default: true except for rate-per-ip (retry storms raise per-IP rates)',
      ),
    armedAction: z
      .enum(['Block', 'Challenge'])
      .default('Block')
      .describe('Action when armed (rules and rule-group overrides)'),
    limitPer5Min: z
      .number()
      .int()
      .min(10)
      .default(300)
      .describe('rate-per-ip: requests per IP per 5 minutes before it matches'),
    vendor: z.string().min(1).default('AWS').describe('managed-rule-group: vendor'),
    group: z
      .string()
      .min(1)
      .optional()
      .describe('managed-rule-group: group name such as AWSManagedRulesAmazonIpReputationList'),
    ruleActionOverrides: z
      .array(z.string().min(1))
      .optional()
      .describe(
        "managed-rule-group: rules of the group that get the armed action (RuleActionOverrides); default: the group's own actions",
      ),
    priority: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Priority in a managed web ACL; default: by position'),
    metricName: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("The rule's CloudWatch metric name (VisibilityConfig); default: the rule name"),
  })
  .describe('A WAF rule the shield may switch between Count and its armed action');

const detector = z
  .strictObject({
    armAfterTicks: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(2)
      .describe(
        'Attack verdicts on consecutive distinct datapoints before arming (a datapoint seen on several ticks counts once)',
      ),
    disarmAfterQuietTicks: z
      .number()
      .int()
      .min(1)
      .max(360)
      .default(10)
      .describe('Consecutive quiet verdicts before disarming'),
    minArmedMinutes: z.number().min(0).max(240).default(10).describe('Least time armed before disarming'),
    maxSwitchesPerHour: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(4)
      .describe('Most arm/disarm switches in any hour (prevents flapping)'),
    signatureShareFactor: z
      .number()
      .min(1)
      .default(5)
      .describe('A signature rule matching this many times its baseline share of traffic is attack evidence'),
    signatureShareMargin: z
      .number()
      .min(0)
      .max(1)
      .default(0.15)
      .describe('...and at least this share above its baseline'),
    authShareFactor: z
      .number()
      .min(1)
      .default(3)
      .describe('Auth failures at this many times their baseline share are attack evidence'),
    authShareMargin: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('...and at least this share above their baseline'),
    collapseFactor: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe(
        'Successes per request below this share of baseline, without capacity errors to explain it, are attack evidence',
      ),
    capacityErrorShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('Capacity errors above this share of requests: capacity pressure'),
    capacityBoost: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Extra share of capacity the watch is asked for while the verdict shows capacity pressure'),
    maxSampleAgeSeconds: z
      .number()
      .int()
      .min(60)
      .max(3600)
      .default(300)
      .describe(
        "A join datapoint older than this is stale and never judged; never less than the event's fleets' own freshness (2 x metric period + delay + 2 ticks), so metrics late by configuration do not blind the shield",
      ),
  })
  .describe('How the shield tells an attack from a flash crowd');

const shield = z
  .strictObject({
    webAcl: z
      .strictObject({
        mode: z
          .enum(['managed', 'existing'])
          .describe('managed: the stack creates the web ACL; existing: switch rules of a web ACL you own'),
        name: z.string().min(1).max(128).describe('Web ACL name'),
        id: z.string().min(1).optional().describe('existing: web ACL id'),
        arn: z
          .string()
          .regex(/^arn:aws[a-z-]*:wafv2:/, { error: 'expected a WAFv2 web ACL ARN' })
          .optional()
          .describe('existing: web ACL ARN'),
        scope: z.enum(['REGIONAL', 'CLOUDFRONT']).default('REGIONAL'),
        region: region.describe('Region of the web ACL (us-east-1 for CLOUDFRONT)'),
        associate: z
          .array(z.string().regex(/^arn:aws[a-z-]*:/, { error: 'expected an ARN' }))
          .default([])
          .describe('managed, REGIONAL: ALB or API Gateway stage ARNs'),
        logDestinationArn: z
          .string()
          .optional()
          .describe(
            'Where WAF logs go (CloudWatch Logs group, S3 bucket or Firehose ARN); default: no logging',
          ),
      })
      .describe('The web ACL in front of the join path'),
    joinPath: z
      .string()
      .startsWith('/')
      .default('/join')
      .describe('URI path prefix of join requests (scopes the rate rule)'),
    rules: z
      .array(wafRule)
      .min(1)
      .optional()
      .describe('Rules the shield may switch; default: rate per IP, IP reputation, anonymous IP, Anti-DDoS'),
    detector: detector.default(DETECTOR_DEFAULTS),
  })
  .describe('Attack detection and WAF switching');

const controller = z
  .strictObject({
    tickSeconds: z
      .number()
      .int()
      .min(5)
      .max(60)
      .default(20)
      .describe('Seconds between watch decisions; one invocation a minute runs several ticks'),
    preWatchMinutes: z
      .number()
      .min(0)
      .max(240)
      .default(30)
      .describe(
        'The watch starts this long before the ramp: audiences arrive early, and it scales out (never in) on what it sees',
      ),
    forecastWindowMinutes: z
      .number()
      .min(2)
      .max(60)
      .default(10)
      .describe('Minutes of listener history the forecast (Holt linear smoothing) looks at'),
    retryIntervalSeconds: z
      .number()
      .positive()
      .max(600)
      .default(30)
      .describe(
        "Typical seconds between a failing client's join attempts: turns capacity errors into listeners waiting",
      ),
    holdShareOfPeak: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'After the event, do not step down while listeners are above this share of the peak (events run late)',
      ),
    auditRetentionDays: z.number().int().min(1).max(3650).default(90).describe('Days audit records are kept'),
  })
  .describe('How the watch controller decides');

/** Defaults of the controller block. */
export const CONTROLLER_DEFAULTS = {
  tickSeconds: 20,
  preWatchMinutes: 30,
  forecastWindowMinutes: 10,
  retryIntervalSeconds: 30,
  holdShareOfPeak: 0.5,
  auditRetentionDays: 90,
} as const;

/** The whole event config file. */
export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference, for editors'),
    version: z.literal(1).default(1).describe('Config format version'),
    regions: z.record(region, regionLimits).describe('Account limits per region, keyed by region'),
    controller: controller.default(CONTROLLER_DEFAULTS),
    shield: shield.optional(),
    fleets: z.array(fleet).min(1),
    events: z.array(event),
  })
  .describe('SurgeGuard event config');

/** The config as written (defaults not yet applied). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after validation, defaults applied. */
export type Config = z.output<typeof configSchema>;
export type FleetConfig = Config['fleets'][number];
export type EventConfig = Config['events'][number];
export type MetricRef = z.output<typeof metricRef>;
export type FleetMetrics = FleetConfig['metrics'];
export type ControllerConfig = Config['controller'];
export type ShieldConfig = NonNullable<Config['shield']>;
export type WafRuleConfig = z.output<typeof wafRule>;
export type DetectorConfig = ShieldConfig['detector'];

/** The JSON Schema of the config file, generated from the schema above. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
