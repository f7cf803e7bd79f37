import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createClock } from './clock.js';
import {
  CrawlStore,
  crawlState,
  DEFAULT_READINGS,
  isActive,
  normaliseHost,
  plannedDuration,
} from './crawls.js';
import { type FaultDecision, Faults } from './faults.js';
import { type IndexEntry, inAffiliateNetwork, VendorIndex } from './results.js';
import type { Emulator, EmulatorOptions, FaultKind, RequestRecord } from './types.js';

export const DEFAULT_API_KEY = 'catalog-emulator-key';
export const DEFAULT_RATE_LIMIT = { requests: 50, windowMs: 4_000 };

const MAX_BODY_BYTES = 1_000_000;
/** emulator.requests keeps the most recent records only, so a long-running bin does not grow forever. */
const MAX_RECORDS = 100_000;
const LIST_STATUSES = ['processing', 'completed', 'failed'] as const;
const RESULTS_RE = /^\/v2\/(vendors|collections|listings)\/?$/;
const DAY_MS = 86_400_000;
/** VendorIndex objects kept between pages (each holds its collections). */
const INDEX_CACHE = 32;

function oneOf<T>(name: string, value: T | undefined, allowed: readonly T[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
}

/** Checks the options that choose a reading of the API; throws RangeError naming the bad one. */
function validateReadings(options: EmulatorOptions): void {
  oneOf('cancelRefusal', options.cancelRefusal, [409, 400]);
  oneOf('cancelledStatus', options.cancelledStatus, ['failed', 'canceled', 'cancelled']);
  oneOf('totals', options.totals, ['meta.result', 'total_listings_found', 'meta.total_listings_found']);
  oneOf('listActiveStatus', options.listActiveStatus, ['native', 'processing']);
  oneOf('resultsMethods', options.resultsMethods, ['both', 'get', 'post', 'post-404']);
  oneOf('resultsEnvelope', options.resultsEnvelope, ['v2', 'v1']);
  oneOf('resultsRepeatLastPage', options.resultsRepeatLastPage, [false, 'has-next', 'endless']);
  oneOf('unknownVendor', options.unknownVendor, ['404', 'empty']);
  for (const [name, text] of Object.entries(options.cancelRefusalMessages ?? {})) {
    if (text !== undefined && (typeof text !== 'string' || text.trim() === '')) {
      throw new RangeError(`cancelRefusalMessages.${name} must be a non-empty string`);
    }
  }
  for (const host of options.indexedVendors ?? []) {
    if (typeof host !== 'string' || normaliseHost(host) === undefined) {
      throw new RangeError('indexedVendors must hold hostnames like skims.com');
    }
  }
}

type ResultsKind = 'vendors' | 'collections' | 'listings';

/** The fields of a results request, from the query string (GET) or the JSON body (POST). */
interface ResultsFields {
  vendor: unknown;
  page: unknown;
  page_size: unknown;
  collection_urls: string[] | undefined;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  org?: string;
}

function envelope(
  status: number,
  code: string,
  message: string,
  requestId: string,
  extra: Record<string, unknown> = {},
): Reply {
  return { status, body: { error: { code, message, request_id: requestId }, ...extra } };
}

/** Sliding-window log of request times per client address (wall-clock time). */
class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly requests: number,
    readonly windowMs: number,
  ) {}

  take(address: string, now: number) {
    const list = (this.hits.get(address) ?? []).filter((at) => at > now - this.windowMs);
    this.hits.set(address, list);
    const ok = list.length < this.requests;
    if (ok) list.push(now);
    const resetAt = (list[0] ?? now) + this.windowMs;
    return {
      ok,
      remaining: Math.max(0, this.requests - list.length),
      resetAt,
      retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)),
    };
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function htmlPage(requestId: string): string {
  return `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n<!-- request ${requestId} -->\r\n</body>\r\n</html>\r\n`;
}

function redactQuery(search: string): string {
  if (search === '') return '';
  const params = new URLSearchParams(search);
  for (const name of [...params.keys()]) {
    if (/key|token|secret|auth/i.test(name)) params.set(name, '***');
  }
  return `?${params.toString()}`;
}

