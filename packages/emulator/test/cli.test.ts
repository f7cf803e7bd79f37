import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../src/cli-options.js';
import { CANARY_KEY } from './helpers.js';

// The bin is tested as built (the package's test task depends on build).
const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    err += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function listening(r: Run): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const match = /^Catalog emulator listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(r.stdout());
    if (match) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`bin did not start: ${r.stderr()}`);
}

const running: Run[] = [];
afterEach(() => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

describe('catalog-crawl-emulator bin', () => {
  it('serves with the given keys, logs requests without the key, and exits 0 on SIGTERM', async () => {
    const r = run(['--port', '0', '--api-key', `${CANARY_KEY}:acme`, '--speed', '100', '--seed', '3']);
    running.push(r);
    const url = await listening(r);
    const post = await fetch(`${url}/v2/crawl`, {
      method: 'POST',
      headers: { 'x-api-key': CANARY_KEY },
      body: JSON.stringify({ url: 'fast.example' }),
    });
    expect(post.status).toBe(202);
    const id = ((await post.json()) as { execution_id: string }).execution_id;
    const get = await fetch(`${url}/v2/crawl/${id}`, { headers: { authorization: `Bearer ${CANARY_KEY}` } });
    expect(get.status).toBe(200);
    const denied = await fetch(`${url}/v2/crawl`, { headers: { 'x-api-key': 'catalog-emulator-key' } });
    expect(denied.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.stdout()).toBe(`Catalog emulator listening on ${url}\n`);
    const log = r.stderr();
    expect(log).toMatch(/POST \/v2\/crawl 202 \d+ms org=acme req_[0-9a-f]{16}/);
    expect(log).toMatch(/GET \/v2\/crawl\/crawl-fast-example-[0-9a-f]{8} 200 /);
    expect(log).toMatch(/GET \/v2\/crawl 401 /);
    expect(log).not.toContain('CANARY');
    expect(log).not.toContain('catalog-emulator-key');
  });

  it('accepts the default key when none is given, prints it, and exits 0 on SIGINT', async () => {
    const r = run(['--port', '0', '--quiet']);
    running.push(r);
    const url = await listening(r);
    const answer = await fetch(`${url}/v2/crawl`, { headers: { 'x-api-key': 'catalog-emulator-key' } });
    expect(answer.status).toBe(200);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
    expect(r.stderr()).toContain('catalog-emulator-key');
    expect(r.stderr()).not.toMatch(/GET \/v2\/crawl/);
  });

  it('prints help and exits 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.stdout()).toMatch(/^Usage: catalog-crawl-emulator/);
    expect(r.stdout()).toContain('--fault-slow-ms');
    for (const flag of [
      '--cancel-refusal',
      '--totals',
      '--results-envelope',
      '--repeat-last-page',
      '--indexed-vendor',
    ]) {
      expect(r.stdout()).toContain(flag);
    }
  });

  it.concurrent.each([
    [['--bogus'], /unknown option --bogus/],
    [['--port', 'abc'], /--port must be/],
    [['--api-key'], /--api-key/],
    [['ck_live_SECRET_1'], /unexpected argument/],
    [['--apikey=ck_live_SECRET_1'], /unknown option --apikey/],
  ])('rejects %j with one line and exit code 2, echoing no value', async (args, message) => {
    const r = run(args);
    expect(await r.exit).toBe(2);
    const lines = r.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr()).not.toContain('SECRET');
    expect(r.stdout()).toBe('');
  });

  it('applies the reading and results flags', async () => {
    const r = run([
      ...['--port', '0', '--quiet', '--cancel-refusal', '400', '--results-envelope', 'v1'],
      ...['--indexed-vendor', 'seeded-shop.com', '--results-methods', 'post'],
    ]);
    running.push(r);
    const url = await listening(r);
    const headers = { 'x-api-key': 'catalog-emulator-key' };
    const vendors = await fetch(`${url}/v2/vendors`, { method: 'POST', headers, body: '{}' });
    expect(vendors.status).toBe(200);
    const body = (await vendors.json()) as { vendors: { vendor: string }[] };
    expect(body.vendors.map((v) => v.vendor)).toEqual(['seeded-shop.com']);
    expect((await fetch(`${url}/v2/vendors`, { headers })).status).toBe(405);
    const post = await fetch(`${url}/v2/crawl`, { method: 'POST', headers, body: '{"url":"long.example"}' });
    const id = ((await post.json()) as { execution_id: string }).execution_id;
    expect((await fetch(`${url}/v2/crawl/${id}`, { method: 'DELETE', headers })).status).toBe(400);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const first = run(['--port', '0', '--quiet']);
    running.push(first);
    const port = new URL(await listening(first)).port;
    const second = run(['--port', port]);
    expect(await second.exit).toBe(1);
    expect(second.stderr()).toContain(`port ${port} is already in use`);
  });
});

