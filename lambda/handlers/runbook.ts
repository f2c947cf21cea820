import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type {
  LambdaFunctionURLEventWithIAMAuthorizer as LambdaFunctionURLEvent,
  LambdaFunctionURLResult,
} from 'aws-lambda';
import { errorMessage } from '../adapters/retry';
import type { RunbookDeps, RunbookResponse } from '../controller/runbook';
import { parseRunbookRequest, runOperation } from '../controller/runbook';
import { BadPayloadError } from '../core/payload';
import { VersionConflictError } from '../ports/state';
import { logger, runbookDeps, ssmIdentity } from './runtime';

/** An invocation from an SSM Automation document: the caller is looked up from the execution. */
export interface AutomationInvocation {
  readonly source: 'ssm-automation';
  readonly executionId: string;
  readonly request: unknown;
}

/** Finds who started an automation execution. */
export type AutomationCaller = (executionId: string) => Promise<string>;

function isUrlEvent(e: unknown): e is LambdaFunctionURLEvent {
  return Boolean(e && typeof e === 'object' && 'requestContext' in e && 'rawPath' in e);
}

function isAutomation(e: unknown): e is AutomationInvocation {
  return Boolean(e && typeof e === 'object' && (e as { source?: unknown }).source === 'ssm-automation');
}

async function run(deps: RunbookDeps, body: unknown, actor: string): Promise<RunbookResponse> {
  const request = parseRunbookRequest(body);
  logger.info('runbook operation', { op: request.op, actor });
  return runOperation(deps, request, actor);
}

/**
 * Builds the runbook handler. It answers the IAM-authenticated function URL (the signer's ARN, from AWS, is the
 * actor) and SSM Automation (the execution's ExecutedBy is the actor); any other invocation is refused.
 */
export function makeRunbookHandler(deps: () => RunbookDeps, automationCaller: AutomationCaller) {
  return middy<unknown, LambdaFunctionURLResult | RunbookResponse>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      if (isUrlEvent(event)) {
        const actor = event.requestContext.authorizer?.iam?.userArn;
        const reply = (statusCode: number, body: unknown): LambdaFunctionURLResult => ({
          statusCode,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!actor)
          return reply(403, { ok: false, error: 'not signed: the runbook answers IAM-signed requests only' });
        let body: unknown;
        try {
          const raw = event.isBase64Encoded
            ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
            : (event.body ?? '');
          body = JSON.parse(raw || '{}');
        } catch {
          return reply(400, { ok: false, error: 'bad request: the body is not JSON' });
        }
        try {
          return reply(200, await run(deps(), body, actor));
        } catch (err) {
          if (err instanceof BadPayloadError) return reply(400, { ok: false, error: err.message });
          if (err instanceof VersionConflictError)
            return reply(409, { ok: false, error: `${err.message}: try again` });
          logger.error('runbook operation failed', { error: errorMessage(err) });
          return reply(500, { ok: false, error: errorMessage(err) });
        }
      }
      if (isAutomation(event)) {
        if (typeof event.executionId !== 'string' || !event.executionId)
          throw new BadPayloadError('bad request: executionId missing');
        const actor = await automationCaller(event.executionId);
        return run(deps(), event.request, actor);
      }
      throw new BadPayloadError(
        'refused: call the runbook through its IAM-authenticated function URL or an SSM Automation document',
      );
    });
}

/** The deployed runbook. */
export const handler = makeRunbookHandler(runbookDeps, (id) => ssmIdentity().callerOf(id));
