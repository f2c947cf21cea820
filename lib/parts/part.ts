import { Aspects, CfnElement, Names } from 'aws-cdk-lib';
import type { IAspect } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IConstruct } from 'constructs';

/**
 * One concern of {@link SurgeGuard} (state, shield, controllers, runbook, observability): a construct of its own
 * whose resources keep the logical ids they had when SurgeGuard built them itself, as if the part's id were not in
 * their path. A changed logical id makes CloudFormation replace the resource: the state table would start empty and
 * named resources (schedule group, SSM documents, dashboards, web ACL) would clash with themselves.
 */
export abstract class SurgeGuardPart extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Aspects.of(this).add(new KeepLogicalIds(this));
  }
}

class KeepLogicalIds implements IAspect {
  constructor(private readonly part: SurgeGuardPart) {}

  visit(node: IConstruct): void {
    if (!CfnElement.isCfnElement(node)) return;
    const scopes = node.node.scopes;
    const ids = scopes
      .slice(scopes.indexOf(node.stack) + 1)
      .filter((s) => s !== this.part)
      .map((s) => s.node.id);
    node.overrideLogicalId(logicalIdOf(ids));
  }
}

/**
 * The logical id CDK gives an element at this path below its stack: CDK's own algorithm, reached through a
 * throwaway tree, since `Names.uniqueId` of a construct is that of its path below the root.
 */
function logicalIdOf(ids: readonly string[]): string {
  let c = new Construct(undefined as unknown as Construct, '');
  for (const id of ids) c = new Construct(c, id);
  return Names.uniqueId(c);
}
