import { DEFAULT_CONFIG_PATH, loadConfig, readText } from '../../../lambda/adapters/config-file';
import type { InputIssue } from '../../../lambda/core/issues';
import { InputError } from '../../../lambda/core/issues';
import type { DemandProfile } from '../../../sim/from-config';
import { DEMAND_PROFILES, parseDemand, scenarioFromConfig } from '../../../sim/from-config';
import type { PolicyName, PolicyRun } from '../../../sim/replay';
import { POLICY_NAMES, replay as replayPolicies } from '../../../sim/replay';
import { comparisonRows, writeReport } from '../../../sim/report';
import { oracleNote } from '../../../sim/report-headlines';
import type { LoadedScenario } from '../../../sim/scenario';
import { recordingOf } from '../../../sim/review';
import { loadScenario } from '../../../sim/scenario';
import { table } from '../format';
import type { CliIo } from '../io';
import { EXIT, UserError } from '../io';
import { writeRecording } from './review';

/** The `--json` shape of a replay. */
export function replayJson(scenario: string, runs: readonly PolicyRun[]): object {
  return { scenario, policies: Object.fromEntries(runs.map((r) => [r.name, r.figures])) };
}

interface ReplaySource {
  config?: string;
  event?: string;
  demand?: string;
  profile?: string;
}

type ReplayOpts = ReplaySource & { policy: string; json?: boolean; report?: string; record?: string };

/** The scenario a replay runs: a scenario file, or an event of the config with a what-if audience. */
function scenarioOf(file: string | undefined, o: ReplaySource): LoadedScenario {
  const usage = (message: string) => new UserError(message, EXIT.usage);
  if (file !== undefined) {
    if (o.config || o.event || o.demand || o.profile)
      throw usage('give a scenario file, or --event with --config: not both');
    return loadScenario(file);
  }
  if (!o.event) {
    throw usage(
      'expected a scenario file, or --event ID to rehearse an event of the config (--config, default config/events.yaml)',
    );
  }
  if (o.demand && o.profile) throw usage('give --demand FILE or --profile NAME: not both');
  if (o.profile && !(DEMAND_PROFILES as readonly string[]).includes(o.profile))
    throw usage(`unknown profile "${o.profile}"; expected one of: ${DEMAND_PROFILES.join(', ')}`);
  const loaded = loadConfig(o.config ?? DEFAULT_CONFIG_PATH);
  let demand: DemandProfile | { name: string; points: [number, number][] } =
    (o.profile as DemandProfile | undefined) ?? 'forecast';
  if (o.demand) {
    const read = readText(o.demand);
    if (read.issue || read.text === undefined) throw new InputError([read.issue as InputIssue]);
    demand = { name: o.demand, points: parseDemand(read.text, o.demand) };
  }
  return scenarioFromConfig(loaded, { eventId: o.event, demand });
}

/** `surgeguard replay`: runs a scenario through SurgeGuard's own decision code and the baselines. */
export async function replay(io: CliIo, opts: ReplayOpts, [file]: (string | undefined)[]): Promise<void> {
  let policies: PolicyName[];
  if (opts.policy === 'all') policies = [...POLICY_NAMES];
  else if ((POLICY_NAMES as readonly string[]).includes(opts.policy)) policies = [opts.policy as PolicyName];
  else
    throw new UserError(
      `unknown policy "${opts.policy}"; expected one of: ${POLICY_NAMES.join(', ')}, all`,
      EXIT.usage,
    );
  const ls = scenarioOf(file, opts);
  const tty = Boolean(process.stderr.isTTY) && !opts.json;
  const started = performance.now();
  const runs = await replayPolicies(ls, policies, {
    onProgress: tty
      ? (d) => process.stderr.write(`\rreplaying ${ls.scenario.name}: ${Math.round(d * 100)}%`)
      : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (opts.json) io.out(JSON.stringify(replayJson(ls.scenario.name, runs), null, 2));
  else {
    io.out(`${ls.scenario.name}: ${ls.scenario.description ?? ''}`);
    io.out(table(comparisonRows(runs)));
    const note = oracleNote(runs);
    if (note) io.out(`note: ${note}`);
    io.out(`replayed ${runs.length} policies in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (opts.report) {
    const path = await writeReport(opts.report, ls, runs);
    (opts.json ? io.err : io.out)(`report: ${path}`);
  }
  if (opts.record) {
    const sg = runs.find((r) => r.name === 'surgeguard');
    if (!sg) throw new UserError('--record needs the surgeguard policy in the replay', EXIT.usage);
    (opts.json ? io.err : io.out)(`recording: ${writeRecording(opts.record, recordingOf(ls, sg))}`);
  }
}
