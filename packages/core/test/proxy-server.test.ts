import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CatalogClient, type CatalogClientOptions, NetworkError, waitForCrawl } from '../src/index.js';
import { type ForwardProxy, PROXY_ONLY_HOST, startForwardProxy } from './forward-proxy.js';

const KEY = 'proxy-test-CANARY-api-key-0001';
const PROXY_SECRET = 'pr0xy-CANARY-s3cret-9f2';
const PROXY_USER = 'proxyuser';
const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

let emulator: Emulator;
let proxy: ForwardProxy;
let baseUrl: string;
/** Every message and event produced in these tests, checked for the canaries at the end. */
const texts: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    host: '127.0.0.1',
    port: 0,
    speed: 200,
    apiKeys: [{ key: KEY, org: 'proxy' }],
  });
  proxy = await startForwardProxy({ user: PROXY_USER, password: PROXY_SECRET });
  baseUrl = `http://${PROXY_ONLY_HOST}:${emulator.port}`;
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    expect(text).not.toContain(PROXY_SECRET);
    expect(text).not.toContain(Buffer.from(`${PROXY_USER}:${PROXY_SECRET}`).toString('base64'));
    expect(text).not.toContain(KEY);
  }
});

beforeEach(async () => {
  // Whatever the machine running the tests has set, each test decides.
  for (const name of PROXY_VARS) vi.stubEnv(name, '');
  // Tunnels kept alive from an earlier test are dropped, so each test's calls open (and show) their own.
  proxy.dropConnections();
  await new Promise((resolve) => setTimeout(resolve, 50));
  proxy.seen.length = 0;
});

afterEach(() => vi.unstubAllEnvs());

