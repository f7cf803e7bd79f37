import {
  AbortedError,
  CatalogClient,
  CatalogError,
  type Crawl,
  isTerminalStatus,
  type WaitEvent,
  waitForCrawl,
} from '@catalog-crawl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANARY, canaryHits, errorTexts, record } from './lib/common.js';

/**
 * Category 4: hostile responses. A fake fetch answers with arbitrary status codes, headers and bodies (or
 * throws arbitrary things); the client and the waiter must end with a valid value or a typed CatalogError,
 * never an untyped throw and never a hang. Time is simulated (an injected clock) and bounded.
 */

const ID = 'crawl-hostile-example-1a2b3c4d';
/** Fixed for CI; FAULT_SUITE_SEED=<n> explores other inputs. */
const SEED = Number(process.env['FAULT_SUITE_SEED'] ?? 20_261_129);
const REAL_TIME_GUARD_MS = 5_000;

// ---------------------------------------------------------------------------------------- arbitraries
const printable = (max = 60) =>
  fc.string({ maxLength: max }).map((s) => s.replace(/[^\x20-\x7e]/g, '').trim());
const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 20 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant(Number.NaN),
  fc.constant(-1),
  fc.constant(1e308),
);
const statusValue = fc.oneof(
  fc.constantFrom('pending', 'running', 'completed', 'failed', 'canceled', 'COMPLETED', '', 'queued'),
  junkValue,
);
const stepArb = fc.record(
  {
    name: fc.oneof(fc.constantFrom('Determining crawl method', 'Extracting listings'), junkValue),
    status: statusValue,
  },
  { requiredKeys: [] },
);
const crawlBody = fc.record(
  {
    execution_id: fc.oneof(fc.constant(ID), junkValue),
    status: statusValue,
    error: fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 40 }),
      fc.constant(`echo ${CANARY}`),
      junkValue,
    ),
    meta: fc.oneof(
      junkValue,
      fc.record(
        {
          vendor: fc.oneof(fc.string({ maxLength: 20 }), junkValue),
          start_date: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            junkValue,
          ),
          stop_date: fc.oneof(fc.constant(null), junkValue),
          duration_ms: junkValue,
          progress: fc.oneof(
            junkValue,
            fc.record({ collections_found: junkValue, listings_found: junkValue }, { requiredKeys: [] }),
          ),
          steps: fc.oneof(junkValue, fc.array(fc.oneof(stepArb, junkValue), { maxLength: 6 })),
          result: fc.oneof(junkValue, fc.record({ collections_total: junkValue, listings_total: junkValue })),
        },
        { requiredKeys: [] },
      ),
    ),
    // cancel / start / list shapes mixed in
    stop_date: fc.oneof(fc.constant(null), junkValue),
    data: fc.oneof(
      junkValue,
      fc.array(fc.record({ execution_id: junkValue, status: statusValue, created_at: junkValue }), {
        maxLength: 3,
      }),
    ),
    pagination: fc.oneof(
      junkValue,
      fc.record({
        page: junkValue,
        page_size: junkValue,
        total_items: junkValue,
        total_pages: junkValue,
        has_next: junkValue,
        has_prev: junkValue,
      }),
    ),
  },
  { requiredKeys: [] },
);
const errorBody = fc.oneof(
  fc.record({
    error: fc.record(
      {
        code: junkValue,
        message: fc.oneof(junkValue, fc.constant(`bad key ${CANARY}`)),
        request_id: junkValue,
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    error: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(`Invalid API key ${CANARY}`)),
    status: junkValue,
  }),
  fc.record({ error: fc.string({ maxLength: 40 }), details: junkValue }),
);
const STEPS = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
];
/** A well-formed status body (so that waits also reach completed, failed, canceled and stalled). */
const validCrawl = fc
  .record({
    status: fc.constantFrom('pending', 'running', 'running', 'running', 'completed', 'failed'),
    error: fc.constantFrom('Crawl was cancelled by request', 'Extracting listings failed: layout'),
    collections: fc.nat({ max: 500 }),
    listings: fc.nat({ max: 50_000 }),
    step: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ status, error, collections, listings, step }) =>
    JSON.stringify({
      execution_id: ID,
      status,
      error: status === 'failed' ? error : null,
      meta: {
        vendor: 'hostile.example',
        progress: { collections_found: collections, listings_found: listings },
        steps: STEPS.map((name, i) => ({
          name,
          status:
            status === 'completed' || i < step
              ? 'completed'
              : i === step
                ? status === 'failed'
                  ? 'failed'
                  : 'running'
                : 'pending',
        })),
        ...(status === 'completed'
          ? { result: { collections_total: collections, listings_total: listings } }
          : {}),
      },
    }),
  );
