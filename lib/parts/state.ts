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
}

/**
 * What SurgeGuard keeps and tells: the state and audit table, the on-call topic (with its key) and the dead-letter
 * queue of failed invocations and undeliverable schedules.
 */
export class StateAndAudit extends SurgeGuardPart {
  /** The state and audit table. */
  readonly table: dynamodb.Table;
  /** The on-call topic (alarms and shield notices), encrypted with its own key. */
  readonly topic: sns.Topic;
  /** The topic's key. */
  readonly topicKey: kms.Key;
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

    const topicKey = (this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'SurgeGuard on-call topic',
      enableKeyRotation: true,
    }));
    // Alarms publish through CloudWatch, which needs the key.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'OnCall', {
      masterKey: topicKey,
      enforceSSL: true,
      displayName: 'SurgeGuard on-call',
    });
    // The topic has a policy (enforceSSL), so CloudWatch alarms need their own allow to publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
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
    if (props.alarmEmail) this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }
}
