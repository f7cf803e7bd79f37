import { CatalogClient } from '@catalog-crawl/core';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_TIMEOUT_MS } from '../src/bound.js';
import { MAX_WAIT_SECONDS } from '../src/tools/wait-for-crawl.js';
import { CrawlViews } from '../src/views.js';
import {
  CANARY,
  type Connected,
  connect,
  SPEED,
  sleep,
  startTestEmulator,
  structured,
  testClient,
  textOf,
} from './helpers.js';

// The API misbehaving as agents meet it: rate limits with long Retry-After, a hanging API, many waits on one
// crawl, a crawl that stops moving. API requests are counted at the emulator.

let emulator: Emulator;
/** Answers 429 with Retry-After: 20 when told to. */
let limited: Emulator;
const seen: string[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  limited = await startEmulator({
    speed: SPEED,
    seed: 'mcp-hostile',
    apiKeys: [{ key: CANARY, org: 'org-a' }],
    faults: { retryAfterSeconds: 20 },
  });
});
afterAll(async () => {
  await emulator?.close();
  await limited?.close();
  expect(seen.join('\n')).not.toContain(CANARY);
});

async function call(conn: Connected, name: string, args: Record<string, unknown>) {
  const result = await conn.client.callTool({ name, arguments: args });
  seen.push(JSON.stringify(result), ...conn.logs);
  return result;
}

