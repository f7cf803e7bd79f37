import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  ApiError,
  AuthError,
  CatalogClient,
  type CatalogClientOptions,
  type Clock,
  ConflictError,
  clientOptionsFromEnv,
  DEFAULT_BASE_URL,
  InvalidInputError,
  InvalidResponseError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  systemClock,
  ValidationError,
  VERSION,
} from '../src/index.js';
import { startServer } from './helpers.js';

const BASE = 'http://catalog.test';
const KEY = 'test-key-123';
const ID = 'crawl-skims-com-a1b2c3d4';

const running = {
  execution_id: ID,
  status: 'running',
  error: null,
  meta: {
    vendor: 'skims.com',
    start_date: '2025-01-15T10:30:00.000Z',
    stop_date: null,
    duration_ms: 45000,
    progress: { collections_found: 12, listings_found: 456 },
    steps: [
      { name: 'Determining crawl method', status: 'completed' },
      { name: 'Discovering collections', status: 'running' },
      { name: 'Analyzing collections', status: 'pending' },
      { name: 'Extracting listings', status: 'pending' },
    ],
  },
};

interface Recorded {
  delays: number[];
  retries: { attempt: number; delayMs: number; error: Error }[];
}

/**
 * Retry delays are recorded, not waited. A sleep with a signal is a request's timeout racing its answer
 * (these tests pass no signal of their own): it runs on real time, since nock answers on real time.
 */
