import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_RESULT_BYTES } from '../src/results.js';
import { getCrawlResultsOutputShape } from '../src/schemas.js';
import {
  CANARY,
  type Connected,
  connect,
  startTestEmulator,
  structured,
  testClient,
  textOf,
} from './helpers.js';

let emulator: Emulator;
let conn: Connected;
const seen: string[] = [];

interface Answer {
  items: Record<string, unknown>[];
  has_more: boolean;
  next_page?: number;
  total_items?: number;
  crawl_total?: number;
  vendor: string;
  fields: string[];
  next_step: string;
  truncated: boolean;
}

async function call(name: string, args: Record<string, unknown>, c: Connected = conn) {
  const result = await c.client.callTool({ name, arguments: args });
  seen.push(JSON.stringify(result));
  if (!result.isError && name === 'get_crawl_results') {
    z.strictObject(getCrawlResultsOutputShape).parse(result.structuredContent);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(MAX_RESULT_BYTES);
  }
  return result;
}

/** A completed crawl of a fast host, its listings total kept small so that reading them all stays short. */
async function completedCrawl(
  prefix: string,
): Promise<{ id: string; listings: number; collections: number }> {
  for (let i = 0; i < 30; i++) {
    const started = await call('start_crawl', { url: `fast-${prefix}${i}.example` });
    const id = structured<{ execution_id: string }>(started).execution_id;
    const done = structured<{ result?: { listings_total: number; collections_total: number } }>(
      await call('wait_for_crawl', { execution_id: id, wait_seconds: 10 }),
    );
    if (done.result && done.result.listings_total > 0 && done.result.listings_total <= 400) {
      return { id, listings: done.result.listings_total, collections: done.result.collections_total };
    }
  }
  throw new Error('no small fast crawl found');
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  conn = await connect({ client: testClient(emulator) });
});
afterAll(async () => {
  await conn?.close();
  await emulator?.close();
  expect([...seen, ...conn.logs].join('\n')).not.toContain(CANARY);
});

