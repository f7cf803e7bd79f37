import { afterEach, describe, expect, it } from 'vitest';
import { CANCELLED_ERROR, type Emulator, type EmulatorOptions, startEmulator } from '../src/index.js';
import { call, startCrawl } from './helpers.js';

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let emu: Emulator;
afterEach(() => emu?.close());

async function start(options: EmulatorOptions = {}) {
  emu = await startEmulator({ manualClock: true, rateLimit: false, seed: 'readings', ...options });
  return emu;
}

async function get(id: string) {
  const answer = await call(emu, 'GET', `/v2/crawl/${id}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

async function listed(id: string, query = '') {
  const answer = await call(emu, 'GET', `/v2/crawl?page_size=100${query}`);
  return answer.body.data.find((d: { execution_id: string }) => d.execution_id === id);
}

describe('a refused cancel (only running crawls can be cancelled)', () => {
  it.each([
    [409, 'CONFLICT'],
    [400, 'INVALID_REQUEST'],
  ] as const)(
    'answers %i %s for a pending and a finished crawl, with different messages',
    async (status, code) => {
      await start(status === 409 ? {} : { cancelRefusal: status });
      const pending = await startCrawl(emu, 'fast.example');
      const refusedPending = await call(emu, 'DELETE', `/v2/crawl/${pending}`);
      expect(refusedPending.status).toBe(status);
      expect(refusedPending.body.error).toEqual({
        code,
        message: expect.stringMatching(/pending/),
        request_id: refusedPending.headers.get('request-id'),
      });
      expect((await get(pending)).status).toBe('pending');
      emu.clock.advance(20_000);
      const refusedFinished = await call(emu, 'DELETE', `/v2/crawl/${pending}`);
      expect(refusedFinished.status).toBe(status);
      expect(refusedFinished.body.error.code).toBe(code);
      expect(refusedFinished.body.error.message).toMatch(/completed/);
      expect(refusedFinished.body.error.message).not.toBe(refusedPending.body.error.message);
      expect((await get(pending)).status).toBe('completed');
    },
  );

  it('uses the wording given, even the same for both cases (a client must not read it)', async () => {
    const text = 'Only executions that are currently running can be cancelled';
    await start({ cancelRefusal: 400, cancelRefusalMessages: { pending: text, finished: text } });
    const id = await startCrawl(emu, 'fast.example');
    const pending = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    emu.clock.advance(20_000);
    const finished = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect([pending.status, finished.status]).toEqual([400, 400]);
    expect(pending.body.error.message).toBe(text);
    expect(finished.body.error.message).toBe(text);
  });

  it('a misleading wording for the pending case is served as given', async () => {
    await start({ cancelRefusalMessages: { pending: 'Execution has already completed' } });
    const id = await startCrawl(emu, 'fast.example');
    const refused = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe('Execution has already completed');
    expect((await get(id)).status).toBe('pending');
  });

  it('pending-<N>s hosts stay pending N s of emulator time, refuse a cancel until then, and run M s after', async () => {
    await start();
    expect(emu.plannedDurationMs('pending-30s.example')).toBe(30_000 + 600_000);
    expect(emu.plannedDurationMs('pending-30s-run-60s-x1.example')).toBe(90_000);
    expect(emu.plannedDurationMs('pending-0s-run-5s.example')).toBe(5_000);
    // pending-0s: running from its first answer (a long crawl that can be cancelled at once)
    const atOnce = await startCrawl(emu, 'pending-0s-run-14400s.example');
    expect((await get(atOnce)).status).toBe('running');
    expect((await call(emu, 'DELETE', `/v2/crawl/${atOnce}`)).status).toBe(200);
    const id = await startCrawl(emu, 'pending-30s-run-60s-x1.example');
    emu.clock.advance(29_999);
    expect((await get(id)).status).toBe('pending');
    expect((await get(id)).meta.progress).toBeUndefined();
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(409);
    emu.clock.advance(1);
    const running = await get(id);
    expect(running.status).toBe('running');
    expect(running.meta.steps[0]).toEqual({ name: 'Determining crawl method', status: 'running' });
    const cancelled = await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('canceled');
    expect((await get(id)).status).toBe('failed');
  });

  it('pending-<N>s completes after its run when nobody cancels it', async () => {
    await start();
    const id = await startCrawl(emu, 'pending-10s-run-20s.example');
    emu.clock.advance(29_999);
    expect((await get(id)).status).toBe('running');
    emu.clock.advance(1);
    const done = await get(id);
    expect(done.status).toBe('completed');
    expect(done.meta.duration_ms).toBe(30_000);
  });
});

describe('what a cancelled crawl reads afterwards', () => {
  it.each(['canceled', 'cancelled'] as const)(
    'cancelledStatus %s: GET and the list read it',
    async (word) => {
      await start({ cancelledStatus: word });
      const id = await startCrawl(emu, 'skims.com');
      emu.clock.advance(60_000);
      const answer = await call(emu, 'DELETE', `/v2/crawl/${id}`);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('canceled'); // the DELETE's own word is always the US spelling
      const after = await get(id);
      expect(after.status).toBe(word);
      expect(after.error).toBe(CANCELLED_ERROR);
      expect(after.meta.stop_date).toBe(answer.body.stop_date);
      expect(after.meta.result).toBeUndefined();
      expect(await listed(id)).toMatchObject({ status: word });
      // the documented list filter `failed` covers cancelled runs
      expect(await listed(id, '&status=failed')).toMatchObject({ status: word });
      expect(await listed(id, '&status=processing')).toBeUndefined();
      const again = await call(emu, 'DELETE', `/v2/crawl/${id}`);
      expect(again.status).toBe(409);
      expect(again.body.error.message).not.toMatch(/pending/);
    },
  );

  it.each([
    ['reads-canceled-1.example', 'canceled'],
    ['reads-cancelled-1.example', 'cancelled'],
  ])('scenario host %s reads %s, on a 10-minute plan; other hosts keep failed', async (host, word) => {
    await start();
    expect(emu.plannedDurationMs(host)).toBe(600_000);
    const id = await startCrawl(emu, host);
    const other = await startCrawl(emu, 'skims.com');
    emu.clock.advance(60_000);
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(200);
    expect((await call(emu, 'DELETE', `/v2/crawl/${other}`)).status).toBe(200);
    expect((await get(id)).status).toBe(word);
    expect((await get(other)).status).toBe('failed');
  });

  it('the default reading is failed', async () => {
    await start();
    const id = await startCrawl(emu, 'skims.com');
    emu.clock.advance(60_000);
    await call(emu, 'DELETE', `/v2/crawl/${id}`);
    expect((await get(id)).status).toBe('failed');
  });
});

describe('where a completed crawl puts its totals', () => {
  async function totalsOf(host: string) {
    const reference = await startEmulator({ manualClock: true, rateLimit: false, seed: 'readings' });
    try {
      const id = await startCrawl(reference, host);
      reference.clock.advance(reference.plannedDurationMs(host));
      const done = (await call(reference, 'GET', `/v2/crawl/${id}`)).body;
      if (done.meta.result) return done.meta.result;
      // a scenario host's own reading: take its totals from the vendors index (its own code path)
      const vendors = (await call(reference, 'GET', '/v2/vendors')).body.data;
      const vendor = vendors.find((v: { vendor: string }) => v.vendor === host);
      return { collections_total: vendor.collections_count, listings_total: vendor.listings_count };
    } finally {
      await reference.close();
    }
  }

  it.each([
    ['total_listings_found', {}, 'root'],
    ['meta.total_listings_found', {}, 'meta'],
    ['meta.result', { host: 'totals-root-2.example' }, 'root'],
    ['meta.result', { host: 'totals-meta-2.example' }, 'meta'],
  ] as const)(
    'totals %s %j: the totals at the %s, no meta.result, no progress after completion',
    async (totals, extra, where) => {
      const host = 'host' in extra ? extra.host : 'fast.example';
      const expected = await totalsOf(host);
      await start({ totals });
      const id = await startCrawl(emu, host);
      emu.clock.advance(5_000);
      expect((await get(id)).meta.progress).toEqual({
        collections_found: expect.any(Number),
        listings_found: expect.any(Number),
      });
      emu.clock.advance(5_000);
      const done = await get(id);
      expect(done.status).toBe('completed');
      expect(done.meta.result).toBeUndefined();
      expect(done.meta.progress).toBeUndefined();
      const holder = where === 'root' ? done : done.meta;
      const other = where === 'root' ? done.meta : done;
      expect(holder.total_listings_found).toBe(expected.listings_total);
      expect(holder.total_collections_found).toBe(expected.collections_total);
      expect(other.total_listings_found).toBeUndefined();
    },
  );

  it('the default is meta.result with progress kept', async () => {
    await start();
    const id = await startCrawl(emu, 'fast.example');
    emu.clock.advance(10_000);
    const done = await get(id);
    expect(done.meta.result).toEqual({
      collections_total: expect.any(Number),
      listings_total: expect.any(Number),
    });
    expect(done.meta.progress).toEqual({
      collections_found: done.meta.result.collections_total,
      listings_found: done.meta.result.listings_total,
    });
    expect(done.total_listings_found).toBeUndefined();
  });
});

describe('list items of active crawls', () => {
  it('listActiveStatus processing: pending and running crawls list as processing; ended ones keep their status', async () => {
    await start({ listActiveStatus: 'processing' });
    const pending = await startCrawl(emu, 'skims.com');
    expect(await listed(pending)).toMatchObject({ status: 'processing' });
    expect((await get(pending)).status).toBe('pending'); // GET of the crawl itself is unchanged
    emu.clock.advance(60_000);
    expect(await listed(pending, '&status=processing')).toMatchObject({ status: 'processing' });
    const fast = await startCrawl(emu, 'fast.example');
    emu.clock.advance(20_000);
    expect(await listed(fast)).toMatchObject({ status: 'completed' });
  });

  it('scenario host list-processing lists as processing on its own', async () => {
    await start();
    const special = await startCrawl(emu, 'list-processing-a.example');
    const plain = await startCrawl(emu, 'skims.com');
    emu.clock.advance(6_000);
    expect(await listed(special)).toMatchObject({ status: 'processing' });
    expect(await listed(plain)).toMatchObject({ status: 'running' });
    emu.clock.advance(10_000);
    expect(await listed(special)).toMatchObject({ status: 'completed' });
  });
});

describe('null dates while pending', () => {
  it.each([
    [{ pendingNullDates: true }, 'fast.example'],
    [{}, 'null-dates-1.example'],
  ])('%j %s: null while pending, then start_date is when it started running', async (options, host) => {
    await start(options);
    const created = emu.clock.now();
    const id = await startCrawl(emu, host);
    const pending = await get(id);
    expect(pending.status).toBe('pending');
    expect(pending.meta).toMatchObject({ start_date: null, stop_date: null, duration_ms: null });
    emu.clock.advance(3_000);
    const running = await get(id);
    expect(running.status).toBe('running');
    const startedAt = Date.parse(running.meta.start_date);
    expect(running.meta.start_date).toMatch(ISO_RE);
    expect(startedAt).toBeGreaterThan(created);
    expect(running.meta.stop_date).toBeNull();
    expect(running.meta.duration_ms).toBe(created + 3_000 - startedAt);
    emu.clock.advance(10_000);
    const done = await get(id);
    expect(done.status).toBe('completed');
    expect(done.meta.start_date).toBe(running.meta.start_date);
    expect(Date.parse(done.meta.stop_date) - startedAt).toBe(done.meta.duration_ms);
  });

  it('the default keeps start_date and duration_ms from creation', async () => {
    await start();
    const id = await startCrawl(emu, 'fast.example');
    const pending = await get(id);
    expect(pending.meta.start_date).toMatch(ISO_RE);
    expect(pending.meta.duration_ms).toBe(0);
  });
});

describe('option checks', () => {
  it.each([
    [{ cancelRefusal: 418 }, /cancelRefusal/],
    [{ cancelledStatus: 'aborted' }, /cancelledStatus/],
    [{ totals: 'root' }, /totals/],
    [{ listActiveStatus: 'busy' }, /listActiveStatus/],
    [{ resultsMethods: 'put' }, /resultsMethods/],
    [{ resultsEnvelope: 'v3' }, /resultsEnvelope/],
    [{ resultsRepeatLastPage: 'yes' }, /resultsRepeatLastPage/],
    [{ unknownVendor: '410' }, /unknownVendor/],
    [{ cancelRefusalMessages: { pending: ' ' } }, /cancelRefusalMessages.pending/],
    [{ indexedVendors: ['not a host'] }, /indexedVendors/],
  ])('rejects %j with a RangeError naming the option', async (options, message) => {
    await expect(startEmulator(options as EmulatorOptions)).rejects.toThrow(message);
    await expect(startEmulator(options as EmulatorOptions)).rejects.toBeInstanceOf(RangeError);
  });
});
