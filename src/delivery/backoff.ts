// Retry delay as a pure function: exponential backoff with full jitter, capped, honouring Retry-After.

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** A server may ask for a long pause, but never for one longer than this. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Delay before attempt `attempt + 1`, given that `attempt` (>= 1) attempts failed. Full jitter: uniform in
 * [0, min(maxMs, initialMs * 2^(attempt-1))), so clients that failed together do not retry together.
 * A Retry-After from the sink is a floor (capped at MAX_RETRY_AFTER_MS), never shortened by jitter.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 40);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return jittered;
  return Math.max(jittered, Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS));
}
