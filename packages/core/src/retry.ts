// Retry of transient failures inside one client call (not exported from the package).
import pRetry from 'p-retry';
import type { Clock } from './clock.js';
import { ApiError, InvalidResponseError, NetworkError, RateLimitError, ServerError } from './errors.js';
import type { RetryInfo } from './types.js';

export interface RetrySettings {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  maxServerDelayMs: number;
}

export interface RetryContext {
  signal: AbortSignal | undefined;
  /** Epoch ms on the client's clock; no retry whose delay ends at or after it. */
  deadline: number | undefined;
  onRetry: ((info: RetryInfo) => void) | undefined;
  clock: Clock;
  /** The error to throw when the caller's signal aborts during a backoff. */
  aborted: () => Error;
}

/** Network errors, request timeouts, 408, 429, 5xx and malformed 2xx bodies. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof ServerError ||
    error instanceof RateLimitError ||
    error instanceof InvalidResponseError
  );
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the retries or the deadline run out.
 *
 * p-retry owns the attempt count, the decision loop and the error bookkeeping. Its own delay cannot be used:
 * it computes `minTimeout × factor^n` with multiplicative randomisation and waits on a real `setTimeout`,
 * while a `Retry-After`/`RateLimit-Reset` delay must be a floor that jitter only lengthens, the wait must stop
 * short of the caller's deadline, and it must run on the injected clock so schedules are testable in simulated
 * time. So p-retry's delay is set to 0 and `shouldRetry` does the waiting.
 */
export function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetrySettings,
  ctx: RetryContext,
): Promise<T> {
  return pRetry(attempt, {
    retries: policy.retries,
    minTimeout: 0,
    factor: 1,
    shouldRetry: async ({ error, retriesConsumed }) => {
      if (!isTransient(error)) return false;
      const n = retriesConsumed + 1;
      const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (n - 1));
      const requested = error instanceof ApiError ? (error.retryAfterMs ?? 0) : 0;
      const floor = Math.min(requested, policy.maxServerDelayMs);
      // Full jitter; a server-requested delay is a floor that jitter only lengthens.
      const delayMs = Math.round(floor + ctx.clock.random() * ceiling);
      if (ctx.deadline !== undefined && ctx.clock.now() + delayMs >= ctx.deadline) return false;
      ctx.onRetry?.({ attempt: n, error, delayMs });
      try {
        await ctx.clock.sleep(delayMs, ctx.signal);
      } catch (sleepError) {
        if (ctx.signal?.aborted) throw ctx.aborted();
        throw sleepError;
      }
      if (ctx.signal?.aborted) throw ctx.aborted();
      return true;
    },
  });
}
