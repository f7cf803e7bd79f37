import type { CancelResult, Crawl, WaitHistory } from './types.js';

export interface CatalogErrorDetails {
  status?: number;
  code?: string;
  requestId?: string;
  cause?: unknown;
}

/**
 * Base of every error this package throws. Messages never contain the API key: the client redacts it from
 * anything it did not write itself (server bodies, network error texts) before building an error.
 */
export class CatalogError extends Error {
  /** HTTP status, when a response was received. */
  readonly status: number | undefined;
  /** API error code (e.g. `VALIDATION_ERROR`) or one of ours (e.g. `NETWORK_ERROR`). */
  readonly code: string;
  /** `Request-ID` of the failing response: quote it to support. */
  readonly requestId: string | undefined;
  /** Whether the client retries this kind of failure. */
  readonly retryable: boolean = false;

  constructor(message: string, code: string, details: CatalogErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = details.status;
    this.requestId = details.requestId;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      status: this.status,
      requestId: this.requestId,
    };
  }
}

/** An HTTP answer the client does not accept (base of the per-status classes). */
export class ApiError extends CatalogError {}

/** 401 or 403: the key is missing, invalid, or not allowed. */
export class AuthError extends ApiError {}

/** 402: the account has no credits or auto top-up is off. */
export class PaymentRequiredError extends ApiError {}

/** 404: no such execution id in this organisation. */
export class NotFoundError extends ApiError {}

/** 400: the API rejected the request. */
export class ValidationError extends ApiError {}

/** 409: a state conflict (for example cancelling a finished crawl). */
export class ConflictError extends ApiError {}

/** 429 after the retries were used up. */
export class RateLimitError extends ApiError {
  override readonly retryable = true;
  /** The server's requested delay, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: CatalogErrorDetails & { retryAfterMs?: number } = {}) {
    super(message, details.code ?? 'RATE_LIMITED', details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** 5xx or 408. */
export class ServerError extends ApiError {
  override readonly retryable = true;
}

/** No HTTP answer: DNS, connection refused or reset, or the request timed out. */
export class NetworkError extends CatalogError {
  override readonly retryable = true;
  readonly timedOut: boolean;
  constructor(message: string, details: CatalogErrorDetails & { timedOut?: boolean } = {}) {
    super(message, details.code ?? (details.timedOut ? 'REQUEST_TIMEOUT' : 'NETWORK_ERROR'), details);
    this.timedOut = details.timedOut ?? false;
  }
}

/** A 2xx (or error) body that is not the documented shape: HTML, truncated JSON, wrong types. */
export class InvalidResponseError extends CatalogError {
  override readonly retryable = true;
}

/** Input rejected before any request was sent (bad id, url, duration, option). */
export class InvalidInputError extends CatalogError {
  /** The name of the input, e.g. `executionId`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message, 'INVALID_INPUT');
    this.field = field;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}

interface WaitContext {
  executionId: string;
  crawl: Crawl | undefined;
  history: WaitHistory;
  elapsedMs: number;
}

/** The waiter could not reach the API (no successful poll) for `lostContactMs`. */
export class LostContactError extends CatalogError {
  readonly executionId: string;
  readonly crawl: Crawl | undefined;
  readonly history: WaitHistory;
  readonly elapsedMs: number;
  constructor(message: string, context: WaitContext & { cause?: unknown; requestId?: string }) {
    super(message, 'LOST_CONTACT', { cause: context.cause, requestId: context.requestId });
    this.executionId = context.executionId;
    this.crawl = context.crawl;
    this.history = context.history;
    this.elapsedMs = context.elapsedMs;
  }
}

/** The caller's signal aborted the wait. Carries what was seen, and the DELETE's answer if one was sent. */
export class AbortedError extends CatalogError {
  readonly executionId: string | undefined;
  readonly crawl: Crawl | undefined;
  readonly history: WaitHistory | undefined;
  readonly elapsedMs: number | undefined;
  readonly cancel: CancelResult | undefined;
  /** The error of the DELETE, when cancelOnAbort was set and it failed. */
  readonly cancelError: CatalogError | undefined;
  constructor(
    message: string,
    context: Partial<WaitContext> & {
      cancel?: CancelResult;
      cancelError?: CatalogError;
      cause?: unknown;
    } = {},
  ) {
    super(message, 'ABORTED', { cause: context.cause });
    this.executionId = context.executionId;
    this.crawl = context.crawl;
    this.history = context.history;
    this.elapsedMs = context.elapsedMs;
    this.cancel = context.cancel;
    this.cancelError = context.cancelError;
  }
}
