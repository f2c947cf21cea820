import type { ShieldConfig, WafRuleConfig } from '../core/config/schema';
import type { Detection, TrafficSample } from '../core/detector';
import { detect, isAttackVerdict, isSignatureRule, learnBaseline, shieldRules } from '../core/detector';
import type { Series } from '../core/series';
import type { ShieldMode, ShieldState, ShieldStep } from '../core/shield-policy';
import { INITIAL_SHIELD_STATE, repairsArming, stepShield } from '../core/shield-policy';
import { uslCapacity } from '../core/usl';
import type { Clock, Log, MetricQuery, Notifier, RuleMode, Telemetry, WafSwitch } from '../ports';
import type { AuditRecord, EventState, StateStore } from '../ports/state';
import { VersionConflictError } from '../ports/state';
import { errorMessage } from '../core/errors';
import type { ShieldEventInput, ShieldHook } from './deps';
import { switchWaf } from './waf-overrides';

/** What the shield controller acts through. */
export interface ShieldDeps {
  readonly shield: ShieldConfig;
  readonly waf: WafSwitch;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly log: Log;
  readonly notifier?: Notifier;
  readonly actor: string;
  /** Verdict and mode as metrics for the dashboard. @default none */
  readonly telemetry?: Telemetry;
  /** How a tick's traffic is judged. @default detect (the replay swaps in baselines such as a naive volume rule) */
  readonly judge?: typeof detect;
}

/** The verdict as a number for dashboards. */
const VERDICT_CODES = { normal: 0, 'flash-crowd': 1, attack: 2, 'attack+capacity': 3 } as const;

/** The series a sample needs at its timestamp; any one missing makes the verdict unknown. */
const JOIN_SERIES = ['joinRequests', 'joinSuccesses', 'joinErrorsCapacity', 'joinErrorsAuth'] as const;

/** Ids of the web ACL queries in the shared GetMetricData call. */
const wafId = (i: number, what: 'counted' | 'blocked') => `waf${i}_${what}`;
/** How long after the rules are armed the web ACL blocks (WAF propagation is well under a minute). */
const BLOCKING_AFTER_MS = 60_000;
const WAF_ALLOWED = 'waf_allowed';
const WAF_BLOCKED = 'waf_blocked';

/** One event's shield step at a tick, with the verdict behind it and whether on-call set the mode by hand. */
interface ShieldTick {
  readonly eventId: string;
  readonly step: ShieldStep;
  readonly detection?: Detection;
  readonly manual: boolean;
}

/**
 * The shield: judges each live event's traffic, arms the WAF rules only on attack signatures, and every tick
 * reconciles the web ACL with the desired mode (re-arming, with an audit, if a deploy or a person reset it).
 */
export class ShieldController implements ShieldHook {
  private readonly rules: WafRuleConfig[];

  constructor(private readonly deps: ShieldDeps) {
    this.rules = shieldRules(deps.shield);
  }

  metricQueries(): { region: string; queries: MetricQuery[] } {
    const acl = this.deps.shield.webAcl;
    const dims = (rule: string) => ({
      WebACL: acl.name,
      Rule: rule,
      ...(acl.scope === 'REGIONAL' ? { Region: acl.region } : {}),
    });
    const q = (id: string, metricName: string, rule: string): MetricQuery => ({
      id,
      namespace: 'AWS/WAFV2',
      metricName,
      dimensions: dims(rule),
      stat: 'Sum',
      periodSeconds: 60,
    });
    const queries = this.rules.flatMap((r, i) => [
      q(wafId(i, 'counted'), 'CountedRequests', r.metricName ?? r.name),
      q(wafId(i, 'blocked'), 'BlockedRequests', r.metricName ?? r.name),
    ]);
    queries.push(q(WAF_ALLOWED, 'AllowedRequests', 'ALL'), q(WAF_BLOCKED, 'BlockedRequests', 'ALL'));
    return { region: acl.region, queries };
  }

