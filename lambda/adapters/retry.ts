/**
 * How every AWS SDK client of SurgeGuard retries and times out. The SDK's standard strategy retries throttling,
 * 5xx, 408 and network errors (ECONNRESET, a request timeout) with jittered backoff and a retry-token bucket;
 * bounded attempts and per-request timeouts keep a hung or failing call from eating a 20-second tick: at worst
 * about MAX_ATTEMPTS × (connection + request timeout) plus two sub-second backoffs.
 */
export const AWS_CLIENT_CONFIG = {
  /** Attempts in all, the first included. */
  maxAttempts: 3,
  retryMode: 'standard',
  requestHandler: {
    /** Milliseconds to set up the TCP/TLS connection. */
    connectionTimeout: 1_000,
    /** Milliseconds of silence on the socket before the attempt fails (and is retried). */
    requestTimeout: 3_000,
    // Without it the handler only logs a warning when the request timeout passes, and the call hangs on.
    throwOnRequestTimeout: true,
  },
} as const;

// Kept for importers not yet moved to core/errors.
export { errorMessage } from '../core/errors';
