// The built CLI, MCP server, Action bundle and emulator, end to end, under each Node line users run: this
// machine's (20), 22 and 24 (GitHub runs the Action on 24). `npx -y node@N` fetches those Nodes from the npm
// registry once; npm's cache keeps them for later runs.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  EMULATOR_KEY,
  type Emulator,
  mcpSession,
  nodeBinary,
  quickCrawlInputs,
  ROOT,
  run,
  runActionStep,
  startEmulator,
} from './lib.js';

const CLI = join(ROOT, 'packages/cli/bin/catalog-crawl.js');
const MCP = join(ROOT, 'packages/mcp-server/bin/catalog-crawl-mcp.js');
const EMULATOR = join(ROOT, 'packages/emulator/bin/catalog-crawl-emulator.js');
const ACTION = join(ROOT, 'packages/action/dist/index.js');

describe.each([20, 22, 24])('Node %i', (major) => {
  let node: string;
  let emulator: Emulator;

  beforeAll(async () => {
    node = major === Number(process.versions.node.split('.')[0]) ? process.execPath : await nodeBinary(major);
    const { stdout } = await run(node, ['-p', 'process.versions.node']);
    expect(stdout.trim()).toMatch(new RegExp(`^${major}\\.`));
    // The emulator runs under the same Node too.
    emulator = await startEmulator(node, EMULATOR, ['--speed', '500']);
  }, 600_000);

  afterAll(async () => {
    await emulator?.stop();
  });

  const env = () => cleanEnv({ CATALOG_API_KEY: EMULATOR_KEY, CATALOG_API_BASE_URL: emulator.url });

  it('the CLI starts a crawl and waits for it to complete', async () => {
    const result = await run(
      node,
      [CLI, 'start', 'fast.example', '--wait', '--json', '--min-interval', '1s', '--max-interval', '2s'],
      { env: env(), timeoutMs: 120_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'started' });
    expect(JSON.stringify(events.at(-1))).toContain('"completed"');
  });

  it('the CLI demo runs its in-process emulator to completion', async () => {
    const result = await run(node, [CLI, 'demo', '--duration', '2s', '--no-color'], { timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Crawl of skims\.com completed/);
  });

  it('the MCP server answers initialize, starts a crawl and reads its status', async () => {
    const session = await mcpSession(node, [MCP], env(), [
      { name: 'start_crawl', arguments: { url: 'fast.example' } },
    ]);
    expect(session.initialize.result.serverInfo.name).toBe('catalog-crawl');
    const started = session.calls[0].result;
    expect(started.isError ?? false).toBe(false);
    const id = started.structuredContent.execution_id as string;
    expect(id).toMatch(/fast-example/);
    const status = await mcpSession(node, [MCP], env(), [
      { name: 'get_crawl_status', arguments: { execution_id: id } },
    ]);
    const read = status.calls[0].result;
    expect(read.isError ?? false).toBe(false);
    expect(read.structuredContent.execution_id).toBe(id);
    expect(['pending', 'running', 'completed']).toContain(read.structuredContent.status);
    expect(session.result.code).toBe(0);
  });

  it('the Action bundle (main and post) waits for a crawl and sets its outputs', async () => {
    const main = await runActionStep(node, ACTION, {
      inputs: quickCrawlInputs(emulator.url),
      workspace: ROOT,
    });
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(main.outputs['outcome']).toBe('completed');
    expect(main.outputs['status']).toBe('completed');
    expect(main.outputs['execution-id']).toMatch(/fast-example/);
    expect(Number(main.outputs['listings-total'])).toBeGreaterThan(0);
    expect(main.summary).toContain(main.outputs['execution-id']);
    const post = await runActionStep(node, ACTION, {
      inputs: quickCrawlInputs(emulator.url),
      state: main.state,
      workspace: ROOT,
    });
    expect(post.code, post.stdout + post.stderr).toBe(0);
  });
});
