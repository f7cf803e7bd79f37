import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  AuthError,
  CatalogClient,
  type Crawl,
  InvalidInputError,
  LostContactError,
  NotFoundError,
  suggestPollIntervalMs,
  systemClock,
  type WaitEvent,
  type WaitOptions,
  waitForCrawl,
  watchCrawl,
} from '../src/index.js';
import { nextPollDelayMs } from '../src/schedule.js';
import { startServer } from './helpers.js';
import { type Answer, body, type Sim, simulate } from './sim.js';

const ID = 'crawl-1';
const MIN = 10_000;
const MAX = 30_000;

function run(sim: Sim, options: WaitOptions = {}) {
  const events: WaitEvent[] = [];
  const promise = waitForCrawl(sim.client, ID, {
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { events, promise };
}

function crawlAt(status: string, step: number): Crawl {
  const raw = body(status, step);
  const meta = raw.meta as { steps: { name: string; status: string }[] };
  return { executionId: ID, status, error: null, steps: meta.steps, raw };
}

/** Running through the steps, then completed at poll `doneAt`. */
function progressing(doneAt: number) {
  return (n: number): Answer =>
    n >= doneAt ? body('completed', 4, [10, 100]) : body('running', Math.min(3, n), [n, n * 10]);
}

describe('schedule', () => {
  it('polls at once, stops at the terminal status, and never sleeps after the last poll', async () => {
    const sim = simulate(progressing(5));
    const start = sim.t;
    const { promise } = run(sim);
    const result = await promise;
    expect(sim.requests[0]!.at).toBe(start);
    expect(result.outcome).toBe('completed');
    expect(sim.requests).toHaveLength(6);
    expect(sim.sleeps).toHaveLength(5);
    // The last thing that happened was the last poll's answer.
    expect(sim.t).toBe(sim.requests[5]!.at + 200);
    expect(result.history.polls).toBe(6);
    expect(result.crawl?.status).toBe('completed');
    expect(result.elapsedMs).toBe(sim.t - start);
  });

  it('keeps every interval within [min, max] and follows the phase', async () => {
    const sim = simulate(progressing(12), { random: Math.random });
    const result = await run(sim).promise;
    expect(result.outcome).toBe('completed');
    for (const s of sim.sleeps) {
      expect(s.ms).toBeGreaterThanOrEqual(MIN);
      expect(s.ms).toBeLessThanOrEqual(MAX);
    }
    // Poll n sees step min(3, n) running: step 0 is polled slowly, the last step fast.
    expect(sim.sleeps[0]!.ms).toBeGreaterThanOrEqual(25_000);
    for (const s of sim.sleeps.slice(4)) expect(s.ms).toBeLessThanOrEqual(15_000);
  });

  it('honours one wall-clock deadline including request time, with a final poll at the deadline', async () => {
    const sim = simulate(() => body('running', 1), { latencyMs: 3_000 });
    const start = sim.t;
    const result = await run(sim, { timeoutMs: 100_000 }).promise;
    expect(result.outcome).toBe('timed_out');
    const deadline = start + 100_000;
    const last = sim.requests[sim.requests.length - 1]!;
    // The final poll starts min(5 s, minIntervalMs / 2) before the deadline.
    expect(last.at).toBe(deadline - 5_000);
    for (const r of sim.requests) expect(r.at).toBeLessThan(deadline);
    expect(sim.t).toBeLessThanOrEqual(deadline);
    expect(sim.sleeps).toHaveLength(sim.requests.length - 1);
    expect(result.elapsedMs).toBeLessThanOrEqual(100_000);
  });

  it('cuts each request to the time left (real time, a server that never answers)', async () => {
    const server = await startServer(() => {});
    try {
      const client = new CatalogClient({ apiKey: 'k', baseUrl: server.url, timeoutMs: 30_000 });
      const started = Date.now();
      const error = await waitForCrawl(client, ID, { timeoutMs: 1_500, minIntervalMs: 1_000 }).catch(
        (e) => e,
      );
      const took = Date.now() - started;
      // No answer at all during the wait: the outcome is unknown, which is lost contact, not a timeout.
      expect(error).toBeInstanceOf(LostContactError);
      expect((error as LostContactError).crawl).toBeUndefined();
      expect(took).toBeGreaterThanOrEqual(1_400);
      expect(took).toBeLessThan(2_500);
    } finally {
      await server.close();
    }
  });

  it('times out with a short timeout after the first poll and a final poll', async () => {
    const sim = simulate(() => body('pending', 0));
    const start = sim.t;
    const result = await run(sim, { timeoutMs: 3_000, minIntervalMs: 1_000, maxIntervalMs: 1_000 }).promise;
    expect(result.outcome).toBe('timed_out');
    expect(sim.requests.map((r) => r.at - start)).toEqual([0, 1_200, 2_400]);
  });

  it('sends no request after a terminal status', async () => {
    const sim = simulate((n) =>
      n === 0 ? body('failed', 2, [1, 2], { error: 'Site blocked us' }) : body('running', 1),
    );
    const result = await run(sim).promise;
    expect(result.outcome).toBe('failed');
    expect(sim.requests).toHaveLength(1);
    expect(sim.sleeps).toHaveLength(0);
  });

  it("reports 'canceled' when the API says failed because of a cancel", async () => {
    const sim = simulate(() => body('failed', 1, [1, 2], { error: 'Crawl was cancelled by request' }));
    expect((await run(sim).promise).outcome).toBe('canceled');
    const sim2 = simulate(() => body('failed', 1, [1, 2], { error: 'Execution aborted' }));
    expect((await run(sim2).promise).outcome).toBe('canceled');
  });

  it('detects a stall when nothing changes for stallTimeoutMs', async () => {
    const sim = simulate(() => body('running', 1, [5, 50]));
    const start = sim.t;
    const result = await run(sim, { stallTimeoutMs: 120_000 }).promise;
    expect(result.outcome).toBe('stalled');
    expect(sim.t - start).toBeGreaterThanOrEqual(120_000);
    expect(sim.t - start).toBeLessThan(120_000 + MAX + 1_000);
  });

  it('does not call a crawl stalled while its counts move', async () => {
    const sim = simulate((n) => (n > 20 ? body('completed', 4) : body('running', 1, [n, n])));
    expect((await run(sim, { stallTimeoutMs: 60_000 }).promise).outcome).toBe('completed');
  });

  it('rejects bad options', async () => {
    const sim = simulate(() => body('running'));
    await expect(run(sim, { minIntervalMs: 500 }).promise).rejects.toMatchObject({ field: 'minIntervalMs' });
    await expect(run(sim, { minIntervalMs: 5_000, maxIntervalMs: 4_000 }).promise).rejects.toThrow(
      InvalidInputError,
    );
    await expect(run(sim, { timeoutMs: 0 }).promise).rejects.toThrow(InvalidInputError);
    await expect(waitForCrawl(sim.client, 'a/b')).rejects.toMatchObject({ field: 'executionId' });
    expect(sim.requests).toHaveLength(0);
  });
});

describe('nextPollDelayMs', () => {
  it('is slow while pending or early, fast in the last step, interpolated between', () => {
    const opts = (random: number) => ({ minIntervalMs: MIN, maxIntervalMs: MAX, random: () => random });
    const mid = (c: Crawl | undefined) => nextPollDelayMs(c, opts(0.5));
    expect(mid(undefined)).toBeGreaterThanOrEqual(25_000);
    expect(mid(crawlAt('pending', 0))).toBeGreaterThanOrEqual(25_000);
    expect(mid(crawlAt('running', 0))).toBeGreaterThanOrEqual(25_000);
    expect(mid(crawlAt('running', 3))).toBeLessThanOrEqual(15_000);
    const d1 = mid(crawlAt('running', 1));
    const d2 = mid(crawlAt('running', 2));
    expect(d1).toBeGreaterThan(d2);
    expect(d2).toBeGreaterThan(mid(crawlAt('running', 3)));
    expect(nextPollDelayMs(crawlAt('running', 3), opts(0))).toBe(MIN);
    expect(nextPollDelayMs(crawlAt('pending', 0), opts(1))).toBe(MAX);
  });

  it('stays within [min, max] for any crawl, bounds and random value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('pending', 'running', 'completed', 'failed', 'weird'),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1_000, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (status, step, min, extra, r) => {
          const d = nextPollDelayMs(crawlAt(status, step), {
            minIntervalMs: min,
            maxIntervalMs: min + extra,
            random: () => r,
          });
          expect(d).toBeGreaterThanOrEqual(min);
          expect(d).toBeLessThanOrEqual(min + extra);
        },
      ),
    );
  });

  it('spreads waiters with jitter', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (const step of [0, 1, 2]) {
      const delays = Array.from({ length: 200 }, () =>
        nextPollDelayMs(crawlAt('running', step), { minIntervalMs: MIN, maxIntervalMs: MAX, random }),
      );
      const spread = Math.max(...delays) - Math.min(...delays);
      expect(spread).toBeGreaterThan(4_000);
      expect(new Set(delays).size).toBeGreaterThan(100);
    }
    // Once the last step may finish, jitter stays within 2.5 % of the band above the fast end.
    const last = Array.from({ length: 200 }, () =>
      nextPollDelayMs(crawlAt('running', 3), { minIntervalMs: MIN, maxIntervalMs: MAX, random }),
    );
    expect(Math.min(...last)).toBeGreaterThanOrEqual(MIN);
    expect(Math.max(...last)).toBeLessThanOrEqual(MIN + (MAX - MIN) / 40);
    expect(new Set(last).size).toBeGreaterThan(100);
  });

  it('polls the last step slowly until it has run a quarter of the earlier steps, then fast', () => {
    const opts = (lastStepRunningMs: number) => ({
      minIntervalMs: MIN,
      maxIntervalMs: MAX,
      random: () => 0.5,
      lastStepRunningMs,
      earlierStepsMs: 400_000,
    });
    const last = crawlAt('running', 3);
    // 100 s of slow polling: slow now, and the poll lands no later than the switch point.
    expect(nextPollDelayMs(last, opts(0))).toBeGreaterThanOrEqual(25_000);
    expect(nextPollDelayMs(last, opts(85_000))).toBe(15_000);
    expect(nextPollDelayMs(last, opts(100_000))).toBeLessThanOrEqual(MIN + 500);
    // Without knowing when the last step started, it is polled fast at once.
    expect(
      nextPollDelayMs(last, { minIntervalMs: MIN, maxIntervalMs: MAX, random: () => 0.5 }),
    ).toBeLessThanOrEqual(MIN + 500);
  });

  it('suggests whole seconds within the documented band, 0 once finished', () => {
    expect(suggestPollIntervalMs(undefined)).toBe(30_000);
    expect(suggestPollIntervalMs(crawlAt('running', 3))).toBe(10_000);
    expect(suggestPollIntervalMs(crawlAt('running', 1))).toBe(27_000);
    expect(suggestPollIntervalMs(crawlAt('completed', 4))).toBe(0);
  });
});

