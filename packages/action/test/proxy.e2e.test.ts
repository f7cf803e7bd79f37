import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { type ActionRun, expectAllOutputs, expectNoCanary, runAction } from './run-action.js';

/** DNS cannot resolve it (.test is reserved): only the proxy below knows where it lives. */
const PROXY_ONLY_HOST = 'catalog-api.test';
const PROXY_SECRET = 'action-pr0xy-CANARY-s3cret';
const PROXY_AUTH = `Basic ${Buffer.from(`runner:${PROXY_SECRET}`).toString('base64')}`;

let emulator: Emulator;
let proxyPort: number;
let closeProxy: () => Promise<void>;
/** CONNECT requests the proxy saw. */
const tunnels: { target: string; authorised: boolean }[] = [];
const runs: ActionRun[] = [];

/** A CONNECT proxy on loopback (undici tunnels every target) that maps PROXY_ONLY_HOST to 127.0.0.1. */
async function startProxy(): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    const authorised = req.headers['proxy-authorization'] === PROXY_AUTH;
    tunnels.push({ target: req.url ?? '', authorised });
    const [host, port] = (req.url ?? '').split(':');
    if (!authorised) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    if (host !== PROXY_ONLY_HOST) return void client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    const upstream = connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxyPort = (server.address() as AddressInfo).port;
  closeProxy = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

const proxyUrl = () => `http://runner:${PROXY_SECRET}@127.0.0.1:${proxyPort}`;
const inputs = (url: string) => ({
  'api-key': CANARY,
  'api-base-url': `http://${PROXY_ONLY_HOST}:${emulator.port}`,
  url,
  'min-interval': '1s',
  'max-interval': '1s',
});

beforeAll(async () => {
  emulator = await startEmulator({ speed: 5, apiKeys: [{ key: CANARY, org: 'default' }] });
  await startProxy();
});

afterAll(async () => {
  await closeProxy?.();
  await emulator?.close();
  expect(runs.length).toBeGreaterThan(0);
  for (const run of runs) {
    const masked = run.stdout.replace(/^::add-mask::.*$/gm, '');
    for (const text of [masked, run.stderr, run.outputsText, run.summary, run.stateText]) {
      expect(text).not.toContain(PROXY_SECRET);
    }
  }
});

describe.sequential('the built action behind a proxy', () => {
  it('reaches an API host only the proxy knows, through HTTPS_PROXY / HTTP_PROXY', async () => {
    tunnels.length = 0;
    const run = await runAction({
      inputs: inputs('fast-action-proxy.example'),
      // the runner's own variables, as a self-hosted runner behind a proxy sets them
      env: { HTTPS_PROXY: proxyUrl(), HTTP_PROXY: proxyUrl() },
    });
    runs.push(run);
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(0);
    expect(run.outputs['outcome']).toBe('completed');
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels.every((t) => t.authorised && t.target === `${PROXY_ONLY_HOST}:${emulator.port}`)).toBe(
      true,
    );
    // the proxy's password is masked for the runner too
    expect(run.stdout).toContain(`::add-mask::${PROXY_SECRET}`);
  });

  it('NO_PROXY sends the calls direct: the proxy sees nothing and the host does not resolve', async () => {
    tunnels.length = 0;
    const run = await runAction({
      inputs: inputs('fast-action-noproxy.example'),
      env: { HTTPS_PROXY: proxyUrl(), HTTP_PROXY: proxyUrl(), NO_PROXY: `.${PROXY_ONLY_HOST}` },
    });
    runs.push(run);
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    expect(run.outputs['error']).toMatch(/Could not reach the Catalog API/);
    expect(tunnels).toHaveLength(0);
  });
});
