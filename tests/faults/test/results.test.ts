import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  CatalogClient,
  CatalogError,
  exportResults,
  InvalidInputError,
  InvalidResponseError,
  type Listing,
  listCollections,
  listListings,
  NetworkError,
  ServerError,
} from '@catalog-crawl/core';
import { type Emulator, type EmulatorOptions, startEmulator } from '@catalog-crawl/emulator';
import { createServer } from '@catalog-crawl/mcp-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANARY,
  CLI_BIN,
  canaryHits,
  cleanEnv,
  errorTexts,
  rawRequest,
  sleep,
  spawnNode,
  startCrawlRaw,
  track,
} from './lib/common.js';
import { startEchoServer } from './lib/echo.js';

/**
 * Category 7: the results endpoints (issue 13) under faults, with hostile bodies, from a server that repeats
 * its last page, and with bad arguments, through the core's readers and exporter and the built CLI's
 * `results` command. What was read is checked against the emulator's own totals (the crawl's
 * `meta.result`), item by item (no item lost or repeated), never against the face's own words.
 */

const SPEED = 50; // a 10 s scenario crawl takes 0.2 s
const LISTINGS = 450;
const FAULTS = {
  seed: 'results',
  serverError: 0.12,
  htmlError: 0.05,
  reset: 0.05,
  slow: 0.03,
  slowMs: 2_000, // beyond the client's 1 s request timeout
  truncatedJson: 0.05,
  invalidJson: 0.03,
  rateLimitBurst: 0.05,
  retryAfterSeconds: 1,
};

const emulators: Emulator[] = [];
async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const em = await startEmulator({
    speed: SPEED,
    seed: 'results',
    apiKeys: [{ key: CANARY, org: 'results' }],
    rateLimit: false,
    ...options,
  });
  emulators.push(em);
  return em;
}
afterAll(async () => {
  await Promise.all(emulators.map((em) => em.close()));
});

let tag = 0;
/** Starts a crawl of `scenario` and polls the emulator until it completed; returns its record. */
async function completed(em: Emulator, scenario: string) {
  const url = `${scenario}-r${process.pid}x${++tag}.example`;
  const { id } = await startCrawlRaw(em, url);
  for (let i = 0; i < 400; i++) {
    const { json } = await rawRequest(em, 'GET', `/v2/crawl/${id}`);
    const crawl = json as { status: string; meta: { vendor: string; result?: Record<string, number> } };
    if (crawl.status === 'completed') {
      return {
        id,
        vendor: crawl.meta.vendor,
        listings: crawl.meta.result!['listings_total']!,
        collections: crawl.meta.result!['collections_total']!,
      };
    }
    await sleep(50);
  }
  throw new Error(`${url} did not complete`);
}

