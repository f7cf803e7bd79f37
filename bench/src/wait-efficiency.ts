/**
 * Benchmark 1: wait efficiency in simulated time.
 *
 * A seeded workload of crawls is answered by a fake `fetch` that computes each crawl's state at the simulated
 * time. Our default schedule runs through the real `waitForCrawl` and `CatalogClient` (injected now/sleep/random,
 * rate limiter off), so the measured schedule is the product's own. The baselines are plain poll loops over the
 * same crawl model. Nothing sleeps for real.
 */
import { CatalogClient, CRAWL_STEPS, isTerminalStatus, waitForCrawl } from '@catalog-crawl/core';
import { createRandom, logUniform, uniform } from '@catalog-crawl/test-kit';
import { machineInfo } from './lib/machine.js';
import { type Check, isMain, runAsCommand, type Target } from './lib/report.js';
import { fmt, max, mean, pct, percentile, table } from './lib/stats.js';

export const SEED = 'catalog-crawl/bench/wait-efficiency/v1';
export const CRAWLS = 1000;
/** The sweep runs five workloads: half the crawls each keeps `pnpm bench` within a few minutes. */
export const SWEEP_CRAWLS = 500;
const MIN_DURATION_MS = 60_000;
const MAX_DURATION_MS = 4 * 3_600_000;
/** Base shares of the four steps; each crawl multiplies each by U(0.5, 1.5) and normalises. */
const BASE_SHARES = [0.05, 0.25, 0.2, 0.5] as const;
const FAILING_SHARE = 0.1;
/** Long enough for the longest crawl plus any poll interval: no strategy times out. */
const HORIZON_MS = 5 * 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const SWEEP_SHARES = [0.1, 0.3, 0.5, 0.7, 0.9] as const;
const FAILURE_MESSAGES = [
  'The site blocked the crawler (HTTP 403 on every page)',
  'No product pages were found on the site',
  'Upstream timeout while fetching pages',
  'The site returned malformed HTML for every collection page',
];

export interface SimCrawl {
  index: number;
  id: string;
  vendor: string;
  /** Offsets from creation (ms) where each step starts and ends. */
  stepStarts: number[];
  stepEnds: number[];
  /** Index of the step that fails, for a failing crawl. */
  failStep: number | undefined;
  /** Offset (ms) at which the terminal status appears: the crawl's duration. */
  terminalMs: number;
  expected: 'completed' | 'failed';
  lastShare: number;
  collectionsTotal: number;
  listingsTotal: number;
  error: string | null;
}

/**
 * The same random draws in the same order whatever `lastShare` is, so a sweep changes only the step shares.
 */
