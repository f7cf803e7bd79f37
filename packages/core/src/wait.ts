// The one loop behind waitForCrawl and watchCrawl: deadline, sleeps, failures, outcomes, cancel on exit.

import { cancelWhenRunning } from './cancel.js';
import { type CatalogClient, clientClock } from './client.js';
import { type Clock, toClock } from './clock.js';
import { crawlOutcome, isKnownStatus, isTerminalStatus, validateExecutionId } from './crawl.js';
import { AbortedError, CatalogError, LostContactError, NotFoundError } from './errors.js';
import { formatDuration } from './format.js';
import { linkedController } from './internal.js';
import { Observer, type Reporter } from './observe.js';
import { NOT_SENT } from './request.js';
import { nextPollDelayMs, type PollDelayOptions } from './schedule.js';
import type {
  CancelResult,
  RequestOptions,
  RetryInfo,
  WaitEvent,
  WaitOptions,
  WaitOutcome,
  WaitResult,
  WatchItem,
} from './types.js';
import {
  CANCEL_TIMEOUT_MS,
  UNKNOWN_STATUS_STALL_MS,
  validateWaitOptions,
  type WaitSettings,
} from './wait-options.js';

/** Waits for a crawl to finish. Outcomes are values; see the README for the exceptions. */
export function waitForCrawl(
  client: CatalogClient,
  executionId: string,
  options: WaitOptions = {},
): Promise<WaitResult> {
  return runWait(client, executionId, options, options.signal, options.onEvent);
}