function client(options: Partial<CatalogClientOptions> = {}): CatalogClient {
  return new CatalogClient({ apiKey: KEY, baseUrl, retry: { retries: 0 }, ...options });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    texts.push(
      String(error),
      (error as Error).message,
      JSON.stringify(error),
      String((error as Error).cause),
    );
    return error as Error;
  }
  throw new Error('expected a failure');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const authorisedCalls = () =>
  proxy.seen.filter(
    (s) =>
      s.proxyAuthorization === `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_SECRET}`).toString('base64')}`,
  );

describe('through a forward proxy', () => {
  it('the API host is reachable only through the proxy', async () => {
    const error = await failure(client().getCrawl('exec-1'));
    expect(error).toBeInstanceOf(NetworkError);
    expect(proxy.seen).toHaveLength(0);
  });

  it('start, getCrawl and wait succeed through HTTP_PROXY with credentials, which never leave', async () => {
    vi.stubEnv('HTTP_PROXY', proxy.url);
    const c = client();
    const started = await c.startCrawl({ url: 'https://fast-proxy.example' });
    const crawl = await c.getCrawl(started.executionId);
    expect(crawl.executionId).toBe(started.executionId);
    const events: unknown[] = [];
    const result = await waitForCrawl(c, started.executionId, {
      minIntervalMs: 1000,
      maxIntervalMs: 1000,
      timeoutMs: 20_000,
      onEvent: (event) => events.push(event),
    });
    texts.push(JSON.stringify(events), JSON.stringify(result));
    expect(result.outcome).toBe('completed');
    expect(proxy.seen.length).toBeGreaterThanOrEqual(1);
    expect(authorisedCalls()).toHaveLength(proxy.seen.length);
    expect(proxy.seen.every((s) => s.target === `${PROXY_ONLY_HOST}:${emulator.port}`)).toBe(true);
    // The emulator saw every call, all having come through the proxy.
    expect(emulator.requests.some((r) => r.path === `/v2/crawl/${started.executionId}`)).toBe(true);
  });

  it('lowercase http_proxy works the same', async () => {
    vi.stubEnv('http_proxy', proxy.url);
    const started = await client().startCrawl({ url: 'https://fast-lower.example' });
    expect(started.executionId).toBeTruthy();
    expect(authorisedCalls().length).toBeGreaterThan(0);
  });

  it.each([PROXY_ONLY_HOST, `.${PROXY_ONLY_HOST}`, '*.test', 'other.example, catalog-api.test', '*'])(
    'NO_PROXY=%s sends the request direct: the proxy sees nothing',
    async (noProxy) => {
      vi.stubEnv('HTTP_PROXY', proxy.url);
      vi.stubEnv('NO_PROXY', noProxy);
      const error = await failure(client().getCrawl('exec-1'));
      // Direct, the name does not resolve.
      expect(error).toBeInstanceOf(NetworkError);
      expect(error.message).not.toMatch(/proxy/);
      expect(proxy.seen).toHaveLength(0);
    },
  );

  it('NO_PROXY entries that do not match (another host, another port) leave the proxy in use', async () => {
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('no_proxy', `other.example,${PROXY_ONLY_HOST}:1,api.${PROXY_ONLY_HOST}`);
    const started = await client().startCrawl({ url: 'https://fast-nomatch.example' });
    expect(started.executionId).toBeTruthy();
    expect(proxy.seen.length).toBeGreaterThan(0);
  });

  it('HTTPS_PROXY alone does not apply to an http:// API URL', async () => {
    vi.stubEnv('HTTPS_PROXY', proxy.url);
    await failure(client().getCrawl('exec-1'));
    expect(proxy.seen).toHaveLength(0);
  });

  it('a proxy that is down: a NetworkError naming the proxy and its variable, without credentials', async () => {
    const port = await closedPort();
    vi.stubEnv('HTTP_PROXY', `http://${PROXY_USER}:${PROXY_SECRET}@127.0.0.1:${port}`);
    const events: unknown[] = [];
    const c = client({ retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 } });
    const error = await failure(c.getCrawl('exec-1'));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain(`through the proxy http://***@127.0.0.1:${port} (from HTTP_PROXY`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain(PROXY_USER);
    // The waiter's events (retries, lost contact) carry the same redacted text.
    const result = await waitForCrawl(c, 'exec-1', {
      minIntervalMs: 1000,
      maxIntervalMs: 1000,
      lostContactMs: 500,
      timeoutMs: 5_000,
      onEvent: (event) => events.push(event),
    }).catch((e: unknown) => e);
    texts.push(JSON.stringify(events), String(result), JSON.stringify(result));
    expect(JSON.stringify(events)).toContain('127.0.0.1');
  });

  it('wrong proxy credentials: the 407 is reported without the password', async () => {
    const wrong = `http://${PROXY_USER}:not-${PROXY_SECRET}@127.0.0.1:${proxy.port}`;
    vi.stubEnv('HTTP_PROXY', wrong);
    const error = await failure(client().getCrawl('exec-1'));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain(`through the proxy http://***@127.0.0.1:${proxy.port}`);
    expect(error.message).toMatch(/407/);
    expect(error.message).not.toContain(`not-${PROXY_SECRET}`);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(authorisedCalls()).toHaveLength(0);
  });
});

describe('start-up cost', () => {
  // Run the built package in a fresh Node: the proxy machinery (undici) must load only when a proxy applies.
  const script = `
    import { createRequire } from 'node:module';
    import { CatalogClient } from ${JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)))};
    const c = new CatalogClient({ apiKey: process.env.KEY, baseUrl: process.env.BASE, retry: false });
    const crawl = await c.startCrawl({ url: 'https://fast-startup.example' });
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('undici'));
    console.log(JSON.stringify({ id: crawl.executionId, undici: loaded }));
  `;
  const run = async (env: Record<string, string>) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env['PATH'] ?? '', KEY, ...env },
    });
    return JSON.parse(stdout) as { id: string; undici: boolean };
  };

  it('no proxy variable: undici is never loaded', async () => {
    const r = await run({ BASE: emulator.url });
    expect(r.id).toBeTruthy();
    expect(r.undici).toBe(false);
  });

  it('a proxy that NO_PROXY (or the loopback rule) excludes: undici is never loaded', async () => {
    const r = await run({ BASE: emulator.url, HTTP_PROXY: proxy.url });
    expect(r.undici).toBe(false);
    expect(proxy.seen).toHaveLength(0);
  });

  it('a proxy that applies: undici is loaded and used', async () => {
    const r = await run({ BASE: baseUrl, HTTP_PROXY: proxy.url });
    expect(r.id).toBeTruthy();
    expect(r.undici).toBe(true);
    expect(authorisedCalls().length).toBeGreaterThan(0);
  });
});
