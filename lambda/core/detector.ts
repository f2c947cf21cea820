import type { DetectorConfig, ShieldConfig, WafRuleConfig } from './config/schema';

/** The shield's verdict on one tick's traffic. */
export type Verdict = 'normal' | 'flash-crowd' | 'attack' | 'attack+capacity';

/** Whether a verdict names an attack (with or without capacity pressure besides). */
export function isAttackVerdict(verdict: Verdict | 'unknown' | undefined): boolean {
  return verdict === 'attack' || verdict === 'attack+capacity';
}

/** One period of join traffic, summed over an event's fleets, with the web ACL's view of it. */
export interface TrafficSample {
  readonly joinRequests: number;
  readonly joinSuccesses: number;
  readonly joinErrorsCapacity: number;
  readonly joinErrorsAuth: number;
  readonly listeners: number;
  /** Listeners over what the running tasks carry; null when unknown. */
  readonly utilisation: number | null;
  /** Requests the web ACL saw (allowed + blocked); null when the web ACL has no data. */
  readonly webAclRequests: number | null;
  /** Matches of each signature rule (its CountedRequests while in Count, BlockedRequests once armed). */
  readonly signatureMatches: Readonly<Record<string, number>>;
}

/** The pre-event picture: ratios, not volumes, because an event is by nature a volume surge. */
export interface Baseline {
  readonly authShare: number;
  readonly successRatio: number;
  readonly signatureShare: Readonly<Record<string, number>>;
  /** Join requests per period before the event (labels volume; never arms). */
  readonly requestsPerPeriod: number;
  /** Samples the baseline has learned from; 0 means defaults. */
  readonly samples: number;
}

/** What a new deployment assumes until it has seen pre-event traffic. */
export const DEFAULT_BASELINE: Baseline = {
  authShare: 0.02,
  successRatio: 0.97,
  signatureShare: {},
  requestsPerPeriod: 0,
  samples: 0,
};
const DEFAULT_SIGNATURE_SHARE = 0.01;

/** One signal behind a verdict: its value, its baseline, the threshold, and whether it fired. */
export interface Evidence {
  readonly signal: string;
  readonly value: number;
  readonly baseline: number;
  readonly threshold: number;
  readonly firing: boolean;
  /** A sentence for people. */
  readonly text: string;
}

/** A verdict with everything that led to it. */
export interface Detection {
  readonly verdict: Verdict;
  readonly evidence: Evidence[];
  /** Capacity errors or utilisation say the fleet is short. */
  readonly capacityPressure: boolean;
}

/** Learns the baseline from a pre-event sample (exponentially weighted); quiet periods teach nothing. */
export function learnBaseline(b: Baseline, s: TrafficSample, weight = 0.2): Baseline {
  if (s.joinRequests < 10) return b;
  const w = b.samples === 0 ? 1 : weight;
  const mix = (old: number, v: number) => old + w * (v - old);
  const shares: Record<string, number> = { ...b.signatureShare };
  const total = s.webAclRequests ?? s.joinRequests;
  for (const [rule, matches] of Object.entries(s.signatureMatches)) {
    if (total > 0) shares[rule] = mix(b.signatureShare[rule] ?? DEFAULT_SIGNATURE_SHARE, matches / total);
  }
  return {
    authShare: mix(b.authShare, s.joinErrorsAuth / s.joinRequests),
    successRatio: mix(b.successRatio, s.joinSuccesses / s.joinRequests),
    signatureShare: shares,
    requestsPerPeriod: mix(b.requestsPerPeriod, s.joinRequests),
    samples: b.samples + 1,
  };
}

/**
 * Tells an organic surge (and the retry storm of failing clients) from an attack.
 *
 * Attack evidence is any of: signature rules matching a share of traffic far above their baseline; auth failures
 * (invalid tokens) dominating requests; successes per request collapsing with no capacity errors to explain it.
 * Volume alone is never evidence: a retry storm multiplies requests exactly as a flood does, but its extra
 * requests fail with capacity errors, carry valid tokens and come from ordinary sources.
 */
