import type { StackProps } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { SurgeGuardProps } from './surgeguard';
import { SurgeGuard } from './surgeguard';

/** Properties of {@link SurgeGuardStack}. */
export interface SurgeGuardStackProps extends StackProps, SurgeGuardProps {}

/** One region's SurgeGuard: the stack composes the construct and nothing else. */
export class SurgeGuardStack extends Stack {
  readonly surgeGuard: SurgeGuard;

  constructor(scope: Construct, id: string, props: SurgeGuardStackProps) {
    super(scope, id, props);
    this.surgeGuard = new SurgeGuard(this, 'SurgeGuard', props);
  }
}
