import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  AuthError,
  CatalogClient,
  type CatalogClientOptions,
  CrawlNotCompletedError,
  crawlResults,
  InvalidInputError,
  InvalidResponseError,
  listCollections,
  listListings,
  listVendors,
  NEW_SINCE_START_NOTE,
  NetworkError,
  parseResultsTarget,
  type Results,
  rememberedMethod,
  systemClock,
  UPDATED_SINCE_START_NOTE,
  ValidationError,
  validateVendor,
} from '../src/index.js';
import { json, startServer } from './helpers.js';

const BASE = 'http://catalog.test';
const KEY = 'results-canary-key-7f3a9c';
const VENDOR = 'skims.com';

/**
 * Retry delays pass at once (recorded by `sleep` when given). A sleep with a signal is a request's own
 * timeout racing its answer: it runs on real time, since nock answers on real time.
 */
function makeClient(extra: Partial<CatalogClientOptions> & { sleep?: (ms: number) => void } = {}) {
  const retries: number[] = [];
  const { sleep, ...rest } = extra;
  const client = new CatalogClient({
    apiKey: KEY,
    baseUrl: BASE,
    rateLimit: false,
    clock: {
      random: () => 0,
      sleep: async (ms, signal) => {
        if (signal) return systemClock.sleep(ms, signal);
        sleep?.(ms);
      },
    },
    ...rest,
  });
  return { client, retries };
}

const listing = (n: number, extra: Record<string, unknown> = {}) => ({
  id: `l${n}`,
  url: `https://${VENDOR}/products/${n}`,
  name: `Product ${n}`,
  ...extra,
});

function v2(page: number, of: number, total: number, items: unknown[]) {
  return {
    data: items,
    pagination: {
      page,
      page_size: 100,
      total_items: total,
      total_pages: of,
      has_next: page < of,
      has_prev: page > 1,
    },
    meta: {},
  };
}

const pageItems = (page: number, total: number) =>
  Array.from({ length: Math.max(0, Math.min(100, total - (page - 1) * 100)) }, (_, i) =>
    listing((page - 1) * 100 + i),
  );

async function all<T>(results: Results<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of results) out.push(item);
  return out;
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe('through the client: GET, query, headers', () => {
  it('reads every page with GET, x-api-key and page_size=100', async () => {
    const scope = nock(BASE, { reqheaders: { 'x-api-key': KEY } });
    for (const page of [1, 2, 3]) {
      scope
        .get('/v2/listings')
        .query({ vendor: VENDOR, page: String(page), page_size: '100' })
        .reply(200, v2(page, 3, 250, pageItems(page, 250)), { 'Request-ID': `req_${page}` });
    }
    const { client } = makeClient();
    const results = listListings(client, ' Skims.COM ');
    const pages = [];
    for await (const page of results.pages()) pages.push(page);
    expect(pages.flatMap((p) => p.items)).toHaveLength(250);
    expect(pages.map((p) => p.requestId)).toEqual(['req_1', 'req_2', 'req_3']);
    expect(rememberedMethod(client, 'listings')).toBe('GET');
    expect(results.what).toBe('listings of skims.com');
  });

  it('v1 envelope (collection_products + meta) over HTTP', async () => {
    nock(BASE)
      .get('/v2/listings')
      .query(true)
      .reply(200, {
        collection_products: [listing(1), listing(2)],
        meta: { total_items: 2, total_pages: 1, current_page: 1, page_size: 10 },
      });
    const { client } = makeClient();
    expect((await all(listListings(client, VENDOR))).map((l) => l.id)).toEqual(['l1', 'l2']);
  });

  it('collections and vendors', async () => {
    nock(BASE)
      .get('/v2/collections')
      .query({ vendor: VENDOR, page: '1', page_size: '100' })
      .reply(200, {
        collections: [{ id: 'c1', url: `https://${VENDOR}/collections/bras`, products_total: 40 }],
      })
      .get('/v2/vendors')
      .query({ page: '1', page_size: '100' })
      .reply(200, v2(1, 1, 1, [{ vendor: VENDOR, product_count: 11507 }]));
    const { client } = makeClient();
    expect(await all(listCollections(client, VENDOR))).toMatchObject([{ id: 'c1', productsTotal: 40 }]);
    expect(await all(listVendors(client))).toMatchObject([{ vendor: VENDOR, listingsCount: 11507 }]);
  });
});

