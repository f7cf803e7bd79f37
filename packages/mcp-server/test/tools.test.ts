import type { Emulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServer } from '../src/server.js';
import { tools } from '../src/tools/index.js';
import {
  CANARY,
  type Connected,
  connect,
  hostTaking,
  sleep,
  startTestEmulator,
  structured,
  testClient,
  textOf,
} from './helpers.js';

let emulator: Emulator;
let conn: Connected;
/** Everything any client saw: checked for the key at the end. */
const seen: string[] = [];

async function call(name: string, args: Record<string, unknown>, c: Connected = conn) {
  const result = await c.client.callTool({ name, arguments: args });
  seen.push(JSON.stringify(result));
  const tool = tools.find((t) => t.name === name)!;
  if (!result.isError) {
    // Every success carries structuredContent valid against the tool's outputSchema, and a text summary.
    z.strictObject(tool.config.outputSchema).parse(result.structuredContent);
    expect(textOf(result)).toMatch(/Next: /);
  }
  return result;
}

async function start(url: string, c: Connected = conn): Promise<string> {
  const result = await call('start_crawl', { url }, c);
  expect(result.isError).toBeFalsy();
  return structured<{ execution_id: string }>(result).execution_id;
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  conn = await connect({ client: testClient(emulator) });
});

afterAll(async () => {
  await conn?.close();
  await emulator?.close();
  const all = [...seen, ...conn.logs].join('\n');
  expect(all).not.toContain(CANARY);
});

describe('tools/list', () => {
  it('lists the six tools with schemas and annotations (snapshot)', async () => {
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'start_crawl',
      'get_crawl_status',
      'wait_for_crawl',
      'cancel_crawl',
      'list_crawls',
      'get_crawl_results',
    ]);
    for (const tool of tools) {
      expect(tool.title).toBeTruthy();
      expect(tool.description!.length).toBeGreaterThan(80);
      expect(tool.outputSchema).toBeDefined();
      expect(tool.annotations).toMatchObject({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
        idempotentHint: expect.any(Boolean),
        openWorldHint: true,
      });
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName['cancel_crawl']!.annotations).toMatchObject({
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(byName['get_crawl_status']!.annotations).toMatchObject({
      readOnlyHint: true,
      idempotentHint: true,
    });
    expect(byName['wait_for_crawl']!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName['list_crawls']!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName['get_crawl_results']!.annotations).toMatchObject({
      readOnlyHint: true,
      idempotentHint: true,
    });
    expect(byName['get_crawl_results']!.inputSchema.properties!['page_size']).toMatchObject({ maximum: 50 });
    expect(byName['start_crawl']!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(byName['wait_for_crawl']!.inputSchema.properties!['wait_seconds']).toMatchObject({ maximum: 45 });
    expect(byName['list_crawls']!.inputSchema.properties!['page_size']).toMatchObject({ maximum: 50 });
    // The contract agents see: a change here must be deliberate (update with `vitest run -u`).
    const contract = tools.map(({ name, title, description, inputSchema, outputSchema, annotations }) => ({
      name,
      title,
      description,
      inputSchema,
      outputSchema,
      annotations,
    }));
    expect(contract).toMatchSnapshot();
  });

  it('lists the crawl resource template', async () => {
    const { resourceTemplates } = await conn.client.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      expect.objectContaining({
        uriTemplate: 'catalog-crawl://crawls/{execution_id}',
        mimeType: 'application/json',
      }),
      expect.objectContaining({
        uriTemplate: 'catalog-crawl://vendors/{vendor}/listings/{page}',
        mimeType: 'application/json',
      }),
    ]);
    expect(conn.client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true });
  });
});

