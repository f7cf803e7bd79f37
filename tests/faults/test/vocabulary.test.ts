import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  CatalogClient,
  type Crawl,
  crawlDurationMs,
  formatCountOf,
  formatCounts,
  formatDuration,
  formatPosition,
  formatStep,
} from '@catalog-crawl/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, actionCanaryHits, runAction } from './lib/action.js';
import { CANARY, CLI_BIN, canaryHits, cleanEnv, MCP_BIN, spawnNode, track } from './lib/common.js';

/**
 * Category 9: vocabulary (issue 11's three visible defects, through the BUILT faces).
 *
 * One fixed crawl is served from a tiny loopback server, and every face reads it: the CLI bin (`status`,
 * `wait`), the Action's bundle as the runner runs it (log, summary, outputs) and the MCP server's bin through
 * a real MCP client over stdio (text, structuredContent, progress notifications). Every face must show what
 * core's vocabulary says of that crawl (computed here from core's own reading of the same server), and the
 * values are also pinned as literals, so that a change of core's rules cannot pass unnoticed. The old forms
 * (`1m30.5s` in core against `1m31s` in the Action and the CLI; `1h02m` against `1h2m`; the CLI's `status`
 * reading 90,500 ms as a clock, `1:30`, and the step as `1/4 steps`) must not come back.
 *
 * Defect 1: a rejected key. Each face names its own way of setting the key (the Action its `api-key` input,
 * the CLI CATALOG_API_KEY or `--api-key`, the MCP server CATALOG_API_KEY in its configuration), never another
 * face's.
 *
 * Defect 3, the Action only: with `wait: false` the `vendor` output is what the API reports (nothing yet), not
 * the `url` input's host; after a successful cancel no output or summary line says the crawl is running. (The
 * Action's e2e tests check both against the emulator too.)
 */

const RUNNING_ID = 'crawl-skims-com-4ddfa1c9';
const LONG_ID = 'crawl-skims-com-7be3f0a2';
/** The running crawl again, for the one test that cancels it (a DELETE changes what the server answers). */
const CANCEL_ID = 'crawl-skims-com-9c1d5e07';
/** What POST /v2/crawl answers: pending, without a vendor (as the API's 202 does). */
const STARTED_ID = 'crawl-skims-com-0a4b8c2f';
const STEP_NAMES = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
];
const steps = (statuses: string[]) => STEP_NAMES.map((name, i) => ({ name, status: statuses[i] }));

/** GET /v2/crawl/{id} bodies as the API sends them (snake_case). */
const BODIES: Record<string, Record<string, unknown>> = {
  // Running 90.5 s, in step 2 of 4: the defect's 90,500 ms.
  [RUNNING_ID]: {
    execution_id: RUNNING_ID,
    status: 'running',
    error: null,
    meta: {
      vendor: 'skims.com',
      start_date: '2026-03-02T08:00:00Z',
      stop_date: null,
      duration_ms: 90_500,
      progress: { collections_found: 12, listings_found: 340 },
      steps: steps(['completed', 'running', 'pending', 'pending']),
    },
  },
  // Completed after 3,720,000 ms: the defect's `1h2m` against `1h02m`.
  [LONG_ID]: {
    execution_id: LONG_ID,
    status: 'completed',
    error: null,
    meta: {
      vendor: 'skims.com',
      start_date: '2026-03-02T08:00:00Z',
      stop_date: '2026-03-02T09:02:00Z',
      duration_ms: 3_720_000,
      progress: { collections_found: 45, listings_found: 1_200 },
      steps: steps(['completed', 'completed', 'completed', 'completed']),
      result: { collections_total: 45, listings_total: 1_200 },
    },
  },
};

BODIES[CANCEL_ID] = { ...BODIES[RUNNING_ID], execution_id: CANCEL_ID };

/** Forms the faces used before issue 11 (or would use with a rule of their own). */
const OLD_FORMS = ['1m30.5s', '1m30s', '1h02m', '1h2m0s', '62m'];

