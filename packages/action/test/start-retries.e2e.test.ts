import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { expectNoCanary, runAction } from './run-action.js';

// Its own emulator: the fault below matches every POST, so no other test may start a crawl on it meanwhile.
let emulator: Emulator;
const host = (scenario: string) => `${scenario}-retries.example`;
const inputs = (extra: Record<string, string>) => ({
  'api-key': CANARY,
  'api-base-url': emulator.url,
  'min-interval': '1s',
  'max-interval': '1s',
  ...extra,
});

beforeAll(async () => {
  emulator = await startEmulator({ speed: 5, apiKeys: [{ key: CANARY, org: 'default' }] });
});
afterAll(async () => {
  await emulator?.close();
});

describe('start retries (built bundle)', () => {
  it('counts and reports retries of the POST that starts the crawl', async () => {
    emulator.injectFault('server_error', { method: 'POST', path: /^\/v2\/crawl$/, count: 2 });
    const run = await runAction({ inputs: inputs({ url: host('fast') }) });
    expectNoCanary(run);
    expect(run.code).toBe(0);
    expect(run.outputs['outcome']).toBe('completed');
    expect(JSON.parse(run.outputs['crawls']!)[0]).toMatchObject({ startRetries: 2 });
    expect(run.summary).toContain('| Start retries | 2 (POST /v2/crawl retried) |');
    expect(run.stdout).toMatch(/^POST \/v2\/crawl: retry 1 in [\dms.]+ after: /m);
  });
});