function withResult(b: Record<string, unknown>): Record<string, unknown> {
  (b.meta as Record<string, unknown>).result = { collections_total: 5, listings_total: 90 };
  return b;
}

describe('events and history', () => {
  it('emits only on change, in order, with history', async () => {
    const answers = [
      body('pending', 0, null),
      body('pending', 0, null),
      body('running', 0, [0, 0]),
      body('running', 1, [3, 0]),
      body('running', 1, [3, 0]),
      body('running', 3, [5, 40]),
      withResult(body('completed', 4, [5, 90])),
    ];
    const sim = simulate((n) => answers[n]!);
    const { events, promise } = run(sim);
    const result = await promise;
    const summary = events.map((e) =>
      e.type === 'status'
        ? `status:${e.previous}->${e.status}`
        : e.type === 'step_started' || e.type === 'step_finished'
          ? `${e.type}:${e.index}`
          : e.type === 'progress'
            ? `progress:${e.progress.collectionsFound}/${e.progress.listingsFound}`
            : e.type,
    );
    expect(summary).toEqual([
      'status:undefined->pending',
      'status:pending->running',
      'step_started:0',
      'progress:0/0',
      'step_finished:0',
      'step_started:1',
      'progress:3/0',
      'step_finished:1',
      'step_started:2',
      'step_finished:2',
      'step_started:3',
      'progress:5/40',
      'status:running->completed',
      'step_finished:3',
      'progress:5/90',
    ]);
    for (const e of events) {
      expect(e.executionId).toBe(ID);
      expect(e.remainingMs).toBeGreaterThan(0);
      expect(e.crawl).toBeDefined();
    }
    expect(result.crawl?.result).toEqual({ collectionsTotal: 5, listingsTotal: 90 });
    const h = result.history;
    const statuses = events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toEqual(['pending', 'running', 'completed']);
    expect(h.steps.map((s) => s.name)).toHaveLength(4);
    expect(h.steps[0]!.startedAt).toBe(sim.requests[2]!.at + 200);
    expect(h.steps[1]!.finishedAt).toBe(sim.requests[5]!.at + 200);
    // Step 2 was never seen running: first seen finished.
    expect(h.steps[2]!.startedAt).toBe(h.steps[2]!.finishedAt);
    const listings = events.flatMap((e) => (e.type === 'progress' ? [e.progress.listingsFound] : []));
    expect(listings).toEqual([0, 0, 40, 90]);
    expect(h.polls).toBe(7);
  });

  it('warns once per unknown status and unknown step status', async () => {
    const weird = (n: number): Answer => {
      if (n >= 4) return body('completed', 4);
      const b = body('queued', 0);
      (b.meta as { steps: { status: string }[] }).steps[1]!.status = 'skipped';
      return n === 2 ? body('running', 1) : b;
    };
    const sim = simulate(weird);
    const { events, promise } = run(sim);
    expect((await promise).outcome).toBe('completed');
    const warnings = events
      .filter((e) => e.type === 'warning')
      .map((e) => (e.type === 'warning' ? e.kind : ''));
    expect(warnings).toEqual(['unknown_status', 'unknown_step_status']);
  });

  it('collapses client retries into one warning per poll and counts them', async () => {
    const answers: Answer[] = [
      { status: 503, body: 'x' },
      { status: 503, body: 'x' },
      { status: 502, body: 'x' },
      body('running', 1),
      { status: 429, body: { message: 'slow' }, headers: { 'retry-after': '2' } },
      body('completed', 4),
    ];
    const sim = simulate((n) => answers[n]!);
    const { events, promise } = run(sim);
    const result = await promise;
    expect(result.outcome).toBe('completed');
    const warnings = events
      .filter((e) => e.type === 'warning')
      .map((e) => (e.type === 'warning' ? e.kind : ''));
    expect(warnings).toEqual(['retry', 'rate_limited']);
    expect(result.history.transientErrors).toBe(4);
  });

  it('emits heartbeats when nothing changes', async () => {
    const sim = simulate((n) => (n >= 6 ? body('completed', 4) : body('running', 1, [1, 1])));
    const { events, promise } = run(sim, { heartbeatMs: 20_000 });
    await promise;
    expect(events.filter((e) => e.type === 'heartbeat').length).toBeGreaterThanOrEqual(3);
  });

  it('keeps no per-poll samples in the history; every change of counts is an event', async () => {
    const sim = simulate((n) => (n >= 500 ? body('completed', 4, [n, n]) : body('running', 3, [n, n])));
    const { events, promise } = run(sim, {
      minIntervalMs: 1_000,
      maxIntervalMs: 1_000,
      timeoutMs: 3_600_000,
    });
    const result = await promise;
    expect(result.outcome).toBe('completed');
    expect(Object.keys(result.history).sort()).toEqual(['polls', 'startedAt', 'steps', 'transientErrors']);
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e.progress.listingsFound] : []));
    expect(progress).toHaveLength(501);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(500);
  });
});

