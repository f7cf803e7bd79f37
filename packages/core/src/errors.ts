import { formatDuration } from './format.js';
import { clip, parseErrorBody } from './parse.js';
import type { CancelResult, Crawl, WaitHistory } from './types.js';

export interface CatalogErrorDetails {
  status?: number;
  code?: string;
  requestId?: string;
  cause?: unknown;
  /** The server's message (redacted, clipped), when it sent one. */
  serverMessage?: string;
  /** The server's requested delay (Retry-After / RateLimit-Reset), uncapped. */
  retryAfterMs?: number;
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
export class ApiError extends CatalogError {
  /** What the API said (redacted and clipped; untrusted text), when its body carried a message. */
  readonly serverMessage: string | undefined;
  /**
   * The delay the server asked for (`Retry-After`, `RateLimit-Reset`) in ms, uncapped, when it sent one. The
   * retry loop uses it as a floor.
   */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, code: string, details: CatalogErrorDetails = {}) {
    super(message, code, details);
    this.serverMessage = details.serverMessage;
    this.retryAfterMs = details.retryAfterMs;
  }
}

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
  constructor(message: string, details: CatalogErrorDetails = {}) {
    super(message, details.code ?? 'RATE_LIMITED', details);
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
  /**
   * What is wrong, without naming the input (e.g. `must be at least 1s`), so that a face can name it its own
   * way (`Input "min-interval": must be at least 1s`). Defaults to the message.
   */
  readonly reason: string;
  constructor(field: string, message: string, reason?: string) {
    super(message, 'INVALID_INPUT');
    this.field = field;
    this.reason = reason ?? message;
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

/** What errorFromResponse needs besides the response itself. */
export interface ResponseContext {
  /** Names the request in messages, e.g. `GET /v2/crawl/{id}`. */
  label: string;
  /** Names what a 404 refers to, e.g. `crawl crawl-skims-com-1`. */
  notFound?: string;
  /** Removes secrets from any text the server sent. */
  redact?: (text: string) => string;
  /** Clock for HTTP-date headers. Default Date.now. */
  now?: () => number;
}

/** The one thing read from an answer's headers: a value by name (fetch's Headers has it). */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * Maps a non-2xx answer to its error class, in the shape of openai-node's `APIError.generate`: one switch on
 * the status, the body read in any of the documented shapes, the request id from the header or the body.
 * Messages state facts (what was sent, what came back, the request id); what a user should change is each
 * face's business, since only the face knows whether the key came from an input, a flag or a variable.
 */
export function errorFromResponse(
  status: number,
  bodyText: string,
  headers: HeaderReader,
  context: ResponseContext,
): ApiError {
  const redact = context.redact ?? ((text: string) => text);
  const info = parseErrorBody(redact(bodyText));
  const headerId = headers.get('request-id') ?? headers.get('x-request-id');
  const rawId = headerId ?? info.requestId;
  const requestId = rawId ? clip(redact(rawId), 200) : undefined;
  const serverMessage = info.message === undefined ? undefined : clip(redact(info.message), 300);
  const code = info.code === undefined ? undefined : clip(redact(info.code), 60);
  const said = serverMessage ?? (info.nonJson ? `the API sent ${info.nonJson}` : undefined);
  const what = `${context.label} failed with HTTP ${status}${code ? ` ${code}` : ''}${said ? `: ${said}` : ''}`;
  const quote = requestId ? ` (request id ${requestId}: quote it to support)` : '';
  const details: CatalogErrorDetails = { status, requestId, serverMessage };
  switch (true) {
    case status === 401:
      return new AuthError(
        `${what}. The API key is missing, invalid or revoked${quote}`,
        code ?? 'UNAUTHORIZED',
        details,
      );
    case status === 403:
      return new AuthError(
        `${what}. The API key is not allowed to do this (starting crawls also needs auto top-up on)${quote}`,
        code ?? 'FORBIDDEN',
        details,
      );
    case status === 402:
      return new PaymentRequiredError(
        `${what}. The account has no credits: add credits or turn on auto top-up in the Catalog billing settings${quote}`,
        code ?? 'PAYMENT_REQUIRED',
        details,
      );
    case status === 404:
      return new NotFoundError(
        `${what}. ${context.notFound ? `No ${context.notFound}` : 'Not found'} in the organisation of this API key: check the execution id and the key${quote}`,
        code ?? 'NOT_FOUND',
        details,
      );
    case status === 400:
      return new ValidationError(
        `${what}. The API rejected the request${quote}`,
        code ?? 'INVALID_REQUEST',
        details,
      );
    case status === 409:
      return new ConflictError(`${what}${quote}`, code ?? 'CONFLICT', details);
    case status === 429: {
      const retryAfterMs = serverDelayMs(headers, context.now ?? Date.now);
      const wait =
        retryAfterMs === undefined ? '' : ` (the API asked to wait ${formatDuration(retryAfterMs)})`;
      return new RateLimitError(
        `${what}. Rate limited by the Catalog API${wait}: too many requests from this client or address${quote}`,
        { ...details, code: code ?? 'RATE_LIMITED', retryAfterMs },
      );
    }
    case status >= 500 || status === 408:
      return new ServerError(
        `${what}. The Catalog API had a problem: try again later; if it persists, ${requestId ? `quote request id ${requestId} to support` : 'contact support'}`,
        code ?? (status === 408 ? 'SERVER_TIMEOUT' : 'SERVER_ERROR'),
        { ...details, retryAfterMs: serverDelayMs(headers, context.now ?? Date.now) },
      );
    case status >= 300 && status < 400:
      return new ApiError(
        `${context.label} was redirected (HTTP ${status}); redirects are not followed, so that the API key is not sent elsewhere: the base URL must be the final address${quote}`,
        code ?? `HTTP_${status}`,
        details,
      );
    default:
      return new ApiError(`${what}${quote}`, code ?? `HTTP_${status}`, details);
  }
}

/** Retry-After (seconds or HTTP date) and RateLimit-Reset (ISO time, delta or epoch seconds): the larger. */
export function serverDelayMs(headers: HeaderReader, now: () => number): number | undefined {
  const t = now();
  const parse = (value: string | null): number | undefined => {
    if (!value) return undefined;
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) {
      const n = Number(text);
      // A value this large is an epoch timestamp in seconds, not a delta.
      return n > 1e9 ? Math.max(0, n * 1000 - t) : n * 1000;
    }
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : Math.max(0, at - t);
  };
  const values = [parse(headers.get('retry-after')), parse(headers.get('ratelimit-reset'))].filter(
    (v): v is number => v !== undefined,
  );
  return values.length === 0 ? undefined : Math.round(Math.max(...values));
}

/**
 * Whether `error` is one of this package's errors. Use it (or `instanceof` a class) rather than comparing
 * `error.name`: the name is for people, and a subclass keeps the guard true.
 */
export function isCatalogError(error: unknown): error is CatalogError {
  return error instanceof CatalogError;
}