function client(em: { url: string }, retries = 8) {
  return new CatalogClient({
    apiKey: CANARY,
    baseUrl: em.url,
    timeoutMs: 1_000,
    retry: { retries, minDelayMs: 20, maxDelayMs: 300 },
    rateLimit: false,
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Items read in full: as many as the crawl reported, none repeated. */
function expectComplete(ids: readonly string[], total: number, what: string) {
  expect(ids.length, `${what}: items read`).toBe(total);
  expect(new Set(ids).size, `${what}: no item repeated`).toBe(total);
}

/** A minimal RFC 4180 reader (quoted cells, doubled quotes, CR/LF inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

/** Text cells that a spreadsheet would run as a formula (the exporter must prefix them with '). */
const FORMULA = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

const tmp = mkdtempSync(join(tmpdir(), 'fault-suite-results-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let clean: Emulator;
let shared: {
  listings: Awaited<ReturnType<typeof completed>>;
  hostile: Awaited<ReturnType<typeof completed>>;
};
beforeAll(async () => {
  clean = await emulator();
  shared = {
    listings: await completed(clean, `listings-${LISTINGS}`),
    hostile: await completed(clean, 'hostile'),
  };
});

describe.concurrent('results: core under faults', () => {
  it('5xx, HTML 502, resets, slow answers, truncated and non-JSON bodies, 429: every listing and collection read once', async () => {
    await track('results', 'core: listings and collections under every fault', async () => {
      const em = await emulator({ faults: FAULTS });
      const crawl = await completed(em, `listings-${LISTINGS}`);
      const c = client(em);
      const listings = await collect(listListings(c, crawl.vendor, { pageSize: 25 }));
      expectComplete(
        listings.map((l) => l.id),
        crawl.listings,
        'listings',
      );
      const collections = await collect(listCollections(c, crawl.vendor, { pageSize: 5 }));
      expectComplete(
        collections.map((x) => x.url),
        crawl.collections,
        'collections',
      );
      const reads = em.requests.filter((r) => r.path === '/v2/listings' || r.path === '/v2/collections');
      const kinds = new Set(reads.map((r) => r.fault).filter(Boolean));
      expect(kinds.size, `fault kinds met: ${[...kinds].join(', ')}`).toBeGreaterThanOrEqual(4);
    });
  });

  it('exports under faults: the JSONL file has one valid line per listing, each once', async () => {
    await track('results', 'core: export under faults', async () => {
      const em = await emulator({ faults: { ...FAULTS, seed: 'results-export' } });
      const crawl = await completed(em, `listings-${LISTINGS}`);
      const out = new PassThrough();
      let text = '';
      out.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      const summary = await exportResults(listListings(client(em), crawl.vendor, { pageSize: 50 }), out, {
        format: 'jsonl',
      });
      const lines = text.split('\n').filter((l) => l !== '');
      const ids = lines.map((l) => (JSON.parse(l) as { id: string }).id);
      expectComplete(ids, crawl.listings, 'jsonl lines');
      expect(summary.items).toBe(crawl.listings);
    });
  });

  it('429 with Retry-After on every page for a while: waits, then reads everything', async () => {
    await track('results', 'core: 429 bursts', async () => {
      const em = await emulator();
      const crawl = await completed(em, 'listings-120');
      em.injectFault('rate_limit', { path: '/v2/listings', count: 3 });
      const t0 = performance.now();
      const listings = await collect(listListings(client(em), crawl.vendor, { pageSize: 50 }));
      expectComplete(
        listings.map((l) => l.id),
        crawl.listings,
        'listings',
      );
      expect(em.requests.filter((r) => r.status === 429).length).toBe(3);
      // Retry-After: 1 s was honoured (not hammered through)
      expect(performance.now() - t0).toBeGreaterThan(900);
    });
  });

  it.each([
    ['server_error', ServerError],
    ['html_error', ServerError],
    ['reset', NetworkError],
    ['truncated_json', InvalidResponseError],
    ['invalid_json', InvalidResponseError],
  ] as const)(
    'a persistent %s: a typed error after the retries, no hang, no untyped throw',
    async (kind, type) => {
      await track('results', `core: persistent ${kind}`, async () => {
        const em = await emulator();
        const crawl = await completed(em, 'listings-120');
        em.injectFault(kind, { path: /^\/v2\/listings/, count: 1_000 });
        const t0 = performance.now();
        const error = await collect(listListings(client(em, 3), crawl.vendor)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, String(error)).toBeInstanceOf(type);
        expect(error).toBeInstanceOf(CatalogError);
        expect(performance.now() - t0).toBeLessThan(15_000);
        expect(canaryHits(errorTexts(error))).toEqual([]);
      });
    },
  );

  it('answers slower than the deadline: NetworkError (timed out) at the deadline, not later', async () => {
    await track('results', 'core: latency beyond the deadline', async () => {
      const em = await emulator();
      const crawl = await completed(em, 'listings-120');
      em.injectFault('slow', { path: /^\/v2\/listings/, count: 1_000, slowMs: 30_000 });
      const t0 = performance.now();
      const error = await collect(
        listListings(client(em), crawl.vendor, { deadline: Date.now() + 2_500 }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      const took = performance.now() - t0;
      expect(error, String(error)).toBeInstanceOf(NetworkError);
      expect((error as NetworkError & { timedOut?: boolean }).timedOut).toBe(true);
      expect(took, 'ends at the deadline (2.5 s) plus scheduling slack').toBeLessThan(4_500);
    });
  });
});

describe.concurrent('results: a server that repeats its last page', () => {
  it.each(['has-next', 'endless'] as const)(
    '%s: the read stops, every listing once, bounded requests',
    async (mode) => {
      await track('results', `core: repeating server (${mode})`, async () => {
        const em = await emulator({ resultsRepeatLastPage: mode });
        const crawl = await completed(em, 'listings-230');
        const before = em.requests.filter((r) => r.path === '/v2/listings').length;
        const results = listListings(client(em), crawl.vendor, { pageSize: 50 });
        const listings = await collect(results);
        expectComplete(
          listings.map((l) => l.id),
          crawl.listings,
          'listings',
        );
        const pages = Math.ceil(crawl.listings / 50);
        const sent = em.requests.filter((r) => r.path === '/v2/listings').length - before;
        expect(sent, 'requests: the pages, plus at most two to see the repeat').toBeLessThanOrEqual(
          pages + 2,
        );
        expect(['repeated', 'hard_cap', 'total_pages']).toContain(results.stats.stopReason);
      });
    },
  );

  it('the CLI: `results` against an endless server ends with every listing once (exit 0)', async () => {
    await track('results', 'cli: repeating server', async () => {
      const em = await emulator({ resultsRepeatLastPage: 'endless' });
      const crawl = await completed(em, 'listings-230');
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: em.url });
      const run = await spawnNode(CLI_BIN, ['results', crawl.vendor], env, { killAfterMs: 60_000 }).result;
      expect(run.code, run.stderr).toBe(0);
      const ids = run.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expectComplete(ids, crawl.listings, 'cli lines');
    });
  });
});

describe.concurrent('results: hostile bodies (hostile.example)', () => {
  it('core CSV export: formula-like cells defused, every row parses back with the documented columns', async () => {
    await track('results', 'core: hostile CSV', async () => {
      const out = new PassThrough();
      let text = '';
      out.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      await exportResults(listListings(client(clean), shared.hostile.vendor), out, { format: 'csv' });
      const rows = parseCsv(text);
      const [header, ...data] = rows;
      expect(header?.[0]).toBe('id');
      expect(data.length).toBe(shared.hostile.listings);
      for (const row of data) {
        expect(row.length, JSON.stringify(row).slice(0, 200)).toBe(header!.length);
        const name = row[header!.indexOf('name')]!;
        const url = row[header!.indexOf('url')]!;
        for (const cell of [name, url]) expect(cell, 'formula defused').not.toMatch(FORMULA);
      }
      // The hostile names reached the file as data (defused, not dropped).
      expect(data.some((r) => r[1]!.startsWith("'=HYPERLINK"))).toBe(true);
      expect(data.some((r) => r[1]!.startsWith("'@cmd"))).toBe(true);
    });
  });

  it('the CLI, stdout JSONL and a CSV file: data intact, no live escape or runner command in the output or the messages', async () => {
    await track('results', 'cli: hostile jsonl and csv', async () => {
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: clean.url });
      const jsonl = await spawnNode(CLI_BIN, ['results', shared.hostile.vendor], env).result;
      expect(jsonl.code, jsonl.stderr).toBe(0);
      const lines = jsonl.stdout.split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(shared.hostile.listings);
      const items = lines.map((l) => JSON.parse(l) as Listing & { name: string });
      expect(
        items.some((i) => i.name.includes('\u001b[31m')),
        'escapes kept as data',
      ).toBe(true);
      for (const text of [jsonl.stdout, jsonl.stderr]) {
        expect(text, 'no raw terminal escape').not.toMatch(/\u001b/);
        expect(text, 'no line that the runner would read as a command').not.toMatch(/^::/m);
      }
      const file = join(tmp, 'hostile.csv');
      const csv = await spawnNode(CLI_BIN, ['results', shared.hostile.vendor, '--out', file], env).result;
      expect(csv.code, csv.stderr).toBe(0);
      const rows = parseCsv(readFileSync(file, 'utf8'));
      expect(rows.length - 1).toBe(shared.hostile.listings);
      for (const row of rows.slice(1)) for (const cell of row.slice(1, 3)) expect(cell).not.toMatch(FORMULA);
      for (const text of [csv.stdout, csv.stderr]) {
        expect(text).not.toMatch(/\u001b/);
        expect(text).not.toMatch(/^::/m);
      }
    });
  });
});

describe.concurrent('results: the CLI under faults', () => {
  it('`results --out FILE` under every fault: the file holds every listing once', async () => {
    await track('results', 'cli: results --out under faults', async () => {
      const em = await emulator({ faults: { ...FAULTS, seed: 'results-cli' } });
      const crawl = await completed(em, `listings-${LISTINGS}`);
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: em.url });
      const file = join(tmp, 'faults.jsonl');
      const run = await spawnNode(CLI_BIN, ['results', crawl.id, '--out', file], env, { killAfterMs: 90_000 })
        .result;
      expect(run.code, run.stderr).toBe(0);
      const ids = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expectComplete(ids, crawl.listings, 'file lines');
      expect(em.requests.filter((r) => r.path === '/v2/listings' && r.fault).length).toBeGreaterThan(0);
    });
  });

  it('a persistent 503: exit 8 (unreachable), a clear message, no partial file left', async () => {
    await track('results', 'cli: persistent 5xx', async () => {
      const em = await emulator();
      const crawl = await completed(em, 'listings-120');
      em.injectFault('server_error', { path: /^\/v2\/listings/, count: 1_000, status: 503 });
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: em.url });
      const file = join(tmp, 'never.jsonl');
      const run = await spawnNode(CLI_BIN, ['results', crawl.vendor, '--out', file], env, {
        killAfterMs: 90_000,
      }).result;
      expect(run.code, run.stderr).toBe(8);
      expect(run.stderr).toMatch(/503|unavailable|server/i);
      expect(run.stderr, 'no stack trace').not.toMatch(/^\s+at \S.*:\d+:\d+\)?$/m);
      expect(existsSync(file), 'written whole on success only').toBe(false);
    });
  });

  it('an execution id of a crawl that has not completed: exit 9, nothing read', async () => {
    await track('results', 'cli: results of a running crawl', async () => {
      const em = await emulator();
      const { id } = await startCrawlRaw(em, `long-r${process.pid}.example`);
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: em.url });
      const run = await spawnNode(CLI_BIN, ['results', id], env).result;
      expect(run.code, run.stderr).toBe(9);
      expect(em.requests.filter((r) => r.path === '/v2/listings')).toEqual([]);
    });
  });
});

