import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import type { FleetConfig, WafRuleConfig } from '../../lambda/core/config/schema';
import type { RuntimeConfig } from '../../lambda/core/runtime-config';
import type { Controllers } from './controllers';
import { cap } from './function';
import { SurgeGuardPart } from './part';
import type { Runbook } from './runbook';
import type { Shield } from './shield';
import type { StateAndAudit } from './state';

/** Properties of {@link Observability}. */
export interface ObservabilityProps {
  /** The runtime config of this region. */
  readonly runtime: RuntimeConfig;
  /** The on-call topic alarms notify, and the dead-letter queue they watch. */
  readonly state: StateAndAudit;
  /** The shield, when this region holds its web ACL. @default no shield */
  readonly shield?: Shield;
  /** The controllers whose errors raise alarms. */
  readonly controllers: Controllers;
  /** The runbook whose errors and throttles raise alarms. */
  readonly runbook: Runbook;
  /** The region's dashboard's name (dashboard names are global to an account: prefix and region make it unique). */
  readonly dashboardName: string;
}

/**
 * What on-call sees: alarms (function errors and throttles, dead letters, a refused document, a failed schedule
 * sync, and per fleet the join SLO, capacity shortfall, limit breaches and restore deadline) notifying the on-call
 * topic, and one dashboard for the region. None of it depends on the events: they are published data.
 */
