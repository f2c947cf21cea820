import middy from '@middy/core';
import type { ControllerDeps } from '../controller/deps';
import { runPrescale } from '../controller/prescale';
import type { PayloadOf } from './middleware';
import { observe, scheduledPayload, validatePayload } from './middleware';
import { controllerDeps, logger, observers } from './runtime';

/** Payload of the one-time prescale schedule. */
export const prescalePayload = scheduledPayload({ eventId: 'string' });

/** Builds the prescale handler over the given dependencies. */
export function makePrescaleHandler(deps: () => ControllerDeps | Promise<ControllerDeps>) {
  return middy<PayloadOf<typeof prescalePayload>>()
    .use(observe(observers))
    .use(validatePayload(prescalePayload))
    .handler(async (event) => {
      logger.appendKeys({ eventId: event.eventId });
      const outcomes = await runPrescale(await deps(), event.eventId);
      return { eventId: event.eventId, outcomes };
    });
}

/** Invoked by EventBridge Scheduler at the plan's ramp start with `{ eventId }`. */
export const handler = makePrescaleHandler(controllerDeps);
