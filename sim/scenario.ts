import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { METRIC_KEYS } from '../lambda/controller/metric-queries';
import { parseYamlSource } from '../lambda/core/config/yaml-source';
import { schemaProblems } from '../lambda/core/config/zod-issues';
import type { InputIssue } from '../lambda/core/issues';
import { InputError } from '../lambda/core/issues';
import type { ScalingPoint } from '../lambda/core/scaling-test';
import { analyzeScalingTest, cpuAtCapacityOf, parseScalingTest } from '../lambda/core/scaling-test';
import type { CapacityModel } from '../lambda/core/usl';
import { fitUsl } from '../lambda/core/usl';
import { readText } from '../lambda/adapters/config-file';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { error: 'expected lowercase letters, digits and dashes' });
const row = z.strictObject({
  tasks: z.number().int().min(1),
  listeners: z.number().min(0),
  joinErrorRate: z.number().min(0).max(1).optional(),
  p95JoinMs: z.number().min(0).optional(),
  cpu: z.number().min(0).max(100).optional(),
});

const fleet = z.strictObject({
  id,
  share: z.number().gt(0).max(1),
  region: z.string().default('us-east-1'),
  baselineTasks: z.number().int().min(0),
  maxTasks: z.number().int().min(1).max(5000),
  vcpuPerTask: z.union(
    [z.literal(0.25), z.literal(0.5), z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16)],
    {
      error: 'expected a Fargate task size: 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU',
    },
  ),
  startupSeconds: z.number().positive().max(3600),
  launchRatePerMinute: z.number().int().min(1).max(500).default(500),
  scalingTest: z.union([z.string().min(1), z.array(row).min(1)], {
    error: 'expected a path to a scaling-test file, or inline rows [{ tasks, listeners }]',
  }),
  truth: z
    .strictObject({
      listenersPerTask: z.number().positive().optional(),
      sigma: z.number().min(0).optional(),
      kappa: z.number().min(0).optional(),
      joinsPerTaskPerSecond: z.number().positive().optional(),
    })
    .optional(),
});

const attack = z.strictObject({
  fromMinute: z.number(),
  toMinute: z.number(),
  requestsPerSecond: z.number().positive(),
  sourceIps: z.number().int().positive(),
  validTokenFraction: z.number().min(0).max(1).default(0),
  reputationListedFraction: z.number().min(0).max(1).default(0),
  anonymousFraction: z.number().min(0).max(1).default(0),
});

/** The app metrics a `missing` or `stale` fault can hit: every metric the watch reads. */
export const FAULT_METRICS = METRIC_KEYS;
/** The targets each fault kind takes. */
export const FAULT_TARGETS = {
  missing: FAULT_METRICS,
  stale: FAULT_METRICS,
  'lost-write': ['capacity'],
  throttle: ['capacity', 'waf', 'state'],
} as const;
export type FaultKind = keyof typeof FAULT_TARGETS;
export type FaultTarget = (typeof FAULT_TARGETS)[FaultKind][number];

const fault = z.strictObject({
  fromMinute: z.number(),
  toMinute: z.number(),
  kind: z.enum(Object.keys(FAULT_TARGETS) as [FaultKind, ...FaultKind[]]),
  target: z.enum([...new Set(Object.values(FAULT_TARGETS).flat())] as [FaultTarget, ...FaultTarget[]]),
});

