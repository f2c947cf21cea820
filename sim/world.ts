import type { Datapoint } from '../lambda/core/series';
import { uslCapacity } from '../lambda/core/usl';
import type { FleetTruth, Scenario, ScenarioAttack, ScenarioFleet } from './scenario';
import { TaskLoads } from './task-loads';

/** The app metrics the world publishes per fleet (the names the SurgeGuard config gives them). */
export const APP_METRICS = [
  'listeners',
  'joinRequests',
  'joinSuccesses',
  'joinErrorsCapacity',
  'joinErrorsAuth',
  'cpu',
  'runningTasks',
  'pendingTasks',
] as const;
export type AppMetric = (typeof APP_METRICS)[number];

/** The WAF rules the world models, by what they match. */
export type RuleKind = 'rate-per-ip' | 'ip-reputation' | 'anonymous-ip' | 'anti-ddos';

/** A WAF rule in the world. */
export interface WorldRule {
  readonly name: string;
  readonly kind: RuleKind;
}

/** One second of what happened, for charts. */
export interface Frame {
  readonly t: number;
  readonly demand: number;
  readonly served: number;
  readonly capacity: number;
  readonly desired: number;
  /** The ceiling SurgeGuard holds (MaxCapacity, summed over fleets) while it holds one below max tasks. */
  readonly ceiling?: number;
  readonly running: number;
  readonly pending: number;
  readonly capacityErrors: number;
  readonly authErrors: number;
  readonly blockedLegit: number;
  readonly blockedFlood: number;
  readonly wafArmed: boolean;
}

/** Listeners a task carries, at most, that count as none (the model's listeners are a fluid, real ones whole). */
const EMPTY_TASK = 0.5;

/** Share of overload a fleet bears before it drops connected listeners. */
const DROP_MARGIN = 0.05;
/** The CPU percent a task of the world runs at when it carries its capacity (LiveKit: 3,000 subscribers at 80%). */
export const CPU_AT_CAPACITY = 80;
/** Legitimate joins that fail auth (expired tokens and the like): background noise of the auth-error metric. */
const LEGIT_AUTH_NOISE = 0.005;
/** Deterministic start-up jitter: launches of one second become ready spread over these multiples of start-up. */
const STARTUP_SPREAD = [0.9, 0.95, 1.0, 1.05, 1.1];

/** Tasks stopped together while draining, with the listeners they still carry. */
interface DrainCohort {
  tasks: number;
  listeners: number;
  /** Second the drain began. */
  readonly since: number;
}

/**
 * One fleet of the world: tasks, connected listeners, and the clients trying to get in.
 *
 * Listeners stay on the task they joined ({@link TaskLoads}): the SFU places each join on the least-loaded task that
 * takes joins, so a task launched after the audience came is empty until new joins come, and a listener who leaves
 * is as likely to leave any task. Scale-in without a drain stops tasks whatever they carry (ECS does not know) and
 * drops their listeners, who go to the retry wheel like any failed client. A fleet in `drain` mode (ECS task
 * scale-in protection plus the SFU's drain signal) stops released tasks first, then empty ones, at once (they are
 * not protected); a task that carries listeners moves to `draining`: it takes no new joins, keeps the listeners it
 * has and still forwards the room's streams (so it adds to the contention: the tasks that take joins carry what a
 * task of the whole running fleet does), listeners who leave the event leave from draining tasks first (the oldest
 * drain first), and a draining task stops when it is empty or after {@link WorldFleet.MAX_DRAIN_SECONDS}, when the
 * listeners still on it are dropped into retry. A task whose protection the controller released stops at once with
 * its listeners.
 * Draining tasks are running tasks: they count in `running`, in task-hours and, as ECS counts them, towards the
 * desired count, so a scale-out takes draining tasks back (they take joins again, with the listeners they kept)
 * before it launches new ones.
 */

