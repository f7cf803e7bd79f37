/**
 * Benchmark 6: API requests per crawl per minute when N agents (1, 10, 100) poll the same crawl through the MCP
 * server (the built CLI in HTTP mode, one server per N, side by side in the same minute). Requests are counted
 * at the emulator. The server keeps one view per crawl, so the figure should not grow with N.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CatalogClient } from '@catalog-crawl/core';
import { DEFAULT_API_KEY, startEmulator } from '@catalog-crawl/emulator';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { machineInfo } from './lib/machine.js';
import { repoPath } from './lib/paths.js';
import { type Check, isMain, runAsCommand, type Target } from './lib/report.js';
import { fmt, table } from './lib/stats.js';

export const AGENTS = [1, 10, 100] as const;
const MEASURE_MS = Number(process.env['BENCH_MCP_AGENTS_MS'] ?? 60_000);
const WAIT_SECONDS = 5;
/** The API's documented minimum between two reads of one crawl, which the server promises to keep. */
const MIN_GAP_MS = 10_000;
/** Arrival jitter at the emulator (the server counts from its own send time). */
const GAP_TOLERANCE_MS = 250;
const CLI = repoPath('packages', 'mcp-server', 'dist', 'cli.js');

function startServer(baseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, '--http', '--port', '0'], {
    env: { PATH: process.env['PATH'] ?? '', CATALOG_API_KEY: DEFAULT_API_KEY, CATALOG_API_BASE_URL: baseUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`MCP server exited (${code}): ${err.slice(0, 500)}`)));
  });
}

interface Row {
  agents: number;
  executionId: string;
  calls: number;
  errors: number;
  firstError?: string;
}