/** The replay scenario file's schema. */
export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  start: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time such as 2024-08-13T00:00:00Z' }),
  durationMinutes: z.number().int().min(1).max(1440),
  tickSeconds: z.number().int().min(5).max(60).default(20),
  forecast: z.strictObject({
    peakListeners: z.number().int().positive(),
    headroom: z.number().min(0).max(5).default(0.3),
    earlyMinutes: z.number().min(0).max(240).default(15),
    fullByMinutes: z.number().min(0).max(240).default(10),
  }),
  fleets: z.array(fleet).min(1),
  demand: z.array(z.tuple([z.number(), z.number().min(0)], { error: 'expected [minute, listeners]' })).min(2),
  clients: z
    .strictObject({
      retryBaseSeconds: z.number().positive().default(2),
      retryCapSeconds: z.number().positive().default(60),
      abandonAfterFailures: z.number().int().min(1).max(30).default(8),
      listenersPerIp: z.number().positive().default(3),
      anonymousFraction: z.number().min(0).max(1).default(0.002),
      joinRequestsPerListener: z.number().min(1).default(1),
      meanSessionMinutes: z.number().positive().optional(),
    })
    .default({
      retryBaseSeconds: 2,
      retryCapSeconds: 60,
      abandonAfterFailures: 8,
      listenersPerIp: 3,
      anonymousFraction: 0.002,
      joinRequestsPerListener: 1,
    }),
  attacks: z.array(attack).default([]),
  faults: z.array(fault).default([]),
  waf: z
    .strictObject({
      propagationSeconds: z.number().min(0).default(30),
      ratePerIpLimitPer5Min: z.number().int().min(10).default(300),
    })
    .default({ propagationSeconds: 30, ratePerIpLimitPer5Min: 300 }),
  metrics: z
    .strictObject({
      periodSeconds: z.union([z.literal(10), z.literal(20), z.literal(30), z.literal(60)]).default(60),
      delaySeconds: z.number().min(0).max(600).default(90),
    })
    .default({ periodSeconds: 60, delaySeconds: 90 }),
  quota: z
    .strictObject({
      vcpu: z.number().positive(),
      regions: z.record(z.string().min(1), z.number().positive()).optional(),
    })
    .default({ vcpu: 100_000 }),
  slo: z
    .strictObject({ joinSuccessRatio: z.number().gt(0).max(1).default(0.99) })
    .default({ joinSuccessRatio: 0.99 }),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioFleet = Scenario['fleets'][number];
export type ScenarioAttack = Scenario['attacks'][number];
export type ScenarioFault = Scenario['faults'][number];

/** A fleet's true capacity parameters in a scenario. */
export interface FleetTruth {
  readonly lambda: number;
  readonly sigma: number;
  readonly kappa: number;
  readonly joinsPerTaskPerSecond: number;
}

/** A scenario with its scaling tests read, the fit the planners get, and the truth the world runs on. */
export interface LoadedScenario {
  readonly file: string;
  readonly scenario: Scenario;
  readonly startMs: number;
  readonly fleets: readonly {
    readonly config: ScenarioFleet;
    readonly points: readonly ScalingPoint[];
    readonly fitted: CapacityModel;
    readonly truth: FleetTruth;
  }[];
  /**
   * A configured event's own settings a rehearsal keeps (live headroom, following the audience down, safety margin,
   * tail, step-down, restore deadline) and its config's controller settings: the replay then runs what the team
   * deployed, not the defaults. @default none (a scenario file: the defaults)
   */
  readonly configured?: {
    readonly event: Readonly<Record<string, unknown>>;
    readonly controller: Readonly<Record<string, unknown>>;
  };
}

/** Join requests per task per second the signalling path handles when a scenario does not say. */
export const DEFAULT_JOINS_PER_TASK_PER_SECOND = 100;

/** A region's Fargate vCPU quota in the scenario: its own entry in `quota.regions`, else `quota.vcpu` (AWS sets one a region). */
export function regionQuota(s: Scenario, region: string): number {
  return s.quota.regions?.[region] ?? s.quota.vcpu;
}