describe.concurrent('results: bad arguments (no request sent)', () => {
  const vendors = ['skims .com', 'skims.com/collections/all', 'https://skims.com/x', '../skims.com', ' '];

  it.each(vendors)('core: vendor %j is an InvalidInputError before any request', async (vendor) => {
    await track('results', `core: bad vendor ${JSON.stringify(vendor)}`, async () => {
      const em = await emulator();
      const error = await (async () => collect(listListings(client(em), vendor)))().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, String(error)).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(/vendor/i);
      expect(em.requests).toEqual([]);
    });
  });

  it('core: page 0, page size 1000 and format xml are InvalidInputErrors before any request', async () => {
    await track('results', 'core: page 0, page size 1000, format xml', async () => {
      const em = await emulator();
      const c = client(em);
      const outcomes = await Promise.all(
        [
          (async () => listListings(c, 'skims.com').page(0))(),
          (async () => listListings(c, 'skims.com', { pageSize: 1000 }).page(1))(),
          (async () => collect(listListings(c, 'skims.com', { pageSize: 1000 })))(),
          (async () =>
            exportResults(listListings(c, 'skims.com'), new PassThrough(), {
              format: 'xml' as 'jsonl',
            }))(),
        ].map((p) =>
          p.then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      );
      for (const error of outcomes) expect(error, String(error)).toBeInstanceOf(InvalidInputError);
      expect((outcomes[0] as Error).message).toMatch(/page/i);
      expect((outcomes[1] as Error).message).toMatch(/page.?size|100/i);
      expect((outcomes[3] as Error).message).toMatch(/format|jsonl/i);
      expect(em.requests).toEqual([]);
    });
  });

  const cli: [string, string[], RegExp][] = [
    ['vendor with a space', ['results', 'skims .com'], /vendor|hostname/i],
    ['vendor with a path', ['results', 'skims.com/collections/all'], /vendor|hostname|path/i],
    ['vendor as a URL', ['results', 'https://skims.com/x'], /skims\.com/],
    ['format xml', ['results', 'skims.com', '--format', 'xml'], /format|jsonl/i],
    ['limit not a number', ['results', 'skims.com', '--limit', 'ten'], /limit/i],
    ['limit negative', ['results', 'skims.com', '--limit', '-5'], /limit/i],
    ['no target', ['results'], /vendor|execution/i],
  ];
  it.each(cli)('cli: %s -> exit 2 with what to do, no request', async (name, args, message) => {
    await track('results', `cli: ${name}`, async () => {
      const em = await emulator();
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: em.url });
      const run = await spawnNode(CLI_BIN, args, env).result;
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr, 'no stack trace').not.toMatch(/^\s+at \S.*:\d+:\d+\)?$/m);
      expect(run.stdout).toBe('');
      expect(em.requests).toEqual([]);
    });
  });
});

