import pRetry from 'p-retry';
import { validateApiKey, validateBaseUrl } from './config.js';
import { validateCrawlUrl, validateExecutionId } from './crawl.js';
import { formatDuration } from './duration.js';
import {
  AbortedError,
  ApiError,
  AuthError,
  type CatalogError,
  ConflictError,
  InvalidInputError,
  InvalidResponseError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  ValidationError,
} from './errors.js';
import { defaultSleep } from './internal.js';
import {
  clip,
  describeNonJson,
  parseCancel,
  parseCrawl,
  parseErrorBody,
  parseList,
  parseStarted,
  ShapeError,
} from './parse.js';
import { createProxyFetch, proxySecrets } from './proxy.js';
import { LimiterTimeoutError, SlidingWindowLimiter } from './ratelimit.js';
import { createRedactor } from './redact.js';
import type {
  CancelResult,
  CatalogClientOptions,
  Crawl,
  CrawlList,
  ListCrawlsParams,
  RequestOptions,
  StartedCrawl,
} from './types.js';
import { VERSION } from './version.js';

export { VERSION };
export const DEFAULT_BASE_URL = 'https://api.getcatalog.ai';
export const ENV_API_KEY = 'CATALOG_API_KEY';
export const ENV_BASE_URL = 'CATALOG_API_BASE_URL';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRY = {
  retries: 4,
  minDelayMs: 500,
  maxDelayMs: 10_000,
  maxServerDelayMs: 60_000,
} as const;
export const DEFAULT_RATE_LIMIT = { requests: 50, windowMs: 4_000 } as const;

/** Reads CATALOG_API_KEY / CATALOG_API_BASE_URL; throws InvalidInputError naming the variable when the key is missing. */
export function clientOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Pick<CatalogClientOptions, 'apiKey' | 'baseUrl'> {
  const apiKey = env[ENV_API_KEY]?.trim();
  if (!apiKey) {
    throw new InvalidInputError(
      ENV_API_KEY,
      `${ENV_API_KEY} is not set: create an API key in the Catalog dashboard and export ${ENV_API_KEY}=<key>`,
    );
  }
  const baseUrl = env[ENV_BASE_URL]?.trim();
  return { apiKey, baseUrl: baseUrl ? baseUrl : DEFAULT_BASE_URL };
}

interface Call<T> {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** For messages: e.g. `GET /v2/crawl/{id}`. */
  label: string;
  body?: unknown;
  /** Builds the value from a 2xx body (`undefined` for an empty body). Throws ShapeError. */
  parse(body: unknown, requestId: string | undefined): T;
  /** Turns a non-2xx answer into a value instead of an error (used for cancel's "already finished"). */
  recover?(error: ApiError, message: string | undefined): T | undefined;
  /** Names what a 404 refers to. */
  notFound?: string;
}

/** Server-requested minimum delay before a retry, remembered per error without putting it on the error. */
const serverDelays = new WeakMap<object, number>();

const ALREADY_FINISHED =
  /not running|not in a cancel+able state|cannot be cancel+ed|already (finished|completed|failed|cancel+ed|stopped|terminated)/i;

