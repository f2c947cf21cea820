import middy from '@middy/core';
import type { ControllerDeps } from '../controller/deps';
import { runRestore } from '../controller/restore';
import type { PayloadOf } from './middleware';
import { observe, scheduledPayload, validatePayload } from './middleware';
import { controllerDeps, logger, observers } from './runtime';

/** Payload of the restore schedule. */
export const restorePayload = scheduledPayload({ eventId: 'string' });

/** Builds the restore handler over the given dependencies. */
export function makeRestoreHandler(deps: () => ControllerDeps | Promise<ControllerDeps>) {
  return middy<PayloadOf<typeof restorePayload>>()
    .use(observe(observers))
    .use(validatePayload(restorePayload))
    .handler(async (event) => {
      logger.appendKeys({ eventId: event.eventId });
      const outcomes = await runRestore(await deps(), event.eventId);
      return { eventId: event.eventId, outcomes };
    });
}

/** Invoked after the event (and as the fallback if the watch never ran). */
export const handler = makeRestoreHandler(controllerDeps);
