import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { expectAllOutputs, expectNoCanary, runAction } from './run-action.js';

const VENDOR = 'shop.example';
const LISTINGS = 230;
const COLLECTIONS = 12;

function listing(i: number): Record<string, unknown> {
  return {
    id: `l-${i}`,
    url: `https://${VENDOR}/products/${i}`,
    name: i === 1 ? 'Dress | <b>bold</b>\n::warning::from-a-name' : `Product ${i}`,
    images: [{ id: `i-${i}`, url: `https://cdn.${VENDOR}/${i}.jpg`, width: 800, height: 800, position: 1 }],
    price: { currency: 'USD', current_value: 10 + i, compare_at_value: i % 2 ? null : 20 + i },
    vendor: VENDOR,
    first_seen_by_catalog: '2026-01-01T00:00:00Z',
    last_updated_by_catalog: '2026-01-01T00:00:00Z',
  };
}

/** A page of `total` items as the contract's v2 envelope. */
function page(url: URL, total: number, item: (i: number) => unknown): unknown {
  const number = Number(url.searchParams.get('page') ?? '1');
  const size = Number(url.searchParams.get('page_size') ?? '20');
  const from = (number - 1) * size;
  const data = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, k) =>
    item(from + k + 1),
  );
  const pages = Math.ceil(total / size);
  return {
    data,
    pagination: {
      page: number,
      page_size: size,
      total_items: total,
      total_pages: pages,
      has_next: number < pages,
      has_prev: number > 1,
    },
    meta: {},
  };
}

let server: Server;
let base: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    res.setHeader('content-type', 'application/json');
    if (req.headers['x-api-key'] !== CANARY) {
      res.statusCode = 401;
      res.end('{"error":{"code":"UNAUTHORIZED","message":"bad key"}}');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v2/crawl') {
      res.statusCode = 202;
      res.end(JSON.stringify({ execution_id: 'crawl-shop-example-1', status: 'pending', meta: {} }));
    } else if (req.method === 'GET' && url.pathname === '/v2/crawl/crawl-shop-example-1') {
      res.end(
        JSON.stringify({
          execution_id: 'crawl-shop-example-1',
          status: 'completed',
          error: null,
          meta: {
            vendor: VENDOR,
            start_date: '2026-01-01T00:00:00Z',
            stop_date: '2026-01-01T00:10:00Z',
            duration_ms: 600_000,
            steps: [],
            result: { collections_total: COLLECTIONS, listings_total: LISTINGS },
          },
        }),
      );
    } else if (
      req.method === 'GET' &&
      url.pathname === '/v2/listings' &&
      url.searchParams.get('vendor') === VENDOR
    ) {
      res.end(JSON.stringify(page(url, LISTINGS, listing)));
    } else if (
      req.method === 'GET' &&
      url.pathname === '/v2/collections' &&
      url.searchParams.get('vendor') === VENDOR
    ) {
      res.end(
        JSON.stringify(
          page(url, COLLECTIONS, (i) => ({
            id: `c-${i}`,
            url: `https://${VENDOR}/c/${i}`,
            products_total: 100 - i,
            last_updated_by_catalog: '2026-01-01T00:00:00Z',
          })),
        ),
      );
    } else {
      res.statusCode = 404;
      res.end('{"error":{"code":"NOT_FOUND","message":"no such thing"}}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server?.close();
});

