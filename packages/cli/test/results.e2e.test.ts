import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Emulator, type EmulatorOptions, startEmulator } from '@catalog-crawl/emulator';
import { until } from '@catalog-crawl/test-kit';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOutputs, BIN, binEnv, host, jsonLines, runBin, spawnBin, startTestEmulator } from './bin.js';
import { CANARY } from './helpers.js';

const FAST = ['--min-interval', '1s', '--max-interval', '1s'];
const LISTING_COLUMNS = [
  'id',
  'name',
  'url',
  'price',
  'currency',
  'compare_at_price',
  'image_url',
  'image_count',
  'vendor',
  'first_seen_by_catalog',
  'last_updated_by_catalog',
];

/** Async: the emulator runs in this process, so a synchronous child would block the server it talks to. */
async function bash(script: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { env, encoding: 'utf8' });
  return stdout;
}

let emulator: Emulator;
let env: Record<string, string>;
let dir: string;
/** Every file the tests wrote, for the canary scan. */
const files: string[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  env = binEnv(emulator);
  dir = mkdtempSync(join(tmpdir(), 'cli-results-'));
});

afterAll(async () => {
  await emulator?.close();
  for (const text of allOutputs) expect(text).not.toContain(CANARY);
  for (const file of files.filter((f) => existsSync(f)))
    expect(readFileSync(file, 'utf8')).not.toContain(CANARY);
  // No temporary file is left behind by any export, good or failed.
  expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string): string {
  const path = join(dir, name);
  files.push(path);
  return path;
}

/** Runs a crawl to completion through the bin and returns its id and totals (from `status --json`). */
async function completedCrawl(e: Emulator, url: string) {
  const started = await runBin(['--json', 'start', url, '--wait', ...FAST], binEnv(e));
  expect(started.code).toBe(0);
  const executionId = String(jsonLines(started.stdout)[0]?.['executionId']);
  const status = await runBin(['--json', 'status', executionId], binEnv(e));
  const crawl = jsonLines(status.stdout)[0] as { vendor: string; result: Record<string, number> };
  return {
    executionId,
    vendor: crawl.vendor,
    listings: crawl.result['listingsTotal'] as number,
    collections: crawl.result['collectionsTotal'] as number,
  };
}

async function waitForRequests(e: Emulator, vendor: string, n: number): Promise<void> {
  await until(() => resultsRequests(e).filter((q) => q.query.includes(vendor)).length >= n, 20_000);
}

function expectUnique(ids: unknown[], count: number) {
  expect(ids).toHaveLength(count);
  expect(new Set(ids).size).toBe(count);
}

const resultsRequests = (e: Emulator) =>
  e.requests.filter((r) => /^\/v2\/(listings|collections)/.test(r.path));

describe.concurrent('results against the emulator', () => {
  it('start --wait --results FILE.jsonl: every line valid, unique, as many as the crawl reported', async () => {
    const out = file('chained.jsonl');
    const url = host('listings-1234');
    const r = await runBin(['start', url, '--wait', '--results', out, ...FAST], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote 1,234 listings of .* \(jsonl, 13 pages\) to .*chained\.jsonl/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const items = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expectUnique(
      items.map((i) => i['id']),
      1234,
    );
    for (const item of items) {
      expect(typeof item['url']).toBe('string');
      expect(item['vendor']).toBe(url);
    }
  });

  it('results <id> --out FILE.csv: parsed back by csv-parse, columns as documented, equal to the totals', async () => {
    const crawl = await completedCrawl(emulator, host('listings-777'));
    expect(crawl.listings).toBe(777);
    const out = file('by-id.csv');
    const r = await runBin(['results', crawl.executionId, '--out', out], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual(LISTING_COLUMNS);
    expectUnique(
      rows.map((row) => row['id']),
      crawl.listings,
    );
    for (const row of rows) expect(row['url']).toMatch(/^https:\/\//);
    expect(r.stderr).toContain(`Wrote 777 listings of ${crawl.vendor}`);
  });

  it('results <vendor> --format json to stdout: one JSON array; collections equal their total', async () => {
    const crawl = await completedCrawl(emulator, host('listings-450'));
    const listings = await runBin(['results', crawl.vendor, '--format', 'json'], env);
    expect(listings.code).toBe(0);
    const array = JSON.parse(listings.stdout) as { id: string }[];
    expectUnique(
      array.map((i) => i.id),
      450,
    );
    const collections = await runBin(['results', crawl.executionId, '--collections'], env);
    expect(collections.code).toBe(0);
    const items = jsonLines(collections.stdout);
    expectUnique(
      items.map((i) => i['url']),
      crawl.collections,
    );
  });

  it('stdout carries only data: pipeable into jq, messages on stderr', async () => {
    const crawl = await completedCrawl(emulator, host('listings-120'));
    const r = await bash(
      `set -o pipefail; "${process.execPath}" "${BIN}" results ${crawl.vendor} | jq -r .id | sort -u | wc -l`,
      env,
    );
    expect(r.trim()).toBe('120');
  });

  it('| head: a closed pipe ends the export quietly (exit 0, no error, no further pages)', async () => {
    const crawl = await completedCrawl(emulator, host('listings-30000'));
    const before = resultsRequests(emulator).filter((q) => q.query.includes(crawl.vendor)).length;
    const script = `set -o pipefail; "${process.execPath}" "${BIN}" results ${crawl.vendor} 2>"${join(dir, 'head.err')}" | head -n 3; echo "rc=$?"`;
    const out = await bash(script, env);
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('rc=0');
    expect(lines.slice(0, 3).map((l) => (JSON.parse(l) as { vendor: string }).vendor)).toEqual([
      crawl.vendor,
      crawl.vendor,
      crawl.vendor,
    ]);
    const err = readFileSync(join(dir, 'head.err'), 'utf8');
    allOutputs.push(err);
    expect(err).toBe('');
    const after = resultsRequests(emulator).filter((q) => q.query.includes(crawl.vendor)).length;
    expect(after - before).toBeLessThan(20); // 300 pages for the whole vendor
  });

  it('--limit N stops after N items; --new-since-start and --updated-since-start are labelled approximations', async () => {
    const crawl = await completedCrawl(emulator, host('listings-600'));
    const limited = await runBin(['results', crawl.executionId, '--limit', '5'], env);
    expect(limited.code).toBe(0);
    expect(jsonLines(limited.stdout)).toHaveLength(5);
    expect(limited.stderr).toContain('stopped at --limit 5');

    const status = await runBin(['--json', 'status', crawl.executionId], env);
    const start = Date.parse(String(jsonLines(status.stdout)[0]?.['startDate']));
    const fresh = await runBin(['results', crawl.executionId, '--new-since-start'], env);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toMatch(/^Approximation: listings whose first_seen_by_catalog/m);
    const newItems = jsonLines(fresh.stdout);
    expect(newItems.length).toBeGreaterThan(0);
    expect(newItems.length).toBeLessThan(600);
    for (const item of newItems)
      expect(Date.parse(String(item['first_seen_by_catalog']))).toBeGreaterThanOrEqual(start);

    const touched = await runBin(
      ['--json', 'results', crawl.executionId, '--updated-since-start', '--out', file('touched.jsonl')],
      env,
    );
    expect(touched.code).toBe(0);
    const summary = jsonLines(touched.stdout)[0] as Record<string, unknown>;
    expect(summary).toMatchObject({ type: 'results', kind: 'listings', expected: 600, limited: false });
    expect(summary['approximations']).toEqual([
      expect.stringMatching(/^Approximation: items whose last_updated_by_catalog/),
    ]);
    expect((summary['items'] as number) + (summary['filteredOut'] as number)).toBe(600);
  });

  it('a crawl that is not completed: exit 9 with how to wait, and nothing read', async (t) => {
    const e = await startTestEmulator();
    t.onTestFinished(() => e.close());
    const started = await runBin(['start', host('pending-600s')], binEnv(e));
    const id = started.stdout.trim();
    const r = await runBin(['results', id, '--out', file('never.jsonl')], binEnv(e));
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/is pending: its results can be read once it is completed/);
    expect(r.stderr).toContain(`catalog-crawl wait ${id} && catalog-crawl results ${id}`);
    expect(resultsRequests(e)).toHaveLength(0);
    expect(readdirSync(dir)).not.toContain('never.jsonl');
  });

  it('bad arguments: clear usage errors (exit 2) before any request', async (t) => {
    const e = await startTestEmulator();
    t.onTestFinished(() => e.close());
    const cases: [string[], RegExp][] = [
      [
        ['results', 'skims.com', '--format', 'xml'],
        /--format "xml" is not supported: use jsonl, csv or json/,
      ],
      [['results', 'skims com'], /vendor "skims com" contains whitespace/],
      [['results', 'skims.com/collections/x'], /not a bare hostname.*did you mean skims\.com/],
      [['results', 'https://skims.com'], /not a bare hostname/],
      [['results', 'skims.com', '--limit', '0'], /--limit must be a whole number of at least 1/],
      [['results', 'skims.com', '--limit', 'ten'], /--limit must be a whole number of at least 1/],
      [['results', 'skims.com', '--new-since-start'], /need an execution id/],
      [['results', 'crawl-x-1', '--collections', '--new-since-start'], /listings only/],
      [
        ['results', 'skims.com', '--out', join(dir, 'data.txt')],
        /cannot tell the format from the name "data\.txt"/,
      ],
      [['results', 'skims.com', '--out', join(dir, 'missing', 'x.csv')], /does not exist or is not writable/],
      [['start', 'skims.com', '--results', join(dir, 'x.csv')], /--results needs --wait/],
      [['start', 'skims.com', '--wait', '--results', join(dir, 'x.xml')], /cannot tell the format/],
      [
        ['start', 'skims.com', '--wait', '--results', join(dir, 'x.csv'), '--format', 'xml'],
        /--format "xml" is not supported/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runBin(args, binEnv(e));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    expect(e.requests).toHaveLength(0);
  });

  it('a vendor with nothing indexed (404): empty output, a note, exit 0', async () => {
    const r = await runBin(['results', host('never-crawled'), '--format', 'csv'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${LISTING_COLUMNS.join(',')}\n`);
    expect(r.stderr).toMatch(/Nothing is indexed for never-crawled/);
  });

  it('Ctrl-C during a long export: exit 130, no file, no temporary file left', async () => {
    const crawl = await completedCrawl(emulator, host('listings-100000'));
    const out = file('interrupted.jsonl');
    // 1,000 pages under the documented 50 requests per 4 s: over a minute, so the signal lands mid-read.
    const run = spawnBin(['results', crawl.vendor, '--out', out], env);
    await waitForRequests(emulator, crawl.vendor, 3);
    run.child.kill('SIGINT');
    const r = await run.result;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Stopped reading results on Ctrl-C/);
    expect(existsSync(out)).toBe(false);
  });

  it('--json: while data goes to stdout, the error object goes to stderr (stdout stays data only)', async () => {
    const r = await runBin(['--json', 'results', 'crawl-does-not-exist'], env);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(
      jsonLines(
        r.stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .join('\n'),
      )[0],
    ).toMatchObject({
      type: 'error',
      exitCode: 4,
      error: { name: 'NotFoundError', status: 404 },
    });
  });

  it.runIf(existsSync('/dev/full'))(
    'a full disk: exit 11 with what to check; a device is written directly, never replaced',
    async () => {
      const crawl = await completedCrawl(emulator, host('listings-300'));
      const r = await runBin(['results', crawl.vendor, '--format', 'jsonl', '--out', '/dev/full'], env);
      expect(r.code).toBe(11);
      expect(r.stderr).toMatch(/Cannot write the listings to \/dev\/full: .*ENOSPC/);
      expect(r.stderr).toContain('Check the path, its permissions and the free space');
      expect(readdirSync('/dev').filter((f) => f.endsWith('.partial'))).toEqual([]);
    },
  );

  it('an existing file is replaced only when the export succeeds', async () => {
    const out = file('kept.jsonl');
    writeFileSync(out, 'previous\n');
    const r = await runBin(['results', 'crawl-does-not-exist', '--out', out], env);
    expect(r.code).toBe(4);
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
  });
});

/** Each reading the docs leave open, served by its own emulator: the export must come out the same. */
const SWITCHES: [string, Partial<EmulatorOptions>][] = [
  ['POST-only results endpoints (GET answers 405)', { resultsMethods: 'post' }],
  ['POST-only results endpoints (GET answers 404, as an unknown route)', { resultsMethods: 'post-404' }],
  ['the v1 envelope', { resultsEnvelope: 'v1' }],
  ['a server repeating its last page with has_next true', { resultsRepeatLastPage: 'has-next' }],
  ['a server repeating its last page with an endless total_pages', { resultsRepeatLastPage: 'endless' }],
];

describe.concurrent('each emulator switch is survived', () => {
  for (const [name, options] of SWITCHES) {
    it(name, async () => {
      const e = await startEmulator({
        host: '127.0.0.1',
        port: 0,
        speed: 100,
        apiKeys: [{ key: CANARY, org: 'cli-tests' }],
        ...options,
      } as EmulatorOptions);
      try {
        const crawl = await completedCrawl(e, host('listings-345'));
        const jsonl = await runBin(['results', crawl.executionId], binEnv(e));
        expect(jsonl.code).toBe(0);
        expectUnique(
          jsonLines(jsonl.stdout).map((i) => i['id']),
          345,
        );
        const csvFile = file(`switch-${name.replace(/\W+/g, '-')}.csv`);
        const csv = await runBin(['results', crawl.vendor, '--out', csvFile], binEnv(e));
        expect(csv.code).toBe(0);
        const rows = parse(readFileSync(csvFile, 'utf8'), { columns: true }) as Record<string, string>[];
        expectUnique(
          rows.map((row) => row['id']),
          345,
        );
        const collections = await runBin(
          ['results', crawl.executionId, '--collections', '--format', 'json'],
          binEnv(e),
        );
        expect(collections.code).toBe(0);
        expectUnique(
          (JSON.parse(collections.stdout) as { url: string }[]).map((c) => c.url),
          crawl.collections,
        );
        if (options.resultsMethods === 'post' || options.resultsMethods === 'post-404') {
          // Per run of the bin: one GET refused, then POST for every page (4 pages of 100, twice).
          const refusal = options.resultsMethods === 'post' ? 405 : 404;
          const reads = e.requests.filter((q) => q.path === '/v2/listings');
          expect(reads.filter((q) => q.method === 'GET' && q.status === refusal)).toHaveLength(2);
          expect(reads.filter((q) => q.method === 'POST' && q.status === 200)).toHaveLength(8);
        }
      } finally {
        await e.close();
      }
    });
  }

  for (const unknownVendor of ['404', 'empty'] as const) {
    it(`an unknown vendor answered ${unknownVendor}`, async () => {
      const e = await startEmulator({
        host: '127.0.0.1',
        port: 0,
        apiKeys: [{ key: CANARY, org: 'cli-tests' }],
        unknownVendor,
      } as EmulatorOptions);
      try {
        for (const format of ['jsonl', 'json', 'csv']) {
          const r = await runBin(['results', 'nobody.example', '--format', format], binEnv(e));
          expect(r.code).toBe(0);
          expect(r.stdout).toBe(
            format === 'jsonl' ? '' : format === 'json' ? '[]\n' : `${LISTING_COLUMNS.join(',')}\n`,
          );
          expect(r.stderr).toMatch(/Nothing is indexed for nobody\.example/);
        }
      } finally {
        await e.close();
      }
    });
  }
});

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.concurrent('on a terminal', () => {
  const inPty = (args: string[], e: Emulator) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { ...binEnv(e), TERM: 'xterm' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        allOutputs.push(out);
        resolve({ code, out });
      });
    });
  };

  it.runIf(hasScript())('a progress bar on stderr while the data goes to the file', async () => {
    const crawl = await completedCrawl(emulator, host('listings-2500'));
    const out = file('pty.jsonl');
    const r = await inPty(['results', crawl.vendor, '--out', out], emulator);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\r\u001b\[2K.*\d[\d,]* \/ 2,500 listings, \d+ pages/);
    expect(r.out).toContain('Wrote 2,500 listings');
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(2500);
  });

  it.runIf(hasScript())('hostile text from the API cannot drive the terminal', async () => {
    const crawl = await completedCrawl(emulator, host('hostile'));
    const r = await inPty(['results', crawl.vendor, '--format', 'csv'], emulator);
    expect(r.code).toBe(0);
    // The only escapes are ours (progress line, colours), never one from a listing: no OSC, no cursor moves.
    expect(r.out).not.toMatch(/\u001b\]/);
    expect(r.out).not.toMatch(/\u001b\[\d*[ABCDHJ]/);
    expect(r.out).not.toMatch(/[\u0000\u0007\u202e]/);
    // They were there: replaced by U+FFFD; and formulas were neutralised by a leading quote.
    expect(r.out).toContain('\uFFFD');
    expect(r.out).toMatch(/'=/);
  });
});
