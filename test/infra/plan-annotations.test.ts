import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lambda/adapters/config-file';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { buildApp } from '../../lib/app';
import { annotatePlanWarnings } from '../../lib/plan-annotations';

const CONFIG = join(__dirname, '..', '..', 'config', 'events.yaml');
const loaded = loadConfig(CONFIG);
const runtime = buildRuntimeConfig(loaded.config, loaded.models);
const BEYOND = Match.stringLikeRegexp(
  '^plan of event spaces-2024-08-12, fleet sfu-use1: BEYOND_USL_PEAK: needs',
);

function annotated(options: Parameters<typeof annotatePlanWarnings>[3], past: string[] = [], context = {}) {
  const stack = new Stack(new App({ context }), 'S');
  new CfnWaitConditionHandle(stack, 'AnyResource'); // an empty template is itself a synth warning
  annotatePlanWarnings(stack, runtime, past, options);
  return Annotations.fromStack(stack);
}

describe('plan warnings at synth', () => {
  it("shows each warning of an event to come on its fleet's construct", () => {
    const a = annotated({});
    a.hasWarning('/S/Fleet-sfu-use1', BEYOND);
    a.hasWarning('/S/Fleet-sfu-use1', Match.stringLikeRegexp('EXTRAPOLATION'));
    a.hasNoError('*', Match.anyValue());
    a.hasNoWarning('/S/Fleet-sfu-euw1', Match.anyValue());
  });

  it('says nothing about an event that is over', () => {
    annotated({}, ['spaces-2024-08-12']).hasNoWarning('*', Match.anyValue());
  });

  it('makes them errors when strict, except the codes allowed', () => {
    const strict = annotated({ strict: true, allow: ['EXTRAPOLATION'] });
    strict.hasError('/S/Fleet-sfu-use1', BEYOND);
    strict.hasNoError('*', Match.stringLikeRegexp('EXTRAPOLATION'));
    strict.hasWarning('/S/Fleet-sfu-use1', Match.stringLikeRegexp('EXTRAPOLATION'));
    const fromContext = annotated(undefined, [], {
      'surgeguard:strict': 'true',
      'surgeguard:allow': 'extrapolation, VCPU_QUOTA',
    });
    fromContext.hasError('/S/Fleet-sfu-use1', BEYOND);
    fromContext.hasNoError('*', Match.stringLikeRegexp('VCPU_QUOTA'));
  });

  it('are on every stack the app builds, as errors under -c surgeguard:strict=true', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'sg-cdk-')),
      context: {
        config: CONFIG,
        'surgeguard:now': '2024-08-01T00:00:00Z',
        'surgeguard:strict': 'true',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const { stacks } = buildApp({ app });
    const use1 = stacks.find((s) => s.region === 'us-east-1')!;
    Annotations.fromStack(use1).hasError('/SurgeGuard-us-east-1/SurgeGuard/Fleet-sfu-use1', BEYOND);
  });
});