function makeClient(extra: Partial<CatalogClientOptions> & Partial<Clock> = {}): {
  client: CatalogClient;
  rec: Recorded;
} {
  const rec: Recorded = { delays: [], retries: [] };
  const { now, random, sleep, ...rest } = extra;
  const recordingSleep = async (ms: number, signal?: AbortSignal) => {
    if (signal) return systemClock.sleep(ms, signal);
    rec.delays.push(ms);
  };
  const client = new CatalogClient({
    apiKey: KEY,
    baseUrl: BASE,
    rateLimit: false,
    clock: {
      random: random ?? (() => 0.5),
      sleep: sleep ?? recordingSleep,
      ...(now ? { now } : {}),
    },
    ...rest,
  });
  return { client, rec };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
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

describe('requests', () => {
  it('sends x-api-key, the user agent and accept, and surfaces the Request-ID', async () => {
    nock(BASE, {
      reqheaders: {
        'x-api-key': KEY,
        'user-agent': `catalog-crawl/${VERSION}`,
        accept: 'application/json',
      },
    })
      .get(`/v2/crawl/${ID}`)
      .reply(200, running, { 'Request-ID': 'req_abc' });
    const { client } = makeClient();
    const crawl = await client.getCrawl(ID);
    expect(crawl.requestId).toBe('req_abc');
  });

  it('percent-encodes the id in the path', async () => {
    nock(BASE)
      .get('/v2/crawl/crawl%3Aa%40b%25c')
      .reply(200, { ...running, execution_id: 'crawl:a@b%c' });
    const { client } = makeClient();
    expect((await client.getCrawl('crawl:a@b%c')).executionId).toBe('crawl:a@b%c');
  });

  it('validates ids and urls before any request', async () => {
    const { client } = makeClient();
    // nock is armed with no interceptor: any request would fail the test with a different error.
    await expect(client.getCrawl('a/b')).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'executionId',
    });
    await expect(client.cancelCrawl('')).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'executionId',
    });
    await expect(client.startCrawl({ url: 'ftp://x.com' })).rejects.toMatchObject({ field: 'url' });
    await expect(client.listCrawls({ status: 'running' as never })).rejects.toMatchObject({
      field: 'status',
    });
    await expect(client.listCrawls({ page: 0 })).rejects.toThrow(InvalidInputError);
    await expect(client.listCrawls({ page: 1e20 })).rejects.toThrow(InvalidInputError);
    await expect(client.listCrawls({ pageSize: Number.MAX_SAFE_INTEGER + 2 })).rejects.toThrow(
      InvalidInputError,
    );
  });

  it('posts the url as JSON and parses the 202', async () => {
    nock(BASE, { reqheaders: { 'content-type': 'application/json' } })
      .post('/v2/crawl', { url: 'skims.com' })
      .reply(202, { execution_id: 'crawl-skims-com-4ddfa1c9', status: 'pending', meta: { credits_used: 0 } });
    const { client } = makeClient();
    const started = await client.startCrawl({ url: ' skims.com ' });
    expect(started).toMatchObject({
      executionId: 'crawl-skims-com-4ddfa1c9',
      status: 'pending',
      creditsUsed: 0,
    });
  });

  it('sends list filters with the API names', async () => {
    nock(BASE)
      .get('/v2/crawl')
      .query({ status: 'processing', page: '2', page_size: '5' })
      .reply(200, {
        data: [{ execution_id: ID, status: 'running', created_at: '2025-01-15T10:30:00Z', extra: 1 }],
        pagination: {
          page: 2,
          page_size: 5,
          total_items: 6,
          total_pages: 2,
          has_next: false,
          has_prev: true,
        },
        meta: {},
      });
    const { client } = makeClient();
    const list = await client.listCrawls({ status: 'processing', page: 2, pageSize: 5 });
    expect(list.items).toEqual([{ executionId: ID, status: 'running', createdAt: '2025-01-15T10:30:00Z' }]);
    expect(list.pagination).toEqual({
      page: 2,
      pageSize: 5,
      totalItems: 6,
      totalPages: 2,
      hasNext: false,
      hasPrev: true,
    });
  });

  it('derives pagination when the block is missing', async () => {
    nock(BASE).get('/v2/crawl').reply(200, { data: [] });
    const { client } = makeClient();
    expect((await client.listCrawls()).pagination).toEqual({
      page: 1,
      pageSize: 20,
      totalItems: 0,
      totalPages: 1,
      hasNext: false,
      hasPrev: false,
    });
  });

  it('does not follow redirects (the key would go with them)', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(301, '', { location: 'http://elsewhere.test/x' });
    const { client } = makeClient();
    const error = await failure(client.getCrawl(ID));
    expect(error).toBeInstanceOf(ApiError);
    // Which setting to change is each face's hint (CLI: CATALOG_API_BASE_URL, Action: api-base-url).
    expect(error.message).toContain('the base URL must be the final address');
    expect(error.message).not.toMatch(/CATALOG_|api-base-url/);
  });

  it('keeps a base path and drops a trailing slash', async () => {
    nock(BASE).get(`/api/v2/crawl/${ID}`).reply(200, running);
    const { client } = makeClient({ baseUrl: `${BASE}/api/` });
    expect(client.baseUrl).toBe(`${BASE}/api`);
    await client.getCrawl(ID);
  });

  it('rejects bad constructor options', () => {
    expect(() => new CatalogClient({ apiKey: '' })).toThrow(InvalidInputError);
    // The CLI validates with its own words (--api-key or CATALOG_API_KEY: tested there); core says "the API key".
    expect(() => new CatalogClient({ apiKey: 'a b' })).toThrow(/^the API key contains spaces/);
    expect(() => new CatalogClient({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(InvalidInputError);
    expect(() => new CatalogClient({ apiKey: 'k', timeoutMs: 0 })).toThrow(InvalidInputError);
    expect(new CatalogClient({ apiKey: ' k\n' }).baseUrl).toBe(DEFAULT_BASE_URL);
  });
});

describe('parsing', () => {
  it('parses the reference example', async () => {
    // Copied verbatim from the reference page (shared/reference/get-crawl-status.txt).
    const json = readFileSync(new URL('./fixtures/get-crawl-status.json', import.meta.url), 'utf8');
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, json);
    const { client } = makeClient();
    const crawl = await client.getCrawl(ID);
    expect(crawl).toMatchObject({
      executionId: ID,
      status: 'running',
      error: null,
      vendor: 'skims.com',
      startDate: '2025-01-15T10:30:00.000Z',
      stopDate: null,
      durationMs: 45000,
      progress: { collectionsFound: 12, listingsFound: 456 },
    });
    expect(crawl.steps).toHaveLength(4);
    expect(crawl.steps[1]).toEqual({ name: 'Discovering collections', status: 'running' });
    expect(crawl.raw).toEqual(JSON.parse(json));
  });

  it('accepts the documented variations', async () => {
    const completed = {
      execution_id: ID,
      status: 'completed',
      error: null,
      surprise: { nested: true },
      meta: {
        vendor: 'skims.com',
        stop_date: '2025-01-15T11:00:00.000Z',
        steps: [
          { name: 'Determining crawl method', status: 'completed' },
          { name: 'A new step', status: 'skipped', extra: 1 },
        ],
        result: { collections_total: 40, listings_total: 1200 },
      },
    };
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, completed);
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, { execution_id: ID, status: 'queued', error: null });
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(200, { status: 'failed', error: 'Crawl was cancelled by request', meta: null });
    const { client } = makeClient();
    const a = await client.getCrawl(ID);
    expect(a.progress).toBeUndefined();
    expect(a.result).toEqual({ collectionsTotal: 40, listingsTotal: 1200 });
    expect(a.steps[1]).toEqual({ name: 'A new step', status: 'skipped' });
    const b = await client.getCrawl(ID);
    expect(b.status).toBe('queued');
    expect(b.steps).toEqual([]);
    const c = await client.getCrawl(ID);
    expect(c).toMatchObject({ executionId: ID, status: 'failed', error: 'Crawl was cancelled by request' });
  });

  it.each([
    ['HTML', '<html><title>Oops</title></html>', 'HTML page'],
    ['truncated JSON', '{"execution_id": "x", "status": "run', 'non-JSON body'],
    ['an empty body', '', 'empty body'],
    ['a wrong type', JSON.stringify({ execution_id: ID, status: 7 }), 'status is not a string'],
    [
      'a wrong nested type',
      JSON.stringify({ ...running, meta: { steps: 'x' } }),
      'meta.steps is not an array',
    ],
    ['an array', '[]', 'body is not an object'],
  ])('turns %s on a 200 into InvalidResponseError naming status and request id', async (_, body, why) => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, body, { 'Request-ID': 'req_bad' });
    const { client } = makeClient({ retry: false });
    const error = await failure(client.getCrawl(ID));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error.message).toContain('HTTP 200');
    expect(error.message).toContain('req_bad');
    expect(error.message).toContain(why);
    expect((error as InvalidResponseError).status).toBe(200);
    expect((error as InvalidResponseError).requestId).toBe('req_bad');
  });
});

