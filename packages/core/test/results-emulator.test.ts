// End to end against the emulator: a completed crawl's results, read in full through every documented
// reading the emulator can switch to, equal the crawl's totals with no item repeated or lost.
import { PassThrough } from 'node:stream';
import { DEFAULT_API_KEY, type Emulator, type EmulatorOptions, startEmulator } from '@catalog-crawl/emulator';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CatalogClient,
  crawlResults,
  type ExportFormat,
  exportResults,
  listCollections,
  listListings,
  listVendors,
  rememberedMethod,
} from '../src/index.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const HOST = 'skims.com';

async function completedCrawl(options: EmulatorOptions) {
  emu = await startEmulator({
    manualClock: true,
    rateLimit: false,
    seed: 'core-results',
    port: 0,
    ...options,
  });
  const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: emu.url, rateLimit: false });
  const { executionId } = await client.startCrawl({ url: HOST });
  emu.clock.advance(emu.plannedDurationMs(HOST));
  return { client, executionId, emu };
}

/** Exports and parses back; returns the ids (or urls for collections) in output order. */
async function exported(results: Parameters<typeof exportResults>[0], format: ExportFormat) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const summary = await exportResults(results, out, { format });
  const rows: Record<string, unknown>[] =
    format === 'jsonl'
      ? text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : format === 'json'
        ? JSON.parse(text)
        : parseCsv(text, { columns: true });
  return { summary, keys: rows.map((r) => String(r.id ?? r.url)) };
}

describe('results against the emulator', () => {
  it.each<[string, EmulatorOptions, ExportFormat]>([
    ['default (GET, v2)', {}, 'jsonl'],
    ['POST-only (GET 405)', { resultsMethods: 'post' }, 'csv'],
    ['POST-only (GET 404)', { resultsMethods: 'post-404' }, 'json'],
    ['v1 envelope', { resultsEnvelope: 'v1' }, 'jsonl'],
    ['repeats its last page, has_next always true', { resultsRepeatLastPage: 'has-next' }, 'csv'],
    ['repeats its last page endlessly', { resultsRepeatLastPage: 'endless' }, 'jsonl'],
    ['totals as total_listings_found', { totals: 'total_listings_found' }, 'json'],
  ])(
    '%s: listings and collections read in full equal the totals, none repeated',
    async (_name, options, format) => {
      const { client, executionId, emu: server } = await completedCrawl(options);
      for (const what of ['listings', 'collections'] as const) {
        const { results, expected } = await crawlResults(client, executionId, what);
        const { summary, keys } = await exported(results, format);
        expect(expected[what]).toBeGreaterThan(0);
        expect(summary.items).toBe(expected[what]);
        expect(new Set(keys).size).toBe(expected[what]);
      }
      // Every results request carried page_size=100; the method is what the server takes.
      const resultsRequests = server.requests.filter((r) => /^\/v2\/(listings|collections)$/.test(r.path));
      const ok = resultsRequests.filter((r) => r.status === 200);
      expect(ok.every((r) => r.method === 'POST' || r.query.includes('page_size=100'))).toBe(true);
      const expectedMethod = options.resultsMethods?.startsWith('post') ? 'POST' : 'GET';
      expect(ok.every((r) => r.method === expectedMethod)).toBe(true);
      expect(rememberedMethod(client, 'listings')).toBe(expectedMethod);
      // The fallback happened once per endpoint, not once per page.
      expect(resultsRequests.filter((r) => r.status !== 200)).toHaveLength(expectedMethod === 'POST' ? 2 : 0);
    },
  );

  it('the since-start approximations select proper, different subsets; vendors list the crawled vendor', async () => {
    const { client, executionId } = await completedCrawl({});
    const count = async (options: { updatedSinceStart?: boolean; newSinceStart?: boolean }) => {
      const { results } = await crawlResults(client, executionId, 'listings', options);
      let n = 0;
      for await (const _ of results) n++;
      return { n, stats: results.stats };
    };
    const all = await count({});
    const updated = await count({ updatedSinceStart: true });
    const fresh = await count({ newSinceStart: true });
    expect(updated.n).toBeGreaterThan(0);
    expect(fresh.n).toBeGreaterThan(0);
    expect(updated.n).toBeLessThan(all.n);
    expect(fresh.n).toBeLessThan(updated.n); // new listings were also updated by the crawl
    expect(updated.n + updated.stats.filteredOut).toBe(all.n);
    const vendors = [];
    for await (const v of listVendors(client)) vendors.push(v);
    expect(vendors.map((v) => v.vendor)).toContain(HOST);
  });

  it.each<[string, EmulatorOptions, string]>([
    ['404', {}, 'not_found'],
    ['empty', { unknownVendor: 'empty' }, 'empty'],
    ['404 on a POST-only server', { resultsMethods: 'post-404' }, 'not_found'],
  ])('an unknown vendor answered %s is nothing indexed', async (_name, options, reason) => {
    const { client } = await completedCrawl(options);
    for (const results of [
      listListings(client, 'nothing-here.example'),
      listCollections(client, 'nothing-here.example'),
    ]) {
      const items = [];
      for await (const item of results) items.push(item);
      expect(items).toEqual([]);
      expect(results.stats.stopReason).toBe(reason);
    }
  });

  it('collectionUrls selects one collection, each listing once', async () => {
    const { client } = await completedCrawl({});
    const second = (await listCollections(client, HOST).page(1)).items[1]!;
    const ids: string[] = [];
    for await (const l of listListings(client, HOST, { collectionUrls: [second.url] })) ids.push(l.id);
    expect(ids.length).toBe(second.productsTotal);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