function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  const direct = (Array.isArray(header) ? header[0] : header)?.trim();
  if (direct) return direct;
  const bearer = /^Bearer\s+(\S.*)$/i.exec(req.headers.authorization?.trim() ?? '');
  return bearer?.[1]?.trim();
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = options.seed ?? 0;
  validateReadings(options);
  const clock = createClock({ speed: options.speed ?? 1, manual: options.manualClock ?? false });
  const store = new CrawlStore(clock, seed, {
    cancelledStatus: options.cancelledStatus ?? DEFAULT_READINGS.cancelledStatus,
    totals: options.totals ?? DEFAULT_READINGS.totals,
    listActiveStatus: options.listActiveStatus ?? DEFAULT_READINGS.listActiveStatus,
    pendingNullDates: options.pendingNullDates ?? DEFAULT_READINGS.pendingNullDates,
  });
  const cancelRefusal = options.cancelRefusal ?? 409;
  const resultsMethods = options.resultsMethods ?? 'both';
  const resultsEnvelope = options.resultsEnvelope ?? 'v2';
  const repeatLastPage = options.resultsRepeatLastPage ?? false;
  const unknownVendor = options.unknownVendor ?? '404';
  const indexed = indexedEntries(options.indexedVendors ?? [], clock.now());
  const indexCache = new Map<string, VendorIndex>();
  const apiKeys = options.apiKeys ?? [{ key: DEFAULT_API_KEY, org: 'default' }];
  if (apiKeys.length === 0) throw new RangeError('apiKeys must hold at least one key');
  const keys = new Map(apiKeys.map(({ key, org }) => [key, org]));
  const rate = options.rateLimit === false ? undefined : (options.rateLimit ?? DEFAULT_RATE_LIMIT);
  if (rate && !(Number.isInteger(rate.requests) && rate.requests > 0 && rate.windowMs > 0)) {
    throw new RangeError('rateLimit needs requests (integer > 0) and windowMs (> 0)');
  }
  const limiter = rate ? new RateLimiter(rate.requests, rate.windowMs) : undefined;
  const faults = new Faults(options.faults, seed);
  const requests: RequestRecord[] = [];
  const sockets = new Set<Socket>();
  const waits = new Set<() => void>();
  let closing: Promise<void> | undefined;

  /** Waits ms of real time; resolves false at once when the emulator closes. */
  function delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        waits.delete(stop);
        resolve(value);
      };
      const stop = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      waits.add(stop);
    });
  }

  function route(
    method: string,
    url: URL,
    body: string | undefined,
    req: IncomingMessage,
    requestId: string,
  ): Reply {
    const path = url.pathname;
    const isCollection = path === '/v2/crawl' || path === '/v2/crawl/';
    const itemMatch = /^\/v2\/crawl\/([^/]+)\/?$/.exec(path);
    const resultsMatch = RESULTS_RE.exec(path);
    // 'post-404': a POST-only server that knows no GET route at all (so GET looks like an unknown vendor).
    const unrouted = resultsMatch && resultsMethods === 'post-404' && method !== 'POST';
    if ((!isCollection && !itemMatch && !resultsMatch) || unrouted) {
      return envelope(404, 'NOT_FOUND', `No route for ${method} ${path}`, requestId);
    }
    const allowed = resultsMatch
      ? resultsMethods === 'both'
        ? ['GET', 'POST']
        : resultsMethods === 'get'
          ? ['GET']
          : ['POST']
      : isCollection
        ? ['GET', 'POST']
        : ['GET', 'DELETE'];
    if (!allowed.includes(method)) {
      const reply = envelope(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, requestId);
      reply.headers = { Allow: allowed.join(', ') };
      return reply;
    }
    const key = apiKeyOf(req);
    if (!key) {
      return {
        status: 401,
        body: { error: 'API key required (x-api-key header or Authorization: Bearer)', status: 401 },
      };
    }
    const org = keys.get(key);
    if (org === undefined) return { status: 401, body: { error: 'Invalid API key', status: 401 } };
    const reply = resultsMatch
      ? results(resultsMatch[1] as ResultsKind, method, url.searchParams, body, requestId)
      : itemMatch
        ? item(method, itemMatch[1]!, org, requestId)
        : method === 'POST'
          ? startCrawl(body, org, requestId)
          : listCrawls(url.searchParams, org, requestId);
    reply.org = org;
    return reply;
  }

  function startCrawl(body: string | undefined, org: string, requestId: string): Reply {
    if (body === undefined) return envelope(400, 'INVALID_REQUEST', 'Request body is too large', requestId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return envelope(
        400,
        'INVALID_REQUEST',
        'Request body must be JSON like {"url": "skims.com"}',
        requestId,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return envelope(
        400,
        'INVALID_REQUEST',
        'Request body must be a JSON object like {"url": "skims.com"}',
        requestId,
      );
    }
    const value = (parsed as { url?: unknown }).url;
    if (value === undefined || value === null || value === '') {
      return envelope(400, 'VALIDATION_ERROR', 'url is required: a website URL or a bare domain', requestId, {
        invalid_urls: [],
      });
    }
    const host = typeof value === 'string' ? normaliseHost(value) : undefined;
    if (!host) {
      return envelope(
        400,
        'VALIDATION_ERROR',
        'url must be a website URL or a bare domain, e.g. skims.com',
        requestId,
        { invalid_urls: [typeof value === 'string' ? value : JSON.stringify(value)] },
      );
    }
    if (store.plan(host).noCredits) {
      return envelope(
        402,
        'INSUFFICIENT_CREDITS',
        'Insufficient credits: enable auto top-up in your billing settings to start crawls',
        requestId,
      );
    }
    const { crawl } = store.start(org, host);
    return {
      status: 202,
      body: {
        execution_id: crawl.id,
        status: crawlState(crawl, clock.now()).status,
        meta: { credits_used: 0 },
      },
    };
  }

  function listCrawls(params: URLSearchParams, org: string, requestId: string): Reply {
    const status = params.get('status');
    if (status !== null && !(LIST_STATUSES as readonly string[]).includes(status)) {
      return envelope(400, 'INVALID_REQUEST', `status must be one of ${LIST_STATUSES.join(', ')}`, requestId);
    }
    const integer = (name: string, fallback: number, max: number) => {
      const text = params.get(name);
      if (text === null) return fallback;
      const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
      return n >= 1 && n <= max ? n : undefined;
    };
    const page = integer('page', 1, Number.MAX_SAFE_INTEGER);
    if (page === undefined)
      return envelope(400, 'INVALID_REQUEST', 'page must be an integer >= 1', requestId);
    const pageSize = integer('page_size', 20, 100);
    if (pageSize === undefined) {
      return envelope(400, 'INVALID_REQUEST', 'page_size must be an integer from 1 to 100', requestId);
    }
    const now = clock.now();
    const rows = store
      .list(org)
      .map((crawl) => ({ crawl, status: crawlState(crawl, now).status }))
      .filter(
        (row) =>
          status === null ||
          (status === 'processing' ? isActive(row.status) : row.status === (status as string)),
      );
    const totalPages = Math.ceil(rows.length / pageSize);
    const data = rows
      .slice((page - 1) * pageSize, page * pageSize)
      .map((row) => store.listItem(row.crawl, crawlState(row.crawl, now)));
    return {
      status: 200,
      body: {
        data,
        pagination: {
          page,
          page_size: pageSize,
          total_items: rows.length,
          total_pages: totalPages,
          has_next: page < totalPages,
          has_prev: page > 1,
        },
        meta: {},
      },
    };
  }

  function item(method: string, rawId: string, org: string, requestId: string): Reply {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      id = rawId;
    }
    const crawl = store.get(org, id);
    if (!crawl) return envelope(404, 'NOT_FOUND', `Crawl execution not found: ${id}`, requestId);
    if (method === 'GET') return { status: 200, body: store.view(crawl) };
    const outcome = store.cancel(crawl);
    if (outcome !== 'cancelled') {
      // As documented, only a running crawl can be cancelled; the refusal's status and wording are not
      // documented, so both are options (and the default wordings of the two cases differ).
      const state = crawlState(crawl, clock.now());
      const message =
        outcome === 'pending'
          ? (options.cancelRefusalMessages?.pending ??
            `Crawl ${crawl.id} is pending: only running crawls can be cancelled; try again once it has started`)
          : (options.cancelRefusalMessages?.finished ??
            `Crawl ${crawl.id} has already ${state.status === 'completed' ? 'completed' : 'failed'} and cannot be cancelled`);
      return envelope(
        cancelRefusal,
        cancelRefusal === 409 ? 'CONFLICT' : 'INVALID_REQUEST',
        message,
        requestId,
      );
    }
    return {
      status: 200,
      body: {
        status: 'canceled',
        execution_id: crawl.id,
        stop_date: new Date(crawl.cancelledAt!).toISOString(),
      },
    };
  }

  /** Vendors indexed from the start: as if their crawl had completed a day before the emulator started. */
  function indexedEntries(hosts: string[], now: number): Map<string, IndexEntry> {
    const entries = new Map<string, IndexEntry>();
    for (const text of hosts) {
      const host = normaliseHost(text)!;
      const plan = store.plan(host);
      const stop = now - DAY_MS;
      const length = Number.isFinite(plan.durationMs) ? plan.durationMs : 3_600_000;
      entries.set(host, {
        host,
        collectionsTotal: plan.collectionsTotal,
        listingsTotal: plan.listingsTotal,
        start: stop - length,
        stop,
        hostile: plan.hostile,
      });
    }
    return entries;
  }

  /** The shared index now: the seeded vendors, then each host's latest completed crawl. */
  function indexNow(): Map<string, IndexEntry> {
    const entries = new Map(indexed);
    for (const [host, { crawl, start, stop }] of store.completedByHost()) {
      const { collectionsTotal, listingsTotal, hostile } = crawl.plan;
      entries.set(host, { host, collectionsTotal, listingsTotal, start, stop, hostile });
    }
    return entries;
  }

  function vendorIndex(entry: IndexEntry): VendorIndex {
    const key = `${entry.host}\u0000${entry.start}\u0000${entry.stop}`;
    let found = indexCache.get(key);
    if (!found) {
      found = new VendorIndex(seed, entry);
      indexCache.set(key, found);
      if (indexCache.size > INDEX_CACHE) indexCache.delete(indexCache.keys().next().value!);
    }
    return found;
  }

  /** An error of the results endpoints: the envelope, or v1's flat {error, details}. */
  function resultsError(status: number, code: string, message: string, requestId: string): Reply {
    if (resultsEnvelope === 'v2') return envelope(status, code, message, requestId);
    const titles: Record<string, string> = {
      INVALID_REQUEST: 'Invalid request',
      VALIDATION_ERROR: 'Validation error',
      NOT_FOUND: 'Not found',
    };
    return { status, body: { error: titles[code] ?? code, details: message } };
  }

  function results(
    kind: ResultsKind,
    method: string,
    query: URLSearchParams,
    body: string | undefined,
    requestId: string,
  ): Reply {
    const fail = (status: number, code: string, message: string) =>
      resultsError(status, code, message, requestId);
    let fields: ResultsFields;
    if (method === 'GET') {
      const urls = [...query.getAll('collection_urls'), ...query.getAll('collection_urls[]')];
      fields = {
        vendor: query.get('vendor') ?? undefined,
        page: query.get('page') ?? undefined,
        page_size: query.get('page_size') ?? undefined,
        // A repeated parameter or a comma-separated list (or both); an empty value is ignored.
        collection_urls: urls.length === 0 ? undefined : urls.flatMap((v) => v.split(',')),
      };
    } else {
      if (body === undefined) return fail(400, 'INVALID_REQUEST', 'Request body is too large');
      let parsed: unknown = {};
      if (body.trim() !== '') {
        try {
          parsed = JSON.parse(body);
        } catch {
          return fail(400, 'INVALID_REQUEST', 'Request body must be JSON like {"vendor": "skims.com"}');
        }
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return fail(
          400,
          'INVALID_REQUEST',
          'Request body must be a JSON object like {"vendor": "skims.com"}',
        );
      }
      const object = parsed as Record<string, unknown>;
      const urls = object.collection_urls;
      if (
        urls !== undefined &&
        typeof urls !== 'string' &&
        !(Array.isArray(urls) && urls.every((u) => typeof u === 'string'))
      ) {
        return fail(400, 'VALIDATION_ERROR', 'collection_urls must be an array of collection page URLs');
      }
      fields = {
        vendor: object.vendor,
        page: object.page,
        page_size: object.page_size,
        collection_urls:
          urls === undefined ? undefined : typeof urls === 'string' ? urls.split(',') : (urls as string[]),
      };
    }

    let host: string | undefined;
    if (kind !== 'vendors') {
      const vendor = fields.vendor;
      if (vendor === undefined || vendor === null || vendor === '') {
        return fail(
          400,
          'INVALID_REQUEST',
          'vendor is required: the hostname of a crawled vendor, e.g. skims.com',
        );
      }
      host =
        typeof vendor === 'string' && /^[A-Za-z0-9.-]+$/.test(vendor.trim())
          ? normaliseHost(vendor)
          : undefined;
      if (!host) {
        return fail(
          400,
          'VALIDATION_ERROR',
          'vendor must be a hostname like skims.com (no scheme, path or spaces)',
        );
      }
    }
    const integer = (value: unknown, fallback: number, max: number): number | undefined => {
      if (value === undefined) return fallback;
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^\d{1,9}$/.test(value)
            ? Number(value)
            : NaN;
      return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
    };
    const page = integer(fields.page, 1, 1_000_000_000);
    if (page === undefined) return fail(400, 'VALIDATION_ERROR', 'page must be an integer >= 1');
    // v1's listings default was 10; everything else defaults to 20.
    const defaultSize = resultsEnvelope === 'v1' && kind === 'listings' ? 10 : 20;
    const pageSize = integer(fields.page_size, defaultSize, 100);
    if (pageSize === undefined)
      return fail(400, 'VALIDATION_ERROR', 'page_size must be an integer from 1 to 100');
    let collectionUrls: string[] | undefined;
    if (kind === 'listings' && fields.collection_urls !== undefined) {
      collectionUrls = fields.collection_urls.map((u) => u.trim()).filter((u) => u !== '');
      const bad = collectionUrls.find((u) => !/^https?:\/\/[^\s/]+/i.test(u) || !URL.canParse(u));
      if (bad !== undefined) {
        return fail(
          400,
          'VALIDATION_ERROR',
          'collection_urls must be collection page URLs like https://skims.com/collections/bras',
        );
      }
      if (collectionUrls.length === 0) collectionUrls = undefined;
    }

    const index = indexNow();
    if (kind === 'vendors') {
      const vendors = [...index.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
      return paged('vendors', vendors.length, page, pageSize, (offset, count) =>
        vendors.slice(offset, offset + count).map((entry) => {
          const updated = new Date(entry.stop).toISOString();
          const affiliate = inAffiliateNetwork(seed, entry.host);
          return resultsEnvelope === 'v2'
            ? {
                vendor: entry.host,
                last_updated_by_catalog: updated,
                listings_count: entry.listingsTotal,
                collections_count: entry.collectionsTotal,
                in_affiliate_network: affiliate,
              }
            : {
                vendor: entry.host,
                latest_product_update_by_catalog: updated,
                product_count: entry.listingsTotal,
                collections_count: entry.collectionsTotal,
                in_affiliate_network: affiliate,
              };
        }),
      );
    }
    const entry = index.get(host!);
    if (!entry) {
      if (unknownVendor === '404') return fail(404, 'NOT_FOUND', `Nothing is indexed for vendor ${host}`);
      return paged(kind, 0, page, pageSize, () => []);
    }
    const vendor = vendorIndex(entry);
    if (kind === 'collections') {
      return paged('collections', vendor.collections.length, page, pageSize, (offset, count) =>
        vendor.collections.slice(offset, offset + count).map((c) => c.item),
      );
    }
    const ranges = vendor.rangesOf(collectionUrls);
    const total = ranges.reduce((sum, [a, b]) => sum + (b - a), 0);
    return paged('listings', total, page, pageSize, (offset, count) =>
      vendor.listings(ranges, offset, count),
    );
  }

  /** One page in the chosen envelope; with resultsRepeatLastPage, a broken server that never ends. */
  function paged(
    kind: ResultsKind,
    total: number,
    page: number,
    pageSize: number,
    items: (offset: number, count: number) => unknown[],
  ): Reply {
    const totalPages = Math.ceil(total / pageSize);
    const shown = repeatLastPage && totalPages > 0 && page > totalPages ? totalPages : page;
    const data = shown > totalPages ? [] : items((shown - 1) * pageSize, pageSize);
    const claimedPages = repeatLastPage === 'endless' ? Math.max(totalPages, page + 1) : totalPages;
    if (resultsEnvelope === 'v1') {
      return {
        status: 200,
        body: {
          [kind]: data,
          meta: { total_items: total, total_pages: claimedPages, current_page: page, page_size: pageSize },
        },
      };
    }
    return {
      status: 200,
      body: {
        data,
        pagination: {
          page,
          page_size: pageSize,
          total_items: total,
          total_pages: claimedPages,
          has_next: repeatLastPage ? true : page < totalPages,
          has_prev: page > 1,
        },
        meta: {},
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const requestId = `req_${randomBytes(8).toString('hex')}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const record: RequestRecord = { method, path: url.pathname, query: url.search, status: 0, at, requestId };
    const finish = (status: number, fault?: FaultKind, org?: string) => {
      record.status = status;
      if (fault) record.fault = fault;
      if (org) record.org = org;
      requests.push(record);
      if (requests.length > MAX_RECORDS) requests.splice(0, requests.length - MAX_RECORDS);
      options.log?.(
        `${new Date(at).toISOString()} ${method} ${url.pathname}${redactQuery(url.search)} ${status || 'reset'} ${Date.now() - at}ms org=${org ?? '-'} ${requestId}${fault ? ` fault=${fault}` : ''}`,
      );
    };
    const send = (reply: Reply, fault?: FaultDecision) => {
      if (res.destroyed || res.headersSent) return;
      let text = JSON.stringify(reply.body);
      let type = 'application/json; charset=utf-8';
      if (fault?.kind === 'truncated_json') text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      if (fault?.kind === 'invalid_json')
        text = `Upstream error ${requestId}: unexpected response from origin`;
      if (fault?.kind === 'html_error') {
        text = htmlPage(requestId);
        type = 'text/html';
      }
      res.writeHead(reply.status, {
        ...reply.headers,
        'Content-Type': type,
        'Content-Length': String(Buffer.byteLength(text)),
      });
      res.end(text);
      finish(reply.status, fault?.kind, reply.org);
    };

    res.setHeader('Request-ID', requestId);
    const body = await readBody(req);
    if (limiter) {
      const verdict = limiter.take(req.socket.remoteAddress ?? 'unknown', Date.now());
      res.setHeader('RateLimit-Limit', String(limiter.requests));
      res.setHeader('RateLimit-Remaining', String(verdict.remaining));
      res.setHeader('RateLimit-Reset', new Date(verdict.resetAt).toISOString());
      if (!verdict.ok) {
        const seconds = verdict.retryAfterSeconds;
        return send({
          status: 429,
          body: { error: `Rate limit exceeded: retry after ${seconds} s`, status: 429, retry_after: seconds },
          headers: { 'Retry-After': String(seconds) },
        });
      }
    }
    const fault = faults.decide(method, url.pathname);
    switch (fault?.kind) {
      case 'reset':
        req.socket.destroy();
        return finish(0, 'reset');
      case 'server_error': {
        const codes: Record<number, string> = { 502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE' };
        return send(
          envelope(fault.status, codes[fault.status] ?? 'INTERNAL_ERROR', 'Internal server error', requestId),
          fault,
        );
      }
      case 'html_error':
        return send({ status: 502, body: '' }, fault);
      case 'rate_limit':
        return send(
          {
            status: 429,
            body: { error: 'Too many requests', status: 429, retry_after: fault.retryAfterSeconds },
            headers: { 'Retry-After': String(fault.retryAfterSeconds) },
          },
          fault,
        );
      case 'slow':
        if (!(await delay(fault.slowMs))) return;
        break;
    }
    send(route(method, url, body, req, requestId), fault);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log?.(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }));
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const hostForUrl = family === 'IPv6' ? `[${address}]` : address;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    clock,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const stop of [...waits]) stop();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
    setFaults: (config) => faults.set(config),
    injectFault: (kind, match) => faults.inject(kind, match),
    plannedDurationMs(urlOrHost: string) {
      const host = normaliseHost(urlOrHost);
      if (!host) throw new RangeError(`not a website URL or domain: ${urlOrHost}`);
      return plannedDuration(store.plan(host));
    },
  };
}