export class WorldFleet {
  /**
   * Longest a draining task is kept before it is stopped with whatever listeners it still carries: 48 hours, the
   * longest expiry ECS takes for task scale-in protection (the SFU renews it while it carries listeners).
   */
  static readonly MAX_DRAIN_SECONDS = 2880 * 60;
  /** Running tasks, draining ones included (what ECS reports and what is paid for). */
  running: number;
  pendingTotal = 0;
  /** What ECS is asked to run. */
  desired: number;
  /** Clients who gave up and would still be in the audience (a share of those who leave it, as it shrinks). */
  lost = 0;
  /** Clients who gave up trying to join, all told. */
  abandoned = 0;
  /** Listeners on each task that takes joins. */
  private readonly loads = new TaskLoads();
  private lastDemand = 0;
  /** Whether scale-in drains tasks that carry listeners instead of stopping them at once. */
  drain = false;
  /** Tasks that take joins whose protection the controller released: the next scale-in stops them at once. */
  released = 0;
  /** Listeners dropped so far because the task they were on was stopped. */
  droppedByScaleIn = 0;
  private readonly drainCohorts: DrainCohort[] = [];
  /** Retry wheels: wheel[k][t % H] listeners whose (k+1)-th attempt is due at second t. */
  private readonly wheel: Float64Array[];
  private readonly wheelSize: number;
  private waitingTotal = 0;
  private readonly readyAt = new Map<number, number>();
  private launchedThisMinute = 0;
  private minuteOf = -1;
  readonly metricStore = new Map<AppMetric, Datapoint[]>();
  private acc = newAccumulator();

  constructor(
    readonly config: ScenarioFleet,
    readonly truth: FleetTruth,
    private readonly clients: Scenario['clients'],
  ) {
    this.running = config.baselineTasks;
    this.desired = config.baselineTasks;
    this.loads.add(config.baselineTasks, 0);
    this.wheelSize = Math.ceil(clients.retryCapSeconds) + 2;
    this.wheel = Array.from({ length: clients.abandonAfterFailures }, () => new Float64Array(this.wheelSize));
    for (const m of APP_METRICS) this.metricStore.set(m, []);
  }

  /** Running tasks that are draining. */
  get draining(): number {
    return this.drainCohorts.reduce((sum, c) => sum + c.tasks, 0);
  }

  /** Listeners on draining tasks. */
  get drainingListeners(): number {
    return this.drainCohorts.reduce((sum, c) => sum + c.listeners, 0);
  }

  /** Listeners connected, on draining tasks included. */
  get connected(): number {
    return this.loads.listeners + this.drainingListeners;
  }

  /** Running tasks that take joins. */
  active(): number {
    return this.running - this.draining;
  }

  /**
   * Listeners the tasks that take joins carry at most (draining tasks keep theirs on top). Draining tasks still
   * forward the room's streams, so they add to the fleet's contention: each task that takes joins carries what a task
   * of the whole running fleet does.
   */
  capacity(): number {
    const active = this.active();
    if (active <= 0) return 0;
    return (uslCapacity(this.truth, this.running) * active) / this.running;
  }

  /**
   * Releases the protection of `k` running tasks: draining ones first, which ECS stops at once (they run past the
   * desired count), then tasks that take joins, which the next scale-in stops at once. Either drops its listeners.
   */
  release(t: number, k: number): number {
    if (!Number.isFinite(k)) return 0;
    const asked = Math.max(0, Math.floor(k));
    const drained = this.takeFromDrains(asked);
    this.stop(t, drained.tasks, drained.listeners);
    const before = this.released;
    this.released = Math.min(this.active(), this.released + asked - drained.tasks);
    return drained.tasks + (this.released - before);
  }

  /** Stops drains that are empty or have run out of time; drops what the latter still carried into retry. */
  private endDrains(t: number): void {
    for (let i = this.drainCohorts.length - 1; i >= 0; i--) {
      const c = this.drainCohorts[i]!;
      const empty = c.listeners < EMPTY_TASK * c.tasks;
      if (!empty && t - c.since < WorldFleet.MAX_DRAIN_SECONDS) continue;
      this.drainCohorts.splice(i, 1);
      if (empty) this.stopEmpty(t, c.tasks, c.listeners);
      else this.stop(t, c.tasks, c.listeners);
    }
  }

