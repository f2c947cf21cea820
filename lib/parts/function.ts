import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import { ArnFormat, DockerImage, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FleetConfig } from '../../lambda/core/config/schema';
import type { StateAndAudit } from './state';

const HANDLERS = join(__dirname, '..', '..', 'lambda', 'handlers');
/** Where the packed library ships its handlers bundled (`npm run build:lib`): dist/lambda/<name>/index.mjs. */
const PREBUNDLED = join(__dirname, '..', '..', 'lambda');
/**
 * A pre-bundled handler: neither TypeScript sources nor esbuild needed. Only the bundle is shipped (not what else
 * the folder holds), and the asset hash is the bundle's, so the same package gives the same template.
 */
function prebundledCode(dir: string): lambda.Code {
  const files = readdirSync(dir).filter((f) => f.startsWith('index.mjs'));
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(join(dir, f)));
  return lambda.Code.fromAsset(dir, {
    assetHash: hash.digest('hex'),
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
      local: {
        tryBundle(outputDir: string) {
          for (const f of files) copyFileSync(join(dir, f), join(outputDir, f));
          return true;
        },
      },
    },
  });
}

/** What a SurgeGuard function is: its handler's memory, timeout and description. */
export interface FunctionSpec {
  readonly memory: number;
  readonly timeout: Duration;
  readonly description: string;
}

/** What every SurgeGuard function shares: logs, dead letters. */
export interface FunctionDefaults {
  /** How long function logs are kept. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray traces of every function. @default true */
  readonly tracing?: boolean;
  /** Where failed asynchronous invocations go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * One SurgeGuard function (handler `lambda/handlers/<name>.ts`) with its own role, log group and reserved
 * concurrency, bundled for Node 22 ARM64. The code holds no config: it reads the published document at run time.
 */
export function surgeGuardFunction(
  scope: Construct,
  name: string,
  spec: FunctionSpec,
  reserved: number,
  env: Record<string, string>,
  defaults: FunctionDefaults,
): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${cap(name)}Logs`, {
    retention: defaults.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${cap(name)}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `SurgeGuard ${name} function`,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const tracing = defaults.tracing ?? true;
  // Off, the Tracer is told so too: without Lambda's trace header it would only log missing-segment errors.
  const environment = tracing ? env : { ...env, POWERTOOLS_TRACE_ENABLED: 'false' };
  const common = {
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memory,
    timeout: spec.timeout,
    description: spec.description,
    role,
    logGroup,
    environment,
    reservedConcurrentExecutions: reserved,
    deadLetterQueue: defaults.deadLetterQueue,
    retryAttempts: 2,
    // Lambda samples and sends the traces; the handlers' Powertools Tracer adds the AWS calls and annotations.
    tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
  };
  const prebundled = join(PREBUNDLED, name);
  if (existsSync(join(prebundled, 'index.mjs'))) {
    return new lambda.Function(scope, cap(name), {
      ...common,
      code: prebundledCode(prebundled),
    });
  }
  return new NodejsFunction(scope, cap(name), {
    ...common,
    entry: join(HANDLERS, `${name}.ts`),
    handler: 'handler',
    bundling: {
      minify: true,
      sourceMap: true,
      target: 'node22',
      format: OutputFormat.ESM,
      mainFields: ['module', 'main'],
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      externalModules: [],
    },
  });
}

/**
 * A role an AWS service assumes, for this account only, that may invoke the given functions and nothing else: what
 * schedules and SSM Automation documents run as.
 */
export function invokeOnlyRole(
  scope: Construct,
  id: string,
  service: string,
  description: string,
  functions: readonly lambda.IFunction[],
): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal(service, {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: functions.map((f) => f.functionArn),
    }),
  );
  return role;
}

/** Lets `grantee` pass `role` to the AWS `service` that assumes it, and to no other service. */
export function grantPassRoleTo(grantee: iam.IGrantable, role: iam.IRole, service: string): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['iam:PassRole'],
    resourceArns: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': service } },
  });
}

/** Which calls a function makes, beyond reading state, services and scalable targets. */
export interface FunctionNeeds {
  /** Changes floors, ceilings or desired counts. */
  readonly scale: boolean;
  /**
   * Reads whether the services' tasks protect their listeners before a step down, and releases that protection for a
   * step down from past the scaling peak (the watch).
   * @default false
   */
  readonly drain?: boolean;
  /** Reads fleet and web ACL metrics. */
  readonly metrics: boolean;
  /** Reads and switches the shield's web ACL. */
  readonly waf: boolean;
  /** Publishes to the on-call topic. */
  readonly publish: boolean;
  /** Writes state and audit records. */
  readonly write: boolean;
  /**
   * Reads the plan's steps scheduled with Application Auto Scaling (the backstop) and, with `scale`, keeps them in step
   * with the plan and clears them.
   */
  readonly backstop: boolean;
}

/**
 * Least privilege for each function: only the calls its Lambda makes, on the configured services, targets, web
 * ACL, table and topic.
 */
export function grantFleetAccess(
  scope: Construct,
  functions: readonly [lambda.Function, FunctionNeeds][],
  fleets: readonly FleetConfig[],
  state: StateAndAudit,
  webAclArn?: string,
  wafScope?: 'REGIONAL' | 'CLOUDFRONT',
): void {
  const stack = Stack.of(scope);
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
    // The drain check samples the services' running tasks for scale-in protection, and a step down from past the
    // peak releases it: ListTasks authorises on the cluster (a condition), the task-protection calls on its tasks.
    if (needs.drain) {
      const clusters = [...new Set(fleets.map((f) => f.cluster))];
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:ListTasks'],
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'ecs:cluster': clusters.map((c) =>
                stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: c }),
              ),
            },
          },
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection'],
          resources: clusters.map((c) =>
            stack.formatArn({
              service: 'ecs',
              resource: 'task',
              resourceName: `${c}/*`,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          ),
        }),
      );
    }
    // DescribeScalableTargets and DescribeScheduledActions have no resource-level permissions.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: needs.backstop
          ? [
              'application-autoscaling:DescribeScalableTargets',
              'application-autoscaling:DescribeScheduledActions',
            ]
          : ['application-autoscaling:DescribeScalableTargets'],
        resources: ['*'],
      }),
    );
    // Scalable-target ids are assigned by AWS, not known at synth: the conditions keep RegisterScalableTarget
    // (floors, ceilings, SuspendedState) and the backstop's scheduled actions to ECS services' desired counts, never
    // another namespace's targets.
    if (needs.scale)
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: needs.backstop
            ? [
                'application-autoscaling:RegisterScalableTarget',
                'application-autoscaling:PutScheduledAction',
                'application-autoscaling:DeleteScheduledAction',
              ]
            : ['application-autoscaling:RegisterScalableTarget'],
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
          ? ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query']
          : ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resources: [state.table.tableArn],
      }),
    );
    if (needs.publish) {
      // Explicit rather than Topic.grantPublish, which grants kms:GenerateDataKey*: no wildcard actions.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [state.topic.topicArn] }),
      );
      if (state.topicKey)
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [state.topicKey.keyArn],
          }),
        );
    }
    if (webAclArn && needs.waf) {
      const path = wafScope === 'CLOUDFRONT' ? 'global' : 'regional';
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
