import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidInputError, NetworkError } from '../src/index.js';
import { type FetchPage, type PageRequest, Results } from '../src/results/pages.js';
import type { Listing } from '../src/results/types.js';

const listing = (n: number) => ({ id: `l${n}`, url: `https://shop.example/p/${n}` });

/** A fake endpoint serving `total` listings in v2 envelopes; `tweak` can rewrite each answer. */
function server(
  total: number,
  tweak: (answer: { data: unknown[]; pagination: Record<string, unknown> }, req: PageRequest) => unknown = (
    a,
  ) => a,
) {
  const requests: PageRequest[] = [];
  const fetchPage: FetchPage = async (req) => {
    requests.push(req);
    const from = (req.page - 1) * req.pageSize;
    const data = Array.from({ length: Math.max(0, Math.min(req.pageSize, total - from)) }, (_, i) =>
      listing(from + i),
    );
    const totalPages = Math.ceil(total / req.pageSize);
    const answer = {
      data,
      pagination: {
        page: req.page,
        page_size: req.pageSize,
        total_items: total,
        total_pages: totalPages,
        has_next: req.page < totalPages,
        has_prev: req.page > 1,
      },
    };
    const body = tweak(answer, req);
    const { parseEnvelope } = await import('../src/results/parse.js');
    return { envelope: parseEnvelope(body), method: 'GET' };
  };
  return { requests, fetchPage };
}

async function all<T>(results: Results<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of results) out.push(item);
  return out;
}

const make = (fetchPage: FetchPage, extra: Partial<ConstructorParameters<typeof Results<Listing>>[2]> = {}) =>
  new Results<Listing>('listings', fetchPage, { what: 'listings of shop.example', ...extra });