  /**
   * Stops `k` tasks that take joins. Without a drain ECS picks them whatever they carry. With one, released tasks
   * stop first (ECS picks those too), then empty ones at once (they are not protected); the rest drain, as many of
   * the tasks that carry listeners, whatever they carry: the SFU drains what the count asks, and the tasks filled
   * when the fleet was smaller carry more than a task of the grown fleet would, so draining only the lightest would
   * leave the tasks that take joins fuller than the fleet's curve allows.
   */
  private stopTasks(t: number, k: number): void {
    const active = this.active();
    if (k <= 0 || active <= 0) return;
    const atOnce = this.drain ? Math.min(k, this.released) : k;
    this.released = Math.max(0, Math.min(this.released - atOnce, active - k));
    this.stop(t, atOnce, this.loads.takeAny(atOnce));
    const empty = this.loads.takeEmpty(k - atOnce, EMPTY_TASK);
    this.stopEmpty(t, empty.tasks, empty.listeners);
    const rest = k - atOnce - empty.tasks;
    if (rest > 0) this.drainCohorts.push({ tasks: rest, listeners: this.loads.takeAny(rest), since: t });
  }

  /**
   * Stops `tasks` empty tasks (under {@link EMPTY_TASK} listeners each, `crumbs` in all). Listeners are whole, so the
   * crumbs the model spread over them were on the tasks that stay (with none left, they are dropped into retry).
   */
  private stopEmpty(t: number, tasks: number, crumbs: number): void {
    const kept = this.loads.tasks > 0;
    this.stop(t, tasks, kept ? 0 : crumbs);
    if (kept) this.loads.fill(crumbs);
  }

  /** Stops `tasks` running tasks, taken out of the loads or the drains already, with the `listeners` they carried. */
  private stop(t: number, tasks: number, listeners: number): void {
    if (tasks <= 0) return;
    this.running -= tasks;
    this.requeue(t, listeners);
    this.droppedByScaleIn += listeners;
  }

  /**
   * Takes up to `k` tasks out of the drains, the newest drains first, with their share of each drain's listeners: a
   * scale-out takes them back (they take joins again, the listeners staying), a release stops them.
   */
  private takeFromDrains(k: number): { tasks: number; listeners: number } {
    let tasks = 0;
    let listeners = 0;
    for (let i = this.drainCohorts.length - 1; i >= 0 && tasks < k; i--) {
      const c = this.drainCohorts[i]!;
      const n = Math.min(k - tasks, c.tasks);
      const theirs = (c.listeners * n) / c.tasks;
      c.tasks -= n;
      c.listeners -= theirs;
      if (c.tasks <= 0) this.drainCohorts.splice(i, 1);
      tasks += n;
      listeners += theirs;
    }
    return { tasks, listeners };
  }

  /** Puts listeners who lost their connection back in the retry wheel, spread over the first retry interval. */
  private requeue(t: number, listeners: number): void {
    if (listeners <= 0) return;
    const H = this.wheelSize;
    const spread = Math.max(1, Math.round(this.clients.retryBaseSeconds));
    for (let d = 1; d <= spread; d++) this.wheel[0]![(t + d) % H]! += listeners / spread;
    this.waitingTotal += listeners;
  }

  /** Moves the fleet's tasks one second: launches within the rate and quota, readies pending, stops surplus. */
  stepTasks(t: number, vcpuRoom: number): void {
    this.endDrains(t);
    const ready = this.readyAt.get(t);
    if (ready) {
      this.running += ready;
      this.loads.add(ready, 0);
      this.pendingTotal -= ready;
      this.readyAt.delete(t);
    }
    const target = Math.max(0, Math.min(this.desired, this.config.maxTasks));
    // ECS counts every running task towards the desired count, draining ones too: a scale-out takes drains back
    // (newest first) before it launches anything, and they take joins again with the listeners they kept.
    const back = this.takeFromDrains(target - this.active() - this.pendingTotal);
    if (back.tasks > 0) this.loads.add(back.tasks, back.listeners / back.tasks);
    const have = this.active() + this.pendingTotal;
    const minute = Math.floor(t / 60);
    if (minute !== this.minuteOf) {
      this.minuteOf = minute;
      this.launchedThisMinute = 0;
    }
    if (target > have) {
      const byRate = this.config.launchRatePerMinute - this.launchedThisMinute;
      const byQuota = Math.floor(vcpuRoom / this.config.vcpuPerTask);
      const launch = Math.max(0, Math.min(target - have, byRate, byQuota));
      if (launch > 0) {
        this.launchedThisMinute += launch;
        this.pendingTotal += launch;
        // Spread the launch over the start-up jitter, keeping whole tasks.
        let left = launch;
        STARTUP_SPREAD.forEach((f, i) => {
          const n = i === STARTUP_SPREAD.length - 1 ? left : Math.floor(launch / STARTUP_SPREAD.length);
          left -= n;
          if (n > 0) {
            const at = t + Math.max(1, Math.round(this.config.startupSeconds * f));
            this.readyAt.set(at, (this.readyAt.get(at) ?? 0) + n);
          }
        });
      }
    } else if (target < have) {
      let surplus = have - target;
      // Cancel the launches furthest from ready first, then stop running tasks.
      const pendingTimes = [...this.readyAt.keys()].sort((a, b) => b - a);
      for (const at of pendingTimes) {
        if (surplus <= 0) break;
        const n = this.readyAt.get(at) ?? 0;
        const cut = Math.min(n, surplus);
        this.readyAt.set(at, n - cut);
        this.pendingTotal -= cut;
        surplus -= cut;
      }
      this.stopTasks(t, Math.min(this.active(), surplus));
    }
  }

