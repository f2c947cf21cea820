/** A payload (schedule input or runbook request) that does not match what is expected. */
export class BadPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadPayloadError';
  }
}

/** What each field of a payload must be; a trailing `?` makes it optional. */
export type PayloadSpec = Readonly<
  Record<string, 'string' | 'string?' | 'number' | 'number?' | 'boolean' | 'boolean?'>
>;

/** The TypeScript type a spec describes. */
export type PayloadOf<S extends PayloadSpec> = {
  [K in keyof S as S[K] extends `${string}?` ? never : K]: S[K] extends `number${string}`
    ? number
    : S[K] extends `boolean${string}`
      ? boolean
      : string;
} & {
  [K in keyof S as S[K] extends `${string}?` ? K : never]?: S[K] extends `number${string}`
    ? number
    : S[K] extends `boolean${string}`
      ? boolean
      : string;
};

/**
 * Checks a payload against a spec: an object, no unknown keys, required fields present, each of its type, strings
 * not empty. Payloads are small and fixed, so a schema library would only add to the bundle.
 */
export function checkPayload<S extends PayloadSpec>(value: unknown, spec: S): PayloadOf<S> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadPayloadError(
      `bad payload: expected an object, received ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  const problems: string[] = [];
  const obj = value as Record<string, unknown>;
  // Own keys only: `constructor` or `__proto__` are in every object, not in the spec.
  for (const key of Object.keys(obj)) if (!Object.hasOwn(spec, key)) problems.push(`${key}: unknown key`);
  for (const [key, kind] of Object.entries(spec)) {
    const optional = kind.endsWith('?');
    const type = kind.replace('?', '');
    const v = obj[key];
    if (v === undefined) {
      if (!optional) problems.push(`${key}: missing; expected ${type}`);
    } else if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) {
      problems.push(`${key}: expected ${type}, received ${typeof v}`);
    } else if (type === 'string' && (v as string).length === 0)
      problems.push(`${key}: expected a non-empty string`);
  }
  if (problems.length) throw new BadPayloadError(`bad payload: ${problems.join('; ')}`);
  return obj as PayloadOf<S>;
}

/**
 * What every schedule spreads into its target input: EventBridge Scheduler replaces the placeholder with the
 * execution id, which then names every log line and audit record of the invocation it starts.
 *
 * @example
 * target: { arn, roleArn, input: JSON.stringify({ eventId, ...SCHEDULE_CORRELATION }) }
 */
export const SCHEDULE_CORRELATION = { correlationId: '<aws.scheduler.execution-id>' } as const;

/** A scheduled handler's payload spec: its own fields and the optional correlation id its schedule passes. */
export function scheduledPayload<const S extends PayloadSpec>(
  spec: S,
): S & { readonly correlationId: 'string?' } {
  return { ...spec, correlationId: 'string?' };
}

/**
 * The invocation's correlation id: the payload's own (a schedule's execution id), else the function URL's request
 * id, else the Lambda request id.
 */
export function correlationIdOf(event: unknown, lambdaRequestId: string): string {
  const e = (event !== null && typeof event === 'object' ? event : {}) as {
    correlationId?: unknown;
    requestContext?: { requestId?: unknown };
  };
  const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (nonEmpty(e.correlationId)) return e.correlationId;
  const urlRequestId = e.requestContext?.requestId;
  return nonEmpty(urlRequestId) ? urlRequestId : lambdaRequestId;
}
