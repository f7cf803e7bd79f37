import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePlan, normaliseHost } from '../src/crawls.js';
import { type Emulator, STEP_NAMES, startEmulator } from '../src/index.js';
import { call, startCrawl } from './helpers.js';

type Step = { name: string; status: string };

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator({ manualClock: true, rateLimit: false, seed: 'lifecycle' });
});
afterEach(() => emu.close());

async function get(id: string) {
  const answer = await call(emu, 'GET', `/v2/crawl/${id}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

function currentStep(steps: Step[]): number {
  return steps.findIndex((s) => s.status === 'running' || s.status === 'failed');
}

describe('a crawl driven by hand', () => {
  it('goes pending, through the four steps in order with monotonic counts, then completed', async () => {
    const host = 'big-vendor.com';
    const planned = emu.plannedDurationMs(host);
    expect(planned).toBeGreaterThanOrEqual(5 * 60_000);
    expect(planned).toBeLessThanOrEqual(2 * 3_600_000);
    const id = await startCrawl(emu, host);
    const start = emu.clock.now();
    const seenSteps: number[] = [];
    const counts: { c: number; l: number; step: number }[] = [];
    let body = await get(id);
    expect(body.status).toBe('pending');
    expect(body.meta.progress).toBeUndefined();
    const tick = planned / 200;
    while (body.status !== 'completed') {
      emu.clock.advance(tick);
      body = await get(id);
      expect(['pending', 'running', 'completed']).toContain(body.status);
      expect(body.meta.steps.map((s: Step) => s.name)).toEqual([...STEP_NAMES]);
      if (body.status === 'running') {
        const step = currentStep(body.meta.steps);
        expect(step).toBeGreaterThanOrEqual(0);
        // steps before the current one are completed, after it pending
        body.meta.steps.forEach((s: Step, i: number) => {
          expect(s.status).toBe(i < step ? 'completed' : i === step ? 'running' : 'pending');
        });
        if (seenSteps.at(-1) !== step) seenSteps.push(step);
        expect(body.meta.stop_date).toBeNull();
        expect(body.meta.duration_ms).toBe(Math.round(emu.clock.now() - start));
        counts.push({ c: body.meta.progress.collections_found, l: body.meta.progress.listings_found, step });
      }
    }
    expect(seenSteps).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < counts.length; i++) {
      expect(counts[i]!.c).toBeGreaterThanOrEqual(counts[i - 1]!.c);
      expect(counts[i]!.l).toBeGreaterThanOrEqual(counts[i - 1]!.l);
    }
    const last = (step: number) => counts.filter((c) => c.step === step).at(-1)!;
    const first = (step: number) => counts.find((c) => c.step === step)!;
    // collections are found mainly while discovering, listings mainly while extracting
    expect(first(0)).toMatchObject({ c: 0, l: 0 });
    expect(last(1).c).toBeGreaterThan(last(3).c * 0.6);
    expect(last(2).l).toBeLessThan(last(3).l * 0.15);
    expect(last(3).l).toBeGreaterThan(0);

    const result = body.meta.result;
    expect(result).toEqual({ collections_total: expect.any(Number), listings_total: expect.any(Number) });
    expect(result.collections_total).toBeGreaterThanOrEqual(last(3).c);
    expect(result.listings_total).toBeGreaterThan(last(3).l);
    expect(body.error).toBeNull();
    expect(body.meta.steps.every((s: Step) => s.status === 'completed')).toBe(true);
    expect(body.meta.duration_ms).toBe(planned);
    expect(Date.parse(body.meta.stop_date) - Date.parse(body.meta.start_date)).toBe(planned);
    expect(body.meta.progress).toEqual({
      collections_found: result.collections_total,
      listings_found: result.listings_total,
    });
    // completed is final: nothing moves any more
    emu.clock.advance(3_600_000);
    expect(await get(id)).toEqual(body);
  });
});

describe('determinism', () => {
  it('gives the same plan for the same seed and host, another for another seed', async () => {
    const other = await startEmulator({ manualClock: true, seed: 'lifecycle' });
    const third = await startEmulator({ manualClock: true, seed: 'different' });
    try {
      for (const host of ['skims.com', 'a.com', 'b.org']) {
        expect(other.plannedDurationMs(host)).toBe(emu.plannedDurationMs(host));
      }
      expect(['skims.com', 'a.com', 'b.org'].map((h) => third.plannedDurationMs(h))).not.toEqual(
        ['skims.com', 'a.com', 'b.org'].map((h) => emu.plannedDurationMs(h)),
      );
      const a = await startCrawl(emu, 'skims.com');
      const b = await startCrawl(other, 'skims.com');
      expect(a).toBe(b);
      emu.clock.advance(600_000);
      other.clock.advance(600_000);
      const bodyA = (await call(emu, 'GET', `/v2/crawl/${a}`)).body;
      const bodyB = (await call(other, 'GET', `/v2/crawl/${b}`)).body;
      expect(bodyA.meta.progress).toEqual(bodyB.meta.progress);
      expect(bodyA.meta.steps).toEqual(bodyB.meta.steps);
    } finally {
      await other.close();
      await third.close();
    }
  });

  it('spreads default durations between 5 minutes and 2 hours', () => {
    const durations = Array.from({ length: 300 }, (_, i) => makePlan(7, `vendor${i}.com`).durationMs);
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(300_000);
    expect(Math.max(...durations)).toBeLessThanOrEqual(7_200_000);
    expect(durations.filter((d) => d < 1_200_000).length).toBeGreaterThan(50);
    expect(durations.filter((d) => d > 3_600_000).length).toBeGreaterThan(30);
  });

  it('moves with real time times speed', async () => {
    const fast = await startEmulator({ speed: 1000 });
    try {
      const before = fast.clock.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const moved = fast.clock.now() - before;
      expect(moved).toBeGreaterThanOrEqual(40_000);
      expect(moved).toBeLessThan(5_000_000);
    } finally {
      await fast.close();
    }
  });
});

describe('hostname normalisation', () => {
  it.each([
    ['skims.com', 'skims.com'],
    ['SKIMS.com', 'skims.com'],
    ['www.skims.com', 'skims.com'],
    ['https://www.skims.com/a/b?c=d#e', 'skims.com'],
    ['http://shop.skims.com:8443', 'shop.skims.com'],
    ['skims.com.', 'skims.com'],
    ['  skims.com  ', 'skims.com'],
  ])('%s -> %s', (input, host) => {
    expect(normaliseHost(input)).toBe(host);
  });

  it.each(['', ' ', 'skims', 'ftp://skims.com', 'a b.com', '-bad.com', '1.2.3.4', 'http://', 'sk_ims.com'])(
    'rejects %j',
    (input) => {
      expect(normaliseHost(input)).toBeUndefined();
    },
  );
});

describe('scenario hosts', () => {
  it('fast completes in about 10 s', async () => {
    expect(emu.plannedDurationMs('fast.example')).toBe(10_000);
    const id = await startCrawl(emu, 'fast-42.example');
    emu.clock.advance(9_000);
    expect((await get(id)).status).toBe('running');
    emu.clock.advance(1_000);
    const body = await get(id);
    expect(body.status).toBe('completed');
    expect(body.meta.result.listings_total).toBeGreaterThan(0);
  });

  it('long runs about 4 hours', async () => {
    expect(emu.plannedDurationMs('long.example')).toBe(4 * 3_600_000);
    const id = await startCrawl(emu, 'long-1.example');
    emu.clock.advance(3.9 * 3_600_000);
    expect((await get(id)).status).toBe('running');
    emu.clock.advance(0.1 * 3_600_000);
    expect((await get(id)).status).toBe('completed');
  });

  it.each([
    ['fail-determining', 0],
    ['fail-discovering', 1],
    ['fail-analyzing', 2],
    ['fail-extracting', 3],
  ])('%s fails in step %i with an error message', async (scenario, step) => {
    const host = `${scenario}-x.example`;
    const failAt = emu.plannedDurationMs(host);
    const id = await startCrawl(emu, host);
    emu.clock.advance(failAt - 1);
    const before = await get(id);
    expect(before.status).toBe('running');
    expect(currentStep(before.meta.steps)).toBe(step);
    emu.clock.advance(1);
    const body = await get(id);
    expect(body.status).toBe('failed');
    expect(body.error).toEqual(expect.any(String));
    expect(body.error.length).toBeGreaterThan(10);
    expect(body.meta.steps.map((s: Step) => s.status)).toEqual(
      [0, 1, 2, 3].map((i) => (i < step ? 'completed' : i === step ? 'failed' : 'pending')),
    );
    expect(body.meta.stop_date).not.toBeNull();
    expect(body.meta.duration_ms).toBe(failAt);
    expect(body.meta.result).toBeUndefined();
    emu.clock.advance(1_000_000);
    expect(await get(id)).toEqual(body);
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(409);
  });

  it('stall stays running in "Discovering collections" with frozen counts', async () => {
    expect(emu.plannedDurationMs('stall.example')).toBe(Number.POSITIVE_INFINITY);
    const id = await startCrawl(emu, 'stall-1.example');
    emu.clock.advance(5_000);
    const early = await get(id);
    expect(early.status).toBe('running');
    expect(currentStep(early.meta.steps)).toBe(1);
    expect(early.meta.steps[1].name).toBe('Discovering collections');
    emu.clock.advance(48 * 3_600_000);
    const late = await get(id);
    expect(late.status).toBe('running');
    expect(late.meta.steps).toEqual(early.meta.steps);
    expect(late.meta.progress).toEqual(early.meta.progress);
    expect(late.meta.duration_ms).toBeGreaterThan(early.meta.duration_ms);
    expect(late.meta.stop_date).toBeNull();
    // a stalled crawl can be cancelled
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(200);
  });

  it('no-progress has no meta.progress while running, and completes with a result', async () => {
    const id = await startCrawl(emu, 'no-progress.example');
    for (let t = 0; t < 10; t++) {
      emu.clock.advance(999);
      const body = await get(id);
      expect(body.status).toMatch(/pending|running/);
      expect(body.meta.progress).toBeUndefined();
    }
    emu.clock.advance(1_000);
    const done = await get(id);
    expect(done.status).toBe('completed');
    expect(done.meta.result).toBeDefined();
  });

  it('no-credits answers 402 with any suffix; plannedDurationMs is 0', async () => {
    expect(emu.plannedDurationMs('no-credits.example')).toBe(0);
    const answer = await call(emu, 'POST', '/v2/crawl', {
      body: { url: 'https://no-credits-abc.example/x' },
    });
    expect(answer.status).toBe(402);
  });

  it('ignores scenario names outside .example and as other labels', () => {
    expect(emu.plannedDurationMs('fast.com')).not.toBe(10_000);
    expect(emu.plannedDurationMs('shop.fast.example')).not.toBe(10_000);
    expect(emu.plannedDurationMs('fastest.example')).not.toBe(10_000);
  });
});
