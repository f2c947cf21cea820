/**
 * `npm run bench`: replays every shipped scenario with every policy and measures the controller, the replay and
 * the Lambda bundles. Writes bench/RESULTS.md. Figures are measured, never set.
 */
import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { watchTick } from '../lambda/controller/watch';
import type { ControllerDeps } from '../lambda/controller/deps';
import { configSchema } from '../lambda/core/config/schema';
import { buildRuntimeConfig } from '../lambda/core/runtime-config';
import { decideWatch } from '../lambda/core/watch-policy';
import { fitUsl, uslCapacity } from '../lambda/core/usl';
import { findEvent, fleetTimeline } from '../lambda/core/runtime-config';
import type { MetricQuery, MetricSource } from '../lambda/ports';
import { noTelemetry, silentLog } from '../lambda/ports';
import { MemoryStateStore } from '../lambda/adapters/memory-state';
import { SimCapacity, SimClock } from '../sim/ports';
import { AWS_REACTION, measureReaction } from '../sim/calibration';
import { withPerfectTest } from '../sim/bounds';
import { FRAME_SECONDS, POLICY_NAMES, replay } from '../sim/replay';
import { comparisonRows } from '../sim/report';
import { loadScenario } from '../sim/scenario';
import { WorldFleet } from '../sim/world';
import { writeGeneratedConfig } from '../test/fixtures/generated-config';
import { TEST_CLIENTS } from '../test/fixtures/world';
import { costOfConfig } from './cost';
import type { ScenarioOutcome } from './targets';
import { targetLines, unmetWhy } from './targets';