describe('errors', () => {
  const cases: [number, unknown, new (...args: never[]) => Error, string, string][] = [
    // The advice to set CATALOG_API_KEY moved to the CLI's and MCP server's hints (their tests); core states facts.
    [
      401,
      { error: 'Invalid API key', status: 401 },
      AuthError,
      'UNAUTHORIZED',
      'key is missing, invalid or revoked',
    ],
    [
      401,
      { error: 'API key required (x-api-key header or Authorization: Bearer)', status: 401 },
      AuthError,
      'UNAUTHORIZED',
      'API key required',
    ],
    [
      403,
      { error: { code: 'FORBIDDEN', message: 'Auto top-up is off', request_id: 'req_1' } },
      AuthError,
      'FORBIDDEN',
      'Auto top-up is off',
    ],
    [
      402,
      { error: 'Insufficient credits', details: 'balance 0' },
      PaymentRequiredError,
      'PAYMENT_REQUIRED',
      'Insufficient credits: balance 0',
    ],
    [
      404,
      { error: { code: 'NOT_FOUND', message: 'Execution not found', request_id: 'req_1' } },
      NotFoundError,
      'NOT_FOUND',
      'check the execution id',
    ],
    [
      400,
      { error: { code: 'VALIDATION_ERROR', message: 'bad url', request_id: 'req_1' }, invalid_urls: ['x'] },
      ValidationError,
      'VALIDATION_ERROR',
      'bad url',
    ],
    [
      409,
      { error: { code: 'CONFLICT', message: 'busy', request_id: 'req_1' } },
      ConflictError,
      'CONFLICT',
      'busy',
    ],
    [429, { message: 'Too many requests' }, RateLimitError, 'RATE_LIMITED', 'Too many requests'],
    [
      500,
      { error: { code: 'INTERNAL_ERROR', message: 'boom', request_id: 'req_1' } },
      ServerError,
      'INTERNAL_ERROR',
      'quote request id',
    ],
    [
      502,
      '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>',
      ServerError,
      'SERVER_ERROR',
      '502 Bad Gateway',
    ],
    [503, '', ServerError, 'SERVER_ERROR', 'empty body'],
    [408, 'timeout', ServerError, 'SERVER_TIMEOUT', 'non-JSON body'],
    [418, { error: 'teapot' }, ApiError, 'HTTP_418', 'teapot'],
  ];

  it.each(cases)('HTTP %d %j -> typed error', async (status, body, type, code, text) => {
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(status, typeof body === 'string' ? body : JSON.stringify(body), { 'Request-ID': 'req_hdr' });
    const { client } = makeClient({ retry: false });
    const error = await failure(client.getCrawl(ID));
    expect(error).toBeInstanceOf(type);
    expect(error.message.toLowerCase()).toContain(text.toLowerCase());
    expect(error.message).toContain('req_hdr');
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error).toMatchObject({ status, code, requestId: 'req_hdr' });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: type.name,
      status,
      code,
      requestId: 'req_hdr',
    });
  });

  it('takes the request id from the envelope when the header is missing', async () => {
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'nope', request_id: 'req_body' } });
    const { client } = makeClient();
    const error = await failure(client.getCrawl(ID));
    expect(error).toMatchObject({ requestId: 'req_body' });
    expect(error.message).toContain('quote it to support');
  });

  it('maps a connection failure to NetworkError', async () => {
    const { client } = makeClient({
      retry: false,
      fetch: async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        });
      },
    });
    const error = await failure(client.getCrawl(ID));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).timedOut).toBe(false);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('http://catalog.test');
    expect(error.message).not.toMatch(/CATALOG_/);
  });

  it('maps a request timeout to NetworkError{timedOut}', async () => {
    const server = await startServer(() => {}); // never answers
    try {
      const { client } = makeClient({ baseUrl: server.url, retry: false, timeoutMs: 50 });
      const error = await failure(client.getCrawl(ID));
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).timedOut).toBe(true);
      expect(error.message).toContain('timed out after 50ms');
    } finally {
      await server.close();
    }
  });

  it('cuts the timeout to the deadline', async () => {
    const server = await startServer(() => {});
    try {
      const { client } = makeClient({ baseUrl: server.url, retry: false });
      const started = Date.now();
      const error = await failure(client.getCrawl(ID, { deadline: Date.now() + 80 }));
      expect((error as NetworkError).timedOut).toBe(true);
      expect(error.message).toMatch(/timed out after \d\dms/);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await server.close();
    }
  });

  it('sends nothing once the deadline has passed', async () => {
    let calls = 0;
    const { client } = makeClient({
      fetch: async () => {
        calls++;
        return new Response('{}');
      },
    });
    const error = await failure(client.getCrawl(ID, { deadline: Date.now() - 1 }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(calls).toBe(0);
  });

  it('throws AbortedError when the caller aborts a request in flight', async () => {
    const server = await startServer(() => {});
    try {
      const { client } = makeClient({ baseUrl: server.url });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      expect(await failure(client.getCrawl(ID, { signal: controller.signal }))).toBeInstanceOf(AbortedError);
      expect(Date.now() - started).toBeLessThan(1_000);
      // An already aborted signal sends nothing at all.
      expect(await failure(client.getCrawl(ID, { signal: controller.signal }))).toBeInstanceOf(AbortedError);
    } finally {
      await server.close();
    }
  });
});

