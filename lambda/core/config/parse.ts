import type { InputIssue } from '../issues';
import { isTimeZone, minutes } from '../time';
import { eventEndMs, eventStartMs } from './event-time';

export { eventEndMs, eventStartMs };
import type { Config, EventConfig } from './schema';
import { configSchema } from './schema';
import type { YamlSource } from './yaml-source';
import { parseYamlSource } from './yaml-source';
import { schemaProblems } from './zod-issues';

/** Result of reading a config text: the config when valid, and every issue found either way. */
export interface ParsedConfig {
  readonly config?: Config;
  /** The config when it passed the schema, even if checks across fields failed: enough to check its files. */
  readonly shape?: Config;
  readonly issues: InputIssue[];
  readonly source: YamlSource;
}

/**
 * Parses and validates the event config text: YAML syntax, the schema (unknown keys are errors), and the
 * checks that span fields: unique ids, fleets that exist, shares that sum to 1, times and quotas that make
 * sense. Files the config names are checked by the loader, which does the I/O.
 */
export function parseConfig(text: string, file: string): ParsedConfig {
  const source = parseYamlSource(text, file);
  if (source.syntaxIssues.length) return { issues: source.syntaxIssues, source };
  if (source.value === null || source.value === undefined) {
    return {
      issues: [
        { file, line: 1, col: 1, path: '', message: 'empty config; expected regions, fleets and events' },
      ],
      source,
    };
  }
  const parsed = configSchema.safeParse(source.value);
  if (!parsed.success) {
    const issues = schemaProblems(parsed.error.issues).map((p) =>
      source.issueAt(p.path, p.message, { key: p.atKey }),
    );
    const reported = new Set(issues.map((x) => x.path));
    issues.push(...referenceChecks(source.value, source).filter((x) => !reported.has(x.path)));
    return { issues: sortIssues(issues), source };
  }
  const issues = crossCheck(parsed.data, source);
  return issues.length
    ? { issues: sortIssues(issues), source, shape: parsed.data }
    : { config: parsed.data, shape: parsed.data, issues, source };
}

/**
 * Checks of ids, references and shares. They read the document structurally, so they also run on a document the
 * schema rejected: one run reports every error.
 */
function referenceChecks(doc: unknown, src: YamlSource): InputIssue[] {
  const issues: InputIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push(src.issueAt(path, message));
  const list = (v: unknown): Record<string, unknown>[] =>
    Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>) : {})) : [];
  const root = doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};

  // Where each id first appears; a later repeat is an error at the repeat.
  const uniqueIds = (items: Record<string, unknown>[], kind: 'fleet' | 'event') => {
    const index = new Map<string, number>();
    const key = `${kind}s`;
    items.forEach((item, i) => {
      if (typeof item.id !== 'string') return;
      const first = index.get(item.id);
      if (first === undefined) index.set(item.id, i);
      else
        at(
          [key, i, 'id'],
          `duplicate ${kind} id "${item.id}" (first at ${key}[${first}]); expected unique ids`,
        );
    });
    return index;
  };
  const fleetIndex = uniqueIds(list(root.fleets), 'fleet');
  const events = list(root.events);
  uniqueIds(events, 'event');
  events.forEach((e, i) => {
    const zone =
      e.start && typeof e.start === 'object' ? (e.start as Record<string, unknown>).zone : undefined;
    if (typeof zone === 'string' && zone && !isTimeZone(zone)) {
      at(
        ['events', i, 'start', 'zone'],
        `unknown time zone "${zone}"; expected an IANA zone such as America/New_York`,
      );
    }
    const fleets = list(e.fleets);
    const seen = new Set<string>();
    fleets.forEach((ef, j) => {
      if (typeof ef.fleet !== 'string') return;
      if (!fleetIndex.has(ef.fleet)) {
        at(
          ['events', i, 'fleets', j, 'fleet'],
          `unknown fleet "${ef.fleet}"; expected one of: ${[...fleetIndex.keys()].join(', ')}`,
        );
      }
      if (seen.has(ef.fleet))
        at(
          ['events', i, 'fleets', j, 'fleet'],
          `fleet "${ef.fleet}" is listed twice; expected each fleet once`,
        );
      seen.add(ef.fleet);
    });
    if (fleets.length && fleets.every((f) => typeof f.share === 'number')) {
      const total = fleets.reduce((sum, f) => sum + (f.share as number), 0);
      if (Math.abs(total - 1) > 1e-6)
        at(['events', i, 'fleets'], `shares sum to ${round(total)}; expected them to sum to 1`);
    }
  });
  return issues;
}

