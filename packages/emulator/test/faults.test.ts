import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type FaultConfig, STEP_NAMES, startEmulator } from '../src/index.js';
import { call, startCrawl } from './helpers.js';

let emu: Emulator;
afterEach(() => emu?.close());

async function start(faults?: FaultConfig) {
  emu = await startEmulator({ rateLimit: false, manualClock: true, ...(faults ? { faults } : {}) });
  return emu;
}

describe('injected faults', () => {
  it('server_error: a 5xx JSON envelope, with a chosen or drawn status', async () => {
    await start();
    emu.injectFault('server_error', { status: 503 });
    const answer = await call(emu, 'GET', '/v2/crawl');
    expect(answer.status).toBe(503);
    expect(answer.body.error).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.any(String),
      request_id: answer.headers.get('request-id'),
    });
    emu.injectFault('server_error', { count: 6 });
    for (let i = 0; i < 6; i++) {
      const drawn = await call(emu, 'GET', '/v2/crawl');
      expect([500, 502, 503]).toContain(drawn.status);
      expect(drawn.body.error.code).toMatch(/^[A-Z_]+$/);
    }
    expect((await call(emu, 'GET', '/v2/crawl')).status).toBe(200);
  });

  it('html_error: a 502 HTML proxy page with a Request-ID header', async () => {
    await start();
    emu.injectFault('html_error');
    const answer = await call(emu, 'GET', '/v2/crawl');
    expect(answer.status).toBe(502);
    expect(answer.headers.get('content-type')).toBe('text/html');
    expect(answer.text).toContain('<title>502 Bad Gateway</title>');
    expect(answer.body).toBeUndefined();
    expect(answer.headers.get('request-id')).toMatch(/^req_/);
  });

  it('truncated_json: the real status with the JSON cut short; the request still took effect', async () => {
    await start();
    emu.injectFault('truncated_json', { method: 'POST' });
    const answer = await call(emu, 'POST', '/v2/crawl', { body: { url: 'skims.com' } });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('content-type')).toMatch(/application\/json/);
    expect(() => JSON.parse(answer.text)).toThrow();
    expect(answer.text.startsWith('{"execution_id":"crawl-skims-com-')).toBe(true);
    // the crawl exists: a retried POST is idempotent and returns it
    const retry = await call(emu, 'POST', '/v2/crawl', { body: { url: 'skims.com' } });
    expect(retry.status).toBe(202);
    expect(retry.text.startsWith(answer.text)).toBe(true);
  });

  it('invalid_json: a body that is not JSON at all', async () => {
    await start();
    emu.injectFault('invalid_json');
    const answer = await call(emu, 'GET', '/v2/crawl');
    expect(answer.status).toBe(200);
    expect(answer.body).toBeUndefined();
    expect(answer.text.length).toBeGreaterThan(0);
  });

  it('reset: the connection is destroyed without an answer', async () => {
    await start();
    emu.injectFault('reset', { path: '/v2/crawl' });
    await expect(fetch(`${emu.url}/v2/crawl`)).rejects.toThrow();
    expect(emu.requests.at(-1)).toMatchObject({ status: 0, fault: 'reset' });
    expect((await call(emu, 'GET', '/v2/crawl')).status).toBe(200);
  });

  it('slow: the answer comes after slowMs and is then correct', async () => {
    await start();
    emu.injectFault('slow', { slowMs: 300 });
    const before = Date.now();
    const answer = await call(emu, 'GET', '/v2/crawl');
    expect(Date.now() - before).toBeGreaterThanOrEqual(290);
    expect(answer.status).toBe(200);
    expect(answer.body.pagination.total_items).toBe(0);
    expect(emu.requests.at(-1)).toMatchObject({ status: 200, fault: 'slow' });
  });

  it('slow: a client timeout fires first, and close() cuts pending slow answers', async () => {
    await start();
    emu.injectFault('slow', { count: 2 });
    await expect(fetch(`${emu.url}/v2/crawl`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    const pending = fetch(`${emu.url}/v2/crawl`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = Date.now();
    await emu.close();
    expect(await pending).toBe('cut');
    expect(Date.now() - before).toBeLessThan(2_000);
  });

  it('rate_limit: a 429 burst with Retry-After', async () => {
    await start({ retryAfterSeconds: 2 });
    emu.injectFault('rate_limit', { count: 3 });
    for (let i = 0; i < 3; i++) {
      const answer = await call(emu, 'GET', '/v2/crawl');
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('2');
      expect(answer.body).toMatchObject({ status: 429, error: expect.any(String) });
    }
    expect((await call(emu, 'GET', '/v2/crawl')).status).toBe(200);
  });

  it('matches by method and path, in order, for count requests', async () => {
    await start();
    const id = await startCrawl(emu, 'skims.com');
    emu.clock.advance(5_000); // running: only a running crawl can be cancelled
    emu.injectFault('server_error', { method: 'delete', path: /^\/v2\/crawl\//, count: 2, status: 500 });
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).status).toBe(200);
    expect((await call(emu, 'POST', '/v2/crawl', { body: { url: 'a.com' } })).status).toBe(202);
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(500);
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(500);
    // the two failed DELETEs had no effect
    expect((await call(emu, 'GET', `/v2/crawl/${id}`)).body.status).toBe('running');
    expect((await call(emu, 'DELETE', `/v2/crawl/${id}`)).status).toBe(200);
    expect(emu.requests.map((r) => r.fault ?? '-')).toEqual([
      '-',
      '-',
      '-',
      'server_error',
      'server_error',
      '-',
      '-',
    ]);
  });

  it('rejects unknown kinds and bad configurations', async () => {
    await start();
    // @ts-expect-error an unknown kind
    expect(() => emu.injectFault('explode')).toThrow(RangeError);
    expect(() => emu.injectFault('reset', { count: 0 })).toThrow(RangeError);
    expect(() => emu.setFaults({ reset: 0.6, slow: 0.6 })).toThrow(RangeError);
    expect(() => emu.setFaults({ serverError: 2 })).toThrow(RangeError);
    await expect(startEmulator({ faults: { htmlError: -1 } })).rejects.toThrow(RangeError);
  });
});

describe('seeded fault shares', () => {
  const shares: FaultConfig = {
    seed: 'abc',
    serverError: 0.1,
    htmlError: 0.1,
    truncatedJson: 0.1,
    invalidJson: 0.1,
    reset: 0.1,
    slow: 0.05,
    slowMs: 20,
    rateLimitBurst: 0.1,
  };

  async function sequence(config: FaultConfig, n: number): Promise<string[]> {
    await start(config);
    for (let i = 0; i < n; i++)
      await fetch(`${emu.url}/v2/crawl`).then(
        (r) => r.text(),
        () => 'reset',
      );
    const kinds = emu.requests.map((r) => r.fault ?? '-');
    await emu.close();
    return kinds;
  }

  it('reproduce the same fault sequence for the same seed, another for another seed', async () => {
    const a = await sequence(shares, 60);
    const b = await sequence(shares, 60);
    const c = await sequence({ ...shares, seed: 'xyz' }, 60);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    for (const kind of [
      'server_error',
      'html_error',
      'truncated_json',
      'invalid_json',
      'reset',
      'rate_limit',
    ]) {
      expect(a).toContain(kind);
    }
    expect(a.filter((k) => k === '-').length).toBeGreaterThan(10);
  });

  it('are off by default, and setFaults turns them on and off', async () => {
    await start();
    await Promise.all(Array.from({ length: 30 }, () => call(emu, 'GET', '/v2/crawl')));
    emu.setFaults({ serverError: 1 });
    expect((await call(emu, 'GET', '/v2/crawl')).status).toBeGreaterThanOrEqual(500);
    emu.setFaults(undefined);
    expect((await call(emu, 'GET', '/v2/crawl')).status).toBe(200);
    expect(emu.requests.filter((r) => r.fault)).toHaveLength(1);
  });

  it('never crash the server, and every request that is not faulted gets a correct answer', async () => {
    await start({ ...shares, seed: 7 });
    const ids = await (async () => {
      emu.setFaults(undefined);
      const list = [await startCrawl(emu, 'fast.example'), await startCrawl(emu, 'skims.com')];
      emu.setFaults({ ...shares, seed: 7 });
      return list;
    })();
    emu.clock.advance(6_000); // both running: pending lasts at most 5 s, fast ends at 10 s
    type Outcome = { kind: string; requestId: string | null; status: number; text: string };
    const attempt = async (method: string, path: string, body?: unknown): Promise<Outcome> => {
      try {
        const response = await fetch(emu.url + path, {
          method,
          headers: { 'x-api-key': 'catalog-emulator-key', 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return {
          kind: method + path,
          requestId: response.headers.get('request-id'),
          status: response.status,
          text: await response.text(),
        };
      } catch {
        return { kind: method + path, requestId: null, status: 0, text: '' };
      }
    };
    const jobs: Promise<Outcome>[] = [];
    for (let i = 0; i < 200; i++) {
      const which = i % 4;
      if (which === 0) jobs.push(attempt('GET', `/v2/crawl/${ids[0]}`));
      if (which === 1) jobs.push(attempt('GET', '/v2/crawl?page_size=5'));
      if (which === 2) jobs.push(attempt('POST', '/v2/crawl', { url: `shop${i}.com` }));
      if (which === 3) jobs.push(attempt('GET', `/v2/crawl/${ids[1]}`));
    }
    const outcomes = await Promise.all(jobs);
    const byId = new Map(emu.requests.map((r) => [r.requestId, r]));
    let clean = 0;
    for (const outcome of outcomes) {
      if (outcome.status === 0) continue;
      const record = byId.get(outcome.requestId!);
      expect(record).toBeDefined();
      if (record!.fault && record!.fault !== 'slow') continue;
      clean++;
      const body = JSON.parse(outcome.text);
      if (outcome.kind.startsWith('POST')) {
        expect(outcome.status).toBe(202);
        expect(body.execution_id).toMatch(/^crawl-shop\d+-com-[0-9a-f]{8}$/);
      } else if (outcome.kind.includes('?')) {
        expect(outcome.status).toBe(200);
        expect(body.data.length).toBeLessThanOrEqual(5);
        expect(body.pagination.page_size).toBe(5);
      } else {
        expect(outcome.status).toBe(200);
        expect(body.meta.steps.map((s: { name: string }) => s.name)).toEqual([...STEP_NAMES]);
        expect(body.status).toBe('running');
      }
    }
    expect(clean).toBeGreaterThan(60);
    expect(emu.requests.filter((r) => r.fault).length).toBeGreaterThan(60);
    emu.setFaults(undefined);
    expect((await call(emu, 'GET', '/v2/crawl?page_size=100')).status).toBe(200);
  });
});
