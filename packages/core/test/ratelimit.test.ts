import { describe, expect, it } from 'vitest';
import { CatalogClient, waitForCrawl } from '../src/index.js';
import { SlidingWindowLimiter } from '../src/ratelimit.js';
import { json, startServer } from './helpers.js';
import { body } from './sim.js';

/** The most arrivals inside any window of `windowMs` (arrivals sorted ascending). */
function maxInWindow(arrivals: number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < arrivals.length; end++) {
    while (arrivals[end]! - arrivals[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/**
 * A server that enforces `requests` per sliding `windowMs` like the API (429 beyond it), logs every arrival,
 * and reports a crawl as completed on its `pollsToComplete`-th poll, running before.
 */
async function limitedServer(requests: number, windowMs: number, pollsToComplete = 2) {
  const arrivals: number[] = [];
  const polls = new Map<string, number>();
  let rejected = 0;
  const server = await startServer((req, res) => {
    const now = performance.now();
    arrivals.push(now);
    const recent = arrivals.filter((t) => t > now - windowMs).length;
    if (recent > requests) {
      rejected++;
      json(res, 429, { message: 'Too many requests' }, { 'retry-after': '1' });
      return;
    }
    const id = decodeURIComponent(req.url!.split('/').pop()!);
    const n = (polls.get(id) ?? 0) + 1;
    polls.set(id, n);
    json(res, 200, { ...body(n >= pollsToComplete ? 'completed' : 'running', 3), execution_id: id });
  });
  return { server, arrivals, rejected: () => rejected };
}

describe('client-side rate limiter', () => {
  it('runs 1,000 concurrent waits through one client with no 429 and never more than the limit per window', async () => {
    // The API's limit is 50 per 4 s; 1,000 waits at that rate take minutes, so the window is scaled down 20x
    // (50 per 200 ms) on both sides. The property under test, at most `requests` per sliding window, is the same.
    const windowMs = 200;
    const { server, arrivals, rejected } = await limitedServer(50, windowMs);
    try {
      const client = new CatalogClient({
        apiKey: 'k',
        baseUrl: server.url,
        rateLimit: { requests: 50, windowMs },
      });
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          waitForCrawl(client, `crawl-${i}`, {
            minIntervalMs: 1_000,
            maxIntervalMs: 1_000,
            timeoutMs: 120_000,
          }),
        ),
      );
      expect(results.every((r) => r.outcome === 'completed')).toBe(true);
      expect(results.every((r) => r.history.transientErrors === 0)).toBe(true);
      expect(rejected()).toBe(0);
      expect(arrivals).toHaveLength(2_000);
      expect(maxInWindow(arrivals, windowMs)).toBeLessThanOrEqual(50);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('runs 1,000 concurrent waits at the real 50 per 4 s with default settings: no 429, never over 50 in 4 s', async () => {
    // One poll per crawl (the server answers completed at once): 1,000 requests take 20 windows, about 80 s.
    const { server, arrivals, rejected } = await limitedServer(50, 4_000, 1);
    try {
      const client = new CatalogClient({ apiKey: 'k', baseUrl: server.url });
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => waitForCrawl(client, `crawl-${i}`, { timeoutMs: 300_000 })),
      );
      expect(results.every((r) => r.outcome === 'completed')).toBe(true);
      expect(rejected()).toBe(0);
      expect(arrivals).toHaveLength(1_000);
      expect(maxInWindow(arrivals, 4_000)).toBeLessThanOrEqual(50);
    } finally {
      await server.close();
    }
  }, 180_000);

  it('keeps the documented 50 requests per 4 s with the default settings', async () => {
    const { server, arrivals, rejected } = await limitedServer(50, 4_000);
    try {
      const client = new CatalogClient({ apiKey: 'k', baseUrl: server.url });
      const started = performance.now();
      await Promise.all(Array.from({ length: 60 }, (_, i) => client.getCrawl(`crawl-${i}`)));
      expect(rejected()).toBe(0);
      expect(maxInWindow(arrivals, 4_000)).toBeLessThanOrEqual(50);
      // The 51st request had to wait for the window to move.
      expect(performance.now() - started).toBeGreaterThanOrEqual(4_000);
    } finally {
      await server.close();
    }
  }, 15_000);

  it('is FIFO, abortable, and keeps no timer once idle', async () => {
    let t = 0;
    const limiter = new SlidingWindowLimiter(2, 100, () => t);
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const controller = new AbortController();
    const waiting = [1, 2, 3].map((i) =>
      limiter.acquire(i === 2 ? controller.signal : undefined).then(
        (release) => {
          order.push(i);
          return release;
        },
        () => order.push(-i),
      ),
    );
    controller.abort();
    expect(limiter.pending).toBe(3 - 1);
    for (const release of releases) release();
    t += 200;
    const [r1, , r3] = await Promise.all(waiting);
    expect(order).toEqual([-2, 1, 3]);
    (r1 as () => void)();
    (r3 as () => void)();
    expect(limiter.pending).toBe(0);
    // Idle: nothing queued, so no timer is pending inside the limiter.
    expect((limiter as unknown as { timer: unknown }).timer).toBeUndefined();
  });
});
