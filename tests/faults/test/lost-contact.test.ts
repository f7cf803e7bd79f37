import {
  CatalogClient,
  type CatalogError,
  LostContactError,
  NotFoundError,
  type WaitResult,
  waitForCrawl,
} from '@catalog-crawl/core';
import { type Emulator, type EmulatorOptions, startEmulator } from '@catalog-crawl/emulator';
import { createServer } from '@catalog-crawl/mcp-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { actionCanaryHits, runAction } from './lib/action.js';
import {
  CANARY,
  CLI_BIN,
  canaryHits,
  cleanEnv,
  errorTexts,
  host,
  sleep,
  spawnNode,
  startCrawlRaw,
  track,
} from './lib/common.js';

/**
 * Category 2: lost contact. The emulator is stopped in the middle of waits, and either stays down or is
 * restarted on the same port. What is correct, decided here:
 * - down for good: the core's waiter ends with LostContactError once no poll has succeeded for
 *   lostContactMs (not earlier, not much later); a face whose lostContactMs is longer than its timeout
 *   (CLI, Action, MCP) ends at its deadline with `timed_out` / `still_running`. Never a hang.
 * - restarted with the crawls (same seed, same POSTs replayed, so the same execution ids): the waits
 *   resume and end with the crawl's real outcome.
 * - restarted empty (the emulator keeps state in memory): the API now answers 404 for the id, which is a
 *   definitive answer, not lost contact: the waiter ends promptly with NotFoundError (a typed error; the
 *   faces map it to their "not found" result). It neither spins on 404 nor waits for lostContactMs.
 */

const KEY = [{ key: CANARY, org: 'lost-contact' }];

/**
 * Starts an emulator and POSTs the hosts in order; a restart with the same options and hosts gives the same ids.
 * Until the POSTs are replayed, reads of a crawl are answered as the outage was (connection reset), so that a
 * poll cannot reach the restarted server in the instant before its crawl exists again (a 404 there is the
 * test rig's race, not the API's answer). The fault is queued before any request can be handled (the server
 * handles none between listen and this synchronous call) and stops matching once the replay is done.
 */
async function withCrawls(options: EmulatorOptions, hosts: string[]) {
  const emulator = await startEmulator({ apiKeys: KEY, ...options });
  let replaying = true;
  const crawlRead = /^\/v2\/crawl\/./;
  crawlRead.test = (path: string) => replaying && RegExp.prototype.test.call(/^\/v2\/crawl\/./, path);
  emulator.injectFault('reset', { method: 'GET', path: crawlRead, count: 1_000_000 });
  const ids: string[] = [];
  for (const h of hosts) ids.push((await startCrawlRaw(emulator, h)).id);
  replaying = false;
  return { emulator, ids };
}

function client(emulator: Emulator) {
  return new CatalogClient({
    apiKey: CANARY,
    baseUrl: emulator.url,
    // 3 s: on two busy cores a 1 s timeout expired on answers already sent, and the retries read as spinning
    timeoutMs: 3_000,
    retry: { retries: 2, minDelayMs: 100, maxDelayMs: 300 },
    // 20 waits polling every second are more than the API's 50 requests / 4 s: the client's limiter would
    // (rightly) queue polls through the whole outage.
    rateLimit: { requests: 200, windowMs: 1_000 },
  });
}

/**
 * Resolves once every id has had a successful poll (the waits are in flight): when `seen` is given, as the
 * waiters saw it (their first event); otherwise as the emulator answered it, plus time for the answer to land.
 */
async function polledOnce(emulator: Emulator, ids: string[], seen?: Set<string>) {
  const done = (id: string) =>
    seen ? seen.has(id) : emulator.requests.some((r) => r.path === `/v2/crawl/${id}` && r.status === 200);
  for (let i = 0; i < 200; i++) {
    if (ids.every(done)) {
      if (!seen) await sleep(300);
      return;
    }
    await sleep(50);
  }
  throw new Error('the waits never polled');
}