const bodyText: fc.Arbitrary<string> = fc.oneof(
  validCrawl,
  validCrawl,
  validCrawl,
  crawlBody.map((b) => JSON.stringify(b)),
  errorBody.map((b) => JSON.stringify(b)),
  fc.tuple(crawlBody, fc.nat()).map(([b, n]) => {
    const text = JSON.stringify(b);
    return text.slice(0, n % Math.max(1, text.length)); // truncated JSON
  }),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
  fc.constant('<html><body><h1>502 Bad Gateway</h1></body></html>'),
  fc.constant('null'),
  fc.constant('[]'),
  fc.constant(`{"execution_id":"${ID}","status":"completed","meta":{"steps":[]}}`),
);
const statusCode = fc.oneof(
  fc.constantFrom(
    200,
    200,
    200,
    201,
    202,
    204,
    301,
    302,
    400,
    401,
    402,
    403,
    404,
    408,
    409,
    418,
    429,
    500,
    502,
    503,
  ),
  fc.integer({ min: 200, max: 599 }),
);
const headersArb = fc.record(
  {
    'retry-after': fc.oneof(
      fc.nat({ max: 100_000 }).map(String),
      printable(),
      fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(8.64e15) }).map((d) => d.toUTCString()),
      fc.constantFrom('-1', '1e308', '99999999999', 'NaN', '0'),
    ),
    'ratelimit-reset': fc.oneof(
      printable(),
      fc.constantFrom('0', '-5', '9999999999999', '2999-01-01T00:00:00Z'),
    ),
    'request-id': fc.oneof(printable(), printable(2_000), fc.constant(CANARY), fc.constant(`req_${CANARY}`)),
    'content-type': fc.constantFrom('application/json', 'text/html', 'text/plain', ''),
    location: fc.constantFrom('https://evil.example/steal', '/v2/crawl/x'),
  },
  { requiredKeys: [] },
);

type Answer =
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'throw'; error: unknown }
  | { kind: 'hang' };

const thrown = fc.oneof(
  fc.constant(
    new TypeError('fetch failed', {
      cause: Object.assign(new Error(`socket ${CANARY}`), { code: 'ECONNRESET' }),
    }),
  ),
  fc.constant(new Error('boom')),
  fc.constant('a string'),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant({ weird: true }),
  fc.constant(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })),
);

const answerArb: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('respond' as const),
      status: statusCode,
      headers: headersArb,
      body: bodyText,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('throw' as const), error: thrown }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
);

// ----------------------------------------------------------------------------------------- simulation
interface Sim {
  t: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch: typeof fetch;
  calls: { method: string; url: string }[];
}

/**
 * Simulated clock: `sleep` queues a timer on virtual time, and whenever the process is idle the earliest timer
 * fires and time jumps to it, so the client's request timeouts (which run on the same clock) race the answers
 * as they would in real time. fetch answers from the list in order, then repeats the last answer.
 */
