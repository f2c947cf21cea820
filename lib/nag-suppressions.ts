import type { IConstruct } from 'constructs';
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { SurgeGuard } from './surgeguard';
import { flatten } from './parts/nag-name';
import { finalLogicalIds } from './parts/part';

/**
 * Acknowledges the cdk-nag findings SurgeGuard raises on purpose, each with the specific reason it is acceptable
 * here, on every SurgeGuard construct under `scope` (whatever its id, stack, account or region). Everything else
 * must pass. Needs no cdk-nag: it only records acknowledgements, which the checks read if the app runs them.
 */
export function addNagSuppressions(scope: IConstruct): void {
  for (const sg of scope.node.findAll().filter((c): c is SurgeGuard => c instanceof SurgeGuard)) {
    acknowledge(sg);
  }
}

function acknowledge(sg: SurgeGuard): void {
  const stack = Stack.of(sg);
  const account = stack.account;
  const arn = (service: string, accountPart: string, resource: string) =>
    flatten(stack.resolve(`arn:${stack.partition}:${service}:${stack.region}:${accountPart}:${resource}`));
  const wildcard = (role: IConstruct, resource: string, reason: string) =>
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });

  const runbooks = [sg.runbook, sg.runbookRead, sg.runbookAutomation];
  for (const fn of [...Object.values(sg.functions), ...runbooks]) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22 (ARM64): the runtime the bundles are built for and tested against; moved deliberately, not by a default.',
    });
    const role = fn.role!;
    wildcard(
      role,
      '*',
      'application-autoscaling:DescribeScalableTargets and DescribeScheduledActions, cloudwatch:GetMetricData, (runbook) scheduler:ListSchedules and (active tracing) xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; every other action is scoped to configured ARNs.',
    );
    // Only the watch reads and releases task protection.
    if (fn === sg.functions.watch)
      for (const cluster of sg.clusters)
        wildcard(
          role,
          arn('ecs', account, `task/${cluster}/*`),
          "GetTaskProtection reads whether the services' running tasks protect their listeners before the floor steps down, and UpdateTaskProtection releases the tasks a step down from past the scaling peak stops; task ids are new each launch, so the cluster's tasks are named, no other cluster's.",
        );
    wildcard(
      role,
      arn('application-autoscaling', account, 'scalable-target/*'),
      "Scalable target ids are assigned by Application Auto Scaling and unknown at synth; scoped to this account and region and, by the service-namespace and scalable-dimension conditions, to ECS services' desired counts: the function registers floors and schedules plan steps only on the ECS services of the config.",
    );
    for (const path of ['regional', 'global']) {
      wildcard(
        role,
        arn('wafv2', '*', `${path}/managedruleset/*/*`),
        'UpdateWebACL authorises against the AWS managed rule groups the web ACL references; they are owned by AWS, so the account is a wildcard. Scoped to this region and scope.',
      );
      wildcard(
        role,
        arn('wafv2', account, `${path}/ipset/*/*`),
        "UpdateWebACL authorises against the IP sets the web ACL references, which may be any of the team's own; scoped to this account, region and scope.",
      );
      wildcard(
        role,
        arn('wafv2', account, `${path}/rulegroup/*/*`),
        "UpdateWebACL authorises against the rule groups the web ACL references (for example Shield Advanced's), which the shield must send back unchanged; scoped to this account, region and scope.",
      );
    }
  }
  const runbook = (resource: string, reason: string) =>
    runbooks.forEach((r) => wildcard(r.role!, resource, reason));
  for (const fn of [sg.functions.watch, ...runbooks])
    wildcard(
      fn.role!,
      arn('scheduler', account, `schedule/${sg.scheduleGroup.name}/*`),
      "The watch makes the prescale and restore schedules from the published plan, and shift makes an event's anew; their names come from the plan, so the construct's own schedule group is named, no other.",
    );
  const ids = finalLogicalIds(stack);
  const rename = (id: string) => ids.get(id) ?? id;
  wildcard(
    sg.controllers.schedulerRole,
    `${flatten(stack.resolve(sg.functions.watch.functionArn), rename)}:*`,
    "The L2 Scheduler target grants invoke on the watch function and its versions and aliases; the watch function's own, nothing else.",
  );
  Validations.of(sg.document.bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'The bucket holds one document, written by cdk deploy and surgeguard publish and read by the functions; its versions are its history and every change is in the audit trail. CloudTrail data events are the access log where a team wants one.',
  });
  acknowledgeBucketDeployment(sg, rename);
  runbook(
    arn('cloudwatch', account, `alarm:${stack.stackName}*`),
    "status lists the stack's alarms in ALARM: scoped to alarm names the stack generates (its name as prefix).",
  );
  runbook(
    arn('ssm', account, 'automation-execution/*'),
    'The runbook reads who started an SSM Automation execution (ExecutedBy) to audit the real caller; execution ids are new each run.',
  );
}

/**
 * CDK's own BucketDeployment handler, which writes the document at deploy: its managed logging policy, its runtime
 * (CDK's choice), and each wildcard of the policy CDK grants it, read from that policy so they hold for any
 * synthesizer, account and region.
 */
function acknowledgeBucketDeployment(sg: SurgeGuard, rename: (id: string) => string): void {
  const role = sg.document.deployment.handlerRole;
  const fn = role.node.scope!;
  const stack = Stack.of(sg);
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: "CDK's BucketDeployment handler: its runtime is CDK's, moved with aws-cdk-lib.",
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "CDK's BucketDeployment handler writes its logs with the AWS managed basic execution policy.",
  });
  const policy = (role as iam.Role).node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const statements = (policy ? stack.resolve(policy.document.toJSON()) : { Statement: [] }) as {
    Statement: { Action: string | string[]; Resource: unknown }[];
  };
  const reason =
    "CDK's BucketDeployment handler copies the document from the CDK asset bucket into the document bucket: the object actions and keys CDK grants it for that copy, on those two buckets only.";
  for (const st of statements.Statement) {
    for (const action of [st.Action].flat().filter((a) => a.includes('*')))
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
    for (const resource of [st.Resource].flat()) {
      const name = flatten(resource, rename);
      if (name.includes('*'))
        Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${name}]`, reason });
    }
  }
}
