import type { Stack } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import type { SurgeGuard } from './surgeguard';

/**
 * Acknowledged cdk-nag findings, each with the specific reason it is acceptable here. Everything else must pass.
 */
export function addNagSuppressions(stack: Stack): void {
  const sg = stack.node.tryFindChild('SurgeGuard') as SurgeGuard | undefined;
  if (!sg) return;
  const region = stack.region;
  const runbooks = [sg.runbook, sg.runbookRead, sg.runbookAutomation];
  for (const fn of [...Object.values(sg.functions), ...runbooks]) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22 (ARM64): the runtime the bundles are built for and tested against; moved deliberately, not by a default.',
    });
    const role = fn.role!;
    const acknowledge = (finding: string, reason: string) =>
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    acknowledge(
      'Resource::*',
      'application-autoscaling:DescribeScalableTargets, cloudwatch:GetMetricData and (runbook) scheduler:ListSchedules support no resource-level permissions; every other action is scoped to configured ARNs.',
    );
    acknowledge(
      `Resource::arn:<AWS::Partition>:application-autoscaling:${region}:<AWS::AccountId>:scalable-target/*`,
      'Scalable target ids are assigned by Application Auto Scaling and unknown at synth; scoped to this account and region, and the function only registers the ECS services of the config.',
    );
    for (const path of ['regional', 'global']) {
      acknowledge(
        `Resource::arn:<AWS::Partition>:wafv2:${region}:*:${path}/managedruleset/*/*`,
        'UpdateWebACL authorises against the AWS managed rule groups the web ACL references; they are owned by AWS, so the account is a wildcard. Scoped to this region and scope.',
      );
      acknowledge(
        `Resource::arn:<AWS::Partition>:wafv2:${region}:<AWS::AccountId>:${path}/ipset/*/*`,
        "UpdateWebACL authorises against the IP sets the web ACL references, which may be any of the team's own; scoped to this account, region and scope.",
      );
      acknowledge(
        `Resource::arn:<AWS::Partition>:wafv2:${region}:<AWS::AccountId>:${path}/rulegroup/*/*`,
        "UpdateWebACL authorises against the rule groups the web ACL references (for example Shield Advanced's), which the shield must send back unchanged; scoped to this account, region and scope.",
      );
    }
  }
  const rb = (finding: string, reason: string) =>
    runbooks.forEach((r) =>
      Validations.of(r.role!).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason }),
    );
  rb(
    `Resource::arn:<AWS::Partition>:scheduler:${region}:<AWS::AccountId>:schedule/surgeguard-${region}/*`,
    "shift moves an event's schedules: scoped to the stack's own schedule group.",
  );
  rb(
    `Resource::arn:<AWS::Partition>:cloudwatch:${region}:<AWS::AccountId>:alarm:${stack.stackName}*`,
    "status lists the stack's alarms in ALARM: scoped to alarm names the stack generates (its name as prefix).",
  );
  rb(
    `Resource::arn:<AWS::Partition>:ssm:${region}:<AWS::AccountId>:automation-execution/*`,
    'The runbook reads who started an SSM Automation execution (ExecutedBy) to audit the real caller; execution ids are new each run.',
  );
}