function simulate(answers: Answer[]): Sim {
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  let seq = 0;
  let kicked = false;
  const kick = () => {
    if (kicked || timers.length === 0) return;
    kicked = true;
    setImmediate(() => {
      kicked = false;
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift();
      if (next) {
        sim.t = Math.max(sim.t, next.at);
        next.fire();
      }
      kick();
    });
  };
  const sim: Sim = {
    t: 1_800_000_000_000,
    now: () => sim.t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        if (!(ms >= 0) || !Number.isFinite(ms)) return reject(new Error(`sleep(${ms}): not a finite delay`));
        const timer = {
          at: sim.t + ms,
          seq: seq++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        kick();
      }),
    calls: [],
    fetch: async (input, init) => {
      sim.calls.push({ method: init?.method ?? 'GET', url: String(input) });
      let answer = answers[Math.min(sim.calls.length - 1, answers.length - 1)]!;
      // The waiter's DELETE has a fixed 5 s timeout (a real timer): a hanging DELETE would only cost real time.
      if (answer.kind === 'hang' && (sim.calls.length > answers.length || init?.method === 'DELETE')) {
        answer = { kind: 'respond', status: 503, headers: {}, body: '' };
      }
      await sim.sleep(5); // a little simulated latency
      if (init?.signal?.aborted) throw init.signal.reason;
      if (answer.kind === 'throw') throw answer.error;
      if (answer.kind === 'hang') {
        return new Promise<Response>((_, reject) => {
          const signal = init?.signal;
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      const nullBody = [204, 205, 304].includes(answer.status);
      const headers = new Headers();
      for (const [k, v] of Object.entries(answer.headers)) if (v !== '') headers.set(k, v);
      return new Response(nullBody ? null : answer.body, { status: answer.status, headers });
    },
  };
  return sim;
}

function client(sim: Sim, retries: number) {
  return new CatalogClient({
    apiKey: CANARY,
    baseUrl: 'http://127.0.0.1:9',
    fetch: sim.fetch,
    timeoutMs: 30, // simulated ms: only a hanging fetch waits for it
    retry: { retries, minDelayMs: 500, maxDelayMs: 10_000, maxServerDelayMs: 60_000 },
    rateLimit: false,
    clock: { now: sim.now, sleep: sim.sleep, random: () => 0.5 },
  });
}

/** Rejects if the promise does not settle within real time: a hang. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('HANG: no answer within 5 s of real time')),
      REAL_TIME_GUARD_MS,
    );
  });
  try {
    return { value: await Promise.race([promise, guard]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HANG')) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

const isCount = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** What a parsed Crawl must look like, whatever the server sent. */
function crawlProblems(crawl: Crawl): string[] {
  const p: string[] = [];
  if (typeof crawl.executionId !== 'string' || crawl.executionId === '') p.push('executionId');
  if (typeof crawl.status !== 'string') p.push('status');
  if (!(crawl.error === null || typeof crawl.error === 'string')) p.push('error');
  if (!Array.isArray(crawl.steps)) p.push('steps');
  else if (crawl.steps.some((s) => typeof s?.name !== 'string' || typeof s?.status !== 'string'))
    p.push('steps[]');
  if (
    crawl.progress !== undefined &&
    !(isCount(crawl.progress.collectionsFound) && isCount(crawl.progress.listingsFound))
  )
    p.push(`progress ${JSON.stringify(crawl.progress)}`);
  if (
    crawl.result !== undefined &&
    !(isCount(crawl.result.collectionsTotal) && isCount(crawl.result.listingsTotal))
  )
    p.push(`result ${JSON.stringify(crawl.result)}`);
  if (crawl.durationMs !== undefined && !isCount(crawl.durationMs)) p.push(`durationMs ${crawl.durationMs}`);
  return p;
}

function valueProblems(method: string, value: unknown): string[] {
  const v = value as Record<string, unknown>;
  switch (method) {
    case 'getCrawl':
      return crawlProblems(value as Crawl);
    case 'cancelCrawl':
      return [
        ...(typeof v['executionId'] === 'string' ? [] : ['executionId']),
        ...(['canceled', 'already_finished', 'not_running_yet'].includes(v['outcome'] as string)
          ? []
          : ['outcome']),
        ...(v['stopDate'] === null || typeof v['stopDate'] === 'string' ? [] : ['stopDate']),
      ];
    case 'startCrawl':
      return [
        ...(typeof v['executionId'] === 'string' && v['executionId'] !== '' ? [] : ['executionId']),
        ...(typeof v['status'] === 'string' ? [] : ['status']),
      ];
    default: {
      const items = v['items'];
      const pg = v['pagination'] as Record<string, unknown> | undefined;
      const p: string[] = [];
      if (!Array.isArray(items)) p.push('items');
      else if (items.some((i) => typeof i?.executionId !== 'string' || typeof i?.status !== 'string'))
        p.push('items[]');
      if (!pg || !['page', 'pageSize', 'totalItems', 'totalPages'].every((k) => isCount(pg[k])))
        p.push('pagination');
      return p;
    }
  }
}

function typedErrorProblems(error: unknown): string[] {
  if (!(error instanceof CatalogError)) {
    return [`untyped throw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`];
  }
  const hits = canaryHits(errorTexts(error));
  return hits.length ? [`canary in the error: ${hits[0]}`] : [];
}

describe('hostile responses: the client', () => {
  it('any status, headers and body: a valid value or a typed CatalogError, never a hang', async () => {
    const failures: string[] = [];
    let runs = 0;
    let values = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('getCrawl', 'cancelCrawl', 'startCrawl', 'listCrawls'),
        fc.array(answerArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 4 }),
        async (method, answers, retries) => {
          runs++;
          const sim = simulate(answers);
          const c = client(sim, retries);
          const started = sim.t;
          const call =
            method === 'getCrawl'
              ? c.getCrawl(ID)
              : method === 'cancelCrawl'
                ? c.cancelCrawl(ID)
                : method === 'startCrawl'
                  ? c.startCrawl({ url: 'skims.com' })
                  : c.listCrawls({ page: 1 });
          const { value, error } = await settle<unknown>(call);
          const problems = error !== undefined ? typedErrorProblems(error) : valueProblems(method, value);
          if (error === undefined) values++;
          // A refused cancel is followed by one GET of the crawl (never read from the refusal's wording),
          // with its own retries: twice the calls, and the extra ones are GETs after the DELETEs.
          const calls = method === 'cancelCrawl' ? 2 : 1;
          if (sim.calls.length > calls * (retries + 1))
            problems.push(`${sim.calls.length} requests for ${retries} retries`);
          const firstGet = sim.calls.findIndex((call) => call.method === 'GET');
          if (
            method === 'cancelCrawl' &&
            firstGet >= 0 &&
            sim.calls.slice(firstGet).some((c) => c.method !== 'GET')
          )
            problems.push('a DELETE after the GET that reads a refused cancel');
          // retries x (backoff cap + server delay cap) bounds the simulated time
          if (sim.t - started > calls * (retries * 70_000 + 1_000))
            problems.push(`simulated ${sim.t - started} ms`);
          const ok = problems.length === 0;
          record('hostile', `client ${method}`, ok, problems.join('; ') || undefined);
          if (!ok)
            failures.push(
              `${method}: ${problems.join('; ')}\n  answers: ${JSON.stringify(answers).slice(0, 600)}`,
            );
          return ok;
        },
      ),
      { numRuns: 800, seed: SEED, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    // The generators reach both ends: parsed values and typed errors.
    expect(values).toBeGreaterThan(runs / 20);
    expect(values).toBeLessThan(runs);
  });
});

describe('hostile responses: the waiter', () => {
  it('arbitrary answers over time: an outcome or a typed error, within the deadline, nothing after a terminal status', async () => {
    const endings = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(
            fc.array(answerArb, { minLength: 1, maxLength: 25 }),
            fc.option(validCrawl, { nil: undefined }),
          )
          .map(([list, tail]): Answer[] =>
            // Half the time the hostile answers end in a well-formed status that then repeats.
            tail === undefined ? list : [...list, { kind: 'respond', status: 200, headers: {}, body: tail }],
          ),
        fc.record({
          timeoutMs: fc.integer({ min: 1_000, max: 900_000 }),
          minIntervalMs: fc.integer({ min: 1_000, max: 30_000 }),
          spread: fc.integer({ min: 0, max: 60_000 }),
          stallTimeoutMs: fc.option(fc.integer({ min: 1, max: 600_000 }), { nil: undefined }),
          lostContactMs: fc.option(fc.integer({ min: 1, max: 600_000 }), { nil: undefined }),
          notFoundGraceMs: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
          retries: fc.integer({ min: 0, max: 4 }),
          random: fc.double({ min: 0, max: 1, noNaN: true }),
          cancelOnTimeout: fc.boolean(),
          cancelOnAbort: fc.boolean(),
          /** Abort the caller's signal when this many requests have been made. */
          abortAfter: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        }),
        async (answers, o) => {
          const sim = simulate(answers);
          const controller = new AbortController();
          if (o.abortAfter !== undefined) {
            const fetchAnswer = sim.fetch;
            sim.fetch = async (input, init) => {
              if (sim.calls.length + 1 === o.abortAfter) controller.abort(new Error('caller stops'));
              return fetchAnswer(input, init);
            };
          }
          const c = client(sim, o.retries);
          let terminalAfterCalls: number | undefined;
          const events: WaitEvent['type'][] = [];
          const started = sim.t;
          const { value, error } = await settle(
            waitForCrawl(c, ID, {
              timeoutMs: o.timeoutMs,
              minIntervalMs: o.minIntervalMs,
              maxIntervalMs: o.minIntervalMs + o.spread,
              stallTimeoutMs: o.stallTimeoutMs,
              lostContactMs: o.lostContactMs,
              notFoundGraceMs: o.notFoundGraceMs,
              cancelOnTimeout: o.cancelOnTimeout,
              cancelOnAbort: o.cancelOnAbort,
              signal: controller.signal,
              clock: { now: sim.now, sleep: sim.sleep, random: () => o.random },
              onEvent: (event) => {
                events.push(event.type);
                if (event.type === 'status' && isTerminalStatus(event.status))
                  terminalAfterCalls ??= sim.calls.length;
              },
            }),
          );
          const problems: string[] = [];
          endings.add(error !== undefined ? (error as Error).name : (value?.outcome ?? 'none'));
          if (error !== undefined) problems.push(...typedErrorProblems(error));
          else if (value) {
            if (!['completed', 'failed', 'canceled', 'timed_out', 'stalled'].includes(value.outcome))
              problems.push(`outcome ${String(value.outcome)}`);
            if (value.crawl) problems.push(...crawlProblems(value.crawl));
            if (value.outcome === 'completed' && value.crawl?.status !== 'completed')
              problems.push('completed without a completed crawl');
            // A cancelled crawl reads failed, or canceled/cancelled (core's crawlOutcome).
            if (
              (value.outcome === 'failed' || value.outcome === 'canceled') &&
              !['failed', 'canceled', 'cancelled'].includes(value.crawl?.status ?? '')
            )
              problems.push(`${value.outcome} without a failed crawl`);
          }
          // A DELETE after the deadline (cancelOnTimeout) or after an abort has its own 5 s budget.
          const cancelBudget = o.cancelOnTimeout || o.cancelOnAbort ? 5_000 : 0;
          if (sim.t - started > o.timeoutMs + cancelBudget + 100)
            problems.push(`simulated ${sim.t - started} ms for a ${o.timeoutMs} ms deadline`);
          const deletes = sim.calls.filter((call) => call.method === 'DELETE').length;
          if (error instanceof AbortedError) {
            if (o.cancelOnAbort && deletes === 0) problems.push('aborted with cancelOnAbort but no DELETE');
            if (!o.cancelOnAbort && deletes > 0) problems.push('DELETE without cancelOnAbort');
            if (o.cancelOnAbort && !error.cancel && !(error.cancelError instanceof CatalogError))
              problems.push('cancelOnAbort: neither a cancel result nor a typed cancel error');
          }
          if (
            value?.outcome === 'timed_out' &&
            o.cancelOnTimeout &&
            !value.cancel &&
            !(value.cancelError instanceof CatalogError)
          )
            problems.push('cancelOnTimeout: neither a cancel result nor a typed cancel error');
          if (value && value.outcome !== 'timed_out' && deletes > 0)
            problems.push(`DELETE on outcome ${value.outcome}`);
          if (
            controller.signal.aborted &&
            value &&
            terminalAfterCalls === undefined &&
            value.outcome !== 'timed_out' &&
            value.outcome !== 'stalled'
          )
            problems.push(`aborted but ended ${value.outcome}`);
          if (terminalAfterCalls !== undefined && sim.calls.length > terminalAfterCalls)
            problems.push(`${sim.calls.length - terminalAfterCalls} request(s) after a terminal status`);
          const ok = problems.length === 0;
          record('hostile', 'waiter', ok, problems.join('; ') || undefined);
          if (!ok)
            throw new Error(
              `${problems.join('; ')}\n  options ${JSON.stringify(o)}\n  answers ${JSON.stringify(answers).slice(0, 800)}`,
            );
        },
      ),
      { numRuns: 400, seed: SEED, endOnFailure: true },
    );
    // Every outcome and the waiter's exceptions were reached.
    expect([...endings].sort()).toEqual(
      expect.arrayContaining([
        'completed',
        'failed',
        'timed_out',
        'stalled',
        'AuthError',
        'NotFoundError',
        'AbortedError',
        'LostContactError',
      ]),
    );
  });
});
