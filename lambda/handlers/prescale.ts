import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ControllerDeps } from '../controller/deps';
import { runPrescale } from '../controller/prescale';
import type { PayloadOf } from './middleware';
import { validatePayload } from './middleware';
import { controllerDeps, logger, metrics } from './runtime';

/** Payload of the one-time prescale schedule. */
export const prescalePayload = { eventId: 'string' } as const;

/** Builds the prescale handler over the given dependencies. */
export function makePrescaleHandler(deps: () => ControllerDeps | Promise<ControllerDeps>) {
  return middy<PayloadOf<typeof prescalePayload>>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(validatePayload(prescalePayload))
    .handler(async (event) => {
      logger.appendKeys({ eventId: event.eventId });
      const outcomes = await runPrescale(await deps(), event.eventId);
      return { eventId: event.eventId, outcomes };
    });
}

/** Invoked by EventBridge Scheduler at the plan's ramp start with `{ eventId }`. */
export const handler = makePrescaleHandler(controllerDeps);
