import { describe, expect, it } from 'vitest';
import { ApiError, NotFoundError, ServerError } from '../src/index.js';
import { type Endpoint, pageFetcher } from '../src/results/endpoints.js';
import { Results } from '../src/results/pages.js';
import type { ResultsCall } from '../src/results/send.js';
import type { Listing } from '../src/results/types.js';

type Answer = number | { data: unknown[]; pagination?: Record<string, unknown> };

/**
 * A fake of the client's request entry point: `answer(method, page)` gives an HTTP status (turned into the
 * client's typed error) or a body (handed to the call's parse function, as the client does).
 */
function fakeSend(answer: (method: string, page: number) => Answer) {
  const calls: ResultsCall<unknown>[] = [];
  const send = async <T>(call: ResultsCall<T>): Promise<T> => {
    calls.push(call as ResultsCall<unknown>);
    const page =
      call.method === 'GET'
        ? Number(new URL(call.path, 'http://x').searchParams.get('page'))
        : (call.body as { page: number }).page;
    const a = answer(call.method, page);
    if (typeof a === 'number') {
      if (a === 404)
        throw new NotFoundError(`${call.label} failed with HTTP 404`, 'NOT_FOUND', { status: 404 });
      if (a >= 500)
        throw new ServerError(`${call.label} failed with HTTP ${a}`, 'SERVER_ERROR', { status: a });
      throw new ApiError(`${call.label} failed with HTTP ${a}`, `HTTP_${a}`, { status: a });
    }
    return call.parse(a, 'req_1');
  };
  return { calls, send };
}

const page = (p: number, of: number) => ({
  data: Array.from({ length: p <= of ? 100 : 0 }, (_, i) => ({
    id: `p${p}-${i}`,
    url: `https://v.example/p/${p}/${i}`,
  })),
  pagination: { page: p, page_size: 100, total_pages: of, has_next: p < of },
});

const listings = (extra: Partial<Endpoint> = {}): Endpoint => ({
  kind: 'listings',
  fields: { vendor: 'v.example' },
  arrayStyle: 'repeat',
  notFoundIsEmpty: true,
  ...extra,
});

async function read(owner: object, send: ReturnType<typeof fakeSend>['send'], endpoint = listings()) {
  const results = new Results<Listing>(endpoint.kind, pageFetcher(owner, send, endpoint, {}), { what: 'x' });
  const ids: string[] = [];
  for await (const item of results) ids.push(item.id);
  return { ids, results };
}

