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
  /** Starts the dashboards' names (lower case). */
  readonly dashboardPrefix: string;
}

/**
 * What on-call sees: alarms (function errors and throttles, dead letters, and per event and fleet the join SLO,
 * capacity shortfall and limit breaches) notifying the on-call topic, and one dashboard per event.
 */
export class Observability extends SurgeGuardPart {
  /** Every alarm, by its construct id. */
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** One dashboard per event. */
  readonly dashboards: cloudwatch.Dashboard[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const rc = props.runtime;
    this.addAlarms(rc, props);
    for (const e of rc.config.events) {
      this.dashboards.push(
        this.addDashboard(rc, e.id, props.shield?.rules ?? [], `${props.dashboardPrefix}-${e.id}`),
      );
    }
  }

  /** A SurgeGuard metric of one event's fleet (namespace `SurgeGuard`), as the watch publishes it. */
  metric(
    metricName: string,
    eventId: string,
    fleetId: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'SurgeGuard',
      metricName,
      dimensionsMap: { Fleet: fleetId, Event: eventId, service: 'surgeguard' },
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
    for (const e of rc.config.events) {
      for (const ef of e.fleets) {
        const fleet = rc.config.fleets.find((f) => f.id === ef.fleet)!;
        const sg = (metricName: string, statistic = 'Maximum') =>
          this.metric(metricName, e.id, fleet.id, { statistic });
        const key = `${e.id}-${fleet.id}`.replace(/[^A-Za-z0-9]/g, '');
        alarm(
          `JoinSlo${key}`,
          {
            alarmDescription: `${e.id} / ${fleet.id}: join success below the SLO (${e.slo.joinSuccessRatio})`,
            threshold: e.slo.joinSuccessRatio,
            evaluationPeriods: 3,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
          new cloudwatch.MathExpression({
            expression: 'IF(req > 0, ok / req, 1)',
            usingMetrics: { ok: appMetric(fleet, 'joinSuccesses'), req: appMetric(fleet, 'joinRequests') },
            period: Duration.minutes(1),
            label: 'join success ratio',
          }),
        );
        alarm(
          `Shortfall${key}`,
          {
            alarmDescription: `${e.id} / ${fleet.id}: tasks decided but not running for 10 minutes (capacity shortfall: launches failing or throttled)`,
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
            alarmDescription: `${e.id} / ${fleet.id}: demand needs more than max tasks, the service limit, the vCPU quota or the model's peak`,
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
            alarmDescription: `${e.id} / ${fleet.id}: still above its recorded settings ${e.restoreDeadlineMinutes} min after the hold ended (restore paused, held or failing)`,
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
  }

  private addDashboard(
    rc: RuntimeConfig,
    eventId: string,
    rules: readonly WafRuleConfig[],
    dashboardName: string,
  ): cloudwatch.Dashboard {
    const e = rc.config.events.find((x) => x.id === eventId)!;
    const d = new cloudwatch.Dashboard(this, `Dashboard-${eventId}`, {
      dashboardName: dashboardName.slice(0, 255),
      defaultInterval: Duration.hours(3),
    });
    for (const ef of e.fleets) {
      const fleet = rc.config.fleets.find((f) => f.id === ef.fleet)!;
      const sg = (metricName: string, label: string) => this.metric(metricName, e.id, fleet.id, { label });
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: listeners vs fleet capacity`,
          left: [
            appMetric(fleet, 'listeners'),
            sg('CapacityListeners', 'capacity (model x running tasks)'),
            sg('ForecastListeners', 'forecast'),
          ],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: tasks planned, decided, running`,
          left: [sg('PlannedTasks', 'planned'), sg('DecidedTasks', 'decided'), sg('RunningTasks', 'running')],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${fleet.id}: join errors by class`,
          left: [appMetric(fleet, 'joinErrorsCapacity'), appMetric(fleet, 'joinErrorsAuth')],
          right: [appMetric(fleet, 'joinRequests')],
          width: 12,
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
            new cloudwatch.Metric({
              namespace: 'SurgeGuard',
              metricName: 'ShieldVerdict',
              dimensionsMap: { Event: e.id, service: 'surgeguard' },
              period: Duration.minutes(1),
              statistic: 'Maximum',
            }),
            new cloudwatch.Metric({
              namespace: 'SurgeGuard',
              metricName: 'ShieldArmed',
              dimensionsMap: { Event: e.id, service: 'surgeguard' },
              period: Duration.minutes(1),
              statistic: 'Maximum',
            }),
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