interface FixedApi {
  url: string;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

/**
 * The fixed crawls on 127.0.0.1, an ephemeral port. Answers only a request carrying `acceptKey` (x-api-key);
 * any other key gets the API's flat 401. GET of a crawl: its body (404 for unknown ids). POST /v2/crawl: 202
 * pending, no vendor. DELETE of a running crawl: the documented `{"status": "canceled"}`, after which the crawl
 * reads `failed` ("failed or was aborted"), as the API reports a cancelled crawl. Anything else: 405.
 */
async function startFixedApi(acceptKey: string): Promise<FixedApi> {
  const requests: { method: string; path: string }[] = [];
  const cancelled = new Set<string>();
  const sockets = new Set<Socket>();
  const crawlBody = (id: string): Record<string, unknown> | undefined => {
    const body = BODIES[id];
    if (!body || !cancelled.has(id)) return body;
    const meta = body['meta'] as Record<string, unknown>;
    return {
      ...body,
      status: 'failed',
      error: 'Crawl cancelled by request',
      meta: { ...meta, stop_date: '2026-03-02T08:01:31Z' },
    };
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixed.invalid');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fixed0001' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.headers['x-api-key'] !== acceptKey) return json(401, { error: 'Invalid API key', status: 401 });
      if (method === 'POST' && url.pathname === '/v2/crawl') {
        return json(202, { execution_id: STARTED_ID, status: 'pending', meta: { credits_used: 0 } });
      }
      const match = /^\/v2\/crawl\/([^/]+)$/.exec(url.pathname);
      const id = match ? decodeURIComponent(match[1]!) : '';
      const body = crawlBody(id);
      if (!match || (method !== 'GET' && method !== 'DELETE')) {
        return json(405, { error: 'not served here', status: 405 });
      }
      if (!body) return json(404, { error: 'Crawl not found', status: 404 });
      if (method === 'GET') return json(200, body);
      if (body['status'] !== 'running') {
        return json(409, {
          error: { code: 'CONFLICT', message: 'Crawl is not running', request_id: 'req_x' },
        });
      }
      cancelled.add(id);
      return json(200, { status: 'canceled', execution_id: id, stop_date: '2026-03-02T08:01:31Z' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What core says of one crawl: the strings every face must show. */
interface Words {
  duration: string;
  step: string | undefined;
  counts: string | undefined;
  position: string;
}

function wordsOf(crawl: Crawl): Words {
  return {
    duration: formatDuration(crawlDurationMs(crawl)!),
    step: formatStep(crawl),
    counts: formatCounts(crawl),
    position: formatPosition(crawl),
  };
}

/** Texts a face printed: no old form, and (unless the caller scans them its own way) no canary. */
function expectClean(texts: Record<string, string>, scanCanary = true): void {
  for (const [where, text] of Object.entries(texts)) {
    for (const old of OLD_FORMS) expect(text, `${where} shows the old form ${old}`).not.toContain(old);
  }
  if (scanCanary) expect(canaryHits(texts)).toEqual([]);
}

function runCli(args: string[], env: Record<string, string | undefined>) {
  return spawnNode(CLI_BIN, args, cleanEnv(env), { killAfterMs: 30_000 }).result;
}

function runFixedAction(api: FixedApi, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({
    inputs: {
      'api-key': CANARY,
      'api-base-url': api.url,
      'min-interval': '1s',
      'max-interval': '1s',
      'comment-on-pr': 'false',
      ...inputs,
    },
  });
}

function actionTexts(run: ActionRun): Record<string, string> {
  return { stdout: run.stdout, stderr: run.stderr, summary: run.summary, outputs: run.outputsText };
}

interface McpSession {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

/** The built MCP server's bin over stdio, with a real SDK client. */
async function startMcp(api: FixedApi): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_BIN],
    env: cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: api.url }),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'fault-suite-vocabulary', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
  json: string;
}

async function callTool(
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (message: string) => void,
): Promise<ToolAnswer> {
  const result = await session.client.callTool({ name, arguments: args }, undefined, {
    timeout: 30_000,
    ...(onprogress ? { onprogress: (p: { message?: string }) => onprogress(p.message ?? '') } : {}),
  });
  const text = (result.content as { type: string; text?: string }[])
    .map((part) => part.text ?? '')
    .join('\n');
  return {
    isError: result.isError === true,
    text,
    structured: result.structuredContent as Record<string, unknown> | undefined,
    json: JSON.stringify(result),
  };
}

describe('vocabulary: one crawl reads the same in every built face (defect 2)', () => {
  let api: FixedApi;
  let running: Words;
  let long: Words;

  beforeAll(async () => {
    api = await startFixedApi(CANARY);
    // Core's own reading of the same server: the expected strings are core's, not copies of them.
    const client = new CatalogClient({ apiKey: CANARY, baseUrl: api.url });
    running = wordsOf(await client.getCrawl(RUNNING_ID));
    long = wordsOf(await client.getCrawl(LONG_ID));
  });
  afterAll(async () => {
    await api?.close();
  });

  it("core's words for the two crawls (pinned: a change of rule must fail here)", async () => {
    await track('vocabulary', 'core words pinned', () => {
      expect(running).toEqual({
        duration: '1m31s',
        step: 'step 2/4 Discovering collections',
        counts: '12 collections, 340 listings so far',
        position: 'running, step 2/4 Discovering collections, 12 collections, 340 listings so far',
      });
      expect(long).toEqual({
        duration: '1h2m',
        step: undefined,
        counts: '45 collections, 1,200 listings',
        position: 'completed, 45 collections, 1,200 listings',
      });
    });
  });

  it('cli status <id>: duration, step and counts in core words (was a clock, 1:30, and "1/4 steps")', async () => {
    await track('vocabulary', 'cli status', async () => {
      const env = { CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: api.url };
      const r = await runCli(['status', RUNNING_ID], env);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe(`● ${RUNNING_ID}  skims.com  running  ${running.duration}`);
      expect(lines[0]).toBe(`● ${RUNNING_ID}  skims.com  running  1m31s`);
      expect(r.stdout).toContain(`${running.step} · ${running.counts}`);
      expect(r.stdout).toContain('step 2/4 Discovering collections · 12 collections, 340 listings so far');
      expect(r.stdout).not.toMatch(/(?<![\d:T])1:30(?![\d:])/);
      expect(r.stdout).not.toContain('1/4 steps');

      const done = await runCli(['status', LONG_ID], env);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout.split('\n')[0]).toBe(`● ${LONG_ID}  skims.com  completed  ${long.duration}`);
      expect(done.stdout.split('\n')[0]).toContain('1h2m');
      expect(done.stdout).toContain(`4/4 steps · ${long.counts}`);

      const json = await runCli(['--json', 'status', RUNNING_ID], env);
      expect(JSON.parse(json.stdout.trim())).toMatchObject({ type: 'status', durationMs: 90_500 });
      expectClean({ running: r.stdout + r.stderr, long: done.stdout + done.stderr, json: json.stdout });
    });
  });

  it('cli wait: "completed in 1h2m" and "still running at step 2/4 Discovering collections"', async () => {
    await track('vocabulary', 'cli wait', async () => {
      const env = { CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: api.url };
      const done = await runCli(['wait', LONG_ID], env);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toContain(`completed in ${long.duration}: ${long.counts}`);
      expect(done.stdout).toContain('completed in 1h2m: 45 collections, 1,200 listings');

      const r = await runCli(
        ['wait', RUNNING_ID, '--timeout', '3s', '--min-interval', '1s', '--max-interval', '1s'],
        env,
      );
      expect(r.code, r.stdout + r.stderr).toBe(5);
      expect(r.stdout).toContain(`still running at ${running.step}`);
      expect(r.stdout).toContain('still running at step 2/4 Discovering collections');
      // The progress event line is the Action's too (checked below).
      expect(r.stdout).toContain(
        `found ${formatCountOf(12, 'collection')}, ${formatCountOf(340, 'listing')}`,
      );
      expectClean({ long: done.stdout + done.stderr, running: r.stdout + r.stderr });
    });
  });

  it('action (built bundle): log, summary and outputs of the running crawl', async () => {
    await track('vocabulary', 'action running', async () => {
      const run = await runFixedAction(api, { 'execution-id': RUNNING_ID, timeout: '3s' });
      expect(actionCanaryHits(run)).toEqual([]);
      expect(run.outputs).toMatchObject({
        outcome: 'timed_out',
        status: 'running',
        vendor: 'skims.com',
        'duration-ms': '90500',
        'collections-found': '12',
        'listings-found': '340',
      });
      expect(run.summary).toContain(`| Duration | ${running.duration} (crawl), `);
      expect(run.summary).toContain('| Duration | 1m31s (crawl), ');
      expect(run.summary).toContain(`**Last seen:** ${running.position}`);
      expect(run.summary).toContain(
        '**Last seen:** running, step 2/4 Discovering collections, 12 collections, 340 listings so far',
      );
      expect(run.stdout).toContain(`${running.step} started`);
      expect(run.stdout).toContain(
        `found ${formatCountOf(12, 'collection')}, ${formatCountOf(340, 'listing')}`,
      );
      // actionCanaryHits (above) allows the ::add-mask:: command, which the runner consumes.
      expectClean(actionTexts(run), false);
    });
  });

  it('action (built bundle): log, summary and outputs of the 1h2m crawl', async () => {
    await track('vocabulary', 'action completed', async () => {
      const run = await runFixedAction(api, { 'execution-id': LONG_ID });
      expect(actionCanaryHits(run)).toEqual([]);
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs).toMatchObject({
        outcome: 'completed',
        status: 'completed',
        'duration-ms': '3720000',
        'collections-total': '45',
        'listings-total': '1200',
      });
      expect(run.stdout).toContain(`Crawl ${LONG_ID} completed in ${long.duration}: ${long.counts}`);
      expect(run.stdout).toContain('completed in 1h2m: 45 collections, 1,200 listings');
      expect(run.summary).toContain(`| Duration | ${long.duration} (crawl), `);
      expect(run.summary).toContain('| Duration | 1h2m (crawl), ');
      expectClean(actionTexts(run), false);
    });
  });

