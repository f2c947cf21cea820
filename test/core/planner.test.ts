import fc from 'fast-check';
import { configSchema } from '../../lambda/core/config/schema';
import type { Config } from '../../lambda/core/config/schema';
import { floorAt, planAll, planEvent } from '../../lambda/core/planner';
import type { FleetModels } from '../../lambda/core/planner';
import type { CapacityModel } from '../../lambda/core/usl';
import { tasksFor, uslCapacity, uslPeak } from '../../lambda/core/usl';

const metrics = {
  namespace: 'N',
  listeners: { metricName: 'L' },
  joinRequests: { metricName: 'R' },
  joinSuccesses: { metricName: 'S' },
  joinErrorsCapacity: { metricName: 'E' },
  joinErrorsAuth: { metricName: 'A' },
};

function model(
  lambda: number,
  sigma: number,
  kappa: number,
  maxTestedTasks = 200,
  points = 8,
  r2 = 0.999,
): CapacityModel {
  const peak = uslPeak({ lambda, sigma, kappa });
  return {
    lambda,
    sigma,
    kappa,
    peakTasks: peak.tasks,
    peakListeners: peak.listeners,
    r2,
    maxTestedTasks,
    points,
  };
}

interface Case {
  baseline: number;
  maxTasks: number;
  vcpu: 0.25 | 0.5 | 1 | 2 | 4 | 8 | 16;
  startup: number;
  rate: number;
  peak: number;
  headroom: number;
  early: number;
  margin: number;
  tail: number;
  quota: number;
  lambda: number;
  sigma: number;
  kappa: number;
  stepDownSteps: number;
  /** The forecast's stated error; without it the flat headroom applies. */
  forecastError?: number;
}

function build(c: Case): { config: Config; models: FleetModels } {
  const config = configSchema.parse({
    regions: { 'us-east-1': { fargateVcpuQuota: c.quota } },
    fleets: [
      {
        id: 'f1',
        region: 'us-east-1',
        cluster: 'c',
        service: 's',
        baselineTasks: c.baseline,
        maxTasks: c.maxTasks,
        vcpuPerTask: c.vcpu,
        startupSeconds: c.startup,
        launchRatePerMinute: c.rate,
        scalingTest: 'x.csv',
        metrics,
      },
    ],
    events: [
      {
        id: 'e1',
        title: 'E',
        start: '2030-06-01T20:00:00Z',
        durationMinutes: 120,
        expectedPeakListeners: c.peak,
        fleets: [{ fleet: 'f1', share: 1 }],
        headroom: c.headroom,
        ...(c.forecastError !== undefined ? { forecastError: c.forecastError } : {}),
        arrival: { earlyMinutes: c.early },
        safetyMarginMinutes: c.margin,
        tailMinutes: c.tail,
        stepDown: { steps: c.stepDownSteps },
      },
    ],
  });
  return { config, models: { f1: model(c.lambda, c.sigma, c.kappa) } };
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    baseline: fc.integer({ min: 0, max: 200 }),
    maxTasks: fc.integer({ min: 1, max: 5000 }),
    vcpu: fc.constantFrom(0.25, 0.5, 1, 2, 4, 8, 16) as fc.Arbitrary<Case['vcpu']>,
    startup: fc.integer({ min: 10, max: 600 }),
    rate: fc.integer({ min: 1, max: 500 }),
    peak: fc.integer({ min: 1, max: 5_000_000 }),
    headroom: fc.double({ min: 0, max: 1, noNaN: true }),
    early: fc.integer({ min: 0, max: 60 }),
    margin: fc.integer({ min: 0, max: 30 }),
    tail: fc.integer({ min: 0, max: 120 }),
    quota: fc.integer({ min: 1, max: 100000 }),
    lambda: fc.double({ min: 100, max: 5000, noNaN: true }),
    sigma: fc.double({ min: 0, max: 0.01, noNaN: true }),
    kappa: fc.oneof(fc.constant(0), fc.double({ min: 1e-8, max: 1e-4, noNaN: true })),
    stepDownSteps: fc.integer({ min: 1, max: 8 }),
  })
  .filter((c) => c.baseline <= c.maxTasks && c.baseline * c.vcpu <= c.quota);

