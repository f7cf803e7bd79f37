import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../src/index.js';
import { call } from './helpers.js';

let emu: Emulator | undefined;
afterEach(() => emu?.close());

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
}

describe('server lifecycle', () => {
  it('binds 127.0.0.1 on an ephemeral port by default', async () => {
    emu = await startEmulator();
    expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
    expect(emu.port).toBeGreaterThan(0);
  });

  it('closes every socket and slow answer: the port refuses and no TCP handle is left', async () => {
    const before = tcpHandles();
    const local = await startEmulator({ rateLimit: false });
    await Promise.all(Array.from({ length: 10 }, () => call(local, 'GET', '/v2/crawl'))); // keep-alive sockets
    local.injectFault('slow', { slowMs: 60_000, count: 3 });
    const slow = Array.from({ length: 3 }, () => fetch(`${local.url}/v2/crawl`).catch(() => 'cut'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tcpHandles()).toBeGreaterThan(before);
    const started = Date.now();
    await local.close();
    await local.close(); // idempotent
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await Promise.all(slow)).toEqual(['cut', 'cut', 'cut']);
    await expect(fetch(`${local.url}/v2/crawl`)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tcpHandles()).toBeLessThanOrEqual(before);
  });

  it('serves 200 concurrent connections', async () => {
    emu = await startEmulator({ rateLimit: false });
    const local = emu;
    // hold every answer for 300 ms so that all 200 connections are open at once
    local.injectFault('slow', { slowMs: 300, count: 200 });
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(local, 'POST', '/v2/crawl', { body: { url: `vendor${i}.com` } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(202));
    expect(new Set(answers.map((a) => a.body.execution_id)).size).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await call(local, 'GET', '/v2/crawl')).body.pagination.total_items).toBe(200);
  });

  it('reports a port in use', async () => {
    emu = await startEmulator();
    await expect(startEmulator({ port: emu.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
