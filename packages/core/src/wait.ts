import { type CatalogClient, NOT_SENT } from './client.js';
import { currentStep, isTerminalStatus, validateExecutionId } from './crawl.js';
import { formatDuration } from './duration.js';
import { AbortedError, CatalogError, InvalidInputError, LostContactError, NotFoundError } from './errors.js';
import { defaultSleep, linkedController } from './internal.js';
import {
  type CancelResult,
  CRAWL_STEPS,
  type Crawl,
  type CrawlProgress,
  type WaitEvent,
  type WaitHistory,
  type WaitOptions,
  type WaitOutcome,
  type WaitResult,
  type WatchItem,
} from './types.js';

export const WAIT_DEFAULTS = {
  timeoutMs: 3_600_000,
  minIntervalMs: 10_000,
  maxIntervalMs: 30_000,
  lostContactMs: 300_000,
  notFoundGraceMs: 0,
} as const;

/** Floor for minIntervalMs: the API asks for 10-30 s; 1 s is the fastest we allow anyone to poll. */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** Timeout of the DELETE sent by cancelOnAbort / cancelOnTimeout. */
export const CANCEL_TIMEOUT_MS = 5_000;
/** Progress samples kept in the history; older ones are thinned when it overflows. */
export const MAX_PROGRESS_SAMPLES = 200;

const KNOWN_STATUSES = new Set(['pending', 'running', 'completed', 'failed']);
const KNOWN_STEP_STATUSES = new Set(['pending', 'running', 'completed', 'failed']);

/**
 * Where the crawl is, from 0 (nothing running yet, or an early step) to 1 (the last step runs, so it can
 * finish any moment). A crawl cannot complete before its last step runs, so early phases can be polled slowly.
 */
function phase(crawl: Crawl | undefined): number {
  if (!crawl || crawl.status === 'pending') return 0;
  if (isTerminalStatus(crawl.status)) return 1;
  const steps = crawl.steps;
  if (steps.length === 0) return 0.5;
  const current = currentStep(crawl);
  if (!current) return steps.every((s) => s.status === 'completed') ? 1 : 0.5;
  const known = (CRAWL_STEPS as readonly string[]).indexOf(current.step.name);
  if (known >= 0) return known === CRAWL_STEPS.length - 1 ? 1 : known / (CRAWL_STEPS.length - 1) / 2;
  return steps.length === 1 ? 1 : current.index / (steps.length - 1);
}

function target(crawl: Crawl | undefined, min: number, max: number): number {
  return max - phase(crawl) * (max - min);
}

/**
 * A last step rarely takes less than this share of the time the earlier steps took, so until then it is
 * polled at the slow end like the early steps, and at the fast end afterwards.
 */
export const LAST_STEP_SLOW_SHARE = 0.25;

export interface PollDelayOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  random: () => number;
  /** How long the last step has been seen running. */
  lastStepRunningMs?: number;
  /** How long the crawl ran before its last step started. */
  earlierStepsMs?: number;
}

/**
 * The delay before the next poll given the last snapshot, within [min, max]. Early phases are polled near
 * the slow end with a jitter of a quarter of the band, so many waiters spread out instead of polling in
 * lock-step. Once the last step may finish (see LAST_STEP_SLOW_SHARE) the delay is the fast end plus at most
 * 2.5 % of the band: any more would make the detection lag longer than a fixed poll at the fast end.
 */
export function nextPollDelayMs(crawl: Crawl | undefined, options: PollDelayOptions): number {
  const { minIntervalMs: min, maxIntervalMs: max } = options;
  const r = Math.min(1, Math.max(0, options.random()));
  const band = max - min;
  if (phase(crawl) === 1 && !(crawl && isTerminalStatus(crawl.status))) {
    const { lastStepRunningMs: running, earlierStepsMs: earlier } = options;
    const slowFor =
      running !== undefined && earlier !== undefined ? earlier * LAST_STEP_SLOW_SHARE - running : 0;
    if (slowFor <= 0) return Math.round(min + r * (band / 40));
    // Slow, but poll again right when the last step may start to finish.
    return Math.round(Math.max(min, Math.min(max - r * (band / 4), slowFor)));
  }
  const center = target(crawl, min, max);
  const spread = band / 4;
  const lo = Math.max(min, center - spread);
  const hi = Math.min(max, center + spread);
  return Math.round(lo + r * (hi - lo));
}

