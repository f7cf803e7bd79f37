import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CANCELLED_ERROR, DEFAULT_API_KEY, type Emulator, STEP_NAMES, startEmulator } from '../src/index.js';
import { CANARY_KEY, call, startCrawl } from './helpers.js';

const ID_RE = /^crawl-[a-z0-9-]+-[0-9a-f]{8}$/;
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const REQUEST_ID_RE = /^req_[0-9a-f]{16}$/;

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator({
    manualClock: true,
    apiKeys: [
      { key: DEFAULT_API_KEY, org: 'default' },
      { key: CANARY_KEY, org: 'acme' },
    ],
  });
});
afterEach(() => emu.close());

describe('authentication', () => {
  it('answers 401 with the documented flat body when the key is missing', async () => {
    const answer = await call(emu, 'GET', '/v2/crawl', { key: null });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: 'API key required (x-api-key header or Authorization: Bearer)',
      status: 401,
    });
    expect(answer.headers.get('request-id')).toMatch(REQUEST_ID_RE);
  });

  it('answers 401 Invalid API key for a wrong key, without echoing it', async () => {
    const answer = await call(emu, 'POST', '/v2/crawl', {
      key: 'ck_live_WRONG_123',
      body: { url: 'skims.com' },
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'Invalid API key', status: 401 });
    expect(answer.text).not.toContain('WRONG');
    expect(answer.headers.get('request-id')).toMatch(REQUEST_ID_RE);
  });

  it('accepts Authorization: Bearer as well as x-api-key', async () => {
    const bearer = await call(emu, 'GET', '/v2/crawl', {
      key: null,
      headers: { authorization: `Bearer ${CANARY_KEY}` },
    });
    expect(bearer.status).toBe(200);
    const wrongBearer = await call(emu, 'GET', '/v2/crawl', {
      key: null,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrongBearer.status).toBe(401);
    expect(wrongBearer.body.error).toBe('Invalid API key');
  });

  it('keeps organisations apart: a crawl of another organisation is a 404', async () => {
    const id = await startCrawl(emu, 'skims.com', CANARY_KEY);
    expect((await call(emu, 'GET', `/v2/crawl/${id}`, { key: CANARY_KEY })).status).toBe(200);
    const other = await call(emu, 'GET', `/v2/crawl/${id}`);
    expect(other.status).toBe(404);
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(404);
    expect((await call(emu, 'GET', '/v2/crawl')).body.data).toEqual([]);
    // the same host in the other organisation is a separate crawl
    expect(await startCrawl(emu, 'skims.com')).not.toBe(id);
  });

  it('never logs the key; logs the organisation', async () => {
    const lines: string[] = [];
    const logged = await startEmulator({
      apiKeys: [{ key: CANARY_KEY, org: 'acme' }],
      log: (l) => lines.push(l),
    });
    try {
      await call(logged, 'POST', '/v2/crawl', { key: CANARY_KEY, body: { url: 'skims.com' } });
      await call(logged, 'GET', `/v2/crawl?api_key=${CANARY_KEY}`, { key: CANARY_KEY });
      await call(logged, 'GET', '/v2/crawl', {
        key: null,
        headers: { authorization: `Bearer ${CANARY_KEY}x` },
      });
      expect(lines).toHaveLength(3);
      expect(lines.join('\n')).not.toContain('CANARY');
      expect(lines[0]).toMatch(/POST \/v2\/crawl 202 \d+ms org=acme req_/);
      expect(lines[2]).toMatch(/ 401 .*org=-/);
      expect(logged.requests.map((r) => r.org)).toEqual(['acme', 'acme', undefined]);
    } finally {
      await logged.close();
    }
  });
});