describe.concurrent('lost contact', () => {
  it('core: down for good -> LostContactError after lostContactMs, for every wait', async () => {
    await track('lost-contact', 'core down for good: LostContactError', async () => {
      const { emulator, ids } = await withCrawls(
        { speed: 1, seed: 'lc-down' },
        Array.from({ length: 20 }, () => host('long', 'lcd')),
      );
      const c = client(emulator);
      const lostContactMs = 3_000;
      const seen = new Set<string>();
      const waits = ids.map((id) =>
        waitForCrawl(c, id, {
          minIntervalMs: 1_000,
          maxIntervalMs: 1_000,
          lostContactMs,
          timeoutMs: 60_000,
          // a poll that got a snapshot (not a retry notice before the first answer)
          onEvent: (event) => {
            if (event.crawl) seen.add(id);
          },
        }).then(
          (result) => ({ id, result, at: performance.now(), wall: Date.now() }),
          (error: unknown) => ({ id, error, at: performance.now(), wall: Date.now() }),
        ),
      );
      await polledOnce(emulator, ids, seen);
      await emulator.close();
      const closedAt = performance.now();
      const ends = await Promise.all(waits);
      for (const end of ends) {
        expect('error' in end ? end.error : end.result).toBeInstanceOf(LostContactError);
        const error = (end as { error: LostContactError }).error;
        expect(['pending', 'running'], 'the last snapshot is kept').toContain(error.crawl?.status);
        expect(error.message).toMatch(/Lost contact with the Catalog API/);
        expect(canaryHits(errorTexts(error))).toEqual([]);
        // Not earlier than lostContactMs after the last poll that succeeded (its arrival at the emulator: the
        // waiter got the answer a little later), whenever that was (on busy cores it can be well before the
        // close); not later than lostContactMs + 2.5 s after the close.
        const lastOk = emulator.requests
          .filter((r) => r.path === `/v2/crawl/${end.id}` && r.method === 'GET' && r.status === 200)
          .at(-1);
        expect(lastOk, 'a poll succeeded').toBeDefined();
        expect(end.wall - lastOk!.at).toBeGreaterThan(lostContactMs - 100);
        expect(end.at - closedAt).toBeLessThan(lostContactMs + 2_500);
      }
    });
  });

  it('core: restarted on the same port with the same crawls -> the waits resume and complete', async () => {
    await track('lost-contact', 'core restart with the crawls: resume', async () => {
      // 20 s crawls (10 s at speed 2): none can end before the outage, even when the set-up is slow
      const hosts = Array.from({ length: 20 }, () => host('pending-0s-run-20s', 'lcr'));
      const options = { speed: 2, seed: 'lc-resume' };
      const first = await withCrawls(options, hosts);
      const c = client(first.emulator);
      const seen = new Set<string>();
      const waits = first.ids.map((id) =>
        waitForCrawl(c, id, {
          minIntervalMs: 1_000,
          maxIntervalMs: 1_000,
          lostContactMs: 30_000,
          timeoutMs: 40_000,
          // The restarted emulator listens before the replayed POSTs have recreated every crawl: a poll in
          // between gets a 404. A grace for it is what a caller that knows the crawl exists would set.
          notFoundGraceMs: 20_000,
          onEvent: (event) => {
            if (event.crawl) seen.add(id);
          },
        }),
      );
      await polledOnce(first.emulator, first.ids, seen);
      const port = first.emulator.port;
      await first.emulator.close();
      // an outage of 3 polls at least: on busy cores a poll timer can fire late enough to miss a shorter one
      await sleep(3_000);
      const second = await withCrawls({ ...options, port }, hosts);
      try {
        expect(second.ids, 'a replay gives the same ids').toEqual(first.ids);
        const results: WaitResult[] = await Promise.all(waits);
        for (const result of results) {
          expect(result.outcome).toBe('completed');
          expect(result.history.transientErrors, 'the outage was seen').toBeGreaterThan(0);
        }
      } finally {
        await second.emulator.close();
      }
    });
  });

  it('core: restarted empty on the same port -> NotFoundError promptly, no spinning on 404', async () => {
    await track('lost-contact', 'core restart empty: NotFoundError', async () => {
      const { emulator, ids } = await withCrawls(
        { speed: 1, seed: 'lc-empty' },
        Array.from({ length: 10 }, () => host('long', 'lce')),
      );
      const c = client(emulator);
      const waits = ids.map((id) =>
        waitForCrawl(c, id, {
          minIntervalMs: 1_000,
          maxIntervalMs: 1_000,
          lostContactMs: 30_000,
          timeoutMs: 40_000,
        }).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
      await polledOnce(emulator, ids);
      const port = emulator.port;
      await emulator.close();
      await sleep(1_000);
      const restarted = await startEmulator({ port, apiKeys: KEY });
      const restartedAt = performance.now();
      try {
        const errors = await Promise.all(waits);
        expect(performance.now() - restartedAt).toBeLessThan(3_000);
        for (const error of errors) {
          expect(error).toBeInstanceOf(NotFoundError);
          expect((error as CatalogError).message).toMatch(/No crawl crawl-long-/);
        }
        // one 404 per wait, then nothing more
        for (const id of ids) {
          expect(restarted.requests.filter((r) => r.path === `/v2/crawl/${id}`)).toHaveLength(1);
        }
      } finally {
        await restarted.close();
      }
    });
  });

  it('cli: restarted with the crawls -> `wait` resumes and exits 0', async () => {
    await track('lost-contact', 'cli restart with the crawls: resume', async () => {
      // 20 s crawls (10 s at speed 2): none can end before the outage
      const hosts = Array.from({ length: 5 }, () => host('pending-0s-run-20s', 'lccli'));
      const options = { speed: 2, seed: 'lc-cli' };
      const first = await withCrawls(options, hosts);
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: first.emulator.url });
      const proc = spawnNode(
        CLI_BIN,
        ['--json', 'wait', '--min-interval', '1s', '--max-interval', '1s', '--timeout', '40s', ...first.ids],
        env,
      );
      await polledOnce(first.emulator, first.ids);
      const port = first.emulator.port;
      await first.emulator.close();
      // an outage of 3 polls at least (see above)
      await sleep(3_500);
      const second = await withCrawls({ ...options, port }, hosts);
      try {
        const run = await proc.result;
        expect(run.code, run.stderr).toBe(0);
        const results = run.stdout
          .split('\n')
          .filter((l) => l.includes('"type":"result"'))
          .map((l) => JSON.parse(l) as { outcome: string; transientErrors: number });
        expect(results.map((r) => r.outcome)).toEqual(Array(5).fill('completed'));
        expect(results.every((r) => r.transientErrors > 0)).toBe(true);
        expect(canaryHits({ stdout: run.stdout, stderr: run.stderr })).toEqual([]);
      } finally {
        await second.emulator.close();
      }
    });
  });

  it('cli: down for good -> timed out at --timeout (exit 5), no hang', async () => {
    await track('lost-contact', 'cli down for good: timed out at the deadline', async () => {
      const { emulator, ids } = await withCrawls({ speed: 1, seed: 'lc-cli-down' }, [host('long', 'lccd')]);
      const env = cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: emulator.url });
      const proc = spawnNode(
        CLI_BIN,
        ['--json', 'wait', '--min-interval', '1s', '--timeout', '6s', ids[0]!],
        env,
      );
      await polledOnce(emulator, ids);
      await emulator.close();
      const run = await proc.result;
      expect(run.code, run.stderr).toBe(5);
      const result = JSON.parse(run.stdout.split('\n').find((l) => l.includes('"type":"result"'))!) as {
        outcome: string;
        elapsedMs: number;
      };
      expect(result.outcome).toBe('timed_out');
      expect(result.elapsedMs).toBeLessThan(6_000 + 1_000);
      // process start and exit on two busy cores: 5 s around a 6 s wait
      expect(run.durationMs).toBeLessThan(6_000 + 5_000);
      expect(canaryHits({ stdout: run.stdout, stderr: run.stderr })).toEqual([]);
    });
  });

  it('action: down for good -> outcome timed_out at the timeout, outputs and summary written', async () => {
    await track('lost-contact', 'action down for good: timed_out with outputs', async () => {
      const { emulator, ids } = await withCrawls({ speed: 1, seed: 'lc-action' }, [host('long', 'lca')]);
      const running = runAction({
        inputs: {
          'api-key': CANARY,
          'api-base-url': emulator.url,
          'execution-id': ids[0]!,
          timeout: '6s',
          'min-interval': '1s',
          'max-interval': '1s',
        },
      });
      await polledOnce(emulator, ids);
      await emulator.close();
      const run = await running;
      expect(run.outputs['outcome'], run.stdout).toBe('timed_out');
      expect(['pending', 'running']).toContain(run.outputs['status']);
      expect(run.summary).not.toBe('');
      expect(run.code).toBe(1);
      // process start and exit on two busy cores: 5 s around a 6 s wait
      expect(run.durationMs).toBeLessThan(6_000 + 5_000);
      expect(actionCanaryHits(run)).toEqual([]);
    });
  });

  it('mcp: down for good -> wait_for_crawl returns still_running at wait_seconds', async () => {
    await track('lost-contact', 'mcp down for good: still_running at the bound', async () => {
      const { emulator, ids } = await withCrawls({ speed: 1, seed: 'lc-mcp' }, [host('long', 'lcm')]);
      const server = createServer({
        client: client(emulator),
        secrets: [CANARY],
        wait: { minIntervalMs: 1_000 },
      });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(b);
      const mcp = new Client({ name: 'fault-suite', version: '0.0.0' });
      await mcp.connect(a);
      try {
        const t0 = performance.now();
        const call = mcp.callTool({
          name: 'wait_for_crawl',
          arguments: { execution_id: ids[0], wait_seconds: 5 },
        });
        await polledOnce(emulator, ids);
        await emulator.close();
        const result = await call;
        expect(performance.now() - t0).toBeLessThan(5_000 + 1_500);
        expect(result.isError, JSON.stringify(result)).toBeFalsy();
        expect((result.structuredContent as { wait_outcome: string }).wait_outcome).toBe('still_running');
        expect(canaryHits({ result: JSON.stringify(result) })).toEqual([]);
      } finally {
        await mcp.close();
      }
    });
  });
});
