import { schemaProblems } from '../lambda/core/config/zod-issues';
import { parseYamlSource } from '../lambda/core/config/yaml-source';
import type { LoadedConfig } from '../lambda/adapters/config-file';
import { eventStartMs } from '../lambda/core/config/event-time';
import { forecastOf } from '../lambda/core/config/forecast';
import type { InputIssue } from '../lambda/core/issues';
import { InputError } from '../lambda/core/issues';
import { fitUsl } from '../lambda/core/usl';
import type { LoadedScenario, Scenario } from './scenario';
import { DEFAULT_JOINS_PER_TASK_PER_SECOND, scenarioSchema } from './scenario';
import type { DemandProfile } from './names';

// The names live apart so the CLI's help can list them without loading the simulator.
export { DEMAND_PROFILES, type DemandProfile } from './names';

/** Minutes the audience takes to leave once the event ends. */
const LEAVE_MINUTES = 5;
/** Minutes the audience takes to drop to its remainder in `leaves-early`. */
const DROP_MINUTES = 10;
/** Share of the forecast that comes in `no-show`, and that stays in `leaves-early`. */
const NO_SHOW_SHARE = 0.1;
const STAYING_SHARE = 0.2;
/** How late the audience arrives in `late-40`, minutes. */
const LATE_MINUTES = 40;

type Curve = [number, number][];

/** The event and what the audience does, as a demand curve of [minute from scheduled start, listeners]. */
export interface RehearsalInput {
  readonly eventId: string;
  /** A named profile, or the audience's own curve (from `--demand FILE`). */
  readonly demand: DemandProfile | { readonly name: string; readonly points: Curve };
}

/**
 * The demand curve of a named profile for an event: the forecast ramps from doors open to the expected peak at
 * start + fullByMinutes, holds to the end and leaves within {@link LEAVE_MINUTES}; the others vary it.
 */
export function profileDemand(
  profile: DemandProfile,
  e: { peak: number; earlyMinutes: number; fullByMinutes: number; durationMinutes: number },
): Curve {
  const d = e.durationMinutes;
  const full = Math.min(e.fullByMinutes, d);
  const curve = (peak: number, shift = 0): Curve => [
    [-e.earlyMinutes + shift, 0],
    [full + shift, peak],
    [d + shift, peak],
    [d + LEAVE_MINUTES + shift, 0],
  ];
  switch (profile) {
    case 'forecast':
      return strictlyIncreasing(curve(e.peak));
    case 'x2':
      return strictlyIncreasing(curve(2 * e.peak));
    case 'late-40':
      return strictlyIncreasing(curve(e.peak, LATE_MINUTES));
    case 'no-show':
      return strictlyIncreasing(curve(Math.round(NO_SHOW_SHARE * e.peak)));
    case 'leaves-early': {
      // Full by a third of the event at the latest, so a third of the event is always spent at the peak's end.
      const third = Math.max(d / 3, full);
      const stay = Math.round(STAYING_SHARE * e.peak);
      return strictlyIncreasing([
        [-e.earlyMinutes, 0],
        [full, e.peak],
        [third, e.peak],
        [Math.min(third + DROP_MINUTES, d), stay],
        [d, stay],
        [d + LEAVE_MINUTES, 0],
      ]);
    }
  }
}

/** Drops a point whose minute does not come after the one before (a zero-length ramp), keeping the later value. */
function strictlyIncreasing(points: Curve): Curve {
  const out: Curve = [];
  for (const p of points) {
    if (out.length && p[0] <= out[out.length - 1]![0]) out[out.length - 1] = [out[out.length - 1]![0], p[1]];
    else out.push(p);
  }
  return out;
}

/**
 * Builds the replay scenario of a configured event: its fleets with their shares, their scaling tests as both
 * what the planners get and the world's truth, the forecast, arrival and duration, and the vCPU quota of each of
 * the fleets' regions (the replay's world, like AWS, has one pool a region). Pure: the config is already loaded.
 * @throws InputError when the event is not in the config.
 */
