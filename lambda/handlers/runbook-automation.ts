import { makeRunbookAutomationHandler } from './runbook';
import { runbookDeps, ssmIdentity } from './runtime';

/**
 * The deployed entry point of the SSM Automation documents (invoked by their AutomationAssumeRole only). Lambda
 * sets AWS_REGION and the stack SURGEGUARD_NAME_PREFIX; without a region no document name matches, so nothing is done.
 */
export const handler = makeRunbookAutomationHandler(
  runbookDeps,
  (id) => ssmIdentity().execution(id),
  process.env.AWS_REGION
    ? `${process.env.SURGEGUARD_NAME_PREFIX ?? 'SurgeGuard'}-${process.env.AWS_REGION}`
    : '',
);