  it('mcp (built bin over stdio): get_crawl_status and wait_for_crawl text, structured content, progress', async () => {
    await track('vocabulary', 'mcp', async () => {
      const mcp = await startMcp(api);
      try {
        const line = `running · ${running.step} · ${running.counts} · ${running.duration}`;
        expect(line).toBe(
          'running · step 2/4 Discovering collections · 12 collections, 340 listings so far · 1m31s',
        );
        const status = await callTool(mcp, 'get_crawl_status', { execution_id: RUNNING_ID });
        expect(status.isError, status.text).toBe(false);
        expect(status.text).toContain(`Crawl ${RUNNING_ID}: ${line}.`);
        const current = status.structured?.['current_step'] as { name: string; number: number; of: number };
        expect(`step ${current.number}/${current.of} ${current.name}`).toBe(running.step);
        expect(status.structured).toMatchObject({
          status: 'running',
          elapsed_seconds: 90.5,
          progress: { collections_found: 12, listings_found: 340 },
        });

        const progress: string[] = [];
        const waited = await callTool(
          mcp,
          'wait_for_crawl',
          { execution_id: RUNNING_ID, wait_seconds: 2 },
          (message) => progress.push(message),
        );
        expect(waited.isError, waited.text).toBe(false);
        expect(waited.structured).toMatchObject({ wait_outcome: 'still_running', elapsed_seconds: 90.5 });
        expect(waited.text).toContain(`: ${line}.`);
        expect(progress.length).toBeGreaterThan(0);
        for (const message of progress) expect(message).toBe(line);

        const longLine = `completed · ${long.counts} · ${long.duration}`;
        expect(longLine).toBe('completed · 45 collections, 1,200 listings · 1h2m');
        const finished = await callTool(mcp, 'wait_for_crawl', { execution_id: LONG_ID, wait_seconds: 5 });
        expect(finished.isError, finished.text).toBe(false);
        expect(finished.structured).toMatchObject({ wait_outcome: 'completed', elapsed_seconds: 3_720 });
        expect(finished.text).toContain(`Crawl ${LONG_ID}: ${longLine}.`);
        const longStatus = await callTool(mcp, 'get_crawl_status', { execution_id: LONG_ID });
        expect(longStatus.text).toContain(`Crawl ${LONG_ID}: ${longLine}.`);

        expectClean({
          status: status.json,
          wait: waited.json,
          progress: progress.join('\n'),
          finished: finished.json,
          longStatus: longStatus.json,
          stderr: mcp.stderr(),
        });
      } finally {
        await mcp.close();
      }
    });
  });
});