export function generateWorkload(lastShare?: number, count = CRAWLS): SimCrawl[] {
  const random = createRandom(SEED);
  const pick = createRandom(`${SEED}/failing`);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(pick() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const failing = new Set(order.slice(0, Math.round(count * FAILING_SHARE)));
  const crawls: SimCrawl[] = [];
  for (let index = 0; index < count; index++) {
    const plannedMs = logUniform(random, MIN_DURATION_MS, MAX_DURATION_MS);
    const weights = BASE_SHARES.map((b) => b * uniform(random, 0.5, 1.5));
    const failStepDraw = random();
    const failPoint = uniform(random, 0.05, 0.95);
    const collectionsTotal = 1 + Math.floor(random() * 300);
    const listingsTotal = 10 + Math.floor(random() * 30_000);
    const messageDraw = random();
    let shares: number[];
    if (lastShare === undefined) {
      const sum = weights.reduce((a, b) => a + b, 0);
      shares = weights.map((w) => w / sum);
    } else {
      const first = weights.slice(0, 3);
      const sum = first.reduce((a, b) => a + b, 0);
      shares = [...first.map((w) => (w / sum) * (1 - lastShare)), lastShare];
    }
    const stepStarts: number[] = [];
    const stepEnds: number[] = [];
    let at = 0;
    for (const share of shares) {
      stepStarts.push(at);
      at += share * plannedMs;
      stepEnds.push(at);
    }
    stepEnds[3] = plannedMs;
    const fails = failing.has(index);
    const failStep = fails ? Math.min(3, Math.floor(failStepDraw * 4)) : undefined;
    const terminalMs =
      failStep === undefined
        ? plannedMs
        : stepStarts[failStep]! + failPoint * (stepEnds[failStep]! - stepStarts[failStep]!);
    const vendor = `vendor-${index}.test`;
    crawls.push({
      index,
      id: `crawl-vendor-${index}-test-${(index * 2654435761).toString(16).slice(-8).padStart(8, '0')}`,
      vendor,
      stepStarts,
      stepEnds,
      failStep,
      terminalMs: Math.round(terminalMs),
      expected: fails ? 'failed' : 'completed',
      lastShare: shares[3]!,
      collectionsTotal,
      listingsTotal,
      error: fails
        ? FAILURE_MESSAGES[
            Math.min(FAILURE_MESSAGES.length - 1, Math.floor(messageDraw * FAILURE_MESSAGES.length))
          ]!
        : null,
    });
  }
  return crawls;
}

/** The crawl's status at `offsetMs` after its creation. */
export function statusAt(crawl: SimCrawl, offsetMs: number): 'running' | 'completed' | 'failed' {
  return offsetMs >= crawl.terminalMs ? crawl.expected : 'running';
}

/** The GET /v2/crawl/{id} body at `offsetMs` after creation, in the API's shape (snake_case). */
export function snapshotBody(crawl: SimCrawl, offsetMs: number): unknown {
  const status = statusAt(crawl, offsetMs);
  const t = Math.min(offsetMs, crawl.terminalMs);
  const fraction = (step: number) => {
    const len = crawl.stepEnds[step]! - crawl.stepStarts[step]!;
    return len <= 0 ? 1 : Math.min(1, Math.max(0, (t - crawl.stepStarts[step]!) / len));
  };
  const steps = CRAWL_STEPS.map((name, i) => {
    let stepStatus: string;
    if (status === 'completed') stepStatus = 'completed';
    else if (status === 'failed' && i === crawl.failStep) stepStatus = 'failed';
    else if (t >= crawl.stepEnds[i]!) stepStatus = 'completed';
    else if (t >= crawl.stepStarts[i]! && status === 'running') stepStatus = 'running';
    else stepStatus = 'pending';
    return { name, status: stepStatus };
  });
  const progress = {
    collections_found: Math.floor(crawl.collectionsTotal * fraction(1)),
    listings_found: Math.floor(crawl.listingsTotal * fraction(3)),
  };
  const stopped = status !== 'running';
  return {
    execution_id: crawl.id,
    status,
    error: status === 'failed' ? crawl.error : null,
    meta: {
      vendor: crawl.vendor,
      start_date: new Date(T0).toISOString(),
      stop_date: stopped ? new Date(T0 + crawl.terminalMs).toISOString() : null,
      duration_ms: Math.round(t),
      progress,
      steps,
      ...(status === 'completed'
        ? { result: { collections_total: crawl.collectionsTotal, listings_total: crawl.listingsTotal } }
        : {}),
    },
  };
}

/** One crawl waited by one strategy. */
export interface CrawlRun {
  requests: number;
  /** Requests sent after an answer with a terminal status had been received. */
  afterTerminal: number;
  /** Offset of the first answer with a terminal status; undefined when never seen. */
  detectedAtMs: number | undefined;
  outcome: string;
  correct: boolean;
}

export interface StrategyRun {
  name: string;
  runs: CrawlRun[];
  unexpectedRequests: number;
}

type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * A minimal stand-in for a fetch Response (status, ok, headers, text()): the client reads nothing else, and
 * undici's Response costs ~90 µs a body, which would dominate a simulation of ~10^6 polls.
 */
function fakeResponse(status: number, body: string, headers: Record<string, string>): Response {
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: '',
    headers: new Headers(headers),
    text: async () => body,
    json: async () => JSON.parse(body),
  } as unknown as Response;
}