describe('page loop: stop rules', () => {
  it('reads every item once, in order, sending page_size 100 on every request', async () => {
    const s = server(250);
    const results = make(s.fetchPage);
    const items = await all(results);
    expect(items.map((l) => l.id)).toEqual(Array.from({ length: 250 }, (_, i) => `l${i}`));
    expect(s.requests.map((r) => [r.page, r.pageSize])).toEqual([
      [1, 100],
      [2, 100],
      [3, 100],
    ]);
    expect(results.stats).toMatchObject({
      pagesRead: 3,
      itemsRead: 250,
      totalItems: 250,
      totalPages: 3,
      method: 'GET',
    });
  });

  it('has_next === false stops even when total_pages says more', async () => {
    const s = server(250, (a) => ({
      ...a,
      pagination: { ...a.pagination, total_pages: 9, has_next: false },
    }));
    const results = make(s.fetchPage);
    expect(await all(results)).toHaveLength(100);
    expect(s.requests).toHaveLength(1);
    expect(results.stats.stopReason).toBe('has_next_false');
  });

  it('empty data stops (and a first empty page is "nothing indexed")', async () => {
    const s = server(250, (a, req) =>
      req.page === 2
        ? { data: [], pagination: { ...a.pagination, has_next: true } }
        : { ...a, pagination: { ...a.pagination, total_pages: 9, has_next: true } },
    );
    const results = make(s.fetchPage);
    expect(await all(results)).toHaveLength(100);
    expect(s.requests).toHaveLength(2);
    expect(results.stats.stopReason).toBe('empty');

    const none = server(0);
    const empty = make(none.fetchPage);
    expect(await all(empty)).toEqual([]);
    expect(empty.stats).toMatchObject({ stopReason: 'empty', pagesRead: 0, itemsRead: 0 });
  });

  it('page >= total_pages stops when has_next is absent', async () => {
    const s = server(250, (a) => {
      const { has_next: _, ...pagination } = a.pagination;
      return { ...a, pagination };
    });
    const results = make(s.fetchPage);
    expect(await all(results)).toHaveLength(250);
    expect(s.requests).toHaveLength(3);
    expect(results.stats.stopReason).toBe('total_pages');
  });

  it('hard cap: a server that always says "page 1 of 3, more to come" is stopped after total_pages + 1 requests', async () => {
    let n = 0;
    const s = server(300, () => ({
      data: Array.from({ length: 100 }, () => listing(n++)), // fresh items each time, so nothing looks repeated
      pagination: { page: 1, page_size: 100, total_items: 300, total_pages: 3, has_next: true },
    }));
    const results = make(s.fetchPage);
    const pages = [];
    for await (const page of results.pages()) pages.push(page);
    expect(s.requests).toHaveLength(4);
    expect(results.stats.stopReason).toBe('hard_cap');
    expect(pages.at(-1)?.last).toBe('hard_cap');
  });

  it('a server repeating its last page is stopped without yielding the repeat', async () => {
    const s = server(150, (a, req) => {
      if (req.page < 2) return { ...a, pagination: { ...a.pagination, has_next: true, total_pages: 50 } };
      // Page 2 and beyond: the last page again, still claiming more.
      const data = Array.from({ length: 50 }, (_, i) => listing(100 + i));
      return { data, pagination: { page: req.page, total_pages: 50, has_next: true } };
    });
    const results = make(s.fetchPage);
    const ids = (await all(results)).map((l) => l.id);
    expect(ids).toHaveLength(150);
    expect(new Set(ids).size).toBe(150);
    expect(s.requests).toHaveLength(3);
    expect(results.stats.stopReason).toBe('repeated');
  });

  it('without any paging information: a short page stops; maxPages bounds a server that never sends one', async () => {
    const s = server(250, (a) => a.data); // a bare array
    const results = make(s.fetchPage);
    expect(await all(results)).toHaveLength(250);
    expect(results.stats.stopReason).toBe('short_page');

    let n = 0;
    const endless = server(0, () => Array.from({ length: 100 }, () => listing(n++)));
    const capped = make(endless.fetchPage, { maxPages: 7 });
    expect(await all(capped)).toHaveLength(700);
    expect(endless.requests).toHaveLength(7);
    expect(capped.stats.stopReason).toBe('max_pages');
  });

  it('a 404 on the first page (fetchPage gives undefined) is nothing indexed', async () => {
    const results = make(async () => undefined);
    expect(await all(results)).toEqual([]);
    expect(results.stats.stopReason).toBe('not_found');
  });

  it('counts items without id/url as skipped and filtered ones as filteredOut', async () => {
    const s = server(3, (a) => ({ ...a, data: [...a.data, { id: 'no-url' }, 'junk'] }));
    const results = make(s.fetchPage, { filter: (l) => l.id !== 'l1' });
    const pages = [];
    for await (const page of results.pages()) pages.push(page);
    expect(pages[0]?.items.map((l) => l.id)).toEqual(['l0', 'l2']);
    expect(pages[0]).toMatchObject({ skipped: 2, filteredOut: 1, itemsRead: 2, pagesRead: 1, totalItems: 3 });
    expect(results.stats).toMatchObject({ skipped: 2, filteredOut: 1, itemsRead: 2 });
  });

  it('the loop terminates within the cap whatever the server answers (property)', async () => {
    const pagingArb = fc.record(
      {
        page: fc.oneof(fc.nat(20), fc.constant('x')),
        total_pages: fc.oneof(fc.nat(6), fc.constant(1e12), fc.constant(null)),
        total_items: fc.oneof(fc.nat(1000), fc.constant(null)),
        has_next: fc.oneof(fc.boolean(), fc.constant(null)),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.nat(120), paging: pagingArb, repeat: fc.boolean() }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (script) => {
          let n = 0;
          let previous: unknown[] = [];
          const requests: number[] = [];
          const fetchPage: FetchPage = async (req) => {
            requests.push(req.page);
            const step = script[Math.min(requests.length - 1, script.length - 1)]!;
            const data =
              step.repeat && previous.length > 0
                ? previous
                : Array.from({ length: step.size }, () => listing(n++));
            previous = data;
            const { parseEnvelope } = await import('../src/results/parse.js');
            return { envelope: parseEnvelope({ data, pagination: step.paging }), method: 'GET' };
          };
          const results = make(fetchPage, { maxPages: 50 });
          await all(results);
          const first = script[0]!.paging as Record<string, unknown>;
          const firstPages =
            typeof first.total_pages === 'number'
              ? first.total_pages
              : typeof first.total_items === 'number'
                ? Math.ceil(first.total_items / 100)
                : undefined;
          const bound = firstPages === undefined ? 50 : Math.min(50, firstPages + 1);
          expect(requests.length).toBeLessThanOrEqual(bound);
          expect(results.stats.stopReason).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('page loop: laziness, signal, deadline, input', () => {
  it('fetches nothing until iterated, and yields the first item before reading the next page', async () => {
    const s = server(1000);
    const results = make(s.fetchPage);
    expect(s.requests).toHaveLength(0);
    const iterator = results[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ id: 'l0' });
    expect(s.requests).toHaveLength(1);
    // The whole first page is served from memory already fetched; the second page only when asked.
    for (let i = 1; i < 100; i++) await iterator.next();
    expect(s.requests).toHaveLength(1);
    await iterator.next();
    expect(s.requests).toHaveLength(2);
    // Stopping early fetches nothing more.
    await iterator.return?.();
    expect(s.requests).toHaveLength(2);
  });

  it('does not accumulate: every item of page N reached the consumer before page N+1 is fetched', async () => {
    const s = server(500);
    let received = 0;
    const seenAtFetch: number[] = [];
    const original = s.fetchPage;
    const spying = new Results<Listing>(
      'listings',
      async (req) => {
        seenAtFetch.push(received);
        return original(req);
      },
      { what: 'x' },
    );
    for await (const _ of spying) received++;
    expect(seenAtFetch).toEqual([0, 100, 200, 300, 400]);
  });

  it('the signal is checked before every page: AbortedError, no further request', async () => {
    const controller = new AbortController();
    const s = server(1000);
    const results = make(s.fetchPage, { signal: controller.signal });
    let count = 0;
    await expect(
      (async () => {
        for await (const _ of results) {
          if (++count === 150) controller.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]?.signal).toBe(controller.signal);
  });

  it('the deadline is passed to each request and checked before each page', async () => {
    let now = 1_000;
    const s = server(1000);
    const results = make(s.fetchPage, { deadline: 5_000, now: () => now });
    const iterator = results.pages();
    await iterator.next();
    expect(s.requests[0]?.deadline).toBe(5_000);
    now = 5_000;
    const error = await iterator.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toMatch(/after 1 page: the deadline passed/);
    expect(s.requests).toHaveLength(1);
  });

  it('keeps no reference to a page it has yielded: once the consumer drops it, it can be collected while the loop waits', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = server(300);
    const pages = make(s.fetchPage).pages();
    // In a function of its own, so that no local of this test holds the page.
    const firstPage = async () => new WeakRef((await pages.next()).value!);
    const first = await firstPage();
    for (let i = 0; i < 3 && first.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(first.deref()).toBeUndefined();
    expect((await pages.next()).value?.page).toBe(2);
    await pages.return();
  });

  it('rejects a page size outside 1..100 or a bad maxPages before any request', () => {
    const s = server(10);
    expect(() => make(s.fetchPage, { pageSize: 1000 })).toThrow(InvalidInputError);
    expect(() => make(s.fetchPage, { pageSize: 0 })).toThrow(/1 to 100/);
    expect(() => make(s.fetchPage, { maxPages: 0 })).toThrow(InvalidInputError);
    expect(s.requests).toHaveLength(0);
  });
});

describe('page(n): one page on demand', () => {
  it('fetches exactly that page and says whether it is the last', async () => {
    const s = server(250);
    const results = make(s.fetchPage, { pageSize: 50 });
    const third = await results.page(3);
    expect(s.requests.map((r) => [r.page, r.pageSize, r.pagesRead])).toEqual([[3, 50, 0]]);
    expect(third).toMatchObject({ page: 3, totalItems: 250, totalPages: 5, pagesRead: 1, itemsRead: 50 });
    expect(third.items[0]?.id).toBe('l100');
    expect(third.last).toBeUndefined();
    expect((await results.page(5)).last).toBe('has_next_false');
    expect(await results.page(9)).toMatchObject({ items: [], last: 'empty' });
    expect(await make(async () => undefined).page(1)).toMatchObject({
      items: [],
      last: 'not_found',
      pagesRead: 0,
    });
    expect(results.stats.pagesRead).toBe(0);
  });

  it('refuses page 0 and checks the signal first', async () => {
    const s = server(10);
    await expect(make(s.fetchPage).page(0)).rejects.toBeInstanceOf(InvalidInputError);
    const controller = new AbortController();
    controller.abort();
    await expect(make(s.fetchPage, { signal: controller.signal }).page(1)).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(s.requests).toHaveLength(0);
  });
});