describe.concurrent('results: MCP get_crawl_results', () => {
  async function mcpOn(em: Emulator) {
    const server = createServer({ client: client(em), secrets: [CANARY] });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const mcp = new Client({ name: 'fault-suite-results', version: '0.0.0' });
    await mcp.connect(a);
    return mcp;
  }

  const bad: [string, Record<string, unknown>][] = [
    ['page 0', { vendor: 'skims.com', page: 0 }],
    ['page size 1000', { vendor: 'skims.com', page_size: 1000 }],
    ['vendor with a space', { vendor: 'skims .com' }],
    ['vendor with a path', { vendor: 'skims.com/collections/all' }],
    ['vendor and execution id', { vendor: 'skims.com', execution_id: 'crawl-x-1a2b3c4d' }],
  ];
  it.each(bad)('mcp: %s is an error result (isError, what to do), no request', async (name, args) => {
    await track('results', `mcp get_crawl_results: ${name}`, async () => {
      const em = await emulator();
      const mcp = await mcpOn(em);
      try {
        const result = await mcp.callTool({ name: 'get_crawl_results', arguments: args });
        expect(result.isError, JSON.stringify(result).slice(0, 300)).toBe(true);
        expect(JSON.stringify(result.content)).toMatch(/page|vendor|execution/i);
        expect(em.requests).toEqual([]);
      } finally {
        await mcp.close();
      }
    });
  });

  it('mcp: pages under every fault and from a repeating server: every listing once, then no next page', async () => {
    await track('results', 'mcp get_crawl_results: faults and a repeating server', async () => {
      const em = await emulator({
        faults: { ...FAULTS, seed: 'results-mcp' },
        resultsRepeatLastPage: 'endless',
      });
      const crawl = await completed(em, 'listings-230');
      const mcp = await mcpOn(em);
      try {
        const ids: string[] = [];
        for (let page = 1; page <= 20; page++) {
          const result = await mcp.callTool(
            { name: 'get_crawl_results', arguments: { execution_id: crawl.id, page, page_size: 50 } },
            undefined,
            { timeout: 60_000 },
          );
          expect(result.isError, JSON.stringify(result.content).slice(0, 300)).toBeFalsy();
          const out = result.structuredContent as { items: { id: string }[]; next_page?: number | null };
          ids.push(...out.items.map((i) => i.id));
          if (!out.next_page) break;
        }
        expectComplete(ids, crawl.listings, 'mcp pages');
        expect(canaryHits({ ids: ids.join(',') })).toEqual([]);
      } finally {
        await mcp.close();
      }
    });
  });
});