describe('cancelCrawl', () => {
  it('accepts any 2xx', async () => {
    nock(BASE)
      .delete(`/v2/crawl/${ID}`)
      .reply(
        200,
        { status: 'canceled', execution_id: ID, stop_date: '2025-01-15T11:00:00Z' },
        { 'Request-ID': 'r1' },
      );
    nock(BASE)
      .delete(`/v2/crawl/${ID}`)
      .reply(202, { status: 'canceled', execution_id: ID, stop_date: null });
    nock(BASE).delete(`/v2/crawl/${ID}`).reply(204);
    const { client } = makeClient();
    expect(await client.cancelCrawl(ID)).toMatchObject({
      executionId: ID,
      outcome: 'canceled',
      stopDate: '2025-01-15T11:00:00Z',
      requestId: 'r1',
    });
    expect(await client.cancelCrawl(ID)).toMatchObject({ outcome: 'canceled', stopDate: null });
    expect(await client.cancelCrawl(ID)).toMatchObject({ outcome: 'canceled', executionId: ID });
  });

  it('reads the crawl after a refusal: finished -> already_finished, whatever the wording', async () => {
    nock(BASE)
      .delete(`/v2/crawl/${ID}`)
      .reply(409, {
        error: { code: 'CONFLICT', message: 'Execution already completed', request_id: 'req_9' },
      });
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(200, {
        ...running,
        status: 'completed',
        meta: { ...running.meta, stop_date: '2025-01-15T11:00:00Z' },
      });
    nock(BASE).delete(`/v2/crawl/${ID}`).reply(400, { error: 'Execution is not running' });
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(200, { ...running, status: 'failed', error: 'boom' });
    const { client } = makeClient();
    expect(await client.cancelCrawl(ID)).toMatchObject({
      outcome: 'already_finished',
      message: 'Execution already completed',
      requestId: 'req_9',
      status: 'completed',
      stopDate: '2025-01-15T11:00:00Z',
    });
    expect(await client.cancelCrawl(ID)).toMatchObject({ outcome: 'already_finished', status: 'failed' });
  });

  it('reads a pending crawl as not_running_yet, even when the refusal says "already finished"', async () => {
    nock(BASE).delete(`/v2/crawl/${ID}`).reply(409, { error: 'Execution already finished' });
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(200, {
        execution_id: ID,
        status: 'pending',
        error: null,
        meta: { start_date: null, stop_date: null, duration_ms: null },
      });
    const { client } = makeClient();
    expect(await client.cancelCrawl(ID)).toMatchObject({ outcome: 'not_running_yet', status: 'pending' });
  });

  it('rethrows the refusal of a running crawl with its request id, and other 400s and 404s', async () => {
    nock(BASE).delete(`/v2/crawl/${ID}`).reply(400, { error: 'bad id' }, { 'Request-ID': 'req_r' });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    nock(BASE).delete(`/v2/crawl/${ID}`).reply(404, { error: 'not found' });
    const { client } = makeClient();
    const refused = await failure(client.cancelCrawl(ID));
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ requestId: 'req_r', status: 400 });
    expect(await failure(client.cancelCrawl(ID))).toBeInstanceOf(NotFoundError);
  });
});

