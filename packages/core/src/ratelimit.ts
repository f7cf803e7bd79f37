import { type Clock, schedule } from './clock.js';
import { defaultSleep } from './internal.js';

/**
 * Client-side sliding-window limiter (not exported from the package).
 *
 * A slot is held from the moment a request is let through until `windowMs` after its answer arrived. The
 * server counts a request when it arrives, which is between those two instants, so no window of `windowMs`
 * on the server can ever see more than `requests` of ours, whatever the latencies. FIFO, abortable, and it
 * keeps a timer only while someone is queued. Time is the client's clock, so a simulated clock drives it too.
 */

/** Extra time a slot is held, for servers that count both ends of their window. */
const MARGIN_MS = 25;

/** A queued acquire: plain data, so thousands of queued requests cost little memory. */
interface Waiter {
  resolve(release: () => void): void;
  reject(reason: unknown): void;
  /** Instant (limiter clock) after which it gives up; Infinity for never. */
  expiresAt: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class LimiterTimeoutError extends Error {}

export class SlidingWindowLimiter {
  private inFlight = 0;
  /** Monotonic instants at which finished requests leave the window, ascending. */
  private readonly releases: number[] = [];
  private readonly queue: Waiter[] = [];
  /** Cancels the pending wake-up; undefined while none is pending. */
  private timer: (() => void) | undefined;
  /** One timer for the earliest expiry in the queue, not one per waiter; cancels it, and when it fires. */
  private expiryTimer: (() => void) | undefined;
  private expiryAt = Number.POSITIVE_INFINITY;
  private readonly now: () => number;
  private readonly sleep: Clock['sleep'];

  constructor(
    readonly requests: number,
    readonly windowMs: number,
    clock: Pick<Clock, 'now' | 'sleep'> | (() => number) = {
      now: () => performance.now(),
      sleep: defaultSleep,
    },
    /** Requests let through and not yet answered, at most: a window's burst then goes out as a stream. */
    readonly maxInFlight = Number.POSITIVE_INFINITY,
  ) {
    this.now = typeof clock === 'function' ? clock : clock.now;
    this.sleep = typeof clock === 'function' ? defaultSleep : clock.sleep;
  }

  /** Calls `fn` after `ms` on the limiter's clock; the returned function cancels it. */
  private after(ms: number, fn: () => void): () => void {
    return schedule({ sleep: this.sleep }, ms, fn);
  }

  /** Resolves with a `release` function once a slot is free. Call release when the answer has been read. */
  acquire(signal?: AbortSignal, maxWaitMs = Number.POSITIVE_INFINITY): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queue.length === 0 && this.free()) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        expiresAt: this.now() + Math.max(0, maxWaitMs),
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => this.leave(waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.watchExpiry(waiter.expiresAt);
      this.drain();
    });
  }

  private leave(waiter: Waiter, reason: unknown): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
    this.forget(waiter);
    if (this.queue.length === 0) this.clearTimer();
    waiter.reject(reason);
  }

  private forget(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (this.queue.length === 0) this.clearExpiryTimer();
  }

  /** Makes sure the expiry timer fires by `at`. */
  private watchExpiry(at: number): void {
    if (at >= this.expiryAt || !Number.isFinite(at)) return;
    this.clearExpiryTimer();
    this.expiryAt = at;
    this.expiryTimer = this.after(Math.max(0, at - this.now()), () => {
      this.expiryTimer = undefined;
      this.expiryAt = Number.POSITIVE_INFINITY;
      this.expire();
    });
  }

  private clearExpiryTimer(): void {
    this.expiryTimer?.();
    this.expiryTimer = undefined;
    this.expiryAt = Number.POSITIVE_INFINITY;
  }

  /** Fails every waiter whose time is up, then watches the next expiry. */
  private expire(): void {
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    for (const waiter of [...this.queue]) {
      if (waiter.expiresAt <= now) this.leave(waiter, new LimiterTimeoutError('rate limiter wait exceeded'));
      else next = Math.min(next, waiter.expiresAt);
    }
    this.watchExpiry(next);
  }

  /** Waiting requests (for tests and diagnostics). */
  get pending(): number {
    return this.queue.length;
  }

  private free(): boolean {
    return this.inFlight < this.maxInFlight && this.used() < this.requests;
  }

  private used(): number {
    const now = this.now();
    while (this.releases.length > 0 && this.releases[0]! <= now) this.releases.shift();
    return this.inFlight + this.releases.length;
  }

  private take(): () => void {
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.releases.push(this.now() + this.windowMs + MARGIN_MS);
      this.drain();
    };
  }

  private clearTimer(): void {
    this.timer?.();
    this.timer = undefined;
  }

  private drain(): void {
    this.clearTimer();
    while (this.queue.length > 0 && this.free()) {
      const waiter = this.queue.shift()!;
      this.forget(waiter);
      waiter.resolve(this.take());
    }
    // All slots busy: wake when the oldest finished one leaves the window. Slots still in flight wake us
    // through their release() instead, so no timer is needed for them.
    if (this.queue.length > 0 && this.releases.length > 0) {
      this.timer = this.after(Math.max(1, this.releases[0]! - this.now()), () => this.drain());
    }
  }
}
