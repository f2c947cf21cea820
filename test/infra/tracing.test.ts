import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import { loadConfig } from '../../lambda/adapters/config-file';
import { SCHEDULE_CORRELATION } from '../../lambda/core/payload';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { runtimeForRegion } from '../../lib/runtime-for-region';
import type { SurgeGuardProps } from '../../lib/surgeguard';
import { SurgeGuard } from '../../lib/surgeguard';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');
const NOW = new Date('2026-11-22T00:00:00Z');
const loaded = loadConfig(CONFIG);
// eu-west-1: its event is still to come on NOW, so it has schedules.
const runtime = runtimeForRegion(buildRuntimeConfig(loaded.config, loaded.models), 'eu-west-1');

function template(props: Partial<SurgeGuardProps> = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Audio', { env: { account: '111111111111', region: 'eu-west-1' } });
  new SurgeGuard(stack, 'AudioScaler', { runtime, now: NOW, ...props });
  return Template.fromStack(stack);
}

type Fn = {
  Properties: { TracingConfig?: { Mode: string }; Environment?: { Variables: Record<string, string> } };
};
/** SurgeGuard's own functions (CDK's BucketDeployment handler, which writes the document, is CDK's). */
const functions = (t: Template) =>
  (Object.values(t.findResources('AWS::Lambda::Function')) as Fn[]).filter(
    (f) => f.Properties.Environment?.Variables.SURGEGUARD_TABLE !== undefined,
  );

describe('tracing and correlation in CDK terms', () => {
  const traced = template();

  it('traces every function actively, with the Tracer left on', () => {
    const fns = functions(traced);
    // The three controllers and the three runbook entry points.
    expect(fns).toHaveLength(6);
    for (const fn of fns) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment?.Variables.POWERTOOLS_TRACE_ENABLED).toBeUndefined();
    }
  });

  it('turns tracing off in Lambda and in the Tracer alike', () => {
    const fns = functions(template({ tracing: false }));
    expect(fns).toHaveLength(6);
    for (const fn of fns) {
      expect(fn.Properties.TracingConfig?.Mode ?? 'PassThrough').not.toBe('Active');
      expect(fn.Properties.Environment?.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    }
  });

  it("passes the Scheduler's execution id to every scheduled invocation", () => {
    const schedules = Object.values(traced.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.length).toBeGreaterThan(0);
    for (const s of schedules) {
      const input = JSON.parse(s.Properties.Target.Input as string) as Record<string, unknown>;
      expect(input.correlationId).toBe(SCHEDULE_CORRELATION.correlationId);
      expect(SCHEDULE_CORRELATION.correlationId).toBe('<aws.scheduler.execution-id>');
    }
  });
});