describe.concurrent('happy paths', () => {
  it('start_crawl returns at once with the id and a next step', async () => {
    const t0 = Date.now();
    const result = await call('start_crawl', { url: 'https://long-start.example/shop' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result.isError).toBeFalsy();
    const out = structured(result);
    expect(out).toMatchObject({
      execution_id: expect.stringMatching(/^crawl-/),
      status: 'pending',
      url: 'https://long-start.example/shop',
      resource_uri: expect.stringMatching(/^catalog-crawl:\/\/crawls\/crawl-/),
      suggested_poll_interval_seconds: expect.any(Number),
    });
    expect(textOf(result)).toMatch(/Started crawl crawl-.*\nNext: Call wait_for_crawl/);
  });

  it('get_crawl_status reads the status, step and counts', async () => {
    const id = await start('long-status.example');
    await sleep(300);
    const result = await call('get_crawl_status', { execution_id: id });
    expect(result.isError).toBeFalsy();
    const out = structured(result);
    expect(out).toMatchObject({
      execution_id: id,
      status: 'running',
      finished: false,
      vendor: 'long-status.example',
      current_step: { number: expect.any(Number), of: 4 },
      steps: expect.arrayContaining([expect.objectContaining({ name: 'Determining crawl method' })]),
    });
    expect(out['suggested_poll_interval_seconds']).toBeGreaterThanOrEqual(10);
    expect(textOf(result)).toMatch(/^Crawl crawl-\S+: running · step \d\/4 /);
    expect(textOf(result)).toMatch(/Next: Call wait_for_crawl/);
    expect(JSON.stringify(result).length).toBeLessThan(4_000);
  });

  it('wait_for_crawl returns a completed crawl with its totals', async () => {
    const id = await start('fast-wait.example');
    const result = await call('wait_for_crawl', { execution_id: id, wait_seconds: 10 });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({
      execution_id: id,
      status: 'completed',
      finished: true,
      wait_outcome: 'completed',
      suggested_poll_interval_seconds: 0,
      result: { collections_total: expect.any(Number), listings_total: expect.any(Number) },
    });
    expect(textOf(result)).toMatch(/^Crawl crawl-\S+: completed · \d+ collections, \d+ listings · /);
    expect(textOf(result)).toMatch(/nothing left to poll/);
  });

  it('wait_for_crawl reports a failed crawl as a result, with the failing step', async () => {
    const id = await start('fail-extracting-wait.example');
    const result = await call('wait_for_crawl', { execution_id: id, wait_seconds: 15 });
    expect(result.isError).toBeFalsy();
    const out = structured(result);
    expect(out).toMatchObject({ status: 'failed', wait_outcome: 'failed', error: expect.any(String) });
    expect(textOf(result)).toMatch(/failed in Extracting listings/);
    expect(textOf(result)).toMatch(/start_crawl/);
  });

  it('cancel_crawl cancels, then says already finished (idempotent)', async () => {
    const id = await start('pending-0s-run-14400s.example'); // running from its first answer: the API cancels only running crawls
    const first = await call('cancel_crawl', { execution_id: id });
    expect(first.isError).toBeFalsy();
    expect(structured(first)).toMatchObject({ execution_id: id, outcome: 'canceled' });
    expect(textOf(first)).toMatch(/^Cancelled crawl/);
    const second = await call('cancel_crawl', { execution_id: id });
    expect(second.isError).toBeFalsy();
    expect(structured(second)).toMatchObject({ execution_id: id, outcome: 'already_finished' });
    expect(textOf(second)).toMatch(/already finished; nothing to cancel/);
    const status = await call('get_crawl_status', { execution_id: id });
    expect(structured(status)).toMatchObject({ status: 'failed', finished: true });
    expect(textOf(status)).toMatch(/cancelled/);
    const waited = await call('wait_for_crawl', { execution_id: id, wait_seconds: 5 });
    expect(structured(waited)).toMatchObject({ wait_outcome: 'canceled' });
  });

  it('list_crawls pages through the crawls, bounded and filtered', async () => {
    await start('long-list-1.example');
    await start('long-list-2.example');
    const page = await call('list_crawls', { page_size: 2 });
    expect(page.isError).toBeFalsy();
    const out = structured<{ crawls: unknown[]; pagination: Record<string, unknown> }>(page);
    expect(out.crawls).toHaveLength(2);
    expect(out.pagination).toMatchObject({ page: 1, page_size: 2, has_next: true });
    expect(textOf(page)).toMatch(/Call list_crawls with page 2/);
    const processing = await call('list_crawls', { status: 'processing' });
    const rows = structured<{ crawls: { status: string }[] }>(processing).crawls;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(['pending', 'running']).toContain(row.status);
    const tooBig = await call('list_crawls', { page_size: 500 });
    expect(tooBig.isError).toBe(true);
    expect(textOf(tooBig)).toMatch(/page_size/);
  });

  it('reads the crawl resource as JSON', async () => {
    const id = await start('long-resource.example');
    const uri = `catalog-crawl://crawls/${id}`;
    const read = await conn.client.readResource({ uri });
    seen.push(JSON.stringify(read));
    expect(read.contents[0]).toMatchObject({ uri, mimeType: 'application/json' });
    const body = JSON.parse((read.contents[0] as { text: string }).text);
    expect(body).toMatchObject({ execution_id: id, finished: false, resource_uri: uri });
    await expect(
      conn.client.readResource({ uri: 'catalog-crawl://crawls/crawl-missing-example-0000' }),
    ).rejects.toThrow(/No crawl/);
  });
});

describe.concurrent('wait_for_crawl timing, progress and abort', () => {
  it('sends strictly increasing progress notifications led by the status and step', async () => {
    const host = hostTaking(emulator, 'progress', 3_000, 6_000);
    const id = await start(host);
    const notes: { progress: number; total?: number; message?: string }[] = [];
    const result = await conn.client.callTool(
      { name: 'wait_for_crawl', arguments: { execution_id: id, wait_seconds: 15 } },
      undefined,
      {
        onprogress: (p) => notes.push(p),
        resetTimeoutOnProgress: true,
      },
    );
    seen.push(JSON.stringify(result), JSON.stringify(notes));
    expect(structured(result)).toMatchObject({ wait_outcome: 'completed' });
    expect(notes.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < notes.length; i++) expect(notes[i]!.progress).toBeGreaterThan(notes[i - 1]!.progress);
    expect(notes[0]!.message).toMatch(/^(pending|running)/);
    expect(notes.some((n) => /^running · step \d\/4 /.test(n.message ?? ''))).toBe(true);
    expect(notes.at(-1)).toMatchObject({ progress: 4, total: 4 });
    expect(notes.at(-1)!.message).toMatch(/^completed/);
  });

  it('sends no progress notification without a progress token', async () => {
    const id = await start('fast-notoken.example');
    let count = 0;
    conn.client.fallbackNotificationHandler = async (n) => {
      if (n.method === 'notifications/progress') count++;
    };
    const result = await call('wait_for_crawl', { execution_id: id, wait_seconds: 5 });
    conn.client.fallbackNotificationHandler = undefined;
    expect(structured(result)).toMatchObject({ wait_outcome: 'completed' });
    expect(count).toBe(0);
  });

  it('returns the current status, not an error, when wait_seconds runs out', async () => {
    const id = await start('long-bound.example');
    const t0 = Date.now();
    const result = await call('wait_for_crawl', { execution_id: id, wait_seconds: 3 });
    const took = Date.now() - t0;
    // The core makes its last poll shortly before the deadline (half a poll interval here), never after it.
    expect(took).toBeGreaterThanOrEqual(2_400);
    expect(took).toBeLessThan(4_000);
    expect(result.isError).toBeFalsy();
    const out = structured(result);
    expect(out).toMatchObject({ status: 'running', finished: false, wait_outcome: 'still_running' });
    expect(out['waited_seconds']).toBeGreaterThanOrEqual(2.4);
    expect(textOf(result)).toMatch(/still going after [23] s/);
    expect(textOf(result)).toMatch(/Call wait_for_crawl again/);
  });

  it('rejects wait_seconds above 45', async () => {
    const result = await call('wait_for_crawl', { execution_id: 'crawl-x-example-1', wait_seconds: 60 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/wait_seconds/);
  });

  it('aborting the call stops the wait, not the crawl', async () => {
    const id = await start('long-abort.example');
    const controller = new AbortController();
    const t0 = Date.now();
    const pending = conn.client.callTool(
      { name: 'wait_for_crawl', arguments: { execution_id: id, wait_seconds: 30 } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(), 1_200);
    await expect(pending).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(3_000);
    const polls = () => emulator.requests.filter((r) => r.path.endsWith(id) && r.method === 'GET').length;
    // A poll sent just before the abort may reach the emulator just after it: let it land first.
    await sleep(500);
    const before = polls();
    await sleep(2_200);
    expect(polls()).toBe(before);
    expect(emulator.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(id))).toBe(false);
    const status = await call('get_crawl_status', { execution_id: id });
    expect(structured(status)).toMatchObject({ status: 'running', finished: false });
  });
});

describe('error paths', () => {
  it('401 with a bad key: an isError result that never shows the key', async () => {
    const bad = await connect({
      client: testClient(emulator, { apiKey: 'ck_live_WRONG_000000' }),
      secrets: ['ck_live_WRONG_000000'],
    });
    try {
      for (const [name, args] of [
        ['start_crawl', { url: 'fast.example' }],
        ['get_crawl_status', { execution_id: 'crawl-fast-example-1' }],
        ['wait_for_crawl', { execution_id: 'crawl-fast-example-1', wait_seconds: 3 }],
        ['cancel_crawl', { execution_id: 'crawl-fast-example-1' }],
        ['list_crawls', {}],
      ] as const) {
        const result = await call(name, args, bad);
        expect(result.isError, name).toBe(true);
        expect(result.structuredContent).toBeUndefined();
        expect(textOf(result)).toMatch(/rejected the API key \(HTTP 401\).*CATALOG_API_KEY/);
        expect(JSON.stringify(result)).not.toContain('WRONG');
      }
    } finally {
      await bad.close();
    }
  });

  it('404: an unknown execution id', async () => {
    for (const name of ['get_crawl_status', 'wait_for_crawl', 'cancel_crawl']) {
      const result = await call(name, { execution_id: 'crawl-nowhere-example-deadbeef' });
      expect(result.isError, name).toBe(true);
      expect(textOf(result)).toMatch(
        /No crawl crawl-nowhere-example-deadbeef in this organisation \(HTTP 404\).*list_crawls/,
      );
    }
  });

  it('invalid ids and urls are refused before any request', async () => {
    const before = emulator.requests.length;
    for (const id of ['../etc', 'a/b', 'crawl?x', '  ']) {
      const result = await call('get_crawl_status', { execution_id: id });
      expect(result.isError, id).toBe(true);
      expect(textOf(result)).toMatch(/Invalid execution_id/);
    }
    const url = await call('start_crawl', { url: 'not a url at all' });
    expect(url.isError).toBe(true);
    expect(textOf(url)).toMatch(/Invalid url/);
    expect(emulator.requests.length).toBe(before);
  });

  it('429 after the retries are used up', async () => {
    emulator.injectFault('rate_limit', { path: /^\/v2\/crawl\/crawl-ratelimit/, count: 5 });
    const result = await call('get_crawl_status', { execution_id: 'crawl-ratelimit-example-1' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/rate limit was hit \(HTTP 429\).*Wait about \d+ s/);
  });

  it('5xx after the retries are used up', async () => {
    const noRetry = await connect({ client: testClient(emulator, { retry: false }) });
    try {
      emulator.injectFault('server_error', { method: 'GET', path: '/v2/crawl', status: 503, count: 1 });
      const result = await call('list_crawls', {}, noRetry);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/failed \(HTTP 503\).*try again in a minute/);
      expect(textOf(result)).toMatch(/request id req_/);
    } finally {
      await noRetry.close();
    }
  });

  it('wait_for_crawl: an isError result when no poll succeeds before the bound', async () => {
    const id = await start('long-down.example');
    emulator.injectFault('server_error', { path: new RegExp(`${id}$`), status: 502, count: 1_000 });
    const result = await call('wait_for_crawl', { execution_id: id, wait_seconds: 2 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no answer from the Catalog API in 2 s/);
  });

  it('402 from a no-credits account', async () => {
    const result = await call('start_crawl', { url: 'no-credits.example' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no credits or auto top-up is off \(HTTP 402\)/);
  });

  it('no API key: every tool says how to configure it', async () => {
    const keyless = await connect({ client: undefined });
    try {
      for (const name of ['start_crawl', 'list_crawls']) {
        const result = await call(name, name === 'start_crawl' ? { url: 'fast.example' } : {}, keyless);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(/No Catalog API key: set CATALOG_API_KEY/);
      }
    } finally {
      await keyless.close();
    }
  });
});

describe('createServer', () => {
  it('builds a server without connecting anything', () => {
    const server = createServer({ client: testClient(emulator) });
    expect(server.isConnected()).toBe(false);
  });
});
