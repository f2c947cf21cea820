import { App, CfnWaitConditionHandle, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { SurgeGuardPart } from '../../lib/parts/part';
import { StateAndAudit } from '../../lib/parts/state';

class Part extends SurgeGuardPart {}

function logicalIds(stack: Stack): string[] {
  return Object.keys(Template.fromStack(stack).toJSON().Resources as object).sort();
}

describe('a SurgeGuard part', () => {
  it('gives its resources the logical ids they have without the part in their path', () => {
    // Prepare: the same resources, once directly under `Outer`, once under a part of it.
    const app = new App();
    const plain = new Stack(app, 'Plain');
    const outer = new Construct(plain, 'Outer');
    new CfnWaitConditionHandle(outer, 'Handle');
    new CfnWaitConditionHandle(new Construct(outer, 'Nested'), 'Resource');
    const split = new Stack(app, 'Split');
    const part = new Part(new Construct(split, 'Outer'), 'Concern');
    // Act
    new CfnWaitConditionHandle(part, 'Handle');
    new CfnWaitConditionHandle(new Construct(part, 'Nested'), 'Resource');
    // Assess
    expect(logicalIds(split)).toEqual(logicalIds(plain));
    expect(logicalIds(split)).toHaveLength(2);
  });

  it('does not hide a plain construct: its resources carry its id', () => {
    const stack = new Stack(new App(), 'S');
    new CfnWaitConditionHandle(new Construct(new Construct(stack, 'Outer'), 'Concern'), 'Handle');
    expect(logicalIds(stack)).toEqual([expect.stringMatching(/^OuterConcernHandle/)]);
  });
});

describe('StateAndAudit', () => {
  it('keeps state in a protected, recoverable table and tells on-call through an encrypted topic', () => {
    const stack = new Stack(new App(), 'S');
    new StateAndAudit(stack, 'State', {
      alarmEmail: 'oncall@example.com',
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: {
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.resourceCountIs('AWS::SQS::Queue', 1);
  });
});
