// Sending one API request: limiter slot, timeout, fetch, body parsing, typed errors (not exported from the
// package). CatalogClient owns one Requester; other core modules reach it through `sendRequest` in client.ts.
import { type Clock, schedule } from './clock.js';
import {
  AbortedError,
  CatalogError,
  errorFromResponse,
  InvalidInputError,
  InvalidResponseError,
  NetworkError,
} from './errors.js';
import { formatDuration } from './format.js';
import type { FetchAnswer, FetchLike } from './http-fetch.js';
import { clip, describeNonJson, ShapeError } from './parse.js';
import { LimiterTimeoutError, type SlidingWindowLimiter } from './ratelimit.js';
import { type RetrySettings, withRetry } from './retry.js';
import type { RequestOptions } from './types.js';

/** One request to the API, as any core module describes it. */
export interface RequestSpec<T> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query string, already encoded, e.g. `/v2/listings?vendor=skims.com&page=1&page_size=100`. */
  path: string;
  /** Names the request in messages, without ids or query, e.g. `GET /v2/listings`. */
  label: string;
  /** Sent as JSON when present. */
  body?: unknown;
  /** Builds the value from a 2xx body (`undefined` for an empty body). Throws ShapeError when it cannot. */
  parse(body: unknown, requestId: string | undefined): T;
  /** Names what a 404 refers to in its message, e.g. `crawl crawl-skims-com-1`. */
  notFound?: string;
  /** Accept an empty 2xx body (parse then gets `undefined`). Default: only for DELETE. */
  allowEmpty?: boolean;
}

/** Code of the NetworkError for a request never sent because the deadline came first (e.g. in the limiter). */
export const NOT_SENT = 'NOT_SENT';

export interface RequesterConfig {
  apiKey: string;
  baseUrl: string;
  fetch: FetchLike;
  timeoutMs: number;
  retry: RetrySettings | false;
  limiter: SlidingWindowLimiter | undefined;
  userAgent: string;
  redact: (text: string) => string;
  clock: Clock;
}

export class Requester {
  constructor(private readonly config: RequesterConfig) {}

  /**
   * Sends `spec` with the client's limiter, retry policy and timeouts; resolves with the parsed value.
   * The first limiter slot comes before anything else of the call: thousands of calls queued behind the
   * limiter (a batch of starts, every waiter's next poll) each hold a limiter entry and a promise, not a
   * retry loop or a suspended frame.
   */
  request<T>(spec: RequestSpec<T>, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    if (!(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      return Promise.reject(
        new InvalidInputError('timeoutMs', 'timeoutMs must be a positive number of milliseconds'),
      );
    }
    return this.#slot(spec, options.signal, options.deadline).then(
      (release) => this.#withRetry(spec, options, timeoutMs, release),
      (error: unknown) => {
        throw slotError(spec, error);
      },
    );
  }

