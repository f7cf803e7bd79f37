import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY, SPEED, startTestEmulator, until } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let emulator: Emulator;

beforeAll(async () => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`pnpm --filter @catalog-crawl/mcp-server build\` first`);
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function run(args: string[], env: Record<string, string | undefined>): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

function send(child: ChildProcessWithoutNullStreams, message: unknown): void {
  child.stdin.write(`${JSON.stringify(message)}\n`);
}

function messages(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the built server over stdio', () => {
  it('writes only JSON-RPC to stdout and exits within a second of stdin closing', async () => {
    const r = run([], { CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: emulator.url });
    send(r.child, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'spawn-test', version: '1' },
      },
    });
    await until(() => r.stdout().includes('"id":1'), 10_000);
    send(r.child, { jsonrpc: '2.0', method: 'notifications/initialized' });
    send(r.child, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send(r.child, {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'start_crawl', arguments: { url: 'fast-stdio.example' } },
    });
    await until(() => r.stdout().includes('"id":3'), 10_000);
    const started = messages(r.stdout()).find((m) => m['id'] === 3) as {
      result: { structuredContent: { execution_id: string } };
    };
    const id = started.result.structuredContent.execution_id;
    // The server reads a crawl at most every 10 s: let this fast crawl finish first, so one read sees it done.
    await new Promise((resolve) =>
      setTimeout(resolve, emulator.plannedDurationMs('fast-stdio.example') / SPEED + 300),
    );
    send(r.child, {
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: {
        name: 'wait_for_crawl',
        arguments: { execution_id: id, wait_seconds: 10 },
        _meta: { progressToken: 'p1' },
      },
    });
    await until(() => r.stdout().includes('"id":4'), 15_000);
    // A long wait in flight when stdin closes must not keep the process alive.
    send(r.child, {
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'start_crawl', arguments: { url: 'long-stdio.example' } },
    });
    await until(() => r.stdout().includes('"id":5'), 10_000);
    const longId = (
      messages(r.stdout()).find((m) => m['id'] === 5) as {
        result: { structuredContent: { execution_id: string } };
      }
    ).result.structuredContent.execution_id;
    send(r.child, {
      jsonrpc: '2.0',
      id: 6,
      method: 'tools/call',
      params: { name: 'wait_for_crawl', arguments: { execution_id: longId, wait_seconds: 30 } },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closedAt = Date.now();
    r.child.stdin.end();
    const exit = await r.exited;
    expect(exit.at - closedAt).toBeLessThan(1_000);
    expect(exit.code).toBe(0);

    const all = messages(r.stdout());
    for (const m of all) expect(m['jsonrpc']).toBe('2.0');
    expect(r.stdout().endsWith('\n')).toBe(true);
    const tools = all.find((m) => m['id'] === 2) as { result: { tools: { name: string }[] } };
    expect(tools.result.tools).toHaveLength(6);
    const waited = all.find((m) => m['id'] === 4) as {
      result: { structuredContent: { wait_outcome: string } };
    };
    expect(waited.result.structuredContent.wait_outcome).toBe('completed');
    expect(all.some((m) => m['method'] === 'notifications/progress')).toBe(true);
    expect(r.stderr()).toMatch(/ready on stdio/);
    expect(r.stdout() + r.stderr()).not.toContain(CANARY);
  });

  it('exits with code 2 and a clear message when CATALOG_API_KEY is missing', async () => {
    const r = run([], { CATALOG_API_BASE_URL: emulator.url });
    const exit = await r.exited;
    expect(exit.code).toBe(2);
    expect(r.stdout()).toBe('');
    expect(r.stderr()).toMatch(/CATALOG_API_KEY is not set/);
  });

  it('exits on SIGTERM', async () => {
    const r = run([], { CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: emulator.url });
    await until(() => r.stderr().includes('ready on stdio'), 10_000);
    const at = Date.now();
    r.child.kill('SIGTERM');
    const exit = await r.exited;
    expect(exit.at - at).toBeLessThan(1_000);
    expect(exit.code).toBe(0);
    expect(r.stderr()).not.toContain(CANARY);
  });

  it('prints --help and --version, and rejects unknown options with code 2', async () => {
    const help = run(['--help'], {});
    const version = run(['--version'], {});
    const bad = run(['--bogus'], {});
    const [h, v, b] = await Promise.all([help.exited, version.exited, bad.exited]);
    expect(h.code).toBe(0);
    expect(help.stdout()).toMatch(/--http.*\n[\s\S]*CATALOG_API_KEY/);
    expect(v.code).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(b.code).toBe(2);
    expect(bad.stderr()).toMatch(/bogus/);
  });
});
