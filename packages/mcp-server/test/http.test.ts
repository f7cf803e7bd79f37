import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '@catalog-crawl/emulator';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServerHandle, startHttpServer } from '../src/http.js';
import {
  CANARY,
  hostTaking,
  OTHER_KEY,
  sleep,
  startTestEmulator,
  structured,
  textOf,
  until,
} from './helpers.js';

let emulator: Emulator;
let http: HttpServerHandle;
const logs: string[] = [];
const seen: string[] = [];

async function httpClient(
  headers: Record<string, string>,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers } });
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  seen.push(JSON.stringify(result));
  return result;
}

/** A raw request, so that Host and Origin can be forged (fetch does not allow it). */
function raw(
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      http.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          data += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

beforeAll(async () => {
  emulator = await startTestEmulator();
  http = await startHttpServer({
    port: 0,
    baseUrl: emulator.url,
    clientOptions: { retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 } },
    poll: { minIntervalMs: 1_000, maxIntervalMs: 1_000 },
    log: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await http?.close();
  await emulator?.close();
  expect([...seen, ...logs].join('\n')).not.toContain(CANARY);
});

describe('Streamable HTTP mode without a server key', () => {
  it('gives each client its own key and client: no client sees the crawls of another', async () => {
    const a = await httpClient({ 'x-catalog-api-key': CANARY });
    const b = await httpClient({ authorization: `Bearer ${OTHER_KEY}` });
    try {
      const startedA = await call(a.client, 'start_crawl', { url: 'long-org-a.example' });
      const idA = structured<{ execution_id: string }>(startedA).execution_id;
      const startedB = await call(b.client, 'start_crawl', { url: 'fast-org-b.example' });
      const idB = structured<{ execution_id: string }>(startedB).execution_id;

      const listA = structured<{ crawls: { execution_id: string }[] }>(
        await call(a.client, 'list_crawls', {}),
      );
      const listB = structured<{ crawls: { execution_id: string }[] }>(
        await call(b.client, 'list_crawls', {}),
      );
      expect(listA.crawls.map((c) => c.execution_id)).toContain(idA);
      expect(listA.crawls.map((c) => c.execution_id)).not.toContain(idB);
      expect(listB.crawls.map((c) => c.execution_id)).toEqual([idB]);

      const foreign = await call(b.client, 'get_crawl_status', { execution_id: idA });
      expect(foreign.isError).toBe(true);
      expect(textOf(foreign)).toMatch(/No crawl .* \(HTTP 404\)/);
      const cancelForeign = await call(b.client, 'cancel_crawl', { execution_id: idA });
      expect(cancelForeign.isError).toBe(true);
      const stillRunning = await call(a.client, 'get_crawl_status', { execution_id: idA });
      expect(structured(stillRunning)).toMatchObject({ finished: false });

      const orgs = new Set(emulator.requests.filter((r) => r.path.endsWith(idA)).map((r) => r.org));
      expect(orgs.has('org-a')).toBe(true);

      // B's session id with A's key (or no key) is refused.
      const sessionB = b.transport.sessionId!;
      const hijack = await raw(
        { 'mcp-session-id': sessionB, 'x-catalog-api-key': CANARY, 'mcp-protocol-version': '2025-06-18' },
        { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'list_crawls', arguments: {} } },
      );
      expect(hijack.status).toBe(403);
      const noKey = await raw(
        { 'mcp-session-id': sessionB, 'mcp-protocol-version': '2025-06-18' },
        { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      );
      expect(noKey.status).toBe(403);
      expect(hijack.body + noKey.body).not.toContain(OTHER_KEY);
      expect(JSON.stringify(seen)).not.toContain(OTHER_KEY);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('sends progress notifications over HTTP', async () => {
    const a = await httpClient({ 'x-catalog-api-key': CANARY });
    try {
      const id = structured<{ execution_id: string }>(
        await call(a.client, 'start_crawl', { url: 'fast-http.example' }),
      ).execution_id;
      const notes: number[] = [];
      const result = await a.client.callTool(
        { name: 'wait_for_crawl', arguments: { execution_id: id, wait_seconds: 10 } },
        undefined,
        {
          onprogress: (p) => notes.push(p.progress),
        },
      );
      expect(structured(result)).toMatchObject({ wait_outcome: 'completed' });
      expect(notes.length).toBeGreaterThanOrEqual(1);
    } finally {
      await a.client.close();
    }
  });

  it('delivers resource updates to the subscribed session', async () => {
    const a = await httpClient({ 'x-catalog-api-key': CANARY });
    try {
      const updates: string[] = [];
      a.client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
        updates.push(n.params.uri);
      });
      const started = await call(a.client, 'start_crawl', {
        url: hostTaking(emulator, 'httpsub', 3_000, 5_000),
      });
      const uri = structured<{ resource_uri: string }>(started).resource_uri;
      await a.client.subscribeResource({ uri });
      await until(() => updates.length >= 2, 10_000);
      expect(new Set(updates)).toEqual(new Set([uri]));
    } finally {
      await a.client.close();
    }
  });

  it('sessions holding the same key share one view per crawl: waits and a subscription share the polls', async () => {
    const a = await httpClient({ 'x-catalog-api-key': CANARY });
    const b = await httpClient({ authorization: `Bearer ${CANARY}` });
    try {
      const id = structured<{ execution_id: string }>(
        await call(a.client, 'start_crawl', { url: 'long-shared-http.example' }),
      ).execution_id;
      await b.client.subscribeResource({ uri: `catalog-crawl://crawls/${id}` });
      const t0 = Date.now();
      await Promise.all([
        call(a.client, 'wait_for_crawl', { execution_id: id, wait_seconds: 3 }),
        call(b.client, 'wait_for_crawl', { execution_id: id, wait_seconds: 3 }),
        call(a.client, 'get_crawl_status', { execution_id: id }),
        call(b.client, 'get_crawl_status', { execution_id: id }),
      ]);
      const elapsed = Date.now() - t0;
      const gets = emulator.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}`)).length;
      // One poll per second (the test's interval) at most, whoever asks.
      expect(gets).toBeLessThanOrEqual(Math.floor(elapsed / 1_000) + 2);
      expect(http.views.size).toBeGreaterThan(0);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('a client without a key gets a clear isError result', async () => {
    const c = await httpClient({});
    try {
      const result = await call(c.client, 'list_crawls', {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/No Catalog API key: send it .* `x-catalog-api-key` header/);
    } finally {
      await c.client.close();
    }
  });

  it('refuses a foreign Host or Origin header (DNS rebinding)', async () => {
    const evilHost = await raw({ host: 'evil.example' }, initialize);
    expect(evilHost.status).toBe(403);
    const evilOrigin = await raw({ origin: 'http://evil.example' }, initialize);
    expect(evilOrigin.status).toBe(403);
    const ok = await raw(
      { host: `localhost:${http.port}`, origin: `http://localhost:${http.port}` },
      initialize,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers['mcp-session-id']).toBeTruthy();
    const noSession = await raw({}, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(noSession.status).toBe(400);
  });

  it('the CLI serves HTTP on loopback with --http --port 0', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli, '--http', '--port', '0'], {
      env: { PATH: process.env['PATH'], CATALOG_API_BASE_URL: emulator.url },
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    try {
      await until(() => /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/.test(err), 20_000);
      const url = /listening on (http:\/\/\S+)/.exec(err)![1]!;
      const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { 'x-catalog-api-key': CANARY } },
      });
      const client = new Client({ name: 'cli-http', version: '1' });
      await client.connect(transport);
      const result = await call(client, 'list_crawls', { page_size: 1 });
      expect(result.isError).toBeFalsy();
      await client.close();
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(err).not.toContain(CANARY);
  });
});

