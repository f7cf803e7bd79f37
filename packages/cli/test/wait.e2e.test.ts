import { execFileSync } from 'node:child_process';
import type { Emulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allOutputs,
  BIN,
  binEnv,
  cancelCrawl,
  host,
  jsonLines,
  runBin,
  spawnBin,
  startCrawl,
  startTestEmulator,
} from './bin.js';
import { CANARY } from './helpers.js';

let emulator: Emulator;
let env: Record<string, string>;
const FAST = ['--min-interval', '1s', '--max-interval', '1s'];

beforeAll(async () => {
  emulator = await startTestEmulator();
  env = binEnv(emulator);
});

afterAll(async () => {
  await emulator?.close();
  for (const text of allOutputs) expect(text).not.toContain(CANARY);
});

const deletes = (id: string) => emulator.requests.filter((r) => r.method === 'DELETE' && r.path.includes(id));

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.concurrent('wait', () => {
  it('exit 5 when --timeout passes; the crawl is left running unless --cancel-on-timeout', async () => {
    const left = await startCrawl(emulator, host('long'));
    const r = await runBin(['wait', left, '--timeout', '2s', ...FAST], env);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/timed out after 2s/);
    expect(r.stdout).toContain(`catalog-crawl wait ${left}`);
    expect(deletes(left)).toHaveLength(0);

    const canceled = await startCrawl(emulator, host('long'));
    const c = await runBin(
      ['--json', 'wait', canceled, '--timeout', '2s', '--cancel-on-timeout', ...FAST],
      env,
    );
    expect(c.code).toBe(5);
    expect(jsonLines(c.stdout).at(-1)).toMatchObject({
      type: 'result',
      outcome: 'timed_out',
      cancel: { outcome: 'canceled' },
    });
    expect(deletes(canceled)).toHaveLength(1);
  });

  it('exit 7 when nothing changes for --stall-timeout', async () => {
    const id = await startCrawl(emulator, host('stall'));
    const r = await runBin(['wait', id, '--stall-timeout', '2s', ...FAST], env);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/stalled: no change for 2s/);
    await cancelCrawl(emulator, id);
  });

  it('exit 6 when the crawl was canceled', async () => {
    const id = await startCrawl(emulator, host('long'));
    expect(await cancelCrawl(emulator, id)).toBeLessThan(300);
    const r = await runBin(['wait', id, ...FAST], env);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/canceled/);
  });

  it('several ids are waited together, each result is shown and the worst exit code wins', async () => {
    const ok = await startCrawl(emulator, host('fast'));
    const bad = await startCrawl(emulator, host('fail-extracting'));
    const plain = await runBin(['wait', ok, bad, ...FAST], env);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(new RegExp(`${ok}\\s+completed in`));
    expect(plain.stdout).toMatch(new RegExp(`${bad}\\s+failed at step 4/4`));

    const json = await runBin(['--json', 'wait', ok, bad, ...FAST], env);
    expect(json.code).toBe(1);
    const objects = jsonLines(json.stdout);
    const results = objects.filter((o) => o['type'] === 'result');
    expect(results.map((o) => [o['executionId'], o['exitCode']]).sort()).toEqual(
      [
        [ok, 0],
        [bad, 1],
      ].sort(),
    );
    expect(objects.at(-1)).toMatchObject({ type: 'summary', exitCode: 1 });

    // An unknown id with a completed one: 4 wins over 0.
    const mixed = await runBin(['wait', ok, 'crawl-nope-example-12345678', ...FAST], env);
    expect(mixed.code).toBe(4);
  });

  it('Ctrl-C stops waiting, leaves the crawl running and says how to resume (exit 130)', async () => {
    const id = await startCrawl(emulator, host('long'));
    const run = spawnBin(['wait', id, ...FAST], env);
    await run.waitFor(/status|step/);
    run.child.kill('SIGINT');
    const r = await run.result;
    expect(r.code).toBe(130);
    expect(r.stdout + r.stderr).toMatch(/keeps running/);
    expect(r.stdout + r.stderr).toContain(`catalog-crawl wait ${id}`);
    expect(deletes(id)).toHaveLength(0);
    await cancelCrawl(emulator, id);
  });

  it('Ctrl-C with --cancel-on-abort cancels the crawl (DELETE sent, exit 6)', async () => {
    const id = await startCrawl(emulator, host('long'));
    const run = spawnBin(['--json', 'wait', id, '--cancel-on-abort', ...FAST], env);
    await run.waitFor(/"type":"status"/);
    run.child.kill('SIGINT');
    const r = await run.result;
    expect(r.code).toBe(6);
    expect(deletes(id)).toHaveLength(1);
    const last = jsonLines(r.stdout).at(-1);
    expect(last).toMatchObject({ executionId: id, exitCode: 6, outcome: 'canceled' });
  });

  it.runIf(hasScript())('on a real pseudo-terminal: a live display redrawn in place', async () => {
    const id = await startCrawl(emulator, host('fail-analyzing'));
    const command = [process.execPath, BIN, 'wait', id, ...FAST].map((a) => `'${a}'`).join(' ');
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      import('node:child_process').then(({ spawn }) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], {
          env: { ...env, TERM: 'xterm' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out }));
      }, reject);
    });
    allOutputs.push(r.out);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\u001b\[\d*A/); // cursor up: redrawn in place
    expect(r.out).toContain('\u001b['); // colours on a terminal
    expect(r.out).toContain('✖');
    expect(r.out).toContain('Analyzing collections');
    expect(r.out).toMatch(/failed at step 3\/4/);
  });

  it('demo: runs the emulator in-process and finishes with a summary', async () => {
    const r = await runBin(['demo', '--duration', '3s'], binEnv(undefined, { CATALOG_API_KEY: undefined }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('emulator');
    expect(r.stdout).toMatch(/completed in/);
    expect(r.stdout).toMatch(/Crawl of skims\.com completed: 4\/4 steps/);
    expect(r.stdout).toContain('CATALOG_API_KEY');
    // It ends by showing the first listings found, read through the results endpoint.
    expect(r.stdout).toMatch(
      /First 5 listings found:\n( {2}.+ https:\/\/skims\.com\/products\/\S+\n){5} {2}\.\.\. and 11,502 more/,
    );
    expect(r.stdout).toContain('catalog-crawl results skims.com --out listings.csv');
  });
});
