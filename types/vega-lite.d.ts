// vega-lite ships ESM types that `moduleResolution: node10` cannot reach; the report needs only `compile`.
declare module 'vega-lite' {
  import type { Spec } from 'vega';
  export function compile(spec: unknown): { spec: Spec };
}
