import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_API_KEY, type Emulator, type EmulatorOptions, startEmulator } from '../src/index.js';
import { CANARY_KEY, call, startCrawl } from './helpers.js';

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const REQUEST_ID_RE = /^req_[0-9a-f]{16}$/;

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;

let emu: Emulator;
afterEach(() => emu?.close());

async function start(options: EmulatorOptions = {}) {
  emu = await startEmulator({ manualClock: true, rateLimit: false, seed: 'results', ...options });
  return emu;
}

/** Starts a crawl of host and moves the clock to its completion; returns its GET body. */
async function crawlToCompletion(host: string, key?: string): Promise<Json> {
  const id = await startCrawl(emu, host, key);
  emu.clock.advance(emu.plannedDurationMs(host));
  const done = (await call(emu, 'GET', `/v2/crawl/${id}`, { key })).body;
  expect(done.status).toBe('completed');
  return done;
}

/** Reads every page at pageSize; checks the pagination object of each page on the way. */
async function readAll(
  path: string,
  pageSize = 100,
): Promise<{ items: Json[]; pages: number; total: number }> {
  const items: Json[] = [];
  let total = -1;
  let totalPages = -1;
  for (let page = 1; ; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await call(emu, 'GET', `${path}${sep}page=${page}&page_size=${pageSize}`);
    expect(answer.status).toBe(200);
    const { data, pagination, meta } = answer.body;
    expect(meta).toEqual({});
    if (page === 1) {
      total = pagination.total_items;
      totalPages = pagination.total_pages;
      expect(totalPages).toBe(Math.ceil(total / pageSize));
    }
    expect(pagination).toEqual({
      page,
      page_size: pageSize,
      total_items: total,
      total_pages: totalPages,
      has_next: page < totalPages,
      has_prev: page > 1,
    });
    items.push(...data);
    if (!pagination.has_next) {
      expect(page).toBe(Math.max(1, totalPages));
      return { items, pages: page, total };
    }
    expect(data).toHaveLength(pageSize);
  }
}

function unique(values: unknown[]): number {
  return new Set(values).size;
}

describe('before any crawl completes', () => {
  it('an unknown vendor is a 404 envelope by default; the vendors list is empty', async () => {
    await start();
    for (const path of ['/v2/listings?vendor=skims.com', '/v2/collections?vendor=skims.com']) {
      const answer = await call(emu, 'GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toEqual({
        code: 'NOT_FOUND',
        message: expect.stringContaining('skims.com'),
        request_id: answer.headers.get('request-id'),
      });
    }
    const vendors = await call(emu, 'GET', '/v2/vendors');
    expect(vendors.status).toBe(200);
    expect(vendors.body).toEqual({
      data: [],
      pagination: {
        page: 1,
        page_size: 20,
        total_items: 0,
        total_pages: 0,
        has_next: false,
        has_prev: false,
      },
      meta: {},
    });
  });

  it('a running crawl makes nothing readable yet', async () => {
    await start();
    const id = await startCrawl(emu, 'fast.example');
    emu.clock.advance(9_999);
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).body.status).toBe('running');
    expect((await call(emu, 'GET', '/v2/listings?vendor=fast.example')).status).toBe(404);
    emu.clock.advance(1);
    expect((await call(emu, 'GET', '/v2/listings?vendor=fast.example')).status).toBe(200);
  });

  it('unknownVendor empty: 200 with no data and zero pages', async () => {
    await start({ unknownVendor: 'empty' });
    for (const kind of ['listings', 'collections']) {
      const answer = await call(emu, 'GET', `/v2/${kind}?vendor=nothing-here.com`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        data: [],
        pagination: {
          page: 1,
          page_size: 20,
          total_items: 0,
          total_pages: 0,
          has_next: false,
          has_prev: false,
        },
        meta: {},
      });
    }
  });
});