const ROOT = join(__dirname, '..');
const lines: string[] = [];
const say = (s = '') => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};
const md = (rows: string[][]) => {
  const [head, ...body] = rows;
  return [
    `| ${head!.join(' | ')} |`,
    `|${head!.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function main(): Promise<void> {
  say('# SurgeGuard benchmark results');
  say();
  say(
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}. Every figure below is measured by this run.`,
  );
  say();

  say('## Replays: every shipped scenario, every policy');
  say();
  const dir = join(ROOT, 'scenarios');
  const replayTimes: { name: string; seconds: number; simulated: number }[] = [];
  const outcomes: ScenarioOutcome[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const ls = loadScenario(join(dir, file));
    const t0 = performance.now();
    const runs = await replay(ls, [...POLICY_NAMES]);
    const seconds = (performance.now() - t0) / 1000;
    const simulated = (runs[0]!.frames.at(-1)!.t - runs[0]!.frames[0]!.t) / 3600;
    replayTimes.push({ name: ls.scenario.name, seconds, simulated });
    say(`### ${ls.scenario.name}`);
    say();
    say(ls.scenario.description ?? '');
    say();
    say(md(comparisonRows(runs)));
    say();
    const oracleHours = runs.find((r) => r.name === 'oracle')!.figures.taskHours;
    const [perfect] = await replay(withPerfectTest(ls), ['surgeguard', 'oracle']);
    const sg = runs.find((r) => r.name === 'surgeguard')!.figures;
    const hoursBeforeStart = (name: string) =>
      runs
        .find((r) => r.name === name)!
        .frames.filter((f) => f.t < 0)
        .reduce((sum, f) => sum + ((f.running + f.pending) * FRAME_SECONDS) / 3600, 0);
    outcomes.push({
      name: ls.scenario.name,
      surgeguard: sg,
      oracleServed: runs.find((r) => r.name === 'oracle')!.figures.servedFraction,
      faulted: ls.scenario.faults.length > 0,
      beforeStart: { surgeguard: hoursBeforeStart('surgeguard'), oracle: hoursBeforeStart('oracle') },
      perfectTestCost: perfect!.figures.taskHours / oracleHours,
      reaction: {
        periodSeconds: ls.scenario.metrics.periodSeconds,
        delaySeconds: ls.scenario.metrics.delaySeconds,
        startupSeconds: Math.max(...ls.scenario.fleets.map((f) => f.startupSeconds)),
      },
    });
    const th = (x: number) => Math.round(x).toLocaleString('en-US');
    say(
      `With a perfect scaling test (the planners given the true curve) SurgeGuard spends ${th(perfect!.figures.taskHours)} task-hours, ${(perfect!.figures.taskHours / oracleHours).toFixed(2)}x the oracle, serving ${(perfect!.figures.servedFraction * 100).toFixed(3)}%; with the scenario's own test, ${th(sg.taskHours)} (${(sg.taskHours / oracleHours).toFixed(2)}x). The difference is what the test's error costs while the live model learns the fleet.`,
    );
    say();
    const ticks = runs.find((r) => r.name === 'surgeguard')!.tickMs;
    say(
      `SurgeGuard controller ticks in this replay: ${ticks.length}, p50 ${pct(ticks, 50).toFixed(2)} ms, p95 ${pct(ticks, 95).toFixed(2)} ms, max ${Math.max(...ticks).toFixed(2)} ms (whole tick: state, metrics, decision, shield, audit, in memory).`,
    );
    say();
  }

  say('## Targets of issues #12 and #13, checked against these replays');
  say();
  say(md(targetLines(outcomes)));
  say();
  const why = unmetWhy(outcomes);
  if (why.length) {
    say('Why the unmet targets are not met, from these replays:');
    say();
    for (const line of why) say(line);
    say();
  }
  say(
    'More on each, with what each would take, is in the README ("The figures"); no rule is tuned to a scenario.',
  );
  say();

  say('## Replay speed');
  say();
  say(
    md([
      ['scenario', 'simulated hours (per policy)', 'policies', 'wall time (s)'],
      ...replayTimes.map((r) => [
        r.name,
        r.simulated.toFixed(1),
        String(POLICY_NAMES.length),
        r.seconds.toFixed(2),
      ]),
    ]),
  );
  say();
  say('Target: a 3-hour, 1.3 M-listener replay of all policies in under 10 s on a 2-core machine.');
  say();

  say('## Target-tracking model against AWS measurements');
  say();
  const rows: string[][] = [
    ['policy', 'trigger (model)', 'trigger (AWS)', 'running (model)', 'running (AWS)'],
  ];
  for (const p of ['target-tracking', 'target-tracking-20s'] as const) {
    const m = await measureReaction(p);
    rows.push([
      p,
      `${m.triggerSeconds} s`,
      `${AWS_REACTION[p].triggerSeconds} s`,
      `${m.runningSeconds} s`,
      `${AWS_REACTION[p].runningSeconds} s`,
    ]);
  }
  say(md(rows));
  say();
  say('Measured on a step in load from 40% to 95% of capacity, 10 s frame resolution.');
  say();

  say('## Controller decision time, 20 fleets');
  say();
  await controllerBench();
  await tickBudgetBench();

  say('## Lambda bundles');
  say();
  const bundles: string[][] = [['handler', 'minified bytes', 'under 1 MB']];
  for (const h of ['prescale', 'watch', 'restore', 'runbook']) {
    const r = buildSync({
      entryPoints: [join(ROOT, 'lambda', 'handlers', `${h}.ts`)],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      mainFields: ['module', 'main'],
      write: false,
      outfile: `${h}.mjs`,
      logLevel: 'silent',
    });
    const bytes = r.outputFiles
      .filter((f) => f.path.endsWith('.mjs'))
      .reduce((s, f) => s + f.contents.length, 0);
    bundles.push([h, bytes.toLocaleString('en-US'), bytes < 1_000_000 ? 'yes' : 'NO']);
  }
  say(md(bundles));
  say();
  say('Built with the settings the stack uses (esbuild, ESM, minified, Node 22, AWS SDK bundled).');
  say();

  cliSection();
  costSection();
  const out = join(ROOT, 'bench', 'RESULTS.md');
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`wrote ${relative(process.cwd(), out) || out}`);
}

/** The monthly cost of generated small, medium and large configs (bench/cost.ts), and their largest stack. */
function costSection(when?: string): void {
  say('## Monthly cost by config size');
  say();
  if (when) {
    say(when);
    say();
  }
  const sizes = [
    ['small', { fleets: 5, regions: 2, events: 10 }],
    ['medium', { fleets: 20, regions: 4, events: 60 }],
    ['large', { fleets: 50, regions: 5, events: 300 }],
  ] as const;
  const rows = [
    ['config', 'fleets / regions / events (60 days)', 'largest stack (resources)', 'per month (USD)'],
  ];
  const detail: string[][] = [];
  for (const [name, size] of sizes) {
    const c = costOfConfig(writeGeneratedConfig(size));
    rows.push([
      name,
      `${c.fleets} / ${c.regions} / ${c.events}`,
      String(c.maxStackResources),
      c.total.toFixed(2),
    ]);
    for (const l of c.lines) detail.push([name, l.item, l.usage, l.usd.toFixed(2)]);
  }
  say(md(rows));
  say();
  say(md([['config', 'item', 'usage a month', 'USD'], ...detail]));
  say();
  say(
    "Computed from the configs by bench/cost.ts at us-east-1 list prices (its PRICES), WAF and the fleets' own tasks apart. Events are spread over 60 days and scaled to 30.",
  );
  say();
}