/** What to tell an agent or user: how long to wait before checking again (whole seconds; 0 once terminal). */
export function suggestPollIntervalMs(crawl: Crawl | undefined): number {
  if (crawl && isTerminalStatus(crawl.status)) return 0;
  const ms = target(crawl, WAIT_DEFAULTS.minIntervalMs, WAIT_DEFAULTS.maxIntervalMs);
  return Math.round(ms / 1_000) * 1_000;
}

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

interface Settings {
  timeoutMs: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  stallTimeoutMs: number | undefined;
  lostContactMs: number;
  notFoundGraceMs: number;
  heartbeatMs: number | undefined;
}

function settings(options: WaitOptions): Settings {
  const num = (field: keyof WaitOptions, value: unknown, min: number, fallback: number | undefined) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new InvalidInputError(field, `${field} must be a number of milliseconds >= ${min}`);
    }
    return value;
  };
  const minIntervalMs = num(
    'minIntervalMs',
    options.minIntervalMs,
    MIN_POLL_INTERVAL_MS,
    WAIT_DEFAULTS.minIntervalMs,
  )!;
  const maxDefault = Math.max(WAIT_DEFAULTS.maxIntervalMs, minIntervalMs);
  return {
    timeoutMs: num('timeoutMs', options.timeoutMs, 1, WAIT_DEFAULTS.timeoutMs)!,
    minIntervalMs,
    maxIntervalMs: num('maxIntervalMs', options.maxIntervalMs, minIntervalMs, maxDefault)!,
    stallTimeoutMs: num('stallTimeoutMs', options.stallTimeoutMs, 1, undefined),
    lostContactMs: num('lostContactMs', options.lostContactMs, 1, WAIT_DEFAULTS.lostContactMs)!,
    notFoundGraceMs: num('notFoundGraceMs', options.notFoundGraceMs, 0, WAIT_DEFAULTS.notFoundGraceMs)!,
    heartbeatMs: num('heartbeatMs', options.heartbeatMs, 1, undefined),
  };
}

function outcomeOf(crawl: Crawl): WaitOutcome {
  if (crawl.status === 'completed') return 'completed';
  return crawl.error && /cancel|abort/i.test(crawl.error) ? 'canceled' : 'failed';
}

function sameProgress(a: CrawlProgress | undefined, b: CrawlProgress | undefined): boolean {
  return a?.collectionsFound === b?.collectionsFound && a?.listingsFound === b?.listingsFound;
}

