import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import type { PayloadSpec } from '../core/payload';
import { checkPayload, correlationIdOf } from '../core/payload';

export type { PayloadOf, PayloadSpec } from '../core/payload';
export { BadPayloadError, SCHEDULE_CORRELATION, scheduledPayload } from '../core/payload';

/** Validates the invocation payload before the handler runs: a bad payload is a clear error and no action. */
export function validatePayload(spec: PayloadSpec): MiddlewareObj<unknown> {
  return {
    before: (request) => {
      request.event = checkPayload(request.event ?? {}, spec);
    },
  };
}

/**
 * Sets the invocation's correlation id (see `correlationIdOf`) on every log line that follows, and as an annotation
 * on its trace, so that one id finds the schedule run, its logs, its trace and its audit records.
 */
export function correlate(logger: Logger, tracer?: Tracer): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      const id = correlationIdOf(request.event, request.context?.awsRequestId ?? '');
      if (!id) return;
      logger.setCorrelationId(id);
      tracer?.putAnnotation('correlation_id', id);
    },
  };
}

/**
 * Emits the `ColdStart` metric on a container's first invocation, and flushes the metrics the handler stored. Not
 * Powertools' `logMetrics`: SurgeGuard emits each value at once as a single metric, so its end-of-invocation flush
 * would log "No application metrics to publish" on every invocation.
 */
export function reportMetrics(metrics: Metrics): MiddlewareObj<unknown, unknown, Error, Context> {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: (request) => metrics.captureColdStartMetric(request.context?.functionName),
    after: flush,
    onError: flush,
  };
}

/** The Powertools instances a handler reports through. */
export interface Observers {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: Metrics;
}

/**
 * Powertools observability for a handler, in order: the Lambda context on every log line, the handler's trace
 * subsegment, the correlation id, and metrics flushed at the end with a `ColdStart` metric on a container's first
 * invocation.
 *
 * @example
 * middy().use(observe({ logger, tracer, metrics })).use(validatePayload(spec)).handler(...)
 */
export function observe(o: Observers): MiddlewareObj<unknown, unknown, Error, Context>[] {
  return [
    injectLambdaContext(o.logger),
    // Not the response: a runbook answer (an audit page) can pass X-Ray's 64 KB segment limit, and names callers.
    captureLambdaHandler(o.tracer, { captureResponse: false }),
    correlate(o.logger, o.tracer),
    reportMetrics(o.metrics),
  ] as MiddlewareObj<unknown, unknown, Error, Context>[];
}