describe('through the client: method fallback, nothing indexed', () => {
  it('GET 405 → POST with a JSON body, remembered for the next read of this client', async () => {
    nock(BASE)
      .get('/v2/listings')
      .query(true)
      .reply(405, { error: 'Method Not Allowed' })
      .post('/v2/listings', { vendor: VENDOR, page: 1, page_size: 100 })
      .reply(200, v2(1, 2, 150, pageItems(1, 150)))
      .post('/v2/listings', { vendor: VENDOR, page: 2, page_size: 100 })
      .reply(200, v2(2, 2, 150, pageItems(2, 150)));
    const { client } = makeClient();
    expect(await all(listListings(client, VENDOR))).toHaveLength(150);
    expect(rememberedMethod(client, 'listings')).toBe('POST');
    // Second read: straight to POST (a GET would find no interceptor and fail the test).
    nock(BASE)
      .post('/v2/listings', { vendor: VENDOR, page: 1, page_size: 100 })
      .reply(200, v2(1, 1, 1, [listing(1)]));
    expect(await all(listListings(client, VENDOR))).toHaveLength(1);
  });

  it('an unknown vendor answered 404 (both methods) or with empty data is nothing indexed', async () => {
    nock(BASE)
      .get('/v2/listings')
      .query(true)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'Vendor not found', request_id: 'req_x' } })
      .post('/v2/listings')
      .reply(404, { error: 'Vendor not found', details: 'no such vendor' });
    const { client } = makeClient();
    const results = listListings(client, 'unknown.example');
    expect(await all(results)).toEqual([]);
    expect(results.stats.stopReason).toBe('not_found');

    nock(BASE)
      .get('/v2/collections')
      .query(true)
      .reply(200, v2(1, 0, 0, []));
    const empty = listCollections(client, 'unknown.example');
    expect(await all(empty)).toEqual([]);
    expect(empty.stats.stopReason).toBe('empty');
  });
});

describe('through the client: retry, typed errors, signal, deadline, limiter', () => {
  it('a 503 and a 429 on a page are retried like the crawl calls (onRetry), then the read goes on', async () => {
    nock(BASE)
      .get('/v2/listings')
      .query({ vendor: VENDOR, page: '1', page_size: '100' })
      .reply(200, v2(1, 2, 150, pageItems(1, 150)))
      .get('/v2/listings')
      .query({ vendor: VENDOR, page: '2', page_size: '100' })
      .reply(503, '<html><title>Bad gateway</title></html>')
      .get('/v2/listings')
      .query({ vendor: VENDOR, page: '2', page_size: '100' })
      .reply(429, { error: 'Too many requests' }, { 'Retry-After': '2' })
      .get('/v2/listings')
      .query({ vendor: VENDOR, page: '2', page_size: '100' })
      .reply(200, v2(2, 2, 150, pageItems(2, 150)));
    const delays: number[] = [];
    const { client } = makeClient({ sleep: (ms) => void delays.push(ms) });
    const retried: string[] = [];
    const items = await all(listListings(client, VENDOR, { onRetry: (r) => retried.push(r.error.name) }));
    expect(items).toHaveLength(150);
    expect(retried).toEqual(['ServerError', 'RateLimitError']);
    expect(delays[1]).toBeGreaterThanOrEqual(2000); // Retry-After is a floor
  });

  it('401 is an AuthError and 400 a ValidationError, without a POST fallback; the key never shows', async () => {
    nock(BASE)
      .get('/v2/listings')
      .query(true)
      .reply(401, { error: `Invalid API key ${KEY}`, status: 401 });
    const { client } = makeClient();
    const auth = (await all(listListings(client, VENDOR)).catch((e: unknown) => e)) as Error;
    expect(auth).toBeInstanceOf(AuthError);
    expect(`${auth.message} ${JSON.stringify(auth)}`).not.toContain(KEY);

    nock(BASE)
      .get('/v2/collections')
      .query(true)
      .reply(400, { error: { code: 'VALIDATION_ERROR', message: 'page_size must be <= 100' } });
    await expect(all(listCollections(client, VENDOR))).rejects.toBeInstanceOf(ValidationError);
  });

  it('a malformed 2xx (no item array) is retried, then an InvalidResponseError', async () => {
    nock(BASE).get('/v2/vendors').query(true).times(3).reply(200, { message: 'ok' });
    const { client } = makeClient({ retry: { retries: 2 } });
    const error = (await all(listVendors(client)).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error.message).toMatch(/no item array/);
  });

  it('the signal aborts a request in flight; the deadline cuts a slow one (real sockets)', async () => {
    const server = await startServer(async (req, res) => {
      if (req.url?.includes('slow')) return; // never answers
      json(res, 200, v2(1, 1, 1, [listing(1)]));
    });
    try {
      const client = new CatalogClient({ apiKey: KEY, baseUrl: server.url, rateLimit: false, retry: false });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);
      await expect(
        all(listListings(client, 'slow.example', { signal: controller.signal })),
      ).rejects.toBeInstanceOf(AbortedError);
      const deadline = Date.now() + 150;
      const error = await all(listListings(client, 'slow.example', { deadline })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server.close();
    }
  });

  it("pages go through the client's limiter: 3 pages at 1 request per 150 ms take at least 300 ms", async () => {
    let n = 0;
    const server = await startServer((_req, res) => {
      n++;
      json(res, 200, v2(n, 3, 300, pageItems(n, 300)));
    });
    try {
      const client = new CatalogClient({
        apiKey: KEY,
        baseUrl: server.url,
        rateLimit: { requests: 1, windowMs: 150 },
      });
      const started = performance.now();
      expect(await all(listListings(client, VENDOR))).toHaveLength(300);
      expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await server.close();
    }
  });
});

