import { CfnOutput, Stack, Token } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { bindingsOf } from '../lambda/core/document';
import type { RuntimeConfig } from '../lambda/core/runtime-config';
import type { PlanAnnotationOptions } from './plan-annotations';
import type { ControllerName } from './parts/controllers';
import { Controllers } from './parts/controllers';
import { ConfigDocument } from './parts/document';
import { cap } from './parts/function';
import { Observability } from './parts/observability';
import { Runbook } from './parts/runbook';
import { Shield } from './parts/shield';
import { StateAndAudit } from './parts/state';

export type { ControllerName } from './parts/controllers';
export { countRule } from './parts/shield';

/** Properties of the {@link SurgeGuard} construct. */
export interface SurgeGuardProps {
  /** The runtime config for this stack's region (see `runtimeForRegion`): fleets, events, models, plan. */
  readonly runtime: RuntimeConfig;
  /**
   * The instant schedules are judged against: events already over get none, and start dates already past are left
   * out. Synth reads no clock, so the same inputs give the same template.
   * @default no instant: every event is scheduled from its own window, as if none had started
   */
  readonly now?: Date;
  /**
   * Starts every physical name the construct gives (schedule group, SSM Automation documents, dashboards), so that
   * copies with different prefixes (staging, prod) share an account and region. Letters, digits and hyphens; the
   * schedule group and dashboards use it in lower case, so prefixes must differ in more than case.
   * @default 'SurgeGuard'
   */
  readonly namePrefix?: string;
  /** An address subscribed to the on-call topic. @default no subscription */
  readonly alarmEmail?: string;
  /** How long function logs are kept. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray traces of every function (Lambda active tracing and the Powertools Tracer). @default true */
  readonly tracing?: boolean;
  /** Keep the state table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** How plan warnings show at synth. @default warnings, or errors when context `surgeguard:strict` is true */
  readonly planWarnings?: PlanAnnotationOptions;
  /**
   * Per fleet id, the ECS service it scales, in place of the config's `cluster` and `service`. The names are baked
   * into the functions at synth, so they must be known then: an imported service (for example
   * `ecs.FargateService.fromServiceArnWithCluster`) or one created with an explicit `serviceName` in a cluster with
   * an explicit `clusterName`.
   * @default the config's cluster and service names
   */
  readonly services?: Readonly<Record<string, ecs.IBaseService>>;
  /**
   * An existing on-call topic. Its policy must let CloudWatch alarms (`cloudwatch.amazonaws.com`) publish.
   * @default a new topic, encrypted with its own KMS key
   */
  readonly topic?: sns.ITopic;
  /** The KMS key of an existing {@link topic}, if it has a customer managed one. @default none */
  readonly topicKey?: kms.IKey;
  /**
   * The ARN of an existing web ACL the shield switches (name, id and scope are read from it), in place of the
   * config's `shield.webAcl`. The config's `shield.rules` name the rules of that web ACL the shield may switch.
   * @default the config's shield.webAcl
   */
  readonly webAclArn?: string;
  /** Add CloudFormation outputs (table, topic, functions, runbook URLs, dashboards). @default true */
  readonly outputs?: boolean;
}

/** The default {@link SurgeGuardProps.namePrefix}: the names SurgeGuard has always given. */
export const DEFAULT_NAME_PREFIX = 'SurgeGuard';

/**
 * Why a name prefix cannot start SurgeGuard's physical names, or undefined when it can. The limits are the
 * strictest of the names it starts: SSM document names (no `aws`/`amazon`/`amzn` start) and schedule group names.
 */
export function namePrefixProblem(prefix: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(prefix)) {
    return `name prefix "${prefix}": use 1 to 32 letters, digits and hyphens, starting with a letter`;
  }
  if (/^(aws|amazon|amzn)/i.test(prefix)) {
    return `name prefix "${prefix}": SSM document names may not start with aws, amazon or amzn`;
  }
  return undefined;
}

