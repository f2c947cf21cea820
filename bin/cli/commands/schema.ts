import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../../../lambda/core/config/schema';
import type { CliIo } from '../io';

/** The JSON Schema file's text, as checked in at config/events.schema.json. */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** `surgeguard schema`: prints or writes the JSON Schema of the event config file. */
export function schema(io: CliIo, opts: { out?: string; json?: boolean }): void {
  const text = configSchemaText();
  if (opts.out) {
    writeFileSync(opts.out, text);
    io.out(opts.json ? JSON.stringify({ wrote: opts.out }) : `wrote ${opts.out}`);
  } else io.out(text);
}
