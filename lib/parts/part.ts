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
    node.overrideLogicalId(keptLogicalId(node, this.part));
  }
}

function keptLogicalId(node: CfnElement, part: SurgeGuardPart): string {
  const scopes = node.node.scopes;
  return logicalIdOf(
    scopes
      .slice(scopes.indexOf(node.stack) + 1)
      .filter((s) => s !== part)
      .map((s) => s.node.id),
  );
}

/**
 * The logical id each element of `scope` has now, mapped to the one it will have once the parts' ids are taken out
 * of their paths at synth: what a cdk-nag acknowledgement written before synth must name.
 */
export function finalLogicalIds(scope: IConstruct): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of scope.node.findAll()) {
    if (!CfnElement.isCfnElement(node)) continue;
    const part = node.node.scopes.find((s): s is SurgeGuardPart => s instanceof SurgeGuardPart);
    if (part) out.set(node.stack.resolve(node.logicalId) as string, keptLogicalId(node, part));
  }
  return out;
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