/** Keeps the first and last samples and every other one in between, once the list is too long. */
function thin<T>(samples: T[]): void {
  if (samples.length <= MAX_PROGRESS_SAMPLES) return;
  const last = samples[samples.length - 1]!;
  const kept = samples.filter((_, i) => i % 2 === 0);
  if (kept[kept.length - 1] !== last) kept.push(last);
  samples.splice(0, samples.length, ...kept);
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
  const s = settings(options);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const signal = options.signal;

  const startedAt = now();
  const deadline = startedAt + s.timeoutMs;
  // The final poll starts this long before the deadline, so that it is answered by the deadline.
  const finalReserve = Math.min(CANCEL_TIMEOUT_MS, s.minIntervalMs / 2);
  const finalAt = deadline - finalReserve;
  const history: WaitHistory = {
    startedAt,
    steps: [],
    progress: [],
    statuses: [],
    polls: 0,
    transientErrors: 0,
  };
  let crawl: Crawl | undefined;
  let lastSuccessAt = startedAt;
  let lastChangeAt = startedAt;
  let lastEmitAt = startedAt;
  let lastStepSeenAt: number | undefined;
  let earlierStepsMs: number | undefined;
  const warnedStatus = new Set<string>();
  const warnedStepStatus = new Set<string>();

  const emit = (event: WaitEvent) => {
    lastEmitAt = now();
    onEvent?.(event);
  };
  const base = () => {
    const t = now();
    return { executionId, elapsedMs: t - startedAt, remainingMs: Math.max(0, deadline - t), crawl };
  };
  const warn = (kind: Extract<WaitEvent, { type: 'warning' }>['kind'], message: string, error?: Error) => {
    const event: WaitEvent = { ...base(), type: 'warning', kind, message };
    if (error) event.error = error;
    emit(event);
  };

  const abort = async (): Promise<never> => {
    let cancel: CancelResult | undefined;
    let cancelError: CatalogError | undefined;
    if (options.cancelOnAbort && callerSignal?.aborted) {
      // The caller's signal is already aborted: the DELETE gets its own short timeout instead.
      try {
        cancel = await client.cancelCrawl(executionId, {
          timeoutMs: CANCEL_TIMEOUT_MS,
          deadline: now() + CANCEL_TIMEOUT_MS,
        });
      } catch (error) {
        cancelError = error instanceof CatalogError ? error : undefined;
      }
    }
    const elapsedMs = now() - startedAt;
    const sent = cancel
      ? ` (cancel requested: ${cancel.outcome})`
      : cancelError
        ? ' (the cancel request failed)'
        : '';
    throw new AbortedError(
      `Waiting for crawl ${executionId} was aborted after ${formatDuration(elapsedMs)}${sent}`,
      {
        executionId,
        crawl,
        history,
        elapsedMs,
        cancel,
        cancelError,
      },
    );
  };

  const finish = async (outcome: WaitOutcome): Promise<WaitResult> => {
    const result: WaitResult = { outcome, executionId, crawl, history, elapsedMs: now() - startedAt };
    if (outcome === 'timed_out' && options.cancelOnTimeout) {
      try {
        result.cancel = await client.cancelCrawl(executionId, {
          signal,
          timeoutMs: CANCEL_TIMEOUT_MS,
          deadline: now() + CANCEL_TIMEOUT_MS,
        });
      } catch (error) {
        if (error instanceof AbortedError) return abort();
        if (error instanceof CatalogError) {
          result.cancelError = error;
          warn(
            'poll_failed',
            `Could not cancel crawl ${executionId} at the deadline: ${error.message}`,
            error,
          );
        } else throw error;
      }
    }
    return result;
  };

  /** Records a successful poll; emits what changed. */
  const observe = (next: Crawl) => {
    const t = now();
    const previous = crawl;
    crawl = next;
    history.polls++;
    lastSuccessAt = t;
    if (lastStepSeenAt === undefined && phase(next) === 1 && !isTerminalStatus(next.status)) {
      lastStepSeenAt = t;
      // Only a wait that saw an earlier step knows roughly when the last one started.
      if (previous && phase(previous) < 1) earlierStepsMs = next.durationMs ?? t - startedAt;
    }
    let changed = false;
    if (previous?.status !== next.status) {
      changed = true;
      history.statuses.push({ at: t, status: next.status });
      emit({ ...base(), type: 'status', previous: previous?.status, status: next.status });
      if (!KNOWN_STATUSES.has(next.status) && !warnedStatus.has(next.status)) {
        warnedStatus.add(next.status);
        warn(
          'unknown_status',
          `Crawl ${executionId} reports an unknown status ${JSON.stringify(next.status)}; treating it as not finished`,
        );
      }
    }
    next.steps.forEach((step, index) => {
      let seen = history.steps.find((h) => h.name === step.name);
      if (!seen) {
        seen = { name: step.name, status: step.status };
        history.steps.push(seen);
        changed = true;
      } else if (seen.status !== step.status) {
        changed = true;
      }
      seen.status = step.status;
      const done = step.status === 'completed' || step.status === 'failed';
      if ((step.status === 'running' || done) && seen.startedAt === undefined) {
        seen.startedAt = t;
        emit({ ...base(), type: 'step_started', step: step.name, index });
      }
      if (done && seen.finishedAt === undefined) {
        seen.finishedAt = t;
        emit({ ...base(), type: 'step_finished', step: step.name, index, status: step.status });
      }
      if (!KNOWN_STEP_STATUSES.has(step.status) && !warnedStepStatus.has(step.status)) {
        warnedStepStatus.add(step.status);
        warn(
          'unknown_step_status',
          `Step ${JSON.stringify(step.name)} reports an unknown status ${JSON.stringify(step.status)}`,
        );
      }
    });
    const lastProgress = history.progress[history.progress.length - 1];
    if (next.progress && !sameProgress(next.progress, lastProgress)) {
      changed = true;
      const before = lastProgress
        ? { collectionsFound: lastProgress.collectionsFound, listingsFound: lastProgress.listingsFound }
        : undefined;
      history.progress.push({ at: t, ...next.progress });
      thin(history.progress);
      emit({ ...base(), type: 'progress', progress: { ...next.progress }, previous: before });
    }
    if (changed) lastChangeAt = t;
  };

  const lostContact = (t: number, error: CatalogError) =>
    new LostContactError(
      `Lost contact with the Catalog API: no successful poll of crawl ${executionId} for ${formatDuration(t - lastSuccessAt)}; last error: ${error.message}`,
      { executionId, crawl, history, elapsedMs: t - startedAt, cause: error, requestId: error.requestId },
    );

  let lastFailure: CatalogError | undefined;
  let final = false;
  while (true) {
    if (signal?.aborted) return abort();
    let retryWarned = false;
    try {
      const next = await client.getCrawl(executionId, {
        signal,
        deadline,
        onRetry: (info) => {
          history.transientErrors++;
          if (retryWarned) return;
          retryWarned = true;
          const kind =
            info.error instanceof CatalogError && info.error.status === 429 ? 'rate_limited' : 'retry';
          warn(kind, `Retrying after ${formatDuration(info.delayMs)}: ${info.error.message}`, info.error);
        },
      });
      observe(next);
      lastFailure = undefined;
    } catch (error) {
      if (error instanceof AbortedError || signal?.aborted) return abort();
      if (!(error instanceof CatalogError)) throw error;
      const t = now();
      if (error.code === NOT_SENT) {
        // The deadline came while the request waited its turn (the client's rate limiter): the API was
        // never asked, so this says nothing about contact. The loop ends below, timed out.
      } else if (error instanceof NotFoundError && t - startedAt < s.notFoundGraceMs) {
        warn('poll_failed', `Crawl ${executionId} is not visible yet (404); retrying`, error);
      } else if (error.retryable) {
        history.transientErrors++;
        warn('poll_failed', `Poll failed: ${error.message}`, error);
        lastFailure = error;
        if (t - lastSuccessAt >= s.lostContactMs) throw lostContact(t, error);
      } else {
        // Auth, not found after the grace, invalid input and other permanent answers stop the wait.
        throw error;
      }
    }

    if (crawl && isTerminalStatus(crawl.status)) return finish(outcomeOf(crawl));
    const t = now();
    if (s.heartbeatMs !== undefined && t - lastEmitAt >= s.heartbeatMs)
      emit({ ...base(), type: 'heartbeat' });
    if (s.stallTimeoutMs !== undefined && crawl && t - lastChangeAt >= s.stallTimeoutMs)
      return finish('stalled');
    if (final || t >= finalAt) {
      // A wait that never reached the API did not time out: reporting it as a timeout would hide the cause.
      if (!crawl && lastFailure) throw lostContact(t, lastFailure);
      return finish('timed_out');
    }
    let delay = nextPollDelayMs(crawl, {
      ...s,
      random,
      lastStepRunningMs: lastStepSeenAt === undefined ? undefined : t - lastStepSeenAt,
      earlierStepsMs,
    });
    if (t + delay >= finalAt) {
      // The next regular poll would land in the final window: make it the final poll, at the deadline.
      delay = finalAt - t;
      final = true;
    }
    try {
      await sleep(delay, signal);
    } catch (error) {
      if (signal?.aborted) return abort();
      throw error;
    }
  }
}
