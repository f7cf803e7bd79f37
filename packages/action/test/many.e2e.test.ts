import { existsSync } from 'node:fs';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { ENTRY, expectAllOutputs, expectNoCanary, runAction } from './run-action.js';

const SPEED = 5;
let emulator: Emulator;
let n = 0;
const host = (scenario: string) => `${scenario}-many${++n}.example`;

beforeAll(async () => {
  expect(existsSync(ENTRY), 'dist/index.js is built (pnpm build)').toBe(true);
  // The API's limit is per client address: the tests below are 4 runners at once from 127.0.0.1, where a real
  // runner is one (the limit a step's crawls share is core's client limiter, the same 50 per 4 s).
  emulator = await startEmulator({
    speed: SPEED,
    apiKeys: [{ key: CANARY, org: 'default' }],
    rateLimit: { requests: 50 * 4, windowMs: 4_000 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const base = () => ({
  'api-key': CANARY,
  'api-base-url': emulator.url,
  'min-interval': '1s',
  'max-interval': '1s',
});

describe.concurrent('several crawls in one step (built bundle)', () => {
  it('five crawls: three complete, one fails, one is cancelled by SIGINT', async () => {
    const hosts = [host('fast'), host('fast'), host('fail-extracting'), host('long'), host('fast')];
    const run = await runAction({
      inputs: { ...base(), url: hosts.join('\n') },
      control: (child, files) => {
        // once the four short crawls have ended, only the long one is left to cancel
        void until(() => (files.stdout().match(/^\[[^\]]+\] (✅|❌) /gm) ?? []).length >= 4).then(() =>
          child.kill('SIGINT'),
        );
      },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.signal).toBeNull();
    expect(run.stderr).not.toMatch(/MaxListenersExceeded/);

    const crawls = JSON.parse(run.outputs['crawls']!) as Record<string, unknown>[];
    expect(crawls.map((c) => c['outcome'])).toEqual([
      'completed',
      'completed',
      'failed',
      'canceled',
      'completed',
    ]);
    expect(crawls.map((c) => c['vendor'])).toEqual(hosts);
    expect(crawls[3]).toMatchObject({ status: 'canceled' });
    expect(JSON.parse(run.outputs['counts']!)).toMatchObject({
      total: 5,
      completed: 3,
      failed: 1,
      canceled: 1,
      error: 0,
    });
    expect(run.outputs['outcome']).toBe('failed');
    const ids = run.outputs['execution-id']!.split('\n');
    expect(ids).toHaveLength(5);
    expect(ids.every((id) => id.startsWith('crawl-'))).toBe(true);
    expect(Number(run.outputs['listings-total'])).toBe(
      crawls.reduce((sum, c) => sum + ((c['listingsTotal'] as number | null) ?? 0), 0),
    );

    // one DELETE, for the long crawl only
    const deletes = emulator.requests.filter(
      (r) => r.method === 'DELETE' && ids.some((id) => r.path.endsWith(id)),
    );
    expect(deletes.map((r) => r.path)).toEqual([`/v2/crawl/${ids[3]}`]);

    // log: every line of a crawl names it; the header once per crawl
    for (const [i, name] of hosts.entries()) {
      expect(run.stdout).toContain(`[${name}] Crawl ${ids[i]} for ${name}\n`);
    }
    expect(run.stdout).toContain('Received SIGINT: stopping the waits and cancelling 1 unfinished crawl.');
    expect(run.stdout).toContain('5 crawls: 3 completed, 1 canceled, 1 failed.');
    // one annotation per failing crawl, then the step's failure
    expect(run.stdout).toContain(`::error::${hosts[2]}: `);
    expect(run.stdout).toContain(
      `::error::${hosts[3]}: The step was interrupted (SIGINT); the crawl was cancelled.`,
    );
    expect(run.stdout).toMatch(/^::error::2 of 5 crawls ended with an outcome that fails the step/m);

    // summary: a row per crawl linking to its section, then the sections
    expect(run.summary).toContain('## ❌ Catalog crawls: 3 completed, 1 canceled, 1 failed');
    for (const [i, name] of hosts.entries()) {
      expect(run.summary).toMatch(
        new RegExp(`\\| ${i + 1} \\| \\[${name.replace(/\./g, '\\.')}\\]\\(#crawl-${i + 1}\\) \\|`),
      );
      expect(run.summary).toContain(`<a id="crawl-${i + 1}"></a>`);
    }
    expect(run.summary).toContain('### ⛔ Catalog crawl canceled');
    expect(run.state['finishedCleanly']).toBe('true');
  });

  it('a signal cancels every crawl still running (cancel-on-abort)', async () => {
    const hosts = [host('long'), host('long'), host('long')];
    const run = await runAction({
      inputs: { ...base(), url: hosts.join('\n') },
      control: (child, files) => {
        void until(
          () => (files.stdout().match(/step 1\/4 Determining crawl method started/g) ?? []).length >= 3,
        ).then(() => child.kill('SIGINT'));
      },
    });
    expectNoCanary(run);
    expect(run.stdout).toContain('Received SIGINT: stopping the waits and cancelling 3 unfinished crawls.');
    const ids = run.outputs['execution-id']!.split('\n');
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      const statuses = emulator.requests.filter((r) => r.method === 'DELETE' && r.path === `/v2/crawl/${id}`);
      expect(statuses.map((r) => r.status)).toEqual([200]);
    }
    expect(JSON.parse(run.outputs['counts']!)).toMatchObject({ total: 3, canceled: 3 });
    expect(run.outputs['status']).toBe('canceled\ncanceled\ncanceled');
    expect(run.state['finishedCleanly']).toBe('true');
  });

  it('fail-on none: a failed crawl among several does not fail the step', async () => {
    const run = await runAction({
      inputs: { ...base(), url: `${host('fast')}\n${host('fail-analyzing')}`, 'fail-on': 'none' },
    });
    expectNoCanary(run);
    expect(run.code).toBe(0);
    expect(run.outputs['outcome']).toBe('failed');
    expect(JSON.parse(run.outputs['counts']!)).toMatchObject({ total: 2, completed: 1, failed: 1 });
  });

  it('several execution ids are waited for by one client, and the post step cancels only the unfinished', async () => {
    const started = await Promise.all(
      [host('fast'), host('long')].map(async (url) => {
        const response = await fetch(`${emulator.url}/v2/crawl`, {
          method: 'POST',
          headers: { 'x-api-key': CANARY, 'content-type': 'application/json' },
          body: JSON.stringify({ url }),
        });
        return ((await response.json()) as { execution_id: string }).execution_id;
      }),
    );
    const [fastId, longId] = started as [string, string];
    let stateText = '';
    const main = await runAction({
      inputs: { ...base(), 'execution-id': `${fastId}\n${longId}` },
      control: (child, files) => {
        void until(() => /\] ✅ Crawl/.test(files.stdout())).then(async () => {
          const { readFileSync } = await import('node:fs');
          stateText = readFileSync(files.state, 'utf8');
          child.kill('SIGKILL');
        });
      },
    });
    expect(main.signal).toBe('SIGKILL');
    const { parseFileCommands } = await import('./run-action.js');
    const state = parseFileCommands(stateText);
    expect(state['executionId']).toBe(`${fastId}\n${longId}`);
    expect(state['cleanIds']).toBe(fastId);
    const post = await runAction({ inputs: base(), state });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`Post: the main step did not finish; cancelled crawl ${longId}.`);
    expect(post.stdout).not.toContain(fastId);
    const deletes = emulator.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.some((r) => r.path.endsWith(fastId))).toBe(false);
    expect(deletes.filter((r) => r.path.endsWith(longId))).toHaveLength(1);
  });
});
