import { loadConfig } from '../../../lambda/adapters/config-file';
import { deploymentLimitIssues } from '../../../lambda/core/config/deployment-limits';
import { InputError, formatIssue } from '../../../lambda/core/issues';
import { buildRuntimeConfig } from '../../../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from '../../../lib/runtime-for-region';
import type { CliIo } from '../io';

/**
 * `surgeguard validate`: checks the config and every scaling-test file it names, then the limits its deployment
 * reaches per region (CloudFormation resources per stack, the size of the config baked into the bundles).
 */
export function validate(io: CliIo, opts: { config: string; json?: boolean }): void {
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
}