describe('results: saved through the built bundle', () => {
  it('results: all as JSON Lines under the workspace, with outputs and the summary section', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'catalog-crawl-workspace-'));
    try {
      const run = await runAction({
        inputs: {
          'api-key': CANARY,
          'api-base-url': base,
          url: VENDOR,
          'min-interval': '1s',
          results: 'all',
        },
        env: { GITHUB_WORKSPACE: workspace },
      });
      expectNoCanary(run);
      expectAllOutputs(run);
      expect(run.code).toBe(0);
      expect(run.outputs['outcome']).toBe('completed');
      const dir = join(workspace, 'catalog-results');
      expect(run.outputs['results-path']).toBe(dir);
      expect(run.outputs['results-count']).toBe(String(LISTINGS + COLLECTIONS));

      const lines = readFileSync(join(dir, `${VENDOR}.listings.jsonl`), 'utf8')
        .trimEnd()
        .split('\n');
      expect(lines).toHaveLength(LISTINGS);
      const ids = lines.map((line) => (JSON.parse(line) as { id: string }).id);
      expect(new Set(ids).size).toBe(LISTINGS);
      const collections = readFileSync(join(dir, `${VENDOR}.collections.jsonl`), 'utf8')
        .trimEnd()
        .split('\n');
      expect(collections).toHaveLength(COLLECTIONS);
      // 100 per page: 3 pages of listings, 1 of collections
      expect(requests.filter((r) => r.startsWith('GET /v2/listings')).length).toBeGreaterThanOrEqual(3);

      expect(run.stdout).toContain(`Saved ${LISTINGS} listings to ${join(dir, `${VENDOR}.listings.jsonl`)}`);
      const crawls = JSON.parse(run.outputs['crawls']!) as { results: { files: { count: number }[] } }[];
      expect(crawls[0]!.results.files.map((f) => f.count)).toEqual([COLLECTIONS, LISTINGS]);

      expect(run.summary).toContain('### What was found');
      expect(run.summary).toContain(
        `| <img src="https://cdn.${VENDOR}/2.jpg" alt="" width="48" height="48"> | [Product 2](https://${VENDOR}/products/2) | $12.00 ~~$22.00~~ |`,
      );
      expect(run.summary).toContain(`…and ${LISTINGS - 5} more listings.`);
      // the hostile name is escaped, on one line
      expect(run.summary).toContain('Dress \\| &lt;b&gt;bold&lt;/b&gt; ::warning::from-a-name');
      expect(run.stdout).not.toMatch(/^::warning::from-a-name/m);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('results-format csv at an absolute results-path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-crawl-results-'));
    try {
      const run = await runAction({
        inputs: {
          'api-key': CANARY,
          'api-base-url': base,
          url: VENDOR,
          'min-interval': '1s',
          results: 'listings',
          'results-format': 'csv',
          'results-path': dir,
        },
      });
      expect(run.code).toBe(0);
      expect(run.outputs['results-path']).toBe(dir);
      expect(run.outputs['results-count']).toBe(String(LISTINGS));
      const csv = readFileSync(join(dir, `${VENDOR}.listings.csv`), 'utf8');
      expect(csv.split('\n')[0]).toBe(
        'id,name,url,price,currency,compare_at_price,image_url,image_count,vendor,first_seen_by_catalog,last_updated_by_catalog',
      );
      expect(csv).toContain(
        `l-2,Product 2,https://${VENDOR}/products/2,12,USD,22,https://cdn.${VENDOR}/2.jpg,1,`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('results that cannot be saved fail the step, the crawl still completed', async () => {
    const run = await runAction({
      inputs: {
        'api-key': CANARY,
        'api-base-url': base,
        url: VENDOR,
        'min-interval': '1s',
        results: 'listings',
        // a file where the directory should be
        'results-path': '/dev/null/catalog-results',
      },
    });
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('completed');
    expect(run.outputs['results-count']).toBe('0');
    expect(run.stdout).toMatch(/^::error::The results could not be saved: /m);
    expect(run.summary).toContain('> The results could not be saved:');
  });
});

describe("results from the emulator: the saved files hold the crawl's totals", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ speed: 5, apiKeys: [{ key: CANARY, org: 'default' }] });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('results: all after a completed crawl: every listing and collection once, as many as the totals', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'catalog-crawl-workspace-'));
    try {
      const run = await runAction({
        inputs: {
          'api-key': CANARY,
          'api-base-url': emulator.url,
          url: 'fast-results-e2e.example',
          'min-interval': '1s',
          'max-interval': '1s',
          results: 'all',
        },
        env: { GITHUB_WORKSPACE: workspace },
      });
      expectNoCanary(run);
      expectAllOutputs(run);
      expect(run.code).toBe(0);
      const vendor = run.outputs['vendor']!;
      const listingsTotal = Number(run.outputs['listings-total']);
      const collectionsTotal = Number(run.outputs['collections-total']);
      expect(listingsTotal).toBeGreaterThan(0);
      const dir = run.outputs['results-path']!;
      const listings = readFileSync(join(dir, `${vendor}.listings.jsonl`), 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: string; url: string });
      expect(listings).toHaveLength(listingsTotal);
      expect(new Set(listings.map((l) => l.id)).size).toBe(listingsTotal);
      const collections = readFileSync(join(dir, `${vendor}.collections.jsonl`), 'utf8')
        .trimEnd()
        .split('\n');
      expect(collections).toHaveLength(collectionsTotal);
      expect(run.outputs['results-count']).toBe(String(listingsTotal + collectionsTotal));
      expect(run.summary).toContain('### What was found');
      expect(run.summary).toContain(`…and ${(listingsTotal - 5).toLocaleString('en-US')} more listings.`);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});