  /**
   * Moves the clients one second: arrivals and leavers follow demand, due attempts are made, WAF blocks what it
   * blocks, the signalling path and the listener capacity decide who gets in, and failures back off or give up.
   */
  stepClients(t: number, demand: number, waf: WafView, flood: FloodView): ClientStep {
    const H = this.wheelSize;
    const slot = t % H;
    // Listeners come and go while the audience holds: each stays `meanSessionMinutes` on average, from any task, and
    // someone new takes the place (the demand curve counts the people present, not the same people).
    const session = this.clients.meanSessionMinutes;
    if (session) {
      const share = 1 / (session * 60);
      for (const c of this.drainCohorts) c.listeners -= c.listeners * share;
      this.loads.shed(this.loads.listeners * share);
    }
    // Those who gave up leave the audience as everyone does: a shrinking audience takes its share of them too.
    if (demand < this.lastDemand) this.lost *= demand / this.lastDemand;
    this.lastDemand = demand;
    const wanting = Math.max(0, demand - this.lost);
    const present = this.connected + this.waitingTotal;
    let leftBeforeJoining = 0;
    if (wanting > present) {
      this.wheel[0]![slot]! += wanting - present;
      this.waitingTotal += wanting - present;
    } else if (wanting < present) {
      let leave = present - wanting;
      if (this.waitingTotal > 0) {
        const fromWaiting = Math.min(leave, this.waitingTotal);
        const keep = 1 - fromWaiting / this.waitingTotal;
        for (const w of this.wheel) for (let i = 0; i < H; i++) w[i]! *= keep;
        this.waitingTotal -= fromWaiting;
        leftBeforeJoining = fromWaiting;
        leave -= fromWaiting;
      }
      // Leavers leave draining tasks first, so drains empty and stop.
      for (const c of this.drainCohorts) {
        const fromDrain = Math.min(leave, c.listeners);
        c.listeners -= fromDrain;
        leave -= fromDrain;
      }
      this.loads.shed(leave);
    }

    // Attempts due now, by failures so far.
    const k = this.wheel.length;
    const attempts = new Float64Array(k);
    let attemptsTotal = 0;
    for (let i = 0; i < k; i++) {
      attempts[i] = this.wheel[i]![slot]!;
      this.wheel[i]![slot] = 0;
      attemptsTotal += attempts[i]!;
    }
    this.waitingTotal -= attemptsTotal;

    // WAF on legitimate attempts: the anonymous-IP list and, for retrying clients behind shared IPs, the rate rule.
    const rpl = this.clients.joinRequestsPerListener;
    const reachShare = new Float64Array(k);
    let legitReq = 0;
    let legitBlockedReq = 0;
    const legitMatches: Record<string, number> = {};
    for (let i = 0; i < k; i++) {
      const a = attempts[i]! * rpl;
      if (a === 0) {
        reachShare[i] = 1;
        continue;
      }
      let pass = 1;
      for (const rule of waf.rules) {
        const match = legitMatchShare(rule.kind, i, this.clients, waf.ratePerIpLimitPer5Min);
        if (match > 0) legitMatches[rule.name] = (legitMatches[rule.name] ?? 0) + a * match;
        if (match > 0 && waf.armed(rule.name)) pass *= 1 - match;
      }
      reachShare[i] = pass;
      legitReq += a;
      legitBlockedReq += a * (1 - pass);
    }
    const legitReachReq = legitReq - legitBlockedReq;
    const floodReachReq = flood.requests - flood.blocked;

    // Signalling: the fleet processes so many join requests a second; the rest fail as capacity errors.
    const signalling = this.truth.joinsPerTaskPerSecond * this.active();
    const reaching = legitReachReq + floodReachReq;
    const processedShare = reaching > 0 ? Math.min(1, signalling / reaching) : 1;
    const legitProcessedListeners = (legitReachReq / rpl) * processedShare;
    const cap = this.capacity();
    const room = Math.max(0, cap - this.loads.listeners);
    const admitted = Math.min(legitProcessedListeners, room);
    const roomShare = legitProcessedListeners > 0 ? admitted / legitProcessedListeners : 0;
    this.loads.fill(admitted);

    // Failures back off with full jitter (spread evenly over the interval: deterministic) or give up.
    for (let i = 0; i < k; i++) {
      const a = attempts[i]!;
      if (a === 0) continue;
      const failed = a - a * reachShare[i]! * processedShare * roomShare;
      if (failed <= 1e-9) continue;
      const next = i + 1;
      if (next >= k) {
        this.lost += failed;
        this.abandoned += failed;
        continue;
      }
      const interval = Math.max(
        1,
        Math.round(Math.min(this.clients.retryCapSeconds, this.clients.retryBaseSeconds * 2 ** i)),
      );
      const per = failed / interval;
      const w = this.wheel[next]!;
      for (let d = 1; d <= interval; d++) w[(t + d) % H]! += per;
      this.waitingTotal += failed;
    }

    // Overload beyond a margin drops connected listeners, who try to join again.
    let dropped = 0;
    const onActive = this.loads.listeners;
    if (onActive > cap * (1 + DROP_MARGIN)) {
      dropped = onActive - cap;
      this.loads.shed(dropped);
      this.requeue(t, dropped);
    }

    const legitProcessedReq = legitReachReq * processedShare;
    const capacityErrors = legitReachReq - admitted * rpl + floodReachReq * (1 - processedShare);
    const floodProcessed = floodReachReq * processedShare;
    const authErrors = floodProcessed * (1 - flood.validTokenFraction) + legitProcessedReq * LEGIT_AUTH_NOISE;
    const successes = admitted * rpl + floodProcessed * flood.validTokenFraction;
    const cpu = Math.min(
      100,
      (CPU_AT_CAPACITY * this.loads.listeners) / Math.max(cap, 1) +
        20 * Math.min(1, reaching / Math.max(signalling, 1)),
    );
    return {
      legitRequests: legitReq,
      legitBlocked: legitBlockedReq,
      legitMatches,
      legitAdmitted: admitted * rpl,
      reaching,
      successes,
      capacityErrors: Math.max(0, capacityErrors),
      authErrors,
      cpu: this.active() > 0 ? cpu : 100,
      dropped,
      leftBeforeJoining,
    };
  }