describe('a completed crawl makes its vendor readable', () => {
  it('collections: every one read once across pages, count = collections_total, ordered by products_total desc', async () => {
    await start();
    const done = await crawlToCompletion('skims.com');
    const { collections_total: total, listings_total: listings } = done.meta.result;
    const { items, pages } = await readAll('/v2/collections?vendor=skims.com', 7);
    expect(items).toHaveLength(total);
    expect(pages).toBe(Math.ceil(total / 7));
    expect(unique(items.map((c) => c.id))).toBe(total);
    expect(unique(items.map((c) => c.url))).toBe(total);
    for (const c of items) {
      expect(Object.keys(c).sort()).toEqual(['id', 'last_updated_by_catalog', 'products_total', 'url']);
      expect(c.url).toMatch(/^https:\/\/skims\.com\/collections\/[a-z0-9-]+$/);
      expect(Number.isInteger(c.products_total) && c.products_total >= 0).toBe(true);
      expect(c.last_updated_by_catalog).toMatch(ISO_RE);
      expect(c.last_updated_by_catalog >= done.meta.start_date).toBe(true);
      expect(c.last_updated_by_catalog <= done.meta.stop_date).toBe(true);
    }
    const counts = items.map((c) => c.products_total);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    // "all" holds every listing, so summing products_total overcounts (as documented: never sum)
    expect(items[0]).toMatchObject({ url: 'https://skims.com/collections/all', products_total: listings });
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2 * listings);
    // the default page size is 20
    const first = await call(emu, 'GET', '/v2/collections?vendor=skims.com');
    expect(first.body.pagination).toMatchObject({ page: 1, page_size: 20 });
    expect(first.body.data).toEqual(items.slice(0, 20));
  });

  it('listings: every one read once across pages, count = listings_total, with every documented field', async () => {
    await start();
    const done = await crawlToCompletion('fast.example');
    const { listings_total: total } = done.meta.result;
    const { start_date: startDate, stop_date: stopDate } = done.meta;
    const { items } = await readAll('/v2/listings?vendor=fast.example');
    expect(items).toHaveLength(total);
    expect(unique(items.map((l) => l.id))).toBe(total);
    expect(unique(items.map((l) => l.url))).toBe(total);
    for (const l of items) {
      expect(l).toEqual({
        id: expect.stringMatching(/^lst_[0-9a-f]+$/),
        url: expect.stringMatching(/^https:\/\/fast\.example\/products\/[a-z0-9-]+$/),
        name: expect.any(String),
        images: expect.any(Array),
        price: {
          currency: expect.stringMatching(/^[A-Z]{3}$/),
          current_value: expect.any(Number),
          compare_at_value: l.price.compare_at_value === null ? null : expect.any(Number),
        },
        vendor: 'fast.example',
        first_seen_by_catalog: expect.stringMatching(ISO_RE),
        last_updated_by_catalog: expect.stringMatching(ISO_RE),
      });
      expect(l.name.length).toBeGreaterThan(3);
      expect(l.price.current_value).toBeGreaterThan(0);
      if (l.price.compare_at_value !== null) {
        expect(l.price.compare_at_value).toBeGreaterThan(l.price.current_value);
      }
      l.images.forEach((image: Json, j: number) => {
        expect(image).toEqual({
          id: expect.any(String),
          url: expect.stringMatching(/^https:\/\/cdn\.fast\.example\/images\/.+\.jpg$/),
          width: expect.any(Number),
          height: expect.any(Number),
          position: j + 1,
        });
      });
      expect(l.last_updated_by_catalog >= l.first_seen_by_catalog).toBe(true);
      expect(l.last_updated_by_catalog <= stopDate).toBe(true);
    }
    // both readings of the documented approximations have members on each side
    const isNew = items.filter((l) => l.first_seen_by_catalog >= startDate);
    const touched = items.filter((l) => l.last_updated_by_catalog >= startDate);
    expect(isNew.length).toBeGreaterThan(0);
    expect(isNew.length).toBeLessThan(total);
    expect(touched.length).toBeGreaterThan(isNew.length);
    expect(touched.length).toBeLessThan(total);
    const discounted = items.filter((l) => l.price.compare_at_value !== null).length;
    expect(discounted).toBeGreaterThan(0);
    expect(discounted).toBeLessThan(total);
    expect(items.some((l) => l.images.length === 0 || l.images.length > 1)).toBe(true);
  });

  it('pages are deterministic: another page size reads the same sequence, a page twice the same items', async () => {
    await start();
    await crawlToCompletion('skims.com');
    const big = await readAll('/v2/listings?vendor=skims.com', 100);
    const odd = await readAll('/v2/listings?vendor=skims.com', 37);
    expect(odd.items.map((l) => l.id)).toEqual(big.items.map((l) => l.id));
    const again = await call(emu, 'GET', '/v2/listings?vendor=skims.com&page=3&page_size=100');
    expect(again.body.data).toEqual(big.items.slice(200, 300));
    const beyond = await call(
      emu,
      'GET',
      `/v2/listings?vendor=skims.com&page=${big.pages + 1}&page_size=100`,
    );
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination).toMatchObject({ has_next: false, has_prev: true, page: big.pages + 1 });
  });

  it('the vendors list shows completed crawls with their totals; the index is shared by organisations', async () => {
    await start({
      apiKeys: [
        { key: DEFAULT_API_KEY, org: 'default' },
        { key: CANARY_KEY, org: 'acme' },
      ],
    });
    const a = await crawlToCompletion('fast.example');
    const b = await crawlToCompletion('skims.com', CANARY_KEY);
    await startCrawl(emu, 'still-running.com');
    const vendors = (await call(emu, 'GET', '/v2/vendors')).body;
    expect(vendors.pagination.total_items).toBe(2);
    expect(vendors.data).toEqual([
      {
        vendor: 'fast.example',
        last_updated_by_catalog: a.meta.stop_date,
        listings_count: a.meta.result.listings_total,
        collections_count: a.meta.result.collections_total,
        in_affiliate_network: expect.any(Boolean),
      },
      {
        vendor: 'skims.com',
        last_updated_by_catalog: b.meta.stop_date,
        listings_count: b.meta.result.listings_total,
        collections_count: b.meta.result.collections_total,
        in_affiliate_network: expect.any(Boolean),
      },
    ]);
    // the default organisation reads what acme's crawl indexed
    expect((await call(emu, 'GET', '/v2/collections?vendor=skims.com')).status).toBe(200);
  });

  it('a later crawl moves the dates to its own; a running recrawl leaves the earlier results readable', async () => {
    await start();
    const first = await crawlToCompletion('fast.example');
    const id = await startCrawl(emu, 'fast.example');
    emu.clock.advance(5_000);
    const during = await call(emu, 'GET', '/v2/listings?vendor=fast.example&page_size=100');
    expect(during.status).toBe(200);
    expect(during.body.data.every((l: Json) => l.last_updated_by_catalog <= first.meta.stop_date)).toBe(true);
    emu.clock.advance(5_000);
    const second = (await call(emu, 'GET', `/v2/crawl/${id}`)).body;
    expect(second.status).toBe('completed');
    const after = await call(emu, 'GET', '/v2/listings?vendor=fast.example&page_size=100');
    expect(after.body.pagination.total_items).toBe(second.meta.result.listings_total);
    expect(after.body.data.some((l: Json) => l.last_updated_by_catalog > first.meta.stop_date)).toBe(true);
    expect(after.body.data.map((l: Json) => l.id)).toEqual(during.body.data.map((l: Json) => l.id));
  });

  it('vendor is normalised like a crawl url (case, www.)', async () => {
    await start();
    await crawlToCompletion('fast.example');
    const answer = await call(emu, 'GET', '/v2/collections?vendor=WWW.Fast.Example');
    expect(answer.status).toBe(200);
    expect(answer.body.pagination.total_items).toBeGreaterThan(0);
  });

  it('indexedVendors are readable from the start, dated a day before the emulator started', async () => {
    const before = Date.now();
    await start({ indexedVendors: ['seeded-shop.com'] });
    const vendors = (await call(emu, 'GET', '/v2/vendors')).body.data;
    expect(vendors).toEqual([
      {
        vendor: 'seeded-shop.com',
        last_updated_by_catalog: expect.stringMatching(ISO_RE),
        listings_count: expect.any(Number),
        collections_count: expect.any(Number),
        in_affiliate_network: expect.any(Boolean),
      },
    ]);
    const updated = Date.parse(vendors[0].last_updated_by_catalog);
    expect(before - updated).toBeGreaterThan(86_000_000);
    const { items } = await readAll('/v2/collections?vendor=seeded-shop.com');
    expect(items).toHaveLength(vendors[0].collections_count);
    const listings = await call(emu, 'GET', '/v2/listings?vendor=seeded-shop.com&page_size=1');
    expect(listings.body.pagination.total_items).toBe(vendors[0].listings_count);
  });
});