/** Spawns of each command line the CLI start time is the median of. */
const CLI_RUNS = 9;
/** The start time the issue asks of `--help`, `--version` and `<command> --help`. */
const CLI_TARGET_MS = 300;

/** The CLI start section: compiles the CLI as `npm ci` and `npm pack` do, then times the bin answering. */
function cliSection(when?: string): void {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:cli failed: ${build.stderr}`);
  say('## CLI start time');
  say();
  if (when) {
    say(when);
    say();
  }
  say(md(cliStartTimes()));
  say();
  say(
    `Wall time of \`node bin/surgeguard.js <args>\` in a fresh process, median and max of ${CLI_RUNS} runs each, running the compiled CLI (\`npm run build:cli\`: one esbuild bundle whose commands, and the parsers, simulator and AWS SDK they use, load only when the command runs). Target: under ${CLI_TARGET_MS} ms. For scale, \`node -e 0\` on this machine: ${median(spawnMs(['-e', '0'])).toFixed(0)} ms.`,
  );
  say();
}

/** Wall times of `node <args>`, each in a fresh process; throws if one fails. */
function spawnMs(args: string[]): number[] {
  const ms: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    ms.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  }
  return ms;
}

const median = (xs: number[]) => pct(xs, 50);

/** How long the CLI takes to answer `--version`, `--help` and a command's `--help`. */
function cliStartTimes(): string[][] {
  const rows = [['command', 'median (ms)', 'max (ms)', `under ${CLI_TARGET_MS} ms`]];
  for (const args of [['--version'], ['--help'], ['status', '--help']]) {
    const ms = spawnMs([join(ROOT, 'bin', 'surgeguard.js'), ...args]);
    rows.push([
      `surgeguard ${args.join(' ')}`,
      median(ms).toFixed(0),
      Math.max(...ms).toFixed(0),
      median(ms) < CLI_TARGET_MS ? 'yes' : 'NO',
    ]);
  }
  return rows;
}

/** `n` fleets as a config names them, fleet `i` in `regionOf(i)`, each with its own metric dimension. */
function benchFleets(n: number, regionOf: (i: number) => string) {
  const metrics = {
    namespace: 'B',
    listeners: { metricName: 'Listeners' },
    joinRequests: { metricName: 'JoinRequests' },
    joinSuccesses: { metricName: 'JoinSuccesses' },
    joinErrorsCapacity: { metricName: 'JoinErrorsCapacity' },
    joinErrorsAuth: { metricName: 'JoinErrorsAuth' },
  };
  return Array.from({ length: n }, (_, i) => ({
    id: `f${i}`,
    region: regionOf(i),
    cluster: 'c',
    service: `s${i}`,
    baselineTasks: 10,
    maxTasks: 5000,
    vcpuPerTask: 4,
    startupSeconds: 60,
    scalingTest: 'x',
    metrics: { ...metrics, dimensions: { Fleet: `f${i}` } },
  }));
}

/** The capacity model every bench fleet is planned with: a USL fitted to a six-step test. */
function benchModel() {
  return fitUsl(
    [1, 2, 4, 8, 16, 32].map((n) => ({
      tasks: n,
      listeners: uslCapacity({ lambda: 3000, sigma: 0.0005, kappa: 1e-6 }, n),
    })),
  );
}

/** The replay world's fleets behind the bench's capacity port: each carrying `share` of the audience. */
function benchWorld(
  fleets: ReturnType<typeof benchFleets>,
  model: ReturnType<typeof benchModel>,
  share: number,
) {
  return new Map(
    fleets.map((f) => [
      f.id,
      new WorldFleet(
        { ...f, share, launchRatePerMinute: 500, scalingTest: 'x' } as never,
        { ...model, joinsPerTaskPerSecond: 100 },
        TEST_CLIENTS,
      ),
    ]),
  );
}