const CAPS = new Set(['BEYOND_USL_PEAK', 'MAX_TASKS', 'VCPU_QUOTA']);

describe('planEvent properties', () => {
  it('has the need covered by doors open, unless a warning says it is capped', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { config, models } = build(c);
        const plan = planEvent(config.events[0]!, config, models);
        const fleet = plan.fleets[0]!;
        const doorsOpen = Date.parse(plan.doorsOpen);
        const atDoors = floorAt(fleet, doorsOpen);
        const carried = uslCapacity(models.f1!, atDoors);
        const capped = fleet.warnings.some((w) => CAPS.has(w.code));
        expect(carried >= fleet.listeners - 1e-6 || capped).toBe(true);
        // The last task launched is running a safety margin before doors open.
        expect(Date.parse(fleet.readyAt)).toBeLessThanOrEqual(doorsOpen - c.margin * 60_000);
        expect(atDoors).toBe(fleet.neededTasks);
      }),
      { numRuns: 300 },
    );
  });

  it('never exceeds max tasks or the vCPU quota, and never goes below baseline', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { config, models } = build(c);
        const fleet = planEvent(config.events[0]!, config, models).fleets[0]!;
        for (const step of fleet.steps) {
          expect(step.tasks).toBeLessThanOrEqual(c.maxTasks);
          expect(step.tasks).toBeGreaterThanOrEqual(c.baseline);
          expect(step.tasks * c.vcpu).toBeLessThanOrEqual(Math.max(c.quota, c.baseline * c.vcpu));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ramps monotonically, holds through the end plus tail, then steps down gradually to baseline', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { config, models } = build(c);
        const plan = planEvent(config.events[0]!, config, models);
        const fleet = plan.fleets[0]!;
        const holdUntil = Date.parse(plan.holdUntil);
        expect(holdUntil).toBe(Date.parse(plan.end) + c.tail * 60_000);
        const times = fleet.steps.map((s) => Date.parse(s.at));
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        const ramp = fleet.steps.filter((s) => Date.parse(s.at) < holdUntil);
        const down = fleet.steps.filter((s) => Date.parse(s.at) >= holdUntil);
        ramp.forEach((s, i) => i > 0 && expect(s.tasks).toBeGreaterThanOrEqual(ramp[i - 1]!.tasks));
        expect(ramp.at(-1)?.tasks).toBe(fleet.neededTasks);
        fleet.steps.forEach((s, i) => {
          if (i > 0 && s.tasks < fleet.steps[i - 1]!.tasks)
            expect(Date.parse(s.at)).toBeGreaterThanOrEqual(holdUntil);
        });
        if (fleet.neededTasks > c.baseline) {
          expect(down).toHaveLength(c.stepDownSteps);
          expect(down.at(-1)?.tasks).toBe(c.baseline);
          // Gradual: no single step drops more than its share of the way down (rounded).
          const drop = Math.ceil((fleet.neededTasks - c.baseline) / c.stepDownSteps);
          let prev = fleet.neededTasks;
          for (const s of down) {
            expect(prev - s.tasks).toBeLessThanOrEqual(drop);
            prev = s.tasks;
          }
        } else expect(down).toHaveLength(0);
      }),
      { numRuns: 300 },
    );
  });

  it('launches no faster than the launch rate allows', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { config, models } = build(c);
        const fleet = planEvent(config.events[0]!, config, models).fleets[0]!;
        let prev = c.baseline;
        for (const s of fleet.steps) {
          expect(s.tasks - prev).toBeLessThanOrEqual(c.rate);
          prev = s.tasks;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const a = build(c);
        const b = build(c);
        expect(planAll(a.config, a.models)).toEqual(planAll(b.config, b.models));
      }),
      { numRuns: 50 },
    );
  });
});

