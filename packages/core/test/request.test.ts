import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CatalogClient, sendRequest } from '../src/client.js';
import { systemClock } from '../src/clock.js';
import {
  ApiError,
  AuthError,
  errorFromResponse,
  NotFoundError,
  RateLimitError,
  ServerError,
} from '../src/errors.js';

const BASE = 'http://catalog.test';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('sendRequest (package-internal entry point)', () => {
  it('sends a GET with its query through the same retry and typed errors', async () => {
    nock(BASE).get('/v2/listings').query({ vendor: 'skims.com', page: '1' }).reply(503, 'busy');
    nock(BASE)
      .get('/v2/listings')
      .query({ vendor: 'skims.com', page: '1' })
      .reply(200, { data: [1, 2] }, { 'Request-ID': 'req_l' });
    const delays: number[] = [];
    const client = new CatalogClient({
      apiKey: 'k-123456',
      baseUrl: BASE,
      rateLimit: false,
      clock: {
        random: () => 0,
        // A sleep with a signal is the request's own timeout: real time, as nock answers on real time.
        sleep: async (ms, signal) => {
          if (signal) return systemClock.sleep(ms, signal);
          delays.push(ms);
        },
      },
    });
    const got = await sendRequest(client, {
      method: 'GET',
      path: '/v2/listings?vendor=skims.com&page=1',
      label: 'GET /v2/listings',
      parse: (body, requestId) => ({ body, requestId }),
    });
    expect(got).toEqual({ body: { data: [1, 2] }, requestId: 'req_l' });
    expect(delays).toHaveLength(1);
  });

  it('names notFound in a 404 and keeps other statuses as ApiError with their status', async () => {
    nock(BASE).get('/v2/collections?vendor=x.com').reply(404, { error: 'nope' });
    nock(BASE).get('/v2/collections?vendor=x.com').reply(405, { error: 'use POST' });
    const client = new CatalogClient({ apiKey: 'k-123456', baseUrl: BASE, rateLimit: false, retry: false });
    const spec = {
      method: 'GET' as const,
      path: '/v2/collections?vendor=x.com',
      label: 'GET /v2/collections',
      parse: (body: unknown) => body,
      notFound: 'vendor x.com',
    };
    const e404 = await sendRequest(client, spec).catch((e: unknown) => e);
    expect(e404).toBeInstanceOf(NotFoundError);
    expect((e404 as Error).message).toContain('No vendor x.com');
    const e405 = await sendRequest(client, spec).catch((e: unknown) => e);
    expect(e405).toBeInstanceOf(ApiError);
    expect(e405).toMatchObject({ status: 405, serverMessage: 'use POST' });
  });
});

describe('errorFromResponse', () => {
  const headers = (h: Record<string, string> = {}) => new Headers(h);
  it('maps statuses to classes with the request id from header or body', () => {
    const auth = errorFromResponse(401, '{"error":"Invalid API key","status":401}', headers(), {
      label: 'GET /x',
    });
    expect(auth).toBeInstanceOf(AuthError);
    expect(auth).toMatchObject({ status: 401, code: 'UNAUTHORIZED', serverMessage: 'Invalid API key' });
    const env = errorFromResponse(
      500,
      '{"error":{"code":"E","message":"m","request_id":"req_b"}}',
      headers(),
      { label: 'GET /x' },
    );
    expect(env).toBeInstanceOf(ServerError);
    expect(env.requestId).toBe('req_b');
  });

  it('puts the server delay on the error itself (429 and 5xx)', () => {
    const limited = errorFromResponse(429, '{}', headers({ 'Retry-After': '7' }), { label: 'GET /x' });
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.retryAfterMs).toBe(7_000);
    const busy = errorFromResponse(503, '', headers({ 'Retry-After': '2' }), { label: 'GET /x' });
    expect(busy.retryAfterMs).toBe(2_000);
    expect(errorFromResponse(503, '', headers(), { label: 'GET /x' }).retryAfterMs).toBeUndefined();
  });

  it('redacts what the server echoed', () => {
    const error = errorFromResponse(400, '{"error":"bad key secret-key-1"}', headers(), {
      label: 'GET /x',
      redact: (t) => t.replaceAll('secret-key-1', '***'),
    });
    expect(error.message).not.toContain('secret-key-1');
    expect(error.serverMessage).toBe('bad key ***');
  });
});
