// The wait rules every face shares: defaults, floors, the "just started" grace, and the one validator a face
// calls before any request.

import { InvalidInputError } from './errors.js';
import { formatDuration } from './format.js';
import type { WaitOptions } from './types.js';

/** Defaults of waitForCrawl/watchCrawl: the API's documented 10-30 s band and a 60 min deadline. */
export const WAIT_DEFAULTS = Object.freeze({
  timeoutMs: 3_600_000,
  minIntervalMs: 10_000,
  maxIntervalMs: 30_000,
  lostContactMs: 300_000,
  notFoundGraceMs: 0,
});

/** Floor for minIntervalMs: the API asks for 10-30 s; 1 s is the fastest we allow anyone to poll. */
export const MIN_POLL_INTERVAL_MS = 1_000;

/**
 * Right after POST /v2/crawl a GET may answer 404 for a short while: a wait that follows a start it made
 * itself should pass this as `notFoundGraceMs`. A wait for an id given by a user should not (404 is final).
 */
export const NOT_FOUND_GRACE_MS = 30_000;

/** Default budget of the cancels the waiter makes (cancelOnAbort, cancelOnTimeout, cancelOnStall). */
export const CANCEL_TIMEOUT_MS = 5_000;

/**
 * A status this package does not know is not terminal, and must not make a wait last its full length in
 * silence: when it has not changed (nor steps nor counts) for this long, the wait ends as stalled, even with
 * stall detection off. stallTimeoutMs, when set, is used instead.
 */
export const UNKNOWN_STATUS_STALL_MS = 600_000;

/** The validated numbers behind a wait. */
export interface WaitSettings {
  timeoutMs: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  stallTimeoutMs: number | undefined;
  lostContactMs: number;
  notFoundGraceMs: number;
  heartbeatMs: number | undefined;
  cancelWaitMs: number;
}

/** The numeric options of a wait, by their core names. */
export type WaitOptionName =
  | 'timeoutMs'
  | 'minIntervalMs'
  | 'maxIntervalMs'
  | 'stallTimeoutMs'
  | 'lostContactMs'
  | 'notFoundGraceMs'
  | 'heartbeatMs'
  | 'cancelWaitMs';

/**
 * Checks the wait options and fills in the defaults; waitForCrawl runs it too, but a face calls it first, so
 * that a bad option is reported before any request (as @smithy/util-waiter exports `validateWaiterOptions`).
 * Throws InvalidInputError whose `field` is the option's core name and whose `reason` says what is wrong;
 * `label` names options in the message the face's way (`--min-interval`, `min-interval`).
 */
export function validateWaitOptions(
  options: Pick<WaitOptions, WaitOptionName> = {},
  label: (field: WaitOptionName) => string = (field) => field,
): WaitSettings {
  const fail = (field: WaitOptionName, reason: string): never => {
    throw new InvalidInputError(field, `${label(field)} ${reason}`, reason);
  };
  const num = (field: WaitOptionName, min: number, fallback: number | undefined, why = '') => {
    const value = options[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return fail(field, 'must be a number of milliseconds');
    }
    if (value < min) {
      return fail(
        field,
        min === 0 ? 'must not be negative' : `must be at least ${formatDuration(min)}${why}`,
      );
    }
    return value;
  };
  const minIntervalMs = num(
    'minIntervalMs',
    MIN_POLL_INTERVAL_MS,
    WAIT_DEFAULTS.minIntervalMs,
    ' (the API asks clients not to poll faster)',
  )!;
  let maxIntervalMs = Math.max(WAIT_DEFAULTS.maxIntervalMs, minIntervalMs);
  if (options.maxIntervalMs !== undefined) {
    maxIntervalMs = num('maxIntervalMs', 1, maxIntervalMs)!;
    if (maxIntervalMs < minIntervalMs) {
      fail('maxIntervalMs', `must be at least ${label('minIntervalMs')} (${formatDuration(minIntervalMs)})`);
    }
  }
  return {
    timeoutMs: num('timeoutMs', 1, WAIT_DEFAULTS.timeoutMs)!,
    minIntervalMs,
    maxIntervalMs,
    stallTimeoutMs: num('stallTimeoutMs', 1, undefined),
    lostContactMs: num('lostContactMs', 1, WAIT_DEFAULTS.lostContactMs)!,
    notFoundGraceMs: num('notFoundGraceMs', 0, WAIT_DEFAULTS.notFoundGraceMs)!,
    heartbeatMs: num('heartbeatMs', 1, undefined),
    cancelWaitMs: num('cancelWaitMs', 1, CANCEL_TIMEOUT_MS)!,
  };
}
