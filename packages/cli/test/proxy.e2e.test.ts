import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '@catalog-crawl/emulator';
import { type ForwardProxy, PROXY_ONLY_HOST, startForwardProxy } from '@catalog-crawl/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binEnv, closedPort, startTestEmulator } from './bin.js';
import { CANARY } from './helpers.js';

// The committed bin entry (packages/cli/bin), which loads dist/bin.js: what a user's shell runs.
const ENTRY = fileURLToPath(new URL('../bin/catalog-crawl.js', import.meta.url));
const PROXY_SECRET = 'cli-pr0xy-CANARY-s3cret';
let emulator: Emulator;
const outputs: string[] = [];
const PROXY_AUTH = `Basic ${Buffer.from(`cli:${PROXY_SECRET}`).toString('base64')}`;
let proxy: ForwardProxy;
/** The CONNECT tunnels the proxy opened: `host:port` and whether the credentials were right. */
const tunnels = () =>
  proxy.seen
    .filter((s) => s.kind === 'connect')
    .map((s) => ({ target: s.target, authorised: s.proxyAuthorization === PROXY_AUTH }));
const proxyUrl = () => proxy.url;

function run(args: string[], extra: Record<string, string>) {
  const env = binEnv(undefined, {
    CATALOG_API_BASE_URL: `http://${PROXY_ONLY_HOST}:${emulator.port}`,
    ...extra,
  });
  const child = spawn(process.execPath, [ENTRY, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  proxy = await startForwardProxy({ user: 'cli', password: PROXY_SECRET });
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
  expect(outputs.length).toBeGreaterThan(0);
  for (const text of outputs) {
    expect(text).not.toContain(PROXY_SECRET);
    expect(text).not.toContain(CANARY);
  }
});

describe.sequential('the built CLI behind a proxy', () => {
  it('start --wait succeeds through HTTP_PROXY/HTTPS_PROXY against a host only the proxy reaches', async () => {
    proxy.seen.length = 0;
    const r = await run(
      [
        '--json',
        'start',
        'https://fast-cli-proxy.example',
        '--wait',
        '--min-interval',
        '1s',
        '--max-interval',
        '1s',
      ],
      { HTTPS_PROXY: proxyUrl(), HTTP_PROXY: proxyUrl() },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"outcome":"completed"/);
    expect(tunnels().length).toBeGreaterThan(0);
    expect(tunnels().every((t) => t.authorised && t.target === `${PROXY_ONLY_HOST}:${emulator.port}`)).toBe(
      true,
    );
  });

  it('NO_PROXY sends the calls direct: the proxy sees nothing (and the host does not resolve)', async () => {
    proxy.seen.length = 0;
    const r = await run(['status', 'exec-1'], { HTTP_PROXY: proxyUrl(), NO_PROXY: `.${PROXY_ONLY_HOST}` });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Could not reach the Catalog API/);
    expect(r.stdout + r.stderr).not.toMatch(/proxy/);
    expect(proxy.seen).toHaveLength(0);
  });

  it('a proxy that is down: a clear error naming the proxy without its credentials', async () => {
    const port = await closedPort();
    const r = await run(['status', 'exec-1'], { HTTP_PROXY: `http://cli:${PROXY_SECRET}@127.0.0.1:${port}` });
    expect(r.code).not.toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toContain(`through the proxy http://***@127.0.0.1:${port} (from HTTP_PROXY`);
    expect(text).toMatch(/ECONNREFUSED/);
    expect(text).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