/** Our default schedule: the real waitForCrawl over the real CatalogClient, with a fake fetch. */
export async function runOurs(workload: SimCrawl[], seed: string): Promise<StrategyRun> {
  const random = createRandom(`${seed}/ours`);
  const clock = { t: T0 };
  const byId = new Map(workload.map((c) => [c.id, c]));
  let current: CrawlRun = {
    requests: 0,
    afterTerminal: 0,
    detectedAtMs: undefined,
    outcome: '',
    correct: false,
  };
  let unexpectedRequests = 0;
  let requestNo = 0;
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const match = /^\/v2\/crawl\/([^/?#]+)$/.exec(new URL(href).pathname);
    const crawl = match ? byId.get(decodeURIComponent(match[1]!)) : undefined;
    requestNo++;
    const headers = { 'content-type': 'application/json', 'request-id': `req_sim_${requestNo}` };
    if (method !== 'GET' || !crawl) {
      unexpectedRequests++;
      const body = { error: { code: 'NOT_FOUND', message: 'Not found', request_id: `req_sim_${requestNo}` } };
      return fakeResponse(404, JSON.stringify(body), headers);
    }
    const offset = clock.t - T0;
    current.requests++;
    if (current.detectedAtMs !== undefined) current.afterTerminal++;
    else if (statusAt(crawl, offset) !== 'running') current.detectedAtMs = offset;
    return fakeResponse(200, JSON.stringify(snapshotBody(crawl, offset)), headers);
  };
  const sleep: Sleep = async (ms, signal) => {
    if (signal?.aborted) throw signal.reason;
    // The client's request timeout is the only sleep given a signal here (the waits get none). The fake
    // fetch answers at once, so the timeout never fires: wait until the client clears it.
    if (signal) {
      return new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    }
    clock.t += Math.max(0, ms);
  };
  const now = () => clock.t;
  const client = new CatalogClient({
    apiKey: 'ck_bench_simulated_key',
    baseUrl: 'https://api.catalog.invalid',
    fetch: fakeFetch as typeof fetch,
    rateLimit: false,
    clock: { now, sleep, random },
  });
  const runs: CrawlRun[] = [];
  for (const crawl of workload) {
    clock.t = T0;
    current = { requests: 0, afterTerminal: 0, detectedAtMs: undefined, outcome: '', correct: false };
    try {
      const result = await waitForCrawl(client, crawl.id, { timeoutMs: HORIZON_MS });
      current.outcome = result.outcome;
    } catch (error) {
      current.outcome = `threw ${(error as Error).name}: ${(error as Error).message}`;
    }
    current.correct = current.outcome === crawl.expected;
    runs.push(current);
  }
  return { name: 'ours (core defaults)', runs, unexpectedRequests };
}

export interface Baseline {
  name: string;
  /**
   * Delay before poll number `attempt + 1` (attempt 1 = the delay after the first poll); `step` is the index of
   * the step the last answer showed running.
   */
  nextDelayMs(attempt: number, random: () => number, step: number): number;
}

/** Index of the step running at `offsetMs` (3 once past the last step's start). */
function stepAt(crawl: SimCrawl, offsetMs: number): number {
  for (let i = 0; i < 3; i++) if (offsetMs < crawl.stepEnds[i]!) return i;
  return 3;
}

/**
 * What-if, not the product: phase targets linear by step index (30 s in step 1 down to 10 s in the last step,
 * core's schedule before its last-step rule) without any jitter, for comparison.
 */
export const PHASE_NO_JITTER: Baseline = {
  name: 'what-if: phase targets, no jitter',
  nextDelayMs: (_attempt, _random, step) => 30_000 - (step / 3) * 20_000,
};

export const FIXED_10: Baseline = { name: 'fixed 10 s', nextDelayMs: () => 10_000 };
export const FIXED_30: Baseline = { name: 'fixed 30 s', nextDelayMs: () => 30_000 };
/** As @smithy/util-waiter's exponentialBackoffWithJitter (AWS SDK v3 waiters), min 2 s, max 120 s. */
export const AWS_LIKE: Baseline = {
  name: 'AWS-waiter-like 2 s→120 s',
  nextDelayMs(attempt, random) {
    const minDelay = 2_000;
    const maxDelay = 120_000;
    const ceiling = Math.log(maxDelay / minDelay) / Math.log(2) + 1;
    if (attempt > ceiling) return maxDelay;
    return uniform(random, minDelay, minDelay * 2 ** (attempt - 1));
  },
};

/** A plain poll loop: poll at once, stop at the first terminal status, else sleep nextDelayMs. */
export function runBaseline(workload: SimCrawl[], baseline: Baseline, seed: string): StrategyRun {
  const random = createRandom(`${seed}/${baseline.name}`);
  const runs: CrawlRun[] = workload.map((crawl) => {
    let t = 0;
    let attempt = 0;
    let requests = 0;
    for (;;) {
      requests++;
      const status = statusAt(crawl, t);
      if (isTerminalStatus(status)) {
        return {
          requests,
          afterTerminal: 0,
          detectedAtMs: t,
          outcome: status,
          correct: status === crawl.expected,
        };
      }
      if (t >= HORIZON_MS) {
        return { requests, afterTerminal: 0, detectedAtMs: undefined, outcome: 'timed_out', correct: false };
      }
      attempt++;
      t = Math.min(HORIZON_MS, t + baseline.nextDelayMs(attempt, random, stepAt(crawl, t)));
    }
  });
  return { name: baseline.name, runs, unexpectedRequests: 0 };
}

export interface Summary {
  name: string;
  requestsMean: number;
  lagP50: number;
  lagP95: number;
  lagMax: number;
  shareP50: number;
  shareP95: number;
  shareMax: number;
  failedLagP50: number;
  failedLagP95: number;
  completedLagP50: number;
  completedLagP95: number;
  /** Lags in seconds, in workload order (NaN when never detected). */
  lags: number[];
  afterTerminal: number;
  wrong: number;
  undetected: number;
  unexpectedRequests: number;
}

export function summarise(run: StrategyRun, workload: SimCrawl[]): Summary {
  const lags: number[] = [];
  const shares: number[] = [];
  const failedLags: number[] = [];
  const completedLags: number[] = [];
  const all: number[] = [];
  let undetected = 0;
  run.runs.forEach((r, i) => {
    const crawl = workload[i]!;
    if (r.detectedAtMs === undefined) {
      undetected++;
      all.push(Number.NaN);
      return;
    }
    const lag = r.detectedAtMs - crawl.terminalMs;
    lags.push(lag / 1000);
    all.push(lag / 1000);
    shares.push(lag / crawl.terminalMs);
    if (crawl.expected === 'failed') failedLags.push(lag / 1000);
    else completedLags.push(lag / 1000);
  });
  return {
    name: run.name,
    requestsMean: mean(run.runs.map((r) => r.requests)),
    lagP50: percentile(lags, 50),
    lagP95: percentile(lags, 95),
    lagMax: max(lags),
    shareP50: percentile(shares, 50),
    shareP95: percentile(shares, 95),
    shareMax: max(shares),
    failedLagP50: percentile(failedLags, 50),
    failedLagP95: percentile(failedLags, 95),
    completedLagP50: percentile(completedLags, 50),
    completedLagP95: percentile(completedLags, 95),
    lags: all,
    afterTerminal: run.runs.reduce((a, r) => a + r.afterTerminal, 0),
    wrong: run.runs.filter((r) => !r.correct).length,
    undetected,
    unexpectedRequests: run.unexpectedRequests,
  };
}

export interface TargetVerdict {
  met: boolean;
  requestRatio: number;
  statement: string;
}

/** Target: lag p50 and p95 no worse than fixed 10 s, with at most 60 % of its requests. */
export function verdict(ours: Summary, fixed10: Summary): TargetVerdict {
  const requestRatio = ours.requestsMean / fixed10.requestsMean;
  const p50ok = ours.lagP50 <= fixed10.lagP50;
  const p95ok = ours.lagP95 <= fixed10.lagP95;
  const reqOk = requestRatio <= 0.6;
  const parts = [
    `lag p50 ${fmt(ours.lagP50)} s vs ${fmt(fixed10.lagP50)} s (${p50ok ? 'ok' : `${fmt(ours.lagP50 - fixed10.lagP50)} s worse`})`,
    `lag p95 ${fmt(ours.lagP95)} s vs ${fmt(fixed10.lagP95)} s (${p95ok ? 'ok' : `${fmt(ours.lagP95 - fixed10.lagP95)} s worse`})`,
    `requests ${pct(requestRatio, 0)} of fixed 10 s (${reqOk ? 'ok, limit 60 %' : `limit 60 %, ${fmt((requestRatio - 0.6) * 100, 0)} points over`})`,
  ];
  return { met: p50ok && p95ok && reqOk, requestRatio, statement: parts.join('; ') };
}

async function runAll(workload: SimCrawl[], seed: string): Promise<Summary[]> {
  const ours = await runOurs(workload, seed);
  return [
    summarise(ours, workload),
    ...[FIXED_10, FIXED_30, AWS_LIKE, PHASE_NO_JITTER].map((b) =>
      summarise(runBaseline(workload, b, seed), workload),
    ),
  ];
}

function row(s: Summary, fixed10: Summary): string[] {
  return [
    s.name,
    fmt(s.requestsMean),
    pct(s.requestsMean / fixed10.requestsMean, 0),
    fmt(s.lagP50),
    fmt(s.lagP95),
    fmt(s.lagMax),
    pct(s.shareP50, 2),
    pct(s.shareP95, 2),
    pct(s.shareMax, 2),
    `${fmt(s.completedLagP50)} / ${fmt(s.completedLagP95)}`,
    `${fmt(s.failedLagP50)} / ${fmt(s.failedLagP95)}`,
    String(s.afterTerminal),
  ];
}

const HEADER = [
  'strategy',
  'requests/crawl (mean)',
  'vs fixed 10 s',
  'lag p50 (s)',
  'lag p95 (s)',
  'lag max (s)',
  'lag/duration p50',
  'p95',
  'max',
  'completed crawls: lag p50 / p95 (s)',
  'failed crawls: lag p50 / p95 (s)',
  'requests after terminal',
];

export async function run() {
  const wallStarted = performance.now();
  const workload = generateWorkload();
  const main = await runAll(workload, SEED);
  const mainMs = performance.now() - wallStarted;
  const [ours, fixed10] = [main[0]!, main[1]!];
  const mainVerdict = verdict(ours, fixed10);

  const sweep: { share: number; summaries: Summary[]; verdict: TargetVerdict }[] = [];
  for (const share of SWEEP_SHARES) {
    const w = generateWorkload(share, SWEEP_CRAWLS);
    const summaries = await runAll(w, `${SEED}/sweep/${share}`);
    sweep.push({ share, summaries, verdict: verdict(summaries[0]!, summaries[1]!) });
  }
  const totalMs = performance.now() - wallStarted;

  const durations = workload.map((c) => c.terminalMs / 60_000);
  const completedDurations = workload
    .filter((c) => c.expected === 'completed')
    .map((c) => c.terminalMs / 60_000);
  const lastShares = workload.map((c) => c.lastShare);
  const failSteps = [0, 1, 2, 3].map((k) => workload.filter((c) => c.failStep === k).length);

  const checks: Check[] = [];
  const all = [{ share: undefined as number | undefined, summaries: main }, ...sweep];
  for (const { share, summaries } of all) {
    const label = share === undefined ? 'main workload' : `sweep, last step ${pct(share, 0)}`;
    for (const s of summaries) {
      checks.push({
        name: `${label}, ${s.name}: requests after the terminal status`,
        ok: s.afterTerminal === 0,
        detail: `${s.afterTerminal}`,
      });
      checks.push({
        name: `${label}, ${s.name}: outcomes`,
        ok: s.wrong === 0 && s.undetected === 0 && s.unexpectedRequests === 0,
        detail: `${s.wrong} wrong, ${s.undetected} never detected, ${s.unexpectedRequests} unexpected requests (not GET of a known id)`,
      });
    }
  }
  // Keep the list short in the report: one line per kind when all pass.
  const compact: Check[] = [];
  const after = checks.filter((c) => c.name.endsWith('terminal status'));
  const outcome = checks.filter((c) => c.name.endsWith('outcomes'));
  for (const [kind, list] of [
    ['no request after the terminal status (every strategy, main run and sweep)', after],
    [
      'every crawl detected with the right outcome, no other request (every strategy, main run and sweep)',
      outcome,
    ],
  ] as const) {
    const failed = list.filter((c) => !c.ok);
    compact.push(
      failed.length === 0
        ? { name: kind, ok: true, detail: `${list.length} strategy runs, all pass` }
        : { name: kind, ok: false, detail: failed.map((c) => `${c.name}: ${c.detail}`).join('; ') },
    );
  }

  const targets: Target[] = [
    {
      name: 'Our default schedule: lag p50 and p95 no worse than fixed 10 s, with at most 60 % of its requests',
      met: mainVerdict.met,
      statement: `Main workload: ${mainVerdict.statement}.`,
    },
  ];
  const sweepMet = sweep.filter((s) => s.verdict.met).map((s) => pct(s.share, 0));
  const m = machineInfo();
  const method = `
Command: \`node bench/dist/wait-efficiency.js\`. Simulated time: nothing sleeps; ${CRAWLS} crawls waited one after
the other, each on its own simulated clock, in about ${fmt(mainMs / 1000)} s of real time (${fmt(totalMs / 1000)} s
with the sweep, on ${m.cpuModel}).

- **Workload** (seed \`${SEED}\`, the same for every strategy): ${CRAWLS} crawls; planned duration
  log-uniform from 1 min to 4 h (median of the crawls that complete ${fmt(percentile(completedDurations, 50))} min).
  The four steps take randomised shares: base shares 5 % / 25 % / 20 % / 50 % (Determining / Discovering /
  Analyzing / Extracting), each multiplied by U(0.5, 1.5) and normalised (the last step's share ranges
  ${pct(Math.min(...lastShares), 0)}–${pct(Math.max(...lastShares), 0)}, mean ${pct(mean(lastShares), 0)}).
  Exactly a tenth (${workload.filter((c) => c.failStep !== undefined).length}) fail, each in a random step (by step:
  ${failSteps.join(' / ')}) at a uniform point between 5 % and 95 % of that step; the crawl's duration is then
  the time to the failure. Durations to the terminal status: median ${fmt(percentile(durations, 50))} min.
  The crawl is \`running\` from its creation, with steps and counts (collections grow through step 2, listings
  through step 4) as the API shows them, and the terminal status from its end on.
- **Ours**: the real \`waitForCrawl\` of \`@catalog-crawl/core\` with its default schedule (minIntervalMs,
  maxIntervalMs and phase logic untouched), over a real \`CatalogClient\` whose \`fetch\` is a fake answering
  \`GET /v2/crawl/{id}\` from the model at the simulated time (JSON bodies as the API sends them). Injected
  now/sleep/random (seeded), client rate limiter off, retry untouched (no request fails). Only change from the
  defaults: \`timeoutMs\` 5 h (the default 60 min would time out crawls longer than an hour; the deadline is not
  what is measured).
- **Baselines**: plain poll loops over the same crawl model: poll at once, stop at the first terminal status,
  else sleep. Fixed 10 s; fixed 30 s; AWS-waiter-like, as \`@smithy/util-waiter\`'s
  \`exponentialBackoffWithJitter\`: delay after poll n is U(2 s, 2 s × 2^(n-1)) until that exceeds 120 s, then
  120 s. And a what-if that is not the product: phase targets linear by step (30 s in the first step, 23.3 s,
  16.7 s, 10 s in the whole last step, core's schedule before its last-step rule) without jitter.
- **Detection lag**: time of the first answer carrying the terminal status minus the time the crawl reached
  it (requests take no simulated time). Lag/duration divides by the crawl's time to its terminal status.
  Percentiles are nearest-rank over the ${CRAWLS} crawls. Requests after terminal: requests sent after an answer
  with a terminal status had been received (counted at the fake fetch for ours).
- **Sweep**: a workload of ${SWEEP_CRAWLS} crawls drawn the same way (same seed, so the same first ${SWEEP_CRAWLS}
  durations and draws; a tenth failing), with the last step's share forced to 10 %–90 % and the first three
  steps sharing the rest in their randomised proportions. Each row compares with fixed 10 s on the same crawls.
- **Target**: ours has lag p50 and p95 no worse than fixed 10 s, with at most 60 % of its mean requests.
`;
  const figures = [
    `Main workload (${CRAWLS} crawls):`,
    '',
    table(
      HEADER,
      main.map((s) => row(s, fixed10)),
    ),
    '',
    `Sweep (${SWEEP_CRAWLS} crawls): the last step's share of the duration (same crawls otherwise). "target" is the target above for ours in that row's workload.`,
    '',
    table(
      [
        'last step share',
        'strategy',
        'requests/crawl',
        'vs fixed 10 s',
        'lag p50 (s)',
        'lag p95 (s)',
        'lag max (s)',
        'lag/duration p95',
        'target',
      ],
      sweep.flatMap(({ share, summaries, verdict: v }) =>
        summaries.map((s, i) => [
          pct(share, 0),
          s.name,
          fmt(s.requestsMean),
          pct(s.requestsMean / summaries[1]!.requestsMean, 0),
          fmt(s.lagP50),
          fmt(s.lagP95),
          fmt(s.lagMax),
          pct(s.shareP95, 2),
          i === 0 ? (v.met ? 'met' : 'missed') : '',
        ]),
      ),
    ),
    '',
    `Ours meets the target in the sweep at last-step shares: ${sweepMet.length > 0 ? sweepMet.join(', ') : 'none'}.`,
    ...sweep.map((s) => `- last step ${pct(s.share, 0)}: ${s.verdict.statement}.`),
  ].join('\n');

  const over = workload.filter((_c, i) => (ours.lags[i] ?? 0) > fixed10.lagP95);
  const overFailed = over.filter((c) => c.expected === 'failed').length;
  const notes = [
    `Where ours loses lag: ${over.length} of its ${CRAWLS} crawls were detected later than fixed 10 s's p95 ` +
      `(${fmt(fixed10.lagP95)} s); ${overFailed} of them are failed crawls (${workload.filter((c) => c.expected === 'failed').length} in the workload), ` +
      `${over.length - overFailed} completed ones. Completed crawls: ours ${fmt(ours.completedLagP50)} / ${fmt(ours.completedLagP95)} s ` +
      `(p50 / p95) vs ${fmt(fixed10.completedLagP50)} / ${fmt(fixed10.completedLagP95)} s; failed crawls: ours ` +
      `${fmt(ours.failedLagP50)} / ${fmt(ours.failedLagP95)} s vs ${fmt(fixed10.failedLagP50)} / ${fmt(fixed10.failedLagP95)} s. ` +
      'A crawl can fail in any step, and a failure in an early step is polled at the slow end of the band, so the ' +
      'failed tenth fills the top of the lag distribution, while completed crawls are detected as fast as by a ' +
      'fixed 10 s poll.',
    `The what-if row (phase targets linear by step, no jitter, no last-step rule) has lag p50 ${fmt(main[4]!.lagP50)} s and p95 ` +
      `${fmt(main[4]!.lagP95)} s but needs ${pct(main[4]!.requestsMean / fixed10.requestsMean, 0)} of fixed 10 s's requests.`,
    'Why the p95 half of the target is out of reach inside the 10-30 s band: fixed 10 s already puts 4 % of all ' +
      'crawls above its own p95 (lag uniform in 0-10 s). To stay at or under it, at most about 1 % more may be ' +
      'detected later, so the 7.5 % of crawls that fail in one of the first three steps would need polls every ' +
      '~12 s or less in those steps; the first three steps take about half of a crawl, so that alone costs about ' +
      "40 % of fixed 10 s's requests, and the last step, which must be polled at 10 s near its end to keep p50, " +
      'adds more than the remaining 20 %. Ours takes the request half (60 %) and p50 (equal), and misses p95 by ' +
      'the failed crawls; a user who needs faster detection of early failures sets maxIntervalMs lower.',
  ];
  return {
    id: 'wait-efficiency',
    title: '1. Wait efficiency (simulated time)',
    method,
    figures,
    targets,
    checks: compact,
    notes,
  };
}

if (isMain(import.meta.url)) await runAsCommand(run);
