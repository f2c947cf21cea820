import { GetAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { RetryOptions } from './retry';
import { withRetry } from './retry';

/**
 * Who started an SSM Automation execution, as SSM recorded it (ExecutedBy): the runbook's caller identity when
 * it is triggered from the console, Incident Manager or an alarm, never what the payload claims.
 */
export class SsmAutomationIdentity {
  constructor(
    private readonly client: Pick<SSMClient, 'send'>,
    private readonly retry: RetryOptions,
  ) {}

  async callerOf(executionId: string): Promise<string> {
    const res = await withRetry(
      () => this.client.send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId })),
      this.retry,
    );
    const by = res.AutomationExecution?.ExecutedBy;
    if (!by) throw new Error(`automation execution ${executionId} has no caller`);
    return `${by} (ssm:${executionId})`;
  }
}