describe('POST with a JSON body', () => {
  it('answers the same page as GET with the same fields', async () => {
    await start();
    await crawlToCompletion('fast.example');
    for (const kind of ['listings', 'collections']) {
      const get = await call(emu, 'GET', `/v2/${kind}?vendor=fast.example&page=2&page_size=5`);
      const post = await call(emu, 'POST', `/v2/${kind}`, {
        body: { vendor: 'fast.example', page: 2, page_size: 5 },
      });
      expect(post.status).toBe(200);
      expect(post.body).toEqual(get.body);
    }
    const vendors = await call(emu, 'POST', '/v2/vendors', { rawBody: '' });
    expect(vendors.status).toBe(200);
    expect(vendors.body.data).toHaveLength(1);
  });
});

describe('collection_urls on listings', () => {
  async function setup() {
    await start();
    const done = await crawlToCompletion('skims.com');
    const collections = (await readAll('/v2/collections?vendor=skims.com')).items;
    const all = (await readAll('/v2/listings?vendor=skims.com')).items;
    return { done, collections, all };
  }

  it('repeated, comma-separated, [] and a JSON array all select the union of the collections', async () => {
    const { collections, all } = await setup();
    const [x, y] = [collections[2], collections[5]];
    const enc = encodeURIComponent;
    const forms = [
      `collection_urls=${enc(x.url)}&collection_urls=${enc(y.url)}`,
      `collection_urls=${enc(`${x.url},${y.url}`)}`,
      `collection_urls[]=${enc(x.url)}&collection_urls[]=${enc(y.url)}`,
    ];
    const reads = [];
    for (const form of forms) reads.push((await readAll(`/v2/listings?vendor=skims.com&${form}`)).items);
    const post = await call(emu, 'POST', '/v2/listings', {
      body: { vendor: 'skims.com', collection_urls: [x.url, y.url], page_size: 100 },
    });
    expect(post.body.pagination.total_items).toBe(x.products_total + y.products_total);
    for (const items of reads) {
      expect(items).toHaveLength(x.products_total + y.products_total);
      expect(items).toEqual(reads[0]);
      expect(unique(items.map((l: Json) => l.id))).toBe(items.length);
    }
    expect(post.body.data).toEqual(reads[0]!.slice(0, 100));
    // the filtered listings are listings of the vendor
    const ids = new Set(all.map((l) => l.id));
    expect(reads[0]!.every((l: Json) => ids.has(l.id))).toBe(true);
  });

  it('a listing in two selected collections appears once; "all" selects everything', async () => {
    const { collections, all } = await setup();
    const allUrl = collections[0].url;
    const both = await readAll(
      `/v2/listings?vendor=skims.com&collection_urls=${encodeURIComponent(`${allUrl},${collections[1].url}`)}`,
    );
    expect(both.items.map((l) => l.id)).toEqual(all.map((l) => l.id));
  });

  it('matches www., a trailing slash and http; an unknown collection matches nothing', async () => {
    const { collections } = await setup();
    const variant = collections[3].url.replace('https://', 'http://www.').concat('/');
    const read = await call(
      emu,
      'GET',
      `/v2/listings?vendor=skims.com&collection_urls=${encodeURIComponent(variant)}`,
    );
    expect(read.body.pagination.total_items).toBe(collections[3].products_total);
    const none = await call(
      emu,
      'GET',
      `/v2/listings?vendor=skims.com&collection_urls=${encodeURIComponent('https://skims.com/collections/nope')}`,
    );
    expect(none.status).toBe(200);
    expect(none.body.data).toEqual([]);
    expect(none.body.pagination).toMatchObject({ total_items: 0, total_pages: 0, has_next: false });
  });

  it.each(['not-a-url', 'ftp://skims.com/collections/all', 'https://'])(
    'answers 400 VALIDATION_ERROR for %s',
    async (bad) => {
      await start();
      await crawlToCompletion('fast.example');
      const answer = await call(
        emu,
        'GET',
        `/v2/listings?vendor=fast.example&collection_urls=${encodeURIComponent(bad)}`,
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_ERROR');
      const post = await call(emu, 'POST', '/v2/listings', {
        body: { vendor: 'fast.example', collection_urls: [bad] },
      });
      expect(post.status).toBe(400);
    },
  );
});

describe('validation', () => {
  it.each([
    ['/v2/listings', 'INVALID_REQUEST'],
    ['/v2/listings?vendor=', 'INVALID_REQUEST'],
    ['/v2/collections?page=1', 'INVALID_REQUEST'],
    ['/v2/listings?vendor=skims%20com', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=skims.com/collections', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=https://skims.com', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=..', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=fast.example&page=0', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=fast.example&page=-1', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=fast.example&page=abc', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=fast.example&page=1.5', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=fast.example&page_size=0', 'VALIDATION_ERROR'],
    ['/v2/listings?vendor=fast.example&page_size=101', 'VALIDATION_ERROR'],
    ['/v2/collections?vendor=fast.example&page_size=1000', 'VALIDATION_ERROR'],
    ['/v2/vendors?page=0', 'VALIDATION_ERROR'],
    ['/v2/vendors?page_size=101', 'VALIDATION_ERROR'],
  ])('GET %s answers 400 %s', async (path, code) => {
    await start();
    await crawlToCompletion('fast.example');
    const answer = await call(emu, 'GET', path);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code,
      message: expect.any(String),
      request_id: expect.stringMatching(REQUEST_ID_RE),
    });
  });

  it.each([
    [{ body: {} }, 'INVALID_REQUEST'],
    [{ body: { vendor: null } }, 'INVALID_REQUEST'],
    [{ rawBody: '' }, 'INVALID_REQUEST'],
    [{ rawBody: '{"vendor":' }, 'INVALID_REQUEST'],
    [{ rawBody: '["fast.example"]' }, 'INVALID_REQUEST'],
    [{ body: { vendor: 42 } }, 'VALIDATION_ERROR'],
    [{ body: { vendor: 'fast.example', page: 0 } }, 'VALIDATION_ERROR'],
    [{ body: { vendor: 'fast.example', page: 1.5 } }, 'VALIDATION_ERROR'],
    [{ body: { vendor: 'fast.example', page_size: 101 } }, 'VALIDATION_ERROR'],
    [{ body: { vendor: 'fast.example', page_size: '100' } }, null],
    [{ body: { vendor: 'fast.example', collection_urls: 5 } }, 'VALIDATION_ERROR'],
  ])('POST /v2/listings %j answers %s', async (options, code) => {
    await start();
    await crawlToCompletion('fast.example');
    const answer = await call(emu, 'POST', '/v2/listings', options);
    if (code === null) {
      expect(answer.status).toBe(200);
      return;
    }
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(code);
  });

  it('needs an API key, and counts against the rate limit like every endpoint', async () => {
    emu = await startEmulator({ manualClock: true, rateLimit: { requests: 3, windowMs: 60_000 } });
    const missing = await call(emu, 'GET', '/v2/vendors', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: expect.stringMatching(/API key required/), status: 401 });
    const ok = await call(emu, 'GET', '/v2/vendors');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-limit')).toBe('3');
    expect(ok.headers.get('ratelimit-remaining')).toBe('1');
    await call(emu, 'POST', '/v2/listings', { body: { vendor: 'skims.com' } });
    const limited = await call(emu, 'GET', '/v2/listings?vendor=skims.com');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers 404 for a sub-path and 405 with Allow for other methods', async () => {
    await start();
    expect((await call(emu, 'GET', '/v2/listings/abc')).status).toBe(404);
    const put = await call(emu, 'PUT', '/v2/listings');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });
});