async function controllerBench(): Promise<void> {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
  const fleets = benchFleets(20, (i) => regions[i % 3]!);
  const config = configSchema.parse({
    regions: Object.fromEntries(regions.map((r) => [r, { fargateVcpuQuota: 100000 }])),
    fleets,
    events: [
      {
        id: 'e',
        title: 'E',
        start: '2030-01-01T20:00:00Z',
        durationMinutes: 120,
        expectedPeakListeners: 4_000_000,
        fleets: fleets.map((f) => ({ fleet: f.id, share: 1 / 20 })),
      },
    ],
  });
  const model = benchModel();
  const runtime = buildRuntimeConfig(config, Object.fromEntries(fleets.map((f) => [f.id, model])));
  const now = Date.parse('2030-01-01T20:10:00Z');
  const series = (base: number) =>
    Array.from({ length: 12 }, (_, k) => ({ t: now - (13 - k) * 60_000, v: base + k * 1000 }));

  // The pure decision for 20 fleets.
  const view = findEvent(runtime, 'e')!;
  const inputs = view.fleets.map((f) => ({
    nowMs: now,
    timeline: fleetTimeline(view, f.plan, 0),
    model,
    headroom: 0.3,
    fleet: { maxTasks: 5000, vcpuPerTask: 4, startupSeconds: 60, periodSeconds: 60, delaySeconds: 60 },
    controller: runtime.config.controller,
    stepDown: { steps: 4, intervalMinutes: 10 },
    metrics: { listeners: series(150_000), joinErrorsCapacity: series(100) },
    currentTasks: 70,
    recordedTasks: 10,
    vcpuAvailable: 100000,
    peakListeners: 200000,
  }));
  const times: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    for (const input of inputs) decideWatch(input);
    times.push(performance.now() - t0);
  }

  // A whole tick over in-memory ports, counting GetMetricData calls per region.
  const calls = new Map<string, number>();
  const source: MetricSource = {
    async fetch(region: string, queries: readonly MetricQuery[]) {
      calls.set(region, (calls.get(region) ?? 0) + 1);
      return new Map(queries.map((q) => [q.id, series(150_000)]));
    },
  };
  const world = benchWorld(fleets, model, 0.05);
  const clock = new SimClock(now);
  const deps: ControllerDeps = {
    runtime,
    clock,
    metrics: source,
    capacity: new SimCapacity(world),
    state: new MemoryStateStore(),
    log: silentLog,
    telemetry: noTelemetry,
    actor: 'bench',
  };
  const tickTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await watchTick(deps);
    tickTimes.push(performance.now() - t0);
    clock.ms += 20_000;
  }
  const perRegionPerTick = [...calls.values()].map((c) => c / 50);
  say(
    md([
      ['measure', 'p50', 'p95', 'max', 'target'],
      [
        'decision compute, 20 fleets (ms per tick)',
        pct(times, 50).toFixed(3),
        pct(times, 95).toFixed(3),
        Math.max(...times).toFixed(3),
        '< 50 ms',
      ],
      [
        'whole tick over in-memory ports, 20 fleets (ms)',
        pct(tickTimes, 50).toFixed(2),
        pct(tickTimes, 95).toFixed(2),
        Math.max(...tickTimes).toFixed(2),
        '-',
      ],
    ]),
  );
  say();
  say(
    `GetMetricData calls per region per tick (20 fleets in 3 regions, 50 ticks): ${perRegionPerTick.map((c) => c.toFixed(2)).join(', ')} (target: 1).`,
  );
  say();
}

/**
 * One region's watch tick for 20 and 50 live fleets with AWS's latency simulated: 3 ms per state call and 30 ms per
 * GetMetricData call (500 queries each, sent together as the adapter does). Ten fleets in five live events, plus
 * 40 events not live, as a busy quarter's config holds.
 */
