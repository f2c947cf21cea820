import type { MiddlewareObj } from '@middy/core';
import type { PayloadSpec } from '../core/payload';
import { checkPayload } from '../core/payload';

export type { PayloadOf, PayloadSpec } from '../core/payload';
export { BadPayloadError } from '../core/payload';

/** Validates the invocation payload before the handler runs: a bad payload is a clear error and no action. */
export function validatePayload(spec: PayloadSpec): MiddlewareObj<unknown> {
  return {
    before: (request) => {
      request.event = checkPayload(request.event ?? {}, spec);
    },
  };
}