async function runAgents(row: Row, url: string, until: () => boolean): Promise<Client[]> {
  const clients = await Promise.all(
    Array.from({ length: row.agents }, async (_, i) => {
      const client = new Client({ name: `bench-agent-${i}`, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return client;
    }),
  );
  return clients.map((client) => {
    (client as Client & { loop?: Promise<void> }).loop = (async () => {
      // Each agent does what agents do in a loop: look at the status, then wait a little, again and again.
      while (!until()) {
        for (const [name, args] of [
          ['get_crawl_status', { execution_id: row.executionId }],
          ['wait_for_crawl', { execution_id: row.executionId, wait_seconds: WAIT_SECONDS }],
        ] as const) {
          if (until()) break;
          try {
            const result = await client.callTool({ name, arguments: args });
            row.calls++;
            if (result.isError) {
              row.errors++;
              row.firstError ??= JSON.stringify(result.content).slice(0, 200);
            }
          } catch (error) {
            row.errors++;
            row.firstError ??= (error as Error).message.slice(0, 200);
          }
        }
      }
    })();
    return client;
  });
}

export async function run() {
  // The emulator's own rate limit is off: what is measured is how often the server reads, not the API's limit.
  const emulator = await startEmulator({ rateLimit: false });
  const servers: ChildProcess[] = [];
  try {
    const api = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: emulator.url });
    const rows: Row[] = [];
    for (const agents of AGENTS) {
      // A crawl per row that runs for two hours (distinct hosts: a host has one running crawl at a time).
      const started = await api.startCrawl({ url: `pending-0s-run-7200s-agents${agents}.example` });
      rows.push({ agents, executionId: started.executionId, calls: 0, errors: 0 });
    }
    const handles = await Promise.all(rows.map(() => startServer(emulator.url)));
    for (const h of handles) servers.push(h.child);
    const t0 = Date.now() + 0;
    let stop = false;
    const agentClients = await Promise.all(rows.map((row, i) => runAgents(row, handles[i]!.url, () => stop)));
    const measureFrom = Date.now();
    const connectMs = measureFrom - t0;
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const measureTo = Date.now();
    stop = true;
    await Promise.all(agentClients.flat().map((c) => (c as Client & { loop?: Promise<void> }).loop));
    await Promise.all(agentClients.flat().map((c) => c.close()));

    const stats = rows.map((row) => {
      const path = `/v2/crawl/${row.executionId}`;
      const gets = emulator.requests.filter((r) => r.method === 'GET' && r.path === path);
      const inWindow = gets.filter((r) => r.at >= measureFrom && r.at < measureTo);
      const times = gets.map((r) => r.at).sort((a, b) => a - b);
      let minGap = Number.POSITIVE_INFINITY;
      for (let i = 1; i < times.length; i++) minGap = Math.min(minGap, times[i]! - times[i - 1]!);
      return {
        row,
        perMinute: (inWindow.length * 60_000) / (measureTo - measureFrom),
        inWindow: inWindow.length,
        total: gets.length,
        minGap,
        got429: gets.filter((r) => r.status === 429).length,
      };
    });
    const rates = stats.map((s) => s.perMinute);
    const spread = Math.max(...rates) - Math.min(...rates);
    const ceiling = 60_000 / MIN_GAP_MS;

    const checks: Check[] = [
      {
        name: `no crawl read more often than every ${MIN_GAP_MS / 1000} s at the emulator, whoever asks`,
        ok: stats.every((s) => s.minGap >= MIN_GAP_MS - GAP_TOLERANCE_MS),
        detail: stats
          .map(
            (s) =>
              `${s.row.agents} agents: shortest gap ${Number.isFinite(s.minGap) ? `${fmt(s.minGap / 1000, 2)} s` : 'n/a'}`,
          )
          .join('; '),
      },
      {
        name: 'every tool call answered without an error',
        ok: stats.every((s) => s.row.errors === 0 && s.row.calls > 0),
        detail: stats
          .map(
            (s) =>
              `${s.row.agents} agents: ${s.row.calls} calls, ${s.row.errors} errors${s.row.firstError ? ` (first: ${s.row.firstError})` : ''}`,
          )
          .join('; '),
      },
    ];
    const targets: Target[] = [
      {
        name: `API requests per crawl per minute flat for 1, 10, 100 agents (spread ≤ 1, each ≤ ${ceiling})`,
        met: spread <= 1 && rates.every((r) => r <= ceiling + 0.5),
        statement: `${stats.map((s) => `${s.row.agents}: ${fmt(s.perMinute)}`).join(', ')} requests per minute (spread ${fmt(spread)}).`,
      },
    ];
    const m = machineInfo();
    const method = `
Command: \`node bench/dist/mcp-agents.js\` (env \`BENCH_MCP_AGENTS_MS\` changes the measured time).

- **Emulator** in the benchmark's process (loopback, real time, its rate limit off so that only the server's
  own pacing shows); one crawl per row that runs two hours (\`pending-0s-run-7200s-agents<N>.example\`), started
  through the core client.
- **One MCP server per row**: the built CLI, \`node packages/mcp-server/dist/cli.js --http --port 0\`, with
  \`CATALOG_API_KEY\` and \`CATALOG_API_BASE_URL\` (defaults otherwise: shared view per crawl, reads at most every
  10 s). The three rows run at the same time, for the same ${fmt(MEASURE_MS / 1000, 0)} s.
- **Agents**: N SDK \`Client\`s over Streamable HTTP, each its own session, each looping
  \`get_crawl_status\` then \`wait_for_crawl\` (\`wait_seconds\` ${WAIT_SECONDS}) back to back on the row's crawl.
- **Counted at the emulator**: \`GET /v2/crawl/{id}\` of the row's crawl arriving in the measured minute (from
  \`emulator.requests\`), scaled to one minute; the shortest gap between two reads of the crawl over the whole run.
`;
    const figures = table(
      [
        'agents on one crawl',
        'tool calls',
        'tool calls per agent per minute',
        'API requests in the window',
        'API requests per crawl per minute',
        'shortest gap between reads (s)',
        '429',
      ],
      stats.map((s) => [
        String(s.row.agents),
        String(s.row.calls),
        fmt((s.row.calls / s.row.agents) * (60_000 / (measureTo - measureFrom))),
        String(s.inWindow),
        fmt(s.perMinute),
        Number.isFinite(s.minGap) ? fmt(s.minGap / 1000, 2) : 'n/a',
        String(s.got429),
      ]),
    );
    return {
      id: 'mcp-agents',
      title: '6. MCP server: API requests per crawl for N agents polling it',
      method: `${method}\nMachine: ${m.cpuModel}, ${m.cores} cores.`,
      figures,
      targets,
      checks,
      notes: [
        `Connecting the ${AGENTS.reduce((a, b) => a + b, 0)} sessions took ${fmt(connectMs / 1000, 1)} s before the measured window. Without a shared view each agent would read on each call: the tool-call column is what the API would otherwise see.`,
      ],
    };
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    await emulator.close();
  }
}

if (isMain(import.meta.url)) await runAsCommand(run);