  /** Adds one second to the metric period, publishing a datapoint when the period ends. */
  record(t: number, periodSeconds: number, step: ClientStep): void {
    const a = this.acc;
    a.listeners = Math.max(a.listeners, this.connected);
    a.joinRequests += step.reaching;
    a.joinSuccesses += step.successes;
    a.joinErrorsCapacity += step.capacityErrors;
    a.joinErrorsAuth += step.authErrors;
    a.cpu += step.cpu;
    a.runningTasks = this.running;
    a.pendingTasks = this.pendingTotal;
    a.seconds++;
    if ((t + 1) % periodSeconds === 0) {
      const start = t + 1 - periodSeconds;
      const put = (m: AppMetric, v: number) => this.metricStore.get(m)!.push({ t: start, v });
      put('listeners', a.listeners);
      put('joinRequests', a.joinRequests);
      put('joinSuccesses', a.joinSuccesses);
      put('joinErrorsCapacity', a.joinErrorsCapacity);
      put('joinErrorsAuth', a.joinErrorsAuth);
      put('cpu', a.cpu / Math.max(1, a.seconds));
      put('runningTasks', a.runningTasks);
      put('pendingTasks', a.pendingTasks);
      this.acc = newAccumulator();
    }
  }
}

function newAccumulator() {
  return {
    listeners: 0,
    joinRequests: 0,
    joinSuccesses: 0,
    joinErrorsCapacity: 0,
    joinErrorsAuth: 0,
    cpu: 0,
    runningTasks: 0,
    pendingTasks: 0,
    seconds: 0,
  };
}