describe('get_crawl_results', () => {
  it("pages through a completed crawl's listings: all of them, none twice, totals equal the crawl's", async () => {
    const crawl = await completedCrawl('results');
    const waited = await call('wait_for_crawl', { execution_id: crawl.id, wait_seconds: 5 });
    expect(structured<{ next_step: string }>(waited).next_step).toMatch(
      new RegExp(`get_crawl_results with execution_id "${crawl.id}"`),
    );
    const ids = new Set<string>();
    let page: number | undefined = 1;
    let pages = 0;
    const gets = () => emulator.requests.filter((r) => r.path.endsWith(`/${crawl.id}`)).length;
    const statusReads = gets();
    while (page !== undefined) {
      const result = await call('get_crawl_results', { execution_id: crawl.id, page, page_size: 50 });
      expect(result.isError, textOf(result)).toBeFalsy();
      const answer = structured<Answer>(result);
      expect(answer.crawl_total).toBe(crawl.listings);
      expect(answer.fields).toEqual(['id', 'name', 'url', 'price', 'currency', 'image_url']);
      for (const item of answer.items) {
        expect(Object.keys(item).every((k) => answer.fields.includes(k))).toBe(true);
        expect(ids.has(item['id'] as string)).toBe(false);
        ids.add(item['id'] as string);
      }
      if (answer.has_more) {
        expect(answer.next_page).toBe(page + 1);
        expect(answer.next_step).toMatch(new RegExp(`page ${page + 1}`));
        expect(textOf(result)).toMatch(/^\S+ listings, page \d+: \d+-\d+ of /);
      }
      page = answer.next_page;
      pages++;
      expect(pages).toBeLessThan(20);
    }
    expect(ids.size).toBe(crawl.listings);
    // A finished crawl comes from the shared view: paging reads no status again.
    expect(gets()).toBe(statusReads);
  });

  it('collections by vendor, with a field selection', async () => {
    const crawl = await completedCrawl('cols');
    const vendor = structured<{ vendor: string }>(
      await call('get_crawl_status', { execution_id: crawl.id }),
    ).vendor;
    const result = await call('get_crawl_results', {
      vendor,
      kind: 'collections',
      page_size: 50,
      fields: ['url', 'products_total'],
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const answer = structured<Answer>(result);
    expect(answer.vendor).toBe(vendor);
    expect(answer.total_items).toBe(crawl.collections);
    for (const item of answer.items) expect(Object.keys(item).sort()).toEqual(['products_total', 'url']);
    // The same vendor's listings page through the resource template.
    const read = await conn.client.readResource({ uri: `catalog-crawl://vendors/${vendor}/listings/1` });
    seen.push(JSON.stringify(read));
    const body = JSON.parse((read.contents[0] as { text: string }).text) as Answer;
    expect(body.vendor).toBe(vendor);
    expect(body.items.length).toBe(Math.min(50, crawl.listings));
  });

  it('a crawl that is not completed, and bad arguments: isError results that say what to do', async () => {
    const running = structured<{ execution_id: string }>(
      await call('start_crawl', { url: 'long-results.example' }),
    ).execution_id;
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { execution_id: running },
        /still (pending|running).*Call wait_for_crawl with this execution_id first/,
      ],
      [{}, /exactly one of execution_id .* or vendor/],
      [{ execution_id: running, vendor: 'skims.com' }, /exactly one of execution_id/],
      [{ vendor: 'skims.com/shop' }, /vendor/],
      [{ vendor: 'skims.com', page_size: 51 }, /page_size/],
      [{ vendor: 'skims.com', page: 0 }, /page/],
      [
        { vendor: 'skims.com', kind: 'collections', fields: ['price'] },
        /price is not a field of collections/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await call('get_crawl_results', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(result)).toMatch(message);
    }
    const unknown = structured<Answer>(await call('get_crawl_results', { vendor: 'never-crawled.example' }));
    expect(unknown.items).toEqual([]);
    expect(unknown.next_step).toMatch(/Nothing is indexed for never-crawled.example/);
  });

  it('an answer stays under the documented size whatever the API sends', async () => {
    // A hostile results server: 50 listings with huge texts and many images on every page.
    const huge = '\u0001"'.repeat(10_000);
    const api: Server = createHttpServer((req, res) => {
      const items = Array.from({ length: 50 }, (_, i) => ({
        id: `${i}-${huge}`,
        url: `https://shop.example/${huge}`,
        name: huge,
        images: Array.from({ length: 200 }, (_, j) => ({
          url: `https://img.example/${j}/${j === 0 ? huge : 'x'}`,
          position: j,
        })),
        price: { currency: huge, current_value: 10, compare_at_value: null },
        vendor: huge,
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          data: req.url?.startsWith('/v2/listings') ? items : [],
          pagination: { page: 1, page_size: 50, total_items: 5000, total_pages: 100, has_next: true },
        }),
      );
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const hostile = await connect({
      client: testClient(emulator, { baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}` }),
    });
    try {
      const result = await call(
        'get_crawl_results',
        {
          vendor: 'shop.example',
          page_size: 50,
          fields: [
            'id',
            'name',
            'url',
            'price',
            'currency',
            'compare_at_price',
            'image_url',
            'image_count',
            'vendor',
          ],
        },
        hostile,
      );
      expect(result.isError, textOf(result)).toBeFalsy();
      const answer = structured<Answer>(result);
      expect(answer.items).toHaveLength(50);
      expect(answer.truncated).toBe(true);
      expect(answer.items[0]).toMatchObject({ compare_at_price: null, image_count: 200 });
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(MAX_RESULT_BYTES);
    } finally {
      await hostile.close();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});

describe.concurrent.each([
  ['POST only (GET answers 405)', { resultsMethods: 'post' as const }],
  ['the v1 envelope', { resultsEnvelope: 'v1' as const }],
  ['a server that repeats its last page forever', { resultsRepeatLastPage: 'endless' as const }],
  ['unknown vendors answered empty', { unknownVendor: 'empty' as const }],
])('get_crawl_results survives %s', (_label, switches) => {
  it('reads every listing once, then stops; an unknown vendor is nothing indexed', async () => {
    const em = await startEmulator({
      speed: 100,
      seed: 'mcp-results-switches',
      apiKeys: [{ key: CANARY, org: 'org-a' }],
      indexedVendors: ['shop-switch.example'],
      ...switches,
    });
    const c = await connect({ client: testClient(em) });
    try {
      const ids = new Set<string>();
      let total: number | undefined;
      let page: number | undefined = 1;
      let calls = 0;
      while (page !== undefined) {
        const result = await call(
          'get_crawl_results',
          { vendor: 'shop-switch.example', page, page_size: 50 },
          c,
        );
        expect(result.isError, textOf(result)).toBeFalsy();
        const answer = structured<Answer>(result);
        total ??= answer.total_items;
        for (const item of answer.items) {
          expect(ids.has(item['id'] as string)).toBe(false);
          ids.add(item['id'] as string);
        }
        page = answer.next_page;
        calls++;
        expect(calls).toBeLessThan(100);
      }
      expect(total).toBeGreaterThan(0);
      expect(ids.size).toBe(total);
      // Asking past the end gives nothing, whatever the server repeats.
      const past = structured<Answer>(
        await call('get_crawl_results', { vendor: 'shop-switch.example', page: calls + 3, page_size: 50 }, c),
      );
      expect(past).toMatchObject({ items: [], has_more: false });
      const unknown = structured<Answer>(await call('get_crawl_results', { vendor: 'nobody.example' }, c));
      expect(unknown).toMatchObject({ items: [], has_more: false });
    } finally {
      await c.close();
      await em.close();
    }
  });
});
