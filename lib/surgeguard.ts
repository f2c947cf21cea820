import { join } from 'node:path';
import { Annotations, ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { FleetConfig, WafRuleConfig } from '../lambda/core/config/schema';
import { AUTOMATIONS, automationDocumentName } from '../lambda/core/automations';
import { shieldRules } from '../lambda/core/detector';
import type { RuntimeConfig } from '../lambda/core/runtime-config';
import type { EventSchedule } from '../lambda/core/schedules';
import { eventSchedules } from '../lambda/core/schedules';
import type { PlanAnnotationOptions } from './plan-annotations';
import { annotatePlanWarnings } from './plan-annotations';

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
  /** Keep the state table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** How plan warnings show at synth. @default warnings, or errors when context `surgeguard:strict` is true */
  readonly planWarnings?: PlanAnnotationOptions;
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

/** Which calls a function makes, beyond reading state, services and scalable targets. */
interface FunctionNeeds {
  /** Changes floors, ceilings or desired counts. */
  readonly scale: boolean;
  /** Reads fleet and web ACL metrics. */
  readonly metrics: boolean;
  /** Reads and switches the shield's web ACL. */
  readonly waf: boolean;
  /** Publishes to the on-call topic. */
  readonly publish: boolean;
  /** Writes state and audit records. */
  readonly write: boolean;
}

/** The names of the three controller functions. */
export type ControllerName = 'prescale' | 'watch' | 'restore';

const HANDLERS = join(__dirname, '..', 'lambda', 'handlers');

/**
 * SurgeGuard for one region: the prescale, watch and restore Lambdas with their schedules, the state and audit
 * table, the on-call topic, alarms and dashboards, and (where the shield's web ACL lives) the WAF rules in Count.
 * Names and ARNs come from the config; nothing is looked up, so it synthesises offline.
 */
export class SurgeGuard extends Construct {
  /** The state and audit table. */
  readonly table: dynamodb.Table;
  /** The on-call topic (alarms and shield notices), encrypted with its own key. */
  readonly topic: sns.Topic;
  /** The topic's key. */
  readonly topicKey: kms.Key;
  /** The controller functions. */
  readonly functions: Readonly<Record<ControllerName, lambda.Function>>;
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
  readonly automations: ssm.CfnDocument[] = [];
  /** The role the SSM Automation documents run as (their AutomationAssumeRole). */
  readonly automationRole: iam.Role;
  /** The schedule group holding every event's schedules. */
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The managed web ACL, when the config asks the stack to create one here. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** One dashboard per event. */
  readonly dashboards: cloudwatch.Dashboard[] = [];

  constructor(scope: Construct, id: string, props: SurgeGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const now = props.now;
    const prefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    const problem = namePrefixProblem(prefix);
    if (problem) throw new Error(problem);
    const rc = withManagedWebAclName(props.runtime, prefix);
    const shield = rc.config.shield;
    // Lower case where the default has always been lower case, so the default keeps today's names.
    const lowerPrefix = prefix.toLowerCase();
    const scheduleGroupName = `${lowerPrefix}-${stack.region}`;

    // --- state, topic, dead letters -------------------------------------------------------------------------
    this.table = new dynamodb.Table(this, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    const topicKey = (this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'SurgeGuard on-call topic',
      enableKeyRotation: true,
    }));
    // Alarms publish through CloudWatch, which needs the key.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'OnCall', {
      masterKey: topicKey,
      enforceSSL: true,
      displayName: 'SurgeGuard on-call',
    });
    // The topic has a policy (enforceSSL), so CloudWatch alarms need their own allow to publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // --- WAF -------------------------------------------------------------------------------------------------
    let webAclArn: string | undefined;
    let webAclId: string | undefined;
    const rules = shield ? shieldRules(shield) : [];
    if (shield?.webAcl.mode === 'managed') {
      this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
        name: shield.webAcl.name,
        scope: shield.webAcl.scope,
        defaultAction: { allow: {} },
        visibilityConfig: visibility(shield.webAcl.name),
        rules: rules.map((r, i) => countRule(r, r.priority ?? i, shield.joinPath)),
        description: 'SurgeGuard rules deployed in Count, armed only on attack signatures',
      });
      webAclArn = this.webAcl.attrArn;
      webAclId = this.webAcl.attrId;
      shield.webAcl.associate.forEach((resourceArn, i) => {
        new wafv2.CfnWebACLAssociation(this, `WebAclAssociation${i}`, {
          resourceArn,
          webAclArn: this.webAcl!.attrArn,
        });
      });
      if (shield.webAcl.logDestinationArn) {
        new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
          resourceArn: this.webAcl.attrArn,
          logDestinationConfigs: [shield.webAcl.logDestinationArn],
        });
      }
    } else if (shield) {
      webAclArn = shield.webAcl.arn;
      webAclId = shield.webAcl.id;
    }

    // --- functions -------------------------------------------------------------------------------------------
    const environment: Record<string, string> = {
      SURGEGUARD_TABLE: this.table.tableName,
      SURGEGUARD_TOPIC_ARN: this.topic.topicArn,
      POWERTOOLS_SERVICE_NAME: 'surgeguard',
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (webAclId) environment.SURGEGUARD_WEB_ACL_ID = webAclId;
    const configJson = JSON.stringify(rc);
    // Memory: the watch holds one region's metrics and decides in about a millisecond; 512 MB buys CPU for cold
    // starts (the SDK clients), 256 MB is plenty for the one-shot prescale and restore.
    // Timeouts: the watch ticks for up to 60 s (Scheduler fires once a minute) plus slow AWS calls.
    const specs: Record<ControllerName, { memory: number; timeout: Duration; description: string }> = {
      prescale: {
        memory: 256,
        timeout: Duration.seconds(120),
        description: 'SurgeGuard: record settings and apply the due plan steps',
      },
      watch: {
        memory: 512,
        timeout: Duration.seconds(90),
        description: 'SurgeGuard: watch live events and scale ahead of demand',
      },
      restore: {
        memory: 256,
        timeout: Duration.seconds(120),
        description: 'SurgeGuard: return fleets to their recorded settings',
      },
    };
    const makeFunction = (
      name: string,
      spec: { memory: number; timeout: Duration; description: string },
      reserved: number,
      env: Record<string, string>,
    ) => {
      const logGroup = new logs.LogGroup(this, `${cap(name)}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(this, `${cap(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `SurgeGuard ${name} function`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      return new NodejsFunction(this, cap(name), {
        entry: join(HANDLERS, `${name}.ts`),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: spec.memory,
        timeout: spec.timeout,
        description: spec.description,
        role,
        logGroup,
        environment: env,
        reservedConcurrentExecutions: reserved,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        bundling: {
          minify: true,
          sourceMap: true,
          target: 'node22',
          format: OutputFormat.ESM,
          mainFields: ['module', 'main'],
          banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
          // The config, its models and plan are baked into the bundle: validated at synth, nothing to fetch.
          define: { 'process.env.SURGEGUARD_CONFIG': JSON.stringify(configJson) },
          externalModules: [],
        },
      });
    };
    const fns = {} as Record<ControllerName, lambda.Function>;
    for (const [name, spec] of Object.entries(specs) as [ControllerName, (typeof specs)[ControllerName]][]) {
      // One controller at a time: state writes are versioned too, but there is nothing to gain from two.
      fns[name] = makeFunction(name, spec, 1, environment);
    }
    // The runbook answers people; a few at once is plenty, and its writes are versioned like the controllers'.
    // Three entry points, so that IAM separates them: changes (URL), reads only (URL), SSM documents (no URL).
    const runbookSpec = (what: string) => ({
      memory: 256,
      timeout: Duration.seconds(60),
      description: `SurgeGuard: on-call runbook ${what}, every change audited`,
    });
    const runbookEnv = {
      ...environment,
      SURGEGUARD_SCHEDULE_GROUP: scheduleGroupName,
      SURGEGUARD_NAME_PREFIX: prefix,
      SURGEGUARD_ALARM_PREFIX: stack.stackName,
    };
    this.runbook = makeFunction('runbook', runbookSpec('operations'), 5, runbookEnv);
    this.runbookUrl = this.runbook.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.runbookRead = makeFunction('runbook-read', runbookSpec('reads (status, audit)'), 5, runbookEnv);
    this.runbookReadUrl = this.runbookRead.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.runbookAutomation = makeFunction(
      'runbook-automation',
      runbookSpec('for SSM Automation'),
      5,
      runbookEnv,
    );
    this.functions = fns;
    const act = { scale: true, metrics: true, waf: true, publish: true, write: true };
    this.grantControllers(
      [
        [fns.prescale, { scale: true, metrics: false, waf: false, publish: false, write: true }],
        [fns.watch, act],
        // Restore reads listeners and releases the shield when the last event ends.
        [fns.restore, act],
        [this.runbook, act],
        [this.runbookAutomation, act],
        [this.runbookRead, { scale: false, metrics: true, waf: false, publish: false, write: false }],
      ],
      rc.config.fleets,
      webAclArn,
      shield?.webAcl.scope,
    );

    // --- schedules ---------------------------------------------------------------------------------------------
    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'Schedules', { name: scheduleGroupName });
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'SurgeGuard schedules: invoke the controllers, nothing else',
    });
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(fns).map((f) => f.functionArn),
      }),
    );
    this.deadLetterQueue.grantSendMessages(schedulerRole);
    // Without an instant nothing is judged past (epoch 0), and the start dates are kept.
    const { schedules, past } = eventSchedules(rc, now ?? new Date(0));
    for (const id of past) {
      Annotations.of(this).addInfo(`event ${id} is over at ${now!.toISOString()}: no schedules`);
    }
    annotatePlanWarnings(this, rc, past, props.planWarnings);
    schedules.forEach((s) => this.addSchedules(s, now, schedulerRole));

    // --- the runbook's own permissions and its console triggers ------------------------------------------------
    const scheduleArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const alarmArn = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${stack.stackName}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const fn of [this.runbook, this.runbookAutomation, this.runbookRead]) {
      const role = fn.role!;
      const changes = fn !== this.runbookRead;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: changes
            ? ['scheduler:GetSchedule', 'scheduler:UpdateSchedule']
            : ['scheduler:GetSchedule'],
          resources: [scheduleArn],
        }),
      );
      // ListSchedules has no resource-level permissions.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['scheduler:ListSchedules'], resources: ['*'] }),
      );
      // UpdateSchedule passes the schedules' role again.
      if (changes)
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [schedulerRole.roleArn] }),
        );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarmArn] }),
      );
    }
    this.runbookAutomation.role!.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetAutomationExecution'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            resource: 'automation-execution',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // SSM runs the documents' step as this role, which may invoke the automation entry point and nothing else.
    // Whoever starts a document needs iam:PassRole on it (docs/RUNBOOK.md).
    const automationRole = new iam.Role(this, 'AutomationRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'SurgeGuard SSM Automation documents: invoke the runbook automation entry point only',
    });
    automationRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.runbookAutomation.functionArn],
      }),
    );
    this.automationRole = automationRole;
    for (const a of AUTOMATIONS) {
      const parameters: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(a.params)) {
        parameters[k] = {
          type: p.type,
          description: p.description,
          ...(p.default !== undefined ? { default: p.default } : {}),
          ...(p.type === 'String' ? { allowedPattern: '^[^"\\\\]{1,500}$' } : {}),
        };
      }
      this.automations.push(
        new ssm.CfnDocument(this, `Automation${a.name}`, {
          name: automationDocumentName(`${prefix}-${stack.region}`, a.name),
          documentType: 'Automation',
          documentFormat: 'JSON',
          updateMethod: 'NewVersion',
          content: {
            schemaVersion: '0.3',
            description: `SurgeGuard: ${a.description}. The runbook reads who ran it, and with what parameters, from SSM.`,
            assumeRole: automationRole.roleArn,
            parameters,
            mainSteps: [
              {
                name: 'runbook',
                action: 'aws:invokeLambdaFunction',
                inputs: {
                  FunctionName: this.runbookAutomation.functionName,
                  InvocationType: 'RequestResponse',
                  // The execution id only: the runbook reads the document, its parameters and the caller from SSM.
                  Payload: '{"source":"ssm-automation","executionId":"{{automation:EXECUTION_ID}}"}',
                },
                outputs: [{ Name: 'answer', Selector: '$.Payload', Type: 'String' }],
              },
            ],
          },
        }),
      );
    }

    // --- alarms and dashboards -----------------------------------------------------------------------------------
    this.addAlarms(rc);
    for (const e of rc.config.events) {
      this.dashboards.push(this.addDashboard(rc, e.id, rules, `${lowerPrefix}-${e.id}`));
    }

    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: 'SurgeGuard state and audit table',
    });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'SurgeGuard on-call topic' });
    for (const [name, fn] of Object.entries(fns)) {
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
    if (webAclArn)
      new CfnOutput(this, 'WebAclArn', { value: webAclArn, description: "The shield's web ACL" });
    this.dashboards.forEach((d, i) => {
      new CfnOutput(this, `DashboardUrl${i}`, {
        value: `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${d.dashboardName}`,
        description: `Dashboard of event ${rc.config.events[i]!.id}`,
      });
    });
  }

  /**
   * Least privilege for each function: only the calls its Lambda makes, on the configured services, targets, web
   * ACL, table and topic.
   */
  private grantControllers(
    functions: readonly [lambda.Function, FunctionNeeds][],
    fleets: readonly FleetConfig[],
    webAclArn?: string,
    scope?: 'REGIONAL' | 'CLOUDFRONT',
  ): void {
    const stack = Stack.of(this);
    const serviceArns = fleets.map((f) =>
      stack.formatArn({
        service: 'ecs',
        resource: 'service',
        resourceName: `${f.cluster}/${f.service}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    for (const [fn, needs] of functions) {
      const role = fn.role!;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: needs.scale ? ['ecs:DescribeServices', 'ecs:UpdateService'] : ['ecs:DescribeServices'],
          resources: serviceArns,
        }),
      );
      // DescribeScalableTargets has no resource-level permissions.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['application-autoscaling:DescribeScalableTargets'],
          resources: ['*'],
        }),
      );
      // Scalable-target ids are assigned by AWS, not known at synth: the conditions keep RegisterScalableTarget
      // (floors, ceilings, SuspendedState) to ECS services' desired counts, never another namespace's targets.
      if (needs.scale)
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['application-autoscaling:RegisterScalableTarget'],
            resources: [
              stack.formatArn({
                service: 'application-autoscaling',
                resource: 'scalable-target',
                resourceName: '*',
                arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              }),
            ],
            conditions: {
              StringEquals: {
                'application-autoscaling:service-namespace': 'ecs',
                'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
              },
            },
          }),
        );
      // GetMetricData has no resource-level permissions. Metrics are published as EMF log lines: no PutMetricData.
      if (needs.metrics)
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
        );
      // A transaction (state with its audit record) authorises as PutItem on each item.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: needs.write
            ? ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']
            : ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: [this.table.tableArn],
        }),
      );
      if (needs.publish) {
        // Explicit rather than Topic.grantPublish, which grants kms:GenerateDataKey*: no wildcard actions.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
        );
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [this.topicKey.keyArn],
          }),
        );
      }
      if (webAclArn && needs.waf) {
        const path = scope === 'CLOUDFRONT' ? 'global' : 'regional';
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['wafv2:GetWebACL', 'wafv2:UpdateWebACL'],
            resources: [webAclArn],
          }),
        );
        // UpdateWebACL also authorises against what the web ACL references: AWS managed rule groups (owned by
        // AWS), and this account's IP sets and rule groups in the same scope.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['wafv2:UpdateWebACL'],
            resources: [
              `arn:${stack.partition}:wafv2:${stack.region}:*:${path}/managedruleset/*/*`,
              `arn:${stack.partition}:wafv2:${stack.region}:${stack.account}:${path}/ipset/*/*`,
              `arn:${stack.partition}:wafv2:${stack.region}:${stack.account}:${path}/rulegroup/*/*`,
            ],
          }),
        );
      }
    }
  }

  private addSchedules(s: EventSchedule, now: Date | undefined, role: iam.Role): void {
    const target = (fn: lambda.Function, input: object) => ({
      arn: fn.functionArn,
      roleArn: role.roleArn,
      input: JSON.stringify(input),
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 300 },
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
    });
    const at = (d: Date) => `at(${d.toISOString().slice(0, 19)})`;
    const isFuture = (d: Date) => now === undefined || d.getTime() > now.getTime();
    const future = (d: Date) => (isFuture(d) ? d.toISOString() : undefined);
    const base = { groupName: this.scheduleGroup.ref, flexibleTimeWindow: { mode: 'OFF' }, state: 'ENABLED' };
    if (isFuture(s.prescaleAt)) {
      new scheduler.CfnSchedule(this, `Prescale-${s.eventId}`, {
        ...base,
        name: `${s.eventId}-prescale`,
        description: `SurgeGuard: pre-scale ${s.eventId} at the plan's ramp start`,
        scheduleExpression: at(s.prescaleAt),
        scheduleExpressionTimezone: 'UTC',
        target: target(this.functions.prescale, { eventId: s.eventId }),
      });
    }
    new scheduler.CfnSchedule(this, `Watch-${s.eventId}`, {
      ...base,
      name: `${s.eventId}-watch`,
      description: `SurgeGuard: watch ${s.eventId} through its window`,
      scheduleExpression: 'rate(1 minute)',
      startDate: future(s.watchFrom),
      endDate: s.watchTo.toISOString(),
      target: target(this.functions.watch, {}),
    });
    new scheduler.CfnSchedule(this, `Restore-${s.eventId}`, {
      ...base,
      name: `${s.eventId}-restore`,
      description: `SurgeGuard: return ${s.eventId}'s fleets to their recorded settings, a step at a time`,
      scheduleExpression: `rate(${s.restoreEveryMinutes} minute${s.restoreEveryMinutes === 1 ? '' : 's'})`,
      startDate: future(s.restoreFrom),
      endDate: s.restoreTo.toISOString(),
      target: target(this.functions.restore, { eventId: s.eventId }),
    });
  }

  private addAlarms(rc: RuntimeConfig): void {
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (
      id: string,
      a: cloudwatch.AlarmProps | cloudwatch.CreateAlarmOptions,
      metric: cloudwatch.IMetric,
    ) => {
      const created = new cloudwatch.Alarm(this, id, { metric, ...a });
      created.addAlarmAction(action);
      return created;
    };
    const runbooks = {
      runbook: this.runbook,
      runbookRead: this.runbookRead,
      runbookAutomation: this.runbookAutomation,
    };
    for (const [name, fn] of Object.entries(runbooks)) {
      // Reserved concurrency is small: throttles mean on-call's requests are refused.
      alarm(
        `${cap(name)}Throttles`,
        {
          alarmDescription: `SurgeGuard ${name} throttled: on-call requests are being refused`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
      );
    }
    for (const [name, fn] of Object.entries({ ...this.functions, ...runbooks })) {
      alarm(
        `${cap(name)}Errors`,
        {
          alarmDescription: `SurgeGuard ${name} failed (see its logs and the audit trail)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      );
    }
    alarm(
      'DeadLetterDepth',
      {
        alarmDescription:
          'SurgeGuard invocations or schedules failed for good: messages in the dead-letter queue',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
    );
    for (const e of rc.config.events) {
      for (const ef of e.fleets) {
        const fleet = rc.config.fleets.find((f) => f.id === ef.fleet)!;
        const dims = { Fleet: fleet.id, Event: e.id, service: 'surgeguard' };
        const sg = (metricName: string, statistic = 'Maximum') =>
          new cloudwatch.Metric({
            namespace: 'SurgeGuard',
            metricName,
            dimensionsMap: dims,
            period: Duration.minutes(1),
            statistic,
          });
        const key = `${e.id}-${fleet.id}`.replace(/[^A-Za-z0-9]/g, '');
        alarm(
          `JoinSlo${key}`,
          {
            alarmDescription: `${e.id} / ${fleet.id}: join success below the SLO (${e.slo.joinSuccessRatio})`,
            threshold: e.slo.joinSuccessRatio,
            evaluationPeriods: 3,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
          new cloudwatch.MathExpression({
            expression: 'IF(req > 0, ok / req, 1)',
            usingMetrics: { ok: appMetric(fleet, 'joinSuccesses'), req: appMetric(fleet, 'joinRequests') },
            period: Duration.minutes(1),
            label: 'join success ratio',
          }),
        );
        alarm(
          `Shortfall${key}`,
          {
            alarmDescription: `${e.id} / ${fleet.id}: tasks decided but not running for 10 minutes (capacity shortfall: launches failing or throttled)`,
            threshold: 1,
            evaluationPeriods: 10,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
          new cloudwatch.MathExpression({
            expression: 'decided - running',
            usingMetrics: { decided: sg('DecidedTasks'), running: sg('RunningTasks', 'Minimum') },
            period: Duration.minutes(1),
            label: 'decided minus running',
          }),
        );
        alarm(
          `Limit${key}`,
          {
            alarmDescription: `${e.id} / ${fleet.id}: demand needs more than max tasks, the service limit, the vCPU quota or the model's peak`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
          sg('LimitBreach', 'Sum'),
        );
        alarm(
          `RestoreDeadline${key}`,
          {
            alarmDescription: `${e.id} / ${fleet.id}: still above its recorded settings ${e.restoreDeadlineMinutes} min after the hold ended (restore paused, held or failing)`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            // Restore reports once a run and its schedule ends: between runs, and after, the last answer stands.
            treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          },
          sg('FleetAboveRecordedAfterDeadline'),
        );
      }
    }
  }

  private addDashboard(
    rc: RuntimeConfig,
    eventId: string,
    rules: readonly WafRuleConfig[],
    dashboardName: string,
  ): cloudwatch.Dashboard {
    const e = rc.config.events.find((x) => x.id === eventId)!;
    const d = new cloudwatch.Dashboard(this, `Dashboard-${eventId}`, {
      dashboardName: dashboardName.slice(0, 255),
      defaultInterval: Duration.hours(3),
    });
    for (const ef of e.fleets) {
      const fleet = rc.config.fleets.find((f) => f.id === ef.fleet)!;
      const dims = { Fleet: fleet.id, Event: e.id, service: 'surgeguard' };
      const sg = (metricName: string, label: string) =>
        new cloudwatch.Metric({
          namespace: 'SurgeGuard',
          metricName,
          dimensionsMap: dims,
          period: Duration.minutes(1),
          statistic: 'Maximum',
          label,
        });
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: listeners vs fleet capacity`,
          left: [
            appMetric(fleet, 'listeners'),
            sg('CapacityListeners', 'capacity (model x running tasks)'),
            sg('ForecastListeners', 'forecast'),
          ],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: tasks planned, decided, running`,
          left: [sg('PlannedTasks', 'planned'), sg('DecidedTasks', 'decided'), sg('RunningTasks', 'running')],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: join errors by class`,
          left: [appMetric(fleet, 'joinErrorsCapacity'), appMetric(fleet, 'joinErrorsAuth')],
          right: [appMetric(fleet, 'joinRequests')],
          width: 12,
        }),
      );
    }
    const shield = rc.config.shield;
    if (shield) {
      const waf = (metricName: string, rule: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/WAFV2',
          metricName,
          dimensionsMap: {
            WebACL: shield.webAcl.name,
            Rule: rule,
            ...(shield.webAcl.scope === 'REGIONAL' ? { Region: shield.webAcl.region } : {}),
          },
          period: Duration.minutes(1),
          statistic: 'Sum',
          label: `${rule} ${metricName === 'CountedRequests' ? 'counted' : 'blocked'}`,
        });
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'WAF: counted and blocked per rule',
          left: rules.flatMap((r) => [
            waf('CountedRequests', r.metricName ?? r.name),
            waf('BlockedRequests', r.metricName ?? r.name),
          ]),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Shield verdict (0 normal, 1 flash crowd, 2 attack, 3 attack + capacity) and mode (1 armed)',
          left: [
            new cloudwatch.Metric({
              namespace: 'SurgeGuard',
              metricName: 'ShieldVerdict',
              dimensionsMap: { Event: e.id, service: 'surgeguard' },
              period: Duration.minutes(1),
              statistic: 'Maximum',
            }),
            new cloudwatch.Metric({
              namespace: 'SurgeGuard',
              metricName: 'ShieldArmed',
              dimensionsMap: { Event: e.id, service: 'surgeguard' },
              period: Duration.minutes(1),
              statistic: 'Maximum',
            }),
          ],
          width: 12,
        }),
      );
    }
    return d;
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

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function visibility(name: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return {
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName: name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128),
  };
}

/** A shield rule as deployed: in Count, so it only reports until the shield arms it. */
export function countRule(
  r: WafRuleConfig,
  priority: number,
  joinPath: string,
): wafv2.CfnWebACL.RuleProperty {
  const visibilityConfig = visibility(r.metricName ?? r.name);
  if (r.kind === 'rate-per-ip') {
    return {
      name: r.name,
      priority,
      action: { count: {} },
      visibilityConfig,
      statement: {
        rateBasedStatement: {
          limit: r.limitPer5Min,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
          scopeDownStatement: {
            byteMatchStatement: {
              searchString: joinPath,
              fieldToMatch: { uriPath: {} },
              positionalConstraint: 'STARTS_WITH',
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
        },
      },
    };
  }
  if (r.kind === 'managed-rule-group') {
    return {
      name: r.name,
      priority,
      overrideAction: { count: {} },
      visibilityConfig,
      statement: { managedRuleGroupStatement: { vendorName: r.vendor, name: r.group! } },
    };
  }
  throw new Error(
    `rule ${r.name}: a custom rule can only be switched in an existing web ACL, not created by SurgeGuard`,
  );
}

/** One of a fleet's app metrics, as the config names it. */
function appMetric(
  fleet: FleetConfig,
  key: 'listeners' | 'joinRequests' | 'joinSuccesses' | 'joinErrorsCapacity' | 'joinErrorsAuth',
): cloudwatch.Metric {
  const m = fleet.metrics[key];
  return new cloudwatch.Metric({
    namespace: m.namespace ?? fleet.metrics.namespace,
    metricName: m.metricName,
    dimensionsMap: { ...fleet.metrics.dimensions, ...(m.dimensions ?? {}) },
    period: Duration.seconds(Math.max(60, fleet.metrics.periodSeconds)),
    statistic: m.stat ?? (key === 'listeners' ? 'Maximum' : 'Sum'),
    label: key,
  });
}