describe('vocabulary: a rejected key, each face naming its own setting (defect 1)', () => {
  let api: FixedApi;
  beforeAll(async () => {
    // A server that knows another key: the canary is rejected with the API's 401.
    api = await startFixedApi('ck_live_the_right_key_000000');
  });
  afterAll(async () => {
    await api?.close();
  });

  it('action: its "api-key" input, never CATALOG_API_KEY (a variable it never reads) nor a CLI flag', async () => {
    await track('vocabulary', 'action rejected key', async () => {
      const run = await runFixedAction(api, { 'execution-id': RUNNING_ID });
      expect(actionCanaryHits(run)).toEqual([]);
      expect(run.code).toBe(1);
      expect(run.outputs['outcome']).toBe('error');
      expect(run.outputs['error']).toContain('"api-key" input');
      expect(run.summary).toContain('"api-key" input');
      const everything = Object.values(actionTexts(run)).join('\n');
      expect(everything).not.toContain('CATALOG_API_KEY');
      expect(everything).not.toContain('--api-key');
      expect(api.requests.some((r) => r.path === `/v2/crawl/${RUNNING_ID}`)).toBe(true);
    });
  });

  it('cli: CATALOG_API_KEY or --api-key (key from the environment and from the flag)', async () => {
    await track('vocabulary', 'cli rejected key', async () => {
      const fromEnv = await runCli(['status', RUNNING_ID], {
        CATALOG_API_KEY: CANARY,
        CATALOG_API_BASE_URL: api.url,
      });
      const fromFlag = await runCli(['--api-key', CANARY, '--base-url', api.url, 'wait', RUNNING_ID], {});
      // `status` prints the error on stderr; `wait` ends the crawl's line on stdout with it.
      for (const r of [fromEnv, fromFlag]) {
        const printed = r.stdout + r.stderr;
        expect(r.code, printed).toBe(3);
        expect(printed).toContain('Check the API key: set CATALOG_API_KEY (or pass --api-key).');
        expect(printed).not.toContain('"api-key" input');
        expect(canaryHits({ stdout: r.stdout, stderr: r.stderr })).toEqual([]);
      }
    });
  });

  it('mcp: CATALOG_API_KEY in the server configuration, never an Action input or a CLI flag', async () => {
    await track('vocabulary', 'mcp rejected key', async () => {
      const mcp = await startMcp(api);
      try {
        for (const [tool, args] of [
          ['get_crawl_status', { execution_id: RUNNING_ID }],
          ['wait_for_crawl', { execution_id: RUNNING_ID, wait_seconds: 2 }],
        ] as const) {
          const answer = await callTool(mcp, tool, args);
          expect(answer.isError, tool).toBe(true);
          expect(answer.text).toMatch(/rejected the API key \(HTTP 401\).*CATALOG_API_KEY in the MCP server/);
          expect(answer.text).not.toContain('"api-key" input');
          expect(answer.text).not.toContain('--api-key');
          expect(canaryHits({ [tool]: answer.json })).toEqual([]);
        }
        expect(canaryHits({ stderr: mcp.stderr() })).toEqual([]);
      } finally {
        await mcp.close();
      }
    });
  });
});

