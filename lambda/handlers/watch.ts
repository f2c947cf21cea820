import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ControllerDeps } from '../controller/deps';
import { runWatch } from '../controller/watch';
import type { PayloadOf } from './middleware';
import { observe, scheduledPayload, validatePayload } from './middleware';
import { controllerDeps, observers } from './runtime';

/** Payload of the recurring watch schedule; the watch finds live events itself. */
export const watchPayload = scheduledPayload({});

/** Builds the watch handler over the given dependencies. */
export function makeWatchHandler(deps: () => ControllerDeps | Promise<ControllerDeps>) {
  return middy<PayloadOf<typeof watchPayload>, unknown, Error, Context>()
    .use(observe(observers))
    .use(validatePayload(watchPayload))
    .handler(async (_event, context) => {
      // Scheduler fires once a minute: tick until the next invocation is due, within the function's own timeout.
      const remaining =
        typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 60_000;
      const outcomes = await runWatch(await deps(), { budgetMs: Math.min(60_000, remaining - 5_000) });
      return { outcomes: outcomes.length };
    });
}

/** Invoked every minute by EventBridge Scheduler during each event's window. */
export const handler = makeWatchHandler(controllerDeps);
