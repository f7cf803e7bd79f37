import { type Emulator, type EmulatorOptions, startEmulator } from '@catalog-crawl/emulator';
import { until } from '@catalog-crawl/test-kit';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { allOutputs, binEnv, host, jsonLines, runBin, spawnBin, startCrawl } from './bin.js';
import { CANARY } from './helpers.js';

// The API cancels only running crawls (catalog-api.md, DELETE). At speed 100, `pending-200s-...` is pending
// for 2 s of real time, then runs for 10 minutes; `pending-999999s` stays pending for hours.
const FAST = ['--min-interval', '1s', '--max-interval', '1s'];

afterAll(() => {
  for (const text of allOutputs) expect(text).not.toContain(CANARY);
});

/** An emulator closed when the test ends (the test's own hook: these tests run concurrently). */
async function emulatorWith(t: TestContext, options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  const e = await startEmulator({
    host: '127.0.0.1',
    port: 0,
    speed: 100,
    apiKeys: [{ key: CANARY, org: 'cli-tests' }],
    ...options,
  } as EmulatorOptions);
  t.onTestFinished(() => e.close());
  return e;
}

/** The crawl's status as the emulator's record shows it. */
async function statusOf(e: Emulator, id: string): Promise<string> {
  const response = await fetch(`${e.url}/v2/crawl/${encodeURIComponent(id)}`, {
    headers: { 'x-api-key': CANARY },
  });
  return ((await response.json()) as { status: string }).status;
}

const deletes = (e: Emulator, id: string) =>
  e.requests.filter((r) => r.method === 'DELETE' && r.path.includes(id)).map((r) => r.status);

