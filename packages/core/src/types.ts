import type { Clock } from './clock.js';
import type { CatalogError } from './errors.js';

/** Statuses documented for GET /v2/crawl/{id}; any other string is kept as-is and treated as not terminal. */
export type CrawlStatus = 'pending' | 'running' | 'completed' | 'failed' | (string & {});

/** Step statuses seen in the docs, plus `failed` (undocumented but expected); unknown strings are kept. */
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | (string & {});

/** The four documented steps, in order. Unknown step names are kept too. */
export const CRAWL_STEPS = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
] as const;

export interface CrawlStep {
  name: string;
  status: StepStatus;
}

export interface CrawlProgress {
  collectionsFound: number;
  listingsFound: number;
}

export interface CrawlTotals {
  collectionsTotal: number;
  listingsTotal: number;
}

/** A parsed GET /v2/crawl/{id} response. */
export interface Crawl {
  executionId: string;
  status: CrawlStatus;
  /** The API's error message when failed, else null. */
  error: string | null;
  vendor?: string;
  /** ISO timestamps as the API sent them. */
  startDate?: string;
  stopDate?: string | null;
  durationMs?: number;
  progress?: CrawlProgress;
  /** Empty when the API sent none. */
  steps: CrawlStep[];
  result?: CrawlTotals;
  /** From the `Request-ID` header, when present. */
  requestId?: string;
  /** The JSON body exactly as received. */
  raw: unknown;
}

/** A parsed POST /v2/crawl response. */
export interface StartedCrawl {
  executionId: string;
  status: CrawlStatus;
  creditsUsed?: number;
  requestId?: string;
  raw: unknown;
}

/**
 * The answer to DELETE /v2/crawl/{id}. The API cancels only a *running* crawl and refuses any other with an
 * error whose status and wording are undocumented; the client never reads that wording: after a refusal it
 * reads the crawl. `not_running_yet`: the crawl is still pending (it will start later and run unless
 * cancelled once it runs: see cancelWhenRunning). `already_finished`: it had completed, failed or been
 * cancelled. A refusal of a running crawl is thrown as the typed error it was.
 */
export interface CancelResult {
  executionId: string;
  outcome: 'canceled' | 'already_finished' | 'not_running_yet';
  stopDate: string | null;
  /** After a refusal: the crawl's status as read right after it. */
  status?: CrawlStatus;
  /** After a refusal: the API's message (untrusted text; never used to decide anything). */
  message?: string;
  /** The DELETE's request id (of the refusal, for `already_finished` and `not_running_yet`). */
  requestId?: string;
  raw: unknown;
}

/** How cancelWhenRunning ended. */
export interface CancelWhenRunningResult {
  executionId: string;
  /** `still_pending`: the crawl had not started when the time ran out, so it was not cancelled. */
  outcome: 'canceled' | 'already_finished' | 'still_pending';
  /**
   * The same outcome as a CancelResult (the DELETE's answer when one decided it): `still_pending` reads
   * `not_running_yet`.
   */
  cancel: CancelResult;
  /** The last snapshot read. */
  crawl?: Crawl;
  /** GETs made while waiting for the start. */
  polls: number;
  elapsedMs: number;
}

export interface CancelWhenRunningOptions {
  signal?: AbortSignal;
  /** How long to keep trying while the crawl is pending, request time included. Required. */
  timeoutMs: number;
  /** The waiter's cadence. Defaults 10_000 / 30_000. */
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Default: the client's clock. */
  clock?: Partial<Clock>;
}

/** The list endpoint's filter values (note `processing`, not `running`). */
export type ListStatusFilter = 'processing' | 'completed' | 'failed';

export interface CrawlListItem {
  executionId: string;
  status: CrawlStatus;
  createdAt?: string;
}

export interface Pagination {
  page: number;
  pageSize: number;
  totalItems: number;
  totalPages: number;
  hasNext: boolean;
  hasPrev: boolean;
}

export interface CrawlList {
  items: CrawlListItem[];
  pagination: Pagination;
  requestId?: string;
  raw: unknown;
}

export interface ListCrawlsParams {
  status?: ListStatusFilter;
  page?: number;
  pageSize?: number;
}

/** Information passed to `onRetry` before each retry of a transient failure. */
export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  /** The typed error that is being retried. */
  error: Error;
  /** How long the client will wait before the next attempt. */
  delayMs: number;
}

/** Per-call options accepted by every client method. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout for this call. */
  timeoutMs?: number;
  /** Epoch ms after which no attempt (or retry) starts and every attempt's timeout is cut to the time left. */
  deadline?: number;
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryPolicy {
  /** Retries after the first attempt. Default 4. */
  retries?: number;
  /** First backoff delay. Default 500. */
  minDelayMs?: number;
  /** Cap of the exponential backoff. Default 10_000. */
  maxDelayMs?: number;
  /** Cap applied to server-requested delays (Retry-After, RateLimit-Reset). Default 60_000. */
  maxServerDelayMs?: number;
}