const getsOf = (em: Emulator, id: string) =>
  em.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}`)).length;

describe('bounds', () => {
  it('the documented bounds leave a margin under the ~60 s clients impose', () => {
    expect(DEFAULT_TOOL_TIMEOUT_MS).toBe(30_000);
    expect(MAX_TOOL_TIMEOUT_MS).toBeLessThanOrEqual(50_000);
    expect(MAX_WAIT_SECONDS * 1000).toBeLessThanOrEqual(50_000);
  });

  it('429 with Retry-After 20: every tool answers at once with what happened and when to retry', async () => {
    // The real retry policy (4 retries, server delays honoured up to 60 s): a 20 s retry does not fit the bound.
    const client = new CatalogClient({ apiKey: CANARY, baseUrl: limited.url });
    const conn = await connect({ client, toolTimeoutMs: 10_000, poll: { minIntervalMs: 1_000 } });
    try {
      const started = await call(conn, 'start_crawl', { url: 'long-limited.example' });
      const id = structured<{ execution_id: string }>(started).execution_id;
      limited.injectFault('rate_limit', { path: /^\/v2\/crawl/, count: 100 });
      const t0 = Date.now();
      const results = await Promise.all([
        call(conn, 'start_crawl', { url: 'long-limited-2.example' }),
        call(conn, 'get_crawl_status', { execution_id: id }),
        call(conn, 'cancel_crawl', { execution_id: id }),
        call(conn, 'list_crawls', {}),
      ]);
      expect(Date.now() - t0).toBeLessThan(3_000);
      for (const result of results) {
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(
          /rate limit was hit \(HTTP 429\).*Wait about 20 s, then call the tool again/,
        );
      }
      // A wait on the same crawl does not hammer the API: the view does not ask again before Retry-After.
      const before = getsOf(limited, id);
      const waited = await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 3 });
      expect(getsOf(limited, id)).toBe(before);
      expect(waited.isError).toBe(true);
      expect(textOf(waited)).toMatch(/no answer from the Catalog API in 3 s \(last error: .*HTTP 429.*\)/);
    } finally {
      await conn.close();
    }
  });

  it('a hanging API: every tool answers at its bound, saying what happened and when to retry', async () => {
    // Its own emulator: the slow answers it leaves behind must not reach the other tests.
    const hanging = await startTestEmulator();
    const conn = await connect({ client: testClient(hanging, { timeoutMs: 60_000 }), toolTimeoutMs: 2_000 });
    try {
      const started = await call(conn, 'start_crawl', { url: 'long-hang.example' });
      const id = structured<{ execution_id: string }>(started).execution_id;
      hanging.injectFault('slow', { path: /^\/v2\/crawl/, count: 50, slowMs: 30_000 });
      const timed = async (name: string, args: Record<string, unknown>) => {
        const t0 = Date.now();
        const result = await call(conn, name, args);
        return { result, took: Date.now() - t0 };
      };
      const all = await Promise.all([
        timed('start_crawl', { url: 'long-hang-2.example' }),
        timed('get_crawl_status', { execution_id: id }),
        timed('cancel_crawl', { execution_id: id }),
        timed('list_crawls', {}),
        timed('wait_for_crawl', { execution_id: 'crawl-long-hang-example-00000000', wait_seconds: 2 }),
      ]);
      for (const { result, took } of all) {
        expect(took).toBeLessThan(2_600);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(
          /(no answer from the Catalog API in 2 s|did not answer \(timed out\))/,
        );
        expect(textOf(result)).toMatch(/call the tool again in about 30 s/i);
      }
      expect(textOf(all[0]!.result)).toMatch(
        /calling start_crawl again with the same url returns the running crawl/,
      );
    } finally {
      await conn.close();
      await hanging.close();
    }
  });
});

describe.concurrent('one shared view per crawl', () => {
  it('ten concurrent and ten back-to-back waits, plus status reads: no more than one GET per 10 s (defaults)', async () => {
    // The server's real settings (10 s minimum interval); wait_seconds kept short so the test stays short.
    const conn = await connect({ client: testClient(emulator), poll: {} });
    try {
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: 'long-shared.example' }),
      ).execution_id;
      const t0 = Date.now();
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, () => call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 2 })),
      );
      for (const result of concurrent) {
        expect(structured(result)).toMatchObject({ wait_outcome: 'still_running' });
      }
      const timings: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = Date.now();
        const result = await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 1 });
        timings.push(Date.now() - t);
        expect(structured(result)).toMatchObject({ wait_outcome: 'still_running' });
        const status = await call(conn, 'get_crawl_status', { execution_id: id });
        expect(structured<{ checked_seconds_ago: number }>(status).checked_seconds_ago).toBeLessThan(10.5);
      }
      const elapsed = Date.now() - t0;
      // Each wait returns AT wait_seconds, not before.
      for (const took of timings) {
        expect(took).toBeGreaterThanOrEqual(1_000);
        expect(took).toBeLessThan(1_400);
      }
      expect(elapsed).toBeGreaterThanOrEqual(12_000);
      expect(getsOf(emulator, id)).toBeLessThanOrEqual(Math.floor(elapsed / 10_000) + 1);
      // Inside the interval get_crawl_status answers from the view and says how old it is.
      const status = structured<{ checked_seconds_ago: number }>(
        await call(conn, 'get_crawl_status', { execution_id: id }),
      );
      expect(status.checked_seconds_ago).toBeGreaterThanOrEqual(0);
    } finally {
      await conn.close();
    }
  }, 40_000);

  it('1, 10 and 100 agents looping wait_for_crawl on one crawl: API requests per crawl stay flat', async () => {
    // Scaled: a 1 s interval over 6 s stands for the real 10 s interval over a minute.
    const conn = await connect({
      client: testClient(emulator),
      poll: { minIntervalMs: 1_000, maxIntervalMs: 1_000 },
    });
    try {
      const counts = await Promise.all(
        [1, 10, 100].map(async (agents) => {
          const id = structured<{ execution_id: string }>(
            await call(conn, 'start_crawl', { url: `long-agents-${agents}.example` }),
          ).execution_id;
          const t0 = Date.now();
          await Promise.all(
            Array.from({ length: agents }, async () => {
              while (Date.now() - t0 < 6_000) {
                await conn.client.callTool({
                  name: 'wait_for_crawl',
                  arguments: { execution_id: id, wait_seconds: 2 },
                });
              }
            }),
          );
          return { agents, requests: getsOf(emulator, id), seconds: (Date.now() - t0) / 1000 };
        }),
      );
      console.info(`API requests per crawl, agents looping wait_for_crawl: ${JSON.stringify(counts)}`);
      for (const { requests, seconds } of counts)
        expect(requests).toBeLessThanOrEqual(Math.floor(seconds) + 2);
    } finally {
      await conn.close();
    }
  }, 30_000);

  it('sessions sharing one registry share the polls; the last poll lands just before a wait ends', async () => {
    const views = new CrawlViews({ minIntervalMs: 1_000, maxIntervalMs: 1_000 });
    const client = testClient(emulator);
    const sessions = await Promise.all(
      Array.from({ length: 5 }, () => connect({ client, views, poll: undefined })),
    );
    try {
      const id = structured<{ execution_id: string }>(
        await call(sessions[0]!, 'start_crawl', { url: 'long-sessions.example' }),
      ).execution_id;
      const t0 = Date.now();
      const results = await Promise.all(
        sessions.map((s) => call(s, 'wait_for_crawl', { execution_id: id, wait_seconds: 4 })),
      );
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(4_000);
      expect(getsOf(emulator, id)).toBeLessThanOrEqual(Math.floor(elapsed / 1_000) + 1);
      for (const result of results) {
        const out = structured<{ wait_outcome: string; checked_seconds_ago: number; waited_seconds: number }>(
          result,
        );
        expect(out.wait_outcome).toBe('still_running');
        expect(out.waited_seconds).toBeGreaterThanOrEqual(4);
        // As fresh as the cadence allows: read within the last second of the wait.
        expect(out.checked_seconds_ago).toBeLessThanOrEqual(1);
      }
    } finally {
      for (const s of sessions) await s.close();
      views.close();
    }
  });

  it('a finished crawl: later waits answer from the view without asking the API', async () => {
    const conn = await connect({ client: testClient(emulator) });
    try {
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: 'fast-viewdone.example' }),
      ).execution_id;
      const first = await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 10 });
      expect(structured(first)).toMatchObject({ wait_outcome: 'completed' });
      const gets = getsOf(emulator, id);
      const t0 = Date.now();
      const again = await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 10 });
      expect(Date.now() - t0).toBeLessThan(500);
      expect(structured(again)).toMatchObject({ wait_outcome: 'completed', stalled: false });
      expect(getsOf(emulator, id)).toBe(gets);
    } finally {
      await conn.close();
    }
  });

  it('a stalled crawl is reported with how long nothing changed and what to do', async () => {
    const conn = await connect({
      client: testClient(emulator),
      poll: { minIntervalMs: 1_000, maxIntervalMs: 1_000, stallAfterMs: 2_000 },
    });
    try {
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: 'stall-mcp.example' }),
      ).execution_id;
      // The emulator's stall host stops moving early; wait until nothing changes for the stall window.
      let out: Record<string, unknown> = {};
      for (let i = 0; i < 6 && out['wait_outcome'] !== 'stalled'; i++) {
        out = structured(await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 3 }));
      }
      expect(out).toMatchObject({ wait_outcome: 'stalled', stalled: true, finished: false });
      expect(out['unchanged_for_seconds']).toBeGreaterThanOrEqual(2);
      expect(out['next_step']).toMatch(/Nothing has changed for \d+s: the crawl may be stuck.*cancel_crawl/);
      const status = await call(conn, 'get_crawl_status', { execution_id: id });
      expect(structured(status)).toMatchObject({ stalled: true });
      expect(textOf(status)).toMatch(/stalled: no change for/);
    } finally {
      await conn.close();
    }
  }, 30_000);
});

describe('capabilities', () => {
  it('does not advertise listChanged, which it never sends', async () => {
    const conn = await connect({ client: testClient(emulator) });
    try {
      const caps = conn.client.getServerCapabilities();
      expect(caps?.tools?.listChanged).toBe(false);
      expect(caps?.resources).toMatchObject({ subscribe: true, listChanged: false });
      await sleep(0);
    } finally {
      await conn.close();
    }
  });
});
