import type { InputIssue } from '../issues';
import type { RuntimeConfig } from '../runtime-config';
import type { YamlSource } from './yaml-source';

/** CloudFormation takes at most this many resources in one stack. */
export const CFN_MAX_RESOURCES = 500;
/**
 * Linux's limit on one command-line argument (MAX_ARG_STRLEN). The region's config and plan reach the Lambda
 * bundles as one esbuild `--define` argument; past this the bundler dies with E2BIG.
 */
export const MAX_ARG_BYTES = 131_072;
/** The bound validate holds a region's baked config to: room below MAX_ARG_BYTES for the bundler's other arguments. */
export const BAKED_CONFIG_MAX_BYTES = 96 * 1024;

/**
 * Resources the per-region stack (lib/surgeguard.ts) creates: a fixed part (table, key, topic, queue, the deployment parameter, six
 * functions with roles, logs and invoke configs, the runbook URLs and SSM documents, the schedule group and the
 * fixed alarms), then per event three schedules and a dashboard, per event-fleet pair four alarms (the restore deadline among them), and the managed
 * web ACL's parts. Measured from synthesized templates; test/infra/deployment-limits.test.ts keeps it honest.
 */
export const STACK_RESOURCES = {
  base: 66,
  perEvent: 4,
  perEventFleet: 4,
  managedWebAcl: 1,
  perWebAclAssociation: 1,
  webAclLogging: 1,
} as const;

/** What one region's stack would hold, and the size of the config baked into its bundles. */
export interface RegionFootprint {
  readonly region: string;
  readonly events: number;
  readonly eventFleets: number;
  readonly resources: number;
  readonly bakedConfigBytes: number;
}

/** The footprint of one region's stack, from the region's slice of the runtime config. */
export function regionFootprint(region: string, slice: RuntimeConfig): RegionFootprint {
  const { events, shield } = slice.config;
  const eventFleets = events.reduce((n, e) => n + e.fleets.length, 0);
  const acl = shield?.webAcl;
  const webAcl =
    acl?.mode === 'managed'
      ? STACK_RESOURCES.managedWebAcl +
        acl.associate.length * STACK_RESOURCES.perWebAclAssociation +
        (acl.logDestinationArn ? STACK_RESOURCES.webAclLogging : 0)
      : 0;
  return {
    region,
    events: events.length,
    eventFleets,
    resources:
      STACK_RESOURCES.base +
      events.length * STACK_RESOURCES.perEvent +
      eventFleets * STACK_RESOURCES.perEventFleet +
      webAcl,
    // The bundler receives JSON.stringify of the JSON text: the bytes of that string literal.
    bakedConfigBytes: new TextEncoder().encode(JSON.stringify(JSON.stringify(slice))).length,
  };
}

/**
 * Limits a deployment reaches as the config grows, per region: CloudFormation's resources per stack and the size
 * of the config baked into the bundles. Issues sit at the region's entry and name the limit, the count and the
 * first event past it.
 */
export function deploymentLimitIssues(
  slices: readonly { region: string; runtime: RuntimeConfig }[],
  src: YamlSource,
): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const { region, runtime } of slices) {
    const fp = regionFootprint(region, runtime);
    // Both counts grow with each event: a binary search finds the first event past the limit.
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
    if (fp.resources > CFN_MAX_RESOURCES) {
      const at = firstOver((p) => regionFootprint(region, p).resources > CFN_MAX_RESOURCES);
      issues.push(
        src.issueAt(
          ['regions', region],
          `the ${region} stack would hold ${fp.resources} resources (${STACK_RESOURCES.base} fixed, ${STACK_RESOURCES.perEvent} for each of ${fp.events} events, ${STACK_RESOURCES.perEventFleet} for each of ${fp.eventFleets} event-fleet pairs)${at}; CloudFormation allows at most ${CFN_MAX_RESOURCES} resources per stack. Expected fewer events in ${region}: remove past events or split the config`,
          { key: true },
        ),
      );
    }
    if (fp.bakedConfigBytes > BAKED_CONFIG_MAX_BYTES) {
      const at = firstOver((p) => regionFootprint(region, p).bakedConfigBytes > BAKED_CONFIG_MAX_BYTES);
      issues.push(
        src.issueAt(
          ['regions', region],
          `the config and plan baked into the ${region} Lambda bundles would take ${fp.bakedConfigBytes} bytes${at}; expected at most ${BAKED_CONFIG_MAX_BYTES} (they reach the bundler as one command-line argument, and Linux refuses one over ${MAX_ARG_BYTES} bytes with E2BIG). Expected fewer events in ${region}: remove past events or split the config`,
          { key: true },
        ),
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
