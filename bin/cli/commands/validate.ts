import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../../lambda/core/config/default-path';
import { deploymentLimitIssues } from '../../../lambda/core/config/deployment-limits';
import { InputError, formatIssue } from '../../../lambda/core/issues';
import { buildRuntimeConfig } from '../../../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from '../../../lib/runtime-for-region';
import type { CliIo } from '../io';
import { lazy } from '../lazy';
import type * as ConfigFile from '../../../lambda/adapters/config-file';

/**
 * `surgeguard validate`: checks the config and every scaling-test file it names, then the limits its deployment
 * reaches per region (CloudFormation resources per stack, the size of the config baked into the bundles).
 */
export function registerValidate(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description(
      'Check the event config, every scaling-test file and the limits of its deployment; print ok or every error (file:line:col).',
    )
    .option('-c, --config <path>', 'event config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print one JSON object: the counts, warnings and notes')
    .action(async (opts: { config: string; json?: boolean }) => {
      const { loadConfig } = lazy<typeof ConfigFile>('../../../lambda/adapters/config-file');
      const loaded = loadConfig(opts.config);
      const points = Object.values(loaded.scalingTests).reduce((n, t) => n + t.points.length, 0);
      const { config } = loaded;
      const runtime = buildRuntimeConfig(config, loaded.models);
      const limits = deploymentLimitIssues(
        fleetRegions(runtime).map((region) => ({ region, runtime: runtimeForRegion(runtime, region) })),
        loaded.source,
      );
      if (limits.length) throw new InputError(limits);
      const tests = Object.keys(loaded.scalingTests).length;
      if (opts.json) {
        io.out(
          JSON.stringify({
            ok: true,
            config: opts.config,
            fleets: config.fleets.length,
            events: config.events.length,
            scalingTests: tests,
            steps: points,
            warnings: loaded.warnings.map(formatIssue),
            notes: loaded.notes.map(formatIssue),
          }),
        );
        return;
      }
      io.out(
        `ok: ${opts.config}: ${config.fleets.length} fleet${config.fleets.length === 1 ? '' : 's'}, ` +
          `${config.events.length} event${config.events.length === 1 ? '' : 's'}, ` +
          `${tests} scaling tests (${points} steps)`,
      );
      for (const w of loaded.warnings) io.out(`warning: ${formatIssue(w)}`);
      for (const n of loaded.notes) io.out(`note: ${formatIssue(n)}`);
    });
}