async function tickBudgetBench(): Promise<void> {
  const STATE_MS = 3;
  const METRICS_MS = 30;
  const TICKS = 15;
  const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  say('## Tick budget with simulated AWS latency');
  say();
  const rows = [
    [
      'live fleets',
      'events in config',
      'tick p50 (ms)',
      'tick p95 (ms)',
      'state calls / tick',
      'GetMetricData calls / tick',
    ],
  ];
  for (const n of [20, 50]) {
    const fleets = benchFleets(n, () => 'us-east-1');
    const perEvent = 10;
    const live = Array.from({ length: n / perEvent }, (_, e) => ({
      id: `live-${e}`,
      title: 'Live',
      start: '2030-01-01T20:00:00Z',
      durationMinutes: 120,
      expectedPeakListeners: 1_000_000,
      fleets: fleets
        .slice(e * perEvent, (e + 1) * perEvent)
        .map((f) => ({ fleet: f.id, share: 1 / perEvent })),
    }));
    const later = Array.from({ length: 40 }, (_, e) => ({
      id: `later-${e}`,
      title: 'Later',
      start: new Date(Date.parse('2030-01-03T20:00:00Z') + e * 86_400_000).toISOString(),
      durationMinutes: 60,
      expectedPeakListeners: 100_000,
      fleets: [{ fleet: fleets[e % n]!.id, share: 1 }],
    }));
    const config = configSchema.parse({
      regions: { 'us-east-1': { fargateVcpuQuota: 1_000_000 } },
      fleets,
      events: [...live, ...later],
    });
    const model = benchModel();
    const runtime = buildRuntimeConfig(config, Object.fromEntries(fleets.map((f) => [f.id, model])));
    const now = Date.parse('2030-01-01T20:10:00Z');
    const clock = new SimClock(now);
    const series = () =>
      Array.from({ length: 12 }, (_, k) => ({ t: clock.ms - (13 - k) * 60_000, v: 100_000 + k * 1000 }));
    const count = { state: 0, metrics: 0 };
    const inner = new MemoryStateStore();
    // Every method of the store answers 3 ms late, as a DynamoDB call in the region would.
    const state = new Proxy(inner, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          count.state++;
          await delay(STATE_MS);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const source: MetricSource = {
      async fetch(_region: string, queries: readonly MetricQuery[]) {
        const calls = Math.ceil(queries.length / 500);
        count.metrics += calls;
        await delay(METRICS_MS);
        return new Map(queries.map((q) => [q.id, series()]));
      },
    };
    const world = benchWorld(fleets, model, 1 / perEvent);
    const deps: ControllerDeps = {
      runtime,
      clock,
      metrics: source,
      capacity: new SimCapacity(world),
      state,
      log: silentLog,
      telemetry: noTelemetry,
      actor: 'bench',
    };
    await watchTick(deps); // the first tick records every fleet's settings: not a steady tick
    clock.ms += 20_000;
    count.state = 0;
    count.metrics = 0;
    const times: number[] = [];
    for (let i = 0; i < TICKS; i++) {
      const t0 = performance.now();
      await watchTick(deps);
      times.push(performance.now() - t0);
      clock.ms += 20_000;
    }
    rows.push([
      String(n),
      String(config.events.length),
      pct(times, 50).toFixed(0),
      pct(times, 95).toFixed(0),
      (count.state / TICKS).toFixed(1),
      (count.metrics / TICKS).toFixed(1),
    ]);
  }
  say(md(rows));
  say();
  say(
    `Each state call waits ${STATE_MS} ms and each GetMetricData call ${METRICS_MS} ms; capacity reads and writes answer at once. A tick must end well inside \`controller.tickSeconds\` (20 s by default).`,
  );
  say();
}

/**
 * `npm run bench -- --only cli`: measures the CLI's start alone (seconds, not the whole bench's minutes) and
 * replaces that section of bench/RESULTS.md, saying when it was measured.
 */
function cliOnly(): void {
  cliSection(
    `Measured alone by \`npm run bench -- --only cli\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.`,
  );
  replaceSection('## CLI start time');
}

/** `npm run bench -- --only cost`: recomputes the monthly cost section alone. */
function costOnly(): void {
  costSection(
    `Computed alone by \`npm run bench -- --only cost\` on ${new Date().toISOString().slice(0, 10)}.`,
  );
  replaceSection('## Monthly cost by config size');
}

/** Replaces one section of bench/RESULTS.md with what was said (appends it if the file has none). */
function replaceSection(heading: string): void {
  const out = join(ROOT, 'bench', 'RESULTS.md');
  const text = readFileSync(out, 'utf8');
  const section = `${lines.join('\n')}\n`;
  const start = text.indexOf(heading);
  if (start < 0) {
    writeFileSync(out, `${text.trimEnd()}\n\n${section}`);
  } else {
    const next = text.indexOf('\n## ', start + 1);
    writeFileSync(out, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
  }
  console.log(`updated "${heading}" in ${relative(process.cwd(), out) || out}`);
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'cli' && only !== 'cost') {
  process.stderr.write(`bench: --only takes cli or cost, got "${only}"\n`);
  process.exitCode = 2;
} else {
  (only === 'cli' ? async () => cliOnly() : only === 'cost' ? async () => costOnly() : main)().catch(
    (err) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