/**
 * SurgeGuard for one region: the prescale, watch and restore Lambdas with their schedules, the state and audit
 * table, the on-call topic, alarms and dashboards, and (where the shield's web ACL lives) the WAF rules in Count.
 * Names and ARNs come from the config; nothing is looked up, so it synthesises offline. Composed of one construct
 * per concern: {@link StateAndAudit}, {@link Shield}, {@link Controllers}, {@link Runbook}, {@link Observability}.
 *
 * @example
 * import { loadConfig, buildRuntimeConfig, runtimeForRegion, SurgeGuard } from 'surgeguard';
 *
 * const loaded = loadConfig('config/events.yaml');
 * const runtime = runtimeForRegion(buildRuntimeConfig(loaded.config, loaded.models), 'eu-west-1');
 * const scaler = new SurgeGuard(stack, 'AudioScaler', {
 *   runtime,
 *   namePrefix: 'AudioProd',
 *   services: { 'sfu-euw1': sfuService },
 *   topic: onCallTopic,
 *   outputs: false,
 * });
 * scaler.grantRead(observersRole);
 * scaler.grantChange(onCallRole);
 * new cloudwatch.Alarm(stack, 'Decided', { metric: scaler.metricDecidedTasks('eu-town-hall-2027-03', 'sfu-euw1'), threshold: 40, evaluationPeriods: 1 });
 */
export class SurgeGuard extends Construct {
  /** The state and audit table, on-call topic and dead letters. */
  readonly stateAndAudit: StateAndAudit;
  /** The shield's web ACL, when this region holds it. */
  readonly shield?: Shield;
  /** The controller functions and their schedules. */
  readonly controllers: Controllers;
  /** The on-call runbook's entry points and SSM documents. */
  readonly runbookPart: Runbook;
  /** Alarms and dashboards. */
  readonly observability: Observability;
  /** The state and audit table. */
  readonly table: dynamodb.Table;
  /** The on-call topic (alarms and shield notices): a new one encrypted with its own key, or the one given. */
  readonly topic: sns.ITopic;
  /** The topic's key, when it has a customer managed one. */
  readonly topicKey?: kms.IKey;
  /** The controller functions. */
  readonly functions: Readonly<Record<ControllerName, lambda.Function>>;
  /** The ECS clusters of this stack's fleets (their tasks' scale-in protection is read before a step down). */
  readonly clusters: readonly string[];
  /** Where failed asynchronous invocations and undeliverable schedules go. */
  readonly deadLetterQueue: sqs.Queue;
  /** The on-call runbook function: every operation, behind its own function URL. */
  readonly runbook: lambda.Function;
  /** The runbook's IAM-authenticated function URL (changes and reads). */
  readonly runbookUrl: lambda.FunctionUrl;
  /** The read-only runbook (status, audit), behind its own function URL: grant it to whoever only looks. */
  readonly runbookRead: lambda.Function;
  /** The read-only runbook's IAM-authenticated function URL. */
  readonly runbookReadUrl: lambda.FunctionUrl;
  /** The runbook the SSM Automation documents invoke (through their AutomationAssumeRole only). */
  readonly runbookAutomation: lambda.Function;
  /** SSM Automation documents wrapping the runbook operations. */
  readonly automations: ssm.CfnDocument[];
  /** The role the SSM Automation documents run as (their AutomationAssumeRole). */
  readonly automationRole: iam.Role;
  /** The schedule group holding every event's schedules. */
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The managed web ACL, when the config asks the stack to create one here. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** The region's dashboard: a row of widgets per fleet, and the shield's. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The published config and plan the functions read. */
  readonly document: ConfigDocument;

