/** Where the CLI writes; injectable so commands can be run in-process by tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/**
 * Exit codes of every command: `warnings`, `plan --strict` found a warning it was not allowed to accept; `aws`, AWS
 * refused or has no such deployment (credentials, permissions, a missing parameter or stack); `network`, AWS or the
 * runbook could not be reached.
 */
export const EXIT = { ok: 0, invalidInput: 1, usage: 2, warnings: 3, aws: 4, network: 5 } as const;

/** An error the user can fix; printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.invalidInput,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
