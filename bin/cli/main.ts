import { Command, CommanderError, Option } from 'commander';
import { version } from '../../package.json';
import { InputError, formatIssue } from '../../lambda/core/issues';
import type { CliIo } from './io';
import { EXIT, UserError, processIo } from './io';
import type { CommandSpec, Example } from './spec';
import { GROUPS } from './spec';
import { COMMANDS } from './table';

/** Builds the `surgeguard` command tree from the command table; commands write through `io`. */
export function buildProgram(io: CliIo, commands: readonly CommandSpec[] = COMMANDS): Command {
  const output = { writeOut: (s: string) => io.out(s), writeErr: (s: string) => io.err(s) };
  const program = new Command('surgeguard')
    .description('Pre-scale, watch and shield ECS SFU fleets for scheduled live audio events.')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput(output)
    .exitOverride();
  // Commander lists groups in the order their first command is added.
  const byGroup = [...commands].sort((a, b) => GROUPS.indexOf(a.group) - GROUPS.indexOf(b.group));
  for (const spec of byGroup) addCommand(program, spec, io).exitOverride().configureOutput(output);
  program.commandsGroup('Help:').helpCommand(true);
  return program;
}

function addCommand(program: Command, spec: CommandSpec, io: CliIo): Command {
  const cmd = program
    .command(spec.name)
    .summary(spec.summary)
    .description(spec.description ?? spec.summary)
    .helpGroup(`${spec.group}:`);
  for (const a of spec.args ?? []) cmd.argument(a.name, a.description);
  for (const o of spec.options) {
    const option = new Option(o.flags, o.description);
    if (o.parse) option.argParser(o.parse);
    if (o.default !== undefined) option.default(o.default);
    if (o.required) option.makeOptionMandatory();
    if (o.conflicts) option.conflicts([...o.conflicts]);
    if (o.group) option.helpGroup(o.group);
    cmd.addOption(option);
  }
  cmd.addHelpText('after', examplesText(spec.examples));
  // The command's module is loaded only now that it runs: its help needed none of it.
  return cmd.action((...params: unknown[]) => {
    const args = params.slice(0, spec.args?.length ?? 0) as (string | undefined)[];
    return spec.load()(io, cmd.opts() as never, args);
  });
}

function examplesText(examples: readonly Example[]): string {
  return ['', 'Examples:', ...examples.flatMap((e) => [`  # ${e.what}`, `  $ ${e.run}`])].join('\n');
}

/**
 * Runs the CLI and returns its exit code (see EXIT): 0 ok, 1 invalid input, 2 usage, 3 warnings, 4 AWS, 5 network.
 * Never throws and never prints a stack trace for a user's mistake.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (!argv.includes('--json')) return exitCodeFor(err, io);
    // Under --json a script reads the failure as JSON on stdout too: what went wrong and the exit code.
    const lines: string[] = [];
    const code = exitCodeFor(err, {
      out: io.out,
      err: (text) => lines.push(text.replace(/^surgeguard: /, '')),
    });
    if (code !== EXIT.ok) {
      const message = lines.join('\n').trim() || (err instanceof Error ? err.message : String(err));
      io.out(JSON.stringify({ error: message, exitCode: code }));
    }
    return code;
  }
}

function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      return EXIT.ok;
    }
    return EXIT.usage; // commander has already printed what was wrong
  }
  if (err instanceof InputError) {
    for (const issue of err.issues) io.err(formatIssue(issue));
    io.err(`${err.issues.length} error${err.issues.length === 1 ? '' : 's'}`);
    return EXIT.invalidInput;
  }
  if (err instanceof UserError) {
    io.err(`surgeguard: ${err.message}`);
    return err.exitCode;
  }
  io.err(`surgeguard: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.SURGEGUARD_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
  return EXIT.invalidInput;
}
