import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../src/index.js';
import { call } from './helpers.js';

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let emu: Emulator | undefined;
afterEach(() => emu?.close());

describe('rate limit', () => {
  it('allows 50 requests per 4 s; the 51st is a 429 with Retry-After and a JSON error', async () => {
    emu = await startEmulator();
    const startedAt = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => call(emu!, 'GET', '/v2/crawl')));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const remaining = answers.map((a) => Number(a.headers.get('ratelimit-remaining'))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const answer of answers) {
      expect(answer.headers.get('ratelimit-limit')).toBe('50');
      expect(answer.headers.get('ratelimit-reset')).toMatch(ISO_RE);
      const reset = Date.parse(answer.headers.get('ratelimit-reset')!);
      expect(reset).toBeGreaterThanOrEqual(startedAt + 4_000);
      expect(reset).toBeLessThanOrEqual(Date.now() + 4_000);
    }
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    const limited = await call(emu, 'GET', '/v2/crawl');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(4);
    expect(limited.body).toEqual({ error: expect.any(String), status: 429, retry_after: retryAfter });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('request-id')).toMatch(/^req_/);
    // it applies before authentication, per client address
    expect((await call(emu, 'GET', '/v2/crawl', { key: null })).status).toBe(429);
    expect(emu.requests.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('is a sliding window: capacity returns as old requests age out; refused ones do not count', async () => {
    emu = await startEmulator({ rateLimit: { requests: 3, windowMs: 300 } });
    const sleepUntil = (at: number) =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    for (let i = 0; i < 3; i++) expect((await call(emu, 'GET', '/v2/crawl')).status).toBe(200);
    const t0 = Date.now(); // every accepted request was counted before this
    await sleepUntil(t0 + 100);
    const limited = await call(emu, 'GET', '/v2/crawl');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit-limit')).toBe('3');
    // the accepted requests age out by t0 + 300; the refused one (after t0 + 100) must not hold a slot
    await sleepUntil(t0 + 310);
    const again = await call(emu, 'GET', '/v2/crawl');
    expect(again.status).toBe(200);
    expect(again.headers.get('ratelimit-remaining')).toBe('2');
  });

  it('can be turned off', async () => {
    emu = await startEmulator({ rateLimit: false });
    const answers = await Promise.all(Array.from({ length: 80 }, () => call(emu!, 'GET', '/v2/crawl')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers[0]!.headers.get('ratelimit-limit')).toBeNull();
  });

  it('rejects a nonsensical configuration', async () => {
    await expect(startEmulator({ rateLimit: { requests: 0, windowMs: 1000 } })).rejects.toThrow(RangeError);
  });
});