describe('input validation before any request', () => {
  it.each([
    ['', /vendor is empty/],
    ['   ', /vendor is empty/],
    ['skims com', /whitespace/],
    ['skims.com/collections', /not a bare hostname/],
    ['https://skims.com/x', /did you mean skims.com\?/],
    ['../etc/passwd', /not a bare hostname/],
    ['skims..com', /not a valid hostname/],
    ['skims.com?x=1', /not a bare hostname/],
    ['skims%2ecom', /not a bare hostname/],
    ['a\u0000b', /control character/],
  ])('vendor %j is refused', async (vendor, message) => {
    expect(() => validateVendor(vendor)).toThrow(message);
    const { client } = makeClient();
    expect(() => listListings(client, vendor)).toThrow(InvalidInputError);
    expect(() => listCollections(client, vendor)).toThrow(InvalidInputError);
  });

  it('collection URLs and page size are checked too', () => {
    const { client } = makeClient();
    expect(() => listListings(client, VENDOR, { collectionUrls: ['not a url'] })).toThrow(
      /collectionUrls\[0\]/,
    );
    expect(() => listListings(client, VENDOR, { collectionUrls: [] })).toThrow(/empty/);
    expect(() => listListings(client, VENDOR, { pageSize: 101 })).toThrow(/pageSize/);
    expect(validateVendor('Shop.Example')).toBe('shop.example');
  });
});

