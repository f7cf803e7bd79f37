import { createServer as createNetServer } from 'node:net';
import {
  AbortedError,
  CatalogClient,
  CatalogError,
  LostContactError,
  waitForCrawl,
} from '@catalog-crawl/core';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionCanaryHits, runAction } from './lib/action.js';
import {
  CANARY,
  CLI_BIN,
  canaryHits,
  cleanEnv,
  errorTexts,
  host,
  MCP_BIN,
  record,
  spawnNode,
  startCrawlRaw,
  track,
} from './lib/common.js';
import { type EchoMode, type EchoServer, startEchoServer } from './lib/echo.js';

/**
 * Category 5: secrets. The canary key goes through every face on success, failure, error and debug paths,
 * against the emulator and against a hostile server that echoes the key into every field it can (error
 * messages, request ids, crawl fields, redirects, HTML). Every byte a face writes is scanned: zero hits.
 * (Categories 1-4 and 6 scan their own outputs too.)
 */

const ECHO_MODES: EchoMode[] = [
  'crawl-echo',
  'running-echo',
  'error-body',
  'auth',
  'server-error',
  'redirect',
];
const ECHO_ID = 'crawl-echo-example-1a2b3c4d';

let emulator: Emulator;
let otherKeyEmulator: Emulator;
let faultyEmulator: Emulator;
let closedUrl: string;
const echo = {} as Record<EchoMode, EchoServer>;

beforeAll(async () => {
  emulator = await startEmulator({ speed: 10, apiKeys: [{ key: CANARY, org: 'secrets' }] });
  otherKeyEmulator = await startEmulator({ apiKeys: [{ key: 'some-other-key', org: 'other' }] });
  faultyEmulator = await startEmulator({
    speed: 10,
    apiKeys: [{ key: CANARY, org: 'secrets' }],
    rateLimit: false,
    faults: {
      seed: 'secrets',
      serverError: 0.2,
      htmlError: 0.1,
      reset: 0.05,
      truncatedJson: 0.05,
      rateLimitBurst: 0.05,
    },
  });
  for (const mode of ECHO_MODES) echo[mode] = await startEchoServer(mode);
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  closedUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 9}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await Promise.all(
    [emulator, otherKeyEmulator, faultyEmulator, ...Object.values(echo)].map((s) => s?.close()),
  );
});

// ---------------------------------------------------------------------------------------------- CLI
interface CliCase {
  name: string;
  base: () => string;
  args: () => Promise<string[]> | string[];
  exit: number[];
  /** The key through --api-key instead of CATALOG_API_KEY. */
  argvKey?: boolean;
}

const cliCases: CliCase[] = [
  {
    name: 'emulator: start --wait, completed, --debug',
    base: () => emulator.url,
    args: () => [
      '--debug',
      'start',
      '--wait',
      host('fast', 's'),
      '--min-interval',
      '1s',
      '--max-interval',
      '2s',
    ],
    exit: [0],
  },
  {
    name: 'emulator: start --wait, failed, --debug --json',
    base: () => emulator.url,
    args: () => [
      '--debug',
      '--json',
      'start',
      '--wait',
      host('fail-extracting', 's'),
      '--min-interval',
      '1s',
    ],
    exit: [1],
  },
  {
    name: 'emulator under faults: wait, --debug (retry warnings with stacks)',
    base: () => faultyEmulator.url,
    args: async () => [
      '--debug',
      'wait',
      (await startCrawlRaw(faultyEmulator, host('fast', 's'))).id,
      '--min-interval',
      '1s',
      '--max-interval',
      '2s',
    ],
    exit: [0],
  },
  {
    name: 'key rejected (401): status, --debug',
    base: () => otherKeyEmulator.url,
    args: () => ['--debug', 'status', 'crawl-x-1'],
    exit: [3],
  },
  {
    name: 'network error: status, --debug',
    base: () => closedUrl,
    args: () => ['--debug', 'status', 'crawl-x-1'],
    exit: [8],
  },
  {
    name: 'echo: failed crawl whose fields echo the key: wait, --debug',
    base: () => echo['crawl-echo'].url,
    args: () => ['--debug', 'wait', ECHO_ID, '--min-interval', '1s'],
    exit: [1],
  },
  {
    name: 'echo: status (plain)',
    base: () => echo['crawl-echo'].url,
    args: () => ['--debug', 'status', ECHO_ID],
    exit: [1],
  },
  {
    name: 'echo: status --json',
    base: () => echo['crawl-echo'].url,
    args: () => ['--json', 'status', ECHO_ID],
    exit: [1],
  },
  {
    name: 'echo: list --json',
    base: () => echo['crawl-echo'].url,
    args: () => ['--json', 'list'],
    exit: [0],
  },
  {
    name: 'echo: start, --debug',
    base: () => echo['crawl-echo'].url,
    args: () => ['--debug', 'start', 'echo.example'],
    exit: [0],
  },
  {
    name: 'echo: cancel, --debug',
    base: () => echo['crawl-echo'].url,
    args: () => ['--debug', 'cancel', ECHO_ID],
    exit: [0],
  },
  {
    name: 'echo: running crawl, timed out, plain',
    base: () => echo['running-echo'].url,
    args: () => ['--debug', 'wait', ECHO_ID, '--timeout', '3s', '--min-interval', '1s'],
    exit: [5],
  },
  {
    name: 'echo: running crawl, timed out, --json',
    base: () => echo['running-echo'].url,
    args: () => ['--json', 'wait', ECHO_ID, '--timeout', '3s', '--min-interval', '1s'],
    exit: [5],
  },
  {
    name: 'echo: 400 body with the key, --debug',
    base: () => echo['error-body'].url,
    args: () => ['--debug', 'status', 'crawl-x-1'],
    exit: [2],
  },
  {
    name: 'echo: 401 body with the key, --debug --json',
    base: () => echo.auth.url,
    args: () => ['--debug', '--json', 'status', 'crawl-x-1'],
    exit: [3],
  },
  {
    name: 'echo: 503 HTML with the key, --debug',
    base: () => echo['server-error'].url,
    args: () => ['--debug', 'status', 'crawl-x-1'],
    exit: [8],
  },
  {
    name: 'echo: redirect to a URL with the key, --debug',
    base: () => echo.redirect.url,
    args: () => ['--debug', 'status', 'crawl-x-1'],
    exit: [1, 8],
  },
  {
    name: 'key through --api-key, 400 echo, --debug',
    base: () => echo['error-body'].url,
    args: () => ['--api-key', CANARY, '--debug', 'status', 'crawl-x-1'],
    exit: [2],
    argvKey: true,
  },
];