  async onTick(input: {
    nowMs: number;
    events: readonly ShieldEventInput[];
    wafData: Map<string, Series>;
    mode: 'active' | 'paused' | 'dry-run';
  }): Promise<{
    extraTasks: Record<string, Record<string, number>>;
    floodSuspected: Record<string, boolean>;
  }> {
    const extraTasks: Record<string, Record<string, number>> = {};
    const floodSuspected: Record<string, boolean> = {};
    const steps: ShieldTick[] = [];
    for (const e of input.events) {
      const read = this.sample(e, input.wafData, input.nowMs);
      const sample = typeof read === 'string' ? undefined : read.sample;
      const previous = (e.eventState.shield as ShieldState | undefined) ?? INITIAL_SHIELD_STATE;
      const detection = sample
        ? (this.deps.judge ?? detect)(sample, previous.baseline, this.deps.shield.detector)
        : undefined;
      const override = e.eventState.shieldOverride;
      const manual = override && override.untilMs > input.nowMs ? { mode: override.mode } : undefined;
      const step = stepShield(
        previous,
        detection && typeof read !== 'string' ? { ...detection, atMs: read.atMs } : undefined,
        input.nowMs,
        this.deps.shield.detector,
        manual,
      );
      let next = step.next;
      // Before doors open, ordinary traffic teaches the baseline (each datapoint once); an event's own surge must not.
      const fresh = typeof read !== 'string' && read.atMs !== previous.lastSampleAtMs;
      if (sample && fresh && detection?.verdict === 'normal' && input.nowMs < e.doorsOpenMs) {
        next = { ...next, baseline: learnBaseline(next.baseline, sample) };
      }
      await this.save(e, next);
      // A datapoint whose period began a minute or more after the rules were armed saw the flood blocked at the
      // web ACL: its capacity errors are listeners waiting, whatever else the verdict reads.
      const blockedThrough =
        previous.mode === 'armed' &&
        previous.armedAtMs !== undefined &&
        typeof read !== 'string' &&
        read.atMs >= previous.armedAtMs + BLOCKING_AFTER_MS;
      floodSuspected[e.eventId] = !blockedThrough && isAttackVerdict(detection?.verdict);
      if (detection) {
        const dims = { Event: e.eventId };
        this.deps.telemetry?.metric('ShieldVerdict', VERDICT_CODES[detection.verdict], 'None', dims);
        this.deps.telemetry?.metric('ShieldArmed', step.desired === 'armed' ? 1 : 0, 'None', dims);
      }
      steps.push({ eventId: e.eventId, step, detection, manual: manual !== undefined });
      if (step.capacityBoost > 0) {
        extraTasks[e.eventId] = Object.fromEntries(
          e.fleets.map((f) => [f.fleetId, Math.ceil((f.runningTasks ?? 0) * step.capacityBoost)]),
        );
      }
      await this.audit({
        atMs: input.nowMs,
        eventId: e.eventId,
        actor: this.deps.actor,
        kind: 'shield',
        action: `verdict:${detection?.verdict ?? 'unknown'}`,
        reason: typeof read === 'string' ? `${read}; ${step.reason}` : step.reason,
        inputs: sample,
        decision: {
          desired: step.desired,
          evidence: detection?.evidence ?? [],
          capacityBoost: step.capacityBoost,
        },
        result: 'ok',
      });
      if (step.announceFlashCrowd) {
        await this.notify(
          `SurgeGuard ${e.eventId}: capacity, not attack: scaling out`,
          `The join surge on ${e.eventId} is an organic flash crowd, not an attack. SurgeGuard is adding capacity and is not blocking anyone.\n\n${evidenceText(detection)}`,
        );
      }
    }
    await this.reconcile(input.nowMs, steps, input.mode);
    return { extraTasks, floodSuspected };
  }

  /**
   * Disarms once no live event wants the shield armed (called when an event ends); a manual arm still in force
   * on a live event keeps it armed.
   */
  async release(
    nowMs: number,
    mode: 'active' | 'paused' | 'dry-run',
    stillLive: readonly EventState[],
    eventId?: string,
  ): Promise<void> {
    const armed = stillLive.some((e) => {
      const manual = e.shieldOverride && e.shieldOverride.untilMs > nowMs ? e.shieldOverride.mode : undefined;
      return (manual ?? (e.shield as ShieldState | undefined)?.mode) === 'armed';
    });
    await this.reconcile(nowMs, [], mode, armed ? 'armed' : 'disarmed', 'the event ended', eventId);
  }