export function scenarioFromConfig(loaded: LoadedConfig, input: RehearsalInput): LoadedScenario {
  const { config } = loaded;
  const event = config.events.find((e) => e.id === input.eventId);
  if (!event) {
    throw new InputError([
      {
        file: loaded.file,
        path: 'events',
        message: `no event "${input.eventId}"; expected one of: ${config.events.map((e) => e.id).join(', ')}`,
      },
    ]);
  }
  const forecast = forecastOf(event);
  const fleets = event.fleets.map((ef) => {
    const fleet = config.fleets.find((f) => f.id === ef.fleet)!;
    const points = loaded.scalingTests[fleet.id]?.points ?? [];
    return { fleet, share: ef.share, points, fitted: loaded.models[fleet.id] ?? fitUsl(points) };
  });
  const regions = [...new Set(fleets.map((f) => f.fleet.region))];
  const demand =
    typeof input.demand === 'string'
      ? profileDemand(input.demand, {
          peak: forecast.expected,
          earlyMinutes: event.arrival.earlyMinutes,
          fullByMinutes: event.arrival.fullByMinutes,
          durationMinutes: event.durationMinutes,
        })
      : input.demand.points;
  const profileName = typeof input.demand === 'string' ? input.demand : input.demand.name;
  // The slowest metrics of the event's fleets: the replay's world publishes one way for every fleet.
  const periodSeconds = Math.max(...fleets.map((f) => f.fleet.metrics.periodSeconds));
  const scenario: Scenario = scenarioSchema.parse({
    name: event.id,
    description: `${event.title}: rehearsal, ${profileName} audience`,
    start: new Date(eventStartMs(event)).toISOString(),
    durationMinutes: event.durationMinutes,
    tickSeconds: config.controller.tickSeconds,
    forecast: {
      peakListeners: forecast.expected,
      // The headroom that makes the replay's plan cover the same upper forecast as the config's.
      headroom: Math.min(5, (forecast.upper - forecast.expected) / forecast.expected),
      earlyMinutes: event.arrival.earlyMinutes,
      fullByMinutes: event.arrival.fullByMinutes,
    },
    fleets: fleets.map(({ fleet, share, points }) => ({
      id: fleet.id,
      share,
      region: fleet.region,
      baselineTasks: fleet.baselineTasks,
      maxTasks: fleet.maxTasks,
      vcpuPerTask: fleet.vcpuPerTask,
      startupSeconds: fleet.startupSeconds,
      launchRatePerMinute: fleet.launchRatePerMinute,
      scalingTest: points.map((p) => ({ tasks: p.tasks, listeners: p.listeners })),
    })),
    demand,
    metrics: {
      periodSeconds: periodSeconds < 10 ? 10 : periodSeconds,
      delaySeconds: Math.max(...fleets.map((f) => f.fleet.metrics.delaySeconds)),
    },
    quota: {
      vcpu: Math.max(0, ...regions.map((r) => config.regions[r]?.fargateVcpuQuota ?? 0)) || 100_000,
      regions: Object.fromEntries(
        regions.flatMap((r) => {
          const q = config.regions[r]?.fargateVcpuQuota;
          return q ? [[r, q]] : [];
        }),
      ),
    },
    slo: { joinSuccessRatio: event.slo.joinSuccessRatio },
  });
  return {
    file: loaded.file,
    scenario,
    startMs: Date.parse(scenario.start),
    configured: {
      event: {
        liveHeadroom: event.liveHeadroom,
        followAudience: event.followAudience,
        safetyMarginMinutes: event.safetyMarginMinutes,
        tailMinutes: event.tailMinutes,
        stepDown: event.stepDown,
        restoreDeadlineMinutes: event.restoreDeadlineMinutes,
      },
      controller: config.controller,
    },
    fleets: fleets.map(({ fitted, points }, i) => ({
      config: scenario.fleets[i]!,
      points,
      fitted,
      truth: {
        lambda: fitted.lambda,
        sigma: fitted.sigma,
        kappa: fitted.kappa,
        joinsPerTaskPerSecond: DEFAULT_JOINS_PER_TASK_PER_SECOND,
      },
    })),
  };
}

/**
 * Parses an audience curve: CSV rows `minute,listeners` (a header line allowed) or YAML `[[minute, listeners], ...]`,
 * minutes from the scheduled start, increasing. Pure: the caller reads the file.
 * @throws InputError with every issue, as `FILE:LINE`.
 */
export function parseDemand(text: string, file: string): Curve {
  const issues: InputIssue[] = [];
  const points: Curve = [];
  if (/\.ya?ml$/i.test(file)) {
    const src = parseYamlSource(text, file);
    if (src.syntaxIssues.length) throw new InputError(src.syntaxIssues);
    const parsed = scenarioSchema.shape.demand.safeParse(src.value);
    if (!parsed.success) {
      throw new InputError(
        schemaProblems(parsed.error.issues).map((p) => src.issueAt(p.path, p.message, { key: p.atKey })),
      );
    }
    points.push(...parsed.data);
  } else {
    let first = true;
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const header = first && /[a-z]/i.test(line);
      first = false;
      if (header) return;
      const cells = line.split(',').map((c) => c.trim());
      const [minute, listeners] = cells.map((c) => (c === '' ? NaN : Number(c)));
      if (cells.length !== 2 || !Number.isFinite(minute) || !Number.isFinite(listeners))
        issues.push({
          file,
          path: '',
          line: i + 1,
          message: `expected "minute,listeners", got "${line.slice(0, 40)}"`,
        });
      else if (listeners! < 0)
        issues.push({ file, path: '', line: i + 1, message: 'expected listeners >= 0' });
      else points.push([minute!, listeners!]);
    });
  }
  if (points.length < 2 && !issues.length)
    issues.push({ file, path: '', message: 'expected at least two [minute, listeners] points' });
  for (let i = 1; i < points.length; i++) {
    if (points[i]![0] <= points[i - 1]![0]) {
      issues.push({
        file,
        path: '',
        message: `minutes must increase; ${points[i]![0]} comes after ${points[i - 1]![0]}`,
      });
      break;
    }
  }
  if (issues.length) throw new InputError(issues);
  return points;
}
