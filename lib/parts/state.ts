import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SurgeGuardPart } from './part';

/** Properties of {@link StateAndAudit}. */
export interface StateAndAuditProps {
  /** An address subscribed to the on-call topic. @default no subscription */
  readonly alarmEmail?: string;
  /** Keep the state table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * An existing on-call topic to notify instead of a new one. Its policy must let CloudWatch alarms publish, and if
   * it is encrypted, pass its key as `topicKey` so the functions may use it.
   * @default a new topic, encrypted with its own key
   */
  readonly topic?: sns.ITopic;
  /** The existing topic's KMS key. @default none (an unencrypted or AWS-managed-key topic) */
  readonly topicKey?: kms.IKey;
}

/**
 * What SurgeGuard keeps and tells: the state and audit table, the on-call topic (with its key) and the dead-letter
 * queue of failed invocations and undeliverable schedules.
 */
export class StateAndAudit extends SurgeGuardPart {
  /** The state and audit table. */
  readonly table: dynamodb.Table;
  /** The on-call topic (alarms and shield notices): a new one encrypted with its own key, or the one given. */
  readonly topic: sns.ITopic;
  /** The topic's key, when it has a customer managed one. */
  readonly topicKey?: kms.IKey;
  /** Where failed asynchronous invocations and undeliverable schedules go. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: StateAndAuditProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.table = new dynamodb.Table(this, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    if (props.topic) {
      this.topic = props.topic;
      this.topicKey = props.topicKey;
    } else {
      const created = this.newTopic(stack);
      this.topic = created.topic;
      this.topicKey = created.key;
    }
    if (props.alarmEmail) this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }

  /** The on-call topic, encrypted with its own key, that CloudWatch alarms may publish to. */
  private newTopic(stack: Stack): { topic: sns.Topic; key: kms.Key } {
    const topicKey = new kms.Key(this, 'TopicKey', {
      description: 'SurgeGuard on-call topic',
      enableKeyRotation: true,
    });
    // Alarms publish through CloudWatch, which needs the key.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    const topic = new sns.Topic(this, 'OnCall', {
      masterKey: topicKey,
      enforceSSL: true,
      displayName: 'SurgeGuard on-call',
    });
    // The topic has a policy (enforceSSL), so CloudWatch alarms need their own allow to publish.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return { topic, key: topicKey };
  }
}
