import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { InputError } from '../../lambda/core/issues';
import { buildApp } from '../../lib/app';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');

function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'sg-det-')),
    context: { config: CONFIG, 'aws:cdk:bundling-stacks': [], ...context },
  });
}

/** Every template of a synthesised app, by file name. */
function templates(app: App): Record<string, string> {
  const dir = app.synth().directory;
  const names = readdirSync(dir).filter((f) => f.endsWith('.template.json'));
  return Object.fromEntries(names.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Synthesises the app as if the wall clock read `clock`: only Date is faked. */
function synthAt(clock: string, context: Record<string, unknown> = {}): Record<string, string> {
  jest.useFakeTimers({
    now: new Date(clock),
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate'],
  });
  try {
    return templates(buildApp({ app: newApp(context) }).app);
  } finally {
    jest.useRealTimers();
  }
}

describe('synth', () => {
  it.each([
    { name: 'without surgeguard:now', context: {} },
    { name: 'with surgeguard:now', context: { 'surgeguard:now': '2026-11-22T00:00:00Z' } },
  ])('gives byte-identical templates whatever the wall clock reads, $name', ({ context }) => {
    // Prepare and act: the same inputs, the clock years apart (before and after every event in the config).
    const early = synthAt('2020-01-01T00:00:00Z', context);
    const late = synthAt('2031-06-01T00:00:00Z', context);
    // Assess
    expect(Object.keys(early)).toHaveLength(2);
    expect(late).toEqual(early);
  });

  it('makes the same template with or without an instant: schedules are made at run time', () => {
    const strip = (t: Template) => JSON.stringify(t.toJSON()).replace(/[0-9a-f]{64}/g, 'HASH');
    const at = (context: Record<string, unknown>) =>
      Template.fromStack(buildApp({ app: newApp(context) }).stacks.find((s) => s.region === 'us-east-1')!);
    const without = at({});
    expect(strip(at({ 'surgeguard:now': '2026-11-22T00:00:00Z' }))).toBe(strip(without));
    without.resourceCountIs('AWS::Scheduler::Schedule', 1);
  });

  it('with an instant says which events are over, and warns of nothing', () => {
    const { stacks } = buildApp({ app: newApp({ 'surgeguard:now': '2026-11-22T00:00:00Z' }) });
    const us = stacks.find((s) => s.region === 'us-east-1')!;
    Annotations.fromStack(us).hasInfo('*', Match.stringLikeRegexp('spaces-2024-08-12 is over'));
    Annotations.fromStack(us).hasNoWarning('*', Match.anyValue());
  });

  it.each([
    {
      key: 'surgeguard:now',
      value: 'next tuesday',
      message: /context: surgeguard:now: expected an ISO 8601 instant/,
    },
    { key: 'surgeguard:now', value: 42, message: /context: surgeguard:now: expected an ISO 8601 instant/ },
    {
      key: 'surgeguard:namePrefix',
      value: 'my prefix',
      message: /context: surgeguard:namePrefix: name prefix/,
    },
    { key: 'surgeguard:namePrefix', value: 'aws-audio', message: /may not start with aws/ },
  ])('rejects context $key=$value with a clear error before any stack', ({ key, value, message }) => {
    const app = newApp({ [key]: value });
    expect(() => buildApp({ app })).toThrow(InputError);
    expect(() => buildApp({ app })).toThrow(message);
    expect(app.node.children).toHaveLength(0);
  });
});
