import { READ_OPERATIONS } from '../controller/runbook';
import { makeRunbookUrlHandler } from './runbook';
import { runbookDeps } from './runtime';

/** The deployed read-only entry point (its own function URL): status and audit, nothing that changes state. */
export const handler = makeRunbookUrlHandler(runbookDeps, READ_OPERATIONS);