export function detect(s: TrafficSample, b: Baseline, cfg: DetectorConfig): Detection {
  const evidence: Evidence[] = [];
  const requests = Math.max(s.joinRequests, 1);
  const total = s.webAclRequests !== null && s.webAclRequests > 0 ? s.webAclRequests : requests;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

  for (const [rule, matches] of Object.entries(s.signatureMatches)) {
    const share = matches / total;
    const base = b.signatureShare[rule] ?? DEFAULT_SIGNATURE_SHARE;
    const threshold = Math.max(base * cfg.signatureShareFactor, base + cfg.signatureShareMargin);
    evidence.push({
      signal: `signature:${rule}`,
      value: share,
      baseline: base,
      threshold,
      firing: share > threshold,
      text: `${rule} matches ${pct(share)} of requests (baseline ${pct(base)}, threshold ${pct(threshold)})`,
    });
  }

  const authShare = s.joinErrorsAuth / requests;
  const authThreshold = Math.max(b.authShare * cfg.authShareFactor, b.authShare + cfg.authShareMargin);
  evidence.push({
    signal: 'auth-failures',
    value: authShare,
    baseline: b.authShare,
    threshold: authThreshold,
    firing: authShare > authThreshold,
    text: `auth failures (invalid tokens) are ${pct(authShare)} of join requests (baseline ${pct(b.authShare)}, threshold ${pct(authThreshold)})`,
  });

  const capacityShare = s.joinErrorsCapacity / requests;
  const capacityPressure =
    capacityShare > cfg.capacityErrorShare || (s.utilisation !== null && s.utilisation >= 0.9);
  evidence.push({
    signal: 'capacity-errors',
    value: capacityShare,
    baseline: 0,
    threshold: cfg.capacityErrorShare,
    firing: capacityPressure,
    text: `capacity errors are ${pct(capacityShare)} of join requests${s.utilisation !== null ? `, fleet utilisation ${pct(s.utilisation)}` : ''}`,
  });

  const successRatio = s.joinSuccesses / requests;
  const collapseThreshold = b.successRatio * cfg.collapseFactor;
  // Capacity errors (or a saturated fleet) explain failing joins; only an unexplained collapse is evidence.
  const explained = capacityShare >= 0.2 || (s.utilisation !== null && s.utilisation >= 0.85);
  const collapsed = s.joinRequests >= 10 && successRatio < collapseThreshold && !explained;
  evidence.push({
    signal: 'success-collapse',
    value: successRatio,
    baseline: b.successRatio,
    threshold: collapseThreshold,
    firing: collapsed,
    text: `${pct(successRatio)} of join requests succeed (baseline ${pct(b.successRatio)}); ${explained ? 'capacity errors explain the failures' : 'no capacity errors explain the failures'}`,
  });

  const volumeFactor = b.requestsPerPeriod > 0 ? s.joinRequests / b.requestsPerPeriod : 0;
  evidence.push({
    signal: 'volume',
    value: volumeFactor,
    baseline: 1,
    threshold: 2,
    firing: volumeFactor > 2,
    text: `join requests at ${volumeFactor.toFixed(1)}x the pre-event rate (volume alone is never attack evidence)`,
  });

  const attack = evidence.some(
    (e) =>
      e.firing &&
      (e.signal.startsWith('signature:') || e.signal === 'auth-failures' || e.signal === 'success-collapse'),
  );
  const volumeUp = volumeFactor > 2;
  const verdict: Verdict = attack
    ? capacityPressure
      ? 'attack+capacity'
      : 'attack'
    : capacityPressure || volumeUp
      ? 'flash-crowd'
      : 'normal';
  return { verdict, evidence, capacityPressure };
}

/** The rules the shield switches: the config's, or the defaults. */
export function shieldRules(shield: ShieldConfig): WafRuleConfig[] {
  if (shield.rules) return shield.rules;
  const base = { armedAction: 'Block' as const, limitPer5Min: 300, vendor: 'AWS' };
  return [
    { ...base, name: 'surgeguard-join-rate-per-ip', kind: 'rate-per-ip', signature: false },
    {
      ...base,
      name: 'surgeguard-ip-reputation',
      kind: 'managed-rule-group',
      group: 'AWSManagedRulesAmazonIpReputationList',
    },
    {
      ...base,
      name: 'surgeguard-anonymous-ip',
      kind: 'managed-rule-group',
      group: 'AWSManagedRulesAnonymousIpList',
    },
    {
      ...base,
      name: 'surgeguard-anti-ddos',
      kind: 'managed-rule-group',
      group: 'AWSManagedRulesAntiDDoSRuleSet',
    },
  ];
}

/** Whether a rule's matches count as attack evidence. */
export function isSignatureRule(rule: WafRuleConfig): boolean {
  return rule.signature ?? rule.kind !== 'rate-per-ip';
}