describe.concurrent('cancel: only running crawls can be cancelled', () => {
  for (const refusal of [409, 400] as const) {
    it(`a pending crawl (refusal ${refusal}, misleading wording): exit 10, says how to retry, nothing cancelled`, async (t) => {
      const e = await emulatorWith(t, {
        cancelRefusal: refusal,
        // The wording must not decide anything: here it claims the crawl finished.
        cancelRefusalMessages: { pending: 'Execution already finished or not running' },
      });
      const env = binEnv(e);
      const id = await startCrawl(e, host('pending-999999s'));
      const r = await runBin(['cancel', id], env);
      expect(r.code).toBe(10);
      expect(r.stdout).toContain(`Crawl ${id} is not running yet (pending): not cancelled`);
      expect(r.stdout).toContain(`catalog-crawl cancel ${id} --when-running`);
      expect(r.stdout).not.toMatch(/already finished/);
      const json = await runBin(['--json', 'cancel', id], env);
      expect(json.code).toBe(10);
      expect(jsonLines(json.stdout)[0]).toMatchObject({
        type: 'cancel',
        outcome: 'not_running_yet',
        exitCode: 10,
      });
      expect(deletes(e, id)).toEqual([refusal, refusal]);
      expect(await statusOf(e, id)).toBe('pending');
    });
  }

  it('a running crawl: cancelled, exit 0', async (t) => {
    const e = await emulatorWith(t);
    const id = await startCrawl(e, host('long'));
    await until(async () => (await statusOf(e, id)) === 'running', 15_000);
    const r = await runBin(['cancel', id], binEnv(e));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Canceled crawl ${id}.`);
    expect(await statusOf(e, id)).toBe('failed'); // the documented reading of a cancelled crawl
  });

  it('a finished crawl: already finished, exit 0', async (t) => {
    const e = await emulatorWith(t);
    const id = await startCrawl(e, host('fast'));
    await until(async () => (await statusOf(e, id)) === 'completed', 15_000);
    const r = await runBin(['cancel', id], binEnv(e));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Crawl ${id} had already finished; nothing to cancel.`);
    expect(await statusOf(e, id)).toBe('completed');
  });

  it('--when-running: a pending crawl that starts within the window is cancelled once it runs', async (t) => {
    const e = await emulatorWith(t);
    // Pending for 5 s: enough margin for the bin to start on a loaded machine and find it still pending.
    const id = await startCrawl(e, host('pending-500s-run-60000s'));
    const r = await runBin(['cancel', id, '--when-running=30s', ...FAST], binEnv(e));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Canceled crawl ${id} once it started \\(after [\\d.]+s pending\\)`));
    expect(await statusOf(e, id)).toBe('failed');
    const statuses = deletes(e, id);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.slice(0, -1).every((s) => s === 409)).toBe(true);
  });

  it('--when-running=2s on a crawl that stays pending: exit 10, nothing cancelled; the id may follow the flag', async (t) => {
    const e = await emulatorWith(t);
    const id = await startCrawl(e, host('pending-999999s'));
    const r = await runBin(['cancel', id, '--when-running=2s', ...FAST], binEnv(e));
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/is still pending \(tried for 2s\): not cancelled/);
    expect(await statusOf(e, id)).toBe('pending');
    // `cancel --when-running <id>` reads the id as the id, with the default window; Ctrl-C stops it (130).
    const run = spawnBin(['cancel', '--when-running', id, ...FAST], binEnv(e));
    await run.waitFor('waiting up to 10m for it to start');
    run.child.kill('SIGINT');
    const stopped = await run.result;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain(`crawl ${id} was not cancelled`);
    expect(await statusOf(e, id)).toBe('pending');
  });

  it('bad --when-running values are usage errors before any request', async (t) => {
    const e = await emulatorWith(t);
    for (const args of [
      ['cancel', 'crawl-x', '--when-running=5'],
      ['cancel', 'crawl-x', '--when-running=0s'],
      ['cancel', '--when-running=5m'],
      ['cancel', 'crawl-x', '--when-running', '--min-interval', '0s'],
    ]) {
      const r = await runBin(args, binEnv(e));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error:/);
    }
    expect(e.requests).toHaveLength(0);
  });
});

describe.concurrent('waits cancel as the Action does: within --cancel-wait', () => {
  it('--cancel-on-abort: Ctrl-C while pending waits for the start and cancels (exit 6)', async (t) => {
    const e = await emulatorWith(t);
    const url = host('pending-200s-run-60000s');
    const run = spawnBin(
      ['start', url, '--wait', '--cancel-on-abort', '--cancel-wait', '30s', ...FAST],
      binEnv(e),
    );
    await run.waitFor(/ 0:0\d crawl-\S+ +waiting/); // the wait (and its Ctrl-C handling) has begun
    run.child.kill('SIGINT');
    const r = await run.result;
    expect(r.code, r.stdout + r.stderr).toBe(6);
    expect(r.stdout + r.stderr).toMatch(/canceled the crawl on Ctrl-C \(--cancel-on-abort\)/);
    const id = /crawl-[\w-]+/.exec(r.stdout)?.[0] ?? '';
    expect(await statusOf(e, id)).toBe('failed');
    expect(deletes(e, id).at(-1)).toBe(200);
  });

  it('--cancel-on-abort: still pending after --cancel-wait: exit 130, says it was not cancelled and how to', async (t) => {
    const e = await emulatorWith(t);
    const id = await startCrawl(e, host('pending-999999s'));
    const run = spawnBin(['wait', id, '--cancel-on-abort', '--cancel-wait', '2s', ...FAST], binEnv(e));
    await run.waitFor(/ 0:0\d crawl-\S+ +waiting/);
    run.child.kill('SIGINT');
    const r = await run.result;
    expect(r.code).toBe(130);
    expect(r.stdout + r.stderr).toMatch(/still pending after --cancel-wait, so it was not cancelled/);
    expect(r.stdout + r.stderr).toContain(`catalog-crawl cancel ${id} --when-running`);
    expect(await statusOf(e, id)).toBe('pending');
  });

  it('--cancel-on-timeout on a crawl still pending: exit 5, not cancelled, says how', async (t) => {
    const e = await emulatorWith(t);
    const id = await startCrawl(e, host('pending-999999s'));
    const r = await runBin(
      ['wait', id, '--timeout', '2s', '--cancel-on-timeout', '--cancel-wait', '2s', ...FAST],
      binEnv(e),
    );
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/still pending; not cancelled: it did not start within --cancel-wait/);
    expect(r.stdout).toContain(`catalog-crawl cancel ${id} --when-running`);
    expect(await statusOf(e, id)).toBe('pending');
  });

  it('--cancel-on-timeout on a crawl that starts within --cancel-wait: cancelled (exit 5)', async (t) => {
    const e = await emulatorWith(t);
    const id = await startCrawl(e, host('pending-300s-run-60000s'));
    const r = await runBin(
      ['wait', id, '--timeout', '1s', '--cancel-on-timeout', '--cancel-wait', '30s', ...FAST],
      binEnv(e),
    );
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/canceled the crawl \(--cancel-on-timeout\)/);
    expect(await statusOf(e, id)).toBe('failed');
  });

  it('--cancel-on-stall needs --stall-timeout', async () => {
    const r = await runBin(['wait', 'crawl-x', '--cancel-on-stall'], binEnv(undefined));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--cancel-on-stall needs --stall-timeout');
  });
});
