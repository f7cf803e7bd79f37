import {
  AuthError,
  CatalogError,
  ConflictError,
  CrawlNotCompletedError,
  InvalidInputError,
  InvalidResponseError,
  LostContactError,
  NetworkError,
  NotFoundError,
  OutputError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  ValidationError,
  type WaitOutcome,
} from '@catalog-crawl/core';
import { CommanderError } from 'commander';

/** Documented exit codes of `catalog-crawl`. */
export const EXIT = {
  /** The crawl completed (or the command did what it was asked). */
  OK: 0,
  /** The crawl failed (or an unexpected error). */
  FAILED: 1,
  /** Usage error or invalid input (bad option, id, url or duration; API 400). */
  USAGE: 2,
  /** API key missing or rejected (401/403), or no credits (402). */
  AUTH: 3,
  /** No such execution id (404). */
  NOT_FOUND: 4,
  /** The wait timed out before the crawl finished. */
  TIMED_OUT: 5,
  /** The crawl was canceled. */
  CANCELED: 6,
  /** No progress for --stall-timeout. */
  STALLED: 7,
  /** The API could not be reached (network, lost contact, 5xx or 429 after retries, malformed answers). */
  UNREACHABLE: 8,
  /** Results asked for a crawl that is not completed (pending, running, failed or canceled). */
  NOT_COMPLETED: 9,
  /** `cancel` refused because the crawl is still pending: the API cancels only running crawls. */
  NOT_RUNNING_YET: 10,
  /** The output could not be written (a file that cannot be created, a full disk). */
  OUTPUT: 11,
  /** Interrupted by Ctrl-C (SIGINT) without canceling the crawl. */
  INTERRUPTED: 130,
  /** Terminated by SIGTERM without canceling the crawl. */
  TERMINATED: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeForOutcome(outcome: WaitOutcome): number {
  switch (outcome) {
    case 'completed':
      return EXIT.OK;
    case 'failed':
      return EXIT.FAILED;
    case 'canceled':
      return EXIT.CANCELED;
    case 'timed_out':
      return EXIT.TIMED_OUT;
    case 'stalled':
      return EXIT.STALLED;
    default:
      return EXIT.FAILED;
  }
}

/**
 * The worst of several exit codes: the highest one wins (130/143 interrupts beat everything, 0 loses to
 * anything). Documented in the README.
 */
export function worstExitCode(codes: readonly number[]): number {
  return Math.max(EXIT.OK, ...codes);
}

/** Exit code per error class; the first class the error is an instance of wins (subclasses first). */
const CLASS_TO_CODE: [abstract new (...args: never[]) => Error, number][] = [
  [InvalidInputError, EXIT.USAGE],
  [ValidationError, EXIT.USAGE],
  [AuthError, EXIT.AUTH],
  [PaymentRequiredError, EXIT.AUTH],
  [NotFoundError, EXIT.NOT_FOUND],
  [NetworkError, EXIT.UNREACHABLE],
  [LostContactError, EXIT.UNREACHABLE],
  [ServerError, EXIT.UNREACHABLE],
  [RateLimitError, EXIT.UNREACHABLE],
  [InvalidResponseError, EXIT.UNREACHABLE],
  [ConflictError, EXIT.FAILED],
  [CrawlNotCompletedError, EXIT.NOT_COMPLETED],
  [OutputError, EXIT.OUTPUT],
];

/** Maps an error to an exit code: by class (instanceof), then by HTTP status for any other API error. */
export function exitCodeForError(error: unknown): number {
  if (!(error instanceof Error)) return EXIT.FAILED;
  if (error instanceof MissingApiKeyError) return EXIT.AUTH;
  if (error instanceof WriteError) return EXIT.OUTPUT;
  if (error instanceof UsageError || error instanceof CommanderError) return EXIT.USAGE;
  for (const [type, code] of CLASS_TO_CODE) if (error instanceof type) return code;
  const status = error instanceof CatalogError ? error.status : undefined;
  if (typeof status === 'number') {
    if (status === 400) return EXIT.USAGE;
    if (status === 401 || status === 402 || status === 403) return EXIT.AUTH;
    if (status === 404) return EXIT.NOT_FOUND;
    if (status === 408 || status === 429 || status >= 500) return EXIT.UNREACHABLE;
  }
  return EXIT.FAILED;
}

/** A usage error raised by the CLI itself (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** No API key was given (exit 3, as an auth problem). */
export class MissingApiKeyError extends Error {
  readonly status = 401;
  constructor() {
    super('No API key: set CATALOG_API_KEY or pass --api-key.');
    this.name = 'MissingApiKeyError';
  }
}

/** The output could not be written (a file that cannot be created, a full disk...): exit 11. */
export class WriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteError';
  }
}
