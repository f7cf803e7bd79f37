/**
 * Benchmark 4: one process waits for 10,000 crawls on the emulator (sped up), with the emulator's and the
 * client's rate limit raised to the same figure. The emulator runs in a child process. Side by side: the same
 * crawls started and polled by a bare keep-alive `fetch` loop in its own process (lib/bare-poller.ts).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CatalogClient, waitForCrawl } from '@catalog-crawl/core';
import { DEFAULT_API_KEY } from '@catalog-crawl/emulator';
import type { BareResult, BareSpec } from './lib/bare-poller.js';
import type { ChildReply, ChildRequest } from './lib/emulator-child.js';
import { machineInfo } from './lib/machine.js';
import { type Check, isMain, runAsCommand, type Target } from './lib/report.js';
import { fmt, percentile, table } from './lib/stats.js';

export const CRAWLS = Number(process.env['BENCH_SCALE_CRAWLS'] ?? 10_000);
export const RATE_LIMIT = { requests: 2_000, windowMs: 4_000 };
/** Hosts whose planned simulated duration is 60–120 min, at speed 120: 30–60 s of real time. */
const SPEED = 120;
const MIN_PLANNED_MS = 60 * 60_000;
const MAX_PLANNED_MS = 120 * 60_000;
const MIN_INTERVAL_MS = 1_000;
const TIMEOUT_MS = 240_000;
const SAMPLE_EVERY_MS = 100;
/** The bare loop's fixed interval between a crawl's polls (about ours' mean cadence in this run). */
const BARE_POLL_MS = 15_000;
/** The bare loop's cap on unanswered requests (core's limiter default, maxInFlight 32). */
const BARE_MAX_IN_FLIGHT = 32;
const RSS_TARGET_MIB = 250;
const CPU_TARGET_RATIO = 2;

function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

class Child {
  private readonly waiting: ((reply: ChildReply) => void)[] = [];
  constructor(readonly process: ChildProcess) {
    process.on('message', (reply: ChildReply) => this.waiting.shift()?.(reply));
  }
  next(): Promise<ChildReply> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.process.once('exit', (code) => reject(new Error(`emulator child exited (${code})`)));
    });
  }
  async ask(request: ChildRequest): Promise<ChildReply> {
    const reply = this.next();
    this.process.send(request);
    return reply;
  }
}

const mib = (bytes: number) => bytes / 1024 / 1024;