describe('POST /v2/crawl', () => {
  it('answers 202 with the documented body and rate-limit headers', async () => {
    const answer = await call(emu, 'POST', '/v2/crawl', { body: { url: 'skims.com' } });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      execution_id: expect.stringMatching(/^crawl-skims-com-[0-9a-f]{8}$/),
      status: 'pending',
      meta: { credits_used: 0 },
    });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('request-id')).toMatch(REQUEST_ID_RE);
    expect(answer.headers.get('ratelimit-limit')).toBe('50');
    expect(answer.headers.get('ratelimit-remaining')).toBe('49');
    expect(answer.headers.get('ratelimit-reset')).toMatch(ISO_RE);
  });

  it('normalises URLs and bare domains to the hostname', async () => {
    const id = await startCrawl(emu, 'https://www.Skims.com/collections/bras?x=1#top');
    expect(id).toMatch(/^crawl-skims-com-[0-9a-f]{8}$/);
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).body.meta.vendor).toBe('skims.com');
    const shop = await startCrawl(emu, 'http://shop.example-brand.co.uk:8080/');
    expect(shop).toMatch(/^crawl-shop-example-brand-co-uk-[0-9a-f]{8}$/);
  });

  it('is idempotent per hostname while the crawl runs, and starts a new crawl after it ends', async () => {
    const first = await startCrawl(emu, 'fast.example');
    expect(await startCrawl(emu, 'https://fast.example/')).toBe(first);
    emu.clock.advance(3_000);
    const again = await call(emu, 'POST', '/v2/crawl', { body: { url: 'FAST.example' } });
    expect(again.body).toEqual({ execution_id: first, status: 'running', meta: { credits_used: 0 } });
    emu.clock.advance(60_000);
    const next = await startCrawl(emu, 'fast.example');
    expect(next).not.toBe(first);
    expect(next).toMatch(ID_RE);
  });

  it.each([
    [{}, []],
    [{ url: '' }, []],
    [{ url: 'not a domain' }, ['not a domain']],
    [{ url: 'localhost' }, ['localhost']],
    [{ url: 'ftp://skims.com' }, ['ftp://skims.com']],
    [{ url: '10.0.0.1' }, ['10.0.0.1']],
    [{ url: 42 }, ['42']],
  ])('answers 400 VALIDATION_ERROR for %j', async (body, invalid) => {
    const answer = await call(emu, 'POST', '/v2/crawl', { body });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 'VALIDATION_ERROR',
        message: expect.any(String),
        request_id: expect.stringMatching(REQUEST_ID_RE),
      },
      invalid_urls: invalid,
    });
    expect(answer.headers.get('request-id')).toBe(answer.body.error.request_id);
  });

  it('answers 400 INVALID_REQUEST for a body that is not a JSON object', async () => {
    for (const rawBody of ['{"url":', '["skims.com"]', '']) {
      const answer = await call(emu, 'POST', '/v2/crawl', { rawBody });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_REQUEST');
    }
  });

  it('answers 402 for a no-credits host and creates nothing', async () => {
    const answer = await call(emu, 'POST', '/v2/crawl', { body: { url: 'no-credits-1.example' } });
    expect(answer.status).toBe(402);
    expect(answer.body.error).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      message: expect.stringMatching(/credits/),
    });
    expect((await call(emu, 'GET', '/v2/crawl')).body.pagination.total_items).toBe(0);
  });
});

describe('GET /v2/crawl/{id}', () => {
  it('matches the shape of the reference page example while running', async () => {
    const id = await startCrawl(emu, 'skims.com');
    const pending = await call(emu, 'GET', `/v2/crawl/${id}`);
    expect(pending.status).toBe(200);
    expect(pending.body).toEqual({
      execution_id: id,
      status: 'pending',
      error: null,
      meta: {
        vendor: 'skims.com',
        start_date: expect.stringMatching(ISO_RE),
        stop_date: null,
        duration_ms: 0,
        steps: STEP_NAMES.map((name) => ({ name, status: 'pending' })),
      },
    });
    const plan = emu.plannedDurationMs('skims.com');
    emu.clock.advance(Math.round(plan * 0.2));
    const running = await call(emu, 'GET', `/v2/crawl/${encodeURIComponent(id)}`);
    expect(running.body).toEqual({
      execution_id: id,
      status: 'running',
      error: null,
      meta: {
        vendor: 'skims.com',
        start_date: pending.body.meta.start_date,
        stop_date: null,
        duration_ms: Math.round(plan * 0.2),
        progress: { collections_found: expect.any(Number), listings_found: expect.any(Number) },
        steps: [
          { name: 'Determining crawl method', status: 'completed' },
          { name: 'Discovering collections', status: 'running' },
          { name: 'Analyzing collections', status: 'pending' },
          { name: 'Extracting listings', status: 'pending' },
        ],
      },
    });
    expect(running.body.meta.progress.collections_found).toBeGreaterThan(0);
    expect(running.headers.get('ratelimit-limit')).toBe('50');
  });

  it('answers 404 in the envelope shape for an unknown id', async () => {
    const answer = await call(emu, 'GET', '/v2/crawl/crawl-skims-com-a1b2c3d4');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: expect.stringContaining('crawl-skims-com-a1b2c3d4'),
        request_id: answer.headers.get('request-id'),
      },
    });
  });
});