describe('crawlResults: the results of one crawl', () => {
  const ID = 'crawl-skims-com-a1b2c3d4';
  const crawl = (status: string, meta: Record<string, unknown> = {}) => ({
    execution_id: ID,
    status,
    error: status === 'failed' ? 'Crawl aborted' : null,
    meta: {
      vendor: VENDOR,
      start_date: '2025-01-15T10:30:00.000Z',
      stop_date: '2025-01-15T11:00:00.000Z',
      result: { collections_total: 2, listings_total: 3 },
      ...meta,
    },
  });

  it.each(['running', 'pending', 'failed', 'cancelled', 'paused'])(
    'refuses a %s crawl with CrawlNotCompletedError',
    async (status) => {
      nock(BASE).get(`/v2/crawl/${ID}`).reply(200, crawl(status));
      const { client } = makeClient();
      const error = (await crawlResults(client, ID, 'listings').catch(
        (e: unknown) => e,
      )) as CrawlNotCompletedError;
      expect(error).toBeInstanceOf(CrawlNotCompletedError);
      expect(error).toMatchObject({
        code: 'CRAWL_NOT_COMPLETED',
        crawlStatus: status === 'paused' ? 'unknown' : status === 'cancelled' ? 'canceled' : status,
        executionId: ID,
      });
      expect(error.message).toMatch(
        status === 'failed'
          ? /failed: it has no results/
          : status === 'cancelled'
            ? /was cancelled: it has no results/
            : /completed/,
      );
    },
  );

  it("reads the vendor's listings with the since-start filters, labelled as approximations", async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).times(2).reply(200, crawl('completed'));
    nock(BASE)
      .get('/v2/listings')
      .query({ vendor: VENDOR, page: '1', page_size: '100' })
      .times(2)
      .reply(
        200,
        v2(1, 1, 4, [
          listing(1, {
            first_seen_by_catalog: '2024-12-01T00:00:00Z',
            last_updated_by_catalog: '2025-01-15T10:45:00Z',
          }),
          listing(2, {
            first_seen_by_catalog: '2025-01-15T12:31:00+02:00',
            last_updated_by_catalog: '2025-01-15T10:50:00Z',
          }),
          listing(3, {
            first_seen_by_catalog: '2024-01-01T00:00:00Z',
            last_updated_by_catalog: '2024-06-01T00:00:00Z',
          }),
          listing(4),
        ]),
      );
    const { client } = makeClient();
    const updated = await crawlResults(client, ID, 'listings', { updatedSinceStart: true });
    expect(updated).toMatchObject({
      vendor: VENDOR,
      expected: { collections: 2, listings: 3 },
      approximations: [UPDATED_SINCE_START_NOTE],
    });
    expect((await all(updated.results)).map((l) => l.id)).toEqual(['l1', 'l2']);
    expect(updated.results.stats).toMatchObject({ filteredOut: 2, totalItems: 4 });

    const fresh = await crawlResults(client, ID, 'listings', { newSinceStart: true });
    expect(fresh.approximations).toEqual([NEW_SINCE_START_NOTE]);
    // 12:31+02:00 is 10:31Z, after the 10:30Z start: compared as instants, not strings.
    expect((await all(fresh.results)).map((l) => l.id)).toEqual(['l2']);
  });

  it('without filters: the whole vendor index, no approximation; bad combinations and missing fields are clear errors', async () => {
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(
        200,
        crawl('completed', { result: undefined, total_listings_found: 9, total_collections_found: 4 }),
      );
    const { client } = makeClient();
    const plain = await crawlResults(client, ID, 'collections');
    expect(plain).toMatchObject({ approximations: [], expected: { listings: 9, collections: 4 } });
    expect(plain.results.kind).toBe('collections');

    await expect(crawlResults(client, ID, 'collections', { newSinceStart: true })).rejects.toThrow(
      /listings only/,
    );
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(200, crawl('completed', { vendor: undefined }));
    await expect(crawlResults(client, ID, 'listings')).rejects.toThrow(/no meta.vendor/);
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(200, crawl('completed', { start_date: null }));
    await expect(crawlResults(client, ID, 'listings', { updatedSinceStart: true })).rejects.toThrow(
      /start_date/,
    );
    await expect(crawlResults(client, 'bad id', 'listings')).rejects.toBeInstanceOf(InvalidInputError);
  });
});

it('a first argument that is not a CatalogClient is an InvalidInputError before any request', () => {
  expect(() => listListings({} as CatalogClient, VENDOR)).toThrow(/must be a CatalogClient/);
  expect(() => listVendors(undefined as unknown as CatalogClient)).toThrow(InvalidInputError);
});

it('parseResultsTarget: a dot means a vendor, anything else an execution id; both validated', () => {
  expect(parseResultsTarget(' Skims.com ')).toEqual({ kind: 'vendor', vendor: 'skims.com' });
  expect(parseResultsTarget('crawl-skims-com-a1b2c3d4')).toEqual({
    kind: 'execution',
    executionId: 'crawl-skims-com-a1b2c3d4',
  });
  expect(() => parseResultsTarget('https://skims.com/x')).toThrow(/did you mean skims.com/);
  expect(() => parseResultsTarget('crawl a')).toThrow(expect.objectContaining({ field: 'executionId' }));
  expect(() => parseResultsTarget('  ')).toThrow(/vendor hostname .* or an execution id/);
  expect(() => parseResultsTarget(42)).toThrow(InvalidInputError);
});
