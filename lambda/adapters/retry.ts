/** Retries of AWS calls that failed for reasons that pass: throttling and server errors. */

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottledException',
  'LimitExceededException',
  'ConcurrentUpdateException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'InternalServiceError',
  'ServerException',
  'WAFInternalErrorException',
  'WAFUnavailableEntityException',
]);

/** True for errors worth another try: throttling, HTTP 429 and 5xx. */
export function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (!e || typeof e !== 'object') return false;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Waits between attempts; injected so tests run instantly. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Attempts in all, the first included. @default 4 */
  readonly attempts?: number;
  /** First backoff. @default 100 */
  readonly baseMs?: number;
  /** Longest backoff. @default 2000 */
  readonly capMs?: number;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Which errors to retry. @default isRetryable */
  readonly retryable?: (err: unknown) => boolean;
}

/** Calls `fn`, retrying retryable failures with capped exponential backoff and full jitter. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 4;
  const base = options.baseMs ?? 100;
  const cap = options.capMs ?? 2000;
  const random = options.random ?? Math.random;
  const retryable = options.retryable ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      await options.sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
    }
  }
}

/** The message of any thrown value, for logs and audit records. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error)
    return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
