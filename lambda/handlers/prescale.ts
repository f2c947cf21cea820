import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { z } from 'zod';
import type { ControllerDeps } from '../controller/deps';
import { runPrescale } from '../controller/prescale';
import { validatePayload } from './middleware';
import { controllerDeps, logger, metrics } from './runtime';

/** Payload of the one-time prescale schedule. */
export const prescalePayload = z.strictObject({ eventId: z.string().min(1) });

/** Builds the prescale handler over the given dependencies. */
export function makePrescaleHandler(deps: () => ControllerDeps) {
  return middy<z.infer<typeof prescalePayload>>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(validatePayload(prescalePayload))
    .handler(async (event) => {
      logger.appendKeys({ eventId: event.eventId });
      const outcomes = await runPrescale(deps(), event.eventId);
      return { eventId: event.eventId, outcomes };
    });
}

/** Invoked by EventBridge Scheduler at the plan's ramp start with `{ eventId }`. */
export const handler = makePrescaleHandler(controllerDeps);