describe('parseCliArgs', () => {
  it('has the documented defaults', () => {
    expect(parseCliArgs([])).toEqual({
      help: false,
      quiet: false,
      defaultKey: true,
      options: { port: 8787, host: '127.0.0.1', rateLimit: { requests: 50, windowMs: 4_000 } },
    });
  });

  it('maps every flag', () => {
    const config = parseCliArgs([
      ...['--port', '9000', '--host', '0.0.0.0', '--speed', '100', '--seed', 'abc'],
      ...['--api-key', 'k1', '--api-key', 'k2:acme', '--rate-limit', '10', '--rate-window-ms', '1000'],
      ...['--fault-server-error', '0.1', '--fault-html', '0.05', '--fault-truncated', '0.05'],
      ...[
        '--fault-invalid-json',
        '0.05',
        '--fault-reset',
        '0.05',
        '--fault-slow',
        '0.05',
        '--fault-slow-ms',
        '500',
      ],
      ...['--fault-429', '0.1', '--fault-retry-after', '3', '--fault-seed', '9', '--quiet'],
    ]);
    expect(config).toEqual({
      help: false,
      quiet: true,
      defaultKey: false,
      options: {
        port: 9000,
        host: '0.0.0.0',
        speed: 100,
        seed: 'abc',
        apiKeys: [
          { key: 'k1', org: 'default' },
          { key: 'k2', org: 'acme' },
        ],
        rateLimit: { requests: 10, windowMs: 1000 },
        faults: {
          serverError: 0.1,
          htmlError: 0.05,
          truncatedJson: 0.05,
          invalidJson: 0.05,
          reset: 0.05,
          slow: 0.05,
          slowMs: 500,
          rateLimitBurst: 0.1,
          retryAfterSeconds: 3,
          seed: '9',
        },
      },
    });
  });

  it('maps the reading and results flags', () => {
    const config = parseCliArgs([
      ...['--cancel-refusal', '400', '--cancel-refusal-pending-message', 'not running'],
      ...['--cancel-refusal-finished-message', 'done', '--cancelled-status', 'cancelled'],
      ...['--totals', 'meta.total_listings_found', '--list-status', 'processing', '--pending-null-dates'],
      ...['--results-methods', 'post', '--results-envelope', 'v1', '--repeat-last-page', 'endless'],
      ...['--unknown-vendor', 'empty', '--indexed-vendor', 'a.com', '--indexed-vendor', 'b.example'],
    ]);
    expect(config.options).toEqual({
      port: 8787,
      host: '127.0.0.1',
      rateLimit: { requests: 50, windowMs: 4_000 },
      cancelRefusal: 400,
      cancelRefusalMessages: { pending: 'not running', finished: 'done' },
      cancelledStatus: 'cancelled',
      totals: 'meta.total_listings_found',
      listActiveStatus: 'processing',
      pendingNullDates: true,
      resultsMethods: 'post',
      resultsEnvelope: 'v1',
      resultsRepeatLastPage: 'endless',
      unknownVendor: 'empty',
      indexedVendors: ['a.com', 'b.example'],
    });
    expect(
      parseCliArgs([
        '--cancel-refusal',
        '409',
        '--totals',
        'total_listings_found',
        '--results-methods',
        'post-404',
      ]).options,
    ).toMatchObject({ cancelRefusal: 409, totals: 'total_listings_found', resultsMethods: 'post-404' });
  });

  it('raises the rate limit for a benchmark (10x the documented 50 per 4 s)', () => {
    expect(parseCliArgs(['--rate-limit', '500']).options.rateLimit).toEqual({
      requests: 500,
      windowMs: 4_000,
    });
  });

  it.each([
    ['--cancel-refusal', '418', /--cancel-refusal must be one of .*409/],
    ['--cancelled-status', 'aborted', /--cancelled-status/],
    ['--totals', 'root', /--totals/],
    ['--list-status', 'busy', /--list-status/],
    ['--results-methods', 'put', /--results-methods/],
    ['--results-envelope', 'v3', /--results-envelope/],
    ['--repeat-last-page', 'true', /--repeat-last-page/],
    ['--unknown-vendor', '410', /--unknown-vendor/],
    ['--unknown-vendor', 'constructor', /--unknown-vendor/],
    ['--indexed-vendor', 'not a host', /--indexed-vendor/],
    ['--cancel-refusal-pending-message', ' ', /must not be empty/],
  ])('rejects %s %s', (flag, value, message) => {
    expect(() => parseCliArgs([flag, value])).toThrow(message);
    expect(() => parseCliArgs([flag, value])).toThrow(UsageError);
  });

  it('turns the rate limit off with --rate-limit 0', () => {
    expect(parseCliArgs(['--rate-limit', '0']).options.rateLimit).toBe(false);
  });

  it.each([
    ['--speed', '0'],
    ['--speed', '-1'],
    ['--port', '70000'],
    ['--fault-reset', '1.5'],
    ['--rate-limit', '2.5'],
    ['--api-key', 'key:'],
  ])('rejects %s %s', (flag, value) => {
    expect(() => parseCliArgs([flag, value])).toThrow(UsageError);
  });

  it('rejects fault shares that add up to more than 1', () => {
    expect(() => parseCliArgs(['--fault-reset', '0.6', '--fault-html', '0.6'])).toThrow(/at most 1/);
  });
});
