/**
 * A resolved value as cdk-nag names it in a finding: `Ref`s become `<Name>` and joins are joined, so an account or
 * region known at synth appears as itself and one left to deploy time as `<AWS::AccountId>` or `<AWS::Region>`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: unknown; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref !== undefined) return `<${flatten(v.Ref)}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(flatten).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}