  constructor(scope: Construct, id: string, props: SurgeGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    const problem = namePrefixProblem(prefix);
    if (problem) throw new Error(problem);
    const rc = withManagedWebAclName(withResources(props.runtime, props), prefix);
    // Lower case where the default has always been lower case, so the default keeps today's names.
    const lowerPrefix = prefix.toLowerCase();
    const scheduleGroupName = `${lowerPrefix}-${stack.region}`;

    const state = (this.stateAndAudit = new StateAndAudit(this, 'StateAndAudit', props));
    const document = (this.document = new ConfigDocument(this, 'Document', {
      runtime: rc,
      removalPolicy: props.tableRemovalPolicy,
    }));
    const shield = rc.config.shield ? new Shield(this, 'Shield', { shield: rc.config.shield }) : undefined;
    this.shield = shield;

    const environment: Record<string, string> = {
      SURGEGUARD_TABLE: state.table.tableName,
      SURGEGUARD_TOPIC_ARN: state.topic.topicArn,
      SURGEGUARD_DOCUMENT_BUCKET: document.bucket.bucketName,
      SURGEGUARD_DOCUMENT_KEY: document.key,
      SURGEGUARD_BINDINGS: JSON.stringify(bindingsOf(rc)),
      POWERTOOLS_SERVICE_NAME: 'surgeguard',
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (shield) environment.SURGEGUARD_WEB_ACL_ID = shield.webAclId;
    const functionDefaults = {
      logRetention: props.logRetention,
      tracing: props.tracing,
      deadLetterQueue: state.deadLetterQueue,
    };
    const common = { runtime: rc, state, shield, environment, functionDefaults, scheduleGroupName };
    const controllers = (this.controllers = new Controllers(this, 'Controllers', {
      ...common,
      document,
      now: props.now,
      planWarnings: props.planWarnings,
    }));
    const runbook = (this.runbookPart = new Runbook(this, 'Runbook', {
      ...common,
      controllers,
      namePrefix: prefix,
      document,
    }));
    for (const fn of [
      ...Object.values(controllers.functions),
      runbook.runbook,
      runbook.runbookRead,
      runbook.runbookAutomation,
    ])
      document.grantRead(fn);
    this.observability = new Observability(this, 'Observability', {
      runtime: rc,
      state,
      shield,
      controllers,
      runbook,
      dashboardName: `${lowerPrefix}-${stack.region}`,
    });

    this.table = state.table;
    this.topic = state.topic;
    this.topicKey = state.topicKey;
    this.deadLetterQueue = state.deadLetterQueue;
    this.functions = controllers.functions;
    this.clusters = [...new Set(rc.config.fleets.map((f) => f.cluster))];
    this.scheduleGroup = controllers.scheduleGroup;
    this.runbook = runbook.runbook;
    this.runbookUrl = runbook.runbookUrl;
    this.runbookRead = runbook.runbookRead;
    this.runbookReadUrl = runbook.runbookReadUrl;
    this.runbookAutomation = runbook.runbookAutomation;
    this.automations = runbook.automations;
    this.automationRole = runbook.automationRole;
    this.webAcl = shield?.webAcl;
    this.dashboard = this.observability.dashboard;

    if (props.outputs ?? true) this.addOutputs();
  }

  /** Every alarm, by its construct id (for example `WatchErrors`, `Shortfall<event><fleet>`). */
  get alarms(): Readonly<Record<string, cloudwatch.Alarm>> {
    return this.observability.alarms;
  }

  /**
   * Lets `grantee` read through the read-only runbook URL (status, audit) and find this deployment (the CLI reads
   * its parameter), as docs/RUNBOOK.md's read-only policy does.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.runbookPart.grantRead(grantee);
  }

  /**
   * Lets `grantee` read and change: both runbook URLs, and start the SSM Automation documents (passing their role
   * to SSM only), as docs/RUNBOOK.md's on-call responder policy does.
   */
  grantChange(grantee: iam.IGrantable): iam.Grant {
    return this.runbookPart.grantChange(grantee);
  }

  /** A SurgeGuard metric of one event's fleet (namespace `SurgeGuard`), as the watch publishes it. */
  metric(
    metricName: string,
    eventId: string,
    fleetId: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.observability.metric(metricName, eventId, fleetId, props);
  }

  /** Tasks the watch decided a fleet needs. @default maximum per minute */
  metricDecidedTasks(eventId: string, fleetId: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DecidedTasks', eventId, fleetId, props);
  }

  /** Tasks the plan gives a fleet at this minute. @default maximum per minute */
  metricPlannedTasks(eventId: string, fleetId: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('PlannedTasks', eventId, fleetId, props);
  }

  /** Tasks a fleet runs, as the watch read them. @default maximum per minute */
  metricRunningTasks(eventId: string, fleetId: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RunningTasks', eventId, fleetId, props);
  }

  /** Listeners the watch forecasts for a fleet. @default maximum per minute */
  metricForecastListeners(
    eventId: string,
    fleetId: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.metric('ForecastListeners', eventId, fleetId, props);
  }

  private addOutputs(): void {
    const stack = Stack.of(this);
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: 'SurgeGuard state and audit table',
    });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'SurgeGuard on-call topic' });
    for (const [name, fn] of Object.entries(this.functions)) {
      new CfnOutput(this, `${cap(name)}FunctionName`, {
        value: fn.functionName,
        description: `SurgeGuard ${name} function`,
      });
    }
    new CfnOutput(this, 'ScheduleGroupName', { value: this.scheduleGroup.ref });
    new CfnOutput(this, 'RunbookUrl', {
      value: this.runbookUrl.url,
      description: 'SurgeGuard runbook (IAM-signed requests only)',
    });
    new CfnOutput(this, 'RunbookReadUrl', {
      value: this.runbookReadUrl.url,
      description: 'SurgeGuard read-only runbook: status and audit (IAM-signed requests only)',
    });
    new CfnOutput(this, 'RunbookFunctionName', {
      value: this.runbook.functionName,
      description: 'SurgeGuard runbook function',
    });
    if (this.shield)
      new CfnOutput(this, 'WebAclArn', { value: this.shield.webAclArn, description: "The shield's web ACL" });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${this.dashboard.dashboardName}`,
      description: "The region's SurgeGuard dashboard",
    });
    new CfnOutput(this, 'DocumentBucket', {
      value: this.document.bucket.bucketName,
      description: `Where the published config and plan live (key ${this.document.key}; surgeguard publish writes it)`,
    });
  }
}

/**
 * The runtime config with a managed web ACL's name started by a non-default prefix: the stack names that web ACL, so
 * two copies from one config must not clash, and the functions and dashboards must see the name it really has. The
 * default prefix keeps the config's name; an existing web ACL keeps its own.
 */
function withManagedWebAclName(rc: RuntimeConfig, prefix: string): RuntimeConfig {
  const shield = rc.config.shield;
  if (!shield || shield.webAcl.mode !== 'managed' || prefix === DEFAULT_NAME_PREFIX) return rc;
  const name = `${prefix}-${shield.webAcl.name}`;
  if (name.length > 128) {
    throw new Error(`web ACL name ${name}: with the name prefix it is longer than WAF's 128 characters`);
  }
  return { ...rc, config: { ...rc.config, shield: { ...shield, webAcl: { ...shield.webAcl, name } } } };
}

