import type { CliIo } from './io';

/** The groups `surgeguard --help` lists its commands in, in this order. */
export const GROUPS = ['Plan and check', 'Replay and review', 'On-call runbook', 'Deploy'] as const;
export type Group = (typeof GROUPS)[number];

/** One option of a command, as commander takes it. */
export interface OptionSpec {
  /** Commander's flags, such as `-c, --config <path>`. */
  readonly flags: string;
  readonly description: string;
  /** @default none: the option is undefined when not given */
  readonly default?: string | readonly string[];
  /** The command fails with a usage error without it. @default false */
  readonly required?: boolean;
  /** Options (by attribute name) it cannot be given with. @default none */
  readonly conflicts?: readonly string[];
  /** The heading it is listed under in the command's help. @default "Options:" */
  readonly group?: string;
  /**
   * Parses (and checks) a value; a repeated option folds through `previous`. Throw commander's
   * `InvalidArgumentError` to fail as a usage error. @default the value as given
   */
  parse?(value: string, previous: unknown): unknown;
}

/** One positional argument: `<name>` required, `[name]` optional. */
export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
}

/** An example in a command's help: a command line and what it does. */
export interface Example {
  readonly run: string;
  readonly what: string;
}

/**
 * What a command does, loaded when it runs: the parsed options (as described by the command's options) and the
 * positional arguments in order.
 */
export type CommandRun = (io: CliIo, opts: never, args: (string | undefined)[]) => Promise<void> | void;

/**
 * A command as `--help` shows it, and how to load what it does. Describing a command loads nothing but this row,
 * so `surgeguard --help` and `surgeguard <command> --help` answer without the config parser, the simulator or the
 * AWS SDK.
 */
export interface CommandSpec {
  readonly name: string;
  readonly group: Group;
  /** One line, in the command list of `surgeguard --help`. */
  readonly summary: string;
  /** More, atop the command's own help. @default the summary */
  readonly description?: string;
  /** @default none */
  readonly args?: readonly ArgumentSpec[];
  readonly options: readonly OptionSpec[];
  /** At least one, at the end of the command's help. */
  readonly examples: readonly [Example, ...Example[]];
  /** Loads the command's module and returns what it does. */
  readonly load: () => CommandRun;
}