/** A fresh emulator child (same seed, so the same hosts) and the hosts it plans 60–120 min for. */
async function emulatorWithHosts() {
  const childPath = fileURLToPath(new URL('./lib/emulator-child.js', import.meta.url));
  const emulatorOptions = {
    port: 0,
    host: '127.0.0.1',
    speed: SPEED,
    seed: 'bench-scale',
    rateLimit: RATE_LIMIT,
  };
  const child = new Child(
    fork(childPath, [JSON.stringify(emulatorOptions)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
  );
  const ready = await child.next();
  if (ready.type !== 'ready') throw new Error('emulator child did not start');
  const picked = await child.ask({
    type: 'pick',
    count: CRAWLS,
    minMs: MIN_PLANNED_MS,
    maxMs: MAX_PLANNED_MS,
    prefix: 'vendor-',
    suffix: '.test',
  });
  if (picked.type !== 'picked' || picked.hosts.length < CRAWLS)
    throw new Error('could not pick enough hosts');
  return { child, url: ready.url, hosts: picked.hosts, scanned: picked.scanned };
}

async function emulatorStats(child: Child) {
  const stats = await child.ask({ type: 'stats', windowMs: RATE_LIMIT.windowMs });
  await child.ask({ type: 'close' });
  if (stats.type !== 'stats') throw new Error('no stats from the emulator child');
  return stats;
}

/** The bare keep-alive fetch loop over the same hosts, in its own process, on a fresh emulator. */
async function runBare(): Promise<{ result: BareResult; stats: Awaited<ReturnType<typeof emulatorStats>> }> {
  const { child, url, hosts } = await emulatorWithHosts();
  const spec: BareSpec = {
    url,
    apiKey: DEFAULT_API_KEY,
    hosts,
    rateLimit: RATE_LIMIT,
    pollMs: BARE_POLL_MS,
    timeoutMs: TIMEOUT_MS,
    maxInFlight: BARE_MAX_IN_FLIGHT,
  };
  const path = fileURLToPath(new URL('./lib/bare-poller.js', import.meta.url));
  const bare = fork(path, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  bare.send(spec);
  const result = await new Promise<BareResult>((resolve, reject) => {
    bare.once('message', (m: BareResult) => resolve(m));
    bare.once('exit', (code) => reject(new Error(`bare poller exited (${code}) without a result`)));
  });
  // Its idle keep-alive sockets would hold it a few seconds: the result is in, so stop it.
  bare.kill();
  return { result, stats: await emulatorStats(child) };
}

export async function run() {
  const gc = getGc();
  const { child, url, hosts, scanned } = await emulatorWithHosts();
  const ready = { url };
  const picked = { hosts, scanned };

  // No counting fetch is injected: the client's own transport (node:http) is what is measured. The requests
  // are counted where they arrive, at the emulator.
  const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: ready.url, rateLimit: RATE_LIMIT });

  gc();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, SAMPLE_EVERY_MS);

  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let startedCount = 0;
  let finished = 0;
  let allStartedAt = Number.NaN;
  let retained: { heapUsed: number; rss: number; waiting: number } | undefined;
  const outcomes = new Map<string, number>();
  const detectedAt: number[] = [];
  const errors: string[] = [];

  await Promise.all(
    picked.hosts.map(async (host) => {
      try {
        const crawl = await client.startCrawl({ url: host });
        startedCount++;
        if (startedCount === CRAWLS) {
          allStartedAt = performance.now() - started;
          // Every crawl started; most are being waited for. Retained memory after a full GC.
          setImmediate(() => {
            gc();
            const m = process.memoryUsage();
            retained = { heapUsed: m.heapUsed, rss: m.rss, waiting: CRAWLS - finished };
          });
        }
        const result = await waitForCrawl(client, crawl.executionId, {
          minIntervalMs: MIN_INTERVAL_MS,
          notFoundGraceMs: 30_000,
          timeoutMs: TIMEOUT_MS,
        });
        outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
      } catch (error) {
        const name = `threw ${(error as Error).name}`;
        outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
        if (errors.length < 5) errors.push(`${host}: ${(error as Error).message}`);
      } finally {
        finished++;
        detectedAt.push(performance.now() - started);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(sampler);
  const peakMaxRssKiB = process.resourceUsage().maxRSS;

  const stats = await emulatorStats(child);
  const bare = await runBare();
  const gets = stats.byMethod['GET'] ?? 0;
  const posts = stats.byMethod['POST'] ?? 0;
  const got429 = stats.byStatus['429'] ?? 0;
  const otherErrors = Object.entries(stats.byStatus)
    .filter(([status]) => Number(status) >= 400 && status !== '429')
    .reduce((sum, [, n]) => sum + n, 0);

  const completed = outcomes.get('completed') ?? 0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const requests = gets + posts;
  const heapPerCrawl = (peakHeap - baseline.heapUsed) / CRAWLS;
  const retainedPerCrawl = retained
    ? (retained.heapUsed - baseline.heapUsed) / Math.max(1, retained.waiting)
    : NaN;
  const rssPerCrawl = (peakRss - baseline.rss) / CRAWLS;
  const outcomeText = [...outcomes.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
  const b = bare.result;
  const bareRequests = b.gets + b.posts;
  const bareOutcomes = Object.entries(b.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const peakMiB = Math.max(mib(peakRss), peakMaxRssKiB / 1024);
  const bareCpuPerRequest = (b.cpuMs * 1000) / Math.max(1, bareRequests);
  const cpuPerRequest = (cpuMs * 1000) / Math.max(1, requests);
  const cpuRatio = cpuPerRequest / bareCpuPerRequest;

  const checks: Check[] = [
    {
      name: `every outcome correct (all ${CRAWLS} completed)`,
      ok: completed === CRAWLS,
      detail: `${outcomeText}${errors.length > 0 ? `; first errors: ${errors.join(' | ')}` : ''}`,
    },
    {
      name: `most requests in any ${RATE_LIMIT.windowMs / 1000} s window at the emulator ≤ ${RATE_LIMIT.requests}`,
      ok: stats.maxWindow <= RATE_LIMIT.requests,
      detail: `${stats.maxWindow} (emulator.requests, arrival times)`,
    },
    {
      name: 'the bare fetch loop saw every crawl complete (so the comparison is of the same work)',
      ok: (b.outcomes['completed'] ?? 0) === CRAWLS,
      detail: bareOutcomes,
    },
  ];
  const targets: Target[] = [
    {
      name: 'Run time under two minutes',
      met: wallMs < 120_000,
      statement: `${fmt(wallMs / 1000)} s from the first start to the last outcome.`,
    },
    {
      name: `Peak RSS at most ${RSS_TARGET_MIB} MiB at ${CRAWLS} waits`,
      met: peakMiB <= RSS_TARGET_MIB,
      statement: `${fmt(peakMiB)} MiB (the larger of the sampled peak and maxRSS; bare fetch loop ${fmt(Math.max(mib(b.peakRssBytes), b.maxRssKiB / 1024))} MiB).`,
    },
    {
      name: `CPU per poll at most ${CPU_TARGET_RATIO}x the bare-fetch row`,
      met: cpuRatio <= CPU_TARGET_RATIO,
      statement: `${fmt(cpuPerRequest, 0)} µs vs ${fmt(bareCpuPerRequest, 0)} µs per request (POST + GET; the rows poll at different cadences, so CPU is divided by every request sent): ${fmt(cpuRatio, 2)}x.`,
    },
  ];
  const m = machineInfo();
  const method = `
Command: \`node bench/dist/scale.js\` (env \`BENCH_SCALE_CRAWLS\` changes the count; the report is for ${CRAWLS}).

- **Emulator** in a child process (\`bench/dist/lib/emulator-child.js\`, \`startEmulator\` driven over IPC), so
  that its memory and CPU are not counted in the client's: loopback, speed ${SPEED}, rate limit
  ${RATE_LIMIT.requests} requests per ${RATE_LIMIT.windowMs / 1000} s (sliding window, per address). A fresh
  one (same seed) for each row.
- **Crawls**: ${CRAWLS} scenario-free hosts \`vendor-<n>.test\` whose planned duration (\`plannedDurationMs\`) is
  60–120 min of simulated time, i.e. 30–60 s of real time at speed ${SPEED} (the first ${picked.scanned} names
  scanned to find them).
- **Ours**: this process; one \`CatalogClient\` with its rate limiter raised to the same
  ${RATE_LIMIT.requests} per ${RATE_LIMIT.windowMs / 1000} s; every crawl is started with \`startCrawl\` (all
  at once, the limiter queues them) and waited with the real \`waitForCrawl\` (minIntervalMs
  ${MIN_INTERVAL_MS}, default maxIntervalMs, notFoundGraceMs 30 000, timeoutMs ${TIMEOUT_MS}). Its requests go
  out through the client's default transport (\`node:http\` with Node's keep-alive agent; nothing injected), and
  are counted at the emulator.
- **Bare fetch loop** (side by side, after ours, in its own process: \`bench/dist/lib/bare-poller.js\`): the same
  hosts started with \`POST /v2/crawl\` and polled with \`GET /v2/crawl/{id}\` every ${BARE_POLL_MS / 1000} s until a
  terminal status, through Node's global \`fetch\` (keep-alive); one FIFO of due requests and a pump that sends
  while the same sliding window has room and fewer than ${BARE_MAX_IN_FLIGHT} requests are unanswered (a request
  object exists only once it is sent), 1 s pause after a 429. None of our code.
- **Memory**: \`process.memoryUsage()\` sampled every ${SAMPLE_EVERY_MS} ms (peak RSS and peak heap used, minus
  the baseline after a forced GC before the first request), and retained heap after a forced GC at the moment
  every crawl had been started (divided by the crawls still being waited then). Peak RSS also from
  \`process.resourceUsage().maxRSS\`; the target uses the larger.
- **CPU per poll**: \`process.cpuUsage()\` of the client process over the run (user + system), divided by the
  GET requests it sent and by all requests (POSTs included). The CPU target compares per request, because the
  two rows do not poll at the same cadence.
- **Rate**: the most requests in any ${RATE_LIMIT.windowMs / 1000} s window, from the arrival times in
  \`emulator.requests\`.
`;
  const figures = table(
    ['figure', 'ours (`waitForCrawl`)', 'bare keep-alive `fetch` loop'],
    [
      ['crawls waited', String(CRAWLS), String(CRAWLS)],
      ['outcomes', outcomeText, bareOutcomes],
      ['wall time, first start to last outcome', `${fmt(wallMs / 1000)} s`, `${fmt(b.wallMs / 1000)} s`],
      ['all crawls started after', `${fmt(allStartedAt / 1000)} s`, ''],
      [
        'outcomes known: p50 / p95 / last',
        `${fmt(percentile(detectedAt, 50) / 1000)} s / ${fmt(percentile(detectedAt, 95) / 1000)} s / ${fmt(percentile(detectedAt, 100) / 1000)} s`,
        '',
      ],
      [
        'requests sent (POST / GET)',
        `${requests} (${posts} / ${gets})`,
        `${bareRequests} (${b.posts} / ${b.gets})`,
      ],
      ['GET polls per crawl (mean)', fmt(gets / CRAWLS, 2), fmt(b.gets / CRAWLS, 2)],
      ['answers 429 / other errors', `${got429} / ${otherErrors}`, `${b.got429} / ${b.otherErrors}`],
      [
        `most requests in any ${RATE_LIMIT.windowMs / 1000} s window (limit ${RATE_LIMIT.requests})`,
        `${stats.maxWindow} at the emulator`,
        `${bare.stats.maxWindow} at the emulator`,
      ],
      [
        'client peak RSS',
        `${fmt(mib(peakRss))} MiB (maxRSS ${fmt(peakMaxRssKiB / 1024)} MiB; baseline ${fmt(mib(baseline.rss))} MiB)`,
        `${fmt(mib(b.peakRssBytes))} MiB (maxRSS ${fmt(b.maxRssKiB / 1024)} MiB; baseline ${fmt(mib(b.baselineRssBytes))} MiB)`,
      ],
      [
        'client peak heap used',
        `${fmt(mib(peakHeap))} MiB (baseline ${fmt(mib(baseline.heapUsed))} MiB)`,
        `${fmt(mib(b.peakHeapBytes))} MiB (baseline ${fmt(mib(b.baselineHeapBytes))} MiB)`,
      ],
      [
        'memory per waited crawl: peak heap − baseline',
        `${fmt(heapPerCrawl / 1024, 2)} KiB`,
        `${fmt((b.peakHeapBytes - b.baselineHeapBytes) / CRAWLS / 1024, 2)} KiB`,
      ],
      [
        'memory per waited crawl: peak RSS − baseline',
        `${fmt(rssPerCrawl / 1024, 2)} KiB`,
        `${fmt((b.peakRssBytes - b.baselineRssBytes) / CRAWLS / 1024, 2)} KiB`,
      ],
      [
        'memory per waited crawl: retained heap after GC, all started',
        retained ? `${fmt(retainedPerCrawl / 1024, 2)} KiB (${retained.waiting} crawls waiting then)` : 'n/a',
        '',
      ],
      ['client CPU (user + system)', `${fmt(cpuMs / 1000, 2)} s`, `${fmt(b.cpuMs / 1000, 2)} s`],
      [
        'client CPU per GET poll',
        `${fmt((cpuMs * 1000) / Math.max(1, gets), 0)} µs`,
        `${fmt((b.cpuMs * 1000) / Math.max(1, b.gets), 0)} µs`,
      ],
      [
        'client CPU per request (POST + GET)',
        `${fmt(cpuPerRequest, 0)} µs`,
        `${fmt(bareCpuPerRequest, 0)} µs`,
      ],
      [
        'emulator child: peak RSS, CPU',
        `${fmt(stats.maxRssKiB / 1024)} MiB, ${fmt((stats.cpuUserMs + stats.cpuSystemMs) / 1000, 2)} s`,
        `${fmt(bare.stats.maxRssKiB / 1024)} MiB, ${fmt((bare.stats.cpuUserMs + bare.stats.cpuSystemMs) / 1000, 2)} s`,
      ],
    ],
  );
  return {
    id: 'scale',
    title: '4. Scale: one process waits for 10,000 crawls',
    method: `${method}\nMachine: ${m.cpuModel}, ${m.cores} cores.`,
    figures,
    targets,
    checks,
    notes: [
      ...(retained
        ? [
            `Where the peak comes from: after a forced GC with every crawl started, ours held ${fmt(mib(retained.heapUsed))} MiB of heap (${fmt(retainedPerCrawl / 1024, 2)} KiB per waiting crawl); its peak heap used was ${fmt(mib(peakHeap))} MiB, ${fmt(peakHeap / retained.heapUsed, 1)}x that. The difference is garbage: V8 lets the old generation grow to a multiple of what survived the last full GC before collecting again, so objects that live long enough to be promoted (requests queued behind the limiter, answers kept until the next poll, and anything a minor GC cannot free, such as global fetch's requests held by its finalization registries, the reason the client sends with node:http) set the peak. The bare loop keeps a few hundred bytes per crawl and ${fmt(mib(b.peakHeapBytes))} MiB of peak heap.`,
          ]
        : []),
      ...(stats.total >= 100_000
        ? [
            `The emulator keeps its last 100,000 request records; ${stats.total} were kept, so the window count covers the latest ones only.`,
          ]
        : []),
    ],
  };
}

if (isMain(import.meta.url)) await runAsCommand(run);