/** The same loop as waitForCrawl, as an AsyncIterable: every event, then one `result` item. */
export async function* watchCrawl(
  client: CatalogClient,
  executionId: string,
  options: Omit<WaitOptions, 'onEvent'> = {},
): AsyncIterable<WatchItem> {
  const queue: WatchItem[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  // Breaking out of the loop stops the waiter through this controller, without sending any DELETE.
  const link = linkedController(options.signal);
  const run = runWait(
    client,
    executionId,
    { ...options, signal: link.controller.signal },
    options.signal,
    (event) => {
      queue.push(event);
      wake?.();
    },
  ).then(
    (result) => {
      queue.push({ type: 'result', result });
    },
    (error) => {
      failure = error;
    },
  );
  void run.finally(() => {
    finished = true;
    wake?.();
  });
  try {
    while (true) {
      const item = queue.shift();
      if (item) {
        yield item;
        continue;
      }
      if (finished) {
        if (failure !== undefined) throw failure;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    if (!finished) link.controller.abort();
    await run;
    link.dispose();
  }
}

/** The one loop behind waitForCrawl and watchCrawl. `callerSignal` decides whether an abort sends the DELETE. */
function runWait(
  client: CatalogClient,
  rawId: string,
  options: WaitOptions,
  callerSignal: AbortSignal | undefined,
  onEvent: ((event: WaitEvent) => void) | undefined,
): Promise<WaitResult> {
  try {
    return new Wait(client, validateExecutionId(rawId), options, callerSignal, onEvent).run();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * One wait's state and steps. A class rather than one function with closures: a process may run thousands of
 * waits at once, and each closure and captured context is memory held for the whole wait.
 */
class Wait implements Reporter {
  readonly #s: WaitSettings;
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #deadline: number;
  /** The final poll starts this long before the deadline, so that it is answered by the deadline. */
  readonly #finalAt: number;
  #lastSuccessAt: number;
  #lastEmitAt: number;
  #lastFailure: CatalogError | undefined;
  #retryWarned = false;
  readonly #seen: Observer;

  constructor(
    private readonly client: CatalogClient,
    private readonly executionId: string,
    private readonly options: WaitOptions,
    private readonly callerSignal: AbortSignal | undefined,
    private readonly onEvent: ((event: WaitEvent) => void) | undefined,
  ) {
    this.#s = validateWaitOptions(options);
    this.#clock = options.clock ? toClock(options.clock) : clientClock(client);
    this.#startedAt = this.#clock.now();
    this.#deadline = this.#startedAt + this.#s.timeoutMs;
    this.#finalAt = this.#deadline - Math.min(CANCEL_TIMEOUT_MS, this.#s.minIntervalMs / 2);
    this.#lastSuccessAt = this.#startedAt;
    this.#lastEmitAt = this.#startedAt;
    this.#seen = new Observer(executionId, this.#startedAt, this);
  }

  emit(event: WaitEvent): void {
    this.#lastEmitAt = this.#clock.now();
    this.onEvent?.(event);
  }

  base() {
    const t = this.#clock.now();
    return {
      executionId: this.executionId,
      elapsedMs: t - this.#startedAt,
      remainingMs: Math.max(0, this.#deadline - t),
      crawl: this.#seen.crawl,
    };
  }

  /** Cancel-when-running within cancelWaitMs, at the loop's cadence; the outcome as a CancelResult. */
  async #cancel(cancelSignal: AbortSignal | undefined): Promise<CancelResult> {
    const done = await cancelWhenRunning(this.client, this.executionId, {
      signal: cancelSignal,
      timeoutMs: this.#s.cancelWaitMs,
      minIntervalMs: this.#s.minIntervalMs,
      maxIntervalMs: this.#s.maxIntervalMs,
      clock: this.#clock,
    });
    return done.cancel;
  }

  async #abort(): Promise<never> {
    let cancelled: CancelResult | undefined;
    let cancelError: CatalogError | undefined;
    if (this.options.cancelOnAbort && this.callerSignal?.aborted) {
      // The caller's signal is already aborted: the cancel gets its own budget instead.
      try {
        cancelled = await this.#cancel(undefined);
      } catch (error) {
        cancelError = error instanceof CatalogError ? error : undefined;
      }
    }
    const elapsedMs = this.#clock.now() - this.#startedAt;
    const sent = cancelled
      ? ` (cancel requested: ${cancelled.outcome})`
      : cancelError
        ? ' (the cancel request failed)'
        : '';
    throw new AbortedError(
      `Waiting for crawl ${this.executionId} was aborted after ${formatDuration(elapsedMs)}${sent}`,
      {
        executionId: this.executionId,
        crawl: this.#seen.crawl,
        history: this.#seen.history,
        elapsedMs,
        cancel: cancelled,
        cancelError,
      },
    );
  }

  async #finish(outcome: WaitOutcome): Promise<WaitResult> {
    const result: WaitResult = {
      outcome,
      executionId: this.executionId,
      crawl: this.#seen.crawl,
      history: this.#seen.history,
      elapsedMs: this.#clock.now() - this.#startedAt,
    };
    const wanted =
      (outcome === 'timed_out' && this.options.cancelOnTimeout) ||
      (outcome === 'stalled' && this.options.cancelOnStall);
    if (wanted) {
      try {
        result.cancel = await this.#cancel(this.options.signal);
      } catch (error) {
        if (error instanceof AbortedError) return this.#abort();
        if (error instanceof CatalogError) {
          result.cancelError = error;
          this.#seen.warn(
            'poll_failed',
            `Could not cancel crawl ${this.executionId} (${outcome === 'stalled' ? 'stalled' : 'at the deadline'}): ${error.message}`,
            error,
          );
        } else throw error;
      }
    }
    return result;
  }

  #lostContact(t: number, error: CatalogError): LostContactError {
    return new LostContactError(
      `Lost contact with the Catalog API: no successful poll of crawl ${this.executionId} for ${formatDuration(t - this.#lastSuccessAt)}; last error: ${error.message}`,
      {
        executionId: this.executionId,
        crawl: this.#seen.crawl,
        history: this.#seen.history,
        elapsedMs: t - this.#startedAt,
        cause: error,
        requestId: error.requestId,
      },
    );
  }

  #onRetry(info: RetryInfo): void {
    this.#seen.history.transientErrors++;
    if (this.#retryWarned) return;
    this.#retryWarned = true;
    const kind = info.error instanceof CatalogError && info.error.status === 429 ? 'rate_limited' : 'retry';
    this.#seen.warn(
      kind,
      `Retrying after ${formatDuration(info.delayMs)}: ${info.error.message}`,
      info.error,
    );
  }

  /** What a failed poll means: nothing yet (returns), or the end of the wait (throws). */
  #failed(error: unknown): void {
    if (!(error instanceof CatalogError)) throw error;
    const { executionId } = this;
    const seen = this.#seen;
    const t = this.#clock.now();
    if (error.code === NOT_SENT) {
      // The deadline came while the request waited its turn (the client's rate limiter): the API was
      // never asked, so this says nothing about contact. The loop ends below, timed out.
    } else if (error instanceof NotFoundError && t - this.#startedAt < this.#s.notFoundGraceMs) {
      seen.warn('poll_failed', `Crawl ${executionId} is not visible yet (404); retrying`, error);
    } else if (error.retryable) {
      seen.history.transientErrors++;
      seen.warn('poll_failed', `Poll failed: ${error.message}`, error);
      this.#lastFailure = error;
      if (t - this.#lastSuccessAt >= this.#s.lostContactMs) throw this.#lostContact(t, error);
    } else {
      // Auth, not found after the grace, invalid input and other permanent answers stop the wait.
      throw error;
    }
  }

  async run(): Promise<WaitResult> {
    const s = this.#s;
    const signal = this.options.signal;
    const seen = this.#seen;
    const now = this.#clock.now;
    let final = false;
    // Built once per wait, not once per poll: thousands of concurrent waits make per-poll garbage add up.
    const pollOptions: RequestOptions = {
      signal,
      deadline: this.#deadline,
      onRetry: (info) => this.#onRetry(info),
    };
    const delayOptions: PollDelayOptions = {
      minIntervalMs: s.minIntervalMs,
      maxIntervalMs: s.maxIntervalMs,
      random: this.#clock.random,
    };
    while (true) {
      if (signal?.aborted) return this.#abort();
      this.#retryWarned = false;
      try {
        const next = await this.client.getCrawl(this.executionId, pollOptions);
        this.#lastSuccessAt = now();
        seen.observe(next, this.#lastSuccessAt);
        this.#lastFailure = undefined;
      } catch (error) {
        if (error instanceof AbortedError || signal?.aborted) return this.#abort();
        this.#failed(error);
      }

      const crawl = seen.crawl;
      if (crawl && isTerminalStatus(crawl.status)) return this.#finish(crawlOutcome(crawl)!);
      const t = now();
      if (s.heartbeatMs !== undefined && t - this.#lastEmitAt >= s.heartbeatMs)
        this.emit({ ...this.base(), type: 'heartbeat' });
      // An unknown status is never waited out in silence: it falls under stall detection even when it is off.
      const stallMs =
        s.stallTimeoutMs ?? (crawl && !isKnownStatus(crawl.status) ? UNKNOWN_STATUS_STALL_MS : undefined);
      if (stallMs !== undefined && crawl && t - seen.lastChangeAt >= stallMs) return this.#finish('stalled');
      if (final || t >= this.#finalAt) {
        // A wait that never reached the API did not time out: reporting it as a timeout would hide the cause.
        if (!crawl && this.#lastFailure) throw this.#lostContact(t, this.#lastFailure);
        return this.#finish('timed_out');
      }
      delayOptions.lastStepRunningMs =
        seen.lastStepSeenAt === undefined ? undefined : t - seen.lastStepSeenAt;
      delayOptions.earlierStepsMs = seen.earlierStepsMs;
      let delay = nextPollDelayMs(crawl, delayOptions);
      if (t + delay >= this.#finalAt) {
        // The next regular poll would land in the final window: make it the final poll, at the deadline.
        delay = this.#finalAt - t;
        final = true;
      }
      try {
        await this.#clock.sleep(delay, signal);
      } catch (error) {
        if (signal?.aborted) return this.#abort();
        throw error;
      }
    }
  }
}
