import { GetWebACLCommand, UpdateWebACLCommand } from '@aws-sdk/client-wafv2';
import type {
  Rule,
  RuleActionOverride,
  UpdateWebACLCommandInput,
  WAFV2Client,
  WebACL,
} from '@aws-sdk/client-wafv2';
import type { Clock, RuleMode, SavedRuleOverrides, SwitchableRule, WafSwitch } from '../ports';

/** The WAFv2 calls the adapter makes. */
export type WafSend = Pick<WAFV2Client, 'send'>;

/** The web ACL the shield switches. */
export interface WebAclRef {
  readonly name: string;
  readonly id: string;
  readonly scope: 'REGIONAL' | 'CLOUDFRONT';
}

/** Fields GetWebACL returns that UpdateWebACL does not take. */
const READ_ONLY = new Set([
  'ARN',
  'Capacity',
  'PreProcessFirewallManagerRuleGroups',
  'PostProcessFirewallManagerRuleGroups',
  'ManagedByFirewallManager',
  'LabelNamespace',
  'RetrofittedByFirewallManager',
]);

/** WAF allows one UpdateWebACL a second per account and region. */
const UPDATE_INTERVAL_MS = 1000;

/**
 * Switches rules of a web ACL with GetWebACL and UpdateWebACL. UpdateWebACL replaces the whole rule list, so the
 * update is the web ACL as read with only our rules' actions changed: other rules, priorities, visibility
 * configs and a Shield Advanced `ShieldMitigationRuleGroup_*` go back exactly as they were. A stale LockToken
 * (WAFOptimisticLockException) means someone else changed the web ACL: re-read and retry, a bounded number of times.
 */
export class WafV2Switch implements WafSwitch {
  private lastUpdateMs = -Infinity;

  constructor(
    private readonly client: WafSend,
    private readonly acl: WebAclRef,
    private readonly rules: readonly SwitchableRule[],
    private readonly clock: Clock,
    private readonly lockRetries = 5,
  ) {}

  async read(): Promise<Record<string, RuleMode>> {
    const { webAcl } = await this.get();
    const out: Record<string, RuleMode> = {};
    for (const rule of this.rules) {
      const found = webAcl.Rules?.find((r) => r.Name === rule.name);
      out[rule.name] = found ? modeOf(found, rule) : 'missing';
    }
    return out;
  }

  async apply(
    mode: 'armed' | 'disarmed',
    saved: SavedRuleOverrides = {},
  ): Promise<{ changed: string[]; saved?: SavedRuleOverrides }> {
    for (let attempt = 1; ; attempt++) {
      const { webAcl, lockToken } = await this.get();
      const changed: string[] = [];
      const before: Record<string, unknown[]> = {};
      const rules = (webAcl.Rules ?? []).map((r) => {
        const ours = this.rules.find((x) => x.name === r.Name);
        if (!ours || modeOf(r, ours) === mode) return r;
        changed.push(ours.name);
        const managed = r.Statement?.ManagedRuleGroupStatement;
        if (mode === 'armed' && managed && ours.ruleActionOverrides?.length)
          before[ours.name] = structuredClone(managed.RuleActionOverrides ?? []);
        return switched(r, ours, mode, saved[ours.name] as RuleActionOverride[] | undefined);
      });
      const missing = this.rules
        .filter((r) => !webAcl.Rules?.some((x) => x.Name === r.name))
        .map((r) => r.name);
      if (missing.length) throw new Error(`web ACL ${this.acl.name} has no rule named ${missing.join(', ')}`);
      if (!changed.length) return { changed };
      const result = Object.keys(before).length ? { changed, saved: before } : { changed };
      const input = updateInput(webAcl, this.acl, lockToken, rules);
      try {
        await this.throttle();
        await this.client.send(new UpdateWebACLCommand(input));
        return result;
      } catch (err) {
        if ((err as { name?: string }).name !== 'WAFOptimisticLockException' || attempt >= this.lockRetries)
          throw err;
        await this.clock.sleep(Math.floor(Math.random() * 200 * attempt));
      }
    }
  }

  private async get(): Promise<{ webAcl: WebACL; lockToken: string }> {
    const res = await this.client.send(
      new GetWebACLCommand({ Name: this.acl.name, Id: this.acl.id, Scope: this.acl.scope }),
    );
    if (!res.WebACL || !res.LockToken) throw new Error(`web ACL ${this.acl.name} (${this.acl.id}) not found`);
    return { webAcl: res.WebACL, lockToken: res.LockToken };
  }

  private async throttle(): Promise<void> {
    const wait = this.lastUpdateMs + UPDATE_INTERVAL_MS - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
    this.lastUpdateMs = this.clock.now();
  }
}

function isGroup(rule: Rule): boolean {
  return Boolean(rule.Statement?.ManagedRuleGroupStatement || rule.Statement?.RuleGroupReferenceStatement);
}

function modeOf(rule: Rule, ours: SwitchableRule): RuleMode {
  if (isGroup(rule)) {
    if (rule.OverrideAction?.Count) return 'disarmed';
    if (rule.OverrideAction?.None) return 'armed';
    return 'other';
  }
  if (rule.Action?.Count) return 'disarmed';
  if (rule.Action?.[ours.armedAction]) return 'armed';
  return 'other';
}

/**
 * The rule in `mode`. Arming a managed group gives our rules the armed action; disarming puts back the overrides
 * saved at the arm, or, without them (state lost), removes only overrides that are exactly the ones the arm adds.
 */
function switched(
  rule: Rule,
  ours: SwitchableRule,
  mode: 'armed' | 'disarmed',
  saved?: RuleActionOverride[],
): Rule {
  const copy: Rule = structuredClone(rule);
  if (isGroup(copy)) {
    copy.OverrideAction = mode === 'armed' ? { None: {} } : { Count: {} };
    const managed = copy.Statement?.ManagedRuleGroupStatement;
    const names = ours.ruleActionOverrides ?? [];
    if (managed && names.length) {
      const current = managed.RuleActionOverrides ?? [];
      const overrides =
        mode === 'armed'
          ? [
              ...current.filter((o) => !names.includes(o.Name ?? '')),
              ...names.map((name) => ({ Name: name, ActionToUse: { [ours.armedAction]: {} } })),
            ]
          : (saved ?? current.filter((o) => !(names.includes(o.Name ?? '') && isArmedAction(o, ours))));
      if (overrides.length) managed.RuleActionOverrides = structuredClone(overrides);
      else delete managed.RuleActionOverrides;
    }
  } else {
    copy.Action = mode === 'armed' ? { [ours.armedAction]: {} } : { Count: {} };
  }
  return copy;
}

function isArmedAction(o: RuleActionOverride, ours: SwitchableRule): boolean {
  const action = o.ActionToUse ?? {};
  return Object.keys(action).join() === ours.armedAction;
}

/** The UpdateWebACL input: every writable field of the web ACL as read, with the new rule list. */
export function updateInput(
  webAcl: WebACL,
  acl: WebAclRef,
  lockToken: string,
  rules: Rule[],
): UpdateWebACLCommandInput {
  const writable = Object.fromEntries(Object.entries(webAcl).filter(([k]) => !READ_ONLY.has(k)));
  return { ...writable, Rules: rules, Scope: acl.scope, LockToken: lockToken } as UpdateWebACLCommandInput;
}