describe('failures', () => {
  it('tolerates transient poll failures at the normal cadence', async () => {
    const sim = simulate(
      (n) => (n === 0 ? body('running', 1) : n < 3 ? new TypeError('fetch failed') : body('completed', 4)),
      {
        client: { retry: false },
      },
    );
    const { events, promise } = run(sim);
    const result = await promise;
    expect(result.outcome).toBe('completed');
    expect(result.history.transientErrors).toBe(2);
    expect(events.filter((e) => e.type === 'warning' && e.kind === 'poll_failed')).toHaveLength(2);
    for (const s of sim.sleeps) expect(s.ms).toBeGreaterThanOrEqual(MIN);
  });

  it('throws LostContactError after lostContactMs without a successful poll', async () => {
    const sim = simulate((n) => (n === 0 ? body('running', 1, [2, 3]) : { status: 503, body: 'down' }));
    const start = sim.t;
    const error = await run(sim, { lostContactMs: 120_000 }).promise.catch((e) => e);
    expect(error).toBeInstanceOf(LostContactError);
    const lost = error as LostContactError;
    expect(lost.crawl?.progress).toEqual({ collectionsFound: 2, listingsFound: 3 });
    expect(lost.history.polls).toBe(1);
    expect(lost.history.transientErrors).toBeGreaterThan(0);
    expect(sim.t - start).toBeGreaterThanOrEqual(120_000);
    expect(lost.message).toContain('Lost contact');
  });

  it('reports a wait that never reached the API as lost contact, not as a timeout', async () => {
    const sim = simulate(() => ({ status: 503, body: 'down' }));
    const error = await run(sim, { timeoutMs: 60_000 }).promise.catch((e) => e);
    expect(error).toBeInstanceOf(LostContactError);
    expect((error as LostContactError).history.polls).toBe(0);
    expect((error as LostContactError).crawl).toBeUndefined();
  });

  it('times out, not lost contact, when the client limiter held the only poll until the deadline', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body('running', 3)));
    });
    try {
      // One request per 10 s: the first wait takes the only slot; the second never gets one.
      const client = new CatalogClient({
        apiKey: 'k',
        baseUrl: server.url,
        rateLimit: { requests: 1, windowMs: 10_000 },
      });
      const options = { timeoutMs: 1_500, minIntervalMs: 1_000, maxIntervalMs: 1_000 };
      const [first, second] = await Promise.all([
        waitForCrawl(client, ID, options),
        waitForCrawl(client, ID, options),
      ]);
      expect([first.outcome, second.outcome]).toEqual(['timed_out', 'timed_out']);
      expect(first.history.polls + second.history.polls).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('still times out when polls succeeded before the API went away', async () => {
    const sim = simulate((n) => (n === 0 ? body('running', 1) : { status: 503, body: 'down' }));
    const result = await run(sim, { timeoutMs: 60_000 }).promise;
    expect(result.outcome).toBe('timed_out');
    expect(result.crawl?.status).toBe('running');
  });

  it('tolerates 404 during notFoundGraceMs', async () => {
    const answers: Answer[] = [
      { status: 404, body: { error: 'nf' } },
      { status: 404, body: { error: 'nf' } },
      body('completed', 4),
    ];
    const sim = simulate((n) => answers[n]!);
    const result = await run(sim, { notFoundGraceMs: 60_000, minIntervalMs: 5_000, maxIntervalMs: 5_000 })
      .promise;
    expect(result.outcome).toBe('completed');
  });

  it('throws NotFoundError without a grace, or once the grace is over', async () => {
    const sim = simulate(() => ({ status: 404, body: { error: 'nf' } }));
    await expect(run(sim).promise).rejects.toBeInstanceOf(NotFoundError);
    expect(sim.requests).toHaveLength(1);
    const sim2 = simulate(() => ({ status: 404, body: { error: 'nf' } }));
    const start = sim2.t;
    await expect(run(sim2, { notFoundGraceMs: 30_000 }).promise).rejects.toBeInstanceOf(NotFoundError);
    expect(sim2.t - start).toBeGreaterThanOrEqual(30_000);
  });

  it('rethrows AuthError at once', async () => {
    const sim = simulate(() => ({ status: 401, body: { error: 'Invalid API key', status: 401 } }));
    await expect(run(sim).promise).rejects.toBeInstanceOf(AuthError);
    expect(sim.requests).toHaveLength(1);
  });
});