function crossCheck(config: Config, src: YamlSource): InputIssue[] {
  const issues: InputIssue[] = referenceChecks(config, src);
  const at = (path: (string | number)[], message: string) => issues.push(src.issueAt(path, message));

  config.fleets.forEach((f, i) => {
    if (f.baselineTasks > f.maxTasks) {
      at(
        ['fleets', i, 'baselineTasks'],
        `${f.baselineTasks} is above maxTasks ${f.maxTasks}; expected baselineTasks <= maxTasks`,
      );
    }
    if (!config.regions[f.region]) {
      at(
        ['fleets', i, 'region'],
        `no limits for region ${f.region}; expected an entry regions.${f.region}.fargateVcpuQuota`,
      );
    }
  });

  for (const [region, limits] of Object.entries(config.regions)) {
    const baselineVcpu = config.fleets
      .filter((f) => f.region === region)
      .reduce((sum, f) => sum + f.baselineTasks * f.vcpuPerTask, 0);
    if (baselineVcpu > limits.fargateVcpuQuota) {
      at(
        ['regions', region, 'fargateVcpuQuota'],
        `the fleets' baselines already use ${baselineVcpu} vCPU; expected a quota of at least that`,
      );
    }
  }

  config.events.forEach((e, i) => {
    if (e.arrival.fullByMinutes > e.durationMinutes) {
      at(
        ['events', i, 'arrival', 'fullByMinutes'],
        `${e.arrival.fullByMinutes} is after the event ends (${e.durationMinutes} min); expected at most durationMinutes`,
      );
    }
  });

  if (config.shield) {
    const acl = config.shield.webAcl;
    if (acl.mode === 'existing') {
      if (!acl.id) at(['shield', 'webAcl'], 'an existing web ACL needs its id; expected webAcl.id');
      if (!acl.arn) at(['shield', 'webAcl'], 'an existing web ACL needs its ARN; expected webAcl.arn');
      if (!config.shield.rules) {
        at(
          ['shield'],
          'an existing web ACL needs the rules the shield may switch; expected shield.rules naming rules of that web ACL',
        );
      }
    }
    if (acl.scope === 'CLOUDFRONT' && acl.region !== 'us-east-1') {
      at(
        ['shield', 'webAcl', 'region'],
        `a CLOUDFRONT web ACL lives in us-east-1, not ${acl.region}; expected region: us-east-1`,
      );
    }
    if (acl.associate.length && (acl.mode !== 'managed' || acl.scope !== 'REGIONAL')) {
      at(
        ['shield', 'webAcl', 'associate'],
        'only a managed REGIONAL web ACL is associated by SurgeGuard; expected no associate entries',
      );
    }
    const names = new Set<string>();
    (config.shield.rules ?? []).forEach((r, i) => {
      if (names.has(r.name))
        at(['shield', 'rules', i, 'name'], `duplicate rule name "${r.name}"; expected unique names`);
      names.add(r.name);
      if (r.kind === 'custom' && acl.mode === 'managed') {
        at(
          ['shield', 'rules', i, 'kind'],
          'SurgeGuard creates only rate-per-ip and managed-rule-group rules; expected a custom rule only in an existing web ACL',
        );
      }
      if (r.kind === 'managed-rule-group' && !r.group) {
        at(
          ['shield', 'rules', i],
          'a managed-rule-group needs its group; expected group such as AWSManagedRulesAmazonIpReputationList',
        );
      }
    });
  }

  // Two events on one fleet at once would fight over its capacity: each plan assumes the fleet is its own.
  if (issues.length === 0) issues.push(...overlaps(config, src));
  return issues;
}

function overlaps(config: Config, src: YamlSource): InputIssue[] {
  const issues: InputIssue[] = [];
  const windows = config.events.map((e) => ({
    from: eventStartMs(e) - minutes(e.arrival.earlyMinutes + e.safetyMarginMinutes),
    to: eventEndMs(e) + minutes(e.tailMinutes),
  }));
  config.events.forEach((e, i) => {
    for (let k = 0; k < i; k++) {
      const other = config.events[k] as EventConfig;
      const a = windows[i] as { from: number; to: number };
      const b = windows[k] as { from: number; to: number };
      if (a.from >= b.to || b.from >= a.to) continue;
      const shared = e.fleets.map((f) => f.fleet).filter((id) => other.fleets.some((o) => o.fleet === id));
      if (shared.length) {
        issues.push(
          src.issueAt(
            ['events', i, 'start'],
            `overlaps event "${other.id}" on fleet ${shared.join(', ')}; expected events on one fleet not to overlap (merge them into one event or give each its own fleet)`,
          ),
        );
      }
    }
  });
  return issues;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** Orders issues by position so the output reads top to bottom like the file. */
export function sortIssues(issues: InputIssue[]): InputIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
