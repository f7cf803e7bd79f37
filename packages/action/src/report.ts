import {
  AbortedError,
  type CancelResult,
  CatalogError,
  type Crawl,
  formatDuration,
  type WaitHistory,
  type WaitOutcome,
  type WaitResult,
} from '@catalog-crawl/core';
import { hintFor } from './hints.js';

import type { CrawlResultsReport } from './results.js';

/** Every value of the `outcome` output. `started` is only used with `wait: false`. */
export type ActionOutcome = WaitOutcome | 'error' | 'started';

export interface ReportError {
  message: string;
  code?: string;
  status?: number;
  requestId?: string;
  /** The name of the error class (AuthError, InvalidInputError...). */
  name?: string;
}

/** What happened to the DELETE, when one was needed. */
export interface ReportCancel {
  /**
   * `failed` when the DELETE itself failed; `skipped` when cancel-on-abort / cancel-on-timeout is false;
   * `not_running_yet` when the crawl was still pending (the API cancels only running crawls).
   */
  outcome: 'canceled' | 'already_finished' | 'not_running_yet' | 'failed' | 'skipped';
  message?: string;
  requestId?: string;
}

/** Everything the log, the outputs, the summary and the PR comment are built from. */
export interface ActionReport {
  outcome: ActionOutcome;
  executionId?: string;
  /** The vendor as the API reports it (`meta.vendor`); never guessed from the `url` input. */
  vendor?: string;
  /** The `url` input line this crawl was started from. */
  url?: string;
  /** How this crawl is named in the log and the summary when the step waits for several. */
  label?: string;
  /** Retries of the POST that started the crawl (transient errors, rate limits). */
  startRetries?: number;
  /** What was saved of the crawl's results (the `results` input). */
  results?: CrawlResultsReport;
  /** Last snapshot. */
  crawl?: Crawl;
  /** API status when no snapshot exists (e.g. `pending` right after the POST). */
  status?: string;
  history?: WaitHistory;
  /** Time spent by this step, in ms. */
  elapsedMs: number;
  /** The `timeout` input, when waiting. */
  timeoutMs?: number;
  stallTimeoutMs?: number;
  error?: ReportError;
  cancel?: ReportCancel;
  /** Set when the step was interrupted by the runner. */
  signal?: string;
  /** Transient errors that were retried. */
  retries?: number;
  /** The `cancel-wait` input: how long the post step keeps trying to cancel a crawl still pending. */
  cancelWaitMs?: number;
}

/** The hostname of a `url` input (`https://www.skims.com/x` -> `www.skims.com`): a log label, not the vendor. */
export function vendorFromUrl(url: string): string | undefined {
  try {
    const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
    return parsed.hostname || undefined;
  } catch {
    return undefined;
  }
}

/** A safe, serialisable view of any error (CatalogError carries status, code and request id). */
export function toReportError(error: unknown): ReportError {
  if (error instanceof CatalogError) {
    const hint = hintFor(error);
    const message = hint ? `${error.message.replace(/\.?$/, '.')} ${hint}` : error.message;
    const out: ReportError = { message, code: error.code, name: error.name };
    if (error.status !== undefined) out.status = error.status;
    if (error.requestId !== undefined) out.requestId = error.requestId;
    return out;
  }
  if (error instanceof Error) return { message: error.message, name: error.name };
  return { message: String(error) };
}

/** Builds the report of a wait that returned an outcome. */
export function reportFromResult(
  result: WaitResult,
  base: Pick<ActionReport, 'vendor' | 'timeoutMs' | 'stallTimeoutMs' | 'retries'>,
): ActionReport {
  const report: ActionReport = {
    ...base,
    outcome: result.outcome,
    executionId: result.executionId,
    history: result.history,
    elapsedMs: result.elapsedMs,
  };
  if (result.crawl) {
    report.crawl = result.crawl;
    if (result.crawl.vendor) report.vendor = result.crawl.vendor;
  }
  const cancel = reportCancel(result);
  if (cancel) report.cancel = cancel;
  return report;
}

/** What became of the DELETE the waiter sent (cancelOnTimeout, cancelOnAbort), if it sent one. */
function reportCancel(from: {
  cancel?: CancelResult | undefined;
  cancelError?: CatalogError | undefined;
}): ReportCancel | undefined {
  const { cancel, cancelError } = from;
  if (cancel) {
    const out: ReportCancel = { outcome: cancel.outcome };
    if (cancel.message) out.message = cancel.message;
    if (cancel.requestId) out.requestId = cancel.requestId;
    return out;
  }
  if (cancelError) {
    const out: ReportCancel = { outcome: 'failed', message: cancelError.message };
    if (cancelError.requestId) out.requestId = cancelError.requestId;
    return out;
  }
  return undefined;
}

