import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ControllerDeps } from '../controller/deps';
import { runRestore } from '../controller/restore';
import type { PayloadOf } from './middleware';
import { validatePayload } from './middleware';
import { controllerDeps, logger, metrics } from './runtime';

/** Payload of the restore schedule. */
export const restorePayload = { eventId: 'string' } as const;

/** Builds the restore handler over the given dependencies. */
export function makeRestoreHandler(deps: () => ControllerDeps | Promise<ControllerDeps>) {
  return middy<PayloadOf<typeof restorePayload>>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(validatePayload(restorePayload))
    .handler(async (event) => {
      logger.appendKeys({ eventId: event.eventId });
      const outcomes = await runRestore(await deps(), event.eventId);
      return { eventId: event.eventId, outcomes };
    });
}

/** Invoked after the event (and as the fallback if the watch never ran). */
export const handler = makeRestoreHandler(controllerDeps);