  /**
   * The event's join traffic at the newest join-request datapoint every fleet has, summed over its fleets, or why
   * there is none.
   * A join series without a point at that timestamp makes the sample unknown (a zero would read as a collapse),
   * and so does a datapoint older than `maxSampleAgeSeconds` or the fleets' own freshness, whichever is longer (a
   * metric that stopped advancing).
   */
  private sample(
    e: ShieldEventInput,
    waf: Map<string, Series>,
    nowMs: number,
  ): { sample: TrafficSample; atMs: number } | string {
    const newest = (s?: Series) => s?.at(-1);
    // The newest period every fleet has published: fleets whose metrics land at different delays line up there.
    const t = newestShared(e.fleets.map((f) => f.metrics.joinRequests));
    if (t === undefined) return 'joinRequests: no datapoint';
    const ageS = Math.round((nowMs - t) / 1000);
    const limitS = Math.max(this.deps.shield.detector.maxSampleAgeSeconds, Math.round(e.freshAgeMs / 1000));
    if (ageS > limitS) return `join datapoints are stale (newest ${ageS} s old, limit ${limitS} s)`;
    const sums = { joinRequests: 0, joinSuccesses: 0, joinErrorsCapacity: 0, joinErrorsAuth: 0 };
    let listeners = 0;
    let capacity = 0;
    let capacityKnown = true;
    for (const f of e.fleets) {
      const at = (s?: Series) => s?.find((p) => p.t === t)?.v;
      for (const key of JOIN_SERIES) {
        const v = at(f.metrics[key]);
        if (v === undefined || !Number.isFinite(v) || v < 0)
          return `${key} of ${f.fleetId}: ${v === undefined ? 'missing' : 'invalid'} at ${new Date(t).toISOString()}`;
        sums[key] += v;
      }
      const l = at(f.metrics.listeners);
      // Listeners only feed utilisation: without them it is unknown, not zero.
      if (l === undefined || !Number.isFinite(l) || l < 0) capacityKnown = false;
      else listeners += l;
      if (f.runningTasks === undefined) capacityKnown = false;
      else capacity += uslCapacity(f.model, f.runningTasks);
    }
    const latestOf = (id: string) => newest(waf.get(id))?.v;
    const allowed = latestOf(WAF_ALLOWED);
    const blocked = latestOf(WAF_BLOCKED);
    const signatureMatches: Record<string, number> = {};
    this.rules.forEach((r, i) => {
      if (!isSignatureRule(r)) return;
      const counted = latestOf(wafId(i, 'counted'));
      const ruleBlocked = latestOf(wafId(i, 'blocked'));
      if (counted !== undefined || ruleBlocked !== undefined)
        signatureMatches[r.name] = (counted ?? 0) + (ruleBlocked ?? 0);
    });
    const sample: TrafficSample = {
      ...sums,
      listeners,
      utilisation: capacityKnown && capacity > 0 ? listeners / capacity : null,
      webAclRequests: allowed !== undefined || blocked !== undefined ? (allowed ?? 0) + (blocked ?? 0) : null,
      signatureMatches,
    };
    return { sample, atMs: t };
  }

  private async save(e: ShieldEventInput, next: ShieldState): Promise<void> {
    try {
      await this.deps.state.putEvent(
        { ...e.eventState, shield: next as unknown as Record<string, unknown> },
        e.eventState.version,
      );
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      // On-call changed the event meanwhile (a shift, a hold, a manual mode): their write wins; next tick re-reads.
      this.deps.log.warn('event state changed during the shield tick; keeping the newer state', {
        eventId: e.eventId,
      });
    }
  }