describe('shutdown and resumability', () => {
  it('SIGTERM mid-wait: the wait is answered (still running, with the next step) before the process exits', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli, '--http', '--port', '0'], {
      env: { PATH: process.env['PATH'], CATALOG_API_BASE_URL: emulator.url, CATALOG_API_KEY: CANARY },
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on('exit', (code) => resolve({ code, at: Date.now() })),
    );
    try {
      await until(() => /listening on http:\/\/\S+/.test(err), 20_000);
      const url = /listening on (http:\/\/\S+)/.exec(err)![1]!;
      const client = new Client({ name: 'sigterm', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const id = structured<{ execution_id: string }>(
        await call(client, 'start_crawl', { url: 'long-sigterm.example' }),
      ).execution_id;
      const pending = client.callTool({
        name: 'wait_for_crawl',
        arguments: { execution_id: id, wait_seconds: 40 },
      });
      await sleep(1_500);
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const result = await pending;
      seen.push(JSON.stringify(result));
      expect(Date.now() - signalledAt).toBeLessThan(1_500);
      expect(result.isError).toBeFalsy();
      expect(structured(result)).toMatchObject({
        execution_id: id,
        wait_outcome: 'still_running',
        finished: false,
      });
      expect(structured<{ next_step: string }>(result).next_step).toMatch(
        /shutting down.*call wait_for_crawl again/,
      );
      const exit = await exited;
      expect(exit.code).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(5_000);
      await client.close().catch(() => {});
    } finally {
      child.kill('SIGKILL');
    }
    expect(err).not.toContain(CANARY);
  }, 40_000);

  it('SSE events carry ids; a client that reconnects with Last-Event-ID gets what it missed', async () => {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-catalog-api-key': CANARY,
    };
    const post = (body: unknown, extra: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(http.url, {
        method: 'POST',
        headers: { ...headers, ...extra },
        body: JSON.stringify(body),
        signal,
      });
    const init = await post(initialize);
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const sh = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sh)).text();
    const started = await (
      await post(
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'start_crawl', arguments: { url: hostTaking(emulator, 'resume', 2_000, 4_000) } },
        },
        sh,
      )
    ).text();
    const executionId = /"execution_id":"([^"]+)"/.exec(started)![1]!;

    // The wait's stream: read until the first event with an id, then drop the connection.
    const controller = new AbortController();
    const waiting = await post(
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: {
          name: 'wait_for_crawl',
          arguments: { execution_id: executionId, wait_seconds: 15 },
          _meta: { progressToken: 'resume-1' },
        },
      },
      sh,
      controller.signal,
    );
    const reader = waiting.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let firstId: string | undefined;
    while (!firstId) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      firstId = /^id: ?(\S+)$/m.exec(text)?.[1];
    }
    expect(firstId).toBeTruthy();
    expect(text).not.toContain('"id":3');
    controller.abort();

    // Reconnect after the crawl has finished: the missed events, including the wait's answer, are replayed.
    await sleep(4_500);
    const resumed = await fetch(http.url, {
      method: 'GET',
      headers: { ...sh, accept: 'text/event-stream', 'x-catalog-api-key': CANARY, 'last-event-id': firstId! },
    });
    expect(resumed.status).toBe(200);
    const replay = resumed.body!.getReader();
    let replayed = '';
    const end = Date.now() + 10_000;
    while (!replayed.includes('"id":3') && Date.now() < end) {
      const { value, done } = await replay.read();
      if (done) break;
      replayed += decoder.decode(value);
    }
    await replay.cancel();
    seen.push(replayed);
    expect(replayed).toMatch(/^id: ?\S+$/m);
    expect(replayed).toContain('"id":3');
    expect(replayed).toMatch(/"wait_outcome":"completed"/);
  });
});

