import { Annotations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../lambda/core/runtime-config';

/** Options of {@link annotatePlanWarnings}. */
export interface PlanAnnotationOptions {
  /** Make plan warnings synth errors, as `plan --strict` does. @default context `surgeguard:strict` is true */
  readonly strict?: boolean;
  /** Warning codes that stay warnings under `strict`, as `plan --allow` does. @default context `surgeguard:allow` (comma-separated) */
  readonly allow?: readonly string[];
}

/**
 * Shows every plan warning of the events still to come at synth, on a construct per fleet (`Fleet-<id>`), so
 * `cdk synth`/`deploy` show what `surgeguard plan` warns about; under `strict` they are errors and stop the deploy.
 */
export function annotatePlanWarnings(
  scope: Construct,
  rc: RuntimeConfig,
  pastEvents: readonly string[],
  options: PlanAnnotationOptions = {},
): void {
  const strict = options.strict ?? String(scope.node.tryGetContext('surgeguard:strict')) === 'true';
  const allow =
    options.allow ??
    String(scope.node.tryGetContext('surgeguard:allow') ?? '')
      .split(',')
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean);
  for (const fleet of rc.config.fleets) {
    const node = new Construct(scope, `Fleet-${fleet.id}`);
    for (const event of rc.plan.events) {
      if (pastEvents.includes(event.id)) continue;
      for (const w of event.fleets.find((f) => f.fleet === fleet.id)?.warnings ?? []) {
        const text = `plan of event ${event.id}, fleet ${fleet.id}: ${w.code}: ${w.message}`;
        if (strict && !allow.includes(w.code)) Annotations.of(node).addError(text);
        else Annotations.of(node).addWarningV2(`surgeguard:plan:${w.code}`, text);
      }
    }
  }
}
