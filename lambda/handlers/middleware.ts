import type { MiddlewareObj } from '@middy/core';
import type { z } from 'zod';

/** A schedule payload that does not match what the function expects. */
export class BadPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadPayloadError';
  }
}

/**
 * Validates the invocation payload before the handler runs: a bad payload is a clear error and no action.
 * The parsed payload replaces the event.
 */
export function validatePayload<S extends z.ZodType>(schema: S): MiddlewareObj<unknown> {
  return {
    before: (request) => {
      const parsed = schema.safeParse(request.event ?? {});
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message.replace(/^Invalid input: /, '')}`)
          .join('; ');
        throw new BadPayloadError(`bad payload: ${detail}`);
      }
      request.event = parsed.data;
    },
  };
}
