import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../lambda/adapters/config-file';
import { buildRuntimeConfig } from '../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from './runtime-for-region';
import { SurgeGuardStack } from './surgeguard-stack';
import { addNagSuppressions } from './nag-suppressions';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** The CDK app to add stacks to. @default a new App */
  readonly app?: App;
  /** When schedules are judged from. @default context `surgeguard:now`, else the time of synth */
  readonly now?: Date;
  /** Run the cdk-nag AwsSolutions checks. @default context `nag` is not 'false' */
  readonly nag?: boolean;
}

/**
 * Builds the SurgeGuard app from the event config (context `config`, default `config/events.yaml`): one stack
 * per region that holds fleets. The config is validated first; a bad config throws InputError before any
 * resource exists.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stacks: SurgeGuardStack[] } {
  const app = options.app ?? new App();
  const file = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_PATH;
  const loaded = loadConfig(file);
  const runtime = buildRuntimeConfig(loaded.config, loaded.models);
  const nowContext = app.node.tryGetContext('surgeguard:now') as string | undefined;
  const now = options.now ?? (nowContext ? new Date(nowContext) : new Date());
  const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
  const stacks = fleetRegions(runtime).map(
    (region) =>
      new SurgeGuardStack(app, `SurgeGuard-${region}`, {
        env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
        description: `SurgeGuard for the fleets in ${region} (config ${file})`,
        runtime: runtimeForRegion(runtime, region),
        now,
        alarmEmail,
      }),
  );
  const nag = options.nag ?? app.node.tryGetContext('nag') !== 'false';
  for (const stack of stacks) addNagSuppressions(stack);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks };
}
