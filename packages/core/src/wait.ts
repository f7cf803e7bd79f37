// The one loop behind waitForCrawl and watchCrawl: deadline, sleeps, failures, outcomes, cancel on exit.

import { cancelWhenRunning } from './cancel.js';
import { type CatalogClient, clientClock } from './client.js';
import { type Clock, toClock } from './clock.js';
import { crawlOutcome, isKnownStatus, isTerminalStatus, validateExecutionId } from './crawl.js';
import { AbortedError, CatalogError, LostContactError, NotFoundError } from './errors.js';
import { formatDuration } from './format.js';
import { linkedController } from './internal.js';
import { Observer } from './observe.js';
import { NOT_SENT } from './request.js';
import { nextPollDelayMs, type PollDelayOptions } from './schedule.js';
import type {
  CancelResult,
  RetryInfo,
  WaitEvent,
  WaitOptions,
  WaitOutcome,
  WaitResult,
  WatchItem,
} from './types.js';
import { CANCEL_TIMEOUT_MS, UNKNOWN_STATUS_STALL_MS, validateWaitOptions } from './wait-options.js';

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
async function runWait(
  client: CatalogClient,
  rawId: string,
  options: WaitOptions,
  callerSignal: AbortSignal | undefined,
  onEvent: ((event: WaitEvent) => void) | undefined,
): Promise<WaitResult> {
  const executionId = validateExecutionId(rawId);
  const s = validateWaitOptions(options);
  const clock: Clock = options.clock ? toClock(options.clock) : clientClock(client);
  const { now } = clock;
  const signal = options.signal;

  const startedAt = now();
  const deadline = startedAt + s.timeoutMs;
  // The final poll starts this long before the deadline, so that it is answered by the deadline.
  const finalReserve = Math.min(CANCEL_TIMEOUT_MS, s.minIntervalMs / 2);
  const finalAt = deadline - finalReserve;
  let lastSuccessAt = startedAt;
  let lastEmitAt = startedAt;

  const emit = (event: WaitEvent) => {
    lastEmitAt = now();
    onEvent?.(event);
  };
  const base = () => {
    const t = now();
    return {
      executionId,
      elapsedMs: t - startedAt,
      remainingMs: Math.max(0, deadline - t),
      crawl: seen.crawl,
    };
  };
  const seen = new Observer(executionId, startedAt, emit, base);
  const { history } = seen;

  /** Cancel-when-running within cancelWaitMs, at the loop's cadence; the outcome as a CancelResult. */
  const cancel = async (cancelSignal: AbortSignal | undefined): Promise<CancelResult> => {
    const done = await cancelWhenRunning(client, executionId, {
      signal: cancelSignal,
      timeoutMs: s.cancelWaitMs,
      minIntervalMs: s.minIntervalMs,
      maxIntervalMs: s.maxIntervalMs,
      clock,
    });
    return done.cancel;
  };

  const abort = async (): Promise<never> => {
    let cancelled: CancelResult | undefined;
    let cancelError: CatalogError | undefined;
    if (options.cancelOnAbort && callerSignal?.aborted) {
      // The caller's signal is already aborted: the cancel gets its own budget instead.
      try {
        cancelled = await cancel(undefined);
      } catch (error) {
        cancelError = error instanceof CatalogError ? error : undefined;
      }
    }
    const elapsedMs = now() - startedAt;
    const sent = cancelled
      ? ` (cancel requested: ${cancelled.outcome})`
      : cancelError
        ? ' (the cancel request failed)'
        : '';
    throw new AbortedError(
      `Waiting for crawl ${executionId} was aborted after ${formatDuration(elapsedMs)}${sent}`,
      { executionId, crawl: seen.crawl, history, elapsedMs, cancel: cancelled, cancelError },
    );
  };

  const finish = async (outcome: WaitOutcome): Promise<WaitResult> => {
    const result: WaitResult = {
      outcome,
      executionId,
      crawl: seen.crawl,
      history,
      elapsedMs: now() - startedAt,
    };
    const wanted =
      (outcome === 'timed_out' && options.cancelOnTimeout) ||
      (outcome === 'stalled' && options.cancelOnStall);
    if (wanted) {
      try {
        result.cancel = await cancel(signal);
      } catch (error) {
        if (error instanceof AbortedError) return abort();
        if (error instanceof CatalogError) {
          result.cancelError = error;
          seen.warn(
            'poll_failed',
            `Could not cancel crawl ${executionId} (${outcome === 'stalled' ? 'stalled' : 'at the deadline'}): ${error.message}`,
            error,
          );
        } else throw error;
      }
    }
    return result;
  };

  const lostContact = (t: number, error: CatalogError) =>
    new LostContactError(
      `Lost contact with the Catalog API: no successful poll of crawl ${executionId} for ${formatDuration(t - lastSuccessAt)}; last error: ${error.message}`,
      {
        executionId,
        crawl: seen.crawl,
        history,
        elapsedMs: t - startedAt,
        cause: error,
        requestId: error.requestId,
      },
    );

  let lastFailure: CatalogError | undefined;
  let final = false;
  let retryWarned = false;
  // Built once per wait, not once per poll: thousands of concurrent waits make per-poll garbage add up.
  const pollOptions = {
    signal,
    deadline,
    onRetry: (info: RetryInfo) => {
      history.transientErrors++;
      if (retryWarned) return;
      retryWarned = true;
      const kind = info.error instanceof CatalogError && info.error.status === 429 ? 'rate_limited' : 'retry';
      seen.warn(kind, `Retrying after ${formatDuration(info.delayMs)}: ${info.error.message}`, info.error);
    },
  };
  const delayOptions: PollDelayOptions = {
    minIntervalMs: s.minIntervalMs,
    maxIntervalMs: s.maxIntervalMs,
    random: clock.random,
  };
  while (true) {
    if (signal?.aborted) return abort();
    retryWarned = false;
    try {
      const next = await client.getCrawl(executionId, pollOptions);
      lastSuccessAt = now();
      seen.observe(next, lastSuccessAt);
      lastFailure = undefined;
    } catch (error) {
      if (error instanceof AbortedError || signal?.aborted) return abort();
      if (!(error instanceof CatalogError)) throw error;
      const t = now();
      if (error.code === NOT_SENT) {
        // The deadline came while the request waited its turn (the client's rate limiter): the API was
        // never asked, so this says nothing about contact. The loop ends below, timed out.
      } else if (error instanceof NotFoundError && t - startedAt < s.notFoundGraceMs) {
        seen.warn('poll_failed', `Crawl ${executionId} is not visible yet (404); retrying`, error);
      } else if (error.retryable) {
        history.transientErrors++;
        seen.warn('poll_failed', `Poll failed: ${error.message}`, error);
        lastFailure = error;
        if (t - lastSuccessAt >= s.lostContactMs) throw lostContact(t, error);
      } else {
        // Auth, not found after the grace, invalid input and other permanent answers stop the wait.
        throw error;
      }
    }

    const crawl = seen.crawl;
    if (crawl && isTerminalStatus(crawl.status)) return finish(crawlOutcome(crawl)!);
    const t = now();
    if (s.heartbeatMs !== undefined && t - lastEmitAt >= s.heartbeatMs)
      emit({ ...base(), type: 'heartbeat' });
    // An unknown status is never waited out in silence: it falls under stall detection even when it is off.
    const stallMs =
      s.stallTimeoutMs ?? (crawl && !isKnownStatus(crawl.status) ? UNKNOWN_STATUS_STALL_MS : undefined);
    if (stallMs !== undefined && crawl && t - seen.lastChangeAt >= stallMs) return finish('stalled');
    if (final || t >= finalAt) {
      // A wait that never reached the API did not time out: reporting it as a timeout would hide the cause.
      if (!crawl && lastFailure) throw lostContact(t, lastFailure);
      return finish('timed_out');
    }
    delayOptions.lastStepRunningMs = seen.lastStepSeenAt === undefined ? undefined : t - seen.lastStepSeenAt;
    delayOptions.earlierStepsMs = seen.earlierStepsMs;
    let delay = nextPollDelayMs(crawl, delayOptions);
    if (t + delay >= finalAt) {
      // The next regular poll would land in the final window: make it the final poll, at the deadline.
      delay = finalAt - t;
      final = true;
    }
    try {
      await clock.sleep(delay, signal);
    } catch (error) {
      if (signal?.aborted) return abort();
      throw error;
    }
  }
}
