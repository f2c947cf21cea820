import { ECSClient } from '@aws-sdk/client-ecs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { DynamoStateStore } from '../../lambda/adapters/dynamodb-state';
import { LocalCapacity, noMetrics } from '../../lambda/adapters/local-capacity';
import type { RunbookDeps } from '../../lambda/controller/runbook';
import type * as Middleware from '../../lambda/handlers/middleware';
import type * as Prescale from '../../lambda/handlers/prescale';
import type * as Runbook from '../../lambda/handlers/runbook';
import type * as Runtime from '../../lambda/handlers/runtime';
import type * as Watch from '../../lambda/handlers/watch';
import type { Log } from '../../lambda/ports';
import { fakeDynamo } from '../fakes/fake-dynamo';
import { FakeClock } from '../fakes/clock';
import { lambdaContext, testRuntime } from '../fixtures/runtime';

/**
 * The handlers and their Powertools instances, loaded afresh under `env` as a container would start: the instances
 * read the environment when they are made (and the logger goes back to that level at every invocation).
 */
async function load(env: Record<string, string>) {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    let mods!: [typeof Runtime, typeof Prescale, typeof Watch, typeof Runbook, typeof Middleware];
    await jest.isolateModulesAsync(async () => {
      mods = await Promise.all([
        import('../../lambda/handlers/runtime'),
        import('../../lambda/handlers/prescale'),
        import('../../lambda/handlers/watch'),
        import('../../lambda/handlers/runbook'),
        import('../../lambda/handlers/middleware'),
      ]);
    });
    const [rt, prescale, watch, runbook, middleware] = mods;
    return { ...rt, ...prescale, ...watch, ...runbook, ...middleware };
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const runtime = testRuntime();
const RAMP = Date.parse(runtime.plan.events[0]!.fleets[0]!.rampStart);
const ONCALL = 'arn:aws:iam::123456789012:user/oncall';

/** What the handlers write to stdout and stderr (log lines, EMF metrics) while `act` runs, line by line. */
async function output(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const capture = (stream: NodeJS.WriteStream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  const spies = [capture(process.stdout), capture(process.stderr)];
  try {
    // A failed invocation logs too: what it wrote is what is asserted.
    await act().catch(() => undefined);
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return written
    .flatMap((w) => w.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The structured log lines written while `act` runs. */
const logLines = async (act: () => Promise<unknown>) => (await output(act)).filter((l) => 'level' in l);
/** The EMF metric lines written while `act` runs. */
const emfLines = async (act: () => Promise<unknown>) => (await output(act)).filter((l) => '_aws' in l);

type Loaded = Awaited<ReturnType<typeof load>>;

/** Dependencies wired as the deployed runtime wires them: controller logs and audit through the Powertools logger. */
function depsOver(logger: Loaded['logger'], nowMs: number): RunbookDeps {
  const db = fakeDynamo();
  const log: Log = {
    info: (m, a) => logger.info(m, a ?? {}),
    warn: (m, a) => logger.warn(m, a ?? {}),
    error: (m, a) => logger.error(m, a ?? {}),
  };
  return {
    runtime,
    clock: new FakeClock(nowMs),
    metrics: noMetrics,
    capacity: new LocalCapacity((id) => runtime.config.fleets.find((f) => f.id === id)?.baselineTasks ?? 0),
    state: new DynamoStateStore(db.client, {
      tableName: 'sg',
      correlationId: () => logger.getCorrelationId() as string | undefined,
    }),
    log,
    telemetry: { metric: () => undefined },
    actor: 'test-fn',
  };
}

const urlEvent = (body: unknown, requestId?: string) =>
  ({
    rawPath: '/',
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId, authorizer: { iam: { userArn: ONCALL } } },
  }) as never;

describe('the correlation id on every log line', () => {
  let loaded: Loaded;
  const deps = (nowMs: number) => depsOver(loaded.logger, nowMs);
  beforeAll(async () => {
    loaded = await load({ POWERTOOLS_LOG_LEVEL: 'INFO' });
  });

  it("a scheduled invocation logs and audits under its schedule's execution id", async () => {
    // Prepare: one fleet's capacity call fails, so the controller has something to log.
    const base = deps(RAMP + 5_000);
    const capacity = base.capacity;
    const d: RunbookDeps = {
      ...base,
      capacity: {
        read: (f) => capacity.read(f),
        counts: (f) => capacity.counts(f),
        restore: (f, s) => capacity.restore(f, s),
        applyFloor: async (f, tasks, ceiling) => {
          if (f.fleetId === 'euw1') throw new Error('UpdateService throttled');
          return capacity.applyFloor(f, tasks, ceiling);
        },
      },
    };
    const handler = loaded.makePrescaleHandler(() => d);
    // Act
    const lines = await logLines(() => handler({ eventId: 'ev', correlationId: 'exec-42' }, lambdaContext()));
    // Assess
    expect(lines.map((l) => l.message)).toContain('prescale failed');
    expect(lines.map((l) => l.correlation_id)).toEqual(lines.map(() => 'exec-42'));
    // SurgeGuard's metrics are emitted as they happen: nothing is left to flush, and nothing says so.
    expect(lines.filter((l) => /metrics/i.test(String(l.message)))).toEqual([]);
    const audit = await d.state.listAudit({ eventId: 'ev' });
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.map((a) => a.correlationId)).toEqual(audit.map(() => 'exec-42'));
  });

  it("a function URL request logs and audits under the URL's request id", async () => {
    const d = deps(RAMP);
    const handler = loaded.makeRunbookUrlHandler(() => d);
    const lines = await logLines(() =>
      handler(
        urlEvent({ op: 'hold', all: true, forMinutes: 30, reason: 'checking' }, 'url-req-7'),
        lambdaContext(),
      ),
    );
    const op = lines.find((l) => l.message === 'runbook operation');
    expect(op).toMatchObject({ correlation_id: 'url-req-7', op: 'hold', actor: ONCALL });
    expect(lines.every((l) => l.correlation_id === 'url-req-7')).toBe(true);
    const audit = await d.state.listAudit({});
    expect(audit.map((a) => [a.action, a.correlationId])).toEqual([['hold', 'url-req-7']]);
  });

  it('an invocation with neither logs under the Lambda request id, and the next one under its own', async () => {
    const handler = loaded.makeRunbookUrlHandler(() => deps(RAMP));
    const first = await logLines(() => handler(urlEvent({ op: 'status' }), lambdaContext()));
    expect(first.find((l) => l.message === 'runbook operation')?.correlation_id).toBe('req-1');
    const automation = loaded.makeRunbookAutomationHandler(
      () => deps(RAMP),
      async () => ({
        documentName: 'SurgeGuard-us-east-1-Pause',
        status: 'InProgress',
        executedBy: ONCALL,
        parameters: { Reason: ['drill'] },
      }),
      'SurgeGuard-us-east-1',
    );
    const next = await logLines(() =>
      automation(
        { source: 'ssm-automation', executionId: 'e-1' },
        { ...lambdaContext(), awsRequestId: 'req-2' },
      ),
    );
    expect(next.find((l) => l.message === 'runbook operation')?.correlation_id).toBe('req-2');
    expect(next.every((l) => l.correlation_id === 'req-2')).toBe(true);
  });
});

describe('the Tracer', () => {
  const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_FUNCTION_NAME: 'sg-watch' };
  const xray = (client: ECSClient) => client.middlewareStack.identify().filter((m) => /XRay/.test(m));

  it.each([
    { where: 'outside Lambda (CLI rehearsals, tests)', env: {}, on: false },
    { where: 'in Lambda', env: LAMBDA, on: true },
    {
      where: 'in Lambda with POWERTOOLS_TRACE_ENABLED=false',
      env: { ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' },
      on: false,
    },
  ])('$where: tracing on is $on, and so is the instrumentation of AWS clients', async ({ env, on }) => {
    const { tracer, traced } = await load(env);
    expect(tracer.isTracingEnabled()).toBe(on);
    const client = new ECSClient({ region: 'us-east-1' });
    expect(traced(client)).toBe(client);
    expect(xray(client)).toHaveLength(on ? 1 : 0);
  });

  it('outside Lambda a handler runs as before, through the no-op Tracer', async () => {
    const { logger, makeRunbookUrlHandler } = await load({});
    const handler = makeRunbookUrlHandler(() => depsOver(logger, RAMP));
    const res = (await handler(urlEvent({ op: 'status' }, 'url-1'), lambdaContext())) as {
      statusCode: number;
    };
    expect(res.statusCode).toBe(200);
  });
});

describe('the cold-start metric', () => {
  it('is emitted once per container, on its first invocation, with the function name', async () => {
    // Lambda says how the container started; Powertools counts a cold start only for an on-demand one.
    const { logger, makeWatchHandler } = await load({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    const handler = makeWatchHandler(() => depsOver(logger, RAMP - 3_600_000));
    const emf = () => emfLines(() => handler({ correlationId: 'exec-1' }, lambdaContext()));
    const first = await emf();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ ColdStart: 1, function_name: 'test-fn', service: 'surgeguard' });
    expect(JSON.stringify(first[0]!._aws)).toContain('"Namespace":"SurgeGuard"');
    expect(await emf()).toHaveLength(0);
  });

  it('flushes metrics a handler stores, at the end of its invocation', async () => {
    const { observers, observe } = await load({});
    const handler = middy()
      .use(observe(observers))
      .handler(async () => {
        observers.metrics.addMetric('Stored', MetricUnit.Count, 2);
      });
    expect(await emfLines(() => handler({}, lambdaContext()))).toEqual([
      expect.objectContaining({ Stored: 2 }),
    ]);
  });
});
