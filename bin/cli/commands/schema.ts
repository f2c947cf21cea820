import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configJsonSchema } from '../../../lambda/core/config/schema';
import type { CliIo } from '../io';

/** The JSON Schema file's text, as checked in at config/events.schema.json. */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** `surgeguard schema`: prints or writes the JSON Schema of the event config file. */
export function registerSchema(program: Command, io: CliIo): void {
  program
    .command('schema')
    .description('Print the JSON Schema of the event config file (editors use it to complete and check).')
    .option('-o, --out <path>', 'write to this file instead of stdout')
    .option('--json', 'with --out, say what was written as JSON (the schema itself is JSON already)')
    .action((opts: { out?: string; json?: boolean }) => {
      const text = configSchemaText();
      if (opts.out) {
        writeFileSync(opts.out, text);
        io.out(opts.json ? JSON.stringify({ wrote: opts.out }) : `wrote ${opts.out}`);
      } else io.out(text);
    });
}