/** Builds the report of a wait interrupted by the runner's signal (AbortedError from the waiter). */
export function reportFromAbort(
  error: AbortedError,
  base: Pick<
    ActionReport,
    'vendor' | 'timeoutMs' | 'stallTimeoutMs' | 'retries' | 'executionId' | 'elapsedMs'
  > & {
    signal?: string;
    cancelOnAbort: boolean;
  },
): ActionReport {
  const { cancelOnAbort, ...rest } = base;
  const report: ActionReport = { ...rest, outcome: 'canceled' };
  if (error.executionId) report.executionId = error.executionId;
  if (error.elapsedMs !== undefined) report.elapsedMs = error.elapsedMs;
  if (error.history) report.history = error.history;
  if (error.crawl) {
    report.crawl = error.crawl;
    if (error.crawl.vendor) report.vendor = error.crawl.vendor;
  }
  const cancel = reportCancel(error);
  if (cancel) {
    report.cancel = cancel;
  } else if (!cancelOnAbort) {
    report.cancel = { outcome: 'skipped' };
  }
  return report;
}

export function isAbortedError(error: unknown): error is AbortedError {
  return error instanceof AbortedError;
}

/** What to say of a crawl that could not be cancelled because it had not started by the end of the budget. */
export function stillPending(executionId: string | undefined): string {
  return `still pending: the API cancels only running crawls; cancel it with \`catalog-crawl cancel ${executionId ?? '<id>'} --when-running\``;
}

/** A one-line description of the outcome, used in the log, the `error` output and the summary. */
export function outcomeMessage(report: ActionReport): string {
  const crawl = report.crawl;
  switch (report.outcome) {
    case 'completed':
      return '';
    case 'started':
      return '';
    case 'failed':
      return crawl?.error ?? 'The crawl failed (the API gave no error message).';
    case 'canceled': {
      if (report.signal) {
        const what =
          report.cancel?.outcome === 'canceled'
            ? 'the crawl was cancelled'
            : report.cancel?.outcome === 'already_finished'
              ? 'the crawl had already finished'
              : report.cancel?.outcome === 'not_running_yet'
                ? `the crawl had not started yet and could not be cancelled (the API cancels only running crawls); the post step keeps trying for ${formatDuration(report.cancelWaitMs ?? 120_000)}`
                : report.cancel?.outcome === 'failed'
                  ? `cancelling the crawl failed (${report.cancel.message ?? 'no answer'}); the post step retries`
                  : report.cancel?.outcome === 'skipped'
                    ? 'the crawl was left running (cancel-on-abort is false)'
                    : 'the crawl was not cancelled in time; the post step retries';
        return `The step was interrupted (${report.signal}); ${what}.`;
      }
      return crawl?.error ?? 'The crawl was cancelled.';
    }
    case 'timed_out': {
      const left =
        report.cancel?.outcome === 'canceled'
          ? ' The crawl was cancelled (cancel-on-timeout).'
          : report.cancel?.outcome === 'already_finished'
            ? ' The crawl had finished meanwhile.'
            : report.cancel?.outcome === 'not_running_yet'
              ? ` The crawl is ${stillPending(report.executionId)}.`
              : report.cancel?.outcome === 'failed'
                ? ` Cancelling the crawl failed: ${report.cancel.message ?? 'no answer'}.`
                : ' The crawl keeps running; wait for it again with execution-id.';
      return `Timed out after ${formatDuration(report.timeoutMs ?? report.elapsedMs)} while the crawl was ${crawl?.status ?? 'not yet seen'}.${left}`;
    }
    case 'stalled': {
      const left =
        report.cancel?.outcome === 'canceled'
          ? ' The crawl was cancelled (cancel-on-stall).'
          : report.cancel?.outcome === 'already_finished'
            ? ' The crawl had finished meanwhile.'
            : report.cancel?.outcome === 'not_running_yet'
              ? ` The crawl is ${stillPending(report.executionId)}.`
              : report.cancel?.outcome === 'failed'
                ? ` Cancelling the crawl failed: ${report.cancel.message ?? 'no answer'}.`
                : '';
      return `No progress for ${formatDuration(report.stallTimeoutMs ?? 0)} (status, steps and counts unchanged); the wait stopped.${left}`;
    }
    case 'error': {
      const error = report.error;
      if (!error) return 'Unknown error.';
      const extra = [
        error.status !== undefined ? `HTTP ${error.status}` : undefined,
        error.requestId ? `request id ${error.requestId}` : undefined,
      ].filter(Boolean);
      const alreadyHasRequestId = error.requestId !== undefined && error.message.includes(error.requestId);
      if (extra.length === 0 || alreadyHasRequestId) return error.message;
      return `${error.message} (${extra.join(', ')})`;
    }
  }
}