/** Reads and validates a scenario file; every issue at once, as `FILE:LINE:COL`. */
export function loadScenario(file: string): LoadedScenario {
  const read = readText(file);
  if (read.issue || read.text === undefined) throw new InputError([read.issue as InputIssue]);
  const src = parseYamlSource(read.text, file);
  if (src.syntaxIssues.length) throw new InputError(src.syntaxIssues);
  const parsed = scenarioSchema.safeParse(src.value);
  if (!parsed.success) {
    throw new InputError(
      schemaProblems(parsed.error.issues).map((p) => src.issueAt(p.path, p.message, { key: p.atKey })),
    );
  }
  const s = parsed.data;
  const issues: InputIssue[] = [];
  const total = s.fleets.reduce((a, f) => a + f.share, 0);
  if (Math.abs(total - 1) > 1e-6)
    issues.push(src.issueAt(['fleets'], `shares sum to ${total}; expected them to sum to 1`));
  s.demand.forEach(([m], i) => {
    if (i > 0 && m <= (s.demand[i - 1]?.[0] ?? -Infinity)) {
      issues.push(
        src.issueAt(['demand', i], 'minutes must increase; expected each point after the one before'),
      );
    }
  });
  s.attacks.forEach((a, i) => {
    if (a.toMinute <= a.fromMinute)
      issues.push(src.issueAt(['attacks', i, 'toMinute'], 'expected toMinute after fromMinute'));
  });
  s.faults.forEach((f, i) => {
    if (f.toMinute <= f.fromMinute)
      issues.push(src.issueAt(['faults', i, 'toMinute'], 'expected toMinute after fromMinute'));
    const targets: readonly string[] = FAULT_TARGETS[f.kind];
    if (!targets.includes(f.target))
      issues.push(
        src.issueAt(
          ['faults', i, 'target'],
          `a ${f.kind} fault hits ${targets.join(', ')}; expected one of them, not ${f.target}`,
        ),
      );
  });
  const ids = new Set<string>();
  s.fleets.forEach((f, i) => {
    if (ids.has(f.id)) issues.push(src.issueAt(['fleets', i, 'id'], `duplicate fleet id "${f.id}"`));
    ids.add(f.id);
    if (f.baselineTasks > f.maxTasks)
      issues.push(src.issueAt(['fleets', i, 'baselineTasks'], 'expected baselineTasks <= maxTasks'));
  });
  const regions = new Set(s.fleets.map((f) => f.region));
  for (const region of Object.keys(s.quota.regions ?? {}))
    if (!regions.has(region))
      issues.push(
        src.issueAt(
          ['quota', 'regions', region],
          `no fleet runs in ${region}; expected one of the fleets' regions: ${[...regions].join(', ')}`,
        ),
      );

  const fleets = s.fleets.map((f, i) => {
    let points: ScalingPoint[] = [];
    let lines: readonly number[] = [];
    let testFile = file;
    if (typeof f.scalingTest === 'string') {
      const path = resolve(dirname(file), f.scalingTest);
      if (!existsSync(path)) {
        issues.push(
          src.issueAt(
            ['fleets', i, 'scalingTest'],
            `file not found: ${f.scalingTest} (relative to the scenario)`,
          ),
        );
      } else {
        const test = parseScalingTest(readFileSync(path, 'utf8'), f.scalingTest);
        issues.push(...test.issues);
        points = test.points;
        lines = test.lines;
        testFile = f.scalingTest;
      }
    } else points = f.scalingTest;
    return { f, points, lines, testFile };
  });
  if (issues.length) throw new InputError(issues);

  return {
    file,
    scenario: s,
    startMs: Date.parse(s.start),
    fleets: fleets.map(({ f, points, lines, testFile }) => {
      const fitted = plannerModel(points, lines, testFile);
      return {
        config: f,
        points,
        fitted,
        truth: {
          lambda: f.truth?.listenersPerTask ?? fitted.lambda,
          sigma: f.truth?.sigma ?? fitted.sigma,
          kappa: f.truth?.kappa ?? fitted.kappa,
          joinsPerTaskPerSecond: f.truth?.joinsPerTaskPerSecond ?? DEFAULT_JOINS_PER_TASK_PER_SECOND,
        },
      };
    }),
  };
}

/** Organic demand at a second relative to the scheduled start: linear between the scenario's points. */
export function demandAt(s: Scenario, secondsFromStart: number): number {
  const m = secondsFromStart / 60;
  const pts = s.demand;
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (m <= first[0]) return first[1];
  if (m >= last[0]) return last[1];
  for (let i = 1; i < pts.length; i++) {
    const [m1, v1] = pts[i]!;
    const [m0, v0] = pts[i - 1]!;
    if (m <= m1) return v0 + ((v1 - v0) * (m - m0)) / (m1 - m0);
  }
  return last[1];
}

/**
 * The model SurgeGuard plans from, built by the same analysis as a deployed config's (outliers left out of the
 * fit); a test that analysis would refuse still replays, from the plain fit, so a scenario can show what a
 * doubtful test costs.
 */
function plannerModel(
  points: readonly ScalingPoint[],
  lines: readonly number[],
  file: string,
): CapacityModel {
  const analysis = analyzeScalingTest({ points, lines, file });
  if (analysis.model) return analysis.model;
  const cpuAtCapacity = cpuAtCapacityOf(points);
  return { ...fitUsl(points), ...(cpuAtCapacity === undefined ? {} : { cpuAtCapacity }) };
}