describe('DELETE /v2/crawl/{id}', () => {
  it('cancels a running crawl; GET then reads failed with the cancel error and a failed step', async () => {
    const id = await startCrawl(emu, 'skims.com');
    emu.clock.advance(Math.round(emu.plannedDurationMs('skims.com') * 0.5));
    const answer = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: 'canceled',
      execution_id: id,
      stop_date: expect.stringMatching(ISO_RE),
    });
    emu.clock.advance(10_000_000);
    const after = (await call(emu, 'GET', `/v2/crawl/${id}`)).body;
    expect(after.status).toBe('failed');
    expect(after.error).toBe(CANCELLED_ERROR);
    expect(after.meta.stop_date).toBe(answer.body.stop_date);
    expect(after.meta.result).toBeUndefined();
    expect(after.meta.steps.filter((s: { status: string }) => s.status === 'failed')).toHaveLength(1);
    expect(after.meta.steps.some((s: { status: string }) => s.status === 'running')).toBe(false);
    const again = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', request_id: again.headers.get('request-id') });
  });

  it('refuses a pending crawl with 409 and a message of its own; once running, it can be cancelled', async () => {
    const id = await startCrawl(emu, 'skims.com');
    const refused = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'CONFLICT',
      request_id: refused.headers.get('request-id'),
    });
    expect(refused.body.error.message).toMatch(/pending/);
    expect(refused.body.error.message).not.toMatch(/completed|failed|finished/);
    const after = (await call(emu, 'GET', `/v2/crawl/${id}`)).body;
    expect(after.status).toBe('pending');
    expect(after.error).toBeNull();
    expect(after.meta.steps.every((s: { status: string }) => s.status === 'pending')).toBe(true);
    // the refusal changed nothing: the crawl starts when planned and is cancellable then
    emu.clock.advance(5_000);
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).body.status).toBe('running');
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(200);
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).body.status).toBe('failed');
  });

  it('answers 409 CONFLICT for a completed crawl and 404 for an unknown one', async () => {
    const id = await startCrawl(emu, 'fast.example');
    emu.clock.advance(20_000);
    const answer = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('CONFLICT');
    expect(answer.body.error.message).toMatch(/completed/);
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).body.status).toBe('completed');
    expect((await call(emu, 'DELETE', '/v2/crawl/crawl-nope-com-00000000')).status).toBe(404);
  });
});