describe.concurrent('secrets: CLI stdout and stderr', () => {
  it.each(cliCases)('cli $name', async (c) => {
    await track('secrets', `cli ${c.name}`, async () => {
      const env = cleanEnv({
        CATALOG_API_KEY: c.argvKey ? undefined : CANARY,
        CATALOG_API_BASE_URL: c.base(),
      });
      const run = await spawnNode(CLI_BIN, await c.args(), env, { killAfterMs: 40_000 }).result;
      expect(c.exit, `exit ${run.code}: ${run.stderr.slice(0, 500)}`).toContain(run.code);
      expect(canaryHits({ stdout: run.stdout, stderr: run.stderr })).toEqual([]);
    });
  });
});

// ------------------------------------------------------------------------------------------- Action
interface ActionCase {
  name: string;
  base: () => string;
  inputs: () => Promise<Record<string, string>> | Record<string, string>;
  outcome: string;
  state?: Record<string, string>;
}

const DEBUG_ENV = { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' };
const fastInputs = { 'min-interval': '1s', 'max-interval': '2s' };
const actionCases: ActionCase[] = [
  {
    name: 'emulator: completed',
    base: () => emulator.url,
    inputs: () => ({ url: host('fast', 'a'), ...fastInputs }),
    outcome: 'completed',
  },
  {
    name: 'emulator: failed',
    base: () => emulator.url,
    inputs: () => ({ url: host('fail-analyzing', 'a'), ...fastInputs }),
    outcome: 'failed',
  },
  {
    name: 'emulator under faults: completed with retries',
    base: () => faultyEmulator.url,
    inputs: async () => ({
      'execution-id': (await startCrawlRaw(faultyEmulator, host('fast', 'a'))).id,
      ...fastInputs,
    }),
    outcome: 'completed',
  },
  {
    name: 'key rejected (401)',
    base: () => otherKeyEmulator.url,
    inputs: () => ({ url: 'skims.com' }),
    outcome: 'error',
  },
  {
    // never reached the API: lost contact (an error), not a timeout
    name: 'network error until the timeout',
    base: () => closedUrl,
    inputs: () => ({ 'execution-id': 'crawl-x-1', timeout: '3s', ...fastInputs }),
    outcome: 'error',
  },
  {
    name: 'echo: failed crawl whose fields echo the key',
    base: () => echo['crawl-echo'].url,
    inputs: () => ({ 'execution-id': ECHO_ID, ...fastInputs }),
    outcome: 'failed',
  },
  {
    name: 'echo: running crawl, timed out',
    base: () => echo['running-echo'].url,
    inputs: () => ({ 'execution-id': ECHO_ID, timeout: '3s', ...fastInputs }),
    outcome: 'timed_out',
  },
  {
    name: 'echo: start only (wait false)',
    base: () => echo['crawl-echo'].url,
    inputs: () => ({ url: 'echo.example', wait: 'false' }),
    outcome: 'started',
  },
  {
    name: 'echo: 400 body with the key',
    base: () => echo['error-body'].url,
    inputs: () => ({ url: 'echo.example' }),
    outcome: 'error',
  },
  {
    name: 'echo: 401 body with the key',
    base: () => echo.auth.url,
    inputs: () => ({ 'execution-id': ECHO_ID }),
    outcome: 'error',
  },
  {
    name: 'echo: redirect with the key',
    base: () => echo.redirect.url,
    inputs: () => ({ 'execution-id': ECHO_ID }),
    outcome: 'error',
  },
  {
    name: 'echo: 503 HTML with the key until the timeout',
    base: () => echo['server-error'].url,
    inputs: () => ({ 'execution-id': ECHO_ID, timeout: '4s', ...fastInputs }),
    outcome: 'error',
  },
  {
    name: 'post step: DELETE answered with the key',
    base: () => echo['crawl-echo'].url,
    inputs: () => ({ 'execution-id': ECHO_ID }),
    outcome: '',
    state: { isPost: 'true', executionId: ECHO_ID },
  },
];

describe.concurrent('secrets: Action log, outputs, state and summary (debug logging on)', () => {
  it.each(actionCases)('action $name', async (c) => {
    await track('secrets', `action ${c.name}`, async () => {
      const run = await runAction({
        inputs: { 'api-key': CANARY, 'api-base-url': c.base(), ...(await c.inputs()) },
        env: DEBUG_ENV,
        state: c.state,
      });
      if (c.state) expect(run.stdout).toMatch(/Post: .*crawl-echo-example-1a2b3c4d/);
      else expect(run.outputs['outcome'], run.stdout.slice(-1500)).toBe(c.outcome);
      expect(run.stdout, 'debug logging is on').toMatch(
        c.state ? /Post:/ : /::debug::|::error::|::warning::/,
      );
      expect(actionCanaryHits(run)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------- MCP
interface McpTarget {
  name: string;
  base: () => string;
  id: () => Promise<string> | string;
}

const mcpTargets: McpTarget[] = [
  {
    name: 'emulator',
    base: () => emulator.url,
    id: async () => (await startCrawlRaw(emulator, host('fast', 'm'))).id,
  },
  { name: 'key rejected (401)', base: () => otherKeyEmulator.url, id: () => 'crawl-x-1' },
  { name: 'network error', base: () => closedUrl, id: () => 'crawl-x-1' },
  ...ECHO_MODES.filter((m) => m !== 'server-error').map((mode) => ({
    name: `echo ${mode}`,
    base: () => echo[mode].url,
    id: () => ECHO_ID,
  })),
];

/** One stdio session of the built MCP server: every tool once; returns the canary hits per face. */
async function mcpSession(target: McpTarget): Promise<string[]> {
  const id = await target.id();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_BIN],
    env: cleanEnv({ CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: target.base() }),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'fault-suite', version: '0.0.0' });
  await client.connect(transport);
  const calls: [string, Record<string, unknown>][] = [
    ['start_crawl', { url: target.name === 'emulator' ? host('fast', 'm') : 'echo.example' }],
    ['get_crawl_status', { execution_id: id }],
    ['wait_for_crawl', { execution_id: id, wait_seconds: 2 }],
    ['list_crawls', {}],
    ['cancel_crawl', { execution_id: id }],
  ];
  const hits: string[] = [];
  try {
    for (const [tool, args] of calls) {
      const result = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 30_000 });
      const found = canaryHits({ [`${tool} result`]: JSON.stringify(result) });
      record('secrets', `mcp ${target.name} ${tool}`, found.length === 0, found.join('; ') || undefined);
      hits.push(...found);
    }
  } finally {
    await client.close();
  }
  expect(stderr).toMatch(/ready on stdio/);
  const found = canaryHits({ stderr });
  record('secrets', `mcp ${target.name} server stderr`, found.length === 0, found.join('; ') || undefined);
  return [...hits, ...found];
}

describe.concurrent('secrets: MCP results and server stderr (stdio bin)', () => {
  // The echo servers that put the key into 200 bodies (crawl fields) found that structuredContent was not
  // redacted (fixed in 75c7db2).
  it.each(mcpTargets)('mcp $name: every tool', async (target) => {
    expect(await mcpSession(target)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------- core error objects
describe('secrets: core error objects (message, cause chain, stack, JSON)', () => {
  const targets = () => [
    ...ECHO_MODES.map((mode) => ({ name: `echo ${mode}`, url: echo[mode].url })),
    { name: 'key rejected (401)', url: otherKeyEmulator.url },
    { name: 'network error', url: closedUrl },
  ];

  it('every client method against every hostile answer', async () => {
    for (const target of targets()) {
      const client = new CatalogClient({
        apiKey: CANARY,
        baseUrl: target.url,
        retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 },
      });
      const calls: [string, () => Promise<unknown>][] = [
        ['getCrawl', () => client.getCrawl(ECHO_ID)],
        ['startCrawl', () => client.startCrawl({ url: 'echo.example' })],
        ['cancelCrawl', () => client.cancelCrawl(ECHO_ID)],
        ['listCrawls', () => client.listCrawls({})],
      ];
      for (const [method, call] of calls) {
        await track('secrets', `core ${target.name} ${method}`, async () => {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          if (error !== undefined) {
            expect(error).toBeInstanceOf(CatalogError);
            expect(canaryHits(errorTexts(error))).toEqual([]);
          }
        });
      }
    }
  });

  it('the waiter: LostContactError and AbortedError (with cancelOnAbort) carry no key in their texts', async () => {
    const client = new CatalogClient({ apiKey: CANARY, baseUrl: echo['running-echo'].url, timeoutMs: 500 });
    await track('secrets', 'core waiter AbortedError with cancelOnAbort', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 1_500);
      const error = await waitForCrawl(client, ECHO_ID, {
        signal: controller.signal,
        cancelOnAbort: true,
        minIntervalMs: 1_000,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortedError);
      expect((error as AbortedError).cancel?.outcome).toBe('canceled');
      expect(canaryHits(errorTexts(error))).toEqual([]);
    });
    await track('secrets', 'core waiter LostContactError', async () => {
      const lost = new CatalogClient({
        apiKey: CANARY,
        baseUrl: closedUrl,
        retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 },
      });
      const error = await waitForCrawl(lost, ECHO_ID, {
        minIntervalMs: 1_000,
        maxIntervalMs: 1_000,
        lostContactMs: 1_500,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LostContactError);
      expect(canaryHits(errorTexts(error))).toEqual([]);
    });
  });
});

// ------------------------------------------------------------------------------------- MCP over HTTP
describe.concurrent('secrets: MCP Streamable HTTP (built bin, the key sent per client)', () => {
  const httpTargets: { name: string; base: () => string; headers: Record<string, string> }[] = [
    {
      name: 'emulator, x-catalog-api-key',
      base: () => emulator.url,
      headers: { 'x-catalog-api-key': CANARY },
    },
    {
      name: 'echo 400, Authorization: Bearer',
      base: () => echo['error-body'].url,
      headers: { authorization: `Bearer ${CANARY}` },
    },
    {
      name: 'echo 401, x-catalog-api-key',
      base: () => echo.auth.url,
      headers: { 'x-catalog-api-key': CANARY },
    },
    {
      name: 'echo redirect, x-catalog-api-key',
      base: () => echo.redirect.url,
      headers: { 'x-catalog-api-key': CANARY },
    },
  ];
  it.each(httpTargets)('mcp http $name: every tool, results and server stderr', async (target) => {
    const server = spawnNode(
      MCP_BIN,
      ['--http', '--port', '0'],
      cleanEnv({ CATALOG_API_BASE_URL: target.base() }),
      {
        killAfterMs: 60_000,
      },
    );
    try {
      await server.waitFor(/listening on http:\/\/\S+/);
      const url = /listening on (http:\/\/\S+)/.exec(server.output().stderr)![1]!;
      const client = new Client({ name: 'fault-suite', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: target.headers } }),
      );
      const id = target.name.startsWith('emulator')
        ? (await startCrawlRaw(emulator, host('fast', 'h'))).id
        : ECHO_ID;
      const calls: [string, Record<string, unknown>][] = [
        ['start_crawl', { url: host('fast', 'h') }],
        ['get_crawl_status', { execution_id: id }],
        ['wait_for_crawl', { execution_id: id, wait_seconds: 2 }],
        ['list_crawls', {}],
        ['cancel_crawl', { execution_id: id }],
      ];
      for (const [tool, args] of calls) {
        await track('secrets', `mcp http ${target.name} ${tool}`, async () => {
          const result = await client.callTool({ name: tool, arguments: args }, undefined, {
            timeout: 30_000,
          });
          expect(canaryHits({ [`${tool} result`]: JSON.stringify(result) })).toEqual([]);
        });
      }
      await client.close();
    } finally {
      server.child.kill('SIGTERM');
      const run = await server.result;
      await track('secrets', `mcp http ${target.name} server stderr`, () => {
        expect(run.stderr).toMatch(/session \w+ opened \(client key\)/);
        expect(canaryHits({ stderr: run.stderr, stdout: run.stdout })).toEqual([]);
      });
    }
  });
});
