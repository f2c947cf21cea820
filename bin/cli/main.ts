import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { InputError, formatIssue } from '../../lambda/core/issues';
import type { CliIo } from './io';
import { EXIT, UserError, processIo } from './io';
import { registerPlan } from './commands/plan';
import { registerReplay } from './commands/replay';
import { registerReview } from './commands/review';
import { registerRunbook } from './commands/runbook';
import { registerSchema } from './commands/schema';
import { registerValidate } from './commands/validate';

/** Builds the `surgeguard` command tree; commands write through `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('surgeguard')
    .description('Pre-scale, watch and shield ECS SFU fleets for scheduled live audio events.')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerValidate(program, io);
  registerPlan(program, io);
  registerSchema(program, io);
  registerReplay(program, io);
  registerRunbook(program, io);
  registerReview(program, io);
  for (const cmd of program.commands)
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
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