describe('planEvent warnings', () => {
  const base: Case = {
    baseline: 10,
    maxTasks: 5000,
    vcpu: 4,
    startup: 60,
    rate: 500,
    peak: 100000,
    headroom: 0.3,
    early: 15,
    margin: 10,
    tail: 30,
    quota: 100000,
    lambda: 3000,
    sigma: 0.0005,
    kappa: 1e-6,
    stepDownSteps: 4,
    forecastError: 0.3,
  };
  const codes = (c: Partial<Case>, m?: CapacityModel) => {
    const { config, models } = build({ ...base, ...c });
    return planEvent(config.events[0]!, config, m ? { f1: m } : models).fleets[0]!.warnings.map(
      (w) => w.code,
    );
  };

  it.each([
    ['a healthy plan', {}, undefined, []],
    ['an audience beyond the USL peak', { peak: 1_300_000 }, undefined, ['BEYOND_USL_PEAK', 'EXTRAPOLATION']],
    ['a fleet larger than tested', { peak: 700_000 }, undefined, ['EXTRAPOLATION']],
    // 30% headroom on 850 k takes 377 tasks to 632 (+68%): the fleet is near its 1.2 M peak.
    ['headroom near the USL peak', { peak: 850_000 }, model(3000, 0.0005, 1e-6, 1000), ['NEAR_USL_PEAK']],
    [
      'no headroom near the USL peak',
      { peak: 850_000, forecastError: 0 },
      model(3000, 0.0005, 1e-6, 1000),
      [],
    ],
    [
      'a flat headroom with no stated forecast error',
      { forecastError: undefined },
      undefined,
      ['FLAT_HEADROOM'],
    ],
    ['no headroom and no stated error', { forecastError: undefined, headroom: 0 }, undefined, []],
    ['more than maxTasks', { peak: 700_000, maxTasks: 300 }, model(3000, 0.0005, 1e-6, 1000), ['MAX_TASKS']],
    [
      'more than one service holds',
      { peak: 30_000_000 },
      model(1000, 0, 0, 10000),
      ['EXTRAPOLATION', 'SERVICE_LIMIT', 'MAX_TASKS'],
    ],
    ['the vCPU quota', { peak: 700_000, quota: 1000 }, model(3000, 0.0005, 1e-6, 1000), ['VCPU_QUOTA']],
    ['too few points', {}, model(3000, 0.0005, 1e-6, 200, 4), ['FEW_POINTS']],
    ['a poor fit', {}, model(3000, 0.0005, 1e-6, 200, 8, 0.9), ['POOR_FIT']],
  ])('warns about %s', (_name, c, m, expected) => {
    expect(codes(c, m)).toEqual(expected);
  });

  it('says when the extrapolation is a straight line because the test showed no bend', () => {
    // Prepare: the same need from a bent curve, from a straight line the fit chose, and from a straight line that is
    // a fallback (per-task-floor), all measured to 200 tasks
    const { config } = build({ ...base, peak: 700_000 });
    const message = (m: CapacityModel) =>
      planEvent(config.events[0]!, config, { f1: m }).fleets[0]!.warnings.find(
        (w) => w.code === 'EXTRAPOLATION',
      )?.message;
    // Act
    const straight = message({ ...model(3000, 0, 0), bendNotShown: true });
    const fallback = message(model(3000, 0, 0));
    const bent = message(model(3000, 0.0005, 1e-6));
    // Assess
    expect(straight).toMatch(
      /no bend beyond their scatter, so it is a straight line of 3,000 listeners a task/,
    );
    expect(fallback).not.toMatch(/no bend/);
    expect(bent).not.toMatch(/no bend/);
  });

  it('plans past a peak the test could not place, on a straight line through its largest step', () => {
    // Prepare: a need of twice the most a curve peaking at 1,000 tasks and 1.5 M listeners carries, measured to 100
    // tasks (2,971 a task there); once placed by the steps, once not
    const { config } = build({ ...base, peak: 3_000_000 });
    const plan = (m: CapacityModel) => planEvent(config.events[0]!, config, { f1: m }).fleets[0]!;
    const curve = model(3000, 0, 1e-6, 100);
    // Act
    const placed = plan(curve);
    const unplaced = plan({ ...curve, peakNotPlaced: true });
    // Assess: held at the placed peak; past the unplaced one, as far as the line needs, and the warning says why
    const line = Math.ceil(unplaced.listeners / (uslCapacity(curve, 100) / 100));
    expect(placed.neededTasks).toBe(1000);
    expect(line).toBeGreaterThan(1200);
    expect(unplaced.neededTasks).toBe(line);
    expect(unplaced.warnings.find((w) => w.code === 'BEYOND_USL_PEAK')?.message).toMatch(
      new RegExp(
        `a curve with no peak fits the steps as well: planned ${line.toLocaleString('en-US')} tasks`,
      ),
    );
  });

  it("carries the model's caveats (outliers, fallbacks) into the plan's warnings", () => {
    const outlier = { code: 'OUTLIER' as const, message: 'a.csv:3: 30,000 listeners at 20 tasks is far off' };
    const { config } = build(base);
    const plan = planEvent(config.events[0]!, config, {
      f1: { ...model(3000, 0.0005, 1e-6), caveats: [outlier] },
    }).fleets[0]!;
    expect(plan.warnings).toEqual([outlier]);
  });

  it('plans maxTasks for a model whose fleet opted into that fallback, and says so once', () => {
    const { config } = build({ ...base, maxTasks: 800 });
    const untrusted = { code: 'UNTRUSTED_FIT' as const, message: 'a.csv: poorly fitted: planned maxTasks' };
    const plan = planEvent(config.events[0]!, config, {
      f1: { ...model(3000, 0.0005, 1e-6, 200, 8, 0.5), caveats: [untrusted], fallback: 'max-tasks' },
    }).fleets[0]!;
    expect(plan.neededTasks).toBe(800);
    expect(plan.warnings.map((w) => w.code)).toEqual(['UNTRUSTED_FIT']);
  });

  it('says what the headroom costs near the USL peak', () => {
    const { config } = build({ ...base, peak: 850_000 });
    const w = planEvent(config.events[0]!, config, { f1: model(3000, 0.0005, 1e-6, 1000) }).fleets[0]!
      .warnings[0]!;
    expect(w.message).toMatch(
      /^the 30% headroom costs 6\d% more tasks \(37\d to 63\d\): 1,105,000 listeners/,
    );
  });

  it('says what a flat headroom costs, and sizes the same as a forecast error of the same share', () => {
    const flat = build({ ...base, forecastError: undefined, peak: 600_000 });
    const stated = build({ ...base, forecastError: 0.3, peak: 600_000 });
    const a = planEvent(flat.config.events[0]!, flat.config, flat.models).fleets[0]!;
    const b = planEvent(stated.config.events[0]!, stated.config, stated.models).fleets[0]!;
    expect(a.neededTasks).toBe(b.neededTasks);
    const bare = tasksFor(flat.models.f1!, 600_000).tasks!;
    expect(a.warnings.find((w) => w.code === 'FLAT_HEADROOM')?.message).toContain(
      `costs ${(a.neededTasks - bare).toLocaleString('en-US')} tasks`,
    );
  });

  it('plans the p90 of a ranged forecast, not the median plus headroom', () => {
    const { config, models } = build({ ...base, forecastError: undefined });
    const event = { ...config.events[0]!, expectedPeakListeners: { p50: 500_000, p90: 800_000 } };
    const fleet = planEvent(event, config, models).fleets[0]!;
    expect(fleet.listeners).toBe(800_000);
    expect(fleet.neededTasks).toBe(tasksFor(models.f1!, 800_000).tasks);
    expect(fleet.warnings.map((w) => w.code)).not.toContain('FLAT_HEADROOM');
  });

  it('tells a beyond-peak audience how many cells it needs', () => {
    const { config, models } = build({ ...base, peak: 1_300_000 });
    const w = planEvent(config.events[0]!, config, models).fleets[0]!.warnings[0]!;
    expect(w.message).toMatch(/split the audience across at least 2 fleets \(cells\) of at most 1,000 tasks/);
  });

  it('counts lead time back from doors open, not the scheduled start', () => {
    const { config, models } = build({
      ...base,
      peak: 1_000_000,
      headroom: 0,
      forecastError: undefined,
      early: 20,
      margin: 10,
      startup: 90,
    });
    const plan = planEvent(config.events[0]!, config, models);
    const fleet = plan.fleets[0]!;
    // 500 tasks needed from 10: 490 launch within 1 minute; lead = 90 s + 60 s + 10 min, rounded down to a minute.
    expect(fleet.neededTasks).toBe(500);
    expect(plan.doorsOpen).toBe('2030-06-01T19:40:00Z');
    expect(fleet.rampStart).toBe('2030-06-01T19:27:00Z');
    expect(fleet.leadSeconds).toBe(13 * 60);
  });
});

