import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AUTOMATIONS, automationDocumentName } from '../../lambda/core/automations';
import type { StackBindings } from '../../lambda/core/document';
import { bindingsOf } from '../../lambda/core/document';
import type { RuntimeConfig } from '../../lambda/core/runtime-config';
import type { Controllers } from './controllers';
import type { ConfigDocument } from './document';
import type { FunctionDefaults } from './function';
import { grantFleetAccess, grantPassRoleTo, invokeOnlyRole, surgeGuardFunction } from './function';
import { flatten } from './nag-name';
import { SurgeGuardPart } from './part';
import type { Shield } from './shield';
import type { StateAndAudit } from './state';

/** Properties of {@link Runbook}. */
export interface RunbookProps {
  /** The runtime config of this region. */
  readonly runtime: RuntimeConfig;
  /** Where state, audit and dead letters go. */
  readonly state: StateAndAudit;
  /** The shield, when this region holds its web ACL. @default no shield */
  readonly shield?: Shield;
  /** The controllers whose schedules the runbook moves. */
  readonly controllers: Controllers;
  /** The functions' environment. */
  readonly environment: Record<string, string>;
  /** What every function shares. */
  readonly functionDefaults: FunctionDefaults;
  /** Starts the SSM documents' names. */
  readonly namePrefix: string;
  /** The controllers' schedule group's name. */
  readonly scheduleGroupName: string;
  /** The published document, named in the deployment parameter for `surgeguard publish`. */
  readonly document: ConfigDocument;
}

/**
 * On-call's runbook, at three entry points that IAM tells apart: changes (a function URL), reads only (status and
 * audit, its own function URL), and SSM Automation documents (their AutomationAssumeRole may invoke it, nothing
 * else). Every change is audited.
 */
export class Runbook extends SurgeGuardPart {
  /** The on-call runbook function: every operation, behind its own function URL. */
  readonly runbook: lambda.Function;
  /** The runbook's IAM-authenticated function URL (changes and reads). */
  readonly runbookUrl: lambda.FunctionUrl;
  /** The read-only runbook (status, audit), behind its own function URL: grant it to whoever only looks. */
  readonly runbookRead: lambda.Function;
  /** The read-only runbook's IAM-authenticated function URL. */
  readonly runbookReadUrl: lambda.FunctionUrl;
  /** The runbook the SSM Automation documents invoke (through their AutomationAssumeRole only). */
  readonly runbookAutomation: lambda.Function;
  /** SSM Automation documents wrapping the runbook operations. */
  readonly automations: ssm.CfnDocument[] = [];
  /** The role the SSM Automation documents run as (their AutomationAssumeRole). */
  readonly automationRole: iam.Role;
  /**
   * What the deployment publishes for the CLI (`/<namePrefix>/<region>/deployment`): a JSON {@link DeploymentInfo}
   * with the runbook URLs, table, region and schedule group.
   */
  readonly deploymentParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: RunbookProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const rc = props.runtime;
    // The runbook answers people; a few at once is plenty, and its writes are versioned like the controllers'.
    // Three entry points, so that IAM separates them: changes (URL), reads only (URL), SSM documents (no URL).
    const runbookSpec = (what: string) => ({
      memory: 256,
      timeout: Duration.seconds(60),
      description: `SurgeGuard: on-call runbook ${what}, every change audited`,
    });
    const runbookEnv = {
      ...props.environment,
      ...props.controllers.schedulesEnvironment,
      SURGEGUARD_NAME_PREFIX: props.namePrefix,
      SURGEGUARD_ALARM_PREFIX: stack.stackName,
    };
    this.runbook = surgeGuardFunction(
      this,
      'runbook',
      runbookSpec('operations'),
      5,
      runbookEnv,
      props.functionDefaults,
    );
    this.runbookUrl = this.runbook.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.runbookRead = surgeGuardFunction(
      this,
      'runbook-read',
      runbookSpec('reads (status, audit)'),
      5,
      runbookEnv,
      props.functionDefaults,
    );
    this.runbookReadUrl = this.runbookRead.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.runbookAutomation = surgeGuardFunction(
      this,

      'runbook-automation',
      runbookSpec('for SSM Automation'),
      5,
      runbookEnv,
      props.functionDefaults,
    );
    const act = { scale: true, metrics: true, waf: true, publish: true, write: true, backstop: true };
    grantFleetAccess(
      this,
      [
        [this.runbook, act],
        [this.runbookAutomation, act],
        [
          this.runbookRead,
          { scale: false, metrics: true, waf: false, publish: false, write: false, backstop: true },
        ],
      ],
      rc.config.fleets,
      props.state,
      props.shield?.webAclArn,
      rc.config.shield?.webAcl.scope,
    );