describe('retry', () => {
  it('retries 5xx, 408, 429, network errors and malformed 2xx bodies, then succeeds', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(503, 'down');
    nock(BASE).get(`/v2/crawl/${ID}`).reply(408, '');
    nock(BASE).get(`/v2/crawl/${ID}`).reply(429, { message: 'slow down' });
    nock(BASE).get(`/v2/crawl/${ID}`).replyWithError('socket hang up');
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, '{"trunc');
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    const { client, rec } = makeClient({ retry: { retries: 5 } });
    const retries: string[] = [];
    const crawl = await client.getCrawl(ID, {
      onRetry: (info) => retries.push(`${info.attempt}:${info.error.name}`),
    });
    expect(crawl.status).toBe('running');
    expect(retries).toEqual([
      '1:ServerError',
      '2:ServerError',
      '3:RateLimitError',
      '4:NetworkError',
      '5:InvalidResponseError',
    ]);
    // Full jitter with random()=0.5: half of min(10 s, 500 ms * 2^(n-1)).
    expect(rec.delays).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('gives up after the retries and throws the last typed error', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).times(3).reply(500, { error: 'boom' });
    const { client, rec } = makeClient({ retry: { retries: 2 } });
    expect(await failure(client.getCrawl(ID))).toBeInstanceOf(ServerError);
    expect(rec.delays).toHaveLength(2);
  });

  it.each([400, 401, 402, 403, 404, 409])('never retries %d', async (status) => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(status, { error: 'no' });
    const { client, rec } = makeClient();
    await failure(client.getCrawl(ID));
    expect(rec.delays).toEqual([]);
  });

  it('uses Retry-After seconds as a floor that jitter only lengthens', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(429, { message: 'x' }, { 'Retry-After': '7' });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    const { client, rec } = makeClient({ random: () => 0 });
    await client.getCrawl(ID);
    expect(rec.delays).toEqual([7_000]);
  });

  it('adds jitter on top of the floor', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(503, 'x', { 'Retry-After': '3' });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    const { client, rec } = makeClient({ random: () => 0.99 });
    await client.getCrawl(ID);
    expect(rec.delays[0]).toBe(3_000 + Math.round(0.99 * 500));
  });

  it('accepts Retry-After as an HTTP date', async () => {
    const now = Date.parse('2025-01-15T10:30:00Z');
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(429, { message: 'x' }, { 'Retry-After': new Date(now + 12_000).toUTCString() });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    const { client, rec } = makeClient({ random: () => 0, now: () => now });
    await client.getCrawl(ID);
    expect(rec.delays).toEqual([12_000]);
  });

  it('accepts RateLimit-Reset as an ISO timestamp or delta seconds', async () => {
    const now = Date.parse('2025-01-15T10:30:00Z');
    nock(BASE)
      .get(`/v2/crawl/${ID}`)
      .reply(429, { message: 'x' }, { 'RateLimit-Reset': new Date(now + 2_500).toISOString() });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(429, { message: 'x' }, { 'RateLimit-Reset': '4' });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    const { client, rec } = makeClient({ random: () => 0, now: () => now });
    await client.getCrawl(ID);
    expect(rec.delays).toEqual([2_500, 4_000]);
  });

  it('caps server delays at maxServerDelayMs (60 s) and reports retryAfterMs', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(429, { message: 'x' }, { 'Retry-After': '3600' });
    nock(BASE).get(`/v2/crawl/${ID}`).reply(200, running);
    const { client, rec } = makeClient({ random: () => 0 });
    const seen: Error[] = [];
    await client.getCrawl(ID, { onRetry: (info) => seen.push(info.error) });
    expect(rec.delays).toEqual([60_000]);
    expect((seen[0] as RateLimitError).retryAfterMs).toBe(3_600_000);
  });

  it('does not retry when the delay would pass the deadline', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(429, { message: 'x' }, { 'Retry-After': '30' });
    let t = 1_000_000;
    const { client, rec } = makeClient({ now: () => t });
    const error = await failure(client.getCrawl(ID, { deadline: t + 10_000 }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(rec.delays).toEqual([]);
    t += 0;
  });

  it('stops retrying at the deadline even with retries left', async () => {
    let t = 0;
    nock(BASE).get(`/v2/crawl/${ID}`).times(3).reply(500, 'x');
    const { client, rec } = makeClient({
      now: () => t,
      random: () => 1,
      sleep: async (ms, signal) => {
        if (signal) return systemClock.sleep(ms, signal);
        rec.delays.push(ms);
        t += ms;
      },
      retry: { retries: 10 },
    });
    // Delays 500, 1000, 2000: after two retries (t=1500) the third would end at 3500 > 3000.
    expect(await failure(client.getCrawl(ID, { deadline: 3_000 }))).toBeInstanceOf(ServerError);
    expect(rec.delays).toEqual([500, 1000]);
  });

  it('aborts during a backoff at once with AbortedError', async () => {
    nock(BASE).get(`/v2/crawl/${ID}`).reply(503, 'x', { 'Retry-After': '30' });
    const client = new CatalogClient({ apiKey: KEY, baseUrl: BASE, rateLimit: false });
    const controller = new AbortController();
    const started = Date.now();
    const promise = client.getCrawl(ID, {
      signal: controller.signal,
      onRetry: () => setTimeout(() => controller.abort(), 20),
    });
    expect(await failure(promise)).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('clientOptionsFromEnv', () => {
  it('reads the key and base url', () => {
    expect(clientOptionsFromEnv({ CATALOG_API_KEY: ' k ', CATALOG_API_BASE_URL: 'http://x.test' })).toEqual({
      apiKey: 'k',
      baseUrl: 'http://x.test',
    });
    expect(clientOptionsFromEnv({ CATALOG_API_KEY: 'k' })).toEqual({
      apiKey: 'k',
      baseUrl: DEFAULT_BASE_URL,
    });
  });
  it('names CATALOG_API_KEY when it is missing', () => {
    expect(() => clientOptionsFromEnv({})).toThrow(/CATALOG_API_KEY is not set/);
    expect(() => clientOptionsFromEnv({ CATALOG_API_KEY: '  ' })).toThrow(InvalidInputError);
  });
});