describe('vocabulary: what the Action reports is what the API said (defect 3)', () => {
  let api: FixedApi;
  beforeAll(async () => {
    api = await startFixedApi(CANARY);
  });
  afterAll(async () => {
    await api?.close();
  });

  it("wait: false: the vendor output is empty until the API reports one, never the url input's www. host", async () => {
    await track('vocabulary', 'action wait false vendor', async () => {
      const input = 'https://www.skims.com/collections/all';
      const run = await runFixedAction(api, { url: input, wait: 'false' });
      expect(actionCanaryHits(run)).toEqual([]);
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs).toMatchObject({
        outcome: 'started',
        'execution-id': STARTED_ID,
        status: 'pending',
        vendor: '',
      });
      // The input stays the input (`url`); it is not passed off as the vendor.
      expect(JSON.parse(run.outputs['crawls']!)[0]).toMatchObject({ vendor: null, url: input });
      expect(run.summary).not.toContain('| Vendor | www.');
      expect(run.summary).toContain('| Vendor | — |');
    });
  });

  it('after a successful cancel: status canceled in the outputs and the summary, nothing says running', async () => {
    await track('vocabulary', 'action cancel status', async () => {
      const run = await runFixedAction(api, {
        'execution-id': CANCEL_ID,
        timeout: '3s',
        'cancel-on-timeout': 'true',
      });
      expect(actionCanaryHits(run)).toEqual([]);
      expect(api.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
      expect(run.outputs).toMatchObject({ outcome: 'timed_out', status: 'canceled' });
      expect(run.outputs['error']).toContain('The crawl was cancelled (cancel-on-timeout).');
      expect(JSON.parse(run.outputs['crawls']!)[0]).toMatchObject({ status: 'canceled' });
      expect(run.summary).toContain('| API status | `canceled` |');
      expect(run.summary).not.toMatch(/`running`|🔄 running|:\*\* running/);
      // Where it was, in core's words, without the status the cancel made untrue.
      const crawl = await new CatalogClient({ apiKey: CANARY, baseUrl: api.url }).getCrawl(RUNNING_ID);
      const where = [formatStep(crawl), formatCounts(crawl)].join(', ');
      expect(run.summary).toContain(`**Last seen before the cancel:** ${where}`);
      expect(run.summary).toContain(
        '**Last seen before the cancel:** step 2/4 Discovering collections, 12 collections, 340 listings so far',
      );
      expectClean(actionTexts(run), false);
    });
  });
});
