import { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../lambda/adapters/config-file';
import { InputError } from '../lambda/core/issues';
import { buildRuntimeConfig } from '../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from './runtime-for-region';
import { SurgeGuardStack } from './surgeguard-stack';
import { DEFAULT_NAME_PREFIX, namePrefixProblem } from './surgeguard';
import { addNagSuppressions } from './nag-suppressions';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** The CDK app to add stacks to. @default a new App */
  readonly app?: App;
  /**
   * The publish time recorded in the documents, and the instant past events are reported against at synth (the
   * schedules themselves are made at run time, against the real clock).
   * @default context `surgeguard:now` (ISO 8601), else no instant (see SurgeGuardProps.now)
   */
  readonly now?: Date;
  /** Starts the stack names and every physical name. @default context `surgeguard:namePrefix`, else 'SurgeGuard' */
  readonly namePrefix?: string;
}

/**
 * Builds the SurgeGuard app from the event config (context `config`, default `config/events.yaml`): one stack
 * per region that holds fleets, named `<namePrefix>-<region>`. The config and the context are validated first; bad
 * ones throw InputError before any resource exists. Reads no clock: the same inputs give the same templates. The
 * cdk-nag acknowledgements are attached; running the checks is the caller's choice (bin/app.ts does).
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stacks: SurgeGuardStack[] } {
  const app = options.app ?? new App();
  const file = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_PATH;
  const now = options.now ?? contextInstant(app, 'surgeguard:now');
  const namePrefix = options.namePrefix ?? contextNamePrefix(app, 'surgeguard:namePrefix');
  const loaded = loadConfig(file);
  const runtime = buildRuntimeConfig(loaded.config, loaded.models);
  const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
  const stacks = fleetRegions(runtime).map(
    (region) =>
      new SurgeGuardStack(app, `${namePrefix}-${region}`, {
        env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
        description: `SurgeGuard for the fleets in ${region} (config ${file})`,
        runtime: runtimeForRegion(runtime, region),
        now,
        namePrefix,
        alarmEmail,
      }),
  );
  for (const stack of stacks) {
    addNagSuppressions(stack);
  }
  return { app, stacks };
}

/** A context value that must be an ISO 8601 instant, if given. */
function contextInstant(app: App, key: string): Date | undefined {
  const value = app.node.tryGetContext(key) as unknown;
  if (value === undefined) return undefined;
  const at = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw contextError(
      key,
      `expected an ISO 8601 instant such as 2027-03-01T18:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return at;
}

/** The name prefix from context, checked like the construct checks it. */
function contextNamePrefix(app: App, key: string): string {
  const value = app.node.tryGetContext(key) as unknown;
  if (value === undefined) return DEFAULT_NAME_PREFIX;
  const problem = typeof value === 'string' ? namePrefixProblem(value) : 'expected a string';
  if (problem) throw contextError(key, problem);
  return value as string;
}

function contextError(key: string, message: string): InputError {
  return new InputError([{ file: 'context', path: key, message }]);
}
