import { defaultSleep } from './internal.js';

/**
 * Time and chance for everything the client and the waiter do: poll schedules, backoff and jitter, request
 * timeouts and the rate limiter all read `now` and wait with `sleep`, so one simulated clock drives a whole
 * run in tests. `sleep` must reject (with the signal's reason) as soon as `signal` aborts.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/** `Date.now`, an abortable `setTimeout` and `Math.random`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: defaultSleep,
  random: () => Math.random(),
});

/** Fills the parts of a clock the caller left out from the system clock. */
export function toClock(partial: Partial<Clock> | undefined): Clock {
  if (!partial) return systemClock;
  return {
    now: partial.now ?? systemClock.now,
    sleep: partial.sleep ?? systemClock.sleep,
    random: partial.random ?? systemClock.random,
  };
}

/**
 * Calls `fn` after `ms` on the clock's time; the returned function cancels it. On the system clock this is a
 * bare setTimeout (a request timeout per poll is on the hot path); on any other clock it is its `sleep`.
 */
export function schedule(clock: Pick<Clock, 'sleep'>, ms: number, fn: () => void): () => void {
  if (clock.sleep === systemClock.sleep) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  }
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(fn, () => {});
  return () => controller.abort();
}