export interface RateLimitPolicy {
  /** Requests allowed per window. Default 50. */
  requests?: number;
  /** Sliding window length. Default 4_000. */
  windowMs?: number;
  /**
   * Requests sent and not yet answered, at most. Default `min(requests, 64)`: with the API's 50 per 4 s that
   * is no extra limit; a client allowed thousands per window then sends a window's worth as a stream instead
   * of all at once, holding that many sockets and responses in memory together.
   */
  maxInFlight?: number;
}

export interface CatalogClientOptions {
  apiKey: string;
  /** Default `https://api.getcatalog.ai`. */
  baseUrl?: string;
  /** Default the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout. Default 30_000. */
  timeoutMs?: number;
  /** `false` disables retries. */
  retry?: RetryPolicy | false;
  /** Client-side limiter shared by every call of this client. `false` disables it. */
  rateLimit?: RateLimitPolicy | false;
  /** Default `catalog-crawl/<version>`. */
  userAgent?: string;
  /**
   * Time and chance for retries, request timeouts and the rate limiter; also the default clock of the waits
   * run through this client. Parts left out come from the system clock.
   */
  clock?: Partial<Clock>;
}

export type WaitOutcome = 'completed' | 'failed' | 'canceled' | 'timed_out' | 'stalled';

export interface StepHistory {
  name: string;
  /** Last status seen. */
  status: StepStatus;
  /** Epoch ms (waiter clock) when the step was first seen running (or later, if it was never seen running). */
  startedAt?: number;
  /** Epoch ms when the step was first seen completed or failed. */
  finishedAt?: number;
}

/** What the waiter observed: enough to draw a summary or a timeline. Times are epoch ms on the waiter clock. */
export interface WaitHistory {
  startedAt: number;
  steps: StepHistory[];
  /** Successful polls. */
  polls: number;
  /** Transient failures seen (retried inside the client or tolerated by the loop). */
  transientErrors: number;
}

export interface WaitResult {
  outcome: WaitOutcome;
  executionId: string;
  /** The last snapshot; undefined only when no poll ever succeeded. */
  crawl: Crawl | undefined;
  history: WaitHistory;
  elapsedMs: number;
  /**
   * Set when the waiter tried to cancel (cancelOnTimeout, cancelOnStall): the DELETE's answer, or
   * `not_running_yet` when the crawl was still pending at the end of the cancel budget.
   */
  cancel?: CancelResult;
  /** Set when that cancel failed (the crawl may still be running). */
  cancelError?: CatalogError;
}

interface EventBase {
  executionId: string;
  /** Since the wait started. */
  elapsedMs: number;
  /** Until the deadline. */
  remainingMs: number;
  /** Last snapshot, if any. */
  crawl: Crawl | undefined;
}

export type WaitEvent =
  | (EventBase & { type: 'status'; previous: CrawlStatus | undefined; status: CrawlStatus })
  | (EventBase & { type: 'step_started'; step: string; index: number })
  | (EventBase & { type: 'step_finished'; step: string; index: number; status: StepStatus })
  | (EventBase & { type: 'progress'; progress: CrawlProgress; previous: CrawlProgress | undefined })
  | (EventBase & {
      type: 'warning';
      kind: 'retry' | 'poll_failed' | 'unknown_status' | 'unknown_step_status' | 'rate_limited';
      message: string;
      error?: Error;
    })
  | (EventBase & { type: 'heartbeat' });

export type WaitEventType = WaitEvent['type'];

export interface WaitOptions {
  signal?: AbortSignal;
  /** One wall-clock deadline for the whole wait, request time included. Default 3_600_000 (60 min). */
  timeoutMs?: number;
  /** Default 10_000; at least 1_000. */
  minIntervalMs?: number;
  /** Default 30_000; at least minIntervalMs. */
  maxIntervalMs?: number;
  /** Outcome `stalled` when status, steps and counts have not changed for this long. Off by default. */
  stallTimeoutMs?: number;
  /** Throw LostContactError when no poll has succeeded for this long. Default 300_000. */
  lostContactMs?: number;
  /** Treat 404 as "not yet visible" for this long after the wait starts (use it right after startCrawl). Default 0. */
  notFoundGraceMs?: number;
  /** Cancel the crawl when the signal aborts (cancel-when-running, within cancelWaitMs). Default false. */
  cancelOnAbort?: boolean;
  /** Cancel the crawl when the deadline passes (within cancelWaitMs). Default false. */
  cancelOnTimeout?: boolean;
  /** Cancel the crawl when the wait ends as stalled (within cancelWaitMs). Default false. */
  cancelOnStall?: boolean;
  /**
   * How long those cancels may take: a pending crawl cannot be cancelled, so they poll at the waiter's
   * cadence until it starts, then DELETE. Default 5_000 (one attempt, and one more poll if the API answers fast).
   */
  cancelWaitMs?: number;
  /** Emit a `heartbeat` event when nothing has been emitted for this long. Off by default. */
  heartbeatMs?: number;
  /** Called for every event (waitForCrawl); watchCrawl yields them instead. */
  onEvent?: (event: WaitEvent) => void;
  /** Time and chance of the loop. Default: the client's clock. */
  clock?: Partial<Clock>;
}

/** What watchCrawl yields: every WaitEvent, then one final `result`. */
export type WatchItem = WaitEvent | { type: 'result'; result: WaitResult };
