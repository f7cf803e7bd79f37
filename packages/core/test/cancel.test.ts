import fc from 'fast-check';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  CatalogClient,
  ConflictError,
  cancelWhenRunning,
  UNKNOWN_STATUS_STALL_MS,
  type WaitEvent,
  waitForCrawl,
} from '../src/index.js';
import { type Answer, body, simClock, simulate } from './sim.js';

const ID = 'crawl-1';
const REFUSED: Answer = {
  status: 409,
  body: { error: { code: 'CONFLICT', message: 'Execution already finished' } },
};
const CANCELED: Answer = { status: 200, body: { status: 'canceled', execution_id: ID, stop_date: null } };
const pending = () =>
  body('pending', 0, null, { meta: { start_date: null, stop_date: null, duration_ms: null } });

/** A crawl that stays pending until `startsAt` (simulated ms after the sim's start), then runs; DELETE cancels a running one. */
function crawlStartingAt(startsAt: number, refusal: Answer = REFUSED) {
  let t0: number | undefined;
  let canceled = false;
  return (_n: number, t: number, method: string): Answer => {
    t0 ??= t;
    const running = t - t0 >= startsAt;
    if (method === 'DELETE') {
      if (!running || canceled) return refusal;
      canceled = true;
      return CANCELED;
    }
    if (canceled) return body('failed', 1, [0, 0], { error: 'Crawl was cancelled' });
    return running ? body('running', 0) : pending();
  };
}