describe('abort and cancel', () => {
  it('aborts during a sleep with the snapshot and history, and sends nothing more', async () => {
    const controller = new AbortController();
    const sim = simulate(() => body('running', 1, [1, 1]));
    const sleep = async (ms: number, signal?: AbortSignal) => {
      if (sim.sleeps.length === 1) controller.abort();
      await sim.clock.sleep(ms, signal);
    };
    const error = await run(sim, { signal: controller.signal, clock: { ...sim.clock, sleep } }).promise.catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(AbortedError);
    const aborted = error as AbortedError;
    expect(aborted.crawl?.status).toBe('running');
    expect(aborted.history?.polls).toBe(2);
    expect(aborted.cancel).toBeUndefined();
    expect(sim.requests).toHaveLength(2);
  });

  it('checks the signal before the first request', async () => {
    const sim = simulate(() => body('running'));
    const controller = new AbortController();
    controller.abort();
    await expect(run(sim, { signal: controller.signal }).promise).rejects.toBeInstanceOf(AbortedError);
    expect(sim.requests).toHaveLength(0);
  });

  it('with cancelOnAbort sends the DELETE with its own signal and carries its result', async () => {
    const controller = new AbortController();
    const sim = simulate((_, __, method) =>
      method === 'DELETE'
        ? { status: 200, body: { status: 'canceled', execution_id: ID, stop_date: null } }
        : body('running', 1),
    );
    const sleep = async (ms: number, signal?: AbortSignal) => {
      controller.abort();
      await sim.clock.sleep(ms, signal);
    };
    const error = (await run(sim, {
      signal: controller.signal,
      clock: { ...sim.clock, sleep },
      cancelOnAbort: true,
    }).promise.catch((e) => e)) as AbortedError;
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.cancel).toMatchObject({ outcome: 'canceled', executionId: ID });
    const del = sim.requests.find((r) => r.method === 'DELETE')!;
    expect(del.aborted).toBe(false);
    expect(error.message).toContain('cancel requested');
  });

  it('with cancelOnAbort carries the cancel error when the DELETE fails', async () => {
    const controller = new AbortController();
    const sim = simulate((_, __, method) =>
      method === 'DELETE' ? { status: 403, body: { error: 'no' } } : body('running', 1),
    );
    const sleep = async (ms: number, signal?: AbortSignal) => {
      controller.abort();
      await sim.clock.sleep(ms, signal);
    };
    const error = (await run(sim, {
      signal: controller.signal,
      clock: { ...sim.clock, sleep },
      cancelOnAbort: true,
    }).promise.catch((e) => e)) as AbortedError;
    expect(error.cancel).toBeUndefined();
    expect(error.cancelError).toBeInstanceOf(AuthError);
  });

  it('with cancelOnTimeout sends the DELETE at the deadline', async () => {
    let deleted = false;
    // The crawl finished just before the DELETE: refused (409), and the GET that follows reads it finished.
    const sim = simulate((_, __, method) => {
      if (method === 'DELETE') {
        deleted = true;
        return { status: 409, body: { error: { code: 'CONFLICT', message: 'already finished' } } };
      }
      return deleted ? body('completed', 4) : body('running', 1);
    });
    const start = sim.t;
    const result = await run(sim, { timeoutMs: 60_000, cancelOnTimeout: true }).promise;
    expect(result.outcome).toBe('timed_out');
    expect(result.cancel).toMatchObject({ outcome: 'already_finished', status: 'completed' });
    const del = sim.requests.at(-2)!;
    expect(sim.requests.at(-1)!.method).toBe('GET');
    expect(del.method).toBe('DELETE');
    expect(del.at - start).toBeGreaterThanOrEqual(55_000);
    expect(del.at - start).toBeLessThanOrEqual(60_000);
  });

  it('aborts a real sleep at once and leaves no timer behind', async () => {
    const server = simulate(() => body('running', 1));
    const controller = new AbortController();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const error = await waitForCrawl(server.client, ID, {
      signal: controller.signal,
      minIntervalMs: 10_000,
      // The loop's sleep is real here (the client's is simulated): that sleep is what the abort must cut.
      clock: systemClock,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(
      before,
    );
  });
});

describe('watchCrawl', () => {
  it('yields the events then the result', async () => {
    const sim = simulate(progressing(3));
    const types: string[] = [];
    let outcome: string | undefined;
    for await (const item of watchCrawl(sim.client, ID, {})) {
      types.push(item.type);
      if (item.type === 'result') outcome = item.result.outcome;
    }
    expect(outcome).toBe('completed');
    expect(types[0]).toBe('status');
    expect(types.at(-1)).toBe('result');
  });

  it('stops polling when the consumer breaks out, without sending a DELETE', async () => {
    const sim = simulate(() => body('running', 1));
    for await (const item of watchCrawl(sim.client, ID, { cancelOnAbort: true })) {
      if (item.type === 'status') break;
    }
    const count = sim.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sim.requests.length).toBe(count);
    expect(sim.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('throws the waiter errors from the iterator', async () => {
    const sim = simulate(() => ({ status: 401, body: { error: 'Invalid API key' } }));
    const iterate = async () => {
      for await (const _ of watchCrawl(sim.client, ID, {})) {
        // drain
      }
    };
    await expect(iterate()).rejects.toBeInstanceOf(AuthError);
  });
});
