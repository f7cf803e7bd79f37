import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { type ForwardProxy, PROXY_ONLY_HOST, startForwardProxy } from '@catalog-crawl/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { type ActionRun, expectAllOutputs, expectNoCanary, runAction } from './run-action.js';

const PROXY_SECRET = 'action-pr0xy-CANARY-s3cret';
let emulator: Emulator;
const runs: ActionRun[] = [];
const PROXY_AUTH = `Basic ${Buffer.from(`runner:${PROXY_SECRET}`).toString('base64')}`;
let proxy: ForwardProxy;
/** The CONNECT tunnels the proxy opened: `host:port` and whether the credentials were right. */
const tunnels = () =>
  proxy.seen
    .filter((s) => s.kind === 'connect')
    .map((s) => ({ target: s.target, authorised: s.proxyAuthorization === PROXY_AUTH }));
const proxyUrl = () => proxy.url;
const inputs = (url: string) => ({
  'api-key': CANARY,
  'api-base-url': `http://${PROXY_ONLY_HOST}:${emulator.port}`,
  url,
  'min-interval': '1s',
  'max-interval': '1s',
});

beforeAll(async () => {
  emulator = await startEmulator({ speed: 5, apiKeys: [{ key: CANARY, org: 'default' }] });
  proxy = await startForwardProxy({ user: 'runner', password: PROXY_SECRET });
});

afterAll(async () => {
  await proxy?.close();
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
    proxy.seen.length = 0;
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
    expect(tunnels().length).toBeGreaterThan(0);
    expect(tunnels().every((t) => t.authorised && t.target === `${PROXY_ONLY_HOST}:${emulator.port}`)).toBe(
      true,
    );
    // the proxy's password is masked for the runner too
    expect(run.stdout).toContain(`::add-mask::${PROXY_SECRET}`);
  });

  it('NO_PROXY sends the calls direct: the proxy sees nothing and the host does not resolve', async () => {
    proxy.seen.length = 0;
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
    expect(proxy.seen).toHaveLength(0);
  });
});