/**
 * The runtime config with the resources the team passed in place of the config's names: each fleet's ECS service,
 * and an existing web ACL for the shield.
 */
function withResources(rc: RuntimeConfig, props: SurgeGuardProps): RuntimeConfig {
  let config = rc.config;
  const services = props.services ?? {};
  for (const id of Object.keys(services)) {
    if (!config.fleets.some((f) => f.id === id)) {
      throw new Error(
        `services: no fleet ${id} in this region's config (fleets: ${config.fleets.map((f) => f.id).join(', ')})`,
      );
    }
  }
  config = {
    ...config,
    fleets: config.fleets.map((f) => {
      const service = services[f.id];
      if (!service) return f;
      const names = { cluster: service.cluster.clusterName, service: service.serviceName };
      if (Token.isUnresolved(names.cluster) || Token.isUnresolved(names.service)) {
        throw new Error(
          `services.${f.id}: the cluster and service names must be known at synth (they are baked into the functions): import the service (ecs.FargateService.fromServiceArnWithCluster) or give it a serviceName and its cluster a clusterName`,
        );
      }
      return { ...f, ...names };
    }),
  };
  if (props.webAclArn !== undefined)
    config = { ...config, shield: existingWebAcl(config.shield, props.webAclArn) };
  return config === rc.config ? rc : { ...rc, config };
}

/** The shield switching the rules of an existing web ACL, named by its ARN. */
function existingWebAcl(shield: RuntimeConfig['config']['shield'], arn: string): NonNullable<typeof shield> {
  if (!shield) throw new Error('webAclArn: the config has no shield section (its rules and detector)');
  const m = /^arn:aws[a-z-]*:wafv2:([a-z0-9-]+):\d{12}:(regional|global)\/webacl\/([^/]+)\/([^/]+)$/.exec(
    arn,
  );
  if (!m) {
    throw new Error(
      `webAclArn ${arn}: expected arn:aws:wafv2:<region>:<account>:regional|global/webacl/<name>/<id>`,
    );
  }
  if (!shield.rules?.length) {
    throw new Error(
      'webAclArn: name the rules of that web ACL the shield may switch in the config (shield.rules)',
    );
  }
  const [, region, scope, name, id] = m as unknown as [string, string, string, string, string];
  return {
    ...shield,
    webAcl: {
      ...shield.webAcl,
      mode: 'existing',
      arn,
      id,
      name,
      region,
      scope: scope === 'global' ? 'CLOUDFRONT' : 'REGIONAL',
      associate: [],
    },
  };
}