  async #withRetry<T>(
    spec: RequestSpec<T>,
    options: RequestOptions,
    timeoutMs: number,
    firstSlot: () => void,
  ): Promise<T> {
    const { signal, deadline, onRetry } = options;
    let held: (() => void) | undefined = firstSlot;
    const attempt = () => {
      const release = held;
      held = undefined;
      return this.#attempt(spec, signal, timeoutMs, deadline, release);
    };
    try {
      const policy = this.config.retry;
      if (!policy) return await attempt();
      return await withRetry(attempt, policy, {
        signal,
        deadline,
        onRetry,
        clock: this.config.clock,
        aborted: () => aborted(spec),
      });
    } finally {
      held?.();
    }
  }

  /**
   * Waits for a limiter slot; resolves with its release (a no-op without a limiter), or rejects with what
   * slotError() turns into the caller's error. Not an async function: a call queued here holds a limiter
   * entry and one promise, not a suspended frame.
   */
  #slot(
    spec: RequestSpec<unknown>,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(aborted(spec));
    const timeLeft = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - this.config.clock.now();
    if (timeLeft <= 0) return Promise.reject(noTimeLeft(spec));
    const limiter = this.config.limiter;
    if (!limiter) return Promise.resolve(noop);
    return limiter.acquire(signal, timeLeft);
  }

  /** One attempt; `release` is the slot already taken for it (the first attempt's), else it takes one. */
  async #attempt<T>(
    spec: RequestSpec<T>,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    deadline: number | undefined,
    release: (() => void) | undefined,
  ): Promise<T> {
    // Nothing of the request (controller, headers, fetch) exists while it waits for its slot.
    let slot = release;
    if (!slot) {
      try {
        slot = await this.#slot(spec, signal, deadline);
      } catch (error) {
        throw slotError(spec, error);
      }
    }
    try {
      if (signal?.aborted) throw aborted(spec);
      const budget =
        deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline - this.config.clock.now());
      if (budget <= 0) throw noTimeLeft(spec);
      return await this.#send(spec, signal, budget);
    } finally {
      slot();
    }
  }

  async #send<T>(spec: RequestSpec<T>, signal: AbortSignal | undefined, budgetMs: number): Promise<T> {
    const { baseUrl, apiKey, userAgent } = this.config;
    const controller = new AbortController();
    let timedOut = false;
    // The timeout runs on the client's clock, so simulated time can time a request out too.
    const cancelTimer = schedule(this.config.clock, budgetMs, () => {
      timedOut = true;
      controller.abort();
    });
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': userAgent,
      'x-api-key': apiKey,
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    try {
      let response: FetchAnswer;
      let text: string;
      try {
        response = await this.config.fetch(`${baseUrl}${spec.path}`, {
          method: spec.method,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal: controller.signal,
          // A redirect would carry x-api-key to wherever it points: refuse to follow.
          redirect: 'manual',
        });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw aborted(spec);
        const detail = this.#describeFailure(error);
        if (timedOut) {
          throw new NetworkError(
            `${spec.label} timed out after ${formatDuration(budgetMs)} without an answer from ${baseUrl}; the API may be slow or unreachable`,
            { timedOut: true, cause: new Error(detail) },
          );
        }
        throw new NetworkError(`Could not reach the Catalog API at ${baseUrl} (${spec.label}: ${detail})`, {
          cause: new Error(detail),
        });
      }
      return this.#handle(spec, response, text);
    } finally {
      cancelTimer();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #handle<T>(spec: RequestSpec<T>, response: FetchAnswer, rawText: string): T {
    const { status } = response;
    const { redact, clock } = this.config;
    if (status < 200 || status >= 300) {
      throw errorFromResponse(status, rawText, response.headers, {
        label: spec.label,
        notFound: spec.notFound,
        redact,
        now: clock.now,
      });
    }
    const headerId = response.headers.get('request-id') ?? response.headers.get('x-request-id');
    const requestId = headerId ? clip(redact(headerId), 200) : undefined;
    let body: unknown;
    try {
      body = rawText.trim() === '' ? undefined : JSON.parse(rawText);
    } catch {
      throw invalid(spec, status, requestId, `${describeNonJson(redact(rawText))} instead of JSON`);
    }
    if (body === undefined && !(spec.allowEmpty ?? spec.method === 'DELETE')) {
      throw invalid(spec, status, requestId, 'an empty body instead of JSON');
    }
    try {
      return spec.parse(body, requestId);
    } catch (error) {
      const why = error instanceof ShapeError ? error.message : 'a body of an unexpected shape';
      throw invalid(spec, status, requestId, `an unexpected JSON body (${why})`);
    }
  }

  /**
   * A short, redacted description of a fetch failure, including its causes' codes (e.g. ECONNREFUSED). The
   * original error is never attached: it may reference the request, whose headers carry the key.
   */
  #describeFailure(error: unknown): string {
    const parts: string[] = [];
    let current: unknown = error;
    for (let depth = 0; depth < 4 && current; depth++) {
      if (typeof current === 'object' && current !== null) {
        const e = current as { message?: unknown; code?: unknown; cause?: unknown };
        const message = typeof e.message === 'string' ? e.message : '';
        const code = typeof e.code === 'string' ? e.code : '';
        const piece = code && !message.includes(code) ? `${message} ${code}`.trim() : message;
        if (piece && !parts.includes(piece)) parts.push(piece);
        current = e.cause;
      } else {
        parts.push(String(current));
        break;
      }
    }
    return clip(this.config.redact(parts.join(': ') || 'unknown network error'), 300);
  }
}

function invalid(
  spec: RequestSpec<unknown>,
  status: number,
  requestId: string | undefined,
  what: string,
): InvalidResponseError {
  const quote = requestId ? ` (request id ${requestId}: quote it to support)` : ' (no request id)';
  return new InvalidResponseError(
    `${spec.label} answered HTTP ${status} with ${what}; this is retried, and if it persists report it to Catalog support${quote}`,
    'INVALID_RESPONSE',
    { status, requestId },
  );
}

/** The caller's error for a slot not granted: the limiter's timeout or the caller's abort. */
function slotError(spec: RequestSpec<unknown>, error: unknown): Error {
  if (error instanceof LimiterTimeoutError) return noTimeLeft(spec);
  if (error instanceof CatalogError) return error;
  return aborted(spec);
}

function aborted(spec: RequestSpec<unknown>): AbortedError {
  return new AbortedError(`${spec.label} was aborted by the caller`);
}

function noTimeLeft(spec: RequestSpec<unknown>): NetworkError {
  return new NetworkError(`${spec.label} was not sent: no time left before the deadline`, {
    timedOut: true,
    code: NOT_SENT,
  });
}

function noop(): void {}
