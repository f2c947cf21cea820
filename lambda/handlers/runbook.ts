import middy from '@middy/core';
import type {
  LambdaFunctionURLEventWithIAMAuthorizer as LambdaFunctionURLEvent,
  LambdaFunctionURLResult,
} from 'aws-lambda';
import { errorMessage } from '../core/errors';
import type { Operation, RunbookDeps, RunbookResponse } from '../controller/runbook';
import { OperationRefusedError, parseRunbookRequest, runOperation } from '../controller/runbook';
import { automationRequest } from '../core/automations';
import { BadPayloadError, checkPayload } from '../core/payload';
import { VersionConflictError } from '../ports/state';
import { observe } from './middleware';
import { logger, observers, runbookDeps } from './runtime';

/** What SSM recorded of an automation execution: the only source of the caller and the request. */
export interface AutomationExecution {
  readonly documentName: string;
  /** AutomationExecutionStatus: only `InProgress` is acted on. */
  readonly status: string;
  readonly executedBy: string;
  readonly parameters: Readonly<Record<string, readonly string[]>>;
}

/** Looks an automation execution up in SSM. */
export type AutomationLookup = (executionId: string) => Promise<AutomationExecution>;

/** The largest request body the URL entry points read. */
export const MAX_BODY_BYTES = 8192;

function isUrlEvent(e: unknown): e is LambdaFunctionURLEvent {
  return Boolean(e && typeof e === 'object' && 'requestContext' in e && 'rawPath' in e);
}

async function run(
  deps: RunbookDeps,
  body: unknown,
  actor: string,
  allowed?: readonly Operation[],
): Promise<RunbookResponse> {
  const request = parseRunbookRequest(body, allowed);
  logger.info('runbook operation', { op: request.op, actor });
  return runOperation(deps, request, actor);
}

const reply = (statusCode: number, body: unknown): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * Builds a runbook entry point behind an IAM-authenticated function URL: the signer's ARN, which the URL puts in
 * the event, is the actor. It answers function-URL events only; SSM executions have their own entry point.
 * Grant callers `lambda:InvokeFunction` only with `lambda:InvokedViaFunctionUrl`, so that no caller can invoke
 * it directly with an event it wrote (docs/RUNBOOK.md).
 *
 * @param allowed the operations this entry point performs; the read-only URL passes `READ_OPERATIONS`. @default all
 * @example
 * export const handler = makeRunbookUrlHandler(runbookDeps, READ_OPERATIONS);
 */
export function makeRunbookUrlHandler(
  deps: () => RunbookDeps | Promise<RunbookDeps>,
  allowed?: readonly Operation[],
) {
  return middy<unknown, LambdaFunctionURLResult>()
    .use(observe(observers))
    .handler(async (event) => {
      if (!isUrlEvent(event))
        throw new BadPayloadError(
          'refused: this entry point answers its IAM-authenticated function URL only (SSM documents have their own)',
        );
      const actor = event.requestContext.authorizer?.iam?.userArn;
      if (!actor)
        return reply(403, { ok: false, error: 'not signed: the runbook answers IAM-signed requests only' });
      const raw = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      const bytes = Buffer.byteLength(raw, 'utf8');
      if (bytes > MAX_BODY_BYTES)
        return reply(413, {
          ok: false,
          error: `bad request: the request body is ${bytes} bytes; at most ${MAX_BODY_BYTES}`,
        });
      let body: unknown;
      try {
        body = JSON.parse(raw || '{}');
      } catch {
        return reply(400, { ok: false, error: 'bad request: the body is not JSON' });
      }
      try {
        return reply(200, await run(await deps(), body, actor, allowed));
      } catch (err) {
        if (err instanceof OperationRefusedError) return reply(403, { ok: false, error: err.message });
        if (err instanceof BadPayloadError) return reply(400, { ok: false, error: err.message });
        if (err instanceof VersionConflictError)
          return reply(409, { ok: false, error: `${err.message}: try again` });
        logger.error('runbook operation failed', { error: errorMessage(err) });
        return reply(500, { ok: false, error: errorMessage(err) });
      }
    });
}

/**
 * Builds the entry point SSM Automation documents invoke. The payload carries the execution id only; the caller
 * (ExecutedBy) and the request (the document and its parameters) come from SSM. It acts only for a running
 * execution of one of this region's own documents, and only once per execution.
 */
export function makeRunbookAutomationHandler(
  deps: () => RunbookDeps | Promise<RunbookDeps>,
  lookup: AutomationLookup,
  /** The deployment's document stem, `<namePrefix>-<region>`. */
  stem: string,
) {
  return middy<unknown, RunbookResponse>()
    .use(observe(observers))
    .handler(async (event) => {
      if (isUrlEvent(event) || (event as { source?: unknown } | null)?.source !== 'ssm-automation')
        throw new BadPayloadError(
          'refused: this entry point answers SurgeGuard SSM Automation documents only',
        );
      const { executionId } = checkPayload(event, { source: 'string', executionId: 'string' });
      const execution = await lookup(executionId);
      if (execution.status !== 'InProgress')
        throw new BadPayloadError(`refused: execution ${executionId} is ${execution.status}, not running`);
      const request = automationRequest(stem, execution.documentName, execution.parameters);
      const d = await deps();
      if (!(await d.state.claimOnce(`ssm:${executionId}`, d.clock.now())))
        throw new BadPayloadError(`refused: execution ${executionId} was already used`);
      return run(d, request, `${execution.executedBy} (ssm:${executionId})`);
    });
}

/** The deployed change entry point (its function URL): every operation. */
export const handler = makeRunbookUrlHandler(runbookDeps);
