import { GetAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** What SSM recorded of an automation execution. */
export interface AutomationExecutionRecord {
  readonly documentName: string;
  readonly status: string;
  /** Who started it (the runbook's caller when triggered from the console, Incident Manager or an alarm). */
  readonly executedBy: string;
  readonly parameters: Readonly<Record<string, readonly string[]>>;
}

/**
 * An SSM Automation execution as SSM recorded it: its document, status, caller (ExecutedBy) and parameters,
 * never what an invocation payload claims.
 */
export class SsmAutomationIdentity {
  constructor(private readonly client: Pick<SSMClient, 'send'>) {}

  async execution(executionId: string): Promise<AutomationExecutionRecord> {
    const res = await this.client.send(
      new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }),
    );
    const e = res.AutomationExecution;
    if (!e?.ExecutedBy || !e.DocumentName)
      throw new Error(`automation execution ${executionId} has no caller or document`);
    return {
      documentName: e.DocumentName,
      status: e.AutomationExecutionStatus ?? 'unknown',
      executedBy: e.ExecutedBy,
      parameters: e.Parameters ?? {},
    };
  }
}