describe('stdio clients through mcp-remote (the README snippet)', () => {
  it('bridges stdio to HTTP mode with the key in a header: tools answer, the key stays out of its output', async () => {
    const proxy = join(
      dirname(createRequire(import.meta.url).resolve('mcp-remote/package.json')),
      'dist/proxy.js',
    );
    // mcp-remote keeps OAuth state under ~/.mcp-auth: a throwaway home.
    const home = mkdtempSync(join(tmpdir(), 'mcp-remote-home-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [proxy, http.url, '--header', `x-catalog-api-key:${CANARY}`],
      env: { PATH: process.env['PATH'] ?? '', HOME: home },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const client = new Client({ name: 'via-mcp-remote', version: '1' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('get_crawl_results');
      const started = await call(client, 'start_crawl', { url: 'fast-mcp-remote.example' });
      expect(started.isError, textOf(started)).toBeFalsy();
      const id = structured<{ execution_id: string }>(started).execution_id;
      const waited = await call(client, 'wait_for_crawl', { execution_id: id, wait_seconds: 5 });
      expect(structured(waited)).toMatchObject({ wait_outcome: 'completed' });
      const page = await call(client, 'get_crawl_results', { execution_id: id, page_size: 2 });
      expect(page.isError, textOf(page)).toBeFalsy();
    } finally {
      await client.close();
      rmSync(home, { recursive: true, force: true });
    }
    seen.push(stderr);
  }, 60_000);
});