/** One fleet of a shared-quota case: its vCPU per task, baseline, share of the audience and model. */
interface SharedFleet {
  vcpu: number;
  baseline: number;
  maxTasks: number;
  share: number;
  model: CapacityModel;
}

function buildShared(
  fleets: readonly SharedFleet[],
  quota: number,
  peak: number,
  forecastError?: number,
): { config: Config; models: FleetModels } {
  const total = fleets.reduce((sum, f) => sum + f.share, 0);
  const config = configSchema.parse({
    regions: { 'us-east-1': { fargateVcpuQuota: quota } },
    fleets: fleets.map((f, i) => ({
      id: `f${i}`,
      region: 'us-east-1',
      cluster: 'c',
      service: `s${i}`,
      baselineTasks: f.baseline,
      maxTasks: f.maxTasks,
      vcpuPerTask: f.vcpu,
      startupSeconds: 60,
      launchRatePerMinute: 500,
      scalingTest: 'x.csv',
      metrics,
    })),
    events: [
      {
        id: 'e1',
        title: 'E',
        start: '2030-06-01T20:00:00Z',
        durationMinutes: 120,
        expectedPeakListeners: peak,
        ...(forecastError !== undefined ? { forecastError } : {}),
        fleets: fleets.map((f, i) => ({ fleet: `f${i}`, share: f.share / total })),
      },
    ],
  });
  return { config, models: Object.fromEntries(fleets.map((f, i) => [`f${i}`, f.model])) };
}