describe('GET /v2/crawl (list)', () => {
  it('lists newest first with the documented pagination object and filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(await startCrawl(emu, `shop${i}.com`));
      emu.clock.advance(1);
    }
    const done = await startCrawl(emu, 'fast.example');
    emu.clock.advance(15_000); // fast completes; the others are still running
    const failed = await startCrawl(emu, 'shop-x.com');
    emu.clock.advance(5_000); // running: a pending crawl cannot be cancelled
    expect((await call(emu, 'DELETE', `/v2/crawl/${failed}`)).status).toBe(200);

    const first = await call(emu, 'GET', '/v2/crawl');
    expect(first.status).toBe(200);
    expect(first.body.meta).toEqual({});
    expect(first.body.pagination).toEqual({
      page: 1,
      page_size: 20,
      total_items: 27,
      total_pages: 2,
      has_next: true,
      has_prev: false,
    });
    expect(first.body.data).toHaveLength(20);
    expect(first.body.data[0]).toEqual({
      execution_id: failed,
      status: 'failed',
      created_at: expect.stringMatching(ISO_RE),
    });
    expect(first.body.data[1].execution_id).toBe(done);
    expect(first.body.data[2].execution_id).toBe(ids[24]);

    const second = await call(emu, 'GET', '/v2/crawl?page=2&page_size=20');
    expect(second.body.data.map((d: { execution_id: string }) => d.execution_id)).toEqual(
      ids.slice(0, 7).reverse(),
    );
    expect(second.body.pagination).toMatchObject({ page: 2, has_next: false, has_prev: true });

    const processing = await call(emu, 'GET', '/v2/crawl?status=processing&page_size=100');
    expect(processing.body.pagination.total_items).toBe(25);
    expect(processing.body.data.every((d: { status: string }) => d.status === 'running')).toBe(true);
    const completed = await call(emu, 'GET', '/v2/crawl?status=completed');
    expect(completed.body.data).toEqual([
      { execution_id: done, status: 'completed', created_at: expect.any(String) },
    ]);
    const failedList = await call(emu, 'GET', '/v2/crawl?status=failed');
    expect(failedList.body.data.map((d: { execution_id: string }) => d.execution_id)).toEqual([failed]);

    const beyond = await call(emu, 'GET', '/v2/crawl?page=9');
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination).toMatchObject({
      page: 9,
      total_pages: 2,
      has_next: false,
      has_prev: true,
    });
  });

  it('counts pending crawls as processing', async () => {
    const id = await startCrawl(emu, 'skims.com');
    const answer = await call(emu, 'GET', '/v2/crawl?status=processing');
    expect(answer.body.data).toEqual([
      { execution_id: id, status: 'pending', created_at: expect.any(String) },
    ]);
  });

  it('answers an empty list with zero pages', async () => {
    const answer = await call(emu, 'GET', '/v2/crawl');
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
  });

  it.each([
    'status=running',
    'status=',
    'page=0',
    'page=-1',
    'page=abc',
    'page=1.5',
    'page_size=0',
    'page_size=101',
  ])('answers 400 for ?%s', async (query) => {
    const answer = await call(emu, 'GET', `/v2/crawl?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_REQUEST', request_id: expect.any(String) });
  });

  it('accepts page_size=100', async () => {
    expect((await call(emu, 'GET', '/v2/crawl?page_size=100')).body.pagination.page_size).toBe(100);
  });
});

describe('routing', () => {
  it('answers 404 in the envelope shape for unknown routes, with a Request-ID header', async () => {
    for (const path of [
      '/',
      '/v1/crawl',
      '/v2/crawl/a/b',
      '/v2/products',
      '/v2/listings/x',
      '/v1/listings',
    ]) {
      const answer = await call(emu, 'GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({
        code: 'NOT_FOUND',
        request_id: answer.headers.get('request-id'),
      });
    }
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const put = await call(emu, 'PUT', '/v2/crawl');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect(put.body.error.code).toBe('METHOD_NOT_ALLOWED');
    const post = await call(emu, 'POST', '/v2/crawl/crawl-skims-com-a1b2c3d4', { body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, DELETE');
  });

  it('records every request', async () => {
    await call(emu, 'GET', '/v2/crawl?page=1');
    await call(emu, 'GET', '/nope', { key: null });
    expect(emu.requests).toEqual([
      {
        method: 'GET',
        path: '/v2/crawl',
        query: '?page=1',
        status: 200,
        at: expect.any(Number),
        org: 'default',
        requestId: expect.stringMatching(REQUEST_ID_RE),
      },
      {
        method: 'GET',
        path: '/nope',
        query: '',
        status: 404,
        at: expect.any(Number),
        requestId: expect.any(String),
      },
    ]);
  });
});
