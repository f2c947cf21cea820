/**
 * Faults a scenario injects into the ports SurgeGuard acts through: AWS calls that are throttled, and writes that
 * are applied but whose answer is lost (the Lambda dies after sending, or the response never arrives). Metric faults
 * (`missing`, `stale`) live in {@link SimMetricSource}, which reads the same windows.
 */
import type { WafSwitch } from '../lambda/ports';
import type { StateStore } from '../lambda/ports/state';
import type { FaultKind, FaultTarget, Scenario, ScenarioFault } from './scenario';

/** The scenario part the faults come from. */
export type FaultPlan = Pick<Scenario, 'faults'>;

/** The first fault of `kind` on `target` in effect `relSeconds` after the scheduled start, if any. */
export function activeFault(
  scenario: FaultPlan,
  kind: FaultKind,
  target: FaultTarget,
  relSeconds: number,
): ScenarioFault | undefined {
  return scenario.faults.find(
    (f) =>
      f.kind === kind &&
      f.target === target &&
      relSeconds >= f.fromMinute * 60 &&
      relSeconds < f.toMinute * 60,
  );
}

/** Whether a fault of `kind` on `target` is in effect `relSeconds` after the scheduled start (window end excluded). */
export function faultActive(
  scenario: FaultPlan,
  kind: FaultKind,
  target: FaultTarget,
  relSeconds: number,
): boolean {
  return activeFault(scenario, kind, target, relSeconds) !== undefined;
}

/** The error an AWS API answers when it throttles (the name the SDK gives it, which retry logic keys on). */
export function throttlingError(what: string): Error {
  const err = new Error(`Rate exceeded (${what}, injected by the scenario)`);
  err.name = 'ThrottlingException';
  return err;
}

/** The error of a write whose answer was lost after AWS applied it. */
export function lostAnswerError(what: string): Error {
  const err = new Error(`${what}: socket hang up after the request was sent (injected by the scenario)`);
  err.name = 'TimeoutError';
  return err;
}

/** A state store whose writes (state and audit) are throttled in the scenario's `throttle`/`state` windows. */
export class FaultyStateStore implements StateStore {
  constructor(
    private readonly inner: StateStore,
    private readonly scenario: FaultPlan,
    /** Seconds since the scenario's scheduled start, now. */
    private readonly relSeconds: () => number,
  ) {}

  private check(what: string): void {
    if (faultActive(this.scenario, 'throttle', 'state', this.relSeconds())) throw throttlingError(what);
  }

  getGlobal: StateStore['getGlobal'] = () => this.inner.getGlobal();
  getEvent: StateStore['getEvent'] = (eventId) => this.inner.getEvent(eventId);
  getEvents: StateStore['getEvents'] = (eventIds) => this.inner.getEvents(eventIds);
  getFleet: StateStore['getFleet'] = (eventId, fleetId) => this.inner.getFleet(eventId, fleetId);
  getFleets: StateStore['getFleets'] = (keys) => this.inner.getFleets(keys);
  listAudit: StateStore['listAudit'] = (filter) => this.inner.listAudit(filter);

  putGlobal: StateStore['putGlobal'] = async (next, expectedVersion) => {
    this.check('putGlobal');
    return this.inner.putGlobal(next, expectedVersion);
  };
  putEvent: StateStore['putEvent'] = async (next, expectedVersion) => {
    this.check('putEvent');
    return this.inner.putEvent(next, expectedVersion);
  };
  putFleet: StateStore['putFleet'] = async (next, expectedVersion) => {
    this.check('putFleet');
    return this.inner.putFleet(next, expectedVersion);
  };
  audit: StateStore['audit'] = async (record) => {
    this.check('audit');
    return this.inner.audit(record);
  };
  claimOnce: StateStore['claimOnce'] = async (token, atMs) => {
    this.check('claimOnce');
    return this.inner.claimOnce(token, atMs);
  };
}

/** A WAF switch whose changes are throttled in the scenario's `throttle`/`waf` windows (reads still answer). */
export class FaultyWafSwitch implements WafSwitch {
  constructor(
    private readonly inner: WafSwitch,
    private readonly scenario: FaultPlan,
    /** Seconds since the scenario's scheduled start, now. */
    private readonly relSeconds: () => number,
  ) {}

  read(): ReturnType<WafSwitch['read']> {
    return this.inner.read();
  }

  async apply(...args: Parameters<WafSwitch['apply']>): ReturnType<WafSwitch['apply']> {
    if (faultActive(this.scenario, 'throttle', 'waf', this.relSeconds())) throw throttlingError('waf apply');
    return this.inner.apply(...args);
  }
}

/** Methods of a capacity actuator that only read, and so are never faulted. */
const CAPACITY_READS = new Set<PropertyKey>(['read', 'counts', 'readBackstop']);

/**
 * Wraps any capacity actuator so that every write method (every function but the reads in CAPACITY_READS, whatever
 * the actuator names them) is faulted in the scenario's windows: under `throttle`/`capacity` the write throws a
 * ThrottlingException and is not applied; under `lost-write`/`capacity` the write is applied and then throws, as
 * when the answer is lost. Other properties (and the reads) pass through unchanged.
 */
export function faultyCapacity<T extends object>(inner: T, scenario: FaultPlan, relSeconds: () => number): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || CAPACITY_READS.has(prop)) return value;
      const name = String(prop);
      return async (...args: unknown[]) => {
        const rel = relSeconds();
        if (faultActive(scenario, 'throttle', 'capacity', rel)) throw throttlingError(name);
        const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
        if (faultActive(scenario, 'lost-write', 'capacity', rel)) throw lostAnswerError(name);
        return result;
      };
    },
  });
}
