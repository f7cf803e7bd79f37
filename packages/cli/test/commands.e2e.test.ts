import type { Emulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allOutputs,
  binEnv,
  cancelCrawl,
  closedPort,
  host,
  jsonLines,
  runBin,
  startCrawl,
  startTestEmulator,
} from './bin.js';
import { CANARY } from './helpers.js';

let emulator: Emulator;
let env: Record<string, string>;

beforeAll(async () => {
  emulator = await startTestEmulator();
  env = binEnv(emulator);
});

afterAll(async () => {
  await emulator?.close();
  for (const text of allOutputs) expect(text).not.toContain(CANARY);
});

const ESC = '\u001b';

describe.concurrent('catalog-crawl (built bin) against the emulator', () => {
  it('--version and --help exit 0', async () => {
    const version = await runBin(['--version'], env);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await runBin(['--help'], env);
    expect(help.code).toBe(0);
    for (const word of ['start', 'status', 'wait', 'cancel', 'list', 'demo', 'Exit codes']) {
      expect(help.stdout).toContain(word);
    }
    const waitHelp = await runBin(['wait', '--help'], env);
    expect(waitHelp.stdout).toContain('--cancel-on-abort');
    expect(waitHelp.stdout).toContain('60m');
  });

  it('exit 2 on usage errors, with a short message on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage/],
      [['bogus'], /unknown command/],
      [['wait'], /missing required argument/],
      [['wait', 'crawl-a-1234', '--timeout', '10'], /unit/i],
      [['wait', 'crawl-a-1234', '--min-interval', '500ms'], /at least 1s/],
      [['list', '--status', 'running'], /processing, completed, failed/],
      [['list', '--page', '0'], /--page/],
      [['status', 'a/b'], /id/i],
      [['start', ''], /url/i],
      [['--base-url', 'ftp://example.com', 'status', 'crawl-a-1234'], /http/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runBin(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    }
  });

  it('start prints only the execution id on stdout; status shows it', async () => {
    const url = host('long');
    const started = await runBin(['start', url], env);
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^crawl-long-/);
    expect(started.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(started.stderr).toContain(`catalog-crawl wait ${id}`);

    const status = await runBin(['status', id], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(id);
    expect(status.stdout).toContain('Determining crawl method');
    expect(status.stdout).toContain('Extracting listings');
    expect(status.stdout).not.toContain(ESC);

    const json = await runBin(['--json', 'status', id], env);
    const [obj] = jsonLines(json.stdout);
    expect(obj).toMatchObject({ type: 'status', executionId: id, exitCode: 0 });
    expect(['pending', 'running']).toContain(obj?.['status']);
  });

  it('start --wait: plain lines when not a terminal, exit 0 when completed', async () => {
    const r = await runBin(
      ['start', host('fast'), '--wait', '--min-interval', '1s', '--max-interval', '1s'],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Started crawl crawl-fast-/);
    expect(r.stdout).toMatch(/step 1\/4 (started|completed): Determining crawl method/);
    expect(lines.at(-1)).toMatch(/completed in .*collections?, .*listings?/);
  });

  it('start --wait --json: one JSON object per line, ending with the result; exit 1 when the crawl fails', async () => {
    const r = await runBin(
      ['--json', 'start', host('fail-extracting'), '--wait', '--min-interval', '1s', '--max-interval', '1s'],
      env,
    );
    expect(r.code).toBe(1);
    const objects = jsonLines(r.stdout); // throws if any line is not JSON
    expect(objects[0]).toMatchObject({ type: 'started' });
    const types = new Set(objects.map((o) => o['type']));
    expect(types.has('step_started')).toBe(true);
    const last = objects.at(-1);
    expect(last).toMatchObject({ type: 'result', outcome: 'failed', exitCode: 1 });
    expect((last!['crawl'] as { error: string }).error).toMatch(/Extracting listings/);
    expect(objects.some((o) => o['type'] === 'step_finished' && o['status'] === 'failed')).toBe(true);
  });

  it('exit 4 for an unknown id (status and wait)', async () => {
    const status = await runBin(['status', 'crawl-nope-example-00000000'], env);
    expect(status.code).toBe(4);
    expect(status.stderr).toMatch(/catalog-crawl list/);
    const wait = await runBin(['wait', 'crawl-nope-example-00000000', '--min-interval', '1s'], env);
    expect(wait.code).toBe(4);
    const json = await runBin(['--json', 'status', 'crawl-nope-example-00000000'], env);
    expect(json.code).toBe(4);
    expect(jsonLines(json.stdout)).toEqual([expect.objectContaining({ type: 'error', exitCode: 4 })]);
  });

  it('exit 3 for a missing or rejected key, and the key never shows (also with --debug)', async () => {
    const missing = await runBin(
      ['status', 'crawl-a-1234'],
      binEnv(emulator, { CATALOG_API_KEY: undefined }),
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('CATALOG_API_KEY');

    const wrong = await runBin(
      ['status', 'crawl-a-1234'],
      binEnv(emulator, { CATALOG_API_KEY: 'ck_live_WRONG_123456' }),
    );
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/key/i);
    expect(wrong.stderr).not.toContain('ck_live_WRONG_123456');

    // The canary rejected by an emulator that does not know it, passed by flag and by env, with --debug.
    const other = await startTestEmulatorWithoutCanary();
    try {
      for (const args of [
        ['--debug', '--api-key', CANARY, 'status', 'crawl-a-1234'],
        ['--debug', `--api-key=${CANARY}`, '--json', 'wait', 'crawl-a-1234'],
        ['--debug', 'start', 'fast.example', '--wait'],
        ['--debug', '--api-key', CANARY, 'bogus-command', CANARY],
      ]) {
        const r = await runBin(args, binEnv(undefined, { CATALOG_API_BASE_URL: other.url }));
        expect(r.code, args.join(' ')).toBeGreaterThan(0);
        expect(r.stdout + r.stderr).not.toContain(CANARY);
      }
      const debug = await runBin(
        ['--debug', 'status', 'crawl-a-1234'],
        binEnv(undefined, { CATALOG_API_BASE_URL: other.url }),
      );
      expect(debug.code).toBe(3);
      expect(debug.stderr).toMatch(/\n\s+at /); // a stack trace, with --debug only
    } finally {
      await other.close();
    }
  });

  it('cancel: 0 when canceled, 0 with a message when already finished; status then exits 6', async () => {
    const id = await startCrawl(emulator, host('long'));
    const first = await runBin(['cancel', id], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Canceled crawl ${id}`);
    const again = await runBin(['cancel', id], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already finished/);
    const json = await runBin(['--json', 'cancel', id], env);
    expect(jsonLines(json.stdout)).toEqual([
      expect.objectContaining({ type: 'cancel', outcome: 'already_finished', exitCode: 0 }),
    ]);
    const status = await runBin(['status', id], env);
    expect(status.code).toBe(6);
    expect(emulator.requests.filter((r) => r.method === 'DELETE' && r.path.includes(id)).length).toBe(3);
  });

  it('list: table, filter, pages and JSON', async () => {
    const id = await startCrawl(emulator, host('long'));
    const table = await runBin(['list', '--page-size', '1'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('EXECUTION ID');
    expect(table.stdout).toMatch(/page 1 of \d+/);
    const json = await runBin(['--json', 'list', '--status', 'processing', '--page-size', '100'], env);
    expect(json.code).toBe(0);
    const [obj] = jsonLines(json.stdout);
    expect(obj).toMatchObject({ type: 'list', pagination: { page: 1 } });
    expect((obj!['items'] as { executionId: string }[]).map((i) => i.executionId)).toContain(id);
    await cancelCrawl(emulator, id);
  });

  it('exit 8 when the API cannot be reached', async () => {
    const port = await closedPort();
    const r = await runBin(
      ['status', 'crawl-a-1234'],
      binEnv(undefined, { CATALOG_API_BASE_URL: `http://127.0.0.1:${port}` }),
    );
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    // A wait that never reaches the API is not reported as a timeout.
    const wait = await runBin(
      ['wait', 'crawl-a-1234', '--timeout', '2s', '--min-interval', '1s'],
      binEnv(undefined, { CATALOG_API_BASE_URL: `http://127.0.0.1:${port}` }),
    );
    expect(wait.code).toBe(8);
    expect(wait.stdout + wait.stderr).toContain('Lost contact with the Catalog API');
    expect(wait.stdout + wait.stderr).not.toContain('timed out after');
  });
});

async function startTestEmulatorWithoutCanary(): Promise<Emulator> {
  const { startEmulator } = await import('@catalog-crawl/emulator');
  return startEmulator({ host: '127.0.0.1', port: 0, speed: 100 });
}
