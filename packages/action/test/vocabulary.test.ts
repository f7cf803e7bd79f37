import { existsSync } from 'node:fs';
import { AuthError, formatDuration, NetworkError, parseDuration, WAIT_DEFAULTS } from '@catalog-crawl/core';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { SAME_CRAWL } from '@catalog-crawl/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hintFor } from '../src/hints.js';
import { INPUT_DEFAULTS } from '../src/inputs.js';
import { positionText } from '../src/log.js';
import { toReportError } from '../src/report.js';
import { buildSummary } from '../src/summary.js';
import { CANARY } from './fixtures.js';
import { ENTRY, expectAllOutputs, expectNoCanary, runAction } from './run-action.js';

describe("the Action uses core's vocabulary", () => {
  it('reads the same crawl as the CLI and the MCP server do (defect: 1m31s vs 1m30.5s, three step rules)', () => {
    expect(positionText(SAME_CRAWL)).toBe(
      'running, step 2/4 Discovering collections, 12 collections, 340 listings so far',
    );
    const summary = buildSummary({ outcome: 'timed_out', crawl: SAME_CRAWL, elapsedMs: 3_720_000 });
    expect(summary).toContain('1m31s (crawl)');
    expect(summary).toContain('1h2m (this step)');
    expect(summary).toContain('step 2/4 Discovering collections');
  });

  it("keeps action.yml's duration defaults equal to core's", () => {
    expect(parseDuration(INPUT_DEFAULTS.timeout)).toBe(WAIT_DEFAULTS.timeoutMs);
    expect(parseDuration(INPUT_DEFAULTS['min-interval'])).toBe(WAIT_DEFAULTS.minIntervalMs);
    expect(parseDuration(INPUT_DEFAULTS['max-interval'])).toBe(WAIT_DEFAULTS.maxIntervalMs);
    expect(formatDuration(WAIT_DEFAULTS.minIntervalMs)).toBe(INPUT_DEFAULTS['min-interval']);
  });

  it('advises in terms of its inputs, never an environment variable', () => {
    const auth = new AuthError('GET /v2/crawl/{id} failed with HTTP 401', 'UNAUTHORIZED', { status: 401 });
    expect(hintFor(auth)).toContain('"api-key" input');
    expect(toReportError(auth).message).toContain('"api-key" input');
    expect(toReportError(auth).message).not.toContain('CATALOG_API_KEY');
    expect(hintFor(new NetworkError('no answer'))).toContain('"api-base-url" input');
  });
});

describe('the built Action, given a key the API rejects', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    expect(existsSync(ENTRY), 'dist/index.js is built (pnpm build)').toBe(true);
    emulator = await startEmulator({ apiKeys: [{ key: 'ck_live_the_right_key', org: 'default' }] });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('names its "api-key" input, not CATALOG_API_KEY, a variable it never reads (defect)', async () => {
    const run = await runAction({
      inputs: { 'api-key': CANARY, 'api-base-url': emulator.url, url: 'skims.com' },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    const everything = `${run.stdout}\n${run.stderr}\n${run.summary}\n${JSON.stringify(run.outputs)}`;
    expect(run.outputs['error']).toContain('"api-key" input');
    expect(everything).not.toContain('CATALOG_API_KEY');
  });
});