describe('cancelWhenRunning', () => {
  it('cancels a running crawl with one DELETE', async () => {
    const sim = simulate(crawlStartingAt(0));
    const result = await cancelWhenRunning(sim.client, ID, { timeoutMs: 60_000 });
    expect(result).toMatchObject({ outcome: 'canceled', polls: 0, cancel: { outcome: 'canceled' } });
    expect(sim.requests.map((r) => r.method)).toEqual(['DELETE']);
  });

  it('polls a pending crawl at the waiter cadence and cancels it once it runs', async () => {
    const sim = simulate(crawlStartingAt(70_000));
    const result = await cancelWhenRunning(sim.client, ID, { timeoutMs: 120_000 });
    expect(result.outcome).toBe('canceled');
    const methods = sim.requests.map((r) => r.method);
    expect(methods[0]).toBe('DELETE');
    expect(methods.at(-1)).toBe('DELETE');
    // Pending is polled at the slow end of the 10-30 s band.
    const gets = sim.requests.filter((r) => r.method === 'GET');
    for (let i = 1; i < gets.length; i++)
      expect(gets[i]!.at - gets[i - 1]!.at).toBeGreaterThanOrEqual(20_000);
    expect(result.elapsedMs).toBeLessThanOrEqual(120_000);
  });

  it('says still_pending when the crawl has not started by the end, with one last look just before it', async () => {
    const sim = simulate(crawlStartingAt(Number.POSITIVE_INFINITY));
    const start = sim.t;
    const result = await cancelWhenRunning(sim.client, ID, { timeoutMs: 120_000 });
    expect(result.outcome).toBe('still_pending');
    expect(result.cancel).toMatchObject({ outcome: 'not_running_yet', status: 'pending' });
    const last = sim.requests.at(-1)!;
    expect(last.at - start).toBeGreaterThanOrEqual(110_000);
    expect(sim.t - start).toBeLessThanOrEqual(120_000);
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('says already_finished when the crawl ends while pending is polled, with no second DELETE', async () => {
    let n = 0;
    const sim = simulate((_i, _t, method) => {
      if (method === 'DELETE') return REFUSED;
      return ++n <= 2 ? pending() : body('completed', 4);
    });
    const result = await cancelWhenRunning(sim.client, ID, { timeoutMs: 300_000 });
    expect(result).toMatchObject({ outcome: 'already_finished', cancel: { outcome: 'already_finished' } });
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('stops at once when the signal aborts', async () => {
    const controller = new AbortController();
    const sim = simulate((n, _t, method) => {
      if (n === 2) controller.abort();
      return method === 'DELETE' ? REFUSED : pending();
    });
    const promise = cancelWhenRunning(sim.client, ID, { timeoutMs: 600_000, signal: controller.signal });
    await expect(promise).rejects.toBeInstanceOf(AbortedError);
    expect(sim.requests.length).toBeLessThanOrEqual(4);
  });

  it('rethrows the refusal of a running crawl', async () => {
    const sim = simulate((_n, _t, method) => (method === 'DELETE' ? REFUSED : body('running', 1)));
    await expect(cancelWhenRunning(sim.client, ID, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(
      ConflictError,
    );
    // One more DELETE after the read-back said running, then the second refusal is the error.
    expect(sim.requests.map((r) => r.method)).toEqual(['DELETE', 'GET', 'DELETE', 'GET']);
  });

  it('cancels a crawl that starts between the refused DELETE and its read-back', async () => {
    let started = false;
    let canceled = false;
    const sim = simulate((_n, _t, method) => {
      if (method === 'DELETE') {
        if (!started) return REFUSED;
        canceled = true;
        return CANCELED;
      }
      started = true; // the read-back of the first refusal is the moment it starts
      return canceled ? body('failed', 1, [0, 0], { error: 'Crawl was cancelled' }) : body('running', 0);
    });
    const result = await cancelWhenRunning(sim.client, ID, { timeoutMs: 60_000 });
    expect(result.outcome).toBe('canceled');
    expect(sim.requests.map((r) => r.method)).toEqual(['DELETE', 'GET', 'DELETE']);
  });
});

describe('the waiter cancels when running', () => {
  it('cancelOnAbort: a pending crawl within the budget is reported not_running_yet, not already_finished', async () => {
    const sim = simulate(crawlStartingAt(Number.POSITIVE_INFINITY));
    const controller = new AbortController();
    const sleep = async (ms: number, signal?: AbortSignal) => {
      controller.abort();
      await sim.clock.sleep(ms, signal);
    };
    const error = (await waitForCrawl(sim.client, ID, {
      signal: controller.signal,
      cancelOnAbort: true,
      clock: { ...sim.clock, sleep },
    }).catch((e) => e)) as AbortedError;
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.cancel).toMatchObject({ outcome: 'not_running_yet' });
  });

  it('cancelOnAbort: a crawl that starts within cancelWaitMs ends cancelled', async () => {
    const sim = simulate(crawlStartingAt(40_000));
    const controller = new AbortController();
    let sleeps = 0;
    const sleep = async (ms: number, signal?: AbortSignal) => {
      if (sleeps++ === 0) controller.abort();
      await sim.clock.sleep(ms, signal);
    };
    const error = (await waitForCrawl(sim.client, ID, {
      signal: controller.signal,
      cancelOnAbort: true,
      cancelWaitMs: 120_000,
      clock: { ...sim.clock, sleep },
    }).catch((e) => e)) as AbortedError;
    expect(error.cancel).toMatchObject({ outcome: 'canceled' });
  });

  it('cancelOnStall: a stalled running crawl is cancelled', async () => {
    const sim = simulate((_n, _t, method) => (method === 'DELETE' ? CANCELED : body('running', 1, [1, 1])));
    const result = await waitForCrawl(sim.client, ID, { stallTimeoutMs: 120_000, cancelOnStall: true });
    expect(result.outcome).toBe('stalled');
    expect(result.cancel).toMatchObject({ outcome: 'canceled' });
  });
});

describe('statuses', () => {
  it('canceled and cancelled are terminal, outcome canceled', async () => {
    for (const status of ['canceled', 'cancelled']) {
      const sim = simulate((n) => (n === 0 ? body('running', 1) : body(status, 1)));
      const result = await waitForCrawl(sim.client, ID);
      expect(result.outcome).toBe('canceled');
    }
  });

  it('an unknown status is kept, warned about once, and ends as stalled, not a silent full-length timeout', async () => {
    const sim = simulate(() => body('queued', 0, [0, 0]));
    const events: WaitEvent[] = [];
    const result = await waitForCrawl(sim.client, ID, {
      timeoutMs: 3_600_000,
      onEvent: (e) => events.push(e),
    });
    expect(result.outcome).toBe('stalled');
    expect(result.crawl?.status).toBe('queued');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(UNKNOWN_STATUS_STALL_MS);
    expect(result.elapsedMs).toBeLessThan(UNKNOWN_STATUS_STALL_MS + 60_000);
    expect(events.filter((e) => e.type === 'warning' && e.kind === 'unknown_status')).toHaveLength(1);
  });
});

describe('totals', () => {
  const parseVia = async (answer: Record<string, unknown>) => simulate(() => answer).client.getCrawl(ID);
  it('read the first present of meta.result, total_*_found (root or meta), then meta.progress', async () => {
    const completed = (extra: Record<string, unknown>, meta: Record<string, unknown> = {}) => {
      const b = body('completed', 4, [7, 70]);
      return { ...b, ...extra, meta: { ...(b.meta as object), ...meta } };
    };
    expect(
      (await parseVia(completed({}, { result: { collections_total: 5, listings_total: 50 } }))).result,
    ).toEqual({
      collectionsTotal: 5,
      listingsTotal: 50,
    });
    expect(
      (await parseVia(completed({ total_listings_found: 60, total_collections_found: 6 }))).result,
    ).toEqual({
      collectionsTotal: 6,
      listingsTotal: 60,
    });
    expect((await parseVia(completed({}, { total_listings_found: 61 }))).result).toEqual({
      collectionsTotal: 7,
      listingsTotal: 61,
    });
    expect((await parseVia(completed({}))).result).toEqual({ collectionsTotal: 7, listingsTotal: 70 });
    // While running, the progress counts are not totals.
    expect((await parseVia(body('running', 1, [7, 70]))).result).toBeUndefined();
  });

  it('accept a pending crawl with null dates and duration', async () => {
    const crawl = await parseVia(pending());
    expect(crawl).toMatchObject({ status: 'pending', stopDate: null });
    expect(crawl.startDate).toBeUndefined();
    expect(crawl.durationMs).toBeUndefined();
  });
});

describe('a refused cancel is never read from its wording', () => {
  it('property: any refusal status and wording for a pending crawl never yields already_finished', async () => {
    const refusalStatus = fc
      .integer({ min: 400, max: 499 })
      .filter((s) => ![401, 403, 404, 408, 429].includes(s));
    const wording = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'Execution already finished',
        'already completed',
        'not running',
        'cannot be cancelled',
        'canceled',
      ),
    );
    const shape = fc.constantFrom('envelope', 'flat', 'text');
    await fc.assert(
      fc.asyncProperty(refusalStatus, wording, shape, async (status, message, kind) => {
        const refusal =
          kind === 'envelope'
            ? { error: { code: 'CONFLICT', message } }
            : kind === 'flat'
              ? { error: message, status }
              : message;
        const sim = simulate(
          (_n, _t, method) => (method === 'DELETE' ? { status, body: refusal } : pending()),
          {
            client: { retry: false },
          },
        );
        const result = await sim.client.cancelCrawl(ID);
        expect(result.outcome).toBe('not_running_yet');
      }),
      { numRuns: 200 },
    );
  });
});

describe('cancelCrawl over HTTP (nock)', () => {
  const BASE = 'http://catalog.test';
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it.each([409, 400, 422])(
    'HTTP %d refusal of a pending crawl -> not_running_yet, from the GET',
    async (status) => {
      nock(BASE)
        .delete(`/v2/crawl/${ID}`)
        .reply(status, { error: 'Execution already finished' }, { 'Request-ID': 'req_d' });
      nock(BASE).get(`/v2/crawl/${ID}`).reply(200, pending());
      const clock = simClock();
      const client = new CatalogClient({
        apiKey: 'k-nock-1',
        baseUrl: BASE,
        rateLimit: false,
        clock: { now: clock.now },
      });
      expect(await client.cancelCrawl(ID)).toMatchObject({ outcome: 'not_running_yet', requestId: 'req_d' });
    },
  );
});