    // --- the runbook's own permissions and its console triggers ------------------------------------------------
    const alarmArn = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${stack.stackName}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const fn of [this.runbook, this.runbookAutomation, this.runbookRead]) {
      const role = fn.role!;
      const changes = fn !== this.runbookRead;
      // shift makes the event's schedules anew; status lists them.
      if (changes) props.controllers.grantScheduleSync(fn);
      else props.controllers.grantScheduleRead(fn);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarmArn] }),
      );
    }
    this.runbookAutomation.role!.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetAutomationExecution'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            resource: 'automation-execution',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // SSM runs the documents' step as this role, which may invoke the automation entry point and nothing else.
    // Whoever starts a document needs iam:PassRole on it (docs/RUNBOOK.md).
    const automationRole = invokeOnlyRole(
      this,
      'AutomationRole',
      'ssm.amazonaws.com',
      'SurgeGuard SSM Automation documents: invoke the runbook automation entry point only',
      [this.runbookAutomation],
    );
    this.automationRole = automationRole;
    for (const a of AUTOMATIONS) {
      const parameters: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(a.params)) {
        parameters[k] = {
          type: p.type,
          description: p.description,
          ...(p.default !== undefined ? { default: p.default } : {}),
          ...(p.type === 'String' ? { allowedPattern: '^[^"\\\\]{1,500}$' } : {}),
        };
      }
      this.automations.push(
        new ssm.CfnDocument(this, `Automation${a.name}`, {
          name: automationDocumentName(`${props.namePrefix}-${stack.region}`, a.name),
          documentType: 'Automation',
          documentFormat: 'JSON',
          updateMethod: 'NewVersion',
          content: {
            schemaVersion: '0.3',
            description: `SurgeGuard: ${a.description}. The runbook reads who ran it, and with what parameters, from SSM.`,
            assumeRole: automationRole.roleArn,
            parameters,
            mainSteps: [
              {
                name: 'runbook',
                action: 'aws:invokeLambdaFunction',
                inputs: {
                  FunctionName: this.runbookAutomation.functionName,
                  InvocationType: 'RequestResponse',
                  // The execution id only: the runbook reads the document, its parameters and the caller from SSM.
                  Payload: '{"source":"ssm-automation","executionId":"{{automation:EXECUTION_ID}}"}',
                },
                outputs: [{ Name: 'answer', Selector: '$.Payload', Type: 'String' }],
              },
            ],
          },
        }),
      );
    }

    const info: DeploymentInfo = {
      version: 1,
      namePrefix: props.namePrefix,
      region: stack.region,
      stackName: stack.stackName,
      runbookUrl: this.runbookUrl.url,
      runbookReadUrl: this.runbookReadUrl.url,
      table: props.state.table.tableName,
      scheduleGroup: props.scheduleGroupName,
      documentBucket: props.document.bucket.bucketName,
      documentKey: props.document.key,
      bindings: bindingsOf(props.runtime),
    };
    this.deploymentParameter = new ssm.StringParameter(this, 'Deployment', {
      parameterName: deploymentParameterName(props.namePrefix, stack.region),
      stringValue: stack.toJsonString(info),
      description: 'SurgeGuard deployment: where the CLI finds the runbook (JSON)',
      // The name starts with a slash, which CDK cannot tell when the region is left to deploy time.
      simpleName: false,
    });
  }

  /** Invoke the read-only runbook through its URL (never directly), and read the deployment parameter. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return urlInvoke(grantee, this.runbookRead).combine(this.deploymentParameter.grantRead(grantee));
  }

  /** {@link grantRead}, invoke the change runbook through its URL, and start the SSM documents as their role. */
  grantChange(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const documents = this.automations.map((d) =>
      stack.formatArn({
        service: 'ssm',
        resource: 'automation-definition',
        resourceName: `${d.name!}:*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    // SSM authorises a start against the document's version: any version, of this deployment's documents only.
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      for (const arn of documents) {
        Validations.of(grantee.grantPrincipal).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(arn))}]`,
          reason:
            "SSM authorises StartAutomationExecution against a document version; any version of this SurgeGuard deployment's own documents.",
        });
      }
    }
    return this.grantRead(grantee)
      .combine(urlInvoke(grantee, this.runbook))
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['ssm:StartAutomationExecution'],
          resourceArns: documents,
        }),
      )
      .combine(grantPassRoleTo(grantee, this.automationRole, 'ssm.amazonaws.com'));
  }
}

/** What a deployment publishes in its SSM parameter, for the CLI to find it. */
export interface DeploymentInfo {
  readonly version: 1;
  readonly namePrefix: string;
  readonly region: string;
  readonly stackName: string;
  /** The change runbook's function URL. */
  readonly runbookUrl: string;
  /** The read-only runbook's function URL. */
  readonly runbookReadUrl: string;
  readonly table: string;
  readonly scheduleGroup: string;
  /** Where `surgeguard publish` writes the region's document. */
  readonly documentBucket: string;
  readonly documentKey: string;
  /** The services and web ACL the stack was deployed for: `surgeguard publish` binds the config to them. */
  readonly bindings: StackBindings;
}

/** The SSM parameter a deployment publishes itself in. */
export function deploymentParameterName(namePrefix: string, region: string): string {
  return `/${namePrefix}/${region}/deployment`;
}

/**
 * Invoking a runbook through its IAM-authenticated URL only: the function reads the caller from the signed request,
 * so a direct invocation (whose body could name anyone) is not granted.
 */
function urlInvoke(grantee: iam.IGrantable, fn: lambda.IFunction): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['lambda:InvokeFunctionUrl'],
    resourceArns: [fn.functionArn],
    conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
  }).combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [fn.functionArn],
      conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    }),
  );
}