export class CatalogClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #redact: (text: string) => string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #retry: Required<NonNullable<Exclude<CatalogClientOptions['retry'], false>>> | false;
  readonly #limiter: SlidingWindowLimiter | undefined;
  readonly #userAgent: string;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: CatalogClientOptions) {
    const apiKey = validateApiKey(options?.apiKey, `the API key (usually ${ENV_API_KEY})`);
    this.#apiKey = apiKey;
    this.#redact = createRedactor([apiKey, ...proxySecrets()]);
    this.baseUrl = validateBaseUrl(
      options.baseUrl ?? DEFAULT_BASE_URL,
      `the base URL (usually ${ENV_BASE_URL})`,
    );
    this.#fetch = options.fetch ?? createProxyFetch();
    this.#timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    if (options.retry === false) {
      this.#retry = false;
    } else {
      const r = { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) };
      if (!Number.isInteger(r.retries) || r.retries < 0) {
        throw new InvalidInputError('retry.retries', 'retry.retries must be a whole number >= 0');
      }
      this.#retry = {
        retries: r.retries,
        minDelayMs: nonNegative(r.minDelayMs, 'retry.minDelayMs'),
        maxDelayMs: nonNegative(r.maxDelayMs, 'retry.maxDelayMs'),
        maxServerDelayMs: nonNegative(r.maxServerDelayMs, 'retry.maxServerDelayMs'),
      };
    }
    if (options.rateLimit !== false) {
      const l = { ...DEFAULT_RATE_LIMIT, ...stripUndefined(options.rateLimit ?? {}) };
      if (!Number.isInteger(l.requests) || l.requests < 1) {
        throw new InvalidInputError('rateLimit.requests', 'rateLimit.requests must be a whole number >= 1');
      }
      this.#limiter = new SlidingWindowLimiter(l.requests, positive(l.windowMs, 'rateLimit.windowMs'));
    }
    this.#userAgent = options.userAgent ?? `catalog-crawl/${VERSION}`;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /** POST /v2/crawl. Idempotent per hostname on the API side, so it is retried like the other calls. */
  async startCrawl(params: { url: string }, options: RequestOptions = {}): Promise<StartedCrawl> {
    const url = validateCrawlUrl(params?.url);
    return this.#call(
      {
        method: 'POST',
        path: '/v2/crawl',
        label: 'POST /v2/crawl',
        body: { url },
        parse: (body, requestId) => parseStarted(body, requestId),
      },
      options,
    );
  }

  /** GET /v2/crawl/{id}. */
  async getCrawl(executionId: string, options: RequestOptions = {}): Promise<Crawl> {
    const id = validateExecutionId(executionId);
    return this.#call(
      {
        method: 'GET',
        path: `/v2/crawl/${encodeURIComponent(id)}`,
        label: 'GET /v2/crawl/{id}',
        parse: (body, requestId) => parseCrawl(body, id, requestId),
        notFound: `crawl ${id}`,
      },
      options,
    );
  }

  /** DELETE /v2/crawl/{id}. A crawl that already finished is a normal answer (outcome `already_finished`). */
  async cancelCrawl(executionId: string, options: RequestOptions = {}): Promise<CancelResult> {
    const id = validateExecutionId(executionId);
    return this.#call(
      {
        method: 'DELETE',
        path: `/v2/crawl/${encodeURIComponent(id)}`,
        label: 'DELETE /v2/crawl/{id}',
        parse: (body, requestId) => parseCancel(body, id, requestId),
        recover: (error, message) => {
          const finished =
            error instanceof ConflictError ||
            (error instanceof ValidationError && message !== undefined && ALREADY_FINISHED.test(message));
          if (!finished) return undefined;
          const result: CancelResult = {
            executionId: id,
            outcome: 'already_finished',
            stopDate: null,
            requestId: error.requestId,
            raw: undefined,
          };
          if (message !== undefined) result.message = message;
          return result;
        },
        notFound: `crawl ${id}`,
      },
      options,
    );
  }

  /** GET /v2/crawl?status&page&page_size. */
  async listCrawls(params: ListCrawlsParams = {}, options: RequestOptions = {}): Promise<CrawlList> {
    const query = new URLSearchParams();
    if (params.status !== undefined) {
      if (!['processing', 'completed', 'failed'].includes(params.status)) {
        throw new InvalidInputError('status', 'status must be one of processing, completed, failed');
      }
      query.set('status', params.status);
    }
    if (params.page !== undefined) query.set('page', String(wholeNumber(params.page, 'page')));
    if (params.pageSize !== undefined)
      query.set('page_size', String(wholeNumber(params.pageSize, 'pageSize')));
    const qs = query.toString();
    return this.#call(
      {
        method: 'GET',
        path: `/v2/crawl${qs ? `?${qs}` : ''}`,
        label: 'GET /v2/crawl',
        parse: (body, requestId) => parseList(body, params, requestId),
      },
      options,
    );
  }

  async #call<T>(call: Call<T>, options: RequestOptions): Promise<T> {
    const { signal, deadline, onRetry } = options;
    const timeoutMs = positive(options.timeoutMs ?? this.#timeoutMs, 'timeoutMs');
    const policy = this.#retry;
    if (signal?.aborted) throw aborted(call);
    if (!policy) return this.#attempt(call, signal, timeoutMs, deadline);
    // p-retry counts attempts and decides; we do the waiting in shouldRetry so that it honours server delays,
    // the deadline, the injected clock and sleep, and the caller's signal (p-retry's own delay is 0).
    return pRetry(() => this.#attempt(call, signal, timeoutMs, deadline), {
      retries: policy.retries,
      minTimeout: 0,
      factor: 1,
      shouldRetry: async ({ error, retriesConsumed }) => {
        if (!isTransient(error)) return false;
        const attempt = retriesConsumed + 1;
        const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
        const floor = Math.min(serverDelays.get(error) ?? 0, policy.maxServerDelayMs);
        // Full jitter; a server-requested delay is a floor that jitter only lengthens.
        const delayMs = Math.round(floor + this.#random() * ceiling);
        if (deadline !== undefined && this.#now() + delayMs >= deadline) return false;
        onRetry?.({ attempt, error, delayMs });
        try {
          await this.#sleep(delayMs, signal);
        } catch (sleepError) {
          if (signal?.aborted) throw aborted(call);
          throw sleepError;
        }
        if (signal?.aborted) throw aborted(call);
        return true;
      },
    });
  }

  async #attempt<T>(
    call: Call<T>,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    deadline?: number,
  ): Promise<T> {
    if (signal?.aborted) throw aborted(call);
    const timeLeft = () => (deadline === undefined ? Number.POSITIVE_INFINITY : deadline - this.#now());
    if (timeLeft() <= 0) throw noTimeLeft(call);
    let release = () => {};
    if (this.#limiter) {
      try {
        release = await this.#limiter.acquire(signal, timeLeft());
      } catch (error) {
        if (error instanceof LimiterTimeoutError) throw noTimeLeft(call);
        throw aborted(call);
      }
    }
    try {
      const budget = Math.min(timeoutMs, timeLeft());
      if (budget <= 0) throw noTimeLeft(call);
      return await this.#send(call, signal, budget);
    } finally {
      release();
    }
  }

  async #send<T>(call: Call<T>, signal: AbortSignal | undefined, budgetMs: number): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, budgetMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#userAgent,
      'x-api-key': this.#apiKey,
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    try {
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(`${this.baseUrl}${call.path}`, {
          method: call.method,
          headers,
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: controller.signal,
          // A redirect would carry x-api-key to wherever it points: refuse to follow.
          redirect: 'manual',
        });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw aborted(call);
        if (timedOut) {
          throw new NetworkError(
            `${call.label} timed out after ${formatDuration(budgetMs)} without an answer from ${this.baseUrl}; ` +
              'the API may be slow or unreachable: try again, or allow more time (timeoutMs)',
            { timedOut: true, cause: this.#safeCause(error) },
          );
        }
        const detail = this.#describeFailure(error);
        throw new NetworkError(
          `Could not reach the Catalog API at ${this.baseUrl} (${call.label}: ${detail}); ` +
            `check the network and ${ENV_BASE_URL}`,
          { cause: new Error(detail) },
        );
      }
      return this.#handle(call, response, text);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #handle<T>(call: Call<T>, response: Response, rawText: string): T {
    const status = response.status;
    const headerId = response.headers.get('request-id') ?? response.headers.get('x-request-id');
    const requestId = headerId ? clip(this.#redact(headerId), 200) : undefined;
    if (status >= 200 && status < 300) {
      let body: unknown;
      try {
        body = rawText.trim() === '' ? undefined : JSON.parse(rawText);
      } catch {
        throw this.#invalid(
          call,
          status,
          requestId,
          `${describeNonJson(this.#redact(rawText))} instead of JSON`,
        );
      }
      if (body === undefined && call.method !== 'DELETE') {
        throw this.#invalid(call, status, requestId, 'an empty body instead of JSON');
      }
      try {
        return call.parse(body, requestId);
      } catch (error) {
        const why = error instanceof ShapeError ? error.message : 'a body of an unexpected shape';
        throw this.#invalid(call, status, requestId, `an unexpected JSON body (${why})`);
      }
    }
    const text = this.#redact(rawText);
    const info = parseErrorBody(text);
    const id = requestId ?? (info.requestId ? clip(this.#redact(info.requestId), 200) : undefined);
    const serverMessage = info.message === undefined ? undefined : clip(this.#redact(info.message), 300);
    const code = info.code === undefined ? undefined : clip(this.#redact(info.code), 60);
    const error = this.#httpError(call, response, { id, serverMessage, code, nonJson: info.nonJson });
    const recovered = error instanceof ApiError ? call.recover?.(error, serverMessage) : undefined;
    if (recovered !== undefined) return recovered;
    throw error;
  }

  #httpError(
    call: Call<unknown>,
    response: Response,
    info: {
      id: string | undefined;
      serverMessage: string | undefined;
      code: string | undefined;
      nonJson?: string;
    },
  ): CatalogError {
    const status = response.status;
    const { id } = info;
    const said = info.serverMessage ?? (info.nonJson ? `the API sent ${info.nonJson}` : undefined);
    const what = `${call.label} failed with HTTP ${status}${info.code ? ` ${info.code}` : ''}${said ? `: ${said}` : ''}`;
    const quote = id ? ` (request id ${id}: quote it to support)` : '';
    const details = { status, requestId: id };
    if (status === 401) {
      return new AuthError(
        `${what}. Check ${ENV_API_KEY}: the key is missing, invalid or revoked${quote}`,
        info.code ?? 'UNAUTHORIZED',
        details,
      );
    }
    if (status === 403) {
      return new AuthError(
        `${what}. Check that ${ENV_API_KEY} is allowed to do this (and that auto top-up is on for starting crawls)${quote}`,
        info.code ?? 'FORBIDDEN',
        details,
      );
    }
    if (status === 402) {
      return new PaymentRequiredError(
        `${what}. The account has no credits: add credits or turn on auto top-up in the Catalog billing settings${quote}`,
        info.code ?? 'PAYMENT_REQUIRED',
        details,
      );
    }
    if (status === 404) {
      return new NotFoundError(
        `${what}. ${call.notFound ? `No ${call.notFound}` : 'Not found'} in the organisation of ${ENV_API_KEY}: check the execution id and the key${quote}`,
        info.code ?? 'NOT_FOUND',
        details,
      );
    }
    if (status === 400) {
      return new ValidationError(
        `${what}. Fix the request and try again${quote}`,
        info.code ?? 'INVALID_REQUEST',
        details,
      );
    }
    if (status === 409) {
      return new ConflictError(`${what}${quote}`, info.code ?? 'CONFLICT', details);
    }
    const serverDelay = this.#serverDelayMs(response);
    if (status === 429) {
      const wait = serverDelay === undefined ? '' : ` (the API asked to wait ${formatDuration(serverDelay)})`;
      const error = new RateLimitError(
        `${what}. Rate limited by the Catalog API${wait}: slow down or run fewer crawls at once${quote}`,
        { status, requestId: id, code: info.code ?? 'RATE_LIMITED', retryAfterMs: serverDelay },
      );
      if (serverDelay !== undefined) serverDelays.set(error, serverDelay);
      return error;
    }
    if (status >= 500 || status === 408) {
      const error = new ServerError(
        `${what}. The Catalog API had a problem: try again later; if it persists, ${id ? `quote request id ${id} to support` : 'contact support'}`,
        info.code ?? (status === 408 ? 'SERVER_TIMEOUT' : 'SERVER_ERROR'),
        details,
      );
      if (serverDelay !== undefined) serverDelays.set(error, serverDelay);
      return error;
    }
    if (status >= 300 && status < 400) {
      return new ApiError(
        `${call.label} was redirected (HTTP ${status}); the client does not follow redirects so the API key is not sent elsewhere: set ${ENV_BASE_URL} to the final address${quote}`,
        info.code ?? `HTTP_${status}`,
        details,
      );
    }
    return new ApiError(`${what}${quote}`, info.code ?? `HTTP_${status}`, details);
  }

  /** Retry-After (seconds or HTTP date) and RateLimit-Reset (ISO time, delta or epoch seconds): the larger. */
  #serverDelayMs(response: Response): number | undefined {
    const now = this.#now();
    const parse = (value: string | null): number | undefined => {
      if (!value) return undefined;
      const text = value.trim();
      if (/^\d+(\.\d+)?$/.test(text)) {
        const n = Number(text);
        // A value this large is an epoch timestamp in seconds, not a delta.
        return n > 1e9 ? Math.max(0, n * 1000 - now) : n * 1000;
      }
      const at = Date.parse(text);
      return Number.isNaN(at) ? undefined : Math.max(0, at - now);
    };
    const values = [
      parse(response.headers.get('retry-after')),
      parse(response.headers.get('ratelimit-reset')),
    ].filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : Math.round(Math.max(...values));
  }

  #invalid(
    call: Call<unknown>,
    status: number,
    requestId: string | undefined,
    what: string,
  ): InvalidResponseError {
    const quote = requestId ? ` (request id ${requestId}: quote it to support)` : ' (no request id)';
    return new InvalidResponseError(
      `${call.label} answered HTTP ${status} with ${what}; this is retried, and if it persists report it to Catalog support${quote}`,
      'INVALID_RESPONSE',
      { status, requestId },
    );
  }

  /** A short, redacted description of a fetch failure, including its cause's code (e.g. ECONNREFUSED). */
  #describeFailure(error: unknown): string {
    const parts: string[] = [];
    let current: unknown = error;
    for (let depth = 0; depth < 4 && current; depth++) {
      if (current instanceof Error || (typeof current === 'object' && current !== null)) {
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
    return clip(this.#redact(parts.join(': ') || 'unknown network error'), 300);
  }

  /**
   * The cause attached to our errors is a fresh Error holding only a redacted description: the original may
   * reference the request (its headers carry the key), so it is never attached.
   */
  #safeCause(error: unknown): Error {
    return new Error(this.#describeFailure(error));
  }
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof ServerError ||
    error instanceof RateLimitError ||
    error instanceof InvalidResponseError
  );
}

function aborted(call: Call<unknown>): AbortedError {
  return new AbortedError(`${call.label} was aborted by the caller`);
}

/** Code of the NetworkError for a request never sent because the deadline came first (e.g. in the limiter). */
export const NOT_SENT = 'NOT_SENT';

function noTimeLeft(call: Call<unknown>): NetworkError {
  return new NetworkError(`${call.label} was not sent: no time left before the deadline`, {
    timedOut: true,
    code: NOT_SENT,
  });
}

function positive(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(field, `${field} must be a positive number of milliseconds`);
  }
  return value;
}

function nonNegative(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(field, `${field} must be a number of milliseconds >= 0`);
  }
  return value;
}

function wholeNumber(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidInputError(
      field,
      `${field} must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return value;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