describe('method: GET, one POST fallback on 404/405 before any page, remembered', () => {
  it('GET works: every page is a GET with vendor, page and page_size=100 in the query; GET is remembered', async () => {
    const owner = {};
    const { calls, send } = fakeSend((m, p) => (m === 'GET' ? page(p, 2) : 500));
    const { ids, results } = await read(owner, send);
    expect(ids).toHaveLength(200);
    expect(calls.map((c) => c.path)).toEqual([
      '/v2/listings?vendor=v.example&page=1&page_size=100',
      '/v2/listings?vendor=v.example&page=2&page_size=100',
    ]);
    expect(calls.every((c) => c.body === undefined && c.label === 'GET /v2/listings')).toBe(true);
    expect(results.stats.method).toBe('GET');
  });

  it.each([404, 405])(
    'GET %i then POST works: POST from then on, for this read and the next one',
    async (status) => {
      const owner = {};
      const { calls, send } = fakeSend((m, p) => (m === 'GET' ? status : page(p, 2)));
      const first = await read(owner, send);
      expect(first.ids).toHaveLength(200);
      expect(calls.map((c) => c.method)).toEqual(['GET', 'POST', 'POST']);
      expect(calls[1]).toMatchObject({
        path: '/v2/listings',
        body: { vendor: 'v.example', page: 1, page_size: 100 },
      });
      expect(first.results.stats.method).toBe('POST');
      calls.length = 0;
      await read(owner, send);
      expect(calls.map((c) => c.method)).toEqual(['POST', 'POST']);
      // Remembered per owner (client): another client starts with GET again.
      calls.length = 0;
      await read({}, send);
      expect(calls.map((c) => c.method)).toEqual(['GET', 'POST', 'POST']);
    },
  );

  it('GET 404 then POST 405: GET is the method and the vendor has nothing indexed (remembered: no POST next time)', async () => {
    const owner = {};
    const { calls, send } = fakeSend((m) => (m === 'GET' ? 404 : 405));
    const { ids, results } = await read(owner, send);
    expect(ids).toEqual([]);
    expect(results.stats.stopReason).toBe('not_found');
    calls.length = 0;
    await read(owner, send);
    expect(calls.map((c) => c.method)).toEqual(['GET']);
  });

  it('GET 404 then POST 404: nothing indexed, nothing remembered', async () => {
    const owner = {};
    const { calls, send } = fakeSend(() => 404);
    expect((await read(owner, send)).ids).toEqual([]);
    calls.length = 0;
    await read(owner, send);
    expect(calls.map((c) => c.method)).toEqual(['GET', 'POST']);
  });

  it('GET 405 then POST 404: POST is the method and the vendor has nothing indexed', async () => {
    const owner = {};
    const { calls, send } = fakeSend((m) => (m === 'GET' ? 405 : 404));
    expect((await read(owner, send)).ids).toEqual([]);
    calls.length = 0;
    await read(owner, send);
    expect(calls.map((c) => c.method)).toEqual(['POST']);
  });

  it('GET 405 then POST 405: the error is thrown', async () => {
    const { send } = fakeSend(() => 405);
    await expect(read({}, send)).rejects.toMatchObject({ status: 405 });
  });

  it('no fallback for other errors, or once a page was read, or once the method is known', async () => {
    const a = fakeSend(() => 500);
    await expect(read({}, a.send)).rejects.toBeInstanceOf(ServerError);
    expect(a.calls.map((c) => c.method)).toEqual(['GET']);

    // A 404 on page 2: the end of the data, no POST.
    const b = fakeSend((_m, p) => (p === 1 ? { ...page(1, 3) } : 404));
    const { ids, results } = await read({}, b.send);
    expect(ids).toHaveLength(100);
    expect(results.stats.stopReason).toBe('not_found');
    expect(b.calls.map((c) => c.method)).toEqual(['GET', 'GET']);

    // GET remembered, then a 405: thrown, no POST.
    const owner = {};
    let refuse = false;
    const c = fakeSend((_m, p) => (refuse ? 405 : page(p, 1)));
    await read(owner, c.send);
    refuse = true;
    c.calls.length = 0;
    await expect(read(owner, c.send)).rejects.toMatchObject({ status: 405 });
    expect(c.calls.map((x) => x.method)).toEqual(['GET']);
  });

  it('vendors (no vendor field): a 404 from both methods is an error, not "nothing indexed"', async () => {
    const { send } = fakeSend(() => 404);
    await expect(
      read({}, send, { kind: 'vendors', fields: {}, arrayStyle: 'repeat', notFoundIsEmpty: false }),
    ).rejects.toThrow(/no vendors endpoint at this base URL; check CATALOG_API_BASE_URL/);
  });

  it('collection_urls: repeated keys by default, one comma-joined value as an option, a JSON array in a POST', async () => {
    const urls = ['https://v.example/collections/a', 'https://v.example/collections/b?x=1'];
    const a = fakeSend((_m, p) => page(p, 1));
    await read({}, a.send, listings({ fields: { vendor: 'v.example', collection_urls: urls } }));
    const q = new URL(a.calls[0]!.path, 'http://x').searchParams;
    expect(q.getAll('collection_urls')).toEqual(urls);

    const b = fakeSend((_m, p) => page(p, 1));
    await read(
      {},
      b.send,
      listings({ fields: { vendor: 'v.example', collection_urls: urls }, arrayStyle: 'comma' }),
    );
    expect(new URL(b.calls[0]!.path, 'http://x').searchParams.getAll('collection_urls')).toEqual([
      urls.join(','),
    ]);

    const c = fakeSend((m, p) => (m === 'GET' ? 405 : page(p, 1)));
    await read({}, c.send, listings({ fields: { vendor: 'v.example', collection_urls: urls } }));
    expect(c.calls[1]?.body).toEqual({ vendor: 'v.example', collection_urls: urls, page: 1, page_size: 100 });
  });
});