describe.concurrent('results: the canary scan covers the files written', () => {
  it('cli: a server that echoes the key into listings and errors: stdout, stderr and --out files carry no key', async () => {
    await track('results', 'cli results: echoed key in data, files and messages (canary)', async () => {
      const echo = await startEchoServer('results-echo');
      try {
        const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: echo.url });
        const texts: Record<string, string> = {};
        for (const format of ['jsonl', 'csv', 'json']) {
          const file = join(tmp, `echo.${format}`);
          const run = await spawnNode(CLI_BIN, ['--debug', 'results', 'echo.example', '--out', file], env)
            .result;
          expect(run.code, run.stderr).toBe(0);
          texts[`${format} file`] = readFileSync(file, 'utf8');
          texts[`${format} stdout`] = run.stdout;
          texts[`${format} stderr`] = run.stderr;
        }
        // jsonl to stdout, and a failing collections read (500 whose message has the key)
        const out = await spawnNode(CLI_BIN, ['results', 'echo.example'], env).result;
        texts['stdout export'] = out.stdout;
        const failed = await spawnNode(CLI_BIN, ['--debug', 'results', 'echo.example', '--collections'], env)
          .result;
        expect(failed.code).not.toBe(0);
        texts['failed stderr'] = failed.stderr;
        texts['failed stdout'] = failed.stdout;
        expect(texts['jsonl file']!.split('\n').filter(Boolean).length, 'the data was written').toBe(6);
        expect(canaryHits(texts)).toEqual([]);
      } finally {
        await echo.close();
      }
    });
  });
});

// The directory is written by the CLI cases above.
writeFileSync(join(tmp, '.keep'), '');