/** The plans of fleets sharing a region's quota for one event of `peak` listeners. */
function planShared(fleets: readonly SharedFleet[], quota: number, peak: number, forecastError?: number) {
  const { config, models } = buildShared(fleets, quota, peak, forecastError);
  return planEvent(config.events[0]!, config, models).fleets;
}

describe('sharing a vCPU quota among fleets', () => {
  it('gives the quota to the fleet that turns it into listeners, not to one on the flat of its curve', () => {
    // Prepare: 1 M listeners, half each on two fleets. f0 (4 vCPU a task) approaches at most 224 k listeners, so its
    // need of 650 k is past anything it can carry and it asks for its maxTasks; f1 (1 vCPU) carries 1,800 a task on a
    // straight line and needs 362 tasks. The quota, 4,000 vCPU, is half what both ask.
    const flat = model(671, 0.003, 0, 10);
    const line = model(1800, 0, 0, 60);
    // Act
    const [f0, f1] = planShared(
      [
        { vcpu: 4, baseline: 10, maxTasks: 2000, share: 1, model: flat },
        { vcpu: 1, baseline: 10, maxTasks: 2000, share: 1, model: line },
      ],
      4000,
      1_000_000,
    );
    // Assess: f1 has its whole need (headroom included); f0 has the rest of the quota, not a share of its ask
    expect(f1!.neededTasks).toBe(tasksFor(line, f1!.listeners).tasks);
    expect(f0!.neededTasks).toBe(10 + Math.floor((4000 - 50 - (f1!.neededTasks - 10)) / 4));
    expect(f0!.warnings.find((w) => w.code === 'VCPU_QUOTA')?.message).toMatch(
      /capped at 909 of 2,000 tasks \(the quota goes first where a vCPU carries the most listeners/,
    );
  });

  it('covers both forecasts, then spends the rest where a vCPU carries more of the audience likely to come', () => {
    // Prepare: two straight-line fleets, one twice as dense per vCPU; the quota covers both forecasts and a little
    // more, not both headrooms
    const dense = model(2000, 0, 0, 100);
    const sparse = model(1000, 0, 0, 100);
    // Act
    const [f0, f1] = planShared(
      [
        { vcpu: 1, baseline: 0, maxTasks: 5000, share: 1, model: dense },
        { vcpu: 1, baseline: 0, maxTasks: 5000, share: 1, model: sparse },
      ],
      800,
      1_000_000,
    );
    // Assess: 500 k each is 250 and 500 tasks; most of the 50 past those go to the dense fleet
    expect(f0!.neededTasks).toBeGreaterThanOrEqual(250);
    expect(f1!.neededTasks).toBeGreaterThanOrEqual(500);
    expect(f0!.neededTasks + f1!.neededTasks).toBe(800);
    expect(f0!.neededTasks - 250).toBeGreaterThan(f1!.neededTasks - 500);
  });

  it('spends the last vCPU on the forecast when the forecast states no error', () => {
    // Prepare: two like fleets of 1,000 listeners a task, 199,300 listeners each (199.3 tasks), no headroom, and a
    // quota one task short of both forecasts
    const line = model(1000, 0, 0, 300);
    const fleet = { vcpu: 1, baseline: 0, maxTasks: 1000, share: 1, model: line };
    // Act
    const plans = planShared([fleet, fleet], 399, 398_600, 0);
    // Assess: all 399 vCPU planned, 200 and 199 tasks
    expect(plans.map((p) => p.neededTasks).sort()).toEqual([199, 200]);
  });

  it('never plans past the quota or an ask, never under a baseline, and leaves no task of quota idle', () => {
    const fleetArb: fc.Arbitrary<SharedFleet> = fc
      .record({
        vcpu: fc.constantFrom(0.25, 1, 4),
        baseline: fc.integer({ min: 0, max: 50 }),
        maxTasks: fc.integer({ min: 50, max: 3000 }),
        share: fc.double({ min: 0.1, max: 1, noNaN: true }),
        lambda: fc.double({ min: 300, max: 4000, noNaN: true }),
        sigma: fc.double({ min: 0, max: 0.01, noNaN: true }),
        kappa: fc.oneof(fc.constant(0), fc.double({ min: 1e-8, max: 1e-4, noNaN: true })),
        tested: fc.integer({ min: 5, max: 300 }),
      })
      .map((f) => ({ ...f, model: model(f.lambda, f.sigma, f.kappa, f.tested) }));
    fc.assert(
      fc.property(
        fc.array(fleetArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 10_000, max: 5_000_000 }),
        (fleets, quota, peak) => {
          const baselines = fleets.reduce((sum, f) => sum + f.baseline * f.vcpu, 0);
          const asked = planShared(fleets, 1e9, peak);
          const planned = planShared(fleets, quota, peak);
          const used = planned.reduce((sum, p, i) => sum + p.neededTasks * fleets[i]!.vcpu, 0);
          expect(used).toBeLessThanOrEqual(Math.max(quota, baselines) + 1e-9);
          planned.forEach((p, i) => {
            expect(p.neededTasks).toBeGreaterThanOrEqual(fleets[i]!.baseline);
            expect(p.neededTasks).toBeLessThanOrEqual(asked[i]!.neededTasks);
          });
          const short = planned.some((p, i) => p.neededTasks < asked[i]!.neededTasks);
          if (short) expect(quota - used).toBeLessThan(fleets.reduce((sum, f) => sum + f.vcpu, 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});
