/**
 * Benchmark 3: the MCP server. Start-up (spawn to the `initialize` answer and to the `tools/list` answer) for
 * our stdio server and the reference `@modelcontextprotocol/server-everything`, alternating; then
 * `get_crawl_status` latency over 1,000 calls through an SDK Client over stdio, emulator on loopback.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CatalogClient } from '@catalog-crawl/core';
import { DEFAULT_API_KEY, startEmulator } from '@catalog-crawl/emulator';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { machineInfo } from './lib/machine.js';
import { repoPath } from './lib/paths.js';
import { type Check, isMain, runAsCommand } from './lib/report.js';
import { fmt, max, median, percentile, table } from './lib/stats.js';

export const SPAWNS = 12;
export const CALLS = 1000;
/** The server's own client limits itself to 50 requests per 4 s (core default, not configurable in the stdio CLI). */
const PACE_MS = 85;
const OURS = repoPath('packages', 'mcp-server', 'dist', 'cli.js');
const EVERYTHING = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);

interface Startup {
  initializeMs: number;
  toolsListMs: number;
  tools: string[];
  serverName: string;
  exitMs: number;
}

/** Spawns a stdio server, sends initialize at once, then initialized + tools/list; times both answers. */
async function startup(args: string[], env: NodeJS.ProcessEnv): Promise<Startup> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(performance.now())));
  const answers = new Map<number, (message: Record<string, unknown>) => void>();
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof message['id'] === 'number') answers.get(message['id'])?.(message);
  });
  const request = (id: number, method: string, params: unknown) => {
    const answer = new Promise<Record<string, unknown>>((resolve) => answers.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return answer;
  };
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const init = await request(1, 'initialize', {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'catalog-crawl-bench', version: '0.0.0' },
    });
    const initializeMs = performance.now() - started;
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const list = await request(2, 'tools/list', {});
    const toolsListMs = performance.now() - started;
    const closing = performance.now();
    child.stdin.end();
    const exitAt = await Promise.race([
      exited,
      new Promise<number>((resolve) =>
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve(Number.NaN);
        }, 5_000),
      ),
    ]);
    const result = (list['result'] ?? {}) as { tools?: { name: string }[] };
    const serverInfo = ((init['result'] ?? {}) as { serverInfo?: { name?: string } }).serverInfo;
    return {
      initializeMs,
      toolsListMs,
      tools: (result.tools ?? []).map((t) => t.name),
      serverName: serverInfo?.name ?? '(none)',
      exitMs: exitAt - closing,
    };
  } finally {
    clearTimeout(timeout);
    lines.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run() {
  if (!existsSync(OURS)) throw new Error(`${OURS} is missing: build the MCP server first`);
  const emulator = await startEmulator();
  try {
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      CATALOG_API_KEY: DEFAULT_API_KEY,
      CATALOG_API_BASE_URL: emulator.url,
    };
    const ours: Startup[] = [];
    const everything: Startup[] = [];
    for (let i = -1; i < SPAWNS; i++) {
      const a = await startup([OURS], env);
      const b = await startup([EVERYTHING, 'stdio'], env);
      if (i < 0) continue;
      ours.push(a);
      everything.push(b);
    }

    // get_crawl_status latency: one long-running crawl, one SDK client over stdio.
    const core = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: emulator.url });
    const crawl = await core.startCrawl({ url: 'long-bench.example' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [OURS],
      env,
      stderr: 'ignore',
    });
    const client = new Client({ name: 'catalog-crawl-bench', version: '0.0.0' });
    await client.connect(transport);
    await sleep(4_100); // let the start request leave every rate-limit window
    const requestsBefore = emulator.requests.length;
    const latencies: number[] = [];
    let errors = 0;
    let wrong = 0;
    let firstError = '';
    let last = performance.now() - PACE_MS;
    for (let i = 0; i < CALLS; i++) {
      const wait = last + PACE_MS - performance.now();
      if (wait > 0) await sleep(wait);
      last = performance.now();
      const t0 = performance.now();
      const result = await client.callTool({
        name: 'get_crawl_status',
        arguments: { execution_id: crawl.executionId },
      });
      latencies.push(performance.now() - t0);
      const structured = result.structuredContent as Record<string, unknown> | undefined;
      if (result.isError) {
        errors++;
        if (!firstError) firstError = JSON.stringify(result.content).slice(0, 200);
      } else if (!structured || !JSON.stringify(structured).includes(crawl.executionId)) wrong++;
    }
    await client.close();
    const served = emulator.requests.slice(requestsBefore);
    const got429 = served.filter((r) => r.status === 429).length;

    const oursTools = ours[0]?.tools ?? [];
    const expectedTools = [
      'start_crawl',
      'get_crawl_status',
      'wait_for_crawl',
      'cancel_crawl',
      'list_crawls',
    ];
    const checks: Check[] = [
      {
        name: 'our server answered initialize and tools/list on every spawn, with the five tools',
        ok: ours.every((s) => expectedTools.every((t) => s.tools.includes(t))),
        detail: `tools: ${oursTools.join(', ')}`,
      },
      {
        name: 'server-everything answered initialize and tools/list on every spawn',
        ok: everything.every((s) => s.tools.length > 0),
        detail: `${everything[0]?.tools.length ?? 0} tools`,
      },
      {
        name: `all ${CALLS} get_crawl_status calls answered with the crawl's status`,
        ok: errors === 0 && wrong === 0 && latencies.length === CALLS,
        detail: `${errors} isError${firstError ? ` (first: ${firstError})` : ''}, ${wrong} without the crawl id`,
      },
    ];
    const m = machineInfo();
    const med = (list: Startup[], key: 'initializeMs' | 'toolsListMs' | 'exitMs') =>
      median(list.map((s) => s[key]));
    const method = `
Command: \`node bench/dist/mcp-server.js\`.

- **Start-up**: \`node packages/mcp-server/dist/cli.js\` (stdio; \`CATALOG_API_KEY\` and
  \`CATALOG_API_BASE_URL\` pointing at the emulator) and \`node …/server-everything/dist/index.js stdio\`
  (${'`@modelcontextprotocol/server-everything`'} 2026.8.31), ${SPAWNS} spawns each, alternating, after one discarded
  warm-up of each. The benchmark writes \`initialize\` (protocol ${LATEST_PROTOCOL_VERSION}) to the child's stdin
  right after \`spawn\` and times the answer line; then \`notifications/initialized\` and \`tools/list\`, timed
  from the same spawn. Then stdin is closed and the time to exit is measured. Medians.
- **get_crawl_status latency**: one SDK \`Client\` over \`StdioClientTransport\` to our server, ${CALLS}
  sequential \`tools/call get_crawl_status\` of a running crawl on the emulator (in this process, loopback,
  default rate limit), timed around \`callTool\`. Calls start at most every ${PACE_MS} ms: the server's own
  \`CatalogClient\` keeps the core default limit of 50 requests per 4 s (the stdio CLI has no option to raise
  it), so unpaced calls would measure its queue, not the server. Nearest-rank percentiles.
`;
    const figures = [
      table(
        [
          'server',
          'spawn → initialize answer (ms)',
          'spawn → tools/list answer (ms)',
          'stdin closed → exit (ms)',
          'tools',
        ],
        [
          [
            '@catalog-crawl/mcp-server (ours)',
            fmt(med(ours, 'initializeMs')),
            fmt(med(ours, 'toolsListMs')),
            fmt(med(ours, 'exitMs')),
            String(oursTools.length),
          ],
          [
            'server-everything (reference)',
            fmt(med(everything, 'initializeMs')),
            fmt(med(everything, 'toolsListMs')),
            fmt(med(everything, 'exitMs')),
            String(everything[0]?.tools.length ?? 0),
          ],
          [
            'ratio ours / reference',
            `${fmt(med(ours, 'initializeMs') / med(everything, 'initializeMs'), 2)}x`,
            `${fmt(med(ours, 'toolsListMs') / med(everything, 'toolsListMs'), 2)}x`,
            '',
            '',
          ],
        ],
      ),
      '',
      table(
        [
          'get_crawl_status over stdio',
          'p50 (ms)',
          'p99 (ms)',
          'max (ms)',
          'mean (ms)',
          'calls',
          'answers 429 from the emulator',
        ],
        [
          [
            'ours → emulator (loopback)',
            fmt(percentile(latencies, 50), 2),
            fmt(percentile(latencies, 99), 2),
            fmt(max(latencies), 2),
            fmt(latencies.reduce((a, b) => a + b, 0) / latencies.length, 2),
            String(latencies.length),
            String(got429),
          ],
        ],
      ),
    ].join('\n');
    return {
      id: 'mcp-server',
      title: '3. MCP server: start-up and get_crawl_status latency',
      method: `${method}\nMachine: ${m.cpuModel}, ${m.cores} cores, Node ${m.node}.`,
      figures,
      targets: [],
      checks,
      notes: [] as string[],
    };
  } finally {
    await emulator.close();
  }
}

if (isMain(import.meta.url)) await runAsCommand(run);
