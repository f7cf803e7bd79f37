import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Emulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY, startTestEmulator } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** The official MCP Inspector's CLI mode (0.15.0: the last line that runs on Node 20). */
const INSPECTOR = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')),
  'cli/build/cli.js',
);

let emulator: Emulator;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run the build first`);
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

async function inspector(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout, stderr } = await run(
    process.execPath,
    [
      INSPECTOR,
      '--cli',
      '-e',
      `CATALOG_API_KEY=${CANARY}`,
      '-e',
      `CATALOG_API_BASE_URL=${emulator.url}`,
      process.execPath,
      CLI,
      ...args,
    ],
    { timeout: 30_000, env: { PATH: process.env['PATH'] } },
  );
  expect(stdout + stderr).not.toContain(CANARY);
  return JSON.parse(stdout) as Record<string, unknown>;
}

function structuredOf(result: Record<string, unknown>): Record<string, unknown> {
  expect(result['isError']).toBeFalsy();
  return result['structuredContent'] as Record<string, unknown>;
}

describe('MCP Inspector CLI against the built server', () => {
  it('tools/list, and tools/call on every tool', async () => {
    const call = (tool: string, ...toolArgs: string[]) =>
      inspector('--method', 'tools/call', '--tool-name', tool, '--tool-arg', ...toolArgs);
    const [list, fastStart, longStart] = await Promise.all([
      inspector('--method', 'tools/list'),
      call('start_crawl', 'url=fast-inspector.example'),
      call('start_crawl', 'url=long-inspector.example'),
    ]);
    const names = (list['tools'] as { name: string }[]).map((t) => t.name);
    expect(names).toEqual([
      'start_crawl',
      'get_crawl_status',
      'wait_for_crawl',
      'cancel_crawl',
      'list_crawls',
    ]);
    const fast = structuredOf(fastStart)['execution_id'] as string;
    const long = structuredOf(longStart)['execution_id'] as string;

    const [status, waited, canceled, listed, missing] = await Promise.all([
      call('get_crawl_status', `execution_id=${long}`),
      call('wait_for_crawl', `execution_id=${fast}`, 'wait_seconds=10'),
      call('cancel_crawl', `execution_id=${long}`),
      call('list_crawls', 'page_size=5', 'status=completed'),
      call('get_crawl_status', 'execution_id=crawl-missing-example-00000000'),
    ]);
    expect(structuredOf(status)).toMatchObject({ execution_id: long });
    expect(structuredOf(waited)).toMatchObject({ execution_id: fast, wait_outcome: 'completed' });
    expect(structuredOf(canceled)).toMatchObject({ execution_id: long, outcome: expect.any(String) });
    expect(structuredOf(listed)).toMatchObject({ status_filter: 'completed', pagination: { page_size: 5 } });
    expect(missing['isError']).toBe(true);
    expect(JSON.stringify(missing)).toMatch(/HTTP 404/);
    // Each run starts three Node processes (inspector wrapper, inspector CLI, this server): slow on a busy machine.
  }, 50_000);
});