export class Observability extends SurgeGuardPart {
  /** Every alarm, by its construct id. */
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** The region's dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const rc = props.runtime;
    this.addAlarms(rc, props);
    this.dashboard = this.addDashboard(rc, props.shield?.rules ?? [], props.dashboardName);
  }

  /**
   * A SurgeGuard metric (namespace `SurgeGuard`) as the functions publish it: of one event's fleet, or with
   * `eventId` undefined, of the fleet whatever the event (what the alarms and dashboard read).
   */
  metric(
    metricName: string,
    eventId: string | undefined,
    fleetId: string | undefined,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'SurgeGuard',
      metricName,
      dimensionsMap: {
        ...(fleetId === undefined ? {} : { Fleet: fleetId }),
        ...(eventId === undefined ? {} : { Event: eventId }),
        service: 'surgeguard',
      },
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }

  private addAlarms(rc: RuntimeConfig, props: ObservabilityProps): void {
    const action = new cwActions.SnsAction(props.state.topic);
    const alarm = (
      id: string,
      a: cloudwatch.AlarmProps | cloudwatch.CreateAlarmOptions,
      metric: cloudwatch.IMetric,
    ) => {
      const created = new cloudwatch.Alarm(this, id, { metric, ...a });
      created.addAlarmAction(action);
      this.alarms[id] = created;
      return created;
    };
    const runbooks = {
      runbook: props.runbook.runbook,
      runbookRead: props.runbook.runbookRead,
      runbookAutomation: props.runbook.runbookAutomation,
    };
    for (const [name, fn] of Object.entries(runbooks)) {
      // Reserved concurrency is small: throttles mean on-call's requests are refused.
      alarm(
        `${cap(name)}Throttles`,
        {
          alarmDescription: `SurgeGuard ${name} throttled: on-call requests are being refused`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
      );
    }
    for (const [name, fn] of Object.entries({ ...props.controllers.functions, ...runbooks })) {
      alarm(
        `${cap(name)}Errors`,
        {
          alarmDescription: `SurgeGuard ${name} failed (see its logs and the audit trail)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      );
    }
    alarm(
      'DeadLetterDepth',
      {
        alarmDescription:
          'SurgeGuard invocations or schedules failed for good: messages in the dead-letter queue',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      props.state.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
    );
    const region = (metricName: string, description: string) =>
      alarm(
        metricName,
        {
          alarmDescription: description,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        this.metric(metricName, undefined, undefined, { statistic: 'Sum' }),
      );
    region(
      'DocumentRejected',
      "SurgeGuard refused a published document (see the functions' logs): the last good one still runs; publish a valid one",
    );
    region(
      'ScheduleSyncFailed',
      "SurgeGuard's watch could not make the prescale and restore schedules match the published plan (see its logs)",
    );
    for (const fleet of rc.config.fleets) {
      const sg = (metricName: string, statistic = 'Maximum') =>
        this.metric(metricName, undefined, fleet.id, { statistic });
      const key = fleet.id.replace(/[^A-Za-z0-9]/g, '');
      alarm(
        `JoinSlo${key}`,
        {
          alarmDescription: `${fleet.id}: join success below the live event's SLO for 3 minutes`,
          threshold: 0,
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        new cloudwatch.MathExpression({
          // The SLO is the live event's, published by the watch: with no event watched there is none to miss.
          expression: 'IF(req > 0, ok / req, 1) - FILL(slo, 0)',
          usingMetrics: {
            ok: appMetric(fleet, 'joinSuccesses'),
            req: appMetric(fleet, 'joinRequests'),
            slo: sg('JoinSloTarget'),
          },
          period: Duration.minutes(1),
          label: 'join success ratio minus the SLO',
        }),
      );
      alarm(
        `Shortfall${key}`,
        {
          alarmDescription: `${fleet.id}: tasks decided but not running for 10 minutes (capacity shortfall: launches failing or throttled)`,
          threshold: 1,
          evaluationPeriods: 10,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        new cloudwatch.MathExpression({
          expression: 'decided - running',
          usingMetrics: { decided: sg('DecidedTasks'), running: sg('RunningTasks', 'Minimum') },
          period: Duration.minutes(1),
          label: 'decided minus running',
        }),
      );
      alarm(
        `Limit${key}`,
        {
          alarmDescription: `${fleet.id}: demand needs more than max tasks, the service limit, the vCPU quota or the model's peak`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        sg('LimitBreach', 'Sum'),
      );
      alarm(
        `RestoreDeadline${key}`,
        {
          alarmDescription: `${fleet.id}: still above its recorded settings past the event's restore deadline (restore paused, held or failing)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Restore reports once a run and its schedule ends: between runs, and after, the last answer stands.
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        },
        sg('FleetAboveRecordedAfterDeadline'),
      );
    }
  }

  private addDashboard(
    rc: RuntimeConfig,
    rules: readonly WafRuleConfig[],
    dashboardName: string,
  ): cloudwatch.Dashboard {
    const d = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName.slice(0, 255),
      defaultInterval: Duration.hours(3),
    });
    for (const fleet of rc.config.fleets) {
      const sg = (metricName: string, label: string) =>
        this.metric(metricName, undefined, fleet.id, { label });
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: listeners vs fleet capacity`,
          left: [
            appMetric(fleet, 'listeners'),
            sg('CapacityListeners', 'capacity (model x running tasks)'),
            sg('ForecastListeners', 'forecast'),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: tasks planned, decided, running, ceiling`,
          left: [
            sg('PlannedTasks', 'planned'),
            sg('DecidedTasks', 'decided'),
            sg('RunningTasks', 'running'),
            sg('CeilingTasks', 'ceiling'),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: join errors by class`,
          left: [appMetric(fleet, 'joinErrorsCapacity'), appMetric(fleet, 'joinErrorsAuth')],
          right: [appMetric(fleet, 'joinRequests')],
          width: 8,
        }),
      );
    }
    const shield = rc.config.shield;
    if (shield) {
      const waf = (metricName: string, rule: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/WAFV2',
          metricName,
          dimensionsMap: {
            WebACL: shield.webAcl.name,
            Rule: rule,
            ...(shield.webAcl.scope === 'REGIONAL' ? { Region: shield.webAcl.region } : {}),
          },
          period: Duration.minutes(1),
          statistic: 'Sum',
          label: `${rule} ${metricName === 'CountedRequests' ? 'counted' : 'blocked'}`,
        });
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'WAF: counted and blocked per rule',
          left: rules.flatMap((r) => [
            waf('CountedRequests', r.metricName ?? r.name),
            waf('BlockedRequests', r.metricName ?? r.name),
          ]),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Shield verdict (0 normal, 1 flash crowd, 2 attack, 3 attack + capacity) and mode (1 armed)',
          left: [
            this.metric('ShieldVerdict', undefined, undefined),
            this.metric('ShieldArmed', undefined, undefined),
          ],
          width: 12,
        }),
      );
    }
    return d;
  }
}

/** One of a fleet's app metrics, as the config names it. */
function appMetric(
  fleet: FleetConfig,
  key: 'listeners' | 'joinRequests' | 'joinSuccesses' | 'joinErrorsCapacity' | 'joinErrorsAuth',
): cloudwatch.Metric {
  const m = fleet.metrics[key];
  return new cloudwatch.Metric({
    namespace: m.namespace ?? fleet.metrics.namespace,
    metricName: m.metricName,
    dimensionsMap: { ...fleet.metrics.dimensions, ...(m.dimensions ?? {}) },
    period: Duration.seconds(Math.max(60, fleet.metrics.periodSeconds)),
    statistic: m.stat ?? (key === 'listeners' ? 'Maximum' : 'Sum'),
    label: key,
  });
}
