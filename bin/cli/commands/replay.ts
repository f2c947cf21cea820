import type { Command } from 'commander';
import type { PolicyName, PolicyRun } from '../../../sim/replay';
import { POLICY_NAMES, replay } from '../../../sim/replay';
import { comparisonRows, writeReport } from '../../../sim/report';
import { oracleNote } from '../../../sim/report-headlines';
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

/** The options of `surgeguard replay`. */
interface ReplayCliOptions {
  policy: string;
  json?: boolean;
  report?: string;
  record?: string;
}

/** `surgeguard replay`: runs a scenario through SurgeGuard's own decision code and the baselines. */
export function registerReplay(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description(
      'Replay a scenario (scenarios/*.yaml) through SurgeGuard and the baselines; print the comparison.',
    )
    .argument('<scenario>', 'scenario file')
    .option('-p, --policy <name>', `one of ${POLICY_NAMES.join(', ')}, or all`, 'all')
    .option('--json', 'print one JSON object instead of a table')
    .option('-r, --report <dir>', 'write an HTML report with SVG charts to this folder')
    .option(
      '--record <dir>',
      "write surgeguard's audit trail and metrics here, for `surgeguard review --from`",
    )
    .action(async (file: string, opts: ReplayCliOptions) => {
      let policies: PolicyName[];
      if (opts.policy === 'all') policies = [...POLICY_NAMES];
      else if ((POLICY_NAMES as readonly string[]).includes(opts.policy))
        policies = [opts.policy as PolicyName];
      else
        throw new UserError(
          `unknown policy "${opts.policy}"; expected one of: ${POLICY_NAMES.join(', ')}, all`,
          EXIT.usage,
        );
      const ls = loadScenario(file);
      const tty = Boolean(process.stderr.isTTY) && !opts.json;
      const started = performance.now();
      const runs = await replay(ls, policies, {
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
    });
}