describe('switches', () => {
  it('resultsMethods post: GET answers 405 with Allow: POST, POST works', async () => {
    await start({ resultsMethods: 'post' });
    await crawlToCompletion('fast.example');
    for (const kind of ['vendors', 'collections', 'listings']) {
      const get = await call(emu, 'GET', `/v2/${kind}?vendor=fast.example`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      expect(get.body.error.code).toBe('METHOD_NOT_ALLOWED');
      const post = await call(emu, 'POST', `/v2/${kind}`, { body: { vendor: 'fast.example' } });
      expect(post.status).toBe(200);
    }
    // the crawl endpoints are not affected
    expect((await call(emu, 'GET', '/v2/crawl')).status).toBe(200);
  });

  it('resultsMethods post-404: GET answers 404 NOT_FOUND like an unknown route, POST works', async () => {
    await start({ resultsMethods: 'post-404' });
    await crawlToCompletion('fast.example');
    const get = await call(emu, 'GET', '/v2/listings?vendor=fast.example');
    expect(get.status).toBe(404);
    expect(get.body.error.code).toBe('NOT_FOUND');
    const post = await call(emu, 'POST', '/v2/listings', { body: { vendor: 'fast.example' } });
    expect(post.status).toBe(200);
    expect(post.body.data).toHaveLength(20);
    expect((await call(emu, 'PUT', '/v2/listings')).status).toBe(404);
  });

  it('resultsMethods get: POST answers 405 with Allow: GET', async () => {
    await start({ resultsMethods: 'get' });
    const post = await call(emu, 'POST', '/v2/listings', { body: { vendor: 'fast.example' } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('resultsEnvelope v1: named arrays, v1 meta, v1 vendor fields, flat errors, listings page_size 10', async () => {
    await start({ resultsEnvelope: 'v1' });
    const done = await crawlToCompletion('fast.example');
    const listings = await call(emu, 'GET', '/v2/listings?vendor=fast.example');
    const total = done.meta.result.listings_total;
    expect(Object.keys(listings.body).sort()).toEqual(['listings', 'meta']);
    expect(listings.body.meta).toEqual({
      total_items: total,
      total_pages: Math.ceil(total / 10),
      current_page: 1,
      page_size: 10,
    });
    expect(listings.body.listings).toHaveLength(10);
    const ids = new Set<string>();
    for (let page = 1; page <= Math.ceil(total / 100); page++) {
      const body = (await call(emu, 'GET', `/v2/listings?vendor=fast.example&page=${page}&page_size=100`))
        .body;
      for (const l of body.listings) ids.add(l.id);
    }
    expect(ids.size).toBe(total);
    const collections = await call(emu, 'GET', '/v2/collections?vendor=fast.example&page_size=100');
    expect(collections.body.collections).toHaveLength(done.meta.result.collections_total);
    expect(collections.body.meta).toMatchObject({ current_page: 1, page_size: 100, total_pages: 1 });
    const vendors = await call(emu, 'GET', '/v2/vendors');
    expect(vendors.body.vendors).toEqual([
      {
        vendor: 'fast.example',
        latest_product_update_by_catalog: done.meta.stop_date,
        product_count: total,
        collections_count: done.meta.result.collections_total,
        in_affiliate_network: expect.any(Boolean),
      },
    ]);
    const bad = await call(emu, 'GET', '/v2/listings');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: expect.any(String), details: expect.stringMatching(/vendor/) });
    const unknown = await call(emu, 'GET', '/v2/listings?vendor=nope.com');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'Not found', details: expect.stringContaining('nope.com') });
  });

  it('resultsRepeatLastPage has-next: pages past the last repeat it, has_next stays true, total_pages honest', async () => {
    await start({ resultsRepeatLastPage: 'has-next' });
    const done = await crawlToCompletion('fast.example');
    const total = done.meta.result.listings_total;
    const pages = Math.ceil(total / 10);
    const last = await call(emu, 'GET', `/v2/listings?vendor=fast.example&page=${pages}&page_size=10`);
    expect(last.body.pagination).toMatchObject({ total_items: total, total_pages: pages, has_next: true });
    for (const page of [pages + 1, pages + 50]) {
      const beyond = await call(emu, 'GET', `/v2/listings?vendor=fast.example&page=${page}&page_size=10`);
      expect(beyond.body.data).toEqual(last.body.data);
      expect(beyond.body.data.length).toBeGreaterThan(0);
      expect(beyond.body.pagination).toMatchObject({ page, total_pages: pages, has_next: true });
    }
    const first = await call(emu, 'GET', '/v2/listings?vendor=fast.example&page=1&page_size=10');
    expect(first.body.data).not.toEqual(last.body.data);
  });

  it('resultsRepeatLastPage endless: total_pages also claims one more page than asked', async () => {
    await start({ resultsRepeatLastPage: 'endless' });
    const done = await crawlToCompletion('fast.example');
    const pages = Math.ceil(done.meta.result.collections_total / 2);
    const first = await call(emu, 'GET', '/v2/collections?vendor=fast.example&page=1&page_size=2');
    expect(first.body.pagination.total_pages).toBe(Math.max(pages, 2));
    const far = await call(emu, 'GET', `/v2/collections?vendor=fast.example&page=${pages + 9}&page_size=2`);
    expect(far.body.pagination).toMatchObject({ total_pages: pages + 10, has_next: true });
    expect(far.body.data.length).toBeGreaterThan(0);
  });
});

describe('scenario hosts for results', () => {
  it('listings-<N>: exactly N listings, every one read once, and a page costs the same at 100,000', async () => {
    await start();
    const done = await crawlToCompletion('listings-100000.example');
    expect(done.meta.result.listings_total).toBe(100_000);
    const started = performance.now();
    const ids = new Set<string>();
    let pages = 0;
    for (let page = 1; ; page++) {
      const body = (
        await call(emu, 'GET', `/v2/listings?vendor=listings-100000.example&page=${page}&page_size=100`)
      ).body;
      for (const l of body.data) ids.add(l.id);
      pages++;
      if (!body.pagination.has_next) break;
    }
    const elapsed = performance.now() - started;
    expect(pages).toBe(1_000);
    expect(ids.size).toBe(100_000);
    // lazy generation: 1,000 pages well under a minute even on a loaded 2-core machine
    expect(elapsed).toBeLessThan(60_000);
    const collections = await readAll('/v2/collections?vendor=listings-100000.example');
    expect(collections.items).toHaveLength(done.meta.result.collections_total);
    expect(collections.items[0].products_total).toBe(100_000);
  });

  it('listings-0: a completed crawl with nothing found reads empty', async () => {
    await start();
    const done = await crawlToCompletion('listings-0.example');
    expect(done.meta.result).toEqual({ collections_total: 0, listings_total: 0 });
    const { items } = await readAll('/v2/listings?vendor=listings-0.example');
    expect(items).toEqual([]);
  });

  it('hostile: names and URLs carry markup, escapes, CSV formulas and huge strings, as valid JSON', async () => {
    await start();
    await crawlToCompletion('hostile.example');
    const { items } = await readAll('/v2/listings?vendor=hostile.example');
    const names = items.map((l) => l.name as string);
    expect(names.some((n) => n.includes('\u001b['))).toBe(true);
    expect(names.some((n) => n.startsWith('='))).toBe(true);
    expect(names.some((n) => n.includes('<script>'))).toBe(true);
    expect(names.some((n) => n.length > 4_000)).toBe(true);
    expect(items.some((l) => /["<>]/.test(l.url))).toBe(true);
  });
});
