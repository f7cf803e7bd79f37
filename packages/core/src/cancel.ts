// Cancelling a crawl as soon as the API allows it: only a running crawl can be cancelled.

import { type CatalogClient, clientClock, isRefusal } from './client.js';
import { type Clock, toClock } from './clock.js';
import { isTerminalStatus, validateExecutionId } from './crawl.js';
import { AbortedError, CatalogError, InvalidInputError } from './errors.js';
import { nextPollDelayMs } from './schedule.js';
import type {
  CancelResult,
  CancelWhenRunningOptions,
  CancelWhenRunningResult,
  Crawl,
  CrawlStatus,
} from './types.js';
import { validateWaitOptions } from './wait-options.js';

/** The last look before the deadline starts at most this long before it, so that a DELETE still fits. */
const FINAL_RESERVE_MS = 5_000;

/**
 * Cancels a crawl as soon as it can be cancelled. A DELETE goes out at once; if the crawl is still pending
 * (the API refuses to cancel it), the crawl is polled at the waiter's cadence until it leaves pending or
 * `timeoutMs` runs out (one last poll lands just before the end), and the DELETE is sent as soon as it runs.
 * Resolves `canceled`, `already_finished` (it completed, failed or was cancelled meanwhile) or `still_pending`
 * (it had not started by the end: nothing was cancelled, and it will run unless cancelled later). `cancel` is
 * the DELETE's answer, or a CancelResult saying the same thing. Transient poll failures are tolerated until
 * the end; the DELETE's own errors, a permanent failure and the caller's abort (AbortedError) are thrown.
 */
export async function cancelWhenRunning(
  client: CatalogClient,
  executionId: string,
  options: CancelWhenRunningOptions,
): Promise<CancelWhenRunningResult> {
  const id = validateExecutionId(executionId);
  const { timeoutMs, signal } = options;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidInputError(
      'timeoutMs',
      'timeoutMs must be a positive number of milliseconds',
      'must be a positive duration',
    );
  }
  const { minIntervalMs, maxIntervalMs } = validateWaitOptions({
    minIntervalMs: options.minIntervalMs,
    maxIntervalMs: options.maxIntervalMs,
  });
  const clock: Clock = options.clock ? toClock(options.clock) : clientClock(client);
  const startedAt = clock.now();
  const deadline = startedAt + timeoutMs;
  const finalAt = deadline - Math.min(FINAL_RESERVE_MS, timeoutMs / 2);
  let crawl: Crawl | undefined;
  let polls = 0;
  const end = (
    outcome: CancelWhenRunningResult['outcome'],
    cancel: CancelResult,
  ): CancelWhenRunningResult => {
    const result: CancelWhenRunningResult = {
      executionId: id,
      outcome,
      cancel,
      polls,
      elapsedMs: clock.now() - startedAt,
    };
    if (crawl) result.crawl = crawl;
    return result;
  };
  const said = (outcome: CancelResult['outcome'], status: CrawlStatus): CancelResult => ({
    executionId: id,
    outcome,
    stopDate: crawl?.stopDate ?? null,
    status,
    raw: crawl?.raw,
  });
  const aborted = () =>
    new AbortedError(`Cancelling crawl ${id} was aborted by the caller`, { executionId: id });

  let refusedWhileRunning = false;
  while (true) {
    if (signal?.aborted) throw aborted();
    let cancel: CancelResult;
    try {
      cancel = await client.cancelCrawl(id, { signal, deadline });
    } catch (error) {
      // The crawl can start between a refused DELETE and the read-back that explains it: the refusal then
      // comes back as an error although a new DELETE would now be accepted. Send it once more; a second
      // refusal of a running crawl is a real error.
      if (!isRefusal(error) || refusedWhileRunning) throw error;
      refusedWhileRunning = true;
      continue;
    }
    if (cancel.outcome === 'canceled') return end('canceled', cancel);
    if (cancel.outcome === 'already_finished') return end('already_finished', cancel);
    // Pending: the API cancels only running crawls. Poll until it starts (or finishes), then DELETE again.
    let status: CrawlStatus = 'pending';
    let final = false;
    while (status === 'pending') {
      const t = clock.now();
      if (final || t >= finalAt)
        return end('still_pending', { ...cancel, ...said('not_running_yet', status) });
      let delay = nextPollDelayMs(crawl, { minIntervalMs, maxIntervalMs, random: clock.random });
      if (t + delay >= finalAt) {
        delay = finalAt - t;
        final = true;
      }
      try {
        await clock.sleep(delay, signal);
      } catch (error) {
        if (signal?.aborted) throw aborted();
        throw error;
      }
      try {
        crawl = await client.getCrawl(id, { signal, deadline });
        polls++;
        status = crawl.status;
      } catch (error) {
        if (error instanceof AbortedError || signal?.aborted) throw aborted();
        // A poll that failed says nothing: keep the last status and try again at the next poll.
        if (!(error instanceof CatalogError) || !error.retryable) throw error;
      }
    }
    if (isTerminalStatus(status)) return end('already_finished', said('already_finished', status));
  }
}
