import { makeRunbookAutomationHandler } from './runbook';
import { requiredEnv, runbookDeps, ssmIdentity } from './runtime';

/** The deployed entry point of the SSM Automation documents (invoked by their AutomationAssumeRole only). */
export const handler = makeRunbookAutomationHandler(
  runbookDeps,
  (id) => ssmIdentity().execution(id),
  requiredEnv('AWS_REGION'),
);
