import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { ShieldConfig, WafRuleConfig } from '../../lambda/core/config/schema';
import { shieldRules } from '../../lambda/core/detector';
import { SurgeGuardPart } from './part';

/** Properties of {@link Shield}. */
export interface ShieldProps {
  /** The config's shield (its web ACL's name already prefixed when the stack creates it). */
  readonly shield: ShieldConfig;
}

/**
 * The shield's web ACL: created here with SurgeGuard's rules in Count (config `webAcl.mode: managed`), associated
 * and logged as the config says, or an existing one named by ARN and id, whose rules the shield switches.
 */
export class Shield extends SurgeGuardPart {
  /** The managed web ACL, when the config asks the stack to create one here. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** The web ACL the shield switches. */
  readonly webAclArn: string;
  /** Its id, as WAF's API takes it. */
  readonly webAclId: string;
  /** The shield's rules, as deployed (in Count). */
  readonly rules: readonly WafRuleConfig[];

  constructor(scope: Construct, id: string, props: ShieldProps) {
    super(scope, id);
    const shield = props.shield;
    const rules = (this.rules = shieldRules(shield));
    if (shield.webAcl.mode === 'managed') {
      this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
        name: shield.webAcl.name,
        scope: shield.webAcl.scope,
        defaultAction: { allow: {} },
        visibilityConfig: visibility(shield.webAcl.name),
        rules: rules.map((r, i) => countRule(r, r.priority ?? i, shield.joinPath)),
        description: 'SurgeGuard rules deployed in Count, armed only on attack signatures',
      });
      this.webAclArn = this.webAcl.attrArn;
      this.webAclId = this.webAcl.attrId;
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
    } else {
      this.webAclArn = shield.webAcl.arn!;
      this.webAclId = shield.webAcl.id!;
    }
  }
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
