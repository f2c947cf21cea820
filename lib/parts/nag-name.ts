/**
 * A resolved value as cdk-nag names it in a finding: `Ref`s become `<Name>`, attributes `<Name.Attr>`, joins are joined, so an account or
 * region known at synth appears as itself and one left to deploy time as `<AWS::AccountId>` or `<AWS::Region>`.
 */
export function flatten(value: unknown, rename: (logicalId: string) => string = (id) => id): string {
  if (typeof value === 'string') return value;
  const v = value as {
    Ref?: string;
    'Fn::Join'?: [string, unknown[]];
    'Fn::GetAtt'?: [string, string];
    'Fn::Sub'?: string;
  };
  if (v.Ref !== undefined) return `<${rename(v.Ref)}>`;
  if (v['Fn::GetAtt']) return `<${rename(v['Fn::GetAtt'][0])}.${v['Fn::GetAtt'][1]}>`;
  if (v['Fn::Sub']) return v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, '<$1>');
  if (v['Fn::Join']) return v['Fn::Join'][1].map((x) => flatten(x, rename)).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}