/** What one fleet's clients did in one second. */
export interface ClientStep {
  readonly legitRequests: number;
  readonly legitBlocked: number;
  readonly legitMatches: Record<string, number>;
  /** Legitimate join requests that got in. */
  readonly legitAdmitted: number;
  readonly reaching: number;
  readonly successes: number;
  readonly capacityErrors: number;
  readonly authErrors: number;
  readonly cpu: number;
  readonly dropped: number;
  readonly leftBeforeJoining: number;
}

/** The WAF as the clients meet it this second. */
export interface WafView {
  readonly rules: readonly WorldRule[];
  readonly ratePerIpLimitPer5Min: number;
  armed(rule: string): boolean;
}

/** The flood's share of one fleet this second. */
export interface FloodView {
  readonly requests: number;
  readonly blocked: number;
  readonly validTokenFraction: number;
}

/**
 * Share of a legitimate retry bucket a rule matches. Listeners share IPs behind NAT (carrier-grade NAT puts many
 * behind one address), and every retry adds to the address's count: a retry storm raises per-IP rates, which is
 * what makes a per-IP rate rule block legitimate listeners.
 */
export function legitMatchShare(
  kind: RuleKind,
  failures: number,
  clients: Scenario['clients'],
  limitPer5Min: number,
): number {
  if (kind === 'anonymous-ip') return clients.anonymousFraction;
  if (kind !== 'rate-per-ip') return 0;
  // Within five minutes a client that has failed k times has sent about k + 1 join requests.
  const perIpPer5Min = clients.listenersPerIp * clients.joinRequestsPerListener * (failures + 1);
  return perIpPer5Min > limitPer5Min ? 1 : 0;
}

/** Share of flood requests a rule matches. */
export function floodMatchShare(kind: RuleKind, a: ScenarioAttack, limitPer5Min: number): number {
  switch (kind) {
    case 'rate-per-ip':
      return (a.requestsPerSecond * 300) / a.sourceIps > limitPer5Min ? 1 : 0;
    case 'ip-reputation':
      return a.reputationListedFraction;
    case 'anonymous-ip':
      return a.anonymousFraction;
    case 'anti-ddos':
      // The managed group labels the requests of a detected event that do not look like ordinary clients.
      return 1 - a.validTokenFraction;
  }
}

/** WAF state of the world: each rule's configured mode and when a change takes effect. */
export class WorldWaf {
  private readonly mode = new Map<string, 'armed' | 'disarmed'>();
  private readonly effectiveAt = new Map<string, number>();
  private readonly previous = new Map<string, 'armed' | 'disarmed'>();
  /** Seconds (relative to start) at which any rule became effectively armed. */
  firstArmedAt: number | null = null;
  switches = 0;

  constructor(
    readonly rules: readonly WorldRule[],
    readonly propagationSeconds: number,
    readonly ratePerIpLimitPer5Min: number,
    initial: 'armed' | 'disarmed' = 'disarmed',
  ) {
    for (const r of rules) {
      this.mode.set(r.name, initial);
      this.previous.set(r.name, initial);
      this.effectiveAt.set(r.name, -Infinity);
    }
  }

  configured(rule: string): 'armed' | 'disarmed' | undefined {
    return this.mode.get(rule);
  }

  /** Sets a rule's mode at second t; it takes effect after propagation. */
  set(rule: string, mode: 'armed' | 'disarmed', t: number): void {
    if (this.mode.get(rule) === mode) return;
    this.previous.set(rule, this.effectiveMode(rule, t));
    this.mode.set(rule, mode);
    this.effectiveAt.set(rule, t + this.propagationSeconds);
    this.switches++;
  }

  effectiveMode(rule: string, t: number): 'armed' | 'disarmed' {
    return t >= (this.effectiveAt.get(rule) ?? -Infinity)
      ? (this.mode.get(rule) ?? 'disarmed')
      : (this.previous.get(rule) ?? 'disarmed');
  }

  /** The WAF as clients meet it at second t. */
  view(t: number): WafView {
    return {
      rules: this.rules,
      ratePerIpLimitPer5Min: this.ratePerIpLimitPer5Min,
      armed: (r) => this.effectiveMode(r, t) === 'armed',
    };
  }

  anyArmed(t: number): boolean {
    return this.rules.some((r) => this.effectiveMode(r.name, t) === 'armed');
  }
}