  private async reconcile(
    nowMs: number,
    steps: readonly ShieldTick[],
    mode: string,
    forced?: ShieldMode,
    forcedReason?: string,
    forcedEventId?: string,
  ): Promise<void> {
    const desired: ShieldMode =
      forced ?? (steps.some((s) => s.step.desired === 'armed') ? 'armed' : 'disarmed');
    const trigger =
      steps.find((s) => s.step.desired === desired && s.step.change) ??
      steps.find((s) => s.step.desired === desired);
    const eventId = trigger?.eventId ?? forcedEventId;
    let actual: Record<string, RuleMode>;
    try {
      actual = await this.deps.waf.read();
    } catch (err) {
      this.deps.log.error('GetWebACL failed; the shield holds', { error: errorMessage(err) });
      await this.audit({
        atMs: nowMs,
        eventId,
        actor: this.deps.actor,
        kind: 'shield',
        action: 'read-web-acl',
        reason: 'GetWebACL failed',
        result: 'error',
        error: errorMessage(err),
      });
      return;
    }
    const off = Object.entries(actual).filter(([, m]) => m !== desired);
    if (!off.length) return;
    const changedByUs = forced !== undefined || steps.some((s) => s.step.change);
    const drift = !changedByUs;
    const what = desired === 'armed' ? 'arm' : 'disarm';
    const wanting = steps.filter((s) => s.step.desired === 'armed');
    const attackGone =
      drift &&
      desired === 'armed' &&
      !repairsArming(wanting.map((s) => ({ verdict: s.detection?.verdict, manual: s.manual })));
    const offRules = off.map(([r, m]) => `${r} is ${m}`).join(', ');
    const reason = attackGone
      ? `drift: ${offRules} but the newest datapoint shows no attack: not arming now`
      : drift
        ? `drift: ${offRules} but the desired mode is ${desired}; reconciling`
        : (forcedReason ?? trigger?.step.reason ?? what);
    // Nothing to write: the attack has gone, or automation is not active.
    if (attackGone || mode !== 'active') {
      await this.audit({
        atMs: nowMs,
        eventId,
        actor: this.deps.actor,
        kind: 'shield',
        action: what,
        reason: attackGone ? reason : `${reason}; not applied: automation is ${mode}`,
        result: !attackGone && mode === 'dry-run' ? 'dry-run' : 'skipped',
      });
      return;
    }
    const auditCall = (r: Pick<AuditRecord, 'result' | 'inputs' | 'error'>) =>
      this.audit({
        atMs: nowMs,
        eventId,
        actor: this.deps.actor,
        kind: 'aws-call',
        action: `UpdateWebACL:${what}`,
        reason,
        ...r,
      });
    try {
      const res = await switchWaf(this.deps.waf, this.deps.state, this.deps.log, desired);
      await auditCall({ inputs: { rules: res.changed, before: actual }, result: 'ok' });
      if (!drift || desired === 'armed') {
        await this.notify(
          `SurgeGuard shield ${desired === 'armed' ? 'ARMED' : 'disarmed'}${trigger ? ` (${trigger.eventId})` : ''}`,
          `${desired === 'armed' ? 'Armed' : 'Disarmed'} WAF rules ${res.changed.join(', ')}: ${reason}.\n\n${evidenceText(trigger?.detection)}`,
        );
      }
    } catch (err) {
      this.deps.log.error('UpdateWebACL failed', { desired, error: errorMessage(err) });
      await auditCall({ result: 'error', error: errorMessage(err) });
    }
  }

  private async audit(record: AuditRecord): Promise<void> {
    try {
      await this.deps.state.audit(record);
    } catch (err) {
      this.deps.log.error('audit write failed', { error: errorMessage(err) });
    }
  }

  private async notify(subject: string, message: string): Promise<void> {
    if (!this.deps.notifier) return;
    try {
      await this.deps.notifier.publish(subject, message);
    } catch (err) {
      this.deps.log.error('SNS publish failed', { subject, error: errorMessage(err) });
    }
  }
}

/** The evidence of a verdict in plain words, one signal a line, firing signals first. */
export function evidenceText(d?: Detection): string {
  if (!d) return 'No traffic metrics this tick.';
  const lines = [...d.evidence]
    .sort((a, b) => Number(b.firing) - Number(a.firing))
    .map((e) => `${e.firing ? '[firing] ' : '[ok]     '}${e.text}`);
  return `Verdict: ${d.verdict}\n${lines.join('\n')}`;
}

/** The newest timestamp found in every series (the first series' newest when no timestamp is shared by all). */
function newestShared(series: readonly (Series | undefined)[]): number | undefined {
  const first = series[0];
  if (!first?.length) return undefined;
  const rest = series.slice(1).map((s) => new Set((s ?? []).map((p) => p.t)));
  for (let i = first.length - 1; i >= 0; i--) {
    const t = first[i]!.t;
    if (rest.every((ts) => ts.has(t))) return t;
  }
  return first.at(-1)!.t;
}
