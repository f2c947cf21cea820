import type { IConstruct } from 'constructs';
import { Stack, Validations } from 'aws-cdk-lib';
import { SurgeGuard } from './surgeguard';
import { flatten } from './parts/nag-name';

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
      'application-autoscaling:DescribeScalableTargets, cloudwatch:GetMetricData, (runbook) scheduler:ListSchedules and (active tracing) xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; every other action is scoped to configured ARNs.',
    );
    for (const cluster of sg.clusters)
      wildcard(
        role,
        arn('ecs', account, `task/${cluster}/*`),
        "GetTaskProtection reads whether the services' running tasks protect their listeners before the floor steps down; task ids are new each launch, so the cluster's tasks are named, no other cluster's.",
      );
    wildcard(
      role,
      arn('application-autoscaling', account, 'scalable-target/*'),
      'Scalable target ids are assigned by Application Auto Scaling and unknown at synth; scoped to this account and region, and the function only registers the ECS services of the config.',
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
  runbook(
    arn('scheduler', account, `schedule/${sg.scheduleGroup.name}/*`),
    "shift moves an event's schedules: scoped to the construct's own schedule group.",
  );
  runbook(
    arn('cloudwatch', account, `alarm:${stack.stackName}*`),
    "status lists the stack's alarms in ALARM: scoped to alarm names the stack generates (its name as prefix).",
  );
  runbook(
    arn('ssm', account, 'automation-execution/*'),
    'The runbook reads who started an SSM Automation execution (ExecutedBy) to audit the real caller; execution ids are new each run.',
  );
}
