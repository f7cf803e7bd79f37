import { type Clock, toClock } from './clock.js';
import { validateApiKey, validateBaseUrl } from './config.js';
import { isTerminalStatus, validateCrawlUrl, validateExecutionId } from './crawl.js';
import { DEFAULT_BASE_URL } from './env.js';
import { ApiError, InvalidInputError } from './errors.js';
import { parseCancel, parseCrawl, parseList, parseStarted } from './parse.js';
import { createTransport, proxySecrets } from './proxy.js';
import { SlidingWindowLimiter } from './ratelimit.js';
import { createRedactor } from './redact.js';
import { NOT_SENT, Requester, type RequestSpec } from './request.js';
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

export { NOT_SENT, VERSION };
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRY = {
  retries: 4,
  minDelayMs: 500,
  maxDelayMs: 10_000,
  maxServerDelayMs: 60_000,
} as const;
export const DEFAULT_RATE_LIMIT = { requests: 50, windowMs: 4_000 } as const;
/** Default cap of requests in flight: the window's own limit, but never more than this. */
export const MAX_IN_FLIGHT = 64;

/** A 4xx that refuses the request itself (not auth, not found, not a timeout or rate limit). */
export function isRefusal(error: unknown): error is ApiError {
  const status = error instanceof ApiError ? error.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && ![401, 403, 404, 408, 429].includes(status);
}

let requesterOf: (client: CatalogClient) => Requester;
let clockOfClient: (client: CatalogClient) => Clock;

export class CatalogClient {
  readonly baseUrl: string;
  readonly #requester: Requester;
  readonly #clock: Clock;

  static {
    requesterOf = (client) => client.#requester;
    clockOfClient = (client) => client.#clock;
  }

  constructor(options: CatalogClientOptions) {
    const apiKey = validateApiKey(options?.apiKey, 'the API key');
    this.baseUrl = validateBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, 'the base URL');
    let retry: ConstructorParameters<typeof Requester>[0]['retry'] = false;
    if (options.retry !== false) {
      const r = { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) };
      if (!Number.isInteger(r.retries) || r.retries < 0) {
        throw new InvalidInputError('retry.retries', 'retry.retries must be a whole number >= 0');
      }
      retry = {
        retries: r.retries,
        minDelayMs: nonNegative(r.minDelayMs, 'retry.minDelayMs'),
        maxDelayMs: nonNegative(r.maxDelayMs, 'retry.maxDelayMs'),
        maxServerDelayMs: nonNegative(r.maxServerDelayMs, 'retry.maxServerDelayMs'),
      };
    }
    const clock = toClock(options.clock);
    this.#clock = clock;
    let limiter: SlidingWindowLimiter | undefined;
    if (options.rateLimit !== false) {
      const l = { ...DEFAULT_RATE_LIMIT, ...stripUndefined(options.rateLimit ?? {}) };
      if (!Number.isInteger(l.requests) || l.requests < 1) {
        throw new InvalidInputError('rateLimit.requests', 'rateLimit.requests must be a whole number >= 1');
      }
      const maxInFlight = options.rateLimit?.maxInFlight ?? Math.min(l.requests, MAX_IN_FLIGHT);
      if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
        throw new InvalidInputError(
          'rateLimit.maxInFlight',
          'rateLimit.maxInFlight must be a whole number >= 1',
        );
      }
      limiter = new SlidingWindowLimiter(
        l.requests,
        positive(l.windowMs, 'rateLimit.windowMs'),
        clock,
        maxInFlight,
      );
    }
    this.#requester = new Requester({
      apiKey,
      baseUrl: this.baseUrl,
      fetch: options.fetch ?? createTransport(),
      timeoutMs: positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs'),
      retry,
      limiter,
      userAgent: options.userAgent ?? `catalog-crawl/${VERSION}`,
      redact: createRedactor([apiKey, ...proxySecrets()]),
      clock,
    });
  }

  // startCrawl and getCrawl are not async functions: thousands of them queue behind the limiter at once, and
  // each would hold a suspended frame there. Bad input still rejects, never throws.

  /** POST /v2/crawl. Idempotent per hostname on the API side, so it is retried like the other calls. */
  startCrawl(params: { url: string }, options: RequestOptions = {}): Promise<StartedCrawl> {
    let url: string;
    try {
      url = validateCrawlUrl(params?.url);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#requester.request(
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
  getCrawl(executionId: string, options: RequestOptions = {}): Promise<Crawl> {
    let id: string;
    try {
      id = validateExecutionId(executionId);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#requester.request(
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

  /**
   * DELETE /v2/crawl/{id}. The API cancels only a running crawl; any other answer in 4xx except 401, 403,
   * 404, 408 and 429 is read as a refusal, and the refusal's wording is never read: the crawl is read instead.
   * Pending gives `not_running_yet`, finished (completed, failed, canceled) gives `already_finished`, and
   * running, or a status this package does not know, rethrows the refusal as the typed error it was (with its
   * request id).
   */
  async cancelCrawl(executionId: string, options: RequestOptions = {}): Promise<CancelResult> {
    const id = validateExecutionId(executionId);
    try {
      return await this.#requester.request(
        {
          method: 'DELETE',
          path: `/v2/crawl/${encodeURIComponent(id)}`,
          label: 'DELETE /v2/crawl/{id}',
          parse: (body, requestId) => parseCancel(body, id, requestId),
          notFound: `crawl ${id}`,
        },
        options,
      );
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const crawl = await this.getCrawl(id, options);
      const outcome =
        crawl.status === 'pending'
          ? 'not_running_yet'
          : isTerminalStatus(crawl.status)
            ? 'already_finished'
            : undefined;
      if (!outcome) throw error;
      const result: CancelResult = {
        executionId: id,
        outcome,
        stopDate: crawl.stopDate ?? null,
        status: crawl.status,
        requestId: error.requestId,
        raw: crawl.raw,
      };
      if (error.serverMessage !== undefined) result.message = error.serverMessage;
      return result;
    }
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
    return this.#requester.request(
      {
        method: 'GET',
        path: `/v2/crawl${qs ? `?${qs}` : ''}`,
        label: 'GET /v2/crawl',
        parse: (body, requestId) => parseList(body, params, requestId),
      },
      options,
    );
  }
}

/**
 * Package-internal entry point for other core modules (results pages, exporters): sends `spec` through the
 * client's rate limiter, retry policy, timeouts and error mapping, exactly as the client's own methods do.
 * `spec.path` includes the query string (already encoded); `options` takes `signal`, `deadline`, `timeoutMs`
 * and `onRetry`. Failures are the same typed errors (`NotFoundError` names `spec.notFound`; any other status,
 * e.g. 405, is an `ApiError` carrying `status`). Not exported from the package's index.
 */
export function sendRequest<T>(
  client: CatalogClient,
  spec: RequestSpec<T>,
  options: RequestOptions = {},
): Promise<T> {
  return requesterOf(client).request(spec, options);
}

export type { RequestSpec };

/** The clock a client was built with: the waiter's default, so one simulated clock drives both. */
export function clientClock(client: CatalogClient): Clock {
  return clockOfClient(client);
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
