import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../ports';

/** The SNS call the adapter makes. */
export type SnsSend = Pick<SNSClient, 'send'>;

/** Publishes to the on-call SNS topic. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SnsSend,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string): Promise<void> {
    // SNS subjects are limited to 100 characters.
    const Subject = subject.length > 100 ? `${subject.slice(0, 99)}…` : subject;
    await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject, Message: message }));
  }
}
