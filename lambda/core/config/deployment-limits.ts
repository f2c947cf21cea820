import { MAX_DOCUMENT_BYTES, bindingsOf } from '../document';
import type { InputIssue } from '../issues';
import type { RuntimeConfig } from '../runtime-config';
import type { YamlSource } from './yaml-source';

/** CloudFormation takes at most this many resources in one stack. */
export const CFN_MAX_RESOURCES = 500;
/** EventBridge Scheduler's default quota of schedules per account and region. */
export const SCHEDULER_MAX_SCHEDULES = 1_000_000;
/** Lambda's limit on a function's environment (keys and values): the stack's bindings are one of its variables. */
export const LAMBDA_ENV_MAX_BYTES = 4096;
/** What the functions' other variables take, at most (ARNs, names), leaving the rest to the bindings. */
const OTHER_ENV_BYTES = 2048;

/**
 * Resources the per-region stack (lib/surgeguard.ts) creates: a fixed part (table, key, topic, queue, the document
 * bucket and its deployment, the deployment parameter, six functions with roles, logs and invoke configs, the
 * runbook URLs and SSM documents, the schedule group and its watch schedule, the dashboard and the fixed alarms),
 * four alarms per fleet, and the managed web ACL's parts. Events add none: they are published data. Measured from
 * synthesized templates; test/infra/deployment-limits.test.ts keeps it honest.
 */
export const STACK_RESOURCES = {
  base: 77,
  perFleet: 4,
  managedWebAcl: 1,
  perWebAclAssociation: 1,
  webAclLogging: 1,
} as const;

/** What one region's deployment holds, and what of it grows with the config. */
export interface RegionFootprint {
  readonly region: string;
  readonly fleets: number;
  readonly events: number;
  readonly resources: number;
  /** Bytes of the region's published document (its config and plan). */
  readonly documentBytes: number;
  /** Prescale and restore schedules the region's events can hold at once. */
  readonly schedules: number;
  /** Bytes of the stack's bindings (fleet services, web ACL) in every function's environment. */
  readonly bindingsEnvBytes: number;
}

/** The footprint of one region's deployment, from the region's slice of the runtime config. */
export function regionFootprint(region: string, slice: RuntimeConfig): RegionFootprint {
  const { events, fleets, shield } = slice.config;
  const acl = shield?.webAcl;
  const webAcl =
    acl?.mode === 'managed'
      ? STACK_RESOURCES.managedWebAcl +
        acl.associate.length * STACK_RESOURCES.perWebAclAssociation +
        (acl.logDestinationArn ? STACK_RESOURCES.webAclLogging : 0)
      : 0;
  return {
    region,
    fleets: fleets.length,
    events: events.length,
    resources: STACK_RESOURCES.base + fleets.length * STACK_RESOURCES.perFleet + webAcl,
    // The document's envelope (format, region, hash, publish time) is a few hundred bytes beside the config.
    documentBytes: new TextEncoder().encode(JSON.stringify(slice)).length + 512,
    schedules: events.length * 2,
    bindingsEnvBytes: new TextEncoder().encode(JSON.stringify(bindingsOf(slice))).length,
  };
}

/**
 * Limits a deployment reaches as the config grows, per region: the published document's size, CloudFormation's
 * resources per stack (fleets), Scheduler's schedules, and the functions' environment. Issues sit at the region's
 * entry and name the limit, the count and, for what grows with events, the first event past it.
 */
export function deploymentLimitIssues(
  slices: readonly { region: string; runtime: RuntimeConfig }[],
  src: YamlSource,
): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const { region, runtime } of slices) {
    const fp = regionFootprint(region, runtime);
    const issue = (message: string) => issues.push(src.issueAt(['regions', region], message, { key: true }));
    // The document grows with each event: a binary search finds the first event past the limit.
    const firstOver = (over: (prefix: RuntimeConfig) => boolean) => {
      const events = runtime.config.events;
      let lo = 1;
      let hi = events.length;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (over(withEvents(runtime, mid))) hi = mid;
        else lo = mid + 1;
      }
      return events.length ? ` (the limit is passed at event "${events[lo - 1]!.id}")` : '';
    };
    if (fp.documentBytes > MAX_DOCUMENT_BYTES) {
      const at = firstOver((p) => regionFootprint(region, p).documentBytes > MAX_DOCUMENT_BYTES);
      issue(
        `the ${region} published document (config and plan) would take ${fp.documentBytes} bytes${at}; expected at most ${MAX_DOCUMENT_BYTES} (every function reads it at a cold start). Expected fewer events in ${region}: remove past events or split the config`,
      );
    }
    if (fp.resources > CFN_MAX_RESOURCES) {
      issue(
        `the ${region} stack would hold ${fp.resources} resources (${STACK_RESOURCES.base} fixed, ${STACK_RESOURCES.perFleet} alarms for each of ${fp.fleets} fleets); CloudFormation allows at most ${CFN_MAX_RESOURCES} resources per stack. Expected fewer fleets in ${region}: split them across two deployments (name prefixes)`,
      );
    }
    if (fp.schedules > SCHEDULER_MAX_SCHEDULES) {
      issue(
        `the ${region} events would need ${fp.schedules} prescale and restore schedules; EventBridge Scheduler allows ${SCHEDULER_MAX_SCHEDULES} per account and region by default. Expected fewer events in ${region}`,
      );
    }
    if (fp.bindingsEnvBytes > LAMBDA_ENV_MAX_BYTES - OTHER_ENV_BYTES) {
      issue(
        `the ${region} fleets' services take ${fp.bindingsEnvBytes} bytes of every function's environment; expected at most ${LAMBDA_ENV_MAX_BYTES - OTHER_ENV_BYTES} (Lambda allows ${LAMBDA_ENV_MAX_BYTES} bytes in all). Expected fewer fleets in ${region}, or shorter ids and names`,
      );
    }
  }
  return issues;
}

/** The slice with only its first `n` events and their plans. */
function withEvents(rc: RuntimeConfig, n: number): RuntimeConfig {
  const events = rc.config.events.slice(0, n);
  const ids = new Set(events.map((e) => e.id));
  return {
    ...rc,
    config: { ...rc.config, events },
    plan: { ...rc.plan, events: rc.plan.events.filter((e) => ids.has(e.id)) },
  };
}
