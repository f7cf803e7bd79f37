/**
 * Probe for benchmark 5 (not part of `all.js`, writes nothing to BENCHMARKS.md): the peak RSS of reading the
 * same 10,000 and 100,000 listings with no exporter at all, to separate what the transport costs from what
 * catalog-crawl adds. Each read runs in its own child process, at the pace benchmark 5 uses:
 * - `fetch`: a bare loop of global fetch + text() + JSON.parse, no catalog-crawl code;
 * - `http`: the same loop over node:http with a keep-alive agent;
 * - `core`: a CatalogClient and listListings' pages(), items dropped (the read path of exportResults).
 */
import { fork } from 'node:child_process';
import { Agent, get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { CatalogClient, crawlResults } from '@catalog-crawl/core';
import { DEFAULT_API_KEY } from '@catalog-crawl/emulator';
import { runInChild } from './lib/child.js';
import type { ChildReply } from './lib/emulator-child.js';
import { isMain } from './lib/report.js';
import { fmt, table } from './lib/stats.js';

// As benchmark 5 (not imported from it: its module runs its own child mode on `--child`).
const RATE_X = Number(process.env['BENCH_EXPORT_RATE_X'] ?? 2);
const RATE_LIMIT = { requests: 50 * RATE_X, windowMs: 4_000 };
const SIZES = [10_000, 100_000] as const;
const MODES = ['fetch', 'http', 'core'] as const;
type Mode = (typeof MODES)[number];

interface Spec {
  mode: Mode;
  url: string;
  executionId: string;
  vendor: string;
}

/** One page's body as text, by the bare transports. */
function readBare(mode: 'fetch' | 'http', agent: Agent, url: string): Promise<string> {
  const headers = { 'x-api-key': DEFAULT_API_KEY };
  if (mode === 'fetch') return fetch(url, { headers }).then((r) => r.text());
  return new Promise((resolve, reject) => {
    get(url, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
    }).on('error', reject);
  });
}

interface Result {
  items: number;
  maxRssKiB: number;
  /** V8's young generation (both semi-spaces) at the end, MiB. */
  youngMiB: number;
}

async function child(spec: Spec): Promise<Result> {
  let items = 0;
  if (spec.mode === 'core') {
    const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: spec.url, rateLimit: RATE_LIMIT });
    const { results } = await crawlResults(client, spec.executionId, 'listings');
    for await (const page of results.pages()) items += page.items.length;
  } else {
    // Paced below the emulator's sliding window: a burst of (limit - 2) pages, then the rest of the window.
    const agent = new Agent({ keepAlive: true });
    const burst = RATE_LIMIT.requests - 2;
    const t0 = performance.now();
    for (let page = 1; ; page++) {
      if (page > 1 && (page - 1) % burst === 0) {
        const at = t0 + ((page - 1) / burst) * (RATE_LIMIT.windowMs + 300);
        await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
      }
      const url = `${spec.url}/v2/listings?vendor=${spec.vendor}&page=${page}&page_size=100`;
      const body = JSON.parse(await readBare(spec.mode, agent, url)) as {
        data?: unknown[];
        pagination?: { has_next?: boolean };
      };
      if (!Array.isArray(body.data)) throw new Error(`page ${page}: no data (rate limited?)`);
      items += body.data.length;
      if (body.pagination?.has_next !== true) break;
    }
    agent.destroy();
  }
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return {
    items,
    maxRssKiB: process.resourceUsage().maxRSS,
    youngMiB: (young?.space_size ?? 0) / 1024 / 1024,
  };
}

function runChild(spec: Spec): Promise<Result> {
  return runInChild<Result>(import.meta.url, spec, 'probe child');
}

async function main(): Promise<void> {
  const options = { port: 0, host: '127.0.0.1', speed: 60, seed: 'bench-export', rateLimit: RATE_LIMIT };
  const emulator = fork(
    fileURLToPath(new URL('./lib/emulator-child.js', import.meta.url)),
    [JSON.stringify(options)],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  try {
    const ready = await new Promise<ChildReply>((r) => emulator.once('message', r));
    if (ready.type !== 'ready') throw new Error('emulator child did not start');
    const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: ready.url, rateLimit: RATE_LIMIT });
    const crawls = new Map<number, { executionId: string; vendor: string }>();
    for (const size of SIZES) {
      const vendor = `listings-${size}.example`;
      const { executionId } = await client.startCrawl({ url: vendor });
      while ((await client.getCrawl(executionId)).status !== 'completed') {
        await new Promise((r) => setTimeout(r, 250));
      }
      crawls.set(size, { executionId, vendor });
    }
    const rows: string[][] = [];
    for (const mode of MODES) {
      const peaks: number[] = [];
      const young: number[] = [];
      for (const size of SIZES) {
        await new Promise((r) => setTimeout(r, RATE_LIMIT.windowMs + 500));
        const r = await runChild({ mode, url: ready.url, ...crawls.get(size)! });
        if (r.items !== size) throw new Error(`${mode} ${size}: read ${r.items} listings`);
        peaks.push(r.maxRssKiB / 1024);
        young.push(r.youngMiB);
      }
      rows.push([
        mode,
        fmt(peaks[0]!),
        fmt(peaks[1]!),
        `${fmt(peaks[1]! / peaks[0]!, 2)}x`,
        `${fmt(young[0]!, 0)} / ${fmt(young[1]!, 0)}`,
      ]);
    }
    console.log(
      table(
        [
          'read loop',
          'peak RSS 10,000 (MiB)',
          'peak RSS 100,000 (MiB)',
          'ratio',
          'young generation at the end (MiB)',
        ],
        rows,
      ),
    );
  } finally {
    emulator.kill();
  }
}

if (process.argv[2] === '--child') {
  process.send?.(await child(JSON.parse(process.argv[3] ?? '{}') as Spec));
} else if (isMain(import.meta.url)) {
  await main();
}
